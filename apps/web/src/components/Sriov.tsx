/**
 * SR-IOV of the static PFs: enabled and total VFs, and the host's request
 * to change them (its `sriov_numvfs`, PUT /host/pfs/{pf}/sriov). The
 * controller runs the request as the `set_vfs` operation, whose progress
 * arrives live on the operations topic while the request is open. As on
 * Linux, a PF with VFs enabled goes to 0 before it takes another count
 * (VFS_BUSY, shown next to the field); 0 removes every VF, so it asks first.
 */
import { SetVfsParamsSchema, type Operation, type SriovStatus } from '@virtnet/shared';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { api } from '../lib/api';
import { apiFieldErrors } from '../lib/form';
import { live } from '../lib/live';
import { useConnectionState, useDevices, useHost, useOperations } from '../lib/live-hooks';
import { Dialog, buttonClass, inputClass } from './Dialog';
import { OperationsList, Panel } from './ui';

type SriovPf = SriovStatus['pfs'][number];

/** Every static PF's SR-IOV state, read again whenever a PF's VF count changes (from here, the CLI, or a restart). */
function useSriov(): { pfs: SriovPf[] | null; error: string | null } {
  const devices = useDevices();
  const connection = useConnectionState();
  const [pfs, setPfs] = useState<SriovPf[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  // VFs per PF as the device list has them: a change means a request ran.
  const vfCounts = useMemo(() => {
    const n = new Map<number, number>();
    for (const d of devices.values()) if (d.function_type === 'VF') n.set(d.pf_id, (n.get(d.pf_id) ?? 0) + 1);
    return [...n].sort((a, b) => a[0] - b[0]).join(' ');
  }, [devices]);
  useEffect(() => {
    if (connection !== 'live') return;
    let current = true;
    api.sriov().then(
      (s) => {
        if (!current) return;
        setPfs(s.pfs);
        setError(null);
      },
      (e: Error) => current && setError(e.message),
    );
    return () => {
      current = false;
    };
  }, [vfCounts, connection]);
  return { pfs, error };
}

function ConfirmRemoveVfs(props: { pf: SriovPf; onCancel: () => void; onConfirm: () => void }) {
  const { pf } = props;
  return (
    <Dialog id="sriov-confirm" title={`Remove the VFs of PF ${pf.pf_id}?`} onClose={props.onCancel}>
      <p className="text-sm">
        The host writes 0 to <span className="font-mono">sriov_numvfs</span> of PF {pf.pf_id} (<span className="font-mono">{pf.vuid}</span>): its{' '}
        <span className="num font-medium">{pf.num_vfs}</span> VFs disappear from the host at once, and a driver bound to one loses it, as on Linux. Setting
        a count again makes new VFs with the configured MACs and default settings.
      </p>
      <div className="mt-4 flex justify-end gap-2">
        <button type="button" id="sriov-confirm-cancel" className={buttonClass.secondary} onClick={props.onCancel} data-autofocus>
          Cancel
        </button>
        <button type="button" id="sriov-confirm-remove" className={buttonClass.danger} onClick={props.onConfirm}>
          Remove {pf.num_vfs} VFs
        </button>
      </div>
    </Dialog>
  );
}

function SriovRow({ pf }: { pf: SriovPf }) {
  const operations = useOperations();
  const name = `sriov-pf${pf.pf_id}-num_vfs`;
  const [value, setValue] = useState(String(pf.num_vfs));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirm, setConfirm] = useState(false);
  // The operation this page started: known by id once the request is answered, before that by being new.
  const [started, setStarted] = useState<{ before: ReadonlySet<string>; id: string | null } | null>(null);

  // Follow the PF when its count changes elsewhere, unless the operator is typing a new one.
  const [shown, setShown] = useState(pf.num_vfs);
  if (shown !== pf.num_vfs) {
    setShown(pf.num_vfs);
    if (value === String(shown)) setValue(String(pf.num_vfs));
  }

  const newOp = (ops: ReadonlyMap<string, Operation>, before: ReadonlySet<string>) =>
    [...ops.values()].filter((o) => o.action === 'set_vfs' && o.target === `pf ${pf.pf_id}` && !before.has(o.id)).sort((a, b) => b.started_at.localeCompare(a.started_at))[0];
  const op = started ? (started.id ? operations.get(started.id) : newOp(operations, started.before)) : undefined;

  async function run(numVfs: number) {
    setBusy(true);
    setError(null);
    const before = new Set(live.snapshot().operations.keys());
    setStarted({ before, id: null });
    try {
      const r = await api.setVfs(pf.pf_id, numVfs);
      setStarted({ before, id: r.operation });
      setValue(String(r.num_vfs));
    } catch (e) {
      setError(Object.values(apiFieldErrors(e))[0] ?? null);
      // Refused before it started (VFS_BUSY): nothing to follow. Failed while running: keep showing how far it got.
      const failed = newOp(live.snapshot().operations, before);
      setStarted(failed ? { before, id: failed.id } : null);
    } finally {
      setBusy(false);
    }
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const text = value.trim();
    const parsed = SetVfsParamsSchema.safeParse({ pf_id: pf.pf_id, num_vfs: /^\d+$/.test(text) ? Number(text) : text });
    if (!parsed.success) return setError(`a whole number of VFs, 0 to ${pf.total_vfs}`);
    const n = parsed.data.num_vfs;
    if (n > pf.total_vfs) return setError(`at most ${pf.total_vfs} VFs on PF ${pf.pf_id}`);
    if (n === 0 && pf.num_vfs > 0) return setConfirm(true);
    void run(n);
  }

  const used = pf.total_vfs ? Math.round((pf.num_vfs / pf.total_vfs) * 100) : 0;
  return (
    <li data-testid="sriov-pf" data-pf={pf.pf_id} data-num-vfs={pf.num_vfs} data-total-vfs={pf.total_vfs} className="grid gap-1.5">
      <div className="flex items-baseline justify-between gap-3 text-sm">
        <span className="min-w-0 truncate">
          <span className="font-medium">PF {pf.pf_id}</span> <span className="font-mono text-xs text-muted">{pf.vuid}</span>
        </span>
        <span className="num shrink-0 font-mono" data-field="vfs">
          {pf.num_vfs} / {pf.total_vfs} VFs
        </span>
      </div>
      <div className="h-1.5 w-full overflow-hidden rounded-full bg-raised" aria-hidden>
        <div className="h-full bg-accent/70" style={{ width: `${used}%` }} />
      </div>
      <form onSubmit={submit} noValidate className="flex items-center gap-2" aria-label={`SR-IOV of PF ${pf.pf_id}`}>
        <label htmlFor={name} className="text-xs text-muted">
          sriov_numvfs
        </label>
        <input
          id={name}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          inputMode="numeric"
          aria-invalid={!!error}
          aria-describedby={error ? `${name}-error` : undefined}
          className={`${inputClass.replace('w-full', 'w-20')} text-right`}
          autoComplete="off"
        />
        <button type="submit" id={`sriov-pf${pf.pf_id}-submit`} className={buttonClass.secondary} disabled={busy}>
          {busy ? 'Setting…' : 'Set'}
        </button>
        <span className="ml-auto text-xs whitespace-nowrap text-muted" data-field="source" title="Who set the count last: the host's request, or vf.vfs_per_pf of virtnet.conf at start">
          set by {pf.source === 'host' ? 'the host' : 'virtnet.conf'}
        </span>
      </form>
      {error ? (
        <p id={`${name}-error`} role="alert" className="text-xs text-danger">
          {error}
        </p>
      ) : null}
      {op ? (
        <div id={`sriov-pf${pf.pf_id}-progress`} data-state={op.state} className="rounded-md border border-line px-3 py-2">
          <OperationsList operations={[op]} />
        </div>
      ) : null}
      {confirm ? (
        <ConfirmRemoveVfs
          pf={pf}
          onCancel={() => setConfirm(false)}
          onConfirm={() => {
            setConfirm(false);
            void run(0);
          }}
        />
      ) : null}
    </li>
  );
}

/** The SR-IOV panel: every static PF, or the one PF `pf` (its device page). */
export function SriovPanel(props: { pf?: number }) {
  const host = useHost();
  const { pfs, error } = useSriov();
  const shown = pfs?.filter((p) => props.pf === undefined || p.pf_id === props.pf);
  return (
    <Panel title="SR-IOV" id="sriov">
      {error ? (
        <p role="alert" className="text-sm text-danger">
          {error}
        </p>
      ) : !shown ? (
        <p className="text-sm text-muted">Loading…</p>
      ) : shown.length === 0 ? (
        <p className="text-sm text-muted">No static PF on this DPU.</p>
      ) : (
        <ul className="grid gap-4">
          {shown.map((p) => (
            <SriovRow key={p.pf_id} pf={p} />
          ))}
        </ul>
      )}
      <p className="mt-3 text-xs text-muted">
        As with Linux's <span className="font-mono">sriov_numvfs</span>, a PF with VFs enabled goes to 0 before it takes another count; 0 removes them.
        {host?.mode === 'qemu' ? " VFs are not exposed to the VM (QEMU's virtio-net-pci has no SR-IOV): they exist on the DPU with their sockets." : ''}
      </p>
    </Panel>
  );
}
