import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A modal on the native <dialog>: focus is trapped, Escape closes it. The
 * element marked data-autofocus takes the focus (the safe choice of a
 * destructive question); React's autoFocus would be undone by showModal().
 */
export function Dialog(props: { id: string; title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) {
      d.showModal();
      d.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    }
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      id={props.id}
      aria-labelledby={`${props.id}-title`}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
      className={`m-auto rounded-lg border border-line bg-panel p-0 text-ink shadow-2xl backdrop:bg-black/50 ${props.wide ? 'w-[40rem]' : 'w-[28rem]'} max-w-[95vw]`}
    >
      <div className="flex items-center justify-between border-b border-line px-5 py-3">
        <h2 id={`${props.id}-title`} className="text-base font-semibold">
          {props.title}
        </h2>
        <button type="button" onClick={props.onClose} className="rounded px-2 text-muted hover:bg-raised hover:text-ink" aria-label="Close">
          ✕
        </button>
      </div>
      <div className="px-5 py-4">{props.children}</div>
    </dialog>
  );
}

export function Field(props: { label: string; name: string; error?: string | undefined; hint?: ReactNode; children: ReactNode; className?: string }) {
  return (
    <label className={`block ${props.className ?? ''}`}>
      <span className="mb-1 block text-xs font-medium text-muted">{props.label}</span>
      {props.children}
      {props.error ? (
        <span id={`${props.name}-error`} role="alert" className="mt-1 block text-xs text-danger">
          {props.error}
        </span>
      ) : props.hint ? (
        <span className="mt-1 block text-xs text-muted">{props.hint}</span>
      ) : null}
    </label>
  );
}

export const inputClass =
  'w-full rounded-md border border-line bg-surface px-2.5 py-1.5 font-mono text-sm text-ink outline-none focus:border-accent focus:ring-2 focus:ring-accent/30 aria-[invalid=true]:border-danger';

/** A toolbar's search box (no full width, sans text). */
export const filterClass =
  'w-64 rounded-md border border-line bg-surface px-2.5 py-1.5 text-sm text-ink outline-none placeholder:text-muted focus:border-accent focus:ring-2 focus:ring-accent/30';

export const buttonClass = {
  primary: 'rounded-md bg-accent px-3 py-1.5 text-sm font-medium text-accent-ink hover:opacity-90 disabled:opacity-50',
  secondary: 'rounded-md border border-line px-3 py-1.5 text-sm hover:bg-raised disabled:opacity-50',
  small: 'rounded border border-line px-2 py-0.5 text-xs hover:bg-raised disabled:opacity-50',
  danger: 'rounded-md bg-danger px-3 py-1.5 text-sm font-medium text-white hover:opacity-90 disabled:opacity-50',
};
