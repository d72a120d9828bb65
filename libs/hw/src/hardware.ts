/**
 * The hardware seen by the controller: a DPU that exposes virtio-net PCIe
 * functions to a host. Dpu implements it over libvnet, the driver library
 * of the emulated DPU (a process of its own, vnet-dpu); a BlueField
 * implementation over NVIDIA's libsnap would be a second implementation of
 * this same interface.
 */

export type FunctionKind = 'static' | 'hotplug' | 'vf';
export type EventMode = 'event' | 'cqe';

/**
 * What the device side of the data path (the SF representor) does with
 * packets: `tap` a TAP netdev named like the representor (needs
 * CAP_NET_ADMIN); `echo` TX frames come back on the pair's RX queue;
 * `sink` TX frames are counted and dropped; `generator` RX queues are
 * filled with generated frames (a load generator).
 */
export type Backend = 'echo' | 'tap' | 'sink' | 'generator';
export const BACKENDS: readonly Backend[] = ['echo', 'tap', 'sink', 'generator'];

/**
 * A device's last live migration as its vhost-user back-end saw it (enum
 * vnet_migration): `none` logging was never on; `logging` dirty logging is
 * on, a migration is copying the guest; `stopped` the rings were stopped
 * with logging on (the guest was handed over to the destination);
 * `cancelled` logging went off with the rings running (the migration was
 * cancelled or failed, and the device goes on).
 */
export type MigrationState = 'none' | 'logging' | 'stopped' | 'cancelled';
export const MIGRATION_STATES: readonly MigrationState[] = ['none', 'logging', 'stopped', 'cancelled'];

/** Live migration as the device's back-end sees it (dirty logging, vhost-user.rst "Migration"). */
export interface HwMigration {
  /** The device marks the guest pages it writes (VHOST_F_LOG_ALL acked and a log mapped). */
  logEnabled: boolean;
  state: MigrationState;
  /** Bytes of the dirty log the front-end shared, 0 without one. */
  logSize: number;
  /** Pages the device marked dirty since logging last went on. */
  logPages: number;
  /** Pages it wrote past the end of the log since then (not marked: the log is too small). */
  logSkipped: number;
  /** Logging sessions that ended (stopped or cancelled) since the function was created. */
  migrations: number;
  /** RARP frames sent for the front-end after a migration (VHOST_USER_SEND_RARP). */
  rarps: number;
}

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
  /** Host bus of hot-plug switch port 0 (port n is on bus + n). */
  hotplugBusBase: number;
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
  /** The vhost-user back-end socket, once the data path is started. */
  vhostSocket: string | null;
  /** A vhost-user front-end (the host's driver) is attached. */
  connected: boolean;
  backend: Backend;
  /** Why the backend is what it is, or the last thing the device refused. */
  backendNote: string;
  /** ifindex of the representor TAP, or null. */
  repIfindex: number | null;
  protocolFeatures: bigint;
  /** Malformed or unsupported vhost-user messages refused so far. */
  protocolErrors: number;
  /** Front-end connections since the function was created (a reconnect counts one). */
  connections: number;
  migration: HwMigration;
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
  /** Frames lost: no receive buffer, or a chain the device could not use. */
  dropped: number;
  /** TX frames longer than the device's MTU allows, dropped. */
  oversized: number;
  started: boolean;
  /** The driver broke the ring; it stays stopped until the device is reset. */
  broken: boolean;
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
  'SYSTEM_ERROR',
  'NOT_STARTED',
  'DPU_UNAVAILABLE',
  'NOT_PROVISIONED',
  'ABI_MISMATCH',
  'ALREADY_PROVISIONED',
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

/** What the hardware says of itself. */
export interface HwStatus {
  /** The DPU answers; false while it is down (crashed, or being restarted). */
  up: boolean;
  /** Why it is down, when it is. */
  reason: string | null;
  pid: number | null;
  version: string | null;
  startedAt: Date | null;
  /** Functions the DPU holds. */
  functions: number;
  /** Guest-memory faults the DPU absorbed (a driver shrank its memory under a device). */
  faults: number;
  /** DPU process starts seen by this controller (the first one included). */
  starts: number;
}

export type HwDescErrorKind = 'address' | 'chain' | 'descriptor' | 'head' | 'writable';

export interface HwDescError {
  /** Wall clock, ms since the epoch. */
  atMs: number;
  head: number;
  kind: HwDescErrorKind;
  what: string;
}

export interface HwQueueDebug {
  handle: number;
  qid: number;
  size: number;
  packed: boolean;
  enabled: boolean;
  started: boolean;
  broken: boolean;
  /** The device's next avail position (split: index; packed: position with devWrap). */
  devAvail: number;
  devUsed: number;
  devWrap: boolean;
  inflight: number;
  /** The device asks for kicks. */
  devNotify: boolean;
  /** The driver's side below was read from its memory (the ring is set up). */
  driverReadable: boolean;
  drvAvail: number;
  drvUsed: number;
  drvWrap: boolean;
  /** split: avail->flags; packed: the driver's event suppression flags. */
  drvFlags: number;
  /** With EVENT_IDX: used_event (split) or the driver's event off_wrap (packed). */
  drvEvent: number;
  eventIdx: boolean;
  errorsTotal: number;
  errors: HwDescError[];
}

export interface HwCaptureFrame {
  /** Wall clock, ns since the epoch. */
  atNs: bigint;
  qid: number;
  /** The frame's length; data holds at most the snap length of it. */
  origLen: number;
  data: Buffer;
}

export interface HwCaptureRead {
  frames: HwCaptureFrame[];
  captured: number;
  /** Frames the capture buffer had no room for. */
  dropped: number;
  /** The count was reached (or the function went away). */
  done: boolean;
}

export interface Hardware {
  readonly profile: HwProfile;
  readonly abiVersion: number;
  /** The network namespace of the TAP representors (ip-netns(8)); null for the machine's own. */
  readonly representorNetns: string | null;
  create(spec: HwFunctionSpec): HwFunction;
  destroy(handle: number): void;
  modify(handle: number, change: HwFunctionChange): HwFunction;
  setModeration(handle: number, mode: EventMode, periodUs: number, maxCount: number): HwFunction;
  query(handle: number): HwFunction;
  list(): HwFunction[];
  setBackend(handle: number, backend: Backend, genSize?: number): HwFunction;
  /**
   * Removes what no function owns any more: TAP representors a crash left
   * (an unplug cut short) and socket files of devices that are gone.
   */
  sweep(): { representors: number; sockets: number };
  /**
   * How long (microseconds, 0 to 1000000) a worker polls a ring that went
   * empty before it asks for kicks again and sleeps: the data-path
   * provider's trade-off between idle CPU and kicks under load.
   */
  setIdlePoll(us: number): void;
  /** Counters of every queue of every function, read without asking the DPU. */
  counters(): HwQueueCounters[];
  /** Each queue's ring state as the device and the driver see it, and its last descriptor errors. */
  queueDebug(handle: number): HwQueueDebug[];
  /**
   * Starts copying the frames of `handle`'s queue `qid` (-1: every queue)
   * where they meet the representor, up to `count` of them, each cut to
   * `snaplen` bytes; returns the capture's id. One capture per function at
   * a time; it ends with its count, with captureStop, or with the
   * connection that started it.
   */
  captureStart(handle: number, qid: number, count: number, snaplen: number): number;
  /** The frames captured since the last read, and where the capture stands. */
  captureRead(id: number): HwCaptureRead;
  captureStop(id: number): void;
  /** The host side of the status register (a driver writing it through the transport). */
  driverWriteStatus(handle: number, status: number): void;
  driverWriteFeatures(handle: number, features: bigint): void;
  status(): HwStatus;
  /** Lets go of the DPU: the controller goes away, the DPU and its devices stay. */
  close(): void;
}
