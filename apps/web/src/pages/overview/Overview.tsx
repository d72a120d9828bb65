/**
 * The controller at a glance: device counts and traffic, the emulated DPU,
 * SR-IOV of the static PFs, the host side (sim, qemu or external) with the
 * hot-plug port map, the controller's versions, live-update status and
 * health with the recovery summary (each read with its shared schema), and
 * the latest operations and changes. Traffic figures and the chart follow
 * telemetry on their own; the rest changes with devices and REST answers.
 */
import { useMemo } from 'react';
import { Link } from 'wouter';
import { EventRow } from '../../components/EventRow';
import { SriovPanel } from '../../components/Sriov';
import { ErrorBanner, OperationsList, Panel, Stat, sortOperations } from '../../components/ui';
import { driverState } from '../../lib/device';
import { uptime } from '../../lib/format';
import { useDevices, useHost, useOperations } from '../../lib/live-hooks';
import { ControllerPanel } from './ControllerPanel';
import { HostPanel } from './HostPanel';
import { InventoryPanel } from './InventoryPanel';
import { TotalsChart, TrafficStat } from './Traffic';
import { useOverviewData } from './useOverviewData';

function OperationsPanel() {
  const ops = sortOperations(useOperations());
  return (
    <Panel title="Operations" id="operations">
      <OperationsList id="operations-list" operations={ops.slice(0, 6)} empty="No operations yet. Select VFs on the Devices page to change many at once, or set a PF's VFs under SR-IOV." />
    </Panel>
  );
}

export function Overview() {
  const devices = useDevices();
  const host = useHost();
  const { controller, version, update, health, events, error } = useOverviewData();

  const counts = useMemo(() => {
    const c = { static: 0, hotplug: 0, vf: 0, bound: 0, up: 0 };
    for (const d of devices.values()) {
      if (d.function_type === 'static PF') c.static++;
      else if (d.function_type === 'hotplug PF') c.hotplug++;
      else c.vf++;
      if (driverState(d).key === 'ok') c.bound++;
      if (d.link_status === 'up') c.up++;
    }
    return c;
  }, [devices]);
  const usedPorts = useMemo(() => new Set([...devices.values()].map((d) => d.hotplug_port).filter((p): p is number => p !== null)), [devices]);
  const ports = controller?.max_hotplug_devices ?? 0;

  return (
    <div className="grid gap-4">
      <ErrorBanner message={error} />
      <div className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
        <Stat label="Devices" id="stat-devices" value={devices.size} sub={`${counts.bound} with a driver · ${counts.up} link up`} />
        <Stat label="Hot-plug ports used" id="stat-hotplug" value={`${counts.hotplug} / ${ports}`} sub={`${Math.max(0, ports - counts.hotplug)} free`} />
        <Stat label="Static PFs · VFs" id="stat-pfvf" value={`${counts.static} · ${counts.vf}`} sub={controller ? `${controller.vfs_per_pf} VFs per PF at most` : ' '} />
        <TrafficStat dir="rx" />
        <TrafficStat dir="tx" />
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
          <InventoryPanel controller={controller} />
          <SriovPanel />
        </div>
        <div className="grid min-w-0 content-start gap-4">
          <HostPanel host={host} ports={ports} usedPorts={usedPorts} />
          <ControllerPanel version={version} update={update} health={health} />
        </div>
        <div className="grid min-w-0 content-start gap-4">
          <TotalsChart />
          <OperationsPanel />
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
