/** The queue table's columns and the per-queue charts: what each shows and how its numbers are written. */
import type { Queue } from '@virtnet/shared';
import type { ReactNode } from 'react';
import { bytesPs, count, pps, si } from '../../lib/format';
import type { Field } from '../../lib/series';

export const CHARTS: { field: Field; title: string; format: (v: number) => string }[] = [
  { field: 'pps', title: 'Packets/s per queue', format: pps },
  { field: 'bytes_ps', title: 'Bytes/s per queue', format: (v) => si(v, 'B/s') },
  { field: 'kicks_ps', title: 'Driver notifications (kicks)/s', format: pps },
  { field: 'calls_ps', title: 'Device notifications (interrupts)/s', format: pps },
  // Totals are integers: no label between them.
  { field: 'errors', title: 'Descriptor errors (total)', format: (v) => (Number.isInteger(v) ? count(v) : '') },
  { field: 'drops_ps', title: 'Drops/s', format: pps },
];

const descErrors = (q: Queue) => q.bad_desc_errors + q.exceed_max_chain + q.invalid_buffer;

/**
 * The queue table. Each column is as wide as the widest value its format
 * gives (in ch of the monospace body, plus the cell's padding) and never
 * wraps, so the values streaming in do not move the table. Counters that
 * outgrow their width (beyond 15 digits with separators) widen it.
 */
export const QUEUE_COLUMNS: {
  head: string;
  width: string;
  right?: boolean;
  field?: string;
  cell: (q: Queue, r: Record<Field, number> | undefined) => ReactNode;
  tone?: (q: Queue) => string;
  title?: (q: Queue) => string;
}[] = [
  { head: 'queue', width: 'w-[calc(5ch+1.5rem)]', right: true, cell: (q) => q.index },
  { head: 'type', width: 'w-[calc(4ch+1.5rem)]', cell: (q) => q.type },
  { head: 'size', width: 'w-[calc(5ch+1.5rem)]', right: true, cell: (q) => q.size },
  {
    head: 'state',
    width: 'w-[calc(7ch+1.5rem)]',
    cell: (q) => (q.broken ? 'broken' : q.started ? 'started' : q.enable ? 'enabled' : 'idle'),
    tone: (q) => (q.broken ? 'text-danger' : q.started ? 'text-accent' : 'text-muted'),
  },
  { head: 'MSI-X', width: 'w-[calc(5ch+1.5rem)]', right: true, cell: (q) => q.msix_vector },
  { head: 'avail / used', width: 'w-[calc(13ch+1.5rem)]', cell: (q) => `${q.hw_available_index} / ${q.hw_used_index}` },
  { head: 'packets', width: 'w-[calc(15ch+1.5rem)]', right: true, field: 'packets', cell: (q) => count(q.packets) },
  { head: 'bytes', width: 'w-[calc(15ch+1.5rem)]', right: true, field: 'bytes', cell: (q) => count(q.total_bytes) },
  // Rates: pps() is at most "999.99k" (7), bytesPs() "999.99 MB/s" (11).
  { head: 'pkt/s', width: 'w-[calc(7ch+1.5rem)]', right: true, field: 'pps', cell: (_q, r) => pps(r?.pps) },
  { head: 'bytes/s', width: 'w-[calc(11ch+1.5rem)]', right: true, field: 'bytes_ps', cell: (_q, r) => bytesPs(r?.bytes_ps) },
  { head: 'kicks/s', width: 'w-[calc(7ch+1.5rem)]', right: true, field: 'kicks_ps', cell: (_q, r) => pps(r?.kicks_ps) },
  { head: 'calls/s', width: 'w-[calc(7ch+1.5rem)]', right: true, field: 'calls_ps', cell: (_q, r) => pps(r?.calls_ps) },
  { head: 'drops', width: 'w-[calc(9ch+1.5rem)]', right: true, cell: (q) => count(q.dropped) },
  {
    head: 'desc errors',
    width: 'w-[calc(9ch+1.5rem)]',
    right: true,
    cell: (q) => count(descErrors(q)),
    tone: (q) => (descErrors(q) ? 'text-danger' : ''),
    title: (q) => `bad_desc ${q.bad_desc_errors}, exceed_max_chain ${q.exceed_max_chain}, invalid_buffer ${q.invalid_buffer}`,
  },
  { head: 'moderation', width: 'w-[calc(21ch+1.5rem)]', cell: (q) => `${q.rq_cq_period_mode} ${q.rq_cq_period} µs / ${q.rq_cq_max_count}` },
];
