import type { Device } from '@virtnet/shared';
import { api } from '../lib/api';
import { useDialogState } from '../lib/dialog';
import { Dialog, buttonClass } from './Dialog';

export function ConfirmUnplug(props: { device: Device; onClose: () => void; onDone?: () => void }) {
  const form = useDialogState();
  const d = props.device;
  // Whatever the refusal names (the device, usually), it is this dialog's one question.
  const error = Object.values(form.errors)[0];
  async function unplug() {
    if (await form.submit(() => api.unplug(d.vuid))) (props.onDone ?? props.onClose)();
  }
  return (
    <Dialog id="unplug-dialog" title="Unplug device?" onClose={props.onClose}>
      <p className="text-sm">
        PF {d.pf_id} at <span className="font-mono">{d.pci_bdf}</span> (MAC <span className="font-mono">{d.mac}</span>) disappears from the host, as a
        surprise removal would: a bound driver loses it at once. Its hot-plug port ({d.hotplug_port}) becomes free.
      </p>
      {error ? (
        <p role="alert" className="mt-3 text-sm text-danger">
          {error}
        </p>
      ) : null}
      <div className="mt-4 flex justify-end gap-2">
        <button type="button" className={buttonClass.secondary} onClick={props.onClose}>
          Cancel
        </button>
        <button type="button" id="unplug-confirm" className={buttonClass.danger} onClick={unplug} disabled={form.busy}>
          Unplug
        </button>
      </div>
    </Dialog>
  );
}
