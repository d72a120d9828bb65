/**
 * The OpenAPI document of /api/v1, generated from the same zod schemas that
 * validate the requests (libs/shared).
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import {
  AuditEventSchema,
  ControllerInfoSchema,
  DeviceSchema,
  ErrorBodySchema,
  HealthResultSchema,
  HotplugRequestSchema,
  HotplugResultSchema,
  ModifyDeviceFieldsSchema,
  ModifyQueueFieldsSchema,
  ModifyResultSchema,
  StatsResultSchema,
  CaptureParamsSchema,
  CaptureResultSchema,
  DebugResultSchema,
  HostStatusSchema,
  HostProfileSchema,
  OperationSchema,
  BulkRequestSchema,
  TelemetryHistorySchema,
  SetVfsResultSchema,
  SriovStatusSchema,
  UpdateStatusSchema,
  UnplugResultSchema,
  VersionResultSchema,
} from '@virtnet/shared';
import { z } from 'zod';

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

interface Route {
  method: Method;
  path: string;
  summary: string;
  body?: z.ZodType;
  ok: { status: number; schema: z.ZodType };
  errors?: number[];
}

const vuidParam = z.object({ vuid: z.string().describe('VUID of the device') });
const idParam = z.object({ id: z.string().describe('Operation id') });
const pfParam = z.object({ pf: z.string().describe('pf_id of a static PF') });

const RpcRequestSchema = z.object({
  jsonrpc: z.literal('2.0'),
  id: z.union([z.number(), z.string()]).describe('Echoed in the answer; without it the request is a notification (204)'),
  method: z.string().describe('A method of the CLI socket: list, query, hotplug, modify_device, ... (libs/shared/src/rpc.ts)'),
  params: z.record(z.string(), z.unknown()).optional(),
});
const RpcResponseSchema = z.object({
  jsonrpc: z.literal('2.0'),
  id: z.union([z.number(), z.string(), z.null()]),
  result: z.unknown().optional().describe("The method's result, as on the socket"),
  error: z
    .object({ code: z.number().describe('-32000 for an application error'), message: z.string(), data: z.object({ code: z.string().describe('The stable error code'), field: z.string().optional() }).optional() })
    .optional(),
});

export const ROUTES: Route[] = [
  { method: 'get', path: '/api/v1/controller', summary: 'The emulated DPU: inventory, limits, features', ok: { status: 200, schema: ControllerInfoSchema } },
  { method: 'get', path: '/api/v1/devices', summary: 'Every device (no queues)', ok: { status: 200, schema: z.object({ devices: z.array(DeviceSchema) }) } },
  { method: 'post', path: '/api/v1/devices', summary: 'Hot-plug a device', body: HotplugRequestSchema, ok: { status: 201, schema: HotplugResultSchema }, errors: [400, 409] },
  { method: 'get', path: '/api/v1/devices/{vuid}', summary: 'One device with its queues', ok: { status: 200, schema: DeviceSchema }, errors: [404] },
  { method: 'get', path: '/api/v1/devices/{vuid}/stats', summary: 'Per-queue counters and size histogram (?queue=N for one)', ok: { status: 200, schema: StatsResultSchema }, errors: [400, 404] },
  { method: 'get', path: '/api/v1/devices/{vuid}/debug', summary: "Each queue's ring as the device and the driver see it, and its last descriptor errors (?queue_id=N for one)", ok: { status: 200, schema: DebugResultSchema }, errors: [400, 404] },
  { method: 'post', path: '/api/v1/devices/{vuid}/debug/capture', summary: 'Capture frames where the queues meet the representor; the answer holds the pcap file (base64). Audited', body: CaptureParamsSchema.omit({ selector: true }), ok: { status: 200, schema: CaptureResultSchema }, errors: [400, 404] },
  { method: 'patch', path: '/api/v1/devices/{vuid}', summary: 'Modify MAC, MTU, features, queue size or MSI-X (driver unbound)', body: ModifyDeviceFieldsSchema, ok: { status: 200, schema: ModifyResultSchema }, errors: [400, 404, 409] },
  { method: 'put', path: '/api/v1/devices/{vuid}/queues', summary: 'Set interrupt moderation of every queue', body: ModifyQueueFieldsSchema, ok: { status: 200, schema: ModifyResultSchema }, errors: [400, 404] },
  { method: 'delete', path: '/api/v1/devices/{vuid}', summary: 'Unplug a hot-plugged device', ok: { status: 200, schema: UnplugResultSchema }, errors: [404, 409] },
  { method: 'get', path: '/api/v1/host', summary: 'The host side: mode, vnet-host, what its driver sees of each device', ok: { status: 200, schema: HostStatusSchema } },
  { method: 'post', path: '/api/v1/host/devices/{vuid}/unbind', summary: 'The sim host unbinds its driver (device status goes to 0)', ok: { status: 200, schema: HostStatusSchema }, errors: [404, 409, 503, 504] },
  { method: 'post', path: '/api/v1/host/devices/{vuid}/bind', summary: 'The sim host binds its driver again (probe, DRIVER_OK)', ok: { status: 200, schema: HostStatusSchema }, errors: [404, 409, 503, 504] },
  { method: 'post', path: '/api/v1/host/devices/{vuid}/profile', summary: 'Traffic the sim host runs on the device', body: z.object({ profile: HostProfileSchema }), ok: { status: 200, schema: HostStatusSchema }, errors: [400, 404, 409] },
  { method: 'get', path: '/api/v1/events', summary: 'The audit log, newest first', ok: { status: 200, schema: z.object({ events: z.array(AuditEventSchema) }) } },
  { method: 'get', path: '/api/v1/operations', summary: 'Running and recent bulk operations with their progress', ok: { status: 200, schema: z.object({ operations: z.array(OperationSchema) }) } },
  { method: 'post', path: '/api/v1/operations', summary: 'Apply one change (moderation or device settings) to many devices as an operation with progress', body: BulkRequestSchema, ok: { status: 202, schema: OperationSchema }, errors: [400, 404] },
  { method: 'get', path: '/api/v1/devices/{vuid}/history', summary: 'Per-queue rates of the last 5 minutes (recorded while a dashboard is connected)', ok: { status: 200, schema: TelemetryHistorySchema }, errors: [404] },
  { method: 'get', path: '/api/v1/operations/{id}', summary: 'One operation', ok: { status: 200, schema: OperationSchema }, errors: [404] },
  { method: 'get', path: '/api/v1/sriov', summary: "Each static PF's SR-IOV state: total and enabled VFs", ok: { status: 200, schema: SriovStatusSchema } },
  { method: 'put', path: '/api/v1/host/pfs/{pf}/sriov', summary: 'The host writes sriov_numvfs of a static PF (0 removes its VFs); progress as the set_vfs operation', body: z.object({ num_vfs: z.number().int().min(0).max(255) }), ok: { status: 200, schema: SetVfsResultSchema }, errors: [400, 404, 409] },
  { method: 'get', path: '/api/v1/update', summary: 'Live update / restart: status and the last result', ok: { status: 200, schema: UpdateStatusSchema } },
  { method: 'get', path: '/api/v1/version', summary: 'Versions', ok: { status: 200, schema: VersionResultSchema } },
  { method: 'get', path: '/api/v1/health', summary: 'Health of database, hardware and recovery', ok: { status: 200, schema: HealthResultSchema } },
  {
    method: 'post',
    path: '/api/v1/rpc',
    summary: "One JSON-RPC 2.0 request of the CLI's socket, for a CLI on another machine; the answer is JSON-RPC with HTTP 200, errors included",
    body: RpcRequestSchema,
    ok: { status: 200, schema: RpcResponseSchema },
    errors: [400],
  },
];

export function buildOpenApi(version: string): object {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'The access token ($VIRTNET_HOME/token; virtnet dashboard prints it)' });
  const error = ErrorBodySchema;
  for (const r of ROUTES) {
    const responses: Record<string, { description: string; content: { 'application/json': { schema: z.ZodType } } }> = {
      [r.ok.status]: { description: 'Success', content: { 'application/json': { schema: r.ok.schema } } },
    };
    for (const status of r.errors ?? []) responses[status] = { description: 'Error with a stable code', content: { 'application/json': { schema: error } } };
    registry.registerPath({
      method: r.method,
      path: r.path,
      summary: r.summary,
      ...(r.path.includes('{vuid}') ? { request: { params: vuidParam } } : {}),
      ...(r.path.includes('{id}') ? { request: { params: idParam } } : {}),
      ...(r.body
        ? { request: { ...(r.path.includes('{vuid}') ? { params: vuidParam } : r.path.includes('{pf}') ? { params: pfParam } : {}), body: { content: { 'application/json': { schema: r.body } } } } }
        : {}),
      responses,
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'virtnet controller API', version },
    security: [{ bearer: [] }],
  });
}
