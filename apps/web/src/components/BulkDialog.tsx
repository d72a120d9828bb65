/**
 * One change for every selected VF, run by the controller as an operation:
 * the dialog starts it and follows its progress on the WebSocket's
 * operations topic (the same view shows any other operation too).
 */
import { BulkRequestSchema, type BulkRequest, type Operation } from '@virtnet/shared';
import { useState, type FormEvent } from 'react';
import { api } from '../lib/api';
import { apiFieldErrors, type FieldErrors } from '../lib/form';
import { useLive } from '../lib/live';
import { Dialog, Field, buttonClass, inputClass } from './Dialog';
import { OperationsList } from './ui';

export function BulkDialog(props: { vuids: string[]; onClose: () => void; onDone: () => void }) {
  const state = useLive();
  const [kind, setKind] = useState<'queue' | 'mtu'>('queue');
  const [q, setQ] = useState({ event_mode: 'cqe', period_us: '50', max_count: '32' });
  const [mtu, setMtu] = useState('9000');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [started, setStarted] = useState<Operation | null>(null);
  // The socket's progress, or the answer to the request until the socket has it.
  const op = started ? (state.operations.get(started.id) ?? started) : undefined;

  async function submit(e: FormEvent) {
    e.preventDefault();
    const body: BulkRequest =
      kind === 'queue'
        ? { vuids: props.vuids, queue: { event_mode: q.event_mode as 'event' | 'cqe', period_us: Number(q.period_us), max_count: Number(q.max_count) } }
        : { vuids: props.vuids, device: { mtu: Number(mtu) } };
    const parsed = BulkRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return setErrors({ [String(issue.path.at(-1) ?? '_form')]: issue.message });
    }
    try {
      setStarted(await api.bulk(body));
      props.onDone();
    } catch (err) {
      const f = apiFieldErrors(err);
      setErrors(Object.fromEntries(Object.entries(f).map(([k, v]) => [k.split('.').at(-1)!, v])));
    }
  }

  return (
    <Dialog id="bulk-dialog" title={`Change ${props.vuids.length} VFs`} onClose={props.onClose} wide>
      {op ? (
        <div id="bulk-progress" data-state={op.state}>
          <OperationsList operations={[op]} />
          <p className="mt-3 text-xs text-muted">Each device is changed and audited on its own; a device that refuses does not stop the others.</p>
          <div className="mt-4 flex justify-end">
            <button type="button" id="bulk-close" className={buttonClass.primary} onClick={props.onClose}>
              {op.state === 'running' ? 'Run in background' : 'Close'}
            </button>
          </div>
        </div>
      ) : (
        <form onSubmit={submit} noValidate className="grid gap-3">
          <div role="radiogroup" aria-label="What to change" className="flex gap-4 text-sm">
            <label className="flex items-center gap-2">
              <input type="radio" name="bulk-kind" id="bulk-kind-queue" checked={kind === 'queue'} onChange={() => setKind('queue')} />
              Interrupt moderation (applies with the driver bound)
            </label>
            <label className="flex items-center gap-2">
              <input type="radio" name="bulk-kind" id="bulk-kind-mtu" checked={kind === 'mtu'} onChange={() => setKind('mtu')} />
              MTU (driver must be unbound)
            </label>
          </div>
          {kind === 'queue' ? (
            <div className="grid grid-cols-3 gap-3">
              <Field label="Mode" name="event_mode" error={errors['event_mode']}>
                <select id="bulk-event_mode" className={inputClass} value={q.event_mode} onChange={(e) => setQ({ ...q, event_mode: e.target.value })}>
                  <option value="event">event</option>
                  <option value="cqe">cqe</option>
                </select>
              </Field>
              <Field label="Period (µs)" name="period_us" error={errors['period_us']} hint="0 – 4095">
                <input id="bulk-period_us" className={inputClass} value={q.period_us} onChange={(e) => setQ({ ...q, period_us: e.target.value })} inputMode="numeric" />
              </Field>
              <Field label="Max count" name="max_count" error={errors['max_count']} hint="0 – 65535">
                <input id="bulk-max_count" className={inputClass} value={q.max_count} onChange={(e) => setQ({ ...q, max_count: e.target.value })} inputMode="numeric" />
              </Field>
            </div>
          ) : (
            <Field label="MTU" name="mtu" error={errors['mtu']}>
              <input id="bulk-mtu" className={inputClass} value={mtu} onChange={(e) => setMtu(e.target.value)} inputMode="numeric" />
            </Field>
          )}
          {errors['_form'] || errors['vuids'] ? (
            <p role="alert" className="text-sm text-danger">
              {errors['_form'] ?? errors['vuids']}
            </p>
          ) : null}
          <div className="flex justify-end gap-2">
            <button type="button" className={buttonClass.secondary} onClick={props.onClose}>
              Cancel
            </button>
            <button type="submit" id="bulk-submit" className={buttonClass.primary}>
              Apply to {props.vuids.length} VFs
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
