/**
 * JSON-RPC 2.0 over the controller's unix socket: one request line, one
 * response line.
 */
import { JSONRPCClient, JSONRPCErrorException } from 'json-rpc-2.0';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RPC_METHODS, type RpcMethod, type RpcResult } from '@virtnet/shared';
import { CliError } from './exit.js';

export function socketPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env['VIRTNET_SOCKET']) return env['VIRTNET_SOCKET'];
  return join(env['VIRTNET_HOME'] || join(homedir(), '.virtnet'), 'virtnet.sock');
}

export type Call = <M extends RpcMethod>(method: M, params: unknown) => Promise<RpcResult<M>>;

/** Sends one request; rejects with a CliError carrying the controller's code. */
export function socketCaller(path: string, timeoutMs: number): Call {
  return async (method, params) => {
    const client = new JSONRPCClient(
      (request) =>
        new Promise<void>((resolve, reject) => {
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
              client.receive(JSON.parse(buffer.slice(0, nl)));
              resolve();
            } catch (e) {
              reject(new CliError('INTERNAL', `malformed answer from the controller: ${(e as Error).message}`));
            }
          });
          socket.once('error', (e: NodeJS.ErrnoException) => {
            clearTimeout(timer);
            const why = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? 'is the controller running? (npm start)' : e.message;
            reject(new CliError('DAEMON_UNREACHABLE', `cannot reach the controller at ${path}: ${why}`));
          });
        }),
    );
    try {
      const result: unknown = await client.request(method, params as Record<string, unknown>);
      // The controller validates its own output; this guards against a
      // controller of another version answering in another shape.
      const checked = RPC_METHODS[method].result.safeParse(result);
      if (!checked.success) throw new CliError('INTERNAL', `unexpected answer to ${method} (controller of another version?)`);
      return checked.data as RpcResult<typeof method>;
    } catch (e) {
      if (e instanceof JSONRPCErrorException) {
        const data = e.data as { code?: string; field?: string } | undefined;
        throw new CliError((data?.code ?? 'INTERNAL') as CliError['code'], e.message, data?.field);
      }
      throw e;
    }
  };
}
