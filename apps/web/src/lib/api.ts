/**
 * Every call the dashboard makes to the controller's REST API, in one
 * module. Responses are checked against the shared schemas; failures become
 * ApiError with the controller's stable code and the field at fault. The
 * browser sends the access cookie itself (set by /login); a 401 means the
 * sign-in is gone, and the app says so.
 */
import {
  AuditEventSchema,
  ControllerInfoSchema,
  DeviceSchema,
  ErrorBodySchema,
  HealthResultSchema,
  HostStatusSchema,
  HotplugResultSchema,
  ModifyResultSchema,
  OperationSchema,
  SetVfsResultSchema,
  SriovStatusSchema,
  TelemetryHistorySchema,
  UnplugResultSchema,
  UpdateStatusSchema,
  VersionResultSchema,
  type BulkRequest,
  type HotplugRequest,
  type ModifyDeviceFields,
  type ModifyQueueFields,
} from '@virtnet/shared';
import { z } from 'zod';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const unauthenticated = new Set<() => void>();
/** Called when the controller answers 401 (token changed, cookie gone). */
export function onUnauthenticated(listener: () => void): () => void {
  unauthenticated.add(listener);
  return () => unauthenticated.delete(listener);
}

async function request<S extends z.ZodType>(schema: S, method: string, path: string, body?: unknown): Promise<z.output<S>> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError('DAEMON_UNREACHABLE', 'the controller cannot be reached');
  }
  const json: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    if (res.status === 401) for (const l of unauthenticated) l();
    const e = ErrorBodySchema.safeParse(json);
    if (e.success) throw new ApiError(e.data.error.code, e.data.error.message, e.data.error.field);
    throw new ApiError('INTERNAL', `HTTP ${res.status}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ApiError('INTERNAL', `unexpected answer from ${path}`);
  return parsed.data;
}

const enc = encodeURIComponent;

export const api = {
  controller: () => request(ControllerInfoSchema, 'GET', '/controller'),
  devices: () => request(z.object({ devices: z.array(DeviceSchema) }), 'GET', '/devices'),
  device: (vuid: string) => request(DeviceSchema, 'GET', `/devices/${enc(vuid)}`),
  history: (vuid: string) => request(TelemetryHistorySchema, 'GET', `/devices/${enc(vuid)}/history`),
  hotplug: (body: HotplugRequest) => request(HotplugResultSchema, 'POST', '/devices', body),
  modify: (vuid: string, body: ModifyDeviceFields) => request(ModifyResultSchema, 'PATCH', `/devices/${enc(vuid)}`, body),
  modifyQueues: (vuid: string, body: ModifyQueueFields) => request(ModifyResultSchema, 'PUT', `/devices/${enc(vuid)}/queues`, body),
  unplug: (vuid: string) => request(UnplugResultSchema, 'DELETE', `/devices/${enc(vuid)}`),
  bulk: (body: BulkRequest) => request(OperationSchema, 'POST', '/operations', body),
  operations: () => request(z.object({ operations: z.array(OperationSchema) }), 'GET', '/operations'),
  host: () => request(HostStatusSchema, 'GET', '/host'),
  hostAction: (vuid: string, action: 'unbind' | 'bind') => request(HostStatusSchema, 'POST', `/host/devices/${enc(vuid)}/${action}`, {}),
  events: (limit = 200, before?: number) =>
    request(z.object({ events: z.array(AuditEventSchema) }), 'GET', `/events?limit=${limit}${before ? `&before=${before}` : ''}`),
  version: () => request(VersionResultSchema, 'GET', '/version'),
  health: () => request(HealthResultSchema, 'GET', '/health'),
  update: () => request(UpdateStatusSchema, 'GET', '/update'),
  sriov: () => request(SriovStatusSchema, 'GET', '/sriov'),
  /** The host writes sriov_numvfs of a static PF; answered when every VF exists (progress: the set_vfs operation). */
  setVfs: (pf: number, numVfs: number) => request(SetVfsResultSchema, 'PUT', `/host/pfs/${pf}/sriov`, { num_vfs: numVfs }),
};
