/**
 * Medium tests: the real libvnet through the real koffi binding.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HwError, NativeHardware, type HwFunctionSpec } from './index.js';

const VERSION_1 = 1n << 32n;
const CTRL_VQ = 1n << 17n;
const MAC_F = 1n << 5n;

const seedSpec = (patch: Partial<HwFunctionSpec> = {}): HwFunctionSpec => ({
  kind: 'hotplug',
  ibDevice: 'mlx5_0',
  mac: '0C:C4:7A:FF:22:93',
  mtu: 1500,
  numQueues: 3,
  maxQueueSize: 1024,
  transitional: false,
  features: VERSION_1 | CTRL_VQ | MAC_F | (1n << 19n),
  ...patch,
});

let hw: NativeHardware | undefined;
afterEach(() => {
  hw?.close();
  hw = undefined;
});

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HwError);
    return (e as HwError).code;
  }
  throw new Error('expected an HwError');
}

describe('NativeHardware', () => {
  it('reports the embedded profile with 64-bit features intact', () => {
    hw = new NativeHardware();
    expect(hw.abiVersion).toBe(2);
    expect(hw.profile.hotplugPorts).toBe(16);
    expect(hw.profile.supportedFeatures).toBe(0x8b00037700ef982fn);
    expect(hw.profile.ibDevices.map((d) => d.name)).toEqual(['mlx5_0', 'mlx5_1', 'mlx5_bond_0']);
  });

  it('applies profile overrides and refuses a bad one with a code', () => {
    hw = new NativeHardware({ hotplugPorts: 2, ibDevices: [{ name: 'mlx5_2', port: 0, pfNum: 0 }] });
    expect(hw.profile.hotplugPorts).toBe(2);
    expect(hw.profile.ibDevices).toEqual([{ name: 'mlx5_2', port: 0, pfNum: 0 }]);
    expect(codeOf(() => new NativeHardware({ maxQueueSize: 1000 }))).toBe('PROFILE_INVALID');
  });

  it('hot-plugs the seed device and reads it back', () => {
    hw = new NativeHardware();
    const f = hw.create(seedSpec());
    expect(f).toMatchObject({ kind: 'hotplug', pfId: 2, vfId: null, port: 0, bdf: '84:0.0', sfNum: 2000, sfRep: 'en3f0pf0sf2000', mac: '0C:C4:7A:FF:22:93', maxQueuePairs: 1, linkUp: true });
    expect(f.deviceFeatures).toBe(VERSION_1 | CTRL_VQ | MAC_F | (1n << 19n));
    expect(hw.query(f.handle)).toEqual(f);
    expect(hw.list()).toEqual([f]);
  });

  it('turns every limit into a stable code and creates nothing', () => {
    hw = new NativeHardware({ hotplugPorts: 1 });
    const h = hw;
    expect(codeOf(() => h.create(seedSpec({ mac: '01:00:5E:00:00:01' })))).toBe('MAC_INVALID');
    expect(codeOf(() => h.create(seedSpec({ mac: 'zz' })))).toBe('MAC_INVALID');
    expect(codeOf(() => h.create(seedSpec({ maxQueueSize: 1000 })))).toBe('QUEUE_SIZE_INVALID');
    expect(codeOf(() => h.create(seedSpec({ maxQueueSize: 65536 })))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => h.create(seedSpec({ numQueues: 99 })))).toBe('QUEUES_EXCEED_LIMIT');
    expect(codeOf(() => h.create(seedSpec({ features: VERSION_1 | (1n << 7n) })))).toBe('FEATURES_UNSUPPORTED');
    expect(codeOf(() => h.create(seedSpec({ ibDevice: 'mlx5_7' })))).toBe('IB_DEVICE_UNKNOWN');
    expect(h.list()).toEqual([]);
    h.create(seedSpec());
    expect(codeOf(() => h.create(seedSpec()))).toBe('NO_FREE_HOTPLUG_PORT');
  });

  it('refuses config changes while the driver is bound, then accepts them after reset', () => {
    hw = new NativeHardware();
    const f = hw.create(seedSpec());
    hw.driverWriteStatus(f.handle, 1 | 2);
    hw.driverWriteFeatures(f.handle, VERSION_1);
    hw.driverWriteStatus(f.handle, 1 | 2 | 8 | 4);
    expect(hw.query(f.handle)).toMatchObject({ deviceStatus: 15, driverFeatures: VERSION_1, enabledQueues: 0 });
    const h = hw;
    expect(codeOf(() => h.modify(f.handle, { mtu: 9000 }))).toBe('DRIVER_BOUND');
    hw.driverWriteStatus(f.handle, 0);
    expect(hw.modify(f.handle, { mtu: 9000, mac: '02:00:00:00:00:01' })).toMatchObject({ mtu: 9000, mac: '02:00:00:00:00:01' });
  });

  it('reads the counters of every queue in one call', () => {
    hw = new NativeHardware();
    const a = hw.create(seedSpec());
    const b = hw.create(seedSpec({ numQueues: 2, features: VERSION_1 }));
    const c = hw.counters();
    expect(c.map((q) => [q.handle, q.qid])).toEqual([
      [a.handle, 0],
      [a.handle, 1],
      [a.handle, 2],
      [b.handle, 0],
      [b.handle, 1],
    ]);
    expect(c[0]).toMatchObject({ size: 1024, receivedDesc: 0, histogram: [0, 0, 0, 0, 0, 0, 0, 0] });
    hw.destroy(a.handle);
    expect(hw.counters()).toHaveLength(2);
    const h = hw;
    expect(codeOf(() => h.destroy(a.handle))).toBe('NOT_FOUND');
  });

  it('sets interrupt moderation', () => {
    hw = new NativeHardware();
    const f = hw.create(seedSpec());
    expect(hw.setModeration(f.handle, 'cqe', 10, 30)).toMatchObject({ eventMode: 'cqe', moderationPeriodUs: 10, moderationMaxCount: 30 });
  });

  it('fails clearly once closed', () => {
    hw = new NativeHardware();
    hw.close();
    const h = hw;
    expect(() => h.list()).toThrow(/closed/);
  });
});

describe('NativeHardware data path', () => {
  it('gives every function a vhost-user socket once started, and switches backends', async () => {
    const { mkdtempSync, existsSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'vnhw-'));
    hw = new NativeHardware();
    const before = hw.create(seedSpec());
    expect(before.vhostSocket).toBeNull();
    hw.start(dir, 2, 'echo');
    const after = hw.query(before.handle);
    expect(after.vhostSocket).toBe(join(dir, `${after.vuid}.sock`));
    expect(existsSync(after.vhostSocket!)).toBe(true);
    expect(after).toMatchObject({ connected: false, backend: 'echo', protocolErrors: 0 });
    expect(hw.setBackend(before.handle, 'generator', 128)).toMatchObject({ backend: 'generator', backendNote: 'generator' });
    const h = hw;
    expect(codeOf(() => h.setBackend(before.handle, 'generator', 10))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => h.start(dir, 1, 'echo'))).toBe('INVALID_ARGUMENT');
    hw.destroy(before.handle);
    expect(existsSync(after.vhostSocket!)).toBe(false);
    hw.close();
    hw = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
});
