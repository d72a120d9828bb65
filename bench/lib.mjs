// Shared by the benchmarks: one JSON-RPC request to the controller's socket.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';

export { removeRepresentors } from '../scripts/representors.mjs';

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
