/**
 * What the configuration makes of the emulated DPU: the profile handed to
 * the hardware layer, the default feature set, and the static PF defaults.
 */
import type { ProfileOverrides } from '@virtnet/hw';
import {
  DEFAULT_PROVIDER,
  F,
  NEEDS_CTRL_VQ,
  checkConfAgainstProfile,
  describeFinding,
  ibDevicesOf,
  parseFeatures,
  staticPfIbDevice,
  type DpuProfile,
  type ProviderName,
  type VirtnetConf,
} from '@virtnet/shared';

/**
 * Offered by a new device unless the user adds more with -f: what a Linux
 * virtio_net driver needs for MAC, MTU, link status, multiqueue and RX mode.
 */
// GUEST_ANNOUNCE: after a live migration the guest announces itself (gratuitous ARP), so switches relearn where it went.
export const DEFAULT_FEATURES = F.MTU | F.MAC | F.STATUS | F.CTRL_VQ | F.CTRL_RX | F.GUEST_ANNOUNCE | F.MQ | F.VERSION_1 | F.SPEED_DUPLEX;

export const STATIC_PF_DEFAULTS = { numQueues: 3, maxQueueSize: 256, mtu: 1500 } as const;
/** Locally administered base ("VN") for static PFs when virtnet.conf names none. */
export const STATIC_PF_MAC_BASE = '02:56:4E:00:00:00';
/** Base for VFs when virtnet.conf names none; VF n of PF p gets base + p * vfs_per_pf + n. */
export const VF_MAC_BASE = '02:56:4E:01:00:00';

export interface Inventory {
  overrides: ProfileOverrides;
  emulationManager: string;
  ibDevices: string[];
  staticPfIbDevice: string;
  defaultFeatures: bigint;
  /** The data-path provider chosen from the providers directory, and the file that chose it. */
  provider: ProviderName;
  providerSource: string;
}

export class InventoryError extends Error {}

export function buildInventory(profile: DpuProfile, conf: VirtnetConf, provider: { chosen: ProviderName; source: string } = { chosen: DEFAULT_PROVIDER, source: 'default' }): Inventory {
  const ib = ibDevicesOf(conf);
  const supported = parseFeatures(profile.supported_features)!;
  // The rules `virtnet validate` and the configuration files' loading apply, for callers that built `conf` themselves.
  const problems = checkConfAgainstProfile(conf, profile);
  if (problems.length) throw new InventoryError(problems.map(describeFinding).join('; '));
  return {
    overrides: {
      boardSerial: profile.board_serial,
      hotplugPorts: profile.PCI_SWITCH_EMULATION_NUM_PORT,
      staticPfs: profile.VIRTIO_NET_EMULATION_NUM_PF,
      vfsPerPf: profile.VIRTIO_NET_EMULATION_NUM_VF,
      pfMsix: profile.VIRTIO_NET_EMULATION_NUM_MSIX,
      vfMsix: profile.VIRTIO_NET_EMULATION_NUM_VF_MSIX,
      maxVirtqueues: profile.max_virt_queues,
      maxQueueSize: profile.max_queue_size,
      maxMtu: profile.max_mtu,
      linkSpeedMbps: profile.link_speed_mbps,
      supportedFeatures: supported,
      ibDevices: ib.map((d) => ({ name: d.name, port: d.port, pfNum: d.pf_num })),
    },
    emulationManager: ib[0]!.name,
    ibDevices: ib.map((d) => d.name),
    staticPfIbDevice: staticPfIbDevice(conf),
    // virtnet.conf's mrg_rxbuf and packed_vq add their feature to what new devices offer.
    defaultFeatures: (DEFAULT_FEATURES | (conf.mrg_rxbuf ? F.MRG_RXBUF : 0n) | (conf.packed_vq ? F.RING_PACKED : 0n)) & supported,
    provider: provider.chosen,
    providerSource: provider.source,
  };
}

/**
 * The feature set a new device offers: the defaults plus what the user
 * added. Without a control queue (even queue count) the defaults that need
 * one are dropped; bits the user added explicitly are kept, so a conflict
 * there is reported rather than silently fixed.
 */
export function newDeviceFeatures(defaults: bigint, extra: bigint, numQueues: number): bigint {
  const base = numQueues % 2 === 1 ? defaults : defaults & ~NEEDS_CTRL_VQ;
  return base | extra;
}
