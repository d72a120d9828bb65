// Helpers for the npm scripts (start, test): make sure the workspace is
// installed and the system has what the tests need, then run Nx.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.mjs';

export { ROOT };

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts, env: { ...process.env, ...opts.env } });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

export function must(cmd, args, opts) {
  const status = run(cmd, args, opts);
  if (status !== 0) {
    console.error(`\n${cmd} ${args.join(' ')} failed with status ${status}`);
    process.exit(status);
  }
}

/** npm install when node_modules is missing or older than the lockfile. */
export function ensureInstalled() {
  const marker = join(ROOT, 'node_modules/.package-lock.json');
  const lock = join(ROOT, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log('> npm install (first run: about 3 minutes, most of it compiling better-sqlite3)');
  must('npm', ['install', '--no-audit', '--no-fund']);
}

const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;

/** Debian packages the given commands come from; installed when missing and we are root. */
export function ensureSystem(needs, extraPackages = []) {
  const missing = Object.entries(needs).filter(([bin]) => !has(bin));
  if (missing.length === 0) return;
  const pkgs = [...new Set([...missing.map(([, pkg]) => pkg), ...extraPackages])];
  if (process.getuid?.() !== 0 || !has('apt-get')) {
    console.error(`missing: ${missing.map(([b]) => b).join(', ')}. Install them with: sudo apt-get install -y ${pkgs.join(' ')}`);
    process.exit(1);
  }
  console.log(`> apt-get install ${pkgs.join(' ')}`);
  must('apt-get', ['update', '-qq']);
  must('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
}

export const nxEnv = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
export const nx = (args) => must(join(ROOT, 'node_modules/.bin/nx'), args, { env: nxEnv });
