/**
 * The fleet's monitoring, with real servers: promtool checks the shipped
 * configuration and runs the rules' unit tests; then Debian's Prometheus,
 * with the shipped configuration and rules, scrapes three real controllers
 * (each with its own vnet-host binding its devices) with the fleet's token,
 * evaluates every query of the Grafana dashboard, and fires alerts on what
 * really happens: a driver breaking its ring (the device answers with
 * NEEDS_RESET), a host's driver going away, a controller killed.
 *
 * More alert cases go in as more `it`s: make the condition happen to one
 * controller, then `prom.firing(alert, { instance })`.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '@virtnet/shared';
import { Daemon, ROOT } from './support/daemon.js';
import { hostCommand } from './support/host.js';
import { DEPLOY, Prometheus } from './support/prometheus.js';
import { metricNames, SCRAPE_SERIES, scrapedNames } from './support/promql.js';

const promtool = (...args: string[]) => {
  const r = spawnSync('promtool', args, { cwd: DEPLOY, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

describe('promtool', () => {
  it('accepts the scrape configuration and the rules', () => {
    const config = promtool('check', 'config', '--syntax-only', 'prometheus.yml');
    expect(config.out).toContain('SUCCESS');
    expect(config.status).toBe(0);
    const rules = promtool('check', 'rules', 'virtnet.rules.yml');
    expect(rules.out).toContain('SUCCESS: 8 rules found');
    expect(rules.status).toBe(0);
  });

  it('passes the unit test of every alert', () => {
    const r = promtool('test', 'rules', 'tests/virtnet.rules.test.yml');
    expect(r.out).toContain('SUCCESS');
    expect(r.status).toBe(0);
    const tested = new Set([...readFileSync(join(DEPLOY, 'tests/virtnet.rules.test.yml'), 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    const defined = [...readFileSync(join(DEPLOY, 'virtnet.rules.yml'), 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    expect(defined).toHaveLength(8);
    for (const a of defined) expect(tested, `${a} has a unit test`).toContain(a);
  });
});

describe('Prometheus scraping three controllers', () => {
  const token = randomBytes(24).toString('base64url');
  const env = { VIRTNET_TOKEN: token, VIRTNET_HOST: 'sim', VIRTNET_HOST_PROFILE: 'idle' };
  const profile = { PCI_SWITCH_EMULATION_NUM_PORT: 2, VIRTIO_NET_EMULATION_NUM_VF: 2 };
  let dpus: Daemon[] = [];
  let prom: Prometheus;
  const instance = (d: Daemon) => new URL(d.url).host;

  beforeAll(async () => {
    dpus = await Promise.all([0, 1, 2].map(() => new Daemon({ profile, conf: { vf: { vfs_per_pf: 1 } }, env }).start()));
    prom = new Prometheus();
    prom.writeConfig({ targets: dpus.map(instance), token, ruleFor: '2s', interval: '1s' });
    await prom.start();
  }, 120_000);
  afterAll(async () => {
    await prom?.stop();
    for (const d of dpus) await d.cleanup();
  });

  it('scrapes every controller with the token, one target per DPU from the targets file', async () => {
    const up = await until('three targets up', async () => {
      const r = await prom.query('up{job="virtnet"} == 1');
      return r.length === 3 ? r : undefined;
    });
    expect(up.map((s) => s.metric['instance']).sort()).toEqual(dpus.map(instance).sort());
    expect(up.every((s) => s.metric['site'] === 'test')).toBe(true);
    const devices = await prom.query('count by (instance) (virtnet_device_info{job="virtnet"})');
    expect(devices.map((s) => Number(s.value[1]))).toEqual([4, 4, 4]);
  });

  it('evaluates every query of the Grafana dashboard, each naming only metrics a real scrape contains', async () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/virtnet-fleet.json'), 'utf8'));
    const exprs: string[] = [];
    const walk = (panels: any[]) => {
      for (const p of panels) {
        for (const t of p.targets ?? []) exprs.push(t.expr);
        walk(p.panels ?? []);
      }
    };
    walk(dashboard.panels);
    const variables: string[] = dashboard.templating.list.filter((v: any) => v.type === 'query').map((v: any) => v.query.query);
    expect(exprs.length).toBeGreaterThan(30);

    const d = dpus[0]!;
    const scraped = scrapedNames(await (await d.fetch('/metrics')).text());
    for (const e of [...exprs, ...variables]) {
      const names = metricNames(e);
      expect(names.length, e).toBeGreaterThan(0);
      for (const n of names) expect(SCRAPE_SERIES.has(n) || scraped.has(n), `${n} in ${e}`).toBe(true);
    }

    // Every panel shows data for the first DPU, its first device and queue, once two scrapes are in.
    const vuid = (await d.api('GET', '/api/v1/devices')).body.devices[0].vuid as string;
    const bind = (e: string) => e.replaceAll('$instance', instance(d)).replaceAll('$vuid', vuid).replaceAll('$queue', '0').replaceAll('$__rate_interval', '1m');
    await until('a rate over the first DPU', async () => ((await prom.query(`rate(virtnet_queue_packets_total{instance="${instance(d)}"}[1m])`)).length ? true : undefined));
    for (const e of exprs) expect((await prom.query(bind(e))).length, bind(e)).toBeGreaterThan(0);
    for (const v of variables) {
      const selector = /label_values\((.*), (\w+)\)/.exec(bind(v))!;
      const values = await prom.api('series', { 'match[]': selector[1]! });
      expect(values.length, v).toBeGreaterThan(0);
    }
  });

  it('fires VirtnetDeviceNeedsReset when a driver breaks its ring on one DPU, for that device only', async () => {
    const d = dpus[0]!;
    const devices = (await d.api('GET', '/api/v1/devices')).body.devices as { vuid: string; host_connected: boolean }[];
    const vuid = devices.find((x) => x.host_connected)!.vuid;
    // vnet-host's driver misbehaves on purpose: its TX ring's avail index jumps far beyond the ring.
    expect(await hostCommand(d.home, `break ${vuid}`)).toEqual({ ok: true });
    await until('NEEDS_RESET on the device', async () => ((await d.api('GET', `/api/v1/devices/${vuid}`)).body.device_status_names.includes('DEVICE_NEEDS_RESET') ? true : undefined));
    const alert = await prom.firing('VirtnetDeviceNeedsReset', { instance: instance(d), vuid });
    expect(alert.labels).toMatchObject({ job: 'virtnet', severity: 'warning' });
    const others = (await prom.alerts()).filter((a) => a.labels['alertname'] === 'VirtnetDeviceNeedsReset' && (a.labels['instance'] !== instance(d) || a.labels['vuid'] !== vuid));
    expect(others).toEqual([]);
  });

  it('fires VirtnetHostDriverGone when the host of one DPU loses its drivers', async () => {
    const d = dpus[1]!;
    await until('every device of the second DPU at DRIVER_OK in Prometheus', async () => {
      const r = await prom.query(`virtnet_device_driver_ok{instance="${instance(d)}"} == 1`);
      return r.length === 4 ? true : undefined;
    });
    const hostPid = Number(readFileSync(join(d.home, 'vnet-host.pid'), 'utf8'));
    process.kill(hostPid, 'SIGKILL');
    const alert = await prom.firing('VirtnetHostDriverGone', { instance: instance(d) });
    expect(alert.labels).toMatchObject({ job: 'virtnet', severity: 'warning' });
    expect(alert.annotations['summary']).toBe(`host driver of ${alert.labels['vuid']} on ${instance(d)} is gone`);
    const others = (await prom.alerts()).filter((a) => a.labels['alertname'] === 'VirtnetHostDriverGone' && a.labels['instance'] !== instance(d));
    expect(others).toEqual([]);
  });

  it('fires VirtnetControllerDown when one controller is killed, for that one only', async () => {
    const d = dpus[2]!;
    await d.kill();
    const alert = await prom.firing('VirtnetControllerDown', { instance: instance(d) });
    expect(alert.labels).toMatchObject({ job: 'virtnet', severity: 'critical', site: 'test' });
    expect(alert.annotations['summary']).toBe(`virtnet controller on ${instance(d)} does not answer`);
    const down = (await prom.alerts()).filter((a) => a.labels['alertname'] === 'VirtnetControllerDown').map((a) => a.labels['instance']);
    expect(down).toEqual([instance(d)]);
  });
});
