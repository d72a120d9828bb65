/**
 * The device services as Nest wires them, on the real DPU (a vnet-dpu
 * process per test home, through the real libvnet) with in-memory fakes
 * for the database, for the medium tests of the services.
 */
import { Dpu, runningDpu } from '@virtnet/hw';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RPC_METHODS, VirtnetConfSchema, DpuProfileSchema, type AuditEvent, type RpcArgs, type RpcMethod, type RpcParams } from '@virtnet/shared';
import { afterEach } from 'vitest';
import type { AuditStore, DeviceRow, DeviceRowPatch, DeviceStore, NewAuditEvent, NewDeviceRow } from '../../src/database/stores.js';
import { EventBus } from '../../src/common/event-bus.js';
import { buildInventory } from '../../src/hardware/inventory.js';
import { AuditService } from '../../src/audit/audit.service.js';
import { HostService } from '../../src/hosts/host.js';
import { loadSettings } from '../../src/settings/settings.js';
import { OperationsService } from '../../src/operations/operations.service.js';
import { DevicePlacement } from '../../src/recovery/device-placement.js';
import { RecoveryService } from '../../src/recovery/recovery.service.js';
import { SriovService } from '../../src/sriov/sriov.service.js';
import { ConfiguredFunctions } from '../../src/devices/configured-functions.js';
import { DeviceOperations } from '../../src/devices/device-operations.service.js';
import { DeviceQueries } from '../../src/devices/device-queries.service.js';
import { DeviceRegistry } from '../../src/devices/device-registry.js';
import { Reconciliation } from '../../src/devices/reconciliation.service.js';

export class MemoryDevices implements DeviceStore {
  rows = new Map<string, DeviceRow>();
  failNextUpdate = false;
  async all() {
    return [...this.rows.values()];
  }
  async create(row: NewDeviceRow) {
    const r = { ...row, createdAt: new Date(0), updatedAt: new Date(0) };
    this.rows.set(row.vuid, r);
    return r;
  }
  async createMany(rows: NewDeviceRow[]) {
    return Promise.all(rows.map((r) => this.create(r)));
  }
  async updateMany(changes: { vuid: string; patch: DeviceRowPatch }[]) {
    if (this.failNextUpdate) {
      this.failNextUpdate = false;
      throw new Error('disk full');
    }
    return changes.map((c) => {
      const r = { ...this.rows.get(c.vuid)!, ...c.patch };
      this.rows.set(c.vuid, r);
      return r;
    });
  }
  async remove(vuid: string) {
    this.rows.delete(vuid);
  }
  sriov = new Map<number, number>();
  state = new Map<string, unknown>();
  async clear() {
    this.rows.clear();
    this.sriov.clear();
  }
  async sriovStates() {
    return new Map(this.sriov);
  }
  failNextVfChange = false;
  async applyVfChange(c: { pfId: number; numVfs: number | null; create: NewDeviceRow[]; remove: string[] }) {
    if (this.failNextVfChange) {
      this.failNextVfChange = false;
      throw new Error('disk full');
    }
    for (const v of c.remove) this.rows.delete(v);
    if (c.numVfs !== null) this.sriov.set(c.pfId, c.numVfs);
    return Promise.all(c.create.map((r) => this.create(r)));
  }
  async getState(key: string) {
    return this.state.get(key);
  }
  async setState(key: string, value: unknown) {
    this.state.set(key, value);
  }
}

export class MemoryAudit implements AuditStore {
  events: AuditEvent[] = [];
  async append(e: NewAuditEvent) {
    const ev: AuditEvent = { id: this.events.length + 1, at: new Date(0).toISOString(), actor: e.actor, action: e.action, target: e.target, result: e.result, error_code: e.errorCode, detail: e.detail };
    this.events.push(ev);
    return ev;
  }
  async recent() {
    return [...this.events].reverse();
  }
}

const hws: Dpu[] = [];
const homes: string[] = [];
afterEach(() => {
  hws.splice(0).forEach((h) => h.close());
  for (const home of homes.splice(0)) {
    const pid = runningDpu(home);
    if (pid) process.kill(pid, 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
  }
});

/** A method's params as the RPC edge hands them to the services, checked by the method's schema. */
export const args = <M extends RpcMethod>(method: M, params: RpcParams<M>) => RPC_METHODS[method].params.parse(params) as RpcArgs<M>;

/** The device services on the DPU of `home` (a new home: a new, empty DPU), reconciled as at start. */
export async function service(store = new MemoryDevices(), conf: object = {}, profile: object = {}, home?: string) {
  const inv = buildInventory(DpuProfileSchema.parse(profile), VirtnetConfSchema.parse(conf));
  if (!home) {
    home = mkdtempSync(join(tmpdir(), 'vn-dev-'));
    homes.push(home);
  }
  mkdirSync(join(home, 'vhost'), { recursive: true });
  const { dpu: hw } = await Dpu.open({ home, profile: inv.overrides, start: { socketDir: join(home, 'vhost'), workers: 1, backend: 'echo', client: false, idlePollUs: 20, netns: '' } });
  hws.push(hw);
  const audit = new MemoryAudit();
  const settings = loadSettings({ VIRTNET_HOME: home, VIRTNET_HOST: 'external' });
  const host = new HostService(settings);
  const bus = new EventBus();
  const vconf = VirtnetConfSchema.parse(conf);
  const auditService = new AuditService(audit);
  const registry = new DeviceRegistry(hw, auditService, host, bus);
  const configured = new ConfiguredFunctions(hw, inv, vconf);
  const reconciliation = new Reconciliation(registry, hw, store, vconf, configured, auditService, host);
  await reconciliation.onModuleInit();
  const ops = new DeviceOperations(registry, hw, store, inv, host);
  const s = {
    registry,
    reconciliation,
    queries: new DeviceQueries(registry, hw, inv),
    ops,
    sriov: new SriovService(registry, hw, store, configured, new OperationsService(bus)),
    recovery: new RecoveryService(new DevicePlacement(registry, ops, hw, store), registry, hw, inv, store, settings),
  };
  return { s, hw, store, audit, home };
}
