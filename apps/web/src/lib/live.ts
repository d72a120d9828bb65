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

export interface LiveState {
  connection: Connection;
  devices: ReadonlyMap<string, Device>;
  /** Bumped on every change, so views can refetch what depends on devices. */
  revision: number;
}

export class LiveStore {
  private state: LiveState = { connection: { state: 'connecting' }, devices: new Map(), revision: 0 };
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
    this.state = { ...this.state, ...patch, revision: this.state.revision + 1 };
    for (const l of this.listeners) l();
  }

  private connect(): void {
    this.set({ connection: { state: 'connecting' } });
    const ws = new WebSocket(this.url);
    this.socket = ws;
    ws.onopen = () => {
      this.attempt = 0;
      ws.send(JSON.stringify({ type: 'subscribe', topics: ['devices'] }));
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
