/**
 * JSON-RPC 2.0 to the controller, whatever carries it (its unix socket,
 * socket.ts; HTTPS to POST /api/v1/rpc, the CLI's remote.ts): one request,
 * one answer, and the controller's refusal as an error with its stable
 * code. The CLI, the benchmarks and the tests all call the controller
 * through here.
 */
import { ERROR_CODES, type ErrorCode } from '@virtnet/shared/errors';
import type { RpcMethod, RpcParams, RpcResult } from '@virtnet/shared/rpc';

export interface RpcResponse {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** One request in, one JSON-RPC response out; rejects with an RpcError when no answer came. */
export type Exchange = (request: object) => Promise<RpcResponse>;

export type Call = <M extends RpcMethod>(method: M, params: RpcParams<M>) => Promise<RpcResult<M>>;

/** The controller refused or failed a request (its code), or no answer came (DAEMON_UNREACHABLE, ...). */
export class RpcError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Vets the answers to `method`; made before the request is sent, so its own work overlaps the controller's. */
export type AnswerCheck = (method: RpcMethod) => (result: unknown) => Promise<unknown>;

/**
 * A caller over `send`. `check` may vet each answer before it is returned
 * (the CLI checks it against the method's result schema); without it the
 * answer is taken as the controller's types say.
 */
export function rpcCaller(send: Exchange, check?: AnswerCheck): Call {
  return async <M extends RpcMethod>(method: M, params: RpcParams<M>) => {
    const checked = check ? check(method) : (result: unknown) => Promise.resolve(result);
    const response = await send({ jsonrpc: '2.0', id: 1, method, params });
    if (response.error) {
      const data = response.error.data as { code?: string; field?: string } | undefined;
      const code = data?.code && data.code in ERROR_CODES ? (data.code as ErrorCode) : 'INTERNAL';
      throw new RpcError(code, response.error.message, data?.field);
    }
    return (await checked(response.result)) as RpcResult<M>;
  };
}
