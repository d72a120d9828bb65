/**
 * Which controller a call goes to. As kubectl's kubeconfig does for
 * clusters, a file of named contexts says how to reach each DPU, and its
 * `current-context` is the one used when the command line names none:
 *
 *   { "current-context": "dpu7",
 *     "contexts": [ { "name": "dpu7", "controller": "https://dpu7:8780",
 *                     "token-file": "~/.config/virtnet/fleet.token", "ca-file": "~/.config/virtnet/fleet-ca.pem" },
 *                   { "name": "local", "socket": "/var/lib/virtnet/virtnet.sock" } ] }
 *
 * The file is $VIRTNET_CONFIG, else $XDG_CONFIG_HOME/virtnet/config.json,
 * else ~/.config/virtnet/config.json (JSON: the CLI parses nothing heavier
 * at start). Paths in it may start with ~ and are relative to its folder.
 *
 * Precedence: --controller (with --token-file), then --socket, then
 * --context, then current-context, then the local socket of $VIRTNET_HOME.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { socketPath } from './client.js';
import { CliError } from './exit.js';
import type { RemoteTarget } from './remote.js';

export interface Context {
  name: string;
  controller?: string;
  'token-file'?: string;
  'ca-file'?: string;
  socket?: string;
}

export interface CliConfig {
  'current-context'?: string;
  contexts: Context[];
}

export interface TargetFlags {
  socket?: string;
  controller?: string;
  tokenFile?: string;
  caFile?: string;
  context?: string;
}

export type Target = { kind: 'socket'; path: string } | { kind: 'remote'; remote: RemoteTarget };

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env['VIRTNET_CONFIG']) return resolve(env['VIRTNET_CONFIG']);
  return join(env['XDG_CONFIG_HOME'] || join(homedir(), '.config'), 'virtnet', 'config.json');
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

function invalid(path: string, why: string): CliError {
  return new CliError('CONFIG_INVALID', `${path}: ${why}`, undefined, true);
}

/** The contexts file; none there means no contexts. */
export function loadConfig(path: string): CliConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: [] };
    throw invalid(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw invalid(path, `not JSON: ${(e as Error).message}`);
  }
  const c = raw as Partial<CliConfig>;
  if (typeof raw !== 'object' || raw === null || !Array.isArray(c.contexts)) throw invalid(path, 'expected { "current-context": NAME, "contexts": [ ... ] }');
  for (const [i, x] of c.contexts.entries()) {
    if (typeof x?.name !== 'string' || !NAME.test(x.name)) throw invalid(path, `contexts[${i}].name: a name of letters, digits, . _ - is required`);
    for (const k of ['controller', 'token-file', 'ca-file', 'socket'] as const)
      if (x[k] !== undefined && typeof x[k] !== 'string') throw invalid(path, `contexts[${i}].${k}: must be a string`);
    if (!x.controller === !x.socket) throw invalid(path, `contexts[${i}] (${x.name}): give either controller (with token-file) or socket`);
    if (x.controller && !x['token-file']) throw invalid(path, `contexts[${i}] (${x.name}): a controller needs its token-file`);
  }
  if (c['current-context'] !== undefined && typeof c['current-context'] !== 'string') throw invalid(path, 'current-context: must be a context name');
  return { contexts: c.contexts, ...(c['current-context'] ? { 'current-context': c['current-context'] } : {}) };
}

/** Written whole and renamed over the old one, owner-only: it names token files. */
export function saveConfig(path: string, config: CliConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** A path of the contexts file, as the file's own folder sees it. */
function filePath(p: string, base: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(1));
  return isAbsolute(p) ? p : resolve(base, p);
}

function fromContext(c: Context, base: string): Target {
  if (c.socket) return { kind: 'socket', path: filePath(c.socket, base) };
  return {
    kind: 'remote',
    remote: { url: c.controller!, tokenFile: filePath(c['token-file']!, base), ...(c['ca-file'] ? { caFile: filePath(c['ca-file'], base) } : {}) },
  };
}

export function resolveTarget(f: TargetFlags, env: NodeJS.ProcessEnv = process.env): Target {
  if (f.controller) {
    if (!f.tokenFile) throw new CliError('USAGE', '--controller needs --token-file (the file holding the access token)', 'token_file', true);
    return { kind: 'remote', remote: { url: f.controller, tokenFile: resolve(f.tokenFile), ...(f.caFile ? { caFile: resolve(f.caFile) } : {}) } };
  }
  if (f.socket) return { kind: 'socket', path: f.socket };
  const path = configPath(env);
  const config = loadConfig(path);
  const name = f.context ?? config['current-context'];
  if (!name) return { kind: 'socket', path: socketPath(env) };
  const c = config.contexts.find((x) => x.name === name);
  if (!c) throw new CliError('USAGE', `no context named ${name} in ${path}${f.context ? '' : ' (its current-context)'}`, 'context', true);
  return fromContext(c, dirname(path));
}
