/** Telemetry: rates from the first sample on, only queues that moved, the sampler idle without listeners. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Hardware, HwQueueCounters } from '@virtnet/hw';
import type { TelemetryMessage } from '@virtnet/shared';
import type { DeviceRegistry } from '../../../src/devices/device-registry.js';
import { roundRate, Telemetry, TELEMETRY_INTERVAL_MS } from '../../../src/events/telemetry.js';

const VUID = 'MT2306XZ00ABVNETS132D0F0';

/** One device (handle 7) with an RX and a TX queue; `traffic` says how many frames each moves per second. */
function setup() {
  const traffic = [0, 0];
  const packets = [0, 0];
  let reads = 0;
  let last = Date.now();
  const counters = (qid: number): HwQueueCounters =>
    ({ handle: 7, qid, packets: packets[qid]!, totalBytes: packets[qid]! * 100, dropped: 0, kicks: packets[qid]!, calls: 0, badDescErrors: 0, exceedMaxChain: 0, invalidBuffer: 0 }) as HwQueueCounters;
  const hw = {
    counters: () => {
      // The queues move with the clock, as the data path does between two reads.
      const now = Date.now();
      for (const q of [0, 1]) packets[q]! += (traffic[q]! * (now - last)) / 1000;
      last = now;
      reads++;
      return [counters(0), counters(1)];
    },
  } as unknown as Hardware;
  const devices = { handles: () => new Map([[7, VUID]]) } as unknown as DeviceRegistry;
  return { telemetry: new Telemetry(hw, devices), traffic, reads: () => reads };
}

const rates = (m: TelemetryMessage | undefined) => m?.devices.find((d) => d.vuid === VUID)?.queues.map((q) => [q.index, q.pps]);

describe('Telemetry', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends the rates of a moving queue in the very first sample after it starts', () => {
    const { telemetry, traffic } = setup();
    traffic[1] = 5000; // bulk TX already running when a dashboard connects
    const got: TelemetryMessage[] = [];
    const stop = telemetry.subscribe((m) => got.push(m));
    vi.advanceTimersByTime(TELEMETRY_INTERVAL_MS);
    // Not an empty sample: that would read as "every queue idle" and draw a zero on every chart.
    expect(rates(got[0])).toEqual([[1, 5000]]);
    vi.advanceTimersByTime(TELEMETRY_INTERVAL_MS);
    expect(rates(got[1])).toEqual([[1, 5000]]);
    stop();
  });

  it('starts from a new baseline after every listener went and one came back', () => {
    const { telemetry, traffic } = setup();
    traffic[0] = 200;
    const first = telemetry.subscribe(() => undefined);
    vi.advanceTimersByTime(3 * TELEMETRY_INTERVAL_MS);
    first();
    // Nobody listens for a while; frames keep moving, and must not be counted as one second's worth.
    vi.advanceTimersByTime(10 * TELEMETRY_INTERVAL_MS);
    const got: TelemetryMessage[] = [];
    const second = telemetry.subscribe((m) => got.push(m));
    vi.advanceTimersByTime(TELEMETRY_INTERVAL_MS);
    expect(rates(got[0])).toEqual([[0, 200]]);
    second();
  });

  it('leaves out queues that did not move, and reads nothing while nobody listens', () => {
    const { telemetry, traffic, reads } = setup();
    const got: TelemetryMessage[] = [];
    const stop = telemetry.subscribe((m) => got.push(m));
    vi.advanceTimersByTime(TELEMETRY_INTERVAL_MS);
    expect(got[0]!.devices).toEqual([]);
    traffic[0] = 10;
    vi.advanceTimersByTime(TELEMETRY_INTERVAL_MS);
    expect(rates(got[1])).toEqual([[0, 10]]);
    stop();
    const before = reads();
    vi.advanceTimersByTime(5 * TELEMETRY_INTERVAL_MS);
    expect(reads()).toBe(before);
  });
});

describe('roundRate', () => {
  it('keeps whole units from 100 up and two decimals below', () => {
    expect(roundRate(0.998003992015968)).toBe(1);
    expect(roundRate(0.4567)).toBe(0.46);
    expect(roundRate(99.994)).toBe(99.99);
    expect(roundRate(782.435129740519)).toBe(782);
    expect(roundRate(9_999_999_999.6)).toBe(10_000_000_000);
    expect(roundRate(0)).toBe(0);
  });
});
