/**
 * Light, dark, or the system's choice, remembered in localStorage. The
 * design tokens are light-dark() pairs, so switching is one color-scheme
 * property on the root element.
 */
import { useSyncExternalStore } from 'react';

export type Theme = 'system' | 'light' | 'dark';
const KEY = 'virtnet.theme';
const listeners = new Set<() => void>();

function read(): Theme {
  const t = localStorage.getItem(KEY);
  return t === 'light' || t === 'dark' ? t : 'system';
}

export function applyTheme(t: Theme = read()): void {
  document.documentElement.style.colorScheme = t === 'system' ? 'light dark' : t;
  document.documentElement.dataset['theme'] = t;
}

export function setTheme(t: Theme): void {
  if (t === 'system') localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, t);
  applyTheme(t);
  for (const l of listeners) l();
}

export function nextTheme(t: Theme): Theme {
  return t === 'system' ? 'dark' : t === 'dark' ? 'light' : 'system';
}

export function useTheme(): Theme {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    read,
  );
}

/** The resolved scheme, for charts that draw with concrete colours. */
export function isDark(): boolean {
  const t = read();
  return t === 'dark' || (t === 'system' && matchMedia('(prefers-color-scheme: dark)').matches);
}
