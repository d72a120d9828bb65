#!/usr/bin/env node
// Wall time of `virtnet list` and of one `virtnet hotplug` with 1, 100 and 500
// devices present, with `node -e 0` as the floor, all in one run. Also the
// same requests over an already-open socket, to separate the CLI's start-up
// from the controller's work. Prints a Markdown table.
//
//   npm run bench            (after npm run build)
//   BENCH_RUNS=30 npm run bench
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { removeRepresentors, rpc } from './lib.mjs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'apps/cli/bin/virtnet.js');
const MAIN = join(ROOT, 'apps/controller/dist/main.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

// Device counts and the profile + virtnet.conf that yield them (static PFs + VFs).
const SETUPS = [
  { devices: 1, profile: { VIRTIO_NET_EMULATION_NUM_PF: 1, VIRTIO_NET_EMULATION_NUM_VF: 0 }, conf: {} },
  { devices: 100, profile: { VIRTIO_NET_EMULATION_NUM_PF: 2, VIRTIO_NET_EMULATION_NUM_VF: 250 }, conf: { vf: { vfs_per_pf: 49 } } },
  { devices: 500, profile: { VIRTIO_NET_EMULATION_NUM_PF: 2, VIRTIO_NET_EMULATION_NUM_VF: 250 }, conf: { vf: { vfs_per_pf: 249 } } },
];

if (!existsSync(MAIN) || !existsSync(join(ROOT, 'apps/cli/dist/main.js'))) {
  console.error('build first: npm run build');
  process.exit(1);
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { min: s[0], p50: q(0.5), p90: q(0.9) };
}
const ms = (v) => v.toFixed(1);

function timeProcess(args, env) {
  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}


async function startDaemon(setup) {
  const home = mkdtempSync(join(tmpdir(), 'vnb-'));
  writeFileSync(join(home, 'dpu-profile.json'), JSON.stringify(setup.profile));
  writeFileSync(join(home, 'virtnet.conf'), JSON.stringify(setup.conf));
  // No host attached: the figures are the CLI's and the controller's alone.
  const env = { ...process.env, VIRTNET_HOME: home, VIRTNET_HTTP_PORT: '0', VIRTNET_LOG_LEVEL: 'warn', VIRTNET_HOST: 'external' };
  const proc = spawn(process.execPath, [MAIN], { env, stdio: 'ignore' });
  const state = join(home, 'controller.json');
  const deadline = Date.now() + 60_000;
  while (!existsSync(state) || JSON.parse(readFileSync(state, 'utf8')).pid !== proc.pid) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`controller did not start in ${home}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { home, env, proc, socket: join(home, 'virtnet.sock') };
}

const rows = [];
const floor = [];
for (let i = 0; i < RUNS; i++) floor.push(timeProcess(['-e', '0'], process.env));
rows.push(['`node -e 0` (floor)', '-', stats(floor)]);

for (const setup of SETUPS) {
  const d = await startDaemon(setup);
  const present = (await rpc(d.socket, 'list', {})).devices.length;
  if (present !== setup.devices) throw new Error(`expected ${setup.devices} devices, found ${present}`);
  const list = [];
  const hotplug = [];
  const listRpc = [];
  const hotplugRpc = [];
  const args = ['hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:BE:01', '-t', '1500', '-n', '3', '-s', '256'];
  for (let i = 0; i < RUNS; i++) {
    list.push(timeProcess([CLI, 'list'], d.env));
    hotplug.push(timeProcess([CLI, ...args], d.env));
    await rpc(d.socket, 'unplug', { selector: { pf_id: setup.profile.VIRTIO_NET_EMULATION_NUM_PF } });
    let t0 = process.hrtime.bigint();
    await rpc(d.socket, 'list', {});
    listRpc.push(Number(process.hrtime.bigint() - t0) / 1e6);
    t0 = process.hrtime.bigint();
    await rpc(d.socket, 'hotplug', { ib_device: 'mlx5_0', mac: '02:00:00:00:BE:02', mtu: 1500, num_queues: 3, max_queue_size: 256 });
    hotplugRpc.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await rpc(d.socket, 'unplug', { selector: { pf_id: setup.profile.VIRTIO_NET_EMULATION_NUM_PF } });
  }
  rows.push(['`virtnet list`', setup.devices, stats(list)]);
  rows.push(['`virtnet hotplug`', setup.devices, stats(hotplug)]);
  rows.push(['list over an open socket', setup.devices, stats(listRpc)]);
  rows.push(['hotplug over an open socket', setup.devices, stats(hotplugRpc)]);
  d.proc.kill('SIGTERM');
  await new Promise((r) => d.proc.once('exit', r));
  removeRepresentors(d.home);
  rmSync(d.home, { recursive: true, force: true });
}

console.log(`\n${RUNS} runs each; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; Node ${process.version}\n`);
console.log('| what | devices present | min ms | p50 ms | p90 ms |');
console.log('|---|---:|---:|---:|---:|');
for (const [what, n, s] of rows) console.log(`| ${what} | ${n} | ${ms(s.min)} | ${ms(s.p50)} | ${ms(s.p90)} |`);
