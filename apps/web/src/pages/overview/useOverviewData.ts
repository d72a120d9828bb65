/**
 * What the overview reads over REST: the DPU's capabilities, versions,
 * live-update status, health and the latest changes. A (re)connection may
 * be to another controller (after a restart or a live update), so all of it
 * is read again then, and the changing parts every few seconds.
 */
import type { AuditEvent, ControllerInfo, HealthResult, UpdateStatus, VersionResult } from '@virtnet/shared';
import { useEffect, useState } from 'react';
import { api } from '../../lib/api';
import { live } from '../../lib/live';
import { useConnectionState, useLive } from '../../lib/live-hooks';

const REFRESH_MS = 5000;
const RECENT = 8;

export function useOverviewData() {
  const connection = useConnectionState();
  const [controller, setController] = useState<ControllerInfo | null>(null);
  const [version, setVersion] = useState<VersionResult | null>(null);
  const [update, setUpdate] = useState<UpdateStatus | null>(null);
  const [health, setHealth] = useState<HealthResult | null>(null);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (connection !== 'live') return;
    const fail = (e: Error) => setError(e.message);
    api.controller().then(setController, fail);
    api.events(RECENT).then((r) => setEvents(r.events), fail);
    const refresh = () => {
      api.version().then(setVersion, fail);
      api.update().then(setUpdate, fail);
      api.health().then(setHealth, fail);
      void live.refreshHost();
    };
    refresh();
    const t = setInterval(refresh, REFRESH_MS);
    return () => clearInterval(t);
  }, [connection]);
  useEffect(() => live.onAudit((e) => setEvents((old) => [e, ...old].slice(0, RECENT))), []);

  // Health counts the devices: read it again when they come or go (once for a burst, such as a PF's VFs).
  const deviceCount = useLive((s) => s.devices.size);
  useEffect(() => {
    if (connection !== 'live') return;
    const t = setTimeout(() => api.health().then(setHealth, (e: Error) => setError(e.message)), 300);
    return () => clearTimeout(t);
  }, [deviceCount, connection]);

  return { controller, version, update, health, events, error };
}
