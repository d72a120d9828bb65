/**
 * Live update (`virtnet update -s|-t`) and fast restart (`virtnet restart`):
 * a new controller process takes the devices over.
 */
import { z } from 'zod';
import { NoParamsSchema } from './fields.js';

/** `virtnet update -t`, with the key names of the real controller. */
export const UpdateStatusSchema = z.object({
  status: z.enum(['inactive', 'active']),
  'last live update status': z.enum(['none', 'success', 'failed']),
  last_from: z.string().nullable().describe('Version the last update started from'),
  last_to: z.string().nullable().describe('Version it went to'),
  last_at: z.string().nullable(),
  last_error: z.string().nullable(),
  last_gap_ms: z.number().nullable().describe('Time no controller answered during the last handover (the data path runs on in the DPU process)'),
  last_reconnects: z.number().nullable().describe('Host connections that dropped during the last handover (0: every driver stayed attached)'),
});
export type UpdateStatus = z.infer<typeof UpdateStatusSchema>;

export const UpdateStartResultSchema = z.object({
  status: z.literal('started'),
  from: z.string(),
  to: z.string(),
  binary: z.string().describe('The controller build that takes over'),
  kind: z.enum(['update', 'restart']),
});

export const UPDATE_METHODS = {
  update_start: { params: NoParamsSchema, result: UpdateStartResultSchema },
  update_status: { params: NoParamsSchema, result: UpdateStatusSchema },
  restart: { params: NoParamsSchema, result: UpdateStartResultSchema },
} as const;
