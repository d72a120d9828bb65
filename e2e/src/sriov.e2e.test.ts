/** SR-IOV of the static PFs as the host asks for it (`virtnet host sriov`), through the real CLI and REST. */
import { afterEach, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { Daemon } from './support/daemon.js';

let d: Daemon | undefined;
afterEach(async () => {
  await d?.cleanup();
  d = undefined;
});

describe('host sriov', () => {
  it('enables VFs on a PF as sriov_numvfs does, with the Linux rules, and removes them', async () => {
    d = await new Daemon({ profile: { VIRTIO_NET_EMULATION_NUM_VF: 8 }, conf: { vf: { mac_base: '02:aa:00:00:00:00', vfs_per_pf: 4 } } }).start();
    // vfs_per_pf VFs on each PF at the first start
    expect((await virtnet(d.home, 'host', 'sriov')).json.pfs.map((p: any) => [p.num_vfs, p.total_vfs, p.source])).toEqual([
      [4, 4, 'conf'],
      [4, 4, 'conf'],
    ]);
    const busy = await virtnet(d.home, 'host', 'sriov', '-p', '0', '2');
    expect([busy.code, busy.error.code]).toEqual([1, 'VFS_BUSY']);
    const over = await virtnet(d.home, 'host', 'sriov', '-p', '0', '5');
    expect([over.code, over.error.code, over.error.field]).toEqual([1, 'INVALID_ARGUMENT', 'num_vfs']);
    const off = await virtnet(d.home, 'host', 'sriov', '-p', '0', '0');
    expect(off.json).toMatchObject({ pf_id: 0, num_vfs: 0, removed: 4 });
    const on = await virtnet(d.home, 'host', 'sriov', '-p', '0', '3', '--progress');
    expect(on.json).toMatchObject({ pf_id: 0, num_vfs: 3, created: 3 });
    const progress = on.stderr.trim().split('\n').map((l) => JSON.parse(l));
    expect(progress.at(-1)).toMatchObject({ action: 'set_vfs', target: 'pf 0', state: 'succeeded', done: 3, total: 3 });
    const vfs = (await virtnet(d.home, 'query', '-a', '-b')).json.devices.filter((x: any) => x.function_type === 'VF' && x.pf_id === 0);
    expect(vfs.map((x: any) => x.mac)).toEqual(['02:AA:00:00:00:00', '02:AA:00:00:00:01', '02:AA:00:00:00:02']);
    const ops = await d.api('GET', '/api/v1/operations');
    expect(ops.body.operations.find((o: any) => o.action === 'set_vfs' && o.done === 3)).toBeTruthy();
    const hot = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:41', '-t', '1500', '-n', '3', '-s', '256');
    const notStatic = await virtnet(d.home, 'host', 'sriov', '-p', String(hot.json.id), '1');
    expect(notStatic.error.code).toBe('NOT_SUPPORTED');
    // the host's choice is kept across a restart, over vfs_per_pf
    await d.kill();
    await d.start();
    expect((await virtnet(d.home, 'host', 'sriov')).json.pfs.map((p: any) => [p.num_vfs, p.source])).toEqual([
      [3, 'host'],
      [4, 'conf'],
    ]);
    const rest = await d.api('PUT', '/api/v1/host/pfs/1/sriov', { num_vfs: 0 });
    expect([rest.status, rest.body.removed]).toEqual([200, 4]);
  });
});
