/**
 * The frame of every page: name, navigation, running operations, the
 * theme, the connection, and the sign-in notice. It reads only what it
 * shows (the count of running operations, not the operations), so
 * telemetry and device changes pass it by.
 */
import { Link, useLocation } from 'wouter';
import { useAuth, useConnection, usePaused, useRunningCount } from '../lib/live-hooks';
import type { Connection } from '../lib/live';
import { NAV, useShortcuts } from '../lib/shortcuts';
import { nextTheme, setTheme, useTheme } from '../lib/theme';

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

function SignInNotice() {
  if (useAuth() !== 'required') return null;
  return (
    <p role="alert" id="auth-required" className="mx-auto mt-4 max-w-[96rem] rounded-md border border-danger/40 bg-danger/10 px-4 py-2 text-sm text-danger">
      The controller no longer accepts this browser's sign-in (its access token changed).{' '}
      <a href="/login" className="underline">
        Sign in again
      </a>{' '}
      with the URL that <code>virtnet dashboard</code> prints.
    </p>
  );
}

export function Shell() {
  const [location, navigate] = useLocation();
  const theme = useTheme();
  const running = useRunningCount();
  const paused = usePaused();
  const connection = useConnection();
  useShortcuts(navigate);

  return (
    <>
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
            {running ? (
              <Link href="/" id="operations-running" className="num rounded-full border border-warn/40 px-2.5 py-0.5 text-warn">
                {running} running
              </Link>
            ) : null}
            {paused ? <span className="text-muted">telemetry paused</span> : null}
            <button
              type="button"
              id="theme-toggle"
              onClick={() => setTheme(nextTheme(theme))}
              title="Theme: system, dark, light (t)"
              className="w-32 rounded-md border border-line px-2 py-0.5 whitespace-nowrap text-muted hover:bg-raised hover:text-ink"
            >
              theme: {theme}
            </button>
            <ConnectionBadge c={connection} />
          </div>
        </div>
      </header>
      <SignInNotice />
    </>
  );
}
