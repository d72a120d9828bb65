/**
 * The emulated DPU as the controller sees it: the Hardware interface over a
 * connection to the DPU process of its home, which it starts when none
 * runs, provisions when it is new, and watches. When the process dies (a
 * firmware reset, in the real product's terms) every call fails with
 * DPU_UNAVAILABLE until restart() brings a new one up; the functions are
 * gone with it and the owner creates them again.
 */
import { readFileSync } from 'node:fs';
import {
  HwError,
  type Backend,
  type EventMode,
  type Hardware,
  type HwFunction,
  type HwFunctionChange,
  type HwFunctionSpec,
  type HwProfile,
  type HwCaptureRead,
  type HwQueueCounters,
  type HwQueueDebug,
  type HwStatus,
} from './hardware.js';
import { answers, dpuFiles, runningDpu, startDpu, waitGone } from './dpu-process.js';
import { Connection } from './native/connection.js';
import { profileFromRaw, resolveProfile, sameProfile, type DpuState, type ProfileOverrides, type StartOptions } from './native/records.js';
import { EXPECTED_ABI } from './native/library.js';
import type { RawProfile } from './native/types.js';

export interface DpuOptions {
  /** VIRTNET_HOME: the DPU's control socket, pid file and log live there. */
  home: string;
  profile: ProfileOverrides;
  start: StartOptions;
  env?: NodeJS.ProcessEnv;
  /** Per-request timeout of the control channel (ms). */
  timeoutMs?: number;
  /**
   * false: never start a DPU process, wait for one to answer (a service
   * manager runs it). The default starts one when none answers.
   */
  spawn?: boolean;
  log?: (level: 'info' | 'warn', message: string) => void;
}

/** How open() found the DPU. */
export type Attachment =
  | { kind: 'started'; pid: number }
  | { kind: 'attached'; pid: number; functions: number }
  | { kind: 'provisioned'; pid: number }
  | { kind: 'reset'; pid: number; why: string };

const WATCH_MS = 50;
/**
 * A DPU whose heartbeat stood still this long hangs (stopped, or stuck in
 * its control loop): its socket is open, so only this tells. It is killed,
 * and the restart that follows a crash follows. The longest request the
 * DPU serves (hundreds of VFs at once) takes a fraction of it.
 */
export const HANG_MS = 3000;

function sameStart(a: StartOptions, b: StartOptions): string | null {
  if (a.socketDir !== b.socketDir) return `socket directory ${b.socketDir}, not ${a.socketDir}`;
  if (a.workers !== b.workers) return `${b.workers} worker(s), not ${a.workers}`;
  if (a.backend !== b.backend) return `representors '${b.backend}', not '${a.backend}'`;
  if (a.client !== b.client) return `vhost-user ${b.client ? 'client' : 'server'} mode`;
  if (a.netns !== b.netns) return `representors in ${b.netns ? `network namespace ${b.netns}` : "the machine's namespace"}, not ${a.netns ? a.netns : "the machine's"}`;
  return null;
}

export class Dpu implements Hardware {
  readonly abiVersion = EXPECTED_ABI;
  get representorNetns(): string | null {
    return this.opts.start.netns || null;
  }
  readonly profile: HwProfile;
  private readonly raw: RawProfile;
  private conn: Connection | null = null;
  private downReason: string | null = 'not opened';
  /** The process of the connection (killed when it hangs). */
  private pid: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private starts = 0;
  private readonly listeners = new Set<(why: string) => void>();

  private constructor(private readonly opts: DpuOptions) {
    this.raw = resolveProfile(opts.profile, opts.env);
    this.profile = profileFromRaw(this.raw);
  }

  /**
   * Attaches to this home's DPU: the running one when its profile and data
   * path settings are these (its functions are kept), else a new one.
   */
  static async open(opts: DpuOptions): Promise<{ dpu: Dpu; attachment: Attachment }> {
    const dpu = new Dpu(opts);
    const attachment = await dpu.attach();
    return { dpu, attachment };
  }

  private say(level: 'info' | 'warn', message: string): void {
    this.opts.log?.(level, message);
  }

  private get files() {
    return dpuFiles(this.opts.home);
  }

  private connect(): Connection {
    return new Connection(this.files.control, this.opts.timeoutMs ?? 10_000, this.opts.env);
  }

  private async ensureProcess(): Promise<boolean> {
    if (await answers(this.files.control)) return false;
    if (this.opts.spawn === false) {
      // Its service manager starts it (again, after a crash): wait for it.
      const deadline = Date.now() + 60_000;
      while (!(await answers(this.files.control))) {
        if (Date.now() > deadline) throw new HwError('DPU_UNAVAILABLE', `no DPU process answers on ${this.files.control} (it is started by its service, not by the controller)`, -22);
        await new Promise((r) => setTimeout(r, 50));
      }
      return false;
    }
    // A DPU busy with hundreds of devices can be slow to answer: wait for
    // it rather than start a second one on the same sockets.
    const pid = runningDpu(this.opts.home);
    if (pid !== null) {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        if (await answers(this.files.control)) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
      // It hangs: kill it, and start another below.
      this.say('warn', `the DPU process (pid ${pid}) runs but has not answered on ${this.files.control} for 15 s: killing it (see ${this.files.log})`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      await waitGone(pid);
    }
    await startDpu(this.opts.home, this.opts.env);
    this.starts++;
    return true;
  }

  /**
   * A connection to the DPU process. One of another build (its ABI differs:
   * an upgrade changed the structs both sides share) cannot be driven: it is
   * stopped (SIGTERM powers it off, its sockets and representors go) and this
   * build's started; `replaced` says so, and the devices are recreated.
   */
  private async connectSameBuild(): Promise<{ conn: Connection; replaced: string | null }> {
    try {
      return { conn: this.connect(), replaced: null };
    } catch (e) {
      if (!(e instanceof HwError) || e.code !== 'ABI_MISMATCH') throw e;
      const pid = runningDpu(this.opts.home);
      const why = `the running DPU process${pid !== null ? ` (pid ${pid})` : ''} is of another build (${e.message})`;
      this.say('warn', `${why}: stopping it and starting this build's; its devices are recreated`);
      if (pid !== null) {
        process.kill(pid, 'SIGTERM');
        await waitGone(pid);
      }
      await this.ensureProcess();
      return { conn: this.connect(), replaced: why };
    }
  }

  private async attach(): Promise<Attachment> {
    const fresh = await this.ensureProcess();
    const first = await this.connectSameBuild();
    let conn = first.conn;
    let state = conn.describe();
    if (state.provisioned) {
      const why = !sameProfile(state.rawProfile!, this.raw) ? 'its profile differs from the configuration' : sameStart(this.opts.start, state.start!);
      if (why === null) {
        if (state.start!.idlePollUs !== this.opts.start.idlePollUs) conn.setIdlePoll(this.opts.start.idlePollUs);
        this.up(conn, state.pid);
        return { kind: 'attached', pid: state.pid, functions: state.functions };
      }
      // The real product needs a firmware reset for new emulation settings too.
      this.say('warn', `the running DPU (pid ${state.pid}) runs with ${why}: powering it off and starting it again with the configuration (its ${state.functions} functions are recreated)`);
      conn.shutdown();
      conn.close();
      await waitGone(state.pid);
      await this.ensureProcess();
      conn = this.connect();
      state = conn.describe();
      conn.provision(this.raw, this.opts.start);
      this.up(conn, state.pid);
      return { kind: 'reset', pid: state.pid, why };
    }
    try {
      conn.provision(this.raw, this.opts.start);
    } catch (e) {
      conn.close();
      throw e;
    }
    this.up(conn, state.pid);
    if (first.replaced) return { kind: 'reset', pid: state.pid, why: first.replaced };
    return fresh ? { kind: 'started', pid: state.pid } : { kind: 'provisioned', pid: state.pid };
  }

  private up(conn: Connection, pid: number): void {
    this.conn = conn;
    this.pid = pid;
    this.downReason = null;
  }

  /**
   * Calls `onDown` once each time the DPU process goes away, within about
   * 50 ms (the control socket closes with the process), or hangs: its
   * heartbeat stands still for HANG_MS (stopped, or stuck), and it is
   * killed. Polling costs one non-blocking poll(2) and one read of shared
   * memory per tick, and nothing else.
   */
  watch(onDown: (why: string) => void): () => void {
    this.listeners.add(onDown);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), WATCH_MS);
      this.timer.unref();
    }
    return () => this.listeners.delete(onDown);
  }

  private tick(): void {
    if (!this.conn) return;
    if (!this.conn.alive()) return this.lost('the DPU process went away (crashed or was killed)');
    this.checkHung();
  }

  /** Kills a DPU whose heartbeat stands still (see HANG_MS); true when it did. */
  private checkHung(): boolean {
    if (!this.conn) return false;
    let age: number | null = null;
    try {
      age = this.conn.heartbeatAge();
    } catch {
      return false; // the next tick's alive() says whether it went away
    }
    if (age === null || age < HANG_MS) return false;
    const pid = this.pid;
    this.kill();
    this.lost(`the DPU process (pid ${pid ?? '?'}) hung: no heartbeat for ${age} ms, so it was killed`);
    return true;
  }

  /** SIGKILL to the connection's process (a crash the restart then handles), if that pid is still a DPU's. */
  private kill(): void {
    if (this.pid === null) return;
    try {
      if (!readFileSync(`/proc/${this.pid}/cmdline`, 'utf8').includes('vnet-dpu')) return; // gone, its pid reused
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }

  private lost(why: string): void {
    if (!this.conn) return;
    this.conn.close();
    this.conn = null;
    this.downReason = why;
    for (const l of this.listeners) l(why);
  }

  /** After the DPU went away: starts and provisions a new one (no functions). */
  async restart(): Promise<Attachment> {
    this.conn?.close();
    this.conn = null;
    const a = await this.attach();
    return a;
  }

  get isUp(): boolean {
    return this.conn !== null;
  }

  private get c(): Connection {
    if (!this.conn) throw new HwError('DPU_UNAVAILABLE', `the DPU is down: ${this.downReason ?? 'unknown'}`, -22);
    return this.conn;
  }

  /** Runs a call; a failure of the channel itself marks the DPU down at once. */
  private call<T>(fn: (c: Connection) => T): T {
    // A request to a hung DPU would wait for its timeout with the event loop held.
    this.checkHung();
    const c = this.c;
    try {
      return fn(c);
    } catch (e) {
      if (e instanceof HwError && e.code === 'DPU_UNAVAILABLE') {
        // The channel failed with the process still there (no answer in time, or a
        // broken reply): it hangs or misbehaves, and only a new one helps.
        this.kill();
        this.lost(e.message);
      }
      throw e;
    }
  }

  state(): DpuState {
    return this.call((c) => c.describe());
  }

  create(spec: HwFunctionSpec): HwFunction {
    return this.call((c) => c.create(spec));
  }
  destroy(handle: number): void {
    this.call((c) => c.destroy(handle));
  }
  modify(handle: number, change: HwFunctionChange): HwFunction {
    return this.call((c) => c.modify(handle, change));
  }
  setModeration(handle: number, mode: EventMode, periodUs: number, maxCount: number): HwFunction {
    return this.call((c) => c.setModeration(handle, mode, periodUs, maxCount));
  }
  query(handle: number): HwFunction {
    return this.call((c) => c.query(handle));
  }
  list(): HwFunction[] {
    return this.call((c) => c.list());
  }
  queueDebug(handle: number): HwQueueDebug[] {
    return this.call((c) => c.queueDebug(handle));
  }
  captureStart(handle: number, qid: number, count: number, snaplen: number): number {
    return this.call((c) => c.captureStart(handle, qid, count, snaplen));
  }
  captureRead(id: number): HwCaptureRead {
    return this.call((c) => c.captureRead(id));
  }
  captureStop(id: number): void {
    this.call((c) => c.captureStop(id));
  }
  setBackend(handle: number, backend: Backend, genSize?: number): HwFunction {
    return this.call((c) => c.setBackend(handle, backend, genSize));
  }
  sweep(): { representors: number; sockets: number } {
    return this.call((c) => c.sweep());
  }
  setIdlePoll(us: number): void {
    this.call((c) => c.setIdlePoll(us));
  }
  counters(): HwQueueCounters[] {
    return this.call((c) => c.counters());
  }
  driverWriteStatus(handle: number, status: number): void {
    this.call((c) => c.driverWriteStatus(handle, status));
  }
  driverWriteFeatures(handle: number, features: bigint): void {
    this.call((c) => c.driverWriteFeatures(handle, features));
  }

  status(): HwStatus {
    if (!this.conn) return { up: false, reason: this.downReason, pid: null, version: null, startedAt: null, functions: 0, faults: 0, starts: this.starts };
    try {
      const s = this.call((c) => c.describe());
      return { up: true, reason: null, pid: s.pid, version: s.version, startedAt: s.startedAt, functions: s.functions, faults: s.faults, starts: this.starts };
    } catch (e) {
      return { up: false, reason: (e as Error).message, pid: null, version: null, startedAt: null, functions: 0, faults: 0, starts: this.starts };
    }
  }

  /** Powers the DPU off (its devices, sockets and representors go). */
  async powerOff(): Promise<void> {
    const c = this.c;
    const pid = c.describe().pid;
    c.shutdown();
    this.lost('powered off');
    await waitGone(pid);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
    this.conn?.close();
    this.conn = null;
    this.downReason = 'closed';
  }
}
