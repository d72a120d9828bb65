/**
 * The device's queues: the table (counters and moderation from REST, rates
 * from the last sample) and the per-queue charts, seeded from the
 * controller's history and moved by the telemetry topic. The only part of
 * the device page a telemetry sample re-renders.
 */
import type { Device, Queue } from '@virtnet/shared';
import { useMemo } from 'react';
import { SERIES_COLOURS, TimeChart } from '../../components/Chart';
import { Panel } from '../../components/ui';
import { usePaused } from '../../lib/live-hooks';
import { FIELDS, useDeviceSeries, type DeviceSeries, type Field } from '../../lib/series';
import { CHARTS, QUEUE_COLUMNS } from './queue-columns';

function QueueCharts({ series }: { series: DeviceSeries }) {
  const labels = series.queues.map((q, i) => ({ label: `q${q.index} ${q.type}`, colour: SERIES_COLOURS[i % SERIES_COLOURS.length]! }));
  const data = useMemo(
    () => Object.fromEntries(CHARTS.map((c) => [c.field, [series.t, ...series.queues.map((q) => q.values[c.field])]])) as Record<Field, [number[], ...number[][]]>,
    [series],
  );
  return (
    <div className="grid gap-3 md:grid-cols-2 2xl:grid-cols-3" id="queue-charts">
      {CHARTS.map((c) => (
        <TimeChart key={c.field} id={`chart-${c.field}`} title={c.title} series={labels} data={data[c.field]} format={c.format} />
      ))}
    </div>
  );
}

function QueueTable({ queues, series }: { queues: Queue[]; series: DeviceSeries | null }) {
  // Each queue's rates now: the last point of its series.
  const rates = useMemo(() => {
    const m = new Map<number, Record<Field, number>>();
    for (const q of series?.queues ?? []) m.set(q.index, Object.fromEntries(FIELDS.map((f) => [f, q.values[f].at(-1) ?? 0])) as Record<Field, number>);
    return m;
  }, [series]);
  return (
    <div className="overflow-x-auto">
      <table id="queues-table" className="w-full text-xs">
        <thead className="text-left text-muted">
          <tr className="border-b border-line">
            {QUEUE_COLUMNS.map((c) => (
              <th key={c.head} className={`px-3 py-1.5 font-medium whitespace-nowrap ${c.right ? 'text-right' : ''}`}>
                {c.head}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="num font-mono whitespace-nowrap">
          {queues.map((q) => {
            const r = rates.get(q.index);
            return (
              <tr key={q.index} data-queue={q.index} className="border-b border-line/50">
                {QUEUE_COLUMNS.map((c) => (
                  <td key={c.head} data-field={c.field} title={c.title?.(q)} className={`px-3 py-1 ${c.width} ${c.right ? 'text-right' : ''} ${c.tone?.(q) ?? ''}`}>
                    {c.cell(q, r)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function QueuesPanel({ d, queues }: { d: Device; queues: Queue[] | undefined }) {
  const paused = usePaused();
  const { series, error } = useDeviceSeries(d.vuid, d.num_queues);
  return (
    <Panel title="Queues" id="queues" bodyClass="p-0">
      <QueueTable queues={queues ?? []} series={series} />
      <div className="border-t border-line p-3">
        {error ? (
          <p role="alert" className="mb-3 text-sm text-danger">
            {error}
          </p>
        ) : null}
        {series ? <QueueCharts series={series} /> : <p className="text-sm text-muted">{paused ? 'Telemetry paused while the tab is hidden.' : 'Loading history…'}</p>}
      </div>
    </Panel>
  );
}
