#include "dirty.h"
#include "fault.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

int dirty_map(struct dirty_log *l, int fd, uint64_t size, uint64_t offset, _Atomic uint32_t *faults, char *why,
              size_t whylen)
{
    if (size == 0 || size > DIRTY_MAX_SIZE || offset > DIRTY_MAX_SIZE) {
        snprintf(why, whylen, "a log of %llu bytes at offset %llu (at most %llu)", (unsigned long long)size,
                 (unsigned long long)offset, (unsigned long long)DIRTY_MAX_SIZE);
        return -EINVAL;
    }
    struct stat st;
    if (fstat(fd, &st)) {
        snprintf(why, whylen, "the log fd cannot be inspected");
        return -errno;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "the log fd is not a memory file (memfd, hugetlbfs or tmpfs)");
        return -EINVAL;
    }
    uint64_t need = offset + size;
    if ((uint64_t)st.st_size < need) {
        snprintf(why, whylen, "the log fd holds %llu bytes, the log needs %llu", (unsigned long long)st.st_size,
                 (unsigned long long)need);
        return -EINVAL;
    }
    /* From the fd's start, as the memory regions are: an offset need not
     * be aligned to a (huge) page. */
    void *p = mmap(NULL, (size_t)need, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        snprintf(why, whylen, "mmap of the log: %s", strerror(e));
        return -e;
    }
    l->map = p;
    l->map_len = (size_t)need;
    l->bits = (uint8_t *)p + offset;
    l->size = size;
    l->fault_id = fault_register(p, (size_t)need, faults);
    return 0;
}

void dirty_unmap(struct dirty_log *l)
{
    if (l->map) {
        fault_unregister(l->fault_id);
        munmap(l->map, l->map_len);
    }
    l->map = NULL;
    l->map_len = 0;
    l->bits = NULL;
    l->size = 0;
    l->fault_id = -1;
}

void dirty_move(struct dirty_log *to, struct dirty_log *from)
{
    to->map = from->map;
    to->map_len = from->map_len;
    to->bits = from->bits;
    to->size = from->size;
    to->fault_id = from->fault_id;
    from->map = NULL;
    from->map_len = 0;
    from->bits = NULL;
    from->size = 0;
    from->fault_id = -1;
}

/* ORs `mask` into the batch's entry for 64-page word w. */
static void add_word(struct dirty_batch *b, uint64_t w, uint64_t mask)
{
    /* A burst's buffers are mostly near each other: look from the newest. */
    for (unsigned i = b->n; i-- > 0;)
        if (b->word[i] == w) {
            b->mask[i] |= mask;
            return;
        }
    if (b->n == DIRTY_BATCH_WORDS)
        dirty_batch_flush(b);
    b->word[b->n] = w;
    b->mask[b->n] = mask;
    b->n++;
}

void dirty_batch_gpa(struct dirty_batch *b, uint64_t gpa, uint64_t len)
{
    if (!len || !b->log->bits)
        return;
    uint64_t last_byte = gpa + (len - 1);
    if (last_byte < gpa)
        last_byte = UINT64_MAX; /* a range the front-end placed at the top of the address space */
    uint64_t first = gpa >> DIRTY_PAGE_SHIFT, last = last_byte >> DIRTY_PAGE_SHIFT;
    const uint64_t pages = b->log->size * 8; /* the log covers pages [0, pages) */
    if (first >= pages) {
        b->skipped += last - first + 1;
        return;
    }
    if (last >= pages) {
        b->skipped += last - pages + 1;
        last = pages - 1;
    }
    for (uint64_t w = first >> 6; w <= last >> 6; w++) {
        unsigned lo = w == first >> 6 ? (unsigned)(first & 63) : 0;
        unsigned hi = w == last >> 6 ? (unsigned)(last & 63) : 63;
        uint64_t mask = (hi == 63 ? ~0ull : ((1ull << (hi + 1)) - 1)) & ~((1ull << lo) - 1);
        add_word(b, w, mask);
    }
}

void dirty_batch_host(struct dirty_batch *b, const struct mem_table *m, const void *p, uint64_t len)
{
    uintptr_t at = (uintptr_t)p;
    while (len) {
        const struct mem_region *r = NULL;
        for (uint32_t i = 0; i < m->n; i++) {
            uintptr_t host = (uintptr_t)m->r[i].host;
            if (at >= host && at - host < m->r[i].size) {
                r = &m->r[i];
                break;
            }
        }
        if (!r) {
            /* not the guest's memory: nothing to mark (the data path never
             * writes there; counted so that a mistake shows) */
            b->skipped += (len + (1u << DIRTY_PAGE_SHIFT) - 1) >> DIRTY_PAGE_SHIFT;
            return;
        }
        uint64_t off = (uint64_t)(at - (uintptr_t)r->host), step = r->size - off < len ? r->size - off : len;
        dirty_batch_gpa(b, r->gpa + off, step);
        at += step;
        len -= step;
    }
}

void dirty_batch_flush(struct dirty_batch *b)
{
    struct dirty_log *l = b->log;
    uint64_t set = 0;
    if (b->n && l->bits) {
        /* The marks after the writes they stand for: a front-end that sees
         * a bit and copies the page then copies the new bytes. */
        __atomic_thread_fence(__ATOMIC_RELEASE);
        for (unsigned i = 0; i < b->n; i++) {
            uint64_t mask = b->mask[i];
            for (unsigned k = 0; k < 8 && mask; k++, mask >>= 8) {
                uint8_t byte = (uint8_t)mask;
                uint64_t at = b->word[i] * 8 + k;
                if (!byte || at >= l->size)
                    continue;
                uint8_t old = __atomic_fetch_or(&l->bits[at], byte, __ATOMIC_RELAXED);
                set += (unsigned)__builtin_popcount((unsigned)(byte & (uint8_t)~old));
            }
        }
    }
    if (set)
        atomic_fetch_add_explicit(&l->pages, set, memory_order_relaxed);
    if (b->skipped)
        atomic_fetch_add_explicit(&l->skipped, b->skipped, memory_order_relaxed);
    b->n = 0;
    b->skipped = 0;
}
