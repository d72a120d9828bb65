/* Unit tests of the descriptor walker on split and packed rings built in a
 * local buffer that stands for the driver's memory. */
#include "check.h"
#include "dpu/fault.h"
#include "dpu/ring.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define MEM_SIZE 65536
#define NUM 8

static uint8_t *mem;
static struct mem_table mt;

/* One region: guest address 0x10000 and front-end address = our pointer. */
static void setup(void)
{
    mem = calloc(1, MEM_SIZE);
    memset(&mt, 0, sizeof mt);
    mt.n = 1;
    mt.r[0].gpa = 0x10000;
    mt.r[0].size = MEM_SIZE;
    mt.r[0].uva = (uint64_t)(uintptr_t)mem;
    mt.r[0].host = mem;
}

static uint64_t uva(uint32_t off) { return (uint64_t)(uintptr_t)(mem + off); }
static uint64_t gpa(uint32_t off) { return 0x10000 + off; }

/* split layout: desc at 0, avail at 0x1000, used at 0x2000, buffers from 0x4000 */
static struct vring_desc *sdesc(void) { return (struct vring_desc *)mem; }
static uint16_t *savail(void) { return (uint16_t *)(mem + 0x1000); }
static uint32_t *sused_ring(void) { return (uint32_t *)(mem + 0x2004); }
static uint16_t *sused(void) { return (uint16_t *)(mem + 0x2000); }

static void post(uint16_t head)
{
    uint16_t idx = savail()[1];
    savail()[2 + (idx % NUM)] = head;
    savail()[1] = (uint16_t)(idx + 1);
}

static void test_split_basic(void)
{
    setup();
    struct ring r;
    CHECK_EQ(ring_attach(&r, &mt, NUM, false, uva(0), uva(0x1000), uva(0x2000)), 0);
    struct chain c;
    CHECK_EQ(ring_take(&r, &mt, &c), RING_EMPTY);
    CHECK(!ring_has_avail(&r));

    /* a TX chain: 12-byte header then 60 bytes of frame, both readable */
    sdesc()[3] = (struct vring_desc){gpa(0x4000), 12, VRING_DESC_F_NEXT, 5};
    sdesc()[5] = (struct vring_desc){gpa(0x4100), 60, 0, 0};
    post(3);
    CHECK(ring_has_avail(&r));
    CHECK_EQ(ring_take(&r, &mt, &c), RING_GOT);
    CHECK_EQ(c.id, 3);
    CHECK_EQ(c.ndesc, 2);
    CHECK_EQ(c.nout, 2);
    CHECK_EQ(c.nin, 0);
    CHECK_EQ(c.out_len, 72);
    CHECK(c.iov[1].iov_base == mem + 0x4100);
    ring_give(&r, &c, 0);
    CHECK_EQ(sused()[1], 0); /* not visible before publish */
    ring_publish(&r);
    CHECK_EQ(sused()[1], 1);
    CHECK_EQ(sused_ring()[0], 3);
    CHECK_EQ(sused_ring()[1], 0);

    /* an RX chain: one writable buffer; the written length is returned */
    sdesc()[1] = (struct vring_desc){gpa(0x5000), 1526, VRING_DESC_F_WRITE, 0};
    post(1);
    CHECK_EQ(ring_take(&r, &mt, &c), RING_GOT);
    CHECK_EQ(c.nin, 1);
    CHECK_EQ(c.in_len, 1526);
    ring_give(&r, &c, 98);
    ring_publish(&r);
    CHECK_EQ(sused()[1], 2);
    CHECK_EQ(sused_ring()[2], 1);
    CHECK_EQ(sused_ring()[3], 98);

    /* notification suppression in both directions */
    CHECK(ring_driver_wants_call(&r));
    savail()[0] = VRING_AVAIL_F_NO_INTERRUPT;
    CHECK(!ring_driver_wants_call(&r));
    ring_set_kick_wanted(&r, false);
    CHECK_EQ(sused()[0], VRING_USED_F_NO_NOTIFY);
    ring_set_kick_wanted(&r, true);
    CHECK_EQ(sused()[0], 0);
    free(mem);
}

static void test_split_misbehaving_driver(void)
{
    setup();
    struct ring r;
    struct chain c;
    CHECK_EQ(ring_attach(&r, &mt, NUM, false, uva(0), uva(0x1000), uva(0x2000)), 0);

    /* a loop: 0 -> 1 -> 0 */
    sdesc()[0] = (struct vring_desc){gpa(0x4000), 64, VRING_DESC_F_NEXT, 1};
    sdesc()[1] = (struct vring_desc){gpa(0x4100), 64, VRING_DESC_F_NEXT, 0};
    post(0);
    CHECK_EQ(ring_take(&r, &mt, &c), RING_E_CHAIN);
    CHECK_EQ(c.id, 0); /* taken: it can be given back */

    /* a buffer outside the driver's memory, and one that straddles its end */
    sdesc()[2] = (struct vring_desc){gpa(MEM_SIZE - 10), 64, 0, 0};
    post(2);
    CHECK_EQ(ring_take(&r, &mt, &c), RING_E_ADDR);
    sdesc()[2] = (struct vring_desc){0xffffffffffffff00ull, 0x200, 0, 0};
    post(2);
    CHECK_EQ(ring_take(&r, &mt, &c), RING_E_ADDR);

    /* readable after writable; an indirect descriptor; a zero length; next out of the ring */
    sdesc()[4] = (struct vring_desc){gpa(0x4000), 64, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 5};
    sdesc()[5] = (struct vring_desc){gpa(0x4100), 64, 0, 0};
    post(4);
    CHECK_EQ(ring_take(&r, &mt, &c), RING_E_DESC);
    sdesc()[6] = (struct vring_desc){gpa(0x4000), 16, VRING_DESC_F_INDIRECT, 0};
    post(6);
    CHECK_EQ(ring_take(&r, &mt, &c), RING_E_DESC);
    sdesc()[6] = (struct vring_desc){gpa(0x4000), 0, 0, 0};
    post(6);
    CHECK_EQ(ring_take(&r, &mt, &c), RING_E_DESC);
    sdesc()[7] = (struct vring_desc){gpa(0x4000), 16, VRING_DESC_F_NEXT, 200};
    post(7);
    CHECK_EQ(ring_take(&r, &mt, &c), RING_E_DESC);

    /* a head outside the ring stops the queue: nothing is taken */
    post(8);
    CHECK_EQ(ring_take(&r, &mt, &c), RING_E_HEAD);
    CHECK_EQ(r.last_avail, 7);

    /* rings outside memory, or of a size that is not a power of two, are refused */
    CHECK_EQ(ring_attach(&r, &mt, NUM, false, uva(MEM_SIZE - 16), uva(0x1000), uva(0x2000)), RING_E_OUTSIDE);
    CHECK_EQ(ring_attach(&r, &mt, 6, false, uva(0), uva(0x1000), uva(0x2000)), RING_E_SIZE);
    CHECK_EQ(ring_attach(&r, &mt, 0, true, uva(0), uva(0x1000), uva(0x2000)), RING_E_SIZE);
    free(mem);
}

static void test_split_long_chain(void)
{
    setup();
    struct ring r;
    struct chain c;
    CHECK_EQ(ring_attach(&r, &mt, 128, false, uva(0), uva(0x1000), uva(0x2000)), 0);
    for (uint16_t i = 0; i < 100; i++)
        sdesc()[i] = (struct vring_desc){gpa(0x4000), 16, VRING_DESC_F_NEXT, (uint16_t)(i + 1)};
    sdesc()[100] = (struct vring_desc){gpa(0x4000), 16, 0, 0};
    savail()[2] = 0;
    savail()[1] = 1;
    CHECK_EQ(ring_take(&r, &mt, &c), RING_E_CHAIN); /* 101 segments > CHAIN_MAX_SEGS */
    CHECK_EQ(c.ndesc, 101);
    free(mem);
}

/* packed layout: descriptors at 0, driver event at 0x1000, device event at 0x1010 */
static struct vring_packed_desc *pdesc(void) { return (struct vring_packed_desc *)mem; }

static void make_avail(uint16_t pos, bool wrap, uint64_t addr, uint32_t len, uint16_t id, uint16_t flags)
{
    uint16_t f = flags | (wrap ? PACKED_F_AVAIL : PACKED_F_USED);
    pdesc()[pos] = (struct vring_packed_desc){addr, len, id, f};
}

static void test_packed(void)
{
    setup();
    struct ring r;
    struct chain c;
    CHECK_EQ(ring_attach(&r, &mt, 4, true, uva(0), uva(0x1000), uva(0x1010)), 0);
    CHECK_EQ(ring_take(&r, &mt, &c), RING_EMPTY);
    /* a two-descriptor chain with buffer id 7 */
    make_avail(0, true, gpa(0x4000), 12, 0, VRING_DESC_F_NEXT);
    make_avail(1, true, gpa(0x4100), 100, 7, 0);
    CHECK_EQ(ring_take(&r, &mt, &c), RING_GOT);
    CHECK_EQ(c.id, 7);
    CHECK_EQ(c.ndesc, 2);
    CHECK_EQ(c.out_len, 112);
    ring_give(&r, &c, 0);
    CHECK_EQ(pdesc()[0].id, 7);
    /* the driver sees it at publish, not before */
    CHECK_EQ(pdesc()[0].flags & (PACKED_F_AVAIL | PACKED_F_USED), PACKED_F_AVAIL);
    ring_publish(&r);
    CHECK_EQ(pdesc()[0].flags & (PACKED_F_AVAIL | PACKED_F_USED), PACKED_F_AVAIL | PACKED_F_USED);
    CHECK_EQ(r.used_idx, 2);

    /* two more single descriptors wrap the ring: the wrap counters flip */
    make_avail(2, true, gpa(0x5000), 64, 1, VRING_DESC_F_WRITE);
    make_avail(3, true, gpa(0x5100), 64, 2, VRING_DESC_F_WRITE);
    CHECK_EQ(ring_take(&r, &mt, &c), RING_GOT);
    ring_give(&r, &c, 64);
    CHECK_EQ(ring_take(&r, &mt, &c), RING_GOT);
    ring_give(&r, &c, 32);
    ring_publish(&r);
    CHECK_EQ(r.last_avail, 0);
    CHECK(!r.avail_wrap);
    CHECK(!r.used_wrap);
    CHECK_EQ(pdesc()[3].len, 32);
    CHECK_EQ(ring_take(&r, &mt, &c), RING_EMPTY); /* slot 0 still carries the old wrap */
    make_avail(0, false, gpa(0x4000), 64, 3, 0);
    CHECK_EQ(ring_take(&r, &mt, &c), RING_GOT);
    CHECK_EQ(c.id, 3);

    /* NEXT on the last descriptor the driver made available */
    make_avail(1, false, gpa(0x4000), 64, 4, VRING_DESC_F_NEXT);
    CHECK_EQ(ring_take(&r, &mt, &c), RING_E_DESC);
    CHECK_EQ(c.ndesc, 1);

    /* event suppression */
    uint16_t *drv = (uint16_t *)(mem + 0x1000), *dev = (uint16_t *)(mem + 0x1010);
    CHECK(ring_driver_wants_call(&r));
    drv[1] = VRING_PACKED_EVENT_FLAG_DISABLE;
    CHECK(!ring_driver_wants_call(&r));
    ring_set_kick_wanted(&r, false);
    CHECK_EQ(dev[1], VRING_PACKED_EVENT_FLAG_DISABLE);
    free(mem);
}

/* A driver that moves avail->idx further than the ring holds has broken the
 * ring: the walker stops there instead of taking tens of thousands of chains. */
static void test_split_avail_jump(void)
{
    setup();
    struct ring r;
    struct chain c;
    CHECK_EQ(ring_attach(&r, &mt, NUM, false, uva(0), uva(0x1000), uva(0x2000)), RING_ATTACHED);
    sdesc()[0] = (struct vring_desc){gpa(0x4000), 64, 0, 0};
    savail()[2] = 0;
    savail()[1] = NUM; /* exactly a ring's worth: allowed */
    CHECK_EQ(ring_take(&r, &mt, &c), RING_GOT);
    r.last_avail = 0;
    savail()[1] = NUM + 1;
    CHECK_EQ(ring_take(&r, &mt, &c), RING_E_HEAD);
    savail()[1] = 40000;
    CHECK_EQ(ring_take(&r, &mt, &c), RING_E_HEAD);
    CHECK_EQ(r.last_avail, 0);
    free(mem);
}

static void test_alignment(void)
{
    setup();
    struct ring r;
    CHECK_EQ(ring_attach(&r, &mt, NUM, false, uva(8), uva(0x1000), uva(0x2000)), RING_E_MISALIGNED);
    CHECK_EQ(ring_attach(&r, &mt, NUM, false, uva(0), uva(0x1001), uva(0x2000)), RING_E_MISALIGNED);
    CHECK_EQ(ring_attach(&r, &mt, NUM, false, uva(0), uva(0x1000), uva(0x2002)), RING_E_MISALIGNED);
    CHECK_EQ(ring_attach(&r, &mt, NUM, true, uva(0), uva(0x1002), uva(0x1010)), RING_E_MISALIGNED);
    CHECK_EQ(ring_attach(&r, &mt, NUM, false, uva(0), uva(0x1002), uva(0x2004)), RING_ATTACHED);
    CHECK_EQ(ring_attach(&r, &mt, 6, false, uva(0), uva(0x1000), uva(0x2000)), RING_E_SIZE);
    CHECK_EQ(ring_attach(&r, &mt, NUM, false, uva(0), uva(0x1000), uva(MEM_SIZE - 8)), RING_E_OUTSIDE);
    /* a broken ring (num 0) ignores everything asked of it */
    memset(&r, 0, sizeof r);
    ring_set_kick_wanted(&r, true);
    ring_publish(&r);
    CHECK(!ring_driver_wants_call(&r));
    CHECK(!ring_has_avail(&r));
    free(mem);
}

/* The memory table maps only what its fds can back. */
static void test_mem_map_checks(void)
{
    long page = sysconf(_SC_PAGESIZE);
    int fd = memfd_create("guest", MFD_CLOEXEC);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 4 * page), 0);
    struct mem_table t;
    memset(&t, 0, sizeof t);
    char why[128];
    struct mem_region r = {.gpa = 0, .size = (uint64_t)(4 * page), .uva = 0x700000000000ull, .mmap_offset = 0, .fault_id = -1};
    _Atomic uint32_t faults = 0;
    CHECK_EQ(mem_map(&t, &r, 1, &fd, &faults, why, sizeof why), 0);
    CHECK_EQ(mem_mapped(&t), (uint64_t)(4 * page));
    /* a region longer than its fd */
    struct mem_region longer = r;
    longer.size = (uint64_t)(8 * page);
    CHECK(mem_map(&t, &longer, 1, &fd, &faults, why, sizeof why) < 0);
    CHECK(strstr(why, "holds") != NULL);
    CHECK_EQ(mem_mapped(&t), (uint64_t)(4 * page)); /* unchanged */
    /* an offset that pushes the region past the end */
    struct mem_region shifted = r;
    shifted.mmap_offset = (uint64_t)page;
    CHECK(mem_map(&t, &shifted, 1, &fd, &faults, why, sizeof why) < 0);
    /* an fd that is no memory file */
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    CHECK(mem_map(&t, &r, 1, &sv[0], &faults, why, sizeof why) < 0);
    CHECK(strstr(why, "not a memory file") != NULL);
    close(sv[0]);
    close(sv[1]);

    /* Truncated after mapping: the guard absorbs the fault and counts it. */
    CHECK_EQ(fault_install(), 0);
    volatile uint8_t *p = mem_gpa(&t, 0, 1);
    CHECK(p != NULL);
    p[0] = 1;
    CHECK_EQ(ftruncate(fd, 0), 0);
    p[2 * page] = 7; /* past the new end: SIGBUS, absorbed */
    CHECK_EQ(p[2 * page], 7);
    CHECK_EQ(faults, 1);
    CHECK(fault_total() >= 1);
    mem_unmap(&t);
    CHECK_EQ(mem_mapped(&t), 0);
    close(fd);
}

static void test_mem(void)
{
    setup();
    CHECK(mem_gpa(&mt, gpa(0), MEM_SIZE) == mem);
    CHECK(mem_gpa(&mt, gpa(1), MEM_SIZE) == NULL);
    CHECK(mem_gpa(&mt, gpa(0), 0) == NULL);
    CHECK(mem_gpa(&mt, 0xfff0, 0x20) == NULL);
    CHECK(mem_uva(&mt, uva(MEM_SIZE - 1), 1) == mem + MEM_SIZE - 1);
    CHECK(mem_uva(&mt, UINT64_MAX, 2) == NULL);
    free(mem);
}

int main(void)
{
    test_mem();
    test_mem_map_checks();
    test_split_avail_jump();
    test_alignment();
    test_split_basic();
    test_split_misbehaving_driver();
    test_split_long_chain();
    test_packed();
    return CHECK_SUMMARY();
}
