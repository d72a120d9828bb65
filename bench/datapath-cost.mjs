#!/usr/bin/env node
// Instructions per frame of each back-end's data path, which the machine's
// noise does not move: the back-end runs under valgrind's callgrind,
// counting only inside its data-path entry point, while DPDK's virtio-user
// driver (testpmd, native, on core 1) keeps its rings full. Counting starts
// once traffic flows and stops before it ends (callgrind_control), and the
// frames of that window are the driver's (its port counters, read right
// after each of the two; at most a ring's worth in flight differs):
//   ours:  tx_burst (driver TX: walk, check, copy every frame out, give back)
//          backend_gen_burst (driver RX: the generator's frames written in)
//   DPDK:  rte_vhost_dequeue_burst (driver TX: walk, mbufs, copy in)
//          rte_vhost_enqueue_burst (driver RX: copy out of the mbufs)
// Neither counts what its caller does around it (testpmd freeing mbufs or
// building them; our worker's wakeups and idle poll).
//
//   node bench/datapath-cost.mjs     (needs dpdk-testpmd and valgrind)
//   COST_SECONDS=5 BENCH_RINGS=split BENCH_SIZES=64 BENCH_DIRS=tx node bench/datapath-cost.mjs
//   COST_ANNOTATE=1 ...   also prints each window's instructions by function (stderr);
//   COST_ANNOTATE=/tmp/cg keeps each window's callgrind file as /tmp/cg.callgrind.out.*,
//   for callgrind_annotate --auto=yes (line by line)
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { F_RING_PACKED, buildServe, loadavg, machine, needTestpmd, serve, sleep, testpmd, vhostSocket } from './testpmd.mjs';

const SECONDS = Number(process.env.COST_SECONDS ?? 5);
const list = (v, d) => (v ?? d).split(',').filter(Boolean);
const RINGS = list(process.env.BENCH_RINGS, 'split,packed');
const SIZES = list(process.env.BENCH_SIZES, '64,1500').map(Number);
const DIRS = list(process.env.BENCH_DIRS, 'tx,rx');

needTestpmd();
if (!existsSync('/usr/bin/valgrind')) {
  console.error('no valgrind: apt-get install valgrind');
  process.exit(1);
}
buildServe();

const callgrind = (out, fn) => ['valgrind', '--tool=callgrind', `--toggle-collect=${fn}`, `--callgrind-out-file=${out}`];

/** Instructions counted since the last zeroing: dumps the counts and reads the newest dump. */
function dumpIr(pid, out) {
  execFileSync('callgrind_control', ['-d', String(pid)], { stdio: 'ignore' });
  const dir = join(out, '..');
  const base = out.split('/').pop();
  const dumps = readdirSync(dir).filter((f) => f.startsWith(`${base}.`)).sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
  const text = readFileSync(join(dir, dumps.pop()), 'utf8');
  return Number(/^summary: (\d+)/m.exec(text)?.[1] ?? /^totals: (\d+)/m.exec(text)?.[1]);
}

const driverVdev = (sock, ring) =>
  `net_virtio_user0,path=${sock},queues=1,queue_size=1024,mrg_rxbuf=1,in_order=0${ring === 'packed' ? ',packed_vq=1' : ''}`;

async function startDriver(sock, c) {
  const driver = testpmd([driverVdev(sock, c.ring)], { lcores: [0, 1] });
  await driver.ready();
  await driver.run(`set fwd ${c.dir === 'tx' ? 'txonly' : 'rxonly'}`);
  if (c.dir === 'tx') await driver.run(`set txpkts ${c.size}`);
  await driver.run('start');
  return driver;
}

/** The driver's frames so far in the direction measured. */
async function driverFrames(driver, c) {
  const t = await driver.run('show port stats 0');
  return Number((c.dir === 'tx' ? /TX-packets:\s+(\d+)/ : /RX-packets:\s+(\d+)/).exec(t)[1]);
}

/** COST_ANNOTATE=1: where the instructions of the newest dump went, by function (stderr). */
function annotate(out) {
  const dir = join(out, '..');
  const base = out.split('/').pop();
  const last = readdirSync(dir).filter((f) => f.startsWith(`${base}.`)).sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop())).pop();
  const text = execFileSync('callgrind_annotate', ['--threshold=100', '--auto=no', join(dir, last)], { encoding: 'utf8' });
  console.error(text.split('\n').filter((l) => /^\s*[\d,]+ \(/.test(l)).slice(0, 24).join('\n'));
  if (process.env.COST_ANNOTATE !== '1') copyFileSync(join(dir, last), `${process.env.COST_ANNOTATE}.${base}.${process.pid}.${Date.now()}`);
}

/** Instructions over a window of steady traffic, and the driver's frames in it. */
async function window(pid, out, driver, c) {
  await sleep(2000);
  execFileSync('callgrind_control', ['-z', String(pid)], { stdio: 'ignore' });
  const a = await driverFrames(driver, c);
  await sleep(SECONDS * 1000);
  const ir = dumpIr(pid, out);
  const b = await driverFrames(driver, c);
  if (process.env.COST_DEBUG) console.error({ a, b, ir });
  if (process.env.COST_ANNOTATE) annotate(out);
  return { ir, frames: b - a };
}

async function ours(c) {
  const fn = c.dir === 'tx' ? 'tx_burst' : 'backend_gen_burst';
  const dev = await serve({
    backend: c.dir === 'tx' ? 'sink' : 'gen',
    size: c.size,
    features: c.ring === 'packed' ? F_RING_PACKED : 0n,
    wrap: (dir) => callgrind(join(dir, 'callgrind.out'), fn),
  });
  const out = join(dev.dir, 'callgrind.out');
  const driver = await startDriver(dev.socket, c);
  try {
    return await window(dev.pid, out, driver, c);
  } finally {
    await driver.quit();
    await dev.stop();
  }
}

async function dpdk(c) {
  const fn = c.dir === 'tx' ? 'rte_vhost_dequeue_burst' : 'rte_vhost_enqueue_burst';
  const sock = vhostSocket();
  const out = join(sock.path, '..', 'callgrind.out');
  const backend = testpmd([`net_vhost0,iface=${sock.path},client=0,queues=1`], { lcores: [1, 0], wrap: callgrind(out, fn), patience: 6000 });
  try {
    await backend.ready();
    await backend.run(`set fwd ${c.dir === 'tx' ? 'rxonly' : 'txonly'}`);
    if (c.dir === 'rx') await backend.run(`set txpkts ${c.size}`);
    const driver = await startDriver(sock.path, c);
    try {
      await backend.run('start');
      const r = await window(backend.pid, out, driver, c);
      await backend.run('stop');
      return r;
    } finally {
      await driver.quit();
    }
  } finally {
    await backend.quit();
    sock.remove();
  }
}

console.log(`instructions per frame under callgrind, ${SECONDS} s windows; ${machine()}; load ${loadavg()}\n`);
console.log('| ring | direction | frame bytes | ours: instructions / frame (frames counted) | DPDK vhost: instructions / frame (frames counted) | ours / DPDK |');
console.log('|---|---|---:|---:|---:|---:|');
for (const ring of RINGS)
  for (const size of SIZES)
    for (const dir of DIRS) {
      const c = { ring, size, dir };
      const a = await ours(c);
      const b = await dpdk(c);
      const pa = a.ir / a.frames;
      const pb = b.ir / b.frames;
      const d = dir === 'tx' ? 'driver TX -> device' : 'device -> driver RX';
      console.log(`| ${ring} | ${d} | ${size} | ${pa.toFixed(0)} (${a.frames}) | ${pb.toFixed(0)} (${b.frames}) | ${(pa / pb).toFixed(2)} |`);
    }
