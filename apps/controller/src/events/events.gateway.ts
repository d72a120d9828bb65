/**
 * WebSocket endpoint /ws: clients subscribe to topics, get a snapshot of
 * each, then live events. Messages are validated with libs/shared schemas.
 */
import { Inject, Logger, type OnModuleDestroy } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection, type OnGatewayDisconnect } from '@nestjs/websockets';
import { ClientMessageSchema, EVENT_TOPIC, TopicSchema, type ServerMessage, type TelemetryMessage, type Topic } from '@virtnet/shared';
import type { WebSocket } from 'ws';
import { VERSION } from '../common/version.js';
import { DeviceRegistry } from '../devices/device-registry.js';
import { OperationsService } from '../operations/operations.service.js';
import { EventBus, type EventMap, type EventName } from '../common/event-bus.js';
import { Telemetry } from './telemetry.js';
import { TelemetryHistory } from './telemetry-history.js';

/** Bytes a slow client may have queued before it is dropped (it resyncs on reconnect). */
const MAX_BUFFERED = 8 << 20;

@WebSocketGateway({ path: '/ws' })
export class EventsGateway implements OnGatewayConnection, OnGatewayDisconnect, OnModuleDestroy {
  private readonly log = new Logger('ws');
  private readonly clients = new Map<WebSocket, Set<Topic>>();
  /** Telemetry subscriptions: the unsubscribe function and an optional device filter. */
  private readonly telemetry = new Map<WebSocket, { stop: () => void; vuids: Set<string> | null }>();
  private readonly unsubscribe: (() => void)[] = [];
  /** What the host's driver did last time we looked, per device (status, link, attached). */
  private lastSeen = new Map<string, string>();
  private watcher?: NodeJS.Timeout;

  constructor(
    @Inject(EventBus) events: EventBus,
    @Inject(DeviceRegistry) private readonly devices: DeviceRegistry,
    @Inject(Telemetry) private readonly sampler: Telemetry,
    @Inject(OperationsService) private readonly operations: OperationsService,
    @Inject(TelemetryHistory) private readonly history: TelemetryHistory,
  ) {
    const forward = <E extends EventName>(name: E, toMessage: (p: EventMap[E]) => ServerMessage) =>
      this.unsubscribe.push(events.on(name, (p) => this.publish(EVENT_TOPIC[name], toMessage(p))));
    forward('device.added', (p) => ({ type: 'device.added', device: p.device }));
    forward('device.updated', (p) => ({ type: 'device.updated', device: p.device }));
    forward('device.removed', (p) => ({ type: 'device.removed', vuid: p.vuid }));
    forward('operation', (p) => ({ type: 'operation', operation: p.operation }));
    forward('audit', (p) => ({ type: 'audit', event: p.event }));
  }

  handleConnection(client: WebSocket): void {
    this.clients.set(client, new Set());
    // A dashboard is open: keep the charts' history recording.
    this.history.retain();
    this.send(client, { type: 'hello', version: VERSION, topics: TopicSchema.options });
    client.on('message', (data) => this.receive(client, data.toString()));
  }

  handleDisconnect(client: WebSocket): void {
    if (this.clients.delete(client)) this.history.release();
    this.stopTelemetry(client);
    this.watchDrivers();
  }

  /**
   * The host's driver changes a device's status on its own (probe, reset,
   * reconnect) without going through the controller's API. While someone
   * watches the device list, look once a second and publish what changed.
   */
  private watchDrivers(): void {
    const watched = [...this.clients.values()].some((t) => t.has('devices'));
    if (watched && !this.watcher) {
      this.lastSeen = this.devices.driverKeys();
      this.watcher = setInterval(() => {
        for (const [vuid, key] of this.devices.driverKeys()) {
          if (this.lastSeen.get(vuid) === key) continue;
          this.lastSeen.set(vuid, key);
          let device;
          try {
            device = this.devices.view(this.devices.one({ vuid }), false);
          } catch {
            continue; // unplugged meanwhile: device.removed says so
          }
          this.publish('devices', { type: 'device.updated', device });
        }
      }, 1000);
    } else if (!watched && this.watcher) {
      clearInterval(this.watcher);
      this.watcher = undefined;
    }
  }

  private stopTelemetry(client: WebSocket): void {
    this.telemetry.get(client)?.stop();
    this.telemetry.delete(client);
  }

  private startTelemetry(client: WebSocket, vuids: string[] | undefined): void {
    this.stopTelemetry(client);
    const filter = vuids ? new Set(vuids) : null;
    const stop = this.sampler.subscribe((m: TelemetryMessage) => {
      const sub = this.telemetry.get(client);
      const devices = sub?.vuids ? m.devices.filter((d) => sub.vuids!.has(d.vuid)) : m.devices;
      this.send(client, { ...m, devices });
    });
    this.telemetry.set(client, { stop, vuids: filter });
  }

  private receive(client: WebSocket, text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.send(client, { type: 'error', error: { code: 'INVALID_ARGUMENT', message: 'message is not valid JSON' } });
    }
    const parsed = ClientMessageSchema.safeParse(json);
    if (!parsed.success) {
      return this.send(client, { type: 'error', error: { code: 'INVALID_ARGUMENT', message: parsed.error.issues[0]!.message } });
    }
    const msg = parsed.data;
    const topics = this.clients.get(client);
    if (!topics) return;
    if (msg.type === 'ping') return this.send(client, { type: 'pong' });
    for (const topic of msg.topics) {
      if (msg.type === 'subscribe') {
        topics.add(topic);
        if (topic === 'devices') {
          this.send(client, { type: 'snapshot', topic: 'devices', devices: this.devices.devices() });
          this.watchDrivers();
        } else if (topic === 'operations') {
          this.send(client, { type: 'operations.snapshot', operations: this.operations.list() });
        } else if (topic === 'telemetry') this.startTelemetry(client, msg.vuids);
        // audit: no snapshot; GET /api/v1/events has the past.
      } else {
        topics.delete(topic);
        if (topic === 'telemetry') this.stopTelemetry(client);
        else if (topic === 'devices') this.watchDrivers();
      }
    }
  }

  private publish(topic: Topic, message: ServerMessage): void {
    const text = JSON.stringify(message);
    for (const [client, topics] of this.clients) {
      if (topics.has(topic)) this.sendText(client, text);
    }
  }

  private send(client: WebSocket, message: ServerMessage): void {
    this.sendText(client, JSON.stringify(message));
  }

  private sendText(client: WebSocket, text: string): void {
    if (client.readyState !== client.OPEN) return;
    if (client.bufferedAmount > MAX_BUFFERED) {
      this.log.warn('dropping a WebSocket client that does not keep up');
      client.terminate();
      return;
    }
    client.send(text);
  }

  onModuleDestroy(): void {
    if (this.watcher) clearInterval(this.watcher);
    for (const u of this.unsubscribe) u();
    for (const c of this.telemetry.keys()) this.stopTelemetry(c);
    for (const c of this.clients.keys()) c.close(1001, 'controller stopping');
  }
}
