/**
 * Layer 2 of the binding: one declarative table of the C functions of
 * vnet.h. Every function that can fail returns 0 or a negative vnet_err.
 */
import type { LibraryHandle } from 'koffi';
import './types.js';

const PROTOTYPES = {
  vnet_abi_version: 'uint32_t vnet_abi_version(void)',
  vnet_abi_struct_size: 'uint32_t vnet_abi_struct_size(uint32_t which)',
  vnet_strerror: 'const char *vnet_strerror(int err)',
  vnet_err_name: 'const char *vnet_err_name(int err)',
  vnet_profile_default: 'void vnet_profile_default(_Out_ vnet_profile *profile)',
  vnet_dpu_connect: 'int vnet_dpu_connect(const char *control_path, uint32_t timeout_ms, _Out_ vnet_dpu **out)',
  vnet_dpu_disconnect: 'void vnet_dpu_disconnect(vnet_dpu *dpu)',
  vnet_dpu_last_error: 'const char *vnet_dpu_last_error(vnet_dpu *dpu)',
  vnet_dpu_alive: 'int vnet_dpu_alive(vnet_dpu *dpu)',
  vnet_dpu_heartbeat_age: 'int vnet_dpu_heartbeat_age(vnet_dpu *dpu, _Out_ uint32_t *age_ms)',
  vnet_fn_queue_debug: 'int vnet_fn_queue_debug(vnet_dpu *dpu, uint32_t handle, void *out, uint32_t cap, _Out_ uint32_t *count)',
  vnet_capture_start: 'int vnet_capture_start(vnet_dpu *dpu, uint32_t handle, int32_t qid, uint32_t count, uint32_t snaplen, _Out_ uint32_t *id)',
  vnet_capture_read: 'int vnet_capture_read(vnet_dpu *dpu, uint32_t id, void *buf, uint32_t cap, _Out_ uint32_t *len, _Out_ vnet_capture_state *st)',
  vnet_capture_stop: 'int vnet_capture_stop(vnet_dpu *dpu, uint32_t id)',
  vnet_dpu_describe: 'int vnet_dpu_describe(vnet_dpu *dpu, _Out_ vnet_dpu_state *out)',
  vnet_dpu_provision: 'int vnet_dpu_provision(vnet_dpu *dpu, const vnet_profile *profile, const vnet_start_params *params)',
  vnet_dpu_shutdown: 'int vnet_dpu_shutdown(vnet_dpu *dpu)',
  vnet_dpu_profile: 'int vnet_dpu_profile(vnet_dpu *dpu, _Out_ vnet_profile *out)',
  vnet_fn_create: 'int vnet_fn_create(vnet_dpu *dpu, const vnet_fn_spec *spec, _Out_ vnet_fn_info *out)',
  vnet_fn_destroy: 'int vnet_fn_destroy(vnet_dpu *dpu, uint32_t handle)',
  vnet_fn_modify: 'int vnet_fn_modify(vnet_dpu *dpu, uint32_t handle, const vnet_fn_mod *mod, _Out_ vnet_fn_info *out)',
  vnet_fn_set_moderation:
    'int vnet_fn_set_moderation(vnet_dpu *dpu, uint32_t handle, uint32_t mode, uint32_t period_us, uint32_t max_count)',
  vnet_fn_query: 'int vnet_fn_query(vnet_dpu *dpu, uint32_t handle, _Out_ vnet_fn_info *out)',
  vnet_fn_list: 'int vnet_fn_list(vnet_dpu *dpu, void *out, uint32_t cap, _Out_ uint32_t *count)',
  vnet_fn_driver_write_status: 'int vnet_fn_driver_write_status(vnet_dpu *dpu, uint32_t handle, uint8_t status)',
  vnet_fn_driver_write_features: 'int vnet_fn_driver_write_features(vnet_dpu *dpu, uint32_t handle, uint64_t features)',
  vnet_dpu_set_idle_poll: 'int vnet_dpu_set_idle_poll(vnet_dpu *dpu, uint32_t idle_poll_us)',
  vnet_fn_set_backend: 'int vnet_fn_set_backend(vnet_dpu *dpu, uint32_t handle, uint32_t mode, uint32_t gen_size)',
  vnet_dpu_sweep: 'int vnet_dpu_sweep(vnet_dpu *dpu, _Out_ uint32_t *representors, _Out_ uint32_t *sockets)',
  vnet_counters_snapshot: 'int vnet_counters_snapshot(vnet_dpu *dpu, void *out, uint32_t cap, _Out_ uint32_t *count)',
} as const;

export type NativeName = keyof typeof PROTOTYPES;
// koffi's functions are untyped; the call sites in native-hardware.ts give each call its shape.
type KoffiFunction = ReturnType<LibraryHandle['func']>;
export type NativeFunctions = Record<NativeName, KoffiFunction>;

export function bindFunctions(lib: LibraryHandle): NativeFunctions {
  const out = {} as NativeFunctions;
  for (const [name, prototype] of Object.entries(PROTOTYPES) as [NativeName, string][]) {
    out[name] = lib.func(prototype);
  }
  return out;
}
