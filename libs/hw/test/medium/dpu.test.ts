/**
 * Medium tests: the real libvnet through the real koffi binding, against a
 * real DPU process (vnet-dpu) in a temporary home.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@virtnet/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { Dpu, HwError, runningDpu, startDpu, type DpuOptions, type HwFunctionSpec, type ProfileOverrides } from '../../src/index.js';

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

const homes: string[] = [];
const opened: Dpu[] = [];

function options(home: string, profile: ProfileOverrides = {}, patch: Partial<DpuOptions['start']> = {}): DpuOptions {
  return { home, profile, start: { socketDir: join(home, 'vhost'), workers: 1, backend: 'echo', client: false, idlePollUs: 20, netns: '', ...patch } };
}

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'vnhw-'));
  homes.push(home);
  return home;
}

async function open(home: string, profile: ProfileOverrides = {}, patch: Partial<DpuOptions['start']> = {}) {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(home, 'vhost'), { recursive: true });
  const r = await Dpu.open(options(home, profile, patch));
  opened.push(r.dpu);
  return r;
}

afterEach(() => {
  for (const d of opened.splice(0)) d.close();
  for (const home of homes.splice(0)) {
    const pid = runningDpu(home);
    if (pid) process.kill(pid, 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
  }
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

describe('Dpu', () => {
  it('starts a DPU process, provisions it with the profile and reports it', async () => {
    const home = newHome();
    const { dpu, attachment } = await open(home);
    expect(attachment.kind).toBe('started');
    expect(dpu.abiVersion).toBe(5);
    expect(dpu.profile.hotplugPorts).toBe(16);
    expect(dpu.profile.supportedFeatures).toBe(0x8b00037700ef982fn);
    expect(dpu.profile.ibDevices.map((d) => d.name)).toEqual(['mlx5_0', 'mlx5_1', 'mlx5_bond_0']);
    const s = dpu.status();
    expect(s).toMatchObject({ up: true, functions: 0, starts: 1 });
    expect(s.pid).toBe(runningDpu(home));
    expect(Number(readFileSync(join(home, 'dpu.pid'), 'utf8'))).toBe(s.pid);
  });

  it('replaces a running DPU of another build, whose ABI it cannot speak, and says so', async () => {
    const native = join(import.meta.dirname, '../../native');
    execFileSync('make', ['-s', '-C', native, 'build/other-abi/vnet-dpu']);
    const home = newHome();
    const old = await startDpu(home, { ...process.env, VIRTNET_DPU_BINARY: join(native, 'build/other-abi/vnet-dpu') });
    const { dpu, attachment } = await open(home);
    expect(attachment).toMatchObject({ kind: 'reset', why: expect.stringContaining(`the running DPU process (pid ${old}) is of another build`) });
    expect(attachment.pid).not.toBe(old);
    expect(runningDpu(home)).toBe(attachment.pid);
    expect(dpu.create(seedSpec()).kind).toBe('hotplug'); // this build's DPU, provisioned and driven
  });

  it('applies profile overrides and refuses a bad profile with a code', async () => {
    const { dpu } = await open(newHome(), { hotplugPorts: 2, ibDevices: [{ name: 'mlx5_2', port: 0, pfNum: 0 }] });
    expect(dpu.profile.hotplugPorts).toBe(2);
    expect(dpu.state().profile!.ibDevices).toEqual([{ name: 'mlx5_2', port: 0, pfNum: 0 }]);
    await expect(open(newHome(), { maxQueueSize: 1000 })).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringContaining('max_queue_size') });
  });

  it('hot-plugs the seed device and reads it back', async () => {
    const { dpu } = await open(newHome());
    const f = dpu.create(seedSpec());
    expect(f).toMatchObject({ kind: 'hotplug', pfId: 2, vfId: null, port: 0, bdf: '84:0.0', sfNum: 2000, sfRep: 'en3f0pf0sf2000', mac: '0C:C4:7A:FF:22:93', maxQueuePairs: 1, linkUp: true, connections: 0 });
    expect(f.deviceFeatures).toBe(VERSION_1 | CTRL_VQ | MAC_F | (1n << 19n));
    expect(f.migration).toEqual({ logEnabled: false, state: 'none', logSize: 0, logPages: 0, logSkipped: 0, migrations: 0, rarps: 0 });
    expect(dpu.query(f.handle)).toEqual(f);
    expect(dpu.list()).toEqual([f]);
    expect(existsSync(f.vhostSocket!)).toBe(true);
  });

  it('turns every limit into a stable code and creates nothing', async () => {
    const { dpu: h } = await open(newHome(), { hotplugPorts: 1 });
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

  it('refuses config changes while the driver is bound, then accepts them after reset', async () => {
    const { dpu } = await open(newHome());
    const f = dpu.create(seedSpec());
    dpu.driverWriteStatus(f.handle, 1 | 2);
    dpu.driverWriteFeatures(f.handle, VERSION_1);
    dpu.driverWriteStatus(f.handle, 1 | 2 | 8 | 4);
    expect(dpu.query(f.handle)).toMatchObject({ deviceStatus: 15, driverFeatures: VERSION_1, enabledQueues: 0 });
    expect(codeOf(() => dpu.modify(f.handle, { mtu: 9000 }))).toBe('DRIVER_BOUND');
    dpu.driverWriteStatus(f.handle, 0);
    expect(dpu.modify(f.handle, { mtu: 9000, mac: '02:00:00:00:00:01' })).toMatchObject({ mtu: 9000, mac: '02:00:00:00:00:01' });
    // MSI-X is per VF: a PF says so whatever its driver does
    dpu.driverWriteStatus(f.handle, 1 | 2);
    expect(codeOf(() => dpu.modify(f.handle, { numMsix: 8 }))).toBe('NOT_SUPPORTED');
  });

  it('reads the counters of every queue from the shared segment', async () => {
    const { dpu } = await open(newHome());
    const a = dpu.create(seedSpec());
    const b = dpu.create(seedSpec({ numQueues: 2, features: VERSION_1, mac: '02:00:00:00:00:02' }));
    const c = dpu.counters();
    expect(c.map((q) => [q.handle, q.qid])).toEqual([
      [a.handle, 0],
      [a.handle, 1],
      [a.handle, 2],
      [b.handle, 0],
      [b.handle, 1],
    ]);
    expect(c[0]).toMatchObject({ size: 1024, receivedDesc: 0, oversized: 0, histogram: [0, 0, 0, 0, 0, 0, 0, 0] });
    dpu.destroy(a.handle);
    expect(dpu.counters()).toHaveLength(2);
    expect(codeOf(() => dpu.destroy(a.handle))).toBe('NOT_FOUND');
  });

  it('sets interrupt moderation and switches backends', async () => {
    const { dpu } = await open(newHome());
    const f = dpu.create(seedSpec());
    expect(dpu.setModeration(f.handle, 'cqe', 10, 30)).toMatchObject({ eventMode: 'cqe', moderationPeriodUs: 10, moderationMaxCount: 30 });
    expect(dpu.setBackend(f.handle, 'generator', 128)).toMatchObject({ backend: 'generator', backendNote: 'generator' });
    expect(codeOf(() => dpu.setBackend(f.handle, 'generator', 10))).toBe('INVALID_ARGUMENT');
    dpu.destroy(f.handle);
    expect(existsSync(f.vhostSocket!)).toBe(false);
  });

  it('is attached again by the next controller with its functions, or reset when the configuration changed', async () => {
    const home = newHome();
    const first = await open(home);
    const f = first.dpu.create(seedSpec());
    first.dpu.close(); // the controller goes; the DPU stays
    expect(runningDpu(home)).toBe(first.attachment.pid);
    const again = await open(home);
    expect(again.attachment).toEqual({ kind: 'attached', pid: first.attachment.pid, functions: 1 });
    expect(again.dpu.list().map((x) => x.vuid)).toEqual([f.vuid]);
    again.dpu.close();
    const changed = await open(home, { hotplugPorts: 4 });
    expect(changed.attachment).toMatchObject({ kind: 'reset', why: expect.stringContaining('profile') });
    expect(changed.attachment.pid).not.toBe(first.attachment.pid);
    expect(changed.dpu.list()).toEqual([]);
    changed.dpu.close();
    const workers = await open(home, { hotplugPorts: 4 }, { workers: 2 });
    expect(workers.attachment).toMatchObject({ kind: 'reset', why: '1 worker(s), not 2' }); // the running DPU has 1, the configuration 2
  });

  it('notices the DPU process die within its watch period, fails calls meanwhile, and restarts it empty', async () => {
    const home = newHome();
    const { dpu, attachment } = await open(home);
    dpu.create(seedSpec());
    let down: string | null = null;
    dpu.watch((why) => (down = why));
    const t0 = performance.now();
    process.kill(attachment.pid, 'SIGKILL');
    await until('the DPU noticed gone', () => down !== null, 3000, 5);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(down).toMatch(/went away/);
    expect(dpu.status()).toMatchObject({ up: false, reason: expect.stringMatching(/went away/) });
    expect(codeOf(() => dpu.list())).toBe('DPU_UNAVAILABLE');
    expect(codeOf(() => dpu.counters())).toBe('DPU_UNAVAILABLE');
    const back = await dpu.restart();
    expect(back.kind).toBe('started');
    expect(dpu.list()).toEqual([]);
    expect(dpu.status()).toMatchObject({ up: true, starts: 2 });
  });

  it('powers off: the process exits and the sockets go', async () => {
    const home = newHome();
    const { dpu, attachment } = await open(home);
    const f = dpu.create(seedSpec());
    await dpu.powerOff();
    expect(runningDpu(home)).toBeNull();
    expect(existsSync(f.vhostSocket!)).toBe(false);
    expect(existsSync(join(home, 'dpu.sock'))).toBe(false);
    expect(() => process.kill(attachment.pid, 0)).toThrow();
  });
});
