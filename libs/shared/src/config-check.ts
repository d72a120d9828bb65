/**
 * The checks the controller applies at start to its DPU profile, its
 * virtnet.conf and its providers directory, as pure functions of the files'
 * text: the controller runs them before it changes anything, and
 * `virtnet validate` runs the same ones, in the controller or in the CLI
 * with no controller at all. Reading the files is left to each caller.
 */
import { checkConfAgainstProfile, DpuProfileSchema, type ConfFinding, type DpuProfile, type VirtnetConf } from './config.js';
import { parseVirtnetConf } from './conf-file.js';
import { chooseProvider, type ProviderFinding } from './providers.js';
import type { ValidateParams, ValidateResult } from './validate.js';

/** `key: message`, the way every finding is shown in logs and errors. */
export function describeFinding(f: ConfFinding): string {
  return f.key === '(file)' ? f.message : `${f.key}: ${f.message}`;
}

export function describeProviderFinding(f: ProviderFinding): string {
  return `${f.file}: ${f.message}`;
}

/** The DPU profile a controller runs on when no profile file is given. */
export function defaultDpuProfile(): DpuProfile {
  return DpuProfileSchema.parse({});
}

/** Parses the text of a DPU profile file (JSON, the mlxconfig knob names). */
export function parseDpuProfile(text: string): { value: DpuProfile | null; errors: ConfFinding[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { value: null, errors: [{ key: '(file)', message: `not valid JSON: ${(e as Error).message}` }] };
  }
  const r = DpuProfileSchema.safeParse(raw);
  if (!r.success) return { value: null, errors: r.error.issues.map((i) => ({ key: i.path.map(String).join('.') || '(file)', message: i.message })) };
  return { value: r.data, errors: [] };
}

/**
 * Checks the text of a virtnet.conf against the syntax, the rules and this
 * DPU's inventory. `value` is null when there are errors.
 */
export function checkVirtnetConf(text: string, profile: DpuProfile): { value: VirtnetConf | null; errors: ConfFinding[]; warnings: ConfFinding[] } {
  const r = parseVirtnetConf(text);
  if (!r.value) return r;
  const errors = checkConfAgainstProfile(r.value, profile);
  return { value: errors.length ? null : r.value, errors, warnings: r.warnings };
}

/** The answer of `virtnet validate`: a virtnet.conf, or the files of a providers directory, against `profile`. */
export function validateConfiguration(p: ValidateParams, profile: DpuProfile): ValidateResult {
  if (p.kind === 'conf') {
    const r = checkVirtnetConf(p.text, profile);
    return { path: p.path, kind: 'conf', valid: r.value !== null, errors: r.errors, warnings: r.warnings, effective: r.value };
  }
  const r = chooseProvider(p.files);
  const finding = (f: ProviderFinding): ConfFinding => ({ key: f.file, ...(f.line !== undefined ? { line: f.line } : {}), message: f.message });
  return {
    path: p.path,
    kind: 'providers',
    valid: r.errors.length === 0,
    errors: r.errors.map(finding),
    warnings: r.warnings.map(finding),
    effective: { provider: r.chosen, source: r.source, entries: r.entries },
  };
}
