/**
 * The one place that decides what the CLI prints on failure and with which
 * exit status: 0 success, 1 the controller refused or failed the request
 * (a wrong access token included), 2 the command line is wrong, 3 the
 * controller cannot be reached (or, over HTTPS, not trusted: nothing sent).
 */
import { ERROR_CODES, type ErrorBody, type ErrorCode } from '@virtnet/shared/errors';

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, UNREACHABLE: 3 } as const;

export class CliError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    /** Found wrong on this side, before anything was sent. */
    readonly local = false,
  ) {
    super(message);
  }

  get exitCode(): number {
    if (this.code === 'USAGE' || this.local) return EXIT.USAGE;
    if (this.code === 'DAEMON_UNREACHABLE' || this.code === 'CERTIFICATE_UNTRUSTED') return EXIT.UNREACHABLE;
    return EXIT.FAILED;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } };
  }
}

export function asCliError(e: unknown): CliError {
  if (e instanceof CliError) return e;
  const v = e as { code?: unknown; message?: unknown; field?: unknown };
  if (typeof v?.code === 'string' && v.code in ERROR_CODES)
    return new CliError(v.code as ErrorCode, String(v.message), typeof v.field === 'string' ? v.field : undefined);
  return new CliError('INTERNAL', e instanceof Error ? e.message : String(e));
}
