import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { NativeHardware, type Hardware } from '@virtnet/hw';
import type { VirtnetConf } from '@virtnet/shared';
import { mkdirSync } from 'node:fs';
import { SETTINGS, type Settings } from '../settings/settings.js';
import { CONF, INVENTORY } from './tokens.js';
import { datapathTuning } from '../providers/providers.js';
import type { Inventory } from './inventory.js';

export const HARDWARE = Symbol('HARDWARE');

/**
 * The emulated DPU with its data path running: one vhost-user socket per
 * device under <home>/vhost. Recovered devices get fresh sockets at the same
 * paths, where front-ends (QEMU with reconnect, DPDK, vnet-host) find them
 * again; leftovers of devices that are gone are swept after recovery.
 */
function openHardware(inv: Inventory, settings: Settings, conf: VirtnetConf): Hardware {
  const log = new Logger('hardware');
  mkdirSync(settings.vhostDir, { recursive: true, mode: 0o755 });
  const hw = new NativeHardware(inv.overrides);
  const { workers, idlePollUs } = datapathTuning(inv.provider, conf, settings.vqWorkers);
  hw.setIdlePoll(idlePollUs);
  hw.start(settings.vhostDir, workers, settings.datapath, settings.vhostMode === 'client');
  log.log(
    `data path: provider '${inv.provider}' (${inv.providerSource}), ${workers} worker thread(s) polling ${idlePollUs} us after the last packet, representors '${settings.datapath}', host '${settings.hostMode}', vhost-user ${settings.vhostMode} sockets in ${settings.vhostDir}`,
  );
  return hw;
}

/** Owns the one hardware context of the process; closes it at shutdown. */
class HardwareLifecycle implements OnApplicationShutdown {
  constructor(@Inject(HARDWARE) private readonly hw: Hardware) {}
  onApplicationShutdown(): void {
    this.hw.close();
  }
}

@Global()
@Module({
  providers: [
    { provide: HARDWARE, inject: [INVENTORY, SETTINGS, CONF], useFactory: openHardware },
    HardwareLifecycle,
  ],
  exports: [HARDWARE],
})
export class HardwareModule {}
