/**
 * Reading virtnet.conf and the DPU profile file. Both are optional: a missing
 * file means the documented defaults. A present but invalid file stops the
 * controller with every problem listed, before anything is changed.
 */
import { readFileSync } from 'node:fs';
import {
  DpuProfileSchema,
  KNOWN_CONF_KEYS,
  VirtnetConfSchema,
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

export function loadVirtnetConf(path: string): Loaded<VirtnetConf> {
  const raw = readJson(path);
  if (raw === undefined) return { value: VirtnetConfSchema.parse({}), path: null, warnings: [] };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigFileError(path, ['must be a JSON object']);
  const warnings = Object.keys(raw)
    .filter((k) => !(KNOWN_CONF_KEYS as readonly string[]).includes(k))
    .map((k) => `unknown key '${k}' is ignored`);
  const known = Object.fromEntries(Object.entries(raw).filter(([k]) => (KNOWN_CONF_KEYS as readonly string[]).includes(k)));
  const r = VirtnetConfSchema.safeParse(known);
  if (!r.success) throw new ConfigFileError(path, issues(r.error));
  return { value: r.data, path, warnings };
}

export function loadDpuProfile(path: string): Loaded<DpuProfile> {
  const raw = readJson(path);
  if (raw === undefined) return { value: DpuProfileSchema.parse({}), path: null, warnings: [] };
  const r = DpuProfileSchema.safeParse(raw);
  if (!r.success) throw new ConfigFileError(path, issues(r.error));
  return { value: r.data, path, warnings: [] };
}
