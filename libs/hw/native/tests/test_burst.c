/* The batched data path on rings in local memory that a small driver model
 * fills the way a virtio driver does (release stores of the avail index or
 * of each chain's first flags, acquire loads of what the device gave back):
 * bursts over the end of the ring and the wrap of the 16-bit indices,
 * partial bursts, chains of mixed lengths, packed wrap counters, chains put
 * back, refused chains inside a burst, and the TX and RX paths of a device
 * on top. The last tests run a driver thread against the device's burst
 * loop, split and packed, so that ThreadSanitizer sees the ring's ordering. */
#include "check.h"
#include "dpu/device.h"
#include "dpu/ring.h"
#include "dpu/rx.h"
#include "dpu/tx.h"

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <pthread.h>
#include <stdlib.h>

#define LOAD_ACQ(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

#define MEM_SIZE (1u << 20)
#define GPA_BASE 0x100000ull
#define BUF_AT 0x10000u /* buffers from here, BUF_SIZE per descriptor slot */
#define BUF_SIZE 2048u
#define MAX_NUM 256u

/* ---- the driver's side of one ring ---- */

struct drv {
    uint8_t *mem;
    struct mem_table mt;
    bool packed;
    uint16_t num;
    /* split */
    struct vring_desc *desc;
    uint16_t *avail;
    uint16_t *used;
    uint16_t avail_idx;
    uint16_t last_used;
    uint16_t free_head[MAX_NUM];
    uint16_t nfree;
    /* packed */
    struct vring_packed_desc *pdesc;
    uint16_t next_avail, next_used;
    bool avail_wrap, used_wrap;
    uint16_t free_id[MAX_NUM];
    uint16_t nfree_id;
    /* both: per buffer id, the descriptors it took */
    uint16_t chain_len[MAX_NUM];
    uint16_t chain_first[MAX_NUM];
    uint32_t inflight;
};

static uint64_t gpa_of(struct drv *v, const void *p) { return GPA_BASE + (uint64_t)((const uint8_t *)p - v->mem); }
static uint64_t uva_of(const void *p) { return (uint64_t)(uintptr_t)p; }
static uint8_t *buf_of(struct drv *v, uint16_t slot) { return v->mem + BUF_AT + (size_t)slot * BUF_SIZE; }

static void drv_init(struct drv *v, bool packed, uint16_t num)
{
    memset(v, 0, sizeof *v);
    v->mem = aligned_alloc(4096, MEM_SIZE);
    memset(v->mem, 0, MEM_SIZE);
    v->mt.n = 1;
    v->mt.r[0].gpa = GPA_BASE;
    v->mt.r[0].size = MEM_SIZE;
    v->mt.r[0].uva = uva_of(v->mem);
    v->mt.r[0].host = v->mem;
    v->packed = packed;
    v->num = num;
    if (packed) {
        v->pdesc = (struct vring_packed_desc *)v->mem;
        v->avail_wrap = v->used_wrap = true;
        for (uint16_t i = 0; i < num; i++)
            v->free_id[v->nfree_id++] = (uint16_t)(num - 1 - i);
    } else {
        v->desc = (struct vring_desc *)v->mem;
        v->avail = (uint16_t *)(v->mem + 0x4000);
        v->used = (uint16_t *)(v->mem + 0x8000);
        for (uint16_t i = 0; i < num; i++)
            v->free_head[v->nfree++] = (uint16_t)(num - 1 - i);
    }
}

static void drv_free(struct drv *v) { free(v->mem); }

static int attach(struct drv *v, struct ring *r)
{
    if (v->packed)
        return ring_attach(r, &v->mt, v->num, true, uva_of(v->mem), uva_of(v->mem + 0x4000), uva_of(v->mem + 0x4010));
    return ring_attach(r, &v->mt, v->num, false, uva_of(v->desc), uva_of(v->avail), uva_of(v->used));
}

/* Starts both indices at `at` (split), as a ring that ran for a while. */
static void drv_start_split_at(struct drv *v, struct ring *r, uint16_t at)
{
    v->avail_idx = v->last_used = at;
    v->avail[1] = at;
    v->used[1] = at;
    r->last_avail = r->used_idx = r->shadow_used = at;
}

/*
 * Posts one chain of n descriptors with lengths len[], the first `nout`
 * device-readable, the rest writable; each buffer starts with the 4 bytes
 * of `tag`.
 * Returns the chain's id (split: head; packed: buffer id) or -1 without
 * room. publish: make it visible now (split: the avail index; packed: the
 * chain's first flags, always).
 */
static int drv_post(struct drv *v, unsigned n, const uint32_t *len, unsigned nout, uint32_t tag, bool publish)
{
    if (v->packed) {
        if (v->inflight + n > v->num || !v->nfree_id)
            return -1;
        uint16_t id = v->free_id[--v->nfree_id];
        uint16_t pos = v->next_avail;
        bool wrap = v->avail_wrap;
        uint16_t first = pos, first_flags = 0;
        v->chain_first[id] = pos;
        for (unsigned k = 0; k < n; k++) {
            struct vring_packed_desc *d = &v->pdesc[pos];
            uint8_t *b = buf_of(v, pos);
            memcpy(b, &tag, 4);
            d->addr = gpa_of(v, b);
            d->len = len[k];
            d->id = id;
            uint16_t f = (uint16_t)((wrap ? PACKED_F_AVAIL : PACKED_F_USED) | (k >= nout ? VRING_DESC_F_WRITE : 0) |
                                    (k + 1 < n ? VRING_DESC_F_NEXT : 0));
            if (k == 0)
                first_flags = f;
            else
                STORE_REL(&d->flags, f);
            if (++pos == v->num) {
                pos = 0;
                wrap = !wrap;
            }
        }
        STORE_REL(&v->pdesc[first].flags, first_flags); /* the chain appears at once */
        v->next_avail = pos;
        v->avail_wrap = wrap;
        v->chain_len[id] = (uint16_t)n;
        v->inflight += n;
        return id;
    }
    if (v->nfree < n)
        return -1;
    uint16_t slots[CHAIN_MAX_SEGS];
    for (unsigned k = 0; k < n; k++)
        slots[k] = v->free_head[--v->nfree];
    for (unsigned k = 0; k < n; k++) {
        uint8_t *b = buf_of(v, slots[k]);
        memcpy(b, &tag, 4);
        v->desc[slots[k]] = (struct vring_desc){gpa_of(v, b), len[k],
                                                (uint16_t)((k >= nout ? VRING_DESC_F_WRITE : 0) | (k + 1 < n ? VRING_DESC_F_NEXT : 0)),
                                                k + 1 < n ? slots[k + 1] : 0};
    }
    v->avail[2 + (v->avail_idx & (v->num - 1))] = slots[0];
    v->avail_idx++;
    if (publish)
        STORE_REL(&v->avail[1], v->avail_idx);
    v->chain_len[slots[0]] = (uint16_t)n;
    v->inflight += n;
    return slots[0];
}

static void drv_publish(struct drv *v)
{
    if (!v->packed)
        STORE_REL(&v->avail[1], v->avail_idx);
}

static int post1(struct drv *v, uint32_t len, bool writable, uint32_t tag)
{
    return drv_post(v, 1, &len, writable ? 0 : 1, tag, true);
}

/* Takes one used entry: 1 with its id and length, 0 when none. */
static int drv_reap(struct drv *v, uint16_t *id, uint32_t *len)
{
    if (v->packed) {
        struct vring_packed_desc *d = &v->pdesc[v->next_used];
        uint16_t f = LOAD_ACQ(&d->flags);
        bool avail = f & PACKED_F_AVAIL, used = f & PACKED_F_USED;
        if (avail != v->used_wrap || used != v->used_wrap)
            return 0;
        *id = d->id;
        *len = d->len;
        uint16_t n = v->chain_len[*id];
        uint32_t next = (uint32_t)v->next_used + n;
        if (next >= v->num) {
            next -= v->num;
            v->used_wrap = !v->used_wrap;
        }
        v->next_used = (uint16_t)next;
        v->inflight -= n;
        v->free_id[v->nfree_id++] = *id;
        return 1;
    }
    if (LOAD_ACQ(&v->used[1]) == v->last_used)
        return 0;
    const struct vring_used_elem *e = (const struct vring_used_elem *)(const void *)(v->used + 2) + (v->last_used & (v->num - 1));
    *id = (uint16_t)e->id;
    *len = e->len;
    v->last_used++;
    /* the chain's descriptors go back to the free list */
    uint16_t i = *id;
    for (uint16_t k = 0; k < v->chain_len[*id]; k++) {
        v->free_head[v->nfree++] = i;
        i = v->desc[i].next;
    }
    v->inflight -= v->chain_len[*id];
    return 1;
}

static void give_all(struct ring *r, const struct burst *b, uint32_t written)
{
    for (unsigned i = 0; i < b->n; i++)
        ring_give_id(r, b->c[i].id, b->c[i].ndesc, written);
    ring_publish(r);
}

/* ---- ring bursts ---- */

/* A burst over the end of the ring and over the 16-bit wrap of the split
 * indices; every chain comes back in order with its own id. */
static void test_split_wrap(void)
{
    struct drv v;
    drv_init(&v, false, 16);
    struct ring r;
    CHECK_EQ(attach(&v, &r), RING_ATTACHED);
    drv_start_split_at(&v, &r, 65530);
    struct burst b;
    int ids[12];
    for (int i = 0; i < 12; i++)
        ids[i] = post1(&v, 64, false, (uint8_t)i);
    burst_init(&b);
    CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), 12);
    CHECK_EQ(b.stop, RING_EMPTY);
    for (int i = 0; i < 12; i++) {
        CHECK_EQ(b.c[i].id, ids[i]);
        CHECK_EQ(b.c[i].rc, RING_GOT);
        CHECK_EQ(b.c[i].nout, 1);
        CHECK_EQ(((uint8_t *)b.seg[b.c[i].seg].iov_base)[0], i);
    }
    CHECK_EQ(r.last_avail, (uint16_t)(65530 + 12));
    give_all(&r, &b, 0);
    CHECK_EQ(v.used[1], (uint16_t)(65530 + 12));
    for (int i = 0; i < 12; i++) {
        uint16_t id;
        uint32_t len;
        CHECK_EQ(drv_reap(&v, &id, &len), 1);
        CHECK_EQ(id, ids[i]);
    }
    drv_free(&v);
}

/* The burst takes what it is allowed, the rest waits for the next one; a
 * chain made available but not yet published is not seen. */
static void test_split_partial(void)
{
    struct drv v;
    drv_init(&v, false, 64);
    struct ring r;
    CHECK_EQ(attach(&v, &r), RING_ATTACHED);
    struct burst b;
    for (int i = 0; i < 10; i++)
        post1(&v, 64, false, (uint8_t)i);
    uint32_t l = 64;
    drv_post(&v, 1, &l, 1, 99, false); /* written, index not moved */
    burst_init(&b);
    CHECK_EQ(ring_take_burst(&r, &v.mt, &b, 4), 4);
    CHECK_EQ(ring_take_burst(&r, &v.mt, &b, 4), 4); /* appended */
    CHECK_EQ(b.n, 8);
    CHECK_EQ(((uint8_t *)b.seg[b.c[7].seg].iov_base)[0], 7);
    CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), 2);
    CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), 0);
    drv_publish(&v);
    CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), 1);
    CHECK_EQ(((uint8_t *)b.seg[b.c[10].seg].iov_base)[0], 99);
    give_all(&r, &b, 0);
    CHECK_EQ(v.used[1], 11);
    drv_free(&v);
}

/* Chains of one, two and five descriptors mixed in one burst; a chain of
 * more segments than a burst has left waits for the next burst whole. */
static void test_mixed_chains(bool packed)
{
    struct drv v;
    drv_init(&v, packed, 256);
    struct ring r;
    CHECK_EQ(attach(&v, &r), RING_ATTACHED);
    const uint32_t lens[5] = {12, 100, 200, 300, 400};
    unsigned shape[] = {1, 2, 5, 1, 1, 2, 5, 1};
    int ids[8];
    for (int i = 0; i < 8; i++)
        ids[i] = drv_post(&v, shape[i], lens, shape[i], (uint8_t)(0x40 + i), true);
    struct burst b;
    burst_init(&b);
    CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), 8);
    for (int i = 0; i < 8; i++) {
        CHECK_EQ(b.c[i].id, ids[i]);
        CHECK_EQ(b.c[i].ndesc, shape[i]);
        CHECK_EQ(b.c[i].nout, shape[i]);
        uint64_t want = 0;
        for (unsigned k = 0; k < shape[i]; k++)
            want += lens[k];
        CHECK_EQ(b.c[i].len, want);
        CHECK_EQ(((uint8_t *)b.seg[b.c[i].seg].iov_base)[0], 0x40 + i);
    }
    give_all(&r, &b, 0);
    for (int i = 0; i < 8; i++) {
        uint16_t id;
        uint32_t len;
        CHECK_EQ(drv_reap(&v, &id, &len), 1);
        CHECK_EQ(id, ids[i]);
    }

    /* Long chains: a burst stops before one that might not fit its segments. */
    uint32_t big[30];
    for (int k = 0; k < 30; k++)
        big[k] = 16;
    for (int i = 0; i < 6; i++)
        drv_post(&v, 30, big, 30, (uint8_t)i, true);
    burst_init(&b);
    /* 150 segments taken: a sixth chain might need CHAIN_MAX_SEGS more than the 42 left */
    CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), 5);
    CHECK_EQ(b.nseg, 150);
    give_all(&r, &b, 0);
    burst_init(&b);
    CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), 1);
    CHECK_EQ(b.c[0].ndesc, 30);
    CHECK_EQ(((uint8_t *)b.seg[b.c[0].seg].iov_base)[0], 5);
    give_all(&r, &b, 0);
    drv_free(&v);
}

/* Packed: whole lines of four, a line only partly available, singles at
 * an unaligned slot, a burst across the end of the ring (the avail and
 * used wrap counters flip there), and the driver seeing a burst only at
 * publish. */
static void test_packed_lines_and_wraps(void)
{
    struct drv v;
    drv_init(&v, true, 16);
    struct ring r;
    CHECK_EQ(attach(&v, &r), RING_ATTACHED);
    struct burst b;
    int ids[16];
    for (int i = 0; i < 6; i++) /* one line of four, then two of the next */
        ids[i] = post1(&v, 64, false, (uint8_t)i);
    burst_init(&b);
    CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), 6);
    for (int i = 0; i < 6; i++)
        CHECK_EQ(b.c[i].id, ids[i]);
    CHECK_EQ(r.last_avail, 6);
    give_all(&r, &b, 0);
    uint16_t id;
    uint32_t len;
    for (int i = 0; i < 6; i++)
        CHECK_EQ(drv_reap(&v, &id, &len), 1);

    /* 10 more: slots 6..15, then over the end to 0..3 with the wrap flipped */
    for (int i = 0; i < 14; i++)
        ids[i] = post1(&v, 64, true, (uint8_t)(0x80 + i));
    burst_init(&b);
    CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), 14);
    CHECK_EQ(r.last_avail, 4);
    CHECK(!r.avail_wrap);
    /* put back over the end and taken again: the wrap counter flips back and forth */
    ring_untake(&r, &b, 9);
    CHECK_EQ(r.last_avail, 15);
    CHECK(r.avail_wrap);
    CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), 5);
    CHECK_EQ(r.last_avail, 4);
    CHECK(!r.avail_wrap);
    for (int i = 0; i < 14; i++) {
        CHECK_EQ(b.c[i].id, ids[i]);
        CHECK_EQ(b.c[i].nin, 1);
    }
    for (unsigned i = 0; i < b.n; i++)
        ring_give_id(&r, b.c[i].id, b.c[i].ndesc, 10 + i);
    /* nothing visible before publish: the first used descriptor is held */
    CHECK_EQ(drv_reap(&v, &id, &len), 0);
    ring_publish(&r);
    CHECK(!r.used_wrap);
    for (int i = 0; i < 14; i++) {
        CHECK_EQ(drv_reap(&v, &id, &len), 1);
        CHECK_EQ(id, ids[i]);
        CHECK_EQ(len, 10 + i);
    }
    CHECK_EQ(drv_reap(&v, &id, &len), 0);

    /* Round after round over the end: the counters stay in step. */
    for (int round = 0; round < 40; round++) {
        unsigned n = 1 + (unsigned)(round * 7) % 15;
        for (unsigned i = 0; i < n; i++)
            ids[i] = post1(&v, 64, false, (uint8_t)round);
        burst_init(&b);
        CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), n);
        give_all(&r, &b, 0);
        for (unsigned i = 0; i < n; i++) {
            CHECK_EQ(drv_reap(&v, &id, &len), 1);
            CHECK_EQ(id, ids[i]);
        }
        CHECK_EQ(r.last_avail, v.next_avail);
        CHECK_EQ(r.avail_wrap, v.avail_wrap);
        CHECK_EQ(r.used_idx, v.next_used);
        CHECK_EQ(r.used_wrap, v.used_wrap);
    }
    drv_free(&v);
}

/* Packed: chains given back a burst at a time (ring_give_lens, and
 * ring_give_burst for TX) in rounds of random shapes: lines of four
 * single-descriptor chains written at once, chains of two and three
 * descriptors between them, bursts that start at an unaligned slot, a
 * ring whose size is not a multiple of four (its last two slots are never
 * a line), over the end with the wrap counters flipping. The driver sees
 * nothing before publish, then every chain in order with its id, its
 * length and WRITE exactly when the device wrote into it. */
static void test_packed_give_batched(uint16_t num)
{
    struct drv v;
    drv_init(&v, true, num);
    struct ring r;
    CHECK_EQ(attach(&v, &r), RING_ATTACHED);
    uint32_t seed = 12345u + num;
    unsigned lines_seen = 0;
    for (int round = 0; round < 400; round++) {
        int ids[MAX_NUM];
        unsigned ndesc[MAX_NUM];
        unsigned n = 0, slots = 0;
        const unsigned want = 1 + (seed = seed * 1103515245u + 12345u) % num;
        while (slots < want) {
            seed = seed * 1103515245u + 12345u;
            unsigned len = (seed >> 16) % 8 == 0 ? 2 + (seed >> 20) % 2 : 1;
            if (slots + len > want)
                len = want - slots;
            const uint32_t lens[3] = {200, 200, 200};
            int id = drv_post(&v, len, lens, 0, (uint8_t)round, true);
            CHECK(id >= 0);
            ids[n] = id;
            ndesc[n++] = len;
            slots += len;
        }
        struct burst b;
        burst_init(&b);
        CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), n > RING_BURST ? RING_BURST : n);
        const unsigned got = b.n;
        uint32_t written[RING_BURST];
        const bool tx = round % 5 == 4;
        for (unsigned i = 0; i < got; i++) {
            CHECK_EQ(b.c[i].id, ids[i]);
            CHECK_EQ(b.c[i].ndesc, ndesc[i]);
            seed = seed * 1103515245u + 12345u;
            written[i] = (seed >> 16) % 4 == 0 ? 0 : 1 + (seed >> 18) % (uint32_t)b.c[i].len;
        }
        for (unsigned i = 0; i + 3 < got; i++)
            lines_seen += (r.used_idx + i) % 4 == 0 && ndesc[i] + ndesc[i + 1] + ndesc[i + 2] + ndesc[i + 3] == 4;
        if (tx)
            ring_give_burst(&r, &b);
        else
            ring_give_lens(&r, &b, got, written);
        uint16_t id;
        uint32_t len;
        CHECK_EQ(drv_reap(&v, &id, &len), 0); /* the first flags are held until publish */
        ring_publish(&r);
        for (unsigned i = 0; i < got; i++) {
            const uint16_t f = v.pdesc[v.next_used].flags;
            CHECK_EQ(drv_reap(&v, &id, &len), 1);
            CHECK_EQ(id, ids[i]);
            CHECK_EQ(len, tx ? 0 : written[i]);
            CHECK_EQ(!!(f & VRING_DESC_F_WRITE), len != 0);
        }
        CHECK_EQ(drv_reap(&v, &id, &len), 0);
        /* what the burst left behind is taken and given back one by one */
        for (unsigned i = got; i < n; i++) {
            burst_init(&b);
            CHECK_EQ(ring_take_burst(&r, &v.mt, &b, 1), 1);
            CHECK_EQ(b.c[0].id, ids[i]);
            give_all(&r, &b, 7);
            CHECK_EQ(drv_reap(&v, &id, &len), 1);
            CHECK_EQ(len, 7);
        }
        CHECK_EQ(r.last_avail, v.next_avail);
        CHECK_EQ(r.avail_wrap, v.avail_wrap);
        CHECK_EQ(r.used_idx, v.next_used);
        CHECK_EQ(r.used_wrap, v.used_wrap);
    }
    CHECK(lines_seen > 100); /* the line path was taken, not only singles */
    drv_free(&v);
}

/* Chains put back are taken again the same; only the end of a burst. */
static void test_untake(bool packed)
{
    struct drv v;
    drv_init(&v, packed, 8);
    struct ring r;
    CHECK_EQ(attach(&v, &r), RING_ATTACHED);
    struct burst b;
    uint16_t id;
    uint32_t len;
    /* move the packed ring near its end first */
    for (int i = 0; i < 6; i++)
        post1(&v, 64, true, 0);
    burst_init(&b);
    CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), 6);
    give_all(&r, &b, 64);
    while (drv_reap(&v, &id, &len))
        ;
    int ids[5];
    for (int i = 0; i < 5; i++)
        ids[i] = post1(&v, 64, true, (uint8_t)(i + 1));
    burst_init(&b);
    CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), 5);
    uint16_t at = r.last_avail;
    bool wrap = r.avail_wrap;
    ring_untake(&r, &b, 2);
    CHECK_EQ(b.n, 2);
    ring_untake(&r, &b, 7); /* past the end: nothing */
    CHECK_EQ(b.n, 2);
    ring_give_id(&r, b.c[0].id, b.c[0].ndesc, 1);
    ring_give_id(&r, b.c[1].id, b.c[1].ndesc, 1);
    ring_publish(&r);
    burst_init(&b);
    CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), 3);
    CHECK_EQ(b.c[0].id, ids[2]);
    CHECK_EQ(((uint8_t *)b.seg[b.c[0].seg].iov_base)[0], 3);
    CHECK_EQ(r.last_avail, at);
    CHECK_EQ(r.avail_wrap, wrap);
    give_all(&r, &b, 1);
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(drv_reap(&v, &id, &len), 1);
        CHECK_EQ(id, ids[i]);
    }
    drv_free(&v);
}

/* Refused chains inside a burst are taken with their reason and the burst
 * goes on; a head outside the ring ends the burst after the good ones. */
static void test_refused_in_burst(bool packed)
{
    struct drv v;
    drv_init(&v, packed, 16);
    struct ring r;
    CHECK_EQ(attach(&v, &r), RING_ATTACHED);
    post1(&v, 64, false, 1);
    int bad_addr = post1(&v, 64, false, 2);
    int zero = post1(&v, 0, false, 3);
    const uint32_t two[2] = {64, 64};
    drv_post(&v, 2, two, 0, 4, true); /* writable then... fine for RX */
    int ind = post1(&v, 16, false, 5);
    post1(&v, 64, false, 6);
    if (packed) {
        v.pdesc[1].addr = GPA_BASE + MEM_SIZE - 8;
        v.pdesc[5].flags |= VRING_DESC_F_INDIRECT; /* slots 3 and 4 hold the two-descriptor chain */
    } else {
        v.desc[bad_addr].addr = GPA_BASE + MEM_SIZE - 8;
        v.desc[ind].flags |= VRING_DESC_F_INDIRECT;
    }
    (void)zero;
    struct burst b;
    burst_init(&b);
    CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), 6);
    CHECK_EQ(b.c[0].rc, RING_GOT);
    CHECK_EQ(b.c[1].rc, RING_E_ADDR);
    CHECK_EQ(b.c[2].rc, RING_E_DESC);
    CHECK_EQ(b.c[3].rc, RING_GOT);
    CHECK_EQ(b.c[3].nin, 2);
    CHECK_EQ(b.c[4].rc, RING_E_DESC);
    CHECK_EQ(b.c[5].rc, RING_GOT);
    give_all(&r, &b, 0);
    if (!packed) {
        /* three good chains, then a head outside the ring, then one more */
        for (int i = 0; i < 3; i++)
            post1(&v, 64, false, 7);
        v.avail[2 + ((v.avail_idx - 1) & (v.num - 1))] = 200;
        post1(&v, 64, false, 8);
        burst_init(&b);
        CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), 2);
        CHECK_EQ(b.stop, RING_E_HEAD);
        CHECK_EQ(r.last_avail, 8);
        /* an index that jumped by more than the ring: nothing taken */
        STORE_REL(&v.avail[1], (uint16_t)(r.last_avail + 17));
        burst_init(&b);
        CHECK_EQ(ring_take_burst(&r, &v.mt, &b, RING_BURST), 0);
        CHECK_EQ(b.stop, RING_E_HEAD);
    }
    drv_free(&v);
}

/* ---- a device's TX and RX paths over bursts ---- */

static vnet_queue_counters cnt[3];

static struct dev *make_dev(struct drv *rxv, struct drv *txv, uint64_t features)
{
    vnet_fn_info info;
    memset(&info, 0, sizeof info);
    info.num_queues = 2;
    info.mtu = 1500;
    memset(cnt, 0, sizeof cnt);
    struct dev *d = device_new(NULL, &info, cnt);
    d->mem = (rxv ? rxv : txv)->mt;
    atomic_store(&d->features, features);
    d->hdr_len = (features & VNET_BIT(VIRTIO_NET_F_MRG_RXBUF)) ? 12 : 10;
    d->backend = VNET_BACKEND_SINK;
    for (int i = 0; i < 2; i++) {
        struct drv *v = i == 0 ? rxv : txv;
        if (!v)
            continue;
        struct vq *q = &d->vq[i];
        CHECK_EQ(attach(v, &q->ring), RING_ATTACHED);
        q->started = q->enabled = true;
        q->num = v->num;
    }
    return d;
}

static void free_dev(struct dev *d)
{
    free(d->vq);
    free(d);
}

/* Frames spread over several mergeable buffers, more chains than one
 * burst's worth of frames, a refused chain before a frame and one amid a
 * frame's chains, and no room: the ring is left as the frame found it. */
static void test_rx_burst(bool packed)
{
    struct drv v;
    drv_init(&v, packed, 128);
    struct dev *d = make_dev(&v, NULL, VNET_BIT(VIRTIO_F_VERSION_1) | VNET_BIT(VIRTIO_NET_F_MRG_RXBUF));
    struct vq *rx = &d->vq[0];
    static uint8_t frame[3000];
    for (size_t i = 0; i < sizeof frame; i++)
        frame[i] = (uint8_t)(i * 7);
    static uint8_t data[12 + 3000];
    memset(data, 0, 12);
    memcpy(data + 12, frame, sizeof frame);

    /* 1000-byte buffers: a 3000-byte frame takes four; a 100-byte one, one */
    int ids[40];
    for (int i = 0; i < 40; i++)
        ids[i] = post1(&v, 1000, true, 0);
    struct rx_frame f[12];
    for (int i = 0; i < 12; i++)
        f[i] = (struct rx_frame){data, i % 2 ? 100u : 3000u, 0, 0};
    unsigned given = 0;
    /* 6 large frames take 24 chains, 6 small ones 6: 30 of the 40 */
    CHECK_EQ(rx_put_burst(d, rx, f, 12, &given), 12);
    CHECK_EQ(given, 30);
    ring_publish(&rx->ring);
    CHECK_EQ(cnt[0].packets, 12);
    CHECK_EQ(cnt[0].total_bytes, 6 * 3000 + 6 * 100);
    int next = 0;
    for (int i = 0; i < 12; i++) {
        unsigned nbuf = i % 2 ? 1 : 4;
        size_t got = 0;
        uint8_t *first = NULL;
        for (unsigned k = 0; k < nbuf; k++) {
            uint16_t id;
            uint32_t len;
            CHECK_EQ(drv_reap(&v, &id, &len), 1);
            CHECK_EQ(id, ids[next]);
            uint8_t *b = buf_of(&v, packed ? v.chain_first[id] : id);
            if (!k)
                first = b;
            size_t from = k ? 0 : 12;
            for (size_t x = from; x < len; x++)
                if (b[x] != frame[got + x - from]) {
                    CHECK(!"frame bytes");
                    break;
                }
            got += len - from;
            next++;
        }
        CHECK_EQ(got, i % 2 ? 100 : 3000);
        CHECK_EQ(first[10] | first[11] << 8, nbuf); /* num_buffers */
    }

    /* 10 chains left: two large frames fit (8), the third does not: no room,
     * and its chains stay available, untouched. */
    const struct rx_frame large[3] = {{data, 3000, 0, 0}, {data, 3000, 0, 0}, {data, 3000, 0, 0}};
    uint16_t at = rx->ring.last_avail;
    CHECK_EQ(rx_put_burst(d, rx, large, 3, &given), 2);
    CHECK_EQ(given, 8);
    CHECK_EQ((uint16_t)(rx->ring.last_avail - at) % v.num, 8);
    ring_publish(&rx->ring);
    for (int i = 0; i < 8; i++) {
        uint16_t id;
        uint32_t len;
        CHECK_EQ(drv_reap(&v, &id, &len), 1);
    }
    CHECK_EQ(rx_put_burst(d, rx, f + 1, 1, &given), 1); /* a small one still fits */
    CHECK_EQ(given, 1);
    ring_publish(&rx->ring);
    uint16_t id;
    uint32_t len;
    CHECK_EQ(drv_reap(&v, &id, &len), 1);
    CHECK_EQ(len, 112);
    CHECK_EQ(drv_reap(&v, &id, &len), 0);

    /* The last chain, then a bad one and good ones: a 3000-byte frame spans
     * the good chain before the bad one, so it is lost and both go back empty. */
    post1(&v, 64, false, 0); /* device-readable: refused for RX */
    for (int i = 0; i < 4; i++)
        post1(&v, 1000, true, 0);
    uint64_t dropped = cnt[0].dropped, bad = cnt[0].bad_desc_errors;
    CHECK_EQ(rx_put_burst(d, rx, large, 1, &given), 1);
    CHECK_EQ(given, 2);
    CHECK_EQ(cnt[0].dropped, dropped + 1);
    CHECK_EQ(cnt[0].bad_desc_errors, bad + 1);
    ring_publish(&rx->ring);
    CHECK_EQ(drv_reap(&v, &id, &len), 1);
    CHECK_EQ(len, 0);
    CHECK_EQ(drv_reap(&v, &id, &len), 1);
    CHECK_EQ(len, 0);
    /* the four after it take the next frame whole */
    CHECK_EQ(rx_put_burst(d, rx, large, 1, &given), 1);
    CHECK_EQ(given, 4);
    ring_publish(&rx->ring);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(drv_reap(&v, &id, &len), 1);

    /* Measuring the driver alone: lengths only, nothing written. */
    int c = post1(&v, 1000, true, 0x5a);
    struct rx_frame none = {NULL, 100, 0, 0};
    CHECK_EQ(rx_put_burst(d, rx, &none, 1, &given), 1);
    ring_publish(&rx->ring);
    CHECK_EQ(drv_reap(&v, &id, &len), 1);
    CHECK_EQ(len, 112);
    CHECK_EQ(buf_of(&v, packed ? v.chain_first[id] : (uint16_t)c)[0], 0x5a);
    free_dev(d);
    drv_free(&v);
}

/* Without mergeable buffers a chain too small for a frame drops it, and
 * the next frame takes the next chain; a stamp lands where it is asked. */
static void test_rx_burst_plain(void)
{
    struct drv v;
    drv_init(&v, false, 16);
    struct dev *d = make_dev(&v, NULL, VNET_BIT(VIRTIO_F_VERSION_1));
    struct vq *rx = &d->vq[0];
    static uint8_t data[10 + 200];
    memset(data, 0x11, sizeof data);
    post1(&v, 100, true, 0);
    int big = post1(&v, 1000, true, 0);
    struct rx_frame f[2] = {{data, 200, 0, 0}, {data, 200, 50, 0xdeadbeef}};
    unsigned given;
    CHECK_EQ(rx_put_burst(d, rx, f, 2, &given), 2);
    CHECK_EQ(given, 2);
    CHECK_EQ(cnt[0].invalid_buffer, 1);
    CHECK_EQ(cnt[0].dropped, 1);
    CHECK_EQ(cnt[0].packets, 1);
    ring_publish(&rx->ring);
    uint16_t id;
    uint32_t len;
    CHECK_EQ(drv_reap(&v, &id, &len), 1);
    CHECK_EQ(len, 0);
    CHECK_EQ(drv_reap(&v, &id, &len), 1);
    CHECK_EQ(id, big);
    CHECK_EQ(len, 210);
    uint32_t stamp;
    memcpy(&stamp, buf_of(&v, (uint16_t)big) + 10 + 50, 4);
    CHECK_EQ(stamp, 0xdeadbeef);
    free_dev(d);
    drv_free(&v);
}

/* A reader standing for the TAP: hands out `len` bytes of a pattern per read. */
struct fake_reader {
    size_t len;
    unsigned reads;
};

static ssize_t fake_readv(void *ctx, const struct iovec *iov, int n)
{
    struct fake_reader *r = ctx;
    r->reads++;
    if (!r->len)
        return -1;
    size_t done = 0;
    for (int i = 0; i < n && done < r->len; i++)
        for (size_t k = 0; k < iov[i].iov_len && done < r->len; k++, done++)
            ((uint8_t *)iov[i].iov_base)[k] = (uint8_t)(done * 3);
    return (ssize_t)done;
}

/* Frames read straight into the driver's buffer; one larger than the
 * buffer spread over several; nothing to read; no buffer at all. */
static void test_rx_read(bool packed)
{
    struct drv v;
    drv_init(&v, packed, 16);
    struct dev *d = make_dev(&v, NULL, VNET_BIT(VIRTIO_F_VERSION_1) | VNET_BIT(VIRTIO_NET_F_MRG_RXBUF));
    struct vq *rx = &d->vq[0];
    static uint8_t spill[70000];
    unsigned given = 0;
    struct fake_reader rd = {12 + 600, 0};
    CHECK_EQ(rx_read(d, rx, fake_readv, &rd, spill, sizeof spill, &given), -1); /* no buffer: nothing read */
    CHECK_EQ(rd.reads, 0);
    int a = post1(&v, 1000, true, 0);
    for (int i = 0; i < 4; i++)
        post1(&v, 1000, true, 0);
    CHECK_EQ(rx_read(d, rx, fake_readv, &rd, spill, sizeof spill, &given), 1);
    CHECK_EQ(given, 1);
    ring_publish(&rx->ring);
    uint16_t id;
    uint32_t len;
    CHECK_EQ(drv_reap(&v, &id, &len), 1);
    CHECK_EQ(id, a);
    CHECK_EQ(len, 612);
    uint8_t *b0 = buf_of(&v, packed ? v.chain_first[id] : id);
    CHECK_EQ(b0[10] | b0[11] << 8, 1); /* num_buffers, which the reader leaves */
    CHECK_EQ(b0[100], (uint8_t)300);
    CHECK_EQ(cnt[0].packets, 1);
    CHECK_EQ(cnt[0].total_bytes, 600);

    /* 2500 bytes into 1000-byte buffers: three of them, in order */
    rd.len = 12 + 2488;
    given = 0;
    CHECK_EQ(rx_read(d, rx, fake_readv, &rd, spill, sizeof spill, &given), 1);
    CHECK_EQ(given, 3);
    ring_publish(&rx->ring);
    uint32_t total = 0;
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(drv_reap(&v, &id, &len), 1);
        uint8_t *bb = buf_of(&v, packed ? v.chain_first[id] : id);
        if (i == 0)
            CHECK_EQ(bb[10] | bb[11] << 8, 3);
        if (i == 2)
            CHECK_EQ(bb[0], (uint8_t)(2000 * 3));
        total += len;
    }
    CHECK_EQ(total, 2500);
    /* nothing to read: the buffer stays the driver's, untouched */
    rd.len = 0;
    given = 0;
    CHECK_EQ(rx_read(d, rx, fake_readv, &rd, spill, sizeof spill, &given), 0);
    CHECK_EQ(given, 0);
    ring_publish(&rx->ring);
    CHECK_EQ(drv_reap(&v, &id, &len), 0);
    CHECK_EQ(cnt[0].packets, 2);
    free_dev(d);
    drv_free(&v);
}

/* TX: a burst with good frames and refused chains of every kind, all
 * given back in one publish and counted; a head outside the ring breaks
 * the queue after the chains before it. */
static void test_tx_burst(bool packed)
{
    struct drv v;
    drv_init(&v, packed, 64);
    struct dev *d = make_dev(NULL, &v, VNET_BIT(VIRTIO_F_VERSION_1) | VNET_BIT(VIRTIO_NET_F_MRG_RXBUF));
    struct vq *tx = &d->vq[1];
    const uint32_t two[2] = {12, 500};
    post1(&v, 12 + 60, false, 0);
    drv_post(&v, 2, two, 2, 0, true);
    post1(&v, 64, true, 0);        /* device-writable TX buffer */
    post1(&v, 12 + 1600, false, 0); /* beyond the MTU */
    post1(&v, 8, false, 0);        /* shorter than the header */
    post1(&v, 12 + 1000, false, 0);
    unsigned n = tx_burst(d, tx, 1500 + 18);
    CHECK_EQ(n, 6);
    CHECK_EQ(cnt[1].packets, 3);
    CHECK_EQ(cnt[1].total_bytes, 60 + 500 + 1000);
    CHECK_EQ(cnt[1].oversized, 1);
    CHECK_EQ(cnt[1].bad_desc_errors, 1);
    CHECK_EQ(cnt[1].invalid_buffer, 1);
    CHECK_EQ(cnt[1].dropped, 3);
    CHECK_EQ(cnt[1].received_desc, 7);
    CHECK_EQ(cnt[1].completed_desc, 7);
    uint16_t id;
    uint32_t len;
    for (int i = 0; i < 6; i++) {
        CHECK_EQ(drv_reap(&v, &id, &len), 1);
        CHECK_EQ(len, 0);
    }
    CHECK_EQ(drv_reap(&v, &id, &len), 0);
    CHECK(!tx->broken);
    if (!packed) {
        post1(&v, 72, false, 0);
        post1(&v, 72, false, 0);
        v.avail[2 + ((v.avail_idx - 1) & (v.num - 1))] = 999;
        CHECK_EQ(tx_burst(d, tx, 1518), 1);
        CHECK(tx->broken);
        CHECK(dev_status(d) & VNET_STATUS_NEEDS_RESET);
        CHECK_EQ(drv_reap(&v, &id, &len), 1);
    }
    free_dev(d);
    drv_free(&v);
}

/* ---- a driver thread against the device ---- */

#define FRAMES 200000u

struct race {
    struct drv v;
    struct ring r;
    _Atomic bool done;
    uint64_t checked;
    uint64_t device_bad; /* the device thread's */
    uint64_t driver_bad; /* the driver thread's */
};

/* The driver: chains of 1 to 3 descriptors, posted in bursts of random
 * size; each buffer's first bytes carry the frame's sequence number. It
 * reaps what comes back and checks the ids come back in order. */
static void *race_driver(void *arg)
{
    struct race *x = arg;
    struct drv *v = &x->v;
    uint32_t seed = 12345, posted = 0, reaped = 0;
    int order[MAX_NUM * 4];
    unsigned head = 0, tail = 0;
    while (reaped < FRAMES) {
        seed = seed * 1103515245u + 12345u;
        unsigned burst = 1 + (seed >> 16) % 40;
        for (unsigned i = 0; i < burst && posted < FRAMES; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned n = 1 + (seed >> 20) % 3;
            uint32_t lens[3] = {16, 32, 48};
            int id = drv_post(v, n, lens, n, posted, false);
            if (id < 0)
                break;
            order[tail++ % (MAX_NUM * 4)] = id;
            posted++;
        }
        drv_publish(v);
        uint16_t id;
        uint32_t len;
        while (drv_reap(v, &id, &len)) {
            if (id != order[head++ % (MAX_NUM * 4)])
                x->driver_bad++;
            reaped++;
        }
    }
    atomic_store(&x->done, true);
    return NULL;
}

static void race(bool packed)
{
    struct race *x = calloc(1, sizeof *x);
    drv_init(&x->v, packed, 32);
    CHECK_EQ(attach(&x->v, &x->r), RING_ATTACHED);
    pthread_t t;
    pthread_create(&t, NULL, race_driver, x);
    struct burst b;
    uint32_t expect = 0;
    uint32_t seed = 99;
    while (!atomic_load(&x->done)) {
        seed = seed * 1103515245u + 12345u;
        burst_init(&b);
        unsigned n = ring_take_burst(&x->r, &x->v.mt, &b, 1 + (seed >> 16) % RING_BURST);
        for (unsigned i = 0; i < n; i++) {
            uint32_t seq;
            memcpy(&seq, b.seg[b.c[i].seg].iov_base, 4);
            if (b.c[i].rc != RING_GOT || seq != expect || b.c[i].ndesc != b.c[i].nout)
                x->device_bad++;
            expect++;
            x->checked++;
        }
        if (b.stop == RING_E_HEAD)
            x->device_bad++;
        /* give back in two steps: a publish mid-burst is as good as one */
        for (unsigned i = 0; i < n; i++) {
            ring_give_id(&x->r, b.c[i].id, b.c[i].ndesc, 0);
            if (i == n / 2)
                ring_publish(&x->r);
        }
        ring_publish(&x->r);
    }
    pthread_join(t, NULL);
    CHECK_EQ(x->checked, FRAMES);
    CHECK_EQ(x->device_bad, 0);
    CHECK_EQ(x->driver_bad, 0);
    drv_free(&x->v);
    free(x);
}

int main(void)
{
    test_split_wrap();
    test_split_partial();
    test_mixed_chains(false);
    test_mixed_chains(true);
    test_packed_lines_and_wraps();
    test_packed_give_batched(18);
    test_packed_give_batched(256);
    test_untake(false);
    test_untake(true);
    test_refused_in_burst(false);
    test_refused_in_burst(true);
    test_rx_burst(false);
    test_rx_burst(true);
    test_rx_burst_plain();
    test_rx_read(false);
    test_rx_read(true);
    test_tx_burst(false);
    test_tx_burst(true);
    race(false);
    race(true);
    return CHECK_SUMMARY();
}
