/** What the pages say about a device, in one place: its order, its label, the host driver's state. */
import type { Device } from '@virtnet/shared';

/** Devices in (pf, vf) order. */
export function sortedDevices(devices: ReadonlyMap<string, Device>): Device[] {
  return [...devices.values()].sort((a, b) => a.pf_id - b.pf_id || (a.vf_id ?? -1) - (b.vf_id ?? -1));
}

export function driverState(d: Device): { key: 'ok' | 'failed' | 'probing' | 'none'; text: string; tone: string } {
  if (d.device_status_names.includes('FAILED') || d.device_status_names.includes('DEVICE_NEEDS_RESET')) return { key: 'failed', text: 'failed', tone: 'text-danger' };
  if (d.device_status_names.includes('DRIVER_OK')) return { key: 'ok', text: 'driver ok', tone: 'text-accent' };
  if (d.device_status !== 0) return { key: 'probing', text: 'probing', tone: 'text-warn' };
  return { key: 'none', text: 'no driver', tone: 'text-muted' };
}

/** DRIVER | DRIVER_OK: the host driver holds the device, and device settings are refused (DRIVER_BOUND). */
export const isBound = (d: Device) => (d.device_status & 0b110) !== 0;

export const deviceLabel = (d: Device) => (d.vf_id !== undefined ? `PF ${d.pf_id} VF ${d.vf_id}` : `PF ${d.pf_id}`);
