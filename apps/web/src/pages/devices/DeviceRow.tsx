/**
 * One row of the devices table. Memoised on the device it shows, its place
 * and its selection: a telemetry sample re-renders only its traffic cells
 * (they read the store themselves), another device's change not at all.
 */
import type { Device } from '@virtnet/shared';
import { flexRender, type Row } from '@tanstack/react-table';
import { memo, type MouseEvent } from 'react';
import { Link } from 'wouter';
import { cellClass, ROW_HEIGHT } from './columns';

export interface DeviceRowProps {
  row: Row<Device>;
  index: number;
  active: boolean;
  selected: boolean;
  onActivate: (index: number) => void;
  onOpen: (vuid: string) => void;
}

function DeviceRowView({ row, index, active, selected, onActivate, onOpen }: DeviceRowProps) {
  const d = row.original;
  const click = (e: MouseEvent) => {
    onActivate(index);
    if (!(e.target as HTMLElement).closest('button, input, a')) onOpen(d.vuid);
  };
  return (
    <tr
      data-testid="device-row"
      data-vuid={d.vuid}
      data-index={index}
      aria-rowindex={index + 1}
      aria-selected={selected}
      onClick={click}
      style={{ height: ROW_HEIGHT }}
      className={`cursor-pointer border-b border-line/60 ${active ? 'bg-raised' : 'hover:bg-raised/60'} ${selected ? 'bg-accent/10' : ''}`}
    >
      {row.getVisibleCells().map((c) => (
        <td key={c.id} data-field={c.column.id} className={cellClass(c.column.id)}>
          {c.column.id === 'vuid' ? (
            <Link href={`/devices/${d.vuid}`} tabIndex={-1} title={d.vuid} className="hover:underline">
              {d.vuid}
            </Link>
          ) : (
            flexRender(c.column.columnDef.cell, c.getContext())
          )}
        </td>
      ))}
    </tr>
  );
}

/**
 * The table rebuilds its Row objects whenever its data changes (a device
 * came or went, or a sample while sorted by traffic); a row whose device is
 * the same object shows the same thing, so it is compared by that.
 */
const sameRow = (a: DeviceRowProps, b: DeviceRowProps) =>
  a.row.original === b.row.original && a.index === b.index && a.active === b.active && a.selected === b.selected && a.onActivate === b.onActivate && a.onOpen === b.onOpen;

export const DeviceRow = memo(DeviceRowView, sameRow);
