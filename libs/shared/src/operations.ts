import { z } from 'zod';
import { NoParamsSchema, VuidSchema, integer } from './fields.js';
import { ModifyDeviceFieldsSchema, ModifyQueueFieldsSchema } from './modify.js';

/**
 * A long bulk job (VFs created on a PF, a change applied to many devices):
 * its progress is streamed on the WebSocket's `operations` topic and listed
 * by GET /api/v1/operations, so the CLI and the dashboard can show it.
 */
export const OperationSchema = z.object({
  id: z.string().describe('Opaque id, unique for the controller process'),
  action: z.string().describe('What runs, e.g. set_vfs or modify_device'),
  target: z.string().nullable().describe('What it runs on, e.g. "pf 0" or "126 devices"'),
  actor: z.string().describe("cli:USER (the OS user of the CLI that asked, from the socket's peer credentials), api or system"),
  state: z.enum(['running', 'succeeded', 'failed']),
  total: integer().min(0).describe('Steps in all (devices to create, change, ...)'),
  done: integer().min(0).describe('Steps finished so far'),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable().describe('Why it failed, when it did'),
});
export type Operation = z.infer<typeof OperationSchema>;

/**
 * One change applied to many devices as an operation (POST /api/v1/operations):
 * each device is changed on its own and is one step of the operation's
 * progress; a device that refuses does not stop the others.
 */
export const BulkRequestSchema = z
  .object({
    vuids: z.array(VuidSchema).min(1, { error: 'select at least one device' }).max(4096).describe('The devices to change'),
    queue: ModifyQueueFieldsSchema.optional().describe('Interrupt moderation for every queue of each device'),
    device: ModifyDeviceFieldsSchema.optional().describe('Device settings for each device (the host driver must be unbound)'),
  })
  .strict()
  .refine((b) => (b.queue === undefined) !== (b.device === undefined), { error: 'give exactly one of queue or device', path: ['queue'] });
export type BulkRequest = z.input<typeof BulkRequestSchema>;
/** A bulk request once its schema has checked it. */
export type BulkChange = z.output<typeof BulkRequestSchema>;

export const OPERATION_METHODS = {
  operations: { params: NoParamsSchema, result: z.object({ operations: z.array(OperationSchema) }) },
} as const;
