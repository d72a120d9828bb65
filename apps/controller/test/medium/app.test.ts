/**
 * Controller tests against a real Nest application: exact error bodies for
 * every class of bad input, nothing changed by a refused request, the
 * WebSocket events and the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestController, type TestController } from '../support/harness.js';

const seed = { ib_device: 'mlx5_0', features: '0x80000', mac: '0C:C4:7A:FF:22:93', mtu: 1500, num_queues: 3, max_queue_size: 1024 };

let c: TestController;
beforeAll(async () => {
  c = await startTestController({ profile: { PCI_SWITCH_EMULATION_NUM_PORT: 2 } });
});
afterAll(async () => {
  await c.stop();
});

async function devices(): Promise<{ vuid: string; mac: string; mtu: number }[]> {
  return (await c.request('GET', '/api/v1/devices')).body.devices;
}

describe('REST', () => {
  it('starts with the two static PFs of the profile', async () => {
    const list = await devices();
    expect(list.map((d) => d.vuid)).toEqual(['MT2306XZ00ABVNETS59D0F0', 'MT2306XZ00ABVNETS59D0F1']);
  });

  it('hot-plugs the seed device and answers in the seed shape', async () => {
    const r = await c.request('POST', '/api/v1/devices', seed);
    expect(r).toEqual({
      status: 201,
      body: { bdf: '84:0.0', id: 2, transitional: 0, sf_rep_net_device: 'en3f0pf0sf2000', mac: '0C:C4:7A:FF:22:93', vuid: 'MT2306XZ00ABVNETS132D0F0' },
    });
    const d = (await c.request('GET', '/api/v1/devices/MT2306XZ00ABVNETS132D0F0')).body;
    expect(d).toMatchObject({ function_type: 'hotplug PF', num_queues: 3, max_queue_pairs: 1, features: '0x80000001006f0028', link_status: 'up' });
    expect(d.queues.map((q: { type: string }) => q.type)).toEqual(['rx', 'tx', 'ctrl']);
  });

  const bad: [string, string, string, unknown, number, object][] = [
    ['a malformed MAC', 'POST', '/api/v1/devices', { ...seed, mac: '0C:C4:7A:FF:22' }, 400, { code: 'MAC_INVALID', message: 'mac: must be six hex octets like 0C:C4:7A:FF:22:93', field: 'mac' }],
    ['a multicast MAC', 'POST', '/api/v1/devices', { ...seed, mac: '01:00:5E:00:00:01' }, 400, { code: 'MAC_INVALID', message: 'mac: must be a unicast address (first octet even) and not all zeros', field: 'mac' }],
    ['a MAC in use', 'POST', '/api/v1/devices', seed, 409, { code: 'MAC_IN_USE', message: 'MAC 0C:C4:7A:FF:22:93 is used by MT2306XZ00ABVNETS132D0F0', field: 'mac' }],
    ['an MTU above the DPU maximum', 'POST', '/api/v1/devices', { ...seed, mac: '02:00:00:00:00:01', mtu: 9217 }, 400, { code: 'MTU_INVALID', message: 'MTU 9217 is outside [68, 9216]', field: 'mtu' }],
    ['a queue size that is not a power of two', 'POST', '/api/v1/devices', { ...seed, mac: '02:00:00:00:00:01', max_queue_size: 1000 }, 400, { code: 'QUEUE_SIZE_INVALID', message: 'max_queue_size: must be a power of two', field: 'max_queue_size' }],
    ['more queues than the MSI-X budget', 'POST', '/api/v1/devices', { ...seed, mac: '02:00:00:00:00:01', num_queues: 65 }, 400, { code: 'QUEUES_EXCEED_LIMIT', message: '65 queues exceed the limit of 64 (min of max_virt_queues 64 and MSI-X 64): use at most 63 (31 queue pairs and the control queue)', field: 'num_queues' }],
    ['an unsupported feature', 'POST', '/api/v1/devices', { ...seed, mac: '02:00:00:00:00:01', features: '0x80' }, 400, { code: 'FEATURES_UNSUPPORTED', message: 'features 0x80 are not supported (supported: 0x8b00037700ef982f)', field: 'features' }],
    ['CTRL_VLAN without a control queue', 'POST', '/api/v1/devices', { ...seed, mac: '02:00:00:00:00:01', num_queues: 2 }, 400, { code: 'FEATURES_CONFLICT', message: 'features 0x80000 need VIRTIO_NET_F_CTRL_VQ (bit 17)', field: 'features' }],
    ['an unknown ib device', 'POST', '/api/v1/devices', { ...seed, mac: '02:00:00:00:00:01', ib_device: 'mlx5_9' }, 400, { code: 'IB_DEVICE_UNKNOWN', message: "ib device 'mlx5_9' is unknown (known: mlx5_0, mlx5_1)", field: 'ib_device' }],
    ['an unknown field', 'POST', '/api/v1/devices', { ...seed, mac: '02:00:00:00:00:01', colour: 'red' }, 400, { code: 'INVALID_ARGUMENT', message: 'Unrecognized key: "colour"' }],
    ['a missing field', 'POST', '/api/v1/devices', { mac: '02:00:00:00:00:01' }, 400, { code: 'INVALID_ARGUMENT', message: 'ib_device: Invalid input: expected string, received undefined', field: 'ib_device' }],
    ['unplugging a static PF', 'DELETE', '/api/v1/devices/MT2306XZ00ABVNETS59D0F0', undefined, 409, { code: 'NOT_HOTPLUG', message: 'MT2306XZ00ABVNETS59D0F0 is a static PF; only hot-plugged devices can be unplugged' }],
    ['an unknown VUID', 'DELETE', '/api/v1/devices/MT2306XZ00ABVNETS99D0F0', undefined, 404, { code: 'DEVICE_NOT_FOUND', message: 'no device with VUID MT2306XZ00ABVNETS99D0F0', field: 'vuid' }],
    ['an empty modify', 'PATCH', '/api/v1/devices/MT2306XZ00ABVNETS59D0F0', {}, 400, { code: 'INVALID_ARGUMENT', message: 'device: name at least one field to change: mac (-m), mtu (-t), features (-f), max_queue_size (-q) or num_msix (-n)', field: 'device' }],
    ['an MSI-X change on a PF', 'PATCH', '/api/v1/devices/MT2306XZ00ABVNETS59D0F0', { num_msix: 8 }, 409, { code: 'NOT_SUPPORTED', message: 'MT2306XZ00ABVNETS59D0F0 is a static PF: the MSI-X count is set per VF only' }],
    ['a feature set without VERSION_1', 'PATCH', '/api/v1/devices/MT2306XZ00ABVNETS59D0F0', { features: '0x28' }, 400, { code: 'FEATURES_CONFLICT', message: 'a non-transitional device must offer VIRTIO_F_VERSION_1 (bit 32)', field: 'features' }],
    ['a moderation period out of range', 'PUT', '/api/v1/devices/MT2306XZ00ABVNETS59D0F0/queues', { event_mode: 'cqe', period_us: 5000, max_count: 1 }, 400, { code: 'INVALID_ARGUMENT', message: 'queue.period_us: Too big: expected number to be <=4095', field: 'queue.period_us' }],
    ['an unknown route', 'GET', '/api/v1/nothing', undefined, 404, { code: 'NOT_FOUND', message: 'no such API route' }],
  ];

  it.each(bad)('refuses %s with a stable code and changes nothing', async (_what, method, path, body, status, error) => {
    const before = await devices();
    const r = await c.request(method, path, body);
    expect(r).toEqual({ status, body: { error } });
    expect(await devices()).toEqual(before);
  });

  it('refuses a body that is not JSON', async () => {
    const r = await c.request('POST', '/api/v1/devices', undefined, '{"mac": ');
    expect(r).toEqual({ status: 400, body: { error: { code: 'INVALID_ARGUMENT', message: 'the request body is not valid JSON' } } });
  });

  it('refuses a hot-plug when every port is in use', async () => {
    expect((await c.request('POST', '/api/v1/devices', { ...seed, mac: '02:00:00:00:00:02' })).status).toBe(201);
    const r = await c.request('POST', '/api/v1/devices', { ...seed, mac: '02:00:00:00:00:03' });
    expect(r).toEqual({ status: 409, body: { error: { code: 'NO_FREE_HOTPLUG_PORT', message: 'all 2 hot-plug ports are in use; unplug a device first' } } });
    expect((await c.request('DELETE', '/api/v1/devices/MT2306XZ00ABVNETS133D0F0')).status).toBe(200);
  });

  it('modifies a device and keeps it in the database', async () => {
    const r = await c.request('PATCH', '/api/v1/devices/MT2306XZ00ABVNETS59D0F1', { mtu: 9000, mac: '02:00:00:00:00:99' });
    expect(r.status).toBe(200);
    expect(r.body.devices[0]).toMatchObject({ mtu: 9000, mac: '02:00:00:00:00:99' });
    const row = await c.running.app.get((await import('../../src/database/prisma.service.js')).PrismaService).device.findUnique({ where: { vuid: 'MT2306XZ00ABVNETS59D0F1' } });
    expect(row).toMatchObject({ mtu: 9000, mac: '02:00:00:00:00:99' });
  });

  it('records every change in the audit log, refusals included', async () => {
    const events = (await c.request('GET', '/api/v1/events?limit=200')).body.events as { action: string; result: string; error_code: string | null }[];
    expect(events.some((e) => e.action === 'hotplug' && e.result === 'ok')).toBe(true);
    expect(events.some((e) => e.action === 'hotplug' && e.error_code === 'NO_FREE_HOTPLUG_PORT')).toBe(true);
    expect(events.some((e) => e.action === 'unplug' && e.error_code === 'NOT_HOTPLUG')).toBe(true);
  });

  it('audits a change refused for its params at the edge, naming the devices it asked for', async () => {
    const events = (await c.request('GET', '/api/v1/events?limit=200')).body.events as { action: string; target: string | null; error_code: string | null }[];
    expect(events).toContainEqual(expect.objectContaining({ action: 'modify_queue', target: 'MT2306XZ00ABVNETS59D0F0', error_code: 'INVALID_ARGUMENT' }));
    expect(events).toContainEqual(expect.objectContaining({ action: 'hotplug', target: null, error_code: 'MAC_INVALID' }));
  });

  it('lists operations, and answers an unknown one with NOT_FOUND', async () => {
    expect((await c.request('GET', '/api/v1/operations')).body).toEqual({ operations: [] });
    const r = await c.request('GET', '/api/v1/operations/op-nope');
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('NOT_FOUND');
  });

  it('serves an OpenAPI document with every route', async () => {
    const doc = (await c.request('GET', '/api/v1/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/v1/controller',
      '/api/v1/devices',
      '/api/v1/devices/{vuid}',
      '/api/v1/devices/{vuid}/debug',
      '/api/v1/devices/{vuid}/debug/capture',
      '/api/v1/devices/{vuid}/history',
      '/api/v1/devices/{vuid}/queues',
      '/api/v1/devices/{vuid}/stats',
      '/api/v1/events',
      '/api/v1/health',
      '/api/v1/host',
      '/api/v1/host/devices/{vuid}/bind',
      '/api/v1/host/devices/{vuid}/profile',
      '/api/v1/host/devices/{vuid}/unbind',
      '/api/v1/host/pfs/{pf}/sriov',
      '/api/v1/operations',
      '/api/v1/operations/{id}',
      '/api/v1/rpc',
      '/api/v1/sriov',
      '/api/v1/update',
      '/api/v1/version',
    ]);
    expect(doc.paths['/api/v1/devices'].post.requestBody.content['application/json'].schema.properties.mac.description).toMatch(/MAC/);
  });

  it('reports health', async () => {
    expect((await c.request('GET', '/api/v1/health')).body).toMatchObject({ status: 'ok', database: 'ok', hardware: 'ok', devices: 3 });
  });
});

describe('WebSocket', () => {
  function connect(): Promise<{ ws: WebSocket; next: () => Promise<any> }> {
    const ws = new WebSocket(new URL('/ws', c.url.replace('http', 'ws')), { headers: { authorization: `Bearer ${c.token}` } });
    const queue: any[] = [];
    const waiters: ((m: any) => void)[] = [];
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      const w = waiters.shift();
      if (w) w(m);
      else queue.push(m);
    });
    const next = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r)));
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve({ ws, next }));
      ws.once('error', reject);
    });
  }

  it('sends a snapshot on subscribe, then device events', async () => {
    const { ws, next } = await connect();
    expect(await next()).toMatchObject({ type: 'hello' });
    ws.send(JSON.stringify({ type: 'subscribe', topics: ['devices'] }));
    const snap = await next();
    expect(snap.type).toBe('snapshot');
    expect(snap.devices).toHaveLength(3);
    await c.request('POST', '/api/v1/devices', { ...seed, mac: '02:00:00:00:00:04' });
    expect(await next()).toMatchObject({ type: 'device.added', device: { mac: '02:00:00:00:00:04', pci_bdf: '85:0.0' } });
    await c.request('DELETE', '/api/v1/devices/MT2306XZ00ABVNETS133D0F0');
    expect(await next()).toEqual({ type: 'device.removed', vuid: 'MT2306XZ00ABVNETS133D0F0' });
    ws.send('not json');
    expect(await next()).toEqual({ type: 'error', error: { code: 'INVALID_ARGUMENT', message: 'message is not valid JSON' } });
    ws.send(JSON.stringify({ type: 'subscribe', topics: ['nope'] }));
    expect((await next()).type).toBe('error');
    ws.close();
  });
});
