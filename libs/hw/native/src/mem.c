#include "mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

/* [addr, addr + len) inside [base, base + size), without overflow. */
static int inside(uint64_t addr, uint64_t len, uint64_t base, uint64_t size)
{
    if (len == 0 || addr < base)
        return 0;
    uint64_t off = addr - base;
    return off < size && len <= size - off;
}

void *mem_gpa(const struct mem_table *m, uint64_t gpa, uint64_t len)
{
    for (uint32_t i = 0; i < m->n; i++) {
        const struct mem_region *r = &m->r[i];
        if (inside(gpa, len, r->gpa, r->size))
            return r->host + (gpa - r->gpa);
    }
    return NULL;
}

void *mem_uva(const struct mem_table *m, uint64_t uva, uint64_t len)
{
    for (uint32_t i = 0; i < m->n; i++) {
        const struct mem_region *r = &m->r[i];
        if (inside(uva, len, r->uva, r->size))
            return r->host + (uva - r->uva);
    }
    return NULL;
}

int mem_map(struct mem_table *m, const struct mem_region *regions, uint32_t n, const int *fds)
{
    struct mem_table t;
    memset(&t, 0, sizeof t);
    if (n > MEM_MAX_REGIONS)
        return -EINVAL;
    for (uint32_t i = 0; i < n; i++) {
        struct mem_region r = regions[i];
        if (r.size == 0 || r.size > (uint64_t)1 << 46 || r.mmap_offset > (uint64_t)1 << 46 ||
            r.gpa + r.size < r.gpa || r.uva + r.size < r.uva) {
            mem_unmap(&t);
            return -EINVAL;
        }
        size_t len = (size_t)(r.size + r.mmap_offset);
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fds[i], 0);
        if (p == MAP_FAILED) {
            int e = errno;
            mem_unmap(&t);
            return -e;
        }
        r.map_base = p;
        r.map_len = len;
        r.host = (uint8_t *)p + r.mmap_offset;
        t.r[t.n++] = r;
    }
    mem_unmap(m);
    *m = t;
    return 0;
}

void mem_unmap(struct mem_table *m)
{
    for (uint32_t i = 0; i < m->n; i++)
        munmap(m->r[i].map_base, m->r[i].map_len);
    memset(m, 0, sizeof *m);
}
