/**
 * The devices grid: only the rows in view are rendered (@tanstack/react-
 * virtual), so it stays fast at 500+ devices; sortable headers; keyboard
 * from useTableKeyboard.
 */
import type { Device } from '@virtnet/shared';
import { flexRender, type Row, type Table } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef } from 'react';
import { DeviceRow } from './DeviceRow';
import { headerClass, ROW_HEIGHT } from './columns';
import { useTableKeyboard } from './useTableKeyboard';

/** Perf mark the benchmark reads: navigation start to the first rows on screen. */
let marked = false;

export function DevicesTable(props: { table: Table<Device>; rows: Row<Device>[]; empty: string | null; open: (vuid: string) => void; modify: (d: Device) => void }) {
  const { table, rows } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  const keyboard = useTableKeyboard({ rows, scrollTo: (i) => virtual.scrollToIndex(i), open: props.open, modify: props.modify });
  const { setActive } = keyboard;
  const activate = useCallback((i: number) => setActive(i), [setActive]);
  const items = virtual.getVirtualItems();
  const padTop = items[0]?.start ?? 0;
  const padBottom = virtual.getTotalSize() - (items.at(-1)?.end ?? 0);

  useEffect(() => {
    if (!marked && items.length > 0) {
      marked = true;
      performance.mark('virtnet:devices-rows');
    }
  }, [items.length]);

  return (
    <div
      ref={scroller}
      id="devices-scroller"
      tabIndex={0}
      role="grid"
      aria-label="Devices (arrows move, Enter opens, Space selects, m modifies)"
      aria-rowcount={rows.length}
      onKeyDown={keyboard.onKeyDown}
      className="h-[calc(100vh-11rem)] min-h-80 overflow-auto focus:outline-none focus-visible:ring-2 focus-visible:ring-accent/40"
    >
      {props.empty !== null ? (
        <p className="px-4 py-10 text-center text-sm text-muted">{props.empty}</p>
      ) : (
        <table id="devices-table" className="w-full table-fixed border-collapse text-[13px]">
          <colgroup>
            {table.getVisibleLeafColumns().map((c) => (
              <col key={c.id} style={{ width: c.getSize() }} />
            ))}
          </colgroup>
          <thead className="sticky top-0 z-10 bg-panel shadow-[inset_0_-1px_0_var(--color-line)]">
            {table.getHeaderGroups().map((hg) => (
              <tr key={hg.id}>
                {hg.headers.map((h) => {
                  const sorted = h.column.getIsSorted();
                  return (
                    <th key={h.id} scope="col" aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : undefined} className={headerClass(h.column.id)}>
                      {h.column.getCanSort() ? (
                        <button type="button" data-sort={h.column.id} className="uppercase hover:text-ink" onClick={h.column.getToggleSortingHandler()}>
                          {flexRender(h.column.columnDef.header, h.getContext())}
                          <span className="inline-block w-3">{sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : ''}</span>
                        </button>
                      ) : (
                        flexRender(h.column.columnDef.header, h.getContext())
                      )}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody>
            {padTop > 0 ? (
              <tr aria-hidden="true">
                <td style={{ height: padTop }} />
              </tr>
            ) : null}
            {items.map((v) => {
              const row = rows[v.index]!;
              return <DeviceRow key={row.id} row={row} index={v.index} active={v.index === keyboard.active} selected={row.getIsSelected()} onActivate={activate} onOpen={props.open} />;
            })}
            {padBottom > 0 ? (
              <tr aria-hidden="true">
                <td style={{ height: padBottom }} />
              </tr>
            ) : null}
          </tbody>
        </table>
      )}
    </div>
  );
}
