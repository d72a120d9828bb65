/**
 * One device: identity, config space, the status register and the feature
 * bits decoded with the spec's names, its queues with live per-queue charts
 * (seeded from the controller's history, then the telemetry topic), and the
 * actions that apply to it.
 */
import { DEVICE_STATUS_BITS, FEATURE_BITS, HOST_DRIVER_UNSUPPORTED, parseFeatures, type Device, type Queue } from '@virtnet/shared';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { SERIES_COLOURS, TimeChart } from '../components/Chart';
import { ConfirmUnplug } from '../components/ConfirmUnplug';
import { buttonClass } from '../components/Dialog';
import { ModifyDialog } from '../components/ModifyDialog';
import { SriovPanel } from '../components/Sriov';
import { Badge, ErrorBanner, KeyValues, Panel } from '../components/ui';
import { api } from '../lib/api';
import { bytesPs, count, pps, si } from '../lib/format';
import { deviceLabel, driverState, isBound, live, useLive } from '../lib/live';
import { useDeviceSeries, type DeviceSeries, type Field } from '../lib/series';

function FeatureTable({ offered, negotiated }: { offered: bigint; negotiated: bigint }) {
  const [all, setAll] = useState(false);
  const has = (v: bigint, bit: number) => ((v >> BigInt(bit)) & 1n) === 1n;
  const known = new Set(FEATURE_BITS.map((f) => f.bit));
  const unknown = Array.from({ length: 64 }, (_, b) => b)
    .filter((b) => !known.has(b) && (has(offered, b) || has(negotiated, b)))
    .map((bit) => ({ bit, name: `BIT_${bit}`, description: 'Not named by virtio 1.2' }));
  const rows = [...FEATURE_BITS, ...unknown].sort((a, b) => a.bit - b.bit).filter((f) => all || has(offered, f.bit) || has(negotiated, f.bit));
  const mark = (on: boolean) => <span className={on ? 'text-accent' : 'text-muted/50'}>{on ? '●' : '○'}</span>;
  return (
    <Panel
      title="Features: offered vs negotiated"
      id="features"
      bodyClass="p-0"
      actions={
        <label className="flex items-center gap-2 text-xs text-muted">
          <input type="checkbox" id="features-all" checked={all} onChange={(e) => setAll(e.target.checked)} /> every bit of virtio 1.2
        </label>
      }
    >
      <table id="features-table" className="w-full text-xs">
        <thead className="text-left text-muted">
          <tr className="border-b border-line">
            <th className="w-10 px-3 py-1.5 text-right font-medium">bit</th>
            <th className="px-3 py-1.5 font-medium">name</th>
            <th className="w-16 px-2 py-1.5 text-center font-medium">offered</th>
            <th className="w-20 px-2 py-1.5 text-center font-medium">negotiated</th>
            <th className="px-3 py-1.5 font-medium">meaning</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((f) => (
            <tr key={f.bit} data-feature={f.name} data-offered={has(offered, f.bit)} data-negotiated={has(negotiated, f.bit)} className="border-b border-line/50">
              <td className="num px-3 py-1 text-right font-mono text-muted">{f.bit}</td>
              <td className="px-3 py-1 font-mono">{f.name}</td>
              <td className="px-2 py-1 text-center">{mark(has(offered, f.bit))}</td>
              <td className="px-2 py-1 text-center">{mark(has(negotiated, f.bit))}</td>
              <td className="px-3 py-1 text-muted">{f.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Panel>
  );
}

function StatusBits({ d }: { d: Device }) {
  return (
    <div className="flex flex-wrap items-center gap-1.5" id="status-bits">
      {DEVICE_STATUS_BITS.map((s) => {
        const on = (d.device_status & (1 << s.bit)) !== 0;
        const bad = s.name === 'FAILED' || s.name === 'DEVICE_NEEDS_RESET';
        return (
          <span
            key={s.bit}
            data-status={s.name}
            data-on={on}
            title={`bit ${s.bit}`}
            className={`rounded border px-2 py-0.5 font-mono text-xs ${on ? (bad ? 'border-danger/50 bg-danger/10 text-danger' : 'border-accent/50 bg-accent/10 text-accent') : 'border-line text-muted/60'}`}
          >
            {s.name}
          </span>
        );
      })}
      <span className="num ml-2 font-mono text-xs text-muted">0x{d.device_status.toString(16).padStart(2, '0')}</span>
    </div>
  );
}

const CHARTS: { field: Field; title: string; format: (v: number) => string }[] = [
  { field: 'pps', title: 'Packets/s per queue', format: pps },
  { field: 'bytes_ps', title: 'Bytes/s per queue', format: (v) => si(v, 'B/s') },
  { field: 'kicks_ps', title: 'Driver notifications (kicks)/s', format: pps },
  { field: 'calls_ps', title: 'Device notifications (interrupts)/s', format: pps },
  // Totals are integers: no label between them.
  { field: 'errors', title: 'Descriptor errors (total)', format: (v) => (Number.isInteger(v) ? count(v) : '') },
  { field: 'drops_ps', title: 'Drops/s', format: pps },
];

const descErrors = (q: Queue) => q.bad_desc_errors + q.exceed_max_chain + q.invalid_buffer;

/**
 * The queue table. Each column is as wide as the widest value its format
 * gives (in ch of the monospace body, plus the cell's padding) and never
 * wraps, so the values streaming in do not move the table. Counters that
 * outgrow their width (beyond 15 digits with separators) widen it.
 */
const QUEUE_COLUMNS: {
  head: string;
  width: string;
  right?: boolean;
  field?: string;
  cell: (q: Queue, r: Record<Field, number> | undefined) => ReactNode;
  tone?: (q: Queue) => string;
  title?: (q: Queue) => string;
}[] = [
  { head: 'queue', width: 'w-[calc(5ch+1.5rem)]', right: true, cell: (q) => q.index },
  { head: 'type', width: 'w-[calc(4ch+1.5rem)]', cell: (q) => q.type },
  { head: 'size', width: 'w-[calc(5ch+1.5rem)]', right: true, cell: (q) => q.size },
  {
    head: 'state',
    width: 'w-[calc(7ch+1.5rem)]',
    cell: (q) => (q.broken ? 'broken' : q.started ? 'started' : q.enable ? 'enabled' : 'idle'),
    tone: (q) => (q.broken ? 'text-danger' : q.started ? 'text-accent' : 'text-muted'),
  },
  { head: 'MSI-X', width: 'w-[calc(5ch+1.5rem)]', right: true, cell: (q) => q.msix_vector },
  { head: 'avail / used', width: 'w-[calc(13ch+1.5rem)]', cell: (q) => `${q.hw_available_index} / ${q.hw_used_index}` },
  { head: 'packets', width: 'w-[calc(15ch+1.5rem)]', right: true, field: 'packets', cell: (q) => count(q.packets) },
  { head: 'bytes', width: 'w-[calc(15ch+1.5rem)]', right: true, field: 'bytes', cell: (q) => count(q.total_bytes) },
  // Rates: pps() is at most "999.99k" (7), bytesPs() "999.99 MB/s" (11).
  { head: 'pkt/s', width: 'w-[calc(7ch+1.5rem)]', right: true, field: 'pps', cell: (_q, r) => pps(r?.pps) },
  { head: 'bytes/s', width: 'w-[calc(11ch+1.5rem)]', right: true, field: 'bytes_ps', cell: (_q, r) => bytesPs(r?.bytes_ps) },
  { head: 'kicks/s', width: 'w-[calc(7ch+1.5rem)]', right: true, field: 'kicks_ps', cell: (_q, r) => pps(r?.kicks_ps) },
  { head: 'calls/s', width: 'w-[calc(7ch+1.5rem)]', right: true, field: 'calls_ps', cell: (_q, r) => pps(r?.calls_ps) },
  { head: 'drops', width: 'w-[calc(9ch+1.5rem)]', right: true, cell: (q) => count(q.dropped) },
  {
    head: 'desc errors',
    width: 'w-[calc(9ch+1.5rem)]',
    right: true,
    cell: (q) => count(descErrors(q)),
    tone: (q) => (descErrors(q) ? 'text-danger' : ''),
    title: (q) => `bad_desc ${q.bad_desc_errors}, exceed_max_chain ${q.exceed_max_chain}, invalid_buffer ${q.invalid_buffer}`,
  },
  { head: 'moderation', width: 'w-[calc(21ch+1.5rem)]', cell: (q) => `${q.rq_cq_period_mode} ${q.rq_cq_period} µs / ${q.rq_cq_max_count}` },
];

function QueueCharts({ series }: { series: DeviceSeries }) {
  const labels = series.queues.map((q, i) => ({ label: `q${q.index} ${q.type}`, colour: SERIES_COLOURS[i % SERIES_COLOURS.length]! }));
  const data = useMemo(
    () => Object.fromEntries(CHARTS.map((c) => [c.field, [series.t, ...series.queues.map((q) => q.values[c.field])]])) as Record<Field, [number[], ...number[][]]>,
    [series],
  );
  return (
    <div className="grid gap-3 md:grid-cols-2 2xl:grid-cols-3" id="queue-charts">
      {CHARTS.map((c) => (
        <TimeChart key={c.field} id={`chart-${c.field}`} title={c.title} series={labels} data={data[c.field]} format={c.format} />
      ))}
    </div>
  );
}

export function DeviceDetail({ vuid }: { vuid: string }) {
  const state = useLive();
  const [, navigate] = useLocation();
  const d = state.devices.get(vuid);
  const [full, setFull] = useState<Device | null>(null);
  const [open, setOpen] = useState<'modify' | 'unplug' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { series, error: seriesError } = useDeviceSeries(vuid, d?.num_queues);
  // This page shows one device's telemetry: ask for that one only.
  useEffect(() => {
    live.focusTelemetry([vuid]);
    return () => live.focusTelemetry(null);
  }, [vuid]);

  // Queue counters and moderation: from REST, again when the device changes and every few seconds while visible.
  useEffect(() => {
    if (!d || state.paused) return;
    const load = () => api.device(vuid).then(setFull, (e: Error) => setError(e.message));
    void load();
    const t = setInterval(load, 5000);
    return () => clearInterval(t);
  }, [vuid, d, state.paused]);
  // The host driver's state of this device follows its changes.
  useEffect(() => {
    void live.refreshHost();
  }, [state.revision]);
  const host = state.host;

  const rates = useMemo(() => {
    const m = new Map<number, Record<Field, number>>();
    if (!series) return m;
    for (const q of series.queues) m.set(q.index, { pps: q.values.pps.at(-1) ?? 0, bytes_ps: q.values.bytes_ps.at(-1) ?? 0, kicks_ps: q.values.kicks_ps.at(-1) ?? 0, calls_ps: q.values.calls_ps.at(-1) ?? 0, drops_ps: q.values.drops_ps.at(-1) ?? 0, errors: q.values.errors.at(-1) ?? 0 });
    return m;
  }, [series]);

  if (!d) {
    return (
      <div className="grid gap-3 text-sm" id="device-missing">
        <p className="text-muted">{state.connection.state === 'live' ? `No device ${vuid} (unplugged?).` : 'Connecting…'}</p>
        <Link href="/devices" className="underline">
          All devices
        </Link>
      </div>
    );
  }

  const drv = driverState(d);
  const simHost = host?.mode === 'sim' && host.running;
  const hostDevice = host?.devices.find((x) => x.vuid === vuid);
  const inVm = host?.qemu?.plugged.find((p) => p.vuid === vuid);
  const noHostDriver = host && host.mode !== 'sim' ? HOST_DRIVER_UNSUPPORTED[host.mode] : null;
  const hostDriverText = hostDevice
    ? `${hostDevice.state}, profile ${hostDevice.profile}`
    : host?.mode === 'qemu'
      ? inVm
        ? `in the VM at ${inVm.bdf}${inVm.root_port ? ` behind ${inVm.root_port}` : ' (cold-plugged)'}`
        : 'not in the VM'
      : host
        ? host.mode
        : '…';

  async function hostAction(action: 'unbind' | 'bind') {
    setBusy(true);
    try {
      await api.hostAction(vuid, action);
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="grid gap-4" id="device-detail" data-vuid={vuid}>
      <div className="flex flex-wrap items-center gap-3">
        <Link href="/devices" className="text-sm text-muted hover:text-ink">
          ← Devices
        </Link>
        <h1 className="text-lg font-semibold">
          {d.function_type} · {deviceLabel(d)}
        </h1>
        <Badge tone={d.link_status === 'up' ? 'ok' : 'danger'} id="detail-link">
          link {d.link_status}
        </Badge>
        <Badge tone={drv.key === 'ok' ? 'ok' : drv.key === 'failed' ? 'danger' : drv.key === 'probing' ? 'warn' : 'muted'} id="detail-driver">
          {drv.text}
        </Badge>
        <div className="ml-auto flex gap-2">
          {simHost ? (
            <button type="button" id="detail-host-toggle" className={buttonClass.secondary} disabled={busy} onClick={() => hostAction(isBound(d) ? 'unbind' : 'bind')}>
              {isBound(d) ? 'Unbind host driver' : 'Bind host driver'}
            </button>
          ) : noHostDriver ? (
            <button type="button" id="detail-host-toggle" className={buttonClass.secondary} disabled title={noHostDriver} aria-describedby="detail-host-unsupported">
              {isBound(d) ? 'Unbind host driver' : 'Bind host driver'}
            </button>
          ) : null}
          <button type="button" id="detail-modify" className={buttonClass.secondary} onClick={() => setOpen('modify')}>
            Modify…
          </button>
          {d.function_type === 'hotplug PF' ? (
            <button type="button" id="detail-unplug" className={buttonClass.secondary} onClick={() => setOpen('unplug')}>
              Unplug…
            </button>
          ) : null}
        </div>
      </div>
      <ErrorBanner message={error ?? seriesError} />

      <div className="grid gap-4 lg:grid-cols-3">
        <Panel title="Identity" id="identity">
          <KeyValues
            rows={[
              ['VUID', d.vuid, 'vuid'],
              ['PCI BDF', `${d.pci_bdf} (0x${d.bdf_raw.toString(16)})`, 'bdf'],
              ['PF / VF', d.vf_id !== undefined ? `${d.pf_id} / ${d.vf_id}` : String(d.pf_id)],
              ['Hot-plug port', d.hotplug_port ?? '—'],
              ['SF number', d.sf_num, 'sf_num'],
              ['SF parent (ib device)', d.sf_parent_device],
              ['Representor', d.sf_rep_net_device, 'representor'],
              ['Representor ifindex', d.sf_rep_net_ifindex ?? '—'],
              ['Transitional', d.transitional ? 'yes (legacy interface too)' : 'no'],
              ['Created', new Date(d.created_at).toLocaleString('en-GB')],
            ]}
          />
        </Panel>
        <Panel title="Config space" id="config">
          <KeyValues
            rows={[
              ['mac', d.mac, 'mac'],
              ['mtu', d.mtu, 'mtu'],
              ['speed', `${count(d.speed)} Mb/s`],
              ['duplex', d.duplex],
              ['status (link)', d.link_status],
              ['max_virtqueue_pairs', d.max_queue_pairs],
              ['virtqueues', `${d.num_queues} (${d.enabled_queues} enabled)`, 'num_queues'],
              ['max queue size', d.max_queue_size],
              ['MSI-X vectors', d.num_msix],
            ]}
          />
        </Panel>
        <div className="grid min-w-0 content-start gap-4">
          <Panel title="Host side" id="host-side">
            <div className="mb-3">
              <div className="mb-1.5 text-xs text-muted">Device status (driver writes, virtio 1.2 §2.1)</div>
              <StatusBits d={d} />
            </div>
            <KeyValues
              rows={[
                ['front-end attached', d.host_connected ? 'yes' : 'no', 'host_connected'],
                ['host driver', <span title={hostDriverText}>{hostDriverText}</span>, 'host_driver'],
                ['vhost-user socket', <span title={d.vhost_user_socket ?? ''}>{d.vhost_user_socket ?? '—'}</span>],
                ['datapath', `${d.datapath}${d.datapath_note && d.datapath_note !== d.datapath ? ` · ${d.datapath_note}` : ''}`],
                ['protocol errors', d.protocol_errors],
              ]}
            />
            {noHostDriver ? (
              <p id="detail-host-unsupported" className="mt-3 text-xs text-muted">
                Unbind and bind are not available here: {noHostDriver} (NOT_SUPPORTED).
              </p>
            ) : null}
          </Panel>
          {d.function_type === 'static PF' ? <SriovPanel pf={d.pf_id} /> : null}
        </div>
      </div>

      <Panel title="Queues" id="queues" bodyClass="p-0">
        <div className="overflow-x-auto">
          <table id="queues-table" className="w-full text-xs">
            <thead className="text-left text-muted">
              <tr className="border-b border-line">
                {QUEUE_COLUMNS.map((c) => (
                  <th key={c.head} className={`px-3 py-1.5 font-medium whitespace-nowrap ${c.right ? 'text-right' : ''}`}>
                    {c.head}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="num font-mono whitespace-nowrap">
              {(full?.queues ?? []).map((q) => {
                const r = rates.get(q.index);
                return (
                  <tr key={q.index} data-queue={q.index} className="border-b border-line/50">
                    {QUEUE_COLUMNS.map((c) => (
                      <td key={c.head} data-field={c.field} title={c.title?.(q)} className={`px-3 py-1 ${c.width} ${c.right ? 'text-right' : ''} ${c.tone?.(q) ?? ''}`}>
                        {c.cell(q, r)}
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <div className="border-t border-line p-3">
          {series ? <QueueCharts series={series} /> : <p className="text-sm text-muted">{state.paused ? 'Telemetry paused while the tab is hidden.' : 'Loading history…'}</p>}
        </div>
      </Panel>

      <FeatureTable offered={parseFeatures(d.features) ?? 0n} negotiated={parseFeatures(d.driver_features) ?? 0n} />

      {open === 'modify' ? <ModifyDialog device={d} queues={full?.queues} onClose={() => setOpen(null)} /> : null}
      {open === 'unplug' ? (
        <ConfirmUnplug
          device={d}
          onClose={() => setOpen(null)}
          onDone={() => {
            setOpen(null);
            navigate('/devices');
          }}
        />
      ) : null}
    </div>
  );
}
