/**
 * The host side of the devices, behind one injectable service. The mode
 * (VIRTNET_HOST) picks the adapter: `sim` runs vnet-host, `qemu` drives a
 * running VM through QMP, `external` only exposes the sockets.
 */
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { HwFunction } from '@virtnet/hw';
import type { HostStatus } from '@virtnet/shared';
import { SETTINGS, type Settings } from '../settings/settings.js';
import { ExternalHost } from './external-host.js';
import type { GuestView, HostAdapter, HostCommand } from './host-adapter.js';
import { QemuHost } from './qemu-host.js';
import { runningSimHost, SimHost } from './sim-host.js';

export type { HostCommand } from './host-adapter.js';

@Injectable()
export class HostService implements OnModuleDestroy {
  private readonly log = new Logger('host');
  private readonly adapter: HostAdapter;

  constructor(@Inject(SETTINGS) private readonly settings: Settings) {
    this.adapter =
      settings.hostMode === 'sim' ? new SimHost(settings) : settings.hostMode === 'qemu' ? new QemuHost(settings) : new ExternalHost();
  }

  get mode(): Settings['hostMode'] {
    return this.adapter.mode;
  }

  /** Starts the host side once the devices are recovered. */
  async start(devices: () => HwFunction[]): Promise<void> {
    if (this.mode !== 'sim') this.stopLeftoverSimHost();
    await this.adapter.start(devices);
  }

  /**
   * A vnet-host started by an earlier run in sim mode watches this home's
   * socket directory and would bind the devices meant for another host.
   */
  private stopLeftoverSimHost(): void {
    const pid = runningSimHost(this.settings.home);
    if (pid === null) return;
    try {
      process.kill(pid, 'SIGTERM');
      this.log.warn(`stopped vnet-host (pid ${pid}) left by an earlier run: the host is now '${this.mode}'`);
    } catch (e) {
      this.log.warn(`vnet-host (pid ${pid}) from an earlier run is still running and could not be stopped: ${(e as Error).message}`);
    }
  }

  plug(fn: HwFunction): Promise<void> {
    return this.adapter.plug(fn);
  }

  unplug(fn: HwFunction): Promise<void> {
    return this.adapter.unplug(fn);
  }

  hostBdf(vuid: string): string | undefined {
    return this.adapter.hostBdf?.(vuid);
  }

  guestView(vuid: string): GuestView | undefined {
    return this.adapter.guestView?.(vuid);
  }

  status(): Promise<HostStatus> {
    return this.adapter.status();
  }

  command(cmd: HostCommand): Promise<void> {
    return this.adapter.command(cmd);
  }

  async onModuleDestroy(): Promise<void> {
    await this.adapter.close();
  }
}
