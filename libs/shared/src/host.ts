/**
 * The host side as the controller sees it (`virtnet host`): the built-in
 * host's driver state per device, the VM of the qemu mode, and what a host
 * mode cannot do, worded in one place: the controller refuses with
 * NOT_SUPPORTED and these words, and the dashboard shows the same words
 * before an operator tries.
 */
import { z } from 'zod';
import { NoParamsSchema, SingleSelectorSchema, integer } from './fields.js';

/** The host side as the controller sees it (the sim host, vnet-host, reports these). */
export const HostProfileSchema = z.enum(['idle', 'ping', 'bulk']).describe('Traffic the simulated host runs on a device');
export const HostDeviceSchema = z.object({
  vuid: z.string(),
  state: z.enum(['probing', 'bound', 'unbound']).describe('The host driver: probing the device, bound to it, or unbound'),
  profile: HostProfileSchema,
  queue_pairs: integer(),
  mac: z.string().nullable().describe("The device's MAC as the host's driver read it from the config space at its last probe"),
  mtu: integer().nullable().describe("The device's MTU as the host's driver read it from the config space at its last probe"),
  tx_frames: integer(),
  rx_frames: integer(),
  rx_bytes: integer(),
  probes: integer().describe('Times the host driver probed the device'),
  reconnects: integer().describe('Times the host reconnected to a restarted controller without re-probing'),
});
export type HostDevice = z.infer<typeof HostDeviceSchema>;
/** The VM of the qemu host mode, as its QMP socket shows it. */
export const QemuHostSchema = z.object({
  qmp: z.string().describe('The VM\'s QMP socket'),
  connected: z.boolean(),
  accel: z.string().nullable().describe('kvm or tcg, once connected'),
  root_ports: z.array(z.string()).describe('pcie-root-ports of the VM that hot-plug ports map to, in port order'),
  plugged: z
    .array(
      z.object({
        vuid: z.string(),
        qdev_id: z.string().describe('The device id in QEMU (vnet-<vuid>)'),
        bdf: z.string().describe('The PCI address the guest enumerated it at'),
        root_port: z.string().nullable().describe('The root port it sits behind; null when cold-plugged on the root bus'),
      }),
    )
    .describe('virtio-net devices of this controller in the VM'),
});
export type QemuHost = z.infer<typeof QemuHostSchema>;

export const HostStatusSchema = z.object({
  mode: z.enum(['sim', 'qemu', 'external']),
  running: z.boolean(),
  pid: integer().nullable(),
  devices: z.array(HostDeviceSchema),
  qemu: QemuHostSchema.optional().describe('qemu mode: the VM'),
});
export type HostStatus = z.infer<typeof HostStatusSchema>;
export const HostActionParamsSchema = z
  .object({
    selector: SingleSelectorSchema,
    action: z.enum(['unbind', 'bind', 'profile']),
    profile: HostProfileSchema.optional(),
  })
  .strict()
  .refine((p) => (p.action === 'profile') === (p.profile !== undefined), { error: 'profile (and only profile) takes a traffic profile', path: ['profile'] });

export const HOST_METHODS = {
  host: { params: NoParamsSchema, result: HostStatusSchema },
  host_action: { params: HostActionParamsSchema, result: HostStatusSchema },
} as const;

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
