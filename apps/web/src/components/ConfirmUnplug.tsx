import { useState } from 'react';
import type { Device } from '@virtnet/shared';
import { api, ApiError } from '../lib/api';
import { Dialog, buttonClass } from './Dialog';

export function ConfirmUnplug(props: { device: Device; onClose: () => void; onDone?: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const d = props.device;
  async function unplug() {
    setBusy(true);
    try {
      await api.unplug(d.vuid);
      (props.onDone ?? props.onClose)();
    } catch (e) {
      setError(e instanceof ApiError ? `${e.message} (${e.code})` : String(e));
      setBusy(false);
    }
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
        <button type="button" id="unplug-confirm" className={buttonClass.danger} onClick={unplug} disabled={busy}>
          Unplug
        </button>
      </div>
    </Dialog>
  );
}
