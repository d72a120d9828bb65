import { HotplugRequestSchema, randomMac, type ControllerInfo } from '@virtnet/shared';
import { useState, type FormEvent } from 'react';
import { api } from '../lib/api';
import { apiFieldErrors, zodFieldErrors, type FieldErrors } from '../lib/form';
import { Dialog, Field, buttonClass, inputClass } from './Dialog';

const QUEUE_SIZES = [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768];

/** Hot-plug form: checked with the same schema as the controller, then the controller's own checks shown per field. */
export function HotplugDialog(props: { controller: ControllerInfo; onClose: () => void; onDone: (vuid: string) => void }) {
  const c = props.controller;
  const maxQueues = Math.min(c.max_virt_queues, c.pf_msix);
  const [v, setV] = useState({
    ib_device: c.emulation_manager,
    mac: randomMac(),
    mtu: '1500',
    num_queues: '3',
    max_queue_size: '1024',
    features: '0x0',
    legacy: false,
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof v) => (e: { target: { value: string } }) => setV({ ...v, [k]: e.target.value });

  async function submit(e: FormEvent) {
    e.preventDefault();
    const body = {
      ib_device: v.ib_device,
      mac: v.mac.trim(),
      mtu: Number(v.mtu),
      num_queues: Number(v.num_queues),
      max_queue_size: Number(v.max_queue_size),
      features: v.features.trim() || '0x0',
      legacy: v.legacy,
    };
    const parsed = HotplugRequestSchema.safeParse(body);
    if (!parsed.success) return setErrors(zodFieldErrors(parsed.error));
    setBusy(true);
    try {
      const r = await api.hotplug(body);
      props.onDone(r.vuid);
    } catch (err) {
      setErrors(apiFieldErrors(err));
    } finally {
      setBusy(false);
    }
  }

  const input = (name: keyof typeof v, extra: Record<string, unknown> = {}) => ({
    id: `hotplug-${name}`,
    name,
    value: String(v[name]),
    onChange: set(name),
    'aria-invalid': !!errors[name],
    className: inputClass,
    ...extra,
  });

  return (
    <Dialog id="hotplug-dialog" title="Hot-plug a virtio-net device" onClose={props.onClose} wide>
      <form onSubmit={submit} noValidate className="grid grid-cols-2 gap-3">
        <Field label="ib device" name="ib_device" error={errors['ib_device']}>
          <select {...input('ib_device')}>
            {c.ib_devices.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </Field>
        <Field label="MAC address" name="mac" error={errors['mac']}>
          <div className="flex gap-1">
            <input {...input('mac')} spellCheck={false} />
            <button type="button" className={buttonClass.secondary} title="Generate a random local MAC" onClick={() => setV({ ...v, mac: randomMac() })}>
              ↻
            </button>
          </div>
        </Field>
        <Field label="MTU" name="mtu" error={errors['mtu']} hint={`68 – ${c.max_mtu}`}>
          <input {...input('mtu', { inputMode: 'numeric' })} />
        </Field>
        <Field label="Queues" name="num_queues" error={errors['num_queues']} hint={`2 – ${maxQueues}; odd adds the control queue`}>
          <input {...input('num_queues', { inputMode: 'numeric' })} />
        </Field>
        <Field label="Queue size" name="max_queue_size" error={errors['max_queue_size']}>
          <select {...input('max_queue_size')}>
            {QUEUE_SIZES.filter((s) => s <= c.max_queue_size).map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
        <Field label="Extra features (hex)" name="features" error={errors['features']} hint="added to the defaults, e.g. 0x80000 = CTRL_VLAN">
          <input {...input('features')} spellCheck={false} />
        </Field>
        <label className="col-span-2 flex items-center gap-2 text-sm">
          <input type="checkbox" id="hotplug-legacy" checked={v.legacy} onChange={(e) => setV({ ...v, legacy: e.target.checked })} />
          Transitional (legacy virtio 0.95 interface too)
        </label>
        {errors['_form'] ? (
          <p role="alert" id="hotplug-form-error" className="col-span-2 text-sm text-danger">
            {errors['_form']}
          </p>
        ) : null}
        <div className="col-span-2 mt-2 flex justify-end gap-2">
          <button type="button" className={buttonClass.secondary} onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" id="hotplug-submit" className={buttonClass.primary} disabled={busy}>
            {busy ? 'Plugging…' : 'Hot-plug'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
