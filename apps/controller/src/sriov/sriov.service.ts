/**
 * SR-IOV of the static PFs. The host writes sriov_numvfs of a PF: VFs
 * 0..N-1 appear (each a device with its vhost-user socket and a MAC from
 * vf.mac_base), or with 0 they all go. As on Linux, a PF with VFs enabled
 * must go to 0 before it takes another count. All VFs of a request are
 * stored in one transaction: after a crash they are all there or none is.
 * Progress is published as the `set_vfs` operation.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Hardware, HwFunction } from '@virtnet/hw';
import { VirtnetError, normalizeMac, type RpcArgs, type SetVfsResult, type SriovStatus } from '@virtnet/shared';
import type { Actor } from '../audit/audit.service.js';
import { DEVICE_STORE, type DeviceStore } from '../database/stores.js';
import { ConfiguredFunctions } from '../devices/configured-functions.js';
import { DeviceRegistry, type LiveDevice } from '../devices/device-registry.js';
import { rowFromFunction } from '../devices/device-rows.js';
import { HARDWARE } from '../hardware/hardware.module.js';
import { OperationsService, type OperationHandle } from '../operations/operations.service.js';

@Injectable()
export class SriovService {
  constructor(
    @Inject(DeviceRegistry) private readonly registry: DeviceRegistry,
    @Inject(HARDWARE) private readonly hw: Hardware,
    @Inject(DEVICE_STORE) private readonly store: DeviceStore,
    @Inject(ConfiguredFunctions) private readonly configured: ConfiguredFunctions,
    @Inject(OperationsService) private readonly operations: OperationsService,
  ) {}

  /** Every static PF's SR-IOV state: total VFs, enabled VFs, and who set them. */
  async status(): Promise<SriovStatus> {
    const hostSet = await this.store.sriovStates();
    const lives = this.registry.all();
    return {
      pfs: lives
        .filter((l) => l.row.kind === 'static')
        .sort((a, b) => a.row.pfId - b.row.pfId)
        .map((l) => ({
          pf_id: l.row.pfId,
          vuid: l.row.vuid,
          total_vfs: this.configured.maxVfs(),
          num_vfs: lives.filter((v) => v.row.kind === 'vf' && v.row.pfId === l.row.pfId).length,
          source: hostSet.has(l.row.pfId) ? ('host' as const) : ('conf' as const),
        })),
    };
  }

  setVfs(p: RpcArgs<'set_vfs'>, actor: Actor): Promise<SetVfsResult> {
    return this.registry.mutate(actor, 'set_vfs', null, async (note) => {
      const t0 = performance.now();
      const pf = this.registry.all().find((l) => l.row.pfId === p.pf_id && l.row.kind !== 'vf');
      if (!pf) throw new VirtnetError('DEVICE_NOT_FOUND', `no device is PF ${p.pf_id}`, 'pf_id');
      if (pf.row.kind !== 'static') throw new VirtnetError('NOT_SUPPORTED', `PF ${p.pf_id} is hot-plugged; only static PFs have SR-IOV VFs`, 'pf_id');
      const max = this.configured.maxVfs();
      if (p.num_vfs > max) throw new VirtnetError('INVALID_ARGUMENT', `PF ${p.pf_id} has at most ${max} VFs (${this.configured.maxVfsSource()})`, 'num_vfs');
      const current = this.registry.all().filter((l) => l.row.kind === 'vf' && l.row.pfId === p.pf_id);
      note(pf.row.vuid, `sriov_numvfs ${current.length} -> ${p.num_vfs}`);
      if (current.length > 0 && p.num_vfs > 0 && current.length !== p.num_vfs)
        throw new VirtnetError('VFS_BUSY', `PF ${p.pf_id} has ${current.length} VFs enabled; set 0 first, as sriov_numvfs requires`, 'num_vfs');
      const op = this.operations.start('set_vfs', `pf ${p.pf_id}`, Math.max(p.num_vfs, current.length), actor);
      const result = (created: number, removed: number): SetVfsResult => ({
        pf_id: p.pf_id,
        num_vfs: p.num_vfs,
        created,
        removed,
        operation: op.id,
        elapsed_ms: performance.now() - t0,
      });
      try {
        let r: SetVfsResult;
        if (p.num_vfs === current.length) {
          await this.store.applyVfChange({ pfId: p.pf_id, numVfs: p.num_vfs, create: [], remove: [] });
          r = result(0, 0);
        } else if (p.num_vfs === 0) r = result(0, await this.disable(p.pf_id, current, op));
        else r = result(await this.enable(p.pf_id, p.num_vfs, op), 0);
        op.finish();
        return r;
      } catch (e) {
        op.finish(e);
        throw e;
      }
    });
  }

  private async disable(pfId: number, current: LiveDevice[], op: OperationHandle): Promise<number> {
    await this.store.applyVfChange({ pfId, numVfs: 0, create: [], remove: current.map((l) => l.row.vuid) });
    for (const l of current) {
      this.hw.destroy(l.handle);
      this.registry.remove(l.row.vuid);
      op.step();
    }
    return current.length;
  }

  private async enable(pfId: number, numVfs: number, op: OperationHandle): Promise<number> {
    const macs = this.registry.macs();
    const created: HwFunction[] = [];
    try {
      for (let vf = 0; vf < numVfs; vf++) {
        const spec = this.configured.vfSpec(pfId, vf);
        if (macs.has(normalizeMac(spec.mac))) throw new VirtnetError('MAC_IN_USE', `MAC ${spec.mac} of VF ${vf} is used by another device`, 'mac');
        created.push(this.hw.create(spec));
        op.step();
        // Let progress be read (operations, WebSocket) while a long request runs.
        if (vf % 8 === 7) await new Promise((r) => setImmediate(r));
      }
      const rows = await this.store.applyVfChange({ pfId, numVfs, create: created.map(rowFromFunction), remove: [] });
      rows.forEach((row, i) => this.registry.put(created[i]!, row));
    } catch (e) {
      for (const fn of created) this.hw.destroy(fn.handle);
      throw e;
    }
    for (const fn of created) this.registry.announce('device.added', fn, this.registry.get(fn.vuid)!.row.createdAt);
    return created.length;
  }
}
