import { describe, expect, it } from 'vitest';
import * as configCheck from '../../src/config-check.js';
import { loadConfigCheck, loadRpcMethod } from '../../src/lazy.js';
import { RPC_METHODS, type RpcMethod } from '../../src/rpc.js';

describe('per-method schema loading', () => {
  it.each(Object.keys(RPC_METHODS) as RpcMethod[])('%s loads the very schemas RPC_METHODS holds', async (method) => {
    const spec = await loadRpcMethod(method);
    expect(spec.params).toBe(RPC_METHODS[method].params);
    expect(spec.result).toBe(RPC_METHODS[method].result);
  });

  it('loads the configuration checks', async () => {
    expect((await loadConfigCheck()).validateConfiguration).toBe(configCheck.validateConfiguration);
  });
});
