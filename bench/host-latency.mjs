#!/usr/bin/env node
// With the built-in host (vnet-host): time from `hotplug` answered to the
// host's driver reaching DRIVER_OK (probe: features, queues, status), and
// the traffic gap when the controller is SIGKILLed and started again (from
// the kill to the first packet counted by the new controller, bulk traffic).
//
//   node bench/host-latency.mjs          (after npm run build)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { rpc, startController } from './lib.mjs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(ROOT, 'apps/controller/dist/main.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


const home = mkdtempSync(join(tmpdir(), 'vnbh-'));
const env = { ...process.env, VIRTNET_HOME: home, VIRTNET_HTTP_PORT: '0', VIRTNET_LOG_LEVEL: 'warn', VIRTNET_HOST: 'sim', VIRTNET_HOST_PROFILE: 'idle', VIRTNET_DATAPATH: 'echo' };
const sock = join(home, 'virtnet.sock');
let proc;
async function start() {
  proc = await startController(MAIN, env);
}
const status = async (vuid) => (await rpc(sock, 'query', { selector: { vuid }, brief: true })).devices[0].device_status;

await start();
const probe = [];
for (let i = 0; i < RUNS; i++) {
  const r = await rpc(sock, 'hotplug', { ib_device: 'mlx5_0', mac: '02:00:00:00:B0:01', mtu: 1500, num_queues: 3, max_queue_size: 256 });
  const t0 = performance.now();
  while (!((await status(r.vuid)) & 4)) await sleep(1);
  probe.push(performance.now() - t0);
  if (process.env.BENCH_DEBUG) console.error(`probe ${i}: ${probe[i].toFixed(1)} ms`);
  await rpc(sock, 'unplug', { selector: { vuid: r.vuid } });
}

// traffic gap across a controller SIGKILL + restart
const r = await rpc(sock, 'hotplug', { ib_device: 'mlx5_0', mac: '02:00:00:00:B0:02', mtu: 1500, num_queues: 3, max_queue_size: 256 });
while (!((await status(r.vuid)) & 4)) await sleep(1);
await rpc(sock, 'host_action', { selector: { vuid: r.vuid }, action: 'profile', profile: 'bulk' });
await sleep(500);
const gaps = [];
for (let i = 0; i < 5; i++) {
  const killedAt = performance.now();
  proc.kill('SIGKILL');
  await new Promise((res) => proc.once('exit', res));
  await start();
  for (;;) {
    const q = (await rpc(sock, 'stats', { selector: { vuid: r.vuid }, queue_id: 1 })).queues[0];
    if (q.packets > 0) break;
    await sleep(2);
  }
  gaps.push(performance.now() - killedAt);
}
proc.kill('SIGTERM');
await new Promise((res) => proc.once('exit', res));
const pid = Number(readFileSync(join(home, 'vnet-host.pid'), 'utf8'));
try {
  process.kill(pid, 'SIGTERM');
} catch {
  // gone already
}
rmSync(home, { recursive: true, force: true });

const q = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))];
console.log(`\n${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; Node ${process.version}\n`);
console.log('| what | runs | p50 ms | p99 ms | max ms |');
console.log('|---|---:|---:|---:|---:|');
console.log(`| hot-plug answered -> host driver DRIVER_OK (vnet-host) | ${probe.length} | ${q(probe, 0.5).toFixed(1)} | ${q(probe, 0.99).toFixed(1)} | ${Math.max(...probe).toFixed(1)} |`);
console.log(`| traffic gap, controller SIGKILL -> first packet after restart | ${gaps.length} | ${q(gaps, 0.5).toFixed(0)} | ${q(gaps, 0.99).toFixed(0)} | ${Math.max(...gaps).toFixed(0)} |`);

