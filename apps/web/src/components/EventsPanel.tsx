import type { AuditEvent } from '@virtnet/shared';
import { useEffect, useState } from 'react';
import { api } from '../lib/api';

/** The latest entries of the audit log, refreshed when devices change. */
export function EventsPanel(props: { revision: number }) {
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const t = setTimeout(() => {
      api.events(30).then(
        (r) => {
          setEvents(r.events);
          setError(null);
        },
        (e: Error) => setError(e.message),
      );
    }, 150);
    return () => clearTimeout(t);
  }, [props.revision]);
  return (
    <section className="rounded-lg border border-line bg-panel" aria-labelledby="events-title">
      <h2 id="events-title" className="border-b border-line px-4 py-2 text-sm font-semibold">
        Recent changes
      </h2>
      {error ? <p className="px-4 py-3 text-sm text-danger">{error}</p> : null}
      <ol id="events-list" className="max-h-80 divide-y divide-line/60 overflow-y-auto text-xs">
        {events.map((e) => (
          <li key={e.id} className="grid grid-cols-[5.5rem_3rem_7rem_1fr] gap-2 px-4 py-1.5">
            <time className="num text-muted" dateTime={e.at}>
              {new Date(e.at).toLocaleTimeString()}
            </time>
            <span className="text-muted">{e.actor}</span>
            <span className={e.result === 'ok' ? '' : 'text-danger'}>{e.action}</span>
            <span className="truncate text-muted" title={e.detail ?? ''}>
              {e.result === 'ok' ? (e.target ?? '') : `${e.error_code}: ${e.detail ?? ''}`}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}
