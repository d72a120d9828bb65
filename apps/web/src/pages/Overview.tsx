/**
 * The controller at a glance: device counts and traffic, the emulated DPU,
 * SR-IOV of the static PFs, the host side (sim, qemu or external) with the
 * hot-plug port map, the controller's versions, live-update status and
 * health with the recovery summary (each read with its shared schema), and
 * the latest operations and changes.
 */
import type { AuditEvent, ControllerInfo, HealthResult, HostStatus, UpdateStatus, VersionResult } from '@virtnet/shared';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Link } from 'wouter';
import { TimeChart } from '../components/Chart';
import { SriovPanel } from '../components/Sriov';
import { Badge, ErrorBanner, KeyValues, OperationsList, Panel, Stat, sortOperations } from '../components/ui';
import { api } from '../lib/api';
import { bytesPs, pps, uptime } from '../lib/format';
import { driverState, live, useLive } from '../lib/live';
import { EventRow } from './AuditLog';

const TOTALS_WINDOW = 300;
const REFRESH_MS = 5000;

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

const when = (iso: string) => new Date(iso).toLocaleString('en-GB');

function HostPanel({ host, ports, usedPorts }: { host: HostStatus | null; ports: number; usedPorts: ReadonlySet<number> }) {
  const qemu = host?.qemu;
  // Hot-plug port i is the VM's i-th root port (qemu mode): which of them hold one of our devices in the VM.
  const inVm = new Map<number, { bdf: string; root_port: string }>();
  if (qemu)
    qemu.root_ports.forEach((rp, i) => {
      const p = qemu.plugged.find((x) => x.root_port === rp);
      if (p) inVm.set(i, { bdf: p.bdf, root_port: rp });
    });
  const rows: [string, ReactNode, string][] = !host
    ? []
    : host.mode === 'sim'
      ? [['vnet-host', host.running ? `running, pid ${host.pid}` : 'not running', 'host-vnet-host']]
      : host.mode === 'qemu' && qemu
        ? [
            ['VM', qemu.connected ? 'connected' : 'not connected', 'host-vm'],
            ['Accel', qemu.accel ?? '—', 'host-accel'],
            ['Root ports', qemu.root_ports.length, 'host-root-ports'],
            ['Devices in the VM', qemu.plugged.length, 'host-in-vm'],
            ['QMP socket', <span title={qemu.qmp}>{qemu.qmp}</span>, 'host-qmp'],
          ]
        : [['Front-end', 'your own (sockets only)', 'host-external']];
  return (
    <Panel
      title="Host"
      id="host"
      actions={
        host ? (
          <Badge tone={host.running ? 'ok' : host.mode === 'external' ? 'muted' : 'warn'} id="host-mode">
            {host.mode}
          </Badge>
        ) : null
      }
    >
      {host ? <KeyValues id="host-facts" rows={rows} /> : <p className="text-sm text-muted">Loading…</p>}
      <h3 className="mt-5 mb-2 text-xs font-medium text-muted">Hot-plug ports</h3>
      <ol className="grid grid-cols-8 gap-1.5" aria-label="Hot-plug ports, used and free" id="ports">
        {Array.from({ length: ports }, (_, p) => {
          const used = usedPorts.has(p);
          const vm = inVm.get(p);
          const noRootPort = !!qemu && p >= qemu.root_ports.length;
          const title = `port ${p}: ${used ? 'in use' : 'free'}${vm ? `, in the VM at ${vm.bdf} (${vm.root_port})` : qemu ? (noRootPort ? ', no root port in the VM' : `, ${qemu.root_ports[p]} empty`) : ''}`;
          return (
            <li
              key={p}
              data-port={p}
              data-used={used}
              data-in-vm={qemu ? !!vm : undefined}
              title={title}
              aria-label={title}
              className={`num relative grid h-8 place-items-center rounded border text-xs ${used ? 'border-accent/50 bg-accent/15 text-accent' : 'border-line text-muted'} ${noRootPort ? 'border-dashed opacity-60' : ''}`}
            >
              {p}
              {vm ? <span className="absolute top-0.5 right-0.5 h-1.5 w-1.5 rounded-full bg-accent" aria-hidden /> : null}
            </li>
          );
        })}
      </ol>
      <p className="mt-2 text-xs text-muted">
        {qemu
          ? 'Filled: a device uses the port. Dot: the device is in the VM behind the port\'s root port. Dashed: the VM has no root port for it.'
          : 'Filled: a hot-plugged device uses the port.'}
      </p>
    </Panel>
  );
}

/** The last live update or restart, with only the facts the controller reported. */
function updateRows(u: UpdateStatus): [string, ReactNode, string][] {
  const last = u['last live update status'];
  const rows: [string, ReactNode, string][] = [
    ['Status', <Badge tone={u.status === 'active' ? 'warn' : 'muted'}>{u.status === 'active' ? 'handing over now' : 'inactive'}</Badge>, 'update-status'],
    ['Last result', <Badge tone={last === 'success' ? 'ok' : last === 'failed' ? 'danger' : 'muted'}>{last}</Badge>, 'update-last'],
  ];
  if (u.last_from !== null || u.last_to !== null) rows.push(['From → to', `${u.last_from ?? '?'} → ${u.last_to ?? '?'}`, 'update-versions']);
  if (u.last_at) rows.push(['At', when(u.last_at), 'update-at']);
  if (u.last_gap_ms !== null) rows.push(['Data-path gap', `${u.last_gap_ms.toFixed(1)} ms`, 'update-gap']);
  if (u.last_error)
    rows.push([
      'Error',
      <span className="text-danger" title={u.last_error}>
        {u.last_error}
      </span>,
      'update-error',
    ]);
  return rows;
}

/** What the controller's start made of the stored devices: recreated, created anew, and the ones that failed, with their codes. */
function RecoverySummary({ recovery }: { recovery: HealthResult['recovery'] }) {
  const figures: [string, number, string][] = [
    ['recovered', recovery.recovered, ''],
    ['created', recovery.created, ''],
    ['failed', recovery.failed.length, recovery.failed.length ? 'text-danger' : ''],
  ];
  return (
    <div className="mt-3">
      <div className="mb-1.5 text-xs text-muted">
        Recovery at start{recovery.enabled ? '' : ' (off: virtnet.conf recovery 0, stored devices forgotten)'}
      </div>
      <dl id="health-recovery" data-enabled={recovery.enabled} className="grid grid-cols-3 gap-2">
        {figures.map(([label, n, tone]) => (
          <div key={label} className="rounded-md border border-line px-3 py-1.5">
            <dt className="text-xs text-muted">{label}</dt>
            <dd className={`num font-mono text-base font-semibold ${tone}`} data-field={`recovery-${label}`}>
              {n}
            </dd>
          </div>
        ))}
      </dl>
      {recovery.failed.length ? (
        <ul id="health-recovery-failed" aria-label="Devices not recreated at start" className="mt-2 grid gap-1 rounded-md border border-danger/40 bg-danger/5 px-3 py-2 text-xs">
          {recovery.failed.map((f) => (
            <li key={f.vuid} data-vuid={f.vuid} data-code={f.code}>
              <span className="font-mono">{f.vuid}</span> <span className="font-mono font-medium text-danger">{f.code}</span>
              <span className="block text-muted">{f.message}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function ControllerPanel({ version, update, health }: { version: VersionResult | null; update: UpdateStatus | null; health: HealthResult | null }) {
  return (
    <Panel title="Controller" id="controller">
      <h3 className="mb-2 text-xs font-medium text-muted">Versions</h3>
      <KeyValues
        id="versions"
        rows={
          version
            ? [
                ['Running', version.controller, 'version-controller'],
                ['Installed (destination)', version.destination ?? 'none found', 'version-destination'],
                ['Provider', version.provider, 'version-provider'],
                ['Native ABI', version.native_abi, 'version-native_abi'],
                ['Node', version.node, 'version-node'],
              ]
            : [['…', '']]
        }
      />
      <h3 className="mt-5 mb-2 text-xs font-medium text-muted">Live update and restart</h3>
      <KeyValues id="update" rows={update ? updateRows(update) : [['…', '']]} />
      <h3 className="mt-5 mb-2 text-xs font-medium text-muted">Health</h3>
      <KeyValues
        id="health"
        rows={
          health
            ? [
                ['Status', <Badge tone={health.status === 'ok' ? 'ok' : 'warn'}>{health.status}</Badge>, 'health-status'],
                ['Uptime', uptime(health.uptime_s), 'health-uptime'],
                ['Devices', health.devices, 'health-devices'],
                ['Database', <span className={health.database === 'ok' ? '' : 'text-danger'}>{health.database}</span>, 'health-database'],
                ['Hardware', <span className={health.hardware === 'ok' ? '' : 'text-danger'}>{health.hardware}</span>, 'health-hardware'],
                ['Provider', health.provider, 'health-provider'],
              ]
            : [['…', '']]
        }
      />
      {health ? <RecoverySummary recovery={health.recovery} /> : null}
    </Panel>
  );
}

export function Overview() {
  const state = useLive();
  const [controller, setController] = useState<ControllerInfo | null>(null);
  const [version, setVersion] = useState<VersionResult | null>(null);
  const [update, setUpdate] = useState<UpdateStatus | null>(null);
  const [health, setHealth] = useState<HealthResult | null>(null);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  const totals = useTotalsHistory();

  useEffect(() => {
    if (state.connection.state !== 'live') return;
    const fail = (e: Error) => setError(e.message);
    // A (re)connection may be to another controller (after a restart or a live update): read everything again.
    api.controller().then(setController, fail);
    api.events(8).then((r) => setEvents(r.events), fail);
    const refresh = () => {
      api.version().then(setVersion, fail);
      api.update().then(setUpdate, fail);
      api.health().then(setHealth, fail);
      void live.refreshHost();
    };
    refresh();
    const t = setInterval(refresh, REFRESH_MS);
    return () => clearInterval(t);
  }, [state.connection.state]);
  useEffect(() => live.onAudit((e) => setEvents((old) => [e, ...old].slice(0, 8))), []);
  // Health counts the devices: read it again when they come or go (once for a burst, such as a PF's VFs).
  const deviceCount = state.devices.size;
  useEffect(() => {
    if (state.connection.state !== 'live') return;
    const t = setTimeout(() => api.health().then(setHealth, (e: Error) => setError(e.message)), 300);
    return () => clearTimeout(t);
  }, [deviceCount, state.connection.state]);

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
          value={health?.status ?? '…'}
          tone={health?.status === 'ok' ? 'text-accent' : health ? 'text-warn' : ''}
          sub={health ? `up ${uptime(health.uptime_s)}` : ' '}
        />
      </div>

      <div className="grid gap-4 lg:grid-cols-3">
        <div className="grid min-w-0 content-start gap-4">
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
                ]}
              />
            ) : (
              <p className="text-sm text-muted">Loading…</p>
            )}
          </Panel>
          <SriovPanel />
        </div>
        <div className="grid min-w-0 content-start gap-4">
          <HostPanel host={state.host} ports={ports} usedPorts={usedPorts} />
          <ControllerPanel version={version} update={update} health={health} />
        </div>
        <div className="grid min-w-0 content-start gap-4">
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
            <OperationsList id="operations-list" operations={ops.slice(0, 6)} empty="No operations yet. Select VFs on the Devices page to change many at once, or set a PF's VFs under SR-IOV." />
          </Panel>
          <Panel title="Recent changes" id="recent" actions={<Link href="/events" className="text-xs text-muted underline">all events</Link>} bodyClass="p-0">
            {events.length ? (
              <ol className="divide-y divide-line/60 text-xs">
                {events.map((e) => (
                  <EventRow key={e.id} e={e} compact />
                ))}
              </ol>
            ) : (
              <p className="px-4 py-3 text-sm text-muted">No changes yet.</p>
            )}
          </Panel>
        </div>
      </div>
    </div>
  );
}
