/**
 * Keyboard of the devices grid: arrows (and j/k) move, Page Up/Down and
 * Home/End jump, Enter opens, Space selects a VF, m modifies. Keys typed
 * into the row's own controls are left to them.
 */
import type { Device } from '@virtnet/shared';
import type { Row } from '@tanstack/react-table';
import { useState, type KeyboardEvent } from 'react';

const PAGE = 15;

export function useTableKeyboard(opts: { rows: Row<Device>[]; scrollTo: (index: number) => void; open: (vuid: string) => void; modify: (d: Device) => void }) {
  const { rows } = opts;
  const [active, setActive] = useState(0);

  function onKeyDown(e: KeyboardEvent<HTMLElement>) {
    if ((e.target as HTMLElement).closest('input, button, select')) return;
    const move = (to: number) => {
      e.preventDefault();
      const i = Math.max(0, Math.min(rows.length - 1, to));
      setActive(i);
      opts.scrollTo(i);
    };
    const row = rows[active];
    if (e.key === 'ArrowDown' || e.key === 'j') move(active + 1);
    else if (e.key === 'ArrowUp' || e.key === 'k') move(active - 1);
    else if (e.key === 'PageDown') move(active + PAGE);
    else if (e.key === 'PageUp') move(active - PAGE);
    else if (e.key === 'Home') move(0);
    else if (e.key === 'End') move(rows.length - 1);
    else if (e.key === 'Enter' && row) opts.open(row.id);
    else if (e.key === ' ' && row) {
      e.preventDefault();
      if (row.getCanSelect()) row.toggleSelected();
    } else if (e.key === 'm' && row) opts.modify(row.original);
  }

  return { active, setActive, onKeyDown };
}
