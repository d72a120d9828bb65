/*
 * device.h - a function's device from creation to destruction: its queues
 * and counters always; once the data path runs, its vhost-user socket and
 * its representor.
 */
#ifndef VNET_DPU_DEVICE_H
#define VNET_DPU_DEVICE_H

#include "dev_state.h"

/* A device for `info` whose queue counters live at `counters` (info->num_queues
 * slots, zeroed by the caller). NULL when out of memory. */
struct dev *device_new(struct dev_env *env, const vnet_fn_info *info, vnet_queue_counters *counters);

/* Opens the data path: the socket <sock_dir>/<vuid>.sock (listening, or
 * connecting in client mode) and the representor. 0, or -errno with why. */
int device_open(struct dev *d, const char *vuid, const char *sf_rep, char *why, size_t n);

/*
 * Tears the device down and frees it. No thread may be inside it once this
 * returns. With `keep`, the socket file and a TAP representor stay, as
 * after a crash (the DPU process is going away, not the device); without,
 * both are removed (the device is destroyed). Caller holds no lock.
 */
void device_destroy(struct dev *d, bool keep);

/* The config space and limits the driver sees; caller holds the inventory lock. */
void device_set_config(struct dev *d, const vnet_fn_info *info);
/* Fills the live part of a function's info (status, connection, queues). */
void device_fill_info(struct dev *d, vnet_fn_info *info);

/* Changes the representor side (enum vnet_backend). 0 or -errno, note set. */
int device_set_backend(struct dev *d, uint8_t mode, uint16_t gen_size);

/* Client mode: connects to the front-end's socket if not connected. On
 * the control thread. */
void device_reconnect(struct dev *d);

/* Removes a representor netdev no device owns any more; 0 or -errno. */
int device_remove_representor(const char *name);

#endif
