/**
 * Light, dark, or the system's choice, remembered in localStorage. The
 * design tokens are light-dark() pairs, so switching is one data-theme
 * attribute on the root element, mapped to color-scheme in index.css.
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
  // index.css maps data-theme to color-scheme, which picks each token's light or dark value.
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
