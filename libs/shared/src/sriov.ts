/**
 * SR-IOV of the static PFs: the host writes sriov_numvfs (`virtnet host
 * sriov -p PF N`), and each PF's state is shown without -p.
 */
import { z } from 'zod';
import { NoParamsSchema, PfIdSchema, integer } from './fields.js';

/** The host writes sriov_numvfs of a static PF (`virtnet host sriov`). */
export const SetVfsParamsSchema = z
  .object({
    pf_id: PfIdSchema,
    num_vfs: integer().min(0, { error: 'must be at least 0' }).max(255, { error: 'must be at most 255' }).describe('VFs to enable; 0 disables them'),
  })
  .strict();
export const SetVfsResultSchema = z.object({
  pf_id: integer(),
  num_vfs: integer(),
  created: integer().describe('VFs created by this request'),
  removed: integer().describe('VFs removed by this request'),
  operation: z.string().describe('Id of the operation (GET /api/v1/operations/{id})'),
  elapsed_ms: z.number(),
});
export type SetVfsResult = z.infer<typeof SetVfsResultSchema>;

export const SriovStatusSchema = z.object({
  pfs: z.array(
    z.object({
      pf_id: integer(),
      vuid: z.string(),
      total_vfs: integer().describe('VFs this PF can have (sriov_totalvfs)'),
      num_vfs: integer().describe('VFs enabled (sriov_numvfs)'),
      source: z.enum(['host', 'conf']).describe('Who set num_vfs last: the host, or vf.vfs_per_pf at start'),
    }),
  ),
});

export type SriovStatus = z.infer<typeof SriovStatusSchema>;

export const SRIOV_METHODS = {
  set_vfs: { params: SetVfsParamsSchema, result: SetVfsResultSchema },
  sriov: { params: NoParamsSchema, result: SriovStatusSchema },
} as const;
