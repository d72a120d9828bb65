/**
 * The controller's settings, read once at boot from the environment and
 * validated into a typed object. Every path lives under VIRTNET_HOME so that
 * several controllers can run side by side (tests do).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const HOST_MODES = ['sim', 'qemu', 'external'] as const;
export type HostMode = (typeof HOST_MODES)[number];
export const DATAPATHS = ['auto', 'tap', 'echo', 'sink', 'generator'] as const;
export type Datapath = (typeof DATAPATHS)[number];

export const VHOST_MODES = ['server', 'client'] as const;
export type VhostMode = (typeof VHOST_MODES)[number];

export interface Settings {
  home: string;
  /** server: devices listen on their sockets; client: they connect to front-ends listening there. */
  vhostMode: VhostMode;
  /** Where each device's vhost-user socket lives: <vhostDir>/<vuid>.sock */
  vhostDir: string;
  hostMode: HostMode;
  /** Traffic vnet-host runs on each device it probes (sim host). */
  hostProfile: 'idle' | 'ping' | 'bulk';
  datapath: Datapath;
  /** Data-path worker threads; null: virtnet.conf's eth_vq_workers, else 1. */
  vqWorkers: number | null;
  dbPath: string;
  socketPath: string;
  stateFile: string;
  /** Where the real product keeps its files: virtnet.conf, providers/, recovery/ (VIRTNET_CONF_DIR). */
  confDir: string;
  confPath: string;
  providersDir: string;
  /** NVIDIA-format recovery files imported at the first start (the real controller's recovery directory). */
  recoveryDir: string;
  profilePath: string;
  httpHost: string;
  httpPort: number;
  logLevel: LogLevel;
  webRoot: string | null;
  migrationsDir: string;
  /** The install this controller runs from (the repository root, or a package's tree). */
  installDir: string;
  /** Where `virtnet update -s` finds the newly installed build: VIRTNET_UPDATE_FROM, else installDir read again. */
  updateFrom: string | null;
  /** Set in a controller started by a live update or restart: the old controller's handover socket. */
  takeover: string | null;
}

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root, from src/settings or dist/settings. */
const repoRoot = resolve(here, '../../../..');

const EnvSchema = z.object({
  VIRTNET_HOME: z.string().min(1).optional(),
  VIRTNET_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  VIRTNET_HTTP_PORT: z
    .string()
    .regex(/^\d+$/, { error: 'must be a port number (0 picks a free one)' })
    .transform(Number)
    .pipe(z.number().max(65535, { error: 'must be at most 65535' }))
    .default(8780),
  VIRTNET_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  VIRTNET_CONF_DIR: z.string().min(1).optional(),
  VIRTNET_CONF: z.string().min(1).optional(),
  VIRTNET_PROVIDERS_DIR: z.string().min(1).optional(),
  VIRTNET_RECOVERY_DIR: z.string().min(1).optional(),
  VIRTNET_PROFILE: z.string().min(1).optional(),
  VIRTNET_WEB_ROOT: z.string().min(1).optional(),
  VIRTNET_HOST: z.enum(HOST_MODES).default('sim'),
  VIRTNET_HOST_PROFILE: z.enum(['idle', 'ping', 'bulk']).default('ping'),
  VIRTNET_DATAPATH: z.enum(DATAPATHS).default('auto'),
  VIRTNET_VHOST_MODE: z.enum(VHOST_MODES).default('server'),
  VIRTNET_UPDATE_FROM: z.string().min(1).optional(),
  VIRTNET_TAKEOVER: z.string().min(1).optional(),
  VIRTNET_VQ_WORKERS: z
    .string()
    .regex(/^\d+$/, { error: 'must be a number of threads' })
    .transform(Number)
    .pipe(z.number().min(1).max(64))
    .optional(),
});

export function defaultHome(): string {
  return join(homedir(), '.virtnet');
}

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment:\n  ${problems.join('\n  ')}`);
  }
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new SettingsError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  if (e.VIRTNET_HOST === 'qemu') {
    throw new SettingsError([
      `VIRTNET_HOST: the 'qemu' host adapter is not available yet; 'sim' runs the built-in host, 'external' exposes each device's vhost-user socket for the front-end you run`,
    ]);
  }
  const home = resolve(e.VIRTNET_HOME ?? defaultHome());
  const builtWeb = join(repoRoot, 'apps/web/dist');
  const socketPath = join(home, 'virtnet.sock');
  // sun_path holds 108 bytes including the terminator.
  if (Buffer.byteLength(socketPath) > 107) {
    throw new SettingsError([`VIRTNET_HOME: the socket path ${socketPath} exceeds the 107 bytes a unix socket allows`]);
  }
  const confDir = e.VIRTNET_CONF_DIR ? resolve(e.VIRTNET_CONF_DIR) : home;
  return {
    home,
    confDir,
    providersDir: e.VIRTNET_PROVIDERS_DIR ? resolve(e.VIRTNET_PROVIDERS_DIR) : join(confDir, 'providers'),
    recoveryDir: e.VIRTNET_RECOVERY_DIR ? resolve(e.VIRTNET_RECOVERY_DIR) : join(confDir, 'recovery'),
    vhostDir: join(home, 'vhost'),
    vhostMode: e.VIRTNET_VHOST_MODE,
    hostMode: e.VIRTNET_HOST,
    hostProfile: e.VIRTNET_HOST_PROFILE,
    datapath: e.VIRTNET_DATAPATH,
    vqWorkers: e.VIRTNET_VQ_WORKERS ?? null,
    dbPath: join(home, 'virtnet.db'),
    socketPath,
    stateFile: join(home, 'controller.json'),
    confPath: e.VIRTNET_CONF ? resolve(e.VIRTNET_CONF) : join(confDir, 'virtnet.conf'),
    profilePath: e.VIRTNET_PROFILE ? resolve(e.VIRTNET_PROFILE) : join(home, 'dpu-profile.json'),
    httpHost: e.VIRTNET_HTTP_HOST,
    httpPort: e.VIRTNET_HTTP_PORT,
    logLevel: e.VIRTNET_LOG_LEVEL,
    webRoot: e.VIRTNET_WEB_ROOT ? resolve(e.VIRTNET_WEB_ROOT) : existsSync(join(builtWeb, 'index.html')) ? builtWeb : null,
    migrationsDir: join(repoRoot, 'prisma/migrations'),
    installDir: repoRoot,
    updateFrom: e.VIRTNET_UPDATE_FROM ? resolve(e.VIRTNET_UPDATE_FROM) : null,
    takeover: e.VIRTNET_TAKEOVER ?? null,
  };
}

export const SETTINGS = Symbol('SETTINGS');
