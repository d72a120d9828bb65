/**
 * `virtnet debug`: a device's rings as the device and the driver see them,
 * and frame captures. A capture is tenant traffic leaving the data path, so
 * each is audited (who, which device, how many frames), as a change is.
 */
import { Inject, Injectable } from '@nestjs/common';
import { HwError, type Hardware, type HwCaptureFrame, type HwQueueDebug } from '@virtnet/hw';
import { VirtnetError, formatFeatures, type CaptureResult, type DebugResult, type QueueDebug, type RpcArgs } from '@virtnet/shared';
import { AuditService, type Actor } from '../audit/audit.service.js';
import { DeviceRegistry } from '../devices/device-registry.js';
import { queueType } from '../devices/device-view.js';
import { HARDWARE } from '../hardware/hardware.module.js';
import { pcapFile } from './pcap.js';

/** How often a running capture is read out of the DPU. */
const POLL_MS = 20;
/** A capture ends when its file would exceed this (the answer carries it whole). */
export const MAX_CAPTURE_BYTES = 64 << 20;

const VRING_AVAIL_F_NO_INTERRUPT = 1;
/** Packed ring event suppression (virtio 1.2, 2.8.10): enable, disable, desc. */
const RING_EVENT_FLAGS_DISABLE = 1;

function toQueueDebug(q: HwQueueDebug, numQueues: number): QueueDebug {
  const packed = q.packed;
  const interrupts = (): 'on' | 'off' | 'event_idx' => {
    if (packed) return q.drvFlags === RING_EVENT_FLAGS_DISABLE ? 'off' : q.drvFlags === 2 ? 'event_idx' : 'on';
    if (q.eventIdx) return 'event_idx';
    return q.drvFlags & VRING_AVAIL_F_NO_INTERRUPT ? 'off' : 'on';
  };
  const pending = !q.driverReadable ? 0 : packed ? 0 : (q.drvAvail - q.devAvail) & 0xffff;
  return {
    index: q.qid,
    type: queueType(q.qid, numQueues),
    layout: packed ? 'packed' : 'split',
    size: q.size,
    enabled: q.enabled,
    started: q.started,
    broken: q.broken,
    device: { avail_idx: q.devAvail, used_idx: q.devUsed, ...(packed ? { wrap: q.devWrap } : {}), inflight: q.inflight, notify: q.devNotify },
    driver: q.driverReadable
      ? {
          avail_idx: q.drvAvail,
          used_idx: q.drvUsed,
          ...(packed ? { wrap: q.drvWrap } : {}),
          interrupts: interrupts(),
          used_event: q.eventIdx || (packed && q.drvFlags === 2) ? q.drvEvent : null,
        }
      : null,
    pending,
    errors_total: q.errorsTotal,
    last_errors: q.errors.map((e) => ({ at: new Date(e.atMs).toISOString(), head: e.head, kind: e.kind, what: e.what })),
  };
}

@Injectable()
export class DebugService {
  constructor(
    @Inject(DeviceRegistry) private readonly registry: DeviceRegistry,
    @Inject(HARDWARE) private readonly hw: Hardware,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  rings(p: RpcArgs<'debug'>): DebugResult {
    const l = this.registry.one(p.selector);
    const fn = this.hw.query(l.handle);
    let queues = this.hw.queueDebug(l.handle);
    if (p.queue_id !== undefined) {
      if (p.queue_id >= fn.numQueues) throw new VirtnetError('INVALID_ARGUMENT', `queue ${p.queue_id} does not exist: ${fn.vuid} has ${fn.numQueues} queues`, 'queue_id');
      queues = queues.filter((q) => q.qid === p.queue_id);
    }
    return {
      vuid: fn.vuid,
      pf_id: fn.pfId,
      ...(fn.vfId !== null ? { vf_id: fn.vfId } : {}),
      device_status: fn.deviceStatus,
      driver_features: formatFeatures(fn.driverFeatures),
      host_connected: fn.connected,
      queues: queues.map((q) => toQueueDebug(q, fn.numQueues)),
    };
  }

  async capture(p: RpcArgs<'debug_capture'>, actor: Actor): Promise<CaptureResult> {
    const l = this.registry.one(p.selector);
    const target = l.row.vuid;
    try {
      const result = await this.run(l.handle, target, p);
      await this.audit.record({ actor, action: 'debug_capture', target, result: 'ok', errorCode: null, detail: `${result.frames} frame(s) of ${p.queue_id === undefined ? 'every queue' : `queue ${p.queue_id}`}, ${result.dropped} dropped` });
      return result;
    } catch (e) {
      const code = e instanceof VirtnetError || e instanceof HwError ? e.code : 'INTERNAL';
      await this.audit.record({ actor, action: 'debug_capture', target, result: 'error', errorCode: code, detail: (e as Error).message });
      throw e;
    }
  }

  private async run(handle: number, vuid: string, p: RpcArgs<'debug_capture'>): Promise<CaptureResult> {
    const fn = this.hw.query(handle);
    if (p.queue_id !== undefined && p.queue_id >= fn.numQueues)
      throw new VirtnetError('INVALID_ARGUMENT', `queue ${p.queue_id} does not exist: ${vuid} has ${fn.numQueues} queues`, 'queue_id');
    const started = Date.now();
    const id = this.hw.captureStart(handle, p.queue_id ?? -1, p.count, p.snaplen);
    const frames: HwCaptureFrame[] = [];
    let bytes = 24;
    let dropped = 0;
    let done = false;
    try {
      while (!done && Date.now() - started < p.timeout_ms && bytes < MAX_CAPTURE_BYTES) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        const r = this.hw.captureRead(id);
        for (const f of r.frames) {
          if (frames.length === p.count || bytes + 16 + f.data.length > MAX_CAPTURE_BYTES) break;
          frames.push(f);
          bytes += 16 + f.data.length;
        }
        dropped = r.dropped;
        done = r.done || frames.length >= p.count;
      }
    } finally {
      try {
        this.hw.captureStop(id);
      } catch {
        // the DPU went away meanwhile: its captures went with it
      }
    }
    return {
      vuid,
      frames: frames.length,
      dropped,
      complete: frames.length >= p.count,
      elapsed_ms: Date.now() - started,
      pcap: pcapFile(frames, p.snaplen).toString('base64'),
    };
  }
}
