/**
 * The data path does not stop for the controller. Under bulk traffic from
 * vnet-host into a TAP representor, the controller is SIGKILLed, restarted
 * (`virtnet restart`) and live-updated (`virtnet update -s`): frames keep
 * arriving on the representor while no controller runs, and the host never
 * reconnects. Then the DPU itself is SIGKILLed: the controller replaces it
 * and recreates the device, and the host reconnects without probing again.
 * The gaps these cost are measured by bench/outage.mjs, not asserted here.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { until } from '@virtnet/shared';
import { Daemon, ROOT } from './support/daemon.js';

// The representor's name, from the hot-plug's answer (its bus depends on the DPUs beside this one).
let REP = '';
const repRx = () => JSON.parse(execFileSync('ip', ['-j', '-s', 'link', 'show', REP], { encoding: 'utf8' }))[0].stats64.rx.packets as number;

/** A copy of this build under another version, as a package upgrade would install it. */
function installNewBuild(version: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vne-build-'));
  mkdirSync(join(dir, 'apps/controller'), { recursive: true });
  cpSync(join(ROOT, 'apps/controller/dist'), join(dir, 'apps/controller/dist'), { recursive: true });
  cpSync(join(ROOT, 'prisma'), join(dir, 'prisma'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, version }));
  return dir;
}

describe('an outage of the controller', () => {
  let d: Daemon | undefined;
  let build: string | undefined;
  afterEach(async () => {
    await d?.cleanup();
    d = undefined;
    if (build) rmSync(build, { recursive: true, force: true });
  });

  it('stops no frame: SIGKILL, restart and live update under bulk traffic, and a DPU crash recovered', async () => {
    build = installNewBuild('0.2.0');
    d = await new Daemon({ env: { VIRTNET_HOST: 'sim', VIRTNET_HOST_PROFILE: 'idle', VIRTNET_DATAPATH: 'tap', VIRTNET_UPDATE_FROM: build } }).start();
    const r = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:99:51', '-t', '1500', '-n', '3', '-s', '256', '-u', '9951');
    expect(r.code, r.stderr).toBe(0);
    REP = r.json.sf_rep_net_device;
    expect(REP).toMatch(/^en[3-9]f0pf0sf9951$/);
    const vuid = r.json.vuid as string;
    const hostDevice = async () => ((await virtnet(d!.home, 'host')).json.devices as any[]).find((x) => x.vuid === vuid);
    await until('the host to bind', async () => ((await hostDevice())?.state === 'bound' ? true : undefined));
    expect((await virtnet(d.home, 'host', 'profile', '-u', vuid, 'bulk')).code).toBe(0);
    await until('bulk frames on the representor', () => (repRx() > 10_000 ? true : undefined));
    const host = await hostDevice();

    /** Frames on the representor over a short while, read with no controller involved. */
    const flowing = async (what: string) => {
      const a = repRx();
      await until(`frames on the representor ${what}`, () => (repRx() > a + 1000 ? true : undefined), 10_000);
    };

    // 1. SIGKILL: frames go on while no controller runs.
    await d.kill();
    await flowing('with no controller');
    await d.start();
    expect((await virtnet(d.home, 'health')).json.recovery).toMatchObject({ adopted: 3, recovered: 0 });

    // 2. A fast restart.
    let oldPid = d.statePid()!;
    expect((await virtnet(d.home, 'restart')).code).toBe(0);
    await flowing('during a restart');
    await d.takenOver(oldPid);
    await until('the restart to finish', async () => ((await virtnet(d!.home, 'update', '-t')).json.status === 'inactive' ? true : undefined));
    expect((await virtnet(d.home, 'update', '-t')).json).toMatchObject({ 'last live update status': 'success', last_reconnects: 0 });

    // 3. A live update to the newly installed build.
    oldPid = d.statePid()!;
    expect((await virtnet(d.home, 'update', '-s')).code).toBe(0);
    await flowing('during a live update');
    await d.takenOver(oldPid);
    await until('the update to finish', async () => ((await virtnet(d!.home, 'update', '-t')).json.status === 'inactive' ? true : undefined));
    expect((await virtnet(d.home, 'update', '-t')).json).toMatchObject({ 'last live update status': 'success', last_to: '0.2.0', last_reconnects: 0 });
    await flowing('after the update');
    // The host never noticed any of it.
    expect(await hostDevice()).toMatchObject({ state: 'bound', probes: host.probes, reconnects: host.reconnects });
    expect((await virtnet(d.home, 'query', '-u', vuid, '-b')).json.devices[0].host_connections).toBe(1);

    // 4. The DPU dies: the controller replaces it, the device comes back where it was, the host reconnects.
    const dpu = d.dpuPid()!;
    const ifindex = (await virtnet(d.home, 'query', '-u', vuid, '-b')).json.devices[0].sf_rep_net_ifindex;
    process.kill(dpu, 'SIGKILL');
    await until('a new DPU with the device', async () => {
      const h = (await virtnet(d!.home, 'health')).json;
      return h.dpu.pid !== dpu && h.dpu.state === 'running' && h.dpu.last_outage?.recovered_ms !== null ? true : undefined;
    }, 30_000);
    await until('the host to reconnect', async () => ((await hostDevice())?.reconnects === host.reconnects + 1 ? true : undefined), 30_000);
    await flowing('on the new DPU');
    expect(await hostDevice()).toMatchObject({ state: 'bound', probes: host.probes });
    // the same representor netdev, taken over by the new DPU
    expect((await virtnet(d.home, 'query', '-u', vuid, '-b')).json.devices[0]).toMatchObject({ sf_rep_net_ifindex: ifindex, host_connected: true });
    // and the audit log says what happened
    const events = (await d.api('GET', '/api/v1/events?limit=20')).body.events as { action: string; actor: string; result: string }[];
    expect(events).toContainEqual(expect.objectContaining({ action: 'dpu_restart', actor: 'system', result: 'ok' }));
  }, 120_000);

  it('replaces a DPU that hangs with its socket open (SIGSTOP): killed within seconds, its devices recreated', async () => {
    d = await new Daemon({ env: { VIRTNET_HOST: 'sim', VIRTNET_HOST_PROFILE: 'ping' } }).start();
    const r = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:99:61', '-t', '1500', '-n', '3', '-s', '256');
    expect(r.code, r.stderr).toBe(0);
    const dpu = d.dpuPid()!;
    process.kill(dpu, 'SIGSTOP');
    // No request meanwhile (one would wait for its timeout, and then also end in a kill): the
    // heartbeat alone must tell, after 3 s without one. The pid file shows the new DPU.
    await until('another DPU process', () => { const p = d!.dpuPid(); return p !== null && p !== dpu ? true : undefined; }, 30_000);
    const h = await until('a new DPU in place of the hung one', async () => {
      const x = (await virtnet(d!.home, 'health')).json;
      return x.dpu.pid !== dpu && x.dpu.state === 'running' ? x : undefined;
    }, 30_000);
    expect(h.dpu.last_outage?.reason ?? '').toMatch(/hung: no heartbeat/);
    expect(existsSync(`/proc/${dpu}`)).toBe(false);
    const dev = (await virtnet(d.home, 'query', '-u', r.json.vuid, '-b')).json.devices[0];
    expect(dev).toMatchObject({ vuid: r.json.vuid, mac: '02:00:00:00:99:61' });
    await until('the host back at DRIVER_OK', async () => (((await virtnet(d!.home, 'query', '-u', r.json.vuid, '-b')).json.devices[0].device_status & 4) === 4 ? true : undefined), 30_000);
  }, 60_000);
});
