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
  OperationSchema,
  QueryParamsSchema,
  QueryResultSchema,
  StatsParamsSchema,
  StatsResultSchema,
  UnplugParamsSchema,
  UnplugResultSchema,
  VersionResultSchema,
} from './schemas.js';
import {
  LogParamsSchema,
  LogResultSchema,
  RecoveryExportResultSchema,
  RecoveryImportParamsSchema,
  RecoveryImportResultSchema,
  SetVfsParamsSchema,
  SetVfsResultSchema,
  SriovStatusSchema,
  UpdateStartResultSchema,
  UpdateStatusSchema,
  ValidateParamsSchema,
  ValidateResultSchema,
} from './parity.js';

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
  log: { params: LogParamsSchema, result: LogResultSchema },
  validate: { params: ValidateParamsSchema, result: ValidateResultSchema },
  set_vfs: { params: SetVfsParamsSchema, result: SetVfsResultSchema },
  sriov: { params: NoParams, result: SriovStatusSchema },
  recovery_import: { params: RecoveryImportParamsSchema, result: RecoveryImportResultSchema },
  recovery_export: { params: NoParams, result: RecoveryExportResultSchema },
  update_start: { params: NoParams, result: UpdateStartResultSchema },
  update_status: { params: NoParams, result: UpdateStatusSchema },
  restart: { params: NoParams, result: UpdateStartResultSchema },
  operations: { params: NoParams, result: z.object({ operations: z.array(OperationSchema) }) },
} as const;

export type RpcMethod = keyof typeof RPC_METHODS;
export type RpcParams<M extends RpcMethod> = z.input<(typeof RPC_METHODS)[M]['params']>;
export type RpcResult<M extends RpcMethod> = z.output<(typeof RPC_METHODS)[M]['result']>;

/** JSON-RPC error code used for every application error; `data` carries the stable code. */
export const RPC_APP_ERROR = -32000;
