/**
 * A real systemd-journald of the test's own (needs root): a journal
 * namespace (systemd-journald NAME) in a mount namespace whose /run and
 * /var/log are directories of the test, so it neither sees nor touches the
 * machine's journal; its socket and files are reached through those
 * directories from outside, and journalctl reads what it stored.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Abort, until } from '@virtnet/shared';

const JOURNALD = ['/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-journald'].find(existsSync) ?? '/lib/systemd/systemd-journald';

export class Journald {
  readonly dir = mkdtempSync(join(tmpdir(), 'vnjd-'));
  readonly namespace = 'virtnettest';
  log = '';
  private proc?: ChildProcess;

  /** Where the controller sends its entries. */
  get socket(): string {
    return join(this.dir, 'run/systemd', `journal.${this.namespace}`, 'socket');
  }

  async start(): Promise<this> {
    mkdirSync(join(this.dir, 'run'));
    mkdirSync(join(this.dir, 'log/journal'), { recursive: true });
    const script = `mount --bind '${join(this.dir, 'run')}' /run && mount --bind '${join(this.dir, 'log')}' /var/log && exec ${JOURNALD} ${this.namespace}`;
    const proc = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout!.on('data', (d) => (this.log += d));
    proc.stderr!.on('data', (d) => (this.log += d));
    await until(`journald's socket (log:\n${this.log})`, () => {
      if (proc.exitCode !== null) throw new Abort(`journald exited with ${proc.exitCode}:\n${this.log}`);
      return existsSync(this.socket) ? true : undefined;
    });
    return this;
  }

  /** The entries it stored matching journalctl `matches` (FIELD=value), oldest first. */
  entries(...matches: string[]): Record<string, string>[] {
    const dirs = readdirSync(join(this.dir, 'log/journal')).filter((d) => d.endsWith(`.${this.namespace}`));
    if (dirs.length === 0) return [];
    const out = execFileSync('journalctl', ['--directory', join(this.dir, 'log/journal', dirs[0]!), '-o', 'json', '--no-pager', ...matches], { encoding: 'utf8' });
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, string>);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await gone;
    }
  }

  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
