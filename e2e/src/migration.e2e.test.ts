/**
 * Live migration of a Linux guest from a device of one DPU to a device of
 * another, with QEMU's standard migration: two controllers and two homes on
 * this machine, each DPU with one static PF of the same MAC, their TAP
 * representors in one Linux bridge. The guest pings the bridge and receives
 * a stream whose every line it checks; the destination device must carry
 * both after the switch, the bridge must have learnt the guest's new port,
 * a migration cancelled halfway must leave the source running with logging
 * off, and the next migration must work. Needs CAP_NET_ADMIN and QEMU.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from '@virtnet/shared';
import { virtnet } from './support/cli.js';
import { Daemon } from './support/daemon.js';
// The lab is plain JavaScript shared with `npm run lab` and the benchmarks, not a project.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { Bridge, guestCounts, guestTraffic, migrate, pingReplies, qmp, ramDiff, startStream, streamLines, trafficFlows, Vm } from '../../scripts/lab/migration.mjs';

const PROFILE = { PCI_SWITCH_EMULATION_NUM_PORT: 1, VIRTIO_NET_EMULATION_NUM_PF: 1, VIRTIO_NET_EMULATION_NUM_VF: 0 };
const MAC = '02:56:4E:AB:00:00';
const CONF = { static_pf: { mac_base: MAC } };
const env = { VIRTNET_HOST: 'external', VIRTNET_DATAPATH: 'tap' };

// QEMU 7.2 under TCG (this machine has no usable KVM) loses some of the guest's own writes in
// about a third of the migrations right after boot, as often with QEMU's own virtio-net on a TAP,
// no vhost-user back-end at all (bench/migration-ram.mjs measures both in one run): the guest's
// RAM differs afterwards in kernel pages (per-cpu timers, slab lists), and the guest then often
// crashes in its first seconds on the destination. So every migration here lands on a paused
// destination whose RAM is compared with the source's, page by page. One that arrived whole
// must then carry everything the test checks, and any failure is the device's. One that did not
// is no verdict: the test starts again with a guest booted afresh, up to ATTEMPTS times, and
// fails if none arrived whole (a device that lost what it wrote would fail that way too).
const ATTEMPTS = 10;
const SETTLED_PINGS = 150;

/** A migration after which the guest's RAM differed: QEMU lost some of it, no verdict. */
class NotWhole extends Error {}

interface Side {
  d: Daemon;
  pf: any;
  qmp: string;
}

let a: Side;
let b: Side;
let bridge: Bridge;
let guest: Vm;
let stream: { sent: () => number; stop: () => void; close: () => void };
const vms: Vm[] = [];

async function side(): Promise<Side> {
  const d = await new Daemon({ profile: PROFILE, conf: CONF, env }).start();
  const pf = (await virtnet(d.home, 'query', '-p', '0', '-b')).json.devices[0];
  return { d, pf, qmp: join(d.home, 'qmp.sock') };
}

function vmOn(s: Side, name: string, incoming: boolean): Vm {
  const vm = new Vm(name, { qmp: s.qmp, rootPorts: 0, cpus: 1, coldPlug: [{ vuid: s.pf.vuid, socket: s.pf.vhost_user_socket, mac: s.pf.mac, mtu: s.pf.mtu, queuePairs: s.pf.max_queue_pairs }], console: 'stdio' }, { incoming, paused: incoming });
  vms.push(vm);
  return vm;
}

/**
 * Migrates into `dst` (started paused); once completed, compares both guests' RAM and lets the
 * destination run, or throws NotWhole with the pages that differ.
 */
async function migrateChecked(src: Vm, dst: Vm, o: Parameters<typeof migrate>[2]) {
  const r = await migrate(src, dst, o);
  if (r.status === 'completed') {
    const diff = await ramDiff(src, dst, b.d.home);
    if (diff.length) throw new NotWhole(`${dst.name}: the guest's RAM differs from the source's in ${diff.length} pages: ${diff.slice(0, 16).map((p) => `${p.page.toString(16)}[${p.first}-${p.last}]`).join(' ')}`);
    await qmp(dst.opts.qmp, 'cont');
  }
  return r;
}

/** Boots the guest on DPU A, with its traffic: a ping every 50 ms and a stream it checks. */
let boots = 0;
async function bootOnA() {
  guest = await vmOn(a, `src${++boots}`, false).start();
  await guest.waitLine(/^VNET-NIC-ADD eth0 /);
  for (const line of guestTraffic('eth0')) expect((await guest.run(line)).code).toBe(0);
  stream = await startStream(); // 200 lines a second from the bridge's address
  await trafficFlows(guest);
  // Right after boot the guest's kernel writes most, and QEMU loses most of it: migrated once its
  // ping has had SETTLED_PINGS answers (7.5 s), about 1 migration in 7 lost memory here, against
  // half of them at once.
  await until('the guest settled', async () => ((await pingReplies(guest)) >= SETTLED_PINGS ? true : undefined), 60_000);
}

/** Runs `body` on a guest booted afresh until its migrations arrive whole (see NotWhole). */
async function whole(body: () => Promise<void>) {
  const lost: string[] = [];
  for (let i = 0; i < ATTEMPTS; i++) {
    try {
      await bootOnA();
      await body();
      return;
    } catch (e) {
      if (!(e instanceof NotWhole)) throw e;
      lost.push(e.message);
      console.log(`${e.message}: no verdict, again with a guest booted afresh`);
    } finally {
      stream?.close();
      for (const vm of vms.splice(0)) await vm.stop();
    }
  }
  throw new Error(`no migration of ${ATTEMPTS} arrived whole:\n${lost.join('\n')}`);
}

const device = async (s: Side) => (await virtnet(s.d.home, 'query', '-u', s.pf.vuid, '-b')).json.devices[0];
const rxPackets = async (s: Side) => (await virtnet(s.d.home, 'stats', '-u', s.pf.vuid, '-q', '0')).json.queues[0].packets as number;
const replies = pingReplies;

beforeAll(async () => {
  a = await side();
  b = await side();
  expect(b.pf.mac).toBe(a.pf.mac);
  bridge = new Bridge(`vnmig${process.pid % 10000}`);
  bridge.add(a.pf.sf_rep_net_device);
  bridge.add(b.pf.sf_rep_net_device);
}, 120_000);

afterEach(async () => {
  stream?.close();
  for (const vm of vms.splice(0)) await vm.stop();
});

afterAll(async () => {
  bridge?.remove();
  await a?.d.cleanup();
  await b?.d.cleanup();
});

describe('live migration between two DPUs', () => {
  it('moves the running guest to the other DPU: the destination device carries its traffic, the bridge learns the new port, no line of the stream is corrupted', () =>
    whole(async () => {
      const dst = await vmOn(b, `dst${boots}`, true).start();
      const r = await migrateChecked(guest, dst, { uri: `unix:${join(b.d.home, `migrate-${boots}.sock`)}` });
      expect(r, guest.tail()).toMatchObject({ status: 'completed', error: null });
      // The source logged the pages it wrote, and its rings were stopped with logging on: handed over.
      const src = (await device(a)).migration;
      expect(src).toMatchObject({ state: 'stopped' });
      expect(src.migrations).toBeGreaterThan(0);
      expect(src.log_bytes).toBeGreaterThan(0);
      expect(src.pages_logged).toBeGreaterThan(0);
      await guest.stop();
      guest = dst;

      const before = await rxPackets(b);
      const repliesBefore = await replies(guest);
      await until('pings answered through DPU B', async () => ((await replies(guest)) > repliesBefore + 5 ? true : undefined), 30_000);
      expect(await rxPackets(b)).toBeGreaterThan(before);
      expect(bridge.portOf(MAC)).toBe(b.pf.sf_rep_net_device);
      expect((await device(b)).device_status).toBe(15); // the guest's driver state came with it: no probe again
      // Every line sent arrives once the stream ends (TCP lost nothing across the switch), none changed.
      stream.stop();
      const sent = stream.sent();
      await until('every line of the stream in the guest', async () => ((await streamLines(guest)) === sent ? true : undefined), 60_000);
      expect(await guestCounts(guest)).toMatchObject({ stream: sent, corrupted: 0, csumErrors: 0 });
    }), 900_000);

  it('cancelled halfway, leaves the source running with logging off; the next migration completes', () =>
    whole(async () => {
      const dst = await vmOn(b, `dst${boots}c`, true).start();
      // A bandwidth low enough that 100 ms in, most of the guest's memory is still to go (seconds of it).
      const r = await migrate(guest, dst, { uri: `unix:${join(b.d.home, `migrate-${boots}c.sock`)}`, cancelAfterMs: 100, params: { 'max-bandwidth': 8 << 20 } });
      expect(r.status).toBe('cancelled');
      await dst.stop();
      expect((await device(a)).migration).toMatchObject({ state: 'cancelled', logging: false });
      const repliesBefore = await replies(guest);
      await until('the source still answers', async () => ((await replies(guest)) > repliesBefore + 5 ? true : undefined), 30_000);

      const again = await vmOn(b, `dst${boots}`, true).start();
      const r2 = await migrateChecked(guest, again, { uri: `unix:${join(b.d.home, `migrate-${boots}.sock`)}`, params: { 'max-bandwidth': 1 << 30 } });
      expect(r2).toMatchObject({ status: 'completed', error: null });
      await guest.stop();
      guest = again;
      const n = await replies(guest);
      await until('pings answered through DPU B', async () => ((await replies(guest)) > n + 5 ? true : undefined), 30_000);
      expect(bridge.portOf(MAC)).toBe(b.pf.sf_rep_net_device);
      stream.stop();
      const sent = stream.sent();
      await until('every line of the stream in the guest', async () => ((await streamLines(guest)) === sent ? true : undefined), 60_000);
      expect(await guestCounts(guest)).toMatchObject({ stream: sent, corrupted: 0, csumErrors: 0 });
    }), 900_000);
});
