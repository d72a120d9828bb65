/**
 * Keyboard: g then o / d / e goes to a page, t switches the theme, / jumps
 * to the page's filter. Keys typed into a field are left alone.
 */
import { useEffect, useRef } from 'react';
import { nextTheme, setTheme, useTheme } from './theme';

export const NAV = [
  { href: '/', label: 'Overview', key: 'o' },
  { href: '/devices', label: 'Devices', key: 'd' },
  { href: '/events', label: 'Events', key: 'e' },
] as const;

export function useShortcuts(navigate: (to: string) => void) {
  const pendingG = useRef(0);
  const theme = useTheme();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (e.ctrlKey || e.metaKey || e.altKey || t.closest('input, select, textarea, dialog[open]')) return;
      if (e.key === 'g') {
        pendingG.current = Date.now();
        return;
      }
      if (Date.now() - pendingG.current < 1000) {
        const to = NAV.find((n) => n.key === e.key);
        pendingG.current = 0;
        if (to) {
          e.preventDefault();
          navigate(to.href);
          return;
        }
      }
      if (e.key === 't') setTheme(nextTheme(theme));
      else if (e.key === '/') {
        const filter = document.querySelector<HTMLInputElement>('[data-filter]');
        if (filter) {
          e.preventDefault();
          filter.focus();
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigate, theme]);
}
