/**
 * The hostile-driver suite against a controller's own DPU: libs/hw/native's
 * raw vhost-user client misbehaves on one device in every way it knows
 * (tests/test_hostile.c, one case per class of bad input) while a second
 * device carries traffic, and checks each answer on the DPU. Here the
 * controller runs beside it: it must answer the CLI throughout, keep both
 * devices, and show what the tenant did.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { virtnet } from './support/cli.js';
import { Daemon } from './support/daemon.js';
// A plain script shared with the benchmarks, not a project.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { NATIVE_DIR as NATIVE } from '../../scripts/paths.mjs';


describe('a hostile driver', () => {
  let d: Daemon | undefined;
  afterEach(async () => {
    await d?.cleanup();
    d = undefined;
  });

  it('harms nothing but its own device, while the controller answers throughout', async () => {
    execFileSync('make', ['-s', '-C', NATIVE, 'build/test_hostile'], { stdio: 'inherit' });
    d = await new Daemon().start();
    const plug = async (mac: string) => {
      const r = await virtnet(d!.home, 'hotplug', '-i', 'mlx5_0', '-m', mac, '-t', '1500', '-n', '3', '-s', '256');
      expect(r.code, r.stderr).toBe(0);
      return r.json.vuid as string;
    };
    const tenant = await plug('02:48:4f:53:00:01');
    const bystander = await plug('02:48:4f:53:00:02');

    const suite = spawn(join(NATIVE, 'build/test_hostile'), ['--control', join(d.home, 'dpu.sock'), '--tenant', tenant, '--bystander', bystander], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    suite.stdout.on('data', (c) => (out += c));
    suite.stderr.on('data', (c) => (out += c));
    const done = new Promise<number>((resolve) => suite.once('exit', (code) => resolve(code ?? -1)));
    let finished = false;
    void done.then(() => (finished = true));

    // The CLI keeps answering while the tenant does its worst.
    const answers: { code: number; ms: number; stderr?: string }[] = [];
    while (!finished) {
      const t0 = performance.now();
      const r = await virtnet(d.home, 'query', '-u', bystander, '-b');
      answers.push({ code: r.code, ms: performance.now() - t0, ...(r.code ? { stderr: r.stderr } : {}) });
    }
    expect(await done, out).toBe(0);
    expect(out).toMatch(/\d+ passed, 0 failed/);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.code !== 0)).toEqual([]);
    console.log(`hostile suite: ${out.match(/\d+ passed, 0 failed/)![0]}; ${answers.length} CLI queries meanwhile, slowest ${Math.max(...answers.map((a) => a.ms)).toFixed(0)} ms`);

    // Both devices are still there, the tenant's with its errors counted.
    const list = (await virtnet(d.home, 'list')).json.devices as { vuid: string }[];
    expect(list.map((x) => x.vuid)).toEqual(expect.arrayContaining([tenant, bystander]));
    const t = (await virtnet(d.home, 'query', '-u', tenant)).json.devices[0];
    expect(t.protocol_errors).toBeGreaterThan(10);
    expect(t.queues[1].oversized).toBeGreaterThanOrEqual(1);
    const b = (await virtnet(d.home, 'query', '-u', bystander, '-b')).json.devices[0];
    expect(b.protocol_errors).toBe(0);
    const health = (await virtnet(d.home, 'health')).json;
    expect(health).toMatchObject({ status: 'ok', dpu: { up: true, state: 'running' } });
    expect(health.dpu.faults).toBeGreaterThanOrEqual(1); // the truncated-memory case
    expect(health.dpu.last_outage).toBeNull(); // the DPU never went down
  }, 120_000);
});
