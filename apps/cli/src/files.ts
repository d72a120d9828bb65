/**
 * Files are read and written on the CLI's side, so that paths are the
 * caller's and the controller never touches them.
 */
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './exit.js';

const why = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

export function readText(path: string, field = 'file'): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError('INVALID_ARGUMENT', `cannot read ${path}: ${why(e)}`, field, true);
  }
}

/** The regular files of `dir`, by name, with their text. */
export function filesOf(dir: string): { name: string; text: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new CliError('INVALID_ARGUMENT', `cannot read the directory ${dir}: ${why(e)}`, 'dir', true);
  }
  return names
    .filter((n) => statSync(join(dir, n)).isFile())
    .sort()
    .map((name) => ({ name, text: readText(join(dir, name)) }));
}

/** True for a directory, false for anything else that exists. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (e) {
    throw new CliError('INVALID_ARGUMENT', `cannot read ${path}: ${why(e)}`, 'file', true);
  }
}

/** Writes `data` to `path` whole: through a temporary file beside it, so that a failed write leaves no half file. */
export function writeFileWhole(path: string, data: Buffer, field = 'file'): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new CliError('INVALID_ARGUMENT', `cannot write ${path}: ${why(e)}`, field, true);
  }
}
