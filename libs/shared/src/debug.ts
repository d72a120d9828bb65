/**
 * `virtnet debug`: a device's rings as the device and its driver see them,
 * and the frames where the virtqueue meets the representor, captured as
 * pcap.
 */
import { z } from 'zod';
import { SingleSelectorSchema, integer } from './fields.js';

/** Why the device refused a chain (the descriptor-error counters of `virtnet stats`, one by one). */
export const DESC_ERROR_KINDS = ['address', 'chain', 'descriptor', 'head', 'writable'] as const;

export const DescErrorSchema = z.object({
  at: z.string().describe('When (ISO 8601)'),
  head: integer().describe("The chain's head descriptor index"),
  kind: z
    .enum(DESC_ERROR_KINDS)
    .describe(
      "address: a buffer outside the driver's memory (invalid_buffer); chain: a loop, or longer than the ring allows (exceed_max_chain); descriptor: a bad next index, flags or length (bad_desc_errors); head: an index outside the ring, which breaks it; writable: a buffer of the wrong direction",
    ),
  what: z.string().describe("What was wrong, in the device's words"),
});
export type DescError = z.infer<typeof DescErrorSchema>;

const RingSide = z.object({
  avail_idx: integer().describe("split: the avail index (the driver's next entry, or the device's next to take); packed: the next descriptor position"),
  used_idx: integer().describe('split: the used index; packed: the next used position'),
  wrap: z.boolean().optional().describe('packed: the wrap counter of avail_idx'),
});

export const QueueDebugSchema = z.object({
  index: integer(),
  type: z.enum(['rx', 'tx', 'ctrl']),
  layout: z.enum(['split', 'packed']),
  size: integer(),
  enabled: z.boolean(),
  started: z.boolean(),
  broken: z.boolean().describe('The driver broke the ring: the device stopped it and asks for a reset (NEEDS_RESET)'),
  device: RingSide.extend({
    inflight: integer().describe('Chains taken and not yet given back'),
    notify: z.boolean().describe('Whether the device asks for kicks (split: no VRING_USED_F_NO_NOTIFY; packed: device event flags)'),
  }),
  driver: RingSide.extend({
    interrupts: z.enum(['on', 'off', 'event_idx']).describe('What the driver asks of used buffers: an interrupt each, none, or at used_event'),
    used_event: integer().nullable().describe('With EVENT_IDX: the used index the driver wants an interrupt at'),
  })
    .nullable()
    .describe("As in the driver's memory; null while the ring is not set up"),
  pending: integer().describe('Chains the driver made available that the device has not taken yet'),
  errors_total: integer().describe('Descriptor errors since the queue started'),
  last_errors: z.array(DescErrorSchema).describe('The latest descriptor errors, newest first'),
});
export type QueueDebug = z.infer<typeof QueueDebugSchema>;

export const DebugParamsSchema = z
  .object({
    selector: SingleSelectorSchema,
    queue_id: integer().min(0).max(1023).optional().describe('Only this queue'),
  })
  .strict();

export const DebugResultSchema = z.object({
  vuid: z.string(),
  pf_id: integer(),
  vf_id: integer().optional(),
  device_status: integer(),
  driver_features: z.string(),
  host_connected: z.boolean(),
  queues: z.array(QueueDebugSchema),
});
export type DebugResult = z.infer<typeof DebugResultSchema>;

export const CaptureParamsSchema = z
  .object({
    selector: SingleSelectorSchema,
    queue_id: integer().min(0).max(1023).optional().describe('Only this queue (default: every queue)'),
    count: integer().min(1, { error: 'must be at least 1' }).max(100_000, { error: 'must be at most 100000' }).describe('Frames to capture'),
    snaplen: integer().min(64, { error: 'must be at least 64' }).max(65535, { error: 'must be at most 65535' }).default(65535).describe('Bytes kept of each frame'),
    timeout_ms: integer().min(100, { error: 'must be at least 100 ms' }).max(600_000, { error: 'must be at most 600000 ms' }).default(10_000).describe('Give up waiting for more frames after this long'),
  })
  .strict();
export type CaptureParams = z.input<typeof CaptureParamsSchema>;

export const CaptureResultSchema = z.object({
  vuid: z.string(),
  frames: integer().describe('Frames in the file'),
  dropped: integer().describe('Frames seen while the capture buffer was full, not in the file'),
  complete: z.boolean().describe('count frames were captured (else the timeout ended it)'),
  elapsed_ms: z.number(),
  pcap: z.string().describe('The capture as a pcap file (nanosecond timestamps, Ethernet), base64'),
});
export type CaptureResult = z.infer<typeof CaptureResultSchema>;

export const DEBUG_METHODS = {
  debug: { params: DebugParamsSchema, result: DebugResultSchema },
  debug_capture: { params: CaptureParamsSchema, result: CaptureResultSchema },
} as const;
