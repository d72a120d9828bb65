/**
 * The JSON-RPC 2.0 methods the CLI calls over the controller's unix socket.
 * Each topic module names its methods with their params and result schema;
 * the controller's dispatch table and the CLI's client are both typed from
 * the table they make together.
 */
import type { z } from 'zod';
import { DEBUG_METHODS } from './debug.js';
import { DEVICE_METHODS } from './devices.js';
import { HOST_METHODS } from './host.js';
import { HOTPLUG_METHODS } from './hotplug.js';
import { LOG_METHODS } from './log.js';
import { MODIFY_METHODS } from './modify.js';
import { OPERATION_METHODS } from './operations.js';
import { RECOVERY_METHODS } from './recovery.js';
import { SRIOV_METHODS } from './sriov.js';
import { STATS_METHODS } from './stats.js';
import { SYSTEM_METHODS } from './system.js';
import { UPDATE_METHODS } from './update.js';
import { VALIDATE_METHODS } from './validate.js';

export const RPC_METHODS = {
  ...DEVICE_METHODS,
  ...HOTPLUG_METHODS,
  ...MODIFY_METHODS,
  ...STATS_METHODS,
  ...SYSTEM_METHODS,
  ...HOST_METHODS,
  ...LOG_METHODS,
  ...VALIDATE_METHODS,
  ...SRIOV_METHODS,
  ...RECOVERY_METHODS,
  ...UPDATE_METHODS,
  ...OPERATION_METHODS,
  ...DEBUG_METHODS,
} as const;

export type RpcMethod = keyof typeof RPC_METHODS;
export type RpcMethodSpec<M extends RpcMethod> = (typeof RPC_METHODS)[M];
export type RpcParams<M extends RpcMethod> = z.input<RpcMethodSpec<M>['params']>;
/** A method's params once its schema has checked them: what the controller's services take. */
export type RpcArgs<M extends RpcMethod> = z.output<RpcMethodSpec<M>['params']>;
export type RpcResult<M extends RpcMethod> = z.output<RpcMethodSpec<M>['result']>;

/** JSON-RPC error code used for every application error; `data` carries the stable code. */
export const RPC_APP_ERROR = -32000;
