import type { z } from 'zod';
import { ApiError } from './api';

export type FieldErrors = Record<string, string>;

/** Field errors of a failed parse, keyed by the first path element. */
export function zodFieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? String(issue.path[0]) : '_form';
    out[key] ??= issue.message;
  }
  return out;
}

/** The controller's error, placed next to its field when it names one. */
export function apiFieldErrors(e: unknown): FieldErrors {
  if (e instanceof ApiError) return { [e.field ?? '_form']: `${e.message} (${e.code})` };
  return { _form: e instanceof Error ? e.message : String(e) };
}
