#!/usr/bin/env node
// The representor path, the way a user's traffic goes: frames from DPDK's
// virtio-user driver (testpmd flowgen on core 1, which sends and counts
// what comes back) through the device to its TAP representor, where the
// kernel turns them around (tc: whatever arrives on the TAP is sent out of
// it again), and back through the device to the driver. Side by side in
// the same run:
//   ours: our device with its TAP representor (serve `tap`, one worker on core 0)
//   DPDK: DPDK's vhost PMD and its TAP PMD (net_tap) joined by testpmd's io
//         forwarding (one forwarding core, core 0)
// Prints Mpps and Gbit/s of frames back at the driver (frame bytes, as
// testpmd counts them) and what it sent, per run and the medians.
//
//   node bench/representor.mjs          (root: TAP netdevs and tc; dpdk-testpmd)
//   BENCH_SECONDS=5 BENCH_RUNS=3 BENCH_SIZES=64,1500 node bench/representor.mjs
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  buildServe, loadavg, machine, measure, median, needTestpmd, serve, sleep, testpmd, vhostSocket,
} from './testpmd.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SIZES = (process.env.BENCH_SIZES ?? '64,1500').split(',').filter(Boolean).map(Number);

if (process.getuid?.() !== 0) {
  console.error('needs root: TAP netdevs and tc');
  process.exit(1);
}
needTestpmd();
buildServe();

const sh = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });

async function netdev(name) {
  for (let i = 0; i < 500; i++) {
    if (existsSync(`/sys/class/net/${name}`)) return;
    await sleep(10);
  }
  throw new Error(`no netdev ${name}`);
}

/** The kernel sends whatever arrives on the TAP back out of it; no address, no IPv6 chatter. */
async function turnAround(name) {
  await netdev(name);
  sh('sysctl', ['-q', '-w', `net.ipv6.conf.${name}.disable_ipv6=1`]);
  sh('ip', ['link', 'set', name, 'up']);
  sh('tc', ['qdisc', 'add', 'dev', name, 'clsact']);
  // u32 matching every frame (kernels without the matchall classifier have it)
  sh('tc', ['filter', 'add', 'dev', name, 'ingress', 'protocol', 'all', 'u32', 'match', 'u32', '0', '0',
    'action', 'mirred', 'egress', 'redirect', 'dev', name]);
}

function removeNetdev(name) {
  if (!name || !existsSync(`/sys/class/net/${name}`)) return;
  try {
    sh('ip', ['link', 'del', name]);
  } catch {
    // gone with its owner meanwhile
  }
}

async function drive(sock, size) {
  const driver = testpmd([`net_virtio_user0,path=${sock},queues=1,queue_size=1024,mrg_rxbuf=1,in_order=0`], { lcores: [0, 1] });
  try {
    await driver.ready();
    await driver.run('set fwd flowgen');
    await driver.run(`set txpkts ${size}`);
    return await measure(driver, SECONDS);
  } finally {
    await driver.quit();
  }
}

async function ours(size) {
  const dev = await serve({ backend: 'tap', size });
  try {
    await turnAround(dev.representor);
    return await drive(dev.socket, size);
  } finally {
    await dev.stop();
    removeNetdev(dev.representor);
  }
}

async function dpdk(size) {
  const sock = vhostSocket();
  const tap = `en3fdpdk${process.pid % 10000}`;
  const backend = testpmd([`net_vhost0,iface=${sock.path},client=0,queues=1`, `net_tap0,iface=${tap}`], { lcores: [1, 0] });
  try {
    await backend.ready();
    await backend.run('set fwd io');
    await backend.run('start');
    await turnAround(tap);
    return await drive(sock.path, size);
  } finally {
    await backend.quit();
    sock.remove();
    removeNetdev(tap);
  }
}

const load = [loadavg()];
console.log(`${SECONDS} s per measurement after 1 s warm-up, ${RUNS} runs; ${machine()}; load ${load[0]}`);
const rows = SIZES.map((size) => ({ size, runs: [] }));
for (let run = 0; run < RUNS; run++) {
  for (const r of rows) {
    const order = run % 2 ? [['dpdk', dpdk], ['ours', ours]] : [['ours', ours], ['dpdk', dpdk]];
    const got = {};
    for (const [name, fn] of order) got[name] = await fn(r.size);
    r.runs.push(got);
    const m = (s) => `${(s.rxPps / 1e6).toFixed(3)} Mpps back of ${(s.txPps / 1e6).toFixed(2)} sent`;
    console.log(`run ${run + 1} ${r.size} B: ours ${m(got.ours)}, DPDK ${m(got.dpdk)}`);
  }
  load.push(loadavg());
}

console.log(`\nload average (1, 5, 15 min) at the start and after each run: ${load.join(' | ')}`);
console.log('Medians; Gbit/s of frame bytes back at the driver; the ratio is the median of each run\'s own.\n');
console.log('| frame bytes | ours Mpps | ours Gbit/s | DPDK vhost + net_tap Mpps | DPDK Gbit/s | ours / DPDK | sent by the driver, ours / DPDK Mpps |');
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const med = (k, f) => median(r.runs.map((x) => f(x[k])));
  const mpps = (k) => (med(k, (s) => s.rxPps) / 1e6).toFixed(3);
  const gbps = (k) => (med(k, (s) => s.rxBps) / 1e9).toFixed(2);
  const ratio = median(r.runs.map((x) => x.ours.rxPps / x.dpdk.rxPps)).toFixed(2);
  const sent = `${(med('ours', (s) => s.txPps) / 1e6).toFixed(2)} / ${(med('dpdk', (s) => s.txPps) / 1e6).toFixed(2)}`;
  console.log(`| ${r.size} | ${mpps('ours')} | ${gbps('ours')} | ${mpps('dpdk')} | ${gbps('dpdk')} | ${ratio} | ${sent} |`);
}
