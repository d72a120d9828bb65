/**
 * Devices as the controller shows them (`virtnet list`, `virtnet query`):
 * the controller's inventory, each device, and its queues.
 */
import { z } from 'zod';
import { EventModeSchema, NoParamsSchema, SelectorSchema, integer } from './fields.js';

export const QueueSchema = z.object({
  index: integer(),
  type: z.enum(['rx', 'tx', 'ctrl']),
  size: integer(),
  msix_vector: integer(),
  enable: z.union([z.literal(0), z.literal(1)]),
  received_desc: integer(),
  completed_desc: integer(),
  bad_desc_errors: integer(),
  error_cqes: integer(),
  exceed_max_chain: integer(),
  invalid_buffer: integer(),
  total_bytes: integer(),
  packets: integer(),
  kicks: integer(),
  calls: integer(),
  hw_available_index: integer(),
  hw_used_index: integer(),
  rq_cq_period: integer(),
  rq_cq_max_count: integer(),
  rq_cq_period_mode: EventModeSchema,
  dropped: integer().describe('Frames lost: no receive buffer, or a chain the device could not use'),
  oversized: integer().describe('TX frames longer than the device MTU allows (dropped, and counted in dropped too)'),
  started: z.boolean().describe('The host driver started the ring'),
  broken: z.boolean().describe('The driver broke the ring; stopped until the device is reset'),
});
export type Queue = z.infer<typeof QueueSchema>;

export const FunctionTypeSchema = z.enum(['static PF', 'hotplug PF', 'VF']);
export type FunctionType = z.infer<typeof FunctionTypeSchema>;

export const DeviceSchema = z.object({
  pf_id: integer(),
  vf_id: integer().optional(),
  function_type: FunctionTypeSchema,
  transitional: z.union([z.literal(0), z.literal(1)]),
  vuid: z.string(),
  pci_bdf: z.string(),
  bdf_raw: integer(),
  hotplug_port: integer().nullable(),
  mac: z.string(),
  mtu: integer(),
  speed: integer().describe('Link speed in Mb/s'),
  duplex: z.enum(['full', 'half']),
  link_status: z.enum(['up', 'down']),
  num_queues: integer(),
  enabled_queues: integer(),
  max_queue_pairs: integer(),
  max_queue_size: integer(),
  num_msix: integer(),
  features: z.string().describe('Features the device offers (hex)'),
  driver_features: z.string().describe('Features the host driver accepted (hex)'),
  device_status: integer().describe('Virtio status register as the host driver wrote it'),
  device_status_names: z.array(z.string()),
  sf_num: integer(),
  sf_parent_device: z.string(),
  sf_rep_net_device: z.string(),
  sf_rep_net_ifindex: integer().nullable(),
  migration: z
    .object({
      state: z
        .enum(['none', 'logging', 'stopped', 'cancelled'])
        .describe("The last live migration as the device saw it: none; logging (a migration copies the guest); stopped (the rings were stopped with logging on: the guest was handed over); cancelled (logging went off with the rings running: cancelled or failed, the device goes on)"),
      logging: z.boolean().describe('The device marks every guest page it writes in the front-end\'s dirty log'),
      log_bytes: integer().describe('Size of the dirty log the front-end shared, 0 without one'),
      pages_logged: integer().describe('Guest pages marked dirty since logging last went on'),
      pages_past_log: integer().describe('Pages written past the end of the log since then (not marked: the log is too small)'),
      migrations: integer().describe('Logging sessions that ended (stopped or cancelled)'),
      rarps_sent: integer().describe("RARP frames sent for the front-end after a switch, so that switches relearn the guest's MAC"),
    })
    .describe('Live migration (vhost-user dirty logging)'),
  sf_rep_net_ns: z.string().nullable().describe("The representor's network namespace (ip netns), null for the machine's own"),
  vhost_user_socket: z.string().nullable().describe('The device\'s vhost-user back-end socket'),
  host_connected: z.boolean().describe('A vhost-user front-end (the host\'s driver) is attached'),
  host_connections: integer().describe('Front-end connections the device has taken since it was created: a host that reconnects counts one more'),
  datapath: z.enum(['echo', 'tap', 'sink', 'generator']).describe('What the representor side does with packets'),
  datapath_note: z.string().describe('Why, or the last thing the device refused'),
  protocol_errors: integer().describe('Malformed or unsupported vhost-user messages refused'),
  created_at: z.string(),
  queues: z.array(QueueSchema).optional(),
});
export type Device = z.infer<typeof DeviceSchema>;

export const FeatureSetSchema = z.object({ value: z.string(), names: z.array(z.string()) });

export const ControllerInfoSchema = z.object({
  emulation_manager: z.string(),
  ib_devices: z.array(z.string()),
  max_hotplug_devices: integer(),
  hotplug_devices: integer().describe('Hot-plug ports in use'),
  static_pfs: integer(),
  vfs_per_pf: integer(),
  max_virt_net_devices: integer(),
  max_virt_queues: integer(),
  max_queue_size: integer(),
  max_mtu: integer(),
  pf_msix: integer(),
  vf_msix: integer(),
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

export const QueryParamsSchema = z
  .object({
    selector: SelectorSchema,
    brief: z.boolean().default(false).describe('Leave out queue information'),
    queue_id: integer().min(0).max(1023).optional().describe('Only this queue'),
  })
  .strict();

export const DEVICE_METHODS = {
  list: { params: NoParamsSchema, result: ListResultSchema },
  query: { params: QueryParamsSchema, result: QueryResultSchema },
} as const;
