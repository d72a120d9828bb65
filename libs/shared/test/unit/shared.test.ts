import { describe, expect, it } from 'vitest';
import {
  F,
  HotplugRequestSchema,
  ModifyDeviceFieldsSchema,
  SelectorSchema,
  VirtnetConfSchema,
  RecoveryRecordSchema,
  VirtnetError,
  bdfFromRaw,
  bdfToRaw,
  decodeDeviceStatus,
  decodeFeatures,
  formatFeatures,
  fromZodError,
  isInVm,
  ibDevicesOf,
  isUnicastMac,
  macAdd,
  normalizeMac,
  parseFeatures,
  parseOrThrow,
  randomMac,
} from '../../src/index.js';

describe('feature bits', () => {
  it('decodes the seed example 0x230047082b to the spec names', () => {
    expect(decodeFeatures(0x230047082bn)).toEqual([
      'VIRTIO_NET_F_CSUM',
      'VIRTIO_NET_F_GUEST_CSUM',
      'VIRTIO_NET_F_MTU',
      'VIRTIO_NET_F_MAC',
      'VIRTIO_NET_F_HOST_TSO4',
      'VIRTIO_NET_F_STATUS',
      'VIRTIO_NET_F_CTRL_VQ',
      'VIRTIO_NET_F_CTRL_RX',
      'VIRTIO_NET_F_MQ',
      'VIRTIO_F_VERSION_1',
      'VIRTIO_F_ACCESS_PLATFORM',
      'VIRTIO_F_SR_IOV',
    ]);
  });
  it('decodes the real device mask to its 27 bits, naming unknown bits', () => {
    expect(decodeFeatures(0x8b00037700ef982fn)).toHaveLength(27);
    expect(decodeFeatures(1n << 50n)).toEqual(['BIT_50']);
  });
  it('parses and formats hex', () => {
    expect(parseFeatures('0x80000')).toBe(F.CTRL_VLAN);
    expect(parseFeatures('0X8B00037700EF982F')).toBe(0x8b00037700ef982fn);
    expect(parseFeatures('80000')).toBeUndefined();
    expect(parseFeatures('0x' + '1'.repeat(17))).toBeUndefined();
    expect(formatFeatures(F.VERSION_1 | F.MAC)).toBe('0x100000020');
  });
  it('decodes device status bits', () => {
    expect(decodeDeviceStatus(15)).toEqual(['ACKNOWLEDGE', 'DRIVER', 'DRIVER_OK', 'FEATURES_OK']);
    expect(decodeDeviceStatus(0)).toEqual([]);
  });
});

describe('MAC helpers', () => {
  it('normalizes case and separators', () => {
    expect(normalizeMac('0c-c4-7a-ff-22-93')).toBe('0C:C4:7A:FF:22:93');
  });
  it('tells unicast from multicast and zero', () => {
    expect(isUnicastMac('0C:C4:7A:FF:22:93')).toBe(true);
    expect(isUnicastMac('01:00:5E:00:00:01')).toBe(false);
    expect(isUnicastMac('00:00:00:00:00:00')).toBe(false);
  });
  it('adds offsets across octets like mac_base + n', () => {
    expect(macAdd('CC:48:15:FF:00:00', 1)).toBe('CC:48:15:FF:00:01');
    expect(macAdd('CC:48:15:FF:00:FF', 1)).toBe('CC:48:15:FF:01:00');
    expect(macAdd('FF:FF:FF:FF:FF:FF', 1)).toBe('00:00:00:00:00:00');
  });
  it('generates locally administered unicast addresses', () => {
    let seed = 0;
    const mac = randomMac(() => ((seed = (seed * 9301 + 49297) % 233280) / 233280));
    expect(isUnicastMac(mac)).toBe(true);
    expect(parseInt(mac.slice(0, 2), 16) & 2).toBe(2);
  });
});

describe('BDF helpers', () => {
  it('round-trips the seed recovery example bdf_raw 26624', () => {
    expect(bdfFromRaw(26624)).toBe('68:0.0');
    expect(bdfToRaw('68:0.0')).toBe(26624);
    expect(bdfToRaw('0000:3d:01.2')).toBe(0x3d0a);
    expect(() => bdfToRaw('3d:20.0')).toThrow(/exceeds/);
  });
});

describe('request schemas', () => {
  const seedLine = { ib_device: 'mlx5_0', features: '0x80000', mac: '0C:C4:7A:FF:22:93', mtu: 1500, num_queues: 3, max_queue_size: 1024 };

  it('accepts the seed hotplug line and fills defaults', () => {
    expect(HotplugRequestSchema.parse(seedLine)).toEqual({ ...seedLine, legacy: false });
  });

  it.each([
    [{ mac: '0C:C4:7A:FF:22' }, 'MAC_INVALID', 'mac'],
    [{ mac: '01:00:5E:00:00:01' }, 'MAC_INVALID', 'mac'],
    [{ mtu: 10 }, 'MTU_INVALID', 'mtu'],
    [{ num_queues: 1 }, 'QUEUES_EXCEED_LIMIT', 'num_queues'],
    [{ max_queue_size: 1000 }, 'QUEUE_SIZE_INVALID', 'max_queue_size'],
    [{ features: 'vlan' }, 'INVALID_ARGUMENT', 'features'],
    [{ ib_device: 'mlx5 0' }, 'INVALID_ARGUMENT', 'ib_device'],
    [{ extra: 1 }, 'INVALID_ARGUMENT', ''],
  ])('rejects %j with %s', (patch, code, field) => {
    const r = HotplugRequestSchema.safeParse({ ...seedLine, ...patch });
    expect(r.success).toBe(false);
    const err = fromZodError(r.error!);
    expect(err.code).toBe(code);
    expect(err.field ?? '').toBe(field);
  });

  it('requires exactly one way to name a device', () => {
    expect(SelectorSchema.safeParse({ pf_id: 0 }).success).toBe(true);
    expect(SelectorSchema.safeParse({ pf_id: 0, vf_id: 2 }).success).toBe(true);
    expect(SelectorSchema.safeParse({}).success).toBe(false);
    expect(SelectorSchema.safeParse({ pf_id: 0, all: true }).success).toBe(false);
    expect(SelectorSchema.safeParse({ vf_id: 1, all: true }).success).toBe(false);
    expect(SelectorSchema.safeParse({ vuid: 'nope' }).success).toBe(false);
  });

  it('refuses an empty modify', () => {
    expect(() => parseOrThrow(ModifyDeviceFieldsSchema, {})).toThrow(/at least one field/);
    expect(ModifyDeviceFieldsSchema.parse({ mtu: 9000 })).toEqual({ mtu: 9000 });
  });

  it('maps to a stable error body', () => {
    const e = new VirtnetError('DRIVER_BOUND', 'unbind first');
    expect(e.status).toBe(409);
    expect(e.toBody()).toEqual({ error: { code: 'DRIVER_BOUND', message: 'unbind first' } });
  });
});

describe('virtnet.conf', () => {
  it('accepts the seed examples', () => {
    const lag = VirtnetConfSchema.parse({ ib_dev_lag: 'mlx5_bond_0', ib_dev_for_static_pf: 'mlx5_bond_0', is_lag: 1, recovery: 1, sf_pool_percent: 0, sf_pool_force_destroy: 0 });
    expect(ibDevicesOf(lag)).toEqual([{ name: 'mlx5_bond_0', port: 0, pf_num: 0 }]);
    const single = VirtnetConfSchema.parse({ ib_dev_p0: 'mlx5_2', ib_dev_for_static_pf: 'mlx5_2', single_port: 1 });
    expect(ibDevicesOf(single).map((d) => d.name)).toEqual(['mlx5_2']);
    expect(ibDevicesOf(VirtnetConfSchema.parse({})).map((d) => d.name)).toEqual(['mlx5_0', 'mlx5_1']);
  });
  it.each([
    [{ is_lag: 1, single_port: 1 }, 'single_port'],
    [{ ib_dev_lag: 'mlx5_bond_0', ib_dev_p0: 'mlx5_0' }, 'ib_dev_lag'],
    [{ vf: { mac_base: 'CC:48:15:FF:00:00' } }, 'vf.vfs_per_pf'],
    [{ sf_pool_percent: 101 }, 'sf_pool_percent'],
    [{ static_pf: { mac_base: '11:22:33' } }, 'static_pf.mac_base'],
  ])('rejects %j naming %s', (conf, field) => {
    const r = VirtnetConfSchema.safeParse(conf);
    expect(r.success).toBe(false);
    expect(fromZodError(r.error!).field).toBe(field);
  });
});

describe('recovery record', () => {
  it('accepts the seed example and rejects a VF without vf_id', () => {
    const seed = { port_ib_dev: 'mlx5_0', pf_id: 0, function_type: 'pf', bdf_raw: 26624, device_type: 'hotplug', mac: '0c:c4:7a:ff:22:93', pf_num: 0, sf_num: 2000, mq: 1 };
    expect(RecoveryRecordSchema.parse(seed).sf_num).toBe(2000);
    expect(RecoveryRecordSchema.safeParse({ ...seed, function_type: 'vf', device_type: 'static' }).success).toBe(false);
  });
});

describe('host mode rules', () => {
  it('refuses device settings only for a device the qemu host has plugged into its VM', () => {
    const qemu = { qmp: '/q.sock', connected: true, accel: 'tcg', root_ports: ['rp0'], plugged: [{ vuid: 'A', qdev_id: 'vnet-A', bdf: '01:00.0', root_port: 'rp0' }] };
    expect(isInVm({ mode: 'qemu', running: true, pid: null, devices: [], qemu }, 'A')).toBe(true);
    expect(isInVm({ mode: 'qemu', running: true, pid: null, devices: [], qemu }, 'B')).toBe(false);
    expect(isInVm({ mode: 'sim', running: true, pid: 1, devices: [] }, 'A')).toBe(false);
    expect(isInVm(null, 'A')).toBe(false);
  });
});
