// Shared by the benchmarks: one JSON-RPC request to the controller's socket.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';

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
 * TAP representors outlive their controller (as an SF's netdev does); a
 * benchmark's must not outlive the benchmark. Their alias names the
 * controller's socket directory, under its VIRTNET_HOME.
 */
export function removeRepresentors(home) {
  let names = [];
  try {
    names = readdirSync('/sys/class/net');
  } catch {
    return;
  }
  for (const n of names) {
    let alias = '';
    try {
      alias = readFileSync(`/sys/class/net/${n}/ifalias`, 'utf8');
    } catch {
      continue;
    }
    if (!alias.startsWith(`virtnet ${home}/`)) continue;
    try {
      execFileSync('ip', ['link', 'del', n], { stdio: 'ignore' });
    } catch {
      // gone already
    }
  }
}
