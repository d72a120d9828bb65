/**
 * The qemu host mode against a real Linux guest (Linux 6.1's virtio_net
 * under QEMU 7.2, the lab's VM): the controller hot-plugs NICs into the
 * VM's PCIe root ports through QMP, the guest probes them with exactly what
 * was asked, ping crosses to the TAP representor and goes on crossing while
 * the controller is SIGKILLed (QEMU never reconnects), a SIGKILLed DPU is
 * replaced and QEMU reconnects without a re-probe, unplug takes the NIC out
 * of the guest, and the VM is reconciled with the controller.
 * One VM serves the whole file (a TCG boot takes several seconds).
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { until } from '@virtnet/shared';
import { Daemon } from './support/daemon.js';
import { Guest } from './support/guest.js';

const PROFILE = { PCI_SWITCH_EMULATION_NUM_PORT: 2, VIRTIO_NET_EMULATION_NUM_PF: 1, VIRTIO_NET_EMULATION_NUM_VF: 0 };
/**
 * A ping loop in the guest, detached from the console's shell (its job control has nothing to do with
 * the data path) and started again should it exit: busybox ping gives up on a send error while a
 * device is gone. The loop writes its own pid. Started from a subshell: busybox ash on the console
 * exits when a job it put in the background is `setsid` itself, and the command written next can be
 * lost while the console's next shell starts.
 */
const PINGER = "(setsid sh -c 'echo $$ > /tmp/pinger; while :; do ping -i 0.2 198.18.91.1; sleep 0.2; done' < /dev/null >> /tmp/ping.log 2>&1 &)";
const CONF = { static_pf: { mac_base: '02:56:4E:AA:00:00' } };

let d: Daemon;
let guest: Guest;

/** "0000:01:00.0" as the rest of the product writes it: "01:0.0". */
const shortBdf = (bdf: string) => {
  const [, bus, dev, fn] = /^(?:[0-9a-f]{4}:)?([0-9a-f]{2}):([0-9a-f]{2})\.(\d)$/.exec(bdf)!;
  return `${bus}:${parseInt(dev!, 16).toString(16)}.${fn}`;
};
const repRx = (rep: string) => JSON.parse(execFileSync('ip', ['-j', '-s', 'link', 'show', rep], { encoding: 'utf8' }))[0].stats64.rx.packets as number;
const hostStatus = async () => (await virtnet(d.home, 'host')).json;

beforeAll(async () => {
  d = await new Daemon({ profile: PROFILE, conf: CONF, env: { VIRTNET_HOST: 'qemu', VIRTNET_DATAPATH: 'tap' } }).start();
  const pf = (await virtnet(d.home, 'query', '-p', '0', '-b')).json.devices[0];
  guest = await new Guest(join(d.home, 'qemu'), {
    rootPorts: 2,
    coldPlug: [{ vuid: pf.vuid, socket: pf.vhost_user_socket, mac: pf.mac, mtu: pf.mtu, queuePairs: pf.max_queue_pairs }],
  }).start();
  await until('the controller connected to the VM', async () => ((await hostStatus()).qemu?.connected ? true : undefined), 20_000);
}, 180_000);

afterAll(async () => {
  await guest?.stop();
  await d?.cleanup();
});

describe('qemu host mode with a Linux guest', () => {
  it('finds the cold-plugged static PF where the guest enumerated it, with the guest driver state', async () => {
    const nic = guest.nicsSince(0).find((n) => n.mac === '02:56:4E:AA:00:00');
    expect(nic, guest.console).toBeDefined();
    const dev = await until('the guest driver state', async () => {
      const x = (await virtnet(d.home, 'query', '-p', '0', '-b')).json.devices[0];
      return x.device_status === 15 ? x : undefined;
    });
    expect(dev.pci_bdf).toBe(shortBdf(nic!.bdf));
    expect(dev.device_status_names).toEqual(['ACKNOWLEDGE', 'DRIVER', 'DRIVER_OK', 'FEATURES_OK']);
    // the guest's own negotiation, which includes what QEMU handles itself (the control queue)
    expect(BigInt(dev.driver_features) & (1n << 17n)).toBe(1n << 17n);
    const qemu = (await hostStatus()).qemu;
    expect(qemu.root_ports).toEqual(['rp0', 'rp1']);
    expect(qemu.plugged).toContainEqual({ vuid: dev.vuid, qdev_id: `vnet-${dev.vuid}`, bdf: dev.pci_bdf, root_port: null });
  });

  let vuid = '';
  let ifname = '';
  // The representor's name, from the hot-plug's answer (its bus depends on the DPUs beside this one).
  let REP = '';

  it('hot-plugs a NIC the guest probes with exactly the MAC, MTU and queue pairs asked, at the BDF reported; ping crosses to the representor', async () => {
    const from = guest.lines.length;
    const r = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '0C:C4:7A:FF:22:93', '-t', '1400', '-n', '5', '-s', '256', '-u', '9901');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ id: 1, transitional: 0, sf_rep_net_device: expect.stringMatching(/^en[3-9]f0pf0sf9901$/), mac: '0C:C4:7A:FF:22:93' });
    REP = r.json.sf_rep_net_device;
    vuid = r.json.vuid;
    const nic = await guest.nicAdded(from);
    expect(nic).toMatchObject({ mac: '0C:C4:7A:FF:22:93', mtu: 1400, queues: 2 });
    expect(shortBdf(nic.bdf)).toBe(r.json.bdf);
    ifname = nic.ifname;
    const q = (await hostStatus()).qemu.plugged.find((p: { vuid: string }) => p.vuid === vuid);
    expect(q).toMatchObject({ bdf: r.json.bdf, root_port: 'rp0' });

    execFileSync('ip', ['addr', 'add', '198.18.91.1/24', 'dev', REP]);
    expect((await guest.run(`ip link set ${ifname} up && ip addr add 198.18.91.2/24 dev ${ifname}`)).code).toBe(0);
    const ping = await guest.run('ping -c 3 -W 5 198.18.91.1', 40_000);
    expect(ping.code, ping.out).toBe(0);
    const s = (await virtnet(d.home, 'stats', '-u', vuid)).json.queues;
    expect(s[1].packets + s[3].packets).toBeGreaterThanOrEqual(3); // echo requests left the guest
    expect(s[0].packets + s[2].packets).toBeGreaterThanOrEqual(3); // replies reached it
    for (const x of s) expect(x.bad_desc_errors + x.invalid_buffer + x.exceed_max_chain).toBe(0);
  }, 90_000);

  it('keeps forwarding while the controller is SIGKILLed and started again: no reconnect, no probe', async () => {
    const from = guest.lines.length;
    expect((await guest.run(PINGER)).code).toBe(0);
    const base = repRx(REP);
    await until('requests on the representor', () => (repRx(REP) > base + 5 ? true : undefined));
    const replies = async () => Number((await guest.run('grep -c "bytes from" /tmp/ping.log')).out.trim().split('\n').pop());
    const connections = (await virtnet(d.home, 'query', '-u', vuid, '-b')).json.devices[0].host_connections;

    await d.kill();
    // No controller: the DPU goes on carrying the guest's requests to the representor and the replies back.
    const atKill = repRx(REP);
    const repliesAtKill = await replies();
    await until('requests on the representor with no controller', () => (repRx(REP) > atKill + 5 ? true : undefined), 30_000);
    await until('replies in the guest with no controller', async () => ((await replies()) > repliesAtKill + 5 ? true : undefined), 30_000);
    await d.start();
    const atRestart = repRx(REP);
    await until('requests beside the new controller', () => (repRx(REP) > atRestart + 5 ? true : undefined), 30_000);
    await guest.run('kill $(cat /tmp/pinger); killall ping; true');

    expect(guest.nicsSince(from)).toEqual([]);
    expect(d.log).not.toContain('plugged into the VM again');
    const dev = (await virtnet(d.home, 'query', '-u', vuid, '-b')).json.devices[0];
    expect(dev).toMatchObject({ device_status: 15, host_connections: connections }); // QEMU never reconnected
  }, 90_000);

  it('comes back from a DPU SIGKILL: the controller recreates the device, QEMU reconnects, traffic resumes, the guest does not probe again', async () => {
    const from = guest.lines.length;
    expect((await guest.run(PINGER)).code).toBe(0);
    const replies = async () => Number((await guest.run('grep -c "bytes from" /tmp/ping.log')).out.trim().split('\n').pop());
    await until('replies in the guest', async () => ((await replies()) > 3 ? true : undefined), 30_000);
    const before = (await virtnet(d.home, 'query', '-u', vuid, '-b')).json.devices[0];
    const dpu = d.dpuPid()!;
    process.kill(dpu, 'SIGKILL');
    const health = await until('a new DPU with the device', async () => {
      const h = (await virtnet(d!.home, 'health')).json;
      return h.dpu.pid !== dpu && h.dpu.state === 'running' && h.dpu.last_outage?.recovered_ms !== null ? h : undefined;
    }, 30_000);
    expect(health.dpu.last_outage).toMatchObject({ reason: expect.stringContaining('went away') });
    const repliesAfter = await replies();
    await until('replies in the guest on the new DPU', async () => ((await replies()) > repliesAfter + 5 ? true : undefined), 30_000);
    await guest.run('kill $(cat /tmp/pinger); killall ping; true');
    expect(guest.nicsSince(from)).toEqual([]);
    const dev = (await virtnet(d.home, 'query', '-u', vuid, '-b')).json.devices[0];
    expect(dev).toMatchObject({ vuid: before.vuid, mac: before.mac, pci_bdf: before.pci_bdf, sf_num: before.sf_num, device_status: 15, host_connections: 1 });
  }, 90_000);

  it('unplugs: the guest releases the NIC, the representor goes', async () => {
    const from = guest.lines.length;
    const r = await virtnet(d.home, 'unplug', '-u', vuid);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ vuid, status: 'unplugged' });
    await guest.waitLine(new RegExp(`^VNET-NIC-DEL ${ifname}$`), 10_000, from);
    expect((await hostStatus()).qemu.plugged.map((p: { vuid: string }) => p.vuid)).not.toContain(vuid);
    expect(() => execFileSync('ip', ['link', 'show', REP], { stdio: 'ignore' })).toThrow();
  }, 30_000);

  it('refuses a hot-plug past the free ports with a clear error and changes nothing', async () => {
    const from = guest.lines.length;
    const a = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:91:01', '-t', '1500', '-n', '3', '-s', '256');
    const b = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:91:02', '-t', '1500', '-n', '3', '-s', '256');
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    await until('both NICs in the guest', () => (guest.nicsSince(from).length === 2 ? true : undefined));
    const count = (await virtnet(d.home, 'list')).json.devices.length;
    const c = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:91:03', '-t', '1500', '-n', '3', '-s', '256');
    expect(c.code).toBe(1);
    expect(c.error.code).toBe('NO_FREE_HOTPLUG_PORT');
    expect((await virtnet(d.home, 'list')).json.devices.length).toBe(count);
    expect((await hostStatus()).qemu.plugged).toHaveLength(3);
    for (const x of [a, b]) expect((await virtnet(d.home, 'unplug', '-u', x.json.vuid)).code).toBe(0);
  }, 60_000);

  it('takes out of the VM a device whose hot-plug a crash cut short (plugged, never stored)', async () => {
    const from = guest.lines.length;
    const r = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:91:04', '-t', '1500', '-n', '3', '-s', '256');
    expect(r.code, r.stderr).toBe(0);
    const nic = await guest.nicAdded(from);
    await d.kill();
    // What a SIGKILL between the plug and the database write leaves: the VM has the device, the database does not.
    const db = new Database(join(d.home, 'virtnet.db'));
    db.prepare('DELETE FROM devices WHERE vuid = ?').run(r.json.vuid);
    db.close();
    await d.start();
    await guest.waitLine(new RegExp(`^VNET-NIC-DEL ${nic.ifname}$`), 20_000, from);
    expect(d.log).toContain(`${r.json.vuid} is in the VM but not in this controller`);
    expect((await virtnet(d.home, 'list')).json.devices.map((x: { vuid: string }) => x.vuid)).not.toContain(r.json.vuid);
    expect((await hostStatus()).qemu.plugged.map((p: { vuid: string }) => p.vuid)).not.toContain(r.json.vuid);
  }, 60_000);

  it('refuses device changes a VM would not see, and host driver commands it cannot do', async () => {
    const m = await virtnet(d.home, 'modify', '-p', '0', 'device', '-t', '9000');
    expect(m.code).toBe(1);
    expect(m.error.code).toBe('NOT_SUPPORTED');
    expect(m.error.message).toMatch(/hot-plug it again/);
    const u = await virtnet(d.home, 'host', 'unbind', '-p', '0');
    expect(u.code).toBe(1);
    expect(u.error.code).toBe('NOT_SUPPORTED');
    expect(u.error.message).toMatch(/in the guest/);
  });

  it('shows the VM on the dashboard, and says in the controller\'s words why device settings and driver actions are not available', async () => {
    const { openBrowser } = await import('./support/browser.js');
    const refusedModify = (await virtnet(d.home, 'modify', '-p', '0', 'device', '-t', '9000')).error;
    const refusedUnbind = (await virtnet(d.home, 'host', 'unbind', '-p', '0')).error;
    expect([refusedModify.code, refusedUnbind.code]).toEqual(['NOT_SUPPORTED', 'NOT_SUPPORTED']);
    const plugged = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:91:06', '-t', '1500', '-n', '3', '-s', '256');
    expect(plugged.code, plugged.stderr).toBe(0);
    const pf = (await virtnet(d.home, 'query', '-p', '0', '-b')).json.devices[0];
    const qemu = (await hostStatus()).qemu;
    expect(qemu.plugged.map((p: { vuid: string }) => p.vuid).sort()).toEqual([pf.vuid, plugged.json.vuid].sort());
    const b = await openBrowser(d.loginUrl);
    try {
      const fact = (name: string) => b.page.locator(`#host-facts [data-field="${name}"]`).textContent();
      await b.page.locator('#host-mode', { hasText: 'qemu' }).waitFor();
      expect(await fact('host-vm')).toBe('connected');
      expect(await fact('host-accel')).toBe(qemu.accel);
      expect(await fact('host-root-ports')).toBe('2');
      expect(await fact('host-in-vm')).toBe('2');
      // The new device sits behind rp0, the first hot-plug port's root port; the static PF is cold-plugged on the root bus.
      expect(await b.page.getAttribute('[data-port="0"]', 'data-in-vm')).toBe('true');
      expect(await b.page.getAttribute('[data-port="1"]', 'data-in-vm')).toBe('false');
      await b.screenshot('23-overview-qemu');

      await b.page.goto(new URL(`/devices/${pf.vuid}`, d.url).href);
      await b.page.locator('#detail-host-unsupported', { hasText: refusedUnbind.message }).waitFor();
      expect(await b.page.isDisabled('#detail-host-toggle')).toBe(true);
      expect(await b.page.locator('[data-field=host_driver]').textContent()).toBe(`in the VM at ${pf.pci_bdf} (cold-plugged)`);
      await b.page.click('#detail-modify');
      await b.page.locator('#modify-not-supported', { hasText: refusedModify.message }).waitFor();
      expect(await b.page.locator('#modify-host-unsupported').textContent()).toContain(refusedUnbind.message);
      expect(await b.page.isDisabled('#modify-device-submit')).toBe(true);
      expect(await b.page.isDisabled('#modify-mtu')).toBe(true);
      // Interrupt moderation is the device's own: it applies with the device in the VM.
      await b.page.fill('#modify-period_us', '20');
      await b.page.click('#modify-queue-submit');
      await b.page.locator('#modify-done', { hasText: 'moderation' }).waitFor();
      await b.screenshot('24-modify-in-vm');
      expect((await virtnet(d.home, 'query', '-p', '0', '-q', '0')).json.devices[0].queues[0].rq_cq_period).toBe(20);
      expect(b.takeErrors()).toEqual([]);
    } finally {
      await b.close();
    }
    expect((await virtnet(d.home, 'unplug', '-u', plugged.json.vuid)).code).toBe(0);
  }, 60_000);
});
