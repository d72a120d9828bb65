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
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ensureInstalled, ensureSystem, nx } from '../lib.mjs';
import { CLI_BIN as CLI, CONTROLLER_MAIN as MAIN } from '../paths.mjs';
import { vmArgs } from './vm.mjs';

const home = process.env['VIRTNET_HOME'] ?? join(homedir(), '.virtnet');
const qemuDir = join(home, 'qemu');
const consoleSock = join(qemuDir, 'console.sock');
const consoleLog = join(qemuDir, 'console.log');
const qmp = join(qemuDir, 'qmp.sock');
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

if (process.argv[2] === 'console') attachConsole();
else if (process.argv[2] === undefined) await lab();
else {
  console.error(`usage: npm run lab [-- console]`);
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
  return JSON.parse(execFileSync(process.execPath, [CLI, ...args], { env: { ...process.env, VIRTNET_HOME: home }, encoding: 'utf8' }));
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
