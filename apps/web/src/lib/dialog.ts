/**
 * The state every form that asks the controller shares: busy while a
 * request runs, the messages next to the fields they concern (the shared
 * schema's, the DPU's own limits, the controller's refusal), and the
 * refusal's code for dialogs that explain one (DRIVER_BOUND). The hot-plug,
 * modify, bulk and unplug dialogs hold no request state of their own.
 */
import { useCallback, useMemo, useState } from 'react';
import type { z } from 'zod';
import { ApiError } from './api';
import { apiFieldErrors, topLevel, zodFieldErrors, type FieldErrors, type FieldOf } from './form';

export interface DialogState {
  /** A request is under way: submit buttons are disabled. */
  busy: boolean;
  /** Messages by field; `_form` holds what names no field. */
  errors: FieldErrors;
  /** The controller's code of the last refusal; null after a success or a local check. */
  code: string | null;
  /** Checks input with a shared schema: the parsed value, or undefined with the messages set. */
  check<S extends z.ZodType>(schema: S, input: unknown): z.output<S> | undefined;
  /** Messages of a check the form makes itself (a limit of this DPU). */
  fail(errors: FieldErrors): void;
  /** Sends a request: the answer, or undefined once its refusal is shown. */
  submit<T>(request: () => Promise<T>): Promise<T | undefined>;
}

export function useDialogState(fieldOf: FieldOf = topLevel): DialogState {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [code, setCode] = useState<string | null>(null);

  const fail = useCallback((e: FieldErrors) => {
    setErrors(e);
    setCode(null);
  }, []);

  const check = useCallback(
    <S extends z.ZodType>(schema: S, input: unknown): z.output<S> | undefined => {
      const parsed = schema.safeParse(input);
      if (parsed.success) return parsed.data;
      fail(zodFieldErrors(parsed.error, fieldOf));
      return undefined;
    },
    [fail, fieldOf],
  );

  const submit = useCallback(
    async <T>(request: () => Promise<T>): Promise<T | undefined> => {
      setBusy(true);
      try {
        const answer = await request();
        setErrors({});
        setCode(null);
        return answer;
      } catch (e) {
        setErrors(apiFieldErrors(e, fieldOf));
        setCode(e instanceof ApiError ? e.code : null);
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [fieldOf],
  );

  return useMemo(() => ({ busy, errors, code, check, fail, submit }), [busy, errors, code, check, fail, submit]);
}
