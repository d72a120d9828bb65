import type { AuditEvent } from '@virtnet/shared';
import { useEffect, useMemo, useState } from 'react';
import { buttonClass, filterClass } from '../components/Dialog';
import { Panel } from '../components/ui';
import { api } from '../lib/api';
import { EventRow } from '../components/EventRow';
import { live } from '../lib/live';
import { useConnectionState } from '../lib/live-hooks';

const PAGE = 200;
const KEEP = 5000;

/** The persisted audit log: who changed what, when, and how it ended; new entries arrive live. */
export function Events() {
  const connection = useConnectionState();
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [more, setMore] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [f, setF] = useState({ text: '', actor: '', result: '', action: '' });

  useEffect(() => {
    if (connection !== 'live') return;
    api.events(PAGE).then(
      (r) => {
        setEvents(r.events);
        setMore(r.events.length === PAGE);
      },
      (e: Error) => setError(e.message),
    );
  }, [connection]);
  useEffect(() => live.onAudit((e) => setEvents((old) => (old.some((o) => o.id === e.id) ? old : [e, ...old].slice(0, KEEP)))), []);

  async function older() {
    const last = events.at(-1);
    if (!last) return;
    const r = await api.events(PAGE, last.id);
    setEvents((old) => [...old, ...r.events].slice(0, KEEP));
    setMore(r.events.length === PAGE);
  }

  const actions = useMemo(() => [...new Set(events.map((e) => e.action))].sort(), [events]);
  const shown = useMemo(() => {
    const text = f.text.trim().toLowerCase();
    return events.filter(
      (e) =>
        (!f.actor || e.actor === f.actor || e.actor.startsWith(`${f.actor}:`)) &&
        (!f.result || e.result === f.result) &&
        (!f.action || e.action === f.action) &&
        (!text || `${e.target ?? ''} ${e.detail ?? ''} ${e.error_code ?? ''} ${e.action}`.toLowerCase().includes(text)),
    );
  }, [events, f]);

  const select = 'rounded-md border border-line bg-surface px-2 py-1.5 text-sm';
  return (
    <Panel
      title={
        <span>
          Audit log <span className="num font-normal text-muted">· {shown.length} of {events.length} loaded</span>
        </span>
      }
      id="events"
      bodyClass="p-0"
      actions={
        <>
          <input
            id="events-filter"
            data-filter
            placeholder="Filter target, detail, code  (/)"
            className={filterClass}
            value={f.text}
            onChange={(e) => setF({ ...f, text: e.target.value })}
          />
          <select id="events-actor" aria-label="Actor" className={select} value={f.actor} onChange={(e) => setF({ ...f, actor: e.target.value })}>
            <option value="">any actor</option>
            <option value="cli">cli</option>
            <option value="api">api</option>
            <option value="system">system</option>
          </select>
          <select id="events-action" aria-label="Action" className={select} value={f.action} onChange={(e) => setF({ ...f, action: e.target.value })}>
            <option value="">any action</option>
            {actions.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
          <select id="events-result" aria-label="Result" className={select} value={f.result} onChange={(e) => setF({ ...f, result: e.target.value })}>
            <option value="">any result</option>
            <option value="ok">ok</option>
            <option value="error">error</option>
          </select>
        </>
      }
    >
      {error ? <p className="px-4 py-3 text-sm text-danger">{error}</p> : null}
      <div className="grid grid-cols-[10.5rem_3.5rem_10rem_11rem_1fr] gap-3 border-b border-line px-4 py-1.5 text-xs font-medium tracking-wide text-muted uppercase">
        <span>when</span>
        <span>who</span>
        <span>what</span>
        <span>result</span>
        <span>target · detail</span>
      </div>
      <ol id="events-list" className="max-h-[calc(100vh-14rem)] divide-y divide-line/60 overflow-y-auto text-xs">
        {shown.map((e) => (
          <EventRow key={e.id} e={e} />
        ))}
      </ol>
      {more ? (
        <div className="border-t border-line px-4 py-2">
          <button type="button" className={buttonClass.secondary} onClick={older}>
            Load older
          </button>
        </div>
      ) : null}
    </Panel>
  );
}
