import type { z } from 'zod';

/**
 * Stable error codes. Clients (CLI, dashboard, scripts) branch on these, so a
 * code is never renamed or reused; the message next to it is for people.
 */
export const ERROR_CODES = {
  INVALID_ARGUMENT: { status: 400, summary: 'A parameter is malformed or out of range' },
  USAGE: { status: 400, summary: 'The command line is malformed' },
  MAC_INVALID: { status: 400, summary: 'The MAC address is malformed, multicast or all zeros' },
  MTU_INVALID: { status: 400, summary: 'The MTU is outside what the device supports' },
  QUEUE_SIZE_INVALID: { status: 400, summary: 'The queue size is not a power of two within the limit' },
  QUEUES_EXCEED_LIMIT: { status: 400, summary: 'The queue count exceeds max_virt_queues or the MSI-X budget' },
  MSIX_INVALID: { status: 400, summary: 'The MSI-X vector count is out of range' },
  FEATURES_UNSUPPORTED: { status: 400, summary: 'A feature bit is not supported by the device' },
  FEATURES_CONFLICT: { status: 400, summary: 'The feature bits contradict each other or the queue layout' },
  IB_DEVICE_UNKNOWN: { status: 400, summary: 'No such ib device on this DPU' },
  DEVICE_NOT_FOUND: { status: 404, summary: 'No device matches the selector' },
  NOT_HOTPLUG: { status: 409, summary: 'Only hot-plugged devices can be unplugged' },
  NOT_SUPPORTED: { status: 409, summary: 'The operation does not apply to this device' },
  DRIVER_BOUND: { status: 409, summary: 'The host driver is bound; unbind it first' },
  NO_FREE_HOTPLUG_PORT: { status: 409, summary: 'Every hot-plug port is in use' },
  PORT_IN_USE: { status: 409, summary: 'The hot-plug port is in use' },
  SF_NUM_IN_USE: { status: 409, summary: 'The SF number is in use' },
  MAC_IN_USE: { status: 409, summary: 'Another device has this MAC address' },
  FUNCTION_EXISTS: { status: 409, summary: 'The function already exists' },
  CONFIG_INVALID: { status: 400, summary: 'The configuration file is invalid' },
  VFS_BUSY: { status: 409, summary: 'VFs are enabled on the PF; set 0 first, as sriov_numvfs requires' },
  RECOVERY_RECORD_INVALID: { status: 400, summary: 'A recovery file is malformed or does not fit this DPU' },
  UPDATE_IN_PROGRESS: { status: 409, summary: 'A live update or restart is handing the devices over; retry when it is done' },
  UPDATE_FAILED: { status: 500, summary: 'The new controller build did not take over; the running one keeps the devices' },
  SYSTEM_ERROR: { status: 500, summary: 'A system call of the data path failed (socket, TAP, thread)' },
  NOT_STARTED: { status: 409, summary: 'The data path is not started' },
  DPU_UNAVAILABLE: { status: 503, summary: 'The DPU does not answer (its process died or is starting again); changes wait until it is back' },
  HOST_UNREACHABLE: { status: 503, summary: 'The host does not answer (vnet-host, or the VM\'s QMP socket)' },
  HOST_PLUG_FAILED: { status: 502, summary: 'The host refused to plug or unplug the device (QEMU said why)' },
  TIMEOUT: { status: 504, summary: 'The change did not take effect in time' },
  NOT_FOUND: { status: 404, summary: 'No such resource' },
  UNAUTHENTICATED: { status: 401, summary: 'No valid access token: open the login URL (virtnet dashboard) or send Authorization: Bearer <token>' },
  DAEMON_UNREACHABLE: { status: 503, summary: 'The controller is not running or its socket is unreachable' },
  CERTIFICATE_UNTRUSTED: { status: 502, summary: "The controller's TLS certificate is not one the CLI trusts (another CA, another name, expired): nothing was sent" },
  INTERNAL: { status: 500, summary: 'An internal error; the controller log has details' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The body of every failed request, on every transport (ErrorBodySchema describes it for the API document and clients). */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}

/** An error with a stable code, thrown by services and mapped to every transport. */
export class VirtnetError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'VirtnetError';
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } };
  }
}

/** The code a malformed value of a field reports, by the field's name. */
const FIELD_CODES: Record<string, ErrorCode> = {
  mac: 'MAC_INVALID',
  mac_base: 'MAC_INVALID',
  mtu: 'MTU_INVALID',
  num_queues: 'QUEUES_EXCEED_LIMIT',
  max_queue_size: 'QUEUE_SIZE_INVALID',
  num_msix: 'MSIX_INVALID',
};

/** The request field a code is about, for errors raised without a schema (the device's own checks). */
export const CODE_FIELDS: Partial<Record<ErrorCode, string>> = {
  MAC_INVALID: 'mac',
  MAC_IN_USE: 'mac',
  MTU_INVALID: 'mtu',
  QUEUES_EXCEED_LIMIT: 'num_queues',
  QUEUE_SIZE_INVALID: 'max_queue_size',
  MSIX_INVALID: 'num_msix',
  FEATURES_UNSUPPORTED: 'features',
  FEATURES_CONFLICT: 'features',
  IB_DEVICE_UNKNOWN: 'ib_device',
  SF_NUM_IN_USE: 'sf_num',
};

/**
 * Turns a failed zod parse into a VirtnetError: the first issue names the
 * field, and the field's name decides the code (INVALID_ARGUMENT otherwise).
 */
export function fromZodError(error: z.ZodError, prefix = ''): VirtnetError {
  const issue = error.issues[0]!;
  const last = issue.path.length ? String(issue.path[issue.path.length - 1]) : '';
  const code = FIELD_CODES[last] ?? 'INVALID_ARGUMENT';
  const field = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  const message = field ? `${field}: ${issue.message}` : issue.message;
  return new VirtnetError(code, message, field || undefined);
}

/** Parses `value` with `schema` or throws the VirtnetError of the first issue. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, prefix = ''): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw fromZodError(r.error, prefix);
  return r.data;
}
