/*
 * dpu.h - the emulated DPU itself: an inventory of PCIe functions (hot-plug
 * ports of an emulated switch, static PFs, SR-IOV VFs) with their config
 * space, status and feature state, and once started, every function's
 * virtio-net device on the data path. The DPU process (tools/vnet-dpu.c)
 * serves this over the control channel (server.h); the C tests and the
 * serve tool use it in-process.
 *
 * Every call that can fail returns 0 or a negative vnet_err, and
 * dpu_last_error() describes the failure. Calls are serialised by the
 * DPU's lock and may come from any thread but the engine's own.
 *
 * Lifecycle: dpu_create(profile) -> dpu_start(params) -> dpu_fn_* ...
 *            -> dpu_destroy(power_off or not).
 */
#ifndef VNET_DPU_DPU_H
#define VNET_DPU_DPU_H

#include "vnet_abi.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dpu;

/* Checks a profile; on failure `why` names the field. */
int dpu_check_profile(const vnet_profile *p, char *why, size_t n);

/* A DPU of this profile (NULL: the default), with its counters segment. */
int dpu_create(const vnet_profile *profile, struct dpu **out);
/*
 * Destroys every function and the DPU. power_off: each function's socket
 * file and representor netdev go too (the DPU is switched off); otherwise
 * both stay for the next DPU process to take over (it was only restarted).
 */
void dpu_destroy(struct dpu *dpu, bool power_off);
const char *dpu_last_error(struct dpu *dpu);
void dpu_profile(struct dpu *dpu, vnet_profile *out);

/* Starts the data path (once): see vnet_start_params in vnet_abi.h. */
int dpu_start(struct dpu *dpu, const vnet_start_params *params);
bool dpu_started(struct dpu *dpu);
void dpu_params(struct dpu *dpu, vnet_start_params *out);
/* The representors' bus (netdev.h); *note: why no bus is held, or that the
 * one held was last another home's ("" otherwise). */
unsigned dpu_rep_bus(struct dpu *dpu, const char **note);
uint32_t dpu_function_count(struct dpu *dpu);
/* The counters segment (proto/shm.h) and its size, for clients to map. */
int dpu_counters_fd(struct dpu *dpu);
/* The control loop is alive (the counters segment's heartbeat). */
void dpu_heartbeat(struct dpu *dpu);

int dpu_fn_create(struct dpu *dpu, const vnet_fn_spec *spec, vnet_fn_info *out);
int dpu_fn_destroy(struct dpu *dpu, uint32_t handle);
int dpu_fn_modify(struct dpu *dpu, uint32_t handle, const vnet_fn_mod *mod, vnet_fn_info *out);
int dpu_fn_set_moderation(struct dpu *dpu, uint32_t handle, uint32_t mode, uint32_t period_us, uint32_t max_count);
int dpu_fn_query(struct dpu *dpu, uint32_t handle, vnet_fn_info *out);
/* Writes up to `cap` functions in handle order; *count gets the total. */
int dpu_fn_list(struct dpu *dpu, vnet_fn_info *out, uint32_t cap, uint32_t *count);
int dpu_set_idle_poll(struct dpu *dpu, uint32_t idle_poll_us);
int dpu_fn_set_backend(struct dpu *dpu, uint32_t handle, uint32_t mode, uint32_t gen_size);
/* Removes representors and socket files no function owns (vnet_dpu_sweep). */
int dpu_sweep(struct dpu *dpu, uint32_t *representors, uint32_t *sockets);
int dpu_fn_driver_write_status(struct dpu *dpu, uint32_t handle, uint8_t status);
int dpu_fn_driver_write_features(struct dpu *dpu, uint32_t handle, uint64_t features);
/* Every queue of every function, from the counters segment. */
int dpu_counters_snapshot(struct dpu *dpu, vnet_queue_counters *out, uint32_t cap, uint32_t *count);

/* virtnet debug: each queue's ring state (count = the function's queues;
 * filled when cap is enough). */
int dpu_queue_debug(struct dpu *dpu, uint32_t handle, vnet_queue_debug *out, uint32_t cap, uint32_t *count);
/* Frame captures (capture.h), owned by `owner` (a client of the control
 * socket: its captures end with its connection). */
#define DPU_MAX_CAPTURES 16
int dpu_capture_start(struct dpu *dpu, uint32_t handle, int32_t qid, uint32_t count, uint32_t snaplen, int owner, uint32_t *id);
int dpu_capture_read(struct dpu *dpu, uint32_t id, void *out, size_t cap, size_t *len, vnet_capture_state *st);
int dpu_capture_stop(struct dpu *dpu, uint32_t id);
void dpu_capture_drop_owner(struct dpu *dpu, int owner);

#endif
