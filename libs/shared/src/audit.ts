/**
 * The audit log: every change, who asked for it, and how it ended.
 */
import { z } from 'zod';
import { integer } from './fields.js';

export const AuditEventSchema = z.object({
  id: integer(),
  at: z.string(),
  actor: z.string().describe("cli:USER (the OS user of the CLI that asked, from the socket's peer credentials), api or system"),
  action: z.string(),
  target: z.string().nullable(),
  result: z.enum(['ok', 'error']),
  error_code: z.string().nullable(),
  detail: z.string().nullable(),
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;
