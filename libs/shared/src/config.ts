/**
 * virtnet.conf (JSON), with the options, defaults and rules of the real
 * controller's documentation, and the DPU profile (the mlxconfig knobs that
 * size the emulated DPU).
 */
import { z } from 'zod';
import { FeaturesSchema, IbDeviceNameSchema } from './fields.js';
import { MAC_PATTERN } from './mac.js';

/** 0/1 flags; JSON booleans are accepted too. */
const Flag = z
  .union([z.literal(0), z.literal(1), z.boolean()], { error: 'must be 0 or 1' })
  .transform((v) => v === 1 || v === true)
  .describe('0 or 1');

/** The seed says the controller checks nothing of a mac_base but its length. */
const MacBase = z
  .string({ error: 'must be a string like "CC:48:15:FF:00:00"' })
  .refine((m) => m.length === 17, { error: 'must be 17 characters: six two-digit hex octets separated by colons, like CC:48:15:FF:00:00' })
  .refine((m) => m.length !== 17 || MAC_PATTERN.test(m), { error: 'must be six two-digit hex octets separated by colons, like CC:48:15:FF:00:00' });

const Workers = (max: number) => z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).max(max, { error: `must be at most ${max}` });

export const StaticPfConfSchema = z
  .object({
    mac_base: MacBase.optional().describe('MAC of static PF 0; PF n gets mac_base + n'),
    features: FeaturesSchema.optional().describe('Features every static PF offers (default: the controller default set)'),
  })
  .strict();

export const VfConfSchema = z
  .object({
    mac_base: MacBase.optional().describe('MAC of the first VF; the next ones count up from it'),
    features: FeaturesSchema.optional().describe('Features every VF offers (default: the controller default set)'),
    vfs_per_pf: z
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number' })
      .min(0, { error: 'must be at least 0' })
      .max(255, { error: 'must be at most 255' })
      .optional()
      .describe('VFs on each PF; at most VIRTIO_NET_EMULATION_NUM_VF'),
  })
  .strict();

/** An OVS bridge name: also the name of its internal port's netdev, hence at most 15 characters. */
export const OvsBridgeSchema = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/, { error: 'must be an Open vSwitch bridge name: 1 to 15 of A-Z a-z 0-9 _ . - (it names a netdev)' });

/** A network namespace name (ip-netns(8): a file under /run/netns), at most 15 characters as the DPU holds it. */
export const NetnsSchema = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/, { error: 'must be a network namespace name: 1 to 15 of A-Z a-z 0-9 _ . - (a file under /run/netns)' });

export const VirtnetConfSchema = z
  .object({
    ib_dev_p0: IbDeviceNameSchema.optional(),
    ib_dev_p1: IbDeviceNameSchema.optional(),
    ib_dev_lag: IbDeviceNameSchema.optional(),
    ib_dev_for_static_pf: IbDeviceNameSchema.optional(),
    is_lag: Flag.optional(),
    recovery: Flag.optional().describe('0: devices are not recreated at start (default 1)'),
    sf_pool_percent: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(0, { error: 'must be in [0, 100]' }).max(100, { error: 'must be in [0, 100]' }).optional(),
    sf_pool_force_destroy: Flag.optional(),
    eth_vq_workers: Workers(24).optional().describe('Data-path worker threads'),
    admin_cmd_workers: Workers(16).optional(),
    dpa_core_start: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(0).max(255).optional().describe('First DPA core the dpa provider uses'),
    dpa_core_end: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(0).max(255).optional().describe('Last DPA core the dpa provider uses'),
    lm_prov: z.string({ error: 'must be a string' }).optional(),
    mrg_rxbuf: Flag.optional().describe('1: new devices offer VIRTIO_NET_F_MRG_RXBUF'),
    packed_vq: Flag.optional().describe('1: new devices offer VIRTIO_F_RING_PACKED'),
    single_port: Flag.optional(),
    static_pf: StaticPfConfSchema.optional(),
    vf: VfConfSchema.optional(),
    ovs_bridge: OvsBridgeSchema.optional().describe('Open vSwitch bridge each new representor joins (and leaves at unplug)'),
    netns: NetnsSchema.optional().describe("Network namespace the TAP representors live in, created when missing (as a DPU's Arm OS has its own netdevs)"),
  })
  .superRefine((c, ctx) => {
    if (c.is_lag && c.single_port)
      ctx.addIssue({ code: 'custom', path: ['single_port'], message: 'is_lag and single_port are mutually exclusive' });
    if (c.ib_dev_lag !== undefined && (c.ib_dev_p0 !== undefined || c.ib_dev_p1 !== undefined))
      ctx.addIssue({ code: 'custom', path: ['ib_dev_lag'], message: 'ib_dev_lag and ib_dev_p0/ib_dev_p1 cannot be configured together' });
    if (c.single_port && c.ib_dev_p1 !== undefined)
      ctx.addIssue({ code: 'custom', path: ['ib_dev_p1'], message: 'a single-port NIC has no port 1: remove ib_dev_p1 or single_port' });
    if (c.vf?.mac_base !== undefined && c.vf.vfs_per_pf === undefined)
      ctx.addIssue({ code: 'custom', path: ['vf', 'vfs_per_pf'], message: 'vfs_per_pf is mandatory when vf.mac_base is set' });
    if ((c.dpa_core_start === undefined) !== (c.dpa_core_end === undefined))
      ctx.addIssue({ code: 'custom', path: [c.dpa_core_start === undefined ? 'dpa_core_start' : 'dpa_core_end'], message: 'dpa_core_start and dpa_core_end go together' });
    else if (c.dpa_core_start !== undefined && c.dpa_core_end !== undefined && c.dpa_core_end < c.dpa_core_start)
      ctx.addIssue({ code: 'custom', path: ['dpa_core_end'], message: 'must not be below dpa_core_start' });
    if (c.netns !== undefined && c.ovs_bridge !== undefined)
      ctx.addIssue({ code: 'custom', path: ['netns'], message: "netns and ovs_bridge cannot go together: ovs-vswitchd adds ports from the machine's namespace only" });
    const staticPf = staticPfIbDeviceProblem(c);
    if (staticPf) ctx.addIssue({ code: 'custom', path: [staticPf.key], message: staticPf.message });
  });
export type VirtnetConfInput = z.input<typeof VirtnetConfSchema>;
export type VirtnetConf = z.output<typeof VirtnetConfSchema>;

export const KNOWN_CONF_KEYS = Object.keys(VirtnetConfSchema.shape) as readonly string[];
export const KNOWN_SECTION_KEYS = {
  static_pf: Object.keys(StaticPfConfSchema.shape),
  vf: Object.keys(VfConfSchema.shape),
} as const;

/** One finding: the key it is about (or `(file)`), where, and what. */
export interface ConfFinding {
  key: string;
  line?: number;
  message: string;
}

/** The ib device static PFs live on: ib_dev_for_static_pf, else the configuration's first. */
export function staticPfIbDevice(conf: Pick<VirtnetConf, 'ib_dev_for_static_pf' | 'is_lag' | 'ib_dev_lag' | 'ib_dev_p0' | 'ib_dev_p1' | 'single_port'>): string {
  return conf.ib_dev_for_static_pf ?? ibDevicesOf(conf)[0]!.name;
}

function staticPfIbDeviceProblem(conf: Parameters<typeof staticPfIbDevice>[0]): ConfFinding | null {
  const ib = ibDevicesOf(conf);
  if (conf.ib_dev_for_static_pf === undefined || ib.some((d) => d.name === conf.ib_dev_for_static_pf)) return null;
  return {
    key: 'ib_dev_for_static_pf',
    message: `'${conf.ib_dev_for_static_pf}' is not one of this configuration's ib devices (${ib.map((d) => d.name).join(', ')})${conf.is_lag ? '; with is_lag, static PFs live on the lag device' : ''}`,
  };
}

/**
 * Rules that need the DPU's inventory: vfs_per_pf cannot exceed the VFs the
 * firmware reserves per PF (VIRTIO_NET_EMULATION_NUM_VF), and VFs need a
 * static PF. The static PFs' ib device is checked again here for callers
 * that built the configuration without the schema.
 */
export function checkConfAgainstProfile(conf: VirtnetConf, profile: DpuProfile): ConfFinding[] {
  const out: ConfFinding[] = [];
  const staticPf = staticPfIbDeviceProblem(conf);
  if (staticPf) out.push(staticPf);
  const vfs = conf.vf?.vfs_per_pf;
  if (vfs !== undefined && vfs > profile.VIRTIO_NET_EMULATION_NUM_VF)
    out.push({ key: 'vf.vfs_per_pf', message: `${vfs} exceeds the ${profile.VIRTIO_NET_EMULATION_NUM_VF} VFs per PF of this DPU (VIRTIO_NET_EMULATION_NUM_VF)` });
  if (vfs !== undefined && vfs > 0 && profile.VIRTIO_NET_EMULATION_NUM_PF === 0)
    out.push({ key: 'vf.vfs_per_pf', message: 'this DPU has no static PF to put VFs on (VIRTIO_NET_EMULATION_NUM_PF is 0)' });
  return out;
}

/** The ib devices a configuration yields, with their physical ports. */
export function ibDevicesOf(conf: Pick<VirtnetConf, 'is_lag' | 'ib_dev_lag' | 'ib_dev_p0' | 'ib_dev_p1' | 'single_port'>): { name: string; port: number; pf_num: number }[] {
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
