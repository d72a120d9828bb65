/**
 * One NVIDIA recovery record (the seed's "Controller Recovery": port_ib_dev,
 * pf_id, vf_id, function_type, bdf_raw, device_type, mac, pf_num, sf_num,
 * mq) to the spec of the device it describes on this DPU, and a device back
 * to a record. Pure functions.
 */
import type { HwFunction, HwFunctionSpec, HwProfile } from '@virtnet/hw';
import { RecoveryRecordSchema, VirtnetError, formatFeatures, parseFeatures } from '@virtnet/shared';
import { z } from 'zod';
import { STATIC_PF_DEFAULTS, newDeviceFeatures } from '../hardware/inventory.js';

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

export interface RecordContext {
  profile: HwProfile;
  defaultFeatures: bigint;
  /** Switch ports that hot-plugged devices hold now. */
  takenPorts(): ReadonlySet<number | null>;
}

/** The spec a record describes, and a note when it could not be placed where it says. */
export function recordToSpec(file: string, text: string, ctx: RecordContext): { spec: HwFunctionSpec; note?: string } {
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
  const p = ctx.profile;
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
  const features = extra ?? newDeviceFeatures(ctx.defaultFeatures, 0n, numQueues);
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
  if (port >= 0 && port < p.hotplugPorts && (rec.bdf_raw & 0xff) === 0 && !ctx.takenPorts().has(port)) return { spec: { ...common, kind: 'hotplug', port } };
  const where = `${(rec.bdf_raw >> 8).toString(16).padStart(2, '0')}:${((rec.bdf_raw >> 3) & 0x1f).toString(16)}.${rec.bdf_raw & 7}`;
  return {
    spec: { ...common, kind: 'hotplug' },
    note: port >= 0 && port < p.hotplugPorts ? `port of bdf ${where} is in use; placed at the first free port` : `bdf ${where} is not a switch port of this DPU; placed at the first free port`,
  };
}

/** A device as the real controller's recovery record, plus the settings a round trip needs. */
export function functionToRecord(f: HwFunction, pfNum: number): Record<string, unknown> {
  return {
    port_ib_dev: f.ibDevice,
    pf_id: f.pfId,
    ...(f.vfId !== null ? { vf_id: f.vfId } : {}),
    function_type: f.kind === 'vf' ? 'vf' : 'pf',
    bdf_raw: f.bdfRaw,
    device_type: f.kind === 'hotplug' ? 'hotplug' : 'static',
    mac: f.mac.toLowerCase(),
    pf_num: pfNum,
    sf_num: f.sfNum,
    mq: Math.max(1, Math.floor(f.numQueues / 2)),
    vuid: f.vuid,
    mtu: f.mtu,
    max_queue_size: f.maxQueueSize,
    num_queues: f.numQueues,
    features: formatFeatures(f.deviceFeatures),
    transitional: f.transitional ? 1 : 0,
  };
}
