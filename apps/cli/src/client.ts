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

/**
 * A call to the controller. `printOnly`: the answer goes to stdout as the controller sent it (as
 * NVIDIA's virtnet prints its controller's JSON), so it is not checked
 * against the method's schema, which for a list of 500 devices costs about
 * a third of the call. An answer the CLI reads is always checked.
 */
export type Call = <M extends RpcMethod>(method: M, params: unknown, opts?: CallOptions) => Promise<RpcResult<M>>;

export interface CallOptions {
  printOnly?: boolean;
  /** The controller takes this long on purpose (a capture's timeout): added to the call's timeout. */
  waitMs?: number;
}

/** Sends one request over the socket; rejects with a CliError carrying the controller's code. */
export function socketCaller(path: string, timeoutMs: number): Call {
  return rpcCaller(socketExchange(path, timeoutMs));
}

export function rpcCaller(send: Exchange): Call {
  const checked = callerOver(send, (method) => {
    // The method's schemas load while the controller works on the request.
    const spec = loadRpcMethod(method);
    return async (result) => {
      // The controller validates its own output; this guards against a
      // controller of another version answering in another shape. Without
      // zod's compiled fast path, which costs more to build than one parse
      // saves until an answer holds several hundred devices.
      const c = (await spec).result.safeParse(result, { jitless: true });
      if (!c.success) throw new CliError('INTERNAL', `unexpected answer to ${method} (a controller of another version?)`);
      return c.data;
    };
  });
  const unchecked = callerOver(send);
  return async (method, params, opts) => {
    try {
      if (!opts?.printOnly) return (await checked(method, params as RpcParams<typeof method>)) as RpcResult<typeof method>;
      const result = await unchecked(method, params as RpcParams<typeof method>);
      if (result === undefined) throw new CliError('INTERNAL', `no result in the answer to ${method}`);
      return result as RpcResult<typeof method>;
    } catch (e) {
      throw asCliError(e);
    }
  };
}
