/** The chart data of one device: history first, then telemetry (see timeseries.ts). */
import type { TelemetryMessage } from '@virtnet/shared';
import { useEffect, useState } from 'react';
import { api } from './api';
import { live } from './live';
import { usePaused } from './live-hooks';
import { append, fromHistory, type DeviceSeries } from './timeseries';

export * from './timeseries';

export function useDeviceSeries(vuid: string, numQueues: number | undefined): { series: DeviceSeries | null; error: string | null } {
  const paused = usePaused();
  const [series, setSeries] = useState<DeviceSeries | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (paused || numQueues === undefined) return;
    // An answer that arrives after this effect was replaced (tab hidden and shown, another device) is stale.
    let current = true;
    let seeded = false;
    // Samples that arrive before the history answers are kept and appended after it.
    const early: TelemetryMessage[] = [];
    const stop = live.onTelemetry((m) => {
      if (!seeded) early.push(m);
      else setSeries((s) => (s ? append(s, m, vuid) : s));
    });
    api.history(vuid).then(
      (h) => {
        if (!current) return;
        let s = fromHistory(h);
        for (const m of early) s = append(s, m, vuid);
        seeded = true;
        setSeries(s);
        setError(null);
      },
      (e: Error) => current && setError(e.message),
    );
    return () => {
      current = false;
      stop();
    };
  }, [vuid, paused, numQueues]);

  return { series, error };
}
