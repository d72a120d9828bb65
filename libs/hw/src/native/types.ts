/**
 * Layer 1 of the binding: the C types of vnet.h as koffi types. The layout
 * must match the header exactly; library.ts checks each struct's size
 * against vnet_abi_struct_size() when the library is loaded.
 */
import koffi from 'koffi';

export const NAME_LEN = 16;
export const VUID_LEN = 32;
export const HIST_BUCKETS = 8;
export const MAX_IB_DEVICES = 3;
export const PATH_LEN = 108;
export const NOTE_LEN = 64;
export const VERSION_LEN = 32;

const name = () => koffi.array('char', NAME_LEN);
const mac = () => koffi.array('uint8_t', 6, 'Array');

export const DpuHandle = koffi.pointer('vnet_dpu', koffi.opaque());

export const IbDevice = koffi.struct('vnet_ib_device', {
  name: name(),
  port: 'uint32_t',
  pf_num: 'uint32_t',
});

export const Profile = koffi.struct('vnet_profile', {
  board_serial: name(),
  hotplug_ports: 'uint32_t',
  static_pfs: 'uint32_t',
  vfs_per_pf: 'uint32_t',
  pf_msix: 'uint32_t',
  vf_msix: 'uint32_t',
  msix_pool_per_pf: 'uint32_t',
  max_virtqueues: 'uint32_t',
  max_queue_size: 'uint32_t',
  max_mtu: 'uint32_t',
  link_speed_mbps: 'uint32_t',
  supported_features: 'uint64_t',
  sf_base_static: 'uint32_t',
  sf_base_hotplug: 'uint32_t',
  sf_base_vf: 'uint32_t',
  hotplug_bus_base: 'uint8_t',
  static_bus: 'uint8_t',
  vf_bus_base: 'uint8_t',
  reserved: 'uint8_t',
  ib_device_count: 'uint32_t',
  ib_devices: koffi.array(IbDevice, MAX_IB_DEVICES),
});

export const FnSpec = koffi.struct('vnet_fn_spec', {
  type: 'uint32_t',
  pf_index: 'int32_t',
  vf_index: 'int32_t',
  port: 'int32_t',
  sf_num: 'int32_t',
  ib_device: name(),
  mac: mac(),
  mtu: 'uint16_t',
  num_queues: 'uint16_t',
  max_queue_size: 'uint16_t',
  num_msix: 'uint16_t',
  transitional: 'uint8_t',
  reserved: koffi.array('uint8_t', 3, 'Array'),
  features: 'uint64_t',
});

export const FnMod = koffi.struct('vnet_fn_mod', {
  mask: 'uint32_t',
  mac: mac(),
  mtu: 'uint16_t',
  features: 'uint64_t',
  max_queue_size: 'uint16_t',
  num_msix: 'uint16_t',
  link_up: 'uint8_t',
  reserved: koffi.array('uint8_t', 7, 'Array'),
});

export const FnInfo = koffi.struct('vnet_fn_info', {
  handle: 'uint32_t',
  type: 'uint32_t',
  pf_id: 'int32_t',
  vf_id: 'int32_t',
  port: 'int32_t',
  sf_num: 'uint32_t',
  bdf_raw: 'uint16_t',
  mtu: 'uint16_t',
  num_queues: 'uint16_t',
  max_queue_size: 'uint16_t',
  num_msix: 'uint16_t',
  max_queue_pairs: 'uint16_t',
  enabled_queues: 'uint16_t',
  net_status: 'uint16_t',
  mac: mac(),
  transitional: 'uint8_t',
  device_status: 'uint8_t',
  duplex: 'uint8_t',
  event_mode: 'uint8_t',
  reserved: 'uint16_t',
  speed_mbps: 'uint32_t',
  moderation_period_us: 'uint32_t',
  moderation_max_count: 'uint32_t',
  ib_port: 'uint32_t',
  device_features: 'uint64_t',
  driver_features: 'uint64_t',
  vuid: koffi.array('char', VUID_LEN),
  bdf: name(),
  ib_device: name(),
  sf_rep: name(),
  vhost_socket: koffi.array('char', PATH_LEN),
  backend_note: koffi.array('char', NOTE_LEN),
  backend: 'uint8_t',
  connected: 'uint8_t',
  reserved2: 'uint16_t',
  rep_ifindex: 'int32_t',
  protocol_features: 'uint64_t',
  protocol_errors: 'uint64_t',
  connections: 'uint64_t',
  log_enabled: 'uint8_t',
  migration: 'uint8_t',
  reserved3: koffi.array('uint8_t', 6, 'Array'),
  log_size: 'uint64_t',
  log_pages: 'uint64_t',
  log_skipped: 'uint64_t',
  migrations: 'uint64_t',
  rarps: 'uint64_t',
});

export const QueueCounters = koffi.struct('vnet_queue_counters', {
  handle: 'uint32_t',
  qid: 'uint16_t',
  enabled: 'uint16_t',
  size: 'uint16_t',
  msix_vector: 'uint16_t',
  hw_available_index: 'uint16_t',
  hw_used_index: 'uint16_t',
  received_desc: 'uint64_t',
  completed_desc: 'uint64_t',
  bad_desc_errors: 'uint64_t',
  error_cqes: 'uint64_t',
  exceed_max_chain: 'uint64_t',
  invalid_buffer: 'uint64_t',
  total_bytes: 'uint64_t',
  packets: 'uint64_t',
  kicks: 'uint64_t',
  calls: 'uint64_t',
  hist: koffi.array('uint64_t', HIST_BUCKETS, 'Array'),
  dropped: 'uint64_t',
  oversized: 'uint64_t',
  started: 'uint8_t',
  broken: 'uint8_t',
  reserved: koffi.array('uint8_t', 6, 'Array'),
});

export const StartParams = koffi.struct('vnet_start_params', {
  socket_dir: koffi.array('char', PATH_LEN),
  workers: 'uint32_t',
  default_backend: 'uint32_t',
  flags: 'uint32_t',
  idle_poll_us: 'uint32_t',
  netns: koffi.array('char', NAME_LEN),
});

export const DpuState = koffi.struct('vnet_dpu_state', {
  abi_version: 'uint32_t',
  pid: 'int32_t',
  provisioned: 'uint8_t',
  rep_bus: 'uint8_t',
  reserved: koffi.array('uint8_t', 2, 'Array'),
  functions: 'uint32_t',
  started_at_ms: 'uint64_t',
  provisioned_at_ms: 'uint64_t',
  faults: 'uint64_t',
  version: koffi.array('char', VERSION_LEN),
  params: StartParams,
  profile: Profile,
});

export const QUEUE_ERRORS = 8;
export const DESC_ERROR_TEXT = 64;

export const DescError = koffi.struct('vnet_desc_error', {
  at_ms: 'uint64_t',
  head: 'uint16_t',
  kind: 'uint8_t',
  reserved: koffi.array('uint8_t', 5, 'Array'),
  what: koffi.array('char', DESC_ERROR_TEXT),
});

export const QueueDebug = koffi.struct('vnet_queue_debug', {
  handle: 'uint32_t',
  qid: 'uint16_t',
  size: 'uint16_t',
  packed: 'uint8_t',
  enabled: 'uint8_t',
  started: 'uint8_t',
  broken: 'uint8_t',
  driver_readable: 'uint8_t',
  event_idx: 'uint8_t',
  dev_wrap: 'uint8_t',
  drv_wrap: 'uint8_t',
  dev_avail: 'uint16_t',
  dev_used: 'uint16_t',
  drv_avail: 'uint16_t',
  drv_used: 'uint16_t',
  drv_flags: 'uint16_t',
  drv_event: 'uint16_t',
  inflight: 'uint16_t',
  dev_notify: 'uint8_t',
  reserved: 'uint8_t',
  nerrors: 'uint32_t',
  reserved2: 'uint32_t',
  errors_total: 'uint64_t',
  errors: koffi.array(DescError, QUEUE_ERRORS, 'Array'),
});

export const CaptureRec = koffi.struct('vnet_capture_rec', {
  at_ns: 'uint64_t',
  orig_len: 'uint32_t',
  incl_len: 'uint32_t',
  qid: 'uint16_t',
  dir: 'uint8_t',
  reserved: koffi.array('uint8_t', 5, 'Array'),
});

export const CaptureState = koffi.struct('vnet_capture_state', {
  captured: 'uint32_t',
  dropped: 'uint32_t',
  remaining: 'uint32_t',
  done: 'uint8_t',
  reserved: koffi.array('uint8_t', 3, 'Array'),
});

/** Struct ids of vnet_abi_struct_size(), in order. */
export const ABI_STRUCTS = [Profile, FnSpec, FnMod, FnInfo, QueueCounters, StartParams, DpuState, QueueDebug, CaptureRec, CaptureState] as const;

export interface RawDescError {
  at_ms: U64;
  head: number;
  kind: number;
  what: string;
}

export interface RawQueueDebug {
  handle: number;
  qid: number;
  size: number;
  packed: number;
  enabled: number;
  started: number;
  broken: number;
  driver_readable: number;
  event_idx: number;
  dev_wrap: number;
  drv_wrap: number;
  dev_avail: number;
  dev_used: number;
  drv_avail: number;
  drv_used: number;
  drv_flags: number;
  drv_event: number;
  inflight: number;
  dev_notify: number;
  nerrors: number;
  errors_total: U64;
  errors: RawDescError[];
}

export interface RawCaptureState {
  captured: number;
  dropped: number;
  remaining: number;
  done: number;
}

/** Raw shapes as koffi decodes them (uint64 arrive as number or bigint). */
export type U64 = number | bigint;

export interface RawIbDevice {
  name: string;
  port: number;
  pf_num: number;
}

export interface RawProfile {
  board_serial: string;
  hotplug_ports: number;
  static_pfs: number;
  vfs_per_pf: number;
  pf_msix: number;
  vf_msix: number;
  msix_pool_per_pf: number;
  max_virtqueues: number;
  max_queue_size: number;
  max_mtu: number;
  link_speed_mbps: number;
  supported_features: U64;
  sf_base_static: number;
  sf_base_hotplug: number;
  sf_base_vf: number;
  hotplug_bus_base: number;
  static_bus: number;
  vf_bus_base: number;
  reserved: number;
  ib_device_count: number;
  ib_devices: RawIbDevice[];
}

/** vnet_fn_info's live-migration counters. */
type RawFnMigration = Record<'log_size' | 'log_pages' | 'log_skipped' | 'migrations' | 'rarps', U64>;

export interface RawFnInfo extends RawFnMigration {
  handle: number;
  type: number;
  pf_id: number;
  vf_id: number;
  port: number;
  sf_num: number;
  bdf_raw: number;
  mtu: number;
  num_queues: number;
  max_queue_size: number;
  num_msix: number;
  max_queue_pairs: number;
  enabled_queues: number;
  net_status: number;
  mac: number[];
  transitional: number;
  device_status: number;
  duplex: number;
  event_mode: number;
  speed_mbps: number;
  moderation_period_us: number;
  moderation_max_count: number;
  ib_port: number;
  device_features: U64;
  driver_features: U64;
  vuid: string;
  bdf: string;
  ib_device: string;
  sf_rep: string;
  vhost_socket: string;
  backend_note: string;
  backend: number;
  connected: number;
  rep_ifindex: number;
  protocol_features: U64;
  protocol_errors: U64;
  connections: U64;
  log_enabled: number;
  migration: number;
}

export interface RawQueueCounters {
  handle: number;
  qid: number;
  enabled: number;
  size: number;
  msix_vector: number;
  hw_available_index: number;
  hw_used_index: number;
  received_desc: U64;
  completed_desc: U64;
  bad_desc_errors: U64;
  error_cqes: U64;
  exceed_max_chain: U64;
  invalid_buffer: U64;
  total_bytes: U64;
  packets: U64;
  kicks: U64;
  calls: U64;
  hist: U64[];
  dropped: U64;
  oversized: U64;
  started: number;
  broken: number;
}

export interface RawStartParams {
  socket_dir: string;
  workers: number;
  default_backend: number;
  flags: number;
  idle_poll_us: number;
  netns: string;
}

export interface RawDpuState {
  abi_version: number;
  pid: number;
  provisioned: number;
  rep_bus: number;
  functions: number;
  started_at_ms: U64;
  provisioned_at_ms: U64;
  faults: U64;
  version: string;
  params: RawStartParams;
  profile: RawProfile;
}
