/**
 * The database is the recovery store: after SIGKILL the controller comes
 * back with exactly the devices it acknowledged, at the same VUID, BDF, MAC
 * and SF number, with their modified settings.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { Daemon } from './support/daemon.js';

let d: Daemon | undefined;
afterEach(async () => {
  await d?.cleanup();
  d = undefined;
});

const identity = (x: any) => ({ vuid: x.vuid, bdf: x.pci_bdf, mac: x.mac, sf: x.sf_num, mtu: x.mtu, features: x.features, rep: x.sf_rep_net_device });

describe('recovery', () => {
  it('brings back every acknowledged device after SIGKILL', async () => {
    d = await new Daemon().start();
    const cli = (...a: string[]) => virtnet(d!.home, ...a);
    for (const [i, port] of [[1, 'mlx5_0'], [2, 'mlx5_1'], [3, 'mlx5_0']] as const) {
      expect((await cli('hotplug', '-i', port, '-m', `02:00:00:00:00:0${i}`, '-t', '1500', '-n', '5', '-s', '256')).code).toBe(0);
    }
    expect((await cli('unplug', '-p', '3')).code).toBe(0);
    expect((await cli('modify', '-p', '4', 'device', '-t', '9000')).code).toBe(0);
    expect((await cli('modify', '-p', '0', 'queue', '-e', 'cqe', '-n', '12', '-c', '7')).code).toBe(0);
    const before = (await cli('query', '-a')).json.devices;

    await d.kill();
    expect((await cli('list')).code).toBe(3);
    await d.start();

    const after = (await cli('query', '-a')).json.devices;
    expect(after.map(identity)).toEqual(before.map(identity));
    expect(after[0].queues[0]).toMatchObject({ rq_cq_period: 12, rq_cq_max_count: 7, rq_cq_period_mode: 'cqe' });
    expect((await cli('health')).json.status).toBe('ok');
    // a freed port is free again after recovery
    expect((await cli('hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:05', '-t', '1500', '-n', '3', '-s', '256')).json.bdf).toBe('85:0.0');
  });

  it('refuses a second controller on the same home and leaves the first untouched', async () => {
    d = await new Daemon().start();
    const second = new Daemon();
    rmSync(second.home, { recursive: true, force: true }); // the home it made: it uses the first one's
    Object.defineProperty(second, 'home', { value: d.home });
    await expect(second.start()).rejects.toThrow(/another controller is running/);
    expect((await virtnet(d.home, 'health')).json.status).toBe('ok');
  });

  it('stops cleanly on SIGTERM and removes its socket', async () => {
    d = await new Daemon().start();
    expect(await d.stop()).toBe(0);
    const r = await virtnet(d.home, 'list');
    expect(r.error.code).toBe('DAEMON_UNREACHABLE');
  });

  it('refuses to start on an invalid virtnet.conf, naming the key', async () => {
    d = new Daemon({ conf: { is_lag: 1, single_port: 1 } });
    await expect(d.start()).rejects.toThrow(/single_port: is_lag and single_port are mutually exclusive/);
  });
});
