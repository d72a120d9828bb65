/**
 * Per-queue rates for the WebSocket's telemetry topic. Samples every
 * counter of every device in one native call once a second, but only while
 * someone listens; a sample carries only the queues that moved, so idle
 * devices cost nothing on the wire. Every consumer (the topic, the charts'
 * history) reads a queue missing from a sample as idle, so the first sample
 * after the sampler starts must already carry rates: the counters read when
 * the first listener arrives are its baseline.
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { HwError, type Hardware, type HwQueueCounters } from '@virtnet/hw';
import type { TelemetryMessage } from '@virtnet/shared';
import { DeviceRegistry } from '../devices/device-registry.js';
import { queueType } from '../devices/device-view.js';
import { HARDWARE } from '../hardware/hardware.module.js';

export const TELEMETRY_INTERVAL_MS = 1000;

type Listener = (m: TelemetryMessage) => void;

/**
 * A rate as a chart and a table show it: whole units from 100 up, two
 * decimals below. Timer jitter makes 1 packet a second 0.998003992015968,
 * whose seventeen digits would be most of what a sample sends and the
 * costliest part of writing it.
 */
export function roundRate(x: number): number {
  return x >= 100 ? Math.round(x) : Math.round(x * 100) / 100;
}

@Injectable()
export class Telemetry implements OnModuleDestroy {
  private readonly listeners = new Set<Listener>();
  private timer?: NodeJS.Timeout;
  private prev = new Map<string, HwQueueCounters>();
  private prevAt = 0;

  constructor(
    @Inject(HARDWARE) private readonly hw: Hardware,
    @Inject(DeviceRegistry) private readonly devices: DeviceRegistry,
  ) {}

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (!this.timer) {
      const { at, now } = this.sample();
      this.prev = now;
      this.prevAt = at;
      this.timer = setInterval(() => this.tick(), TELEMETRY_INTERVAL_MS);
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
        this.prev.clear();
      }
    };
  }

  private sample(): { at: number; now: Map<string, HwQueueCounters> } {
    const now = new Map<string, HwQueueCounters>();
    // While the DPU is down there are no counters: the sample is empty, and
    // rates start again from the new DPU's first sample.
    let queues: HwQueueCounters[] = [];
    try {
      queues = this.hw.counters();
    } catch (e) {
      if (!(e instanceof HwError) || e.code !== 'DPU_UNAVAILABLE') throw e;
    }
    for (const q of queues) now.set(`${q.handle}/${q.qid}`, q);
    return { at: Date.now(), now };
  }

  private tick(): void {
    const { at, now } = this.sample();
    const seconds = Math.max(0.001, (at - this.prevAt) / 1000);
    const handles = this.devices.handles();
    const numQueues = new Map<number, number>();
    for (const q of now.values()) numQueues.set(q.handle, Math.max(numQueues.get(q.handle) ?? 0, q.qid + 1));
    const byDevice = new Map<string, TelemetryMessage['devices'][number]>();
    for (const [key, q] of now) {
      const p = this.prev.get(key);
      const vuid = handles.get(q.handle);
      if (!p || !vuid) continue;
      const rate = (a: number, b: number) => roundRate(Math.max(0, a - b) / seconds);
      const moved = q.packets !== p.packets || q.dropped !== p.dropped || q.kicks !== p.kicks || q.calls !== p.calls;
      if (!moved) continue;
      const entry = byDevice.get(vuid) ?? { vuid, queues: [] };
      entry.queues.push({
        index: q.qid,
        type: queueType(q.qid, numQueues.get(q.handle) ?? 0),
        pps: rate(q.packets, p.packets),
        bps: rate(q.totalBytes, p.totalBytes) * 8,
        drops_ps: rate(q.dropped, p.dropped),
        kicks_ps: rate(q.kicks, p.kicks),
        calls_ps: rate(q.calls, p.calls),
        errors: q.badDescErrors + q.exceedMaxChain + q.invalidBuffer,
      });
      byDevice.set(vuid, entry);
    }
    this.prev = now;
    this.prevAt = at;
    const message: TelemetryMessage = { type: 'telemetry', at: new Date(at).toISOString(), interval_ms: TELEMETRY_INTERVAL_MS, devices: [...byDevice.values()] };
    for (const l of this.listeners) l(message);
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.listeners.clear();
  }
}
