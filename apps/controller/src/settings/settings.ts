/**
 * The controller's settings, read once at boot from the environment and
 * validated into a typed object. Every path lives under VIRTNET_HOME so that
 * several controllers can run side by side (tests do).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { NetnsSchema, OvsBridgeSchema } from '@virtnet/shared';
import { INSTALL_ROOT } from '../common/paths.js';

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
  /**
   * spawn: start this home's DPU process when none answers (the default, and
   * what npm start does); attach: only ever attach to one a service manager
   * runs (its own systemd unit, a Kubernetes sidecar), waiting for it.
   */
  dpuMode: 'spawn' | 'attach';
  /** qemu host mode: the VM's QMP socket, the id prefix of its pcie-root-ports (port i is <prefix><i>), how long an unplug waits for the guest. */
  qemu: { qmp: string; rootPortPrefix: string; unplugTimeoutMs: number };
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
  /** Access control of HTTP, WebSocket and dashboard (see auth/). */
  auth: AuthSettings;
  /** HTTPS: the certificate chain and key (PEM), read at start; null serves plain HTTP, on loopback only. */
  tls: TlsSettings | null;
  /** Where the audit log's entries also go as structured journal entries (see devices/audit.service.ts). */
  journalSocket: string | null;
  /** VIRTNET_OVS_BRIDGE: the Open vSwitch bridge representors join; overrides virtnet.conf's ovs_bridge. */
  ovsBridge: string | null;
  /** VIRTNET_NETNS: the network namespace of the TAP representors; overrides virtnet.conf's netns. */
  netns: string | null;
}

export interface TlsSettings {
  certPath: string;
  keyPath: string;
  cert: Buffer;
  key: Buffer;
}

export interface AuthSettings {
  /** false only with VIRTNET_AUTH=off, which is refused on a non-loopback address. */
  enabled: boolean;
  /** VIRTNET_TOKEN when set; otherwise the token lives in tokenPath (created at first start, mode 0600). */
  token: string | null;
  tokenPath: string;
}

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The repository root (or the install's). */
const repoRoot = INSTALL_ROOT;

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
  VIRTNET_QEMU_QMP: z.string().min(1).optional(),
  VIRTNET_QEMU_ROOT_PORT_PREFIX: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,30}$/, { error: 'must be a QEMU id prefix such as rp' })
    .default('rp'),
  VIRTNET_QEMU_UNPLUG_TIMEOUT_MS: z
    .string()
    .regex(/^\d+$/, { error: 'must be milliseconds' })
    .transform(Number)
    .pipe(z.number().min(100).max(600_000))
    .default(30_000),
  VIRTNET_DATAPATH: z.enum(DATAPATHS).default('auto'),
  VIRTNET_VHOST_MODE: z.enum(VHOST_MODES).default('server'),
  VIRTNET_DPU: z.enum(['spawn', 'attach']).default('spawn'),
  VIRTNET_OVS_BRIDGE: OvsBridgeSchema.optional(),
  VIRTNET_NETNS: NetnsSchema.optional(),
  VIRTNET_UPDATE_FROM: z.string().min(1).optional(),
  VIRTNET_TAKEOVER: z.string().min(1).optional(),
  VIRTNET_VQ_WORKERS: z
    .string()
    .regex(/^\d+$/, { error: 'must be a number of threads' })
    .transform(Number)
    .pipe(z.number().min(1).max(64))
    .optional(),
  VIRTNET_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9._~-]{16,256}$/, { error: 'must be 16 to 256 characters of A-Z a-z 0-9 . _ ~ - (it travels in URLs and headers)' })
    .optional(),
  VIRTNET_AUTH: z.enum(['on', 'off']).default('on'),
  VIRTNET_TLS_CERT: z.string().min(1).optional(),
  VIRTNET_TLS_KEY: z.string().min(1).optional(),
  VIRTNET_JOURNAL: z.enum(['auto', 'on', 'off']).default('auto'),
  VIRTNET_JOURNAL_SOCKET: z.string().min(1).default('/run/systemd/journal/socket'),
});

/** A PEM file's text, or the problem with it. */
function readPem(variable: string, path: string, kind: RegExp, problems: string[]): Buffer {
  try {
    const data = readFileSync(path);
    if (!kind.test(data.toString('latin1'))) problems.push(`${variable}: ${path} holds no PEM ${kind === CERT_PEM ? 'certificate' : 'private key'}`);
    return data;
  } catch (e) {
    problems.push(`${variable}: cannot read ${path}: ${(e as Error).message}`);
    return Buffer.alloc(0);
  }
}
const CERT_PEM = /-----BEGIN CERTIFICATE-----/;
const KEY_PEM = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

function loadTls(e: { VIRTNET_TLS_CERT?: string | undefined; VIRTNET_TLS_KEY?: string | undefined }): TlsSettings | null {
  if (!e.VIRTNET_TLS_CERT && !e.VIRTNET_TLS_KEY) return null;
  if (!e.VIRTNET_TLS_CERT || !e.VIRTNET_TLS_KEY)
    throw new SettingsError([`${e.VIRTNET_TLS_CERT ? 'VIRTNET_TLS_KEY' : 'VIRTNET_TLS_CERT'}: HTTPS needs both VIRTNET_TLS_CERT and VIRTNET_TLS_KEY`]);
  const problems: string[] = [];
  const certPath = resolve(e.VIRTNET_TLS_CERT);
  const keyPath = resolve(e.VIRTNET_TLS_KEY);
  const cert = readPem('VIRTNET_TLS_CERT', certPath, CERT_PEM, problems);
  const key = readPem('VIRTNET_TLS_KEY', keyPath, KEY_PEM, problems);
  if (problems.length) throw new SettingsError(problems);
  return { certPath, keyPath, cert, key };
}

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
  if (e.VIRTNET_AUTH === 'off' && !isLoopback(e.VIRTNET_HTTP_HOST)) {
    throw new SettingsError([
      `VIRTNET_AUTH: 'off' is only allowed on a loopback address, and VIRTNET_HTTP_HOST is ${e.VIRTNET_HTTP_HOST}: anyone who reaches it could change devices. Keep authentication on (the token is in $VIRTNET_HOME/token, or set VIRTNET_TOKEN)`,
    ]);
  }
  const tls = loadTls(e);
  // The token travels in every request: beyond this machine only inside TLS.
  if (!tls && !isLoopback(e.VIRTNET_HTTP_HOST)) {
    throw new SettingsError([
      `VIRTNET_HTTP_HOST: ${e.VIRTNET_HTTP_HOST} is reachable from other machines, and the access token would cross the network in clear text: set VIRTNET_TLS_CERT and VIRTNET_TLS_KEY (PEM files) to serve HTTPS, or listen on a loopback address`,
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
    dpuMode: e.VIRTNET_DPU,
    qemu: {
      qmp: resolve(e.VIRTNET_QEMU_QMP ?? join(home, 'qemu', 'qmp.sock')),
      rootPortPrefix: e.VIRTNET_QEMU_ROOT_PORT_PREFIX,
      unplugTimeoutMs: e.VIRTNET_QEMU_UNPLUG_TIMEOUT_MS,
    },
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
    auth: { enabled: e.VIRTNET_AUTH === 'on', token: e.VIRTNET_TOKEN ?? null, tokenPath: join(home, 'token') },
    tls,
    // auto: when the journal's socket exists (a systemd machine); on: always, and say so when it cannot.
    journalSocket: e.VIRTNET_JOURNAL === 'off' || (e.VIRTNET_JOURNAL === 'auto' && !existsSync(e.VIRTNET_JOURNAL_SOCKET)) ? null : e.VIRTNET_JOURNAL_SOCKET,
    ovsBridge: e.VIRTNET_OVS_BRIDGE ?? null,
    netns: e.VIRTNET_NETNS ?? null,
    installDir: repoRoot,
    updateFrom: e.VIRTNET_UPDATE_FROM ? resolve(e.VIRTNET_UPDATE_FROM) : null,
    takeover: e.VIRTNET_TAKEOVER ?? null,
  };
}

export const SETTINGS = Symbol('SETTINGS');
