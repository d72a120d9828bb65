/**
 * A real Linux guest for interop tests: the lab's VM (scripts/lab/migration.mjs)
 * with its serial console on this process's pipes. The guest reports NICs
 * its virtio_net driver probes and removes as console lines, and runs the
 * commands written to the console (scripts/lab/init).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
// The lab is a plain JavaScript script shared with `npm run lab` and the benchmarks, not a project.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { Vm } from '../../../scripts/lab/migration.mjs';

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

/** The lab VM (scripts/lab/migration.mjs's Vm) with the NICs its driver probes. */
export class Guest extends Vm {
  declare lines: string[];
  declare proc: import('node:child_process').ChildProcess | undefined;
  declare waitLine: (re: RegExp, timeoutMs?: number, from?: number) => Promise<RegExpExecArray>;
  declare run: (cmd: string, timeoutMs?: number) => Promise<{ code: number; out: string }>;
  declare tail: (n?: number) => string;
  declare stop: () => Promise<void>;
  constructor(
    readonly dir: string,
    opts: { rootPorts: number; coldPlug?: ColdPlug[]; cpus?: number },
  ) {
    super('guest', { qmp: Guest.prepare(dir), rootPorts: opts.rootPorts, coldPlug: opts.coldPlug ?? [], cpus: opts.cpus ?? 2, console: 'stdio' });
  }

  /** The VM's directory, made; its QMP socket's path. */
  private static prepare(dir: string): string {
    mkdirSync(dir, { recursive: true });
    return join(dir, 'qmp.sock');
  }

  get qmp(): string {
    return join(this.dir, 'qmp.sock');
  }

  get console(): string {
    return this.lines.join('\n');
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

  /** Writes to the console without waiting (a command left running, a job in the background). */
  send(text: string): void {
    this.proc!.stdin!.write(text);
  }
}
