/**
 * The shell and the page the location names. It reads no state itself: what
 * changes re-renders the part that shows it, never the whole app.
 */
import { Link, Route, Switch } from 'wouter';
import { Shell } from './components/Shell';
import { Events } from './pages/AuditLog';
import { DeviceDetail } from './pages/device/DeviceDetail';
import { Devices } from './pages/devices/DevicesPage';
import { Overview } from './pages/overview/Overview';

export function App() {
  return (
    <div className="min-h-screen">
      <Shell />
      <main className="mx-auto max-w-[96rem] px-4 py-4">
        <Switch>
          <Route path="/">
            <Overview />
          </Route>
          <Route path="/devices">
            <Devices />
          </Route>
          <Route path="/devices/:vuid">{(p) => <DeviceDetail key={p.vuid} vuid={p.vuid} />}</Route>
          <Route path="/events">
            <Events />
          </Route>
          <Route>
            <p className="text-sm text-muted">
              No such page. <Link href="/" className="underline">Overview</Link>
            </p>
          </Route>
        </Switch>
      </main>
    </div>
  );
}
