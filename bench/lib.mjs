// Shared by the benchmarks: one JSON-RPC request to the controller's socket.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';

import { readFileSync, rmSync } from 'node:fs';
import { removeRepresentors } from '../scripts/representors.mjs';

export { removeRepresentors };

export function rpc(socketPath, method, params) {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let buf = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) + '\n'));
    s.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) {
        s.end();
        const r = JSON.parse(buf);
        if (r.error) reject(new Error(r.error.message));
        else resolve(r.result);
      }
    });
    s.on('error', reject);
  });
}


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
