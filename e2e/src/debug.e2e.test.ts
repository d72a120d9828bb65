/**
 * `virtnet debug` against a running controller and the sim host's driver:
 * the ring state of every queue as the device and the driver see it, a
 * broken ring's descriptor error with what was wrong, and frame captures
 * written as pcap that Debian's tshark reads back frame by frame. Bad
 * flags are refused before anything is captured, and every capture is in
 * the audit log.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { until } from '@virtnet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { Daemon } from './support/daemon.js';
import { hostCommand } from './support/host.js';

let d: Daemon;
let dir: string;
let vuid: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vndebug-'));
  d = await new Daemon({ env: { VIRTNET_HOST: 'sim', VIRTNET_HOST_PROFILE: 'ping', VIRTNET_DATAPATH: 'echo' } }).start();
  const r = await virtnet(d.home, 'hotplug', '-i', 'mlx5_0', '-m', '02:00:00:00:9d:01', '-t', '1500', '-n', '3', '-s', '256');
  expect(r.code, r.stderr).toBe(0);
  vuid = r.json.vuid;
  await until('the host to bind and ping', async () => ((await virtnet(d.home, 'stats', '-u', vuid, '-q', '1')).json.queues[0].packets > 0 ? true : undefined), 30_000);
});
afterAll(async () => {
  await d?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** One line per frame: the fields tshark decodes, tab-separated. */
function tshark(file: string, ...fields: string[]): string[][] {
  const out = execFileSync('tshark', ['-r', file, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'));
}

describe('virtnet debug', () => {
  it("shows each queue's ring as the device and the driver see it", async () => {
    const r = await virtnet(d.home, 'debug', '-u', vuid);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ vuid, host_connected: true });
    const [rx, tx, ctrl] = r.json.queues;
    expect(rx).toMatchObject({ index: 0, type: 'rx', layout: 'split', size: 256, started: true, enabled: true, broken: false, errors_total: 0, last_errors: [] });
    // The driver posted its receive buffers: the device's next entry trails the driver's index.
    expect(rx.driver.avail_idx - rx.device.avail_idx).toBe(rx.pending);
    expect(rx.pending).toBeGreaterThan(0);
    // Every TX chain it took is back: nothing in flight, the driver's used index is the device's.
    expect(tx.type).toBe('tx');
    expect(tx.device.inflight).toBe(0);
    expect(tx.driver.used_idx).toBe(tx.device.used_idx);
    expect(ctrl).toMatchObject({ index: 2, type: 'ctrl' });
    // one queue only, and a queue that does not exist
    expect((await virtnet(d.home, 'debug', '-u', vuid, '-q', '1')).json.queues.map((q: { index: number }) => q.index)).toEqual([1]);
    const bad = await virtnet(d.home, 'debug', '-u', vuid, '-q', '7');
    expect(bad.code).not.toBe(0);
    expect(bad.error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'queue_id' });
  });

  it('captures frames where the queues meet the representor, as pcap tshark reads', async () => {
    const file = join(dir, 'all.pcap');
    const r = await virtnet(d.home, 'debug', 'capture', '-u', vuid, '-c', '6', '-w', file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ vuid, frames: 6, complete: true, file });
    // The sim host's pings, and their echoes on the way back: Ethernet frames of its own type.
    const frames = tshark(file, 'frame.len', 'eth.type', 'eth.dst');
    expect(frames).toHaveLength(6);
    for (const [len, type, dst] of frames) {
      expect(Number(len)).toBeGreaterThanOrEqual(60);
      expect(type).toBe('0x88b5');
      expect(dst).toBe('ff:ff:ff:ff:ff:ff');
    }

    // One queue, and a snap length: every frame cut to it, its wire length kept.
    const txFile = join(dir, 'tx.pcap');
    const t = await virtnet(d.home, 'debug', 'capture', '-u', vuid, '-q', '1', '-c', '2', '-s', '64', '-w', txFile);
    expect(t.code, t.stderr).toBe(0);
    expect(tshark(txFile, 'frame.cap_len', 'frame.len').map(([cap, len]) => [Number(cap), Number(len) > 64])).toEqual([
      [64, true],
      [64, true],
    ]);

    // A queue that carries nothing: the timeout ends it, with an empty file that is still pcap.
    const none = join(dir, 'none.pcap');
    const n = await virtnet(d.home, 'debug', 'capture', '-u', vuid, '-q', '2', '-c', '5', '-t', '1', '-w', none);
    expect(n.code, n.stderr).toBe(0);
    expect(n.json).toMatchObject({ frames: 0, complete: false });
    expect(tshark(none, 'frame.len')).toEqual([]);

    const events = (await d.api('GET', '/api/v1/events?limit=10')).body.events as { action: string; actor: string; target: string; result: string }[];
    expect(events.filter((e) => e.action === 'debug_capture')).toEqual(
      expect.arrayContaining([expect.objectContaining({ actor: `cli:${userInfo().username}`, target: vuid, result: 'ok' })]),
    );
  });

  it('refuses bad flags before capturing, and writes no file then', async () => {
    const file = join(dir, 'refused.pcap');
    for (const [args, field] of [
      [['-c', '0'], 'count'],
      [['-c', '5', '-s', '10'], 'snaplen'],
      [['-c', '5', '-q', '9'], 'queue_id'],
    ] as const) {
      const r = await virtnet(d.home, 'debug', 'capture', '-u', vuid, ...args, '-w', file);
      expect(r.code, JSON.stringify(args)).not.toBe(0);
      expect(r.error, JSON.stringify(args)).toMatchObject({ code: 'INVALID_ARGUMENT', field });
    }
    const missing = await virtnet(d.home, 'debug', 'capture', '-u', vuid, '-w', file);
    expect(missing.code).toBe(2);
    const unwritable = await virtnet(d.home, 'debug', 'capture', '-u', vuid, '-c', '1', '-w', join(dir, 'no/such/dir.pcap'));
    expect(unwritable.error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'write' });
    expect(existsSync(file)).toBe(false);
  });

  it('names what was wrong when a driver breaks its ring', async () => {
    expect(await hostCommand(d.home, `break ${vuid}`)).toEqual({ ok: true });
    const tx = await until('the broken TX ring', async () => {
      const q = (await virtnet(d.home, 'debug', '-u', vuid, '-q', '1')).json.queues[0];
      return q.broken ? q : undefined;
    });
    expect(tx.errors_total).toBeGreaterThan(0);
    expect(tx.last_errors[0]).toMatchObject({ kind: 'head', what: expect.stringMatching(/avail index \d+ is \d+ past \d+, ring of 256/) });
    expect(Date.parse(tx.last_errors[0].at)).toBeGreaterThan(Date.now() - 60_000);
  });
});
