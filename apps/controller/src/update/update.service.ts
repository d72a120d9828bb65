/**
 * Live update (`virtnet update -s`) and fast restart (`virtnet restart`):
 * the running controller hands its devices over to a new controller process
 * without stopping the service and without the host losing its devices.
 *
 *  1. The old controller stops accepting changes (reads go on) and starts
 *     the new build: VIRTNET_UPDATE_FROM when set, else its own install
 *     directory read again, where a package manager put the new files
 *     (`dpkg -i` / `rpm -U` replace them in place). Restart starts the
 *     install directory as it is.
 *  2. The new controller migrates the database, attaches to the DPU process
 *     (which holds the devices and serves the data path, and never stops)
 *     and reconciles the database with it: every device is kept as it runs.
 *     It takes over the CLI socket, tells the service manager it is the
 *     main process now, and says "ready" on the old controller's handover
 *     socket.
 *  3. The old controller answers with the devices a host driver was
 *     attached to (and how many connections each had seen) and exits. The
 *     host notices nothing: its connections are the DPU's. The new
 *     controller takes over the HTTP port and records the result, the gap
 *     (the time no controller answered, from the old one's exit until the
 *     new one listens) and how many host connections dropped meanwhile
 *     (0: every driver stayed attached).
 *
 * If the new controller fails before it is ready, the old one keeps the
 * devices, accepts changes again and records the failure.
 */
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Hardware } from '@virtnet/hw';
import { VirtnetError, type UpdateStatus } from '@virtnet/shared';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { VERSION } from '../common/version.js';
import { DEVICE_STORE, type DeviceStore } from '../database/stores.js';
import { AuditService, type Actor } from '../audit/audit.service.js';
import { DeviceRegistry } from '../devices/device-registry.js';
import { HARDWARE } from '../hardware/hardware.module.js';
import { SETTINGS, type Settings } from '../settings/settings.js';

const STATE_KEY = 'live_update';
/** How long the new build may take to be ready before the update is given up. */
const READY_TIMEOUT_MS = 120_000;

interface LastUpdate {
  result: 'success' | 'failed';
  kind: 'update' | 'restart';
  from: string;
  to: string;
  at: string;
  error: string | null;
  gap_ms: number | null;
  reconnects?: number | null;
}

/** True while `pid` runs; a process that exited but was not reaped yet (a zombie) has stopped. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A device a host driver was attached to, and how many connections it had seen. */
interface Attached {
  vuid: string;
  connections: number;
}

export interface Build {
  dir: string;
  main: string;
  version: string;
}

/** The controller build in an install directory, or null when there is none. */
export function buildIn(dir: string): Build | null {
  const main = join(dir, 'apps/controller/dist/main.js');
  try {
    const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown }).version;
    if (typeof version !== 'string' || !existsSync(main)) return null;
    return { dir, main, version };
  } catch {
    return null;
  }
}

@Injectable()
export class UpdateService implements OnApplicationShutdown {
  private readonly log = new Logger('update');
  private active: { kind: 'update' | 'restart'; to: string } | null = null;
  private server?: Server;

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(DeviceRegistry) private readonly devices: DeviceRegistry,
    @Inject(HARDWARE) private readonly hw: Hardware,
    @Inject(DEVICE_STORE) private readonly store: DeviceStore,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {
    // A controller started by an update is "active" until it has taken over.
    if (settings.takeover) this.active = { kind: (process.env['VIRTNET_TAKEOVER_KIND'] as 'update' | 'restart') ?? 'update', to: VERSION };
  }

  get handoverSocket(): string {
    return join(this.settings.home, 'handover.sock');
  }

  /** The build `update -s` would start. */
  destination(kind: 'update' | 'restart' = 'update'): Build | null {
    return buildIn(kind === 'update' ? (this.settings.updateFrom ?? this.settings.installDir) : this.settings.installDir);
  }

  isActive(): boolean {
    return this.active !== null;
  }

  async status(): Promise<UpdateStatus> {
    const last = (await this.store.getState(STATE_KEY)) as LastUpdate | undefined;
    return {
      status: this.active ? 'active' : 'inactive',
      'last live update status': last?.result ?? 'none',
      last_from: last?.from ?? null,
      last_to: last?.to ?? null,
      last_at: last?.at ?? null,
      last_error: last?.error ?? null,
      last_gap_ms: last?.gap_ms ?? null,
      last_reconnects: last?.reconnects ?? null,
    };
  }

  private async record(last: LastUpdate): Promise<void> {
    try {
      await this.store.setState(STATE_KEY, last);
    } catch (e) {
      this.log.error(`could not record the ${last.kind} result: ${(e as Error).message}`);
    }
  }

  /** Starts the handover; `update -t` follows it. */
  async start(kind: 'update' | 'restart', actor: Actor = 'cli') {
    try {
      const r = await this.begin(kind);
      await this.audit.record({ actor, action: kind === 'update' ? 'live_update' : 'restart', target: `${r.from} -> ${r.to}`, result: 'ok', errorCode: null, detail: r.binary });
      return r;
    } catch (e) {
      const err = e instanceof VirtnetError ? e : new VirtnetError('UPDATE_FAILED', (e as Error).message);
      await this.audit.record({ actor, action: kind === 'update' ? 'live_update' : 'restart', target: null, result: 'error', errorCode: err.code, detail: err.message });
      throw err;
    }
  }

  private async begin(kind: 'update' | 'restart') {
    if (this.active) throw new VirtnetError('UPDATE_IN_PROGRESS', `a live ${this.active.kind} to ${this.active.to} is running; see virtnet update -t`);
    const build = this.destination(kind);
    if (!build) {
      const where = kind === 'update' ? (this.settings.updateFrom ?? this.settings.installDir) : this.settings.installDir;
      throw new VirtnetError('UPDATE_FAILED', `no controller build in ${where} (expected package.json and apps/controller/dist/main.js)`);
    }
    this.active = { kind, to: build.version };
    await this.devices.freeze(`a live ${kind}`);
    try {
      await this.listenForHandover(kind);
    } catch (e) {
      this.abort(kind, build, `handover socket: ${(e as Error).message}`);
      throw new VirtnetError('UPDATE_FAILED', `cannot open the handover socket: ${(e as Error).message}`);
    }
    const child = spawn(process.execPath, [build.main], {
      env: { ...process.env, VIRTNET_TAKEOVER: this.handoverSocket, VIRTNET_TAKEOVER_KIND: kind, VIRTNET_TAKEOVER_FROM: VERSION },
      // Its own session: it outlives this process. It logs where this one does (the journal).
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.unref();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      this.abort(kind, build, `the new controller was not ready within ${READY_TIMEOUT_MS / 1000} s`);
    }, READY_TIMEOUT_MS);
    timer.unref();
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (this.active) this.abort(kind, build, `the new controller exited (${signal ?? `code ${code}`}) before taking over; its log says why`);
    });
    this.log.log(`live ${kind}: ${VERSION} -> ${build.version} from ${build.main} (pid ${child.pid})`);
    return { status: 'started' as const, from: VERSION, to: build.version, binary: build.main, kind };
  }

  private abort(kind: 'update' | 'restart', build: Build, error: string): void {
    if (!this.active) return;
    this.active = null;
    this.server?.close();
    this.server = undefined;
    rmSync(this.handoverSocket, { force: true });
    this.devices.unfreeze();
    this.log.error(`live ${kind} to ${build.version} failed: ${error}; this controller keeps the devices`);
    void this.record({ result: 'failed', kind, from: VERSION, to: build.version, at: new Date().toISOString(), error, gap_ms: null });
  }

  /** The old side: wait for "ready", hand over the attached devices, exit. */
  private listenForHandover(kind: 'update' | 'restart'): Promise<void> {
    rmSync(this.handoverSocket, { force: true });
    return new Promise((resolve, reject) => {
      const server = createServer((sock) => {
        let buf = '';
        sock.setEncoding('utf8');
        sock.on('error', () => sock.destroy());
        sock.on('data', (d: string) => {
          buf += d;
          if (!buf.includes('\n') || !this.active) return;
          const [word, pid] = buf.trim().split(' ');
          if (word !== 'ready') return sock.destroy();
          const attached = this.hw
            .list()
            .filter((f) => f.connected)
            .map((f) => ({ vuid: f.vuid, connections: f.connections }));
          this.log.log(`live ${kind}: pid ${pid} took over ${this.devices.count} devices; exiting`);
          sock.end(JSON.stringify({ pid: process.pid, version: VERSION, attached }) + '\n', () => {
            // The DPU and its devices stay; only this process goes.
            process.exit(0);
          });
        });
      });
      server.once('error', reject);
      server.listen(this.handoverSocket, () => {
        server.off('error', reject);
        this.server = server;
        resolve();
      });
    });
  }

  /**
   * The new side, once its devices exist: tell the old controller, wait for
   * it to exit, and return what is needed to measure the gap.
   */
  async takeOver(): Promise<{ oldPid: number; from: string; attached: Attached[]; oldExitedAt: number } | null> {
    const path = this.settings.takeover;
    if (!path) return null;
    const { connect } = await import('node:net');
    const reply = await new Promise<{ pid: number; version: string; attached: Attached[] } | null>((resolve) => {
      const s = connect(path);
      let buf = '';
      s.setEncoding('utf8');
      s.once('connect', () => s.write(`ready ${process.pid}\n`));
      s.on('data', (d: string) => (buf += d));
      s.once('error', (e) => {
        this.log.warn(`the old controller's handover socket does not answer (${e.message}); going on alone`);
        resolve(null);
      });
      s.once('close', () => {
        try {
          resolve(JSON.parse(buf) as { pid: number; version: string; attached: Attached[] });
        } catch {
          resolve(null);
        }
      });
    });
    if (!reply) return null;
    // The old controller exits as soon as it has answered: its connections close from here on.
    const oldExitedAt = performance.now();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && running(reply.pid)) await new Promise((r) => setTimeout(r, 2));
    return { oldPid: reply.pid, from: reply.version, attached: reply.attached, oldExitedAt };
  }

  /**
   * The new side, after the HTTP port is taken: check that every device a
   * host was attached to still is, on the same connection, and record the
   * result with the gap (from the old controller's exit to now).
   */
  async finish(t: { from: string; attached: Attached[]; oldExitedAt: number }): Promise<void> {
    const kind = this.active?.kind ?? 'update';
    const gap = performance.now() - t.oldExitedAt;
    const want = new Map(t.attached.map((a) => [a.vuid, a.connections]));
    // A driver that dropped in between reconnects by itself; wait for it so the count is final.
    const deadline = performance.now() + 30_000;
    let now = this.hw.list().filter((f) => want.has(f.vuid));
    while (now.some((f) => !f.connected) && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      now = this.hw.list().filter((f) => want.has(f.vuid));
    }
    const reconnects = now.filter((f) => f.connections !== want.get(f.vuid)).length;
    const missing = now.filter((f) => !f.connected).length + (want.size - now.length);
    this.active = null;
    const error = missing ? `${missing} of ${want.size} attached devices did not attach again within 30 s` : null;
    await this.record({
      result: error ? 'failed' : 'success',
      kind,
      from: t.from,
      to: VERSION,
      at: new Date().toISOString(),
      error,
      gap_ms: Math.round(gap * 10) / 10,
      reconnects,
    });
    this.log.log(
      `live ${kind} ${t.from} -> ${VERSION} ${error ? `finished with an error: ${error}` : 'done'}; no controller answered for ${gap.toFixed(1)} ms; ${reconnects} of ${want.size} attached host connections dropped (the data path ran on in the DPU)`,
    );
  }

  /** A controller started by an update whose old side is gone: it simply runs. */
  settle(): void {
    this.active = null;
  }

  onApplicationShutdown(): void {
    this.server?.close();
  }
}
