/**
 * The built-in host (VIRTNET_HOST=sim): vnet-host probes every plugged
 * device like a driver, runs traffic, unbinds and binds on request, and
 * outlives a SIGKILLed controller, re-probing its devices when it returns.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { until } from '@virtnet/shared';
import { Daemon } from './support/daemon.js';

let d: Daemon | undefined;
afterEach(async () => {
  await d?.cleanup();
  d = undefined;
});

const status = async (home: string, vuid: string) => (await virtnet(home, 'query', '-u', vuid, '-b')).json.devices[0].device_status_names as string[];
const hostDevice = async (home: string, vuid: string) => (await virtnet(home, 'host')).json.devices.find((x: { vuid: string }) => x.vuid === vuid);

describe('sim host', () => {
  it('probes, carries traffic, unbinds and binds, and survives the controller', async () => {
    d = await new Daemon({ env: { VIRTNET_HOST: 'sim', VIRTNET_HOST_PROFILE: 'ping' } }).start();
    const plugged = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:51:01', '-t', '1500', '-n', '5', '-s', '256');
    expect(plugged.code, plugged.stderr).toBe(0);
    const vuid = plugged.json.vuid;
    await until('the host to probe the device', async () => ((await status(d!.home, vuid)).includes('DRIVER_OK') ? true : undefined));
    expect(await hostDevice(d.home, vuid)).toMatchObject({ state: 'bound', queue_pairs: 2, profile: 'ping', mac: '02:00:00:00:51:01', mtu: 1500 });
    await until('ping traffic both ways', async () => {
      const q = (await virtnet(d!.home, 'stats', '-u', vuid)).json.queues;
      return q[0].packets >= 2 && q[1].packets >= 2 ? true : undefined;
    });

    // The real product's rule: config changes need the driver unbound.
    expect((await virtnet(d.home, 'modify', '-u', vuid, 'device', '-t', '9000')).error.code).toBe('DRIVER_BOUND');
    const unbound = await virtnet(d.home, 'host', 'unbind', '-u', vuid);
    expect(unbound.code, unbound.stderr).toBe(0);
    expect(await status(d.home, vuid)).toEqual([]);
    expect((await virtnet(d.home, 'modify', '-u', vuid, 'device', '-t', '9000')).code).toBe(0);
    expect((await virtnet(d.home, 'host', 'bind', '-u', vuid)).code).toBe(0);
    expect(await status(d.home, vuid)).toContain('DRIVER_OK');
    expect((await virtnet(d.home, 'query', '-u', vuid, '-b')).json.devices[0].mtu).toBe(9000);
    // the host's driver read the new MTU from the config space when it bound again
    expect(await hostDevice(d.home, vuid)).toMatchObject({ state: 'bound', mtu: 9000 });

    expect((await virtnet(d.home, 'host', 'profile', '-u', vuid, 'bulk')).code).toBe(0);
    await until('bulk traffic', async () => ((await virtnet(d!.home, 'stats', '-u', vuid, '-q', '1')).json.queues[0].packets > 5000 ? true : undefined));
    expect((await virtnet(d.home, 'host', 'profile', '-u', vuid, 'idle')).code).toBe(0);

    // The host and the DPU outlive the controller: the host's connection is
    // the DPU's, so a controller crash and restart is nothing it notices.
    expect((await virtnet(d.home, 'host', 'profile', '-u', vuid, 'ping')).code).toBe(0);
    const pid = readFileSync(join(d.home, 'vnet-host.pid'), 'utf8');
    const before = await hostDevice(d.home, vuid);
    await d.kill();
    await d.start();
    expect(readFileSync(join(d.home, 'vnet-host.pid'), 'utf8')).toBe(pid);
    expect(await status(d.home, vuid)).toContain('DRIVER_OK');
    const after = await hostDevice(d.home, vuid);
    expect(after.probes).toBe(before.probes);
    expect(after.reconnects).toBe(before.reconnects);
    await until('traffic after the restart', async () => ((await virtnet(d!.home, 'stats', '-u', vuid, '-q', '0')).json.queues[0].packets >= 2 ? true : undefined));

    // Unplug: the function disappears from the host.
    expect((await virtnet(d.home, 'unplug', '-u', vuid)).code).toBe(0);
    await until('the host to drop the device', async () => ((await hostDevice(d!.home, vuid)) === undefined ? true : undefined));
  });

  it('refuses host actions when the host is external', async () => {
    d = await new Daemon().start();
    const r = await virtnet(d.home, 'host', 'unbind', '-p', '0');
    expect(r.code).toBe(1);
    expect(r.error.code).toBe('NOT_SUPPORTED');
    expect((await virtnet(d.home, 'host')).json).toEqual({ mode: 'external', running: false, pid: null, devices: [] });
  });
});

describe('sim host and the dashboard', () => {
  it('shows the host binding a device live, without a reload', async () => {
    const { openBrowser } = await import('./support/browser.js');
    d = await new Daemon({ env: { VIRTNET_HOST: 'sim', VIRTNET_HOST_PROFILE: 'ping' } }).start();
    const b = await openBrowser(d.loginUrl);
    try {
      await b.page.locator('#connection-state[data-state=live]').waitFor();
      await b.page.click('#nav-devices');
      const plugged = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:51:02', '-t', '1500', '-n', '3', '-s', '256');
      const row = b.page.locator(`[data-testid=device-row][data-vuid="${plugged.json.vuid}"]`);
      await row.locator('td', { hasText: 'driver ok' }).waitFor();
      // the host's ping shows up as live traffic (telemetry), without a reload
      await row.locator('[data-field=rx]', { hasText: /^[1-9]/ }).waitFor();
      await b.screenshot('14-sim-host-traffic');
      expect((await virtnet(d.home, 'host', 'unbind', '-u', plugged.json.vuid)).code).toBe(0);
      await row.locator('td', { hasText: 'no driver' }).waitFor();
      await b.screenshot('15-sim-host-unbound');
      expect(b.takeErrors()).toEqual([]);
    } finally {
      await b.close();
    }
  });
});
