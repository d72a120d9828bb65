/**
 * The real controller's recovery files through the real CLI: imported into
 * a running controller, exported from it, and imported at the first start.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { Daemon } from './support/daemon.js';

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
