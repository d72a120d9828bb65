/**
 * Turns what the hardware reports (and the row's timestamps) into the wire
 * shapes of libs/shared. Pure functions: unit-tested without Nest.
 */
import type { FunctionKind, HwFunction, HwProfile, HwQueueCounters } from '@virtnet/hw';
import {
  bdfToRaw,
  decodeDeviceStatus,
  decodeFeatures,
  formatFeatures,
  type ControllerInfo,
  type Device,
  type FunctionType,
  type Queue,
  type QueueStats,
  SIZE_BUCKETS,
} from '@virtnet/shared';

const FUNCTION_TYPES: Record<FunctionKind, FunctionType> = { static: 'static PF', hotplug: 'hotplug PF', vf: 'VF' };

export function queueType(qid: number, numQueues: number): Queue['type'] {
  if (numQueues % 2 === 1 && qid === numQueues - 1) return 'ctrl';
  return qid % 2 === 0 ? 'rx' : 'tx';
}

export function toQueue(fn: HwFunction, q: HwQueueCounters): Queue {
  return {
    index: q.qid,
    type: queueType(q.qid, fn.numQueues),
    size: q.size,
    msix_vector: q.msixVector,
    enable: q.enabled ? 1 : 0,
    received_desc: q.receivedDesc,
    completed_desc: q.completedDesc,
    bad_desc_errors: q.badDescErrors,
    error_cqes: q.errorCqes,
    exceed_max_chain: q.exceedMaxChain,
    invalid_buffer: q.invalidBuffer,
    total_bytes: q.totalBytes,
    packets: q.packets,
    kicks: q.kicks,
    calls: q.calls,
    hw_available_index: q.hwAvailableIndex,
    hw_used_index: q.hwUsedIndex,
    rq_cq_period: fn.moderationPeriodUs,
    rq_cq_max_count: fn.moderationMaxCount,
    rq_cq_period_mode: fn.eventMode,
    dropped: q.dropped,
    oversized: q.oversized,
    started: q.started,
    broken: q.broken,
  };
}

/** One queue as `virtnet stats` shows it: counters and the size histogram. */
export function toQueueStats(fn: HwFunction, q: HwQueueCounters): QueueStats {
  const type = queueType(q.qid, fn.numQueues);
  const prefix = type === 'rx' ? 'rx_' : 'tx_';
  const stats: QueueStats = {
    index: q.qid,
    type,
    packets: q.packets,
    bytes: q.totalBytes,
    dropped: q.dropped,
    oversized: q.oversized,
    received_desc: q.receivedDesc,
    completed_desc: q.completedDesc,
    bad_desc_errors: q.badDescErrors,
    exceed_max_chain: q.exceedMaxChain,
    invalid_buffer: q.invalidBuffer,
    error_cqes: q.errorCqes,
    kicks: q.kicks,
    calls: q.calls,
  };
  if (type !== 'ctrl') SIZE_BUCKETS.forEach((b, i) => (stats[`${prefix}${b}` as const] = q.histogram[i] ?? 0));
  return stats;
}

/** What the host says of a device where it knows better than the device's side of vhost-user. */
export interface HostFacts {
  /** The address the host enumerated the device at (a VM's guest decides it). */
  bdf?: string;
  deviceStatus?: number;
  driverFeatures?: bigint;
  /** The representors' network namespace (null: the machine's). */
  netns?: string | null;
}

export function toDevice(fn: HwFunction, createdAt: Date, queues?: HwQueueCounters[], host: HostFacts = {}): Device {
  const hostBdf = host.bdf;
  const deviceStatus = host.deviceStatus ?? fn.deviceStatus;
  return {
    pf_id: fn.pfId,
    ...(fn.vfId !== null ? { vf_id: fn.vfId } : {}),
    function_type: FUNCTION_TYPES[fn.kind],
    transitional: fn.transitional ? 1 : 0,
    vuid: fn.vuid,
    pci_bdf: hostBdf ?? fn.bdf,
    bdf_raw: hostBdf ? bdfToRaw(hostBdf) : fn.bdfRaw,
    hotplug_port: fn.port,
    mac: fn.mac,
    mtu: fn.mtu,
    speed: fn.speedMbps,
    duplex: fn.duplexFull ? 'full' : 'half',
    link_status: fn.linkUp ? 'up' : 'down',
    num_queues: fn.numQueues,
    enabled_queues: fn.enabledQueues,
    max_queue_pairs: fn.maxQueuePairs,
    max_queue_size: fn.maxQueueSize,
    num_msix: fn.numMsix,
    features: formatFeatures(fn.deviceFeatures),
    driver_features: formatFeatures(host.driverFeatures ?? fn.driverFeatures),
    device_status: deviceStatus,
    device_status_names: decodeDeviceStatus(deviceStatus),
    sf_num: fn.sfNum,
    sf_parent_device: fn.ibDevice,
    sf_rep_net_device: fn.sfRep,
    sf_rep_net_ifindex: fn.repIfindex,
    sf_rep_net_ns: host.netns ?? null,
    vhost_user_socket: fn.vhostSocket,
    host_connected: fn.connected,
    host_connections: fn.connections,
    datapath: fn.backend,
    datapath_note: fn.backendNote,
    protocol_errors: fn.protocolErrors,
    migration: {
      state: fn.migration.state,
      logging: fn.migration.logEnabled,
      log_bytes: fn.migration.logSize,
      pages_logged: fn.migration.logPages,
      pages_past_log: fn.migration.logSkipped,
      migrations: fn.migration.migrations,
      rarps_sent: fn.migration.rarps,
    },
    created_at: createdAt.toISOString(),
    ...(queues ? { queues: queues.map((q) => toQueue(fn, q)) } : {}),
  };
}

export interface ControllerFacts {
  profile: HwProfile;
  emulationManager: string;
  ibDevices: string[];
  defaultFeatures: bigint;
  hotplugInUse: number;
  provider: string;
  version: string;
}

export function toControllerInfo(f: ControllerFacts): ControllerInfo {
  const p = f.profile;
  return {
    emulation_manager: f.emulationManager,
    ib_devices: f.ibDevices,
    max_hotplug_devices: p.hotplugPorts,
    hotplug_devices: f.hotplugInUse,
    static_pfs: p.staticPfs,
    vfs_per_pf: p.vfsPerPf,
    max_virt_net_devices: p.hotplugPorts + p.staticPfs * (1 + p.vfsPerPf),
    max_virt_queues: p.maxVirtqueues,
    max_queue_size: p.maxQueueSize,
    max_mtu: p.maxMtu,
    pf_msix: p.pfMsix,
    vf_msix: p.vfMsix,
    supported_features: { value: formatFeatures(p.supportedFeatures), names: decodeFeatures(p.supportedFeatures) },
    default_features: { value: formatFeatures(f.defaultFeatures), names: decodeFeatures(f.defaultFeatures) },
    supported_virt_queue_types: ['SPLIT', 'PACKED'],
    supported_event_modes: ['event', 'cqe'],
    provider: f.provider,
    version: f.version,
  };
}
