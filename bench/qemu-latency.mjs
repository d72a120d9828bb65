#!/usr/bin/env node
// With a real Linux guest (the lab's VM, QEMU under TCG) and the controller
// in qemu host mode: time from `hotplug` requested to the guest's virtio_net
// having probed the NIC (the guest prints it on its console), from `unplug`
// requested to the NIC gone from the guest, and the traffic gap when the
// controller is SIGKILLed and started again under a pinging guest (from the
// kill to the first frame on the TAP representor through the new controller).
// Needs root (TAP representor), qemu-system-x86 and busybox-static.
//
//   node bench/qemu-latency.mjs          (after npm run build; BENCH_RUNS=20)
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { vmArgs } from '../scripts/lab/vm.mjs';
import { removeHome, rpc, startController } from './lib.mjs';
import { CONTROLLER_MAIN as MAIN } from '../scripts/paths.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const home = mkdtempSync(join(tmpdir(), 'vnbq-'));
writeFileSync(join(home, 'dpu-profile.json'), JSON.stringify({ PCI_SWITCH_EMULATION_NUM_PORT: 2, VIRTIO_NET_EMULATION_NUM_PF: 0, VIRTIO_NET_EMULATION_NUM_VF: 0 }));
mkdirSync(join(home, 'qemu'));
const env = { ...process.env, VIRTNET_HOME: home, VIRTNET_HTTP_PORT: '0', VIRTNET_LOG_LEVEL: 'warn', VIRTNET_HOST: 'qemu', VIRTNET_DATAPATH: 'tap' };
const sock = join(home, 'virtnet.sock');
let proc;
async function start() {
  proc = await startController(MAIN, env, async (sock) => (await rpc(sock, 'host', {})).qemu?.connected === true);
}

// The guest, its console on our pipes: lines as they come, with arrival times.
const lines = [];
let partial = '';
const vm = spawn('qemu-system-x86_64', vmArgs({ qmp: join(home, 'qemu/qmp.sock'), rootPorts: 2, console: 'stdio' }), { stdio: ['pipe', 'pipe', 'inherit'] });
vm.stdout.on('data', (d) => {
  const at = performance.now();
  partial += d.toString().replace(/\r/g, '');
  const parts = partial.split('\n');
  partial = parts.pop();
  for (const text of parts) lines.push({ text, at });
});
async function line(re, from) {
  for (;;) {
    const hit = lines.slice(from).find((l) => re.test(l.text));
    if (hit) return hit;
    if (vm.exitCode !== null) throw new Error('QEMU exited');
    await sleep(1);
  }
}
let seq = 0;
async function guest(cmd) {
  const n = ++seq;
  const from = lines.length;
  vm.stdin.write(`${cmd}\necho BENCH-DONE-${n}\n`);
  await line(new RegExp(`^BENCH-DONE-${n}$`), from);
}

await line(/^VNET-READY$/, 0);
await start();

const plug = [];
const unplug = [];
for (let i = 0; i < RUNS; i++) {
  let from = lines.length;
  const t0 = performance.now();
  const r = await rpc(sock, 'hotplug', { ib_device: 'mlx5_0', mac: '02:00:00:00:B1:01', mtu: 1500, num_queues: 3, max_queue_size: 256 });
  const added = await line(/^VNET-NIC-ADD /, from);
  plug.push(added.at - t0);
  from = lines.length;
  const t1 = performance.now();
  await rpc(sock, 'unplug', { selector: { vuid: r.vuid } });
  const gone = await line(/^VNET-NIC-DEL /, from);
  unplug.push(gone.at - t1);
  if (process.env.BENCH_DEBUG) console.error(`run ${i}: plug ${plug[i].toFixed(0)} ms, unplug ${unplug[i].toFixed(0)} ms`);
}

// traffic gap: the guest pings the representor every 10 ms
let from = lines.length;
const r = await rpc(sock, 'hotplug', { ib_device: 'mlx5_0', mac: '02:00:00:00:B1:02', mtu: 1500, num_queues: 3, max_queue_size: 256 });
const nic = (await line(/^VNET-NIC-ADD /, from)).text.split(' ')[1];
execFileSync('ip', ['addr', 'add', '198.18.92.1/24', 'dev', r.sf_rep_net_device]);
// Detached from the console's shell, and started again should it exit (busybox ping
// gives up on a send error while the device is gone).
await guest(`ip link set ${nic} up; ip addr add 198.18.92.2/24 dev ${nic}; (setsid sh -c 'while :; do ping -i 0.01 198.18.92.1; done' < /dev/null > /dev/null 2>&1 &)`);
const rx = () => JSON.parse(execFileSync('ip', ['-j', '-s', 'link', 'show', r.sf_rep_net_device], { encoding: 'utf8' }))[0].stats64.rx.packets;
const gaps = [];
for (let i = 0; i < 5; i++) {
  const base = rx();
  while (rx() < base + 20) await sleep(5);
  const killedAt = performance.now();
  proc.kill('SIGKILL');
  await new Promise((res) => proc.once('exit', res));
  const dead = rx();
  const started = start();
  while (rx() <= dead) await sleep(2);
  gaps.push(performance.now() - killedAt);
  await started;
}
proc.kill('SIGTERM');
await new Promise((res) => proc.once('exit', res));
vm.kill('SIGKILL');
removeHome(home);

const q = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))];
console.log(`\n${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; Node ${process.version}; guest Linux under QEMU TCG\n`);
console.log('| what | runs | p50 ms | p99 ms | max ms |');
console.log('|---|---:|---:|---:|---:|');
console.log(`| hotplug requested -> guest virtio_net probed the NIC | ${plug.length} | ${q(plug, 0.5).toFixed(0)} | ${q(plug, 0.99).toFixed(0)} | ${Math.max(...plug).toFixed(0)} |`);
console.log(`| unplug requested -> NIC gone from the guest (answer included) | ${unplug.length} | ${q(unplug, 0.5).toFixed(0)} | ${q(unplug, 0.99).toFixed(0)} | ${Math.max(...unplug).toFixed(0)} |`);
console.log(`| traffic gap, controller SIGKILL -> first guest frame on the representor after restart | ${gaps.length} | ${q(gaps, 0.5).toFixed(0)} | ${q(gaps, 0.99).toFixed(0)} | ${Math.max(...gaps).toFixed(0)} |`);
