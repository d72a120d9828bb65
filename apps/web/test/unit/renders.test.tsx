// @vitest-environment happy-dom
/**
 * What a telemetry sample re-renders: the dashboard's real App, live store
 * and devices page, fed through a stand-in WebSocket the way the controller
 * feeds them. The shell, the page and the rows are counted as React renders
 * them; a sample must reach only the traffic cells whose text it changes.
 */
import type { ControllerInfo, Device, ServerMessage, TelemetryMessage } from '@virtnet/shared';
import { act, memo, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Router } from 'wouter';
import { memoryLocation } from 'wouter/memory-location';

const renders = vi.hoisted(() => new Map<string, number>());
const counted = vi.hoisted(() => (name: string) => renders.set(name, (renders.get(name) ?? 0) + 1));

// Each wrapper renders the real component in its place, so React decides when it renders exactly as it
// would for the real one: a plain component stays plain, the memoised row keeps its own comparison.
vi.mock('../../src/components/Shell', async (load) => {
  const real = await load<typeof import('../../src/components/Shell')>();
  return { ...real, Shell: () => (counted('shell'), real.Shell()) };
});
vi.mock('../../src/pages/devices/DevicesPage', async (load) => {
  const real = await load<typeof import('../../src/pages/devices/DevicesPage')>();
  return { ...real, Devices: () => (counted('page'), real.Devices()) };
});
vi.mock('../../src/pages/devices/DeviceRow', async (load) => {
  const real = await load<typeof import('../../src/pages/devices/DeviceRow')>();
  type Props = import('../../src/pages/devices/DeviceRow').DeviceRowProps;
  // A memo() component is an object holding the function it renders and its comparison.
  const row = real.DeviceRow as unknown as { type: (p: Props) => ReactNode; compare: (a: Props, b: Props) => boolean };
  return { ...real, DeviceRow: memo((p: Props) => (counted(`row:${p.row.id}`), row.type(p)), row.compare) };
});

const { App } = await import('../../src/App');
const { live } = await import('../../src/lib/live');

/** The browser's WebSocket as the store uses it; the test speaks for the controller. */
class FakeSocket {
  static readonly OPEN = 1;
  static last: FakeSocket | undefined;
  readyState = FakeSocket.OPEN;
  readonly OPEN = FakeSocket.OPEN;
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.last = this;
  }
  send(text: string) {
    this.sent.push(JSON.parse(text));
  }
  close() {
    this.readyState = 3;
  }
}

const CONTROLLER: ControllerInfo = {
  emulation_manager: 'mlx5_0',
  ib_devices: ['mlx5_0'],
  max_hotplug_devices: 16,
  hotplug_devices: 0,
  static_pfs: 2,
  vfs_per_pf: 126,
  max_virt_net_devices: 270,
  max_virt_queues: 64,
  max_queue_size: 1024,
  max_mtu: 9216,
  pf_msix: 64,
  vf_msix: 16,
  supported_features: { value: '0x1', names: ['VIRTIO_NET_F_CSUM'] },
  default_features: { value: '0x1', names: ['VIRTIO_NET_F_CSUM'] },
  supported_virt_queue_types: ['split'],
  supported_event_modes: ['event', 'cqe'],
  provider: 'dpa',
  version: '0.1.0',
};

/** PF 0 and its VFs, DRIVER_OK, in (pf, vf) order. */
function device(vf: number | undefined): Device {
  const n = vf === undefined ? 0 : vf + 1;
  return {
    pf_id: 0,
    ...(vf === undefined ? {} : { vf_id: vf }),
    function_type: vf === undefined ? 'static PF' : 'VF',
    transitional: 0,
    vuid: `MT2306XZ00ABVNETS59D0F${n}`,
    pci_bdf: `3b:00.${n}`,
    bdf_raw: 0x3b00 + n,
    hotplug_port: null,
    mac: `02:56:4E:00:00:${n.toString(16).padStart(2, '0')}`,
    mtu: 1500,
    speed: 100000,
    duplex: 'full',
    link_status: 'up',
    num_queues: 3,
    enabled_queues: 2,
    max_queue_pairs: 1,
    max_queue_size: 256,
    num_msix: 4,
    features: '0x1',
    driver_features: '0x1',
    device_status: 15,
    device_status_names: ['ACKNOWLEDGE', 'DRIVER', 'DRIVER_OK', 'FEATURES_OK'],
    sf_num: 1000 + n,
    sf_parent_device: 'mlx5_0',
    sf_rep_net_device: `en3f0pf0sf${1000 + n}`,
    sf_rep_net_ifindex: null,
    sf_rep_net_ns: null,
    vhost_user_socket: null,
    host_connected: true,
    host_connections: 1,
    datapath: 'echo',
    datapath_note: 'echo',
    protocol_errors: 0,
    migration: { state: 'none', logging: false, log_bytes: 0, pages_logged: 0, pages_past_log: 0, migrations: 0, rarps_sent: 0 },
    created_at: '2026-11-01T10:00:00.000Z',
  };
}
const DEVICES = [device(undefined), ...Array.from({ length: 15 }, (_, i) => device(i))];
const [A, B, C, D] = [DEVICES[1]!, DEVICES[2]!, DEVICES[3]!, DEVICES[4]!];

let at = Date.parse('2026-11-01T10:00:00.000Z');
/** One second's sample: `rx` packets/s on each listed device's RX queue (its TX the same, halved). */
function sample(rx: Record<string, number>): TelemetryMessage {
  at += 1000;
  const q = (index: number, type: 'rx' | 'tx', pps: number) => ({ index, type, pps, bps: pps * 8000, drops_ps: 0, kicks_ps: pps, calls_ps: 0, errors: 0 });
  return { type: 'telemetry', at: new Date(at).toISOString(), interval_ms: 1000, devices: Object.entries(rx).map(([vuid, pps]) => ({ vuid, queues: [q(0, 'rx', pps), q(1, 'tx', pps / 2)] })) };
}

function receive(m: ServerMessage) {
  act(() => FakeSocket.last!.onmessage!({ data: JSON.stringify(m) }));
}

const row = (vuid: string) => document.querySelector<HTMLElement>(`[data-testid=device-row][data-vuid="${vuid}"]`);
const cell = (vuid: string, field: string) => row(vuid)?.querySelector(`[data-field=${field}]`)?.textContent;
const rowRenders = () => [...renders].filter(([k]) => k.startsWith('row:'));
const shown = () => [...document.querySelectorAll<HTMLElement>('[data-testid=device-row]')].map((r) => r.dataset['vuid']);

let root: Root;
let container: HTMLElement;

beforeAll(async () => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
  vi.stubGlobal('WebSocket', FakeSocket);
  vi.stubGlobal('fetch', async (url: string) =>
    url === '/api/v1/controller'
      ? new Response(JSON.stringify(CONTROLLER), { status: 200 })
      : new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'not in this test' } }), { status: 404 }),
  );
  // No layout here: the grid's scroller says it is 720 px high, 20 rows.
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: (): number => 720 });
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  live.start();
  act(() => root.render(
    <Router hook={memoryLocation({ path: '/devices' }).hook}>
      <App />
    </Router>,
  ));
  act(() => FakeSocket.last!.onopen!());
  receive({ type: 'snapshot', topic: 'devices', devices: DEVICES });
  receive({ type: 'operations.snapshot', operations: [] });
  // The controller's capabilities arrive over REST; React applies what they change when act() ends.
  const deadline = Date.now() + 5000;
  while (document.querySelector<HTMLButtonElement>('#hotplug-open')?.disabled !== false) {
    if (Date.now() > deadline) throw new Error(`the page did not take the controller's capabilities: ${document.body.textContent}`);
    await act(() => new Promise((r) => setTimeout(r, 10)));
  }
});

afterAll(() => {
  act(() => root.unmount());
  live.stop();
  vi.unstubAllGlobals();
});

beforeEach(() => renders.clear());

describe('a telemetry sample', () => {
  it('updates the traffic cells it changes and re-renders neither the shell, the page nor a row', () => {
    expect(shown()).toHaveLength(DEVICES.length);
    expect(cell(A.vuid, 'rx')).toBe('0');
    receive(sample({ [A.vuid]: 1500, [B.vuid]: 40 }));
    expect(cell(A.vuid, 'rx')).toBe('1.50k');
    expect(cell(A.vuid, 'tx')).toBe('750');
    expect(cell(B.vuid, 'rx')).toBe('40');
    // the next second: A as before, B idle now
    receive(sample({ [A.vuid]: 1500 }));
    expect(cell(B.vuid, 'rx')).toBe('0');
    expect(renders.get('shell')).toBeUndefined();
    expect(renders.get('page')).toBeUndefined();
    expect(rowRenders()).toEqual([]);
  });

  it('is seen by the parts that show what changed: a device change its row, an operation the shell', () => {
    receive({ type: 'device.updated', device: { ...B, mtu: 9000 } });
    expect(cell(B.vuid, 'mtu')).toBe('9000');
    expect(rowRenders()).toEqual([[`row:${B.vuid}`, 1]]);
    expect(renders.get('shell')).toBeUndefined();
    renders.clear();
    const op = { id: 'op-1', action: 'bulk', target: '2 VFs', actor: 'api', state: 'running' as const, done: 0, total: 2, started_at: new Date(at).toISOString(), finished_at: null, error: null };
    receive({ type: 'operation', operation: op });
    expect(document.querySelector('#operations-running')?.textContent).toBe('1 running');
    expect(renders.get('shell')).toBe(1);
    // its progress changes what the operations list shows, not the count the shell shows
    renders.clear();
    receive({ type: 'operation', operation: { ...op, done: 1 } });
    expect(renders.get('shell')).toBeUndefined();
    expect(rowRenders()).toEqual([]);
  });

  it('reorders the table when it is sorted by traffic', () => {
    act(() => document.querySelector<HTMLButtonElement>('[data-sort=rx]')!.click());
    receive(sample({ [C.vuid]: 900, [D.vuid]: 300 }));
    expect(shown().slice(0, 2)).toEqual([C.vuid, D.vuid]);
    receive(sample({ [C.vuid]: 100, [D.vuid]: 300 }));
    expect(shown().slice(0, 2)).toEqual([D.vuid, C.vuid]);
    expect(renders.get('shell')).toBeUndefined();
  });
});
