/**
 * Live update and fast restart through the real CLI: a new controller
 * process takes the devices over, or the running one keeps them.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { until } from '@virtnet/shared';
import { Daemon, ROOT } from './support/daemon.js';

let d: Daemon | undefined;
const temps: string[] = [];
afterEach(async () => {
  await d?.cleanup();
  d = undefined;
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

function temp(): string {
  const t = mkdtempSync(join(tmpdir(), 'vnp-'));
  temps.push(t);
  return t;
}

describe('update and restart', () => {
  /** A copy of the built controller with another version: what a package manager installs. */
  function installNewBuild(version: string): string {
    const dir = temp();
    cpSync(join(ROOT, 'apps/controller/dist'), join(dir, 'apps/controller/dist'), { recursive: true });
    cpSync(join(ROOT, 'prisma'), join(dir, 'prisma'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, version }));
    return dir;
  }

  it('hands the devices over to the newly installed build: same devices, host kept, both versions shown', async () => {
    const next = installNewBuild('0.2.0');
    d = await new Daemon({ env: { VIRTNET_HOST: 'sim', VIRTNET_HOST_PROFILE: 'ping', VIRTNET_UPDATE_FROM: next } }).start();
    const plugged = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:51', '-t', '1500', '-n', '3', '-s', '256');
    const vuid = plugged.json.vuid;
    const hostDevice = async () => (await virtnet(d!.home, 'host')).json.devices.find((x: any) => x.vuid === vuid);
    await until('the host to bind', async () => ((await hostDevice())?.state === 'bound' ? true : undefined));
    expect((await virtnet(d.home, 'update', '-t')).json).toMatchObject({ status: 'inactive', 'last live update status': 'none' });
    expect((await virtnet(d.home, 'version')).json).toMatchObject({ controller: '0.1.0', destination: '0.2.0', update: 'inactive' });
    const before = (await virtnet(d.home, 'query', '-a', '-b')).json.devices;
    const host = await hostDevice();
    const oldPid = d.statePid()!;

    const started = await virtnet(d.home, 'update', '-s');
    expect(started.json).toMatchObject({ status: 'started', from: '0.1.0', to: '0.2.0', kind: 'update' });
    await d.takenOver(oldPid);
    await until('the update to finish', async () => ((await virtnet(d!.home, 'update', '-t')).json.status === 'inactive' ? true : undefined));
    const status = (await virtnet(d.home, 'update', '-t')).json;
    expect(status).toMatchObject({ status: 'inactive', 'last live update status': 'success', last_from: '0.1.0', last_to: '0.2.0' });
    expect(status.last_gap_ms).toBeGreaterThanOrEqual(0);
    expect(status.last_reconnects).toBe(0); // the host stayed attached to the DPU
    expect((await virtnet(d.home, 'version')).json).toMatchObject({ controller: '0.2.0', update: 'inactive' });
    const after = (await virtnet(d.home, 'query', '-a', '-b')).json.devices;
    const id = (x: any) => [x.vuid, x.pci_bdf, x.mac, x.sf_num, x.mtu, x.vhost_user_socket];
    expect(after.map(id)).toEqual(before.map(id));
    // the host never noticed: no reconnect, no probe
    expect(await hostDevice()).toMatchObject({ state: 'bound', reconnects: host.reconnects, probes: host.probes });
    await until('DRIVER_OK on the new controller', async () =>
      (await virtnet(d!.home, 'query', '-u', vuid, '-b')).json.devices[0].device_status_names.includes('DRIVER_OK') ? true : undefined,
    );
    // changes are accepted again
    expect((await virtnet(d.home, 'modify', '-u', vuid, 'queue', '-e', 'cqe', '-n', '5', '-c', '2')).code).toBe(0);
  });

  it('restarts fast without stopping: a new process keeps the devices', async () => {
    d = await new Daemon().start();
    expect((await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:61', '-t', '1500', '-n', '3', '-s', '256')).code).toBe(0);
    const before = (await virtnet(d.home, 'list')).json.devices.map((x: any) => x.vuid);
    const oldPid = d.statePid()!;
    // a configuration change takes effect at the restart (the seed: "until service is reloaded")
    mkdirSync(join(d.home, 'providers'));
    writeFileSync(join(d.home, 'providers/dpa.provider'), 'provider=dpa\nscore=1\n');
    expect((await virtnet(d.home, 'version')).json.provider).toBe('ace');
    expect((await virtnet(d.home, 'restart')).json).toMatchObject({ status: 'started', kind: 'restart' });
    expect(await d.takenOver(oldPid)).not.toBe(oldPid);
    expect((await virtnet(d.home, 'list')).json.devices.map((x: any) => x.vuid)).toEqual(before);
    expect((await virtnet(d.home, 'version')).json.provider).toBe('dpa');
    await until('the restart to be recorded', async () => ((await virtnet(d!.home, 'update', '-t')).json['last live update status'] === 'success' ? true : undefined));
  });

  it('keeps the devices when the new build cannot start, and records the failure', async () => {
    const next = installNewBuild('0.3.0');
    // a new build that cannot run: its configuration is refused at start
    d = await new Daemon({ env: { VIRTNET_UPDATE_FROM: next, VIRTNET_CONF: join(next, 'virtnet.conf') } }).start();
    writeFileSync(join(next, 'virtnet.conf'), JSON.stringify({ is_lag: 1, single_port: 1 }));
    const oldPid = d.statePid();
    expect((await virtnet(d.home, 'update', '-s')).code).toBe(0);
    await until('the update to fail', async () => ((await virtnet(d!.home, 'update', '-t')).json['last live update status'] === 'failed' ? true : undefined));
    const t = (await virtnet(d.home, 'update', '-t')).json;
    expect(t).toMatchObject({ status: 'inactive', last_to: '0.3.0', last_error: expect.stringMatching(/exited \(code 2\) before taking over/) });
    expect(d.statePid()).toBe(oldPid);
    expect((await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:71', '-t', '1500', '-n', '3', '-s', '256')).code).toBe(0);
  });

  it('refuses changes while a handover runs, with a clear code, and accepts them again when it fails', async () => {
    // A new build that hangs for a while and then dies: the handover stays open meanwhile.
    const hung = temp();
    mkdirSync(join(hung, 'apps/controller/dist'), { recursive: true });
    writeFileSync(join(hung, 'package.json'), JSON.stringify({ version: '0.4.0' }));
    writeFileSync(join(hung, 'apps/controller/dist/main.js'), 'setTimeout(() => process.exit(3), 4000);\n');
    d = await new Daemon({ env: { VIRTNET_UPDATE_FROM: hung } }).start();
    expect((await virtnet(d.home, 'update', '-s')).json).toMatchObject({ status: 'started', to: '0.4.0' });
    const plug = ['hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:81', '-t', '1500', '-n', '3', '-s', '256'];
    const refused = await virtnet(d.home, ...plug);
    expect([refused.code, refused.error.code]).toEqual([1, 'UPDATE_IN_PROGRESS']);
    expect((await virtnet(d.home, 'update', '-s')).error.code).toBe('UPDATE_IN_PROGRESS');
    expect((await virtnet(d.home, 'version')).json).toMatchObject({ controller: '0.1.0', destination: '0.4.0', update: 'active' });
    expect((await virtnet(d.home, 'list')).code).toBe(0);
    await until('the update to fail', async () => ((await virtnet(d!.home, 'update', '-t')).json['last live update status'] === 'failed' ? true : undefined));
    expect((await virtnet(d.home, 'update', '-t')).json.last_error).toMatch(/exited \(code 3\)/);
    expect((await virtnet(d.home, ...plug)).code).toBe(0);
  });
});
