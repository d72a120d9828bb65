import type { ControllerInfo, Device } from '@virtnet/shared';
import { useEffect, useMemo, useState } from 'react';
import { ConfirmUnplug } from './components/ConfirmUnplug';
import { DevicesTable } from './components/DevicesTable';
import { buttonClass } from './components/Dialog';
import { EventsPanel } from './components/EventsPanel';
import { Header } from './components/Header';
import { HotplugDialog } from './components/HotplugDialog';
import { ModifyDialog } from './components/ModifyDialog';
import { api, ApiError } from './lib/api';
import { useLive } from './lib/live';

type Open = { kind: 'hotplug' } | { kind: 'modify'; device: Device } | { kind: 'unplug'; device: Device } | null;

export function App() {
  const state = useLive();
  const [controller, setController] = useState<ControllerInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<Open>(null);

  // Controller facts are static while it runs; fetch them again after each reconnect.
  useEffect(() => {
    if (state.connection.state !== 'live') return;
    api.controller().then(setController, (e: ApiError) => setError(e.message));
  }, [state.connection.state]);

  const devices = useMemo(
    () => [...state.devices.values()].sort((a, b) => a.pf_id - b.pf_id || (a.vf_id ?? -1) - (b.vf_id ?? -1)),
    [state.devices],
  );
  const hotplugUsed = devices.filter((d) => d.function_type === 'hotplug PF').length;

  async function openModify(d: Device) {
    try {
      setOpen({ kind: 'modify', device: await api.device(d.vuid) });
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <div className="min-h-screen">
      <Header controller={controller} connection={state.connection} hotplugUsed={hotplugUsed} deviceCount={devices.length} />
      <main className="mx-auto grid max-w-7xl gap-4 px-4 py-4">
        {error ? (
          <p role="alert" className="rounded-md border border-danger/40 bg-danger/10 px-3 py-2 text-sm text-danger">
            {error}
          </p>
        ) : null}
        <section className="rounded-lg border border-line bg-panel" aria-labelledby="devices-title">
          <div className="flex items-center justify-between border-b border-line px-4 py-2">
            <h2 id="devices-title" className="text-sm font-semibold">
              Devices
            </h2>
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
          <DevicesTable devices={devices} traffic={state.traffic} onModify={openModify} onUnplug={(d) => setOpen({ kind: 'unplug', device: d })} />
        </section>
        <EventsPanel revision={state.revision} />
      </main>
      {open?.kind === 'hotplug' && controller ? <HotplugDialog controller={controller} onClose={() => setOpen(null)} onDone={() => setOpen(null)} /> : null}
      {open?.kind === 'modify' ? <ModifyDialog device={open.device} onClose={() => setOpen(null)} /> : null}
      {open?.kind === 'unplug' ? <ConfirmUnplug device={open.device} onClose={() => setOpen(null)} /> : null}
    </div>
  );
}
