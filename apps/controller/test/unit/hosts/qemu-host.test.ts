/** The pure parts of the qemu host adapter: reading QEMU's answers. */
import { describe, expect, it } from 'vitest';
import { formatBdf, parseVirtioStatus, readPci } from '../../../src/hosts/qemu-host.js';

// The shape of QEMU 7.2's query-pci on the lab's q35: root ports on bus 0, a device behind one.
const QUERY_PCI = [
  {
    bus: 0,
    devices: [
      { bus: 0, slot: 0, function: 0, qdev_id: '' },
      { bus: 0, slot: 1, function: 0, qdev_id: 'rp0', pci_bridge: { bus: { secondary: 1 }, devices: [{ bus: 1, slot: 0, function: 0, qdev_id: 'vnet-MT2306XZ00ABVNETS132D0F0' }] } },
      { bus: 0, slot: 2, function: 0, qdev_id: 'rp1', pci_bridge: { bus: { secondary: 2 } } },
      { bus: 0, slot: 10, function: 0, qdev_id: 'rp10', pci_bridge: { bus: { secondary: 11 } } },
      { bus: 0, slot: 3, function: 0, qdev_id: 'vnet-MT2306XZ00ABVNETS59D0F0' },
      { bus: 0, slot: 4, function: 0, qdev_id: 'rpx', pci_bridge: { bus: { secondary: 3 } } },
    ],
  },
];

describe('qemu host adapter', () => {
  it('finds where the guest enumerated each device, and the root ports in port order', () => {
    const { placed, rootPorts } = readPci(QUERY_PCI, 'rp');
    expect(rootPorts).toEqual(['rp0', 'rp1', 'rp10']);
    expect(placed.get('vnet-MT2306XZ00ABVNETS132D0F0')).toEqual({ bdf: '01:0.0', rootPort: 'rp0' });
    expect(placed.get('vnet-MT2306XZ00ABVNETS59D0F0')).toEqual({ bdf: '00:3.0', rootPort: null });
  });

  it('writes BDFs as the rest of the product does', () => {
    expect(formatBdf(0x84, 0, 0)).toBe('84:0.0');
    expect(formatBdf(1, 0x1f, 7)).toBe('01:1f.7');
  });

  it("turns x-query-virtio-status's names back into the status register and feature bits", () => {
    const v = parseVirtioStatus({
      status: {
        statuses: [
          'VIRTIO_CONFIG_S_ACKNOWLEDGE: Valid virtio device found',
          'VIRTIO_CONFIG_S_DRIVER: Guest OS compatible with device',
          'VIRTIO_CONFIG_S_FEATURES_OK: Feature negotiation complete',
          'VIRTIO_CONFIG_S_DRIVER_OK: Driver setup and ready',
        ],
      },
      'guest-features': {
        'dev-features': ['VIRTIO_NET_F_MQ: Multiqueue with automatic receive steering supported', 'VIRTIO_NET_F_MTU: Device max MTU reporting supported', 'VHOST_USER_F_PROTOCOL_FEATURES: not a virtio bit'],
        transports: ['VIRTIO_F_VERSION_1: Device compliant for v1 spec (legacy)'],
      },
    });
    expect(v.deviceStatus).toBe(15);
    expect(v.driverFeatures).toBe((1n << 22n) | (1n << 3n) | (1n << 32n));
    expect(parseVirtioStatus({ status: { statuses: ['VIRTIO_CONFIG_S_NEEDS_RESET: x'] } }).deviceStatus).toBe(64);
  });
});
