/**
 * The changes an operator asks for: hot-plug, unplug, and modify (device
 * settings, interrupt moderation). Each runs alone, is audited, is on the
 * DPU and in the database before it is acknowledged, and is all or
 * nothing across the devices it names.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Hardware, HwFunction, HwFunctionChange } from '@virtnet/hw';
import { VirtnetError, deviceInVmMessage, normalizeMac, parseFeatures, type Device, type HotplugResult, type QueryResult, type RpcArgs, type RpcResult } from '@virtnet/shared';
import type { Actor } from '../audit/audit.service.js';
import { DEVICE_STORE, type DeviceRow, type DeviceRowPatch, type DeviceStore } from '../database/stores.js';
import { HARDWARE } from '../hardware/hardware.module.js';
import { newDeviceFeatures, type Inventory } from '../hardware/inventory.js';
import { INVENTORY } from '../hardware/tokens.js';
import { HostService } from '../hosts/host.js';
import { DeviceRegistry, selectorTarget, targetsName, type LiveDevice } from './device-registry.js';
import { moderationPatch, patchFromFunction, rowFromFunction } from './device-rows.js';

@Injectable()
export class DeviceOperations {
  private readonly log = new Logger('devices');

  constructor(
    @Inject(DeviceRegistry) private readonly registry: DeviceRegistry,
    @Inject(HARDWARE) private readonly hw: Hardware,
    @Inject(DEVICE_STORE) private readonly store: DeviceStore,
    @Inject(INVENTORY) private readonly inventory: Inventory,
    @Inject(HostService) private readonly host: HostService,
  ) {}

  hotplug(r: RpcArgs<'hotplug'>, actor: Actor): Promise<HotplugResult> {
    return this.registry.mutate(actor, 'hotplug', null, async (note) => {
      const mac = normalizeMac(r.mac);
      this.registry.ensureMacFree(mac);
      checkQueueCount(r.num_queues, this.hw.profile);
      const fn = this.hw.create({
        kind: 'hotplug',
        ibDevice: r.ib_device,
        mac,
        mtu: r.mtu,
        numQueues: r.num_queues,
        maxQueueSize: r.max_queue_size,
        transitional: r.legacy,
        features: newDeviceFeatures(this.inventory.defaultFeatures, parseFeatures(r.features)!, r.num_queues),
        ...(r.sf_num !== undefined ? { sfNum: r.sf_num } : {}),
      });
      await this.plugAndStore(fn);
      const bdf = this.host.hostBdf(fn.vuid) ?? fn.bdf;
      note(fn.vuid, `PF ${fn.pfId} at ${bdf} on port ${fn.port}, MAC ${fn.mac}, ${fn.numQueues} queues`);
      return { bdf, id: fn.pfId, transitional: fn.transitional ? 1 : 0, sf_rep_net_device: fn.sfRep, mac: fn.mac, vuid: fn.vuid };
    });
  }

  unplug(p: RpcArgs<'unplug'>, actor: Actor): Promise<RpcResult<'unplug'>> {
    return this.registry.mutate(actor, 'unplug', selectorTarget(p.selector), async (note) => {
      const l = this.registry.one(p.selector);
      if (l.row.kind !== 'hotplug')
        throw new VirtnetError('NOT_HOTPLUG', `${l.row.vuid} is a ${l.row.kind === 'vf' ? 'VF' : 'static PF'}; only hot-plugged devices can be unplugged`);
      const fn = this.hw.query(l.handle);
      const bdf = this.host.hostBdf(fn.vuid) ?? fn.bdf;
      // The host lets go first: if it will not, nothing changes. A crash
      // after this leaves the row, and the device goes back into the host.
      await this.host.unplug(fn);
      await this.store.remove(l.row.vuid);
      this.hw.destroy(l.handle);
      this.registry.remove(l.row.vuid);
      note(l.row.vuid, `PF ${fn.pfId} at ${bdf}`);
      return { vuid: l.row.vuid, pf_id: fn.pfId, bdf, status: 'unplugged' as const };
    });
  }

  modifyDevice(p: RpcArgs<'modify_device'>, actor: Actor): Promise<QueryResult> {
    return this.registry.mutate(actor, 'modify_device', selectorTarget(p.selector), async (note) => {
      const targets = this.registry.select(p.selector);
      const d = p.device;
      const inVm = targets.find((t) => this.host.mode === 'qemu' && this.host.hostBdf(t.row.vuid) !== undefined);
      if (inVm) throw new VirtnetError('NOT_SUPPORTED', deviceInVmMessage(inVm.row.vuid));
      const change: HwFunctionChange = {};
      if (d.mac !== undefined) {
        if (targets.length > 1) throw new VirtnetError('INVALID_ARGUMENT', 'one MAC cannot be given to several devices', 'mac');
        change.mac = normalizeMac(d.mac);
        this.registry.ensureMacFree(change.mac, targets[0]!.row.vuid);
      }
      if (d.mtu !== undefined) change.mtu = d.mtu;
      if (d.features !== undefined) change.features = parseFeatures(d.features)!;
      if (d.max_queue_size !== undefined) change.maxQueueSize = d.max_queue_size;
      if (d.num_msix !== undefined) change.numMsix = d.num_msix;
      note(targetsName(targets), JSON.stringify(d));
      return this.applyToAll(targets, (l) => this.hw.modify(l.handle, change), patchFromFunction);
    });
  }

  modifyQueue(p: RpcArgs<'modify_queue'>, actor: Actor): Promise<QueryResult> {
    return this.registry.mutate(actor, 'modify_queue', selectorTarget(p.selector), async (note) => {
      const targets = this.registry.select(p.selector);
      const q = p.queue;
      note(targetsName(targets), JSON.stringify(q));
      return this.applyToAll(targets, (l) => this.hw.setModeration(l.handle, q.event_mode, q.period_us, q.max_count), moderationPatch);
    });
  }

  /**
   * Shows a function the DPU just created to the host, then stores it; on
   * failure it is taken away again. The host sees it before it is stored:
   * a crash in between leaves a device in the host that no row backs,
   * which the host adapter removes when it reconciles; never a row the
   * host never saw. Runs inside a mutation.
   */
  async plugAndStore(fn: HwFunction): Promise<Device> {
    try {
      await this.host.plug(fn);
    } catch (e) {
      this.hw.destroy(fn.handle);
      throw e;
    }
    try {
      return await this.persistNew(fn);
    } catch (e) {
      await this.host.unplug(fn).catch((u: unknown) => this.log.error(`${fn.vuid} stays in the host after a failed hot-plug: ${(u as Error).message}`));
      this.hw.destroy(fn.handle);
      throw e;
    }
  }

  /** Stores a function the DPU just created; on failure the caller takes it away again. */
  private async persistNew(fn: HwFunction): Promise<Device> {
    let row: DeviceRow;
    try {
      row = await this.store.create(rowFromFunction(fn));
    } catch (e) {
      if ((e as { code?: string }).code === 'P2002') throw new VirtnetError('MAC_IN_USE', `MAC ${fn.mac} is used by another device`, 'mac');
      throw e;
    }
    this.registry.put(fn, row);
    return this.registry.announce('device.added', fn, row.createdAt);
  }

  /**
   * Applies one change to every target, all or nothing: if the DPU refuses
   * it for one device, or the database write fails, the devices already
   * changed are restored before the error is reported.
   */
  private async applyToAll(targets: LiveDevice[], apply: (l: LiveDevice) => HwFunction, patch: (fn: HwFunction) => DeviceRowPatch): Promise<QueryResult> {
    const done: { l: LiveDevice; before: HwFunction; after: HwFunction }[] = [];
    try {
      for (const l of targets) {
        const before = this.hw.query(l.handle);
        done.push({ l, before, after: apply(l) });
      }
      const rows = await this.store.updateMany(done.map((c) => ({ vuid: c.l.row.vuid, patch: patch(c.after) })));
      rows.forEach((row, i) => (done[i]!.l.row = row));
    } catch (e) {
      for (const c of done.reverse()) this.restore(c.l.handle, c.before);
      throw e;
    }
    return { devices: done.map((c) => this.registry.announce('device.updated', c.after, c.l.row.createdAt)) };
  }

  private restore(handle: number, before: HwFunction): void {
    try {
      this.hw.modify(handle, { mac: before.mac, mtu: before.mtu, features: before.deviceFeatures, maxQueueSize: before.maxQueueSize, ...(before.kind === 'vf' ? { numMsix: before.numMsix } : {}) });
      this.hw.setModeration(handle, before.eventMode, before.moderationPeriodUs, before.moderationMaxCount);
    } catch (e) {
      this.log.error(`could not restore ${before.vuid} after a failed change: ${(e as Error).message}`);
    }
  }
}

/**
 * A hot-plugged PF's queue count, with a count that works in the refusal:
 * the DPU allows min(max_virt_queues, PF MSI-X) virtqueues (and refuses
 * more itself), and more than one RX/TX pair needs the control queue, so an
 * odd count.
 */
export function checkQueueCount(n: number, p: { maxVirtqueues: number; pfMsix: number }): void {
  const limit = Math.min(p.maxVirtqueues, p.pfMsix);
  const largest = limit % 2 ? limit : limit - 1;
  const most = `at most ${largest} (${(largest - 1) / 2} queue pairs and the control queue)`;
  if (n > limit)
    throw new VirtnetError('QUEUES_EXCEED_LIMIT', `${n} queues exceed the limit of ${limit} (min of max_virt_queues ${p.maxVirtqueues} and MSI-X ${p.pfMsix}): use ${most}`, 'num_queues');
  const pairs = Math.floor(n / 2);
  if (n % 2 === 0 && pairs > 1)
    throw new VirtnetError(
      'FEATURES_CONFLICT',
      `${n} queues make ${pairs} queue pairs, and more than one pair needs the control queue (MQ): use an odd count such as ${n + 1 <= limit ? n + 1 : n - 1}`,
      'num_queues',
    );
}
