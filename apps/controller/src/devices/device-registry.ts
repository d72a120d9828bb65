/**
 * The live devices: every device this controller acknowledged, with its
 * handle on the DPU, its row, and the function as last read from the DPU
 * (what reads show while the DPU is down). Changes run one at a time
 * (`mutate`, or `exclusive` for the controller's own work): hardware calls
 * are synchronous but database writes are not, so two requests could
 * otherwise interleave between a device's creation on the DPU and its row.
 * What changed is published on the event bus as clients see the device.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { HwError, type Hardware, type HwFunction, type HwQueueCounters } from '@virtnet/hw';
import { VirtnetError, type Device, type Selector } from '@virtnet/shared';
import { AuditService, type Actor } from '../audit/audit.service.js';
import { toVirtnetError } from '../common/errors.js';
import { EventBus } from '../common/event-bus.js';
import { Serializer } from '../common/serializer.js';
import type { DeviceRow } from '../database/stores.js';
import { HARDWARE } from '../hardware/hardware.module.js';
import { HostService } from '../hosts/host.js';
import { toDevice } from './device-view.js';

export interface LiveDevice {
  handle: number;
  row: DeviceRow;
  /** The function as last read from the DPU: what reads show while it is down. */
  fn?: HwFunction;
}

/** Lets a mutation name its target and a detail for the audit log once it knows them. */
export type Note = (target: string, detail: string) => void;

@Injectable()
export class DeviceRegistry {
  private readonly log = new Logger('devices');
  private readonly live = new Map<string, LiveDevice>();
  private readonly serializer = new Serializer();
  /** Why changes are refused (a live update or restart is handing over); null when they are not. */
  private frozen: string | null = null;

  constructor(
    @Inject(HARDWARE) private readonly hw: Hardware,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(HostService) private readonly host: HostService,
    @Inject(EventBus) private readonly events: EventBus,
  ) {}

  get count(): number {
    return this.live.size;
  }

  all(): LiveDevice[] {
    return [...this.live.values()];
  }

  get(vuid: string): LiveDevice | undefined {
    return this.live.get(vuid);
  }

  /** Records a device the DPU runs, without telling anyone (see `announce`). */
  put(fn: HwFunction, row: DeviceRow): LiveDevice {
    const l: LiveDevice = { handle: fn.handle, row, fn };
    this.live.set(fn.vuid, l);
    return l;
  }

  /** Forgets every device (the DPU that held them is gone); returns their VUIDs. */
  clear(): string[] {
    const gone = [...this.live.keys()];
    this.live.clear();
    return gone;
  }

  /** Forgets a device without telling anyone (the controller's own clean-up at start). */
  forget(vuid: string): void {
    this.live.delete(vuid);
  }

  /** Forgets a device, and tells clients it is gone. */
  remove(vuid: string): void {
    this.live.delete(vuid);
    this.events.emit('device.removed', { vuid });
  }

  /** Tells clients a device appeared or changed, as the DPU now runs it. */
  announce(what: 'device.added' | 'device.updated', fn: HwFunction, createdAt: Date): Device {
    const device = this.present(fn, createdAt);
    this.events.emit(what, { device });
    return device;
  }

  /** handle -> VUID of every live device, for the telemetry sampler and the scrape. */
  handles(): Map<number, string> {
    return new Map(this.all().map((l) => [l.handle, l.row.vuid]));
  }

  /** The devices a selector names; DEVICE_NOT_FOUND (with the field at fault) when there are none. */
  select(sel: Selector): LiveDevice[] {
    const all = this.all();
    if (sel.all) return all;
    if (sel.vuid !== undefined) {
      const found = this.live.get(sel.vuid);
      if (!found) throw new VirtnetError('DEVICE_NOT_FOUND', `no device with VUID ${sel.vuid}`, 'vuid');
      return [found];
    }
    const isVf = sel.vf_id !== undefined;
    const found = all.find((l) => l.row.pfId === sel.pf_id && (isVf ? l.row.kind === 'vf' && l.row.vfId === sel.vf_id : l.row.kind !== 'vf'));
    if (!found) {
      const what = isVf ? `VF ${sel.vf_id} of PF ${sel.pf_id}` : `PF ${sel.pf_id}`;
      throw new VirtnetError('DEVICE_NOT_FOUND', `no device is ${what}`, isVf ? 'vf_id' : 'pf_id');
    }
    return [found];
  }

  /** The one device a single selector names. */
  one(sel: Selector): LiveDevice {
    return this.select(sel)[0]!;
  }

  ensureMacFree(mac: string, except?: string): void {
    for (const [vuid, l] of this.live) {
      if (vuid !== except && l.row.mac === mac) throw new VirtnetError('MAC_IN_USE', `MAC ${mac} is used by ${vuid}`, 'mac');
    }
  }

  macs(): Set<string> {
    return new Set(this.all().map((l) => l.row.mac));
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

  /** Runs the controller's own work on the devices alone, as a mutation runs, frozen or not. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.serializer.run(task);
  }

  /**
   * Runs one requested change alone and records it in the audit log,
   * success or failure. The task may name its target and a detail once it
   * knows them.
   */
  mutate<T>(actor: Actor, action: string, target: string | null, task: (note: Note) => Promise<T>): Promise<T> {
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

  /** A device as clients see it, at the address its host gave it. */
  present(fn: HwFunction, createdAt: Date, queues?: HwQueueCounters[]): Device {
    const guest = this.host.guestView(fn.vuid);
    return toDevice(fn, createdAt, queues, { bdf: this.host.hostBdf(fn.vuid), netns: this.hw.representorNetns, ...guest });
  }

  /** One device read from the DPU (its queues too when asked), or as last seen while the DPU is down. */
  view(l: LiveDevice, withQueues: boolean): Device {
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

  /**
   * Every live device with its function: read from the DPU (and kept), or
   * while the DPU is down, as last seen with no driver attached, so that
   * reads go on answering.
   */
  snapshot(): { l: LiveDevice; fn: HwFunction }[] {
    const lives = this.all();
    let fns: HwFunction[];
    try {
      fns = this.hw.list();
    } catch (e) {
      if (!(e instanceof HwError) || e.code !== 'DPU_UNAVAILABLE') throw e;
      return lives.flatMap((l) => (l.fn ? [{ l, fn: whileDown(l.fn) }] : []));
    }
    const byHandle = new Map(fns.map((f) => [f.handle, f]));
    const out: { l: LiveDevice; fn: HwFunction }[] = [];
    for (const l of lives) {
      const fn = byHandle.get(l.handle);
      if (!fn) continue;
      l.fn = fn;
      out.push({ l, fn });
    }
    return out;
  }

  /** The DPU's functions that are live devices (recovery records, the host adapter's reconciliation). */
  functions(): HwFunction[] {
    return this.snapshot().map((x) => x.fn);
  }

  /** Every device, in (pf, vf) order, without queues. */
  devices(): Device[] {
    return this.snapshot()
      .sort((a, b) => a.fn.pfId - b.fn.pfId || (a.fn.vfId ?? -1) - (b.fn.vfId ?? -1))
      .map(({ l, fn }) => this.present(fn, l.row.createdAt));
  }

  /**
   * What the host's driver last did to each device, as a key that changes
   * when it does (status, link, connection, negotiated features): one
   * function list and no device views, so that watching 535 devices once a
   * second costs little.
   */
  driverKeys(): Map<string, string> {
    const out = new Map<string, string>();
    for (const { fn } of this.snapshot()) {
      const g = this.host.guestView(fn.vuid);
      out.set(fn.vuid, `${g?.deviceStatus ?? fn.deviceStatus}/${fn.linkUp}/${fn.connected}/${g?.driverFeatures ?? fn.driverFeatures}`);
    }
    return out;
  }
}

/** A function as last seen, while the DPU that held it is down: no driver, no queue running. */
function whileDown(fn: HwFunction): HwFunction {
  return { ...fn, connected: false, deviceStatus: 0, enabledQueues: 0, driverFeatures: 0n, backendNote: 'the DPU is down; the device comes back when it does' };
}

/** How the audit log names the devices a selector picks. */
export function selectorTarget(s: Selector): string {
  if (s.all) return 'all';
  if (s.vuid !== undefined) return s.vuid;
  return s.vf_id !== undefined ? `pf ${s.pf_id} vf ${s.vf_id}` : `pf ${s.pf_id}`;
}

export function targetsName(targets: LiveDevice[]): string {
  return targets.length === 1 ? targets[0]!.row.vuid : `${targets.length} devices`;
}
