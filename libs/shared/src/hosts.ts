/**
 * What a host mode cannot do, and why, in one place: the controller refuses
 * with NOT_SUPPORTED and these words, and the dashboard shows the same words
 * before an operator tries.
 */
import type { HostStatus } from './schemas.js';

/** Host driver unbind and bind (`virtnet host unbind|bind`): only the built-in host does them. */
export const HOST_DRIVER_UNSUPPORTED: Record<Exclude<HostStatus['mode'], 'sim'>, string> = {
  qemu: 'the host is a QEMU VM: unbind and bind the driver in the guest (echo <bdf> > /sys/bus/pci/drivers/virtio-pci/unbind, then bind)',
  external: "the host is 'external': unbind and bind the driver on your own front-end",
};

/** Device settings of a device plugged into a VM, which QEMU fixed when it plugged the virtio-net-pci. */
export function deviceInVmMessage(vuid: string): string {
  return `${vuid} is in a QEMU VM, whose virtio-net-pci takes MAC, MTU and queue layout from QEMU when plugged: unplug it and hot-plug it again with the new values`;
}

/** True when the controller refuses device settings of this device because it sits in the VM (qemu host). */
export function isInVm(host: HostStatus | null | undefined, vuid: string): boolean {
  return host?.mode === 'qemu' && !!host.qemu?.plugged.some((p) => p.vuid === vuid);
}
