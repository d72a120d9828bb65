/**
 * Interop with the Linux kernel's virtio_net driver: a QEMU 7.2 guest binds
 * the device through vhost-user, probes exactly the MAC and MTU the CLI
 * asked for, and pings the device's TAP representor on the host.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { Daemon } from './support/daemon.js';
import { runGuest } from './support/guest.js';

let d: Daemon | undefined;
afterEach(async () => {
  await d?.cleanup();
  d = undefined;
});

describe('QEMU guest with Linux virtio_net', () => {
  it('probes the NIC the CLI hot-plugged and pings its representor', async () => {
    d = await new Daemon({ env: { VIRTNET_DATAPATH: 'tap' } }).start();
    const r = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:99:01', '-t', '1400', '-n', '3', '-s', '256', '-u', '9801');
    expect(r.code, r.stderr).toBe(0);
    const dev = (await virtnet(d.home, 'query', '-u', r.json.vuid, '-b')).json.devices[0];
    execFileSync('ip', ['addr', 'add', '198.18.99.1/24', 'dev', r.json.sf_rep_net_device]);

    const run = await runGuest({ socket: dev.vhost_user_socket, mac: dev.mac, mtu: dev.mtu, ip: '198.18.99.2/24', peer: '198.18.99.1' });
    expect(run.console).toContain('VNET-NIC eth0 02:00:00:00:99:01 1400 1');
    expect(run.console, run.console).toContain('VNET-PING-OK');

    const s = (await virtnet(d.home, 'stats', '-u', r.json.vuid)).json.queues;
    expect(s[0].packets).toBeGreaterThanOrEqual(3); // echo replies (and ARP) reached the guest
    expect(s[1].packets).toBeGreaterThanOrEqual(3); // echo requests left it
    expect(s[1].bad_desc_errors + s[1].invalid_buffer + s[1].exceed_max_chain).toBe(0);
  }, 120_000);

  it('brings up two queue pairs when the device has them', async () => {
    d = await new Daemon({ env: { VIRTNET_DATAPATH: 'tap' } }).start();
    const r = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:99:02', '-t', '1500', '-n', '5', '-s', '256', '-u', '9802');
    expect(r.code, r.stderr).toBe(0);
    const dev = (await virtnet(d.home, 'query', '-u', r.json.vuid, '-b')).json.devices[0];
    execFileSync('ip', ['addr', 'add', '198.18.98.1/24', 'dev', r.json.sf_rep_net_device]);
    const run = await runGuest({ socket: dev.vhost_user_socket, mac: dev.mac, mtu: dev.mtu, ip: '198.18.98.2/24', peer: '198.18.98.1', queues: 2 });
    expect(run.console, run.console).toContain('VNET-NIC eth0 02:00:00:00:99:02 1500 2');
    expect(run.console, run.console).toContain('VNET-PING-OK');
  }, 120_000);
});
