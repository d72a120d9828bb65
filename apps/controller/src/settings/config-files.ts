/**
 * Reading virtnet.conf and the DPU profile file. Both are optional: a missing
 * file means the documented defaults. A present but invalid file stops the
 * controller with every problem listed, before anything is changed.
 */
import { readFileSync } from 'node:fs';
import {
  DpuProfileSchema,
  VirtnetConfSchema,
  checkConfAgainstProfile,
  parseVirtnetConf,
  type ConfFinding,
  type DpuProfile,
  type VirtnetConf,
} from '@virtnet/shared';
import type { z } from 'zod';

export class ConfigFileError extends Error {
  constructor(
    readonly path: string,
    readonly problems: string[],
  ) {
    super(`${path}:\n  ${problems.join('\n  ')}`);
  }
}

export interface Loaded<T> {
  value: T;
  /** Where it came from; null when the file does not exist and defaults apply. */
  path: string | null;
  warnings: string[];
}

function readJson(path: string): unknown | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigFileError(path, [`cannot read: ${(e as Error).message}`]);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigFileError(path, [`not valid JSON: ${(e as Error).message}`]);
  }
}

function issues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigFileError(path, [`cannot read: ${(e as Error).message}`]);
  }
}

/** `key: message`, the way every finding is shown in logs and errors. */
export function describeFinding(f: ConfFinding): string {
  return f.key === '(file)' ? f.message : `${f.key}: ${f.message}`;
}

/**
 * Checks the text of a virtnet.conf against the syntax, the rules and this
 * DPU's inventory. Used at start and by `virtnet validate`.
 */
export function checkVirtnetConf(text: string, profile: DpuProfile): { value: VirtnetConf | null; errors: ConfFinding[]; warnings: ConfFinding[] } {
  const r = parseVirtnetConf(text);
  if (!r.value) return r;
  const errors = checkConfAgainstProfile(r.value, profile);
  return { value: errors.length ? null : r.value, errors, warnings: r.warnings };
}

export function loadVirtnetConf(path: string, profile: DpuProfile = DpuProfileSchema.parse({})): Loaded<VirtnetConf> {
  const text = readText(path);
  if (text === undefined) return { value: VirtnetConfSchema.parse({}), path: null, warnings: [] };
  const r = checkVirtnetConf(text, profile);
  if (!r.value) throw new ConfigFileError(path, r.errors.map(describeFinding));
  return { value: r.value, path, warnings: r.warnings.map(describeFinding) };
}

export function loadDpuProfile(path: string): Loaded<DpuProfile> {
  const raw = readJson(path);
  if (raw === undefined) return { value: DpuProfileSchema.parse({}), path: null, warnings: [] };
  const r = DpuProfileSchema.safeParse(raw);
  if (!r.success) throw new ConfigFileError(path, issues(r.error));
  return { value: r.data, path, warnings: [] };
}
