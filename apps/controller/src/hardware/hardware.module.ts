import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { NativeHardware, type Hardware } from '@virtnet/hw';
import type { VirtnetConf } from '@virtnet/shared';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS, type Settings } from '../settings/settings.js';
import { CONF, INVENTORY } from './tokens.js';
import type { Inventory } from './inventory.js';

export const HARDWARE = Symbol('HARDWARE');

/**
 * The emulated DPU with its data path running: one vhost-user socket per
 * device under <home>/vhost. Sockets left by a controller that was killed
 * are removed first; the devices recovered next get fresh ones at the same
 * paths, where front-ends (QEMU with reconnect, DPDK) find them again.
 */
function openHardware(inv: Inventory, settings: Settings, conf: VirtnetConf): Hardware {
  const log = new Logger('hardware');
  mkdirSync(settings.vhostDir, { recursive: true, mode: 0o755 });
  // In client mode the sockets there are the front-ends': leave them.
  if (settings.vhostMode === 'server') {
    for (const f of readdirSync(settings.vhostDir)) {
      if (f.endsWith('.sock')) rmSync(join(settings.vhostDir, f), { force: true });
    }
  }
  const hw = new NativeHardware(inv.overrides);
  const workers = settings.vqWorkers ?? conf.eth_vq_workers ?? 1;
  hw.start(settings.vhostDir, workers, settings.datapath, settings.vhostMode === 'client');
  log.log(
    `data path: ${workers} worker thread(s), representors '${settings.datapath}', host '${settings.hostMode}', vhost-user ${settings.vhostMode} sockets in ${settings.vhostDir}`,
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
