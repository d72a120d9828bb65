import type { z } from 'zod';
import { ApiError } from './api';

export type FieldErrors = Record<string, string>;
/** Which field of a form a dotted path names (a zod issue's path, the controller's `field`). */
export type FieldOf = (path: string) => string;
/** The first segment: forms whose fields are the request's top-level keys. */
export const topLevel: FieldOf = (path) => path.split('.')[0]!;

/** Field errors of a failed parse, one per field. */
export function zodFieldErrors(error: z.ZodError, fieldOf: FieldOf = topLevel): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? fieldOf(issue.path.map(String).join('.')) : '_form';
    out[key] ??= issue.message;
  }
  return out;
}

/** The controller's error, placed next to its field when it names one. */
export function apiFieldErrors(e: unknown, fieldOf: FieldOf = topLevel): FieldErrors {
  if (e instanceof ApiError) return { [e.field ? fieldOf(e.field) : '_form']: `${e.message} (${e.code})` };
  return { _form: e instanceof Error ? e.message : String(e) };
}
