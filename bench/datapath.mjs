#!/usr/bin/env node
// Data-path throughput, side by side in one run: DPDK's virtio-user driver
// (testpmd, forwarding on core 1) drives, one after the other,
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
// Prints Mpps seen by the driver for each run, then the medians and the
// ratios, each run's ratio taken within the run.
//
//   node bench/datapath.mjs            (needs dpdk-testpmd: apt-get install dpdk-dev)
//   BENCH_SECONDS=5 BENCH_RUNS=3 BENCH_RINGS=split,packed BENCH_SIZES=64,1500 BENCH_DIRS=tx,rx node bench/datapath.mjs
import {
  F_RING_PACKED, buildServe, loadavg, machine, measure, median, needTestpmd, serve, testpmd, vhostSocket,
} from './testpmd.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
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

async function drive(sock, c) {
  const driver = testpmd([driverVdev(sock, c.ring)], { lcores: [0, 1] });
  try {
    await driver.ready();
    await driver.run(`set fwd ${driverMode(c.dir)}`);
    if (c.dir === 'tx') await driver.run(`set txpkts ${c.size}`);
    const s = await measure(driver, SECONDS);
    return c.dir === 'tx' ? s.txPps : s.rxPps;
  } finally {
    await driver.quit();
  }
}

/** Our device (or the ceiling): the driver's packets per second and kicks per 1000 frames. */
async function ours(c, backend) {
  const dev = await serve({
    backend: backend ?? (c.dir === 'tx' ? 'sink' : 'gen'),
    size: c.size,
    features: c.ring === 'packed' ? F_RING_PACKED : 0n,
  });
  try {
    const pps = await drive(dev.socket, c);
    await new Promise((r) => setTimeout(r, 1100)); // serve's next counters line covers the whole run
    const q = c.dir === 'tx' ? 1 : 0;
    const m = new RegExp(`q${q} pk (\\d+) kick (\\d+)`).exec(dev.lastStatus());
    const kicks = m && Number(m[1]) ? (Number(m[2]) * 1000) / Number(m[1]) : NaN;
    return { pps, kicks };
  } finally {
    await dev.stop();
  }
}

async function dpdk(c) {
  const sock = vhostSocket();
  const backend = testpmd([`net_vhost0,iface=${sock.path},client=0,queues=1`], { lcores: [1, 0] });
  try {
    await backend.ready();
    await backend.run(`set fwd ${c.dir === 'tx' ? 'rxonly' : 'txonly'}`);
    if (c.dir === 'rx') await backend.run(`set txpkts ${c.size}`);
    await backend.run('start');
    return await drive(sock.path, c);
  } finally {
    await backend.quit();
    sock.remove();
  }
}

const cases = [];
for (const ring of RINGS) for (const size of SIZES) for (const dir of DIRS) cases.push({ ring, size, dir, runs: [] });

const load = [loadavg()];
console.log(`${SECONDS} s per measurement after 1 s warm-up, ${RUNS} runs; ${machine()}; load ${load[0]}`);
for (let run = 0; run < RUNS; run++) {
  for (const c of cases) {
    // The order turns each run, so no back-end always runs first or last.
    const order = [['ceiling', () => ours(c, 'ceiling')], ['ours', () => ours(c)], ['dpdk', () => dpdk(c)]];
    for (let k = 0; k < run % 3; k++) order.push(order.shift());
    const r = {};
    for (const [name, fn] of order) r[name] = await fn();
    c.runs.push({ ceiling: r.ceiling.pps, ours: r.ours.pps, kicks: r.ours.kicks, dpdk: r.dpdk });
    const m = (v) => (v / 1e6).toFixed(2);
    console.log(`run ${run + 1} ${c.ring} ${c.size} B ${c.dir}: ceiling ${m(r.ceiling.pps)}, ours ${m(r.ours.pps)}, DPDK ${m(r.dpdk)} Mpps`);
  }
  load.push(loadavg());
}

const mpps = (v) => (v / 1e6).toFixed(2);
const f2 = (v) => (Number.isNaN(v) ? '-' : v.toFixed(2));
console.log(`\nload average (1, 5, 15 min) at the start and after each run: ${load.join(' | ')}`);
console.log('Medians of the runs; ratios are the median of each run\'s own ratio. Kicks: the driver\'s, per 1000 frames.');
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
  console.log(`| ${c.ring} | ${dir} | ${c.size} | ${mpps(median(c.runs.map((r) => r.ceiling)))} | ${mpps(median(c.runs.map((r) => r.ours)))} (${median(c.runs.map((r) => r.kicks)).toFixed(1)}) | ${mpps(median(c.runs.map((r) => r.dpdk)))} | ${f2(ratio)} | ${f2(oc)} | ${f2(dc)} | ${target} | ${met ? 'yes' : 'no'} |`);
}
