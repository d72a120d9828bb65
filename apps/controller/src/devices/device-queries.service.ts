/**
 * Reads of the devices: the controller's summary, every device, one
 * device with its queues, and its counters (`list`, `query`, `stats`).
 * They keep answering while the DPU is down, from what was last seen.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Hardware } from '@virtnet/hw';
import { VirtnetError, type ControllerInfo, type Device, type ListResult, type QueryResult, type RpcArgs, type StatsResult } from '@virtnet/shared';
import { VERSION } from '../common/version.js';
import { HARDWARE } from '../hardware/hardware.module.js';
import type { Inventory } from '../hardware/inventory.js';
import { INVENTORY } from '../hardware/tokens.js';
import { DeviceRegistry } from './device-registry.js';
import { toControllerInfo, toQueueStats } from './device-view.js';

@Injectable()
export class DeviceQueries {
  constructor(
    @Inject(DeviceRegistry) private readonly registry: DeviceRegistry,
    @Inject(HARDWARE) private readonly hw: Hardware,
    @Inject(INVENTORY) private readonly inventory: Inventory,
  ) {}

  controllerInfo(): ControllerInfo {
    return toControllerInfo({
      profile: this.hw.profile,
      emulationManager: this.inventory.emulationManager,
      ibDevices: this.inventory.ibDevices,
      defaultFeatures: this.inventory.defaultFeatures,
      hotplugInUse: this.registry.all().filter((l) => l.row.kind === 'hotplug').length,
      provider: this.inventory.provider,
      version: VERSION,
    });
  }

  list(): ListResult {
    return { controller: this.controllerInfo(), devices: this.registry.devices() };
  }

  /** Every device, in (pf, vf) order, without queues. */
  devices(): Device[] {
    return this.registry.devices();
  }

  device(vuid: string): Device {
    return this.registry.view(this.registry.one({ vuid }), true);
  }

  query(p: RpcArgs<'query'>): QueryResult {
    const targets = this.registry.select(p.selector);
    if (p.selector.all && p.brief) return { devices: this.registry.devices() };
    const devices = targets.map((l) => this.registry.view(l, !p.brief));
    if (p.queue_id !== undefined && !p.brief) {
      for (const d of devices) {
        if (p.queue_id >= d.num_queues)
          throw new VirtnetError('INVALID_ARGUMENT', `queue ${p.queue_id} does not exist: ${d.vuid} has ${d.num_queues} queues`, 'queue_id');
        d.queues = d.queues!.filter((q) => q.index === p.queue_id);
      }
    }
    return { devices };
  }

  stats(p: RpcArgs<'stats'>): StatsResult {
    const l = this.registry.one(p.selector);
    const fn = this.hw.query(l.handle);
    let queues = this.hw.counters().filter((q) => q.handle === l.handle);
    if (p.queue_id !== undefined) {
      if (p.queue_id >= fn.numQueues)
        throw new VirtnetError('INVALID_ARGUMENT', `queue ${p.queue_id} does not exist: ${fn.vuid} has ${fn.numQueues} queues`, 'queue_id');
      queues = queues.filter((q) => q.qid === p.queue_id);
    }
    return { vuid: fn.vuid, pf_id: fn.pfId, ...(fn.vfId !== null ? { vf_id: fn.vfId } : {}), queues: queues.map((q) => toQueueStats(fn, q)) };
  }
}
