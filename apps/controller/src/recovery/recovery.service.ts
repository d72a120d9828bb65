/**
 * The real controller's recovery files, for migration: one JSON file per
 * device (recovery-record.ts reads and writes them). The database stays the
 * recovery store; these files are imported into it (`virtnet recovery
 * import DIR`, and at the first start from the recovery directory) and
 * exported from it (`virtnet recovery export DIR`).
 *
 * An invalid file skips that device with a clear error; the others are
 * imported. Each imported device is one transaction.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Hardware } from '@virtnet/hw';
import { RecoveryImportParamsSchema, parseOrThrow, type RecoveryImportResult, type RpcArgs, type RpcResult } from '@virtnet/shared';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Actor } from '../audit/audit.service.js';
import { toVirtnetError } from '../common/errors.js';
import { DEVICE_STORE, type DeviceStore } from '../database/stores.js';
import { DeviceRegistry } from '../devices/device-registry.js';
import { HARDWARE } from '../hardware/hardware.module.js';
import type { Inventory } from '../hardware/inventory.js';
import { INVENTORY } from '../hardware/tokens.js';
import { SETTINGS, type Settings } from '../settings/settings.js';
import { DevicePlacement } from './device-placement.js';
import { functionToRecord, recordToSpec } from './recovery-record.js';

const STATE_KEY = 'recovery_dir_imported';
// Static PFs first, then VFs, then hot-plugged PFs: the order the controller creates them.
const KIND_ORDER = { static: 0, vf: 1, hotplug: 2 } as const;

@Injectable()
export class RecoveryService implements OnApplicationBootstrap {
  private readonly log = new Logger('recovery');

  constructor(
    @Inject(DevicePlacement) private readonly placement: DevicePlacement,
    @Inject(DeviceRegistry) private readonly registry: DeviceRegistry,
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
    // The directory is an edge as the CLI is: its files are checked as an import request would be.
    const r = await this.importFiles(parseOrThrow(RecoveryImportParamsSchema, { files }), 'system');
    await this.store.setState(STATE_KEY, { at: new Date().toISOString(), dir: this.settings.recoveryDir, imported: r.imported.length, skipped: r.skipped.length });
    this.log.log(`imported ${r.imported.length} recovery files from ${this.settings.recoveryDir}, skipped ${r.skipped.length}`);
    for (const s of r.skipped) this.log.error(`recovery file ${s.file} skipped: ${s.code}: ${s.message}`);
  }

  async importFiles(p: RpcArgs<'recovery_import'>, actor: Actor): Promise<RecoveryImportResult> {
    const out: RecoveryImportResult = { imported: [], skipped: [] };
    const ctx = {
      profile: this.hw.profile,
      defaultFeatures: this.inventory.defaultFeatures,
      takenPorts: () => new Set(this.registry.functions().filter((f) => f.kind === 'hotplug').map((f) => f.port)),
    };
    const parsed = p.files.map((f) => {
      try {
        return { file: f.name, spec: recordToSpec(f.name, f.text, ctx) };
      } catch (e) {
        return { file: f.name, error: toVirtnetError(e) };
      }
    });
    parsed.sort((a, b) => (a.spec ? KIND_ORDER[a.spec.spec.kind] : 3) - (b.spec ? KIND_ORDER[b.spec.spec.kind] : 3) || a.file.localeCompare(b.file));
    for (const item of parsed) {
      if (!item.spec) {
        out.skipped.push({ file: item.file, code: item.error!.code, message: item.error!.message });
        continue;
      }
      try {
        const r = await this.placement.place(item.spec.spec, actor, `recovery file ${item.file}`);
        out.imported.push({ file: item.file, vuid: r.vuid, action: r.action === 'unchanged' ? 'updated' : r.action, ...(item.spec.note ? { note: item.spec.note } : {}) });
      } catch (e) {
        const err = toVirtnetError(e);
        out.skipped.push({ file: item.file, code: err.code, message: err.message });
      }
    }
    return out;
  }

  /** Every device as the real controller's recovery record, plus the settings a round trip needs. */
  exportRecords(): RpcResult<'recovery_export'> {
    const pfNum = new Map(this.hw.profile.ibDevices.map((d) => [d.name, d.pfNum]));
    return {
      files: this.registry
        .functions()
        .sort((a, b) => a.pfId - b.pfId || (a.vfId ?? -1) - (b.vfId ?? -1))
        .map((f) => ({ name: `${f.vuid}.json`, record: functionToRecord(f, pfNum.get(f.ibDevice) ?? 0) })),
    };
  }
}
