/**
 * The real controller's recovery files: one JSON file per device, named by
 * VUID (see the seed's "Controller Recovery"), imported into the database
 * (`virtnet recovery import`) and exported from it.
 */
import { z } from 'zod';
import { NoParamsSchema } from './fields.js';
import { MAC_PATTERN } from './mac.js';

export const RecoveryRecordSchema = z
  .object({
    port_ib_dev: z.string().min(1),
    pf_id: z.number().int().min(0),
    vf_id: z.number().int().min(0).optional(),
    function_type: z.enum(['pf', 'vf']),
    bdf_raw: z.number().int().min(0).max(0xffff),
    device_type: z.enum(['static', 'hotplug']),
    mac: z.string().regex(MAC_PATTERN),
    pf_num: z.number().int().min(0),
    sf_num: z.number().int().min(0),
    mq: z.number().int().min(1),
  })
  .superRefine((r, ctx) => {
    if (r.function_type === 'vf' && r.vf_id === undefined)
      ctx.addIssue({ code: 'custom', path: ['vf_id'], message: 'a VF record needs vf_id' });
    if (r.function_type === 'vf' && r.device_type === 'hotplug')
      ctx.addIssue({ code: 'custom', path: ['device_type'], message: 'VFs are never hot-plugged' });
  });
export type RecoveryRecord = z.infer<typeof RecoveryRecordSchema>;

/** One device in the real controller's recovery-file format (the seed's "Controller Recovery"). */
export const RecoveryFileSchema = z.object({ name: z.string().min(1).max(255), text: z.string().max(1 << 16) }).strict();
export const RecoveryImportParamsSchema = z.object({ files: z.array(RecoveryFileSchema).max(1024) }).strict();
export const RecoveryImportResultSchema = z.object({
  imported: z.array(z.object({ file: z.string(), vuid: z.string(), action: z.enum(['created', 'updated']), note: z.string().optional() })),
  skipped: z.array(z.object({ file: z.string(), code: z.string(), message: z.string() })),
});
export type RecoveryImportResult = z.infer<typeof RecoveryImportResultSchema>;
export const RecoveryExportResultSchema = z.object({
  files: z.array(z.object({ name: z.string(), record: z.record(z.string(), z.unknown()) })),
});

export const RECOVERY_METHODS = {
  recovery_import: { params: RecoveryImportParamsSchema, result: RecoveryImportResultSchema },
  recovery_export: { params: NoParamsSchema, result: RecoveryExportResultSchema },
} as const;
