#include "mem.h"
#include "fault.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

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

uint64_t mem_uva_gpa(const struct mem_table *m, uint64_t uva, uint64_t len)
{
    for (uint32_t i = 0; i < m->n; i++) {
        const struct mem_region *r = &m->r[i];
        if (inside(uva, len, r->uva, r->size))
            return r->gpa + (uva - r->uva);
    }
    return UINT64_MAX;
}

static void unmap_all(struct mem_table *t)
{
    for (uint32_t i = 0; i < t->n; i++) {
        fault_unregister(t->r[i].fault_id);
        munmap(t->r[i].map_base, t->r[i].map_len);
    }
    memset(t, 0, sizeof *t);
}

static int refuse(struct mem_table *t, int err, char *why, size_t n, uint32_t i, const char *what)
{
    unmap_all(t);
    if (why && n)
        snprintf(why, n, "region %u: %s", i, what);
    return err;
}

int mem_map(struct mem_table *m, const struct mem_region *regions, uint32_t n, const int *fds,
            _Atomic uint32_t *faults, char *why, size_t whylen)
{
    struct mem_table t;
    memset(&t, 0, sizeof t);
    if (n > MEM_MAX_REGIONS)
        return refuse(&t, -EINVAL, why, whylen, n, "too many regions");
    for (uint32_t i = 0; i < n; i++) {
        struct mem_region r = regions[i];
        char text[128];
        if (r.size == 0 || r.size > MEM_MAX_REGION_SIZE || r.mmap_offset > MEM_MAX_REGION_SIZE ||
            r.gpa + r.size < r.gpa || r.uva + r.size < r.uva)
            return refuse(&t, -EINVAL, why, whylen, i, "size, offset or addresses out of range");
        struct stat st;
        if (fstat(fds[i], &st))
            return refuse(&t, -errno, why, whylen, i, "the fd cannot be inspected");
        if (!S_ISREG(st.st_mode))
            return refuse(&t, -EINVAL, why, whylen, i, "the fd is not a memory file (memfd, hugetlbfs or tmpfs)");
        uint64_t need = r.mmap_offset + r.size;
        if ((uint64_t)st.st_size < need) {
            snprintf(text, sizeof text, "the fd holds %llu bytes, the region needs %llu",
                     (unsigned long long)st.st_size, (unsigned long long)need);
            return refuse(&t, -EINVAL, why, whylen, i, text);
        }
        size_t len = (size_t)need;
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fds[i], 0);
        if (p == MAP_FAILED) {
            int e = errno;
            snprintf(text, sizeof text, "mmap: %s", strerror(e));
            return refuse(&t, -e, why, whylen, i, text);
        }
        r.map_base = p;
        r.map_len = len;
        r.host = (uint8_t *)p + r.mmap_offset;
        r.fault_id = fault_register(p, len, faults);
        t.r[t.n++] = r;
    }
    unmap_all(m);
    *m = t;
    return 0;
}

void mem_unmap(struct mem_table *m) { unmap_all(m); }

uint64_t mem_mapped(const struct mem_table *m)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < m->n; i++)
        total += m->r[i].map_len;
    return total;
}
