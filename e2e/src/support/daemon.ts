/**
 * Real controller processes for end-to-end tests: each in its own temporary
 * VIRTNET_HOME, started with `node apps/controller/dist/main.js`, ready when
 * its state file names a URL that answers /api/v1/health.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Abort, until } from '@virtnet/shared';
// Plain scripts shared with the benchmarks, not projects.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { CONTROLLER_MAIN as MAIN, ROOT } from '../../../scripts/paths.mjs';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { removeRepresentors } from '../../../scripts/representors.mjs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

export { ROOT };

/** A TCP port that was free a moment ago, for a daemon that must come back on the same port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A process that exited but was not reaped yet (a zombie) counts as gone. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export class Daemon {
  readonly home: string;
  proc?: ChildProcess;
  url = '';
  log = '';
  /** The access token ($VIRTNET_HOME/token, made at first start); api() sends it. */
  token = '';

  private readonly port: number;

  private readonly extraEnv: NodeJS.ProcessEnv;
  /** The CA (PEM) that signed the certificate of a controller serving HTTPS. */
  private readonly ca: string | undefined;

  constructor(files: { profile?: object; conf?: object; port?: number; env?: NodeJS.ProcessEnv; ca?: string } = {}) {
    this.port = files.port ?? 0;
    this.extraEnv = files.env ?? {};
    this.ca = files.ca;
    this.home = mkdtempSync(join(tmpdir(), 'vne-'));
    if (files.profile) writeFileSync(join(this.home, 'dpu-profile.json'), JSON.stringify(files.profile));
    if (files.conf) writeFileSync(join(this.home, 'virtnet.conf'), JSON.stringify(files.conf));
  }

  get env(): NodeJS.ProcessEnv {
    // Echo representors by default: TAP names are global to the machine, and
    // tests run beside each other (and beside a developer's controller). No
    // audit entries in the machine's journal either.
    return {
      ...process.env,
      VIRTNET_HOME: this.home,
      VIRTNET_HTTP_PORT: String(this.port),
      VIRTNET_LOG_LEVEL: 'info',
      VIRTNET_DATAPATH: 'echo',
      VIRTNET_HOST: 'external',
      VIRTNET_JOURNAL: 'off',
      ...this.extraEnv,
    };
  }

  async start(): Promise<this> {
    const stateFile = join(this.home, 'controller.json');
    rmSync(stateFile, { force: true });
    const proc = spawn(process.execPath, [MAIN], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout!.on('data', (d) => (this.log += d));
    proc.stderr!.on('data', (d) => (this.log += d));
    const state = await until(`the controller in ${this.home} (log:\n${this.log})`, () => {
      if (proc.exitCode !== null) throw new Abort(`controller exited with ${proc.exitCode}:\n${this.log}`);
      if (!existsSync(stateFile)) return undefined;
      const s = JSON.parse(readFileSync(stateFile, 'utf8')) as { url: string; pid: number };
      return s.pid === proc.pid ? s : undefined;
    });
    this.url = state.url;
    this.token = this.extraEnv['VIRTNET_TOKEN'] ?? readFileSync(join(this.home, 'token'), 'utf8').trim();
    await until('health', async () => ((await this.fetch('/api/v1/health')).ok ? true : undefined));
    return this;
  }

  /** The pid in the state file: after a live update or restart, the process that took over. */
  statePid(): number | null {
    try {
      return (JSON.parse(readFileSync(join(this.home, 'controller.json'), 'utf8')) as { pid: number }).pid;
    } catch {
      return null;
    }
  }

  /** Waits for a controller other than `oldPid` to have taken over and to answer. */
  async takenOver(oldPid: number, ms = 60_000): Promise<number> {
    const pid = await until(`a new controller to take over from pid ${oldPid} (log:\n${this.log})`, () => {
      const p = this.statePid();
      return p !== null && p !== oldPid ? p : undefined;
    }, ms);
    const state = JSON.parse(readFileSync(join(this.home, 'controller.json'), 'utf8')) as { url: string };
    this.url = state.url;
    await until('health after the takeover', async () => ((await this.fetch('/api/v1/health')).ok ? true : undefined));
    return pid;
  }

  /** SIGKILL: no shutdown hook runs, as after a crash. Also kills a controller that took over by an update. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await gone;
    }
    const other = this.statePid();
    if (other !== null && other !== p?.pid && alive(other)) {
      process.kill(other, 'SIGKILL');
      await until(`pid ${other} to die`, () => (alive(other) ? undefined : true));
    }
  }

  async stop(): Promise<number | null> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return p?.exitCode ?? null;
    const gone = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    p.kill('SIGTERM');
    return gone;
  }

  /** The DPU process of this home (it outlives the controller), or null. */
  dpuPid(): number | null {
    try {
      const pid = Number(readFileSync(join(this.home, 'dpu.pid'), 'utf8'));
      return pid && alive(pid) ? pid : null;
    } catch {
      return null;
    }
  }

  async cleanup(): Promise<void> {
    await this.kill();
    // The sim host and the DPU outlive the controller by design; a test's must not outlive the test.
    for (const file of ['vnet-host.pid', 'dpu.pid']) {
      const pidFile = join(this.home, file);
      if (!existsSync(pidFile)) continue;
      const pid = Number(readFileSync(pidFile, 'utf8'));
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    removeRepresentors(this.home);
    rmSync(this.home, { recursive: true, force: true });
  }

  /** The URL that signs a browser in (sets the dashboard's cookie). */
  get loginUrl(): string {
    return `${this.url}login?token=${this.token}`;
  }

  /** A request with the bearer token, or without any when `token` is null. */
  fetch(path: string, init: RequestInit = {}, token: string | null = this.token): Promise<Response> {
    const headers = { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) };
    if (this.ca) return this.fetchTls(new URL(path, this.url), init, headers);
    return fetch(new URL(path, this.url), { ...init, headers });
  }

  /** fetch() knows no CA but the system's: HTTPS with ours goes through node:https. */
  private fetchTls(url: URL, init: RequestInit, headers: Record<string, string>): Promise<Response> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(url, { method: init.method ?? 'GET', headers, ca: this.ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode!, headers: res.headers as Record<string, string> })));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(typeof init.body === 'string' ? init.body : undefined);
    });
  }

  async api(method: string, path: string, body?: unknown, token: string | null = this.token): Promise<{ status: number; body: any }> {
    const res = await this.fetch(path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }, token);
    return { status: res.status, body: await res.json() };
  }
}
