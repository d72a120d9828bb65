#include "shm.h"

#include <string.h>

/* One queue's counters, word by word: each 64-bit counter is read whole. */
static void copy_slot(vnet_queue_counters *dst, const vnet_queue_counters *src)
{
    _Static_assert(sizeof(vnet_queue_counters) % 8 == 0, "counters are whole 64-bit words");
    const uint64_t *s = (const uint64_t *)(const void *)src;
    uint64_t *d = (uint64_t *)(void *)dst;
    for (size_t i = 0; i < sizeof *src / 8; i++)
        d[i] = __atomic_load_n(&s[i], __ATOMIC_RELAXED);
}

uint32_t shm_read(const void *segment, size_t size, vnet_queue_counters *out, uint32_t cap)
{
    const struct shm_header *h = segment;
    if (size < sizeof *h || h->magic != SHM_MAGIC || h->version != SHM_VERSION ||
        h->slot_size != sizeof(vnet_queue_counters) || h->size > size ||
        shm_size(h->nfns, h->queues_per_fn) > size)
        return 0;
    const struct shm_fn *dir = (const struct shm_fn *)(const void *)((const uint8_t *)segment + h->dir_offset);
    const vnet_queue_counters *slots = (const vnet_queue_counters *)(const void *)((const uint8_t *)segment + h->slots_offset);
    uint32_t n = 0;
    for (uint32_t pos = 0; pos < h->nfns; pos++) {
        uint32_t handle = __atomic_load_n(&dir[pos].handle, __ATOMIC_ACQUIRE);
        if (!handle)
            continue;
        uint16_t nq = dir[pos].nq;
        if (nq > h->queues_per_fn)
            continue;
        for (uint16_t q = 0; q < nq; q++) {
            const vnet_queue_counters *s = &slots[(size_t)pos * h->queues_per_fn + q];
            if (__atomic_load_n(&s->handle, __ATOMIC_RELAXED) != handle)
                continue; /* reused since the directory was read */
            if (n < cap)
                copy_slot(&out[n], s);
            n++;
        }
    }
    return n;
}
