/**
 * The last five minutes of per-queue rates, so a chart opened now starts
 * full instead of empty (GET /api/v1/devices/{vuid}/history), then follows
 * the WebSocket's telemetry topic.
 *
 * It records while a dashboard is connected (any WebSocket client) or for
 * five minutes after a history request, by listening to the same 1 Hz
 * sampler as the telemetry topic: no extra native call. With nobody
 * watching it neither samples nor costs anything. Memory is bounded: 300
 * samples; a queue gets its ring (6 columns x 300 float32 = 7.2 KB) the
 * first time it moves, so idle queues cost nothing and 1,600 busy queues
 * (535 devices) cost about 11.5 MB.
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { VirtnetError, type TelemetryHistory as History, type TelemetryMessage } from '@virtnet/shared';
import { DeviceRegistry } from '../devices/device-registry.js';
import { queueType } from '../devices/device-view.js';
import { EventBus } from '../common/event-bus.js';
import { Telemetry, TELEMETRY_INTERVAL_MS } from './telemetry.js';

export const HISTORY_CAPACITY = 300;
/** How long a history request keeps the recording on without a dashboard connected. */
const REQUEST_KEEPALIVE_MS = 5 * 60_000;

const COLUMNS = ['pps', 'bytes_ps', 'drops_ps', 'kicks_ps', 'calls_ps', 'errors'] as const;
const ERRORS = COLUMNS.indexOf('errors');

@Injectable()
export class TelemetryHistory implements OnModuleDestroy {
  private readonly t = new Float64Array(HISTORY_CAPACITY);
  /** vuid -> queue index -> COLUMNS.length x CAPACITY values, column-major. */
  private readonly rings = new Map<string, Map<number, Float32Array>>();
  /** Samples written so far; the next goes to written % CAPACITY. */
  private written = 0;
  private holders = 0;
  private keepalive?: NodeJS.Timeout;
  private stop?: () => void;
  private readonly unsubscribe: () => void;

  constructor(
    @Inject(Telemetry) private readonly telemetry: Telemetry,
    @Inject(DeviceRegistry) private readonly devices: DeviceRegistry,
    @Inject(EventBus) events: EventBus,
  ) {
    this.unsubscribe = events.on('device.removed', ({ vuid }) => this.rings.delete(vuid));
  }

  /** Someone watches (a dashboard connected): record until release(). */
  retain(): void {
    this.holders++;
    this.update();
  }

  release(): void {
    this.holders = Math.max(0, this.holders - 1);
    this.update();
  }

  private update(): void {
    const wanted = this.holders > 0 || this.keepalive !== undefined;
    if (wanted && !this.stop) this.stop = this.telemetry.subscribe((m) => this.record(m));
    else if (!wanted && this.stop) {
      this.stop();
      this.stop = undefined;
    }
  }

  /** Exposed for tests: one telemetry sample. */
  record(m: TelemetryMessage): void {
    const slot = this.written % HISTORY_CAPACITY;
    const prev = (slot + HISTORY_CAPACITY - 1) % HISTORY_CAPACITY;
    this.t[slot] = Date.parse(m.at);
    // Queues absent from the sample did not move: rates 0, error total unchanged.
    for (const queues of this.rings.values()) {
      for (const ring of queues.values()) {
        for (let c = 0; c < COLUMNS.length; c++) ring[c * HISTORY_CAPACITY + slot] = c === ERRORS && this.written > 0 ? ring[c * HISTORY_CAPACITY + prev]! : 0;
      }
    }
    for (const d of m.devices) {
      let queues = this.rings.get(d.vuid);
      if (!queues) this.rings.set(d.vuid, (queues = new Map()));
      for (const q of d.queues) {
        let ring = queues.get(q.index);
        if (!ring) queues.set(q.index, (ring = new Float32Array(COLUMNS.length * HISTORY_CAPACITY)));
        const values = [q.pps, q.bps / 8, q.drops_ps, q.kicks_ps, q.calls_ps, q.errors];
        values.forEach((v, c) => (ring[c * HISTORY_CAPACITY + slot] = v));
      }
    }
    this.written++;
  }

  /** The recorded window of one device, oldest sample first; every queue of the device is listed. */
  history(vuid: string): History {
    const device = this.devices.devices().find((d) => d.vuid === vuid);
    if (!device) throw new VirtnetError('DEVICE_NOT_FOUND', `no device with VUID ${vuid}`, 'vuid');
    clearTimeout(this.keepalive);
    this.keepalive = setTimeout(() => {
      this.keepalive = undefined;
      this.update();
    }, REQUEST_KEEPALIVE_MS);
    this.keepalive.unref();
    this.update();
    const n = Math.min(this.written, HISTORY_CAPACITY);
    const first = this.written - n;
    const order = Array.from({ length: n }, (_, i) => (first + i) % HISTORY_CAPACITY);
    const queues = this.rings.get(vuid);
    return {
      vuid,
      interval_ms: TELEMETRY_INTERVAL_MS,
      capacity: HISTORY_CAPACITY,
      t: order.map((s) => this.t[s]!),
      queues: Array.from({ length: device.num_queues }, (_, index) => {
        const ring = queues?.get(index);
        const column = (c: number) => (ring ? order.map((s) => ring[c * HISTORY_CAPACITY + s]!) : order.map(() => 0));
        return {
          index,
          type: queueType(index, device.num_queues),
          pps: column(0),
          bytes_ps: column(1),
          drops_ps: column(2),
          kicks_ps: column(3),
          calls_ps: column(4),
          errors: column(5),
        };
      }),
    };
  }

  onModuleDestroy(): void {
    clearTimeout(this.keepalive);
    this.stop?.();
    this.unsubscribe();
  }
}
