/**
 * The devices table's state: sorting, the filters (one text box and a
 * select per column), and the VF selection, over @tanstack/react-table. It
 * follows telemetry only while sorted by traffic, when the order is what a
 * sample changes.
 */
import type { Device } from '@virtnet/shared';
import {
  getCoreRowModel,
  getFilteredRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnFiltersState,
  type RowSelectionState,
  type SortingState,
  type TableMeta,
} from '@tanstack/react-table';
import { useCallback, useMemo, useState } from 'react';
import { useLive } from '../../lib/live-hooks';
import { COLUMNS, TRAFFIC_COLUMNS, textFilter } from './columns';

const byTraffic = (sorting: SortingState) => sorting.some((s) => (TRAFFIC_COLUMNS as readonly string[]).includes(s.id));

export function useDevicesTable(devices: Device[], meta: TableMeta<Device>) {
  const [sorting, setSorting] = useState<SortingState>([]);
  const [filters, setFilters] = useState<ColumnFiltersState>([]);
  const [text, setText] = useState('');
  const [selection, setSelection] = useState<RowSelectionState>({});

  // A new array makes the table sort again with the traffic of this sample.
  const traffic = useLive((s) => (byTraffic(sorting) ? s.traffic : null));
  const data = useMemo(() => (traffic ? [...devices] : devices), [devices, traffic]);

  const table = useReactTable({
    data,
    columns: COLUMNS,
    meta,
    state: { sorting, columnFilters: filters, rowSelection: selection, globalFilter: text, columnVisibility: { pf: false } },
    getRowId: (d) => d.vuid,
    // No pages and no sub-rows: resetting them when the data changes would only render the page once more.
    autoResetPageIndex: false,
    autoResetExpanded: false,
    enableRowSelection: (row) => row.original.function_type === 'VF',
    onSortingChange: setSorting,
    onColumnFiltersChange: setFilters,
    onRowSelectionChange: setSelection,
    onGlobalFilterChange: setText,
    globalFilterFn: textFilter,
    getCoreRowModel: getCoreRowModel(),
    getFilteredRowModel: getFilteredRowModel(),
    getSortedRowModel: getSortedRowModel(),
  });

  const filterValue = useCallback((id: string) => (filters.find((f) => f.id === id)?.value as string | undefined) ?? '', [filters]);
  const setFilter = useCallback((id: string, value: string) => setFilters((old) => [...old.filter((f) => f.id !== id), ...(value ? [{ id, value }] : [])]), []);
  const clearSelection = useCallback(() => setSelection({}), []);

  return { table, rows: table.getRowModel().rows, text, setText, filterValue, setFilter, selection, clearSelection };
}
