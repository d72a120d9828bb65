/**
 * The controller's CLI socket ($VIRTNET_HOME/virtnet.sock): one request
 * line, one answer line, one connection per request.
 */
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RpcMethod, RpcParams, RpcResult } from '@virtnet/shared/rpc';
import { RpcError, rpcCaller, type Exchange, type RpcResponse } from './client.js';

/** The socket a CLI talks to: VIRTNET_SOCKET, else virtnet.sock in VIRTNET_HOME (~/.virtnet by default). */
export function socketPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env['VIRTNET_SOCKET']) return env['VIRTNET_SOCKET'];
  return join(env['VIRTNET_HOME'] || join(homedir(), '.virtnet'), 'virtnet.sock');
}

/** Requests over the socket at `path`; DAEMON_UNREACHABLE when no connection or no answer within `timeoutMs`. */
export function socketExchange(path: string, timeoutMs: number): Exchange {
  return (request) => exchange(path, request, timeoutMs);
}

/** One call over the socket at `path`: the answer, or an RpcError with the controller's code. */
export function rpc<M extends RpcMethod>(path: string, method: M, params: RpcParams<M>, timeoutMs = 60_000): Promise<RpcResult<M>> {
  return rpcCaller(socketExchange(path, timeoutMs))(method, params);
}

function exchange(path: string, request: object, timeoutMs: number): Promise<RpcResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new RpcError('DAEMON_UNREACHABLE', `no answer from the controller on ${path} within ${timeoutMs} ms`));
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
        reject(new RpcError('INTERNAL', `malformed answer from the controller: ${(e as Error).message}`));
      }
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? 'is the controller running? (npm start)' : e.message;
      reject(new RpcError('DAEMON_UNREACHABLE', `cannot reach the controller at ${path}: ${why}`));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new RpcError('DAEMON_UNREACHABLE', `the controller closed the connection on ${path} without answering`));
    });
  });
}
