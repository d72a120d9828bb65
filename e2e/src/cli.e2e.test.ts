/**
 * The real CLI against the real daemon: the seed's commands, their JSON,
 * every class of bad input (clear code, non-zero exit, nothing changed);
 * and what needs no controller: the exit when none runs, bash completion.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { virtnet } from './support/cli.js';
import { Daemon } from './support/daemon.js';

const SEED_HOTPLUG = ['hotplug', '-i', 'mlx5_0', '-f', '0x80000', '-m', '0C:C4:7A:FF:22:93', '-t', '1500', '-n', '3', '-s', '1024'];
const HOTPLUG_VUID = 'MT2306XZ00ABVNETS132D0F0';

let d: Daemon;
const cli = (...args: string[]) => virtnet(d.home, ...args);

beforeAll(async () => {
  d = await new Daemon({ profile: { PCI_SWITCH_EMULATION_NUM_PORT: 3 } }).start();
});
afterAll(async () => {
  await d.cleanup();
});

describe('virtnet against a running controller', () => {
  it('lists the controller and the static PFs', async () => {
    const r = await cli('list');
    expect(r.code).toBe(0);
    expect(r.json.controller).toMatchObject({
      emulation_manager: 'mlx5_0',
      max_hotplug_devices: 3,
      static_pfs: 2,
      vfs_per_pf: 126,
      max_virt_queues: 64,
      supported_features: { value: '0x8b00037700ef982f' },
    });
    expect(r.json.devices.map((x: { function_type: string }) => x.function_type)).toEqual(['static PF', 'static PF']);
  });

  it("runs the seed's hotplug line and prints the seed's shape", async () => {
    const r = await cli(...SEED_HOTPLUG);
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ bdf: '84:0.0', id: 2, transitional: 0, sf_rep_net_device: 'en3f0pf0sf2000', mac: '0C:C4:7A:FF:22:93', vuid: HOTPLUG_VUID });
  });

  it('queries all, briefly, by PF, by VUID and one queue', async () => {
    const all = await cli('query', '-a');
    expect(all.json.devices).toHaveLength(3);
    expect(all.json.devices[2].queues).toHaveLength(3);
    const brief = await cli('query', '-a', '-b');
    expect(brief.json.devices.every((x: object) => !('queues' in x))).toBe(true);
    const byPf = await cli('query', '-p', '2');
    expect(byPf.json.devices[0]).toMatchObject({ vuid: HOTPLUG_VUID, pci_bdf: '84:0.0', features: '0x80000001006f0028', num_queues: 3 });
    const byVuid = await cli('query', '-u', HOTPLUG_VUID, '-b');
    expect(byVuid.json.devices[0].pf_id).toBe(2);
    const q = await cli('query', '-p', '2', '-q', '2');
    expect(q.json.devices[0].queues).toEqual([expect.objectContaining({ index: 2, type: 'ctrl', size: 1024 })]);
  });

  it('modifies device settings and interrupt moderation', async () => {
    const m = await cli('modify', '-p', '2', 'device', '-m', '0C:C4:7A:FF:22:99', '-t', '9000', '-q', '512');
    expect(m.code).toBe(0);
    expect(m.json.devices[0]).toMatchObject({ mac: '0C:C4:7A:FF:22:99', mtu: 9000, max_queue_size: 512 });
    const f = await cli('modify', '-u', HOTPLUG_VUID, 'device', '-f', '0x1004f0028');
    expect(f.json.devices[0].features).toBe('0x1004f0028');
    const q = await cli('modify', '-a', 'queue', '-e', 'cqe', '-n', '10', '-c', '30');
    expect(q.code).toBe(0);
    expect(q.json.devices).toHaveLength(3);
    const after = await cli('query', '-p', '0', '-q', '0');
    expect(after.json.devices[0].queues[0]).toMatchObject({ rq_cq_period: 10, rq_cq_max_count: 30, rq_cq_period_mode: 'cqe' });
  });

  const refusals: [string, string[], number, string][] = [
    ['malformed MAC', ['hotplug', '-i', 'mlx5_0', '-m', '0C:C4:7A:FF:22', '-t', '1500', '-n', '3', '-s', '1024'], 2, 'MAC_INVALID'],
    ['multicast MAC', ['hotplug', '-i', 'mlx5_0', '-m', '01:00:5E:00:00:01', '-t', '1500', '-n', '3', '-s', '1024'], 2, 'MAC_INVALID'],
    ['MAC in use', ['hotplug', '-i', 'mlx5_0', '-m', '0C:C4:7A:FF:22:99', '-t', '1500', '-n', '3', '-s', '1024'], 1, 'MAC_IN_USE'],
    ['unknown ib device', ['hotplug', '-i', 'mlx5_7', '-m', '02:00:00:00:00:01', '-t', '1500', '-n', '3', '-s', '1024'], 1, 'IB_DEVICE_UNKNOWN'],
    ['queue size not a power of two', ['hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:01', '-t', '1500', '-n', '3', '-s', '1000'], 2, 'QUEUE_SIZE_INVALID'],
    ['queue size above the maximum', ['hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:01', '-t', '1500', '-n', '3', '-s', '65536'], 2, 'QUEUE_SIZE_INVALID'],
    ['too many queues for MSI-X', ['hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:01', '-t', '1500', '-n', '65', '-s', '256'], 1, 'QUEUES_EXCEED_LIMIT'],
    ['MTU above the maximum', ['hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:01', '-t', '9300', '-n', '3', '-s', '256'], 1, 'MTU_INVALID'],
    ['unknown feature bits', ['hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:01', '-t', '1500', '-n', '3', '-s', '256', '-f', '0x80'], 1, 'FEATURES_UNSUPPORTED'],
    ['malformed feature bits', ['hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:01', '-t', '1500', '-n', '3', '-s', '256', '-f', 'vlan'], 2, 'INVALID_ARGUMENT'],
    ['non-numeric MTU', ['hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:01', '-t', '15OO', '-n', '3', '-s', '256'], 2, 'USAGE'],
    ['missing flag', ['hotplug', '-i', 'mlx5_0', '-t', '1500', '-n', '3', '-s', '256'], 2, 'USAGE'],
    ['unplugging a static PF', ['unplug', '-p', '0'], 1, 'NOT_HOTPLUG'],
    ['unplugging a device that does not exist', ['unplug', '-p', '9'], 1, 'DEVICE_NOT_FOUND'],
    ['an unknown VUID', ['query', '-u', 'MT2306XZ00ABVNETS99D0F0'], 1, 'DEVICE_NOT_FOUND'],
    ['a malformed VUID', ['query', '-u', 'hello'], 2, 'INVALID_ARGUMENT'],
    ['no selector', ['query'], 2, 'INVALID_ARGUMENT'],
    ['-v without -p', ['query', '-v', '1', '-a'], 2, 'INVALID_ARGUMENT'],
    ['a queue that does not exist', ['query', '-p', '0', '-q', '7'], 1, 'INVALID_ARGUMENT'],
    ['an empty modify', ['modify', '-p', '0', 'device'], 2, 'INVALID_ARGUMENT'],
    ['an MSI-X change on a PF', ['modify', '-p', '0', 'device', '-n', '8'], 1, 'NOT_SUPPORTED'],
    ['a bad event mode', ['modify', '-p', '0', 'queue', '-e', 'sometimes', '-n', '1', '-c', '1'], 2, 'USAGE'],
    ['an unknown command', ['frobnicate'], 2, 'USAGE'],
  ];

  it.each(refusals.map(([what, args, exit, code]) => ({ what, args, exit, code })))('refuses $what: exit $exit, $code, nothing changed', async ({ args, exit, code }) => {
    const before = (await cli('query', '-a', '-b')).json;
    const r = await cli(...args);
    expect(r.code).toBe(exit);
    expect(r.stdout).toBe('');
    expect(r.error.code).toBe(code);
    expect(r.error.message.length).toBeGreaterThan(5);
    expect((await cli('query', '-a', '-b')).json).toEqual(before);
  });

  it('refuses a hot-plug past the free ports and accepts one after an unplug', async () => {
    expect((await cli('hotplug', '-i', 'mlx5_1', '-m', '02:00:00:00:00:02', '-t', '1500', '-n', '3', '-s', '256')).code).toBe(0);
    // SF numbers are per ib device: the second device on mlx5_1 is its 2001.
    expect((await cli('hotplug', '-i', 'mlx5_1', '-m', '02:00:00:00:00:03', '-t', '1500', '-n', '3', '-s', '256')).json.sf_rep_net_device).toBe('en3f1pf1sf2001');
    const full = await cli('hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:04', '-t', '1500', '-n', '3', '-s', '256');
    expect(full.code).toBe(1);
    expect(full.error).toEqual({ code: 'NO_FREE_HOTPLUG_PORT', message: 'all 3 hot-plug ports are in use; unplug a device first' });
    const un = await cli('unplug', '-u', 'MT2306XZ00ABVNETS133D0F0');
    expect(un.json).toEqual({ vuid: 'MT2306XZ00ABVNETS133D0F0', pf_id: 3, bdf: '85:0.0', status: 'unplugged' });
    expect((await cli('hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:04', '-t', '1500', '-n', '3', '-s', '256')).json.bdf).toBe('85:0.0');
  });

  it('prints versions and health', async () => {
    expect((await cli('-v')).stdout.trim()).toBe('0.1.0');
    expect((await cli('version')).json).toMatchObject({ controller: '0.1.0', cli: '0.1.0', native_abi: 5 });
    expect((await cli('health')).json).toMatchObject({ status: 'ok', database: 'ok', hardware: 'ok' });
  });

  it('has help on every command', async () => {
    const every = [['-h'], ['list', '-h'], ['query', '-h'], ['hotplug', '-h'], ['unplug', '-h'], ['modify', '-h'], ['modify', 'device', '-h'], ['modify', 'queue', '-h'], ['version', '-h'], ['health', '-h'], ['stats', '-h']];
    const others = [['log', '-h'], ['validate', '-h'], ['update', '-h'], ['restart', '-h'], ['recovery', '-h'], ['recovery', 'import', '-h'], ['recovery', 'export', '-h'], ['host', 'sriov', '-h'], ['completion', '-h']];
    for (const args of [...every, ...others]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).toMatch(/^Usage: virtnet/);
    }
  });
});

describe('virtnet without a controller', () => {
  it('exits 3 with DAEMON_UNREACHABLE', async () => {
    const r = await virtnet('/tmp/vn-nowhere', 'list');
    expect(r.code).toBe(3);
    expect(r.error.code).toBe('DAEMON_UNREACHABLE');
    expect(r.error.message).toMatch(/is the controller running/);
  });
});

describe('completion', () => {
  it('prints a bash completion script that completes commands and flags', async () => {
    const r = await virtnet('/tmp/vn-nowhere', 'completion', 'bash');
    expect(r.code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'vnc-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'c.sh'), r.stdout);
    const complete = (line: string) =>
      execFileSync('bash', ['-c', `source ${join(dir, 'c.sh')}; COMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _virtnet; echo "\${COMPREPLY[*]}"`], { encoding: 'utf8' }).trim();
    expect(complete('virtnet hot').split(' ')).toEqual(['hotplug']);
    expect(complete("virtnet modify -p 0 device ''").split(' ')).toEqual(expect.arrayContaining(['-m', '--mtu', '-q', '-n']));
    expect(complete('virtnet host sr')).toBe('sriov');
    expect(complete("virtnet modify -p 0 queue -e ''")).toBe('event cqe');
    expect(complete('virtnet up')).toBe('update');
  });
});
