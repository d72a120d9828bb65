/**
 * Hot-plug form built from the controller's capabilities: ib devices, MTU
 * range, queue counts the MSI-X budget and max_virt_queues allow, queue
 * sizes that are powers of two up to the DPU's maximum, and the feature
 * bits it supports. Checked with the same schema as the controller, then
 * the controller's own refusals are shown next to the field they name.
 */
import { FEATURE_BITS, HotplugRequestSchema, parseFeatures, randomMac, type ControllerInfo } from '@virtnet/shared';
import { useMemo, useState, type FormEvent } from 'react';
import { api } from '../lib/api';
import { useDialogState } from '../lib/dialog';
import { bitsOf, hex, PRESETS } from '../lib/features';
import { Dialog, Field, buttonClass, inputClass } from './Dialog';

export function HotplugDialog(props: { controller: ControllerInfo; onClose: () => void; onDone: (vuid: string) => void }) {
  const c = props.controller;
  // A hot-plugged PF takes one MSI-X vector per virtqueue (plus config), within max_virt_queues.
  const maxQueues = Math.min(c.max_virt_queues, c.pf_msix);
  const queueCounts = useMemo(() => [2, ...Array.from({ length: maxQueues }, (_, i) => i + 1).filter((n) => n % 2 === 1 && n >= 3)], [maxQueues]);
  const queueSizes = useMemo(() => Array.from({ length: 16 }, (_, i) => 2 ** (i + 1)).filter((s) => s >= 64 && s <= c.max_queue_size), [c.max_queue_size]);
  const supported = parseFeatures(c.supported_features.value) ?? 0n;
  const defaults = parseFeatures(c.default_features.value) ?? 0n;
  const optional = FEATURE_BITS.filter((f) => (supported >> BigInt(f.bit)) & 1n && !((defaults >> BigInt(f.bit)) & 1n));

  const [v, setV] = useState({ ib_device: c.emulation_manager, mac: randomMac(), mtu: '1500', num_queues: '3', max_queue_size: String(Math.min(1024, c.max_queue_size)), features: '0x0', legacy: false });
  const form = useDialogState();
  const { errors } = form;
  const set = (k: keyof typeof v) => (e: { target: { value: string } }) => setV({ ...v, [k]: e.target.value });
  const extra = parseFeatures(v.features.trim() || '0x0');
  const toggle = (bit: number) => setV({ ...v, features: hex((extra ?? 0n) ^ (1n << BigInt(bit))) });

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
    if (!form.check(HotplugRequestSchema, body)) return;
    // The DPU's own limits, known from its capabilities: no need to ask to be refused.
    if (body.num_queues > maxQueues) return form.fail({ num_queues: `at most ${maxQueues} virtqueues on this DPU (max_virt_queues ${c.max_virt_queues}, MSI-X ${c.pf_msix})` });
    if (body.mtu > c.max_mtu) return form.fail({ mtu: `at most ${c.max_mtu} on this DPU` });
    const r = await form.submit(() => api.hotplug(body));
    if (r) props.onDone(r.vuid);
  }

  const input = (name: keyof typeof v, extraProps: Record<string, unknown> = {}) => ({
    id: `hotplug-${name}`,
    name,
    value: String(v[name]),
    onChange: set(name),
    'aria-invalid': !!errors[name],
    'aria-describedby': errors[name] ? `${name}-error` : undefined,
    className: inputClass,
    ...extraProps,
  });

  return (
    <Dialog id="hotplug-dialog" title="Hot-plug a virtio-net device" onClose={props.onClose} wide>
      <form onSubmit={submit} noValidate className="grid grid-cols-2 gap-3">
        <Field label="ib device" name="ib_device" error={errors['ib_device']} hint="the SF and its representor live here">
          <select {...input('ib_device')}>
            {c.ib_devices.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </Field>
        <Field label="MAC address" name="mac" error={errors['mac']} hint="unicast, unique on this controller">
          <div className="flex gap-1">
            <input {...input('mac')} spellCheck={false} autoComplete="off" />
            <button type="button" id="hotplug-mac-generate" className={buttonClass.secondary} title="Generate a random locally administered MAC" onClick={() => setV({ ...v, mac: randomMac() })}>
              ↻
            </button>
          </div>
        </Field>
        <Field label="MTU" name="mtu" error={errors['mtu']} hint={`68 – ${c.max_mtu}`}>
          <input {...input('mtu', { inputMode: 'numeric' })} />
        </Field>
        <Field label="Virtqueues" name="num_queues" error={errors['num_queues']} hint={`odd counts add the control queue; at most ${maxQueues} (max_virt_queues ${c.max_virt_queues}, MSI-X ${c.pf_msix})`}>
          <div className="flex gap-1">
            <input {...input('num_queues', { inputMode: 'numeric', list: 'hotplug-queue-counts' })} />
            <datalist id="hotplug-queue-counts">
              {queueCounts.map((n) => (
                <option key={n} value={n}>
                  {n === 2 ? '1 pair, no control queue' : `${(n - 1) / 2} pairs + control`}
                </option>
              ))}
            </datalist>
          </div>
        </Field>
        <Field label="Queue size" name="max_queue_size" error={errors['max_queue_size']} hint={`power of two, at most ${c.max_queue_size}`}>
          <select {...input('max_queue_size')}>
            {queueSizes.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
        <Field label="Extra features (hex)" name="features" error={errors['features']} hint={`added to the defaults (${c.default_features.value})`}>
          <input {...input('features')} spellCheck={false} />
        </Field>
        <fieldset className="col-span-2 rounded-md border border-line p-3">
          <legend className="px-1 text-xs font-medium text-muted">Feature picker</legend>
          <div className="mb-2 flex flex-wrap gap-1.5">
            {PRESETS.map((p) => (
              <button
                key={p.id}
                type="button"
                data-preset={p.id}
                className={`${buttonClass.small} ${extra === (p.bits & supported) ? 'border-accent text-accent' : ''}`}
                onClick={() => setV({ ...v, features: hex(p.bits & supported) })}
              >
                {p.label}
              </button>
            ))}
          </div>
          <div className="grid max-h-40 grid-cols-2 gap-x-4 gap-y-0.5 overflow-y-auto text-xs">
            {optional.map((f) => (
              <label key={f.bit} className="flex items-center gap-2" title={f.description}>
                <input type="checkbox" data-feature={f.name} checked={extra !== undefined && ((extra >> BigInt(f.bit)) & 1n) === 1n} onChange={() => toggle(f.bit)} />
                <span className="num w-6 text-right font-mono text-muted">{f.bit}</span>
                <span className="truncate font-mono">{f.name}</span>
              </label>
            ))}
          </div>
          {extra !== undefined && bitsOf(extra).some((b) => !((supported >> BigInt(b)) & 1n)) ? (
            <p className="mt-2 text-xs text-warn">Some bits are not supported by this DPU; the controller will refuse them.</p>
          ) : null}
        </fieldset>
        <label className="col-span-2 flex items-center gap-2 text-sm">
          <input type="checkbox" id="hotplug-legacy" checked={v.legacy} onChange={(e) => setV({ ...v, legacy: e.target.checked })} />
          Transitional (legacy virtio 0.95 interface too)
        </label>
        {errors['_form'] ? (
          <p role="alert" id="hotplug-form-error" className="col-span-2 text-sm text-danger">
            {errors['_form']}
          </p>
        ) : null}
        <div className="col-span-2 mt-1 flex justify-end gap-2">
          <button type="button" className={buttonClass.secondary} onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" id="hotplug-submit" className={buttonClass.primary} disabled={form.busy}>
            {form.busy ? 'Plugging…' : 'Hot-plug'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
