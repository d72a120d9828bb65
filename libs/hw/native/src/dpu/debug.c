#include "debug.h"

#include <linux/virtio_ring.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void vq_note_error(struct vq *q, uint16_t head, uint8_t kind, const char *what)
{
    vnet_desc_error *e = &q->errors.e[q->errors.next % VNET_QUEUE_ERRORS];
    memset(e, 0, sizeof *e);
    e->at_ms = wall_ms();
    e->head = head;
    e->kind = kind;
    snprintf(e->what, sizeof e->what, "%s", what);
    q->errors.next++;
    q->errors.total++;
}

void vq_note_chain(struct vq *q, uint16_t head, int rc)
{
    if (rc == RING_E_ADDR)
        vq_note_error(q, head, VNET_DESC_E_ADDRESS, "a buffer outside the driver's memory");
    else if (rc == RING_E_CHAIN)
        vq_note_error(q, head, VNET_DESC_E_CHAIN, "a loop, or a chain too long for the ring");
    else
        vq_note_error(q, head, VNET_DESC_E_DESCRIPTOR, "a bad next index, flags or a zero length");
}

/* Volatile read of the driver's memory (defined for the view below too). */
static uint16_t rd16(const uint16_t *p);

void vq_note_broken(struct vq *q)
{
    char what[VNET_DESC_ERROR_TEXT];
    const struct ring *r = &q->ring;
    uint16_t at = r->last_avail;
    if (!r->packed && r->avail) {
        uint16_t idx = rd16(&r->avail[1]);
        if ((uint16_t)(idx - at) > r->num)
            snprintf(what, sizeof what, "avail index %u is %u past %u, ring of %u", idx, (uint16_t)(idx - at), at, r->num);
        else
            snprintf(what, sizeof what, "entry %u names descriptor %u, ring of %u", at, rd16(&r->avail[2 + (at & (r->num - 1))]), r->num);
    } else {
        snprintf(what, sizeof what, "descriptor %u outside the ring of %u", at, r->num);
    }
    vq_note_error(q, at, VNET_DESC_E_HEAD, what);
}

/* Volatile reads of the driver's memory: it changes them as it pleases.
 * A page the driver truncated reads as zeros (fault.h). */
static uint16_t rd16(const uint16_t *p) { return *(const volatile uint16_t *)p; }

static void split_side(const struct ring *r, vnet_queue_debug *o)
{
    o->drv_flags = rd16(&r->avail[0]);
    o->drv_avail = rd16(&r->avail[1]);
    o->drv_event = rd16(&r->avail[2 + r->num]); /* used_event */
    o->drv_used = rd16(&r->used[1]);
    o->dev_notify = !(rd16(&r->used[0]) & VRING_USED_F_NO_NOTIFY);
    o->inflight = (uint16_t)(r->last_avail - r->used_idx);
}

static void packed_side(const struct ring *r, vnet_queue_debug *o)
{
    o->dev_wrap = r->avail_wrap;
    o->drv_event = rd16(&r->driver_event[0]);
    o->drv_flags = rd16(&r->driver_event[1]);
    o->dev_notify = rd16(&r->device_event[1]) != VRING_PACKED_EVENT_FLAG_DISABLE;
    o->drv_used = r->used_idx;
    /* The driver's progress: how far descriptors marked available by it go
     * past the device's position (at most the ring). */
    uint16_t pos = r->last_avail;
    bool wrap = r->avail_wrap;
    for (uint16_t n = 0; n < r->num; n++) {
        uint16_t f = *(const volatile uint16_t *)&r->pdesc[pos].flags;
        bool avail = (f >> VRING_PACKED_DESC_F_AVAIL) & 1u, used = (f >> VRING_PACKED_DESC_F_USED) & 1u;
        if (avail != wrap || used == wrap)
            break;
        if (++pos == r->num) {
            pos = 0;
            wrap = !wrap;
        }
    }
    o->drv_avail = pos;
    o->drv_wrap = wrap;
    o->inflight = r->avail_wrap == r->used_wrap ? (uint16_t)(r->last_avail - r->used_idx) : (uint16_t)(r->num - r->used_idx + r->last_avail);
}

void device_queue_debug(struct dev *d, vnet_queue_debug *out)
{
    pthread_rwlock_rdlock(&d->rw);
    bool event_idx = dev_has(d, VIRTIO_RING_F_EVENT_IDX);
    for (uint16_t i = 0; i < d->nq; i++) {
        struct vq *q = &d->vq[i];
        vnet_queue_debug *o = &out[i];
        memset(o, 0, sizeof *o);
        pthread_mutex_lock(&q->lock);
        o->handle = d->handle;
        o->qid = i;
        o->size = q->started ? q->ring.num : q->num;
        o->packed = q->ring.packed;
        o->enabled = q->enabled;
        o->started = q->started;
        o->broken = q->broken;
        o->event_idx = event_idx;
        o->dev_avail = q->ring.last_avail;
        o->dev_used = q->ring.used_idx;
        if (q->started && (q->ring.packed ? q->ring.pdesc != NULL : q->ring.avail != NULL)) {
            o->driver_readable = 1;
            if (q->ring.packed)
                packed_side(&q->ring, o);
            else
                split_side(&q->ring, o);
        }
        o->errors_total = q->errors.total;
        uint32_t n = q->errors.next < VNET_QUEUE_ERRORS ? q->errors.next : VNET_QUEUE_ERRORS;
        o->nerrors = n;
        for (uint32_t k = 0; k < n; k++)
            o->errors[k] = q->errors.e[(q->errors.next - 1 - k) % VNET_QUEUE_ERRORS];
        pthread_mutex_unlock(&q->lock);
    }
    pthread_rwlock_unlock(&d->rw);
}
