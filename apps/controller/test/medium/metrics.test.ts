/**
 * /metrics and bulk operations against a real controller: stable labels on
 * every device and queue series, series of an unplugged device gone, names
 * that Prometheus' own linter accepts; a bulk change runs as an operation
 * whose steps are the devices.
 */
import { spawnSync } from 'node:child_process';
import type { Hardware } from '@virtnet/hw';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HARDWARE } from '../../src/hardware/hardware.module.js';
import { escapeLabel, labelText } from '../../src/metrics/exposition.js';
import { until } from '@virtnet/shared';
import { startTestController, type TestController } from '../support/harness.js';

let c: TestController;
beforeAll(async () => {
  c = await startTestController({ profile: { PCI_SWITCH_EMULATION_NUM_PORT: 2, VIRTIO_NET_EMULATION_NUM_VF: 4 }, conf: { vf: { vfs_per_pf: 3 } } });
});
afterAll(async () => {
  await c.stop();
});

async function scrape(): Promise<string> {
  const res = await fetch(new URL('/metrics', c.url), { headers: { authorization: `Bearer ${c.token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return res.text();
}

describe('metrics', () => {
  it('exports every device and queue with vuid, pf, vf, queue and direction', async () => {
    const text = await scrape();
    expect(text).toContain('virtnet_device_info{vuid="MT2306XZ00ABVNETS59D0F0",pf="0",vf="",type="static_pf",bdf="3b:0.0",mac="02:56:4E:00:00:00",sf_rep="en3f0pf0sf1000"} 1');
    expect(text).toMatch(/^virtnet_device_info\{vuid="[^"]+",pf="1",vf="2",type="vf",/m);
    expect(text).toContain('virtnet_queue_packets_total{vuid="MT2306XZ00ABVNETS59D0F0",pf="0",vf="",queue="2",direction="ctrl"} 0');
    expect(text).toContain('virtnet_queue_descriptor_errors_total{vuid="MT2306XZ00ABVNETS59D0F1",pf="1",vf="",queue="0",direction="rx",reason="invalid_buffer"} 0');
    expect(text).toContain('virtnet_hotplug_ports{state="free"} 2');
    expect(text).toContain('# TYPE virtnet_queue_kicks_total counter');
    expect(text).toMatch(/^virtnet_controller_process_cpu_seconds_total \d/m);
    // 2 PFs + 6 VFs, 3 queues each
    expect(text.match(/^virtnet_queue_packets_total\{/gm)).toHaveLength(24);
  });

  it('passes promtool check metrics: base units, _total on counters only, HELP and TYPE on every family', async () => {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: await scrape(), encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('exports the controller, its last recovery and live update, and the state alerts read', async () => {
    const text = await scrape();
    expect(text).toMatch(/^virtnet_controller_info\{version="[^"]+",provider="ace",host_mode="external"\} 1$/m);
    expect(text).toContain('virtnet_recovery_devices{result="created"} 8');
    expect(text).toContain('virtnet_recovery_devices{result="failed"} 0');
    expect(text).toContain('virtnet_live_update_active 0');
    expect(text).toContain('virtnet_live_update_last_result{result="none"} 1');
    expect(text).toContain('virtnet_live_update_last_result{result="failed"} 0');
    expect(text).toContain('# TYPE virtnet_device_protocol_errors_total counter');
    expect(text).toContain('virtnet_device_protocol_errors_total{vuid="MT2306XZ00ABVNETS59D0F0",pf="0",vf=""} 0');
    expect(text).not.toMatch(/^virtnet_controller_nodejs_active_handles_total/m);
  });

  it('shows DEVICE_NEEDS_RESET as its own series, from the status register', async () => {
    const hw = c.running.app.get<symbol, Hardware>(HARDWARE);
    const pf1 = hw.list().find((f) => f.vuid === 'MT2306XZ00ABVNETS59D0F1')!;
    const series = 'virtnet_device_needs_reset{vuid="MT2306XZ00ABVNETS59D0F1",pf="1",vf=""}';
    expect(await scrape()).toContain(`${series} 0`);
    // ACKNOWLEDGE | DRIVER | DRIVER_OK | FEATURES_OK | DEVICE_NEEDS_RESET, written through the transport
    hw.driverWriteStatus(pf1.handle, 0x4f);
    try {
      const text = await scrape();
      expect(text).toContain(`${series} 1`);
      expect(text).toContain('virtnet_device_status{vuid="MT2306XZ00ABVNETS59D0F1",pf="1",vf=""} 79');
    } finally {
      hw.driverWriteStatus(pf1.handle, 0);
    }
    expect(await scrape()).toContain(`${series} 0`);
  });

  it('escapes label values as the text format requires', () => {
    expect(escapeLabel('plain')).toBe('plain');
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(labelText({ vuid: 'X', vf: '' })).toBe('vuid="X",vf=""');
  });

  it('drops the series of an unplugged device', async () => {
    const r = await c.request('POST', '/api/v1/devices', { ib_device: 'mlx5_0', mac: '02:00:00:00:AA:01', mtu: 1500, num_queues: 5, max_queue_size: 256 });
    expect(r.status).toBe(201);
    expect(await scrape()).toContain(`virtnet_queue_calls_total{vuid="${r.body.vuid}",pf="2",vf="",queue="4",direction="ctrl"} 0`);
    expect(await scrape()).toContain('virtnet_hotplug_ports{state="used"} 1');
    expect((await c.request('DELETE', `/api/v1/devices/${r.body.vuid}`)).status).toBe(200);
    expect(await scrape()).not.toContain(r.body.vuid);
  });
});

describe('bulk operations', () => {
  const vfs = async () => ((await c.request('GET', '/api/v1/devices')).body.devices as { vuid: string; function_type: string }[]).filter((d) => d.function_type === 'VF').map((d) => d.vuid);

  it('applies moderation to every selected VF as an operation, one step per device', async () => {
    const vuids = await vfs();
    const r = await c.request('POST', '/api/v1/operations', { vuids, queue: { event_mode: 'cqe', period_us: 64, max_count: 16 } });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ action: 'modify_queue', target: '6 devices', actor: 'api', state: 'running', total: 6 });
    const done = await until('the operation to end', async () => {
      const op = (await c.request('GET', `/api/v1/operations/${r.body.id}`)).body;
      return op.state === 'running' ? undefined : op;
    });
    expect(done).toMatchObject({ state: 'succeeded', done: 6, error: null });
    for (const vuid of vuids) {
      const q = (await c.request('GET', `/api/v1/devices/${vuid}`)).body.queues[0];
      expect(q).toMatchObject({ rq_cq_period_mode: 'cqe', rq_cq_period: 64, rq_cq_max_count: 16 });
    }
    const events = (await c.request('GET', '/api/v1/events?limit=10')).body.events;
    expect(events[0]).toMatchObject({ action: 'bulk_modify_queue', target: '6 devices', result: 'ok' });
  });

  it('goes on past a device that refuses, and ends failed with the reason', async () => {
    const vuids = await vfs();
    const r = await c.request('POST', '/api/v1/operations', { vuids, device: { num_msix: 1000 } });
    expect(r.status).toBe(202);
    const done = await until('the operation to end', async () => {
      const op = (await c.request('GET', `/api/v1/operations/${r.body.id}`)).body;
      return op.state === 'running' ? undefined : op;
    });
    expect(done).toMatchObject({ state: 'failed', done: 6, error: { code: 'MSIX_INVALID' } });
    expect(done.error.message).toMatch(/^6 of 6 devices refused; MT2306XZ00AB/);
  });

  it.each([
    ['no devices', { vuids: [], queue: { event_mode: 'event', period_us: 0, max_count: 0 } }, 400, 'INVALID_ARGUMENT', 'vuids: select at least one device'],
    ['both changes', { vuids: ['MT2306XZ00ABVNETS59D0F0'], queue: { event_mode: 'event', period_us: 0, max_count: 0 }, device: { mtu: 1500 } }, 400, 'INVALID_ARGUMENT', 'queue: give exactly one of queue or device'],
    ['one MAC for many', { vuids: ['MT2306XZ00ABVNETS59D0F0', 'MT2306XZ00ABVNETS59D0F1'], device: { mac: '02:00:00:00:00:07' } }, 400, 'INVALID_ARGUMENT', 'one MAC cannot be given to several devices'],
    ['an unknown device', { vuids: ['MT2306XZ00ABVNETS99D0F0'], device: { mtu: 1500 } }, 404, 'DEVICE_NOT_FOUND', 'no device with VUID MT2306XZ00ABVNETS99D0F0'],
  ])('refuses %s and starts nothing', async (_what, body, status, code, message) => {
    const before = (await c.request('GET', '/api/v1/operations')).body.operations.length;
    const r = await c.request('POST', '/api/v1/operations', body);
    expect(r.status).toBe(status);
    expect(r.body.error).toMatchObject({ code, message });
    expect((await c.request('GET', '/api/v1/operations')).body.operations.length).toBe(before);
  });
});
