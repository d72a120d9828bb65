/**
 * Wire shapes of the commands that complete the real virtnet's set:
 * validate, log, update, restart, the host's SR-IOV request, and recovery
 * import and export.
 */
import { z } from 'zod';
import { PfIdSchema } from './schemas.js';

const int = () => z.number().int();

export const LOG_LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export const LogLevelSchema = z.enum(LOG_LEVEL_NAMES).describe('Log level');

export const LogParamsSchema = z.object({ level: LogLevelSchema.optional().describe('Set this level; absent: only show it') }).strict();
export const LogResultSchema = z.object({
  level: LogLevelSchema.describe('The level in effect'),
  previous: LogLevelSchema.optional().describe('The level before this call changed it'),
  format: z.enum(['json', 'journal', 'pretty']).describe('How log lines are written'),
});

/** `virtnet validate FILE`: the CLI sends the text; nothing is applied. */
export const ValidateParamsSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('conf'), path: z.string().max(4096), text: z.string().max(1 << 20) }).strict(),
    z
      .object({
        kind: z.literal('providers'),
        path: z.string().max(4096),
        files: z.array(z.object({ name: z.string().min(1).max(255), text: z.string().max(1 << 16) }).strict()).max(256),
      })
      .strict(),
  ])
  .describe('A virtnet.conf, or the files of a providers directory');

export const FindingSchema = z.object({
  key: z.string().describe('The key (virtnet.conf) or file (providers) at fault; (file) for the whole file'),
  line: int().optional(),
  message: z.string(),
});
export const ValidateResultSchema = z.object({
  path: z.string(),
  kind: z.enum(['conf', 'providers']),
  valid: z.boolean(),
  errors: z.array(FindingSchema),
  warnings: z.array(FindingSchema),
  /** conf: the options with their rules applied; providers: the provider that would run. */
  effective: z.unknown(),
});
export type ValidateResult = z.infer<typeof ValidateResultSchema>;

/** The host writes sriov_numvfs of a static PF (`virtnet host sriov`). */
export const SetVfsParamsSchema = z
  .object({
    pf_id: PfIdSchema,
    num_vfs: int().min(0, { error: 'must be at least 0' }).max(255, { error: 'must be at most 255' }).describe('VFs to enable; 0 disables them'),
  })
  .strict();
export const SetVfsResultSchema = z.object({
  pf_id: int(),
  num_vfs: int(),
  created: int().describe('VFs created by this request'),
  removed: int().describe('VFs removed by this request'),
  operation: z.string().describe('Id of the operation (GET /api/v1/operations/{id})'),
  elapsed_ms: z.number(),
});
export type SetVfsResult = z.infer<typeof SetVfsResultSchema>;

export const SriovStatusSchema = z.object({
  pfs: z.array(
    z.object({
      pf_id: int(),
      vuid: z.string(),
      total_vfs: int().describe('VFs this PF can have (sriov_totalvfs)'),
      num_vfs: int().describe('VFs enabled (sriov_numvfs)'),
      source: z.enum(['host', 'conf']).describe('Who set num_vfs last: the host, or vf.vfs_per_pf at start'),
    }),
  ),
});

export type SriovStatus = z.infer<typeof SriovStatusSchema>;

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

/** `virtnet update -t`, with the key names of the real controller. */
export const UpdateStatusSchema = z.object({
  status: z.enum(['inactive', 'active']),
  'last live update status': z.enum(['none', 'success', 'failed']),
  last_from: z.string().nullable().describe('Version the last update started from'),
  last_to: z.string().nullable().describe('Version it went to'),
  last_at: z.string().nullable(),
  last_error: z.string().nullable(),
  last_gap_ms: z.number().nullable().describe('Time the devices were not served during the last handover'),
});
export type UpdateStatus = z.infer<typeof UpdateStatusSchema>;

export const UpdateStartResultSchema = z.object({
  status: z.literal('started'),
  from: z.string(),
  to: z.string(),
  binary: z.string().describe('The controller build that takes over'),
  kind: z.enum(['update', 'restart']),
});
