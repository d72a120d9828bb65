/**
 * The real controller's recovery files, for migration: one JSON file per
 * device (the seed's "Controller Recovery": port_ib_dev, pf_id, vf_id,
 * function_type, bdf_raw, device_type, mac, pf_num, sf_num, mq). The
 * database stays the recovery store; these files are imported into it
 * (`virtnet recovery import DIR`, and at the first start from the recovery
 * directory) and exported from it (`virtnet recovery export DIR`).
 *
 * An invalid file skips that device with a clear error; the others are
 * imported. Each imported device is one transaction.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { HwFunction, HwFunctionSpec } from '@virtnet/hw';
import {
  RecoveryImportParamsSchema,
  RecoveryRecordSchema,
  VirtnetError,
  formatFeatures,
  parseFeatures,
  parseOrThrow,
  type RecoveryImportResult,
} from '@virtnet/shared';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { toVirtnetError } from '../common/errors.js';
import { DEVICE_STORE, type DeviceStore } from '../database/stores.js';
import type { Actor } from '../devices/audit.service.js';
import { DevicesService } from '../devices/devices.service.js';
import { HARDWARE } from '../hardware/hardware.module.js';
import { STATIC_PF_DEFAULTS, newDeviceFeatures, type Inventory } from '../hardware/inventory.js';
import { INVENTORY } from '../hardware/tokens.js';
import { SETTINGS, type Settings } from '../settings/settings.js';
import type { Hardware } from '@virtnet/hw';

/**
 * What our export adds to NVIDIA's fields so that a round trip keeps every
 * setting; the real controller's files do not have them, and an import
 * without them uses the defaults a hot-plug would.
 */
const ExtensionSchema = z
  .object({
    vuid: z.string().optional(),
    mtu: z.number().int().min(68).max(65535).optional(),
    max_queue_size: z.number().int().min(2).max(32768).optional(),
    num_queues: z.number().int().min(2).max(1024).optional(),
    features: z.string().optional(),
    transitional: z.union([z.literal(0), z.literal(1)]).optional(),
  })
  .partial();

const STATE_KEY = 'recovery_dir_imported';

@Injectable()
export class RecoveryService implements OnApplicationBootstrap {
  private readonly log = new Logger('recovery');

  constructor(
    @Inject(DevicesService) private readonly devices: DevicesService,
    @Inject(HARDWARE) private readonly hw: Hardware,
    @Inject(INVENTORY) private readonly inventory: Inventory,
    @Inject(DEVICE_STORE) private readonly store: DeviceStore,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  /**
   * Migration from the real controller: its recovery directory is imported
   * once, at the first start of a database that never had a hot-plugged
   * device, so the same files are never imported twice.
   */
  async onApplicationBootstrap(): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(this.settings.recoveryDir).filter((n) => !n.startsWith('.') && statSync(join(this.settings.recoveryDir, n)).isFile());
    } catch {
      return;
    }
    if (names.length === 0 || (await this.store.getState(STATE_KEY)) !== undefined) return;
    if ((await this.store.all()).some((r) => r.kind === 'hotplug')) return;
    const files = names.map((name) => ({ name, text: readFileSync(join(this.settings.recoveryDir, name), 'utf8') }));
    const r = await this.importFiles({ files }, 'system');
    await this.store.setState(STATE_KEY, { at: new Date().toISOString(), dir: this.settings.recoveryDir, imported: r.imported.length, skipped: r.skipped.length });
    this.log.log(`imported ${r.imported.length} recovery files from ${this.settings.recoveryDir}, skipped ${r.skipped.length}`);
    for (const s of r.skipped) this.log.error(`recovery file ${s.file} skipped: ${s.code}: ${s.message}`);
  }

  async importFiles(params: unknown, actor: Actor): Promise<RecoveryImportResult> {
    const p = parseOrThrow(RecoveryImportParamsSchema, params);
    const out: RecoveryImportResult = { imported: [], skipped: [] };
    // Static PFs first, then VFs, then hot-plugged PFs: the order the controller creates them.
    const order = { static: 0, vf: 1, hotplug: 2 } as const;
    const parsed = p.files.map((f) => {
      try {
        return { file: f.name, spec: this.toSpec(f.name, f.text) };
      } catch (e) {
        return { file: f.name, error: toVirtnetError(e) };
      }
    });
    parsed.sort((a, b) => (a.spec ? order[a.spec.spec.kind] : 3) - (b.spec ? order[b.spec.spec.kind] : 3) || a.file.localeCompare(b.file));
    for (const item of parsed) {
      if (!item.spec) {
        out.skipped.push({ file: item.file, code: item.error!.code, message: item.error!.message });
        continue;
      }
      try {
        const r = await this.devices.placeDevice(item.spec.spec, actor, `recovery file ${item.file}`);
        out.imported.push({ file: item.file, vuid: r.vuid, action: r.action === 'unchanged' ? 'updated' : r.action, ...(item.spec.note ? { note: item.spec.note } : {}) });
      } catch (e) {
        const err = toVirtnetError(e);
        out.skipped.push({ file: item.file, code: err.code, message: err.message });
      }
    }
    return out;
  }

  /** One record to the spec of the device it describes, on this DPU. */
  private toSpec(file: string, text: string): { spec: HwFunctionSpec; note?: string } {
    const bad = (message: string, field?: string) => new VirtnetError('RECOVERY_RECORD_INVALID', `${file}: ${message}`, field);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw bad(`not valid JSON: ${(e as Error).message}`);
    }
    const r = RecoveryRecordSchema.safeParse(raw);
    if (!r.success) {
      const i = r.error.issues[0]!;
      const key = i.path.join('.');
      throw bad(`${key || '(record)'}: ${i.message}`, key || undefined);
    }
    const ext = ExtensionSchema.safeParse(raw);
    if (!ext.success) {
      const i = ext.error.issues[0]!;
      throw bad(`${i.path.join('.')}: ${i.message}`, i.path.join('.'));
    }
    const rec = r.data;
    const x = ext.data;
    const p = this.hw.profile;
    const ib = p.ibDevices.find((d) => d.name === rec.port_ib_dev);
    if (!ib) throw bad(`port_ib_dev '${rec.port_ib_dev}' is not an ib device of this DPU (${p.ibDevices.map((d) => d.name).join(', ')})`, 'port_ib_dev');
    if (ib.pfNum !== rec.pf_num) throw bad(`pf_num ${rec.pf_num} does not match ${rec.port_ib_dev}, which is PF ${ib.pfNum} of the DPU`, 'pf_num');
    const numQueues = x.num_queues ?? 2 * rec.mq + 1;
    if (x.num_queues !== undefined && Math.floor(x.num_queues / 2) !== rec.mq) throw bad(`num_queues ${x.num_queues} and mq ${rec.mq} disagree`, 'mq');
    let extra: bigint | undefined;
    if (x.features !== undefined) {
      extra = parseFeatures(x.features);
      if (extra === undefined) throw bad(`features '${x.features}' is not a hex number`, 'features');
    }
    const features = extra ?? newDeviceFeatures(this.inventory.defaultFeatures, 0n, numQueues);
    const common = {
      ibDevice: rec.port_ib_dev,
      mac: rec.mac,
      sfNum: rec.sf_num,
      mtu: x.mtu ?? STATIC_PF_DEFAULTS.mtu,
      numQueues,
      maxQueueSize: x.max_queue_size ?? STATIC_PF_DEFAULTS.maxQueueSize,
      transitional: x.transitional === 1,
      features,
    };
    if (rec.function_type === 'vf') {
      if (rec.pf_id >= p.staticPfs) throw bad(`pf_id ${rec.pf_id}: this DPU has ${p.staticPfs} static PFs`, 'pf_id');
      return { spec: { ...common, kind: 'vf', pfIndex: rec.pf_id, vfIndex: rec.vf_id! } };
    }
    if (rec.device_type === 'static') {
      if (rec.pf_id >= p.staticPfs) throw bad(`pf_id ${rec.pf_id}: this DPU has ${p.staticPfs} static PFs`, 'pf_id');
      return { spec: { ...common, kind: 'static', pfIndex: rec.pf_id } };
    }
    // A hot-plugged PF sits behind a switch port; bdf_raw names the port's bus.
    const port = (rec.bdf_raw >> 8) - p.hotplugBusBase;
    const taken = new Set(this.devices.functions().filter((f) => f.kind === 'hotplug').map((f) => f.port));
    if (port >= 0 && port < p.hotplugPorts && (rec.bdf_raw & 0xff) === 0 && !taken.has(port)) return { spec: { ...common, kind: 'hotplug', port } };
    const where = `${(rec.bdf_raw >> 8).toString(16).padStart(2, '0')}:${((rec.bdf_raw >> 3) & 0x1f).toString(16)}.${rec.bdf_raw & 7}`;
    return {
      spec: { ...common, kind: 'hotplug' },
      note: port >= 0 && port < p.hotplugPorts ? `port of bdf ${where} is in use; placed at the first free port` : `bdf ${where} is not a switch port of this DPU; placed at the first free port`,
    };
  }

  /** Every device as the real controller's recovery record, plus the settings a round trip needs. */
  exportRecords(): { files: { name: string; record: Record<string, unknown> }[] } {
    const pfNum = new Map(this.hw.profile.ibDevices.map((d) => [d.name, d.pfNum]));
    return {
      files: this.devices
        .functions()
        .sort((a, b) => a.pfId - b.pfId || (a.vfId ?? -1) - (b.vfId ?? -1))
        .map((f: HwFunction) => ({
          name: `${f.vuid}.json`,
          record: {
            port_ib_dev: f.ibDevice,
            pf_id: f.pfId,
            ...(f.vfId !== null ? { vf_id: f.vfId } : {}),
            function_type: f.kind === 'vf' ? 'vf' : 'pf',
            bdf_raw: f.bdfRaw,
            device_type: f.kind === 'hotplug' ? 'hotplug' : 'static',
            mac: f.mac.toLowerCase(),
            pf_num: pfNum.get(f.ibDevice) ?? 0,
            sf_num: f.sfNum,
            mq: Math.max(1, Math.floor(f.numQueues / 2)),
            vuid: f.vuid,
            mtu: f.mtu,
            max_queue_size: f.maxQueueSize,
            num_queues: f.numQueues,
            features: formatFeatures(f.deviceFeatures),
            transitional: f.transitional ? 1 : 0,
          },
        })),
    };
  }
}
