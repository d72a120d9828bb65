import type { Device } from '@virtnet/shared';
import type { Traffic } from '../lib/live';
import { buttonClass } from './Dialog';

function driverState(d: Device): { text: string; tone: string } {
  if (d.device_status_names.includes('DRIVER_OK')) return { text: 'driver ok', tone: 'text-accent' };
  if (d.device_status_names.includes('FAILED') || d.device_status_names.includes('DEVICE_NEEDS_RESET')) return { text: 'failed', tone: 'text-danger' };
  if (d.device_status !== 0) return { text: 'probing', tone: 'text-warn' };
  return { text: 'no driver', tone: 'text-muted' };
}

const th = 'px-3 py-2 text-left text-xs font-medium uppercase tracking-wide text-muted whitespace-nowrap';
const td = 'px-3 py-2 whitespace-nowrap';

const pps = (v: number | undefined) => (v === undefined ? '0' : v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(0));

export function DevicesTable(props: { devices: Device[]; traffic: ReadonlyMap<string, Traffic>; onModify: (d: Device) => void; onUnplug: (d: Device) => void }) {
  if (props.devices.length === 0) {
    return <p className="px-4 py-10 text-center text-sm text-muted">No devices yet. Hot-plug one to begin.</p>;
  }
  return (
    <div className="overflow-x-auto">
      <table id="devices-table" className="w-full border-collapse text-sm">
        <thead className="border-b border-line">
          <tr>
            <th className={th}>PF/VF</th>
            <th className={th}>Type</th>
            <th className={th}>BDF</th>
            <th className={th}>MAC</th>
            <th className={th}>MTU</th>
            <th className={th}>Queues</th>
            <th className={th}>Link</th>
            <th className={th}>Host driver</th>
            <th className={`${th} text-right`}>RX / TX pkt/s</th>
            <th className={th}>SF representor</th>
            <th className={th}>VUID</th>
            <th className={th}>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.devices.map((d) => {
            const drv = driverState(d);
            return (
              <tr key={d.vuid} data-testid="device-row" data-vuid={d.vuid} className="border-b border-line/60 hover:bg-raised/60">
                <td className={`${td} num font-mono`}>
                  {d.pf_id}
                  {d.vf_id !== undefined ? `/${d.vf_id}` : ''}
                </td>
                <td className={td}>{d.function_type}</td>
                <td className={`${td} font-mono`}>{d.pci_bdf}</td>
                <td className={`${td} font-mono`} data-field="mac">
                  {d.mac}
                </td>
                <td className={`${td} num`} data-field="mtu">
                  {d.mtu}
                </td>
                <td className={`${td} num`}>
                  {d.num_queues} × {d.max_queue_size}
                </td>
                <td className={td}>
                  <span className={d.link_status === 'up' ? 'text-accent' : 'text-danger'}>● {d.link_status}</span>
                </td>
                <td className={`${td} ${drv.tone}`}>{drv.text}</td>
                <td className={`${td} num w-32 text-right font-mono`} data-field="traffic">
                  {pps(props.traffic.get(d.vuid)?.rxPps)} / {pps(props.traffic.get(d.vuid)?.txPps)}
                </td>
                <td className={`${td} font-mono`}>{d.sf_rep_net_device}</td>
                <td className={`${td} font-mono text-xs text-muted`}>{d.vuid}</td>
                <td className={`${td} text-right`}>
                  <div className="flex justify-end gap-1.5">
                    <button type="button" className={buttonClass.secondary} data-action="modify" onClick={() => props.onModify(d)}>
                      Modify
                    </button>
                    {d.function_type === 'hotplug PF' ? (
                      <button type="button" className={buttonClass.secondary} data-action="unplug" onClick={() => props.onUnplug(d)}>
                        Unplug
                      </button>
                    ) : null}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
