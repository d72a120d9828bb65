/** TelemetryHistory: columns per queue, zeros for quiet samples, error totals carried, bounded window. */
import { describe, expect, it } from 'vitest';
import type { Device, TelemetryMessage } from '@virtnet/shared';
import { EventBus } from '../../../src/common/event-bus.js';
import { HISTORY_CAPACITY, TelemetryHistory } from '../../../src/events/telemetry-history.js';
import type { Telemetry } from '../../../src/events/telemetry.js';
import type { DeviceRegistry } from '../../../src/devices/device-registry.js';

const VUID = 'MT2306XZ00ABVNETS59D0F0';

function setup() {
  let subscribed = 0;
  const telemetry = { subscribe: () => (subscribed++, () => subscribed--) } as unknown as Telemetry;
  const devices = { devices: () => [{ vuid: VUID, num_queues: 3 } as Device] } as unknown as DeviceRegistry;
  const bus = new EventBus();
  return { h: new TelemetryHistory(telemetry, devices, bus), bus, subscribed: () => subscribed };
}

const sample = (s: number, queues: TelemetryMessage['devices'][number]['queues']): TelemetryMessage => ({
  type: 'telemetry',
  at: new Date(1_000_000 + s * 1000).toISOString(),
  interval_ms: 1000,
  devices: queues.length ? [{ vuid: VUID, queues }] : [],
});
const q = (index: number, pps: number, errors = 0) => ({ index, type: index % 2 ? ('tx' as const) : ('rx' as const), pps, bps: pps * 800, drops_ps: 0, kicks_ps: pps, calls_ps: 1, errors });

describe('TelemetryHistory', () => {
  it('records while retained, and stops sampling when released', () => {
    const { h, subscribed } = setup();
    h.retain();
    h.retain();
    expect(subscribed()).toBe(1);
    h.release();
    expect(subscribed()).toBe(1);
    h.release();
    expect(subscribed()).toBe(0);
  });

  it('answers columns per queue, 0 where a queue was quiet, the error total carried forward', () => {
    const { h } = setup();
    h.record(sample(0, [q(0, 10, 2)]));
    h.record(sample(1, []));
    h.record(sample(2, [q(1, 5)]));
    const r = h.history(VUID);
    expect(r.t).toEqual([1_000_000, 1_001_000, 1_002_000]);
    expect(r.queues.map((x) => x.type)).toEqual(['rx', 'tx', 'ctrl']);
    expect(r.queues[0]).toMatchObject({ pps: [10, 0, 0], bytes_ps: [1000, 0, 0], errors: [2, 2, 2] });
    expect(r.queues[1]).toMatchObject({ pps: [0, 0, 5], kicks_ps: [0, 0, 5] });
    expect(r.queues[2]!.pps).toEqual([0, 0, 0]);
  });

  it('keeps the last 300 samples only, oldest first, and forgets a removed device', () => {
    const { h, bus } = setup();
    for (let s = 0; s < HISTORY_CAPACITY + 20; s++) h.record(sample(s, [q(0, s)]));
    const r = h.history(VUID);
    expect(r.t).toHaveLength(HISTORY_CAPACITY);
    expect(r.queues[0]!.pps[0]).toBe(20);
    expect(r.queues[0]!.pps.at(-1)).toBe(HISTORY_CAPACITY + 19);
    bus.emit('device.removed', { vuid: VUID });
    expect(h.history(VUID).queues[0]!.pps.every((v) => v === 0)).toBe(true);
  });

  it('refuses an unknown device', () => {
    const { h } = setup();
    expect(() => h.history('MT2306XZ00ABVNETS99D0F0')).toThrow(/no device with VUID/);
  });
});
