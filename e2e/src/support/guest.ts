/**
 * A real Linux guest for interop tests: the lab's VM (scripts/lab/vm.mjs)
 * with its serial console on this process's pipes. The guest reports NICs
 * its virtio_net driver probes and removes as console lines, and runs the
 * commands written to the console (scripts/lab/init).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
// The lab is a plain JavaScript script shared with `npm run lab` and the benchmarks, not a project.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { vmArgs } from '../../../scripts/lab/vm.mjs';

export interface Nic {
  ifname: string;
  mac: string;
  mtu: number;
  queues: number;
  bdf: string;
}

export interface ColdPlug {
  vuid: string;
  socket: string;
  mac: string;
  mtu: number;
  queuePairs: number;
}

const NIC_ADD = /^VNET-NIC-ADD (\S+) (\S+) (\d+) (\d+) (\S+)$/;

export class Guest {
  proc?: ChildProcess;
  /** Every console line so far. */
  readonly lines: string[] = [];
  private partial = '';
  private seq = 0;
  private readonly waiters = new Set<() => void>();
  readonly qmp: string;

  constructor(
    readonly dir: string,
    private readonly opts: { rootPorts: number; coldPlug?: ColdPlug[]; cpus?: number },
  ) {
    mkdirSync(dir, { recursive: true });
    this.qmp = join(dir, 'qmp.sock');
  }

  get console(): string {
    return this.lines.join('\n');
  }

  /** Boots the VM; resolves once its init is ready for commands. */
  async start(timeoutMs = 90_000): Promise<this> {
    const args: string[] = vmArgs({ qmp: this.qmp, rootPorts: this.opts.rootPorts, coldPlug: this.opts.coldPlug ?? [], cpus: this.opts.cpus ?? 2, console: 'stdio' });
    const p = spawn('qemu-system-x86_64', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc = p;
    const take = (d: Buffer) => {
      this.partial += d.toString('utf8').replace(/\r/g, '');
      const parts = this.partial.split('\n');
      this.partial = parts.pop()!;
      if (parts.length) {
        this.lines.push(...parts);
        for (const w of [...this.waiters]) w();
      }
    };
    p.stdout!.on('data', take);
    p.stderr!.on('data', take);
    p.on('exit', () => {
      for (const w of [...this.waiters]) w();
    });
    await this.waitLine(/^VNET-READY$/, timeoutMs);
    return this;
  }

  /**
   * Resolves with the first line from index `from` on that matches, failing
   * after `timeoutMs` or when QEMU exits.
   */
  waitLine(re: RegExp, timeoutMs = 30_000, from = 0): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      let i = from;
      const check = () => {
        for (; i < this.lines.length; i++) {
          const m = re.exec(this.lines[i]!);
          if (m) return done(() => resolve(m));
        }
        if (this.proc?.exitCode !== null || this.proc?.signalCode) done(() => reject(new Error(`QEMU exited while waiting for ${re}:\n${this.tail()}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no console line ${re} within ${timeoutMs} ms:\n${this.tail()}`))), timeoutMs);
      const done = (f: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        f();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The NIC the driver probes next (from line `from` on). */
  async nicAdded(from: number, timeoutMs = 30_000): Promise<Nic> {
    const m = await this.waitLine(NIC_ADD, timeoutMs, from);
    return { ifname: m[1]!, mac: m[2]!.toUpperCase(), mtu: Number(m[3]), queues: Number(m[4]), bdf: m[5]! };
  }

  /** Every NIC the driver probed since line `from`. */
  nicsSince(from = 0): Nic[] {
    return this.lines
      .slice(from)
      .map((l) => NIC_ADD.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ ifname: m[1]!, mac: m[2]!.toUpperCase(), mtu: Number(m[3]), queues: Number(m[4]), bdf: m[5]! }));
  }

  /** Runs a shell command in the guest; resolves with its output and exit status. */
  async run(cmd: string, timeoutMs = 30_000): Promise<{ code: number; out: string }> {
    const n = ++this.seq;
    const from = this.lines.length;
    this.proc!.stdin!.write(`${cmd}\necho VNET-DONE-${n} $?\n`);
    const m = await this.waitLine(new RegExp(`^VNET-DONE-${n} (\\d+)$`), timeoutMs, from);
    const end = this.lines.findIndex((l, i) => i >= from && l === m[0]);
    return { code: Number(m[1]), out: this.lines.slice(from, end).join('\n') };
  }

  /** Writes to the console without waiting (a command left running, a job in the background). */
  send(text: string): void {
    this.proc!.stdin!.write(text);
  }

  tail(n = 40): string {
    return this.lines.slice(-n).join('\n');
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }
}
