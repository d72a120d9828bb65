/**
 * The devices table's columns. Traffic cells read their own figure from the
 * live store, so a telemetry sample re-renders those cells and nothing else;
 * sorting by traffic reads the same store (see useDevicesTable).
 */
import type { Device } from '@virtnet/shared';
import type { ColumnDef, FilterFn, RowData } from '@tanstack/react-table';
import { buttonClass } from '../../components/Dialog';
import { driverState } from '../../lib/device';
import { pps } from '../../lib/format';
import { live } from '../../lib/live';
import { useTrafficText } from '../../lib/live-hooks';

declare module '@tanstack/react-table' {
  // The actions a row's buttons start; the page owns the dialogs.
  interface TableMeta<TData extends RowData> {
    modify?: (d: TData) => void;
    unplug?: (d: TData) => void;
  }
}

export const ROW_HEIGHT = 36;
export const TRAFFIC_COLUMNS = ['rx', 'tx'] as const;

/** One text box searches the identities an operator types: MAC, VUID, BDF, representor, "3/17". */
export const textFilter: FilterFn<Device> = (row, _id, value: string) => {
  const d = row.original;
  const q = value.trim().toLowerCase();
  if (!q) return true;
  const pfvf = d.vf_id !== undefined ? `${d.pf_id}/${d.vf_id}` : String(d.pf_id);
  return [d.mac, d.vuid, d.pci_bdf, d.sf_rep_net_device, pfvf].some((s) => s.toLowerCase().includes(q));
};

function TrafficCell({ vuid, field }: { vuid: string; field: 'rxPps' | 'txPps' }) {
  return useTrafficText(vuid, field, pps);
}

const trafficNow = (d: Device, field: 'rxPps' | 'txPps') => live.snapshot().traffic.get(d.vuid)?.[field] ?? 0;

export const COLUMNS: ColumnDef<Device>[] = [
  {
    id: 'select',
    header: ({ table }) => (
      <input
        type="checkbox"
        id="select-all"
        aria-label="Select every VF shown"
        checked={table.getIsAllRowsSelected()}
        ref={(el) => {
          if (el) el.indeterminate = table.getIsSomeRowsSelected();
        }}
        onChange={table.getToggleAllRowsSelectedHandler()}
      />
    ),
    cell: ({ row }) =>
      row.getCanSelect() ? (
        <input type="checkbox" aria-label={`Select ${row.id}`} data-action="select" checked={row.getIsSelected()} onChange={row.getToggleSelectedHandler()} tabIndex={-1} />
      ) : null,
    enableSorting: false,
    size: 40,
  },
  {
    id: 'pfvf',
    header: 'PF/VF',
    accessorFn: (d) => d.pf_id * 10000 + (d.vf_id ?? -1),
    cell: ({ row: { original: d } }) => (d.vf_id !== undefined ? `${d.pf_id}/${d.vf_id}` : d.pf_id),
    size: 64,
  },
  { id: 'pf', accessorFn: (d) => String(d.pf_id), filterFn: 'equalsString' },
  { id: 'type', header: 'Type', accessorKey: 'function_type', filterFn: 'equalsString', size: 96 },
  { id: 'bdf', header: 'BDF', accessorKey: 'pci_bdf', sortingFn: (a, b) => a.original.bdf_raw - b.original.bdf_raw, size: 80 },
  { id: 'mac', header: 'MAC', accessorKey: 'mac', size: 160, filterFn: textFilter },
  { id: 'mtu', header: 'MTU', accessorKey: 'mtu', size: 64 },
  { id: 'queues', header: 'Queues', accessorFn: (d) => d.num_queues, cell: ({ row: { original: d } }) => `${d.num_queues} × ${d.max_queue_size}`, size: 88 },
  {
    id: 'link',
    header: 'Link',
    accessorKey: 'link_status',
    filterFn: 'equalsString',
    cell: ({ row: { original: d } }) => <span className={d.link_status === 'up' ? 'text-accent' : 'text-danger'}>● {d.link_status}</span>,
    size: 64,
  },
  {
    id: 'driver',
    header: 'Host driver',
    accessorFn: (d) => driverState(d).key,
    filterFn: 'equalsString',
    cell: ({ row: { original: d } }) => {
      const s = driverState(d);
      return <span className={s.tone}>{s.text}</span>;
    },
    size: 96,
  },
  { id: 'rx', header: 'RX pkt/s', accessorFn: (d) => trafficNow(d, 'rxPps'), cell: ({ row }) => <TrafficCell vuid={row.id} field="rxPps" />, size: 72, sortDescFirst: true },
  { id: 'tx', header: 'TX pkt/s', accessorFn: (d) => trafficNow(d, 'txPps'), cell: ({ row }) => <TrafficCell vuid={row.id} field="txPps" />, size: 72, sortDescFirst: true },
  { id: 'sf', header: 'SF representor', accessorKey: 'sf_rep_net_device', size: 136 },
  { id: 'vuid', header: 'VUID', accessorKey: 'vuid', size: 190 },
  {
    id: 'actions',
    header: () => <span className="sr-only">Actions</span>,
    enableSorting: false,
    size: 128,
    cell: ({ row: { original: d }, table }) => (
      <div className="flex justify-end gap-1">
        <button type="button" tabIndex={-1} className={buttonClass.small} data-action="modify" onClick={() => table.options.meta?.modify?.(d)}>
          Modify
        </button>
        {d.function_type === 'hotplug PF' ? (
          <button type="button" tabIndex={-1} className={buttonClass.small} data-action="unplug" onClick={() => table.options.meta?.unplug?.(d)}>
            Unplug
          </button>
        ) : null}
      </div>
    ),
  },
];

/** Monospace, right-aligned and muted columns, by id. */
const MONO = new Set(['pfvf', 'bdf', 'mac', 'sf', 'vuid', 'rx', 'tx', 'mtu', 'queues']);
const RIGHT = new Set(['rx', 'tx', 'mtu']);
export const headerClass = (id: string) =>
  `h-9 ${id === 'select' ? 'px-2' : 'px-3'} text-left text-xs font-medium tracking-wide whitespace-nowrap text-muted uppercase ${RIGHT.has(id) ? 'text-right' : ''}`;
export const cellClass = (id: string) =>
  `overflow-hidden ${id === 'select' ? 'px-2' : 'px-3'} text-ellipsis whitespace-nowrap ${MONO.has(id) ? 'num font-mono' : ''} ${id === 'vuid' ? 'text-xs text-muted' : ''} ${RIGHT.has(id) ? 'text-right' : ''}`;
