#!/usr/bin/env node
// What an outage of the controller or of the DPU costs the data path, under
// bulk traffic from the built-in host through echo representors (every frame
// the host sends comes back through the DPU). vnet-host measures the longest
// pause between two frames it receives (`gap VUID`), which is what a host's
// driver sees.
//
//  1 device:  the normal jitter (no event), a controller SIGKILL and start,
//             `virtnet restart`, `virtnet update -s`, and a DPU SIGKILL (the
//             controller starts a new DPU, the host reconnects).
//  535 devices (4 static PFs x 126 VFs + 31 hot-plugged PFs, bulk on 4):
//             a new controller's start to all 535 devices answered by the
//             CLI, the gaps of a controller SIGKILL and a live update, and a
//             DPU SIGKILL: the gap and the time to all 535 at DRIVER_OK again.
//
//   node bench/outage.mjs          (after npm run build; BENCH_PART=one|scale for one half)
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { driverOk as bound, homePid, hostAsk, removeHome, rpc, until } from './lib.mjs';
import { ROOT, CONTROLLER_MAIN as MAIN } from '../scripts/paths.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PART = process.env.BENCH_PART ?? 'all';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => `${med(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})`;

/** A copy of this build under another version, as a package upgrade installs it. */
function newBuild(version) {
  const dir = mkdtempSync(join(tmpdir(), 'vnbo-build-'));
  mkdirSync(join(dir, 'apps/controller'), { recursive: true });
  cpSync(join(ROOT, 'apps/controller/dist'), join(dir, 'apps/controller/dist'), { recursive: true });
  cpSync(join(ROOT, 'prisma'), join(dir, 'prisma'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')), version }));
  return dir;
}

function controller(home, extraEnv = {}) {
  const env = { ...process.env, VIRTNET_HOME: home, VIRTNET_HTTP_PORT: '0', VIRTNET_LOG_LEVEL: 'warn', VIRTNET_HOST: 'sim', VIRTNET_HOST_PROFILE: 'idle', VIRTNET_DATAPATH: 'echo', ...extraEnv };
  const sock = join(home, 'virtnet.sock');
  return {
    sock,
    /** Starts one and resolves once `ready` holds; returns the ms from spawn. */
    async start(ready = async () => !!(await rpc(sock, 'version', {}))) {
      const t = performance.now();
      const proc = spawn(process.execPath, [MAIN], { env, stdio: 'ignore', detached: true });
      proc.unref();
      for (;;) {
        try {
          if (await ready()) return performance.now() - t;
        } catch {
          // not up yet
        }
        await sleep(1);
      }
    },
    pid: () => JSON.parse(readFileSync(join(home, 'controller.json'), 'utf8')).pid,
    async kill() {
      const pid = this.pid();
      if (!pid) return;
      process.kill(pid, 'SIGKILL');
      const gone = () => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z';
        } catch {
          return true;
        }
      };
      while (!gone()) await sleep(1);
    },
  };
}

/** Waits for `probe` to answer true, polling every 2 ms. */
const waitFor = (what, probe, limitMs = 120_000) => until(what, probe, limitMs, 2);

const hostDevice = async (home, vuid) => (await hostAsk(home, 'list')).devices.find((x) => x.vuid === vuid);
/** The longest pause (ms) any of the devices saw since the last call, measuring anew. */
const gaps = async (home, vuids) => Math.max(...(await Promise.all(vuids.map(async (v) => (await hostAsk(home, `gap ${v}`)).rx_gap_max_us / 1000))));
const driverOk = async (sock) => (await rpc(sock, 'query', { selector: { all: true }, brief: true })).devices.filter((d) => bound(d.device_status)).length;

async function update(c, kind) {
  const old = c.pid();
  await rpc(c.sock, kind === 'update' ? 'update_start' : 'restart', {});
  await waitFor(`the ${kind}`, async () => c.pid() !== old && (await rpc(c.sock, 'update_status', {})).status === 'inactive');
  return rpc(c.sock, 'update_status', {});
}

/** Kills the DPU; resolves when every device is at DRIVER_OK on the new one and the watched ones receive again. */
async function killDpu(home, c, total, watched) {
  const pid = homePid(home, 'dpu.pid');
  const before = new Map(await Promise.all(watched.map(async (v) => [v, (await hostDevice(home, v)).rx_frames])));
  const t = performance.now();
  process.kill(pid, 'SIGKILL');
  await waitFor('a new DPU', async () => {
    const h = await rpc(c.sock, 'health', {});
    return h.dpu.pid !== pid && h.dpu.state === 'running';
  });
  await waitFor('every device at DRIVER_OK again', async () => (await driverOk(c.sock)) === total);
  const back = performance.now() - t;
  await waitFor('traffic again', async () => {
    for (const v of watched) if ((await hostDevice(home, v)).rx_frames <= before.get(v)) return false;
    return true;
  });
  return back;
}

const rows = [];
const builds = [];

if (PART !== 'scale') {
  const home = mkdtempSync(join(tmpdir(), 'vnbo-'));
  const build = newBuild('0.2.0');
  builds.push(build);
  const c = controller(home, { VIRTNET_UPDATE_FROM: build });
  try {
    await c.start();
    const r = await rpc(c.sock, 'hotplug', { ib_device: 'mlx5_0', mac: '02:00:00:00:B1:01', mtu: 1500, num_queues: 3, max_queue_size: 256 });
    await waitFor('DRIVER_OK', async () => (await hostDevice(home, r.vuid))?.state === 'bound');
    await rpc(c.sock, 'host_action', { selector: { vuid: r.vuid }, action: 'profile', profile: 'bulk' });
    await sleep(500);
    const one = [r.vuid];
    const jitter = [], kill = [], start = [], restart = [], upd = [], dpu = [], dpuBack = [];
    for (let i = 0; i < RUNS; i++) {
      await gaps(home, one);
      await sleep(1000);
      jitter.push(await gaps(home, one));
    }
    for (let i = 0; i < RUNS; i++) {
      await gaps(home, one);
      await c.kill();
      start.push(await c.start());
      await sleep(300);
      kill.push(await gaps(home, one));
    }
    // The floor under load: a controller of another home starting, the same
    // work on the same two cores with nothing shared with this device.
    const other = [];
    for (let i = 0; i < RUNS; i++) {
      const h = mkdtempSync(join(tmpdir(), 'vnbo-other-'));
      const o = controller(h, { VIRTNET_HOST: 'external' });
      await gaps(home, one);
      await o.start();
      await sleep(300);
      other.push(await gaps(home, one));
      await o.kill();
      removeHome(h);
    }
    for (const [kind, out] of [['restart', restart], ['update', upd]]) {
      for (let i = 0; i < Math.min(RUNS, 3); i++) {
        await gaps(home, one);
        const s = await update(c, kind);
        if (s['last live update status'] !== 'success' || s.last_reconnects !== 0) throw new Error(`${kind}: ${JSON.stringify(s)}`);
        await sleep(300);
        out.push(await gaps(home, one));
      }
    }
    for (let i = 0; i < RUNS; i++) {
      await gaps(home, one);
      dpuBack.push(await killDpu(home, c, 3, one));
      await sleep(100);
      dpu.push(await gaps(home, one));
    }
    rows.push(['1 device: longest pause between received frames with no event (1 s windows)', fmt(jitter), 'the floor']);
    rows.push(["1 device: another home's controller starting, nothing shared (the floor under load)", fmt(other), 'the floor under load']);
    rows.push(['1 device: controller SIGKILL and start: longest pause', fmt(kill), '<= 10 ms over the floor']);
    rows.push(['1 device: a new controller started to the CLI answering', fmt(start), '-']);
    rows.push(['1 device: `virtnet restart`: longest pause', fmt(restart), '<= 10 ms over the floor']);
    rows.push(['1 device: `virtnet update -s`: longest pause', fmt(upd), '<= 10 ms over the floor']);
    rows.push(['1 device: DPU SIGKILL: traffic gap (kill to frames again)', fmt(dpu), '-']);
    rows.push(['1 device: DPU SIGKILL to the device at DRIVER_OK on the new DPU', fmt(dpuBack), '-']);
  } finally {
    await c.kill().catch(() => undefined);
    removeHome(home);
  }
}

if (PART !== 'one') {
  const home = mkdtempSync(join(tmpdir(), 'vnbo-'));
  const build = newBuild('0.2.0');
  builds.push(build);
  writeFileSync(join(home, 'dpu-profile.json'), JSON.stringify({ VIRTIO_NET_EMULATION_NUM_PF: 4, VIRTIO_NET_EMULATION_NUM_VF: 126, PCI_SWITCH_EMULATION_NUM_PORT: 31 }));
  const c = controller(home, { VIRTNET_UPDATE_FROM: build });
  const TOTAL = 535;
  try {
    await c.start();
    for (let pf = 0; pf < 4; pf++) await rpc(c.sock, 'set_vfs', { pf_id: pf, num_vfs: 126 });
    for (let i = 0; i < 27; i++)
      await rpc(c.sock, 'hotplug', { ib_device: i % 2 ? 'mlx5_1' : 'mlx5_0', mac: `02:00:00:00:31:${(i + 1).toString(16).padStart(2, '0')}`, mtu: 1500, num_queues: 3, max_queue_size: 256 });
    await waitFor('535 at DRIVER_OK', async () => (await driverOk(c.sock)) === TOTAL);
    const watched = [];
    for (let pf = 0; pf < 4; pf++) watched.push((await rpc(c.sock, 'query', { selector: { pf_id: pf, vf_id: 0 }, brief: true })).devices[0].vuid);
    for (const v of watched) await rpc(c.sock, 'host_action', { selector: { vuid: v }, action: 'profile', profile: 'bulk' });
    await sleep(500);
    const jitter = [], answered = [], kill = [], upd = [], dpu = [], dpuBack = [];
    for (let i = 0; i < 3; i++) {
      await gaps(home, watched);
      await sleep(1000);
      jitter.push(await gaps(home, watched));
    }
    const other = [];
    for (let i = 0; i < 3; i++) {
      const h = mkdtempSync(join(tmpdir(), 'vnbo-other-'));
      const o = controller(h, { VIRTNET_HOST: 'external' });
      await gaps(home, watched);
      await o.start();
      await sleep(300);
      other.push(await gaps(home, watched));
      await o.kill();
      removeHome(h);
    }
    for (let i = 0; i < 3; i++) {
      await gaps(home, watched);
      await c.kill();
      answered.push(await c.start(async () => (await rpc(c.sock, 'list', {})).devices.length === TOTAL));
      await sleep(300);
      kill.push(await gaps(home, watched));
    }
    for (let i = 0; i < 2; i++) {
      await gaps(home, watched);
      const s = await update(c, 'update');
      if (s['last live update status'] !== 'success' || s.last_reconnects !== 0) throw new Error(`update: ${JSON.stringify(s)}`);
      await sleep(300);
      upd.push(await gaps(home, watched));
    }
    for (let i = 0; i < 3; i++) {
      await gaps(home, watched);
      dpuBack.push(await killDpu(home, c, TOTAL, watched));
      await sleep(100);
      dpu.push(await gaps(home, watched));
    }
    rows.push(['535 devices: longest pause of 4 bulk devices with no event (1 s windows)', fmt(jitter), 'the floor']);
    rows.push(["535 devices: another home's controller starting, nothing shared (the floor under load)", fmt(other), 'the floor under load']);
    rows.push(['535 devices: a new controller started to all 535 answered by the CLI', fmt(answered), '<= 1000 ms']);
    rows.push(['535 devices: controller SIGKILL and start: longest pause', fmt(kill), '<= 10 ms over the floor']);
    rows.push(['535 devices: `virtnet update -s`: longest pause', fmt(upd), '<= 10 ms over the floor']);
    rows.push(['535 devices: DPU SIGKILL: traffic gap of the 4 bulk devices', fmt(dpu), '-']);
    rows.push(['535 devices: DPU SIGKILL to all 535 at DRIVER_OK on the new DPU', fmt(dpuBack), '-']);
  } finally {
    await c.kill().catch(() => undefined);
    removeHome(home);
  }
}
for (const b of builds) rmSync(b, { recursive: true, force: true });

console.log(`\nOutages under bulk traffic (${cpus().length} x ${cpus()[0].model}, Node ${process.version}); median (min-max) ms\n`);
console.log('| what | ms | target |\n|---|---:|---|');
for (const [what, v, target] of rows) console.log(`| ${what} | ${v} | ${target} |`);
