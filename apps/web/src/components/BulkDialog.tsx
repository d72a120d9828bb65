/**
 * One change for every selected VF, run by the controller as an operation:
 * the dialog starts it and follows its progress on the WebSocket's
 * operations topic (the same view shows any other operation too).
 */
import { BulkRequestSchema, type BulkRequest, type Operation } from '@virtnet/shared';
import { useState, type FormEvent } from 'react';
import { api } from '../lib/api';
import { useDialogState } from '../lib/dialog';
import type { FieldOf } from '../lib/form';
import { useOperation } from '../lib/live-hooks';
import { Dialog, Field, buttonClass, inputClass } from './Dialog';
import { ModerationFields, moderationBody, type Moderation } from './ModerationFields';
import { OperationsList } from './ui';

/** The request nests its fields (queue.period_us, device.mtu): the form shows them by their last name, and every VUID issue at the list. */
const bulkField: FieldOf = (path) => (path.startsWith('vuids') ? 'vuids' : path.split('.').at(-1)!);

export function BulkDialog(props: { vuids: string[]; onClose: () => void; onDone: () => void }) {
  const [kind, setKind] = useState<'queue' | 'mtu'>('queue');
  const [q, setQ] = useState<Moderation>({ event_mode: 'cqe', period_us: '50', max_count: '32' });
  const [mtu, setMtu] = useState('9000');
  const form = useDialogState(bulkField);
  const [started, setStarted] = useState<Operation | null>(null);
  // The socket's progress, or the answer to the request until the socket has it.
  const live = useOperation(started?.id);
  const op = started ? (live ?? started) : undefined;

  async function submit(e: FormEvent) {
    e.preventDefault();
    const body: BulkRequest = kind === 'queue' ? { vuids: props.vuids, queue: moderationBody(q) } : { vuids: props.vuids, device: { mtu: Number(mtu) } };
    if (!form.check(BulkRequestSchema, body)) return;
    const operation = await form.submit(() => api.bulk(body));
    if (!operation) return;
    setStarted(operation);
    props.onDone();
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
              <ModerationFields idPrefix="bulk" modeLabel="Mode" value={q} onChange={setQ} errors={form.errors} />
            </div>
          ) : (
            <Field label="MTU" name="mtu" error={form.errors['mtu']}>
              <input id="bulk-mtu" className={inputClass} value={mtu} onChange={(e) => setMtu(e.target.value)} inputMode="numeric" />
            </Field>
          )}
          {form.errors['_form'] || form.errors['vuids'] ? (
            <p role="alert" className="text-sm text-danger">
              {form.errors['_form'] ?? form.errors['vuids']}
            </p>
          ) : null}
          <div className="flex justify-end gap-2">
            <button type="button" className={buttonClass.secondary} onClick={props.onClose}>
              Cancel
            </button>
            <button type="submit" id="bulk-submit" className={buttonClass.primary} disabled={form.busy}>
              Apply to {props.vuids.length} VFs
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
