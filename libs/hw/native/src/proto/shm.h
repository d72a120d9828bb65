/*
 * shm.h - the counters segment the DPU process publishes: a memfd it maps
 * read-write and hands to each client at HELLO, which maps it read-only.
 * The data path writes each queue's counters in place, so a client reads
 * every queue of every function without asking the DPU anything.
 *
 * Layout: a header, then a directory with one entry per position a
 * function can occupy (hot-plug ports, static PFs, VFs: at most one
 * function each at a time), then queues_per_fn counter slots per entry.
 * An entry's handle is 0 while its position is empty; it is published
 * (release) after the slots are reset and cleared before they are reused,
 * and every slot repeats its function's handle, so a reader racing a
 * destroy and create skips what no longer belongs to the handle it read.
 * Counters are 64-bit words written by one thread each: a reader sees each
 * whole, the set of them as of some moment during its copy.
 */
#ifndef VNET_PROTO_SHM_H
#define VNET_PROTO_SHM_H

#include "vnet_abi.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SHM_MAGIC 0x4d48534eu /* "NSHM" */
#define SHM_VERSION 1u

struct shm_header {
    uint32_t magic;
    uint32_t version;
    uint32_t nfns;          /* directory entries */
    uint32_t queues_per_fn; /* slots per entry */
    uint64_t size;          /* bytes of the whole segment */
    uint32_t dir_offset;
    uint32_t slots_offset;
    uint32_t slot_size;     /* sizeof(vnet_queue_counters) of the writer */
    /* The DPU's control loop stores its CLOCK_MONOTONIC milliseconds here
     * (never 0) at least every SHM_HEARTBEAT_MS: a client that sees it
     * stand still for seconds knows the process hangs (stopped, or stuck),
     * which its open socket alone would not tell. 0: a DPU without it. */
    uint32_t heartbeat_ms;
    uint32_t reserved[4];
};

#define SHM_HEARTBEAT_MS 100

struct shm_fn {
    uint32_t handle; /* 0: empty */
    uint16_t nq;
    uint16_t reserved;
};

static inline size_t shm_dir_offset(void) { return (sizeof(struct shm_header) + 63) & ~(size_t)63; }

static inline size_t shm_slots_offset(uint32_t nfns)
{
    return (shm_dir_offset() + (size_t)nfns * sizeof(struct shm_fn) + 4095) & ~(size_t)4095;
}

static inline size_t shm_size(uint32_t nfns, uint32_t queues_per_fn)
{
    size_t slots = (size_t)nfns * queues_per_fn * sizeof(vnet_queue_counters);
    return (shm_slots_offset(nfns) + slots + 4095) & ~(size_t)4095;
}

/* CLOCK_MONOTONIC in milliseconds, as the heartbeat counts it (wraps after 49 days; compare differences). */
static inline uint32_t shm_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

/* Copies the queues of every published function into out (up to cap) and
 * returns how many there are; 0 for a segment that is not one. */
uint32_t shm_read(const void *segment, size_t size, vnet_queue_counters *out, uint32_t cap);

#endif
