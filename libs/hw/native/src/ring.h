/*
 * ring.h - virtqueues from the device side: split (virtio 1.2, 2.7) and
 * packed (2.8) layouts. Taking a descriptor chain walks and checks it
 * against the driver's memory (the descriptor walker); giving it back writes
 * the used entry. The driver's memory is never trusted: every index,
 * length, flag and address is checked once, on a private copy.
 */
#ifndef VNET_RING_H
#define VNET_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "mem.h"

#define DESC_F_NEXT 1u
#define DESC_F_WRITE 2u
#define DESC_F_INDIRECT 4u
#define PACKED_DESC_F_AVAIL (1u << 7)
#define PACKED_DESC_F_USED (1u << 15)
#define SPLIT_AVAIL_F_NO_INTERRUPT 1u
#define SPLIT_USED_F_NO_NOTIFY 1u
#define PACKED_EVENT_ENABLE 0u
#define PACKED_EVENT_DISABLE 1u

/* Segments the walker returns for one chain; longer chains are refused
 * (exceed_max_chain). Linux uses at most 19 for one packet. */
#define CHAIN_MAX_SEGS 64

struct split_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct packed_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t id;
    uint16_t flags;
};

struct ring {
    uint16_t num;
    bool packed;
    /* split */
    struct split_desc *desc;
    uint16_t *avail; /* flags, idx, ring[num] */
    uint16_t *used;  /* flags, idx, then {u32 id, u32 len}[num] */
    uint16_t shadow_used; /* used idx written but not yet published */
    /* packed */
    struct packed_desc *pdesc;
    uint16_t *driver_event; /* off_wrap, flags */
    uint16_t *device_event;
    bool avail_wrap;
    bool used_wrap;
    /* both */
    uint16_t last_avail; /* next entry to take */
    uint16_t used_idx;   /* next used entry to write */
};

struct chain {
    uint16_t id;    /* split: head index; packed: buffer id */
    uint16_t ndesc; /* descriptors walked (packed: ring slots to skip) */
    uint16_t nout;  /* device-readable segments, first in iov */
    uint16_t nin;   /* device-writable segments, after them */
    uint64_t out_len;
    uint64_t in_len;
    struct iovec iov[CHAIN_MAX_SEGS];
};

enum ring_result {
    RING_GOT = 1,
    RING_EMPTY = 0,
    RING_E_HEAD = -1,  /* head index outside the ring: the queue cannot go on */
    RING_E_CHAIN = -2, /* loop or chain longer than the ring or CHAIN_MAX_SEGS */
    RING_E_ADDR = -3,  /* a buffer outside the driver's memory */
    RING_E_DESC = -4,  /* malformed descriptor: bad next, flags or zero length */
};

/* Points the ring at the driver's memory: desc, driver area (split: avail;
 * packed: driver event suppression), device area (split: used; packed:
 * device event suppression), given as front-end virtual addresses. Returns 0,
 * or -1 when an area is not wholly inside the shared memory. */
int ring_attach(struct ring *r, const struct mem_table *m, uint16_t num, bool packed, uint64_t desc,
                uint64_t driver, uint64_t device);

/* Takes the next chain. On RING_E_CHAIN, RING_E_ADDR and RING_E_DESC the
 * chain is still taken (c->id, c->ndesc valid): give it back with length 0. */
int ring_take(struct ring *r, const struct mem_table *m, struct chain *c);
/* Gives a chain back with the number of bytes written into it. */
void ring_give(struct ring *r, const struct chain *c, uint32_t written);
/* Makes the given chains visible to the driver (split: publishes used->idx). */
void ring_publish(struct ring *r);
/* Whether the driver asked not to be notified of used buffers. */
bool ring_driver_wants_call(const struct ring *r);
/* Asks the driver to notify (kick) or not. */
void ring_set_kick_wanted(struct ring *r, bool wanted);
/* True when the driver made a chain available that is not taken yet. */
bool ring_has_avail(const struct ring *r);

#endif
