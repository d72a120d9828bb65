import { z } from 'zod';
import { integer } from './fields.js';

/**
 * Per-queue rates of one device over the last minutes, one column per
 * field (the layout time-series charts take). `t` is in epoch milliseconds;
 * a queue that did not move in a sample reads 0 there.
 */
export const QueueHistorySchema = z.object({
  index: integer(),
  type: z.enum(['rx', 'tx', 'ctrl']),
  pps: z.array(z.number()).describe('Packets per second'),
  bytes_ps: z.array(z.number()).describe('Bytes per second'),
  drops_ps: z.array(z.number()),
  kicks_ps: z.array(z.number()).describe('Driver notifications to the device per second'),
  calls_ps: z.array(z.number()).describe('Device notifications (interrupts) to the driver per second'),
  errors: z.array(z.number()).describe('Descriptor errors so far (bad_desc_errors + exceed_max_chain + invalid_buffer)'),
});
export const TelemetryHistorySchema = z.object({
  vuid: z.string(),
  interval_ms: integer(),
  capacity: integer().describe('Samples kept per queue'),
  t: z.array(z.number()),
  queues: z.array(QueueHistorySchema),
});
export type TelemetryHistory = z.infer<typeof TelemetryHistorySchema>;
