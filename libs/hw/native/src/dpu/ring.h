/*
 * ring.h - virtqueues from the device side: split (virtio 1.2, 2.7) and
 * packed (2.8) layouts, with the kernel's structs and flags
 * (linux/virtio_ring.h). Taking a descriptor chain walks and checks it
 * against the driver's memory (the descriptor walker); giving it back writes
 * the used entry. The driver's memory is never trusted: every index,
 * length, flag and address is checked once, on a private copy.
 *
 * The data path takes chains a burst at a time (ring_take_burst): one read
 * of the split avail index, the next descriptors prefetched while one is
 * checked, a whole cache line of packed descriptors checked at once. What
 * it gives back becomes visible to the driver at ring_publish, once per
 * burst: the split used index, or the flags of the first packed used
 * descriptor, written last so that the driver sees the burst at once and
 * not one descriptor at a time while the device still writes its line.
 * A packed burst goes back a line at a time where it can: four used
 * descriptors' ids and lengths, then their four flags.
 * Callers publish before they let go of the queue's lock.
 */
#ifndef VNET_DPU_RING_H
#define VNET_DPU_RING_H

#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "dirty.h"
#include "mem.h"

#define PACKED_F_AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define PACKED_F_USED (1u << VRING_PACKED_DESC_F_USED)

/* Segments the walker returns for one chain; longer chains are refused
 * (exceed_max_chain). Linux uses at most 19 for one packet. */
#define CHAIN_MAX_SEGS 64

struct ring {
    uint16_t num;
    bool packed;
    /* split */
    struct vring_desc *desc;
    uint16_t *avail; /* flags, idx, ring[num] */
    uint16_t *used;  /* flags, idx, then {u32 id, u32 len}[num] */
    uint16_t shadow_used; /* used idx written but not yet published */
    /* packed */
    struct vring_packed_desc *pdesc;
    uint16_t *driver_event; /* off_wrap, flags */
    uint16_t *device_event;
    bool avail_wrap;
    bool used_wrap;
    bool held;           /* a used descriptor whose flags wait for publish */
    uint16_t held_slot;
    uint16_t held_flags;
    /* both */
    uint16_t last_avail; /* next entry to take */
    uint16_t used_idx;   /* next used entry to write */
    /* Dirty logging (ring_set_log): NULL while off. What the device writes
     * in the ring's areas is marked when it is published. */
    struct dirty_log *log;
    bool log_used;     /* the used ring (split) or device area (packed) is logged at used_log */
    uint64_t used_log; /* SET_VRING_ADDR's log_guest_addr: where the area's first byte is logged */
    uint64_t desc_gpa; /* packed: the descriptor ring's guest address, for the descriptors written back */
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

/* Chains one burst takes at most, and the segments they share: a burst
 * stops before a chain when fewer than CHAIN_MAX_SEGS are left, so any
 * chain the single walker takes fits. */
#define RING_BURST 64
#define BURST_SEGS (RING_BURST + 2 * CHAIN_MAX_SEGS)

struct burst_chain {
    uint16_t id;    /* as in struct chain */
    uint16_t ndesc;
    uint16_t nout;
    uint16_t nin;
    uint16_t seg;   /* its first segment in the burst's seg[] */
    int16_t rc;     /* RING_GOT, or RING_E_CHAIN / RING_E_ADDR / RING_E_DESC */
    /* Bytes in its segments. The data path wants chains all readable (TX)
     * or all writable (RX) and refuses the others, so one sum serves. */
    uint64_t len;
};

struct burst {
    uint16_t n;     /* chains taken */
    uint16_t nseg;
    int stop;       /* why it ended: RING_EMPTY (or full), or RING_E_HEAD */
    struct burst_chain c[RING_BURST];
    struct iovec seg[BURST_SEGS];
};

enum ring_result {
    RING_GOT = 1,
    RING_EMPTY = 0,
    RING_E_HEAD = -1,  /* the ring cannot go on: a head outside it, or an avail
                          index that moved by more than the ring holds */
    RING_E_CHAIN = -2, /* loop or chain longer than the ring or CHAIN_MAX_SEGS */
    RING_E_ADDR = -3,  /* a buffer outside the driver's memory */
    RING_E_DESC = -4,  /* malformed descriptor: bad next, flags or zero length */
};

enum ring_attach_result {
    RING_ATTACHED = 0,
    RING_E_OUTSIDE = -1,    /* an area is not wholly inside the shared memory */
    RING_E_MISALIGNED = -2, /* an area breaks the alignment of 2.7 / 2.8 */
    RING_E_SIZE = -3,       /* 0, or not a power of two for a split ring */
};

/* Whether the three areas are aligned as virtio 1.2 requires (split: desc
 * 16, avail 2, used 4; packed: desc 16, event areas 4). */
bool ring_aligned(bool packed, uint64_t desc, uint64_t driver, uint64_t device);

/* Points the ring at the driver's memory: desc, driver area (split: avail;
 * packed: driver event suppression), device area (split: used; packed:
 * device event suppression), given as front-end virtual addresses. */
int ring_attach(struct ring *r, const struct mem_table *m, uint16_t num, bool packed, uint64_t desc,
                uint64_t driver, uint64_t device);

/* Takes the next chain. On RING_E_CHAIN, RING_E_ADDR and RING_E_DESC the
 * chain is still taken (c->id, c->ndesc valid): give it back with length 0. */
int ring_take(struct ring *r, const struct mem_table *m, struct chain *c);
/* An empty burst. */
void burst_init(struct burst *b);
/*
 * Takes up to `max` more chains into b (b->n stays at most RING_BURST). A
 * chain the walker refuses is still taken (its rc says why): give it back
 * with length 0. b->stop is RING_E_HEAD when the ring broke after the
 * chains taken, else RING_EMPTY. Returns the number taken by this call.
 */
unsigned ring_take_burst(struct ring *r, const struct mem_table *m, struct burst *b, unsigned max);
/* Puts chains b->c[i..] back, untouched and not given: the ring resumes at
 * chain i. Only for the last chains taken from r. */
void ring_untake(struct ring *r, struct burst *b, unsigned i);
/* Gives a chain back with the number of bytes written into it. */
void ring_give(struct ring *r, const struct chain *c, uint32_t written);
/* Gives every chain of b back, none written into (what TX does). */
void ring_give_burst(struct ring *r, const struct burst *b);
/* Gives b's first n chains back, chain k with written[k] bytes. */
void ring_give_lens(struct ring *r, const struct burst *b, unsigned n, const uint32_t *written);
/* The same by buffer id and the number of descriptors the chain spans. */
void ring_give_id(struct ring *r, uint16_t id, uint16_t ndesc, uint32_t written);
/* Makes the given chains visible to the driver (split: publishes used->idx);
 * with logging on, marks the used entries (or packed descriptors) written. */
void ring_publish(struct ring *r);
/*
 * Dirty logging of what the device writes in the ring itself (vhost-user.rst,
 * "Migration"): log NULL turns it off. With log_used (VHOST_VRING_F_LOG),
 * the split used ring, or the packed device event area, is logged at
 * used_log (log_guest_addr: the guest address of its first byte). A packed
 * ring's descriptors written back are logged at their guest address,
 * desc_gpa on. Cleared by ring_attach.
 */
void ring_set_log(struct ring *r, struct dirty_log *log, bool log_used, uint64_t used_log, uint64_t desc_gpa);
/* Whether the driver asked not to be notified of used buffers. */
bool ring_driver_wants_call(const struct ring *r);
/* Asks the driver to notify (kick) or not. */
void ring_set_kick_wanted(struct ring *r, bool wanted);
/* True when the driver made a chain available that is not taken yet. */
bool ring_has_avail(const struct ring *r);
/* Split: the used index in the driver's memory (where a ring resumes). */
uint16_t ring_driver_used_idx(const struct ring *r);

#endif
