/**
 * Every device in one table that stays fast at 500+ rows: the toolbar
 * (filters, selection, hot-plug), the operations running now, the grid,
 * and the dialogs its rows and buttons open. Traffic columns follow the
 * telemetry topic in their own cells. Keyboard: / filters, arrows move,
 * Enter opens, Space selects (VFs), m modifies.
 */
import type { ControllerInfo, Device, Operation } from '@virtnet/shared';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useLocation } from 'wouter';
import { BulkDialog } from '../../components/BulkDialog';
import { ConfirmUnplug } from '../../components/ConfirmUnplug';
import { buttonClass } from '../../components/Dialog';
import { HotplugDialog } from '../../components/HotplugDialog';
import { ModifyDialog } from '../../components/ModifyDialog';
import { ErrorBanner, OperationsList, sortOperations } from '../../components/ui';
import { api } from '../../lib/api';
import { sortedDevices } from '../../lib/device';
import { useConnectionState, useDevices, useOperations } from '../../lib/live-hooks';
import { DevicesTable } from './DevicesTable';
import { DeviceFilters } from './filters';
import { useDevicesTable } from './useDevicesTable';

type Open = { kind: 'hotplug' } | { kind: 'modify'; device: Device } | { kind: 'unplug'; device: Device } | { kind: 'bulk'; vuids: string[] } | null;

const RECENT_MS = 60_000;

/** Operations running, and those that ended in the last minute. */
function RecentOperations() {
  const operations = useOperations();
  const [now, setNow] = useState(Date.now);
  const ended = (o: Operation) => Date.parse(o.finished_at ?? o.started_at);
  const recent = sortOperations(operations).filter((o) => o.state === 'running' || now - ended(o) < RECENT_MS);
  // Nothing else re-renders this list once operations stop changing: leave it when the oldest shown one goes.
  const expires = Math.min(...recent.filter((o) => o.state !== 'running').map((o) => ended(o) + RECENT_MS));
  useEffect(() => {
    if (!Number.isFinite(expires)) return;
    const t = setTimeout(() => setNow(Date.now()), Math.max(0, expires - Date.now()) + 50);
    return () => clearTimeout(t);
  }, [expires]);
  if (!recent.length) return null;
  return (
    <div className="border-b border-line px-4 py-3">
      <OperationsList operations={recent.slice(0, 3)} />
    </div>
  );
}

export function Devices() {
  const deviceMap = useDevices();
  const connection = useConnectionState();
  const [, navigate] = useLocation();
  const [controller, setController] = useState<ControllerInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<Open>(null);

  useEffect(() => {
    if (connection !== 'live') return;
    api.controller().then(setController, (e: Error) => setError(e.message));
  }, [connection]);

  // The dialog starts from the device's full view (queues and moderation included).
  const modify = useCallback(async (d: Device) => {
    try {
      setOpen({ kind: 'modify', device: await api.device(d.vuid) });
    } catch (e) {
      setError((e as Error).message);
    }
  }, []);
  const meta = useMemo(() => ({ modify: (d: Device) => void modify(d), unplug: (d: Device) => setOpen({ kind: 'unplug', device: d }) }), [modify]);
  const openDevice = useCallback((vuid: string) => navigate(`/devices/${vuid}`), [navigate]);

  const devices = useMemo(() => sortedDevices(deviceMap), [deviceMap]);
  const pfs = useMemo(() => [...new Set(devices.map((d) => d.pf_id))].sort((a, b) => a - b), [devices]);
  const t = useDevicesTable(devices, meta);

  const selected = Object.keys(t.selection).filter((k) => t.selection[k] && deviceMap.has(k));
  const hotplugUsed = devices.filter((d) => d.function_type === 'hotplug PF').length;

  return (
    <div className="grid gap-3">
      <ErrorBanner message={error} />
      <section aria-labelledby="devices-title" className="min-w-0 rounded-lg border border-line bg-panel">
        <div className="flex flex-wrap items-center gap-2 border-b border-line px-4 py-2">
          <h2 id="devices-title" className="mr-2 text-sm font-semibold">
            Devices <span id="devices-count" className="num font-normal text-muted">{t.rows.length} of {devices.length}</span>
          </h2>
          <DeviceFilters text={t.text} setText={t.setText} pfs={pfs} value={t.filterValue} set={t.setFilter} />
          <div className="ml-auto flex items-center gap-2">
            {selected.length ? (
              <>
                <span id="selected-count" className="num text-sm text-muted">
                  {selected.length} VFs selected
                </span>
                <button type="button" id="bulk-open" className={buttonClass.secondary} onClick={() => setOpen({ kind: 'bulk', vuids: selected })}>
                  Change selected…
                </button>
                <button type="button" className={buttonClass.secondary} onClick={t.clearSelection}>
                  Clear
                </button>
              </>
            ) : null}
            <button
              type="button"
              id="hotplug-open"
              className={buttonClass.primary}
              disabled={!controller || hotplugUsed >= (controller?.max_hotplug_devices ?? 0)}
              onClick={() => setOpen({ kind: 'hotplug' })}
            >
              Hot-plug device
            </button>
          </div>
        </div>
        <RecentOperations />
        <DevicesTable
          table={t.table}
          rows={t.rows}
          empty={devices.length ? null : connection === 'live' ? 'No devices yet. Hot-plug one to begin.' : 'Connecting…'}
          open={openDevice}
          modify={meta.modify}
        />
      </section>
      {open?.kind === 'hotplug' && controller ? <HotplugDialog controller={controller} onClose={() => setOpen(null)} onDone={() => setOpen(null)} /> : null}
      {open?.kind === 'modify' ? <ModifyDialog device={open.device} queues={open.device.queues} onClose={() => setOpen(null)} /> : null}
      {open?.kind === 'unplug' ? <ConfirmUnplug device={open.device} onClose={() => setOpen(null)} /> : null}
      {open?.kind === 'bulk' ? <BulkDialog vuids={open.vuids} onClose={() => setOpen(null)} onDone={t.clearSelection} /> : null}
    </div>
  );
}
