/**
 * Hot-plug and unplug of a virtio-net PF (`virtnet hotplug`, `virtnet unplug`).
 */
import { z } from 'zod';
import { FeaturesSchema, IbDeviceNameSchema, MacSchema, SingleSelectorSchema, integer } from './fields.js';

export const HotplugRequestSchema = z
  .object({
    ib_device: IbDeviceNameSchema,
    mac: MacSchema,
    mtu: integer().min(68, { error: 'must be at least 68' }).max(65535, { error: 'must be at most 65535' }).describe('MTU in bytes'),
    num_queues: integer()
      .min(2, { error: 'must be at least 2 (one RX and one TX queue)' })
      .max(1024, { error: 'must be at most 1024' })
      .describe('Virtqueues: RX/TX pairs, plus the control queue when odd'),
    max_queue_size: integer()
      .min(2, { error: 'must be a power of two, at least 2' })
      .max(32768, { error: 'must be at most 32768' })
      .refine((v) => (v & (v - 1)) === 0, { error: 'must be a power of two' })
      .describe('Entries per virtqueue (power of two)'),
    features: FeaturesSchema.default('0x0').describe('Feature bits added to the default set'),
    sf_num: integer().min(0).max(99999).optional().describe('SF number; chosen from the hot-plug band when absent'),
    legacy: z.boolean().default(false).describe('Transitional device (virtio 0.95 interface too)'),
  })
  .strict();
export type HotplugRequest = z.input<typeof HotplugRequestSchema>;

export const HotplugResultSchema = z.object({
  bdf: z.string(),
  id: integer().describe('pf_id of the new device'),
  transitional: z.union([z.literal(0), z.literal(1)]),
  sf_rep_net_device: z.string(),
  mac: z.string(),
  vuid: z.string(),
});
export type HotplugResult = z.infer<typeof HotplugResultSchema>;

export const UnplugParamsSchema = z.object({ selector: SingleSelectorSchema }).strict();

export const UnplugResultSchema = z.object({ vuid: z.string(), pf_id: integer(), bdf: z.string(), status: z.literal('unplugged') });

export const HOTPLUG_METHODS = {
  hotplug: { params: HotplugRequestSchema, result: HotplugResultSchema },
  unplug: { params: UnplugParamsSchema, result: UnplugResultSchema },
} as const;
