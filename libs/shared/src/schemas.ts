/**
 * One zod schema per wire shape. The controller validates requests with
 * them, the CLI validates flags with them before sending, and the dashboard
 * validates forms and responses with them. Field names follow the real
 * virtnet CLI (pf_id, vuid, sf_rep_net_device, ...).
 */
import { z } from 'zod';
import { FEATURES_HEX } from './features.js';
import { isMacString, isUnicastMac } from './mac.js';
import { VUID_PATTERN } from './pci.js';

const int = () => z.number().int();

export const MacSchema = z
  .string()
  .refine(isMacString, { error: 'must be six hex octets like 0C:C4:7A:FF:22:93' })
  .refine((m) => !isMacString(m) || isUnicastMac(m), {
    error: 'must be a unicast address (first octet even) and not all zeros',
  })
  .describe('MAC address, six hex octets separated by colons');

export const FeaturesSchema = z
  .string()
  .regex(FEATURES_HEX, { error: 'must be a hex number like 0x80000 (at most 16 digits)' })
  .describe('Virtio feature bits as a hex string');

export const VuidSchema = z
  .string()
  .regex(VUID_PATTERN, { error: 'is not a VUID of this controller (like MT2306XZ00ABVNETS132D0F0)' })
  .describe('Virtio unique identifier of a device');

export const IbDeviceNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_]{1,15}$/, { error: 'must be an ib device name like mlx5_0 (letters, digits, _; at most 15)' })
  .describe('RDMA (ib) device of the DPU, e.g. mlx5_0');

export const PfIdSchema = int().min(0).max(1023).describe('Physical function id (static PFs first, then hot-plugged)');
export const VfIdSchema = int().min(0).max(1023).describe('Virtual function id under its PF');

/** How a command names its devices: -p/-v, -u, or -a for all. */
export const SelectorSchema = z
  .object({
    pf_id: PfIdSchema.optional(),
    vf_id: VfIdSchema.optional(),
    vuid: VuidSchema.optional(),
    all: z.boolean().optional().describe('Every device'),
  })
  .strict()
  .superRefine((s, ctx) => {
    const ways = [s.pf_id !== undefined, s.vuid !== undefined, s.all === true].filter(Boolean).length;
    if (ways !== 1)
      ctx.addIssue({ code: 'custom', message: 'name the device with exactly one of pf_id (-p), vuid (-u) or all (-a)', path: [] });
    if (s.vf_id !== undefined && s.pf_id === undefined)
      ctx.addIssue({ code: 'custom', message: 'vf_id (-v) needs pf_id (-p)', path: ['vf_id'] });
  });
export type Selector = z.infer<typeof SelectorSchema>;

/** A selector that names exactly one device (no -a). */
export const SingleSelectorSchema = SelectorSchema.refine((s) => s.all !== true, {
  error: 'this command takes one device: use pf_id (-p) or vuid (-u)',
  path: ['all'],
});

export const HotplugRequestSchema = z
  .object({
    ib_device: IbDeviceNameSchema,
    mac: MacSchema,
    mtu: int().min(68, { error: 'must be at least 68' }).max(65535, { error: 'must be at most 65535' }).describe('MTU in bytes'),
    num_queues: int()
      .min(2, { error: 'must be at least 2 (one RX and one TX queue)' })
      .max(1024, { error: 'must be at most 1024' })
      .describe('Virtqueues: RX/TX pairs, plus the control queue when odd'),
    max_queue_size: int()
      .min(2, { error: 'must be a power of two, at least 2' })
      .max(32768, { error: 'must be at most 32768' })
      .refine((v) => (v & (v - 1)) === 0, { error: 'must be a power of two' })
      .describe('Entries per virtqueue (power of two)'),
    features: FeaturesSchema.default('0x0').describe('Feature bits added to the default set'),
    sf_num: int().min(0).max(99999).optional().describe('SF number; chosen from the hot-plug band when absent'),
    legacy: z.boolean().default(false).describe('Transitional device (virtio 0.95 interface too)'),
  })
  .strict();
export type HotplugRequest = z.input<typeof HotplugRequestSchema>;

export const HotplugResultSchema = z.object({
  bdf: z.string(),
  id: int().describe('pf_id of the new device'),
  transitional: z.union([z.literal(0), z.literal(1)]),
  sf_rep_net_device: z.string(),
  mac: z.string(),
  vuid: z.string(),
});
export type HotplugResult = z.infer<typeof HotplugResultSchema>;

export const ModifyDeviceFieldsSchema = z
  .object({
    mac: MacSchema.optional(),
    mtu: int().min(68, { error: 'must be at least 68' }).max(65535).optional(),
    features: FeaturesSchema.optional().describe('The full feature set the device offers'),
    max_queue_size: int()
      .min(2)
      .max(32768)
      .refine((v) => (v & (v - 1)) === 0, { error: 'must be a power of two' })
      .optional(),
    num_msix: int().min(2).max(2048).optional().describe('MSI-X vectors (VFs only)'),
  })
  .strict()
  .refine((m) => Object.values(m).some((v) => v !== undefined), {
    error: 'name at least one field to change: mac (-m), mtu (-t), features (-f), max_queue_size (-q) or num_msix (-n)',
  });
export type ModifyDeviceFields = z.infer<typeof ModifyDeviceFieldsSchema>;

export const EventModeSchema = z.enum(['event', 'cqe']).describe('Moderation period restarts on each event or each completion');
export const ModifyQueueFieldsSchema = z
  .object({
    event_mode: EventModeSchema,
    period_us: int().min(0).max(4095).describe('Moderation period in microseconds'),
    max_count: int().min(0).max(65535).describe('Completions coalesced per notification'),
  })
  .strict();
export type ModifyQueueFields = z.infer<typeof ModifyQueueFieldsSchema>;

export const ModifyDeviceParamsSchema = z.object({ selector: SelectorSchema, device: ModifyDeviceFieldsSchema }).strict();
export const ModifyQueueParamsSchema = z.object({ selector: SelectorSchema, queue: ModifyQueueFieldsSchema }).strict();

export const QueryParamsSchema = z
  .object({
    selector: SelectorSchema,
    brief: z.boolean().default(false).describe('Leave out queue information'),
    queue_id: int().min(0).max(1023).optional().describe('Only this queue'),
  })
  .strict();

export const UnplugParamsSchema = z.object({ selector: SingleSelectorSchema }).strict();

export const QueueSchema = z.object({
  index: int(),
  type: z.enum(['rx', 'tx', 'ctrl']),
  size: int(),
  msix_vector: int(),
  enable: z.union([z.literal(0), z.literal(1)]),
  received_desc: int(),
  completed_desc: int(),
  bad_desc_errors: int(),
  error_cqes: int(),
  exceed_max_chain: int(),
  invalid_buffer: int(),
  total_bytes: int(),
  packets: int(),
  kicks: int(),
  calls: int(),
  hw_available_index: int(),
  hw_used_index: int(),
  rq_cq_period: int(),
  rq_cq_max_count: int(),
  rq_cq_period_mode: EventModeSchema,
  dropped: int().describe('Frames lost: no receive buffer, or a chain the device could not use'),
  started: z.boolean().describe('The host driver started the ring'),
  broken: z.boolean().describe('The driver broke the ring; stopped until the device is reset'),
});
export type Queue = z.infer<typeof QueueSchema>;

export const FunctionTypeSchema = z.enum(['static PF', 'hotplug PF', 'VF']);
export type FunctionType = z.infer<typeof FunctionTypeSchema>;

export const DeviceSchema = z.object({
  pf_id: int(),
  vf_id: int().optional(),
  function_type: FunctionTypeSchema,
  transitional: z.union([z.literal(0), z.literal(1)]),
  vuid: z.string(),
  pci_bdf: z.string(),
  bdf_raw: int(),
  hotplug_port: int().nullable(),
  mac: z.string(),
  mtu: int(),
  speed: int().describe('Link speed in Mb/s'),
  duplex: z.enum(['full', 'half']),
  link_status: z.enum(['up', 'down']),
  num_queues: int(),
  enabled_queues: int(),
  max_queue_pairs: int(),
  max_queue_size: int(),
  num_msix: int(),
  features: z.string().describe('Features the device offers (hex)'),
  driver_features: z.string().describe('Features the host driver accepted (hex)'),
  device_status: int().describe('Virtio status register as the host driver wrote it'),
  device_status_names: z.array(z.string()),
  sf_num: int(),
  sf_parent_device: z.string(),
  sf_rep_net_device: z.string(),
  sf_rep_net_ifindex: int().nullable(),
  vhost_user_socket: z.string().nullable().describe('The device\'s vhost-user back-end socket'),
  host_connected: z.boolean().describe('A vhost-user front-end (the host\'s driver) is attached'),
  datapath: z.enum(['echo', 'tap', 'sink', 'generator']).describe('What the representor side does with packets'),
  datapath_note: z.string().describe('Why, or the last thing the device refused'),
  protocol_errors: int().describe('Malformed or unsupported vhost-user messages refused'),
  created_at: z.string(),
  queues: z.array(QueueSchema).optional(),
});
export type Device = z.infer<typeof DeviceSchema>;

export const FeatureSetSchema = z.object({ value: z.string(), names: z.array(z.string()) });

export const ControllerInfoSchema = z.object({
  emulation_manager: z.string(),
  ib_devices: z.array(z.string()),
  max_hotplug_devices: int(),
  hotplug_devices: int().describe('Hot-plug ports in use'),
  static_pfs: int(),
  vfs_per_pf: int(),
  max_virt_net_devices: int(),
  max_virt_queues: int(),
  max_queue_size: int(),
  max_mtu: int(),
  pf_msix: int(),
  vf_msix: int(),
  supported_features: FeatureSetSchema,
  default_features: FeatureSetSchema,
  supported_virt_queue_types: z.array(z.string()),
  supported_event_modes: z.array(EventModeSchema),
  provider: z.string(),
  version: z.string(),
});
export type ControllerInfo = z.infer<typeof ControllerInfoSchema>;

export const ListResultSchema = z.object({ controller: ControllerInfoSchema, devices: z.array(DeviceSchema) });
export type ListResult = z.infer<typeof ListResultSchema>;

export const QueryResultSchema = z.object({ devices: z.array(DeviceSchema) });
export type QueryResult = z.infer<typeof QueryResultSchema>;

export const StatsParamsSchema = z
  .object({
    selector: SingleSelectorSchema,
    queue_id: int().min(0).max(1023).optional().describe('Only this queue'),
  })
  .strict();

/** Packet-size buckets of `virtnet stats`, prefixed rx_ or tx_ by the queue's direction. */
export const SIZE_BUCKETS = [
  '64_or_less_octet_packets',
  '65_to_127_octet_packets',
  '128_to_255_octet_packets',
  '256_to_511_octet_packets',
  '512_to_1023_octet_packets',
  '1024_to_1522_octet_packets',
  '1523_to_2047_octet_packets',
  '2048_or_more_octet_packets',
] as const;

type SizeBucket = (typeof SIZE_BUCKETS)[number];
type HistogramShape = Record<`rx_${SizeBucket}` | `tx_${SizeBucket}`, z.ZodOptional<z.ZodNumber>>;
const histogramShape = Object.fromEntries(
  (['rx_', 'tx_'] as const).flatMap((p) => SIZE_BUCKETS.map((b) => [`${p}${b}`, int().optional()])),
) as HistogramShape;

export const QueueStatsSchema = z
  .object({
    index: int(),
    type: z.enum(['rx', 'tx', 'ctrl']),
    packets: int(),
    bytes: int(),
    dropped: int(),
    received_desc: int(),
    completed_desc: int(),
    bad_desc_errors: int(),
    exceed_max_chain: int(),
    invalid_buffer: int(),
    error_cqes: int(),
    kicks: int(),
    calls: int(),
    ...histogramShape,
  })
  .describe('Counters of one queue, with the size histogram as rx_/tx_<bucket> fields');
export type QueueStats = z.infer<typeof QueueStatsSchema>;

export const StatsResultSchema = z.object({ vuid: z.string(), pf_id: int(), vf_id: int().optional(), queues: z.array(QueueStatsSchema) });
export type StatsResult = z.infer<typeof StatsResultSchema>;

export const UnplugResultSchema = z.object({ vuid: z.string(), pf_id: int(), bdf: z.string(), status: z.literal('unplugged') });
export const ModifyResultSchema = z.object({ devices: z.array(DeviceSchema) });

export const VersionResultSchema = z.object({
  controller: z.string().describe('The running controller'),
  destination: z.string().nullable().describe('The installed build `virtnet update -s` would hand over to (null: none found)'),
  update: z.enum(['inactive', 'active']).describe('A live update is handing over right now'),
  native_abi: int(),
  node: z.string(),
  provider: z.string().describe('The data-path provider (ace, dpa)'),
});
export type VersionResult = z.infer<typeof VersionResultSchema>;

export const HealthResultSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  uptime_s: z.number(),
  devices: int(),
  database: z.enum(['ok', 'error']),
  hardware: z.enum(['ok', 'error']),
  provider: z.string().describe('The data-path provider (ace, dpa)'),
  dpu: z
    .object({
      up: z.boolean(),
      state: z.enum(['running', 'down', 'restarting']),
      pid: int().nullable(),
      version: z.string().nullable(),
      started_at: z.string().nullable(),
      reason: z.string().nullable().describe('Why the DPU is down, while it is'),
      starts: int().describe('DPU processes this controller started (a restart after a crash counts one)'),
      faults: int().describe('Guest-memory faults the DPU absorbed (a driver shrank its memory under a device)'),
      last_outage: z
        .object({
          at: z.string(),
          reason: z.string(),
          recovered_ms: z.number().nullable().describe('From noticing the DPU gone to every device created again; null while it lasts'),
          devices: int().nullable(),
        })
        .nullable(),
    })
    .describe('The DPU process: it outlives the controller; when it dies the controller starts a new one and recreates the devices'),
  recovery: z.object({
    enabled: z.boolean().describe("virtnet.conf's recovery (0 disables it: devices are not recreated at start)"),
    recovered: int().describe('Stored devices created again on the DPU'),
    created: int().describe('Static PFs and VFs created from the profile and virtnet.conf'),
    adopted: int().describe('Stored devices the DPU was still running, kept as they were (a restart or live update)'),
    removed: int().describe('Functions the DPU held that no stored device backs, removed'),
    failed: z.array(z.object({ vuid: z.string(), code: z.string(), message: z.string() })),
  }),
});
export type HealthResult = z.infer<typeof HealthResultSchema>;

export const AuditEventSchema = z.object({
  id: int(),
  at: z.string(),
  actor: z.string().describe('cli, api or system'),
  action: z.string(),
  target: z.string().nullable(),
  result: z.enum(['ok', 'error']),
  error_code: z.string().nullable(),
  detail: z.string().nullable(),
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;

/** The host side as the controller sees it (the sim host, vnet-host, reports these). */
export const HostProfileSchema = z.enum(['idle', 'ping', 'bulk']).describe('Traffic the simulated host runs on a device');
export const HostDeviceSchema = z.object({
  vuid: z.string(),
  state: z.enum(['probing', 'bound', 'unbound']).describe('The host driver: probing the device, bound to it, or unbound'),
  profile: HostProfileSchema,
  queue_pairs: int(),
  mac: z.string().nullable().describe("The device's MAC as the host's driver read it from the config space at its last probe"),
  mtu: int().nullable().describe("The device's MTU as the host's driver read it from the config space at its last probe"),
  tx_frames: int(),
  rx_frames: int(),
  rx_bytes: int(),
  probes: int().describe('Times the host driver probed the device'),
  reconnects: int().describe('Times the host reconnected to a restarted controller without re-probing'),
});
export type HostDevice = z.infer<typeof HostDeviceSchema>;
/** The VM of the qemu host mode, as its QMP socket shows it. */
export const QemuHostSchema = z.object({
  qmp: z.string().describe('The VM\'s QMP socket'),
  connected: z.boolean(),
  accel: z.string().nullable().describe('kvm or tcg, once connected'),
  root_ports: z.array(z.string()).describe('pcie-root-ports of the VM that hot-plug ports map to, in port order'),
  plugged: z
    .array(
      z.object({
        vuid: z.string(),
        qdev_id: z.string().describe('The device id in QEMU (vnet-<vuid>)'),
        bdf: z.string().describe('The PCI address the guest enumerated it at'),
        root_port: z.string().nullable().describe('The root port it sits behind; null when cold-plugged on the root bus'),
      }),
    )
    .describe('virtio-net devices of this controller in the VM'),
});
export type QemuHost = z.infer<typeof QemuHostSchema>;

export const HostStatusSchema = z.object({
  mode: z.enum(['sim', 'qemu', 'external']),
  running: z.boolean(),
  pid: int().nullable(),
  devices: z.array(HostDeviceSchema),
  qemu: QemuHostSchema.optional().describe('qemu mode: the VM'),
});
export type HostStatus = z.infer<typeof HostStatusSchema>;
export const HostActionParamsSchema = z
  .object({
    selector: SingleSelectorSchema,
    action: z.enum(['unbind', 'bind', 'profile']),
    profile: HostProfileSchema.optional(),
  })
  .strict()
  .refine((p) => (p.action === 'profile') === (p.profile !== undefined), { error: 'profile (and only profile) takes a traffic profile', path: ['profile'] });

/**
 * A long bulk job (VFs created on a PF, a change applied to many devices):
 * its progress is streamed on the WebSocket's `operations` topic and listed
 * by GET /api/v1/operations, so the CLI and the dashboard can show it.
 */
export const OperationSchema = z.object({
  id: z.string().describe('Opaque id, unique for the controller process'),
  action: z.string().describe('What runs, e.g. set_vfs or modify_device'),
  target: z.string().nullable().describe('What it runs on, e.g. "pf 0" or "126 devices"'),
  actor: z.string().describe('cli, api or system'),
  state: z.enum(['running', 'succeeded', 'failed']),
  total: int().min(0).describe('Steps in all (devices to create, change, ...)'),
  done: int().min(0).describe('Steps finished so far'),
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

/**
 * Per-queue rates of one device over the last minutes, one column per
 * field (the layout time-series charts take). `t` is in epoch milliseconds;
 * a queue that did not move in a sample reads 0 there.
 */
export const QueueHistorySchema = z.object({
  index: int(),
  type: z.enum(['rx', 'tx', 'ctrl']),
  pps: z.array(z.number()).describe('Packets per second'),
  bytes_ps: z.array(z.number()).describe('Bytes per second'),
  drops_ps: z.array(z.number()),
  kicks_ps: z.array(z.number()).describe('Driver notifications to the device per second'),
  calls_ps: z.array(z.number()).describe('Device notifications (interrupts) to the driver per second'),
  errors: z.array(z.number()).describe('Descriptor errors so far (bad_desc_errors + exceed_max_chain + invalid_buffer)'),
});
export const TelemetryHistorySchema = z.object({
  vuid: z.string(),
  interval_ms: int(),
  capacity: int().describe('Samples kept per queue'),
  t: z.array(z.number()),
  queues: z.array(QueueHistorySchema),
});
export type TelemetryHistory = z.infer<typeof TelemetryHistorySchema>;

/** Where the dashboard is, and the URL that signs a browser in (CLI: virtnet dashboard). */
export const DashboardResultSchema = z.object({
  url: z.string(),
  login_url: z.string().describe('Opens the dashboard with the access token; keep it private'),
  auth: z.boolean().describe('false when VIRTNET_AUTH=off (loopback only)'),
});
export type DashboardResult = z.infer<typeof DashboardResultSchema>;
