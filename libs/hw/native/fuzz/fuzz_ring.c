/* libFuzzer target: the descriptor walker, one chain at a time and in
 * bursts. The input is the driver's memory (descriptor table, available
 * ring and buffers) of a split or packed ring, and how the device takes
 * it: chains one by one, or bursts of a chosen size of which a chosen tail
 * is put back, until the ring is empty or broken. */
#include "dpu/ring.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM 8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static uint8_t mem[MEM];
    memset(mem, 0, sizeof mem);
    bool packed = data[0] & 1;
    bool bursts = data[0] & 2;
    unsigned burst_max = 1 + (data[0] >> 2) % RING_BURST;
    uint16_t num = (uint16_t)(1u << (data[1] % 8)); /* 1 .. 128 */
    memcpy(mem, data + 2, size - 2 < MEM ? size - 2 : MEM);
    struct mem_table mt;
    memset(&mt, 0, sizeof mt);
    mt.n = 1;
    mt.r[0].gpa = 0x1000;
    mt.r[0].size = MEM;
    mt.r[0].uva = (uint64_t)(uintptr_t)mem;
    mt.r[0].host = mem;
    struct ring r;
    /* desc at 0; driver area at 4096; device area at 6144 */
    if (ring_attach(&r, &mt, num, packed, (uint64_t)(uintptr_t)mem, (uint64_t)(uintptr_t)(mem + 4096),
                    (uint64_t)(uintptr_t)(mem + 6144)))
        return 0;
    if (bursts) {
        static struct burst b;
        for (int i = 0; i < 4 * num; i++) {
            burst_init(&b);
            unsigned n = ring_take_burst(&r, &mt, &b, burst_max);
            if (n > b.n || b.nseg > BURST_SEGS)
                __builtin_trap();
            for (unsigned k = 0; k < b.n; k++) {
                const struct burst_chain *c = &b.c[k];
                if (c->seg + c->nout + c->nin > b.nseg)
                    __builtin_trap();
                for (uint16_t s = 0; s < c->nout + c->nin; s++) {
                    uint8_t *p = b.seg[c->seg + s].iov_base;
                    if (p < mem || p + b.seg[c->seg + s].iov_len > mem + MEM)
                        __builtin_trap();
                    if (s >= c->nout)
                        memset(p, 0xab, b.seg[c->seg + s].iov_len);
                }
            }
            /* a tail of the burst goes back, the rest is given */
            unsigned keep = b.n ? (unsigned)(i * 7) % (b.n + 1) : 0;
            ring_untake(&r, &b, keep);
            for (unsigned k = 0; k < b.n; k++)
                ring_give_id(&r, b.c[k].id, b.c[k].ndesc, (uint32_t)b.c[k].len);
            ring_publish(&r);
            ring_driver_wants_call(&r);
            if (!n || b.stop == RING_E_HEAD)
                break;
        }
        return 0;
    }
    struct chain c;
    for (int i = 0; i < 4 * num; i++) {
        int rc = ring_take(&r, &mt, &c);
        if (rc == RING_EMPTY || rc == RING_E_HEAD)
            break;
        for (uint16_t s = 0; s < c.nout + c.nin; s++) {
            /* every segment must lie inside the shared memory */
            uint8_t *p = c.iov[s].iov_base;
            if (p < mem || p + c.iov[s].iov_len > mem + MEM)
                __builtin_trap();
            if (s >= c.nout)
                memset(p, 0xab, c.iov[s].iov_len);
        }
        ring_give(&r, &c, (uint32_t)c.in_len);
        ring_publish(&r);
        ring_driver_wants_call(&r);
    }
    return 0;
}
