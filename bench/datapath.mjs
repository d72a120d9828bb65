#!/usr/bin/env node
// Data-path throughput, side by side in one run: DPDK's virtio-user (testpmd)
// drives our device (libvnet, one worker thread) and, in the same run, DPDK's
// own vhost-user back-end (the vhost PMD in a second testpmd). 64- and
// 1500-byte frames, both directions:
//   driver TX  (virtio-user txonly)  -> our device in sink mode      | vhost PMD rxonly
//   driver RX  (virtio-user rxonly)  <- our device's frame generator | vhost PMD txonly
// Prints packets per second seen by the driver, and the ratio ours/DPDK.
//
//   node bench/datapath.mjs            (needs dpdk-testpmd: apt-get install dpdk-dev)
//   BENCH_SECONDS=8 node bench/datapath.mjs
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NATIVE_DIR } from '../scripts/paths.mjs';

const SERVE = join(NATIVE_DIR, 'build/serve');
const TESTPMD = process.env.TESTPMD_PATH ?? '/usr/bin/dpdk-testpmd';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (!existsSync(TESTPMD)) {
  console.error(`no testpmd at ${TESTPMD}: apt-get install dpdk-dev`);
  process.exit(1);
}
execFileSync('make', ['-s', '-C', NATIVE_DIR, 'build/serve'], { stdio: 'inherit' });

let prefixes = 0;
/** An interactive testpmd forwarding on core `fwd` (its main lcore is the other one). */
function testpmd(vdev, fwd) {
  const args = ['-oL', TESTPMD, '-l', '0,1', '--main-lcore', String(1 - fwd), '--no-huge', '-m', '1024', '--no-pci', '--file-prefix', `vnb${process.pid}x${prefixes++}`,
    '--vdev', vdev, '--log-level', 'lib.eal:error', '--', '-i', '--total-num-mbufs=32768', '--nb-cores=1'];
  const p = spawn('stdbuf', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  // Prompts are read from stdout only: stderr lines can land inside one.
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (err += d));
  const waitPrompt = async (from) => {
    for (let i = 0; i < 600; i++) {
      const t = out.slice(from);
      const end = t.lastIndexOf('testpmd> ');
      if (end >= 0 && (from === 0 || end > 0)) return t.slice(0, end);
      if (p.exitCode !== null) throw new Error(`testpmd exited:\n${out}\n${err}`);
      await sleep(50);
    }
    throw new Error(`testpmd did not answer:\n${out.slice(-2000)}\n${err.slice(-2000)}`);
  };
  return {
    ready: () => waitPrompt(0),
    async run(cmd) {
      const from = out.length;
      p.stdin.write(cmd + '\n');
      return waitPrompt(from);
    },
    async quit() {
      if (p.exitCode !== null) return;
      const gone = new Promise((r) => p.once('exit', r));
      p.stdin.write('quit\n');
      const t = setTimeout(() => p.kill('SIGKILL'), 10000);
      await gone;
      clearTimeout(t);
    },
  };
}

/** Packets per second the driver saw over SECONDS, after a one-second warm-up. */
async function measure(driver, mode, size) {
  await driver.run(`set fwd ${mode}`);
  if (mode === 'txonly') await driver.run(`set txpkts ${size}`);
  await driver.run('start');
  await sleep(1000);
  await driver.run('show port stats 0');
  await sleep(SECONDS * 1000);
  const text = await driver.run('show port stats 0');
  await driver.run('stop');
  const m = new RegExp(mode === 'txonly' ? /Tx-pps:\s+(\d+)/ : /Rx-pps:\s+(\d+)/).exec(text);
  return m ? Number(m[1]) : NaN;
}

/**
 * Our device with a worker that polls an emptied ring for `idlePollUs`
 * before it asks the driver for kicks and sleeps (ace: 20 us; dpa: 1 ms).
 * Returns the driver's packets per second and the driver's kicks per 1000
 * frames on the measured queue.
 */
async function ours(mode, size, idlePollUs) {
  const dir = mkdtempSync(join(tmpdir(), 'vnbench-'));
  const backend = mode === 'txonly' ? 'sink' : 'gen';
  // Pinned to core 0, where DPDK's back-end forwards in its run: unpinned,
  // the worker may share core 1 with the driver's busy-polling core.
  const dev = spawn('taskset', ['-c', '0', SERVE, dir, '3', backend, String(size)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VNET_IDLE_POLL_US: String(idlePollUs) },
  });
  let sock = '';
  let status = '';
  dev.stdout.on('data', (d) => (sock += d));
  dev.stderr.on('data', (d) => (status += d));
  for (let i = 0; i < 100 && !sock.includes('\n'); i++) await sleep(20);
  const driver = testpmd(`net_virtio_user0,path=${sock.trim()},queues=1,queue_size=1024,mrg_rxbuf=1`, 1);
  await driver.ready();
  const pps = await measure(driver, mode, size);
  // serve prints every queue's counters once a second: the last line is the run's total.
  const last = status.trim().split('\n').filter((l) => l.startsWith('status')).pop() ?? '';
  const q = mode === 'txonly' ? 1 : 0;
  const m = new RegExp(`q${q} pk (\\d+) kick (\\d+)`).exec(last);
  const kicksPer1000 = m && Number(m[1]) ? (Number(m[2]) * 1000) / Number(m[1]) : NaN;
  await driver.quit();
  dev.kill('SIGTERM');
  await new Promise((r) => dev.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  return { pps, kicksPer1000 };
}

async function dpdk(mode, size) {
  const dir = mkdtempSync(join(tmpdir(), 'vnbench-'));
  const sock = join(dir, 'vhost.sock');
  // DPDK's back-end forwards on core 0, the driver on core 1.
  const backend = testpmd(`net_vhost0,iface=${sock},client=0,queues=1`, 0);
  await backend.ready();
  await backend.run(`set fwd ${mode === 'txonly' ? 'rxonly' : 'txonly'}`);
  if (mode === 'rxonly') await backend.run(`set txpkts ${size}`);
  const driver = testpmd(`net_virtio_user0,path=${sock},queues=1,queue_size=1024,mrg_rxbuf=1`, 1);
  await driver.ready();
  await backend.run('start');
  const pps = await measure(driver, mode, size);
  await backend.run('stop');
  await driver.quit();
  await backend.quit();
  rmSync(dir, { recursive: true, force: true });
  return pps;
}

const rows = [];
for (const size of [64, 1500]) {
  for (const mode of ['txonly', 'rxonly']) {
    const a = await ours(mode, size, 20);
    const p = await ours(mode, size, 1000);
    const b = await dpdk(mode, size);
    rows.push({ dir: mode === 'txonly' ? 'driver TX -> device' : 'device -> driver RX', size, a, p, b });
  }
}
const mpps = (v) => (v / 1e6).toFixed(2);
let dpdkVersion = 'unknown';
try {
  dpdkVersion = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'dpdk'], { encoding: 'utf8' });
} catch {
  // not a Debian package: the version is only for the report
}
console.log(`\n${SECONDS} s per case after 1 s warm-up; ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; DPDK ${dpdkVersion}\n`);
console.log('Ours: one worker that sleeps on kicks once a ring stays empty for 20 us (provider ace, the default) or 1 ms (dpa);');
console.log("DPDK's vhost PMD polls without end and never asks for kicks. Kicks: the driver's, per 1000 frames.\n");
console.log('| direction | frame bytes | ours, ace Mpps (kicks) | ours, dpa Mpps (kicks) | DPDK vhost PMD Mpps | ratio ace | ratio dpa |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
const k = (v) => (Number.isNaN(v) ? '-' : v.toFixed(1));
for (const r of rows)
  console.log(`| ${r.dir} | ${r.size} | ${mpps(r.a.pps)} (${k(r.a.kicksPer1000)}) | ${mpps(r.p.pps)} (${k(r.p.kicksPer1000)}) | ${mpps(r.b)} | ${(r.a.pps / r.b).toFixed(2)} | ${(r.p.pps / r.b).toFixed(2)} |`);
