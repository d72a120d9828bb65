/** The controller itself: running and installed builds, the last live update or restart, and health with the recovery at start. */
import type { HealthResult, UpdateStatus, VersionResult } from '@virtnet/shared';
import type { ReactNode } from 'react';
import { Badge, KeyValues, Panel } from '../../components/ui';
import { uptime } from '../../lib/format';

const when = (iso: string) => new Date(iso).toLocaleString('en-GB');

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

export function ControllerPanel({ version, update, health }: { version: VersionResult | null; update: UpdateStatus | null; health: HealthResult | null }) {
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
