/**
 * Per-queue packet counters and the size histogram (`virtnet stats`).
 */
import { z } from 'zod';
import { SingleSelectorSchema, integer } from './fields.js';

export const StatsParamsSchema = z
  .object({
    selector: SingleSelectorSchema,
    queue_id: integer().min(0).max(1023).optional().describe('Only this queue'),
  })
  .strict();

/** Packet-size buckets of `virtnet stats`, prefixed rx_ or tx_ by the queue's direction. */
export const SIZE_BUCKETS = [
  '64_or_less_octet_packets',
  '65_to_127_octet_packets',
  '128_to_255_octet_packets',
  '256_to_511_octet_packets',
  '512_to_1023_octet_packets',
  '1024_to_1522_octet_packets',
  '1523_to_2047_octet_packets',
  '2048_or_more_octet_packets',
] as const;

type SizeBucket = (typeof SIZE_BUCKETS)[number];
type HistogramShape = Record<`rx_${SizeBucket}` | `tx_${SizeBucket}`, z.ZodOptional<z.ZodNumber>>;
const histogramShape = Object.fromEntries(
  (['rx_', 'tx_'] as const).flatMap((p) => SIZE_BUCKETS.map((b) => [`${p}${b}`, integer().optional()])),
) as HistogramShape;

export const QueueStatsSchema = z
  .object({
    index: integer(),
    type: z.enum(['rx', 'tx', 'ctrl']),
    packets: integer(),
    bytes: integer(),
    dropped: integer(),
    oversized: integer().describe('TX frames longer than the device MTU allows, dropped'),
    received_desc: integer(),
    completed_desc: integer(),
    bad_desc_errors: integer(),
    exceed_max_chain: integer(),
    invalid_buffer: integer(),
    error_cqes: integer(),
    kicks: integer(),
    calls: integer(),
    ...histogramShape,
  })
  .describe('Counters of one queue, with the size histogram as rx_/tx_<bucket> fields');
export type QueueStats = z.infer<typeof QueueStatsSchema>;

export const StatsResultSchema = z.object({ vuid: z.string(), pf_id: integer(), vf_id: integer().optional(), queues: z.array(QueueStatsSchema) });
export type StatsResult = z.infer<typeof StatsResultSchema>;

export const STATS_METHODS = {
  stats: { params: StatsParamsSchema, result: StatsResultSchema },
} as const;
