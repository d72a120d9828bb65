/** Small building blocks shared by the pages: panels, key/value lists, badges, progress. */
import type { Operation } from '@virtnet/shared';
import type { ReactNode } from 'react';

/** A failed request of the page, in words (nothing when there is none). */
export function ErrorBanner({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p role="alert" className="rounded-md border border-danger/40 bg-danger/10 px-3 py-2 text-sm text-danger">
      {message}
    </p>
  );
}

export function Panel(props: { title: ReactNode; id?: string; actions?: ReactNode; children: ReactNode; className?: string; bodyClass?: string }) {
  const titleId = props.id ? `${props.id}-title` : undefined;
  return (
    <section id={props.id} aria-labelledby={titleId} className={`min-w-0 rounded-lg border border-line bg-panel ${props.className ?? ''}`}>
      <header className="flex min-h-11 items-center justify-between gap-3 border-b border-line px-4 py-2">
        <h2 id={titleId} className="text-sm font-semibold">
          {props.title}
        </h2>
        {props.actions ? <div className="flex items-center gap-2">{props.actions}</div> : null}
      </header>
      <div className={props.bodyClass ?? 'p-4'}>{props.children}</div>
    </section>
  );
}

export function KeyValues(props: { rows: [ReactNode, ReactNode, string?][]; id?: string }) {
  return (
    <dl id={props.id} className="grid grid-cols-[minmax(8rem,auto)_1fr] gap-x-4 gap-y-1.5 text-sm">
      {props.rows.map(([k, v, field], i) => (
        <div key={i} className="contents">
          <dt className="text-muted">{k}</dt>
          <dd className="num min-w-0 truncate font-mono" data-field={field}>
            {v}
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function Stat(props: { label: string; value: ReactNode; sub?: ReactNode; id?: string; tone?: string }) {
  return (
    <div className="min-w-0 rounded-lg border border-line bg-panel px-4 py-3">
      <div className="text-xs text-muted">{props.label}</div>
      <div id={props.id} className={`num mt-0.5 truncate text-xl font-semibold ${props.tone ?? ''}`}>
        {props.value}
      </div>
      {props.sub ? <div className="num mt-0.5 truncate text-xs text-muted">{props.sub}</div> : null}
    </div>
  );
}

export function Badge(props: { tone: 'ok' | 'warn' | 'danger' | 'muted'; children: ReactNode; id?: string }) {
  const tones = { ok: 'border-accent/40 text-accent', warn: 'border-warn/40 text-warn', danger: 'border-danger/40 text-danger', muted: 'border-line text-muted' };
  return (
    <span id={props.id} className={`inline-flex items-center gap-1 rounded-full border px-2 py-0.5 text-xs whitespace-nowrap ${tones[props.tone]}`}>
      {props.children}
    </span>
  );
}

export function Progress(props: { done: number; total: number; state: Operation['state'] }) {
  const pct = props.total ? Math.round((props.done / props.total) * 100) : 100;
  const bar = props.state === 'failed' ? 'bg-danger' : props.state === 'succeeded' ? 'bg-accent' : 'bg-accent/70';
  return (
    <div className="h-1.5 w-full overflow-hidden rounded-full bg-raised" role="progressbar" aria-valuemin={0} aria-valuemax={props.total} aria-valuenow={props.done}>
      <div className={`h-full ${bar}`} style={{ width: `${pct}%` }} />
    </div>
  );
}

/** Running and recent operations, whatever they are (bulk changes, VFs created on a PF, ...). */
export function OperationsList(props: { operations: Operation[]; empty?: string; id?: string }) {
  if (props.operations.length === 0) return <p className="text-sm text-muted">{props.empty ?? 'No operations yet.'}</p>;
  return (
    <ul id={props.id} className="grid gap-3">
      {props.operations.map((o) => (
        <li key={o.id} data-testid="operation" data-id={o.id} data-state={o.state} data-action={o.action} className="grid gap-1 text-sm">
          <div className="flex items-baseline justify-between gap-3">
            <span className="min-w-0 truncate">
              <span className="font-medium">{o.action.replace(/_/g, ' ')}</span> <span className="text-muted">· {o.target ?? '—'} · {o.actor}</span>
            </span>
            <span className="num shrink-0 font-mono text-xs" data-field="progress">
              {o.done} / {o.total}
            </span>
          </div>
          <Progress done={o.done} total={o.total} state={o.state} />
          <div className="flex justify-between gap-3 text-xs">
            <span className={o.state === 'failed' ? 'text-danger' : o.state === 'succeeded' ? 'text-accent' : 'text-warn'}>{o.state}</span>
            {o.error ? (
              <span className="min-w-0 truncate text-danger" title={o.error.message} data-field="error">
                {o.error.code}: {o.error.message}
              </span>
            ) : null}
          </div>
        </li>
      ))}
    </ul>
  );
}

export function sortOperations(ops: ReadonlyMap<string, Operation>): Operation[] {
  return [...ops.values()].sort((a, b) => Number(b.state === 'running') - Number(a.state === 'running') || b.started_at.localeCompare(a.started_at));
}
