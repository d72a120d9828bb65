/**
 * Device settings (MAC, MTU, features, queue size, MSI-X) and interrupt
 * moderation. Only changed fields are sent. The controller follows the real
 * product's rule: device settings are refused (DRIVER_BOUND) while the host
 * driver holds the device, moderation applies at any time. The dialog shows
 * the rule before you try, the controller's answer after, and with the
 * built-in host offers to unbind the driver. With the qemu host a device in
 * the VM takes no device settings, and no host mode but the built-in one
 * unbinds drivers: the dialog says so in the controller's own words
 * (NOT_SUPPORTED) instead of offering what would be refused.
 */
import { HOST_DRIVER_UNSUPPORTED, ModifyDeviceFieldsSchema, ModifyQueueFieldsSchema, deviceInVmMessage, isInVm, type Device, type Queue } from '@virtnet/shared';
import { useState, type FormEvent } from 'react';
import { api } from '../lib/api';
import { deviceLabel, isBound } from '../lib/device';
import { useDialogState } from '../lib/dialog';
import { live } from '../lib/live';
import { useDevice, useHost } from '../lib/live-hooks';
import { Dialog, Field, buttonClass, inputClass } from './Dialog';
import { ModerationFields, moderationBody, type Moderation } from './ModerationFields';

export function ModifyDialog(props: { device: Device; queues?: Queue[] | undefined; onClose: () => void }) {
  const host = useHost();
  // The device as it is now (the host may bind or unbind it while the dialog is open).
  const d = useDevice(props.device.vuid) ?? props.device;
  const bound = isBound(d);
  const inVm = isInVm(host, d.vuid);
  const [initial] = useState(() => ({ mac: d.mac, mtu: String(d.mtu), features: d.features, max_queue_size: String(d.max_queue_size), num_msix: String(d.num_msix) }));
  const [v, setV] = useState(initial);
  const q0 = props.queues?.[0];
  const [q, setQ] = useState<Moderation>({ event_mode: q0?.rq_cq_period_mode ?? 'event', period_us: String(q0?.rq_cq_period ?? 0), max_count: String(q0?.rq_cq_max_count ?? 0) });
  // Device settings and the host driver's buttons answer in the upper form, moderation in its own.
  const settings = useDialogState();
  const moderation = useDialogState();
  const errors = settings.errors;
  const busy = settings.busy || moderation.busy;
  const refused = settings.code === 'DRIVER_BOUND';
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
    const parsed = settings.check(ModifyDeviceFieldsSchema, changed);
    if (!parsed) return;
    if (await settings.submit(() => api.modify(d.vuid, parsed))) setDone('Device settings applied.');
  }

  async function submitQueues(e: FormEvent) {
    e.preventDefault();
    setDone(null);
    const parsed = moderation.check(ModifyQueueFieldsSchema, moderationBody(q));
    if (!parsed) return;
    if (await moderation.submit(() => api.modifyQueues(d.vuid, parsed))) setDone('Interrupt moderation applied.');
  }

  async function hostAction(action: 'unbind' | 'bind') {
    if (await settings.submit(() => api.hostAction(d.vuid, action))) void live.refreshHost();
  }

  const field = (name: keyof typeof v) => ({
    id: `modify-${name}`,
    value: v[name],
    onChange: (e: { target: { value: string } }) => setV({ ...v, [name]: e.target.value }),
    'aria-invalid': !!errors[name],
    className: inputClass,
    spellCheck: false,
  });
  const simHost = host?.mode === 'sim' && host.running;
  const noHostDriver = host && host.mode !== 'sim' ? HOST_DRIVER_UNSUPPORTED[host.mode] : null;

  return (
    <Dialog id="modify-dialog" title={`Modify ${d.function_type} · ${deviceLabel(d)}`} onClose={props.onClose} wide>
      <p className="mb-3 font-mono text-xs text-muted">
        {d.vuid} · {d.pci_bdf}
      </p>
      <div
        id="modify-driver-rule"
        data-bound={bound}
        data-host-mode={host?.mode ?? ''}
        className={`mb-3 rounded-md border px-3 py-2 text-sm ${inVm || bound ? 'border-warn/40 bg-warn/10 text-warn' : 'border-line text-muted'}`}
      >
        {inVm ? (
          <p id="modify-not-supported">
            Device settings are not available: {deviceInVmMessage(d.vuid)} (NOT_SUPPORTED). Interrupt moderation applies now.
          </p>
        ) : bound ? (
          <>
            <p id="modify-driver-bound">
              The host driver is bound ({d.device_status_names.join(', ')}). The controller refuses MAC, MTU, features, queue size and MSI-X changes with
              DRIVER_BOUND until the host unbinds the device; interrupt moderation applies now.
            </p>
            {noHostDriver ? null : (
              <p className="mt-1 text-xs">
                {simHost ? 'The built-in host can unbind it here.' : 'Unbind it on the host:'}{' '}
                <code className="font-mono">echo {d.pci_bdf} &gt; /sys/bus/pci/drivers/virtio-pci/unbind</code>
                {simHost ? null : <> (or <code className="font-mono">virtnet host unbind -u {d.vuid}</code> with the built-in host)</>}
              </p>
            )}
          </>
        ) : (
          <p>No host driver holds this device: every setting applies now.</p>
        )}
        {noHostDriver ? (
          <p id="modify-host-unsupported" className="mt-1 text-xs">
            The dashboard cannot unbind or bind the driver: {noHostDriver} (NOT_SUPPORTED).
          </p>
        ) : null}
        {simHost ? (
          <button type="button" id="modify-host-toggle" className={`${buttonClass.small} mt-2`} disabled={busy} onClick={() => hostAction(bound ? 'unbind' : 'bind')}>
            {bound ? 'Unbind host driver' : 'Bind host driver again'}
          </button>
        ) : null}
      </div>
      <form onSubmit={submitDevice} noValidate aria-label="Device settings">
        <fieldset id="modify-device-fields" disabled={inVm} className="grid grid-cols-2 gap-3 disabled:opacity-60">
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
          {errors['_form'] ? (
            <div role="alert" id="modify-form-error" data-refused={refused} className="col-span-2 rounded-md border border-danger/40 bg-danger/10 px-3 py-2 text-sm text-danger">
              {errors['_form']}
              {refused ? <p className="mt-1 text-xs">Unbind the host driver first, apply, then bind it again: the driver reads the new settings when it probes.</p> : null}
            </div>
          ) : null}
          <div className="col-span-2 flex justify-end">
            <button type="submit" id="modify-device-submit" className={buttonClass.primary} disabled={busy}>
              Apply device settings
            </button>
          </div>
        </fieldset>
      </form>
      <form onSubmit={submitQueues} noValidate className="mt-4 grid grid-cols-3 gap-3 border-t border-line pt-4" aria-label="Interrupt moderation">
        <ModerationFields idPrefix="modify" value={q} onChange={setQ} errors={moderation.errors} />
        {moderation.errors['_form'] ? (
          <p role="alert" className="col-span-3 text-sm text-danger">
            {moderation.errors['_form']}
          </p>
        ) : null}
        <div className="col-span-3 flex justify-end">
          <button type="submit" id="modify-queue-submit" className={buttonClass.secondary} disabled={busy}>
            Apply moderation
          </button>
        </div>
      </form>
      {done ? (
        <p role="status" id="modify-done" className="mt-3 text-sm text-accent">
          {done}
        </p>
      ) : null}
    </Dialog>
  );
}
