/**
 * `virtnet validate` through the real CLI: with no controller at all (a CI
 * job or a deployment checking a file first) on every golden file of the
 * controller's configuration parsers, against the default DPU profile or
 * one named with --profile; with a controller running; and the same words
 * as a controller that refuses to start on the same file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { Daemon, ROOT } from './support/daemon.js';

const GOLDEN = join(ROOT, 'apps/controller/test/golden');
const expected = (path: string) => JSON.parse(readFileSync(`${path}.expected.json`, 'utf8'));
const cases = (dir: string, pick: (name: string) => boolean) => readdirSync(dir).filter(pick).sort();

/** A VIRTNET_HOME where no controller runs. */
let nowhere: string;
let d: Daemon | undefined;
beforeAll(() => {
  nowhere = mkdtempSync(join(tmpdir(), 'vnv-'));
});
const temps: string[] = [];
afterEach(async () => {
  await d?.cleanup();
  d = undefined;
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});
afterAll(() => rmSync(nowhere, { recursive: true, force: true }));

const offline = (...args: string[]) => virtnet(nowhere, 'validate', ...args);

describe('validate with no controller: virtnet.conf golden files', () => {
  const root = join(GOLDEN, 'virtnet-conf');
  const conf = (n: string) => n.endsWith('.conf');

  it.each(cases(join(root, 'ok'), conf))('ok/%s is valid, with the golden warnings and effective options', async (name) => {
    const path = join(root, 'ok', name);
    const want = expected(path.replace(/\.conf$/, ''));
    const r = await offline(path);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toEqual({ path, kind: 'conf', valid: true, errors: [], warnings: want.warnings, effective: want.value });
  });

  it.each(cases(join(root, 'not-ok'), conf))('not-ok/%s is refused with the golden errors, exit 1 and CONFIG_INVALID', async (name) => {
    const path = join(root, 'not-ok', name);
    const want = expected(path.replace(/\.conf$/, ''));
    const r = await offline(path);
    expect(r.code).toBe(1);
    expect(r.json).toEqual({ path, kind: 'conf', valid: false, errors: want.errors, warnings: want.warnings, effective: null });
    const first = want.errors[0];
    expect(r.error).toEqual({
      code: 'CONFIG_INVALID',
      message: `${name}: ${first.key === '(file)' ? '' : `${first.key}: `}${first.message}${want.errors.length > 1 ? ` (and ${want.errors.length - 1} more)` : ''}`,
      ...(first.key === '(file)' ? {} : { field: first.key }),
    });
  });
});

describe('validate with no controller: providers golden directories', () => {
  const root = join(GOLDEN, 'providers');
  const dirs = (n: string) => !n.endsWith('.json');
  const finding = (f: { file: string; line?: number; message: string }) => ({ key: f.file, ...(f.line !== undefined ? { line: f.line } : {}), message: f.message });

  it.each([...cases(join(root, 'ok'), dirs).map((n) => `ok/${n}`), ...cases(join(root, 'not-ok'), dirs).map((n) => `not-ok/${n}`)])('%s gives the golden report', async (name) => {
    const dir = join(root, name);
    const want = expected(dir);
    const r = await offline('-p', dir);
    expect(r.code, r.stderr).toBe(want.errors.length ? 1 : 0);
    expect(r.json).toEqual({
      path: dir,
      kind: 'providers',
      valid: want.errors.length === 0,
      errors: want.errors.map(finding),
      warnings: want.warnings.map(finding),
      effective: { provider: want.chosen, source: want.source, entries: want.entries },
    });
    if (want.errors.length) expect(r.error).toMatchObject({ code: 'CONFIG_INVALID', field: want.errors[0].file });
  });
});

describe('validate against a DPU profile', () => {
  it('judges vfs_per_pf by --profile, and names a bad profile or an unreadable one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnv-'));
    try {
      const seed = join(GOLDEN, 'virtnet-conf/ok/seed-non-lag.conf');
      writeFileSync(join(dir, 'small.json'), JSON.stringify({ VIRTIO_NET_EMULATION_NUM_VF: 64 }));
      const small = await offline(seed, '--profile', join(dir, 'small.json'));
      expect(small.code).toBe(1);
      expect(small.json.errors).toEqual([{ key: 'vf.vfs_per_pf', message: '100 exceeds the 64 VFs per PF of this DPU (VIRTIO_NET_EMULATION_NUM_VF)' }]);
      writeFileSync(join(dir, 'bad.json'), '{"max_mtu": 20}');
      const bad = await offline(seed, '--profile', join(dir, 'bad.json'));
      expect([bad.code, bad.stdout, bad.error.code, bad.error.field]).toEqual([1, '', 'CONFIG_INVALID', 'profile']);
      expect(bad.error.message).toMatch(/^bad.json: max_mtu: /);
      const missing = await offline(seed, '--profile', join(dir, 'nope.json'));
      expect([missing.code, missing.error.code, missing.error.field]).toEqual([2, 'INVALID_ARGUMENT', 'profile']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('validate with a controller running', () => {
  it("checks files without applying them: the seed's example, a broken one, a providers directory", async () => {
    d = await new Daemon().start();
    const dir = mkdtempSync(join(tmpdir(), 'vnv-'));
    temps.push(dir);
    const golden = GOLDEN;
    const seed = join(golden, 'virtnet-conf/ok/seed-non-lag.conf');
    const ok = await virtnet(d.home, 'validate', seed);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json).toMatchObject({ kind: 'conf', valid: true, errors: [], effective: { vf: { vfs_per_pf: 100 } } });
    expect(ok.json.warnings[0]).toMatchObject({ line: 11, message: expect.stringMatching(/trailing comma/) });

    writeFileSync(join(dir, 'bad.conf'), JSON.stringify({ vf: { mac_base: 'CC:48:15:FF:00:00', vfs_per_pf: 127 } }));
    const bad = await virtnet(d.home, 'validate', join(dir, 'bad.conf'));
    expect(bad.code).toBe(1);
    expect(bad.json.valid).toBe(false);
    expect(bad.error).toMatchObject({ code: 'CONFIG_INVALID', field: 'vf.vfs_per_pf', message: expect.stringMatching(/exceeds the 126 VFs per PF/) });

    const providers = await virtnet(d.home, 'validate', '-p', join(golden, 'providers/ok/seed'));
    expect(providers.json).toMatchObject({ kind: 'providers', valid: true, effective: { provider: 'dpa', source: 'dpa.provider' } });
    const badProviders = await virtnet(d.home, 'validate', join(golden, 'providers/not-ok/name-mismatch'));
    expect(badProviders.code).toBe(1);
    expect(badProviders.error).toMatchObject({ code: 'CONFIG_INVALID', field: 'ace.provider' });

    const missing = await virtnet(d.home, 'validate', join(dir, 'nope.conf'));
    expect([missing.code, missing.error.code]).toEqual([2, 'INVALID_ARGUMENT']);
    // nothing was applied
    expect((await virtnet(d.home, 'list')).json.controller.provider).toBe('ace');
  });
});

describe('validate and the controller', () => {
  it('answers the same with a controller running as without one', async () => {
    d = await new Daemon().start();
    for (const path of [join(GOLDEN, 'virtnet-conf/ok/seed-non-lag.conf'), join(GOLDEN, 'virtnet-conf/not-ok/wrong-types.conf')]) {
      const running = await virtnet(d.home, 'validate', path);
      const none = await offline(path);
      expect([running.code, running.stdout, running.stderr]).toEqual([none.code, none.stdout, none.stderr]);
    }
    const providers = join(GOLDEN, 'providers/not-ok/one-bad-one-good');
    const [running, none] = [await virtnet(d.home, 'validate', '-p', providers), await offline('-p', providers)];
    expect([running.code, running.stdout, running.stderr]).toEqual([none.code, none.stdout, none.stderr]);
  });

  it('finds what a controller refuses to start on, in the words it refuses with', async () => {
    const path = join(GOLDEN, 'virtnet-conf/not-ok/wrong-types.conf');
    const r = await offline(path);
    expect(r.json.errors.length).toBeGreaterThan(1);
    d = new Daemon();
    writeFileSync(join(d.home, 'virtnet.conf'), readFileSync(path));
    const refused = await d.start().then(
      () => '',
      (e: Error) => e.message,
    );
    for (const f of r.json.errors) expect(refused).toContain(f.key === '(file)' ? f.message : `${f.key}: ${f.message}`);
  });
});
