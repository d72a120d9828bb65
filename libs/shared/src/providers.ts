/**
 * Provider files, exactly as the seed describes them: each file in the
 * providers directory names one provider (the file name is the provider's
 * name, `ace.provider` or `ace`), with `provider=` and `score=` lines.
 * Keys and values are case-insensitive, `#` starts a comment line, empty
 * lines are ignored, and when a key is given twice the last one counts.
 * Only `ace` and `dpa` exist; the highest score wins.
 */

export const PROVIDERS = ['ace', 'dpa'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** Used when no file names a valid provider, as on the real controller. */
export const DEFAULT_PROVIDER: ProviderName = 'ace';

export interface ProviderFinding {
  file: string;
  line?: number;
  message: string;
}

export interface ProviderEntry {
  file: string;
  provider: ProviderName;
  score: number;
}

export interface ProviderReport {
  /** The provider that runs: the highest score, `ace` on a tie or when none is valid. */
  chosen: ProviderName;
  /** Where the choice came from: a file name, or `default`. */
  source: string;
  entries: ProviderEntry[];
  errors: ProviderFinding[];
  warnings: ProviderFinding[];
}

/** Editor and package-manager leftovers that are not provider files. */
const LEFTOVER = /(~|\.bak|\.orig|\.swp|\.rpmsave|\.rpmnew|\.rpmorig|\.dpkg-old|\.dpkg-new|\.dpkg-dist)$/i;

/** The provider a file name stands for: `dpa.provider` and `dpa` both name dpa. */
export function providerOfFileName(name: string): string {
  return name.replace(/\.provider$/i, '').toLowerCase();
}

/** Parses one provider file. Returns the entry, or null with the errors added. */
export function parseProviderFile(file: string, text: string, errors: ProviderFinding[], warnings: ProviderFinding[]): ProviderEntry | null {
  const seen: { provider?: { value: string; line: number }; score?: { value: string; line: number } } = {};
  let ok = true;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) return;
    const eq = t.indexOf('=');
    if (eq < 0) {
      errors.push({ file, line, message: `line ${line}: expected key=value, found '${t}'` });
      ok = false;
      return;
    }
    const key = t.slice(0, eq).trim().toLowerCase();
    const value = t.slice(eq + 1).trim();
    if (key !== 'provider' && key !== 'score') {
      warnings.push({ file, line, message: `line ${line}: unknown key '${t.slice(0, eq).trim()}' is ignored (only provider= and score= exist)` });
      return;
    }
    const before = seen[key];
    if (before) warnings.push({ file, line, message: `line ${line}: ${key} given again (first at line ${before.line}); the last one counts` });
    seen[key] = { value, line };
  });
  if (!ok) return null;
  if (!seen.provider) {
    errors.push({ file, message: 'no provider= line' });
    return null;
  }
  const provider = seen.provider.value.toLowerCase();
  if (!(PROVIDERS as readonly string[]).includes(provider)) {
    errors.push({ file, line: seen.provider.line, message: `line ${seen.provider.line}: provider '${seen.provider.value}' is unknown; valid: ${PROVIDERS.join(', ')}` });
    return null;
  }
  const stem = providerOfFileName(file);
  if (stem !== provider) {
    errors.push({ file, line: seen.provider.line, message: `the file name says '${stem}' but provider= says '${provider}'; a provider file is named after its provider` });
    return null;
  }
  let score = 0;
  if (seen.score) {
    if (!/^\d{1,9}$/.test(seen.score.value)) {
      errors.push({ file, line: seen.score.line, message: `line ${seen.score.line}: score must be a whole number from 0, found '${seen.score.value}'` });
      return null;
    }
    score = Number(seen.score.value);
  } else warnings.push({ file, message: 'no score= line; the score is 0' });
  return { file, provider, score } as ProviderEntry;
}

/**
 * Chooses the provider from the files of the providers directory (name and
 * text of each regular file). Invalid files are reported and take no part.
 */
export function chooseProvider(files: { name: string; text: string }[]): ProviderReport {
  const errors: ProviderFinding[] = [];
  const warnings: ProviderFinding[] = [];
  const entries: ProviderEntry[] = [];
  for (const f of [...files].sort((a, b) => a.name.localeCompare(b.name))) {
    if (f.name.startsWith('.') || LEFTOVER.test(f.name)) {
      warnings.push({ file: f.name, message: 'not a provider file (hidden or a backup); ignored' });
      continue;
    }
    const e = parseProviderFile(f.name, f.text, errors, warnings);
    if (e) entries.push(e);
  }
  const byName = new Map<ProviderName, ProviderEntry>();
  for (const e of entries) {
    const other = byName.get(e.provider);
    if (other) warnings.push({ file: e.file, message: `'${e.provider}' is also defined in ${other.file}; the higher score counts` });
    if (!other || e.score > other.score) byName.set(e.provider, e);
  }
  let best: ProviderEntry | undefined;
  for (const e of byName.values()) {
    if (!best || e.score > best.score || (e.score === best.score && e.provider === DEFAULT_PROVIDER)) best = e;
  }
  return { chosen: best?.provider ?? DEFAULT_PROVIDER, source: best?.file ?? 'default', entries, errors, warnings };
}
