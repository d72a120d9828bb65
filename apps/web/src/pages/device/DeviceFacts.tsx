/** The device's identity, its config space, and the host side: the status register bit by bit, the front-end, the data path. */
import { DEVICE_STATUS_BITS, type Device } from '@virtnet/shared';
import { SriovPanel } from '../../components/Sriov';
import { KeyValues, Panel } from '../../components/ui';
import { count } from '../../lib/format';
import type { HostSide } from './host-side';

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

const MIGRATION_STATES: Record<Device['migration']['state'], string> = {
  none: 'never migrated',
  logging: 'migrating: dirty logging on',
  stopped: 'handed over (rings stopped while logging)',
  cancelled: 'last migration cancelled; running',
};

/** The device's live migration in a line: the state, and while logging or after one, the pages logged and the sessions. */
function migrationText(m: Device['migration']): string {
  const parts = [MIGRATION_STATES[m.state]];
  if (m.state !== 'none') parts.push(`${count(m.pages_logged)} pages logged`, `${m.migrations} ended`);
  if (m.pages_past_log) parts.push(`${count(m.pages_past_log)} past the log`);
  if (m.rarps_sent) parts.push(`${m.rarps_sent} RARP`);
  return parts.join(' · ');
}

export function DeviceFacts({ d, host }: { d: Device; host: HostSide }) {
  return (
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
            ['Representor namespace', d.sf_rep_net_ns ?? "the machine's"],
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
              ['host driver', <span title={host.driverText}>{host.driverText}</span>, 'host_driver'],
              ['vhost-user socket', <span title={d.vhost_user_socket ?? ''}>{d.vhost_user_socket ?? '—'}</span>],
              ['datapath', `${d.datapath}${d.datapath_note && d.datapath_note !== d.datapath ? ` · ${d.datapath_note}` : ''}`],
              ['protocol errors', d.protocol_errors],
              ['live migration', migrationText(d.migration), 'migration'],
            ]}
          />
          {host.noHostDriver ? (
            <p id="detail-host-unsupported" className="mt-3 text-xs text-muted">
              Unbind and bind are not available here: {host.noHostDriver} (NOT_SUPPORTED).
            </p>
          ) : null}
        </Panel>
        {d.function_type === 'static PF' ? <SriovPanel pf={d.pf_id} /> : null}
      </div>
    </div>
  );
}
