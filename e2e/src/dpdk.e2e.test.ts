/**
 * Interop with a real virtio driver that needs no VM: DPDK's virtio-user
 * (testpmd) on a device's vhost-user socket. Packet counts the driver
 * reports must equal the device's counters exactly; split and packed rings;
 * multiqueue; the generator representor feeding the driver.
 */
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

async function plug(daemon: Daemon, queues: number, extra: string[] = []): Promise<{ vuid: string; socket: string }> {
  const r = await virtnet(daemon.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:d0:01', '-t', '1500', '-n', String(queues), '-s', '256', ...extra);
  expect(r.code, r.stderr).toBe(0);
  const q = await virtnet(daemon.home, 'query', '-u', r.json.vuid, '-b');
  return { vuid: r.json.vuid, socket: q.json.devices[0].vhost_user_socket };
}

/** The device's per-queue packet counters, once they reach `want` (the driver's own count). */
async function settle(home: string, vuid: string, queue: number, want: number): Promise<number> {
  let seen = -1;
  await until(`queue ${queue} of ${vuid} to count ${want} packets (it counts ${seen})`, async () => {
    seen = (await virtnet(home, 'stats', '-u', vuid, '-q', String(queue))).json.queues[0].packets;
    return seen === want ? seen : undefined;
  }, 10_000);
  return seen;
}

describe('DPDK virtio-user', () => {
  it('txonly on two queue pairs: every packet the driver sent is counted on its queue', async () => {
    d = await new Daemon().start();
    const dev = await plug(d, 5);
    pmd = await new TestPmd(`net_virtio_user0,path=${dev.socket},queues=2,queue_size=256`, 2).start();
    const q = await virtnet(d.home, 'query', '-u', dev.vuid, '-b');
    expect(q.json.devices[0]).toMatchObject({ host_connected: true, device_status_names: ['ACKNOWLEDGE', 'DRIVER', 'DRIVER_OK', 'FEATURES_OK'] });
    await pmd.run('set fwd txonly');
    await pmd.run('start');
    await until('traffic', async () => ((await virtnet(d!.home, 'stats', '-u', dev.vuid, '-q', '3')).json.queues[0].packets > 10_000 ? true : undefined));
    await pmd.run('stop');
    const x = await pmd.xstats();
    expect(x['tx_q0_good_packets']).toBeGreaterThan(0);
    expect(x['tx_q1_good_packets']).toBeGreaterThan(0);
    expect(await settle(d.home, dev.vuid, 1, x['tx_q0_good_packets']!)).toBe(x['tx_q0_good_packets']);
    expect(await settle(d.home, dev.vuid, 3, x['tx_q1_good_packets']!)).toBe(x['tx_q1_good_packets']);
    const s = (await virtnet(d.home, 'stats', '-u', dev.vuid)).json.queues;
    expect(s[1]).toMatchObject({ type: 'tx', bytes: x['tx_q0_good_bytes'], tx_64_or_less_octet_packets: x['tx_q0_good_packets'], bad_desc_errors: 0, invalid_buffer: 0 });
    expect(s[1].kicks).toBeGreaterThan(0);
  });

  it('rxonly from the generator representor: what the driver received is what the device gave it', async () => {
    d = await new Daemon({ env: { VIRTNET_DATAPATH: 'generator' } }).start();
    const dev = await plug(d, 3);
    pmd = await new TestPmd(`net_virtio_user0,path=${dev.socket},queues=1,queue_size=256`).start();
    await pmd.run('set fwd rxonly');
    await pmd.run('start');
    await until('traffic', async () => ((await virtnet(d!.home, 'stats', '-u', dev.vuid, '-q', '0')).json.queues[0].packets > 10_000 ? true : undefined));
    await pmd.run('stop');
    const received = (await pmd.xstats())['rx_q0_good_packets']!;
    const given = (await virtnet(d.home, 'stats', '-u', dev.vuid, '-q', '0')).json.queues[0];
    // The driver stops polling at `stop`: at most one ring of frames is given but not yet read.
    expect(received).toBeGreaterThan(10_000);
    expect(given.packets - received).toBeGreaterThanOrEqual(0);
    expect(given.packets - received).toBeLessThanOrEqual(256);
    expect(given.rx_64_or_less_octet_packets).toBe(given.packets);
  });

  it('io forwarding through the echo representor: the driver sends back what it receives, both counts match', async () => {
    d = await new Daemon().start();
    const dev = await plug(d, 3);
    pmd = await new TestPmd(`net_virtio_user0,path=${dev.socket},queues=1,queue_size=256`).start();
    await pmd.run('set fwd io');
    // One burst starts it; from then on every frame goes driver -> device -> echo -> driver -> ...
    await pmd.run('start tx_first');
    await until('frames going round', async () => ((await virtnet(d!.home, 'stats', '-u', dev.vuid, '-q', '1')).json.queues[0].packets > 10_000 ? true : undefined));
    await pmd.run('stop');
    const x = await pmd.xstats();
    expect(await settle(d.home, dev.vuid, 1, x['tx_q0_good_packets']!)).toBe(x['tx_q0_good_packets']);
    const rx = (await virtnet(d.home, 'stats', '-u', dev.vuid, '-q', '0')).json.queues[0];
    // What the device gave minus what the driver read: frames in the ring when it stopped polling.
    expect(rx.packets - x['rx_q0_good_packets']!).toBeGreaterThanOrEqual(0);
    expect(rx.packets - x['rx_q0_good_packets']!).toBeLessThanOrEqual(256);
    expect(rx.packets + rx.dropped).toBe(x['tx_q0_good_packets']);
  });

  it('negotiates packed virtqueues when the device offers RING_PACKED', async () => {
    d = await new Daemon().start();
    const dev = await plug(d, 3, ['-f', '0x400000000']);
    pmd = await new TestPmd(`net_virtio_user0,path=${dev.socket},queues=1,queue_size=256,packed_vq=1`).start();
    const q = await virtnet(d.home, 'query', '-u', dev.vuid, '-b');
    expect(BigInt(q.json.devices[0].driver_features) & (1n << 34n)).toBe(1n << 34n);
    await pmd.run('set fwd txonly');
    await pmd.run('start');
    await until('traffic', async () => ((await virtnet(d!.home, 'stats', '-u', dev.vuid, '-q', '1')).json.queues[0].packets > 10_000 ? true : undefined));
    await pmd.run('stop');
    const sent = (await pmd.xstats())['tx_q0_good_packets']!;
    expect(await settle(d.home, dev.vuid, 1, sent)).toBe(sent);
  });

  it('the host driver is seen: modify refuses device changes while it is bound, accepts them once it is gone', async () => {
    d = await new Daemon().start();
    const dev = await plug(d, 3);
    pmd = await new TestPmd(`net_virtio_user0,path=${dev.socket},queues=1,queue_size=256`).start();
    const bound = await virtnet(d.home, 'modify', '-u', dev.vuid, 'device', '-t', '9000');
    expect(bound.code).toBe(1);
    expect(bound.error.code).toBe('DRIVER_BOUND');
    await pmd.quit();
    pmd = undefined;
    await until('the driver to let go', async () => ((await virtnet(d!.home, 'query', '-u', dev.vuid, '-b')).json.devices[0].host_connected ? undefined : true));
    const ok = await virtnet(d.home, 'modify', '-u', dev.vuid, 'device', '-t', '9000');
    expect(ok.code, ok.stderr).toBe(0);
  });
});

describe('DPDK virtio-user across a controller crash', () => {
  it('reconnects after SIGKILL and restart, and traffic resumes without the driver re-probing', async () => {
    d = await new Daemon({ env: { VIRTNET_VHOST_MODE: 'client' } }).start();
    const dev = await plug(d, 3);
    // The driver listens (server=1) where the device connects; it outlives the controller.
    pmd = await new TestPmd(`net_virtio_user0,path=${dev.socket},queues=1,queue_size=256,server=1`).start();
    await until('the device to connect', async () => ((await virtnet(d!.home, 'query', '-u', dev.vuid, '-b')).json.devices[0].host_connected ? true : undefined));
    await pmd.run('set fwd txonly');
    await pmd.run('start');
    await until('traffic', async () => ((await virtnet(d!.home, 'stats', '-u', dev.vuid, '-q', '1')).json.queues[0].packets > 10_000 ? true : undefined));

    // The driver keeps transmitting into a full ring while the controller is away.
    await d.kill();
    await d.start();
    // Same device, same socket path; the driver is not re-probed, its port
    // just resumes. The counters start again from zero in the new process.
    await until('traffic after the restart', async () => {
      const s = await virtnet(d!.home, 'stats', '-u', dev.vuid, '-q', '1');
      return s.code === 0 && s.json.queues[0].packets > 10_000 ? true : undefined;
    }, 20_000);
    const q = (await virtnet(d.home, 'query', '-u', dev.vuid, '-b')).json.devices[0];
    expect(q).toMatchObject({ host_connected: true, vhost_user_socket: dev.socket, mac: '02:00:00:00:D0:01' });
    await pmd.run('stop');
    const x = await pmd.xstats();
    expect(x['tx_q0_good_packets']).toBeGreaterThan(20_000);
  });
});
