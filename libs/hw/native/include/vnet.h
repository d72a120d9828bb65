/*
 * vnet.h - libvnet, the driver library of the emulated DPU.
 *
 * The emulated DPU is its own process (vnet-dpu): it owns the inventory of
 * PCIe functions, every vhost-user socket, the data-path threads, the SF
 * representors and the counters, and it outlives whoever manages it, as a
 * DPU's hardware outlives its controller. libvnet is what the controller
 * loads to manage it: each call is one request over the DPU's control
 * socket, answered before the call returns; the per-queue counters are read
 * from a shared-memory segment the DPU publishes, with no request at all.
 *
 * Conventions
 *  - One opaque context (vnet_dpu) per connection; no global state.
 *  - Every call that can fail returns 0 on success or a negative vnet_err;
 *    vnet_dpu_last_error() then describes the failure in one line.
 *  - The library never prints and never calls back into its caller.
 *  - Calls on one context are serialised by its lock and may come from any
 *    thread. A request the DPU does not answer within the context's timeout
 *    fails with VNET_E_DPU_UNAVAILABLE, and so does every later one: a
 *    context whose DPU went away stays unusable; connect a new one.
 *
 * Lifecycle: vnet_dpu_connect -> [vnet_dpu_provision, once per DPU power-on]
 *            -> vnet_fn_create/modify/destroy ... -> vnet_dpu_disconnect
 *            (the functions stay: they belong to the DPU, not the context).
 */
#ifndef VNET_H
#define VNET_H

#include "vnet_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define VNET_API __attribute__((visibility("default")))
#else
#define VNET_API
#endif

typedef struct vnet_dpu vnet_dpu;

VNET_API uint32_t vnet_abi_version(void);
/* sizeof of the ABI structs, so a binding can check its layout at load:
 * 0 profile, 1 fn_spec, 2 fn_mod, 3 fn_info, 4 queue_counters,
 * 5 start_params, 6 dpu_state. */
VNET_API uint32_t vnet_abi_struct_size(uint32_t which);
VNET_API const char *vnet_strerror(int err);
VNET_API const char *vnet_err_name(int err);

/* Fills *profile with the embedded default (the profile of the README). */
VNET_API void vnet_profile_default(vnet_profile *profile);

/* Connects to the DPU process listening at control_path. timeout_ms bounds
 * every request of the context (0: 10 s). On failure *out is still a
 * context (or NULL when out of memory) whose last error says why; destroy
 * it with vnet_dpu_disconnect. */
VNET_API int vnet_dpu_connect(const char *control_path, uint32_t timeout_ms, vnet_dpu **out);
VNET_API void vnet_dpu_disconnect(vnet_dpu *dpu);
VNET_API const char *vnet_dpu_last_error(vnet_dpu *dpu);

/* 1 while the DPU process holds its end of the connection, 0 once it is
 * gone (a crash closes it at once). Never blocks and never sends anything. */
VNET_API int vnet_dpu_alive(vnet_dpu *dpu);

/* How long ago (ms) the DPU's control loop last showed it was alive, read
 * from the counters segment without asking the DPU anything: a process
 * that is stopped or stuck holds its socket open but its heartbeat stands
 * still. VNET_E_NOT_PROVISIONED before provisioning, VNET_E_NOT_SUPPORTED
 * with a DPU that keeps none. */
VNET_API int vnet_dpu_heartbeat_age(vnet_dpu *dpu, uint32_t *age_ms);

/* ---- virtnet debug ----
 * A DPU of an older build answers these with VNET_E_NOT_SUPPORTED. */

/* Each queue's ring as the device and the driver see it, with its last
 * descriptor errors: *count is the function's queue count, out is filled
 * with up to cap of them. */
VNET_API int vnet_fn_queue_debug(vnet_dpu *dpu, uint32_t handle, vnet_queue_debug *out, uint32_t cap, uint32_t *count);
/* Starts capturing the frames of queue qid (-1: every queue) of a function
 * where they meet its representor, `count` of them cut to `snaplen` bytes
 * (64-65535). One capture per function; at most 16 in all. The capture ends
 * with its count, with vnet_capture_stop, with the function, or with this
 * connection. */
VNET_API int vnet_capture_start(vnet_dpu *dpu, uint32_t handle, int32_t qid, uint32_t count, uint32_t snaplen, uint32_t *id);
/* Moves the frames captured since the last read into buf (vnet_capture_rec
 * records, at most cap bytes; *len says how many) and says where the
 * capture stands. */
VNET_API int vnet_capture_read(vnet_dpu *dpu, uint32_t id, void *buf, uint32_t cap, uint32_t *len, vnet_capture_state *st);
VNET_API int vnet_capture_stop(vnet_dpu *dpu, uint32_t id);

/* What the DPU process says of itself (one request). */
VNET_API int vnet_dpu_describe(vnet_dpu *dpu, vnet_dpu_state *out);

/* Gives a DPU that has just powered on its profile and data-path settings,
 * once: VNET_E_ALREADY_PROVISIONED afterwards (read vnet_dpu_describe to see
 * what it runs with; a different profile needs a power cycle). */
VNET_API int vnet_dpu_provision(vnet_dpu *dpu, const vnet_profile *profile,
                                const vnet_start_params *params);

/* Powers the DPU off: every function is destroyed (its socket file and its
 * representor netdev removed) and the process exits after answering. */
VNET_API int vnet_dpu_shutdown(vnet_dpu *dpu);

VNET_API int vnet_dpu_profile(vnet_dpu *dpu, vnet_profile *out);

VNET_API int vnet_fn_create(vnet_dpu *dpu, const vnet_fn_spec *spec, vnet_fn_info *out);
VNET_API int vnet_fn_destroy(vnet_dpu *dpu, uint32_t handle);
VNET_API int vnet_fn_modify(vnet_dpu *dpu, uint32_t handle, const vnet_fn_mod *mod, vnet_fn_info *out);
VNET_API int vnet_fn_set_moderation(vnet_dpu *dpu, uint32_t handle, uint32_t mode,
                                    uint32_t period_us, uint32_t max_count);
VNET_API int vnet_fn_query(vnet_dpu *dpu, uint32_t handle, vnet_fn_info *out);
/* Writes up to `cap` functions in handle order; *count gets the total. */
VNET_API int vnet_fn_list(vnet_dpu *dpu, vnet_fn_info *out, uint32_t cap, uint32_t *count);

/* Changes the idle poll of vnet_start_params at run time. */
VNET_API int vnet_dpu_set_idle_poll(vnet_dpu *dpu, uint32_t idle_poll_us);

/* Changes what the device side does with a function's packets. */
VNET_API int vnet_fn_set_backend(vnet_dpu *dpu, uint32_t handle, uint32_t mode, uint32_t gen_size);

/* Removes what no function owns any more: TAP representors whose alias
 * names this DPU's socket directory (an unplug cut short), and, in server
 * mode, socket files in that directory (a DPU killed mid-way). Either
 * count pointer may be NULL. */
VNET_API int vnet_dpu_sweep(vnet_dpu *dpu, uint32_t *representors, uint32_t *sockets);

/* The driver side of the status register and feature negotiation, as a
 * host writes them through the transport (virtio 1.2, 3.1.1), for a device
 * no vhost-user front-end drives. */
VNET_API int vnet_fn_driver_write_status(vnet_dpu *dpu, uint32_t handle, uint8_t status);
VNET_API int vnet_fn_driver_write_features(vnet_dpu *dpu, uint32_t handle, uint64_t features);

/* Copies the counters of every queue of every function from the shared
 * segment, with no request: *count gets the total number of queues. */
VNET_API int vnet_counters_snapshot(vnet_dpu *dpu, vnet_queue_counters *out, uint32_t cap,
                                    uint32_t *count);

#ifdef __cplusplus
}
#endif
#endif
