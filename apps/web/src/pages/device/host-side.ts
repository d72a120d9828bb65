/** What the host side says of one device, whichever host the controller has (sim, qemu or external). */
import { HOST_DRIVER_UNSUPPORTED, type HostStatus } from '@virtnet/shared';

export interface HostSide {
  /** The built-in host runs: the page can unbind and bind its driver. */
  canToggleDriver: boolean;
  /** Why the host's driver cannot be unbound from here, in the controller's NOT_SUPPORTED words. */
  noHostDriver: string | null;
  /** The host driver's state as the host reports it. */
  driverText: string;
}

export function hostSide(host: HostStatus | null, vuid: string): HostSide {
  const hostDevice = host?.devices.find((x) => x.vuid === vuid);
  const inVm = host?.qemu?.plugged.find((p) => p.vuid === vuid);
  const driverText = hostDevice
    ? `${hostDevice.state}, profile ${hostDevice.profile}`
    : host?.mode === 'qemu'
      ? inVm
        ? `in the VM at ${inVm.bdf}${inVm.root_port ? ` behind ${inVm.root_port}` : ' (cold-plugged)'}`
        : 'not in the VM'
      : host
        ? host.mode
        : '…';
  return {
    canToggleDriver: host?.mode === 'sim' && host.running,
    noHostDriver: host && host.mode !== 'sim' ? HOST_DRIVER_UNSUPPORTED[host.mode] : null,
    driverText,
  };
}
