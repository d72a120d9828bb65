import { useEffect, useRef } from 'react';
import { Link, Route, Switch, useLocation } from 'wouter';
import { sortOperations } from './components/ui';
import { useLive, type Connection } from './lib/live';
import { nextTheme, setTheme, useTheme } from './lib/theme';
import { DeviceDetail } from './pages/DeviceDetail';
import { Devices } from './pages/Devices';
import { Events } from './pages/AuditLog';
import { Overview } from './pages/Overview';

function ConnectionBadge({ c }: { c: Connection }) {
  const [dot, text] =
    c.state === 'live' ? ['bg-accent', 'live'] : c.state === 'connecting' ? ['bg-warn', 'connecting…'] : ['bg-danger', 'offline, reconnecting'];
  return (
    <span id="connection-state" data-state={c.state} className="inline-flex w-44 items-center justify-center gap-1.5 rounded-full border border-line px-2.5 py-0.5 text-xs">
      <span className={`h-2 w-2 rounded-full ${dot}`} />
      {text}
    </span>
  );
}

const NAV = [
  { href: '/', label: 'Overview', key: 'o' },
  { href: '/devices', label: 'Devices', key: 'd' },
  { href: '/events', label: 'Events', key: 'e' },
] as const;

/**
 * Keyboard: g then o / d / e goes to a page, t switches the theme, / jumps
 * to the page's filter. Keys typed into a field are left alone.
 */
function useShortcuts(navigate: (to: string) => void) {
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

export function App() {
  const state = useLive();
  const [location, navigate] = useLocation();
  const theme = useTheme();
  useShortcuts(navigate);
  const running = sortOperations(state.operations).filter((o) => o.state === 'running');

  return (
    <div className="min-h-screen">
      <header className="sticky top-0 z-20 border-b border-line bg-panel/95 backdrop-blur">
        <div className="mx-auto flex h-12 max-w-[96rem] items-center gap-6 px-4">
          <Link href="/" className="flex items-baseline gap-2 rounded focus-visible:ring-2 focus-visible:ring-accent/40 focus-visible:outline-none">
            <span className="text-base font-semibold tracking-tight">virtnet</span>
            <span className="hidden text-xs text-muted md:inline">virtio-net device controller</span>
          </Link>
          <nav aria-label="Pages" className="flex h-full items-stretch gap-1 text-sm">
            {NAV.map((n) => {
              const active = n.href === '/' ? location === '/' : location.startsWith(n.href);
              return (
                <Link
                  key={n.href}
                  href={n.href}
                  id={`nav-${n.label.toLowerCase()}`}
                  aria-current={active ? 'page' : undefined}
                  title={`${n.label} (g ${n.key})`}
                  className={`flex items-center border-b-2 px-3 focus-visible:bg-raised focus-visible:outline-none ${active ? 'border-accent text-ink' : 'border-transparent text-muted hover:text-ink'}`}
                >
                  {n.label}
                </Link>
              );
            })}
          </nav>
          <div className="ml-auto flex items-center gap-3 text-xs">
            {running.length ? (
              <Link href="/" id="operations-running" className="num rounded-full border border-warn/40 px-2.5 py-0.5 text-warn">
                {running.length} running
              </Link>
            ) : null}
            {state.paused ? <span className="text-muted">telemetry paused</span> : null}
            <button
              type="button"
              id="theme-toggle"
              onClick={() => setTheme(nextTheme(theme))}
              title="Theme: system, dark, light (t)"
              className="w-32 rounded-md border border-line px-2 py-0.5 whitespace-nowrap text-muted hover:bg-raised hover:text-ink"
            >
              theme: {theme}
            </button>
            <ConnectionBadge c={state.connection} />
          </div>
        </div>
      </header>
      {state.auth === 'required' ? (
        <p role="alert" id="auth-required" className="mx-auto mt-4 max-w-[96rem] rounded-md border border-danger/40 bg-danger/10 px-4 py-2 text-sm text-danger">
          The controller no longer accepts this browser's sign-in (its access token changed).{' '}
          <a href="/login" className="underline">
            Sign in again
          </a>{' '}
          with the URL that <code>virtnet dashboard</code> prints.
        </p>
      ) : null}
      <main className="mx-auto max-w-[96rem] px-4 py-4">
        <Switch>
          <Route path="/">
            <Overview />
          </Route>
          <Route path="/devices">
            <Devices />
          </Route>
          <Route path="/devices/:vuid">{(p) => <DeviceDetail vuid={p.vuid} />}</Route>
          <Route path="/events">
            <Events />
          </Route>
          <Route>
            <p className="text-sm text-muted">No such page. <Link href="/" className="underline">Overview</Link></p>
          </Route>
        </Switch>
      </main>
    </div>
  );
}
