/*
 * mem.h - the driver's memory as the device sees it: the regions a
 * vhost-user front-end shares (SET_MEM_TABLE), and address translation with
 * bounds checks. Every address the driver gives is checked here before use.
 *
 * A region is mapped only when its fd can back all of it: a regular file
 * (memfd, hugetlbfs, tmpfs) at least mmap_offset + size bytes long. So a
 * device never maps more than its fds hold, and a short fd cannot fault on
 * first touch. A file truncated after mapping is absorbed by fault.h.
 */
#ifndef VNET_DPU_MEM_H
#define VNET_DPU_MEM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define MEM_MAX_REGIONS 8
/* One region at most; beyond it a front-end is lying about its memory. */
#define MEM_MAX_REGION_SIZE ((uint64_t)1 << 40)

struct mem_region {
    uint64_t gpa;         /* guest physical address of the region */
    uint64_t size;
    uint64_t uva;         /* front-end's virtual address of the region */
    uint64_t mmap_offset; /* where the region starts in the shared fd */
    uint8_t *host;        /* our mapping of gpa */
    void *map_base;       /* what mmap returned (includes mmap_offset) */
    size_t map_len;
    int fault_id;         /* registration with the SIGBUS guard, or -1 */
};

struct mem_table {
    uint32_t n;
    struct mem_region r[MEM_MAX_REGIONS];
};

/* Host pointer for [gpa, gpa + len) when it lies wholly inside one region,
 * else NULL. len 0 is never valid. */
void *mem_gpa(const struct mem_table *m, uint64_t gpa, uint64_t len);
/* The same for a front-end virtual address (ring addresses in vhost-user). */
void *mem_uva(const struct mem_table *m, uint64_t uva, uint64_t len);
/* The guest physical address of front-end virtual address uva when
 * [uva, uva + len) lies inside one region, else UINT64_MAX. */
uint64_t mem_uva_gpa(const struct mem_table *m, uint64_t uva, uint64_t len);

/*
 * Maps the regions of a SET_MEM_TABLE (one fd each), replacing what m
 * held. `faults` (may be NULL) counts guest-memory faults in the new
 * mappings. On failure m is unchanged, nothing new is mapped, the fds are
 * left to the caller, and `why` says which region and why.
 */
int mem_map(struct mem_table *m, const struct mem_region *regions, uint32_t n, const int *fds,
            _Atomic uint32_t *faults, char *why, size_t whylen);
void mem_unmap(struct mem_table *m);
/* Bytes mapped in all regions. */
uint64_t mem_mapped(const struct mem_table *m);

#endif
