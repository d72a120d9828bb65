/**
 * Flags shared by the commands, and the check of a command's params with
 * the schema the controller applies to the same method, before anything is
 * sent. The schemas are loaded on use: a command that checks nothing, or
 * only prints its help, never builds one.
 */
import { InvalidArgumentError, Option } from 'commander';
import type { RpcMethod, RpcMethodSpec, Selector } from '@virtnet/shared';
import { fromZodError } from '@virtnet/shared/errors';
import { loadRpcMethod } from '@virtnet/shared/lazy';
import type { z } from 'zod';
import { CliError } from './exit.js';

export function int(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a non-negative integer.');
  return Number(value);
}

export interface SelectorFlags {
  pf?: number;
  vf?: number;
  vuid?: string;
  all?: boolean;
}

export function selector(f: SelectorFlags): Selector {
  return {
    ...(f.pf !== undefined ? { pf_id: f.pf } : {}),
    ...(f.vf !== undefined ? { vf_id: f.vf } : {}),
    ...(f.vuid !== undefined ? { vuid: f.vuid } : {}),
    ...(f.all ? { all: true } : {}),
  };
}

export const pfOption = () => new Option('-p, --pf <id>', 'physical function id').argParser(int);
export const vfOption = () => new Option('-v, --vf <id>', 'virtual function id (with -p)').argParser(int);
export const vuidOption = () => new Option('-u, --vuid <vuid>', 'VUID of the device');

/** `params` as `method`'s schema parses them, or the refusal the controller would give, raised here (exit 2). */
export async function checked<M extends RpcMethod>(method: M, params: unknown): Promise<z.output<RpcMethodSpec<M>['params']>> {
  const { params: schema } = await loadRpcMethod(method);
  // One parse per process: zod's compiled fast path would cost more than it saves.
  const r = schema.safeParse(params, { jitless: true });
  if (!r.success) {
    const e = fromZodError(r.error);
    throw new CliError(e.code, e.message.replace(/^selector\.?/, '').replace(/^: /, ''), e.field, true);
  }
  return r.data as z.output<RpcMethodSpec<M>['params']>;
}
