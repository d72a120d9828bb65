/**
 * A device's row (what the database keeps of an acknowledged device) to
 * and from the DPU's terms: the row of a function just created, the patch
 * of a function just changed, and the spec that creates a stored device
 * again at its exact position. Pure functions.
 */
import type { HwFunction, HwFunctionSpec } from '@virtnet/hw';
import { VirtnetError, formatFeatures, parseFeatures } from '@virtnet/shared';
import type { DeviceRow, DeviceRowPatch, NewDeviceRow } from '../database/stores.js';

export function rowFromFunction(fn: HwFunction): NewDeviceRow {
  return {
    vuid: fn.vuid,
    kind: fn.kind,
    pfId: fn.pfId,
    vfId: fn.vfId,
    hotplugPort: fn.port,
    bdfRaw: fn.bdfRaw,
    ibDevice: fn.ibDevice,
    sfNum: fn.sfNum,
    mac: fn.mac,
    mtu: fn.mtu,
    numQueues: fn.numQueues,
    maxQueueSize: fn.maxQueueSize,
    numMsix: fn.numMsix,
    features: formatFeatures(fn.deviceFeatures),
    transitional: fn.transitional,
    eventMode: fn.eventMode,
    periodUs: fn.moderationPeriodUs,
    maxCount: fn.moderationMaxCount,
  };
}

/** The device settings a modify changes, as the DPU now runs them. */
export function patchFromFunction(fn: HwFunction): DeviceRowPatch {
  return { mac: fn.mac, mtu: fn.mtu, features: formatFeatures(fn.deviceFeatures), maxQueueSize: fn.maxQueueSize, numMsix: fn.numMsix };
}

/** The interrupt moderation a queue change sets, as the DPU now runs it. */
export function moderationPatch(fn: HwFunction): DeviceRowPatch {
  return { eventMode: fn.eventMode, periodUs: fn.moderationPeriodUs, maxCount: fn.moderationMaxCount };
}

/** A row as it would be stored for `fn`, less its VUID: what replaces a row in place. */
export function replacementPatch(fn: HwFunction): DeviceRowPatch {
  const patch: DeviceRowPatch & { vuid?: string } = rowFromFunction(fn);
  delete patch.vuid;
  return patch;
}

export function specFromRow(row: DeviceRow): HwFunctionSpec {
  const kind = row.kind === 'static' || row.kind === 'hotplug' || row.kind === 'vf' ? row.kind : undefined;
  if (!kind) throw new VirtnetError('INTERNAL', `stored device ${row.vuid} has unknown kind '${row.kind}'`);
  const features = parseFeatures(row.features);
  if (features === undefined) throw new VirtnetError('INTERNAL', `stored device ${row.vuid} has malformed features '${row.features}'`);
  return {
    kind,
    ...(kind !== 'hotplug' ? { pfIndex: row.pfId } : {}),
    ...(row.vfId !== null ? { vfIndex: row.vfId } : {}),
    ...(row.hotplugPort !== null ? { port: row.hotplugPort } : {}),
    sfNum: row.sfNum,
    ibDevice: row.ibDevice,
    mac: row.mac,
    mtu: row.mtu,
    numQueues: row.numQueues,
    maxQueueSize: row.maxQueueSize,
    numMsix: row.numMsix,
    transitional: row.transitional,
    features,
  };
}
