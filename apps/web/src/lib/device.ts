/** What the pages say about a device, in one place: its order, its label, the host driver's state. */
import { driverBound, driverState as stateOf, type Device, type DriverState } from '@virtnet/shared';

/** Devices in (pf, vf) order. */
export function sortedDevices(devices: ReadonlyMap<string, Device>): Device[] {
  return [...devices.values()].sort((a, b) => a.pf_id - b.pf_id || (a.vf_id ?? -1) - (b.vf_id ?? -1));
}

const SHOWN: Record<DriverState, { text: string; tone: string }> = {
  failed: { text: 'failed', tone: 'text-danger' },
  ok: { text: 'driver ok', tone: 'text-accent' },
  probing: { text: 'probing', tone: 'text-warn' },
  none: { text: 'no driver', tone: 'text-muted' },
};

export function driverState(d: Device): { key: DriverState; text: string; tone: string } {
  const key = stateOf(d.device_status);
  return { key, ...SHOWN[key] };
}

/** The host driver holds the device, and device settings are refused (DRIVER_BOUND). */
export const isBound = (d: Device) => driverBound(d.device_status);

export const deviceLabel = (d: Device) => (d.vf_id !== undefined ? `PF ${d.pf_id} VF ${d.vf_id}` : `PF ${d.pf_id}`);
