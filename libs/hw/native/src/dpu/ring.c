#include "ring.h"

#include <string.h>

#define LOAD_ACQ(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

bool ring_aligned(bool packed, uint64_t desc, uint64_t driver, uint64_t device)
{
    if (desc % VRING_DESC_ALIGN_SIZE)
        return false;
    if (packed)
        return driver % 4 == 0 && device % 4 == 0;
    return driver % VRING_AVAIL_ALIGN_SIZE == 0 && device % VRING_USED_ALIGN_SIZE == 0;
}

int ring_attach(struct ring *r, const struct mem_table *m, uint16_t num, bool packed, uint64_t desc,
                uint64_t driver, uint64_t device)
{
    memset(r, 0, sizeof *r);
    if (num == 0 || (!packed && (num & (num - 1))))
        return RING_E_SIZE;
    if (!ring_aligned(packed, desc, driver, device))
        return RING_E_MISALIGNED;
    r->num = num;
    r->packed = packed;
    if (packed) {
        r->pdesc = mem_uva(m, desc, (uint64_t)num * sizeof(struct vring_packed_desc));
        r->driver_event = mem_uva(m, driver, 4);
        r->device_event = mem_uva(m, device, 4);
        r->avail_wrap = r->used_wrap = true;
        return r->pdesc && r->driver_event && r->device_event ? RING_ATTACHED : RING_E_OUTSIDE;
    }
    r->desc = mem_uva(m, desc, (uint64_t)num * sizeof(struct vring_desc));
    r->avail = mem_uva(m, driver, 4 + 2ull * num);
    r->used = mem_uva(m, device, 4 + 8ull * num);
    return r->desc && r->avail && r->used ? RING_ATTACHED : RING_E_OUTSIDE;
}

/* Where one chain's segments go while it is walked. */
struct walk {
    struct iovec *iov; /* room for CHAIN_MAX_SEGS */
    uint16_t ndesc;
    uint16_t nout;
    uint16_t nin;
    uint16_t id;
    uint64_t out_len;
    uint64_t in_len;
};

/* Adds one descriptor's buffer to the chain. Device-readable segments must
 * all come before device-writable ones (2.7.4.2, 2.8.4.2). */
static int add_seg(struct walk *w, const struct mem_table *m, uint64_t addr, uint32_t len, uint16_t flags)
{
    if (flags & VRING_DESC_F_INDIRECT) /* VIRTIO_F_INDIRECT_DESC is never offered */
        return RING_E_DESC;
    if (len == 0)
        return RING_E_DESC;
    bool writable = flags & VRING_DESC_F_WRITE;
    if (!writable && w->nin)
        return RING_E_DESC;
    if (w->nout + w->nin >= CHAIN_MAX_SEGS)
        return RING_E_CHAIN;
    void *p = mem_gpa(m, addr, len);
    if (!p)
        return RING_E_ADDR;
    struct iovec *v = &w->iov[w->nout + w->nin];
    v->iov_base = p;
    v->iov_len = len;
    if (writable) {
        w->nin++;
        w->in_len += len;
    } else {
        w->nout++;
        w->out_len += len;
    }
    return RING_GOT;
}

/* Walks the split chain at `head` (already checked to be inside the ring). */
static int walk_split(const struct ring *r, const struct mem_table *m, uint16_t head, struct walk *w)
{
    w->id = head;
    uint16_t i = head;
    int rc = RING_GOT;
    for (;;) {
        struct vring_desc d;
        memcpy(&d, &r->desc[i], sizeof d);
        w->ndesc++;
        if (w->ndesc > r->num)
            return RING_E_CHAIN; /* a loop: more descriptors than the ring holds */
        if (rc == RING_GOT)
            rc = add_seg(w, m, d.addr, d.len, d.flags);
        if (!(d.flags & VRING_DESC_F_NEXT))
            break;
        if (d.next >= r->num)
            return RING_E_DESC;
        i = d.next;
    }
    return rc;
}

static int take_split(struct ring *r, const struct mem_table *m, struct walk *w)
{
    uint16_t avail_idx = LOAD_ACQ(&r->avail[1]);
    if (avail_idx == r->last_avail)
        return RING_EMPTY;
    /* The driver can have at most num chains outstanding: an index that
     * moved further is a broken ring, not thousands of chains (2.7.13.3). */
    if ((uint16_t)(avail_idx - r->last_avail) > r->num)
        return RING_E_HEAD;
    uint16_t head = LOAD_ACQ(&r->avail[2 + (r->last_avail & (r->num - 1))]);
    if (head >= r->num)
        return RING_E_HEAD;
    r->last_avail++;
    return walk_split(r, m, head, w);
}

static bool packed_is_avail(bool wrap, uint16_t flags)
{
    bool avail = flags & PACKED_F_AVAIL, used = flags & PACKED_F_USED;
    return avail == wrap && used != wrap;
}

/* Walks the packed chain at last_avail, whose first flags the caller read
 * (with acquire) and found available. */
static int walk_packed(struct ring *r, const struct mem_table *m, uint16_t flags, struct walk *w)
{
    int rc = RING_GOT;
    uint16_t pos = r->last_avail;
    bool wrap = r->avail_wrap;
    for (;;) {
        struct vring_packed_desc d;
        memcpy(&d, &r->pdesc[pos], sizeof d);
        d.flags = flags;
        w->ndesc++;
        w->id = d.id; /* the buffer id is the last descriptor's */
        if (rc == RING_GOT)
            rc = add_seg(w, m, d.addr, d.len, d.flags);
        if (++pos == r->num) {
            pos = 0;
            wrap = !wrap;
        }
        if (!(d.flags & VRING_DESC_F_NEXT))
            break;
        if (w->ndesc >= r->num) {
            rc = RING_E_CHAIN;
            break;
        }
        flags = LOAD_ACQ(&r->pdesc[pos].flags);
        if (!packed_is_avail(wrap, flags)) {
            /* The driver marked NEXT but has not made the rest available:
             * a malformed chain; take what was walked. */
            rc = RING_E_DESC;
            break;
        }
    }
    r->last_avail = pos;
    r->avail_wrap = wrap;
    return rc;
}

static int take_packed(struct ring *r, const struct mem_table *m, struct walk *w)
{
    uint16_t flags = LOAD_ACQ(&r->pdesc[r->last_avail].flags);
    if (!packed_is_avail(r->avail_wrap, flags))
        return RING_EMPTY;
    return walk_packed(r, m, flags, w);
}

int ring_take(struct ring *r, const struct mem_table *m, struct chain *c)
{
    struct walk w = {.iov = c->iov};
    int rc = RING_EMPTY;
    if (r->num)
        rc = r->packed ? take_packed(r, m, &w) : take_split(r, m, &w);
    c->id = w.id;
    c->ndesc = w.ndesc;
    c->nout = w.nout;
    c->nin = w.nin;
    c->out_len = w.out_len;
    c->in_len = w.in_len;
    return rc;
}

/* Records a walked chain as the burst's next. */
static void burst_add(struct burst *b, const struct walk *w, int rc)
{
    struct burst_chain *c = &b->c[b->n++];
    c->id = w->id;
    c->ndesc = w->ndesc;
    c->nout = w->nout;
    c->nin = w->nin;
    c->seg = b->nseg;
    c->rc = (int16_t)rc;
    c->len = w->out_len + w->in_len;
    b->nseg = (uint16_t)(b->nseg + w->nout + w->nin);
}

/* The driver's first memory region, read once per burst: a front-end
 * shares one or a few, and nearly every buffer is in the first. */
struct region0 {
    uint64_t gpa;
    uint64_t size; /* 0 when there is none */
    uint8_t *host;
};

static inline struct region0 region0_of(const struct mem_table *m)
{
    struct region0 z = {0, 0, NULL};
    if (m->n)
        z = (struct region0){m->r[0].gpa, m->r[0].size, m->r[0].host};
    return z;
}

/* The driver's memory for [gpa, gpa + len), as mem_gpa finds it. */
static inline void *xlate(const struct mem_table *m, struct region0 z, uint64_t gpa, uint32_t len)
{
    /* below the region, off wraps past its size; off + len cannot wrap
     * (a region is at most 2^40 bytes, len under 2^32) */
    uint64_t off = gpa - z.gpa;
    if (off < z.size && off + len <= z.size && len)
        return z.host + off;
    return mem_gpa(m, gpa, len);
}

/*
 * Records a chain of one descriptor, the common one, without a walk: the
 * same checks as add_seg (no indirect, no zero length, inside the
 * driver's memory), into c, its buffer into *v. Returns the segments it
 * used (0 or 1). The caller keeps the burst's counts in locals: stores
 * through c may alias them, which would make every chain reload them.
 */
static inline unsigned chain_one(struct burst_chain *c, struct iovec *v, unsigned seg, const struct mem_table *m,
                                 struct region0 z, uint16_t id, uint64_t addr, uint32_t len, uint16_t flags)
{
    c->id = id;
    c->ndesc = 1;
    c->seg = (uint16_t)seg;
    void *p = (flags & VRING_DESC_F_INDIRECT) ? NULL : xlate(m, z, addr, len);
    if (!p) {
        c->nout = c->nin = 0;
        c->len = 0;
        c->rc = (int16_t)((flags & VRING_DESC_F_INDIRECT) || !len ? RING_E_DESC : RING_E_ADDR);
        return 0;
    }
    bool writable = flags & VRING_DESC_F_WRITE;
    c->nin = writable;
    c->nout = !writable;
    c->len = len;
    c->rc = RING_GOT;
    v->iov_base = p;
    v->iov_len = len;
    return 1;
}

static bool burst_has_room(const struct burst *b) { return b->nseg + CHAIN_MAX_SEGS <= BURST_SEGS; }

static void burst_split(struct ring *r, const struct mem_table *m, struct burst *b, unsigned max)
{
    uint16_t avail_idx = LOAD_ACQ(&r->avail[1]);
    uint16_t pending = (uint16_t)(avail_idx - r->last_avail);
    if (!pending)
        return;
    if (pending > r->num) {
        b->stop = RING_E_HEAD; /* as in take_split */
        return;
    }
    unsigned n = pending < max ? pending : max;
    const uint16_t mask = (uint16_t)(r->num - 1);
    /* The heads first, each read once, and their descriptors prefetched
     * while the first ones are checked. */
    uint16_t heads[RING_BURST];
    for (unsigned i = 0; i < n; i++) {
        uint16_t h = __atomic_load_n(&r->avail[2 + ((r->last_avail + i) & mask)], __ATOMIC_RELAXED);
        if (h >= r->num) {
            n = i;
            b->stop = RING_E_HEAD;
            break;
        }
        heads[i] = h;
        __builtin_prefetch(&r->desc[h]);
    }
    const struct region0 z = region0_of(m);
    unsigned i = 0, nc = b->n, nseg = b->nseg;
    for (; i < n && nseg + CHAIN_MAX_SEGS <= BURST_SEGS; i++) {
        struct vring_desc d;
        memcpy(&d, &r->desc[heads[i]], sizeof d);
        if (!(d.flags & VRING_DESC_F_NEXT)) {
            nseg += chain_one(&b->c[nc++], &b->seg[nseg], nseg, m, z, heads[i], d.addr, d.len, d.flags);
            continue;
        }
        struct walk w = {.iov = &b->seg[nseg]};
        int rc = walk_split(r, m, heads[i], &w);
        b->n = (uint16_t)nc;
        b->nseg = (uint16_t)nseg;
        burst_add(b, &w, rc);
        nc = b->n;
        nseg = b->nseg;
    }
    b->n = (uint16_t)nc;
    b->nseg = (uint16_t)nseg;
    r->last_avail = (uint16_t)(r->last_avail + i);
    if (i < n)
        b->stop = RING_EMPTY; /* out of segments, not a broken ring */
}

#define PACKED_LINE 4u /* descriptors in a 64-byte cache line */

/* Four single-descriptor chains at an aligned slot, checked at once;
 * false (nothing taken) when any of them is not one. */
static bool burst_packed_line(struct ring *r, const struct mem_table *m, struct region0 z, struct burst *b)
{
    uint16_t pos = r->last_avail;
    const struct vring_packed_desc *line = &r->pdesc[pos];
    const uint16_t want = r->avail_wrap ? PACKED_F_AVAIL : PACKED_F_USED;
    const uint16_t look = PACKED_F_AVAIL | PACKED_F_USED | VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT;
    uint16_t flags[PACKED_LINE];
    /* The four flags first, then one test: the line came from the
     * driver's core once, and the loads wait for it together. Each load
     * orders the reads of its descriptor after it (on x86-64 an acquire
     * load is a plain one). */
    unsigned bad = 0;
#pragma GCC unroll 4
    for (unsigned k = 0; k < PACKED_LINE; k++) {
        flags[k] = LOAD_ACQ(&line[k].flags);
        bad |= (unsigned)((flags[k] & look) ^ want);
    }
    if (bad)
        return false;
    /* A private copy of the line: what is checked is what is used,
     * whatever the driver writes meanwhile. */
    struct vring_packed_desc d[PACKED_LINE];
    memcpy(d, line, sizeof d);
    unsigned nc = b->n, nseg = b->nseg;
    /* Every buffer inside the first region, none empty: the four are
     * recorded without a branch each (chain_one's checks, at once). */
    uint64_t off[PACKED_LINE];
    unsigned inside = 1;
#pragma GCC unroll 4
    for (unsigned k = 0; k < PACKED_LINE; k++) {
        off[k] = d[k].addr - z.gpa;
        inside &= (unsigned)(off[k] < z.size) & (unsigned)(off[k] + d[k].len <= z.size) & (unsigned)(d[k].len != 0);
    }
    if (__builtin_expect(inside, 1)) {
#pragma GCC unroll 4
        for (unsigned k = 0; k < PACKED_LINE; k++) {
            const uint16_t writable = (flags[k] & VRING_DESC_F_WRITE) ? 1 : 0;
            b->c[nc + k] = (struct burst_chain){
                .id = d[k].id,
                .ndesc = 1,
                .nout = (uint16_t)(writable ^ 1),
                .nin = writable,
                .seg = (uint16_t)(nseg + k),
                .rc = RING_GOT,
                .len = d[k].len,
            };
            b->seg[nseg + k] = (struct iovec){z.host + off[k], d[k].len};
        }
        nc += PACKED_LINE;
        nseg += PACKED_LINE;
    } else {
        for (unsigned k = 0; k < PACKED_LINE; k++)
            nseg += chain_one(&b->c[nc++], &b->seg[nseg], nseg, m, z, d[k].id, d[k].addr, d[k].len, flags[k]);
    }
    b->n = (uint16_t)nc;
    b->nseg = (uint16_t)nseg;
    pos = (uint16_t)(pos + PACKED_LINE);
    if (pos == r->num) {
        pos = 0;
        r->avail_wrap = !r->avail_wrap;
    }
    r->last_avail = pos;
    return true;
}

static void burst_packed(struct ring *r, const struct mem_table *m, struct burst *b, unsigned max)
{
    const struct region0 z = region0_of(m);
    while (b->n < max && burst_has_room(b)) {
        uint16_t pos = r->last_avail;
        if (!(pos & (PACKED_LINE - 1)) && pos + PACKED_LINE <= r->num && b->n + PACKED_LINE <= max &&
            burst_packed_line(r, m, z, b))
            continue;
        uint16_t flags = LOAD_ACQ(&r->pdesc[pos].flags);
        if (!packed_is_avail(r->avail_wrap, flags))
            return;
        struct walk w = {.iov = &b->seg[b->nseg]};
        int rc = walk_packed(r, m, flags, &w);
        burst_add(b, &w, rc);
    }
}

void burst_init(struct burst *b)
{
    b->n = 0;
    b->nseg = 0;
    b->stop = RING_EMPTY;
}

unsigned ring_take_burst(struct ring *r, const struct mem_table *m, struct burst *b, unsigned max)
{
    unsigned before = b->n;
    b->stop = RING_EMPTY;
    if (max > RING_BURST - before)
        max = RING_BURST - before;
    if (!r->num || !max)
        return 0;
    if (r->packed)
        burst_packed(r, m, b, before + max);
    else
        burst_split(r, m, b, max);
    return b->n - before;
}

void ring_untake(struct ring *r, struct burst *b, unsigned i)
{
    if (i >= b->n)
        return;
    if (r->packed) {
        /* back over the slots the chains took, and over the end if so */
        unsigned slots = 0;
        for (unsigned k = i; k < b->n; k++)
            slots += b->c[k].ndesc;
        if (slots > r->last_avail) {
            r->last_avail = (uint16_t)(r->last_avail + r->num - slots);
            r->avail_wrap = !r->avail_wrap;
        } else {
            r->last_avail = (uint16_t)(r->last_avail - slots);
        }
    } else {
        r->last_avail = (uint16_t)(r->last_avail - (b->n - i)); /* one avail entry each */
    }
    b->nseg = b->c[i].seg;
    b->n = (uint16_t)i;
}

/* The flags of a used packed descriptor: both bits at the used wrap
 * counter, WRITE when the device wrote into the buffer (2.8.7). */
static inline uint16_t packed_used_flags(bool wrap, uint32_t written)
{
    return (uint16_t)((wrap ? (PACKED_F_AVAIL | PACKED_F_USED) : 0) | (written ? VRING_DESC_F_WRITE : 0));
}

/* Moves a used position past n slots, flipping the wrap counter at the end. */
static inline void packed_advance(uint16_t num, uint16_t *at, bool *wrap, uint16_t n)
{
    uint32_t next = (uint32_t)*at + n;
    if (next >= num) {
        next -= num;
        *wrap = !*wrap;
    }
    *at = (uint16_t)next;
}

/* Writes one used packed descriptor at used_idx and moves past the
 * chain's slots. The first of a burst keeps its flags back (held). */
static inline void give_packed_one(struct ring *r, uint16_t id, uint16_t ndesc, uint32_t written)
{
    struct vring_packed_desc *d = &r->pdesc[r->used_idx];
    d->id = id;
    d->len = written;
    const uint16_t flags = packed_used_flags(r->used_wrap, written);
    if (!r->held) {
        /* The driver reads used descriptors in ring order from this
         * one: until its flags turn, it sees none of the burst. */
        r->held = true;
        r->held_slot = r->used_idx;
        r->held_flags = flags;
    } else {
        STORE_REL(&d->flags, flags);
    }
    packed_advance(r->num, &r->used_idx, &r->used_wrap, ndesc);
}

void ring_give_id(struct ring *r, uint16_t id, uint16_t ndesc, uint32_t written)
{
    if (r->packed) {
        give_packed_one(r, id, ndesc, written);
        return;
    }
    struct vring_used_elem *e = (struct vring_used_elem *)(void *)(r->used + 2) + (r->shadow_used & (r->num - 1));
    e->id = id;
    e->len = written;
    r->shadow_used++;
}

/* Gives chains [0, n) of b back to a packed ring. Where four chains of
 * one descriptor each fill an aligned line after the burst's held first
 * one, their ids and lengths are written, then (after a release fence)
 * their four flags: one pass over the line, as the driver reads it.
 * Inlined into both callers, so that TX (written NULL) has no lengths to
 * load; the ring's position stays in locals while the descriptors are
 * written (they could alias it otherwise). */
static inline __attribute__((always_inline)) void give_packed_run(struct ring *r, const struct burst *b, unsigned n,
                                                                   const uint32_t *written)
{
    if (!n)
        return;
    struct vring_packed_desc *const restrict pd = r->pdesc;
    const uint16_t num = r->num;
    unsigned i = 0;
    if (!r->held) {
        give_packed_one(r, b->c[0].id, b->c[0].ndesc, written ? written[0] : 0);
        i = 1;
    }
    uint16_t at = r->used_idx;
    bool wrap = r->used_wrap;
    while (i < n) {
        const struct burst_chain *c = &b->c[i];
        if (!(at & (PACKED_LINE - 1)) && at + PACKED_LINE <= num && i + PACKED_LINE <= n &&
            (c[0].ndesc | c[1].ndesc | c[2].ndesc | c[3].ndesc) == 1) {
            struct vring_packed_desc *const line = &pd[at];
            const uint16_t base = wrap ? (PACKED_F_AVAIL | PACKED_F_USED) : 0;
            uint16_t flags[PACKED_LINE];
#pragma GCC unroll 4
            for (unsigned k = 0; k < PACKED_LINE; k++) {
                const uint32_t len = written ? written[i + k] : 0;
                line[k].id = c[k].id;
                line[k].len = len;
                flags[k] = (uint16_t)(base | (len ? VRING_DESC_F_WRITE : 0));
            }
            __atomic_thread_fence(__ATOMIC_RELEASE);
#pragma GCC unroll 4
            for (unsigned k = 0; k < PACKED_LINE; k++)
                __atomic_store_n(&line[k].flags, flags[k], __ATOMIC_RELAXED);
            packed_advance(num, &at, &wrap, PACKED_LINE);
            i += PACKED_LINE;
            continue;
        }
        const uint32_t len = written ? written[i] : 0;
        pd[at].id = c->id;
        pd[at].len = len;
        STORE_REL(&pd[at].flags, packed_used_flags(wrap, len));
        packed_advance(num, &at, &wrap, c->ndesc);
        i++;
    }
    r->used_idx = at;
    r->used_wrap = wrap;
}

void ring_give(struct ring *r, const struct chain *c, uint32_t written) { ring_give_id(r, c->id, c->ndesc, written); }

static inline __attribute__((always_inline)) void give_run(struct ring *r, const struct burst *b, unsigned n,
                                                           const uint32_t *written)
{
    if (!r->packed) {
        struct vring_used_elem *e = (struct vring_used_elem *)(void *)(r->used + 2);
        const uint16_t mask = (uint16_t)(r->num - 1);
        uint16_t at = r->shadow_used;
        for (unsigned i = 0; i < n; i++, at++) {
            e[at & mask].id = b->c[i].id;
            e[at & mask].len = written ? written[i] : 0;
        }
        r->shadow_used = at;
        return;
    }
    give_packed_run(r, b, n, written);
}

void ring_give_burst(struct ring *r, const struct burst *b) { give_run(r, b, b->n, NULL); }

void ring_give_lens(struct ring *r, const struct burst *b, unsigned n, const uint32_t *written)
{
    give_run(r, b, n, written);
}

void ring_set_log(struct ring *r, struct dirty_log *log, bool log_used, uint64_t used_log, uint64_t desc_gpa)
{
    r->log = log;
    r->log_used = log && log_used;
    r->used_log = used_log;
    r->desc_gpa = desc_gpa;
}

/* Marks entries [from, from + n) of an array of `size`-byte entries at
 * guest address `base` + `at` in a ring of r->num entries, over its end. */
static void log_entries(struct dirty_batch *b, const struct ring *r, uint64_t base, uint64_t at, uint32_t from,
                        uint32_t n, uint32_t size)
{
    uint32_t first = from < r->num ? r->num - from : 0;
    if (n <= first) {
        dirty_batch_gpa(b, base + at + (uint64_t)from * size, (uint64_t)n * size);
        return;
    }
    dirty_batch_gpa(b, base + at + (uint64_t)from * size, (uint64_t)first * size);
    dirty_batch_gpa(b, base + at, (uint64_t)(n - first) * size);
}

/* The used entries [used_idx, shadow_used) and used->idx, just published. */
static void log_split_used(struct ring *r)
{
    struct dirty_batch b;
    dirty_batch_init(&b, r->log);
    uint16_t n = (uint16_t)(r->shadow_used - r->used_idx);
    log_entries(&b, r, r->used_log, 4, r->used_idx & (r->num - 1u), n, sizeof(struct vring_used_elem));
    dirty_batch_gpa(&b, r->used_log + 2, 2);
    dirty_batch_flush(&b);
}

/* The packed descriptors written back from slot `from` to used_idx: a
 * whole ring when they meet (a burst gave back num descriptors). */
static void log_packed_used(struct ring *r, uint16_t from)
{
    struct dirty_batch b;
    dirty_batch_init(&b, r->log);
    uint32_t n = (uint32_t)(r->used_idx + r->num - from) % r->num;
    log_entries(&b, r, r->desc_gpa, 0, from, n ? n : r->num, sizeof(struct vring_packed_desc));
    dirty_batch_flush(&b);
}

void ring_publish(struct ring *r)
{
    if (!r->num)
        return;
    if (r->packed) {
        if (r->held) {
            STORE_REL(&r->pdesc[r->held_slot].flags, r->held_flags);
            r->held = false;
            if (__builtin_expect(r->log != NULL, 0))
                log_packed_used(r, r->held_slot);
        }
        return;
    }
    if (r->shadow_used == r->used_idx)
        return;
    STORE_REL(&r->used[1], r->shadow_used);
    if (__builtin_expect(r->log_used, 0))
        log_split_used(r);
    r->used_idx = r->shadow_used;
}

/* The flags the device writes to ask for kicks or not. */
static void log_kick_flags(struct ring *r)
{
    struct dirty_batch b;
    dirty_batch_init(&b, r->log);
    /* split: used->flags at the used ring's start; packed: the device
     * event suppression's flags after its off_wrap */
    dirty_batch_gpa(&b, r->used_log + (r->packed ? 2 : 0), 2);
    dirty_batch_flush(&b);
}

bool ring_driver_wants_call(const struct ring *r)
{
    /* The used index must be visible before the driver's flag is read. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!r->num)
        return false;
    if (r->packed)
        return LOAD_ACQ(&r->driver_event[1]) != VRING_PACKED_EVENT_FLAG_DISABLE;
    return !(LOAD_ACQ(&r->avail[0]) & VRING_AVAIL_F_NO_INTERRUPT);
}

void ring_set_kick_wanted(struct ring *r, bool wanted)
{
    if (!r->num)
        return;
    if (r->packed)
        STORE_REL(&r->device_event[1], wanted ? VRING_PACKED_EVENT_FLAG_ENABLE : VRING_PACKED_EVENT_FLAG_DISABLE);
    else
        STORE_REL(&r->used[0], wanted ? 0 : VRING_USED_F_NO_NOTIFY);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__builtin_expect(r->log_used, 0))
        log_kick_flags(r);
}

bool ring_has_avail(const struct ring *r)
{
    if (!r->num)
        return false;
    if (r->packed)
        return packed_is_avail(r->avail_wrap, LOAD_ACQ(&r->pdesc[r->last_avail].flags));
    return LOAD_ACQ(&r->avail[1]) != r->last_avail;
}

uint16_t ring_driver_used_idx(const struct ring *r) { return !r->num || r->packed ? 0 : LOAD_ACQ(&r->used[1]); }
