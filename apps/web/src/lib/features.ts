/**
 * The feature picker's presets: bits a user commonly adds to the defaults,
 * by what the host's driver is meant to do. Only bits the DPU supports are
 * offered (the controller's supported_features).
 */
import { F, feature } from '@virtnet/shared';

export const PRESETS: { id: string; label: string; bits: bigint }[] = [
  { id: 'defaults', label: 'Defaults only', bits: 0n },
  { id: 'vlan', label: 'VLAN filtering', bits: F.CTRL_VLAN },
  { id: 'csum', label: 'Checksum offload', bits: F.CSUM | F.GUEST_CSUM | feature('VIRTIO_NET_F_CTRL_GUEST_OFFLOADS') },
  { id: 'linux', label: 'Linux guest (csum, TSO, mergeable RX, announce)', bits: F.CSUM | F.GUEST_CSUM | feature('VIRTIO_NET_F_HOST_TSO4') | feature('VIRTIO_NET_F_HOST_TSO6') | F.MRG_RXBUF | F.GUEST_ANNOUNCE | F.CTRL_MAC_ADDR },
  { id: 'packed', label: 'Packed ring', bits: F.RING_PACKED },
];

export const bitsOf = (v: bigint) => Array.from({ length: 64 }, (_, b) => b).filter((b) => (v >> BigInt(b)) & 1n);
export const hex = (v: bigint) => `0x${v.toString(16)}`;
