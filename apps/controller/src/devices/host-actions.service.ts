/**
 * What the operator asks of the host's driver (`virtnet host unbind|bind|
 * profile`): the host is told, and the answer waits until the device
 * itself shows it, so that the next command sees the new state.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Hardware } from '@virtnet/hw';
import { VirtnetError, driverBound, driverOk, type HostStatus, type RpcArgs } from '@virtnet/shared';
import type { Actor } from '../audit/audit.service.js';
import { HARDWARE } from '../hardware/hardware.module.js';
import { HostService } from '../hosts/host.js';
import { DeviceRegistry, selectorTarget } from './device-registry.js';

/** How long the host's driver may take to let go of a device or to bind it. */
const DRIVER_WAIT_MS = 10_000;
const POLL_MS = 20;

@Injectable()
export class HostActions {
  constructor(
    @Inject(DeviceRegistry) private readonly registry: DeviceRegistry,
    @Inject(HARDWARE) private readonly hw: Hardware,
    @Inject(HostService) private readonly host: HostService,
  ) {}

  status(): Promise<HostStatus> {
    return this.host.status();
  }

  /**
   * Asks the host to unbind or bind its driver (or change its traffic), and
   * waits until the device sees it: after unbind no driver holds it, after
   * bind the driver is DRIVER_OK again.
   */
  act(p: RpcArgs<'host_action'>, actor: Actor): Promise<HostStatus> {
    return this.registry.mutate(actor, 'host_action', selectorTarget(p.selector), async (note) => {
      const l = this.registry.one(p.selector);
      const vuid = l.row.vuid;
      note(vuid, p.action === 'profile' ? `profile ${p.profile}` : p.action);
      if (p.action === 'profile') await this.host.command(`profile ${vuid} ${p.profile!}`);
      else await this.host.command(`${p.action} ${vuid}`);
      const seen = p.action === 'unbind' ? (s: number) => !driverBound(s) : p.action === 'bind' ? driverOk : () => true;
      const deadline = Date.now() + DRIVER_WAIT_MS;
      while (!seen(this.hw.query(l.handle).deviceStatus)) {
        if (Date.now() > deadline) throw new VirtnetError('TIMEOUT', `${vuid}: the host driver did not ${p.action} within ${DRIVER_WAIT_MS / 1000} s`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      this.registry.announce('device.updated', this.hw.query(l.handle), l.row.createdAt);
      return this.host.status();
    });
  }
}
