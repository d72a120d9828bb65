/**
 * virtnet.conf (JSON), with the options, defaults and rules of the real
 * controller's documentation, and the DPU profile (the mlxconfig knobs that
 * size the emulated DPU).
 */
import { z } from 'zod';
import { FeaturesSchema, IbDeviceNameSchema } from './schemas.js';
import { MAC_PATTERN } from './mac.js';

/** 0/1 flags; JSON booleans are accepted too. */
const Flag = z
  .union([z.literal(0), z.literal(1), z.boolean()])
  .transform((v) => v === 1 || v === true)
  .describe('0 or 1');

/** The seed says only the length of a mac_base is checked. */
const MacBase = z.string().regex(MAC_PATTERN, { error: 'must be a MAC address like CC:48:15:FF:00:00' });

export const VirtnetConfSchema = z
  .object({
    ib_dev_p0: IbDeviceNameSchema.optional(),
    ib_dev_p1: IbDeviceNameSchema.optional(),
    ib_dev_lag: IbDeviceNameSchema.optional(),
    ib_dev_for_static_pf: IbDeviceNameSchema.optional(),
    is_lag: Flag.optional(),
    recovery: Flag.optional(),
    sf_pool_percent: z.number().int().min(0).max(100).optional(),
    sf_pool_force_destroy: Flag.optional(),
    eth_vq_workers: z.number().int().min(1).max(24).optional().describe('Data-path worker threads'),
    single_port: Flag.optional(),
    static_pf: z.object({ mac_base: MacBase.optional(), features: FeaturesSchema.optional() }).strict().optional(),
    vf: z
      .object({
        mac_base: MacBase.optional(),
        features: FeaturesSchema.optional(),
        vfs_per_pf: z.number().int().min(0).max(255).optional(),
      })
      .strict()
      .optional(),
  })
  .superRefine((c, ctx) => {
    if (c.is_lag && c.single_port)
      ctx.addIssue({ code: 'custom', path: ['single_port'], message: 'is_lag and single_port are mutually exclusive' });
    if (c.ib_dev_lag !== undefined && (c.ib_dev_p0 !== undefined || c.ib_dev_p1 !== undefined))
      ctx.addIssue({ code: 'custom', path: ['ib_dev_lag'], message: 'ib_dev_lag and ib_dev_p0/ib_dev_p1 cannot be configured together' });
    if (c.vf?.mac_base !== undefined && c.vf.vfs_per_pf === undefined)
      ctx.addIssue({ code: 'custom', path: ['vf', 'vfs_per_pf'], message: 'vfs_per_pf is mandatory when vf.mac_base is set' });
  });
export type VirtnetConfInput = z.input<typeof VirtnetConfSchema>;
export type VirtnetConf = z.output<typeof VirtnetConfSchema>;

export const KNOWN_CONF_KEYS = [
  'ib_dev_p0', 'ib_dev_p1', 'ib_dev_lag', 'ib_dev_for_static_pf', 'is_lag', 'recovery',
  'sf_pool_percent', 'sf_pool_force_destroy', 'single_port', 'static_pf', 'vf', 'eth_vq_workers',
] as const;

/** The ib devices a configuration yields, with their physical ports. */
export function ibDevicesOf(conf: VirtnetConf): { name: string; port: number; pf_num: number }[] {
  if (conf.is_lag) return [{ name: conf.ib_dev_lag ?? 'mlx5_bond_0', port: 0, pf_num: 0 }];
  const p0 = { name: conf.ib_dev_p0 ?? 'mlx5_0', port: 0, pf_num: 0 };
  if (conf.single_port) return [p0];
  return [p0, { name: conf.ib_dev_p1 ?? 'mlx5_1', port: 1, pf_num: 1 }];
}

/**
 * The emulated DPU's firmware profile, named like the mlxconfig knobs of a
 * BlueField (PCI_SWITCH_EMULATION_NUM_PORT, VIRTIO_NET_EMULATION_NUM_PF, ...).
 */
export const DpuProfileSchema = z
  .object({
    board_serial: z.string().regex(/^[A-Z0-9]{4,15}$/).default('MT2306XZ00AB'),
    PCI_SWITCH_EMULATION_NUM_PORT: z.number().int().min(0).max(32).default(16),
    VIRTIO_NET_EMULATION_NUM_PF: z.number().int().min(0).max(8).default(2),
    VIRTIO_NET_EMULATION_NUM_VF: z.number().int().min(0).max(255).default(126),
    VIRTIO_NET_EMULATION_NUM_MSIX: z.number().int().min(2).max(2048).default(64),
    VIRTIO_NET_EMULATION_NUM_VF_MSIX: z.number().int().min(2).max(2048).default(16),
    max_virt_queues: z.number().int().min(2).max(1024).default(64),
    max_queue_size: z
      .number()
      .int()
      .min(2)
      .max(32768)
      .refine((v) => (v & (v - 1)) === 0, { error: 'must be a power of two' })
      .default(32768),
    max_mtu: z.number().int().min(68).max(65535).default(9216),
    link_speed_mbps: z.number().int().min(1).default(100000),
    supported_features: FeaturesSchema.default('0x8b00037700ef982f'),
  })
  .strict();
export type DpuProfile = z.output<typeof DpuProfileSchema>;
