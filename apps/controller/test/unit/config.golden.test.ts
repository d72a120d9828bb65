/**
 * Golden files for the two parsers operators feed by hand: virtnet.conf and
 * the providers directory. Each case under test/golden/<parser>/{ok,not-ok}
 * has its expected report next to it (<case>.expected.json). `ok` cases
 * must load; `not-ok` cases must stop the controller naming the key or file.
 * Run with UPDATE_GOLDEN=1 to rewrite the expected files after a deliberate
 * change, then review the diff.
 */
import { DpuProfileSchema } from '@virtnet/shared';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProviders, ProviderFileError, readProviderFiles } from '../../src/providers/providers.js';
import { chooseProvider } from '@virtnet/shared';
import { checkVirtnetConf, ConfigFileError, loadVirtnetConf } from '../../src/settings/config-files.js';

const GOLDEN = resolve(import.meta.dirname, '../golden');
const PROFILE = DpuProfileSchema.parse({});

function golden(file: string, actual: unknown): void {
  const path = `${file}.expected.json`;
  const text = JSON.stringify(actual, null, 2) + '\n';
  if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(path)) {
    if (process.env['CI'] && !existsSync(path)) throw new Error(`missing golden file ${path}`);
    writeFileSync(path, text);
  }
  expect(text).toBe(readFileSync(path, 'utf8'));
}

function cases(dir: string, pick: (name: string) => boolean): string[] {
  return readdirSync(dir)
    .filter(pick)
    .sort();
}

describe('virtnet.conf golden files', () => {
  const root = join(GOLDEN, 'virtnet-conf');
  const conf = (n: string) => n.endsWith('.conf');

  it.each(cases(join(root, 'ok'), conf))('ok/%s loads', (name) => {
    const path = join(root, 'ok', name);
    const report = checkVirtnetConf(readFileSync(path, 'utf8'), PROFILE);
    expect(report.errors).toEqual([]);
    golden(path.replace(/\.conf$/, ''), report);
    expect(loadVirtnetConf(path, PROFILE).value).toEqual(report.value);
  });

  it.each(cases(join(root, 'not-ok'), conf))('not-ok/%s is refused, naming the key', (name) => {
    const path = join(root, 'not-ok', name);
    const report = checkVirtnetConf(readFileSync(path, 'utf8'), PROFILE);
    expect(report.value).toBeNull();
    expect(report.errors.length).toBeGreaterThan(0);
    golden(path.replace(/\.conf$/, ''), report);
    let thrown: unknown;
    try {
      loadVirtnetConf(path, PROFILE);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ConfigFileError);
    for (const e of report.errors) expect((thrown as Error).message).toContain(e.key === '(file)' ? e.message : `${e.key}: ${e.message}`);
  });

  it("accepts the seed's non-lag example with a warning for its trailing comma", () => {
    const r = checkVirtnetConf(readFileSync(join(root, 'ok/seed-non-lag.conf'), 'utf8'), PROFILE);
    expect(r.warnings).toEqual([
      { key: '(file)', line: 11, message: expect.stringMatching(/^trailing comma at line 11/) },
      { key: 'static_pf.mac_base', message: expect.stringMatching(/multicast/) },
    ]);
    expect(r.value).toMatchObject({ is_lag: false, recovery: true, vf: { vfs_per_pf: 100, mac_base: 'CC:48:15:FF:00:00' } });
  });

  it('means the defaults when the file does not exist', () => {
    expect(loadVirtnetConf(join(root, 'no-such.conf'), PROFILE)).toEqual({ value: {}, path: null, warnings: [] });
  });
});

describe('provider golden files', () => {
  const root = join(GOLDEN, 'providers');
  const dirs = (n: string) => !n.endsWith('.json');

  it.each(cases(join(root, 'ok'), dirs))('ok/%s chooses its provider', (name) => {
    const dir = join(root, 'ok', name);
    expect(statSync(dir).isDirectory()).toBe(true);
    const report = loadProviders(dir);
    golden(dir, report);
  });

  it.each(cases(join(root, 'not-ok'), dirs))('not-ok/%s is refused, naming the file and line', (name) => {
    const dir = join(root, 'not-ok', name);
    const report = chooseProvider(readProviderFiles(dir));
    expect(report.errors.length).toBeGreaterThan(0);
    golden(dir, report);
    expect(() => loadProviders(dir)).toThrow(ProviderFileError);
  });

  it('chooses ace when the directory does not exist', () => {
    expect(loadProviders(join(root, 'no-such-dir'))).toMatchObject({ chosen: 'ace', source: 'default', entries: [], errors: [] });
  });
});
