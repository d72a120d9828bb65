/**
 * The commands that complete the real virtnet's set, through the real CLI
 * against a real controller: log, validate, update, restart, recovery
 * import/export, host sriov, completion, and the configuration and
 * provider files at start.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { Daemon, ROOT, until } from './support/daemon.js';

let d: Daemon | undefined;
const temps: string[] = [];
afterEach(async () => {
  await d?.cleanup();
  d = undefined;
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

function temp(): string {
  const t = mkdtempSync(join(tmpdir(), 'vnp-'));
  temps.push(t);
  return t;
}

const SEED_RECORD = {
  port_ib_dev: 'mlx5_0',
  pf_id: 0,
  function_type: 'pf',
  bdf_raw: 26624,
  device_type: 'hotplug',
  mac: '0c:c4:7a:ff:22:93',
  pf_num: 0,
  sf_num: 2000,
  mq: 1,
};

describe('log', () => {
  it('shows the level and changes it at run time, effective at once', async () => {
    d = await new Daemon().start();
    expect((await virtnet(d.home, 'log')).json).toEqual({ level: 'info', format: 'json' });
    const before = d.log.length;
    // each request is logged at debug: not at info
    await virtnet(d.home, 'list');
    expect(d.log.slice(before)).not.toMatch(/rpc list/);
    const set = await virtnet(d.home, 'log', '-l', 'debug');
    expect(set.json).toEqual({ level: 'debug', previous: 'info', format: 'json' });
    expect((await virtnet(d.home, 'log')).json.level).toBe('debug');
    await virtnet(d.home, 'list');
    await until('the debug line of the request', () => (/"level":20[^\n]*rpc list/.test(d!.log.slice(before)) ? true : undefined));
    // the real virtnet's spelling of error
    expect((await virtnet(d.home, 'log', 'err')).json).toMatchObject({ level: 'error', previous: 'debug' });
    const bad = await virtnet(d.home, 'log', '-l', 'loud');
    expect([bad.code, bad.error.code, bad.error.field]).toEqual([2, 'INVALID_ARGUMENT', 'level']);
    expect((await virtnet(d.home, 'log')).json.level).toBe('error');
    const quiet = d.log.length;
    await virtnet(d.home, 'query', '-a', '-b');
    expect(d.log.slice(quiet)).not.toMatch(/rpc query/);
  });
});

describe('validate', () => {
  it("checks files without applying them: the seed's example, a broken one, a providers directory", async () => {
    d = await new Daemon().start();
    const dir = temp();
    const golden = join(ROOT, 'apps/controller/test/golden');
    const seed = join(golden, 'virtnet-conf/ok/seed-non-lag.conf');
    const ok = await virtnet(d.home, 'validate', seed);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json).toMatchObject({ kind: 'conf', valid: true, errors: [], effective: { vf: { vfs_per_pf: 100 } } });
    expect(ok.json.warnings[0]).toMatchObject({ line: 11, message: expect.stringMatching(/trailing comma/) });

    writeFileSync(join(dir, 'bad.conf'), JSON.stringify({ vf: { mac_base: 'CC:48:15:FF:00:00', vfs_per_pf: 127 } }));
    const bad = await virtnet(d.home, 'validate', join(dir, 'bad.conf'));
    expect(bad.code).toBe(1);
    expect(bad.json.valid).toBe(false);
    expect(bad.error).toMatchObject({ code: 'CONFIG_INVALID', field: 'vf.vfs_per_pf', message: expect.stringMatching(/exceeds the 126 VFs per PF/) });

    const providers = await virtnet(d.home, 'validate', '-p', join(golden, 'providers/ok/seed'));
    expect(providers.json).toMatchObject({ kind: 'providers', valid: true, effective: { provider: 'dpa', source: 'dpa.provider' } });
    const badProviders = await virtnet(d.home, 'validate', join(golden, 'providers/not-ok/name-mismatch'));
    expect(badProviders.code).toBe(1);
    expect(badProviders.error).toMatchObject({ code: 'CONFIG_INVALID', field: 'ace.provider' });

    const missing = await virtnet(d.home, 'validate', join(dir, 'nope.conf'));
    expect([missing.code, missing.error.code]).toEqual([2, 'INVALID_ARGUMENT']);
    // nothing was applied
    expect((await virtnet(d.home, 'list')).json.controller.provider).toBe('ace');
  });
});

describe('configuration and providers at start', () => {
  it("starts on the seed's example with its trailing comma, warns, and applies its MACs and VFs", async () => {
    d = new Daemon({ profile: { VIRTIO_NET_EMULATION_NUM_VF: 126 } });
    cpSync(join(ROOT, 'apps/controller/test/golden/virtnet-conf/ok/seed-non-lag.conf'), join(d.home, 'virtnet.conf'));
    mkdirSync(join(d.home, 'providers'));
    writeFileSync(join(d.home, 'providers/dpa.provider'), '# dpa.so is another provider\nProvider=dpa\nScore=200\n');
    await d.start();
    expect(d.log).toMatch(/trailing comma at line 11/);
    const list = (await virtnet(d.home, 'list')).json;
    expect(list.controller.provider).toBe('dpa');
    expect((await virtnet(d.home, 'version')).json.provider).toBe('dpa');
    expect(d.log).toMatch(/provider 'dpa' \(dpa.provider\), 1 worker thread\(s\) polling 1000 us/);
    // The seed's static_pf.mac_base (11:...) is a multicast address: said at start, and the static PFs are not made.
    expect(d.log).toMatch(/static_pf.mac_base: 11:22:33:44:55:66 is a multicast address/);
    const health = (await virtnet(d.home, 'health')).json;
    expect(health.status).toBe('degraded');
    expect(health.recovery.failed.map((f: any) => [f.vuid, f.code])).toEqual([
      ['static PF 0', 'MAC_INVALID'],
      ['static PF 1', 'MAC_INVALID'],
    ]);
    const vfs = list.devices.filter((x: any) => x.function_type === 'VF');
    expect(vfs).toHaveLength(200);
    expect(vfs.slice(0, 3).map((x: any) => x.mac)).toEqual(['CC:48:15:FF:00:00', 'CC:48:15:FF:00:01', 'CC:48:15:FF:00:02']);
    expect(vfs[100]).toMatchObject({ pf_id: 1, vf_id: 0, mac: 'CC:48:15:FF:00:64' });
    expect(health.provider).toBe('dpa');
    expect(vfs[0].features).toBe('0x230047082b');
  });

  it('refuses to start on an invalid provider file, naming the file and line', async () => {
    d = new Daemon();
    mkdirSync(join(d.home, 'providers'));
    writeFileSync(join(d.home, 'providers/dpa.provider'), 'provider=dpa\nscore=lots\n');
    await expect(d.start()).rejects.toThrow(/dpa.provider: line 2: score must be a whole number/);
  });

  it('with recovery: 0, does not recreate the devices of the last run', async () => {
    d = await new Daemon().start();
    expect((await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:31', '-t', '1500', '-n', '3', '-s', '256')).code).toBe(0);
    await d.kill();
    writeFileSync(join(d.home, 'virtnet.conf'), JSON.stringify({ recovery: 0 }));
    await d.start();
    const list = (await virtnet(d.home, 'list')).json;
    expect(list.devices.map((x: any) => x.function_type)).toEqual(['static PF', 'static PF']);
    expect((await virtnet(d.home, 'health')).json.recovery).toMatchObject({ enabled: false, recovered: 0 });
  });
});

describe('recovery files', () => {
  it("imports the seed's example and skips an invalid file, then exports what imports back the same", async () => {
    d = await new Daemon().start();
    const dir = temp();
    writeFileSync(join(dir, 'seed.json'), JSON.stringify(SEED_RECORD, null, 2));
    writeFileSync(join(dir, 'static.json'), JSON.stringify({ port_ib_dev: 'mlx5_0', pf_id: 1, function_type: 'pf', bdf_raw: 0x3b01, device_type: 'static', mac: '0c:c4:7a:ff:30:01', pf_num: 0, sf_num: 1001, mq: 1 }));
    writeFileSync(join(dir, 'vf.json'), JSON.stringify({ port_ib_dev: 'mlx5_0', pf_id: 0, vf_id: 0, function_type: 'vf', bdf_raw: 0x3c01, device_type: 'static', mac: '0c:c4:7a:ff:40:00', pf_num: 0, sf_num: 3000, mq: 1 }));
    writeFileSync(join(dir, 'broken.json'), '{"port_ib_dev": "mlx5_0", ');
    writeFileSync(join(dir, 'bad-mac.json'), JSON.stringify({ ...SEED_RECORD, mac: '0c:c4:7a:ff:22', sf_num: 2001 }));
    writeFileSync(join(dir, 'unknown-ib.json'), JSON.stringify({ ...SEED_RECORD, port_ib_dev: 'mlx5_9', mac: '0c:c4:7a:ff:22:95', sf_num: 2002 }));
    const r = await virtnet(d.home, 'recovery', 'import', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.imported.map((x: any) => [x.file, x.action])).toEqual([
      ['static.json', 'updated'],
      ['vf.json', 'created'],
      ['seed.json', 'created'],
    ]);
    expect(r.json.imported[2].note).toMatch(/68:0.0 is not a switch port of this DPU/);
    expect(r.json.skipped).toEqual([
      { file: 'bad-mac.json', code: 'RECOVERY_RECORD_INVALID', message: expect.stringMatching(/^bad-mac.json: mac/) },
      { file: 'broken.json', code: 'RECOVERY_RECORD_INVALID', message: expect.stringMatching(/not valid JSON/) },
      { file: 'unknown-ib.json', code: 'RECOVERY_RECORD_INVALID', message: expect.stringMatching(/port_ib_dev 'mlx5_9' is not an ib device/) },
    ]);
    const seed = (await virtnet(d.home, 'query', '-u', r.json.imported[2].vuid, '-b')).json.devices[0];
    expect(seed).toMatchObject({ mac: '0C:C4:7A:FF:22:93', sf_num: 2000, sf_parent_device: 'mlx5_0', num_queues: 3, function_type: 'hotplug PF' });
    expect((await virtnet(d.home, 'query', '-p', '1', '-b')).json.devices[0]).toMatchObject({ mac: '0C:C4:7A:FF:30:01', sf_num: 1001 });
    expect((await virtnet(d.home, 'query', '-p', '0', '-v', '0', '-b')).json.devices[0]).toMatchObject({ mac: '0C:C4:7A:FF:40:00' });

    // importing the same files again changes nothing
    const again = await virtnet(d.home, 'recovery', 'import', dir);
    expect(again.json.imported.length).toBe(3);
    expect((await virtnet(d.home, 'list')).json.devices).toHaveLength(4);

    const out = join(temp(), 'export');
    const exported = await virtnet(d.home, 'recovery', 'export', out);
    expect(exported.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(exported.json.files.slice().sort());
    const rec = JSON.parse(readFileSync(join(out, `${seed.vuid}.json`), 'utf8'));
    expect(rec).toMatchObject({ port_ib_dev: 'mlx5_0', function_type: 'pf', device_type: 'hotplug', mac: '0c:c4:7a:ff:22:93', pf_num: 0, sf_num: 2000, mq: 1, bdf_raw: 0x8400 });
    const before = (await virtnet(d.home, 'query', '-a', '-b')).json.devices;

    // a fresh controller made from the export alone has the same devices
    const fresh = await new Daemon().start();
    try {
      expect((await virtnet(fresh.home, 'recovery', 'import', out)).json.skipped).toEqual([]);
      const after = (await virtnet(fresh.home, 'query', '-a', '-b')).json.devices;
      const id = (x: any) => [x.vuid, x.pci_bdf, x.mac, x.sf_num, x.mtu, x.num_queues, x.features];
      expect(after.map(id)).toEqual(before.map(id));
    } finally {
      await fresh.cleanup();
    }
  });

  it('imports the recovery directory at the first start (migration from the real controller)', async () => {
    d = new Daemon();
    mkdirSync(join(d.home, 'recovery'));
    writeFileSync(join(d.home, 'recovery/MT0000VNETS104D0F0'), JSON.stringify(SEED_RECORD));
    writeFileSync(join(d.home, 'recovery/garbage'), 'not json');
    await d.start();
    const list = (await virtnet(d.home, 'list')).json;
    expect(list.devices.find((x: any) => x.mac === '0C:C4:7A:FF:22:93')).toMatchObject({ function_type: 'hotplug PF', sf_num: 2000 });
    expect(d.log).toMatch(/recovery file garbage skipped: RECOVERY_RECORD_INVALID/);
    // once: after an unplug and a restart, the files are not imported again
    expect((await virtnet(d.home, 'unplug', '-p', '2')).code).toBe(0);
    await d.kill();
    await d.start();
    expect((await virtnet(d.home, 'list')).json.devices).toHaveLength(2);
  });
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

describe('update and restart', () => {
  /** A copy of the built controller with another version: what a package manager installs. */
  function installNewBuild(version: string): string {
    const dir = temp();
    cpSync(join(ROOT, 'apps/controller/dist'), join(dir, 'apps/controller/dist'), { recursive: true });
    cpSync(join(ROOT, 'prisma'), join(dir, 'prisma'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, version }));
    return dir;
  }

  it('hands the devices over to the newly installed build: same devices, host kept, both versions shown', async () => {
    const next = installNewBuild('0.2.0');
    d = await new Daemon({ env: { VIRTNET_HOST: 'sim', VIRTNET_HOST_PROFILE: 'ping', VIRTNET_UPDATE_FROM: next } }).start();
    const plugged = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:51', '-t', '1500', '-n', '3', '-s', '256');
    const vuid = plugged.json.vuid;
    const hostDevice = async () => (await virtnet(d!.home, 'host')).json.devices.find((x: any) => x.vuid === vuid);
    await until('the host to bind', async () => ((await hostDevice())?.state === 'bound' ? true : undefined));
    expect((await virtnet(d.home, 'update', '-t')).json).toMatchObject({ status: 'inactive', 'last live update status': 'none' });
    expect((await virtnet(d.home, 'version')).json).toMatchObject({ controller: '0.1.0', destination: '0.2.0', update: 'inactive' });
    const before = (await virtnet(d.home, 'query', '-a', '-b')).json.devices;
    const host = await hostDevice();
    const oldPid = d.statePid()!;

    const started = await virtnet(d.home, 'update', '-s');
    expect(started.json).toMatchObject({ status: 'started', from: '0.1.0', to: '0.2.0', kind: 'update' });
    await d.takenOver(oldPid);
    await until('the update to finish', async () => ((await virtnet(d!.home, 'update', '-t')).json.status === 'inactive' ? true : undefined));
    const status = (await virtnet(d.home, 'update', '-t')).json;
    expect(status).toMatchObject({ status: 'inactive', 'last live update status': 'success', last_from: '0.1.0', last_to: '0.2.0' });
    expect(status.last_gap_ms).toBeGreaterThanOrEqual(0);
    expect((await virtnet(d.home, 'version')).json).toMatchObject({ controller: '0.2.0', update: 'inactive' });
    const after = (await virtnet(d.home, 'query', '-a', '-b')).json.devices;
    const id = (x: any) => [x.vuid, x.pci_bdf, x.mac, x.sf_num, x.mtu, x.vhost_user_socket];
    expect(after.map(id)).toEqual(before.map(id));
    // the host reconnected to the new controller without probing again
    await until('the host to reconnect', async () => ((await hostDevice())?.reconnects === host.reconnects + 1 ? true : undefined));
    expect((await hostDevice()).probes).toBe(host.probes);
    await until('DRIVER_OK on the new controller', async () =>
      (await virtnet(d!.home, 'query', '-u', vuid, '-b')).json.devices[0].device_status_names.includes('DRIVER_OK') ? true : undefined,
    );
    // changes are accepted again
    expect((await virtnet(d.home, 'modify', '-u', vuid, 'queue', '-e', 'cqe', '-n', '5', '-c', '2')).code).toBe(0);
  });

  it('restarts fast without stopping: a new process keeps the devices', async () => {
    d = await new Daemon().start();
    expect((await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:61', '-t', '1500', '-n', '3', '-s', '256')).code).toBe(0);
    const before = (await virtnet(d.home, 'list')).json.devices.map((x: any) => x.vuid);
    const oldPid = d.statePid()!;
    // a configuration change takes effect at the restart (the seed: "until service is reloaded")
    mkdirSync(join(d.home, 'providers'));
    writeFileSync(join(d.home, 'providers/dpa.provider'), 'provider=dpa\nscore=1\n');
    expect((await virtnet(d.home, 'version')).json.provider).toBe('ace');
    expect((await virtnet(d.home, 'restart')).json).toMatchObject({ status: 'started', kind: 'restart' });
    expect(await d.takenOver(oldPid)).not.toBe(oldPid);
    expect((await virtnet(d.home, 'list')).json.devices.map((x: any) => x.vuid)).toEqual(before);
    expect((await virtnet(d.home, 'version')).json.provider).toBe('dpa');
    await until('the restart to be recorded', async () => ((await virtnet(d!.home, 'update', '-t')).json['last live update status'] === 'success' ? true : undefined));
  });

  it('keeps the devices when the new build cannot start, and records the failure', async () => {
    const next = installNewBuild('0.3.0');
    // a new build that cannot run: its configuration is refused at start
    d = await new Daemon({ env: { VIRTNET_UPDATE_FROM: next, VIRTNET_CONF: join(next, 'virtnet.conf') } }).start();
    writeFileSync(join(next, 'virtnet.conf'), JSON.stringify({ is_lag: 1, single_port: 1 }));
    const oldPid = d.statePid();
    expect((await virtnet(d.home, 'update', '-s')).code).toBe(0);
    await until('the update to fail', async () => ((await virtnet(d!.home, 'update', '-t')).json['last live update status'] === 'failed' ? true : undefined));
    const t = (await virtnet(d.home, 'update', '-t')).json;
    expect(t).toMatchObject({ status: 'inactive', last_to: '0.3.0', last_error: expect.stringMatching(/exited \(code 2\) before taking over/) });
    expect(d.statePid()).toBe(oldPid);
    expect((await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:71', '-t', '1500', '-n', '3', '-s', '256')).code).toBe(0);
  });

  it('refuses changes while a handover runs, with a clear code, and accepts them again when it fails', async () => {
    // A new build that hangs for a while and then dies: the handover stays open meanwhile.
    const hung = temp();
    mkdirSync(join(hung, 'apps/controller/dist'), { recursive: true });
    writeFileSync(join(hung, 'package.json'), JSON.stringify({ version: '0.4.0' }));
    writeFileSync(join(hung, 'apps/controller/dist/main.js'), 'setTimeout(() => process.exit(3), 4000);\n');
    d = await new Daemon({ env: { VIRTNET_UPDATE_FROM: hung } }).start();
    expect((await virtnet(d.home, 'update', '-s')).json).toMatchObject({ status: 'started', to: '0.4.0' });
    const plug = ['hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:00:81', '-t', '1500', '-n', '3', '-s', '256'];
    const refused = await virtnet(d.home, ...plug);
    expect([refused.code, refused.error.code]).toEqual([1, 'UPDATE_IN_PROGRESS']);
    expect((await virtnet(d.home, 'update', '-s')).error.code).toBe('UPDATE_IN_PROGRESS');
    expect((await virtnet(d.home, 'version')).json).toMatchObject({ controller: '0.1.0', destination: '0.4.0', update: 'active' });
    expect((await virtnet(d.home, 'list')).code).toBe(0);
    await until('the update to fail', async () => ((await virtnet(d!.home, 'update', '-t')).json['last live update status'] === 'failed' ? true : undefined));
    expect((await virtnet(d.home, 'update', '-t')).json.last_error).toMatch(/exited \(code 3\)/);
    expect((await virtnet(d.home, ...plug)).code).toBe(0);
  });
});

describe('completion', () => {
  it('prints a bash completion script that completes commands and flags', async () => {
    const r = await virtnet('/tmp/vn-nowhere', 'completion', 'bash');
    expect(r.code).toBe(0);
    const dir = temp();
    writeFileSync(join(dir, 'c.sh'), r.stdout);
    const { execFileSync } = await import('node:child_process');
    const complete = (line: string) =>
      execFileSync('bash', ['-c', `source ${join(dir, 'c.sh')}; COMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _virtnet; echo "\${COMPREPLY[*]}"`], { encoding: 'utf8' }).trim();
    expect(complete('virtnet hot').split(' ')).toEqual(['hotplug']);
    expect(complete("virtnet modify -p 0 device ''").split(' ')).toEqual(expect.arrayContaining(['-m', '--mtu', '-q', '-n']));
    expect(complete('virtnet host sr')).toBe('sriov');
    expect(complete("virtnet modify -p 0 queue -e ''")).toBe('event cqe');
    expect(complete('virtnet up')).toBe('update');
  });
});
