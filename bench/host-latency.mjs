#!/usr/bin/env node
// With the built-in host (vnet-host): time from `hotplug` answered to the
// host's driver reaching DRIVER_OK (probe: features, queues, status). What
// an outage of the controller or the DPU costs the traffic: bench/outage.mjs.
//
//   node bench/host-latency.mjs          (after npm run build)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { driverOk, removeHome, rpc, startController } from './lib.mjs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTROLLER_MAIN as MAIN } from '../scripts/paths.mjs';

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
  while (!driverOk(await status(r.vuid))) await sleep(1);
  probe.push(performance.now() - t0);
  if (process.env.BENCH_DEBUG) console.error(`probe ${i}: ${probe[i].toFixed(1)} ms`);
  await rpc(sock, 'unplug', { selector: { vuid: r.vuid } });
}

proc.kill('SIGTERM');
await new Promise((res) => proc.once('exit', res));
removeHome(home);

const q = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))];
console.log(`\n${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; Node ${process.version}\n`);
console.log('| what | runs | p50 ms | p99 ms | max ms |');
console.log('|---|---:|---:|---:|---:|');
console.log(`| hot-plug answered -> host driver DRIVER_OK (vnet-host) | ${probe.length} | ${q(probe, 0.5).toFixed(1)} | ${q(probe, 0.99).toFixed(1)} | ${Math.max(...probe).toFixed(1)} |`);

