/**
 * The one WebSocket of the dashboard and the store it feeds. On every
 * (re)connect it subscribes again and replaces its state with the server's
 * snapshots, so nothing missed while offline lingers. Each topic has its own
 * field, replaced (never mutated) when the topic changes, so a component
 * that selects one (live-hooks.ts) is left alone when another changes: a
 * telemetry sample replaces only `traffic` and `totals`. Telemetry and audit
 * events also go to listeners (charts, the events page) that keep their own
 * bounded buffers. While the tab is hidden the telemetry topic is
 * unsubscribed: nothing is sent, parsed or drawn.
 */
import { ServerMessageSchema, type AuditEvent, type Device, type HostStatus, type Operation, type TelemetryMessage, type Topic } from '@virtnet/shared';
import { api, onUnauthenticated } from './api';
import { reconnectDelay } from './backoff';

export type Connection = { state: 'connecting' } | { state: 'live' } | { state: 'offline'; retryAt: number };

/** One device's traffic now, summed over its queues (bytes per second, not bits). */
export interface Traffic {
  rxPps: number;
  txPps: number;
  rxBps: number;
  txBps: number;
  at: number;
}

export interface LiveState {
  connection: Connection;
  /** 'required' once the controller refused our cookie (token changed): the page offers to sign in again. */
  auth: 'ok' | 'required';
  devices: ReadonlyMap<string, Device>;
  traffic: ReadonlyMap<string, Traffic>;
  /** Every device together, from the last telemetry sample. */
  totals: Traffic;
  operations: ReadonlyMap<string, Operation>;
  /** True while the tab is hidden and telemetry is paused. */
  paused: boolean;
  /**
   * The host side (GET /host): its mode decides which actions the pages
   * offer. Read once per connection (a reconnect may be a new controller),
   * again when a page asks (refreshHost), and in qemu mode when devices come
   * or go, since the VM's plugged devices change with them.
   */
  host: HostStatus | null;
}

const ZERO: Traffic = { rxPps: 0, txPps: 0, rxBps: 0, txBps: 0, at: 0 };

export class LiveStore {
  private state: LiveState = {
    connection: { state: 'connecting' },
    auth: 'ok',
    devices: new Map(),
    traffic: new Map(),
    totals: ZERO,
    operations: new Map(),
    paused: false,
    host: null,
  };
  private readonly listeners = new Set<() => void>();
  private readonly telemetryListeners = new Set<(m: TelemetryMessage) => void>();
  private readonly auditListeners = new Set<(e: AuditEvent) => void>();
  private socket?: WebSocket;
  private attempt = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private stopped = false;
  private focus: string[] | null = null;
  private hostLoad?: Promise<void>;
  private hostTimer?: ReturnType<typeof setTimeout>;

  constructor(private readonly url: string) {}

  start(): void {
    this.stopped = false;
    onUnauthenticated(() => this.set({ auth: 'required' }));
    document.addEventListener('visibilitychange', () => this.visibility());
    this.state = { ...this.state, paused: document.hidden };
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

  onTelemetry(listener: (m: TelemetryMessage) => void): () => void {
    this.telemetryListeners.add(listener);
    return () => this.telemetryListeners.delete(listener);
  }

  /**
   * Telemetry of these devices only (a device page), or of all (null): the
   * server then samples and sends just what this page shows.
   */
  focusTelemetry(vuids: string[] | null): void {
    this.focus = vuids;
    if (!this.state.paused) this.send({ type: 'subscribe', topics: ['telemetry'], ...(vuids ? { vuids } : {}) });
  }

  onAudit(listener: (e: AuditEvent) => void): () => void {
    this.auditListeners.add(listener);
    return () => this.auditListeners.delete(listener);
  }

  /** Reads the host side again; concurrent callers share one request. A failure keeps what is known. */
  refreshHost(): Promise<void> {
    this.hostLoad ??= api
      .host()
      .then(
        (host) => this.set({ host }),
        () => undefined,
      )
      .finally(() => (this.hostLoad = undefined));
    return this.hostLoad;
  }

  /** Devices came or went: the VM's plugged list changed with them (qemu); one read for a burst. */
  private hostMayHaveChanged(): void {
    if (this.state.host?.mode !== 'qemu') return;
    clearTimeout(this.hostTimer);
    this.hostTimer = setTimeout(() => void this.refreshHost(), 200);
  }

  private set(patch: Partial<LiveState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }

  private send(message: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private visibility(): void {
    const hidden = document.hidden;
    if (hidden === this.state.paused) return;
    this.send(hidden ? { type: 'unsubscribe', topics: ['telemetry'] } : { type: 'subscribe', topics: ['telemetry'], ...(this.focus ? { vuids: this.focus } : {}) });
    this.set(hidden ? { paused: true } : { paused: false, traffic: new Map(), totals: ZERO });
  }

  private connect(): void {
    this.set({ connection: { state: 'connecting' } });
    const ws = new WebSocket(this.url);
    this.socket = ws;
    ws.onopen = () => {
      this.attempt = 0;
      ws.send(JSON.stringify({ type: 'subscribe', topics: ['devices', 'operations', 'audit'] satisfies Topic[] }));
      if (!document.hidden) ws.send(JSON.stringify({ type: 'subscribe', topics: ['telemetry'], ...(this.focus ? { vuids: this.focus } : {}) }));
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
    switch (m.type) {
      case 'snapshot':
        this.set({ connection: { state: 'live' }, auth: 'ok', devices: new Map(m.devices.map((d) => [d.vuid, d])) });
        void this.refreshHost();
        return;
      case 'device.added':
      case 'device.updated': {
        const devices = new Map(this.state.devices);
        devices.set(m.device.vuid, m.device);
        this.set({ devices });
        if (m.type === 'device.added') this.hostMayHaveChanged();
        return;
      }
      case 'device.removed': {
        const devices = new Map(this.state.devices);
        devices.delete(m.vuid);
        this.set({ devices });
        this.hostMayHaveChanged();
        return;
      }
      case 'operations.snapshot':
        this.set({ operations: new Map(m.operations.map((o) => [o.id, o])) });
        return;
      case 'operation': {
        const operations = new Map(this.state.operations);
        operations.set(m.operation.id, m.operation);
        this.set({ operations });
        return;
      }
      case 'audit':
        for (const l of this.auditListeners) l(m.event);
        return;
      case 'telemetry':
        if (this.state.paused) return;
        this.telemetry(m);
        return;
      default:
        return;
    }
  }

  private telemetry(m: TelemetryMessage): void {
    // A sample lists only devices that moved: the others are idle now.
    const at = Date.parse(m.at);
    const traffic = new Map<string, Traffic>();
    const totals: Traffic = { ...ZERO, at };
    for (const d of m.devices) {
      const t: Traffic = { ...ZERO, at };
      for (const q of d.queues) {
        if (q.type === 'rx') {
          t.rxPps += q.pps;
          t.rxBps += q.bps / 8;
        } else if (q.type === 'tx') {
          t.txPps += q.pps;
          t.txBps += q.bps / 8;
        }
      }
      traffic.set(d.vuid, t);
      totals.rxPps += t.rxPps;
      totals.txPps += t.txPps;
      totals.rxBps += t.rxBps;
      totals.txBps += t.txBps;
    }
    this.set({ traffic, totals });
    for (const l of this.telemetryListeners) l(m);
  }
}

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
export const live = new LiveStore(wsUrl);
