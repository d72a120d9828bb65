/**
 * The JSON-RPC 2.0 methods the CLI calls over the controller's unix socket.
 * Each method names its params and result schema; the controller's dispatch
 * table and the CLI's client are both typed from this one table.
 */
import { z } from 'zod';
import {
  DashboardResultSchema,
  HealthResultSchema,
  HostActionParamsSchema,
  HostStatusSchema,
  HotplugRequestSchema,
  HotplugResultSchema,
  ListResultSchema,
  ModifyDeviceParamsSchema,
  ModifyQueueParamsSchema,
  ModifyResultSchema,
  QueryParamsSchema,
  QueryResultSchema,
  StatsParamsSchema,
  StatsResultSchema,
  UnplugParamsSchema,
  UnplugResultSchema,
  VersionResultSchema,
} from './schemas.js';

const NoParams = z.object({}).strict();

export const RPC_METHODS = {
  list: { params: NoParams, result: ListResultSchema },
  query: { params: QueryParamsSchema, result: QueryResultSchema },
  hotplug: { params: HotplugRequestSchema, result: HotplugResultSchema },
  unplug: { params: UnplugParamsSchema, result: UnplugResultSchema },
  modify_device: { params: ModifyDeviceParamsSchema, result: ModifyResultSchema },
  modify_queue: { params: ModifyQueueParamsSchema, result: ModifyResultSchema },
  stats: { params: StatsParamsSchema, result: StatsResultSchema },
  version: { params: NoParams, result: VersionResultSchema },
  health: { params: NoParams, result: HealthResultSchema },
  host: { params: NoParams, result: HostStatusSchema },
  host_action: { params: HostActionParamsSchema, result: HostStatusSchema },
  dashboard: { params: NoParams, result: DashboardResultSchema },
} as const;

export type RpcMethod = keyof typeof RPC_METHODS;
export type RpcParams<M extends RpcMethod> = z.input<(typeof RPC_METHODS)[M]['params']>;
export type RpcResult<M extends RpcMethod> = z.output<(typeof RPC_METHODS)[M]['result']>;

/** JSON-RPC error code used for every application error; `data` carries the stable code. */
export const RPC_APP_ERROR = -32000;
