/**
 * Virtio feature bits a virtio-net device can offer, with the names of the
 * virtio 1.2 specification (sections 5.1.3 and 6) and linux/virtio_net.h.
 * Features are 64-bit: they travel as hex strings ("0x230047082b") and are
 * handled as bigint.
 */
export interface FeatureBit {
  bit: number;
  name: string;
  description: string;
}

export const FEATURE_BITS: readonly FeatureBit[] = [
  { bit: 0, name: 'VIRTIO_NET_F_CSUM', description: 'Device handles packets with partial checksum' },
  { bit: 1, name: 'VIRTIO_NET_F_GUEST_CSUM', description: 'Driver handles packets with partial checksum' },
  { bit: 2, name: 'VIRTIO_NET_F_CTRL_GUEST_OFFLOADS', description: 'Control channel offloads reconfiguration' },
  { bit: 3, name: 'VIRTIO_NET_F_MTU', description: 'Device reports its maximum MTU' },
  { bit: 5, name: 'VIRTIO_NET_F_MAC', description: 'Device has a given MAC address' },
  { bit: 6, name: 'VIRTIO_NET_F_GSO', description: 'Device handles packets with any GSO type (legacy)' },
  { bit: 7, name: 'VIRTIO_NET_F_GUEST_TSO4', description: 'Driver can receive TSOv4' },
  { bit: 8, name: 'VIRTIO_NET_F_GUEST_TSO6', description: 'Driver can receive TSOv6' },
  { bit: 9, name: 'VIRTIO_NET_F_GUEST_ECN', description: 'Driver can receive TSO with ECN' },
  { bit: 10, name: 'VIRTIO_NET_F_GUEST_UFO', description: 'Driver can receive UFO' },
  { bit: 11, name: 'VIRTIO_NET_F_HOST_TSO4', description: 'Device can receive TSOv4' },
  { bit: 12, name: 'VIRTIO_NET_F_HOST_TSO6', description: 'Device can receive TSOv6' },
  { bit: 13, name: 'VIRTIO_NET_F_HOST_ECN', description: 'Device can receive TSO with ECN' },
  { bit: 14, name: 'VIRTIO_NET_F_HOST_UFO', description: 'Device can receive UFO' },
  { bit: 15, name: 'VIRTIO_NET_F_MRG_RXBUF', description: 'Driver can merge receive buffers' },
  { bit: 16, name: 'VIRTIO_NET_F_STATUS', description: 'Configuration status field is available' },
  { bit: 17, name: 'VIRTIO_NET_F_CTRL_VQ', description: 'Control channel is available' },
  { bit: 18, name: 'VIRTIO_NET_F_CTRL_RX', description: 'Control channel RX mode support' },
  { bit: 19, name: 'VIRTIO_NET_F_CTRL_VLAN', description: 'Control channel VLAN filtering' },
  { bit: 20, name: 'VIRTIO_NET_F_CTRL_RX_EXTRA', description: 'Extra RX mode control support' },
  { bit: 21, name: 'VIRTIO_NET_F_GUEST_ANNOUNCE', description: 'Driver can send gratuitous packets' },
  { bit: 22, name: 'VIRTIO_NET_F_MQ', description: 'Multiqueue with automatic receive steering' },
  { bit: 23, name: 'VIRTIO_NET_F_CTRL_MAC_ADDR', description: 'Set MAC address through control channel' },
  { bit: 24, name: 'VIRTIO_F_NOTIFY_ON_EMPTY', description: 'Notify when the available ring is empty (legacy)' },
  { bit: 27, name: 'VIRTIO_F_ANY_LAYOUT', description: 'Arbitrary descriptor layouts (legacy)' },
  { bit: 28, name: 'VIRTIO_F_INDIRECT_DESC', description: 'Indirect descriptors' },
  { bit: 29, name: 'VIRTIO_F_EVENT_IDX', description: 'used_event and avail_event fields' },
  { bit: 32, name: 'VIRTIO_F_VERSION_1', description: 'Compliance with virtio 1.x' },
  { bit: 33, name: 'VIRTIO_F_ACCESS_PLATFORM', description: 'Device access is limited and translated by the platform' },
  { bit: 34, name: 'VIRTIO_F_RING_PACKED', description: 'Packed virtqueue layout' },
  { bit: 35, name: 'VIRTIO_F_IN_ORDER', description: 'Buffers are used in the order they are made available' },
  { bit: 36, name: 'VIRTIO_F_ORDER_PLATFORM', description: 'Memory accesses ordered by the platform' },
  { bit: 37, name: 'VIRTIO_F_SR_IOV', description: 'Single root I/O virtualization' },
  { bit: 38, name: 'VIRTIO_F_NOTIFICATION_DATA', description: 'Driver passes extra data in notifications' },
  { bit: 39, name: 'VIRTIO_F_NOTIF_CONFIG_DATA', description: 'Driver uses device-provided notification data' },
  { bit: 40, name: 'VIRTIO_F_RING_RESET', description: 'Individual virtqueue reset' },
  { bit: 41, name: 'VIRTIO_F_ADMIN_VQ', description: 'Administration virtqueues' },
  { bit: 52, name: 'VIRTIO_NET_F_VQ_NOTF_COAL', description: 'Per-virtqueue notification coalescing' },
  { bit: 53, name: 'VIRTIO_NET_F_NOTF_COAL', description: 'Notification coalescing' },
  { bit: 54, name: 'VIRTIO_NET_F_GUEST_USO4', description: 'Driver can receive USOv4' },
  { bit: 55, name: 'VIRTIO_NET_F_GUEST_USO6', description: 'Driver can receive USOv6' },
  { bit: 56, name: 'VIRTIO_NET_F_HOST_USO', description: 'Device can receive USO' },
  { bit: 57, name: 'VIRTIO_NET_F_HASH_REPORT', description: 'Device can report a packet hash' },
  { bit: 59, name: 'VIRTIO_NET_F_GUEST_HDRLEN', description: 'Driver provides the exact hdr_len' },
  { bit: 60, name: 'VIRTIO_NET_F_RSS', description: 'Receive side scaling' },
  { bit: 61, name: 'VIRTIO_NET_F_RSC_EXT', description: 'Extended coalescing info' },
  { bit: 62, name: 'VIRTIO_NET_F_STANDBY', description: 'Device may act as a standby for a primary device' },
  { bit: 63, name: 'VIRTIO_NET_F_SPEED_DUPLEX', description: 'Device reports speed and duplex' },
];

const BY_BIT = new Map(FEATURE_BITS.map((f) => [f.bit, f]));
const BY_NAME = new Map(FEATURE_BITS.map((f) => [f.name, f]));

/** The bit value of a named feature, e.g. feature('VIRTIO_F_VERSION_1'). */
export function feature(name: string): bigint {
  const f = BY_NAME.get(name);
  if (!f) throw new Error(`unknown feature ${name}`);
  return 1n << BigInt(f.bit);
}

export const F = {
  CSUM: feature('VIRTIO_NET_F_CSUM'),
  GUEST_CSUM: feature('VIRTIO_NET_F_GUEST_CSUM'),
  MTU: feature('VIRTIO_NET_F_MTU'),
  MAC: feature('VIRTIO_NET_F_MAC'),
  MRG_RXBUF: feature('VIRTIO_NET_F_MRG_RXBUF'),
  STATUS: feature('VIRTIO_NET_F_STATUS'),
  CTRL_VQ: feature('VIRTIO_NET_F_CTRL_VQ'),
  CTRL_RX: feature('VIRTIO_NET_F_CTRL_RX'),
  CTRL_VLAN: feature('VIRTIO_NET_F_CTRL_VLAN'),
  GUEST_ANNOUNCE: feature('VIRTIO_NET_F_GUEST_ANNOUNCE'),
  MQ: feature('VIRTIO_NET_F_MQ'),
  CTRL_MAC_ADDR: feature('VIRTIO_NET_F_CTRL_MAC_ADDR'),
  VERSION_1: feature('VIRTIO_F_VERSION_1'),
  RING_PACKED: feature('VIRTIO_F_RING_PACKED'),
  SPEED_DUPLEX: feature('VIRTIO_NET_F_SPEED_DUPLEX'),
} as const;

/** Features that only work over the control virtqueue (virtio 1.2, 5.1.3.1). */
export const NEEDS_CTRL_VQ = F.CTRL_VQ | F.CTRL_RX | F.CTRL_VLAN | F.GUEST_ANNOUNCE | F.MQ | F.CTRL_MAC_ADDR;

export const FEATURES_HEX = /^0[xX][0-9a-fA-F]{1,16}$/;

/** Parses "0x..." (1 to 16 hex digits) into a bigint, or returns undefined. */
export function parseFeatures(text: string): bigint | undefined {
  return FEATURES_HEX.test(text) ? BigInt(text.toLowerCase()) : undefined;
}

export function formatFeatures(value: bigint): string {
  return `0x${value.toString(16)}`;
}

/** Names of the bits set in `value`; unknown bits are named "BIT_n". */
export function decodeFeatures(value: bigint): string[] {
  const names: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if ((value >> BigInt(bit)) & 1n) names.push(BY_BIT.get(bit)?.name ?? `BIT_${bit}`);
  }
  return names;
}
