/**
 * The database and the DPU made to agree. The DPU holds the live devices
 * (its own process: they outlive this controller); the database holds
 * every device the controller acknowledged. At start, and again when a DPU
 * crashed and a new one runs, the two are reconciled: devices the DPU still
 * runs are kept as they are (a restart or live update stops no frame),
 * stored devices it lacks are created again at their exact position (after
 * a DPU crash, all of them), and functions no row backs are removed; then
 * the static PFs and VFs of the configuration that have no row yet are made.
 */
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Hardware, HwFunction, HwFunctionSpec } from '@virtnet/hw';
import { VirtnetError, normalizeMac, type VirtnetConf } from '@virtnet/shared';
import { AuditService } from '../audit/audit.service.js';
import { toVirtnetError } from '../common/errors.js';
import { DEVICE_STORE, type DeviceRow, type DeviceStore } from '../database/stores.js';
import { HARDWARE } from '../hardware/hardware.module.js';
import { CONF } from '../hardware/tokens.js';
import { HostService } from '../hosts/host.js';
import { ConfiguredFunctions } from './configured-functions.js';
import { DeviceRegistry, type LiveDevice } from './device-registry.js';
import { patchFromFunction, rowFromFunction, specFromRow } from './device-rows.js';

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
const KIND_ORDER: Record<string, number> = { static: 0, vf: 1, hotplug: 2 };

@Injectable()
export class Reconciliation implements OnModuleInit {
  private readonly log = new Logger('devices');
  private last: RecoveryReport = EMPTY_REPORT();

  constructor(
    @Inject(DeviceRegistry) private readonly registry: DeviceRegistry,
    @Inject(HARDWARE) private readonly hw: Hardware,
    @Inject(DEVICE_STORE) private readonly store: DeviceStore,
    @Inject(CONF) private readonly conf: VirtnetConf,
    @Inject(ConfiguredFunctions) private readonly configured: ConfiguredFunctions,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(HostService) private readonly host: HostService,
  ) {}

  /** At start: the devices first, then the host that is shown them. */
  async onModuleInit(): Promise<void> {
    this.last = await this.reconcile();
    await this.host.start(() => this.registry.functions());
  }

  /** What the last reconciliation did. */
  get report(): RecoveryReport {
    return this.last;
  }

  /**
   * The DPU went away and a new one runs, empty: every stored device is
   * created again at the same VUID, BDF, MAC and SF number. Runs alone, as
   * a mutation does.
   */
  rebuild(): Promise<RecoveryReport> {
    return this.registry.exclusive(async () => {
      const gone = this.registry.clear();
      this.last = await this.reconcile();
      for (const vuid of gone) if (!this.registry.get(vuid)) this.registry.remove(vuid);
      for (const l of this.registry.all()) this.registry.announce('device.updated', this.hw.query(l.handle), l.row.createdAt);
      return this.last;
    });
  }

  /**
   * Stored devices the DPU runs are kept (set back to their stored settings
   * if a crash cut a change short), the ones it lacks are created at their
   * exact position, functions no row backs are removed; then the
   * configured functions that have no row yet are created.
   */
  private async reconcile(): Promise<RecoveryReport> {
    const report = EMPTY_REPORT();
    if (this.conf.recovery === false) {
      // virtnet.conf's recovery: 0: nothing of the last run is recreated; only the configured PFs and VFs are made anew.
      const forgotten = (await this.store.all()).length;
      await this.store.clear();
      this.log.warn(`recovery is disabled in virtnet.conf: ${forgotten} stored devices and every SR-IOV setting forgotten`);
    }
    const rows = await this.store.all();
    rows.sort((a, b) => (KIND_ORDER[a.kind] ?? 3) - (KIND_ORDER[b.kind] ?? 3) || a.pfId - b.pfId || (a.vfId ?? -1) - (b.vfId ?? -1));
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
          this.registry.put(fn, await this.adopt(row, fn));
          report.adopted++;
        } else {
          this.registry.put(this.recreate(row), row);
          report.recovered++;
        }
      } catch (e) {
        const err = toVirtnetError(e);
        report.failed.push({ vuid: row.vuid, code: err.code, message: err.message });
        this.log.error(`device ${row.vuid} not recovered: ${err.code}: ${err.message}`);
      }
    }
    await this.createConfigured(rows, report);
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

  /** A stored device the DPU lacks, created at its exact position with its moderation. */
  private recreate(row: DeviceRow): HwFunction {
    const created = this.hw.create(specFromRow(row));
    if (created.vuid !== row.vuid) {
      this.hw.destroy(created.handle);
      throw new VirtnetError('INTERNAL', `recreated at ${created.vuid} instead of ${row.vuid}: the DPU profile changed`);
    }
    if (row.eventMode !== 'event' || row.periodUs !== 0 || row.maxCount !== 0) {
      this.hw.setModeration(created.handle, row.eventMode === 'cqe' ? 'cqe' : 'event', row.periodUs, row.maxCount);
    }
    return created;
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

  /**
   * Creates the static PFs of the profile that have no row yet, and brings
   * each PF's VFs to its sriov_numvfs: what the host last set, or
   * vf.vfs_per_pf when the host never did. Everything is stored in one
   * transaction.
   */
  private async createConfigured(rows: DeviceRow[], report: RecoveryReport): Promise<void> {
    const hostSet = await this.store.sriovStates();
    const plans: { label: string; spec: HwFunctionSpec }[] = [];
    for (let pf = 0; pf < this.configured.staticPfs; pf++) {
      if (rows.some((r) => r.kind === 'static' && r.pfId === pf)) continue;
      plans.push({ label: `static PF ${pf}`, spec: this.configured.staticPfSpec(pf) });
    }
    const surplus: LiveDevice[] = [];
    for (let pf = 0; pf < this.configured.staticPfs; pf++) {
      const want = Math.min(hostSet.get(pf) ?? this.configured.configuredVfs(), this.configured.maxVfs());
      for (let vf = 0; vf < want; vf++) {
        if (rows.some((r) => r.kind === 'vf' && r.pfId === pf && r.vfId === vf)) continue;
        plans.push({ label: `VF ${vf} of PF ${pf}`, spec: this.configured.vfSpec(pf, vf) });
      }
      for (const l of this.registry.all()) if (l.row.kind === 'vf' && l.row.pfId === pf && (l.row.vfId ?? 0) >= want) surplus.push(l);
    }
    if (surplus.length) {
      // vf.vfs_per_pf was lowered since these were made: the configuration wins at start.
      await this.store.applyVfChange({ pfId: -1, numVfs: null, create: [], remove: surplus.map((l) => l.row.vuid) });
      for (const l of surplus) {
        this.hw.destroy(l.handle);
        this.registry.forget(l.row.vuid);
      }
      this.log.log(`${surplus.length} VFs beyond vf.vfs_per_pf removed`);
    }
    const created: HwFunction[] = [];
    const macs = this.registry.macs();
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
      this.registry.put(fn, row);
      this.registry.announce('device.added', fn, row.createdAt);
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
}
