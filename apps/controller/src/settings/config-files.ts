/**
 * Reading virtnet.conf and the DPU profile file. Both are optional: a missing
 * file means the documented defaults. A present but invalid file stops the
 * controller with every problem listed, before anything is changed. The
 * checks themselves are libs/shared's, the ones `virtnet validate` runs.
 */
import { readFileSync } from 'node:fs';
import { VirtnetConfSchema, checkVirtnetConf, defaultDpuProfile, describeFinding, parseDpuProfile, type DpuProfile, type VirtnetConf } from '@virtnet/shared';

export { checkVirtnetConf };

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

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigFileError(path, [`cannot read: ${(e as Error).message}`]);
  }
}

export function loadVirtnetConf(path: string, profile: DpuProfile = defaultDpuProfile()): Loaded<VirtnetConf> {
  const text = readText(path);
  if (text === undefined) return { value: VirtnetConfSchema.parse({}), path: null, warnings: [] };
  const r = checkVirtnetConf(text, profile);
  if (!r.value) throw new ConfigFileError(path, r.errors.map(describeFinding));
  return { value: r.value, path, warnings: r.warnings.map(describeFinding) };
}

export function loadDpuProfile(path: string): Loaded<DpuProfile> {
  const text = readText(path);
  if (text === undefined) return { value: defaultDpuProfile(), path: null, warnings: [] };
  const r = parseDpuProfile(text);
  if (!r.value) throw new ConfigFileError(path, r.errors.map(describeFinding));
  return { value: r.value, path, warnings: [] };
}
