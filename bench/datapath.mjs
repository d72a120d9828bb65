#!/usr/bin/env node
// Data-path throughput, side by side in one run: DPDK's virtio-user driver
// (testpmd, forwarding on core 1) drives, taking turns,
//   the driver's ceiling: our device handing every descriptor back untouched
//                         (serve `ceiling`: no byte read or written),
//   ours:                 our device (serve, one worker pinned to core 0),
//   DPDK:                 DPDK's own vhost-user back-end (the vhost PMD in a
//                         second testpmd forwarding on core 0),
// for split and packed rings, 64- and 1500-byte frames, both directions:
//   driver TX (virtio-user txonly) -> our sink, which copies every frame out
//                                     | vhost PMD rxonly, which copies every frame into an mbuf
//   driver RX (virtio-user rxonly) <- our generator, which writes every frame
//                                     | vhost PMD txonly, whose frames the vhost library copies in
// The driver is given the same features by both back-ends: mergeable RX
// buffers, no VIRTIO_F_IN_ORDER (the DPU's profile, like the product's,
// does not offer it; DPDK's vhost would take it otherwise).
// For each case the three stand ready at once, each with a driver of its
// own, and forward one at a time in rounds of windows (BENCH_RUNS rounds
// of BENCH_SECONDS each after a warm-up second), the order turning each
// round: on a machine whose speed swings by 2-3x over seconds (a shared
// VM), the two windows of a ratio are seconds apart, not minutes. Idle,
// our workers sleep on kicks and DPDK's forwarding core is stopped.
// Prints Mpps seen by the driver for each window, then the medians and
// the ratios, each the median of the rounds' own.
//
//   node bench/datapath.mjs            (needs dpdk-testpmd: apt-get install dpdk-dev)
//   BENCH_SECONDS=2 BENCH_RUNS=7 BENCH_RINGS=split,packed BENCH_SIZES=64,1500 BENCH_DIRS=tx,rx node bench/datapath.mjs
import {
  F_RING_PACKED, buildServe, loadavg, machine, measure, median, needTestpmd, serve, testpmd, vhostSocket,
} from './testpmd.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const list = (v, d) => (v ?? d).split(',').filter(Boolean);
const RINGS = list(process.env.BENCH_RINGS, 'split,packed');
const SIZES = list(process.env.BENCH_SIZES, '64,1500').map(Number);
const DIRS = list(process.env.BENCH_DIRS, 'tx,rx');

needTestpmd();
buildServe();

const driverVdev = (sock, ring) =>
  `net_virtio_user0,path=${sock},queues=1,queue_size=1024,mrg_rxbuf=1,in_order=0${ring === 'packed' ? ',packed_vq=1' : ''}`;

/** The driver's mode for a direction, and the back-end's opposite. */
const driverMode = (dir) => (dir === 'tx' ? 'txonly' : 'rxonly');

/** A driver on `sock`, ready, in the direction's mode; forwarding only inside `window`. */
async function driverOn(sock, c) {
  const driver = testpmd([driverVdev(sock, c.ring)], { lcores: [0, 1] });
  await driver.ready();
  await driver.run(`set fwd ${driverMode(c.dir)}`);
  if (c.dir === 'tx') await driver.run(`set txpkts ${c.size}`);
  return driver;
}

/** The driver's packets per second over one window: a warm-up second, then WINDOW seconds. */
async function window(driver, c) {
  const s = await measure(driver, SECONDS);
  return c.dir === 'tx' ? s.txPps : s.rxPps;
}

/** Our device (or the ceiling) with its driver: windows of the driver's Mpps, and kicks per 1000 frames. */
async function ours(c, backend) {
  const dev = await serve({
    backend: backend ?? (c.dir === 'tx' ? 'sink' : 'gen'),
    size: c.size,
    features: c.ring === 'packed' ? F_RING_PACKED : 0n,
  });
  const driver = await driverOn(dev.socket, c).catch(async (e) => {
    await dev.stop();
    throw e;
  });
  return {
    window: () => window(driver, c),
    async kicks() {
      const q = c.dir === 'tx' ? 1 : 0;
      const m = new RegExp(`q${q} pk (\\d+) kick (\\d+)`).exec(await dev.statusNow());
      return m && Number(m[1]) ? (Number(m[2]) * 1000) / Number(m[1]) : NaN;
    },
    async close() {
      await driver.quit();
      await dev.stop();
    },
  };
}

/** DPDK's vhost PMD (a second testpmd, forwarding on core 0 only inside a window) with its driver. */
async function dpdk(c) {
  const sock = vhostSocket();
  const backend = testpmd([`net_vhost0,iface=${sock.path},client=0,queues=1`], { lcores: [1, 0] });
  let driver;
  try {
    await backend.ready();
    await backend.run(`set fwd ${c.dir === 'tx' ? 'rxonly' : 'txonly'}`);
    if (c.dir === 'rx') await backend.run(`set txpkts ${c.size}`);
    driver = await driverOn(sock.path, c);
  } catch (e) {
    await backend.quit();
    sock.remove();
    throw e;
  }
  return {
    async window() {
      await backend.run('start');
      try {
        return await window(driver, c);
      } finally {
        await backend.run('stop');
      }
    },
    async close() {
      await driver.quit();
      await backend.quit();
      sock.remove();
    },
  };
}

const cases = [];
for (const ring of RINGS) for (const size of SIZES) for (const dir of DIRS) cases.push({ ring, size, dir, runs: [] });

const load = [loadavg()];
console.log(`${RUNS} windows of ${SECONDS} s after 1 s warm-up per back-end, taking turns; ${machine()}; load ${load[0]}`);
for (const c of cases) {
  // All three stand ready at once; only one forwards at a time. Each round
  // of windows measures the three back to back, so a ratio compares two
  // windows a few seconds apart, under the same load of the machine.
  const setups = {};
  try {
    setups.ceiling = await ours(c, 'ceiling');
    setups.ours = await ours(c);
    setups.dpdk = await dpdk(c);
    for (let run = 0; run < RUNS; run++) {
      // The order turns each round, so no back-end always goes first or last.
      const order = ['ceiling', 'ours', 'dpdk'];
      for (let k = 0; k < run % 3; k++) order.push(order.shift());
      const r = {};
      for (const name of order) r[name] = await setups[name].window();
      c.runs.push(r);
      const m = (v) => (v / 1e6).toFixed(2);
      console.log(`window ${run + 1} ${c.ring} ${c.size} B ${c.dir}: ceiling ${m(r.ceiling)}, ours ${m(r.ours)}, DPDK ${m(r.dpdk)} Mpps`);
    }
    c.kicks = await setups.ours.kicks();
  } finally {
    for (const x of Object.values(setups)) await x.close();
  }
  load.push(loadavg());
}

const mpps = (v) => (v / 1e6).toFixed(2);
const f2 = (v) => (Number.isNaN(v) ? '-' : v.toFixed(2));
console.log(`\nload average (1, 5, 15 min) at the start and after each case: ${load.join(' | ')}`);
console.log('Medians of the windows; ratios are the median of each round\'s own ratio. Kicks: the driver\'s, per 1000 frames.');
console.log("Target: ours / DPDK >= 1.1 at 64 B and >= 1.0 at 1500 B, or >= 0.97 of the ceiling where DPDK's is within 10 % of it.\n");
console.log('| ring | direction | frame bytes | ceiling Mpps | ours Mpps (kicks) | DPDK vhost PMD Mpps | ours / DPDK | ours / ceiling | DPDK / ceiling | target | met |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|');
for (const c of cases) {
  const ratio = median(c.runs.map((r) => r.ours / r.dpdk));
  const oc = median(c.runs.map((r) => r.ours / r.ceiling));
  const dc = median(c.runs.map((r) => r.dpdk / r.ceiling));
  const atCeiling = dc >= 0.9;
  const want = c.size <= 64 ? 1.1 : 1.0;
  const target = atCeiling ? 'ours >= 0.97 x ceiling (DPDK within 10 %)' : `ours >= ${want.toFixed(1)} x DPDK`;
  const met = atCeiling ? oc >= 0.97 : ratio >= want;
  const dir = c.dir === 'tx' ? 'driver TX -> device' : 'device -> driver RX';
  console.log(`| ${c.ring} | ${dir} | ${c.size} | ${mpps(median(c.runs.map((r) => r.ceiling)))} | ${mpps(median(c.runs.map((r) => r.ours)))} (${f2(c.kicks)}) | ${mpps(median(c.runs.map((r) => r.dpdk)))} | ${f2(ratio)} | ${f2(oc)} | ${f2(dc)} | ${target} | ${met ? 'yes' : 'no'} |`);
}
