/**
 * Prometheus metrics (GET /metrics, behind the same token as the API).
 * Every series of a device carries vuid, pf and vf (empty on a PF); every
 * series of a queue adds queue (its index) and direction (rx, tx or ctrl).
 * Names follow Prometheus' conventions: base units (`_bytes`, `_seconds`),
 * `_total` on counters, one family per quantity with labels for its parts.
 *
 * Nothing is sampled between scrapes. A scrape reads the device list and
 * every queue counter in one native call each, in two turns of the event
 * loop, then writes the families from that snapshot, yielding between them
 * so that other requests (the CLI, the dashboard's socket) are answered in
 * between: no turn holds the loop for more than a few milliseconds beyond
 * the native reads (figures in bench/RESULTS.md).
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Hardware, HwFunction, HwQueueCounters } from '@virtnet/hw';
import { driverOk, needsReset } from '@virtnet/shared';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { VERSION } from '../common/version.js';
import { DeviceRegistry } from '../devices/device-registry.js';
import { Reconciliation } from '../devices/reconciliation.service.js';
import { queueType } from '../devices/device-view.js';
import { HARDWARE } from '../hardware/hardware.module.js';
import type { Inventory } from '../hardware/inventory.js';
import { INVENTORY } from '../hardware/tokens.js';
import { SETTINGS, type Settings } from '../settings/settings.js';
import { UpdateService } from '../update/update.service.js';
import { labelText, renderFamily, type Family } from './exposition.js';

const TYPE_NAMES = { static: 'static_pf', hotplug: 'hotplug_pf', vf: 'vf' } as const;
/** A turn of the event loop that has written for this long gives way. */
const SLICE_MS = 4;

interface DeviceRow {
  fn: HwFunction;
  /** `vuid="…",pf="…",vf="…"` */
  labels: string;
  info: string;
}

interface QueueRow {
  q: HwQueueCounters;
  labels: string;
}

/** Label text per device, kept while the device keeps its identity and queue count. */
interface LabelCache {
  key: string;
  device: string;
  info: string;
  queues: string[];
}

export const DEVICE_FAMILIES: Family<DeviceRow>[] = [
  { name: 'virtnet_device_info', type: 'gauge', help: 'A device and its identity (value 1)', labels: ['type', 'bdf', 'mac', 'sf_rep'], write: (d, s) => s(d.info, 1) },
  { name: 'virtnet_device_mtu_bytes', type: 'gauge', help: 'MTU offered to the host driver', labels: [], write: (d, s) => s(d.labels, d.fn.mtu) },
  { name: 'virtnet_device_link_up', type: 'gauge', help: '1 when the link is up', labels: [], write: (d, s) => s(d.labels, d.fn.linkUp ? 1 : 0) },
  { name: 'virtnet_device_driver_ok', type: 'gauge', help: '1 when the host driver set DRIVER_OK', labels: [], write: (d, s) => s(d.labels, driverOk(d.fn.deviceStatus) ? 1 : 0) },
  {
    name: 'virtnet_device_needs_reset',
    type: 'gauge',
    help: '1 when the device set DEVICE_NEEDS_RESET (a ring broke; the driver must reset it)',
    labels: [],
    write: (d, s) => s(d.labels, needsReset(d.fn.deviceStatus) ? 1 : 0),
  },
  { name: 'virtnet_device_status', type: 'gauge', help: 'Virtio device status register as the driver wrote it', labels: [], write: (d, s) => s(d.labels, d.fn.deviceStatus) },
  { name: 'virtnet_device_host_connected', type: 'gauge', help: '1 when a vhost-user front-end is attached', labels: [], write: (d, s) => s(d.labels, d.fn.connected ? 1 : 0) },
  { name: 'virtnet_device_queues', type: 'gauge', help: 'Virtqueues of the device', labels: [], write: (d, s) => s(d.labels, d.fn.numQueues) },
  {
    name: 'virtnet_device_protocol_errors_total',
    type: 'counter',
    help: 'vhost-user messages the device refused or found malformed',
    labels: [],
    write: (d, s) => s(d.labels, d.fn.protocolErrors),
  },
];

const REASONS = [
  ['bad_desc', 'badDescErrors'],
  ['exceed_max_chain', 'exceedMaxChain'],
  ['invalid_buffer', 'invalidBuffer'],
] as const;

export const QUEUE_FAMILIES: Family<QueueRow>[] = [
  { name: 'virtnet_queue_packets_total', type: 'counter', help: 'Packets through the queue', labels: [], write: (r, s) => s(r.labels, r.q.packets) },
  { name: 'virtnet_queue_bytes_total', type: 'counter', help: 'Bytes through the queue', labels: [], write: (r, s) => s(r.labels, r.q.totalBytes) },
  { name: 'virtnet_queue_dropped_total', type: 'counter', help: 'Frames lost: no receive buffer, or a chain the device could not use', labels: [], write: (r, s) => s(r.labels, r.q.dropped) },
  {
    name: 'virtnet_queue_descriptor_errors_total',
    type: 'counter',
    help: 'Descriptor errors by reason (bad_desc, exceed_max_chain, invalid_buffer)',
    labels: ['reason'],
    write: (r, s) => {
      for (const [reason, field] of REASONS) s(`${r.labels},reason="${reason}"`, r.q[field]);
    },
  },
  { name: 'virtnet_queue_kicks_total', type: 'counter', help: 'Notifications from the driver to the device', labels: [], write: (r, s) => s(r.labels, r.q.kicks) },
  { name: 'virtnet_queue_calls_total', type: 'counter', help: 'Notifications (interrupts) from the device to the driver', labels: [], write: (r, s) => s(r.labels, r.q.calls) },
  { name: 'virtnet_queue_broken', type: 'gauge', help: '1 when the driver broke the ring (stopped until reset)', labels: [], write: (r, s) => s(r.labels, r.q.broken ? 1 : 0) },
  {
    name: 'virtnet_queue_oversized_frames_total',
    type: 'counter',
    help: 'TX frames longer than the device MTU allows, dropped',
    labels: [],
    write: (r, s) => s(r.labels, r.q.oversized),
  },
];

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

@Injectable()
export class MetricsService {
  /** The controller's own small families and its process metrics (prom-client). */
  readonly registry = new Registry();
  private labels = new Map<number, LabelCache>();

  private readonly controllerInfo = this.gauge('virtnet_controller_info', 'The running controller (value 1)', ['version', 'provider', 'host_mode']);
  private readonly ports = this.gauge('virtnet_hotplug_ports', 'Hot-plug ports of the emulated PCIe switch', ['state']);
  private readonly recovery = this.gauge('virtnet_recovery_devices', 'Devices of the last reconciliation by how it went: recovered (created again), created (from the configuration), adopted (kept running), removed (no row backed them), failed', ['result']);
  private readonly updateActive = this.gauge('virtnet_live_update_active', '1 while a live update or restart hands the devices over', []);
  private readonly updateResult = this.gauge('virtnet_live_update_last_result', 'The last live update or restart: 1 on its result (none, success, failed)', ['result']);
  private readonly updateAt = this.gauge('virtnet_live_update_last_timestamp_seconds', 'When the last live update or restart ended (Unix time; 0 before the first)', []);
  private readonly dpuUp = this.gauge('virtnet_dpu_up', '1 while the DPU process answers', []);
  private readonly dpuStarts = this.gauge('virtnet_dpu_starts', 'DPU processes this controller started (the first one included)', []);
  private readonly dpuFaults = this.gauge('virtnet_dpu_memory_faults', 'Guest-memory faults the DPU absorbed (a driver shrank its memory under a device)', []);

  constructor(
    @Inject(HARDWARE) private readonly hw: Hardware,
    @Inject(DeviceRegistry) private readonly devices: DeviceRegistry,
    @Inject(Reconciliation) private readonly reconciliation: Reconciliation,
    @Inject(UpdateService) private readonly update: UpdateService,
    @Inject(INVENTORY) inventory: Inventory,
    @Inject(SETTINGS) settings: Settings,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'virtnet_controller_' });
    // Gauges that prom-client names like counters; the same counts stay, by type, without the suffix.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(`virtnet_controller_${name}`);
    this.controllerInfo.set({ version: VERSION, provider: inventory.provider, host_mode: settings.hostMode }, 1);
  }

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[]) {
    return new Gauge<L>({ name, help, labelNames, registers: [this.registry] });
  }

  /** The text of a scrape, whole. */
  async scrape(): Promise<string> {
    const out: string[] = [];
    await this.scrapeTo((chunk) => out.push(chunk));
    return out.join('');
  }

  /**
   * The text of a scrape, a family at a time: sent as it is written, with
   * no 2 MB string to join, encode and hash at the end (535 devices).
   */
  async scrapeTo(write: (chunk: string) => void): Promise<void> {
    const dpu = this.hw.status();
    this.dpuUp.set(dpu.up ? 1 : 0);
    this.dpuStarts.set(dpu.starts);
    this.dpuFaults.set(dpu.faults);
    if (!dpu.up) {
      // Nothing to read while the DPU is down: the device series go, virtnet_dpu_up says why.
      await this.controllerState([]);
      write(await this.registry.metrics());
      return;
    }
    const handles = this.devices.handles();
    const fns = this.hw.list().filter((f) => handles.has(f.handle));
    const devices = this.deviceRows(fns);
    await turn();
    const queues: QueueRow[] = [];
    for (const q of this.hw.counters()) {
      const labels = devices.byHandle.get(q.handle)?.queues[q.qid];
      if (labels) queues.push({ q, labels });
    }
    await turn();

    let since = performance.now();
    const slice = async () => {
      if (performance.now() - since < SLICE_MS) return;
      await turn();
      since = performance.now();
    };
    for (const f of DEVICE_FAMILIES) {
      write(renderFamily(f, devices.rows));
      await slice();
    }
    for (const f of QUEUE_FAMILIES) {
      write(renderFamily(f, queues));
      await slice();
    }
    await this.controllerState(fns);
    write(await this.registry.metrics());
  }

  /** Device rows of this scrape; label text is made for new or changed devices only. */
  private deviceRows(fns: HwFunction[]): { rows: DeviceRow[]; byHandle: Map<number, LabelCache> } {
    const next = new Map<number, LabelCache>();
    const rows: DeviceRow[] = [];
    for (const fn of fns) {
      const key = `${fn.vuid}|${fn.bdf}|${fn.mac}|${fn.sfRep}|${fn.numQueues}`;
      let c = this.labels.get(fn.handle);
      if (c?.key !== key) {
        const device = labelText({ vuid: fn.vuid, pf: String(fn.pfId), vf: fn.vfId === null ? '' : String(fn.vfId) });
        const queues: string[] = [];
        for (let qid = 0; qid < fn.numQueues; qid++) queues.push(`${device},${labelText({ queue: String(qid), direction: queueType(qid, fn.numQueues) })}`);
        c = { key, device, info: `${device},${labelText({ type: TYPE_NAMES[fn.kind], bdf: fn.bdf, mac: fn.mac, sf_rep: fn.sfRep })}`, queues };
      }
      next.set(fn.handle, c);
      rows.push({ fn, labels: c.device, info: c.info });
    }
    this.labels = next;
    return { rows, byHandle: next };
  }

  private async controllerState(fns: HwFunction[]): Promise<void> {
    const used = fns.filter((f) => f.kind === 'hotplug').length;
    this.ports.set({ state: 'used' }, used);
    this.ports.set({ state: 'free' }, Math.max(0, this.hw.profile.hotplugPorts - used));
    const report = this.reconciliation.report;
    this.recovery.set({ result: 'recovered' }, report.recovered);
    this.recovery.set({ result: 'created' }, report.created);
    this.recovery.set({ result: 'adopted' }, report.adopted);
    this.recovery.set({ result: 'removed' }, report.removed);
    this.recovery.set({ result: 'failed' }, report.failed.length);
    let status;
    try {
      status = await this.update.status();
    } catch {
      // The database's trouble shows in /api/v1/health; the device series still matter.
      return;
    }
    this.updateActive.set(status.status === 'active' ? 1 : 0);
    for (const result of ['none', 'success', 'failed'] as const) this.updateResult.set({ result }, status['last live update status'] === result ? 1 : 0);
    if (status.last_at) this.updateAt.set(Date.parse(status.last_at) / 1000);
  }
}
