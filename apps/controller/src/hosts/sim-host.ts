/**
 * `sim`: vnet-host, a simulated host OS that probes every plugged device
 * like a driver would and runs traffic on it. It watches the vhost-user
 * socket directory itself, so plugging is the socket appearing. It is
 * started once and outlives the controller, as a real host outlives its
 * DPU's controller.
 */
import { Logger } from '@nestjs/common';
import { HostStatusSchema, VirtnetError, type HostStatus } from '@virtnet/shared';
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Settings } from '../settings/settings.js';
import type { HostAdapter, HostCommand } from './host-adapter.js';
import { INSTALL_ROOT } from '../common/paths.js';

const DEFAULT_BINARY = join(INSTALL_ROOT, 'libs/hw/native/build/vnet-host');

/** One line to vnet-host's control socket, one JSON line back. */
function ask(socket: string, line: string, timeoutMs = 3000): Promise<unknown> {
  return new Promise((res, rej) => {
    const s = connect(socket);
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      rej(new Error('vnet-host did not answer'));
    }, timeoutMs);
    s.setEncoding('utf8');
    s.on('connect', () => s.write(line + '\n'));
    s.on('data', (d: string) => (buf += d));
    s.on('end', () => {
      clearTimeout(timer);
      try {
        res(JSON.parse(buf));
      } catch {
        rej(new Error(`vnet-host answered ${JSON.stringify(buf.slice(0, 200))}`));
      }
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
  });
}

/** Where a home's vnet-host keeps its control socket and pid. */
export function simHostFiles(home: string): { socket: string; pidFile: string } {
  return { socket: join(home, 'vnet-host.sock'), pidFile: join(home, 'vnet-host.pid') };
}

/** The pid file's process, when it is a live vnet-host serving this home's control socket, else null. */
export function runningSimHost(home: string): number | null {
  const { pidFile, socket } = simHostFiles(home);
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!pid) return null;
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') return null;
    return args[0]?.endsWith('vnet-host') && args.includes(socket) ? pid : null;
  } catch {
    return null;
  }
}

export class SimHost implements HostAdapter {
  readonly mode = 'sim' as const;
  private readonly log = new Logger('host');
  private readonly socket: string;
  private readonly pidFile: string;

  constructor(private readonly settings: Settings) {
    ({ socket: this.socket, pidFile: this.pidFile } = simHostFiles(settings.home));
  }

  async start(): Promise<void> {
    if (await this.alive()) {
      this.log.log(`re-attached to the running vnet-host (pid ${this.pid() ?? '?'})`);
      return;
    }
    // A vnet-host busy probing hundreds of devices can be slow to answer: wait for it rather
    // than start a second host on the same devices.
    const running = runningSimHost(this.settings.home);
    if (running !== null) {
      const until = Date.now() + 15_000;
      while (Date.now() < until) {
        if (await this.alive()) {
          this.log.log(`re-attached to the running vnet-host (pid ${running}) once it answered`);
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`vnet-host (pid ${running}) runs but does not answer on ${this.socket}; stop it or look at ${join(this.settings.home, 'vnet-host.log')}`);
    }
    const binary = process.env['VIRTNET_HOST_BINARY'] ?? DEFAULT_BINARY;
    if (!existsSync(binary)) throw new Error(`vnet-host is not built (${binary}); run 'make -C libs/hw/native'`);
    const out = openSync(join(this.settings.home, 'vnet-host.log'), 'a');
    // Its own session: it survives the controller (a crash, a restart, an update).
    const child = spawn(binary, ['--dir', this.settings.vhostDir, '--control', this.socket, '--profile', this.settings.hostProfile], {
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.unref();
    writeFileSync(this.pidFile, `${child.pid}\n`);
    // Generous: on a loaded machine a fresh process can take a while to answer.
    const deadline = Date.now() + 15_000;
    while (!(await this.alive())) {
      if (Date.now() > deadline) throw new Error(`vnet-host did not start; see ${join(this.settings.home, 'vnet-host.log')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    this.log.log(`started vnet-host (pid ${child.pid}), traffic profile '${this.settings.hostProfile}'`);
  }

  async plug(): Promise<void> {
    // vnet-host sees the device's socket appear (inotify) and probes it
  }
  async unplug(): Promise<void> {
    // vnet-host sees the socket go and detaches
  }


  private pid(): number | null {
    try {
      return Number(readFileSync(this.pidFile, 'utf8').trim()) || null;
    } catch {
      return null;
    }
  }

  private async alive(): Promise<boolean> {
    try {
      await ask(this.socket, 'list', 1000);
      return true;
    } catch {
      return false;
    }
  }

  async status(): Promise<HostStatus> {
    try {
      const answer = (await ask(this.socket, 'list')) as { devices?: unknown };
      const r = HostStatusSchema.shape.devices.safeParse(answer.devices);
      return { mode: 'sim', running: true, pid: this.pid(), devices: r.success ? r.data : [] };
    } catch {
      return { mode: 'sim', running: false, pid: this.pid(), devices: [] };
    }
  }

  async command(cmd: HostCommand): Promise<void> {
    let answer: unknown;
    try {
      answer = await ask(this.socket, cmd);
    } catch (e) {
      throw new VirtnetError('HOST_UNREACHABLE', `vnet-host: ${(e as Error).message}`);
    }
    const err = (answer as { error?: string }).error;
    if (err) throw new VirtnetError('DEVICE_NOT_FOUND', `vnet-host: ${err}`);
  }

  async close(): Promise<void> {
    // vnet-host outlives the controller on purpose
  }
}
