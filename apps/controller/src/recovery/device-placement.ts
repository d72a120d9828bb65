/**
 * Places a device a recovery file describes: creates it, or replaces the
 * static PF or VF at the same position. A hot-plugged device already
 * present with the same MAC, SF number and ib device is left alone. One
 * device is one transaction, audited as `import_recovery`.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Hardware, HwFunction, HwFunctionSpec } from '@virtnet/hw';
import { VirtnetError, driverBound, normalizeMac } from '@virtnet/shared';
import type { Actor } from '../audit/audit.service.js';
import { DEVICE_STORE, type DeviceRow, type DeviceStore } from '../database/stores.js';
import { DeviceOperations } from '../devices/device-operations.service.js';
import { DeviceRegistry, type LiveDevice } from '../devices/device-registry.js';
import { replacementPatch, rowFromFunction, specFromRow } from '../devices/device-rows.js';
import { HARDWARE } from '../hardware/hardware.module.js';

export type Placement = { vuid: string; action: 'created' | 'updated' | 'unchanged' };

@Injectable()
export class DevicePlacement {
  constructor(
    @Inject(DeviceRegistry) private readonly registry: DeviceRegistry,
    @Inject(DeviceOperations) private readonly operations: DeviceOperations,
    @Inject(HARDWARE) private readonly hw: Hardware,
    @Inject(DEVICE_STORE) private readonly store: DeviceStore,
  ) {}

  place(spec: HwFunctionSpec, actor: Actor, source: string): Promise<Placement> {
    return this.registry.mutate(actor, 'import_recovery', source, async (note) => {
      const mac = normalizeMac(spec.mac);
      const lives = this.registry.all();
      const existing =
        spec.kind === 'hotplug'
          ? lives.find((l) => l.row.kind === 'hotplug' && l.row.mac === mac)
          : lives.find((l) => l.row.kind === spec.kind && l.row.pfId === spec.pfIndex && (spec.kind !== 'vf' || l.row.vfId === spec.vfIndex));
      if (existing && spec.kind === 'hotplug') {
        if (existing.row.sfNum === spec.sfNum && existing.row.ibDevice === spec.ibDevice) {
          note(existing.row.vuid, `already present (${source})`);
          return { vuid: existing.row.vuid, action: 'unchanged' as const };
        }
        throw new VirtnetError('MAC_IN_USE', `MAC ${mac} is used by ${existing.row.vuid}`, 'mac');
      }
      this.registry.ensureMacFree(mac, existing?.row.vuid);
      if (existing) {
        const fn = await this.replace(existing, spec);
        note(fn.vuid, `replaced from ${source}`);
        return { vuid: fn.vuid, action: 'updated' as const };
      }
      const fn = this.hw.create(spec);
      if (fn.kind === 'vf') await this.storeVf(fn, lives);
      else await this.operations.plugAndStore(fn);
      note(fn.vuid, `created from ${source}`);
      return { vuid: fn.vuid, action: 'created' as const };
    });
  }

  /** A new VF raises its PF's sriov_numvfs to cover it, in the same transaction. */
  private async storeVf(fn: HwFunction, lives: LiveDevice[]): Promise<void> {
    const vfs = lives.filter((l) => l.row.kind === 'vf' && l.row.pfId === fn.pfId).map((l) => l.row.vfId ?? 0);
    let rows: DeviceRow[];
    try {
      rows = await this.store.applyVfChange({ pfId: fn.pfId, numVfs: Math.max(fn.vfId ?? 0, ...vfs) + 1, create: [rowFromFunction(fn)], remove: [] });
    } catch (e) {
      this.hw.destroy(fn.handle);
      throw e;
    }
    this.registry.put(fn, rows[0]!);
    this.registry.announce('device.added', fn, rows[0]!.createdAt);
  }

  /** The static PF or VF at the spec's position, replaced by the spec; put back as it was when that fails. */
  private async replace(existing: LiveDevice, spec: HwFunctionSpec): Promise<HwFunction> {
    // A driver in mid-probe holds the device as one that finished does: modify refuses both (DRIVER_BOUND).
    const before = this.hw.query(existing.handle);
    if (driverBound(before.deviceStatus)) throw new VirtnetError('DRIVER_BOUND', `${before.vuid}: the host driver is bound; unbind it before importing over it`);
    this.hw.destroy(existing.handle);
    let fn: HwFunction;
    try {
      fn = this.hw.create(spec);
    } catch (e) {
      existing.handle = this.hw.create(specFromRow(existing.row)).handle;
      throw e;
    }
    try {
      const [row] = await this.store.updateMany([{ vuid: existing.row.vuid, patch: replacementPatch(fn) }]);
      this.registry.put(fn, row!);
    } catch (e) {
      this.hw.destroy(fn.handle);
      existing.handle = this.hw.create(specFromRow(existing.row)).handle;
      throw e;
    }
    this.registry.announce('device.updated', fn, existing.row.createdAt);
    return fn;
  }
}
