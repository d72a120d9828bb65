/**
 * The interrupt moderation fields (mode, period, max count), shared by the
 * modify dialog (one device) and the bulk dialog (every selected VF): one
 * form body, the ids prefixed by the dialog that holds it.
 */
import type { FieldErrors } from '../lib/form';
import { Field, inputClass } from './Dialog';

export interface Moderation {
  event_mode: string;
  period_us: string;
  max_count: string;
}

export function ModerationFields(props: { idPrefix: string; value: Moderation; onChange: (v: Moderation) => void; errors: FieldErrors; modeLabel?: string }) {
  const { idPrefix: id, value: q, onChange, errors } = props;
  return (
    <>
      <Field label={props.modeLabel ?? 'Moderation mode'} name="event_mode" error={errors['event_mode']}>
        <select id={`${id}-event_mode`} className={inputClass} value={q.event_mode} onChange={(e) => onChange({ ...q, event_mode: e.target.value })}>
          <option value="event">event</option>
          <option value="cqe">cqe</option>
        </select>
      </Field>
      <Field label="Period (µs)" name="period_us" error={errors['period_us']} hint="0 – 4095">
        <input id={`${id}-period_us`} className={inputClass} value={q.period_us} onChange={(e) => onChange({ ...q, period_us: e.target.value })} inputMode="numeric" />
      </Field>
      <Field label="Max count" name="max_count" error={errors['max_count']} hint="0 – 65535">
        <input id={`${id}-max_count`} className={inputClass} value={q.max_count} onChange={(e) => onChange({ ...q, max_count: e.target.value })} inputMode="numeric" />
      </Field>
    </>
  );
}

/** The request body's numbers from what the fields hold. */
export const moderationBody = (q: Moderation) => ({ event_mode: q.event_mode as 'event' | 'cqe', period_us: Number(q.period_us), max_count: Number(q.max_count) });
