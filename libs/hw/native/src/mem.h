/*
 * mem.h - the driver's memory as the device sees it: the regions a
 * vhost-user front-end shares (SET_MEM_TABLE), and address translation with
 * bounds checks. Every address the driver gives is checked here before use.
 */
#ifndef VNET_MEM_H
#define VNET_MEM_H

#include <stddef.h>
#include <stdint.h>

#define MEM_MAX_REGIONS 8

struct mem_region {
    uint64_t gpa;         /* guest physical address of the region */
    uint64_t size;
    uint64_t uva;         /* front-end's virtual address of the region */
    uint64_t mmap_offset; /* where the region starts in the shared fd */
    uint8_t *host;        /* our mapping of gpa */
    void *map_base;       /* what mmap returned (includes mmap_offset) */
    size_t map_len;
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
/* Maps the regions of a SET_MEM_TABLE (one fd each); on failure nothing is
 * mapped and the fds are left to the caller. */
int mem_map(struct mem_table *m, const struct mem_region *regions, uint32_t n, const int *fds);
void mem_unmap(struct mem_table *m);

#endif
