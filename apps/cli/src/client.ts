/**
 * JSON-RPC 2.0 to the controller: over its unix socket (one request line,
 * one response line), or over HTTPS to POST /api/v1/rpc (remote.ts). Both
 * carry the same requests and answers, read here in one way.
 */
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RpcMethod, RpcResult } from '@virtnet/shared';
import { ERROR_CODES, type ErrorCode } from '@virtnet/shared/errors';
import { loadRpcMethod } from '@virtnet/shared/lazy';
import { CliError } from './exit.js';

export function socketPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env['VIRTNET_SOCKET']) return env['VIRTNET_SOCKET'];
  return join(env['VIRTNET_HOME'] || join(homedir(), '.virtnet'), 'virtnet.sock');
}

export type Call = <M extends RpcMethod>(method: M, params: unknown) => Promise<RpcResult<M>>;

/** One request in, one JSON-RPC response out, or a CliError when none came. */
export type Exchange = (request: object) => Promise<RpcResponse>;

/** Sends one request over the socket; rejects with a CliError carrying the controller's code. */
export function socketCaller(path: string, timeoutMs: number): Call {
  return rpcCaller((request) => exchange(path, request, timeoutMs));
}

export function rpcCaller(send: Exchange): Call {
  return async (method, params) => {
    // The method's schemas load while the controller works on the request.
    const spec = loadRpcMethod(method);
    const response = await send({ jsonrpc: '2.0', id: 1, method, params });
    if (response.error) {
      const data = response.error.data as { code?: string; field?: string } | undefined;
      const code = data?.code && data.code in ERROR_CODES ? (data.code as ErrorCode) : 'INTERNAL';
      throw new CliError(code, response.error.message, data?.field);
    }
    // The controller validates its own output; this guards against a
    // controller of another version answering in another shape. Without
    // zod's compiled fast path, which costs more to build than one parse
    // saves until an answer holds several hundred devices.
    const checked = (await spec).result.safeParse(response.result, { jitless: true });
    if (!checked.success) throw new CliError('INTERNAL', `unexpected answer to ${method} (a controller of another version?)`);
    return checked.data as RpcResult<typeof method>;
  };
}

export interface RpcResponse {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

function exchange(path: string, request: object, timeoutMs: number): Promise<RpcResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CliError('DAEMON_UNREACHABLE', `no answer from the controller on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      socket.end();
      try {
        resolve(JSON.parse(buffer.slice(0, nl)) as RpcResponse);
      } catch (e) {
        reject(new CliError('INTERNAL', `malformed answer from the controller: ${(e as Error).message}`));
      }
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? 'is the controller running? (npm start)' : e.message;
      reject(new CliError('DAEMON_UNREACHABLE', `cannot reach the controller at ${path}: ${why}`));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new CliError('DAEMON_UNREACHABLE', `the controller closed the connection on ${path} without answering`));
    });
  });
}
