/**
 * The real maximum: 4 static PFs with 126 VFs each (504 VFs, the seed's
 * "static devices with SR-IOV (504 VFs)") plus 27 hot-plugged PFs, 535
 * devices. The host enables the VFs with its sriov_numvfs request, vnet-host
 * probes every device to DRIVER_OK, and after a SIGKILL the controller
 * recovers all of them and the host reconnects without probing again.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { until } from '@virtnet/shared';
import { Daemon } from './support/daemon.js';

const PFS = 4;
const VFS = 126;
const HOTPLUG = 27;
const TOTAL = PFS + PFS * VFS + HOTPLUG;

let d: Daemon | undefined;
afterAll(async () => {
  await d?.cleanup();
});

async function driverOk(home: string): Promise<number> {
  const devices = (await virtnet(home, 'query', '-a', '-b')).json.devices as { device_status_names: string[] }[];
  return devices.filter((x) => x.device_status_names.includes('DRIVER_OK')).length;
}

describe('504 VFs', () => {
  it('enables 126 VFs on each of 4 PFs plus hot-plugged PFs, every one probed by the host; kept through a controller SIGKILL, recreated after a DPU SIGKILL', async () => {
    d = await new Daemon({
      profile: { VIRTIO_NET_EMULATION_NUM_PF: PFS, VIRTIO_NET_EMULATION_NUM_VF: VFS, PCI_SWITCH_EMULATION_NUM_PORT: 31 },
      env: { VIRTNET_HOST: 'sim', VIRTNET_HOST_PROFILE: 'idle' },
    }).start();
    for (let pf = 0; pf < PFS; pf++) {
      const r = await virtnet(d.home, 'host', 'sriov', '-p', String(pf), String(VFS));
      expect(r.code, r.stderr).toBe(0);
      expect(r.json).toMatchObject({ pf_id: pf, num_vfs: VFS, created: VFS });
    }
    for (let i = 0; i < HOTPLUG; i++) {
      const r = await d.api('POST', '/api/v1/devices', { ib_device: i % 2 ? 'mlx5_1' : 'mlx5_0', mac: `02:00:00:00:20:${(i + 1).toString(16).padStart(2, '0')}`, mtu: 1500, num_queues: 3, max_queue_size: 256 });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    const list = (await virtnet(d.home, 'list')).json.devices as { vuid: string; mac: string; function_type: string; pf_id: number; vf_id?: number; vhost_user_socket: string }[];
    expect(list).toHaveLength(TOTAL);
    // every MAC distinct; VFs count up from the VF base across the PFs
    expect(new Set(list.map((x) => x.mac)).size).toBe(TOTAL);
    const vfs = list.filter((x) => x.function_type === 'VF');
    expect(vfs).toHaveLength(PFS * VFS);
    expect(vfs[0]!.mac).toBe('02:56:4E:01:00:00');
    expect(vfs.at(-1)).toMatchObject({ pf_id: 3, vf_id: 125, mac: '02:56:4E:01:01:F7' });
    await until(`all ${TOTAL} devices at DRIVER_OK`, async () => ((await driverOk(d!.home)) === TOTAL ? true : undefined), 60_000);
    const host = (await virtnet(d.home, 'host')).json.devices as { vuid: string; state: string; probes: number; reconnects: number }[];
    expect(host).toHaveLength(TOTAL);
    expect(host.every((x) => x.state === 'bound')).toBe(true);

    // traffic through the last VF and the last hot-plugged PF
    const last = vfs.at(-1)!.vuid;
    const hot = list.filter((x) => x.function_type === 'hotplug PF').at(-1)!.vuid;
    for (const v of [last, hot]) expect((await virtnet(d.home, 'host', 'profile', '-u', v, 'ping')).code).toBe(0);
    await until('ping through both', async () => {
      const ok = await Promise.all([last, hot].map(async (v) => (await virtnet(d!.home, 'stats', '-u', v, '-q', '0')).json.queues[0].packets >= 2));
      return ok.every(Boolean) ? true : undefined;
    });

    const probes = new Map(host.map((x) => [x.vuid, x.probes]));
    const reconnects = new Map(host.map((x) => [x.vuid, x.reconnects]));
    // The controller dies: the DPU keeps all of them, the host notices nothing.
    await d.kill();
    await d.start();
    expect((await virtnet(d.home, 'health')).json.recovery).toMatchObject({ recovered: 0, adopted: TOTAL, created: 0, removed: 0, failed: [] });
    expect(await driverOk(d.home)).toBe(TOTAL);
    const kept = (await virtnet(d.home, 'host')).json.devices as { vuid: string; probes: number; reconnects: number }[];
    expect(kept.filter((x) => x.probes !== probes.get(x.vuid) || x.reconnects !== reconnects.get(x.vuid))).toEqual([]);

    // The DPU dies (a firmware reset): every device is created again, and the host reconnects without probing.
    const dpu = d.dpuPid()!;
    process.kill(dpu, 'SIGKILL');
    await until('a new DPU with every device', async () => {
      const h = (await virtnet(d!.home, 'health')).json;
      return h.dpu.pid !== dpu && h.dpu.state === 'running' && h.dpu.last_outage?.devices === TOTAL ? h : undefined;
    }, 60_000);
    expect((await virtnet(d.home, 'health')).json.recovery).toMatchObject({ recovered: TOTAL, adopted: 0, failed: [] });
    await until(`all ${TOTAL} devices at DRIVER_OK again`, async () => ((await driverOk(d!.home)) === TOTAL ? true : undefined), 60_000);
    const again = (await virtnet(d.home, 'host')).json.devices as { vuid: string; probes: number; reconnects: number }[];
    expect(again.filter((x) => x.probes !== probes.get(x.vuid))).toEqual([]);
    expect(again.every((x) => x.reconnects === reconnects.get(x.vuid)! + 1)).toBe(true);
    // and disabling SR-IOV on a PF removes its 126 VFs from the host
    expect((await virtnet(d.home, 'host', 'sriov', '-p', '2', '0')).json.removed).toBe(VFS);
    await until('the host to drop them', async () => (((await virtnet(d!.home, 'host')).json.devices as unknown[]).length === TOTAL - VFS ? true : undefined));
  }, 180_000);
});
