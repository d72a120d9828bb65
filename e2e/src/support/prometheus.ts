/**
 * A real Prometheus (Debian's package) for end-to-end tests: the shipped
 * configuration and rules of deploy/prometheus, pointed at the test's
 * controllers, in a temporary directory, on a free loopback port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { Abort, until } from '@virtnet/shared';
import { freePort, ROOT } from './daemon.js';

export const DEPLOY = join(ROOT, 'deploy/prometheus');

export interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
}

export interface FleetOptions {
  /** host:port of each controller. */
  targets: string[];
  token: string;
  /** Every rule's `for`, shortened so that a test does not wait minutes (the promtool tests check the real ones). */
  ruleFor: string;
  /** Scrape and rule evaluation interval. */
  interval: string;
}

export class Prometheus {
  readonly dir = mkdtempSync(join(tmpdir(), 'vnprom-'));
  url = '';
  log = '';
  private proc?: ChildProcess;

  /** The shipped prometheus.yml with only the paths, the intervals and the scheme (plain HTTP on loopback) changed. */
  writeConfig(o: FleetOptions): void {
    const config = parse(readFileSync(join(DEPLOY, 'prometheus.yml'), 'utf8'));
    config.global.scrape_interval = o.interval;
    config.global.evaluation_interval = o.interval;
    const job = config.scrape_configs[0];
    job.scheme = 'http';
    delete job.tls_config;
    job.scrape_timeout = o.interval;
    job.authorization.credentials_file = join(this.dir, 'token');
    job.file_sd_configs[0].files = [join(this.dir, 'targets/*.json')];
    writeFileSync(join(this.dir, 'token'), o.token + '\n', { mode: 0o600 });
    mkdirSync(join(this.dir, 'targets'));
    writeFileSync(join(this.dir, 'targets/fleet.json'), JSON.stringify([{ targets: o.targets, labels: { site: 'test' } }]));
    const rules = parse(readFileSync(join(DEPLOY, 'virtnet.rules.yml'), 'utf8'));
    for (const g of rules.groups) for (const r of g.rules) if (r.for) r.for = o.ruleFor;
    writeFileSync(join(this.dir, 'virtnet.rules.yml'), stringify(rules));
    writeFileSync(join(this.dir, 'prometheus.yml'), stringify(config));
  }

  async start(): Promise<this> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const proc = spawn(
      'prometheus',
      [`--config.file=${join(this.dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(this.dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc = proc;
    proc.stdout!.on('data', (d) => (this.log += d));
    proc.stderr!.on('data', (d) => (this.log += d));
    await until(`Prometheus ready (log:\n${this.log})`, async () => {
      if (proc.exitCode !== null) throw new Abort(`prometheus exited with ${proc.exitCode}:\n${this.log}`);
      const r = await fetch(`${this.url}/-/ready`);
      return r.ok ? true : undefined;
    });
    return this;
  }

  async api(path: string, params: Record<string, string> = {}): Promise<any> {
    const r = await fetch(`${this.url}/api/v1/${path}?${new URLSearchParams(params)}`);
    const body = (await r.json()) as { status: string; data: any; error?: string };
    if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${body.error}`);
    return body.data;
  }

  /** An instant query's vector. */
  async query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    return (await this.api('query', { query: expr })).result;
  }

  async alerts(): Promise<Alert[]> {
    return (await this.api('alerts')).alerts;
  }

  /** Waits for `alertname` to fire with labels including `labels`. */
  firing(alertname: string, labels: Record<string, string>, ms = 30_000): Promise<Alert> {
    return until(
      `${alertname} firing for ${JSON.stringify(labels)}`,
      async () => (await this.alerts()).find((a) => a.state === 'firing' && a.labels['alertname'] === alertname && Object.entries(labels).every(([k, v]) => a.labels[k] === v)),
      ms,
    );
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await gone;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
