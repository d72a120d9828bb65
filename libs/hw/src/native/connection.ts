/**
 * Layer 3 of the binding: one libvnet context, that is one connection to a
 * DPU process, with typed calls. Converts between camelCase TypeScript
 * values and the C structs, turns negative return codes into HwError, and
 * owns the native context it creates (close() frees it).
 */
import koffi from 'koffi';
import {
  BACKENDS,
  HW_ERROR_CODES,
  HwError,
  type Backend,
  type EventMode,
  type HwErrorCode,
  type HwFunction,
  type HwFunctionChange,
  type HwFunctionSpec,
  type HwProfile,
  type HwCaptureRead,
  type HwQueueCounters,
  type HwQueueDebug,
} from '../hardware.js';
import { loadNative } from './library.js';
import { structArrayReader } from './struct-reader.js';
import { captureRead, captureStart, captureStop, queueDebug, type NativeCall } from './debug-calls.js';
import type { NativeFunctions } from './functions.js';
import {
  FnInfo,
  QueueCounters,
  type RawDpuState,
  type RawFnInfo,
  type RawProfile,
  type RawQueueCounters,
} from './types.js';
import { KINDS, macBytes, MODES, num, profileFromRaw, startFromRaw, toCounters, toFunction, type DpuState, type StartOptions } from './records.js';

const MOD = { mac: 1, mtu: 2, features: 4, maxQueueSize: 8, numMsix: 16, linkUp: 32 } as const;

const readFunctions = structArrayReader<RawFnInfo>(FnInfo);
const readCounters = structArrayReader<RawQueueCounters>(QueueCounters);
const FN_INFO_SIZE = koffi.sizeof(FnInfo);
const QUEUE_COUNTERS_SIZE = koffi.sizeof(QueueCounters);

export class Connection {
  readonly abiVersion: number;
  readonly libraryPath: string;
  private readonly fns: NativeFunctions;
  private ctx: unknown;
  private readonly functionsBuf = { buf: Buffer.alloc(64 * FN_INFO_SIZE) };
  private readonly countersBuf = { buf: Buffer.alloc(256 * QUEUE_COUNTERS_SIZE) };

  /** Connects to the DPU process at controlPath; throws HwError (DPU_UNAVAILABLE when none answers). */
  constructor(
    readonly controlPath: string,
    timeoutMs = 10_000,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const { path, fns } = loadNative(env);
    this.fns = fns;
    this.libraryPath = path;
    this.abiVersion = fns.vnet_abi_version() as number;
    const out = [null];
    const rc = fns.vnet_dpu_connect(controlPath, timeoutMs, out) as number;
    this.ctx = out[0];
    if (rc !== 0) {
      const err = this.error(rc);
      this.close();
      throw err;
    }
  }

  private get handle(): unknown {
    if (this.ctx === null) throw new HwError('DPU_UNAVAILABLE', 'the connection to the DPU is closed', -22);
    return this.ctx;
  }

  private error(rc: number, message?: string): HwError {
    const name = this.fns.vnet_err_name(rc) as string;
    const code = (HW_ERROR_CODES as readonly string[]).includes(name) ? (name as HwErrorCode) : 'UNKNOWN';
    const text = message ?? ((this.ctx ? this.fns.vnet_dpu_last_error(this.ctx) : '') as string) ?? '';
    return new HwError(code, text || (this.fns.vnet_strerror(rc) as string), rc);
  }

  private check(rc: number): void {
    if (rc !== 0) throw this.error(rc);
  }

  /** False once the DPU process let go of the connection (a crash closes it at once). Never blocks. */
  alive(): boolean {
    return this.ctx !== null && (this.fns.vnet_dpu_alive(this.ctx) as number) === 1;
  }

  /**
   * Milliseconds since the DPU's control loop last showed it was alive (its
   * heartbeat in the counters segment; no request), or null before it is
   * provisioned or when it keeps no heartbeat.
   */
  heartbeatAge(): number | null {
    const age = [0];
    const rc = this.fns.vnet_dpu_heartbeat_age(this.handle, age) as number;
    const name = rc < 0 ? HW_ERROR_CODES[-rc - 1] : undefined;
    if (name === 'NOT_PROVISIONED' || name === 'NOT_SUPPORTED') return null;
    this.check(rc);
    return age[0]!;
  }

  /** Ring state per queue (virtnet debug); NOT_SUPPORTED from a DPU of an older build. */
  queueDebug(handle: number): HwQueueDebug[] {
    return queueDebug(this.native(), handle);
  }
  captureStart(handle: number, qid: number, count: number, snaplen: number): number {
    return captureStart(this.native(), handle, qid, count, snaplen);
  }
  captureRead(id: number): HwCaptureRead {
    return captureRead(this.native(), id);
  }
  captureStop(id: number): void {
    captureStop(this.native(), id);
  }
  private native(): NativeCall {
    return { fns: this.fns, ctx: this.handle, check: (rc) => this.check(rc) };
  }

  describe(): DpuState {
    const raw = {} as RawDpuState;
    this.check(this.fns.vnet_dpu_describe(this.handle, raw) as number);
    const provisioned = raw.provisioned === 1;
    const provisionedAt = num(raw.provisioned_at_ms);
    return {
      pid: raw.pid,
      version: raw.version,
      provisioned,
      functions: raw.functions,
      startedAt: new Date(num(raw.started_at_ms)),
      provisionedAt: provisionedAt ? new Date(provisionedAt) : null,
      faults: num(raw.faults),
      repBus: provisioned ? raw.rep_bus : null,
      start: provisioned ? startFromRaw(raw.params) : null,
      profile: provisioned ? profileFromRaw(raw.profile) : null,
      rawProfile: provisioned ? raw.profile : null,
    };
  }

  provision(profile: RawProfile, start: StartOptions): HwProfile {
    const params = {
      socket_dir: start.socketDir,
      workers: start.workers,
      default_backend: start.backend === 'auto' ? 4 : BACKENDS.indexOf(start.backend),
      flags: start.client ? 1 : 0,
      idle_poll_us: start.idlePollUs,
      netns: start.netns,
    };
    if (Buffer.byteLength(start.socketDir) >= 108) throw new HwError('INVALID_ARGUMENT', `socket directory ${start.socketDir} is too long for unix socket paths`, -1);
    this.check(this.fns.vnet_dpu_provision(this.handle, profile, params) as number);
    return this.profile();
  }

  profile(): HwProfile {
    const back = {} as RawProfile;
    this.check(this.fns.vnet_dpu_profile(this.handle, back) as number);
    return profileFromRaw(back);
  }

  /** Powers the DPU off: its functions, sockets and representors go, and the process exits. */
  shutdown(): void {
    this.check(this.fns.vnet_dpu_shutdown(this.handle) as number);
  }

  create(spec: HwFunctionSpec): HwFunction {
    const raw = {
      type: KINDS.indexOf(spec.kind),
      pf_index: spec.pfIndex ?? -1,
      vf_index: spec.vfIndex ?? -1,
      port: spec.port ?? -1,
      sf_num: spec.sfNum ?? -1,
      ib_device: spec.ibDevice,
      mac: macBytes(spec.mac),
      mtu: spec.mtu,
      num_queues: spec.numQueues,
      max_queue_size: spec.maxQueueSize,
      num_msix: spec.numMsix ?? 0,
      transitional: spec.transitional ? 1 : 0,
      reserved: [0, 0, 0],
      features: spec.features,
    };
    if (raw.type < 0) throw new HwError('INVALID_ARGUMENT', `unknown function kind '${spec.kind}'`, -1);
    // The C struct holds 16-bit fields; refuse what would wrap instead of letting koffi truncate it.
    for (const key of ['mtu', 'num_queues', 'max_queue_size', 'num_msix'] as const) {
      if (!Number.isInteger(raw[key]) || raw[key] < 0 || raw[key] > 0xffff)
        throw new HwError('INVALID_ARGUMENT', `${key} ${raw[key]} is not a 16-bit unsigned integer`, -1);
    }
    if (Buffer.byteLength(spec.ibDevice) >= 16)
      throw new HwError('IB_DEVICE_UNKNOWN', `ib device name '${spec.ibDevice}' is too long`, -10);
    const out = {} as RawFnInfo;
    this.check(this.fns.vnet_fn_create(this.handle, raw, out) as number);
    return toFunction(out);
  }

  destroy(handle: number): void {
    this.check(this.fns.vnet_fn_destroy(this.handle, handle) as number);
  }

  modify(handle: number, change: HwFunctionChange): HwFunction {
    let mask = 0;
    const raw = { mask: 0, mac: [0, 0, 0, 0, 0, 0], mtu: 0, features: 0n, max_queue_size: 0, num_msix: 0, link_up: 0, reserved: [0, 0, 0, 0, 0, 0, 0] };
    if (change.mac !== undefined) {
      mask |= MOD.mac;
      raw.mac = macBytes(change.mac);
    }
    if (change.mtu !== undefined) {
      mask |= MOD.mtu;
      raw.mtu = change.mtu;
    }
    if (change.features !== undefined) {
      mask |= MOD.features;
      raw.features = change.features;
    }
    if (change.maxQueueSize !== undefined) {
      mask |= MOD.maxQueueSize;
      raw.max_queue_size = change.maxQueueSize;
    }
    if (change.numMsix !== undefined) {
      mask |= MOD.numMsix;
      raw.num_msix = change.numMsix;
    }
    if (change.linkUp !== undefined) {
      mask |= MOD.linkUp;
      raw.link_up = change.linkUp ? 1 : 0;
    }
    for (const key of ['mtu', 'max_queue_size', 'num_msix'] as const) {
      if (!Number.isInteger(raw[key]) || raw[key] < 0 || raw[key] > 0xffff)
        throw new HwError('INVALID_ARGUMENT', `${key} ${raw[key]} is not a 16-bit unsigned integer`, -1);
    }
    raw.mask = mask;
    const out = {} as RawFnInfo;
    this.check(this.fns.vnet_fn_modify(this.handle, handle, raw, out) as number);
    return toFunction(out);
  }

  setModeration(handle: number, mode: EventMode, periodUs: number, maxCount: number): HwFunction {
    this.check(this.fns.vnet_fn_set_moderation(this.handle, handle, MODES.indexOf(mode), periodUs, maxCount) as number);
    return this.query(handle);
  }

  query(handle: number): HwFunction {
    const out = {} as RawFnInfo;
    this.check(this.fns.vnet_fn_query(this.handle, handle, out) as number);
    return toFunction(out);
  }

  list(): HwFunction[] {
    return this.readArray(this.functionsBuf, FN_INFO_SIZE, (buf, cap, count) => this.fns.vnet_fn_list(this.handle, buf, cap, count) as number, readFunctions, 'function list').map(toFunction);
  }

  counters(): HwQueueCounters[] {
    return this.readArray(this.countersBuf, QUEUE_COUNTERS_SIZE, (buf, cap, count) => this.fns.vnet_counters_snapshot(this.handle, buf, cap, count) as number, readCounters, 'queue set').map(toCounters);
  }

  /**
   * One call into a buffer kept from the last (read about once a second at
   * DPU scale), as large as the last answer needed; a second only when the
   * set grew past it meanwhile.
   */
  private readArray<R>(
    kept: { buf: Buffer },
    size: number,
    call: (buf: Buffer, cap: number, count: number[]) => number,
    read: (buf: Buffer, n: number) => R[],
    what: string,
  ): R[] {
    for (let attempt = 0; attempt < 3; attempt++) {
      const cap = Math.floor(kept.buf.length / size);
      const count = [0];
      this.check(call(kept.buf, cap, count));
      if (count[0]! <= cap) return read(kept.buf, count[0]!);
      kept.buf = Buffer.alloc((count[0]! + 64) * size);
    }
    throw new HwError('INVALID_ARGUMENT', `the ${what} kept growing while being read`, -1);
  }

  setIdlePoll(us: number): void {
    this.check(this.fns.vnet_dpu_set_idle_poll(this.handle, us) as number);
  }

  setBackend(handle: number, backend: Backend, genSize = 64): HwFunction {
    this.check(this.fns.vnet_fn_set_backend(this.handle, handle, BACKENDS.indexOf(backend), genSize) as number);
    return this.query(handle);
  }

  sweep(): { representors: number; sockets: number } {
    const reps = [0];
    const socks = [0];
    this.check(this.fns.vnet_dpu_sweep(this.handle, reps, socks) as number);
    return { representors: reps[0]!, sockets: socks[0]! };
  }

  driverWriteStatus(handle: number, status: number): void {
    this.check(this.fns.vnet_fn_driver_write_status(this.handle, handle, status & 0xff) as number);
  }

  driverWriteFeatures(handle: number, features: bigint): void {
    this.check(this.fns.vnet_fn_driver_write_features(this.handle, handle, features) as number);
  }

  /** Frees the context; the DPU and its functions stay. */
  close(): void {
    if (this.ctx === null) return;
    this.fns.vnet_dpu_disconnect(this.ctx);
    this.ctx = null;
  }
}
