import { ModifyDeviceFieldsSchema, ModifyQueueFieldsSchema, type Device } from '@virtnet/shared';
import { useState, type FormEvent } from 'react';
import { api } from '../lib/api';
import { apiFieldErrors, zodFieldErrors, type FieldErrors } from '../lib/form';
import { Dialog, Field, buttonClass, inputClass } from './Dialog';

const DRIVER_BITS = 0b110; // DRIVER | DRIVER_OK

/**
 * Device settings (MAC, MTU, features, queue size, MSI-X) and interrupt
 * moderation. Only changed fields are sent; the controller refuses device
 * settings while the host driver is bound, and says so next to the form.
 */
export function ModifyDialog(props: { device: Device; onClose: () => void }) {
  const d = props.device;
  const bound = (d.device_status & DRIVER_BITS) !== 0;
  const initial = { mac: d.mac, mtu: String(d.mtu), features: d.features, max_queue_size: String(d.max_queue_size), num_msix: String(d.num_msix) };
  const [v, setV] = useState(initial);
  const q0 = d.queues?.[0];
  const [q, setQ] = useState({ event_mode: q0?.rq_cq_period_mode ?? 'event', period_us: String(q0?.rq_cq_period ?? 0), max_count: String(q0?.rq_cq_max_count ?? 0) });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);

  async function submitDevice(e: FormEvent) {
    e.preventDefault();
    setDone(null);
    const changed: Record<string, unknown> = {};
    if (v.mac !== initial.mac) changed['mac'] = v.mac.trim();
    if (v.mtu !== initial.mtu) changed['mtu'] = Number(v.mtu);
    if (v.features !== initial.features) changed['features'] = v.features.trim();
    if (v.max_queue_size !== initial.max_queue_size) changed['max_queue_size'] = Number(v.max_queue_size);
    if (v.num_msix !== initial.num_msix) changed['num_msix'] = Number(v.num_msix);
    const parsed = ModifyDeviceFieldsSchema.safeParse(changed);
    if (!parsed.success) return setErrors(zodFieldErrors(parsed.error));
    setBusy(true);
    try {
      await api.modify(d.vuid, parsed.data);
      setErrors({});
      setDone('Device settings applied.');
    } catch (err) {
      setErrors(apiFieldErrors(err));
    } finally {
      setBusy(false);
    }
  }

  async function submitQueues(e: FormEvent) {
    e.preventDefault();
    setDone(null);
    const parsed = ModifyQueueFieldsSchema.safeParse({ event_mode: q.event_mode, period_us: Number(q.period_us), max_count: Number(q.max_count) });
    if (!parsed.success) return setErrors(zodFieldErrors(parsed.error));
    setBusy(true);
    try {
      await api.modifyQueues(d.vuid, parsed.data);
      setErrors({});
      setDone('Interrupt moderation applied.');
    } catch (err) {
      setErrors(apiFieldErrors(err));
    } finally {
      setBusy(false);
    }
  }

  const field = (name: keyof typeof v) => ({
    id: `modify-${name}`,
    value: v[name],
    onChange: (e: { target: { value: string } }) => setV({ ...v, [name]: e.target.value }),
    'aria-invalid': !!errors[name],
    className: inputClass,
    spellCheck: false,
  });

  return (
    <Dialog id="modify-dialog" title={`Modify ${d.function_type} ${d.pf_id}${d.vf_id !== undefined ? `/${d.vf_id}` : ''}`} onClose={props.onClose} wide>
      <p className="mb-3 font-mono text-xs text-muted">{d.vuid}</p>
      {bound ? (
        <p id="modify-driver-bound" className="mb-3 rounded-md border border-warn/40 bg-warn/10 px-3 py-2 text-sm text-warn">
          The host driver is bound ({d.device_status_names.join(', ')}). MAC, MTU, features, queue size and MSI-X changes are refused until the
          host unbinds the device; interrupt moderation applies now.
        </p>
      ) : null}
      <form onSubmit={submitDevice} noValidate className="grid grid-cols-2 gap-3">
        <Field label="MAC address" name="mac" error={errors['mac']}>
          <input {...field('mac')} />
        </Field>
        <Field label="MTU" name="mtu" error={errors['mtu']}>
          <input {...field('mtu')} inputMode="numeric" />
        </Field>
        <Field label="Features (full set, hex)" name="features" error={errors['features']}>
          <input {...field('features')} />
        </Field>
        <Field label="Max queue size" name="max_queue_size" error={errors['max_queue_size']}>
          <input {...field('max_queue_size')} inputMode="numeric" />
        </Field>
        {d.function_type === 'VF' ? (
          <Field label="MSI-X vectors" name="num_msix" error={errors['num_msix']}>
            <input {...field('num_msix')} inputMode="numeric" />
          </Field>
        ) : null}
        <div className="col-span-2 flex justify-end">
          <button type="submit" id="modify-device-submit" className={buttonClass.primary} disabled={busy}>
            Apply device settings
          </button>
        </div>
      </form>
      <form onSubmit={submitQueues} noValidate className="mt-4 grid grid-cols-3 gap-3 border-t border-line pt-4">
        <Field label="Moderation mode" name="event_mode" error={errors['event_mode']}>
          <select id="modify-event_mode" className={inputClass} value={q.event_mode} onChange={(e) => setQ({ ...q, event_mode: e.target.value as 'event' | 'cqe' })}>
            <option value="event">event</option>
            <option value="cqe">cqe</option>
          </select>
        </Field>
        <Field label="Period (µs)" name="period_us" error={errors['period_us']}>
          <input id="modify-period_us" className={inputClass} value={q.period_us} onChange={(e) => setQ({ ...q, period_us: e.target.value })} inputMode="numeric" />
        </Field>
        <Field label="Max count" name="max_count" error={errors['max_count']}>
          <input id="modify-max_count" className={inputClass} value={q.max_count} onChange={(e) => setQ({ ...q, max_count: e.target.value })} inputMode="numeric" />
        </Field>
        <div className="col-span-3 flex justify-end">
          <button type="submit" id="modify-queue-submit" className={buttonClass.secondary} disabled={busy}>
            Apply moderation
          </button>
        </div>
      </form>
      {errors['_form'] ? (
        <p role="alert" id="modify-form-error" className="mt-3 text-sm text-danger">
          {errors['_form']}
        </p>
      ) : null}
      {done ? (
        <p role="status" id="modify-done" className="mt-3 text-sm text-accent">
          {done}
        </p>
      ) : null}
    </Dialog>
  );
}
