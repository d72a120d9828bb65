/* libFuzzer target: the memory-table mapping. The input declares up to
 * eight regions (guest and front-end addresses, sizes, offsets) over memfds
 * of sizes it also chooses, then asks for translations; every pointer the
 * table hands out must lie inside a mapping of a region that the fd backs. */
#include "dpu/mem.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct take {
    const uint8_t *p;
    size_t left;
};

static uint64_t u64(struct take *t)
{
    uint64_t v = 0;
    size_t n = t->left < 8 ? t->left : 8;
    memcpy(&v, t->p, n);
    t->p += n;
    t->left -= n;
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct take t = {data, size};
    uint32_t n = (uint32_t)(u64(&t) % 10); /* 9 is one too many */
    struct mem_region r[MEM_MAX_REGIONS + 2];
    int fds[MEM_MAX_REGIONS + 2];
    size_t fd_size[MEM_MAX_REGIONS + 2];
    memset(r, 0, sizeof r);
    for (uint32_t i = 0; i < n; i++) {
        fd_size[i] = (size_t)(u64(&t) % (64 * 4096));
        fds[i] = memfd_create("fuzz", MFD_CLOEXEC);
        if (fds[i] < 0 || ftruncate(fds[i], (off_t)fd_size[i]))
            __builtin_trap();
        /* Sizes near the fd's, where off-by-one errors live, and wild ones. */
        uint64_t sel = u64(&t);
        r[i].size = (sel & 1) ? u64(&t) : fd_size[i] + (uint64_t)(int64_t)(int8_t)(sel >> 8);
        r[i].mmap_offset = (sel & 2) ? u64(&t) : (sel >> 16) % 8192;
        r[i].gpa = u64(&t);
        r[i].uva = u64(&t);
        r[i].fault_id = -1;
    }
    struct mem_table m;
    memset(&m, 0, sizeof m);
    char why[128];
    int rc = mem_map(&m, r, n, fds, NULL, why, sizeof why);
    if (n > MEM_MAX_REGIONS && rc == 0)
        __builtin_trap();
    if (rc == 0) {
        for (uint32_t i = 0; i < m.n; i++)
            if (m.r[i].mmap_offset + m.r[i].size > fd_size[i])
                __builtin_trap(); /* mapped more than the fd holds */
        for (int k = 0; k < 16 && t.left; k++) {
            uint64_t addr = u64(&t), len = u64(&t) % (1u << 20);
            uint8_t *p = (k & 1) ? mem_uva(&m, addr, len) : mem_gpa(&m, addr, len);
            if (!p)
                continue;
            bool inside = false;
            for (uint32_t i = 0; i < m.n && !inside; i++)
                inside = p >= m.r[i].host && p + len <= m.r[i].host + m.r[i].size;
            if (!inside)
                __builtin_trap();
            p[0] ^= 1; /* touch it: backed by the fd, no fault */
            p[len - 1] ^= 1;
        }
        mem_unmap(&m);
    }
    for (uint32_t i = 0; i < n; i++)
        close(fds[i]);
    return 0;
}
