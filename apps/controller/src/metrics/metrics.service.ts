/**
 * Prometheus metrics (GET /metrics, behind the same token as the API).
 * Every series of a device carries vuid, pf and vf (empty on a PF); every
 * series of a queue adds queue (its index) and direction (rx, tx or ctrl).
 * Nothing is sampled between scrapes: a scrape reads the device list and
 * every queue counter in one native call each, so its cost grows linearly
 * with the queues that exist (figures in bench/RESULTS.md).
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Hardware } from '@virtnet/hw';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { DevicesService } from '../devices/devices.service.js';
import { queueType } from '../devices/device-view.js';
import { HARDWARE } from '../hardware/hardware.module.js';

const DEVICE_LABELS = ['vuid', 'pf', 'vf'] as const;
const QUEUE_LABELS = [...DEVICE_LABELS, 'queue', 'direction'] as const;
const TYPE_NAMES = { static: 'static_pf', hotplug: 'hotplug_pf', vf: 'vf' } as const;

@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly info = this.gauge('virtnet_device_info', 'A device and its identity (value 1)', [...DEVICE_LABELS, 'type', 'bdf', 'mac', 'sf_rep']);
  private readonly mtu = this.gauge('virtnet_device_mtu_bytes', 'MTU offered to the host driver', DEVICE_LABELS);
  private readonly linkUp = this.gauge('virtnet_device_link_up', '1 when the link is up', DEVICE_LABELS);
  private readonly driverOk = this.gauge('virtnet_device_driver_ok', '1 when the host driver set DRIVER_OK', DEVICE_LABELS);
  private readonly status = this.gauge('virtnet_device_status', 'Virtio device status register as the driver wrote it', DEVICE_LABELS);
  private readonly connected = this.gauge('virtnet_device_host_connected', '1 when a vhost-user front-end is attached', DEVICE_LABELS);
  private readonly queues = this.gauge('virtnet_device_queues', 'Virtqueues of the device', DEVICE_LABELS);
  private readonly ports = this.gauge('virtnet_hotplug_ports', 'Hot-plug ports of the emulated PCIe switch', ['state']);

  private readonly packets = this.counter('virtnet_queue_packets_total', 'Packets through the queue', QUEUE_LABELS);
  private readonly bytes = this.counter('virtnet_queue_bytes_total', 'Bytes through the queue', QUEUE_LABELS);
  private readonly dropped = this.counter('virtnet_queue_dropped_total', 'Frames lost: no receive buffer, or a chain the device could not use', QUEUE_LABELS);
  private readonly descErrors = this.counter('virtnet_queue_descriptor_errors_total', 'Descriptor errors by reason (bad_desc, exceed_max_chain, invalid_buffer)', [...QUEUE_LABELS, 'reason']);
  private readonly kicks = this.counter('virtnet_queue_kicks_total', 'Notifications from the driver to the device', QUEUE_LABELS);
  private readonly calls = this.counter('virtnet_queue_calls_total', 'Notifications (interrupts) from the device to the driver', QUEUE_LABELS);
  private readonly broken = this.gauge('virtnet_queue_broken', '1 when the driver broke the ring (stopped until reset)', QUEUE_LABELS);
  private readonly oversized = this.counter('virtnet_queue_oversized_frames_total', 'TX frames longer than the device MTU allows, dropped', QUEUE_LABELS);
  private readonly protocolErrors = this.counter('virtnet_device_protocol_errors_total', 'vhost-user messages the device refused or found malformed', DEVICE_LABELS);
  private readonly dpuUp = this.gauge('virtnet_dpu_up', '1 while the DPU process answers', []);
  private readonly dpuStarts = this.gauge('virtnet_dpu_starts', 'DPU processes this controller started (the first one included)', []);
  private readonly dpuFaults = this.gauge('virtnet_dpu_memory_faults', 'Guest-memory faults the DPU absorbed (a driver shrank its memory)', []);

  constructor(
    @Inject(HARDWARE) private readonly hw: Hardware,
    @Inject(DevicesService) private readonly devices: DevicesService,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'virtnet_controller_' });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[]) {
    return new Gauge<L>({ name, help, labelNames, registers: [this.registry] });
  }

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]) {
    return new Counter<L>({ name, help, labelNames, registers: [this.registry] });
  }

  /** Reads the hardware once and replaces every device and queue series (gone devices vanish). */
  private refresh(): void {
    const dpu = this.hw.status();
    this.dpuUp.set(dpu.up ? 1 : 0);
    this.dpuStarts.set(dpu.starts);
    this.dpuFaults.set(dpu.faults);
    for (const m of [this.info, this.mtu, this.linkUp, this.driverOk, this.status, this.connected, this.queues, this.broken, this.packets, this.bytes, this.dropped, this.descErrors, this.kicks, this.calls, this.oversized, this.protocolErrors]) m.reset();
    // While the DPU is down there is nothing to read: the device series go, virtnet_dpu_up says why.
    if (!dpu.up) return;
    const handles = this.devices.handles();
    const fns = this.hw.list().filter((f) => handles.has(f.handle));
    const byHandle = new Map<number, { labels: Record<(typeof DEVICE_LABELS)[number], string>; numQueues: number }>();
    for (const f of fns) {
      const labels = { vuid: f.vuid, pf: String(f.pfId), vf: f.vfId === null ? '' : String(f.vfId) };
      byHandle.set(f.handle, { labels, numQueues: f.numQueues });
      this.info.set({ ...labels, type: TYPE_NAMES[f.kind], bdf: f.bdf, mac: f.mac, sf_rep: f.sfRep }, 1);
      this.mtu.set(labels, f.mtu);
      this.linkUp.set(labels, f.linkUp ? 1 : 0);
      this.driverOk.set(labels, f.deviceStatus & 4 ? 1 : 0);
      this.status.set(labels, f.deviceStatus);
      this.connected.set(labels, f.connected ? 1 : 0);
      this.queues.set(labels, f.numQueues);
      this.protocolErrors.inc(labels, f.protocolErrors);
    }
    const used = fns.filter((f) => f.kind === 'hotplug').length;
    this.ports.set({ state: 'used' }, used);
    this.ports.set({ state: 'free' }, Math.max(0, this.hw.profile.hotplugPorts - used));
    for (const q of this.hw.counters()) {
      const dev = byHandle.get(q.handle);
      if (!dev) continue;
      const labels = { ...dev.labels, queue: String(q.qid), direction: queueType(q.qid, dev.numQueues) };
      this.packets.inc(labels, q.packets);
      this.bytes.inc(labels, q.totalBytes);
      this.dropped.inc(labels, q.dropped);
      this.descErrors.inc({ ...labels, reason: 'bad_desc' }, q.badDescErrors);
      this.descErrors.inc({ ...labels, reason: 'exceed_max_chain' }, q.exceedMaxChain);
      this.descErrors.inc({ ...labels, reason: 'invalid_buffer' }, q.invalidBuffer);
      this.kicks.inc(labels, q.kicks);
      this.calls.inc(labels, q.calls);
      this.broken.set(labels, q.broken ? 1 : 0);
      this.oversized.inc(labels, q.oversized);
    }
  }

  async scrape(): Promise<string> {
    this.refresh();
    return this.registry.metrics();
  }
}
