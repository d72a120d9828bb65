#!/usr/bin/env node
// The dashboard at DPU scale: 4 static PFs x 126 VFs plus 27 hot-plugged
// PFs (535 devices), every one bound by the built-in host (vnet-host) and
// pinging once a second per queue pair, so the telemetry of all 535 devices
// streams at 1 Hz. Measures, in headless Chromium (Debian's):
//   - time to the first useful paint of the devices page: navigation start
//     to the table showing rows (the page's own performance mark), cold and
//     warm cache;
//   - CPU of the browser (every Chromium process, from /proc) and of the
//     controller (from /proc/<pid>/stat) while the devices page, the
//     overview or a device's charts stream, plus the WebSocket bytes;
//   - the controller alone (no dashboard: nothing is sampled);
//   - the cost of a Prometheus scrape and of a history request, at 535
//     devices and at 18.
//
//   node bench/dashboard.mjs          (after npm run build; BENCH_SECONDS=20 by default)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { driverOk, removeHome, rpc } from './lib.mjs';
import { CONTROLLER_MAIN as MAIN } from '../scripts/paths.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const PAINT_RUNS = Number(process.env.BENCH_RUNS ?? 7);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TICK = 100; // USER_HZ on Linux
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}

/** A process and all its descendants (Chromium's renderer, GPU and utility processes). */
function tree(root) {
  const parent = new Map();
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      parent.set(Number(p), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, pp] of parent) if (pp === out[i]) out.push(pid);
  return out;
}

function treeCpu(root) {
  let s = 0;
  for (const pid of tree(root)) {
    try {
      s += cpuSeconds(pid);
    } catch {
      // exited
    }
  }
  return s;
}

/** The Chromium process that owns this profile directory. */
function browserPid(profile) {
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes(`--user-data-dir=${profile}`) && !cmd.includes('--type=')) return Number(p);
    } catch {
      // gone
    }
  }
  throw new Error('Chromium process not found');
}

async function startController(home, env) {
  const proc = spawn(process.execPath, [MAIN], { env: { ...process.env, VIRTNET_HOME: home, VIRTNET_HTTP_PORT: '0', VIRTNET_LOG_LEVEL: 'warn', VIRTNET_DATAPATH: 'echo', ...env }, stdio: 'ignore' });
  const stateFile = join(home, 'controller.json');
  const t0 = performance.now();
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`controller exited with ${proc.exitCode}`);
    if (existsSync(stateFile)) break;
    await sleep(50);
  }
  const bootMs = performance.now() - t0;
  const state = JSON.parse(readFileSync(stateFile, 'utf8'));
  return { proc, url: state.url, token: readFileSync(join(home, 'token'), 'utf8').trim(), sock: join(home, 'virtnet.sock'), bootMs };
}

async function timed(fn, runs) {
  const ms = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = await fn();
    ms.push(performance.now() - t0);
  }
  return { p50: median(ms), last };
}

async function scrapeCost(c, runs = 15) {
  const auth = { authorization: `Bearer ${c.token}` };
  const r = await timed(async () => (await fetch(new URL('/metrics', c.url), { headers: auth })).text(), runs);
  const series = r.last.split('\n').filter((l) => l && !l.startsWith('#')).length;
  return { ms: r.p50, bytes: r.last.length, series };
}

const results = [];
const row = (what, value, note = '') => {
  results.push([what, value, note]);
  console.log(`${what}: ${value}${note ? `  (${note})` : ''}`);
};

// --- 535 devices, all bound and pinging
const home = mkdtempSync(join(tmpdir(), 'vnbd-'));
writeFileSync(join(home, 'dpu-profile.json'), JSON.stringify({ PCI_SWITCH_EMULATION_NUM_PORT: 31, VIRTIO_NET_EMULATION_NUM_PF: 4, VIRTIO_NET_EMULATION_NUM_VF: 126 }));
writeFileSync(join(home, 'virtnet.conf'), JSON.stringify({ vf: { vfs_per_pf: 126 } }));
const c = await startController(home, { VIRTNET_HOST: 'sim', VIRTNET_HOST_PROFILE: 'ping' });
row('controller start with 508 devices created (4 PFs x 126 VFs + 4 PFs)', `${(c.bootMs / 1000).toFixed(1)} s`);
for (let i = 0; i < 27; i++) {
  await rpc(c.sock, 'hotplug', { ib_device: 'mlx5_0', mac: `02:00:00:00:D0:${(i + 1).toString(16).padStart(2, '0')}`, mtu: 1500, num_queues: 3, max_queue_size: 256 });
}
const t0 = performance.now();
let bound = 0;
for (;;) {
  const list = await rpc(c.sock, 'list', {});
  bound = list.devices.filter((d) => driverOk(d.device_status)).length;
  if (bound === list.devices.length || performance.now() - t0 > 120_000) break;
  await sleep(500);
}
row('devices bound by the host (DRIVER_OK)', `${bound} / 535`, `${((performance.now() - t0) / 1000).toFixed(1)} s after the last hot-plug`);
const hostPid = Number(readFileSync(join(home, 'vnet-host.pid'), 'utf8'));

async function window(pids, seconds) {
  const before = pids.map((p) => (typeof p === 'function' ? p() : cpuSeconds(p)));
  const w0 = performance.now();
  await sleep(seconds * 1000);
  const wall = (performance.now() - w0) / 1000;
  return pids.map((p, i) => (((typeof p === 'function' ? p() : cpuSeconds(p)) - before[i]) / wall) * 100);
}

// the controller with nobody watching (vnet-host pings all the while)
{
  const [ctl, host] = await window([c.proc.pid, hostPid], SECONDS);
  row('controller CPU, no dashboard open', `${ctl.toFixed(1)} %`, `vnet-host ${host.toFixed(1)} % (ping on 535 devices)`);
}

{
  const s = await scrapeCost(c);
  row('GET /metrics, 535 devices', `${s.ms.toFixed(1)} ms`, `${s.series} series, ${(s.bytes / 1024).toFixed(0)} KiB`);
}

// --- the browser
const profile = mkdtempSync(join(tmpdir(), 'vnbd-chrome-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1400, height: 900 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const bpid = browserPid(profile);
let page = ctx.pages()[0] ?? (await ctx.newPage());
await page.goto(`${c.url}login?token=${c.token}`);
await page.locator('#connection-state[data-state=live]').waitFor({ timeout: 60_000 });

async function paint(cache) {
  const p = await ctx.newPage();
  if (cache === 'cold') {
    const cdp = await ctx.newCDPSession(p);
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  }
  await p.goto(new URL('/devices', c.url).href);
  const handle = await p.waitForFunction(() => performance.getEntriesByName('virtnet:devices-rows')[0]?.startTime, null, { timeout: 60_000 });
  const ms = await handle.jsonValue();
  const rows = await p.locator('[data-testid=device-row]').count();
  const fcp = await p.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
  await p.close();
  return { ms, rows, fcp };
}
for (const cache of ['cold', 'warm']) {
  const runs = [];
  for (let i = 0; i < PAINT_RUNS; i++) runs.push(await paint(cache));
  row(`devices page, navigation start to rows on screen (${cache} cache)`, `${median(runs.map((r) => r.ms)).toFixed(0)} ms`, `p50 of ${PAINT_RUNS}; first contentful paint ${median(runs.map((r) => r.fcp)).toFixed(0)} ms; ${runs[0].rows} rows in the DOM of 535`);
}

async function streaming(what, path, ready) {
  await page.close();
  page = await ctx.newPage();
  let wsBytes = 0;
  let frames = 0;
  page.on('websocket', (ws) =>
    ws.on('framereceived', (f) => {
      wsBytes += typeof f.payload === 'string' ? Buffer.byteLength(f.payload) : f.payload.length;
      frames++;
    }),
  );
  await page.goto(new URL(path, c.url).href);
  await ready(page);
  await sleep(3000); // settle: charts seeded, first samples in
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Performance.enable');
  const m0 = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const b0 = wsBytes;
  const f0 = frames;
  const [browser, ctl] = await window([() => treeCpu(bpid), c.proc.pid], SECONDS);
  const m1 = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const task = ((m1.TaskDuration - m0.TaskDuration) / SECONDS) * 100;
  const script = ((m1.ScriptDuration - m0.ScriptDuration) / SECONDS) * 100;
  row(`${what}: browser CPU (all Chromium processes)`, `${browser.toFixed(1)} %`, `page main thread busy ${task.toFixed(1)} % (script ${script.toFixed(1)} %)`);
  row(`${what}: controller CPU`, `${ctl.toFixed(1)} %`, `WebSocket ${((wsBytes - b0) / 1024 / SECONDS).toFixed(0)} KiB/s in ${((frames - f0) / SECONDS).toFixed(1)} messages/s`);
}

await streaming('devices page, telemetry of 535 devices at 1 Hz', '/devices', (p) => p.locator('[data-testid=device-row]').first().waitFor());
await streaming('overview, the same stream', '/', (p) => p.locator('#stat-rx').waitFor());
const detailVuid = 'MT2306XZ00ABVNETS132D0F0';
await streaming('device page with its 6 live charts', `/devices/${detailVuid}`, (p) => p.locator('#chart-pps').waitFor());
{
  const auth = { authorization: `Bearer ${c.token}` };
  const h = await timed(async () => (await fetch(new URL(`/api/v1/devices/${detailVuid}/history`, c.url), { headers: auth })).json(), 15);
  row('GET history of one device (535 present)', `${h.p50.toFixed(1)} ms`, `${h.last.t.length} samples x ${h.last.queues.length} queues`);
}

await ctx.close();
rmSync(profile, { recursive: true, force: true });
c.proc.kill('SIGTERM');
await new Promise((r) => c.proc.once('exit', r));
try {
  process.kill(hostPid, 'SIGKILL');
} catch {
  // gone
}
removeHome(home);

// --- the scrape at 18 devices, for how it grows
const small = mkdtempSync(join(tmpdir(), 'vnbd-'));
const s = await startController(small, { VIRTNET_HOST: 'external' });
for (let i = 0; i < 16; i++) await rpc(s.sock, 'hotplug', { ib_device: 'mlx5_0', mac: `02:00:00:00:E0:${(i + 1).toString(16).padStart(2, '0')}`, mtu: 1500, num_queues: 3, max_queue_size: 256 });
{
  const r = await scrapeCost(s);
  row('GET /metrics, 18 devices', `${r.ms.toFixed(1)} ms`, `${r.series} series, ${(r.bytes / 1024).toFixed(0)} KiB`);
}
s.proc.kill('SIGTERM');
await new Promise((r) => s.proc.once('exit', r));
removeHome(small);

console.log('\n| what | figure | note |\n|---|---:|---|');
for (const [w, v, n] of results) console.log(`| ${w} | ${v} | ${n} |`);
