/** The chart data of one device: history first, then telemetry (see timeseries.ts). */
import type { TelemetryMessage } from '@virtnet/shared';
import { useEffect, useState } from 'react';
import { api } from './api';
import { live, useLive } from './live';
import { append, fromHistory, type DeviceSeries } from './timeseries';

export * from './timeseries';

export function useDeviceSeries(vuid: string, numQueues: number | undefined): { series: DeviceSeries | null; error: string | null } {
  const { paused } = useLive();
  const [series, setSeries] = useState<DeviceSeries | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (paused || numQueues === undefined) return;
    let seeded = false;
    // Samples that arrive before the history answers are kept and appended after it.
    const early: TelemetryMessage[] = [];
    const stop = live.onTelemetry((m) => {
      if (!seeded) early.push(m);
      else setSeries((s) => (s ? append(s, m, vuid) : s));
    });
    api.history(vuid).then(
      (h) => {
        let s = fromHistory(h);
        const last = s.t.at(-1) ?? 0;
        for (const m of early) if (Date.parse(m.at) / 1000 > last) s = append(s, m, vuid);
        seeded = true;
        setSeries(s);
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
    return stop;
  }, [vuid, paused, numQueues]);

  return { series, error };
}
