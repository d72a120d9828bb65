/**
 * The one WebSocket of the dashboard and the device store it feeds. On every
 * (re)connect it subscribes again and replaces its state with the server's
 * snapshot, so nothing missed while offline lingers. Components read it
 * through useSyncExternalStore.
 */
import { ServerMessageSchema, type Device } from '@virtnet/shared';
import { useSyncExternalStore } from 'react';
import { reconnectDelay } from './backoff';

export type Connection = { state: 'connecting' } | { state: 'live' } | { state: 'offline'; retryAt: number };

/** Packets per second of one device, summed over its queues, from the telemetry topic. */
export interface Traffic {
  rxPps: number;
  txPps: number;
  at: number;
}

export interface LiveState {
  connection: Connection;
  devices: ReadonlyMap<string, Device>;
  traffic: ReadonlyMap<string, Traffic>;
  /** Bumped when devices change (not on telemetry), so views can refetch what depends on them. */
  revision: number;
}

export class LiveStore {
  private state: LiveState = { connection: { state: 'connecting' }, devices: new Map(), traffic: new Map(), revision: 0 };
  private readonly listeners = new Set<() => void>();
  private socket?: WebSocket;
  private attempt = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private stopped = false;

  constructor(private readonly url: string) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  snapshot = (): LiveState => this.state;

  private set(patch: Partial<LiveState>): void {
    const bump = patch.devices !== undefined || patch.connection !== undefined;
    this.state = { ...this.state, ...patch, revision: this.state.revision + (bump ? 1 : 0) };
    for (const l of this.listeners) l();
  }

  private connect(): void {
    this.set({ connection: { state: 'connecting' } });
    const ws = new WebSocket(this.url);
    this.socket = ws;
    ws.onopen = () => {
      this.attempt = 0;
      ws.send(JSON.stringify({ type: 'subscribe', topics: ['devices', 'telemetry'] }));
    };
    ws.onmessage = (ev) => this.receive(String(ev.data));
    ws.onclose = () => {
      if (this.socket !== ws || this.stopped) return;
      const delay = reconnectDelay(this.attempt++);
      this.set({ connection: { state: 'offline', retryAt: Date.now() + delay } });
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  private receive(text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return;
    }
    const parsed = ServerMessageSchema.safeParse(json);
    if (!parsed.success) return;
    const m = parsed.data;
    const devices = new Map(this.state.devices);
    switch (m.type) {
      case 'snapshot':
        this.set({ connection: { state: 'live' }, devices: new Map(m.devices.map((d) => [d.vuid, d])) });
        return;
      case 'device.added':
      case 'device.updated':
        devices.set(m.device.vuid, m.device);
        this.set({ devices });
        return;
      case 'device.removed':
        devices.delete(m.vuid);
        this.set({ devices });
        return;
      case 'telemetry': {
        // A sample lists only devices that moved: the others are idle now.
        const at = Date.parse(m.at);
        const traffic = new Map<string, Traffic>();
        for (const d of m.devices) {
          let rxPps = 0;
          let txPps = 0;
          for (const q of d.queues) {
            if (q.type === 'rx') rxPps += q.pps;
            else if (q.type === 'tx') txPps += q.pps;
          }
          traffic.set(d.vuid, { rxPps, txPps, at });
        }
        this.set({ traffic });
        return;
      }
      default:
        return;
    }
  }
}

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
export const live = new LiveStore(wsUrl);

export function useLive(): LiveState {
  return useSyncExternalStore(live.subscribe, live.snapshot);
}
