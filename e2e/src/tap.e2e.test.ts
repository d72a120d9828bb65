/**
 * The SF representor as a real TAP netdev: named like the real product's,
 * up, with the device's MTU; frames from the driver (DPDK virtio-user) arrive
 * on it, and frames the kernel sends on it reach the driver. Needs
 * CAP_NET_ADMIN (CI runs as root).
 */
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { until } from '@virtnet/shared';
import { Daemon } from './support/daemon.js';
import { TestPmd } from './support/testpmd.js';

let d: Daemon | undefined;
let pmd: TestPmd | undefined;
afterEach(async () => {
  await pmd?.quit();
  await d?.cleanup();
  pmd = d = undefined;
});

// The representor's name: bus 3 when this DPU is the machine's only one with TAPs, another bus beside
// another DPU (a developer's own controller, say): taken from each hot-plug's answer.
let REP = '';
/** The hot-plug's representor, named as the real product names it. */
const representorOf = (r: { json: { sf_rep_net_device: string } }) => {
  expect(r.json.sf_rep_net_device).toMatch(/^en[3-9]f0pf0sf9701$/);
  REP = r.json.sf_rep_net_device;
};
const link = () => JSON.parse(execFileSync('ip', ['-j', '-s', 'link', 'show', REP], { encoding: 'utf8' }))[0];

describe('TAP representor', () => {
  it('carries frames both ways between the driver and the kernel', async () => {
    d = await new Daemon({ env: { VIRTNET_DATAPATH: 'tap' } }).start();
    const r = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:7a:01', '-t', '1400', '-n', '3', '-s', '256', '-u', '9701');
    expect(r.code, r.stderr).toBe(0);
    representorOf(r);
    const dev = (await virtnet(d.home, 'query', '-u', r.json.vuid, '-b')).json.devices[0];
    expect(dev).toMatchObject({ datapath: 'tap', datapath_note: `TAP ${REP}` });
    const l = link();
    expect(l.ifindex).toBe(dev.sf_rep_net_ifindex);
    expect(l.mtu).toBe(1400);
    expect(l.flags).toContain('UP');

    pmd = await new TestPmd(`net_virtio_user0,path=${dev.vhost_user_socket},queues=1,queue_size=256`).start();
    // driver -> representor
    const before = link().stats64.rx.packets;
    await pmd.run('set fwd txonly');
    await pmd.run('start');
    await until('frames on the TAP', () => (link().stats64.rx.packets - before > 1000 ? true : undefined));
    await pmd.run('stop');

    // representor -> driver: the kernel broadcasts UDP out of the TAP
    execFileSync('ip', ['addr', 'add', '198.18.77.1/24', 'dev', REP]);
    await pmd.run('set fwd rxonly');
    await pmd.run('start');
    const sock = createSocket('udp4');
    await new Promise<void>((res) => sock.bind(0, '198.18.77.1', () => res()));
    sock.setBroadcast(true);
    for (let i = 0; i < 20; i++) await new Promise<void>((res) => sock.send(Buffer.alloc(100), 9, '198.18.77.255', () => res()));
    sock.close();
    await until('frames from the TAP at the driver', async () => {
      const q = (await virtnet(d!.home, 'stats', '-u', dev.vuid, '-q', '0')).json.queues[0];
      return q.packets >= 20 ? q : undefined;
    });
    await pmd.run('stop');
    expect((await pmd.xstats())['rx_q0_good_packets']).toBeGreaterThanOrEqual(20);
  });

  it('outlives the controller with its address, is taken over on restart, and goes with an unplug', async () => {
    d = await new Daemon({ env: { VIRTNET_DATAPATH: 'tap' } }).start();
    const r = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:7a:02', '-t', '1500', '-n', '3', '-s', '256', '-u', '9701');
    expect(r.code, r.stderr).toBe(0);
    representorOf(r);
    execFileSync('ip', ['addr', 'add', '198.18.76.1/24', 'dev', REP]);
    const before = link();
    expect(before.ifalias).toBe(`virtnet ${d.home}/vhost/${r.json.vuid}.sock`);

    // An operator's bridge port or address must not vanish because the controller restarts.
    await d.kill();
    expect(link().ifindex).toBe(before.ifindex);
    await d.start();
    const dev = (await virtnet(d.home, 'query', '-u', r.json.vuid, '-b')).json.devices[0];
    expect(dev).toMatchObject({ datapath: 'tap', sf_rep_net_ifindex: before.ifindex });
    const addrs = JSON.parse(execFileSync('ip', ['-j', 'addr', 'show', REP], { encoding: 'utf8' }))[0].addr_info.map((a: { local: string }) => a.local);
    expect(addrs).toContain('198.18.76.1');

    expect((await virtnet(d.home, 'unplug', '-u', r.json.vuid)).code).toBe(0);
    expect(() => execFileSync('ip', ['link', 'show', REP], { stdio: 'ignore' })).toThrow();
  });

  it('removes at start the device and representor of an unplug a crash cut short', async () => {
    d = await new Daemon({ env: { VIRTNET_DATAPATH: 'tap' } }).start();
    const r = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:7a:03', '-t', '1500', '-n', '3', '-s', '256', '-u', '9701');
    expect(r.code, r.stderr).toBe(0);
    representorOf(r);
    await d.kill();
    // What a controller SIGKILL between the database write and the device's teardown leaves:
    // a function on the DPU that no row backs.
    const db = new Database(join(d.home, 'virtnet.db'));
    db.prepare('DELETE FROM devices WHERE vuid = ?').run(r.json.vuid);
    db.close();
    expect(link().ifname).toBe(REP);
    await d.start();
    expect(() => execFileSync('ip', ['link', 'show', REP], { stdio: 'ignore' })).toThrow();
    expect(d.log).toContain(`removed ${r.json.vuid} (PF 2) from the DPU: no stored device backs it`);
  });

  it('removes at start a representor the DPU left when both crashed mid-unplug', async () => {
    d = await new Daemon({ env: { VIRTNET_DATAPATH: 'tap' } }).start();
    const r = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:7a:03', '-t', '1500', '-n', '3', '-s', '256', '-u', '9701');
    expect(r.code, r.stderr).toBe(0);
    representorOf(r);
    // The controller and the DPU die at once: the persistent TAP stays, no function owns it.
    const dpu = d.dpuPid()!;
    await d.kill();
    process.kill(dpu, 'SIGKILL');
    await until('the DPU to die', () => (d!.dpuPid() === null ? true : undefined));
    const db = new Database(join(d.home, 'virtnet.db'));
    db.prepare('DELETE FROM devices WHERE vuid = ?').run(r.json.vuid);
    db.close();
    expect(link().ifname).toBe(REP);
    await d.start();
    expect(() => execFileSync('ip', ['link', 'show', REP], { stdio: 'ignore' })).toThrow();
    expect(d.log).toContain('removed 1 leftover representor netdev(s)');
  });
});
