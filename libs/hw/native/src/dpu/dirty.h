/*
 * dirty.h - the dirty log of live migration (vhost-user.rst, "Migration"):
 * a bitmap the front-end shares (SET_LOG_BASE, with
 * VHOST_USER_PROTOCOL_F_LOG_SHMFD) in which the device marks every guest
 * page it writes while VHOST_F_LOG_ALL is acked, so that the front-end
 * copies those pages again. One bit per 4 KiB page of guest physical
 * address: bit (gpa / 4096) % 8 of byte (gpa / 4096) / 8, set with an
 * atomic OR since the front-end clears bits while the device sets them.
 *
 * The data path marks a burst at a time: a dirty_batch gathers the burst's
 * pages into 64-page words on the stack and sets them at dirty_batch_flush,
 * one atomic per byte of the bitmap that changes, after a release fence
 * that orders them after the writes they stand for (a bit seen set means
 * the page's new bytes are there to copy). A page past the end of the log
 * is not marked but counted (`skipped`): a front-end whose log is smaller
 * than its memory loses those pages, the device does not fault.
 *
 * The log may be replaced while rings run (memory hot-plug grows it):
 * the caller swaps the mapping with the device's rw lock held for writing,
 * which no worker holds a burst under, and unmaps the old one after.
 */
#ifndef VNET_DPU_DIRTY_H
#define VNET_DPU_DIRTY_H

#include "mem.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define DIRTY_PAGE_SHIFT 12 /* VHOST_LOG_PAGE, 0x1000 */
/* The largest log a front-end may share: 64 GiB of bitmap covers 2^51 bytes of guest addresses. */
#define DIRTY_MAX_SIZE ((uint64_t)1 << 36)
/* 64-page words one batch gathers before it must flush. */
#define DIRTY_BATCH_WORDS 16

struct dirty_log {
    uint8_t *bits;     /* where guest address 0 is logged; NULL: no log */
    uint64_t size;     /* bytes of bitmap */
    void *map;         /* what mmap returned (from the fd's start) */
    size_t map_len;
    int fault_id;      /* registration with the SIGBUS guard, or -1 */
    /* What the marks did, added once per flush; kept across replaced mappings. */
    _Atomic uint64_t pages;   /* bits the device set that were clear */
    _Atomic uint64_t skipped; /* pages past the end of the log, not marked */
};

/* A burst's marks, gathered before they are set. */
struct dirty_batch {
    struct dirty_log *log;
    unsigned n;
    uint64_t word[DIRTY_BATCH_WORDS]; /* index of a 64-page word of the bitmap */
    uint64_t mask[DIRTY_BATCH_WORDS]; /* bit k: page word * 64 + k */
    uint64_t skipped;
};

/*
 * Maps `size` bytes of log at `offset` in fd (read and write, shared) into
 * l, whose mapping must be empty. The fd must be a memory file (memfd,
 * tmpfs, hugetlbfs) holding offset + size bytes. `faults` (may be NULL)
 * counts a later truncation (fault.h). 0, or -errno with `why` set; the fd
 * stays the caller's either way.
 */
int dirty_map(struct dirty_log *l, int fd, uint64_t size, uint64_t offset, _Atomic uint32_t *faults, char *why,
              size_t whylen);
/* Unmaps l's log (its counters stay). */
void dirty_unmap(struct dirty_log *l);
/* Moves the mapping of `from` into `to` (whose own mapping must be gone); from is left without one. */
void dirty_move(struct dirty_log *to, struct dirty_log *from);

static inline void dirty_batch_init(struct dirty_batch *b, struct dirty_log *log)
{
    b->log = log;
    b->n = 0;
    b->skipped = 0;
}

/* Marks the pages of [gpa, gpa + len) (len 0: none; a range past 2^64 ends there). */
void dirty_batch_gpa(struct dirty_batch *b, uint64_t gpa, uint64_t len);
/*
 * Marks the guest pages of [p, p + len), bytes the device wrote through
 * its mapping of the guest's memory m: translated back to guest addresses
 * region by region. Bytes no region maps are counted as skipped.
 */
void dirty_batch_host(struct dirty_batch *b, const struct mem_table *m, const void *p, uint64_t len);
/* Sets the gathered bits in the log and counts them; b is empty after. */
void dirty_batch_flush(struct dirty_batch *b);

/* Whether page `page`'s bit is set (for tests and debug). */
static inline int dirty_test(const struct dirty_log *l, uint64_t page)
{
    if (!l->bits || page / 8 >= l->size)
        return 0;
    return (__atomic_load_n(&l->bits[page / 8], __ATOMIC_RELAXED) >> (page % 8)) & 1;
}

#endif
