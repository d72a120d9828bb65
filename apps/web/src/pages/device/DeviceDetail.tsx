/**
 * One device: identity, config space, the status register and the feature
 * bits decoded with the spec's names, its queues with live per-queue charts
 * (seeded from the controller's history, then the telemetry topic), and the
 * actions that apply to it. Each part reads what it shows: a telemetry
 * sample redraws the queues panel only.
 */
import { parseFeatures, type Device } from '@virtnet/shared';
import { useEffect, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { ConfirmUnplug } from '../../components/ConfirmUnplug';
import { ModifyDialog } from '../../components/ModifyDialog';
import { api } from '../../lib/api';
import { live } from '../../lib/live';
import { useConnectionState, useDevice, useHost, usePaused } from '../../lib/live-hooks';
import { DeviceFacts } from './DeviceFacts';
import { DeviceHeader } from './DeviceHeader';
import { FeatureTable } from './FeatureTable';
import { hostSide } from './host-side';
import { QueuesPanel } from './QueuesPanel';

export function DeviceDetail({ vuid }: { vuid: string }) {
  const d = useDevice(vuid);
  const paused = usePaused();
  const connection = useConnectionState();
  const host = useHost();
  const [, navigate] = useLocation();
  const [full, setFull] = useState<Device | null>(null);
  const [open, setOpen] = useState<'modify' | 'unplug' | null>(null);
  const [error, setError] = useState<string | null>(null);

  // This page shows one device's telemetry: ask for that one only.
  useEffect(() => {
    live.focusTelemetry([vuid]);
    return () => live.focusTelemetry(null);
  }, [vuid]);
  // Queue counters and moderation: from REST, again when the device changes and every few seconds while visible.
  useEffect(() => {
    if (!d || paused) return;
    const load = () => api.device(vuid).then(setFull, (e: Error) => setError(e.message));
    void load();
    const t = setInterval(load, 5000);
    return () => clearInterval(t);
  }, [vuid, d, paused]);
  // The host driver's state of this device follows its changes.
  useEffect(() => {
    if (d) void live.refreshHost();
  }, [d]);

  if (!d) {
    return (
      <div className="grid gap-3 text-sm" id="device-missing">
        <p className="text-muted">{connection === 'live' ? `No device ${vuid} (unplugged?).` : 'Connecting…'}</p>
        <Link href="/devices" className="underline">
          All devices
        </Link>
      </div>
    );
  }

  const side = hostSide(host, vuid);
  return (
    <div className="grid gap-4" id="device-detail" data-vuid={vuid}>
      <DeviceHeader d={d} host={side} onModify={() => setOpen('modify')} onUnplug={() => setOpen('unplug')} error={error} />
      <DeviceFacts d={d} host={side} />
      <QueuesPanel d={d} queues={full?.queues} />
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
