/**
 * The controller's configuration through the real CLI against a real
 * controller: virtnet.conf and the providers directory at start, and the
 * log level changed at run time.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { until } from '@virtnet/shared';
import { Daemon, ROOT } from './support/daemon.js';

let d: Daemon | undefined;
afterEach(async () => {
  await d?.cleanup();
  d = undefined;
});

describe('log', () => {
  it('shows the level and changes it at run time, effective at once', async () => {
    d = await new Daemon().start();
    expect((await virtnet(d.home, 'log')).json).toEqual({ level: 'info', format: 'json' });
    const before = d.log.length;
    // each request is logged at debug: not at info
    await virtnet(d.home, 'list');
    expect(d.log.slice(before)).not.toMatch(/rpc list/);
    const set = await virtnet(d.home, 'log', '-l', 'debug');
    expect(set.json).toEqual({ level: 'debug', previous: 'info', format: 'json' });
    expect((await virtnet(d.home, 'log')).json.level).toBe('debug');
    await virtnet(d.home, 'list');
    await until('the debug line of the request', () => (/"level":20[^\n]*rpc list/.test(d!.log.slice(before)) ? true : undefined));
    // the real virtnet's spelling of error
    expect((await virtnet(d.home, 'log', 'err')).json).toMatchObject({ level: 'error', previous: 'debug' });
    const bad = await virtnet(d.home, 'log', '-l', 'loud');
    expect([bad.code, bad.error.code, bad.error.field]).toEqual([2, 'INVALID_ARGUMENT', 'level']);
    expect((await virtnet(d.home, 'log')).json.level).toBe('error');
    const quiet = d.log.length;
    await virtnet(d.home, 'query', '-a', '-b');
    expect(d.log.slice(quiet)).not.toMatch(/rpc query/);
  });
});

describe('configuration and providers at start', () => {
  it("starts on the seed's example with its trailing comma, warns, and applies its MACs and VFs", async () => {
    d = new Daemon({ profile: { VIRTIO_NET_EMULATION_NUM_VF: 126 } });
    cpSync(join(ROOT, 'apps/controller/test/golden/virtnet-conf/ok/seed-non-lag.conf'), join(d.home, 'virtnet.conf'));
    mkdirSync(join(d.home, 'providers'));
    writeFileSync(join(d.home, 'providers/dpa.provider'), '# dpa.so is another provider\nProvider=dpa\nScore=200\n');
    await d.start();
    expect(d.log).toMatch(/trailing comma at line 11/);
    const list = (await virtnet(d.home, 'list')).json;
    expect(list.controller.provider).toBe('dpa');
    expect((await virtnet(d.home, 'version')).json.provider).toBe('dpa');
    expect(d.log).toMatch(/provider 'dpa' \(dpa.provider\), 1 worker thread\(s\) polling 1000 us/);
    // The seed's static_pf.mac_base (11:...) is a multicast address: said at start, and the static PFs are not made.
    expect(d.log).toMatch(/static_pf.mac_base: 11:22:33:44:55:66 is a multicast address/);
    const health = (await virtnet(d.home, 'health')).json;
    expect(health.status).toBe('degraded');
    expect(health.recovery.failed.map((f: any) => [f.vuid, f.code])).toEqual([
      ['static PF 0', 'MAC_INVALID'],
      ['static PF 1', 'MAC_INVALID'],
    ]);
    const vfs = list.devices.filter((x: any) => x.function_type === 'VF');
    expect(vfs).toHaveLength(200);
    expect(vfs.slice(0, 3).map((x: any) => x.mac)).toEqual(['CC:48:15:FF:00:00', 'CC:48:15:FF:00:01', 'CC:48:15:FF:00:02']);
    expect(vfs[100]).toMatchObject({ pf_id: 1, vf_id: 0, mac: 'CC:48:15:FF:00:64' });
    expect(health.provider).toBe('dpa');
    expect(vfs[0].features).toBe('0x230047082b');
  });

  it('refuses to start on an invalid provider file, naming the file and line', async () => {
    d = new Daemon();
    mkdirSync(join(d.home, 'providers'));
    writeFileSync(join(d.home, 'providers/dpa.provider'), 'provider=dpa\nscore=lots\n');
    await expect(d.start()).rejects.toThrow(/dpa.provider: line 2: score must be a whole number/);
  });

  it('with recovery: 0, does not recreate the devices of the last run', async () => {
    d = await new Daemon().start();
    expect((await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:31', '-t', '1500', '-n', '3', '-s', '256')).code).toBe(0);
    await d.kill();
    writeFileSync(join(d.home, 'virtnet.conf'), JSON.stringify({ recovery: 0 }));
    await d.start();
    const list = (await virtnet(d.home, 'list')).json;
    expect(list.devices.map((x: any) => x.function_type)).toEqual(['static PF', 'static PF']);
    expect((await virtnet(d.home, 'health')).json.recovery).toMatchObject({ enabled: false, recovered: 0 });
  });
});
