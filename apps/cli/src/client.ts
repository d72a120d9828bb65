/**
 * The CLI's calls to the controller, through the shared JSON-RPC client
 * (@virtnet/rpc-client): over its unix socket, or over HTTPS to POST
 * /api/v1/rpc (remote.ts). Every answer is checked against the method's
 * result schema, and every failure becomes a CliError with its exit status.
 */
import type { RpcMethod, RpcParams, RpcResult } from '@virtnet/shared';
import { loadRpcMethod } from '@virtnet/shared/lazy';
import { rpcCaller as callerOver, socketExchange, type Exchange } from '@virtnet/rpc-client';
import { CliError, asCliError } from './exit.js';

export { socketPath, type Exchange, type RpcResponse } from '@virtnet/rpc-client';

export type Call = <M extends RpcMethod>(method: M, params: unknown) => Promise<RpcResult<M>>;

/** Sends one request over the socket; rejects with a CliError carrying the controller's code. */
export function socketCaller(path: string, timeoutMs: number): Call {
  return rpcCaller(socketExchange(path, timeoutMs));
}

export function rpcCaller(send: Exchange): Call {
  const call = callerOver(send, (method) => {
    // The method's schemas load while the controller works on the request.
    const spec = loadRpcMethod(method);
    return async (result) => {
      // The controller validates its own output; this guards against a
      // controller of another version answering in another shape. Without
      // zod's compiled fast path, which costs more to build than one parse
      // saves until an answer holds several hundred devices.
      const checked = (await spec).result.safeParse(result, { jitless: true });
      if (!checked.success) throw new CliError('INTERNAL', `unexpected answer to ${method} (a controller of another version?)`);
      return checked.data;
    };
  });
  return async (method, params) => {
    try {
      return (await call(method, params as RpcParams<typeof method>)) as RpcResult<typeof method>;
    } catch (e) {
      throw asCliError(e);
    }
  };
}
