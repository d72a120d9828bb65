/**
 * Per-queue time series of one device for its charts: seeded from the
 * controller's history (GET /devices/{vuid}/history), then one point per
 * telemetry sample. Bounded to the last 300 points (5 minutes at 1 Hz);
 * after the tab was hidden (telemetry paused) it is seeded again.
 */
import type { TelemetryHistory, TelemetryMessage } from '@virtnet/shared';

export const WINDOW = 300;
export const FIELDS = ['pps', 'bytes_ps', 'kicks_ps', 'calls_ps', 'drops_ps', 'errors'] as const;
export type Field = (typeof FIELDS)[number];

export interface QueueSeries {
  index: number;
  type: 'rx' | 'tx' | 'ctrl';
  values: Record<Field, number[]>;
}

export interface DeviceSeries {
  /** Epoch seconds (uPlot's x). */
  t: number[];
  queues: QueueSeries[];
}

export function fromHistory(h: TelemetryHistory): DeviceSeries {
  return {
    t: h.t.map((ms) => ms / 1000),
    queues: h.queues.map((q) => ({ index: q.index, type: q.type, values: Object.fromEntries(FIELDS.map((f) => [f, q[f].slice(-WINDOW)])) as Record<Field, number[]> })),
  };
}

/**
 * One telemetry sample appended; queues it does not list were quiet (0),
 * error totals carry over. A sample no newer than the last point is one
 * the series has already (the history answer and the socket both carried
 * it): appending it again would draw one second twice.
 */
export function append(s: DeviceSeries, m: TelemetryMessage, vuid: string): DeviceSeries {
  const at = Date.parse(m.at) / 1000;
  if (at <= (s.t.at(-1) ?? -Infinity)) return s;
  const d = m.devices.find((x) => x.vuid === vuid);
  const keep = <T,>(a: T[], v: T) => (a.length >= WINDOW ? [...a.slice(a.length - WINDOW + 1), v] : [...a, v]);
  return {
    t: keep(s.t, at),
    queues: s.queues.map((q) => {
      const x = d?.queues.find((y) => y.index === q.index);
      const now: Record<Field, number> = x
        ? { pps: x.pps, bytes_ps: x.bps / 8, kicks_ps: x.kicks_ps, calls_ps: x.calls_ps, drops_ps: x.drops_ps, errors: x.errors }
        : { pps: 0, bytes_ps: 0, kicks_ps: 0, calls_ps: 0, drops_ps: 0, errors: q.values.errors.at(-1) ?? 0 };
      return { ...q, values: Object.fromEntries(FIELDS.map((f) => [f, keep(q.values[f], now[f])])) as Record<Field, number[]> };
    }),
  };
}

