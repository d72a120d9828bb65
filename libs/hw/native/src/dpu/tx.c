#include "tx.h"
#include "backend.h"
#include "notify.h"
#include "rx.h"

#include <linux/if_ether.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define BURST 64
#define MAX_FRAME 65536u
#define VLAN_HLEN 4u

static __thread uint8_t bounce[MAX_FRAME + 64];

struct cursor {
    const struct iovec *iov;
    int n;
    int i;
    size_t off;
};

static void cursor_skip(struct cursor *c, size_t len)
{
    while (len && c->i < c->n) {
        size_t left = c->iov[c->i].iov_len - c->off;
        size_t step = len < left ? len : left;
        c->off += step;
        len -= step;
        if (c->off == c->iov[c->i].iov_len) {
            c->i++;
            c->off = 0;
        }
    }
}

/* Copies up to len bytes from the cursor to dst; returns how many. */
static size_t cursor_read(struct cursor *c, uint8_t *dst, size_t len)
{
    size_t done = 0;
    while (done < len && c->i < c->n) {
        size_t left = c->iov[c->i].iov_len - c->off;
        size_t step = len - done < left ? len - done : left;
        memcpy(dst + done, (const uint8_t *)c->iov[c->i].iov_base + c->off, step);
        done += step;
        cursor_skip(c, step);
    }
    return done;
}

/* Segmentation offloads the driver may use once negotiated: such a frame
 * is one large buffer the other side segments, not an oversized frame. */
static bool gso_allowed(struct dev *d, const struct chain *c)
{
    uint8_t gso = VIRTIO_NET_HDR_GSO_NONE;
    if (c->iov[0].iov_len >= 2)
        gso = ((const uint8_t *)c->iov[0].iov_base)[1];
    else {
        struct cursor cur = {c->iov, c->nout, 0, 0};
        uint8_t h[2] = {0, 0};
        cursor_read(&cur, h, 2);
        gso = h[1];
    }
    gso &= (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
    switch (gso) {
    case VIRTIO_NET_HDR_GSO_NONE:
        return false;
    case VIRTIO_NET_HDR_GSO_TCPV4:
        return dev_has(d, VIRTIO_NET_F_HOST_TSO4);
    case VIRTIO_NET_HDR_GSO_TCPV6:
        return dev_has(d, VIRTIO_NET_F_HOST_TSO6);
    case VIRTIO_NET_HDR_GSO_UDP:
        return dev_has(d, VIRTIO_NET_F_HOST_UFO);
    default:
        return false;
    }
}

unsigned tx_burst(struct dev *d, struct vq *q)
{
    struct vq *rx = NULL;
    unsigned done = 0, echoed = 0;
    if (d->backend == VNET_BACKEND_ECHO && q->enabled) {
        rx = &d->vq[q->index - 1];
        pthread_mutex_lock(&rx->lock);
        if (!rx_ready(rx)) {
            pthread_mutex_unlock(&rx->lock);
            rx = NULL;
        }
    }
    if (d->backend == VNET_BACKEND_TAP)
        backend_tap_sync_hdr(d);
    pthread_mutex_lock(&d->cfg);
    size_t max_len = (size_t)d->mtu + ETH_HLEN + VLAN_HLEN;
    pthread_mutex_unlock(&d->cfg);
    while (done < BURST) {
        struct chain c;
        int r = ring_take(&q->ring, &d->mem, &c);
        if (r == RING_EMPTY)
            break;
        if (r == RING_E_HEAD) {
            q->broken = true;
            CNT_SET(q->c->broken, 1);
            CNT_ADD(q->c->bad_desc_errors, 1);
            dev_needs_reset(d);
            break;
        }
        CNT_ADD(q->c->received_desc, c.ndesc);
        CNT_ADD(q->c->completed_desc, c.ndesc);
        done++;
        if (r < 0 || c.nin || c.out_len < d->hdr_len || c.out_len - d->hdr_len > MAX_FRAME) {
            if (r == RING_E_ADDR || (r >= 0 && !c.nin))
                CNT_ADD(q->c->invalid_buffer, 1);
            else if (r == RING_E_CHAIN)
                CNT_ADD(q->c->exceed_max_chain, 1);
            else
                CNT_ADD(q->c->bad_desc_errors, 1); /* including device-writable TX buffers (5.1.6.2) */
            CNT_ADD(q->c->dropped, 1);
            ring_give(&q->ring, &c, 0);
            continue;
        }
        size_t len = c.out_len - d->hdr_len;
        if (len > max_len && !gso_allowed(d, &c)) {
            CNT_ADD(q->c->oversized, 1);
            CNT_ADD(q->c->dropped, 1);
            ring_give(&q->ring, &c, 0);
            continue;
        }
        dev_count_frame(q->c, len);
        if (!q->enabled) {
            /* started but disabled: process and discard (vhost-user.rst) */
        } else if (d->backend == VNET_BACKEND_TAP && d->tap_fd >= 0) {
            if (writev(d->tap_fd, c.iov, c.nout) < 0) {
                CNT_ADD(q->c->error_cqes, 1);
                CNT_ADD(q->c->dropped, 1);
            }
        } else if (rx) {
            struct cursor cur = {c.iov, c.nout, 0, 0};
            uint8_t hdr[RX_HDR_MAX];
            memset(hdr, 0, sizeof hdr);
            cursor_skip(&cur, d->hdr_len);
            size_t got = cursor_read(&cur, bounce, len);
            if (rx_put(d, rx, hdr, bounce, got) == 0)
                echoed++;
        }
        ring_give(&q->ring, &c, 0);
    }
    if (rx) {
        notify_completed(rx, echoed);
        CNT_SET(rx->c->hw_available_index, rx->ring.last_avail);
        pthread_mutex_unlock(&rx->lock);
    }
    notify_completed(q, done);
    CNT_SET(q->c->hw_available_index, q->ring.last_avail);
    return done;
}
