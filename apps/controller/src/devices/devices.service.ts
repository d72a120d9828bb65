/**
 * The device lifecycle: hot-plug, unplug, modify, query, and reconciliation
 * at boot. The DPU holds the live devices (its own process: they outlive
 * this controller); the database holds every device the controller
 * acknowledged, and is written before a change is acknowledged. At start
 * the two are reconciled: devices the DPU still runs are kept as they are
 * (a restart or live update stops no frame), stored devices it lacks are
 * created again (after a DPU crash, all of them), and functions no row
 * backs are removed.
 */
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HwError, type Hardware, type HwFunction, type HwFunctionChange, type HwFunctionSpec, type HwQueueCounters } from '@virtnet/hw';
import {
  HotplugRequestSchema,
  ModifyDeviceParamsSchema,
  ModifyQueueParamsSchema,
  HostActionParamsSchema,
  QueryParamsSchema,
  SetVfsParamsSchema,
  StatsParamsSchema,
  UnplugParamsSchema,
  VirtnetError,
  deviceInVmMessage,
  formatFeatures,
  macAdd,
  normalizeMac,
  parseFeatures,
  parseOrThrow,
  type ControllerInfo,
  type SriovStatus,
  type Device,
  type HostStatus,
  type HotplugResult,
  type ListResult,
  type QueryResult,
  type Selector,
  type SetVfsResult,
  type StatsResult,
  type VirtnetConf,
} from '@virtnet/shared';
import { Serializer } from '../common/serializer.js';
import { toVirtnetError } from '../common/errors.js';
import { VERSION } from '../common/version.js';
import { DEVICE_STORE, type DeviceRow, type DeviceRowPatch, type DeviceStore, type NewDeviceRow } from '../database/stores.js';
import { EventBus } from '../events/event-bus.js';
import { HARDWARE } from '../hardware/hardware.module.js';
import { STATIC_PF_DEFAULTS, STATIC_PF_MAC_BASE, VF_MAC_BASE, newDeviceFeatures, type Inventory } from '../hardware/inventory.js';
import { CONF, INVENTORY } from '../hardware/tokens.js';
import { AuditService, type Actor } from './audit.service.js';
import { HostService } from '../hosts/host.js';
import { SETTINGS, type Settings } from '../settings/settings.js';
import { OperationsService } from '../operations/operations.service.js';
import { toControllerInfo, toDevice, toQueueStats } from './device-view.js';

type Note = (target: string, detail: string) => void;

interface Live {
  handle: number;
  row: DeviceRow;
  /** The function as last read from the DPU: what reads show while it is down. */
  fn?: HwFunction;
}

export interface RecoveryReport {
  /** Stored devices created again on the DPU. */
  recovered: number;
  /** Static PFs and VFs created from the profile and virtnet.conf. */
  created: number;
  /** Stored devices the DPU was still running, kept as they were. */
  adopted: number;
  /** Functions the DPU held that no stored device backs (a crash between the two), removed. */
  removed: number;
  failed: { vuid: string; code: string; message: string }[];
}

const EMPTY_REPORT = (): RecoveryReport => ({ recovered: 0, created: 0, adopted: 0, removed: 0, failed: [] });

@Injectable()
export class DevicesService implements OnModuleInit {
  private readonly log = new Logger('devices');
  private readonly live = new Map<string, Live>();
  private readonly serializer = new Serializer();
  private recovery: RecoveryReport = EMPTY_REPORT();
  /** Why changes are refused (a live update or restart is handing over); null when they are not. */
  private frozen: string | null = null;

  constructor(
    @Inject(HARDWARE) private readonly hw: Hardware,
    @Inject(DEVICE_STORE) private readonly store: DeviceStore,
    @Inject(INVENTORY) private readonly inventory: Inventory,
    @Inject(CONF) private readonly conf: VirtnetConf,
    @Inject(EventBus) private readonly events: EventBus,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(HostService) private readonly host: HostService,
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(OperationsService) private readonly operations: OperationsService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.recovery = await this.recover();
    await this.host.start(() => this.functions());
  }

  get recoveryReport(): RecoveryReport {
    return this.recovery;
  }

  get count(): number {
    return this.live.size;
  }

  /**
   * Stops accepting changes once the one running (if any) is done, so a
   * new controller can take the database over consistently. Reads go on.
   */
  freeze(why: string): Promise<void> {
    return this.serializer.run(async () => {
      this.frozen = why;
    });
  }

  unfreeze(): void {
    this.frozen = null;
  }

  /**
   * Creates a device from a full spec (a recovery-file import), or replaces
   * the static PF or VF at the same position. A hot-plugged device already
   * present with the same MAC, SF number and ib device is left alone. One
   * device is one transaction.
   */
  placeDevice(spec: HwFunctionSpec, actor: Actor, source: string): Promise<{ vuid: string; action: 'created' | 'updated' | 'unchanged' }> {
    return this.mutate(actor, 'import_recovery', source, async (note) => {
      const mac = normalizeMac(spec.mac);
      const lives = [...this.live.values()];
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
      this.ensureMacFree(mac, existing?.row.vuid);
      if (!existing) {
        const fn = this.hw.create(spec);
        if (fn.kind === 'vf') {
          const vfs = lives.filter((l) => l.row.kind === 'vf' && l.row.pfId === fn.pfId).map((l) => l.row.vfId ?? 0);
          let rows: DeviceRow[];
          try {
            rows = await this.store.applyVfChange({ pfId: fn.pfId, numVfs: Math.max(fn.vfId ?? 0, ...vfs) + 1, create: [rowFromFunction(fn)], remove: [] });
          } catch (e) {
            this.hw.destroy(fn.handle);
            throw e;
          }
          this.live.set(fn.vuid, { handle: fn.handle, row: rows[0]!, fn });
          this.events.emit('device.added', { device: this.present(fn, rows[0]!.createdAt) });
        } else await this.exposeAndStore(fn);
        note(fn.vuid, `created from ${source}`);
        return { vuid: fn.vuid, action: 'created' as const };
      }
      const before = this.hw.query(existing.handle);
      if (before.deviceStatus & 4) throw new VirtnetError('DRIVER_BOUND', `${before.vuid}: the host driver is bound; unbind it before importing over it`);
      this.hw.destroy(existing.handle);
      let fn: HwFunction;
      try {
        fn = this.hw.create(spec);
      } catch (e) {
        existing.handle = this.hw.create(specFromRow(existing.row)).handle;
        throw e;
      }
      try {
        const patch: DeviceRowPatch = rowFromFunction(fn);
        delete (patch as { vuid?: string }).vuid;
        const [row] = await this.store.updateMany([{ vuid: existing.row.vuid, patch }]);
        this.live.set(fn.vuid, { handle: fn.handle, row: row!, fn });
      } catch (e) {
        this.hw.destroy(fn.handle);
        existing.handle = this.hw.create(specFromRow(existing.row)).handle;
        throw e;
      }
      this.events.emit('device.updated', { device: this.present(fn, existing.row.createdAt) });
      note(fn.vuid, `replaced from ${source}`);
      return { vuid: fn.vuid, action: 'updated' as const };
    });
  }

  /** The engine's functions that are live devices (recovery records, the host adapter's reconciliation). */
  functions(): HwFunction[] {
    return this.snapshot().map((x) => x.fn);
  }

  /**
   * Every live device with its function: read from the DPU (and kept), or
   * while the DPU is down, as last seen with no driver attached, so that
   * reads go on answering.
   */
  private snapshot(): { l: Live; fn: HwFunction }[] {
    const lives = [...this.live.values()];
    let fns: HwFunction[];
    try {
      fns = this.hw.list();
    } catch (e) {
      if (!(e instanceof HwError) || e.code !== 'DPU_UNAVAILABLE') throw e;
      return lives.flatMap((l) => (l.fn ? [{ l, fn: whileDown(l.fn) }] : []));
    }
    const byHandle = new Map(fns.map((f) => [f.handle, f]));
    const out: { l: Live; fn: HwFunction }[] = [];
    for (const l of lives) {
      const fn = byHandle.get(l.handle);
      if (!fn) continue;
      l.fn = fn;
      out.push({ l, fn });
    }
    return out;
  }

  /**
   * The DPU went away and a new one runs, empty: every stored device is
   * created again at the same VUID, BDF, MAC and SF number. Runs alone, as
   * a mutation does.
   */
  rebuild(): Promise<RecoveryReport> {
    return this.serializer.run(async () => {
      const gone = [...this.live.keys()];
      this.live.clear();
      this.recovery = await this.recover();
      for (const vuid of gone) if (!this.live.has(vuid)) this.events.emit('device.removed', { vuid });
      for (const l of this.live.values()) this.events.emit('device.updated', { device: this.present(this.hw.query(l.handle), l.row.createdAt) });
      return this.recovery;
    });
  }

  /**
   * Reconciles the database with the DPU: stored devices the DPU runs are
   * kept (set back to their stored settings if a crash cut a change short),
   * the ones it lacks are created at their exact position, functions no row
   * backs are removed; then the static PFs and VFs of the configuration
   * that have no row yet are created.
   */
  async recover(): Promise<RecoveryReport> {
    const report = EMPTY_REPORT();
    if (this.conf.recovery === false) {
      // virtnet.conf's recovery: 0: nothing of the last run is recreated; only the configured PFs and VFs are made anew.
      const forgotten = (await this.store.all()).length;
      await this.store.clear();
      this.log.warn(`recovery is disabled in virtnet.conf: ${forgotten} stored devices and every SR-IOV setting forgotten`);
    }
    const rows = await this.store.all();
    const order = { static: 0, vf: 1, hotplug: 2 } as Record<string, number>;
    rows.sort((a, b) => (order[a.kind] ?? 3) - (order[b.kind] ?? 3) || a.pfId - b.pfId || (a.vfId ?? -1) - (b.vfId ?? -1));
    const running = new Map(this.hw.list().map((f) => [f.vuid, f]));
    const stored = new Set(rows.map((r) => r.vuid));
    // Functions no row backs go first: they may hold a position or MAC a stored device needs.
    for (const fn of running.values()) {
      if (stored.has(fn.vuid)) continue;
      this.hw.destroy(fn.handle);
      running.delete(fn.vuid);
      report.removed++;
      this.log.warn(`removed ${fn.vuid} (PF ${fn.pfId}${fn.vfId !== null ? ` VF ${fn.vfId}` : ''}) from the DPU: no stored device backs it (a crash came between the DPU and the database)`);
    }
    for (const row of rows) {
      try {
        const fn = running.get(row.vuid);
        if (fn) {
          this.live.set(row.vuid, { handle: fn.handle, row: await this.adopt(row, fn), fn });
          report.adopted++;
          continue;
        }
        const created = this.hw.create(specFromRow(row));
        if (created.vuid !== row.vuid) {
          this.hw.destroy(created.handle);
          throw new VirtnetError('INTERNAL', `recreated at ${created.vuid} instead of ${row.vuid}: the DPU profile changed`);
        }
        if (row.eventMode !== 'event' || row.periodUs !== 0 || row.maxCount !== 0) {
          this.hw.setModeration(created.handle, row.eventMode === 'cqe' ? 'cqe' : 'event', row.periodUs, row.maxCount);
        }
        this.live.set(row.vuid, { handle: created.handle, row, fn: created });
        report.recovered++;
      } catch (e) {
        const err = toVirtnetError(e);
        report.failed.push({ vuid: row.vuid, code: err.code, message: err.message });
        this.log.error(`device ${row.vuid} not recovered: ${err.code}: ${err.message}`);
      }
    }
    await this.createConfiguredFunctions(rows, report);
    const swept = this.hw.sweep();
    if (swept.representors) this.log.warn(`removed ${swept.representors} leftover representor netdev(s) of devices that no longer exist (an unplug cut short)`);
    if (swept.sockets) this.log.log(`removed ${swept.sockets} vhost-user socket file(s) of devices that no longer exist`);
    const fallback = this.hw.list().find((f) => f.backend === 'echo' && f.backendNote.startsWith('echo:'));
    if (fallback) this.log.warn(`representors run in echo mode (RX receives what TX sent): ${fallback.backendNote}`);
    this.log.log(
      `reconciled with the DPU: ${report.adopted} devices kept running, ${report.recovered} recreated, ${report.created} static PFs and VFs created, ${report.removed} unbacked functions removed, ${report.failed.length} failed`,
    );
    return report;
  }

  /**
   * A stored device the DPU still runs. A crash between a change on the DPU
   * and its row leaves the two apart: the row (what was acknowledged) wins,
   * unless the host driver has bound the device since, in which case the
   * DPU's settings are kept and the row follows them.
   */
  private async adopt(row: DeviceRow, fn: HwFunction): Promise<DeviceRow> {
    const want = specFromRow(row);
    const apart =
      fn.mac !== row.mac || fn.mtu !== row.mtu || fn.deviceFeatures !== want.features || fn.maxQueueSize !== row.maxQueueSize || (fn.kind === 'vf' && fn.numMsix !== row.numMsix);
    const moderation = fn.eventMode !== row.eventMode || fn.moderationPeriodUs !== row.periodUs || fn.moderationMaxCount !== row.maxCount;
    if (moderation) this.hw.setModeration(fn.handle, row.eventMode === 'cqe' ? 'cqe' : 'event', row.periodUs, row.maxCount);
    if (!apart) return row;
    try {
      this.hw.modify(fn.handle, { mac: row.mac, mtu: row.mtu, features: want.features, maxQueueSize: row.maxQueueSize, ...(fn.kind === 'vf' ? { numMsix: row.numMsix } : {}) });
      this.log.warn(`${row.vuid}: a change the database never recorded was undone on the DPU`);
      return row;
    } catch (e) {
      const [updated] = await this.store.updateMany([{ vuid: row.vuid, patch: patchFromFunction(fn) }]);
      this.log.warn(`${row.vuid}: the DPU runs settings the database lacks and the host driver holds them (${toVirtnetError(e).code}); the database now records them`);
      return updated!;
    }
  }

  /** The MAC of VF `vf` of PF `pf`: vf.mac_base counting up across PFs (each PF's block is vfs_per_pf, or its total VFs, long). */
  private vfMac(pf: number, vf: number): string {
    const stride = this.conf.vf?.vfs_per_pf || this.hw.profile.vfsPerPf;
    return macAdd(this.conf.vf?.mac_base ?? VF_MAC_BASE, pf * stride + vf);
  }

  private vfSpec(pf: number, vf: number): HwFunctionSpec {
    const extra = this.conf.vf?.features ? parseFeatures(this.conf.vf.features)! : this.inventory.defaultFeatures;
    const common = { ibDevice: this.inventory.staticPfIbDevice, transitional: false, ...STATIC_PF_DEFAULTS } as const;
    return { ...common, kind: 'vf', pfIndex: pf, vfIndex: vf, mac: this.vfMac(pf, vf), features: newDeviceFeatures(extra, 0n, common.numQueues) };
  }

  /** The most VFs the host may enable on a PF: vf.vfs_per_pf when set (its MAC block), else the PF's total VFs. */
  private maxVfs(): number {
    return this.conf.vf?.vfs_per_pf ?? this.hw.profile.vfsPerPf;
  }

  /**
   * Creates the static PFs of the profile that have no row yet, and brings
   * each PF's VFs to its sriov_numvfs: what the host last set, or
   * vf.vfs_per_pf when the host never did. MACs come from the configured
   * bases (base + 0, base + 1, ...). Everything is stored in one transaction.
   */
  private async createConfiguredFunctions(rows: DeviceRow[], report: RecoveryReport): Promise<void> {
    const p = this.hw.profile;
    const hostSet = await this.store.sriovStates();
    const plans: { label: string; spec: HwFunctionSpec }[] = [];
    const common = { ibDevice: this.inventory.staticPfIbDevice, transitional: false, ...STATIC_PF_DEFAULTS } as const;
    for (let pf = 0; pf < p.staticPfs; pf++) {
      if (rows.some((r) => r.kind === 'static' && r.pfId === pf)) continue;
      const extra = this.conf.static_pf?.features ? parseFeatures(this.conf.static_pf.features)! : this.inventory.defaultFeatures;
      const mac = macAdd(this.conf.static_pf?.mac_base ?? STATIC_PF_MAC_BASE, pf);
      plans.push({ label: `static PF ${pf}`, spec: { ...common, kind: 'static', pfIndex: pf, mac, features: newDeviceFeatures(extra, 0n, common.numQueues) } });
    }
    const surplus: Live[] = [];
    for (let pf = 0; pf < p.staticPfs; pf++) {
      const want = Math.min(hostSet.get(pf) ?? this.conf.vf?.vfs_per_pf ?? 0, this.maxVfs());
      for (let vf = 0; vf < want; vf++) {
        if (rows.some((r) => r.kind === 'vf' && r.pfId === pf && r.vfId === vf)) continue;
        plans.push({ label: `VF ${vf} of PF ${pf}`, spec: this.vfSpec(pf, vf) });
      }
      for (const l of this.live.values()) if (l.row.kind === 'vf' && l.row.pfId === pf && (l.row.vfId ?? 0) >= want) surplus.push(l);
    }
    if (surplus.length) {
      // vf.vfs_per_pf was lowered since these were made: the configuration wins at start.
      await this.store.applyVfChange({ pfId: -1, numVfs: null, create: [], remove: surplus.map((l) => l.row.vuid) });
      for (const l of surplus) {
        this.hw.destroy(l.handle);
        this.live.delete(l.row.vuid);
      }
      this.log.log(`${surplus.length} VFs beyond vf.vfs_per_pf removed`);
    }
    const created: HwFunction[] = [];
    const macs = new Set([...this.live.values()].map((l) => l.row.mac));
    for (const plan of plans) {
      try {
        if (macs.has(normalizeMac(plan.spec.mac))) throw new VirtnetError('MAC_IN_USE', `MAC ${plan.spec.mac} is used by another device`, 'mac');
        const fn = this.hw.create(plan.spec);
        macs.add(fn.mac);
        created.push(fn);
      } catch (e) {
        const err = toVirtnetError(e);
        report.failed.push({ vuid: plan.label, code: err.code, message: err.message });
        this.log.error(`${plan.label} not created: ${err.code}: ${err.message}`);
      }
    }
    if (created.length === 0) return;
    let stored: DeviceRow[];
    try {
      stored = await this.store.createMany(created.map(rowFromFunction));
    } catch (e) {
      for (const fn of created) this.hw.destroy(fn.handle);
      throw e;
    }
    stored.forEach((row, i) => {
      const fn = created[i]!;
      this.live.set(fn.vuid, { handle: fn.handle, row, fn });
      this.events.emit('device.added', { device: this.present(fn, row.createdAt) });
    });
    report.created += created.length;
    const pfs = created.filter((f) => f.kind === 'static').length;
    await this.audit.record({
      actor: 'system',
      action: 'create_configured',
      target: created.length === 1 ? created[0]!.vuid : `${created.length} devices`,
      result: 'ok',
      errorCode: null,
      detail: `${pfs} static PFs and ${created.length - pfs} VFs from the profile and virtnet.conf`,
    });
  }

  /** Every static PF's SR-IOV state: total VFs, enabled VFs, and who set them. */
  async sriovStatus(): Promise<SriovStatus> {
    const hostSet = await this.store.sriovStates();
    const lives = [...this.live.values()];
    return {
      pfs: lives
        .filter((l) => l.row.kind === 'static')
        .sort((a, b) => a.row.pfId - b.row.pfId)
        .map((l) => ({
          pf_id: l.row.pfId,
          vuid: l.row.vuid,
          total_vfs: this.maxVfs(),
          num_vfs: lives.filter((v) => v.row.kind === 'vf' && v.row.pfId === l.row.pfId).length,
          source: hostSet.has(l.row.pfId) ? ('host' as const) : ('conf' as const),
        })),
    };
  }

  /**
   * The host writes sriov_numvfs of a static PF: VFs 0..N-1 appear (each a
   * device with its vhost-user socket and a MAC from vf.mac_base), or with
   * 0 they all go. As on Linux, a PF with VFs enabled must go to 0 before it
   * takes another count. All VFs of the request are stored in one
   * transaction: after a crash they are all there or none is. Progress is
   * published as the `set_vfs` operation.
   */
  setVfs(params: unknown, actor: Actor): Promise<SetVfsResult> {
    return this.mutate(actor, 'set_vfs', null, async (note) => {
      const t0 = performance.now();
      const p = parseOrThrow(SetVfsParamsSchema, params);
      const pf = [...this.live.values()].find((l) => l.row.pfId === p.pf_id && l.row.kind !== 'vf');
      if (!pf) throw new VirtnetError('DEVICE_NOT_FOUND', `no device is PF ${p.pf_id}`, 'pf_id');
      if (pf.row.kind !== 'static') throw new VirtnetError('NOT_SUPPORTED', `PF ${p.pf_id} is hot-plugged; only static PFs have SR-IOV VFs`, 'pf_id');
      const max = this.maxVfs();
      if (p.num_vfs > max)
        throw new VirtnetError('INVALID_ARGUMENT', `PF ${p.pf_id} has at most ${max} VFs (${this.conf.vf?.vfs_per_pf !== undefined ? 'vf.vfs_per_pf' : 'VIRTIO_NET_EMULATION_NUM_VF'})`, 'num_vfs');
      const current = [...this.live.values()].filter((l) => l.row.kind === 'vf' && l.row.pfId === p.pf_id);
      note(pf.row.vuid, `sriov_numvfs ${current.length} -> ${p.num_vfs}`);
      if (current.length > 0 && p.num_vfs > 0 && current.length !== p.num_vfs)
        throw new VirtnetError('VFS_BUSY', `PF ${p.pf_id} has ${current.length} VFs enabled; set 0 first, as sriov_numvfs requires`, 'num_vfs');
      const op = this.operations.start('set_vfs', `pf ${p.pf_id}`, Math.max(p.num_vfs, current.length), actor);
      try {
        if (p.num_vfs === current.length) {
          await this.store.applyVfChange({ pfId: p.pf_id, numVfs: p.num_vfs, create: [], remove: [] });
          op.finish();
          return { pf_id: p.pf_id, num_vfs: p.num_vfs, created: 0, removed: 0, operation: op.id, elapsed_ms: performance.now() - t0 };
        }
        if (p.num_vfs === 0) {
          await this.store.applyVfChange({ pfId: p.pf_id, numVfs: 0, create: [], remove: current.map((l) => l.row.vuid) });
          for (const l of current) {
            this.hw.destroy(l.handle);
            this.live.delete(l.row.vuid);
            this.events.emit('device.removed', { vuid: l.row.vuid });
            op.step();
          }
          op.finish();
          return { pf_id: p.pf_id, num_vfs: 0, created: 0, removed: current.length, operation: op.id, elapsed_ms: performance.now() - t0 };
        }
        const macs = new Set([...this.live.values()].map((l) => l.row.mac));
        const created: HwFunction[] = [];
        try {
          for (let vf = 0; vf < p.num_vfs; vf++) {
            const spec = this.vfSpec(p.pf_id, vf);
            if (macs.has(normalizeMac(spec.mac))) throw new VirtnetError('MAC_IN_USE', `MAC ${spec.mac} of VF ${vf} is used by another device`, 'mac');
            created.push(this.hw.create(spec));
            op.step();
            // Let progress be read (operations, WebSocket) while a long request runs.
            if (vf % 8 === 7) await new Promise((r) => setImmediate(r));
          }
          const rows = await this.store.applyVfChange({ pfId: p.pf_id, numVfs: p.num_vfs, create: created.map(rowFromFunction), remove: [] });
          rows.forEach((row, i) => this.live.set(row.vuid, { handle: created[i]!.handle, row, fn: created[i] }));
        } catch (e) {
          for (const fn of created) this.hw.destroy(fn.handle);
          throw e;
        }
        for (const fn of created) this.events.emit('device.added', { device: this.present(fn, this.live.get(fn.vuid)!.row.createdAt) });
        op.finish();
        return { pf_id: p.pf_id, num_vfs: p.num_vfs, created: created.length, removed: 0, operation: op.id, elapsed_ms: performance.now() - t0 };
      } catch (e) {
        op.finish(e);
        throw e;
      }
    });
  }

  /**
   * Shows a function the engine just created to the host, then stores it;
   * on failure it is taken away again. The host sees it before it is
   * stored: a crash in between leaves a device in the host that no row
   * backs, which the host adapter removes when it reconciles; never a row
   * the host never saw.
   */
  private async exposeAndStore(fn: HwFunction): Promise<Device> {
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

  /** Stores a function the engine just created; on failure the caller takes it away again. */
  private async persistNew(fn: HwFunction): Promise<Device> {
    let row: DeviceRow;
    try {
      row = await this.store.create(rowFromFunction(fn));
    } catch (e) {
      if ((e as { code?: string }).code === 'P2002') throw new VirtnetError('MAC_IN_USE', `MAC ${fn.mac} is used by another device`, 'mac');
      throw e;
    }
    this.live.set(fn.vuid, { handle: fn.handle, row, fn });
    const device = this.present(fn, row.createdAt);
    this.events.emit('device.added', { device });
    return device;
  }

  /**
   * Runs one mutation alone and records it in the audit log, success or
   * failure. The task may name its target and a detail once it knows them.
   */
  private mutate<T>(actor: Actor, action: string, target: string | null, task: (note: Note) => Promise<T>): Promise<T> {
    return this.serializer.run(async () => {
      if (this.frozen) throw new VirtnetError('UPDATE_IN_PROGRESS', `${this.frozen}: the devices are being handed over to the new controller; retry in a moment`);
      const entry = { target, detail: null as string | null };
      try {
        const result = await task((t, detail) => Object.assign(entry, { target: t, detail }));
        await this.audit.record({ actor, action, target: entry.target, result: 'ok', errorCode: null, detail: entry.detail });
        return result;
      } catch (e) {
        const err = toVirtnetError(e);
        if (err.code === 'INTERNAL') this.log.error(`${action} failed`, e instanceof Error ? e.stack : String(e));
        await this.audit.record({ actor, action, target: entry.target, result: 'error', errorCode: err.code, detail: err.message });
        throw err;
      }
    });
  }

  private select(sel: Selector): Live[] {
    const all = [...this.live.values()];
    if (sel.all) return all;
    let found: Live | undefined;
    if (sel.vuid !== undefined) {
      found = this.live.get(sel.vuid);
      if (!found) throw new VirtnetError('DEVICE_NOT_FOUND', `no device with VUID ${sel.vuid}`, 'vuid');
      return [found];
    }
    const isVf = sel.vf_id !== undefined;
    found = all.find((l) => l.row.pfId === sel.pf_id && (isVf ? l.row.kind === 'vf' && l.row.vfId === sel.vf_id : l.row.kind !== 'vf'));
    if (!found) {
      const what = isVf ? `VF ${sel.vf_id} of PF ${sel.pf_id}` : `PF ${sel.pf_id}`;
      throw new VirtnetError('DEVICE_NOT_FOUND', `no device is ${what}`, isVf ? 'vf_id' : 'pf_id');
    }
    return [found];
  }

  private ensureMacFree(mac: string, except?: string): void {
    for (const [vuid, l] of this.live) {
      if (vuid !== except && l.row.mac === mac) throw new VirtnetError('MAC_IN_USE', `MAC ${mac} is used by ${vuid}`, 'mac');
    }
  }

  /** A device as clients see it, at the address its host gave it. */
  private present(fn: HwFunction, createdAt: Date, queues?: HwQueueCounters[]): Device {
    const guest = this.host.guestView(fn.vuid);
    return toDevice(fn, createdAt, queues, { bdf: this.host.hostBdf(fn.vuid), ...guest });
  }

  private view(l: Live, withQueues: boolean): Device {
    let fn: HwFunction;
    try {
      fn = this.hw.query(l.handle);
    } catch (e) {
      if (!(e instanceof HwError) || e.code !== 'DPU_UNAVAILABLE' || !l.fn) throw e;
      return this.present(whileDown(l.fn), l.row.createdAt, withQueues ? [] : undefined);
    }
    l.fn = fn;
    const queues = withQueues ? this.hw.counters().filter((q) => q.handle === l.handle) : undefined;
    return this.present(fn, l.row.createdAt, queues);
  }

  controllerInfo(): ControllerInfo {
    return toControllerInfo({
      profile: this.hw.profile,
      emulationManager: this.inventory.emulationManager,
      ibDevices: this.inventory.ibDevices,
      defaultFeatures: this.inventory.defaultFeatures,
      hotplugInUse: [...this.live.values()].filter((l) => l.row.kind === 'hotplug').length,
      provider: this.inventory.provider,
      version: VERSION,
    });
  }

  list(): ListResult {
    return { controller: this.controllerInfo(), devices: this.devices() };
  }

  /** Every device, in (pf, vf) order, without queues. */
  devices(): Device[] {
    return this.snapshot()
      .sort((a, b) => a.fn.pfId - b.fn.pfId || (a.fn.vfId ?? -1) - (b.fn.vfId ?? -1))
      .map(({ l, fn }) => this.present(fn, l.row.createdAt));
  }

  query(params: unknown): QueryResult {
    const p = parseOrThrow(QueryParamsSchema, params);
    const targets = this.select(p.selector);
    if (p.selector.all && p.brief) return { devices: this.devices() };
    const devices = targets.map((l) => this.view(l, !p.brief));
    if (p.queue_id !== undefined && !p.brief) {
      for (const d of devices) {
        if (p.queue_id >= d.num_queues)
          throw new VirtnetError('INVALID_ARGUMENT', `queue ${p.queue_id} does not exist: ${d.vuid} has ${d.num_queues} queues`, 'queue_id');
        d.queues = d.queues!.filter((q) => q.index === p.queue_id);
      }
    }
    return { devices };
  }

  stats(params: unknown): StatsResult {
    const p = parseOrThrow(StatsParamsSchema, params);
    const l = this.select(p.selector)[0]!;
    const fn = this.hw.query(l.handle);
    let queues = this.hw.counters().filter((q) => q.handle === l.handle);
    if (p.queue_id !== undefined) {
      if (p.queue_id >= fn.numQueues)
        throw new VirtnetError('INVALID_ARGUMENT', `queue ${p.queue_id} does not exist: ${fn.vuid} has ${fn.numQueues} queues`, 'queue_id');
      queues = queues.filter((q) => q.qid === p.queue_id);
    }
    return { vuid: fn.vuid, pf_id: fn.pfId, ...(fn.vfId !== null ? { vf_id: fn.vfId } : {}), queues: queues.map((q) => toQueueStats(fn, q)) };
  }

  hostStatus(): Promise<HostStatus> {
    return this.host.status();
  }

  /**
   * Asks the host to unbind or bind its driver (or change its traffic), and
   * waits until the device sees it: after unbind the status register is
   * clear, after bind the driver is DRIVER_OK again.
   */
  hostAction(params: unknown, actor: Actor): Promise<HostStatus> {
    return this.mutate(actor, 'host_action', describeTarget(params), async (note) => {
      const p = parseOrThrow(HostActionParamsSchema, params);
      const l = this.select(p.selector)[0]!;
      const vuid = l.row.vuid;
      note(vuid, p.action === 'profile' ? `profile ${p.profile}` : p.action);
      if (p.action === 'profile') await this.host.command(`profile ${vuid} ${p.profile!}`);
      else await this.host.command(`${p.action} ${vuid}`);
      const want = p.action === 'unbind' ? (s: number) => (s & 0b110) === 0 : p.action === 'bind' ? (s: number) => (s & 0b100) !== 0 : () => true;
      const deadline = Date.now() + 10_000;
      while (!want(this.hw.query(l.handle).deviceStatus)) {
        if (Date.now() > deadline) throw new VirtnetError('TIMEOUT', `${vuid}: the host driver did not ${p.action} within 10 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
      this.events.emit('device.updated', { device: this.present(this.hw.query(l.handle), l.row.createdAt) });
      return this.host.status();
    });
  }

  /** handle -> VUID of every live device, for the telemetry sampler. */
  handles(): Map<number, string> {
    return new Map([...this.live.values()].map((l) => [l.handle, l.row.vuid]));
  }

  device(vuid: string): Device {
    return this.view(this.select({ vuid })[0]!, true);
  }

  hotplug(params: unknown, actor: Actor): Promise<HotplugResult> {
    return this.mutate(actor, 'hotplug', null, async (note) => {
      const r = parseOrThrow(HotplugRequestSchema, params);
      const mac = normalizeMac(r.mac);
      this.ensureMacFree(mac);
      const pairs = Math.floor(r.num_queues / 2);
      if (r.num_queues % 2 === 0 && pairs > 1)
        throw new VirtnetError(
          'FEATURES_CONFLICT',
          `${r.num_queues} queues make ${pairs} queue pairs, and more than one pair needs the control queue (MQ): use an odd count such as ${r.num_queues + 1}`,
          'num_queues',
        );
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
      await this.exposeAndStore(fn);
      const bdf = this.host.hostBdf(fn.vuid) ?? fn.bdf;
      note(fn.vuid, `PF ${fn.pfId} at ${bdf} on port ${fn.port}, MAC ${fn.mac}, ${fn.numQueues} queues`);
      return { bdf, id: fn.pfId, transitional: fn.transitional ? 1 : 0, sf_rep_net_device: fn.sfRep, mac: fn.mac, vuid: fn.vuid };
    });
  }

  unplug(params: unknown, actor: Actor) {
    return this.mutate(actor, 'unplug', describeTarget(params), async (note) => {
      const p = parseOrThrow(UnplugParamsSchema, params);
      const l = this.select(p.selector)[0]!;
      if (l.row.kind !== 'hotplug')
        throw new VirtnetError('NOT_HOTPLUG', `${l.row.vuid} is a ${l.row.kind === 'vf' ? 'VF' : 'static PF'}; only hot-plugged devices can be unplugged`);
      const fn = this.hw.query(l.handle);
      const bdf = this.host.hostBdf(fn.vuid) ?? fn.bdf;
      // The host lets go first: if it will not, nothing changes. A crash
      // after this leaves the row, and the device goes back into the host.
      await this.host.unplug(fn);
      await this.store.remove(l.row.vuid);
      this.hw.destroy(l.handle);
      this.live.delete(l.row.vuid);
      this.events.emit('device.removed', { vuid: l.row.vuid });
      note(l.row.vuid, `PF ${fn.pfId} at ${bdf}`);
      return { vuid: l.row.vuid, pf_id: fn.pfId, bdf, status: 'unplugged' as const };
    });
  }

  modifyDevice(params: unknown, actor: Actor): Promise<QueryResult> {
    return this.mutate(actor, 'modify_device', describeTarget(params), async (note) => {
      const p = parseOrThrow(ModifyDeviceParamsSchema, params);
      const targets = this.select(p.selector);
      const d = p.device;
      const inVm = targets.find((t) => this.host.mode === 'qemu' && this.host.hostBdf(t.row.vuid) !== undefined);
      if (inVm) throw new VirtnetError('NOT_SUPPORTED', deviceInVmMessage(inVm.row.vuid));
      const change: HwFunctionChange = {};
      if (d.mac !== undefined) {
        if (targets.length > 1) throw new VirtnetError('INVALID_ARGUMENT', 'one MAC cannot be given to several devices', 'mac');
        change.mac = normalizeMac(d.mac);
        this.ensureMacFree(change.mac, targets[0]!.row.vuid);
      }
      if (d.mtu !== undefined) change.mtu = d.mtu;
      if (d.features !== undefined) change.features = parseFeatures(d.features)!;
      if (d.max_queue_size !== undefined) change.maxQueueSize = d.max_queue_size;
      if (d.num_msix !== undefined) change.numMsix = d.num_msix;
      note(describeTargets(targets), JSON.stringify(d));
      return this.applyToAll(targets, (l) => this.hw.modify(l.handle, change), (fn) => patchFromFunction(fn));
    });
  }

  modifyQueue(params: unknown, actor: Actor): Promise<QueryResult> {
    return this.mutate(actor, 'modify_queue', describeTarget(params), async (note) => {
      const p = parseOrThrow(ModifyQueueParamsSchema, params);
      const targets = this.select(p.selector);
      const q = p.queue;
      note(describeTargets(targets), JSON.stringify(q));
      return this.applyToAll(
        targets,
        (l) => this.hw.setModeration(l.handle, q.event_mode, q.period_us, q.max_count),
        (fn) => ({ eventMode: fn.eventMode, periodUs: fn.moderationPeriodUs, maxCount: fn.moderationMaxCount }),
      );
    });
  }

  /**
   * Applies one change to every target, all or nothing: if the engine refuses
   * it for one device, or the database write fails, the devices already
   * changed are restored before the error is reported.
   */
  private async applyToAll(targets: Live[], apply: (l: Live) => HwFunction, patch: (fn: HwFunction) => DeviceRowPatch): Promise<QueryResult> {
    const done: { l: Live; before: HwFunction; after: HwFunction }[] = [];
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
    const devices = done.map((c) => this.present(c.after, c.l.row.createdAt));
    for (const device of devices) this.events.emit('device.updated', { device });
    return { devices };
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

/** A function as last seen, while the DPU that held it is down: no driver, no queue running. */
function whileDown(fn: HwFunction): HwFunction {
  return { ...fn, connected: false, deviceStatus: 0, enabledQueues: 0, driverFeatures: 0n, backendNote: 'the DPU is down; the device comes back when it does' };
}

function describeTargets(targets: Live[]): string {
  return targets.length === 1 ? targets[0]!.row.vuid : `${targets.length} devices`;
}

function describeTarget(params: unknown): string | null {
  const s = (params as { selector?: Selector } | null)?.selector;
  if (!s || typeof s !== 'object') return null;
  if (s.all) return 'all';
  if (typeof s.vuid === 'string') return s.vuid;
  if (s.pf_id !== undefined) return s.vf_id !== undefined ? `pf ${String(s.pf_id)} vf ${String(s.vf_id)}` : `pf ${String(s.pf_id)}`;
  return null;
}

export function rowFromFunction(fn: HwFunction): NewDeviceRow {
  return {
    vuid: fn.vuid,
    kind: fn.kind,
    pfId: fn.pfId,
    vfId: fn.vfId,
    hotplugPort: fn.port,
    bdfRaw: fn.bdfRaw,
    ibDevice: fn.ibDevice,
    sfNum: fn.sfNum,
    mac: fn.mac,
    mtu: fn.mtu,
    numQueues: fn.numQueues,
    maxQueueSize: fn.maxQueueSize,
    numMsix: fn.numMsix,
    features: formatFeatures(fn.deviceFeatures),
    transitional: fn.transitional,
    eventMode: fn.eventMode,
    periodUs: fn.moderationPeriodUs,
    maxCount: fn.moderationMaxCount,
  };
}

function patchFromFunction(fn: HwFunction): DeviceRowPatch {
  return { mac: fn.mac, mtu: fn.mtu, features: formatFeatures(fn.deviceFeatures), maxQueueSize: fn.maxQueueSize, numMsix: fn.numMsix };
}

export function specFromRow(row: DeviceRow): HwFunctionSpec {
  const kind = row.kind === 'static' || row.kind === 'hotplug' || row.kind === 'vf' ? row.kind : undefined;
  if (!kind) throw new VirtnetError('INTERNAL', `stored device ${row.vuid} has unknown kind '${row.kind}'`);
  const features = parseFeatures(row.features);
  if (features === undefined) throw new VirtnetError('INTERNAL', `stored device ${row.vuid} has malformed features '${row.features}'`);
  return {
    kind,
    ...(kind !== 'hotplug' ? { pfIndex: row.pfId } : {}),
    ...(row.vfId !== null ? { vfIndex: row.vfId } : {}),
    ...(row.hotplugPort !== null ? { port: row.hotplugPort } : {}),
    sfNum: row.sfNum,
    ibDevice: row.ibDevice,
    mac: row.mac,
    mtu: row.mtu,
    numQueues: row.numQueues,
    maxQueueSize: row.maxQueueSize,
    numMsix: row.numMsix,
    transitional: row.transitional,
    features,
  };
}
