/**
 * virtnet controller daemon (started by main.ts). Settings come from the environment
 * (VIRTNET_HOME, VIRTNET_HTTP_HOST, VIRTNET_HTTP_PORT, VIRTNET_LOG_LEVEL,
 * VIRTNET_CONF, VIRTNET_PROFILE, VIRTNET_WEB_ROOT; see the README).
 */
import { runningDpu, sdNotify } from '@virtnet/hw';
import { runningSimHost } from './hosts/sim-host.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { startController } from './bootstrap.js';
import { UpdateService } from './update/update.service.js';
import { createLogger } from './common/logger.js';
import { ConfigFileError } from './settings/config-files.js';
import { InventoryError } from './hardware/inventory.js';
import { TokenFileError } from './auth/token.js';
import { ProviderFileError } from './providers/providers.js';
import { loadSettings, SettingsError } from './settings/settings.js';

/** After Ctrl-C: what outlives the controller by design, and how to stop it too. */
function stillRunning(home: string): string {
  const dpu = runningDpu(home);
  const host = runningSimHost(home);
  const parts = [
    ...(dpu ? [`the DPU (pid ${dpu}) keeps its devices and forwards their traffic, as hardware does`] : []),
    ...(host ? [`vnet-host (pid ${host}) keeps its drivers attached, as a host does`] : []),
  ];
  if (!parts.length) return '\nvirtnet controller stopped.\n';
  return `\nvirtnet controller stopped; ${parts.join(', and ')}. The next start attaches to them.\nStop everything with: ${home === join(homedir(), '.virtnet') ? '' : `VIRTNET_HOME=${home} `}npm stop\n`;
}

/** Starts the daemon; resolves once it is ready (or never: a failure exits the process). */
export async function main(): Promise<void> {
  let settings;
  try {
    settings = loadSettings();
  } catch (e) {
    process.stderr.write(`virtnet-controller: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const log = createLogger(settings.logLevel);
  // systemctl reload (ExecReload sends SIGHUP): read virtnet.conf and the providers again by a fast
  // restart. Handled from the first moment: SIGHUP's default action would end the process.
  let reloadAsked = false;
  let reload = () => {
    reloadAsked = true;
  };
  process.on('SIGHUP', () => reload());
  try {
    const running = await startController(settings, log);
    log.info({ url: running.url, socket: settings.socketPath, home: settings.home }, 'controller ready');
    process.stdout.write(`\nvirtnet controller is running. Dashboard: ${running.loginUrl}\nCLI socket: ${settings.socketPath} (npx virtnet list)\n\n`);
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      try {
        sdNotify('STOPPING=1');
      } catch {
        // no service manager to tell
      }
      running.close().then(
        () => {
          if (signal === 'SIGINT') process.stdout.write(stillRunning(settings.home));
          process.exit(0);
        },
        (e: unknown) => {
          log.error({ err: e }, 'error while stopping');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    reload = () => {
      log.info('SIGHUP: reloading by a fast restart');
      running.app
        .get(UpdateService)
        .start('restart', 'system')
        .catch((e: unknown) => log.error(`reload failed: ${(e as Error).message}`));
    };
    if (reloadAsked) reload();
  } catch (e) {
    const known = e instanceof SettingsError || e instanceof ConfigFileError || e instanceof InventoryError || e instanceof TokenFileError || e instanceof ProviderFileError;
    if (known) log.fatal(`cannot start: ${(e as Error).message}`);
    else log.fatal({ err: e }, `cannot start: ${(e as Error).message}`);
    process.exit(known ? 2 : 1);
  }
}

