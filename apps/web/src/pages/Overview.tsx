import type { AuditEvent, ControllerInfo, HostStatus } from '@virtnet/shared';
import { useEffect, useMemo, useState } from 'react';
import { Link } from 'wouter';
import { TimeChart } from '../components/Chart';
import { Badge, ErrorBanner, KeyValues, OperationsList, Panel, Stat, sortOperations } from '../components/ui';
import { api } from '../lib/api';
import { bytesPs, pps, uptime } from '../lib/format';
import { driverState, live, useLive } from '../lib/live';
import { EventRow } from './AuditLog';

type Loose = Record<string, unknown>;
const KNOWN_HEALTH = new Set(['status', 'uptime_s', 'devices', 'database', 'hardware']);

/** A value of /version or /health that this dashboard does not know by name, shown as it is. */
function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Live update is reported by newer controllers under a key naming it; say so when this one does not. */
function liveUpdate(version: Loose | null, health: Loose | null): string {
  for (const src of [health, version]) {
    if (!src) continue;
    const key = Object.keys(src).find((k) => /update/i.test(k));
    if (key) return show(src[key]);
  }
  return 'not reported by this controller';
}

const TOTALS_WINDOW = 300;

/** Every device's traffic together, kept for the last five minutes while the page is open. */
function useTotalsHistory() {
  const [data, setData] = useState<[number[], number[], number[]]>([[], [], []]);
  useEffect(
    () =>
      live.onTelemetry((m) => {
        let rx = 0;
        let tx = 0;
        for (const d of m.devices) for (const q of d.queues) if (q.type === 'rx') rx += q.pps;
        else if (q.type === 'tx') tx += q.pps;
        setData(([t, r, x]) => {
          const keep = (a: number[], v: number) => [...a.slice(-(TOTALS_WINDOW - 1)), v];
          return [keep(t, Date.parse(m.at) / 1000), keep(r, rx), keep(x, tx)];
        });
      }),
    [],
  );
  return data;
}

export function Overview() {
  const state = useLive();
  const [controller, setController] = useState<ControllerInfo | null>(null);
  const [version, setVersion] = useState<Loose | null>(null);
  const [health, setHealth] = useState<Loose | null>(null);
  const [host, setHost] = useState<HostStatus | null>(null);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  const totals = useTotalsHistory();

  useEffect(() => {
    if (state.connection.state !== 'live') return;
    const fail = (e: Error) => setError(e.message);
    api.controller().then(setController, fail);
    api.version().then(setVersion, fail);
    api.events(8).then((r) => setEvents(r.events), fail);
    const refresh = () => {
      api.health().then(setHealth, fail);
      api.host().then(setHost, fail);
    };
    refresh();
    const t = setInterval(refresh, 5000);
    return () => clearInterval(t);
  }, [state.connection.state]);
  useEffect(() => live.onAudit((e) => setEvents((old) => [e, ...old].slice(0, 8))), []);

  const counts = useMemo(() => {
    const c = { static: 0, hotplug: 0, vf: 0, bound: 0, up: 0 };
    for (const d of state.devices.values()) {
      if (d.function_type === 'static PF') c.static++;
      else if (d.function_type === 'hotplug PF') c.hotplug++;
      else c.vf++;
      if (driverState(d).key === 'ok') c.bound++;
      if (d.link_status === 'up') c.up++;
    }
    return c;
  }, [state.devices]);

  const ports = controller?.max_hotplug_devices ?? 0;
  const usedPorts = new Set([...state.devices.values()].map((d) => d.hotplug_port).filter((p): p is number => p !== null));
  const ops = sortOperations(state.operations);
  const healthStatus = health ? String(health['status'] ?? 'unknown') : null;

  return (
    <div className="grid gap-4">
      <ErrorBanner message={error} />
      <div className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
        <Stat label="Devices" id="stat-devices" value={state.devices.size} sub={`${counts.bound} with a driver · ${counts.up} link up`} />
        <Stat label="Hot-plug ports used" id="stat-hotplug" value={`${counts.hotplug} / ${ports}`} sub={`${Math.max(0, ports - counts.hotplug)} free`} />
        <Stat label="Static PFs · VFs" id="stat-pfvf" value={`${counts.static} · ${counts.vf}`} sub={controller ? `${controller.vfs_per_pf} VFs per PF at most` : ' '} />
        <Stat label="RX now" id="stat-rx" value={`${pps(state.totals.rxPps)} pkt/s`} sub={bytesPs(state.totals.rxBps)} />
        <Stat label="TX now" id="stat-tx" value={`${pps(state.totals.txPps)} pkt/s`} sub={bytesPs(state.totals.txBps)} />
        <Stat
          label="Health"
          id="stat-health"
          value={healthStatus ?? '…'}
          tone={healthStatus === 'ok' ? 'text-accent' : healthStatus ? 'text-warn' : ''}
          sub={health && typeof health['uptime_s'] === 'number' ? `up ${uptime(health['uptime_s'])}` : ' '}
        />
      </div>

      <div className="grid gap-4 lg:grid-cols-3">
        <Panel title="Emulated DPU" id="inventory">
          {controller ? (
            <KeyValues
              rows={[
                ['Emulation manager', controller.emulation_manager],
                ['ib devices', controller.ib_devices.join(', ')],
                ['Provider', controller.provider, 'provider'],
                ['Static PFs', controller.static_pfs],
                ['VFs per PF', controller.vfs_per_pf],
                ['Max devices', controller.max_virt_net_devices],
                ['Max virtqueues', controller.max_virt_queues],
                ['Max queue size', controller.max_queue_size],
                ['Max MTU', controller.max_mtu],
                ['MSI-X (PF · VF)', `${controller.pf_msix} · ${controller.vf_msix}`],
                ['Queue types', controller.supported_virt_queue_types.join(', ')],
                ['Supported features', <span title={controller.supported_features.names.join(' ')}>{controller.supported_features.value} ({controller.supported_features.names.length} bits)</span>],
                ['Host', host ? `${host.mode}${host.mode === 'sim' ? (host.running ? `, vnet-host pid ${host.pid}` : ', vnet-host not running') : ''}` : '…'],
              ]}
            />
          ) : (
            <p className="text-sm text-muted">Loading…</p>
          )}
        </Panel>
        <Panel title="Hot-plug ports" id="ports">
          <ol className="grid grid-cols-8 gap-1.5" aria-label="Hot-plug ports, used and free">
            {Array.from({ length: ports }, (_, p) => (
              <li
                key={p}
                data-port={p}
                data-used={usedPorts.has(p)}
                title={`port ${p}: ${usedPorts.has(p) ? 'in use' : 'free'}`}
                className={`num grid h-8 place-items-center rounded border text-xs ${usedPorts.has(p) ? 'border-accent/50 bg-accent/15 text-accent' : 'border-line text-muted'}`}
              >
                {p}
              </li>
            ))}
          </ol>
          <h3 className="mt-5 mb-2 text-xs font-medium text-muted">Versions</h3>
          <KeyValues id="versions" rows={version ? Object.entries(version).map(([k, v]) => [k, show(v), `version-${k}`]) : [['…', '']]} />
          <h3 className="mt-5 mb-2 text-xs font-medium text-muted">Health</h3>
          <KeyValues
            id="health"
            rows={
              health
                ? [
                    ['status', <Badge tone={healthStatus === 'ok' ? 'ok' : 'warn'}>{healthStatus}</Badge>, 'health-status'],
                    ['database', show(health['database'])],
                    ['hardware', show(health['hardware'])],
                    ['live update', liveUpdate(version, health), 'live-update'],
                    ...Object.entries(health)
                      .filter(([k]) => !KNOWN_HEALTH.has(k) && !/update/i.test(k))
                      .map(([k, v]): [string, string] => [k, show(v)]),
                  ]
                : [['…', '']]
            }
          />
        </Panel>
        <div className="grid content-start gap-4">
          <TimeChart
            id="chart-totals"
            title="All devices, packets/s"
            series={[
              { label: 'RX', colour: '#16a34a' },
              { label: 'TX', colour: '#2563eb' },
            ]}
            data={totals}
            format={pps}
            height={140}
          />
          <Panel title="Operations" id="operations">
            <OperationsList operations={ops.slice(0, 6)} empty="No bulk operations yet. Select VFs on the Devices page to change many at once." />
          </Panel>
          <Panel title="Recent changes" id="recent" actions={<Link href="/events" className="text-xs text-muted underline">all events</Link>} bodyClass="p-0">
            <ol className="divide-y divide-line/60 text-xs">
              {events.map((e) => (
                <EventRow key={e.id} e={e} compact />
              ))}
            </ol>
          </Panel>
        </div>
      </div>
    </div>
  );
}
