/**
 * The representors on a real Open vSwitch bridge (Debian's, userspace
 * datapath, started by the test): the controller adds each device's TAP
 * representor to the bridge of VIRTNET_OVS_BRIDGE, frames from one
 * device's host reach another device's host through the bridge, the
 * representor's MTU follows `modify -t`, the membership survives a
 * controller crash (a port of ours whose device is gone is removed then, an
 * operator's own port is left alone), and an unplug takes the port away.
 * Needs CAP_NET_ADMIN (CI runs as root).
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { until } from '@virtnet/shared';
import { Daemon } from './support/daemon.js';
import { Ovs } from './support/ovs.js';

let d: Daemon | undefined;
let ovs: Ovs | undefined;
afterEach(async () => {
  await d?.cleanup();
  await ovs?.stop();
  d = ovs = undefined;
});

const BRIDGE = 'vnbr9811';
const mtuOf = (dev: string) => JSON.parse(execFileSync('ip', ['-j', 'link', 'show', dev], { encoding: 'utf8' }))[0].mtu as number;

describe('Open vSwitch bridge', () => {
  it('switches frames between two devices through the bridge, follows modify -t, and keeps the membership across a crash', async () => {
    ovs = await new Ovs().start();
    ovs.addBridge(BRIDGE);
    d = await new Daemon({ env: { VIRTNET_DATAPATH: 'tap', VIRTNET_HOST: 'sim', VIRTNET_HOST_PROFILE: 'idle', VIRTNET_OVS_BRIDGE: BRIDGE, ...ovs.env } }).start();

    const plug = async (sf: string, mac: string) => {
      const r = await virtnet(d!.home, 'hotplug', '-i', 'mlx5_0', '-m', mac, '-t', '1500', '-n', '3', '-s', '256', '-u', sf);
      expect(r.code, r.stderr).toBe(0);
      return r.json as { vuid: string; sf_rep_net_device: string };
    };
    const a = await plug('9811', '02:00:00:00:98:11');
    const b = await plug('9812', '02:00:00:00:98:12');
    // Every device's representor: the static PFs' and the two hot-plugged ones.
    const reps = async () => ((await virtnet(d!.home, 'list')).json.devices as { sf_rep_net_device: string }[]).map((x) => x.sf_rep_net_device).sort();
    const all = await reps();
    expect(all).toEqual(expect.arrayContaining([a.sf_rep_net_device, b.sf_rep_net_device]));
    await until('every representor on the bridge', () => (ovs!.ports(BRIDGE).join() === all.join() ? true : undefined));
    expect(ovs.vsctl('get', 'Interface', a.sf_rep_net_device, 'external_ids:virtnet_vuid')).toBe(a.vuid);
    expect((await virtnet(d.home, 'health')).json.ovs).toMatchObject({ bridge: BRIDGE, ports: all.length, errors: 0 });

    // A's host sends; the bridge floods to B's representor; B's host receives.
    const hostDevice = async (vuid: string) => ((await virtnet(d!.home, 'host')).json.devices as any[]).find((x) => x.vuid === vuid);
    await until('both hosts bound', async () => ((await hostDevice(a.vuid))?.state === 'bound' && (await hostDevice(b.vuid))?.state === 'bound' ? true : undefined));
    expect((await virtnet(d.home, 'host', 'profile', '-u', a.vuid, 'bulk')).code).toBe(0);
    const received = async (what: string) => {
      const before = (await hostDevice(b.vuid)).rx_frames as number;
      await until(`frames from A at B's host ${what}`, async () => ((await hostDevice(b.vuid)).rx_frames > before + 1000 ? true : undefined), 20_000);
    };
    await received('through the bridge');

    // The representor's MTU follows the device's, so the bridge passes its largest frame.
    expect((await virtnet(d.home, 'host', 'unbind', '-u', b.vuid)).code).toBe(0);
    const m = await virtnet(d.home, 'modify', '-u', b.vuid, 'device', '-t', '9000');
    expect(m.code, m.stderr).toBe(0);
    expect(mtuOf(b.sf_rep_net_device)).toBe(9000);
    expect((await virtnet(d.home, 'host', 'bind', '-u', b.vuid)).code).toBe(0);
    await until("B's host bound again", async () => ((await hostDevice(b.vuid))?.state === 'bound' ? true : undefined));

    // A crash: meanwhile a port of ours whose device is gone (as after an unplug the crash cut
    // short) and an operator's own port appear on the bridge.
    await d.kill();
    ovs.vsctl('add-port', BRIDGE, 'vnstale9811', '--', 'set', 'Interface', 'vnstale9811', 'type=internal', `external_ids:virtnet_home=${JSON.stringify(d.home)}`, 'external_ids:virtnet_vuid=GONE');
    ovs.vsctl('add-port', BRIDGE, 'vnop9811', '--', 'set', 'Interface', 'vnop9811', 'type=internal');
    await d.start();
    await until('the stale port removed, the operator\'s kept', () => (ovs!.ports(BRIDGE).join() === [...all, 'vnop9811'].sort().join() ? true : undefined));
    await received('after the restart');

    // An unplug takes its port away.
    expect((await virtnet(d.home, 'host', 'unbind', '-u', b.vuid)).code).toBe(0);
    const u = await virtnet(d.home, 'unplug', '-u', b.vuid);
    expect(u.code, u.stderr).toBe(0);
    const left = [...all.filter((x) => x !== b.sf_rep_net_device), 'vnop9811'].sort();
    await until('the port gone with its device', () => (ovs!.ports(BRIDGE).join() === left.join() ? true : undefined));
    expect((await virtnet(d.home, 'health')).json.ovs).toMatchObject({ ports: all.length - 1, errors: 0 });
  });

  it('keeps the devices working when the bridge does not exist, and says why', async () => {
    ovs = await new Ovs().start();
    d = await new Daemon({ env: { VIRTNET_DATAPATH: 'tap', VIRTNET_OVS_BRIDGE: 'vnnone9813', ...ovs.env } }).start();
    const r = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:98:13', '-t', '1500', '-n', '3', '-s', '256', '-u', '9813');
    expect(r.code, r.stderr).toBe(0);
    const health = await until('the refusal counted', async () => {
      const h = (await virtnet(d!.home, 'health')).json;
      return h.ovs?.errors > 0 ? h : undefined;
    });
    expect(health.ovs.last_error).toMatch(/vnnone9813/);
    expect(health.ovs.ports).toBe(0);
    expect((await virtnet(d.home, 'query', '-u', r.json.vuid, '-b')).json.devices[0].datapath).toBe('tap');
  });
});
