/* libFuzzer target: the descriptor walker. The input is the driver's memory
 * (descriptor table, available ring and buffers) of a split or packed ring;
 * the walker takes and gives back chains until the ring is empty or broken. */
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
