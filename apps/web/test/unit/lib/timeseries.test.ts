import { describe, expect, it } from 'vitest';
import type { TelemetryHistory, TelemetryMessage } from '@virtnet/shared';
import { append, fromHistory, WINDOW } from '../../../src/lib/timeseries';

const VUID = 'MT2306XZ00ABVNETS132D0F0';
const history: TelemetryHistory = {
  vuid: VUID,
  interval_ms: 1000,
  capacity: 300,
  t: [1000, 2000],
  queues: [
    { index: 0, type: 'rx', pps: [1, 2], bytes_ps: [10, 20], drops_ps: [0, 0], kicks_ps: [0, 0], calls_ps: [1, 1], errors: [0, 3] },
    { index: 1, type: 'tx', pps: [5, 6], bytes_ps: [50, 60], drops_ps: [0, 0], kicks_ps: [5, 6], calls_ps: [0, 0], errors: [0, 0] },
  ],
};
const sample = (s: number, queues: TelemetryMessage['devices'][number]['queues']): TelemetryMessage => ({ type: 'telemetry', at: new Date(s * 1000).toISOString(), interval_ms: 1000, devices: [{ vuid: VUID, queues }] });

describe('chart series', () => {
  it('starts from the history in seconds and appends samples, bits to bytes', () => {
    let s = fromHistory(history);
    expect(s.t).toEqual([1, 2]);
    s = append(s, sample(3, [{ index: 1, type: 'tx', pps: 7, bps: 560, drops_ps: 0, kicks_ps: 7, calls_ps: 0, errors: 0 }]), VUID);
    expect(s.t).toEqual([1, 2, 3]);
    expect(s.queues[1]!.values.pps).toEqual([5, 6, 7]);
    expect(s.queues[1]!.values.bytes_ps).toEqual([50, 60, 70]);
    // queue 0 did not move: rates 0, the error total carried
    expect(s.queues[0]!.values.pps).toEqual([1, 2, 0]);
    expect(s.queues[0]!.values.errors).toEqual([0, 3, 3]);
  });

  it('draws a second once when the history answer and the socket both carried it', () => {
    let s = fromHistory(history);
    const tx = (pps: number) => [{ index: 1, type: 'tx' as const, pps, bps: pps * 80, drops_ps: 0, kicks_ps: pps, calls_ps: 0, errors: 0 }];
    s = append(s, sample(2, tx(6)), VUID);
    s = append(s, sample(1, tx(5)), VUID);
    expect(s.t).toEqual([1, 2]);
    // queue 0 is not in those samples: had they been appended, it would read 0 between its rates
    expect(s.queues[0]!.values.pps).toEqual([1, 2]);
    s = append(s, sample(3, tx(7)), VUID);
    expect(s.t).toEqual([1, 2, 3]);
    expect(s.queues[1]!.values.pps).toEqual([5, 6, 7]);
  });

  it('keeps at most the window', () => {
    let s = fromHistory(history);
    for (let i = 0; i < WINDOW + 10; i++) s = append(s, sample(10 + i, []), VUID);
    expect(s.t).toHaveLength(WINDOW);
    expect(s.queues[0]!.values.pps).toHaveLength(WINDOW);
    expect(s.t.at(-1)).toBe(10 + WINDOW + 9);
  });
});
