/**
 * Flags to JSON-RPC params, without a process or a controller: the call is
 * captured, and local refusals are checked before anything would be sent.
 */
import { describe, expect, it } from 'vitest';
import { rpcCaller } from '../../src/client.js';
import { CliError } from '../../src/exit.js';
import { buildProgram } from '../../src/program.js';

async function parse(...args: string[]): Promise<{ method?: string; params?: unknown; out: string[] }> {
  const seen: { method?: string; params?: unknown; out: string[] } = { out: [] };
  const program = buildProgram(
    {
      call: async (method, params) => {
        seen.method = method;
        seen.params = params;
        return {} as never;
      },
      out: (t) => seen.out.push(t),
      err: () => undefined,
      errIsTty: false,
    },
    '9.9.9',
  );
  program.exitOverride();
  for (const c of program.commands) c.exitOverride();
  await program.parseAsync(['node', 'virtnet', ...args]);
  return seen;
}

async function refusal(...args: string[]): Promise<CliError> {
  try {
    await parse(...args);
  } catch (e) {
    if (e instanceof CliError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('virtnet flags', () => {
  it("maps the seed's hotplug line", async () => {
    const r = await parse('hotplug', '-i', 'mlx5_0', '-f', '0x80000', '-m', '0C:C4:7A:FF:22:93', '-t', '1500', '-n', '3', '-s', '1024');
    expect(r).toMatchObject({
      method: 'hotplug',
      params: { ib_device: 'mlx5_0', features: '0x80000', mac: '0C:C4:7A:FF:22:93', mtu: 1500, num_queues: 3, max_queue_size: 1024, legacy: false },
    });
  });

  it('maps long flags, -u and -l', async () => {
    const r = await parse('hotplug', '--ib_device', 'mlx5_1', '--mac', '02:00:00:00:00:01', '--mtu', '9000', '--num_queues', '2', '--max_queue_size', '256', '-u', '2042', '-l');
    expect(r.params).toMatchObject({ ib_device: 'mlx5_1', sf_num: 2042, legacy: true });
  });

  it('maps query selectors', async () => {
    expect((await parse('query', '-a', '-b')).params).toEqual({ selector: { all: true }, brief: true });
    expect((await parse('query', '-p', '0', '-v', '3', '-q', '1')).params).toEqual({ selector: { pf_id: 0, vf_id: 3 }, brief: false, queue_id: 1 });
    expect((await parse('query', '-u', 'MT2306XZ00ABVNETS132D0F0')).params).toEqual({ selector: { vuid: 'MT2306XZ00ABVNETS132D0F0' }, brief: false });
  });

  it('maps modify device and queue with the selector before the subcommand', async () => {
    expect(await parse('modify', '-p', '0', 'device', '-m', '0C:C4:7A:FF:22:93', '-q', '2048')).toMatchObject({
      method: 'modify_device',
      params: { selector: { pf_id: 0 }, device: { mac: '0C:C4:7A:FF:22:93', max_queue_size: 2048 } },
    });
    expect(await parse('modify', '-p', '0', '-v', '0', 'device', '-n', '8')).toMatchObject({ params: { selector: { pf_id: 0, vf_id: 0 }, device: { num_msix: 8 } } });
    expect(await parse('modify', '-u', 'MT2306XZ00ABVNETS132D0F0', 'queue', '-e', 'event', '-n', '10', '-c', '30')).toMatchObject({
      method: 'modify_queue',
      params: { selector: { vuid: 'MT2306XZ00ABVNETS132D0F0' }, queue: { event_mode: 'event', period_us: 10, max_count: 30 } },
    });
  });

  it('maps unplug', async () => {
    expect(await parse('unplug', '-p', '2')).toMatchObject({ method: 'unplug', params: { selector: { pf_id: 2 } } });
  });

  it('refuses bad values locally, with the code the controller would use', async () => {
    const mac = await refusal('hotplug', '-i', 'mlx5_0', '-m', 'zz', '-t', '1500', '-n', '3', '-s', '1024');
    expect([mac.code, mac.field, mac.exitCode]).toEqual(['MAC_INVALID', 'mac', 2]);
    expect((await refusal('hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:01', '-t', '1500', '-n', '3', '-s', '1000')).code).toBe('QUEUE_SIZE_INVALID');
    const sel = await refusal('query', '-p', '1', '-a');
    expect(sel.message).toBe('name the device with exactly one of pf_id (-p), vuid (-u) or all (-a)');
    expect((await refusal('unplug')).code).toBe('INVALID_ARGUMENT');
    expect((await refusal('modify', '-p', '0', 'device')).message).toMatch(/at least one field/);
  });
});

describe('virtnet host sriov progress', () => {
  it('draws a progress line on a terminal while the request runs, from the controller\'s operations', async () => {
    const err: string[] = [];
    let polls = 0;
    const op = (done: number, state: string) => ({ id: 'op-1', action: 'set_vfs', target: 'pf 0', actor: 'cli', state, total: 126, done, started_at: new Date().toISOString(), finished_at: null, error: null });
    let finish: (v: unknown) => void = () => undefined;
    const program = buildProgram(
      {
        call: (async (method: string) => {
          if (method === 'operations') {
            polls++;
            if (polls === 2) setTimeout(() => finish({ pf_id: 0, num_vfs: 126, created: 126, removed: 0, operation: 'op-1', elapsed_ms: 1 }), 0);
            return { operations: [polls === 1 ? op(40, 'running') : op(126, 'succeeded')] };
          }
          return new Promise((r) => (finish = r));
        }) as never,
        out: () => undefined,
        err: (t) => err.push(t),
        errIsTty: true,
      },
      '9.9.9',
    );
    program.exitOverride();
    await program.parseAsync(['node', 'virtnet', 'host', 'sriov', '-p', '0', '126']);
    expect(err.join('')).toMatch(/set_vfs pf 0: 40\/126 running/);
    expect(err.join('')).toMatch(/set_vfs pf 0: 126\/126 succeeded/);
  });
});

describe('answers the CLI checks', () => {
  const answer = (result: unknown) => rpcCaller(async () => ({ result }));

  it('passes an answer it only prints through as sent, and checks one it reads', async () => {
    const call = answer({ devices: 'not a list' });
    await expect(call('list', {}, { printOnly: true })).resolves.toEqual({ devices: 'not a list' });
    await expect(call('list', {})).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/unexpected answer to list/) });
  });

  it('refuses an answer with no result even when it only prints it', async () => {
    await expect(answer(undefined)('list', {}, { printOnly: true })).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
