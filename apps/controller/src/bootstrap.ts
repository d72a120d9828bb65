/**
 * Starting the controller: settings, single-instance check, configuration
 * files, database migrations, then the Nest application (REST, WebSocket,
 * JSON-RPC socket, dashboard). Everything that can be wrong with the
 * environment is reported before any state is touched.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { sdNotify } from '@virtnet/hw';
import { AppModule } from './app.module.js';
import { MAX_LINE_BYTES } from './rpc/rpc.server.js';
import { AuthService } from './auth/auth.service.js';
import { authMiddleware, PROBES } from './auth/http.js';
import { AuthWsAdapter } from './auth/ws-adapter.js';
import { DeviceRegistry } from './devices/device-registry.js';
import { UpdateService } from './update/update.service.js';
import { createLogger, NestPinoLogger } from './common/logger.js';
import { HttpErrorFilter } from './common/http-exception.filter.js';
import { VERSION } from './common/version.js';
import { applyMigrations } from './database/migrate.js';
import { buildInventory } from './hardware/inventory.js';
import { loadDpuProfile, loadVirtnetConf } from './settings/config-files.js';
import { describeProviderFinding, loadProviders } from './providers/providers.js';
import type { Settings } from './settings/settings.js';

export interface Running {
  app: NestExpressApplication;
  url: string;
  /** The dashboard URL with the access token (the same as url when auth is off). */
  loginUrl: string;
  close(): Promise<void>;
}

/** Fails when a live controller already answers on this home's socket. */
async function ensureSingleInstance(socketPath: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another controller is running on ${socketPath}; stop it or use another VIRTNET_HOME`);
}

function serveDashboard(app: NestExpressApplication, webRoot: string | null): void {
  if (webRoot) {
    app.useStaticAssets(webRoot, { index: false, maxAge: '1h', immutable: false });
  }
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' || req.path.startsWith('/api/') || req.path === '/ws' || req.path === '/metrics' || PROBES.has(req.path)) return next();
    if (!webRoot) {
      res.status(503).type('text/plain').send('The dashboard is not built: run `npm run build` (the API is up under /api/v1).\n');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(join(webRoot, 'index.html'));
  });
}

/** sd_notify: readiness and the main PID for a Type=notify service; nothing without NOTIFY_SOCKET. */
function notify(message: string, log: Logger): void {
  try {
    sdNotify(message);
  } catch (e) {
    log.warn(`cannot notify the service manager: ${(e as Error).message}`);
  }
}

/** After a handover the old controller may still hold the port for a moment. */
async function listenRetrying(app: NestExpressApplication, settings: Settings, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await app.listen(settings.httpPort, settings.httpHost);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

export async function startController(settings: Settings, log: Logger = createLogger(settings.logLevel)): Promise<Running> {
  mkdirSync(settings.home, { recursive: true, mode: 0o700 });
  // A controller started by a live update runs beside the old one until it has taken over.
  if (!settings.takeover) await ensureSingleInstance(settings.socketPath);

  const profile = loadDpuProfile(settings.profilePath);
  const conf = loadVirtnetConf(settings.confPath, profile.value);
  for (const w of conf.warnings) log.warn({ file: settings.confPath }, w);
  const providers = loadProviders(settings.providersDir);
  for (const w of providers.warnings) log.warn({ dir: settings.providersDir }, describeProviderFinding(w));
  const inventory = buildInventory(profile.value, conf.value, providers);
  log.info({ conf: conf.path ?? '(defaults)', profile: profile.path ?? '(defaults)', provider: providers.chosen, provider_source: providers.source }, 'configuration loaded');

  const migrations = applyMigrations(settings.dbPath, settings.migrationsDir);
  if (migrations.applied.length) log.info({ applied: migrations.applied }, 'database migrated');
  for (const m of migrations.modified) log.warn({ migration: m }, 'an applied migration was edited since it ran');

  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ settings, conf: conf.value, profile: profile.value, inventory, log }), {
    logger: new NestPinoLogger(log),
    ...(settings.tls ? { httpsOptions: { cert: settings.tls.cert, key: settings.tls.key } } : {}),
  });
  // As large as a request line on the CLI socket: the remote CLI sends the same requests (POST /api/v1/rpc).
  app.useBodyParser('json', { limit: MAX_LINE_BYTES });
  const auth = app.get(AuthService);
  app.useWebSocketAdapter(new AuthWsAdapter(app, auth));
  app.useGlobalFilters(new HttpErrorFilter());
  app.disable('x-powered-by');
  app.use(authMiddleware(auth));
  serveDashboard(app, settings.webRoot);
  // Devices are recreated, the CLI socket and the host attached here.
  await app.init();
  const update = app.get(UpdateService);
  let handover: Awaited<ReturnType<UpdateService['takeOver']>> = null;
  if (settings.takeover) {
    // Tell the service manager this process is the service's main process now, before the old one exits.
    notify(`MAINPID=${process.pid}`, log);
    handover = await update.takeOver();
    if (!handover) update.settle();
  }
  await listenRetrying(app, settings, handover ? 10_000 : 0);

  const address = app.getHttpServer().address() as { port: number };
  const host = settings.httpHost.includes(':') ? `[${settings.httpHost}]` : settings.httpHost;
  const url = `${settings.tls ? 'https' : 'http'}://${host}:${address.port}/`;
  auth.baseUrl = url;
  writeFileSync(
    settings.stateFile,
    JSON.stringify({ pid: process.pid, version: VERSION, url, socket: settings.socketPath, started_at: new Date().toISOString() }, null, 2) + '\n',
  );
  if (handover) void update.finish(handover);
  notify(`READY=1\nSTATUS=${inventory.provider} provider, ${app.get(DeviceRegistry).count} devices, ${url}`, log);
  return {
    app,
    url,
    loginUrl: auth.loginUrl(url),
    async close() {
      await app.close();
      rmSync(settings.stateFile, { force: true });
    },
  };
}
