/**
 * The JSON-RPC client against a fake controller: a unix socket of the
 * test's own that answers each request line as the test says.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RpcError, rpc, rpcCaller, socketExchange, socketPath } from '../../src/index.js';

let dir: string;
let server: Server | undefined;
const open = new Set<Socket>();
afterEach(async () => {
  for (const s of open) s.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** A fake controller: `answer` turns each request into the line sent back (null: hang up without one). */
async function fake(answer: (request: { id: number; method: string; params: unknown }) => string | null): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'vn-rpc-'));
  const path = join(dir, 'virtnet.sock');
  server = createServer((s) => {
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = answer(JSON.parse(buf.slice(0, nl)));
      if (line === null) s.destroy();
      else s.end(line + '\n');
    });
  });
  await new Promise<void>((r) => server!.listen(path, r));
  return path;
}

describe('rpc over the socket', () => {
  it('sends one JSON-RPC 2.0 request and resolves with its result', async () => {
    const seen: unknown[] = [];
    const path = await fake((req) => {
      seen.push(req);
      return JSON.stringify({ jsonrpc: '2.0', id: req.id, result: { status: 'ok' } });
    });
    expect(await rpc(path, 'health', {})).toEqual({ status: 'ok' });
    expect(seen).toEqual([{ jsonrpc: '2.0', id: 1, method: 'health', params: {} }]);
  });

  it("rejects with the controller's stable code and field", async () => {
    const path = await fake((req) => JSON.stringify({ jsonrpc: '2.0', id: req.id, error: { code: -32000, message: 'no device is PF 9', data: { code: 'DEVICE_NOT_FOUND', field: 'pf_id' } } }));
    const e = await rpc(path, 'query', { selector: { pf_id: 9 } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RpcError);
    expect(e).toMatchObject({ code: 'DEVICE_NOT_FOUND', field: 'pf_id', message: 'no device is PF 9' });
  });

  it('calls a protocol error without a known code INTERNAL', async () => {
    const path = await fake((req) => JSON.stringify({ jsonrpc: '2.0', id: req.id, error: { code: -32601, message: 'Method not found' } }));
    await expect(rpc(path, 'list', {})).rejects.toMatchObject({ code: 'INTERNAL', message: 'Method not found' });
  });

  it('says DAEMON_UNREACHABLE when nothing listens, or the controller hangs up without an answer', async () => {
    const path = await fake(() => null);
    await expect(rpc(path, 'list', {})).rejects.toMatchObject({ code: 'DAEMON_UNREACHABLE', message: `the controller closed the connection on ${path} without answering` });
    await expect(rpc(join(dir, 'nobody.sock'), 'list', {})).rejects.toMatchObject({
      code: 'DAEMON_UNREACHABLE',
      message: `cannot reach the controller at ${join(dir, 'nobody.sock')}: is the controller running? (npm start)`,
    });
  });

  it('gives up after the timeout', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vn-rpc-'));
    const path = join(dir, 'silent.sock');
    server = createServer((s) => open.add(s));
    await new Promise<void>((r) => server!.listen(path, r));
    await expect(rpc(path, 'list', {}, 50)).rejects.toMatchObject({ code: 'DAEMON_UNREACHABLE', message: `no answer from the controller on ${path} within 50 ms` });
  });

  it('hands each answer to the check made for its method before the request went out', async () => {
    const order: string[] = [];
    const path = await fake((req) => {
      order.push('sent');
      return JSON.stringify({ jsonrpc: '2.0', id: req.id, result: { level: 'info' } });
    });
    const call = rpcCaller(socketExchange(path, 1000), (method) => {
      order.push(`check made for ${method}`);
      return async (result) => ({ ...(result as object), checked: true });
    });
    expect(await call('log', {})).toEqual({ level: 'info', checked: true });
    expect(order).toEqual(['check made for log', 'sent']);
  });

  it('finds the socket from VIRTNET_SOCKET, else VIRTNET_HOME', () => {
    expect(socketPath({ VIRTNET_SOCKET: '/run/x.sock', VIRTNET_HOME: '/h' })).toBe('/run/x.sock');
    expect(socketPath({ VIRTNET_HOME: '/h' })).toBe('/h/virtnet.sock');
  });
});
