// Shared by the benchmarks: one JSON-RPC request to the controller's socket.
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
