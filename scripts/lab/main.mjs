// @ts-check
/**
 * `npm run lab`: the controller in qemu host mode with a real Linux guest.
 * Builds what is missing, starts the controller (VIRTNET_HOST=qemu) on
 * VIRTNET_HOME (default ~/.virtnet), then boots the lab VM: one
 * pcie-root-port per hot-plug port of the DPU profile, the static PFs
 * cold-plugged, its QMP socket where the controller waits for it. Then
 * `npx virtnet hotplug ...` puts a NIC into the guest, and `npx virtnet
 * unplug ...` takes it out. Ctrl-C stops both.
 *
 *   npm run lab               start the lab
 *   npm run lab -- console    attach to the running guest's console (Ctrl-] leaves)
 *   npm run lab -- migrate    two DPUs side by side and a guest migrated from one to the
 *                             other and back while it pings (scripts/lab/migration.mjs)
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ensureInstalled, ensureSystem, nx } from '../lib.mjs';
import { CLI_BIN as CLI, CONTROLLER_MAIN as MAIN } from '../paths.mjs';
import { vmArgs } from './vm.mjs';
import { Bridge, bootGuest, guestCounts, hops, startStream, trafficFlows } from './migration.mjs';

const home = process.env['VIRTNET_HOME'] ?? join(homedir(), '.virtnet');
const qemuDir = join(home, 'qemu');
const consoleSock = join(qemuDir, 'console.sock');
const consoleLog = join(qemuDir, 'console.log');
const qmp = join(qemuDir, 'qmp.sock');
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

if (process.argv[2] === 'console') attachConsole();
else if (process.argv[2] === 'migrate') await migrateLab(Number(process.argv[3] ?? 2));
else if (process.argv[2] === undefined) await lab();
else {
  console.error(`usage: npm run lab [-- console | migrate [COUNT]]`);
  process.exit(2);
}

function attachConsole() {
  const s = connect(consoleSock);
  s.on('error', (e) => {
    console.error(`no lab guest console at ${consoleSock} (${e.message}); start one with npm run lab`);
    process.exit(1);
  });
  s.on('connect', () => {
    process.stderr.write('connected to the guest console (a shell; Ctrl-] leaves)\n');
    if (process.stdin.isTTY) process.stdin.setRawMode(true);
    process.stdin.on('data', (d) => (d.includes(0x1d) ? process.exit(0) : s.write(d)));
    s.pipe(process.stdout);
    s.write('\n');
  });
  s.on('close', () => process.exit(0));
}

/** @param {string[]} args */
function virtnet(...args) {
  return virtnetIn(home, ...args);
}

/** The CLI against the controller of `h`. @param {string} h @param {string[]} args */
function virtnetIn(h, ...args) {
  return JSON.parse(execFileSync(process.execPath, [CLI, ...args], { env: { ...process.env, VIRTNET_HOME: h }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
}

async function lab() {
  ensureSystem({ cc: 'gcc', make: 'make', 'qemu-system-x86_64': 'qemu-system-x86', busybox: 'busybox-static' });
  ensureInstalled();
  nx(['run-many', '-t', 'build', '--output-style=static']);
  mkdirSync(qemuDir, { recursive: true });

  console.log('> controller (VIRTNET_HOST=qemu)');
  const state = join(home, 'controller.json');
  rmSync(state, { force: true });
  const controller = spawn(process.execPath, [MAIN], {
    stdio: 'inherit',
    env: { ...process.env, VIRTNET_HOME: home, VIRTNET_HOST: 'qemu', VIRTNET_QEMU_QMP: qmp },
  });
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let vm;
  const stopAll = (/** @type {number} */ code) => {
    vm?.kill('SIGTERM');
    if (controller.exitCode === null) controller.kill('SIGTERM');
    process.exitCode = code;
  };
  controller.on('exit', (code) => {
    vm?.kill('SIGTERM');
    process.exit(code ?? 1);
  });
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));
  for (;;) {
    if (existsSync(state) && JSON.parse(readFileSync(state, 'utf8')).pid === controller.pid) break;
    await sleep(100);
  }

  const list = virtnet('list');
  const rootPorts = list.controller.max_hotplug_devices;
  const coldPlug = list.devices
    .filter((/** @type {any} */ d) => d.function_type === 'static PF')
    .map((/** @type {any} */ d) => ({ vuid: d.vuid, socket: virtnet('query', '-u', d.vuid, '-b').devices[0].vhost_user_socket, mac: d.mac, mtu: d.mtu, queuePairs: d.max_queue_pairs, transitional: d.transitional === 1 }));

  console.log(`> guest: Linux under QEMU (TCG), ${rootPorts} hot-plug root ports, ${coldPlug.length} static PFs cold-plugged (first run fetches the kernel: about a minute)`);
  rmSync(consoleLog, { force: true });
  vm = spawn('qemu-system-x86_64', vmArgs({ qmp, rootPorts, coldPlug, console: { socket: consoleSock, log: consoleLog } }), { stdio: ['ignore', 'inherit', 'inherit'] });
  vm.on('exit', (code) => {
    console.log(`> the guest stopped (QEMU exit ${code}); stopping the controller`);
    if (controller.exitCode === null) controller.kill('SIGTERM');
  });
  for (let i = 0; i < 1200; i++) {
    if (existsSync(consoleLog) && readFileSync(consoleLog, 'utf8').includes('VNET-READY')) break;
    await sleep(100);
  }
  const env = home === join(homedir(), '.virtnet') ? '' : `VIRTNET_HOME=${home} `;
  console.log(`
lab ready. In another terminal, from the repository root:

  ${env}npx virtnet hotplug -i mlx5_0 -m 0C:C4:7A:FF:22:93 -t 1500 -n 5 -s 256
  ${env}npx virtnet host                 # where the guest enumerated it
  ${env}npm run lab -- console           # the guest's shell: ip -br link, ping ...
  ${env}npx virtnet unplug -p ${list.controller.static_pfs}

The guest prints VNET-NIC-ADD / VNET-NIC-DEL lines as its virtio_net driver
probes and removes NICs; they are in ${consoleLog}.
Ctrl-C stops the guest and the controller.
`);
}

/**
 * Two DPUs (controllers on <home>/migrate-a and -b, TAP representors, one
 * static PF each with the same MAC) joined by a bridge; the guest boots on
 * A and is migrated `count` times between them while it pings the bridge.
 * @param {number} count
 */
async function migrateLab(count) {
  ensureSystem({ cc: 'gcc', make: 'make', 'qemu-system-x86_64': 'qemu-system-x86', busybox: 'busybox-static', ip: 'iproute2', bridge: 'iproute2' });
  ensureInstalled();
  nx(['run-many', '-t', 'build', '--output-style=static']);
  /** @type {import('./migration.mjs').Side[]} */
  const sides = [];
  /** @type {string[]} */
  const homes = [];
  /** @type {import('./migration.mjs').Vm | undefined} */
  let vm;
  /** @type {Bridge | undefined} */
  let br;
  /** @type {{ close: () => void } | undefined} */
  let stream;
  try {
    for (const name of ['a', 'b']) {
      const h = join(home, `migrate-${name}`);
      homes.push(h);
      mkdirSync(h, { recursive: true });
      writeFileSync(join(h, 'dpu-profile.json'), JSON.stringify({ PCI_SWITCH_EMULATION_NUM_PORT: 1, VIRTIO_NET_EMULATION_NUM_PF: 1, VIRTIO_NET_EMULATION_NUM_VF: 0 }));
      // the same MAC on both: the guest keeps its NIC's address as it moves
      writeFileSync(join(h, 'virtnet.conf'), JSON.stringify({ static_pf: { mac_base: '02:56:4E:AD:00:00' } }));
      console.log(`> DPU ${name}: controller on ${h}`);
      const c = spawn(process.execPath, [MAIN], { stdio: 'ignore', detached: true, env: { ...process.env, VIRTNET_HOME: h, VIRTNET_HOST: 'external', VIRTNET_DATAPATH: 'tap', VIRTNET_HTTP_PORT: '0' } });
      c.unref();
      for (let i = 0; ; i++) {
        try {
          virtnetIn(h, 'version');
          break;
        } catch (e) {
          if (i > 300) throw new Error(`the controller on ${h} did not answer: ${/** @type {Error} */ (e).message}`);
          await sleep(100);
        }
      }
      const pf = virtnetIn(h, 'query', '-p', '0', '-b').devices[0];
      if (!pf) throw new Error(`no static PF on ${h}`);
      sides.push({ name, qmp: join(h, 'qmp.sock'), dir: h, coldPlug: { vuid: pf.vuid, socket: pf.vhost_user_socket ?? '', mac: pf.mac, mtu: pf.mtu, queuePairs: pf.max_queue_pairs } });
      console.log(`  static PF ${pf.vuid}, MAC ${pf.mac}, representor ${pf.sf_rep_net_device}`);
      if (name === 'a') br = new Bridge('vnlab0');
      br?.add(pf.sf_rep_net_device);
    }
    console.log('> guest on DPU a (Linux under QEMU, TCG): pings 198.18.93.1 on the bridge vnlab0 every 50 ms');
    vm = await bootGuest(/** @type {import('./migration.mjs').Side} */ (sides[0]));
    stream = await startStream();
    await trafficFlows(vm);
    vm = await hops(vm, /** @type {[any, any]} */ (sides), count, (h) =>
      console.log(`> migration ${h.i + 1}: ${h.from} -> ${h.to}: ${h.status}, QEMU downtime ${h.downtimeMs} ms, total ${h.totalMs} ms, pings lost ${h.pingsLost}`),
    );
    const c = await guestCounts(vm);
    console.log(`> the guest's stream: ${c.stream} lines received, ${c.corrupted} corrupted; pings ${c.sent} sent, ${c.received} answered`);
  } finally {
    stream?.close();
    await vm?.stop();
    br?.remove();
    for (const h of homes) execFileSync(process.execPath, [join(import.meta.dirname, '..', 'stop.mjs')], { env: { ...process.env, VIRTNET_HOME: h }, stdio: 'ignore' });
  }
}
