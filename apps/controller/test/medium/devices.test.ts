/**
 * The device services with the real DPU (a vnet-dpu process per test home,
 * through the real libvnet) and in-memory fakes for the database:
 * all-or-nothing changes, reconciliation with a running DPU, recovery at
 * exact positions on a new one, and the VFs virtnet.conf asks for.
 */
import { runningDpu } from '@virtnet/hw';
import { VirtnetError } from '@virtnet/shared';
import { describe, expect, it } from 'vitest';
import { args, service } from '../support/devices.js';

const seed = { ib_device: 'mlx5_0', mac: '0C:C4:7A:FF:22:93', mtu: 1500, num_queues: 3, max_queue_size: 1024 };

describe('devices', () => {
  it('restores every device when the database refuses a change to all of them', async () => {
    const { s, store, audit } = await service();
    await s.ops.hotplug(args('hotplug', seed), 'api');
    const before = s.queries.query(args('query', { selector: { all: true }, brief: true }));
    store.failNextUpdate = true;
    await expect(s.ops.modifyDevice(args('modify_device', { selector: { all: true }, device: { mtu: 9000, max_queue_size: 128 } }), 'cli')).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(s.queries.query(args('query', { selector: { all: true }, brief: true }))).toEqual(before);
    expect(audit.events.at(-1)).toMatchObject({ action: 'modify_device', result: 'error', error_code: 'INTERNAL' });
  });

  it('changes nothing when the device refuses the change for one of several targets', async () => {
    const { s, hw } = await service();
    await s.ops.hotplug(args('hotplug', seed), 'api');
    const pf0 = hw.list().find((f) => f.pfId === 0)!;
    hw.driverWriteStatus(pf0.handle, 1 | 2); // a host driver binds PF 0
    const before = s.queries.query(args('query', { selector: { all: true }, brief: true }));
    await expect(s.ops.modifyDevice(args('modify_device', { selector: { all: true }, device: { mtu: 4000 } }), 'cli')).rejects.toMatchObject({ code: 'DRIVER_BOUND' });
    expect(s.queries.query(args('query', { selector: { all: true }, brief: true }))).toEqual(before);
  });

  it('recreates stored devices at their exact port, SF number and MAC', async () => {
    const first = await service();
    await first.s.ops.hotplug(args('hotplug', seed), 'api');
    await first.s.ops.hotplug(args('hotplug', { ...seed, mac: '02:00:00:00:00:02' }), 'api');
    await first.s.ops.unplug(args('unplug', { selector: { pf_id: 2 } }), 'api'); // frees port 0
    const again = await service(first.store);
    const d = again.s.queries.query(args('query', { selector: { pf_id: 3 }, brief: true })).devices[0]!;
    expect(d).toMatchObject({ hotplug_port: 1, pci_bdf: '85:0.0', sf_num: 2001, mac: '02:00:00:00:00:02' });
    expect(again.s.reconciliation.report).toEqual({ recovered: 3, created: 0, adopted: 0, removed: 0, failed: [] });
  });

  it('keeps the devices a running DPU holds, undoes a change the database never recorded, and removes what no row backs', async () => {
    const first = await service();
    const home = first.home;
    await first.s.ops.hotplug(args('hotplug', seed), 'api');
    await first.s.ops.hotplug(args('hotplug', { ...seed, mac: '02:00:00:00:00:02' }), 'api');
    const kept = first.hw.list().find((f) => f.mac === '0C:C4:7A:FF:22:93')!;
    // A crash between the DPU and the database: a change it never recorded, a function it never stored.
    first.hw.modify(kept.handle, { mtu: 4000 });
    const orphan = first.hw.create({ kind: 'hotplug', ibDevice: 'mlx5_0', mac: '02:00:00:00:00:09', mtu: 1500, numQueues: 2, maxQueueSize: 256, transitional: false, features: 1n << 32n });
    first.hw.close(); // the controller goes, the DPU stays
    const again = await service(first.store, {}, {}, home);
    expect(again.s.reconciliation.report).toEqual({ recovered: 0, created: 0, adopted: 4, removed: 1, failed: [] });
    const now = again.hw.list();
    expect(now.find((f) => f.vuid === orphan.vuid)).toBeUndefined();
    expect(now.find((f) => f.vuid === kept.vuid)).toMatchObject({ handle: kept.handle, mtu: 1500 }); // the same function, as stored
    expect(again.s.queries.query(args('query', { selector: { pf_id: 2 }, brief: true })).devices[0]).toMatchObject({ mtu: 1500 });
  });

  it('keeps what the host driver holds when the DPU runs settings the database lacks', async () => {
    const first = await service();
    const home = first.home;
    await first.s.ops.hotplug(args('hotplug', seed), 'api');
    const fn = first.hw.list().find((f) => f.kind === 'hotplug')!;
    first.hw.modify(fn.handle, { mtu: 4000 });
    first.hw.driverWriteStatus(fn.handle, 1 | 2 | 4); // the driver bound it since
    first.hw.close();
    const again = await service(first.store, {}, {}, home);
    expect(again.s.reconciliation.report.adopted).toBe(3);
    expect(again.hw.query(fn.handle).mtu).toBe(4000);
    expect([...first.store.rows.values()].find((r) => r.vuid === fn.vuid)!.mtu).toBe(4000);
  });

  it('serves reads from what it last saw while the DPU is down, and recreates every device on a new one', async () => {
    const { s, hw, home } = await service();
    await s.ops.hotplug(args('hotplug', seed), 'api');
    const before = s.queries.query(args('query', { selector: { pf_id: 2 }, brief: true })).devices[0]!;
    const downs: string[] = [];
    hw.watch((why) => downs.push(why));
    process.kill(runningDpu(home)!, 'SIGKILL');
    const deadline = Date.now() + 3000;
    while (!downs.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(downs).toHaveLength(1);
    const seen = s.queries.query(args('query', { selector: { pf_id: 2 }, brief: true })).devices[0]!;
    expect(seen).toMatchObject({ vuid: before.vuid, mac: before.mac });
    expect(s.registry.devices()).toHaveLength(3);
    await expect(s.ops.hotplug(args('hotplug', { ...seed, mac: '02:00:00:00:00:03' }), 'api')).rejects.toMatchObject({ code: 'DPU_UNAVAILABLE' });
    await hw.restart();
    const report = await s.reconciliation.rebuild();
    expect(report).toMatchObject({ recovered: 3, adopted: 0, removed: 0, failed: [] });
    expect(s.queries.query(args('query', { selector: { pf_id: 2 }, brief: true })).devices[0]).toMatchObject({ vuid: before.vuid, mac: before.mac, pci_bdf: before.pci_bdf, sf_num: before.sf_num });
  });

  it('reports a stored device it cannot recreate and recovers the others', async () => {
    const first = await service();
    await first.s.ops.hotplug(args('hotplug', seed), 'api');
    const row = [...first.store.rows.values()].find((r) => r.kind === 'hotplug')!;
    first.store.rows.set(row.vuid, { ...row, features: 'garbage' });
    const again = await service(first.store);
    expect(again.s.reconciliation.report.recovered).toBe(2);
    expect(again.s.reconciliation.report.failed).toEqual([{ vuid: row.vuid, code: 'INTERNAL', message: `stored device ${row.vuid} has malformed features 'garbage'` }]);
  });

  it('enables VFs all or nothing: a failed store leaves none in the engine', async () => {
    const { s, hw, store } = await service(undefined, {}, { VIRTIO_NET_EMULATION_NUM_VF: 8 });
    store.failNextVfChange = true;
    await expect(s.sriov.setVfs(args('set_vfs', { pf_id: 0, num_vfs: 8 }), 'cli')).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(hw.list().filter((f) => f.kind === 'vf')).toEqual([]);
    expect(await s.sriov.setVfs(args('set_vfs', { pf_id: 0, num_vfs: 8 }), 'cli')).toMatchObject({ created: 8 });
    expect(store.sriov.get(0)).toBe(8);
    await expect(s.sriov.setVfs(args('set_vfs', { pf_id: 0, num_vfs: 4 }), 'cli')).rejects.toMatchObject({ code: 'VFS_BUSY' });
    expect(hw.list().filter((f) => f.kind === 'vf')).toHaveLength(8);
  });

  it('creates the VFs of virtnet.conf with MACs base, base + 1, ...', async () => {
    const { s } = await service(undefined, { vf: { mac_base: 'CC:48:15:FF:00:00', vfs_per_pf: 3 } });
    const vfs = s.registry.devices().filter((d) => d.function_type === 'VF');
    expect(vfs.map((d) => [d.pf_id, d.vf_id, d.mac])).toEqual([
      [0, 0, 'CC:48:15:FF:00:00'],
      [0, 1, 'CC:48:15:FF:00:01'],
      [0, 2, 'CC:48:15:FF:00:02'],
      [1, 0, 'CC:48:15:FF:00:03'],
      [1, 1, 'CC:48:15:FF:00:04'],
      [1, 2, 'CC:48:15:FF:00:05'],
    ]);
    const r = await s.ops.modifyDevice(args('modify_device', { selector: { pf_id: 1, vf_id: 2 }, device: { num_msix: 8 } }), 'cli');
    expect(r.devices[0]).toMatchObject({ vf_id: 2, num_msix: 8 });
    await expect(s.ops.unplug(args('unplug', { selector: { pf_id: 1, vf_id: 2 } }), 'cli')).rejects.toBeInstanceOf(VirtnetError);
  });

  it('skips a configured device whose MAC is taken and creates the rest', async () => {
    const { s } = await service(undefined, { static_pf: { mac_base: 'CC:48:15:FF:00:01' }, vf: { mac_base: 'CC:48:15:FF:00:00', vfs_per_pf: 1 } });
    expect(s.reconciliation.report.failed).toEqual([{ vuid: 'VF 0 of PF 1', code: 'MAC_IN_USE', message: 'MAC CC:48:15:FF:00:01 is used by another device', }]);
    expect(s.registry.count).toBe(3);
  });
});
