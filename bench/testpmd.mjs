// Shared by the data-path benchmarks: DPDK's testpmd (as the driver, or as
// DPDK's own back-end) and our serve tool, each a process of its own that
// the benchmark stops whatever happens.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SERVE = join(ROOT, 'libs/hw/native/build/serve');
export const TESTPMD = process.env.TESTPMD_PATH ?? '/usr/bin/dpdk-testpmd';
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Virtio feature bits the driver may be given on top of the device's defaults. */
export const F_RING_PACKED = 1n << 34n;

const live = new Set();
let cleaning = false;
function killAll() {
  for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (cleaning) return;
    cleaning = true;
    killAll();
    process.exit(130);
  });
}

function track(p) {
  live.add(p);
  p.once('exit', () => live.delete(p));
  return p;
}

/** Fails early, with the line to run, when testpmd is missing. */
export function needTestpmd() {
  if (!existsSync(TESTPMD)) {
    console.error(`no testpmd at ${TESTPMD}: apt-get install dpdk-dev`);
    process.exit(1);
  }
}

export function buildServe() {
  execFileSync('make', ['-s', '-C', join(ROOT, 'libs/hw/native'), 'build/serve'], { stdio: 'inherit' });
}

export function machine() {
  let dpdk = 'unknown';
  try {
    dpdk = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'dpdk-dev'], { encoding: 'utf8' });
  } catch {
    // not a Debian package: the version is only for the report
  }
  return `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; DPDK ${dpdk}`;
}

export const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

let prefixes = 0;

/**
 * An interactive testpmd. `lcores`: the cores it may use, the first its main
 * lcore (which only reads commands), the others forwarding.
 */
export function testpmd(vdevs, { lcores = [0, 1], nbCores = lcores.length - 1, extra = [], wrap = [], patience = 600 } = {}) {
  const args = ['-oL', ...wrap, TESTPMD, '-l', lcores.join(','), '--main-lcore', String(lcores[0]), '--no-huge', '-m', '1024', '--no-pci',
    '--file-prefix', `vnb${process.pid}x${prefixes++}`, '--log-level', 'lib.eal:error'];
  for (const v of vdevs) args.push('--vdev', v);
  args.push('--', '-i', '--total-num-mbufs=32768', `--nb-cores=${nbCores}`, ...extra);
  const p = track(spawn('stdbuf', args, { stdio: ['pipe', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  // Prompts are read from stdout only: stderr lines can land inside one.
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (err += d));
  const waitPrompt = async (from) => {
    for (let i = 0; i < patience; i++) {
      const t = out.slice(from);
      const end = t.lastIndexOf('testpmd> ');
      if (end >= 0 && (from === 0 || end > 0)) return t.slice(0, end);
      if (p.exitCode !== null) throw new Error(`testpmd exited:\n${out}\n${err}`);
      await sleep(50);
    }
    throw new Error(`testpmd did not answer:\n${out.slice(-2000)}\n${err.slice(-2000)}`);
  };
  return {
    pid: p.pid,
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
      const t = setTimeout(() => p.kill('SIGKILL'), 10000 * (patience / 600));
      await gone;
      clearTimeout(t);
    },
  };
}

/** Port statistics as testpmd's `show port stats` prints them. */
export function portStats(text) {
  const num = (re) => Number(re.exec(text)?.[1] ?? NaN);
  return {
    rxPps: num(/Rx-pps:\s+(\d+)/),
    txPps: num(/Tx-pps:\s+(\d+)/),
    rxBps: num(/Rx-bps:\s+(\d+)/),
    txBps: num(/Tx-bps:\s+(\d+)/),
  };
}

/**
 * Forwards for `seconds` after a one-second warm-up and returns the rates
 * of the last interval (testpmd computes them between two `show port stats`).
 */
export async function measure(driver, seconds, port = 0) {
  await driver.run('start');
  await sleep(1000);
  await driver.run(`show port stats ${port}`);
  await sleep(seconds * 1000);
  const text = await driver.run(`show port stats ${port}`);
  await driver.run('stop');
  return portStats(text);
}

/**
 * Our device in serve: `backend` (sink, gen, tap, ceiling, echo), pinned to
 * `cores`, with `queues` virtqueues and `features` (bigint) on top of the
 * defaults. Resolves once the socket is there.
 */
export async function serve({ backend, size = 64, queues = 3, features = 0n, cores = '0', workers = 1, idlePollUs = 20, env = {}, wrap = [] }) {
  const dir = mkdtempSync(join(tmpdir(), 'vnbench-'));
  // wrap: a command to run serve under, or a function of serve's directory giving one
  const pre = typeof wrap === 'function' ? wrap(dir) : wrap;
  const p = track(spawn('taskset', ['-c', cores, ...pre, SERVE, dir, String(queues), backend, String(size), features.toString(16)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VNET_IDLE_POLL_US: String(idlePollUs), VNET_WORKERS: String(workers), ...env },
  }));
  let sock = '';
  let status = '';
  p.stdout.on('data', (d) => (sock += d));
  p.stderr.on('data', (d) => (status += d));
  const lines = () => sock.split('\n').length - 1;
  for (let i = 0; i < 500 * (pre.length ? 10 : 1) && lines() < 2; i++) {
    if (p.exitCode !== null) throw new Error(`serve exited: ${status}`);
    await sleep(20);
  }
  if (lines() < 2) throw new Error(`serve did not start: ${status}`);
  const [socket, representor] = sock.split('\n');
  return {
    pid: p.pid,
    socket,
    representor,
    dir,
    /** serve prints every queue's counters once a second: the latest line. */
    lastStatus: () => status.trim().split('\n').filter((l) => l.startsWith('status')).pop() ?? '',
    /** Counters printed now (SIGUSR1): the line once it comes. */
    async statusNow() {
      const before = status.length;
      p.kill('SIGUSR1');
      for (let i = 0; i < 500; i++) {
        const fresh = /^(status[^\n]*)\n/m.exec(status.slice(before));
        if (fresh) return fresh[1];
        await sleep(10);
      }
      throw new Error('serve did not print its counters');
    },
    async stop() {
      if (p.exitCode === null) {
        const gone = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A socket path in a directory of its own, for DPDK's vhost PMD. */
export function vhostSocket() {
  const dir = mkdtempSync(join(tmpdir(), 'vnbench-'));
  return { path: join(dir, 'vhost.sock'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const median = (xs) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length & 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
