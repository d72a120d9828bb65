/**
 * The virtio device status register (virtio 1.2, 2.1) and what it says about
 * the host's driver. The controller, the dashboard and the import of
 * recovery files read a driver's state through these predicates only, so
 * that "bound" means what the DPU means when it refuses a change with
 * DRIVER_BOUND (DRIVER or DRIVER_OK written: a driver that is still probing
 * holds the device as much as one that finished).
 */

export const DEVICE_STATUS = {
  ACKNOWLEDGE: 1,
  DRIVER: 2,
  DRIVER_OK: 4,
  FEATURES_OK: 8,
  DEVICE_NEEDS_RESET: 64,
  FAILED: 128,
} as const;

export type DeviceStatusName = keyof typeof DEVICE_STATUS;

/** Each status bit with its name, in bit order. */
export const DEVICE_STATUS_BITS: readonly { bit: number; name: DeviceStatusName }[] = (Object.keys(DEVICE_STATUS) as DeviceStatusName[]).map((name) => ({
  bit: Math.log2(DEVICE_STATUS[name]),
  name,
}));

export function decodeDeviceStatus(status: number): DeviceStatusName[] {
  return DEVICE_STATUS_BITS.filter((s) => status & (1 << s.bit)).map((s) => s.name);
}

/** The driver holds the device (DRIVER or DRIVER_OK): device settings are refused until it lets go. */
export function driverBound(status: number): boolean {
  return (status & (DEVICE_STATUS.DRIVER | DEVICE_STATUS.DRIVER_OK)) !== 0;
}

/** The driver finished its setup and drives the device. */
export function driverOk(status: number): boolean {
  return (status & DEVICE_STATUS.DRIVER_OK) !== 0;
}

/** The device asks its driver for a reset (a ring broke). */
export function needsReset(status: number): boolean {
  return (status & DEVICE_STATUS.DEVICE_NEEDS_RESET) !== 0;
}

/** The driver gave up on the device (FAILED), or the device needs a reset before it can go on. */
export function driverFailed(status: number): boolean {
  return (status & DEVICE_STATUS.FAILED) !== 0 || needsReset(status);
}

/** A driver has started on the device and has not finished (nor failed) yet. */
export function driverProbing(status: number): boolean {
  return status !== 0 && !driverOk(status) && !driverFailed(status);
}

export type DriverState = 'ok' | 'failed' | 'probing' | 'none';

/** The one-word state of the host's driver, failure first. */
export function driverState(status: number): DriverState {
  if (driverFailed(status)) return 'failed';
  if (driverOk(status)) return 'ok';
  if (status !== 0) return 'probing';
  return 'none';
}
