#!/usr/bin/env node
// The controller at the real maximum: 4 static PFs with
// 126 VFs each (504 VFs) plus 27 hot-plugged PFs, 535 devices, with the
// built-in host (vnet-host) probing every one of them.
//
//  1. 504 VFs: from the host's four sriov requests to all 504 at DRIVER_OK.
//  2. `virtnet list` and `virtnet query -a -b` wall time at 535 devices.
//  3. Restart: SIGKILL, start, time to all 535 answered (the new controller
//     attaches to the running DPU: nothing is recreated, the host stays
//     attached).
//  4. Live update (`update -s`): the data-path gap seen by the host, the
//     longest time between two received frames of a device running bulk
//     traffic, and the controller's own figure (the time no controller
//     answered).
//  5. Providers: the same bulk traffic through one device under ace and
//     under dpa: frames per second, driver kicks per 1000 frames, and the
//     DPU process's CPU time.
//
//   node bench/scale.mjs           (after npm run build; BENCH_PART=scale|providers for one half)
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { driverOk as bound, homePid, removeHome, rpc, until } from './lib.mjs';
import { CONTROLLER_MAIN as MAIN, CLI_BIN as CLI } from '../scripts/paths.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const ms = (x) => x.toFixed(x < 10 ? 1 : 0);

function controller(home, extraEnv = {}) {
  const env = { ...process.env, VIRTNET_HOME: home, VIRTNET_HTTP_PORT: '0', VIRTNET_LOG_LEVEL: 'warn', VIRTNET_HOST: 'sim', VIRTNET_HOST_PROFILE: 'idle', VIRTNET_DATAPATH: 'echo', ...extraEnv };
  const sock = join(home, 'virtnet.sock');
  const state = { proc: null };
  return {
    sock,
    async start() {
      state.proc = spawn(process.execPath, [MAIN], { env, stdio: 'ignore' });
      for (;;) {
        try {
          await rpc(sock, 'version', {});
          return;
        } catch {
          await sleep(2);
        }
      }
    },
    pid() {
      return JSON.parse(readFileSync(join(home, 'controller.json'), 'utf8')).pid;
    },
    kill() {
      try {
        process.kill(this.pid(), 'SIGKILL');
      } catch {
        // gone
      }
      state.proc?.kill('SIGKILL');
    },
  };
}

/** vnet-host's own view, over its control socket. */
function hostList(home) {
  return new Promise((resolve, reject) => {
    const s = connect(join(home, 'vnet-host.sock'));
    let buf = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write('list\n'));
    s.on('data', (d) => (buf += d));
    s.on('end', () => {
      try {
        resolve(JSON.parse(buf).devices);
      } catch (e) {
        reject(e);
      }
    });
    s.on('error', reject);
  });
}

const driverOk = async (sock) => (await rpc(sock, 'query', { selector: { all: true }, brief: true })).devices.filter((d) => bound(d.device_status)).length;
/** Waits for `probe` to answer true, polling every 5 ms. */
const waitFor = (what, probe, limitMs = 120_000) => until(what, probe, limitMs, 5);

function cliTimes(home, args) {
  const out = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    execFileSync(process.execPath, [CLI, ...args], { env: { ...process.env, VIRTNET_HOME: home }, stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 64 << 20 });
    out.push(performance.now() - t);
  }
  return out;
}

function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, USER_HZ = 100
}

const rows = [];
// BENCH_PART=scale or providers runs one half only.
const PART = process.env.BENCH_PART ?? 'all';
const home = mkdtempSync(join(tmpdir(), 'vnbp-'));
writeFileSync(join(home, 'dpu-profile.json'), JSON.stringify({ VIRTIO_NET_EMULATION_NUM_PF: 4, VIRTIO_NET_EMULATION_NUM_VF: 126, PCI_SWITCH_EMULATION_NUM_PORT: 31 }));
const c = controller(home);
if (PART !== 'providers') try {
  await c.start();

  // 1. 504 VFs
  const t0 = performance.now();
  let engineMs = 0;
  for (let pf = 0; pf < 4; pf++) engineMs += (await rpc(c.sock, 'set_vfs', { pf_id: pf, num_vfs: 126 })).elapsed_ms;
  const answered = performance.now() - t0;
  await waitFor('504 VFs at DRIVER_OK', async () => (await driverOk(c.sock)) === 4 + 504);
  const allOk = performance.now() - t0;
  rows.push(['504 VFs: the 4 sriov requests answered (controller time)', `${ms(answered)} (${ms(engineMs)})`]);
  rows.push(['504 VFs: requests to all 504 at DRIVER_OK', ms(allOk)]);

  for (let i = 0; i < 27; i++)
    await rpc(c.sock, 'hotplug', { ib_device: i % 2 ? 'mlx5_1' : 'mlx5_0', mac: `02:00:00:00:30:${(i + 1).toString(16).padStart(2, '0')}`, mtu: 1500, num_queues: 3, max_queue_size: 256 });
  await waitFor('535 at DRIVER_OK', async () => (await driverOk(c.sock)) === 535);

  // 2. CLI at 535
  const list = cliTimes(home, ['list']);
  const query = cliTimes(home, ['query', '-a', '-b']);
  rows.push([`\`virtnet list\`, 535 devices (p50 / p90, ${RUNS} runs)`, `${ms(pct(list, 50))} / ${ms(pct(list, 90))}`]);
  rows.push([`\`virtnet query -a -b\`, 535 devices (p50 / p90)`, `${ms(pct(query, 50))} / ${ms(pct(query, 90))}`]);

  // 3. restart
  const recovered = [];
  const reprobed = [];
  for (let i = 0; i < 3; i++) {
    c.kill();
    await sleep(300);
    const t = performance.now();
    await c.start();
    recovered.push(performance.now() - t);
    await waitFor('535 at DRIVER_OK after restart', async () => (await driverOk(c.sock)) === 535);
    reprobed.push(performance.now() - t);
  }
  rows.push(['controller SIGKILL + start: all 535 kept, CLI answering (median of 3)', ms(pct(recovered, 50))]);
  rows.push(['controller SIGKILL + start: all 535 at DRIVER_OK (median of 3; they never left it)', ms(pct(reprobed, 50))]);

  // 4. live update with bulk traffic on one device
  const bulk = (await rpc(c.sock, 'query', { selector: { pf_id: 0, vf_id: 0 }, brief: true })).devices[0].vuid;
  await rpc(c.sock, 'host_action', { selector: { vuid: bulk }, action: 'profile', profile: 'bulk' });
  const hostGaps = [];
  const ctlGaps = [];
  for (let i = 0; i < 3; i++) {
    const oldPid = c.pid();
    let stop = false;
    let last = null;
    let lastAt = performance.now();
    let worst = 0;
    const sampler = (async () => {
      while (!stop) {
        try {
          const d = (await hostList(home)).find((x) => x.vuid === bulk);
          const now = performance.now();
          if (last !== null && d.rx_frames > last) {
            worst = Math.max(worst, now - lastAt);
            lastAt = now;
          }
          if (last === null) lastAt = now;
          last = d.rx_frames;
        } catch {
          // vnet-host answers every call; a miss only delays the sample
        }
        await sleep(1);
      }
    })();
    await sleep(500);
    await rpc(c.sock, 'update_start', {});
    await waitFor('the new controller', async () => {
      try {
        return c.pid() !== oldPid && (await rpc(c.sock, 'update_status', {})).status === 'inactive';
      } catch {
        return false;
      }
    });
    await sleep(1000);
    stop = true;
    await sampler;
    hostGaps.push(worst);
    ctlGaps.push((await rpc(c.sock, 'update_status', {})).last_gap_ms);
  }
  rows.push(['live update, 535 devices: longest gap between frames a bulk device receives (3 updates)', hostGaps.map(ms).join(' / ')]);
  rows.push(["live update: controller's figure, no controller answering (host reconnects: 0)", ctlGaps.map(ms).join(' / ')]);
} finally {
  c.kill();
  removeHome(home);
}

// 5. providers
for (const provider of PART === 'scale' ? [] : ['ace', 'dpa']) {
  const h = mkdtempSync(join(tmpdir(), 'vnbp-'));
  mkdirSync(join(h, 'providers'));
  writeFileSync(join(h, `providers/${provider}.provider`), `provider=${provider}\nscore=100\n`);
  const p = controller(h);
  try {
    await p.start();
    const r = await rpc(p.sock, 'hotplug', { ib_device: 'mlx5_0', mac: '02:00:00:00:40:01', mtu: 1500, num_queues: 3, max_queue_size: 256 });
    await waitFor('DRIVER_OK', async () => (await driverOk(p.sock)) === 3);
    await rpc(p.sock, 'host_action', { selector: { vuid: r.vuid }, action: 'profile', profile: 'bulk' });
    await sleep(500);
    const before = (await rpc(p.sock, 'stats', { selector: { vuid: r.vuid }, queue_id: 1 })).queues[0];
    const dpu = homePid(h, 'dpu.pid'); // the data path runs in the DPU process
    const cpu0 = cpuMs(dpu);
    const t = performance.now();
    await sleep(3000);
    const after = (await rpc(p.sock, 'stats', { selector: { vuid: r.vuid }, queue_id: 1 })).queues[0];
    const secs = (performance.now() - t) / 1000;
    const cpu = (cpuMs(dpu) - cpu0) / secs / 10; // % of one core
    const frames = after.packets - before.packets;
    const kicks = after.kicks - before.kicks;
    rows.push([`provider ${provider}: bulk TX frames/s, kicks per 1000 frames, DPU CPU`, `${Math.round(frames / secs)} /s, ${((kicks * 1000) / Math.max(1, frames)).toFixed(1)}, ${cpu.toFixed(0)} %`]);
  } finally {
    p.kill();
    removeHome(h);
  }
}

console.log(`\nFigures at the real maximum (${cpus().length} cores, ${cpus()[0].model}, Node ${process.version}; ms unless stated)\n`);
console.log('| what | figure |\n|---|---:|');
for (const [what, v] of rows) console.log(`| ${what} | ${v} |`);
