/**
 * What a CLI call loads on use: each JSON-RPC method's schemas, by loading
 * only the topic module that defines them, and the configuration checks of
 * `virtnet validate`. A CLI process runs one command: building the schemas
 * of every method at start would cost it more than the call itself, so it
 * reaches them through here rather than through RPC_METHODS or the package
 * index (a bundler keeps each module below unevaluated until it is asked for).
 */
import type { RpcMethod, RpcMethodSpec } from './rpc.js';

type Loaders = { [M in RpcMethod]: () => Promise<RpcMethodSpec<M>> };

const LOADERS: Loaders = {
  list: () => import('./devices.js').then((m) => m.DEVICE_METHODS.list),
  query: () => import('./devices.js').then((m) => m.DEVICE_METHODS.query),
  hotplug: () => import('./hotplug.js').then((m) => m.HOTPLUG_METHODS.hotplug),
  unplug: () => import('./hotplug.js').then((m) => m.HOTPLUG_METHODS.unplug),
  modify_device: () => import('./modify.js').then((m) => m.MODIFY_METHODS.modify_device),
  modify_queue: () => import('./modify.js').then((m) => m.MODIFY_METHODS.modify_queue),
  stats: () => import('./stats.js').then((m) => m.STATS_METHODS.stats),
  version: () => import('./system.js').then((m) => m.SYSTEM_METHODS.version),
  health: () => import('./system.js').then((m) => m.SYSTEM_METHODS.health),
  dashboard: () => import('./system.js').then((m) => m.SYSTEM_METHODS.dashboard),
  host: () => import('./host.js').then((m) => m.HOST_METHODS.host),
  host_action: () => import('./host.js').then((m) => m.HOST_METHODS.host_action),
  log: () => import('./log.js').then((m) => m.LOG_METHODS.log),
  validate: () => import('./validate.js').then((m) => m.VALIDATE_METHODS.validate),
  set_vfs: () => import('./sriov.js').then((m) => m.SRIOV_METHODS.set_vfs),
  sriov: () => import('./sriov.js').then((m) => m.SRIOV_METHODS.sriov),
  recovery_import: () => import('./recovery.js').then((m) => m.RECOVERY_METHODS.recovery_import),
  recovery_export: () => import('./recovery.js').then((m) => m.RECOVERY_METHODS.recovery_export),
  update_start: () => import('./update.js').then((m) => m.UPDATE_METHODS.update_start),
  update_status: () => import('./update.js').then((m) => m.UPDATE_METHODS.update_status),
  restart: () => import('./update.js').then((m) => m.UPDATE_METHODS.restart),
  operations: () => import('./operations.js').then((m) => m.OPERATION_METHODS.operations),
  debug: () => import('./debug.js').then((m) => m.DEBUG_METHODS.debug),
  debug_capture: () => import('./debug.js').then((m) => m.DEBUG_METHODS.debug_capture),
};

/** The params and result schema of `method`, the same objects RPC_METHODS holds. */
export function loadRpcMethod<M extends RpcMethod>(method: M): Promise<RpcMethodSpec<M>> {
  return (LOADERS[method] as () => Promise<RpcMethodSpec<M>>)();
}

/** The checks the controller applies to its configuration files at start (jsonc-parser and the configuration schemas with them). */
export function loadConfigCheck(): Promise<typeof import('./config-check.js')> {
  return import('./config-check.js');
}
