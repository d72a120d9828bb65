/**
 * The host side of the devices, one implementation per host mode: `sim`
 * (vnet-host, the built-in simulated host), `qemu` (a running VM, through
 * its QMP socket) and `external` (sockets only: the user's own front-end).
 */
import type { HwFunction } from '@virtnet/hw';
import type { HostStatus } from '@virtnet/shared';
import type { HostMode } from '../settings/settings.js';

export interface GuestView {
  deviceStatus: number;
  driverFeatures: bigint;
}

export type HostCommand = `unbind ${string}` | `bind ${string}` | `profile ${string} ${'idle' | 'ping' | 'bulk'}`;

export interface HostAdapter {
  readonly mode: HostMode;
  /**
   * Called once the controller's devices are recovered. `devices` lists the
   * live devices whenever the adapter needs them (to reconcile the host
   * with them when it connects or reconnects).
   */
  start(devices: () => HwFunction[]): Promise<void>;
  /** A device was created: expose it to the host. Throws with a stable code when the host refuses. */
  plug(fn: HwFunction): Promise<void>;
  /** A device is about to be destroyed: take it away from the host first. Throws when the host keeps it. */
  unplug(fn: HwFunction): Promise<void>;
  /** The PCI address the host enumerated the device at, when the host decides it (a VM does). */
  hostBdf?(vuid: string): string | undefined;
  /**
   * What the host's driver set, when the host can say so better than the
   * device sees it (a VM's QEMU knows the guest's status register and
   * negotiated features; over vhost-user the device sees only part).
   */
  guestView?(vuid: string): GuestView | undefined;
  status(): Promise<HostStatus>;
  command(cmd: HostCommand): Promise<void>;
  close(): Promise<void>;
}
