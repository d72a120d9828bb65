/**
 * DPDK's testpmd (Debian package dpdk-dev) as a real virtio driver: its
 * virtio-user PMD attaches to a device's vhost-user socket without a VM.
 * Driven interactively over stdin, so a test can start, stop and read
 * statistics at exact points.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Abort, until } from '@virtnet/shared';

export const TESTPMD = process.env['TESTPMD_PATH'] ?? '/usr/bin/dpdk-testpmd';
let instances = 0;

export class TestPmd {
  private proc?: ChildProcess;
  private out = '';
  private err = '';

  /** vdev: e.g. net_virtio_user0,path=SOCK,queues=2 */
  constructor(
    private readonly vdev: string,
    private readonly queues = 1,
  ) {}

  async start(): Promise<this> {
    if (!existsSync(TESTPMD)) throw new Error(`no testpmd at ${TESTPMD}: apt-get install dpdk-dev, or set TESTPMD_PATH`);
    const prefix = `vne${process.pid}x${instances++}`;
    const args = ['-l', '0-1', '--no-huge', '-m', '512', '--no-pci', '--file-prefix', prefix, '--vdev', this.vdev, '--log-level', 'lib.eal:error',
      '--', '-i', '--total-num-mbufs=16384', `--rxq=${this.queues}`, `--txq=${this.queues}`];
    // testpmd's printf output is block-buffered on a pipe while its prompt is
    // not: line buffering keeps a command's output before the next prompt.
    const proc = spawn('stdbuf', ['-oL', TESTPMD, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc = proc;
    // Prompts are read from stdout only: stderr lines can land inside one.
    proc.stdout!.on('data', (d) => (this.out += d));
    proc.stderr!.on('data', (d) => (this.err += d));
    await until(`testpmd's prompt (output:\n${this.out}\n${this.err})`, () => {
      if (proc.exitCode !== null) throw new Abort(`testpmd exited with ${proc.exitCode}:\n${this.out}\n${this.err}`);
      return this.out.includes('testpmd> ') ? true : undefined;
    }, 30_000);
    return this;
  }

  /** Runs one command and returns what it printed up to the next prompt. */
  async run(command: string): Promise<string> {
    const from = this.out.length;
    this.proc!.stdin!.write(command + '\n');
    return until(`testpmd: ${command}`, () => {
      const text = this.out.slice(from);
      const end = text.lastIndexOf('testpmd> ');
      return end > 0 ? text.slice(0, end) : undefined;
    }, 30_000);
  }

  /** Extended statistics of port 0 (per queue: tx_q0_good_packets, ...). */
  async xstats(): Promise<Record<string, number>> {
    const text = await this.run('show port xstats 0');
    return Object.fromEntries([...text.matchAll(/^(\w+): (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
  }

  async quit(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.stdin!.write('quit\n');
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }
}
