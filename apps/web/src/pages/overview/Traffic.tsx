/**
 * Every device's traffic together: the figures now and the last five
 * minutes as a chart. The only parts of the overview a telemetry sample
 * re-renders.
 */
import { useEffect, useState } from 'react';
import { TimeChart } from '../../components/Chart';
import { Stat } from '../../components/ui';
import { bytesPs, pps } from '../../lib/format';
import { live } from '../../lib/live';
import { useTotals } from '../../lib/live-hooks';

const TOTALS_WINDOW = 300;
const TOTAL_SERIES = [
  { label: 'RX', colour: '#16a34a' },
  { label: 'TX', colour: '#2563eb' },
];

export function TrafficStat({ dir }: { dir: 'rx' | 'tx' }) {
  const totals = useTotals();
  const [p, b] = dir === 'rx' ? [totals.rxPps, totals.rxBps] : [totals.txPps, totals.txBps];
  return <Stat label={`${dir.toUpperCase()} now`} id={`stat-${dir}`} value={`${pps(p)} pkt/s`} sub={bytesPs(b)} />;
}

/** Kept while the page is open, from the samples that arrive. */
function useTotalsHistory() {
  const [data, setData] = useState<[number[], number[], number[]]>([[], [], []]);
  useEffect(
    () =>
      live.onTelemetry((m) => {
        let rx = 0;
        let tx = 0;
        for (const d of m.devices) for (const q of d.queues) if (q.type === 'rx') rx += q.pps;
        else if (q.type === 'tx') tx += q.pps;
        setData(([t, r, x]) => {
          const keep = (a: number[], v: number) => [...a.slice(-(TOTALS_WINDOW - 1)), v];
          return [keep(t, Date.parse(m.at) / 1000), keep(r, rx), keep(x, tx)];
        });
      }),
    [],
  );
  return data;
}

export function TotalsChart() {
  const totals = useTotalsHistory();
  return <TimeChart id="chart-totals" title="All devices, packets/s" series={TOTAL_SERIES} data={totals} format={pps} height={140} />;
}
