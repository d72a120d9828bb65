/*
 * counters.h - the DPU's side of the counters segment (proto/shm.h): a
 * memfd sized for every position the profile has, mapped read-write here
 * and handed to clients, which map it read-only.
 */
#ifndef VNET_DPU_COUNTERS_H
#define VNET_DPU_COUNTERS_H

#include "proto/shm.h"
#include "vnet_abi.h"

#include <stdint.h>

struct counters {
    int fd;
    uint8_t *base;
    size_t size;
    struct shm_header *hdr;
    struct shm_fn *dir;
    vnet_queue_counters *slots;
};

/* 0 or -errno. */
int counters_create(struct counters *c, uint32_t positions, uint32_t queues_per_fn);
void counters_destroy(struct counters *c);

/* Zeroes position `pos`'s slots and returns them, for a function of `nq`
 * queues about to be created there. Publish with counters_publish. */
vnet_queue_counters *counters_claim(struct counters *c, uint32_t pos);
void counters_publish(struct counters *c, uint32_t pos, uint32_t handle, uint16_t nq);
/* The position is empty again (its slots may be reused). */
void counters_release(struct counters *c, uint32_t pos);
/* The control loop is alive: stores the heartbeat (shm.h). */
void counters_heartbeat(struct counters *c);

#endif
