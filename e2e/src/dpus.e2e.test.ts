/**
 * Two emulated DPUs on one machine: two controllers, two homes, their
 * representors side by side without a collision, each DPU holding its own
 * bus of representor names (en3f..., en4f...), or its representors in a
 * network namespace of its own. A netdev of a representor's name that is
 * not the DPU's is never taken over. Needs CAP_NET_ADMIN and ip-netns (CI
 * runs as root).
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { Daemon } from './support/daemon.js';

const daemons: Daemon[] = [];
const namespaces: string[] = [];
const netdevs: string[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.cleanup();
  for (const ns of namespaces.splice(0)) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  for (const n of netdevs.splice(0)) {
    try {
      execFileSync('ip', ['link', 'del', n], { stdio: 'ignore' });
    } catch {
      // gone with its test
    }
  }
});

async function dpu(env: Record<string, string> = {}): Promise<Daemon> {
  const d = new Daemon({ env: { VIRTNET_DATAPATH: 'tap', ...env } });
  daemons.push(d);
  return d.start();
}

/** `ip -j link show NAME` (in namespace ns), or null when there is no such netdev. */
function link(name: string, ns?: string): { ifindex: number; ifalias?: string; mtu: number; flags: string[] } | null {
  try {
    const out = execFileSync('ip', [...(ns ? ['-n', ns] : []), '-j', 'link', 'show', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return JSON.parse(out)[0];
  } catch {
    return null;
  }
}

const hotplug = (d: Daemon, mac: string, sf: string) => virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', mac, '-t', '1500', '-n', '3', '-s', '256', '-u', sf);

describe('two DPUs on one machine', () => {
  it('name their representors apart, each keeps its own bus across a DPU restart, and neither takes the other one\'s TAP', async () => {
    const a = await dpu();
    const b = await dpu();
    const ra = await hotplug(a, '02:00:00:00:d1:01', '9801');
    const rb = await hotplug(b, '02:00:00:00:d2:01', '9801');
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const nameA = ra.json.sf_rep_net_device as string;
    const nameB = rb.json.sf_rep_net_device as string;
    expect(nameA).toMatch(/^en[3-9]f0pf0sf9801$/);
    expect(nameB).toMatch(/^en[3-9]f0pf0sf9801$/);
    expect(nameB).not.toBe(nameA);
    const la = link(nameA)!;
    const lb = link(nameB)!;
    expect(la.ifalias).toBe(`virtnet ${a.home}/vhost/${ra.json.vuid}.sock`);
    expect(lb.ifalias).toBe(`virtnet ${b.home}/vhost/${rb.json.vuid}.sock`);
    for (const [d, vuid, l] of [[a, ra.json.vuid, la], [b, rb.json.vuid, lb]] as const) {
      const dev = (await virtnet(d.home, 'query', '-u', vuid, '-b')).json.devices[0];
      expect(dev).toMatchObject({ datapath: 'tap', sf_rep_net_ifindex: l.ifindex, sf_rep_net_ns: null });
    }

    // A's DPU crashes; its successor takes A's bus back, and B's TAP is left alone.
    process.kill(a.dpuPid()!, 'SIGKILL');
    await a.kill();
    await a.start();
    const again = (await virtnet(a.home, 'query', '-u', ra.json.vuid, '-b')).json.devices[0];
    expect(again).toMatchObject({ sf_rep_net_device: nameA, datapath: 'tap', sf_rep_net_ifindex: la.ifindex });
    expect(link(nameB)).toMatchObject({ ifindex: lb.ifindex, ifalias: lb.ifalias });
  });

  it('keeps the representors in a network namespace of their own, created when missing, and query says which', async () => {
    const ns = `vnt${process.pid % 100000}`;
    namespaces.push(ns);
    const d = await dpu({ VIRTNET_NETNS: ns });
    expect(d.log).toContain(`created network namespace ${ns}`);
    const r = await hotplug(d, '02:00:00:00:d3:01', '9802');
    expect(r.code, r.stderr).toBe(0);
    const name = r.json.sf_rep_net_device as string;
    // Inside the namespace only: the machine's own has no such netdev.
    const inside = link(name, ns)!;
    expect(inside).toMatchObject({ ifalias: `virtnet ${d.home}/vhost/${r.json.vuid}.sock`, mtu: 1500 });
    expect(inside.flags).toContain('UP');
    expect(link(name)).toBeNull();
    const dev = (await virtnet(d.home, 'query', '-u', r.json.vuid, '-b')).json.devices[0];
    expect(dev).toMatchObject({ datapath: 'tap', sf_rep_net_ns: ns, sf_rep_net_ifindex: inside.ifindex });

    // modify -t reaches the netdev in its namespace; unplug removes it there.
    expect((await virtnet(d.home, 'modify', '-u', r.json.vuid, 'device', '-t', '9000')).code).toBe(0);
    expect(link(name, ns)!.mtu).toBe(9000);
    expect((await virtnet(d.home, 'unplug', '-u', r.json.vuid)).code).toBe(0);
    expect(link(name, ns)).toBeNull();
  });

  it('refuses a netdev of the representor\'s name that is not the DPU\'s, and leaves it as it was', async () => {
    // The bus the next DPU takes is not known beforehand: make a TAP on every bus's name.
    const names = [3, 4, 5, 6, 7, 8, 9].map((bus) => `en${bus}f0pf0sf9803`);
    for (const n of names) {
      execFileSync('ip', ['tuntap', 'add', 'dev', n, 'mode', 'tap']);
      netdevs.push(n);
    }
    const before = names.map((n) => link(n)!.ifindex);
    // auto: a TAP where it can, else echo with the reason
    const d = await dpu({ VIRTNET_DATAPATH: 'auto' });
    const r = await hotplug(d, '02:00:00:00:d4:01', '9803');
    expect(r.code, r.stderr).toBe(0);
    const dev = (await virtnet(d.home, 'query', '-u', r.json.vuid, '-b')).json.devices[0];
    expect(dev.datapath).toBe('echo');
    expect(dev.datapath_note).toBe(`echo: no TAP ${r.json.sf_rep_net_device} (the name is another netdev's)`);
    expect(names.map((n) => link(n)?.ifindex)).toEqual(before);
    expect(names.map((n) => link(n)?.ifalias ?? '')).toEqual(names.map(() => ''));
  });
});
