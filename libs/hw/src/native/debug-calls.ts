/**
 * The debug calls of a connection (virtnet debug): ring state and frame
 * capture, decoded from libvnet's structs. Kept apart from connection.ts,
 * which they extend.
 */
import koffi from 'koffi';
import type { HwCaptureFrame, HwCaptureRead, HwDescErrorKind, HwQueueDebug } from '../hardware.js';
import type { NativeFunctions } from './functions.js';
import { structArrayReader } from './struct-reader.js';
import { CaptureRec, QueueDebug, type RawCaptureState, type RawQueueDebug } from './types.js';

const KINDS: Record<number, HwDescErrorKind> = { 1: 'address', 2: 'chain', 3: 'descriptor', 4: 'head', 5: 'writable' };
const QUEUE_DEBUG_SIZE = koffi.sizeof(QueueDebug);
const REC_SIZE = koffi.sizeof(CaptureRec);
const readQueues = structArrayReader<RawQueueDebug>(QueueDebug);
/** What one capture read moves at most. */
const READ_BYTES = 4 << 20;

export interface NativeCall {
  fns: NativeFunctions;
  ctx: unknown;
  check: (rc: number) => void;
}

export function queueDebug(n: NativeCall, handle: number): HwQueueDebug[] {
  const count = [0];
  n.check(n.fns.vnet_fn_queue_debug(n.ctx, handle, null, 0, count) as number);
  const buf = Buffer.alloc(Math.max(1, count[0]!) * QUEUE_DEBUG_SIZE);
  n.check(n.fns.vnet_fn_queue_debug(n.ctx, handle, buf, count[0]!, count) as number);
  return readQueues(buf, count[0]!).map((q) => ({
    handle: q.handle,
    qid: q.qid,
    size: q.size,
    packed: q.packed === 1,
    enabled: q.enabled === 1,
    started: q.started === 1,
    broken: q.broken === 1,
    devAvail: q.dev_avail,
    devUsed: q.dev_used,
    devWrap: q.dev_wrap === 1,
    inflight: q.inflight,
    devNotify: q.dev_notify === 1,
    driverReadable: q.driver_readable === 1,
    drvAvail: q.drv_avail,
    drvUsed: q.drv_used,
    drvWrap: q.drv_wrap === 1,
    drvFlags: q.drv_flags,
    drvEvent: q.drv_event,
    eventIdx: q.event_idx === 1,
    errorsTotal: Number(q.errors_total),
    errors: q.errors.slice(0, q.nerrors).map((e) => ({ atMs: Number(e.at_ms), head: e.head, kind: KINDS[e.kind] ?? 'descriptor', what: e.what })),
  }));
}

export function captureStart(n: NativeCall, handle: number, qid: number, count: number, snaplen: number): number {
  const id = [0];
  n.check(n.fns.vnet_capture_start(n.ctx, handle, qid, count, snaplen, id) as number);
  return id[0]!;
}

export function captureRead(n: NativeCall, id: number): HwCaptureRead {
  const buf = Buffer.allocUnsafe(READ_BYTES);
  const len = [0];
  const st = {} as RawCaptureState;
  n.check(n.fns.vnet_capture_read(n.ctx, id, buf, READ_BYTES, len, st) as number);
  const frames: HwCaptureFrame[] = [];
  // libvnet checked that the records are whole.
  for (let at = 0; at < len[0]!; ) {
    const inclLen = buf.readUInt32LE(at + 12);
    frames.push({
      atNs: buf.readBigUInt64LE(at),
      origLen: buf.readUInt32LE(at + 8),
      qid: buf.readUInt16LE(at + 16),
      data: Buffer.from(buf.subarray(at + REC_SIZE, at + REC_SIZE + inclLen)),
    });
    at += REC_SIZE + ((inclLen + 7) & ~7);
  }
  return { frames, captured: st.captured, dropped: st.dropped, done: st.done === 1 };
}

export function captureStop(n: NativeCall, id: number): void {
  n.check(n.fns.vnet_capture_stop(n.ctx, id) as number);
}
