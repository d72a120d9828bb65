/**
 * A real Open vSwitch (Debian's package) for end-to-end tests: its own
 * database server and switch daemon in a temporary directory, on the
 * userspace datapath (no kernel module), as children of the test (not
 * detached, so that they are reaped when stopped). Every
 * ovs-vsctl started with `env` (OVS_RUNDIR) talks to it, the controller's
 * included.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@virtnet/shared';

export class Ovs {
  readonly dir = mkdtempSync(join(tmpdir(), 'vnovs-'));
  readonly env: Record<string, string> = { OVS_RUNDIR: this.dir, OVS_LOGDIR: this.dir, OVS_DBDIR: this.dir, OVS_SYSCONFDIR: this.dir };
  private readonly daemons: ChildProcess[] = [];

  private daemon(cmd: string, args: string[]): void {
    const p = spawn(cmd, args, { env: { ...process.env, ...this.env }, stdio: 'ignore' });
    this.daemons.unshift(p); // stopped in the reverse order
  }

  private run(cmd: string, args: string[]): string {
    return execFileSync(cmd, args, { env: { ...process.env, ...this.env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  vsctl(...args: string[]): string {
    return this.run('ovs-vsctl', ['--timeout=10', ...args]).trim();
  }

  async start(): Promise<this> {
    const db = join(this.dir, 'conf.db');
    this.run('ovsdb-tool', ['create', db, '/usr/share/openvswitch/vswitch.ovsschema']);
    const sock = join(this.dir, 'db.sock');
    this.daemon('ovsdb-server', [db, `--remote=punix:${sock}`, `--log-file=${join(this.dir, 'ovsdb-server.log')}`]);
    await until('ovsdb-server to listen', () => (existsSync(sock) ? true : undefined));
    this.vsctl('--no-wait', 'init');
    this.daemon('ovs-vswitchd', [`unix:${sock}`, `--log-file=${join(this.dir, 'ovs-vswitchd.log')}`]);
    await until('ovs-vswitchd to answer', () => (this.vsctl('show') ? true : undefined));
    return this;
  }

  /** A bridge on the userspace datapath. */
  addBridge(name: string): void {
    this.vsctl('add-br', name, '--', 'set', 'bridge', name, 'datapath_type=netdev');
  }

  ports(bridge: string): string[] {
    const out = this.vsctl('list-ports', bridge);
    return out ? out.split('\n').sort() : [];
  }

  log(): string {
    const f = join(this.dir, 'ovs-vswitchd.log');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }

  /**
   * The userspace datapath makes a TAP netdev for each bridge and internal
   * port, and they outlive the daemons: the bridges go first (taking their
   * internal ports), then the daemons, then whatever netdev is left.
   */
  async stop(): Promise<void> {
    const netdevs: string[] = [];
    try {
      for (const br of this.vsctl('list-br').split('\n').filter(Boolean)) {
        netdevs.push(br, ...this.vsctl('list-ifaces', br).split('\n').filter((i) => i && !/^en\df/.test(i)));
        this.vsctl('--if-exists', 'del-br', br);
      }
    } catch {
      // the daemons are gone already
    }
    for (const p of this.daemons) {
      if (p.exitCode !== null || p.signalCode !== null) continue;
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await gone;
    }
    for (const dev of netdevs) {
      try {
        execFileSync('ip', ['link', 'del', dev], { stdio: 'ignore' });
      } catch {
        // removed with its bridge
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
