/**
 * A recovery record in the real controller's format: one JSON file per
 * device, named by VUID (see the seed's "Controller Recovery").
 */
import { z } from 'zod';
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
