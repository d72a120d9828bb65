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

/* Adds one descriptor's buffer to the chain. Device-readable segments must
 * all come before device-writable ones (2.7.4.2, 2.8.4.2). */
static int add_seg(struct chain *c, const struct mem_table *m, uint64_t addr, uint32_t len,
                   uint16_t flags)
{
    if (flags & VRING_DESC_F_INDIRECT) /* VIRTIO_F_INDIRECT_DESC is never offered */
        return RING_E_DESC;
    if (len == 0)
        return RING_E_DESC;
    bool writable = flags & VRING_DESC_F_WRITE;
    if (!writable && c->nin)
        return RING_E_DESC;
    if (c->nout + c->nin >= CHAIN_MAX_SEGS)
        return RING_E_CHAIN;
    void *p = mem_gpa(m, addr, len);
    if (!p)
        return RING_E_ADDR;
    struct iovec *v = &c->iov[c->nout + c->nin];
    v->iov_base = p;
    v->iov_len = len;
    if (writable) {
        c->nin++;
        c->in_len += len;
    } else {
        c->nout++;
        c->out_len += len;
    }
    return RING_GOT;
}

static int take_split(struct ring *r, const struct mem_table *m, struct chain *c)
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
    c->id = head;
    uint16_t i = head;
    int rc = RING_GOT;
    for (;;) {
        struct vring_desc d;
        memcpy(&d, &r->desc[i], sizeof d);
        c->ndesc++;
        if (c->ndesc > r->num)
            return RING_E_CHAIN; /* a loop: more descriptors than the ring holds */
        if (rc == RING_GOT)
            rc = add_seg(c, m, d.addr, d.len, d.flags);
        if (!(d.flags & VRING_DESC_F_NEXT))
            break;
        if (d.next >= r->num)
            return RING_E_DESC;
        i = d.next;
    }
    return rc;
}

static bool packed_is_avail(const struct ring *r, uint16_t flags)
{
    bool avail = flags & PACKED_F_AVAIL, used = flags & PACKED_F_USED;
    return avail == r->avail_wrap && used != r->avail_wrap;
}

static int take_packed(struct ring *r, const struct mem_table *m, struct chain *c)
{
    uint16_t flags = LOAD_ACQ(&r->pdesc[r->last_avail].flags);
    if (!packed_is_avail(r, flags))
        return RING_EMPTY;
    int rc = RING_GOT;
    uint16_t pos = r->last_avail;
    bool wrap = r->avail_wrap;
    for (;;) {
        struct vring_packed_desc d;
        memcpy(&d, &r->pdesc[pos], sizeof d);
        d.flags = flags;
        c->ndesc++;
        c->id = d.id; /* the buffer id is the last descriptor's */
        if (rc == RING_GOT)
            rc = add_seg(c, m, d.addr, d.len, d.flags);
        if (++pos == r->num) {
            pos = 0;
            wrap = !wrap;
        }
        if (!(d.flags & VRING_DESC_F_NEXT))
            break;
        if (c->ndesc >= r->num) {
            rc = RING_E_CHAIN;
            break;
        }
        flags = LOAD_ACQ(&r->pdesc[pos].flags);
        bool avail = flags & PACKED_F_AVAIL, used = flags & PACKED_F_USED;
        if (avail != wrap || used == wrap) {
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

int ring_take(struct ring *r, const struct mem_table *m, struct chain *c)
{
    c->id = 0;
    c->ndesc = 0;
    c->nout = c->nin = 0;
    c->out_len = c->in_len = 0;
    if (!r->num)
        return RING_EMPTY;
    return r->packed ? take_packed(r, m, c) : take_split(r, m, c);
}

void ring_give(struct ring *r, const struct chain *c, uint32_t written)
{
    if (r->packed) {
        struct vring_packed_desc *d = &r->pdesc[r->used_idx];
        d->id = c->id;
        d->len = written;
        uint16_t flags = r->used_wrap ? (PACKED_F_AVAIL | PACKED_F_USED) : 0;
        if (written)
            flags |= VRING_DESC_F_WRITE;
        STORE_REL(&d->flags, flags);
        uint32_t next = (uint32_t)r->used_idx + c->ndesc;
        if (next >= r->num) {
            next -= r->num;
            r->used_wrap = !r->used_wrap;
        }
        r->used_idx = (uint16_t)next;
        return;
    }
    struct vring_used_elem *e = (struct vring_used_elem *)(void *)(r->used + 2) + (r->shadow_used & (r->num - 1));
    e->id = c->id;
    e->len = written;
    r->shadow_used++;
}

void ring_publish(struct ring *r)
{
    if (!r->num || r->packed || r->shadow_used == r->used_idx)
        return;
    STORE_REL(&r->used[1], r->shadow_used);
    r->used_idx = r->shadow_used;
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
}

bool ring_has_avail(const struct ring *r)
{
    if (!r->num)
        return false;
    if (r->packed)
        return packed_is_avail(r, LOAD_ACQ(&r->pdesc[r->last_avail].flags));
    return LOAD_ACQ(&r->avail[1]) != r->last_avail;
}

uint16_t ring_driver_used_idx(const struct ring *r) { return !r->num || r->packed ? 0 : LOAD_ACQ(&r->used[1]); }
