/** One audit event: when, who, what, how it ended, on what; compact on the overview. */
import type { AuditEvent } from '@virtnet/shared';

export function EventRow({ e, compact }: { e: AuditEvent; compact?: boolean }) {
  const at = new Date(e.at);
  return (
    <li
      data-testid="event"
      data-action={e.action}
      data-result={e.result}
      className={`grid items-baseline gap-3 px-4 py-1.5 ${compact ? 'grid-cols-[4.5rem_7rem_1fr]' : 'grid-cols-[10.5rem_3.5rem_10rem_11rem_1fr]'}`}
    >
      <time className="num font-mono text-muted" dateTime={e.at} title={e.at}>
        {compact ? at.toLocaleTimeString('en-GB') : `${at.toLocaleDateString('en-CA')} ${at.toLocaleTimeString('en-GB')}`}
      </time>
      {compact ? null : <span className="text-muted">{e.actor}</span>}
      <span className={`truncate ${e.result === 'ok' ? '' : 'text-danger'}`}>{e.action}</span>
      {compact ? null : <span className={`truncate ${e.result === 'ok' ? 'text-accent' : 'text-danger'}`}>{e.result === 'ok' ? 'ok' : e.error_code}</span>}
      <span className="min-w-0 truncate text-muted" title={`${e.target ?? ''} ${e.detail ?? ''}`}>
        <span className="font-mono">{e.target ?? ''}</span>
        {e.detail ? <span> · {e.detail}</span> : null}
      </span>
    </li>
  );
}
