/**
 * Every call the dashboard makes to the controller's REST API, in one
 * module. Responses are checked against the shared schemas; failures become
 * ApiError with the controller's stable code and the field at fault.
 */
import {
  ControllerInfoSchema,
  DeviceSchema,
  ErrorBodySchema,
  HotplugResultSchema,
  ModifyResultSchema,
  UnplugResultSchema,
  AuditEventSchema,
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

async function request<S extends z.ZodType>(schema: S, method: string, path: string, body?: unknown): Promise<z.output<S>> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError('DAEMON_UNREACHABLE', 'the controller cannot be reached');
  }
  const json: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
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
  hotplug: (body: HotplugRequest) => request(HotplugResultSchema, 'POST', '/devices', body),
  modify: (vuid: string, body: ModifyDeviceFields) => request(ModifyResultSchema, 'PATCH', `/devices/${enc(vuid)}`, body),
  modifyQueues: (vuid: string, body: ModifyQueueFields) => request(ModifyResultSchema, 'PUT', `/devices/${enc(vuid)}/queues`, body),
  unplug: (vuid: string) => request(UnplugResultSchema, 'DELETE', `/devices/${enc(vuid)}`),
  events: (limit = 50) => request(z.object({ events: z.array(AuditEventSchema) }), 'GET', `/events?limit=${limit}`),
};
