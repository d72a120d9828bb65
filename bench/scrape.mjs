#!/usr/bin/env node
// What one Prometheus scrape of 535 devices costs the controller, beside what
// the previous way of building it cost, measured in the same run.
//
// Setup of bench/scale.mjs: 4 static PFs with 126 VFs each plus 27
// hot-plugged PFs, 535 devices, every one probed by vnet-host (idle).
//
//  - event loop held: while a scrape runs, a client sends JSON-RPC `version`
//    over the CLI socket back to back; the longest answer during the scrape
//    (less the idle answer time) is how long the loop was held at once.
//  - CPU per scrape: the controller's utime + stime over SCRAPES scrapes in
//    a row, less its idle CPU over the same time, divided by SCRAPES.
//  - the previous way (prom-client registry, every series set from a label
//    object, one synchronous block with the two native reads): rebuilt in
//    this process from the same series, with the same native library and
//    535 functions of its own, so that both are timed on the same machine at
//    the same moment.
//
//   node bench/scrape.mjs          (after npm run build; SCRAPES=20 by default)
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Gauge, Registry } from 'prom-client';
import { removeHome, rpc, startController, until } from './lib.mjs';
import { ROOT, CONTROLLER_MAIN as MAIN } from '../scripts/paths.mjs';

const SCRAPES = Number(process.env.SCRAPES ?? 20);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const f1 = (x) => x.toFixed(1);

function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, USER_HZ = 100
}

/** Waits for `probe` to answer true, polling every 20 ms. */
const waitFor = (what, probe, limitMs = 180_000) => until(what, probe, limitMs, 20);

/** JSON-RPC `version` back to back on one connection; the answer times while `on()` holds. */
function prober(sock) {
  const s = connect(sock);
  s.setEncoding('utf8');
  let buf = '';
  let sentAt = 0;
  let stopped = false;
  let record = null;
  const send = () => {
    sentAt = performance.now();
    s.write('{"jsonrpc":"2.0","id":1,"method":"version","params":{}}\n');
  };
  s.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      buf = buf.slice(nl + 1);
      record?.push(performance.now() - sentAt);
      if (!stopped) send();
    }
  });
  const ready = new Promise((r) => s.once('connect', r)).then(send);
  return {
    ready,
    start() {
      record = [];
    },
    take() {
      const r = record;
      record = null;
      return r;
    },
    stop() {
      stopped = true;
      s.end();
    },
  };
}

const home = mkdtempSync(join(tmpdir(), 'vnbs-'));
writeFileSync(join(home, 'dpu-profile.json'), JSON.stringify({ VIRTIO_NET_EMULATION_NUM_PF: 4, VIRTIO_NET_EMULATION_NUM_VF: 126, PCI_SWITCH_EMULATION_NUM_PORT: 31 }));
const env = { ...process.env, VIRTNET_HOME: home, VIRTNET_HTTP_PORT: '0', VIRTNET_LOG_LEVEL: 'warn', VIRTNET_HOST: 'sim', VIRTNET_HOST_PROFILE: 'idle', VIRTNET_DATAPATH: 'echo' };
const sock = join(home, 'virtnet.sock');
const proc = await startController(MAIN, env);
const rows = [];
try {
  for (let pf = 0; pf < 4; pf++) await rpc(sock, 'set_vfs', { pf_id: pf, num_vfs: 126 });
  for (let i = 0; i < 27; i++)
    await rpc(sock, 'hotplug', { ib_device: i % 2 ? 'mlx5_1' : 'mlx5_0', mac: `02:00:00:00:30:${(i + 1).toString(16).padStart(2, '0')}`, mtu: 1500, num_queues: 3, max_queue_size: 256 });
  const driverOk = async () => (await rpc(sock, 'query', { selector: { all: true }, brief: true })).devices.filter((d) => d.device_status & 4).length;
  await waitFor('535 at DRIVER_OK', async () => (await driverOk()) === 535);
  const state = JSON.parse(readFileSync(join(home, 'controller.json'), 'utf8'));
  const token = readFileSync(join(home, 'token'), 'utf8').trim();
  const scrape = async () => (await fetch(new URL('/metrics', state.url), { headers: { authorization: `Bearer ${token}` } })).text();
  const text = await scrape();
  const series = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
  await sleep(1000);

  // CPU: scrapes in a row against the idle rate just before.
  const idle0 = cpuMs(proc.pid);
  const tIdle = performance.now();
  await sleep(3000);
  const idlePerMs = (cpuMs(proc.pid) - idle0) / (performance.now() - tIdle);
  const walls = [];
  const cpu0 = cpuMs(proc.pid);
  const t0 = performance.now();
  for (let i = 0; i < SCRAPES; i++) {
    const t = performance.now();
    await scrape();
    walls.push(performance.now() - t);
  }
  const elapsed = performance.now() - t0;
  const cpuPerScrape = (cpuMs(proc.pid) - cpu0 - idlePerMs * elapsed) / SCRAPES;

  // Event loop: the longest answer to a CLI request during each scrape.
  const p = prober(sock);
  await p.ready;
  p.start();
  await sleep(1000);
  const idleAnswers = p.take();
  const held = [];
  for (let i = 0; i < SCRAPES; i++) {
    p.start();
    await scrape();
    held.push(Math.max(...p.take()) - pct(idleAnswers, 50));
    await sleep(50);
  }
  p.stop();

  // The previous way, rebuilt: the same families and series through prom-client.
  const old = await previousWay(text);

  rows.push(['series per scrape', `${series}`, `${series}`]);
  rows.push([`scrape wall time, p50 / p90 (${SCRAPES} scrapes)`, `${f1(pct(walls, 50))} / ${f1(pct(walls, 90))}`, `${f1(pct(old.walls, 50))} / ${f1(pct(old.walls, 90))}`]);
  rows.push([`event loop held at once, p50 / max`, `${f1(pct(held, 50))} / ${f1(Math.max(...held))}`, `${f1(pct(old.walls, 50))} / ${f1(Math.max(...old.walls))}`]);
  rows.push(['CPU per scrape', f1(cpuPerScrape), f1(old.cpu)]);
  rows.push(['idle answer to a CLI request (p50)', pct(idleAnswers, 50).toFixed(2), '-']);
} finally {
  proc.kill('SIGKILL');
  // The DPU and the host outlive their controller by design: removeHome stops both.
  removeHome(home);
}

/**
 * The previous scrape: reset every family, set each series from a label
 * object, render with prom-client; before that, the two native reads of the
 * same 535 functions (made here, in a DPU of this process).
 */
async function previousWay(text) {
  const { NativeHardware } = await import(join(ROOT, 'libs/hw/dist/index.js'));
  const hw = new NativeHardware({ staticPfs: 4, vfsPerPf: 126, hotplugPorts: 31 });
  const features = (1n << 32n) | (1n << 17n) | (1n << 16n) | (1n << 5n) | (1n << 3n);
  const spec = (kind, mac, extra) => ({ kind, ibDevice: 'mlx5_0', mac, mtu: 1500, numQueues: 3, maxQueueSize: 256, transitional: false, features, ...extra });
  const hex = (n) => n.toString(16).padStart(2, '0');
  for (let pf = 0; pf < 4; pf++) {
    hw.create(spec('static', `02:00:00:01:00:${hex(pf)}`, { pfIndex: pf }));
    for (let vf = 0; vf < 126; vf++) hw.create(spec('vf', `02:00:01:${hex(pf)}:00:${hex(vf)}`, { pfIndex: pf, vfIndex: vf }));
  }
  for (let i = 0; i < 27; i++) hw.create(spec('hotplug', `02:00:02:00:00:${hex(i)}`));

  const OLD = new Set([
    'virtnet_device_info', 'virtnet_device_mtu_bytes', 'virtnet_device_link_up', 'virtnet_device_driver_ok', 'virtnet_device_status', 'virtnet_device_host_connected',
    'virtnet_device_queues', 'virtnet_hotplug_ports', 'virtnet_queue_packets_total', 'virtnet_queue_bytes_total', 'virtnet_queue_dropped_total',
    'virtnet_queue_descriptor_errors_total', 'virtnet_queue_kicks_total', 'virtnet_queue_calls_total', 'virtnet_queue_broken',
  ]);
  const parsed = [];
  const families = new Map();
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || !OLD.has(m[1])) continue;
    const labels = Object.fromEntries([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    parsed.push([m[1], labels, Number(m[3])]);
    if (!families.has(m[1])) families.set(m[1], Object.keys(labels));
  }
  const registry = new Registry();
  const metrics = new Map(
    [...families].map(([name, labelNames]) => [name, new (name.endsWith('_total') ? Counter : Gauge)({ name, help: name, labelNames, registers: [registry] })]),
  );
  const walls = [];
  const cpus0 = [];
  for (let i = 0; i < SCRAPES; i++) {
    const c0 = process.cpuUsage();
    const t = performance.now();
    hw.list();
    hw.counters();
    for (const m of metrics.values()) m.reset();
    for (const [name, labels, value] of parsed) {
      const m = metrics.get(name);
      if (m instanceof Counter) m.inc(labels, value);
      else m.set(labels, value);
    }
    await registry.metrics();
    walls.push(performance.now() - t);
    const c = process.cpuUsage(c0);
    cpus0.push((c.user + c.system) / 1000);
    await sleep(50);
  }
  hw.close();
  return { walls, cpu: cpus0.reduce((a, b) => a + b, 0) / cpus0.length };
}

console.log(`\nOne scrape of 535 devices (${cpus().length} cores, ${cpus()[0].model}, Node ${process.version}; ms unless stated)\n`);
console.log('| what | now | previous way, same run |\n|---|---:|---:|');
for (const [what, now, before] of rows) console.log(`| ${what} | ${now} | ${before} |`);
