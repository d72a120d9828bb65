/*
 * The dirty log of live migration. First the data path alone, on rings in
 * local memory and a log in local memory: the bit of every guest page an
 * RX burst writes (in one page, across pages, over several segments and
 * several mergeable buffers, split and packed), the used ring's entries
 * and index at log_guest_addr, TX completions, the control queue's
 * answer, buffers on both sides of a region boundary and in a region whose
 * guest address is not page aligned, a log smaller than the memory, and no
 * mark at all while logging is off. Then the vhost-user side in one
 * process (a started DPU, the test front-end as the driver): what is
 * offered, SET_LOG_BASE and its reply, the log replaced while traffic
 * runs (the old mapping gone and never written again), the rings stopped
 * at GET_VRING_BASE with nothing in flight and a second device resuming
 * from that base, a cancelled migration and a second one, SEND_RARP, and
 * a packed ring started at a base with its wrap counter.
 */
#include "check.h"
#include "dpu/ctrlq.h"
#include "dpu/device.h"
#include "dpu/dpu.h"
#include "dpu/ring.h"
#include "dpu/rx.h"
#include "dpu/tx.h"
#include "fe.h"
#include "vhost_msg.h"

#include <dirent.h>
#include <linux/vhost_types.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#define STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define LOAD_ACQ(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)

#define PAGE 4096u
#define MEM_SIZE (2u << 20)
#define GPA0 0x100000ull
#define NUM 256u
#define LOG_BYTES (64u * 1024u) /* pages [0, 2^19): 2 GiB of guest addresses */
#define F_V1 VNET_BIT(VIRTIO_F_VERSION_1)
#define F_MRG VNET_BIT(VIRTIO_NET_F_MRG_RXBUF)

/* ---- a driver's rings in local memory ---- */

struct drv {
    uint8_t *mem;
    struct mem_table mt;
    bool packed;
    /* split */
    struct vring_desc *desc;
    uint16_t *avail;
    uint16_t *used;
    uint16_t avail_idx;
    /* packed */
    struct vring_packed_desc *pdesc;
    bool wrap;
    uint16_t next_id;
    /* both */
    uint16_t next; /* next free descriptor slot */
};

/* Areas: descriptors at 0 (one page), split avail at 0x1000, the used ring
 * at 0x2800, whose entry 255 crosses into the page at 0x3000; packed event
 * areas at 0x1000 and 0x1010. Buffers from 0x10000. */
#define AVAIL_AT 0x1000u
#define USED_AT 0x2800u

/* One region over all of the memory at GPA0, or two: the second half at
 * gpa1 (GPA0 + MEM_SIZE / 2: right after the first). */
static void drv_init(struct drv *v, bool packed, uint64_t gpa1)
{
    memset(v, 0, sizeof *v);
    v->mem = aligned_alloc(PAGE, MEM_SIZE);
    memset(v->mem, 0, MEM_SIZE);
    v->mt.n = gpa1 ? 2 : 1;
    uint64_t half = gpa1 ? MEM_SIZE / 2 : MEM_SIZE;
    v->mt.r[0] = (struct mem_region){GPA0, half, (uint64_t)(uintptr_t)v->mem, 0, v->mem, NULL, 0, -1};
    if (gpa1)
        v->mt.r[1] = (struct mem_region){gpa1, half, (uint64_t)(uintptr_t)(v->mem + half), 0, v->mem + half, NULL, 0, -1};
    v->packed = packed;
    if (packed) {
        v->pdesc = (struct vring_packed_desc *)v->mem;
        v->wrap = true;
    } else {
        v->desc = (struct vring_desc *)v->mem;
        v->avail = (uint16_t *)(v->mem + AVAIL_AT);
        v->used = (uint16_t *)(v->mem + USED_AT);
    }
}

static uint64_t gpa_of(const struct drv *v, const void *p)
{
    for (uint32_t i = 0; i < v->mt.n; i++) {
        const struct mem_region *r = &v->mt.r[i];
        if ((const uint8_t *)p >= r->host && (const uint8_t *)p < r->host + r->size)
            return r->gpa + (uint64_t)((const uint8_t *)p - r->host);
    }
    return 0xdead0000ull; /* outside: the device refuses it */
}

static uint64_t page_of(const struct drv *v, const void *p) { return gpa_of(v, p) / PAGE; }

/* Posts one chain of n writable buffers (or readable ones: out). */
static void post(struct drv *v, unsigned n, uint8_t *const *buf, const uint32_t *len, bool out)
{
    uint16_t flags_w = out ? 0 : VRING_DESC_F_WRITE;
    if (v->packed) {
        uint16_t first = v->next, first_flags = 0, id = v->next_id++;
        for (unsigned k = 0; k < n; k++) {
            struct vring_packed_desc *d = &v->pdesc[v->next];
            d->addr = gpa_of(v, buf[k]);
            d->len = len[k];
            d->id = id;
            uint16_t f = (uint16_t)((v->wrap ? PACKED_F_AVAIL : PACKED_F_USED) | flags_w | (k + 1 < n ? VRING_DESC_F_NEXT : 0));
            if (k == 0)
                first_flags = f;
            else
                STORE_REL(&d->flags, f);
            if (++v->next == NUM) {
                v->next = 0;
                v->wrap = !v->wrap;
            }
        }
        STORE_REL(&v->pdesc[first].flags, first_flags);
        return;
    }
    uint16_t head = v->next;
    for (unsigned k = 0; k < n; k++) {
        uint16_t slot = v->next;
        v->next = (uint16_t)((v->next + 1) % NUM);
        v->desc[slot] = (struct vring_desc){gpa_of(v, buf[k]), len[k],
                                            (uint16_t)(flags_w | (k + 1 < n ? VRING_DESC_F_NEXT : 0)), v->next};
    }
    v->avail[2 + (v->avail_idx % NUM)] = head;
    v->avail_idx++;
    STORE_REL(&v->avail[1], v->avail_idx);
}

static void post1(struct drv *v, uint8_t *buf, uint32_t len, bool out) { post(v, 1, &buf, &len, out); }

/* ---- a device on those rings, with a log in local memory ---- */

static vnet_queue_counters cnt[3];

static struct dev *make_dev(struct drv *v, uint16_t queues, uint64_t features)
{
    vnet_fn_info info;
    memset(&info, 0, sizeof info);
    info.num_queues = queues;
    info.mtu = 1500;
    memset(cnt, 0, sizeof cnt);
    struct dev *d = device_new(NULL, &info, cnt);
    d->mem = v->mt;
    atomic_store(&d->features, features);
    d->hdr_len = (features & F_MRG) ? 12 : 10;
    d->backend = VNET_BACKEND_SINK;
    d->log.bits = calloc(1, LOG_BYTES);
    d->log.size = LOG_BYTES;
    return d;
}

/* Starts queue i on v's rings (one ring model per device: the tests use
 * one queue at a time). */
static struct vq *start_queue(struct dev *d, struct drv *v, uint16_t i)
{
    struct vq *q = &d->vq[i];
    uint64_t base = (uint64_t)(uintptr_t)v->mem;
    int rc = v->packed ? ring_attach(&q->ring, &d->mem, NUM, true, base, base + AVAIL_AT, base + AVAIL_AT + 16)
                       : ring_attach(&q->ring, &d->mem, NUM, false, base, base + AVAIL_AT, base + USED_AT);
    CHECK_EQ(rc, RING_ATTACHED);
    q->started = q->enabled = true;
    q->num = NUM;
    return q;
}

/* Logging on for q as the handlers set it: the used ring at its guest address. */
static void log_on(struct dev *d, struct drv *v, struct vq *q, bool used)
{
    uint64_t used_log = v->packed ? gpa_of(v, v->mem + AVAIL_AT + 16) : gpa_of(v, v->used);
    ring_set_log(&q->ring, &d->log, used, used_log, v->packed ? gpa_of(v, v->pdesc) : UINT64_MAX);
}

static void free_dev(struct dev *d)
{
    free(d->log.bits);
    free(d->vq);
    free(d);
}

static unsigned bits_set(const struct dirty_log *l)
{
    unsigned n = 0;
    for (uint64_t i = 0; i < l->size; i++)
        n += (unsigned)__builtin_popcount(l->bits[i]);
    return n;
}

/* Exactly these pages are marked (duplicates allowed in the list). */
static void check_pages(const struct dirty_log *l, const uint64_t *pages, unsigned n, int line)
{
    unsigned distinct = 0;
    for (unsigned i = 0; i < n; i++) {
        bool dup = false;
        for (unsigned k = 0; k < i; k++)
            dup |= pages[k] == pages[i];
        distinct += !dup;
        if (!dirty_test(l, pages[i])) {
            fprintf(stderr, "line %d: page 0x%llx is not marked\n", line, (unsigned long long)pages[i]);
            CHECK(!"page marked");
        }
    }
    if (bits_set(l) != distinct) {
        fprintf(stderr, "line %d: %u pages marked, %u expected\n", line, bits_set(l), distinct);
        CHECK(!"no other page marked");
    }
}
#define CHECK_PAGES(l, ...)                                                                                 \
    do {                                                                                                    \
        const uint64_t pages_[] = {__VA_ARGS__};                                                            \
        check_pages((l), pages_, sizeof pages_ / sizeof pages_[0], __LINE__);                               \
    } while (0)

static void clear_log(struct dirty_log *l) { memset(l->bits, 0, l->size); }

static uint8_t frame_data[12 + 9000];

/* Delivers one frame of `len` bytes and publishes, as notify_completed does. */
static unsigned rx_one(struct dev *d, struct vq *rx, uint32_t len)
{
    struct rx_frame f = {frame_data, len, 0, 0};
    unsigned given = 0;
    CHECK_EQ(rx_put_burst(d, rx, &f, 1, &given), 1);
    ring_publish(&rx->ring);
    return given;
}

/* ---- the data path's marks ---- */

static void test_rx_split(void)
{
    struct drv v;
    drv_init(&v, false, 0);
    struct dev *d = make_dev(&v, 2, F_V1 | F_MRG);
    struct vq *rx = start_queue(d, &v, 0);
    log_on(d, &v, rx, false); /* the buffers only: the used ring is the next test's */
    struct dirty_log *l = &d->log;

    /* one page */
    uint8_t *b = v.mem + 0x10000;
    post1(&v, b, 2048, false);
    CHECK_EQ(rx_one(d, rx, 100), 1);
    CHECK_PAGES(l, page_of(&v, b));
    CHECK_EQ(atomic_load(&l->pages), 1);
    clear_log(l);

    /* a buffer across a page boundary, the frame over it */
    b = v.mem + 0x12000 - 40;
    post1(&v, b, 2048, false);
    rx_one(d, rx, 200);
    CHECK_PAGES(l, page_of(&v, b), page_of(&v, b + 211));
    clear_log(l);
    /* the same buffer, a frame that stays before the boundary: one page */
    post1(&v, b, 2048, false);
    rx_one(d, rx, 20);
    CHECK_PAGES(l, page_of(&v, b));
    clear_log(l);

    /* a chain of three segments in three pages, the frame in the first two */
    uint8_t *segs[3] = {v.mem + 0x20000, v.mem + 0x30000 + 100, v.mem + 0x40000};
    const uint32_t lens[3] = {64, 64, 2000};
    post(&v, 3, segs, lens, false);
    rx_one(d, rx, 100); /* 12 + 100 bytes: 64 in the first, 48 in the second */
    CHECK_PAGES(l, page_of(&v, segs[0]), page_of(&v, segs[1]));
    clear_log(l);

    /* a frame over three mergeable buffers in three pages */
    for (int i = 0; i < 3; i++)
        post1(&v, v.mem + 0x50000 + (size_t)i * 0x3000, 1000, false);
    CHECK_EQ(rx_one(d, rx, 2500), 3);
    CHECK_PAGES(l, page_of(&v, v.mem + 0x50000), page_of(&v, v.mem + 0x53000), page_of(&v, v.mem + 0x56000));
    clear_log(l);

    /* a burst of frames into buffers sharing pages: each page once */
    struct rx_frame f[8];
    for (int i = 0; i < 8; i++) {
        post1(&v, v.mem + 0x60000 + (size_t)i * 2048, 2048, false);
        f[i] = (struct rx_frame){frame_data, 1000, 0, 0};
    }
    unsigned given = 0;
    uint64_t before = atomic_load(&l->pages);
    CHECK_EQ(rx_put_burst(d, rx, f, 8, &given), 8);
    ring_publish(&rx->ring);
    CHECK_PAGES(l, 0x160, 0x161, 0x162, 0x163);
    CHECK_EQ(atomic_load(&l->pages) - before, 4);
    /* the same pages again: already marked, nothing new counted */
    for (int i = 0; i < 8; i++)
        post1(&v, v.mem + 0x60000 + (size_t)i * 2048, 2048, false);
    CHECK_EQ(rx_put_burst(d, rx, f, 8, &given), 8);
    ring_publish(&rx->ring);
    CHECK_EQ(atomic_load(&l->pages) - before, 4);
    clear_log(l);

    /* logging off: a burst marks nothing and counts nothing */
    ring_set_log(&rx->ring, NULL, false, 0, UINT64_MAX);
    uint64_t pages = atomic_load(&l->pages);
    post1(&v, v.mem + 0x70000, 2048, false);
    rx_one(d, rx, 1500);
    CHECK_EQ(bits_set(l), 0);
    CHECK_EQ(atomic_load(&l->pages), pages);
    free_dev(d);
    free(v.mem);
}

/* The used ring at log_guest_addr: entries over the end of the ring and
 * across a page, the index, the flags the device writes to ask for kicks;
 * none of it without VHOST_VRING_F_LOG. */
static void test_used_ring_split(void)
{
    struct drv v;
    drv_init(&v, false, 0);
    struct dev *d = make_dev(&v, 2, F_V1 | F_MRG);
    struct vq *rx = start_queue(d, &v, 0);
    /* a ring that ran for a while: the next used entry is 250 */
    v.avail_idx = 250;
    v.avail[1] = 250;
    v.used[1] = 250;
    rx->ring.last_avail = rx->ring.used_idx = rx->ring.shadow_used = 250;
    log_on(d, &v, rx, true);
    struct dirty_log *l = &d->log;
    const uint64_t used_page = page_of(&v, v.used), next_page = used_page + 1;
    struct rx_frame f[10];
    for (int i = 0; i < 10; i++) {
        post1(&v, v.mem + 0x10000 + (size_t)i * PAGE, 2048, false);
        f[i] = (struct rx_frame){frame_data, 60, 0, 0};
    }
    unsigned given = 0;
    CHECK_EQ(rx_put_burst(d, rx, f, 10, &given), 10);
    CHECK_EQ(bits_set(l), 10); /* the buffers at once, the used ring when published */
    ring_publish(&rx->ring);
    /* entries 250..255 then 0..3; entry 255 ends in the next page */
    CHECK_PAGES(l, 0x110, 0x111, 0x112, 0x113, 0x114, 0x115, 0x116, 0x117, 0x118, 0x119, used_page, next_page);
    CHECK_EQ(v.used[1], 260 & 0xffff);
    clear_log(l);
    /* an entry and the index only, in the first page */
    post1(&v, v.mem + 0x10000, 2048, false);
    rx_one(d, rx, 60);
    CHECK_PAGES(l, 0x110, used_page);
    clear_log(l);
    /* the kick flags */
    ring_set_kick_wanted(&rx->ring, false);
    CHECK_PAGES(l, used_page);
    clear_log(l);

    /* LOG_ALL without VHOST_VRING_F_LOG: the buffers, not the used ring */
    log_on(d, &v, rx, false);
    post1(&v, v.mem + 0x10000, 2048, false);
    rx_one(d, rx, 60);
    ring_set_kick_wanted(&rx->ring, true);
    CHECK_PAGES(l, 0x110);
    free_dev(d);
    free(v.mem);
}

/* Packed: the buffers, and the descriptors written back in the ring by
 * their guest address (the ring's page), over the ring's end. */
static void test_rx_packed(void)
{
    struct drv v;
    drv_init(&v, true, 0);
    struct dev *d = make_dev(&v, 2, F_V1 | F_MRG | VNET_BIT(VIRTIO_F_RING_PACKED));
    struct vq *rx = start_queue(d, &v, 0);
    log_on(d, &v, rx, true);
    struct dirty_log *l = &d->log;
    const uint64_t ring_page = page_of(&v, v.pdesc), event_page = page_of(&v, v.mem + AVAIL_AT);
    uint8_t *b = v.mem + 0x11000 - 30;
    post1(&v, b, 2048, false);
    rx_one(d, rx, 100);
    CHECK_PAGES(l, page_of(&v, b), page_of(&v, b + 111), ring_page);
    clear_log(l);
    /* around the ring: 250 slots, then a burst of 10 over its end */
    for (int round = 0; round < 25; round++) {
        struct rx_frame f[10];
        for (int i = 0; i < 10; i++) {
            post1(&v, v.mem + 0x20000, 2048, false);
            f[i] = (struct rx_frame){frame_data, 60, 0, 0};
        }
        unsigned given = 0;
        CHECK_EQ(rx_put_burst(d, rx, f, 10, &given), 10);
        ring_publish(&rx->ring);
    }
    CHECK_EQ(rx->ring.used_idx, 251);
    clear_log(l);
    struct rx_frame f[10];
    for (int i = 0; i < 10; i++) {
        post1(&v, v.mem + 0x30000 + (size_t)i * 2048, 2048, false);
        f[i] = (struct rx_frame){frame_data, 60, 0, 0};
    }
    unsigned given = 0;
    CHECK_EQ(rx_put_burst(d, rx, f, 10, &given), 10);
    ring_publish(&rx->ring);
    CHECK_EQ(rx->ring.used_idx, 5);
    CHECK_PAGES(l, 0x130, 0x131, 0x132, 0x133, 0x134, ring_page);
    clear_log(l);
    /* the device event area's flags, at log_guest_addr */
    ring_set_kick_wanted(&rx->ring, false);
    CHECK_PAGES(l, event_page);
    free_dev(d);
    free(v.mem);
}

/* TX: completing chains writes the used ring only, not the buffers. */
static void test_tx(bool packed)
{
    struct drv v;
    drv_init(&v, packed, 0);
    struct dev *d = make_dev(&v, 2, F_V1 | F_MRG | (packed ? VNET_BIT(VIRTIO_F_RING_PACKED) : 0));
    struct vq *tx = start_queue(d, &v, 1);
    log_on(d, &v, tx, true);
    for (int i = 0; i < 4; i++)
        post1(&v, v.mem + 0x10000 + (size_t)i * PAGE, 12 + 100, true);
    CHECK_EQ(tx_burst(d, tx, 1518), 4);
    CHECK_EQ(cnt[1].packets, 4);
    if (packed)
        CHECK_PAGES(&d->log, page_of(&v, v.pdesc));
    else
        CHECK_PAGES(&d->log, page_of(&v, v.used));
    free_dev(d);
    free(v.mem);
}

/* The control queue's answer byte. */
static void test_ctrlq(void)
{
    struct drv v;
    drv_init(&v, false, 0);
    struct dev *d = make_dev(&v, 3, F_V1 | VNET_BIT(VIRTIO_NET_F_CTRL_VQ));
    struct vq *cq = start_queue(d, &v, 2);
    log_on(d, &v, cq, false);
    uint8_t *cmd = v.mem + 0x10000, *ack = v.mem + 0x25000 + 7;
    cmd[0] = VIRTIO_NET_CTRL_RX;
    cmd[1] = VIRTIO_NET_CTRL_RX_PROMISC;
    cmd[2] = 1;
    uint16_t head = v.next;
    v.desc[head] = (struct vring_desc){gpa_of(&v, cmd), 3, VRING_DESC_F_NEXT, (uint16_t)(head + 1)};
    v.desc[head + 1] = (struct vring_desc){gpa_of(&v, ack), 1, VRING_DESC_F_WRITE, 0};
    v.avail[2 + (v.avail_idx % NUM)] = head;
    v.avail_idx++;
    STORE_REL(&v.avail[1], v.avail_idx);
    *ack = 0xee;
    CHECK_EQ(ctrlq_burst(d, cq), 1);
    CHECK_EQ(*ack, VIRTIO_NET_OK);
    CHECK_PAGES(&d->log, page_of(&v, ack));
    free_dev(d);
    free(v.mem);
}

/* A reader standing for the TAP: `len` bytes per read. */
static ssize_t fake_readv(void *ctx, const struct iovec *iov, int n)
{
    size_t want = *(size_t *)ctx, done = 0;
    for (int i = 0; i < n && done < want; i++) {
        size_t step = iov[i].iov_len < want - done ? iov[i].iov_len : want - done;
        memset(iov[i].iov_base, 0x3c, step);
        done += step;
    }
    return (ssize_t)done;
}

/* Frames read straight into the buffer (the TAP's path). */
static void test_rx_read(void)
{
    struct drv v;
    drv_init(&v, false, 0);
    struct dev *d = make_dev(&v, 2, F_V1 | F_MRG);
    struct vq *rx = start_queue(d, &v, 0);
    log_on(d, &v, rx, false);
    uint8_t *b = v.mem + 0x15000 - 100;
    post1(&v, b, 2048, false);
    static uint8_t spill[65536];
    size_t len = 12 + 500;
    unsigned given = 0;
    CHECK_EQ(rx_read(d, rx, fake_readv, &len, spill, sizeof spill, &given), 1);
    CHECK_EQ(given, 1);
    CHECK_PAGES(&d->log, page_of(&v, b), page_of(&v, b + len - 1));
    free_dev(d);
    free(v.mem);
}

/* Buffers on both sides of a region boundary, and in a region whose guest
 * address is not page aligned. */
static void test_regions(void)
{
    /* the second region right after the first */
    struct drv v;
    const uint64_t gpa1 = GPA0 + MEM_SIZE / 2;
    drv_init(&v, false, gpa1);
    struct dev *d = make_dev(&v, 2, F_V1 | F_MRG);
    struct vq *rx = start_queue(d, &v, 0);
    log_on(d, &v, rx, false);
    struct dirty_log *l = &d->log;
    uint8_t *end0 = v.mem + MEM_SIZE / 2 - 100, *start1 = v.mem + MEM_SIZE / 2;
    CHECK_EQ(gpa_of(&v, end0) + 100, gpa_of(&v, start1));
    uint8_t *segs[2] = {end0, start1};
    const uint32_t lens[2] = {100, 2000};
    post(&v, 2, segs, lens, false);
    rx_one(d, rx, 1000);
    CHECK_PAGES(l, (gpa1 - 1) / PAGE, gpa1 / PAGE);
    clear_log(l);
    /* one descriptor over the boundary: the ring refuses it (a segment is
     * one region's), it comes back empty and nothing is written or marked */
    post1(&v, end0, 2000, false);
    post1(&v, v.mem + 0x10000, 2048, false);
    rx_one(d, rx, 1000);
    CHECK_EQ(cnt[0].invalid_buffer, 1);
    CHECK_PAGES(l, page_of(&v, v.mem + 0x10000));
    free_dev(d);
    free(v.mem);

    /* a second region far away, at an address that is not page aligned */
    const uint64_t far = 0x40000800ull;
    drv_init(&v, false, far);
    d = make_dev(&v, 2, F_V1 | F_MRG);
    rx = start_queue(d, &v, 0);
    log_on(d, &v, rx, false);
    l = &d->log;
    uint8_t *b = v.mem + MEM_SIZE / 2 + 0x700; /* gpa 0x40000f00 */
    post1(&v, b, 2048, false);
    rx_one(d, rx, 500); /* 512 bytes to 0x400010ff */
    CHECK_PAGES(l, 0x40000, 0x40001);
    free_dev(d);
    free(v.mem);
}

/* A log smaller than the guest's memory: the pages past it are counted,
 * never written. */
static void test_small_log(void)
{
    struct drv v;
    drv_init(&v, false, 0);
    struct dev *d = make_dev(&v, 2, F_V1 | F_MRG);
    struct vq *rx = start_queue(d, &v, 0);
    log_on(d, &v, rx, true);
    free(d->log.bits);
    /* 0x22 bytes: pages [0, 0x110), the buffers at page 0x110 lie past it;
     * malloc'd exactly, so AddressSanitizer sees a write one byte beyond */
    d->log.size = 0x22;
    d->log.bits = calloc(1, d->log.size);
    post1(&v, v.mem + 0x10000, 2048, false);
    post1(&v, v.mem + 0x10fff - 5, 2048, false);
    struct rx_frame f[2] = {{frame_data, 100, 0, 0}, {frame_data, 100, 0, 0}};
    unsigned given = 0;
    CHECK_EQ(rx_put_burst(d, rx, f, 2, &given), 2);
    ring_publish(&rx->ring);
    /* the used ring (page 0x102) is inside, the buffers (0x110, 0x111) are not */
    CHECK_PAGES(&d->log, page_of(&v, v.used));
    CHECK_EQ(atomic_load(&d->log.skipped), 3);
    free_dev(d);
    free(v.mem);
}

/* The batch on its own: words, the end of the address space, many words. */
static void test_batch(void)
{
    struct dirty_log l;
    memset(&l, 0, sizeof l);
    l.size = 1024; /* 8192 pages */
    l.bits = calloc(1, l.size);
    struct dirty_batch b;
    dirty_batch_init(&b, &l);
    dirty_batch_gpa(&b, 62ull * PAGE + 10, 3 * PAGE); /* pages 62..65, over a 64-page word */
    dirty_batch_gpa(&b, 0, 0);                        /* nothing */
    CHECK_EQ(bits_set(&l), 0);                        /* nothing before the flush */
    dirty_batch_flush(&b);
    CHECK_PAGES(&l, 62, 63, 64, 65);
    CHECK_EQ(atomic_load(&l.pages), 4);
    memset(l.bits, 0, l.size);
    /* a range the front-end put at the top of the address space */
    dirty_batch_gpa(&b, UINT64_MAX - 100, 4096);
    dirty_batch_flush(&b);
    CHECK_EQ(bits_set(&l), 0);
    CHECK_EQ(atomic_load(&l.skipped), 1);
    /* more words than a batch holds: it flushes on its own */
    for (unsigned i = 0; i < 40; i++)
        dirty_batch_gpa(&b, (uint64_t)i * 64 * PAGE, 1);
    dirty_batch_flush(&b);
    CHECK_EQ(bits_set(&l), 40);
    for (unsigned i = 0; i < 40; i++)
        CHECK(dirty_test(&l, (uint64_t)i * 64));
    /* the last page the log covers, and the first past it */
    memset(l.bits, 0, l.size);
    dirty_batch_gpa(&b, 8191ull * PAGE, 2 * PAGE);
    dirty_batch_flush(&b);
    CHECK_PAGES(&l, 8191);
    CHECK_EQ(atomic_load(&l.skipped), 2);
    free(l.bits);
}

/* ---- the vhost-user side, in one process ---- */

static char dir[] = "/tmp/vnet-dirty-XXXXXX";

static struct dpu *start(void)
{
    struct dpu *dpu = NULL;
    CHECK_EQ(dpu_create(NULL, &dpu), VNET_OK);
    vnet_start_params p;
    memset(&p, 0, sizeof p);
    snprintf(p.socket_dir, sizeof p.socket_dir, "%s", dir);
    p.workers = 2;
    p.default_backend = VNET_BACKEND_ECHO;
    p.idle_poll_us = VNET_IDLE_POLL_DEFAULT_US;
    CHECK_EQ(dpu_start(dpu, &p), VNET_OK);
    return dpu;
}

static vnet_fn_info device_q(struct dpu *dpu, uint8_t last, uint64_t extra, uint16_t queues)
{
    vnet_fn_spec s;
    memset(&s, 0, sizeof s);
    s.type = VNET_FN_HOTPLUG_PF;
    s.pf_index = s.vf_index = s.port = s.sf_num = -1;
    strcpy(s.ib_device, "mlx5_0");
    const uint8_t mac[6] = {0x02, 0x4d, 0x49, 0x47, 0, last};
    memcpy(s.mac, mac, 6);
    s.mtu = 1500;
    s.num_queues = queues;
    s.max_queue_size = 256;
    s.features = F_V1 | VNET_BIT(VIRTIO_NET_F_MAC) | F_MRG | extra;
    vnet_fn_info i;
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_OK);
    return i;
}

static vnet_fn_info device(struct dpu *dpu, uint8_t last, uint64_t extra) { return device_q(dpu, last, extra, 2); }

static vnet_fn_info query(struct dpu *dpu, const vnet_fn_info *f)
{
    vnet_fn_info i;
    memset(&i, 0, sizeof i);
    CHECK_EQ(dpu_fn_query(dpu, f->handle, &i), VNET_OK);
    return i;
}

/* A log for the front-end's memory, as QEMU sizes it: a bit per page from
 * guest address 0 to the end of the memory, in 64-bit words. */
struct log {
    int fd;
    uint8_t *bits;
    size_t size;
};

static struct log log_new(const struct fe *f, int n)
{
    char name[32];
    snprintf(name, sizeof name, "test-log-%d", n);
    struct log l;
    l.size = (size_t)(((f->gpa_base + f->mem_size) / PAGE + 63) / 64 * 8);
    l.fd = memfd_create(name, MFD_CLOEXEC);
    CHECK(l.fd >= 0 && ftruncate(l.fd, (off_t)l.size) == 0);
    l.bits = mmap(NULL, l.size, PROT_READ | PROT_WRITE, MAP_SHARED, l.fd, 0);
    CHECK(l.bits != MAP_FAILED);
    return l;
}

static void log_free(struct log *l)
{
    munmap(l->bits, l->size);
    close(l->fd);
}

static bool marked(const struct log *l, const struct fe *f, const void *p)
{
    uint64_t page = fe_gpa(f, p) / PAGE;
    return (LOAD_ACQ(&l->bits[page / 8]) >> (page % 8)) & 1;
}

static unsigned popcount(const struct log *l)
{
    unsigned n = 0;
    for (size_t i = 0; i < l->size; i++)
        n += (unsigned)__builtin_popcount(LOAD_ACQ(&l->bits[i]));
    return n;
}

/* Lines of /proc/self/maps, or fds in /proc/self/fd, that name `what`. */
static int maps_naming(const char *what)
{
    FILE *m = fopen("/proc/self/maps", "r");
    char line[512];
    int n = 0;
    while (m && fgets(line, sizeof line, m))
        n += strstr(line, what) != NULL;
    if (m)
        fclose(m);
    return n;
}

static int fds_naming(const char *what)
{
    DIR *dd = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;
    while (dd && (e = readdir(dd))) {
        char link[300], target[256];
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t k = readlink(link, target, sizeof target - 1);
        if (k > 0) {
            target[k] = '\0';
            n += strstr(target, what) != NULL;
        }
    }
    if (dd)
        closedir(dd);
    return n;
}

static int ack_of(struct fe *f, uint32_t req, const void *p, uint32_t size)
{
    uint64_t ack = 99;
    if (fe_request(f, req, VU_VERSION | VU_FLAG_NEED_REPLY, p, size, NULL, 0, &ack, 8))
        return -1;
    return (int)ack;
}

/* One frame through the echo: out on TX 1, back on RX 0. */
static bool echoes(struct fe *f, uint8_t tag, size_t len)
{
    uint8_t frame[1500], got[FE_BUF_SIZE];
    memset(frame, tag, sizeof frame);
    fe_post_rx(f, 0, 1);
    if (fe_send(f, 1, frame, len) || fe_take_used(f, 1, NULL, 0, 2000) < 0)
        return false;
    return fe_take_used(f, 0, got, sizeof got, 2000) == (int)(12 + len) && memcmp(got + 12, frame, len) == 0;
}

static void test_offered(void)
{
    struct dpu *dpu = start();
    vnet_fn_info d = device(dpu, 1, 0);
    struct fe f;
    CHECK_EQ(fe_connect(&f, d.vhost_socket), 0);
    uint64_t features = 0, proto = 0;
    CHECK_EQ(fe_request(&f, VU_GET_FEATURES, 0, NULL, 0, NULL, 0, &features, 8), 0);
    CHECK(features & VNET_BIT(VHOST_F_LOG_ALL));
    CHECK_EQ(fe_request(&f, VU_GET_PROTOCOL_FEATURES, 0, NULL, 0, NULL, 0, &proto, 8), 0);
    CHECK(proto & VU_PROTO_LOG_SHMFD);
    CHECK(proto & VU_PROTO_RARP);
    fe_close(&f);

    CHECK_EQ(fe_connect(&f, d.vhost_socket), 0);
    CHECK_EQ(fe_setup(&f, F_V1 | F_MRG, 2, 256), 0);
    CHECK(f.protocol_features & VU_PROTO_LOG_SHMFD);
    /* LOG_ALL before a log (QEMU restarting a device mid-migration sends
     * it first): taken, but nothing logs until the log comes */
    uint64_t with_log = f.features | VNET_BIT(VHOST_F_LOG_ALL);
    CHECK_EQ(ack_of(&f, VU_SET_FEATURES, &with_log, 8), 0);
    vnet_fn_info i = query(dpu, &d);
    CHECK_EQ(i.log_enabled, 0);
    CHECK_EQ(i.migration, VNET_MIGRATION_NONE);
    CHECK(echoes(&f, 1, 100));
    /* SET_LOG_FD: refused, its fd closed */
    int e = eventfd(0, EFD_CLOEXEC);
    uint64_t ack = 99;
    CHECK_EQ(fe_request(&f, VU_SET_LOG_FD, VU_VERSION | VU_FLAG_NEED_REPLY, NULL, 0, &e, 1, &ack, 8), 0);
    CHECK_EQ(ack, 1);
    close(e);
    /* SET_LOG_BASE asking for REPLY_ACK gets one reply, its own */
    struct log l = log_new(&f, 0);
    const uint64_t lg[2] = {l.size, 0};
    uint64_t reply = 99;
    CHECK_EQ(fe_request(&f, VU_SET_LOG_BASE, VU_VERSION | VU_FLAG_NEED_REPLY, lg, sizeof lg, &l.fd, 1, &reply, 8), 0);
    CHECK_EQ(reply, 0);
    CHECK_EQ(fe_request(&f, VU_GET_FEATURES, 0, NULL, 0, NULL, 0, &features, 8), 0); /* the next reply is this one's */
    i = query(dpu, &d);
    CHECK_EQ(i.log_size, l.size);
    CHECK_EQ(i.log_enabled, 1); /* LOG_ALL was acked: the log turns it on */
    CHECK_EQ(i.migration, VNET_MIGRATION_LOGGING);
    CHECK(echoes(&f, 2, 100));
    CHECK(marked(&l, &f, f.r[0].used) == false); /* no VHOST_VRING_F_LOG on the rings */
    CHECK(popcount(&l) > 0);                     /* but the buffers are */
    /* LOG_ALL off again: a log, no logging */
    CHECK_EQ(ack_of(&f, VU_SET_FEATURES, &f.features, 8), 0);
    CHECK_EQ(query(dpu, &d).log_enabled, 0);
    CHECK_EQ(query(dpu, &d).migration, VNET_MIGRATION_CANCELLED);
    CHECK_EQ(query(dpu, &d).migrations, 1);
    /* on again with the log still there; the front-end goes mid-migration */
    CHECK_EQ(ack_of(&f, VU_SET_FEATURES, &with_log, 8), 0);
    CHECK_EQ(query(dpu, &d).migration, VNET_MIGRATION_LOGGING);
    fe_close(&f);
    for (int k = 0; k < 400 && query(dpu, &d).connected; k++)
        usleep(5000);
    i = query(dpu, &d);
    CHECK_EQ(i.migration, VNET_MIGRATION_CANCELLED);
    CHECK_EQ(i.migrations, 2);
    CHECK_EQ(i.log_enabled, 0);
    CHECK_EQ(query(dpu, &d).log_size, 0); /* gone with the connection */
    log_free(&l);

    /* GUEST_ANNOUNCE, which the default profile supports: a device with a
     * control queue offers it, and QEMU lets its guest announce itself */
    vnet_fn_info g = device_q(dpu, 9, VNET_BIT(VIRTIO_NET_F_CTRL_VQ) | VNET_BIT(VIRTIO_NET_F_GUEST_ANNOUNCE), 3);
    CHECK_EQ(fe_connect(&f, g.vhost_socket), 0);
    CHECK_EQ(fe_request(&f, VU_GET_FEATURES, 0, NULL, 0, NULL, 0, &features, 8), 0);
    CHECK(features & VNET_BIT(VIRTIO_NET_F_GUEST_ANNOUNCE));
    fe_close(&f);
    dpu_destroy(dpu, true);
}

/* The source of a migration: logging on, traffic, the pages the device
 * wrote marked; the log replaced while traffic runs. */
struct traffic {
    struct fe *f;
    _Atomic bool stop;
    _Atomic unsigned frames;
    _Atomic bool failed;
};

static void *traffic_run(void *arg)
{
    struct traffic *t = arg;
    while (!atomic_load(&t->stop)) {
        if (!echoes(t->f, (uint8_t)atomic_load(&t->frames), 64 + atomic_load(&t->frames) % 1000)) {
            atomic_store(&t->failed, true);
            break;
        }
        atomic_fetch_add(&t->frames, 1);
    }
    return NULL;
}

/* Waits until the traffic thread has moved `n` more frames (false: it
 * failed, or 2 s went by without them). */
static bool frames_pass(struct traffic *t, unsigned n)
{
    unsigned at = atomic_load(&t->frames);
    for (int k = 0; k < 20000; k++) {
        if (atomic_load(&t->failed))
            return false;
        if (atomic_load(&t->frames) >= at + n)
            return true;
        usleep(100);
    }
    return false;
}

static void test_source(void)
{
    struct dpu *dpu = start();
    vnet_fn_info d = device(dpu, 2, 0);
    struct fe f;
    CHECK_EQ(fe_connect(&f, d.vhost_socket), 0);
    CHECK_EQ(fe_setup(&f, F_V1 | F_MRG, 2, 256), 0);
    CHECK(echoes(&f, 1, 100));
    struct log l = log_new(&f, 1);
    CHECK_EQ(fe_set_log(&f, l.fd, l.size, 0), 0);
    CHECK_EQ(fe_log(&f, true), 0);
    vnet_fn_info i = query(dpu, &d);
    CHECK_EQ(i.log_enabled, 1);
    CHECK_EQ(i.migration, VNET_MIGRATION_LOGGING);
    CHECK_EQ(i.log_size, l.size);
    CHECK_EQ(i.log_pages, 0);
    CHECK_EQ(i.driver_features & VNET_BIT(VHOST_F_LOG_ALL), 0); /* the transport's bit, not the driver's */
    /* nothing written since: nothing marked (the kick flags may be) */
    for (unsigned k = 0; k < 16; k++)
        CHECK(echoes(&f, (uint8_t)k, 100 + k * 80));
    /* the RX buffers the frames landed in, both used rings; TX buffers are read, not written */
    struct fe_ring *rx = &f.r[0], *tx = &f.r[1];
    for (uint16_t k = 0; k < 16; k++) {
        uint16_t slot = (uint16_t)((rx->next_desc + rx->num - 16 + k) % rx->num);
        CHECK(marked(&l, &f, f.mem + rx->buf_off + (uint64_t)slot * FE_BUF_SIZE));
    }
    CHECK(marked(&l, &f, rx->used));
    CHECK(marked(&l, &f, tx->used));
    CHECK(!marked(&l, &f, f.mem + tx->buf_off));
    CHECK(!marked(&l, &f, rx->desc)); /* the split descriptors are the driver's to write */
    /* the used rings' marks follow their publish: wait for the last ones */
    for (int k = 0; k < 200 && query(dpu, &d).log_pages != popcount(&l); k++)
        usleep(5000);
    i = query(dpu, &d);
    CHECK_EQ(i.log_pages, popcount(&l));
    CHECK(i.log_pages >= 3);

    /* The log replaced 20 times while a thread keeps frames going: after
     * each reply the old log is never written again, its mapping is gone. */
    struct traffic t = {&f, false, 0, false};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, traffic_run, &t), 0);
    struct log cur = l;
    for (int n = 2; n < 22; n++) {
        struct log next = log_new(&f, n);
        CHECK(frames_pass(&t, 3));
        CHECK_EQ(fe_set_log(&f, next.fd, next.size, 0), 0);
        uint8_t *copy = malloc(cur.size);
        memcpy(copy, cur.bits, cur.size);
        CHECK(frames_pass(&t, 3));
        CHECK(memcmp(copy, cur.bits, cur.size) == 0);
        free(copy);
        char name[32];
        snprintf(name, sizeof name, "test-log-%d ", n - 1);
        log_free(&cur);
        CHECK_EQ(maps_naming(name), 0);
        CHECK_EQ(fds_naming(name), 0);
        cur = next;
    }
    atomic_store(&t.stop, true);
    pthread_join(th, NULL);
    CHECK(!atomic_load(&t.failed));
    CHECK(popcount(&cur) > 0);
    CHECK_EQ(query(dpu, &d).log_enabled, 1);
    CHECK_EQ(query(dpu, &d).migration, VNET_MIGRATION_LOGGING);

    /* cancelled: logging off with the rings running; the device goes on */
    CHECK_EQ(fe_log(&f, false), 0);
    i = query(dpu, &d);
    CHECK_EQ(i.log_enabled, 0);
    CHECK_EQ(i.migration, VNET_MIGRATION_CANCELLED);
    CHECK_EQ(i.migrations, 1);
    memset(cur.bits, 0, cur.size);
    CHECK(echoes(&f, 7, 300));
    CHECK_EQ(popcount(&cur), 0);
    /* a second migration: on again, counted anew */
    CHECK_EQ(fe_set_log(&f, cur.fd, cur.size, 0), 0);
    CHECK_EQ(fe_log(&f, true), 0);
    i = query(dpu, &d);
    CHECK_EQ(i.migration, VNET_MIGRATION_LOGGING);
    CHECK(i.log_pages < 3); /* counted anew (an idle ring may still ask for kicks) */
    CHECK(echoes(&f, 8, 300));
    CHECK(popcount(&cur) > 0);
    /* handed over the way QEMU 7.2 stops a device: the status reset
     * first, then each ring's base */
    CHECK(f.protocol_features & VU_PROTO_STATUS);
    CHECK_EQ(fe_set_status(&f, 0), 0);
    uint32_t base;
    CHECK_EQ(fe_stop(&f, 0, &base), 0);
    CHECK_EQ(base, LOAD_ACQ(&f.r[0].used[1]));
    CHECK_EQ(fe_stop(&f, 1, &base), 0);
    CHECK_EQ(base, LOAD_ACQ(&f.r[1].used[1]));
    i = query(dpu, &d);
    CHECK_EQ(i.migration, VNET_MIGRATION_STOPPED);
    CHECK_EQ(i.migrations, 2);
    fe_close(&f);
    /* the source's front-end then goes: the session stays as it ended */
    for (int k = 0; k < 400 && query(dpu, &d).connected; k++)
        usleep(5000);
    i = query(dpu, &d);
    CHECK_EQ(i.migration, VNET_MIGRATION_STOPPED);
    CHECK_EQ(i.migrations, 2);
    CHECK_EQ(i.log_size, 0);
    log_free(&cur);
    CHECK_EQ(maps_naming("test-log-"), 0);
    CHECK_EQ(fds_naming("test-log-"), 0);
    dpu_destroy(dpu, true);
}

/* Posts a TX frame without kicking: the driver made it available, the
 * device has not seen it yet. */
static void post_tx_quiet(struct fe *f, uint8_t tag, size_t len)
{
    struct fe_ring *r = &f->r[1];
    uint16_t slot = r->next_desc;
    r->next_desc = (uint16_t)((slot + 1) % r->num);
    uint8_t *buf = f->mem + r->buf_off + (uint64_t)slot * FE_BUF_SIZE;
    memset(buf, 0, 12);
    memset(buf + 12, tag, len);
    r->desc[slot] = (struct vring_desc){fe_gpa(f, buf), (uint32_t)(12 + len), 0, 0};
    r->avail[2 + (r->avail_idx % r->num)] = slot;
    STORE_REL(&r->avail[1], (uint16_t)(r->avail_idx + 1));
    r->avail_idx++;
}

/* The handover: traffic, the rings stopped with logging on, nothing left
 * in flight, and a second device given the same memory and the bases it
 * answered takes the chains the first one never saw. */
static void test_handover(void)
{
    struct dpu *dpu = start();
    vnet_fn_info a = device(dpu, 3, 0), b = device(dpu, 4, 0);
    struct fe f;
    CHECK_EQ(fe_connect(&f, a.vhost_socket), 0);
    CHECK_EQ(fe_setup(&f, F_V1 | F_MRG, 2, 256), 0);
    struct log l = log_new(&f, 30);
    CHECK_EQ(fe_set_log(&f, l.fd, l.size, 0), 0);
    CHECK_EQ(fe_log(&f, true), 0);
    /* 300 frames, more than a ring holds, in bursts the device takes as they come */
    fe_post_rx(&f, 0, 200);
    uint8_t frame[200];
    memset(frame, 0x44, sizeof frame);
    for (int k = 0; k < 100; k++)
        CHECK_EQ(fe_send(&f, 1, frame, sizeof frame), 0);
    /* stopped while the device is at work: once the first frames are back */
    for (int k = 0; k < 2000 && LOAD_ACQ(&f.r[0].used[1]) < 10; k++)
        usleep(500);
    uint32_t base[2];
    CHECK_EQ(fe_stop(&f, 1, &base[1]), 0); /* TX first: what it echoed is in RX when RX stops */
    CHECK_EQ(fe_stop(&f, 0, &base[0]), 0);
    /* nothing in flight: each base is the used index in the driver's
     * memory, whatever part of the 100 frames the device had taken */
    CHECK_EQ(base[1], LOAD_ACQ(&f.r[1].used[1]));
    CHECK_EQ(base[0], LOAD_ACQ(&f.r[0].used[1]));
    CHECK(base[1] <= 100);
    CHECK_EQ(base[0], base[1]); /* each frame taken was echoed before the stop */
    const unsigned left = 100 - base[1];
    vnet_fn_info i = query(dpu, &a);
    CHECK_EQ(i.migration, VNET_MIGRATION_STOPPED);
    CHECK_EQ(i.migrations, 1);
    CHECK(marked(&l, &f, f.r[0].used));
    CHECK(marked(&l, &f, f.r[1].used));
    int got = fe_reap(&f, 0, NULL) + fe_reap(&f, 1, NULL);
    CHECK_EQ(got, (int)(base[0] + base[1]));
    /* the driver goes on writing while the device is stopped */
    for (int k = 0; k < 3; k++)
        post_tx_quiet(&f, (uint8_t)(0x70 + k), 100);

    /* The destination: the same memory and rings, at the bases answered. */
    struct fe g;
    CHECK_EQ(fe_connect(&g, b.vhost_socket), 0);
    CHECK_EQ(fe_negotiate(&g, F_V1 | F_MRG), 0);
    struct vu_memory m;
    memset(&m, 0, sizeof m);
    m.nregions = 1;
    m.regions[0] = (struct vu_region){f.gpa_base, f.mem_size, (uint64_t)(uintptr_t)f.mem, 0};
    CHECK_EQ(fe_request(&g, VU_SET_MEM_TABLE, 0, &m, 8 + sizeof(struct vu_region), &f.memfd, 1, NULL, 0), 0);
    for (int q = 0; q < 2; q++) {
        struct fe_ring *r = &f.r[q];
        struct vu_state num = {(uint32_t)q, r->num}, st = {(uint32_t)q, base[q]}, en = {(uint32_t)q, 1};
        struct vu_addr ad = {(uint32_t)q, 0, (uint64_t)(uintptr_t)r->desc, (uint64_t)(uintptr_t)r->used,
                             (uint64_t)(uintptr_t)r->avail, 0};
        uint64_t idx = (uint64_t)q;
        CHECK_EQ(fe_request(&g, VU_SET_VRING_NUM, 0, &num, sizeof num, NULL, 0, NULL, 0), 0);
        CHECK_EQ(fe_request(&g, VU_SET_VRING_ADDR, 0, &ad, sizeof ad, NULL, 0, NULL, 0), 0);
        CHECK_EQ(fe_request(&g, VU_SET_VRING_BASE, 0, &st, sizeof st, NULL, 0, NULL, 0), 0);
        CHECK_EQ(fe_request(&g, VU_SET_VRING_CALL, 0, &idx, 8, &r->call, 1, NULL, 0), 0);
        CHECK_EQ(ack_of(&g, VU_SET_VRING_ENABLE, &en, sizeof en), 0);
    }
    /* RX's kick first, so that its ring runs when TX's chains are echoed */
    for (int q = 0; q < 2; q++) {
        uint64_t idx = (uint64_t)q;
        CHECK_EQ(fe_request(&g, VU_SET_VRING_KICK, 0, &idx, 8, &f.r[q].kick, 1, NULL, 0), 0);
    }
    uint64_t features;
    CHECK_EQ(fe_request(&g, VU_GET_FEATURES, 0, NULL, 0, NULL, 0, &features, 8), 0);
    /* the chains the first device never took come back through the second */
    for (unsigned k = 0; k < left + 3; k++)
        CHECK_EQ(fe_take_used(&f, 1, NULL, 0, 2000), 0);
    uint8_t buf[FE_BUF_SIZE];
    for (unsigned k = 0; k < left + 3; k++) {
        int len = fe_take_used(&f, 0, buf, sizeof buf, 2000);
        if (k < left) {
            CHECK_EQ(len, 12 + 200);
            CHECK_EQ(buf[12], 0x44);
        } else {
            CHECK_EQ(len, 112);
            CHECK_EQ(buf[12], 0x70 + (k - left));
        }
    }
    CHECK_EQ(query(dpu, &b).migration, VNET_MIGRATION_NONE);
    fe_close(&g);
    fe_close(&f);
    log_free(&l);
    dpu_destroy(dpu, true);
}

/* SEND_RARP: the guest's announcement, out of the device (here the echo
 * hands it back to the guest's own RX queue). */
static void test_rarp(void)
{
    struct dpu *dpu = start();
    vnet_fn_info d = device(dpu, 5, 0);
    struct fe f;
    CHECK_EQ(fe_connect(&f, d.vhost_socket), 0);
    CHECK_EQ(fe_setup(&f, F_V1 | F_MRG, 2, 256), 0);
    CHECK(f.protocol_features & VU_PROTO_RARP);
    fe_post_rx(&f, 0, 4);
    uint64_t mac = 0;
    const uint8_t m6[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    memcpy(&mac, m6, 6);
    CHECK_EQ(ack_of(&f, VU_SEND_RARP, &mac, 8), 0);
    uint8_t got[FE_BUF_SIZE];
    CHECK_EQ(fe_take_used(&f, 0, got, sizeof got, 2000), 12 + 60);
    const uint8_t *e = got + 12;
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    CHECK(memcmp(e, bcast, 6) == 0);
    CHECK(memcmp(e + 6, m6, 6) == 0);
    CHECK_EQ(e[12] << 8 | e[13], 0x8035);                     /* ETH_P_RARP */
    CHECK_EQ(e[14] << 8 | e[15], 1);                          /* Ethernet */
    CHECK_EQ(e[16] << 8 | e[17], 0x0800);                     /* IPv4 */
    CHECK_EQ(e[18], 6);
    CHECK_EQ(e[19], 4);
    CHECK_EQ(e[20] << 8 | e[21], 3);                          /* reverse request */
    CHECK(memcmp(e + 22, m6, 6) == 0);                        /* sender */
    CHECK(memcmp(e + 32, m6, 6) == 0);                        /* target */
    CHECK_EQ(query(dpu, &d).rarps, 1);
    /* a multicast or zero address is refused */
    const uint8_t multi[6] = {0x01, 0, 0x5e, 0, 0, 1};
    memcpy(&mac, multi, 6);
    CHECK_EQ(ack_of(&f, VU_SEND_RARP, &mac, 8), 1);
    mac = 0;
    CHECK_EQ(ack_of(&f, VU_SEND_RARP, &mac, 8), 1);
    CHECK_EQ(query(dpu, &d).rarps, 1);
    CHECK(echoes(&f, 9, 100));
    fe_close(&f);

    /* without the protocol feature: refused */
    CHECK_EQ(fe_connect(&f, d.vhost_socket), 0);
    uint64_t none = VU_PROTO_REPLY_ACK, features = F_V1 | VU_F_PROTOCOL_FEATURES;
    CHECK_EQ(fe_request(&f, VU_SET_FEATURES, 0, &features, 8, NULL, 0, NULL, 0), 0);
    CHECK_EQ(fe_request(&f, VU_SET_PROTOCOL_FEATURES, 0, &none, 8, NULL, 0, NULL, 0), 0);
    memcpy(&mac, m6, 6);
    CHECK_EQ(ack_of(&f, VU_SEND_RARP, &mac, 8), 1);
    fe_close(&f);
    dpu_destroy(dpu, true);
}

/* A packed ring started at a base: the next chain at its position, with
 * the wrap counter of bit 15; logged through the whole path. */
struct packed_fe {
    struct fe f;
    int memfd;
    uint8_t *mem;
    int kick[2], call[2];
};

#define PK_MEM (1u << 20)
#define PK_NUM 64u

static struct vring_packed_desc *pk_ring(struct packed_fe *p, int q) { return (struct vring_packed_desc *)(p->mem + (size_t)q * 0x8000); }
static uint8_t *pk_buf(struct packed_fe *p, int q, unsigned slot) { return p->mem + 0x20000 + (size_t)q * 0x40000 + (size_t)slot * 2048; }
static uint64_t pk_gpa(const void *p, const struct packed_fe *pf) { return 0x100000 + (uint64_t)((const uint8_t *)p - pf->mem); }

static void pk_start(struct packed_fe *p, const char *sock, uint32_t base)
{
    CHECK_EQ(fe_connect(&p->f, sock), 0);
    CHECK_EQ(fe_negotiate(&p->f, F_V1 | F_MRG | VNET_BIT(VIRTIO_F_RING_PACKED)), 0);
    CHECK(p->f.features & VNET_BIT(VIRTIO_F_RING_PACKED));
    p->memfd = memfd_create("packed", MFD_CLOEXEC);
    CHECK(p->memfd >= 0 && ftruncate(p->memfd, PK_MEM) == 0);
    p->mem = mmap(NULL, PK_MEM, PROT_READ | PROT_WRITE, MAP_SHARED, p->memfd, 0);
    struct vu_memory m;
    memset(&m, 0, sizeof m);
    m.nregions = 1;
    m.regions[0] = (struct vu_region){0x100000, PK_MEM, (uint64_t)(uintptr_t)p->mem, 0};
    CHECK_EQ(fe_request(&p->f, VU_SET_MEM_TABLE, 0, &m, 8 + sizeof(struct vu_region), &p->memfd, 1, NULL, 0), 0);
    for (int q = 0; q < 2; q++) {
        uint8_t *ring = (uint8_t *)pk_ring(p, q);
        struct vu_state num = {(uint32_t)q, PK_NUM}, st = {(uint32_t)q, base}, en = {(uint32_t)q, 1};
        struct vu_addr ad = {(uint32_t)q, 0, (uint64_t)(uintptr_t)ring, (uint64_t)(uintptr_t)(ring + 0x1010),
                             (uint64_t)(uintptr_t)(ring + 0x1000), 0};
        uint64_t idx = (uint64_t)q;
        p->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        p->call[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        CHECK_EQ(fe_request(&p->f, VU_SET_VRING_NUM, 0, &num, sizeof num, NULL, 0, NULL, 0), 0);
        CHECK_EQ(fe_request(&p->f, VU_SET_VRING_ADDR, 0, &ad, sizeof ad, NULL, 0, NULL, 0), 0);
        CHECK_EQ(fe_request(&p->f, VU_SET_VRING_BASE, 0, &st, sizeof st, NULL, 0, NULL, 0), 0);
        CHECK_EQ(fe_request(&p->f, VU_SET_VRING_CALL, 0, &idx, 8, &p->call[q], 1, NULL, 0), 0);
        CHECK_EQ(fe_request(&p->f, VU_SET_VRING_KICK, 0, &idx, 8, &p->kick[q], 1, NULL, 0), 0);
        CHECK_EQ(ack_of(&p->f, VU_SET_VRING_ENABLE, &en, sizeof en), 0);
    }
}

/* Makes one buffer available at `slot` with the wrap counter `wrap`. */
static void pk_post(struct packed_fe *p, int q, unsigned slot, bool wrap, uint32_t len, bool writable)
{
    struct vring_packed_desc *d = &pk_ring(p, q)[slot];
    d->addr = pk_gpa(pk_buf(p, q, slot), p);
    d->len = len;
    d->id = (uint16_t)(100 + slot);
    STORE_REL(&d->flags, (uint16_t)((wrap ? PACKED_F_AVAIL : PACKED_F_USED) | (writable ? VRING_DESC_F_WRITE : 0)));
    uint64_t one = 1;
    CHECK(write(p->kick[q], &one, 8) == 8);
}

/* Waits for the device to give slot back with the wrap counter `wrap`. */
static bool pk_used(struct packed_fe *p, int q, unsigned slot, bool wrap, uint32_t *len)
{
    struct vring_packed_desc *d = &pk_ring(p, q)[slot];
    for (int i = 0; i < 2000; i++) {
        uint16_t fl = LOAD_ACQ(&d->flags);
        bool avail = fl & PACKED_F_AVAIL, used = fl & PACKED_F_USED;
        if (avail == wrap && used == wrap) {
            *len = d->len;
            return true;
        }
        usleep(1000);
    }
    return false;
}

static void pk_close(struct packed_fe *p)
{
    fe_close(&p->f);
    for (int q = 0; q < 2; q++) {
        close(p->kick[q]);
        close(p->call[q]);
    }
    munmap(p->mem, PK_MEM);
    close(p->memfd);
}

static void test_packed_base(void)
{
    struct dpu *dpu = start();
    vnet_fn_info d = device(dpu, 6, VNET_BIT(VIRTIO_F_RING_PACKED));
    for (int wrap = 0; wrap < 2; wrap++) {
        struct packed_fe p;
        memset(&p, 0, sizeof p);
        const uint32_t base = 5u | (wrap ? 0x8000u : 0);
        pk_start(&p, d.vhost_socket, base);
        /* logging on, with the front-end's own log */
        int lfd = memfd_create("pk-log", MFD_CLOEXEC);
        const size_t lsize = ((0x100000 + PK_MEM) / PAGE + 63) / 64 * 8;
        CHECK(ftruncate(lfd, (off_t)lsize) == 0);
        uint8_t *bits = mmap(NULL, lsize, PROT_READ | PROT_WRITE, MAP_SHARED, lfd, 0);
        CHECK_EQ(fe_set_log(&p.f, lfd, lsize, 0), 0);
        uint64_t features = p.f.features | VNET_BIT(VHOST_F_LOG_ALL);
        CHECK_EQ(ack_of(&p.f, VU_SET_FEATURES, &features, 8), 0);
        for (int q = 0; q < 2; q++) {
            uint8_t *ring = (uint8_t *)pk_ring(&p, q);
            struct vu_addr ad = {(uint32_t)q, 1u << VHOST_VRING_F_LOG, (uint64_t)(uintptr_t)ring,
                                 (uint64_t)(uintptr_t)(ring + 0x1010), (uint64_t)(uintptr_t)(ring + 0x1000),
                                 pk_gpa(ring + 0x1010, &p)};
            CHECK_EQ(ack_of(&p.f, VU_SET_VRING_ADDR, &ad, sizeof ad), 0);
        }
        /* where the base says: a chain made available there with that wrap counter is taken */
        pk_post(&p, 0, 5, wrap, 2048, true);
        memset(pk_buf(&p, 1, 5), 0, 12);
        memset(pk_buf(&p, 1, 5) + 12, 0x5a, 300);
        pk_post(&p, 1, 5, wrap, 312, false);
        uint32_t len = 0;
        CHECK(pk_used(&p, 1, 5, wrap, &len));
        CHECK(pk_used(&p, 0, 5, wrap, &len));
        CHECK_EQ(len, 312);
        CHECK_EQ(pk_buf(&p, 0, 5)[12], 0x5a);
        uint64_t page = pk_gpa(pk_buf(&p, 0, 5), &p) / PAGE, ring_page = pk_gpa(pk_ring(&p, 0), &p) / PAGE;
        CHECK((LOAD_ACQ(&bits[page / 8]) >> (page % 8)) & 1);
        CHECK((LOAD_ACQ(&bits[ring_page / 8]) >> (ring_page % 8)) & 1);
        /* stopped: the base answered is the next position and its counter, both halves */
        uint32_t got;
        CHECK_EQ(fe_stop(&p.f, 0, &got), 0);
        const uint32_t next = 6u | (wrap ? 0x8000u : 0);
        CHECK_EQ(got, next | next << 16);
        munmap(bits, lsize);
        close(lfd);
        pk_close(&p);
        for (int k = 0; k < 400 && query(dpu, &d).connected; k++)
            usleep(5000);
    }
    dpu_destroy(dpu, true);
}

int main(void)
{
    for (size_t i = 0; i < sizeof frame_data; i++)
        frame_data[i] = (uint8_t)(i * 13);
    test_batch();
    test_rx_split();
    test_used_ring_split();
    test_rx_packed();
    test_tx(false);
    test_tx(true);
    test_ctrlq();
    test_rx_read();
    test_regions();
    test_small_log();
    if (!mkdtemp(dir))
        return 1;
    test_offered();
    test_source();
    test_handover();
    test_rarp();
    test_packed_base();
    rmdir(dir);
    return CHECK_SUMMARY();
}
