/**
 * One place that turns any thrown value into a VirtnetError with a stable
 * code: service errors pass through, hardware errors keep their code, and
 * anything unexpected becomes INTERNAL (logged with its stack, never sent).
 */
import { HwError } from '@virtnet/hw';
import { CODE_FIELDS, ERROR_CODES, VirtnetError, type ErrorCode } from '@virtnet/shared';

const HW_TO_API: Partial<Record<string, ErrorCode>> = {
  NOT_FOUND: 'DEVICE_NOT_FOUND',
  NO_MEMORY: 'INTERNAL',
  PROFILE_INVALID: 'CONFIG_INVALID',
};

export function toVirtnetError(e: unknown): VirtnetError {
  if (e instanceof VirtnetError) return e;
  if (e instanceof HwError) {
    const mapped = HW_TO_API[e.code] ?? (e.code in ERROR_CODES ? (e.code as ErrorCode) : 'INTERNAL');
    return new VirtnetError(mapped, e.message, CODE_FIELDS[mapped]);
  }
  return new VirtnetError('INTERNAL', 'internal error; see the controller log');
}

/** True when the error is a bug or an environment failure rather than a refused request. */
export function isInternal(e: unknown): boolean {
  return toVirtnetError(e).code === 'INTERNAL';
}
