import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Dpu, type Attachment, type Hardware } from '@virtnet/hw';
import type { VirtnetConf } from '@virtnet/shared';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { SETTINGS, type Settings } from '../settings/settings.js';
import { CONF, INVENTORY } from './tokens.js';
import { datapathTuning } from '../providers/providers.js';
import type { Inventory } from './inventory.js';

export const HARDWARE = Symbol('HARDWARE');
/** The same object as HARDWARE, with what only the emulated DPU has: its process. */
export const DPU = Symbol('DPU');

function describe(a: Attachment): string {
  switch (a.kind) {
    case 'started':
      return `started the DPU process (pid ${a.pid}) and provisioned it`;
    case 'provisioned':
      return `provisioned the DPU process (pid ${a.pid}), which was running unprovisioned`;
    case 'attached':
      return `attached to the running DPU process (pid ${a.pid}) with its ${a.functions} function(s); the data path did not stop`;
    case 'reset':
      return `restarted the DPU process (now pid ${a.pid}): ${a.why}`;
  }
}

/**
 * The DPU of this home: the running DPU process when there is one with this
 * configuration (a controller restart or live update attaches to it, and
 * no frame stops), else a new one. Every device gets a vhost-user socket
 * under <home>/vhost; the DPU process owns them.
 */
async function openHardware(inv: Inventory, settings: Settings, conf: VirtnetConf): Promise<Dpu> {
  const log = new Logger('hardware');
  mkdirSync(settings.vhostDir, { recursive: true, mode: 0o755 });
  const netns = representorNetns(settings, conf, log);
  const { workers, idlePollUs } = datapathTuning(inv.provider, conf, settings.vqWorkers);
  const { dpu, attachment } = await Dpu.open({
    home: settings.home,
    spawn: settings.dpuMode === 'spawn',
    profile: inv.overrides,
    start: { socketDir: settings.vhostDir, workers, backend: settings.datapath, client: settings.vhostMode === 'client', idlePollUs, netns: netns ?? '' },
    log: (level, message) => (level === 'warn' ? log.warn(message) : log.log(message)),
  });
  log.log(describe(attachment));
  log.log(
    `data path: provider '${inv.provider}' (${inv.providerSource}), ${workers} worker thread(s) polling ${idlePollUs} us after the last packet, representors '${settings.datapath}', host '${settings.hostMode}', vhost-user ${settings.vhostMode} sockets in ${settings.vhostDir}`,
  );
  return dpu;
}

/**
 * The network namespace the representors live in (VIRTNET_NETNS, else
 * virtnet.conf's netns), created as `ip netns add` does when missing; null
 * for the machine's own. A namespace that cannot be made stops the start:
 * the representors would otherwise land where the operator did not want them.
 */
function representorNetns(settings: Settings, conf: VirtnetConf, log: Logger): string | null {
  const netns = settings.netns ?? conf.netns ?? null;
  if (netns === null) return null;
  if (settings.ovsBridge ?? conf.ovs_bridge)
    throw new Error(`network namespace ${netns} and ovs_bridge cannot go together: ovs-vswitchd adds ports from the machine's namespace only`);
  if (!existsSync(`/run/netns/${netns}`)) {
    try {
      execFileSync('ip', ['netns', 'add', netns], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
    } catch (e) {
      const why = (e as { stderr?: Buffer }).stderr?.toString().trim() || (e as Error).message;
      throw new Error(`cannot create network namespace ${netns} for the representors (ip netns add ${netns}): ${why}`);
    }
    log.log(`created network namespace ${netns} for the representors`);
  }
  return netns;
}

/** Lets go of the DPU at shutdown: it keeps running, with its devices. */
class HardwareLifecycle implements OnApplicationShutdown {
  constructor(@Inject(DPU) private readonly dpu: Dpu) {}
  onApplicationShutdown(): void {
    this.dpu.close();
  }
}

@Global()
@Module({
  providers: [
    { provide: DPU, inject: [INVENTORY, SETTINGS, CONF], useFactory: openHardware },
    { provide: HARDWARE, inject: [DPU], useFactory: (dpu: Dpu): Hardware => dpu },
    HardwareLifecycle,
  ],
  exports: [HARDWARE, DPU],
})
export class HardwareModule {}
