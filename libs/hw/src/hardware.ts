/**
 * The hardware seen by the controller: a DPU that exposes virtio-net PCIe
 * functions to a host. NativeHardware implements it over libvnet (the
 * emulated DPU); a BlueField implementation over NVIDIA's libsnap would be a
 * second implementation of this same interface.
 */

export type FunctionKind = 'static' | 'hotplug' | 'vf';
export type EventMode = 'event' | 'cqe';

export interface HwIbDevice {
  name: string;
  port: number;
  pfNum: number;
}

/** The firmware profile that sizes the DPU (mlxconfig knobs on real hardware). */
export interface HwProfile {
  boardSerial: string;
  hotplugPorts: number;
  staticPfs: number;
  vfsPerPf: number;
  pfMsix: number;
  vfMsix: number;
  maxVirtqueues: number;
  maxQueueSize: number;
  maxMtu: number;
  linkSpeedMbps: number;
  supportedFeatures: bigint;
  sfBase: { static: number; hotplug: number; vf: number };
  ibDevices: HwIbDevice[];
}

export interface HwFunctionSpec {
  kind: FunctionKind;
  /** Static PF index, or the parent PF of a VF. */
  pfIndex?: number;
  vfIndex?: number;
  /** Hot-plug port; the first free one when absent. */
  port?: number;
  /** SF number; the next free one of the kind's band when absent. */
  sfNum?: number;
  ibDevice: string;
  mac: string;
  mtu: number;
  numQueues: number;
  maxQueueSize: number;
  /** MSI-X vectors; the profile's value for the kind when absent. */
  numMsix?: number;
  transitional: boolean;
  /** The full feature set the device offers. */
  features: bigint;
}

export interface HwFunction {
  handle: number;
  kind: FunctionKind;
  pfId: number;
  vfId: number | null;
  port: number | null;
  sfNum: number;
  bdfRaw: number;
  bdf: string;
  vuid: string;
  ibDevice: string;
  ibPort: number;
  sfRep: string;
  mac: string;
  mtu: number;
  numQueues: number;
  maxQueuePairs: number;
  maxQueueSize: number;
  numMsix: number;
  enabledQueues: number;
  linkUp: boolean;
  transitional: boolean;
  /** The status register as the host driver wrote it. */
  deviceStatus: number;
  speedMbps: number;
  duplexFull: boolean;
  eventMode: EventMode;
  moderationPeriodUs: number;
  moderationMaxCount: number;
  deviceFeatures: bigint;
  driverFeatures: bigint;
}

export interface HwFunctionChange {
  mac?: string;
  mtu?: number;
  features?: bigint;
  maxQueueSize?: number;
  numMsix?: number;
  linkUp?: boolean;
}

export interface HwQueueCounters {
  handle: number;
  qid: number;
  enabled: boolean;
  size: number;
  msixVector: number;
  hwAvailableIndex: number;
  hwUsedIndex: number;
  receivedDesc: number;
  completedDesc: number;
  badDescErrors: number;
  errorCqes: number;
  exceedMaxChain: number;
  invalidBuffer: number;
  totalBytes: number;
  packets: number;
  kicks: number;
  calls: number;
  /** <=64, 65-127, 128-255, 256-511, 512-1023, 1024-1522, 1523-2047, >=2048 bytes */
  histogram: number[];
}

/** Error codes of the hardware layer; the names are stable and user-visible. */
export const HW_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'NO_MEMORY',
  'NOT_FOUND',
  'NO_FREE_HOTPLUG_PORT',
  'PORT_IN_USE',
  'QUEUES_EXCEED_LIMIT',
  'QUEUE_SIZE_INVALID',
  'MAC_INVALID',
  'FEATURES_UNSUPPORTED',
  'IB_DEVICE_UNKNOWN',
  'MTU_INVALID',
  'MSIX_INVALID',
  'SF_NUM_IN_USE',
  'NOT_HOTPLUG',
  'DRIVER_BOUND',
  'FUNCTION_EXISTS',
  'NOT_SUPPORTED',
  'PROFILE_INVALID',
  'FEATURES_CONFLICT',
] as const;
export type HwErrorCode = (typeof HW_ERROR_CODES)[number] | 'UNKNOWN';

export class HwError extends Error {
  constructor(
    readonly code: HwErrorCode,
    message: string,
    readonly nativeCode: number,
  ) {
    super(message);
    this.name = 'HwError';
  }
}

export interface Hardware {
  readonly profile: HwProfile;
  readonly abiVersion: number;
  create(spec: HwFunctionSpec): HwFunction;
  destroy(handle: number): void;
  modify(handle: number, change: HwFunctionChange): HwFunction;
  setModeration(handle: number, mode: EventMode, periodUs: number, maxCount: number): HwFunction;
  query(handle: number): HwFunction;
  list(): HwFunction[];
  /** Counters of every queue of every function, read in one native call. */
  counters(): HwQueueCounters[];
  /** The host side of the status register (a driver writing it through the transport). */
  driverWriteStatus(handle: number, status: number): void;
  driverWriteFeatures(handle: number, features: bigint): void;
  close(): void;
}
