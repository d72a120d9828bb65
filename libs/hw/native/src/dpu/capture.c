#include "capture.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct capture {
    pthread_mutex_t lock;
    uint32_t id;
    int32_t qid;
    uint32_t snaplen;
    uint32_t remaining;
    uint32_t captured;
    uint32_t dropped;
    bool ended;
    size_t used;
    uint8_t buf[CAPTURE_BUFFER];
};

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t padded(size_t n) { return (n + 7u) & ~(size_t)7u; }

int capture_attach(struct dev *d, uint32_t id, int32_t qid, uint32_t count, uint32_t snaplen)
{
    if (dev_capture(d))
        return -EBUSY;
    struct capture *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    pthread_mutex_init(&c->lock, NULL);
    c->id = id;
    c->qid = qid;
    c->snaplen = snaplen;
    c->remaining = count;
    atomic_store_explicit(&d->cap, c, memory_order_release);
    return 0;
}

struct capture *capture_detach(struct dev *d)
{
    struct capture *c = dev_capture(d);
    atomic_store_explicit(&d->cap, NULL, memory_order_release);
    return c;
}

void capture_free(struct capture *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->lock);
    free(c);
}

uint32_t capture_id(const struct capture *c) { return c->id; }

void capture_end(struct capture *c)
{
    pthread_mutex_lock(&c->lock);
    c->ended = true;
    pthread_mutex_unlock(&c->lock);
}

/* Room for one record of `incl` bytes, or NULL (counted as dropped).
 * Caller holds c->lock. */
static uint8_t *reserve(struct capture *c, uint16_t qid, uint8_t dir, size_t len, size_t *incl)
{
    if (c->ended || !c->remaining || (c->qid >= 0 && (uint32_t)c->qid != qid))
        return NULL;
    *incl = len < c->snaplen ? len : c->snaplen;
    size_t need = sizeof(vnet_capture_rec) + padded(*incl);
    if (c->used + need > sizeof c->buf) {
        c->dropped++;
        return NULL;
    }
    vnet_capture_rec *r = (vnet_capture_rec *)(void *)(c->buf + c->used);
    memset(r, 0, need);
    r->at_ns = wall_ns();
    r->orig_len = (uint32_t)len;
    r->incl_len = (uint32_t)*incl;
    r->qid = qid;
    r->dir = dir;
    c->used += need;
    c->remaining--;
    c->captured++;
    return (uint8_t *)(r + 1);
}

void capture_frame(struct capture *c, uint16_t qid, uint8_t dir, const struct iovec *iov, unsigned niov, size_t skip, size_t len)
{
    pthread_mutex_lock(&c->lock);
    size_t incl;
    uint8_t *to = reserve(c, qid, dir, len, &incl);
    for (unsigned i = 0; to && incl && i < niov; i++) {
        size_t n = iov[i].iov_len;
        const uint8_t *from = iov[i].iov_base;
        if (skip >= n) {
            skip -= n;
            continue;
        }
        from += skip;
        n -= skip;
        skip = 0;
        if (n > incl)
            n = incl;
        memcpy(to, from, n);
        to += n;
        incl -= n;
    }
    pthread_mutex_unlock(&c->lock);
}

void capture_bytes(struct capture *c, uint16_t qid, uint8_t dir, const void *frame, size_t len)
{
    struct iovec v = {(void *)(uintptr_t)frame, len};
    capture_frame(c, qid, dir, &v, 1, 0, len);
}

size_t capture_drain(struct capture *c, void *out, size_t cap, vnet_capture_state *st)
{
    pthread_mutex_lock(&c->lock);
    size_t moved = 0;
    while (moved < c->used) {
        const vnet_capture_rec *r = (const vnet_capture_rec *)(const void *)(c->buf + moved);
        size_t n = sizeof *r + padded(r->incl_len);
        if (moved + n > cap)
            break;
        moved += n;
    }
    memcpy(out, c->buf, moved);
    memmove(c->buf, c->buf + moved, c->used - moved);
    c->used -= moved;
    memset(st, 0, sizeof *st);
    st->captured = c->captured;
    st->dropped = c->dropped;
    st->remaining = c->remaining;
    st->done = c->ended || !c->remaining;
    pthread_mutex_unlock(&c->lock);
    return moved;
}
