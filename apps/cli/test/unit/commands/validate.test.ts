/**
 * Where `virtnet validate` runs its checks: in a running controller, or in
 * the CLI itself when none answers or a profile is named. Real files in a
 * temporary directory; the controller is a fake call.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../../../src/exit.js';
import type { Io } from '../../../src/io.js';
import { buildProgram } from '../../../src/program.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vn-validate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function io(call: Io['call']): Io & { printed: string[] } {
  const printed: string[] = [];
  return { call, out: (t) => printed.push(t), err: () => undefined, errIsTty: false, printed };
}

const unreachable: Io['call'] = async () => {
  throw new CliError('DAEMON_UNREACHABLE', 'cannot reach the controller');
};

async function validate(fake: Io & { printed: string[] }, ...args: string[]): Promise<{ result: any; error?: CliError }> {
  const program = buildProgram(fake, '9.9.9');
  program.exitOverride();
  for (const c of program.commands) c.exitOverride();
  let error: CliError | undefined;
  try {
    await program.parseAsync(['node', 'virtnet', 'validate', ...args]);
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    error = e;
  }
  return { result: fake.printed.length ? JSON.parse(fake.printed[0]!) : undefined, error };
}

describe('virtnet validate', () => {
  it('checks here when no controller answers, against the default profile', async () => {
    writeFileSync(join(dir, 'virtnet.conf'), '{"vf": {"vfs_per_pf": 127}}');
    const r = await validate(io(unreachable), join(dir, 'virtnet.conf'));
    expect(r.result).toMatchObject({ kind: 'conf', valid: false, errors: [{ key: 'vf.vfs_per_pf', message: '127 exceeds the 126 VFs per PF of this DPU (VIRTIO_NET_EMULATION_NUM_VF)' }] });
    expect([r.error?.code, r.error?.field, r.error?.exitCode]).toEqual(['CONFIG_INVALID', 'vf.vfs_per_pf', 1]);
    expect(r.error?.message).toBe('virtnet.conf: vf.vfs_per_pf: 127 exceeds the 126 VFs per PF of this DPU (VIRTIO_NET_EMULATION_NUM_VF)');
  });

  it('asks a running controller, which judges against its own DPU', async () => {
    writeFileSync(join(dir, 'virtnet.conf'), '{}');
    const sent: unknown[] = [];
    const answer = { path: join(dir, 'virtnet.conf'), kind: 'conf', valid: true, errors: [], warnings: [], effective: { from: 'the controller' } };
    const fake = io((async (method: string, params: unknown) => {
      sent.push([method, params]);
      return answer;
    }) as Io['call']);
    const r = await validate(fake, join(dir, 'virtnet.conf'));
    expect(sent).toEqual([['validate', { kind: 'conf', path: join(dir, 'virtnet.conf'), text: '{}' }]]);
    expect(r.result).toEqual(answer);
    expect(r.error).toBeUndefined();
  });

  it('checks here against --profile, even with a controller running', async () => {
    writeFileSync(join(dir, 'virtnet.conf'), '{"vf": {"vfs_per_pf": 10}}');
    writeFileSync(join(dir, 'dpu-profile.json'), '{"VIRTIO_NET_EMULATION_NUM_VF": 8}');
    const r = await validate(io(async () => expect.fail('the controller was asked')), join(dir, 'virtnet.conf'), '--profile', join(dir, 'dpu-profile.json'));
    expect(r.result.errors).toEqual([{ key: 'vf.vfs_per_pf', message: '10 exceeds the 8 VFs per PF of this DPU (VIRTIO_NET_EMULATION_NUM_VF)' }]);
    expect(r.error?.code).toBe('CONFIG_INVALID');
  });

  it('refuses an invalid profile, naming the knob, and an unreadable one as a usage error', async () => {
    writeFileSync(join(dir, 'virtnet.conf'), '{}');
    writeFileSync(join(dir, 'dpu-profile.json'), '{"max_queue_size": 1000}');
    const bad = await validate(io(unreachable), join(dir, 'virtnet.conf'), '--profile', join(dir, 'dpu-profile.json'));
    expect(bad.result).toBeUndefined();
    expect([bad.error?.code, bad.error?.message, bad.error?.field, bad.error?.exitCode]).toEqual(['CONFIG_INVALID', 'dpu-profile.json: max_queue_size: must be a power of two', 'profile', 1]);
    const missing = await validate(io(unreachable), join(dir, 'virtnet.conf'), '--profile', join(dir, 'nope.json'));
    expect([missing.error?.code, missing.error?.field, missing.error?.exitCode]).toEqual(['INVALID_ARGUMENT', 'profile', 2]);
  });

  it('checks a providers directory here, naming the file and line', async () => {
    writeFileSync(join(dir, 'dpa.provider'), 'provider=dpa\nscore=high\n');
    const r = await validate(io(unreachable), '-p', dir);
    expect(r.result).toMatchObject({ kind: 'providers', valid: false, errors: [{ key: 'dpa.provider', line: 2 }] });
    expect([r.error?.code, r.error?.field]).toEqual(['CONFIG_INVALID', 'dpa.provider']);
  });

  it('passes on any other failure of the controller', async () => {
    writeFileSync(join(dir, 'virtnet.conf'), '{}');
    const r = await validate(
      io(async () => {
        throw new CliError('INTERNAL', 'broken');
      }),
      join(dir, 'virtnet.conf'),
    );
    expect([r.error?.code, r.error?.message, r.result]).toEqual(['INTERNAL', 'broken', undefined]);
  });
});
