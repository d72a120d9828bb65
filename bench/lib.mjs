// Shared by the benchmarks: the controller's JSON-RPC client, waiting with a
// deadline, starting a controller, asking vnet-host, cleaning up a home.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { connect } from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { rpc } from '@virtnet/rpc-client';
import { removeRepresentors } from '../scripts/representors.mjs';

export { rpc, removeRepresentors };
export { until } from '@virtnet/shared/until';
export { driverOk } from '@virtnet/shared/device-status';

/**
 * Starts a controller (apps/controller/dist/main.js) with `env` and resolves
 * with its process once `ready(socketPath)` answers true (by default: the
 * CLI socket answers `version`).
 */
export async function startController(main, env, ready = async (sock) => !!(await rpc(sock, 'version', {}))) {
  const proc = spawn(process.execPath, [main], { env, stdio: 'ignore' });
  const sock = join(env.VIRTNET_HOME, 'virtnet.sock');
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the controller exited with ${proc.exitCode}`);
    try {
      if (await ready(sock)) return proc;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One line to the home's vnet-host control socket, its JSON answer back. */
export function hostAsk(home, line) {
  return new Promise((resolve, reject) => {
    const s = connect(join(home, 'vnet-host.sock'));
    let buf = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write(line + '\n'));
    s.on('data', (d) => (buf += d));
    s.on('end', () => {
      try {
        resolve(JSON.parse(buf));
      } catch (e) {
        reject(e);
      }
    });
    s.on('error', reject);
  });
}

/** The pid in a home's pid file when that process still runs (not a zombie), else null. */
export function homePid(home, file) {
  try {
    const pid = Number(readFileSync(join(home, file), 'utf8'));
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z' ? null : pid;
  } catch {
    return null;
  }
}

/**
 * Removes a benchmark's home and what outlives its controllers by design:
 * vnet-host, the DPU process, and TAP representors.
 */
export function removeHome(home) {
  for (const file of ['vnet-host.pid', 'dpu.pid']) {
    const pid = homePid(home, file);
    if (pid) process.kill(pid, 'SIGKILL');
  }
  removeRepresentors(home);
  rmSync(home, { recursive: true, force: true });
}
