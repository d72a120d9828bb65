/**
 * The DPU's records as the controller reads them: libvnet's C structs (see
 * types.ts) turned into the camelCase values of the Hardware interface, and
 * the profile the controller provisions turned back into its struct.
 */
import {
  BACKENDS,
  HwError,
  MIGRATION_STATES,
  type Backend,
  type EventMode,
  type FunctionKind,
  type HwFunction,
  type HwProfile,
  type HwQueueCounters,
} from '../hardware.js';
import { loadNative } from './library.js';
import { MAX_IB_DEVICES, type RawDpuState, type RawFnInfo, type RawProfile, type RawQueueCounters, type U64 } from './types.js';

export const KINDS: FunctionKind[] = ['static', 'hotplug', 'vf'];
export const MODES: EventMode[] = ['event', 'cqe'];

export const num = (v: U64): number => Number(v);
export const big = (v: U64): bigint => BigInt(v);

export function macBytes(mac: string): number[] {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p)))
    throw new HwError('MAC_INVALID', `malformed MAC address '${mac}'`, -8);
  return parts.map((p) => parseInt(p, 16));
}

const macString = (b: number[]): string => b.map((x) => x.toString(16).padStart(2, '0').toUpperCase()).join(':');

export function toFunction(r: RawFnInfo): HwFunction {
  return {
    handle: r.handle,
    kind: KINDS[r.type] ?? 'hotplug',
    pfId: r.pf_id,
    vfId: r.vf_id < 0 ? null : r.vf_id,
    port: r.port < 0 ? null : r.port,
    sfNum: r.sf_num,
    bdfRaw: r.bdf_raw,
    bdf: r.bdf,
    vuid: r.vuid,
    ibDevice: r.ib_device,
    ibPort: r.ib_port,
    sfRep: r.sf_rep,
    mac: macString(r.mac),
    mtu: r.mtu,
    numQueues: r.num_queues,
    maxQueuePairs: r.max_queue_pairs,
    maxQueueSize: r.max_queue_size,
    numMsix: r.num_msix,
    enabledQueues: r.enabled_queues,
    linkUp: (r.net_status & 1) === 1,
    transitional: r.transitional === 1,
    deviceStatus: r.device_status,
    speedMbps: r.speed_mbps,
    duplexFull: r.duplex === 1,
    eventMode: MODES[r.event_mode] ?? 'event',
    moderationPeriodUs: r.moderation_period_us,
    moderationMaxCount: r.moderation_max_count,
    deviceFeatures: big(r.device_features),
    driverFeatures: big(r.driver_features),
    vhostSocket: r.vhost_socket || null,
    connected: r.connected === 1,
    backend: BACKENDS[r.backend] ?? 'echo',
    backendNote: r.backend_note,
    repIfindex: r.rep_ifindex >= 0 ? r.rep_ifindex : null,
    protocolFeatures: big(r.protocol_features),
    protocolErrors: num(r.protocol_errors),
    connections: num(r.connections),
    migration: {
      logEnabled: r.log_enabled === 1,
      state: MIGRATION_STATES[r.migration] ?? 'none',
      logSize: num(r.log_size),
      logPages: num(r.log_pages),
      logSkipped: num(r.log_skipped),
      migrations: num(r.migrations),
      rarps: num(r.rarps),
    },
  };
}

export function toCounters(r: RawQueueCounters): HwQueueCounters {
  return {
    handle: r.handle,
    qid: r.qid,
    enabled: r.enabled !== 0,
    size: r.size,
    msixVector: r.msix_vector,
    hwAvailableIndex: r.hw_available_index,
    hwUsedIndex: r.hw_used_index,
    receivedDesc: num(r.received_desc),
    completedDesc: num(r.completed_desc),
    badDescErrors: num(r.bad_desc_errors),
    errorCqes: num(r.error_cqes),
    exceedMaxChain: num(r.exceed_max_chain),
    invalidBuffer: num(r.invalid_buffer),
    totalBytes: num(r.total_bytes),
    packets: num(r.packets),
    kicks: num(r.kicks),
    calls: num(r.calls),
    histogram: r.hist.map(num),
    dropped: num(r.dropped),
    oversized: num(r.oversized),
    started: r.started === 1,
    broken: r.broken === 1,
  };
}

export function profileFromRaw(r: RawProfile): HwProfile {
  return {
    boardSerial: r.board_serial,
    hotplugPorts: r.hotplug_ports,
    staticPfs: r.static_pfs,
    vfsPerPf: r.vfs_per_pf,
    pfMsix: r.pf_msix,
    vfMsix: r.vf_msix,
    maxVirtqueues: r.max_virtqueues,
    maxQueueSize: r.max_queue_size,
    maxMtu: r.max_mtu,
    linkSpeedMbps: r.link_speed_mbps,
    supportedFeatures: big(r.supported_features),
    sfBase: { static: r.sf_base_static, hotplug: r.sf_base_hotplug, vf: r.sf_base_vf },
    ibDevices: r.ib_devices.slice(0, r.ib_device_count).map((d) => ({ name: d.name, port: d.port, pfNum: d.pf_num })),
    hotplugBusBase: r.hotplug_bus_base,
  };
}

/** Overrides of the embedded default profile; absent fields keep the default. */
export type ProfileOverrides = Partial<Omit<HwProfile, 'sfBase' | 'hotplugBusBase'>> & { sfBase?: Partial<HwProfile['sfBase']> };

/** How the DPU runs its data path, given once with the profile. */
export interface StartOptions {
  socketDir: string;
  workers: number;
  /** Representors of new functions; 'auto': a TAP when allowed, else echo. */
  backend: Backend | 'auto';
  /** Devices connect to front-ends listening at their paths (DPDK virtio-user server=1), and reconnect every second. */
  client: boolean;
  idlePollUs: number;
  /** The network namespace the TAP representors live in (ip-netns(8)); '' for the machine's. */
  netns: string;
}

/** What a DPU process says of itself. */
export interface DpuState {
  pid: number;
  version: string;
  provisioned: boolean;
  functions: number;
  startedAt: Date;
  provisionedAt: Date | null;
  faults: number;
  /** The bus of the representors' names (en<bus>f...) this DPU holds among the DPUs of its namespace; null until provisioned. */
  repBus: number | null;
  start: StartOptions | null;
  profile: HwProfile | null;
  /** The profile exactly as the DPU holds it, to compare with another. */
  rawProfile: RawProfile | null;
}

/** The embedded default profile with the overrides applied, as the C struct. */
export function resolveProfile(overrides: ProfileOverrides, env: NodeJS.ProcessEnv = process.env): RawProfile {
  const { fns } = loadNative(env);
  const raw = {} as RawProfile;
  fns.vnet_profile_default(raw);
  applyOverrides(raw, overrides);
  return raw;
}

function applyOverrides(raw: RawProfile, o: ProfileOverrides): void {
  const set = <K extends keyof RawProfile>(key: K, value: RawProfile[K] | undefined) => {
    if (value !== undefined) raw[key] = value;
  };
  set('board_serial', o.boardSerial);
  set('hotplug_ports', o.hotplugPorts);
  set('static_pfs', o.staticPfs);
  set('vfs_per_pf', o.vfsPerPf);
  set('pf_msix', o.pfMsix);
  set('vf_msix', o.vfMsix);
  set('max_virtqueues', o.maxVirtqueues);
  set('max_queue_size', o.maxQueueSize);
  set('max_mtu', o.maxMtu);
  set('link_speed_mbps', o.linkSpeedMbps);
  set('supported_features', o.supportedFeatures);
  set('sf_base_static', o.sfBase?.static);
  set('sf_base_hotplug', o.sfBase?.hotplug);
  set('sf_base_vf', o.sfBase?.vf);
  if (o.ibDevices) {
    if (o.ibDevices.length === 0 || o.ibDevices.length > MAX_IB_DEVICES)
      throw new HwError('PROFILE_INVALID', `between 1 and ${MAX_IB_DEVICES} ib devices are needed`, -18);
    raw.ib_device_count = o.ibDevices.length;
    raw.ib_devices = Array.from({ length: MAX_IB_DEVICES }, (_, i) => {
      const d = o.ibDevices![i];
      return d ? { name: d.name, port: d.port, pf_num: d.pfNum } : { name: '', port: 0, pf_num: 0 };
    });
  }
}

/** Whether two profiles are the same, field by field (the unused ib slots aside). */
export function sameProfile(a: RawProfile, b: RawProfile): boolean {
  const { ib_devices: ia, ...ra } = a;
  const { ib_devices: ib, ...rb } = b;
  for (const k of Object.keys(ra) as (keyof typeof ra)[]) if (k !== 'reserved' && String(ra[k]) !== String(rb[k])) return false;
  for (let i = 0; i < a.ib_device_count; i++) {
    const x = ia[i]!, y = ib[i]!;
    if (x.name !== y.name || x.port !== y.port || x.pf_num !== y.pf_num) return false;
  }
  return true;
}

export function startFromRaw(p: RawDpuState['params']): StartOptions {
  return {
    socketDir: p.socket_dir,
    workers: p.workers,
    backend: p.default_backend === 4 ? 'auto' : (BACKENDS[p.default_backend] ?? 'echo'),
    client: (p.flags & 1) === 1,
    idlePollUs: p.idle_poll_us,
    netns: p.netns,
  };
}
