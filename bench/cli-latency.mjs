#!/usr/bin/env node
// Wall time of `virtnet -h`, `virtnet list`, `virtnet query -p 0` and one
// `virtnet hotplug` with 1, 100 and 500 devices present, each beside the
// floor, `node -e 0`, timed in the same rounds (one floor run before every
// CLI run, so that a busy machine slows both alike). Also the same requests
// over an already-open socket, to separate the CLI's start-up from the
// controller's work. Prints a Markdown table with each p50 over the floor's.
//
//   npm run bench            (after npm run build)
//   BENCH_RUNS=30 npm run bench
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { removeHome, rpc, startController } from './lib.mjs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, CONTROLLER_MAIN as MAIN, CLI_BIN as CLI } from '../scripts/paths.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);

// Device counts and the profile + virtnet.conf that yield them (static PFs + VFs).
const SETUPS = [
  { devices: 1, profile: { VIRTIO_NET_EMULATION_NUM_PF: 1, VIRTIO_NET_EMULATION_NUM_VF: 0 }, conf: {} },
  { devices: 100, profile: { VIRTIO_NET_EMULATION_NUM_PF: 2, VIRTIO_NET_EMULATION_NUM_VF: 250 }, conf: { vf: { vfs_per_pf: 49 } } },
  { devices: 500, profile: { VIRTIO_NET_EMULATION_NUM_PF: 2, VIRTIO_NET_EMULATION_NUM_VF: 250 }, conf: { vf: { vfs_per_pf: 249 } } },
];

if (!existsSync(MAIN) || !existsSync(join(ROOT, 'apps/cli/dist/main.cjs'))) {
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
  const proc = await startController(MAIN, env);
  return { home, env, proc, socket: join(home, 'virtnet.sock') };
}

const rows = [];
const floor = [];
/** Times the CLI with `args`, and the floor right before it. */
function timeCli(args, env) {
  floor.push(timeProcess(['-e', '0'], env));
  return timeProcess([CLI, ...args], env);
}

const help = [];
for (let i = 0; i < RUNS; i++) help.push(timeCli(['-h'], process.env));
rows.push(['`virtnet -h`', '-', help]);

for (const setup of SETUPS) {
  const d = await startDaemon(setup);
  try {
    const present = (await rpc(d.socket, 'list', {})).devices.length;
    if (present !== setup.devices) throw new Error(`expected ${setup.devices} devices, found ${present}`);
    const list = [];
    const query = [];
    const hotplug = [];
    const listRpc = [];
    const hotplugRpc = [];
    const args = ['hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:BE:01', '-t', '1500', '-n', '3', '-s', '256'];
    for (let i = 0; i < RUNS; i++) {
      list.push(timeCli(['list'], d.env));
      query.push(timeCli(['query', '-p', '0'], d.env));
      hotplug.push(timeCli(args, d.env));
      await rpc(d.socket, 'unplug', { selector: { pf_id: setup.profile.VIRTIO_NET_EMULATION_NUM_PF } });
      let t0 = process.hrtime.bigint();
      await rpc(d.socket, 'list', {});
      listRpc.push(Number(process.hrtime.bigint() - t0) / 1e6);
      t0 = process.hrtime.bigint();
      await rpc(d.socket, 'hotplug', { ib_device: 'mlx5_0', mac: '02:00:00:00:BE:02', mtu: 1500, num_queues: 3, max_queue_size: 256 });
      hotplugRpc.push(Number(process.hrtime.bigint() - t0) / 1e6);
      await rpc(d.socket, 'unplug', { selector: { pf_id: setup.profile.VIRTIO_NET_EMULATION_NUM_PF } });
    }
    rows.push(['`virtnet list`', setup.devices, list]);
    rows.push(['`virtnet query -p 0`', setup.devices, query]);
    rows.push(['`virtnet hotplug`', setup.devices, hotplug]);
    rows.push(['list over an open socket', setup.devices, listRpc, false]);
    rows.push(['hotplug over an open socket', setup.devices, hotplugRpc, false]);
  } finally {
    d.proc.kill('SIGTERM');
    await new Promise((r) => d.proc.once('exit', r));
    // The DPU outlives its controller by design: removeHome stops it too.
    removeHome(d.home);
  }
}

const f = stats(floor);
console.log(`\n${RUNS} runs each (the floor once before every CLI run: ${floor.length} runs); ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; Node ${process.version}\n`);
console.log('| what | devices present | min ms | p50 ms | p90 ms | p50 / floor p50 |');
console.log('|---|---:|---:|---:|---:|---:|');
console.log(`| \`node -e 0\` (floor) | - | ${ms(f.min)} | ${ms(f.p50)} | ${ms(f.p90)} | 1.00 |`);
for (const [what, n, samples, cliRun = true] of rows) {
  const s = stats(samples);
  console.log(`| ${what} | ${n} | ${ms(s.min)} | ${ms(s.p50)} | ${ms(s.p90)} | ${cliRun ? (s.p50 / f.p50).toFixed(2) : '-'} |`);
}
