#include "tx.h"
#include "backend.h"
#include "capture.h"
#include "debug.h"
#include "notify.h"
#include "tally.h"

#include <linux/if_ether.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#define MAX_FRAME 65536u
#define VLAN_HLEN 4u

static __thread struct burst tx_chains;

size_t tx_max_frame(struct dev *d)
{
    pthread_mutex_lock(&d->cfg);
    size_t max = (size_t)d->mtu + ETH_HLEN + VLAN_HLEN;
    pthread_mutex_unlock(&d->cfg);
    return max;
}

/* Segmentation offloads the driver may use once negotiated: such a frame
 * is one large buffer the other side segments, not an oversized frame. */
static bool gso_allowed(struct dev *d, const struct iovec *iov, unsigned niov)
{
    uint8_t h[2] = {0, 0};
    for (unsigned s = 0, got = 0; s < niov && got < 2; s++)
        for (size_t k = 0; k < iov[s].iov_len && got < 2; k++)
            h[got++] = ((const uint8_t *)iov[s].iov_base)[k];
    uint8_t gso = h[1] & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
    switch (gso) {
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

/* Why a TX chain cannot be a frame, counted on the queue and noted for virtnet debug. */
static void count_refused(struct vq *q, const struct burst_chain *c, uint32_t hlen)
{
    char what[VNET_DESC_ERROR_TEXT];
    if (c->rc == RING_E_ADDR || (c->rc >= 0 && !c->nin))
        CNT_ADD(q->c->invalid_buffer, 1);
    else if (c->rc == RING_E_CHAIN)
        CNT_ADD(q->c->exceed_max_chain, 1);
    else
        CNT_ADD(q->c->bad_desc_errors, 1); /* including device-writable TX buffers (5.1.6.2) */
    if (c->rc < 0) {
        vq_note_chain(q, c->id, c->rc);
    } else if (c->nin) {
        snprintf(what, sizeof what, "%u device-writable buffer(s) in a TX chain", c->nin);
        vq_note_error(q, c->id, VNET_DESC_E_WRITABLE, what);
    } else {
        snprintf(what, sizeof what, "%u bytes: no frame past a %u-byte header", (unsigned)c->len, (unsigned)hlen);
        vq_note_error(q, c->id, VNET_DESC_E_DESCRIPTOR, what);
    }
}

unsigned tx_burst(struct dev *d, struct vq *q, size_t max_frame)
{
    struct burst *b = &tx_chains;
    burst_init(b);
    const unsigned n = ring_take_burst(&q->ring, &d->mem, b, RING_BURST);
    const uint32_t hlen = d->hdr_len;
    struct tx_frame f[RING_BURST];
    struct tally t;
    tally_init(&t);
    unsigned nf = 0;
    uint64_t descs = 0, dropped = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct burst_chain *c = &b->c[i];
        const struct iovec *iov = &b->seg[c->seg];
        const uint64_t len = c->len - hlen;
        descs += c->ndesc;
        if (c->rc < 0 || c->nin || c->len < hlen || len > MAX_FRAME) {
            count_refused(q, c, hlen);
            dropped++;
            continue;
        }
        if (len > max_frame && !gso_allowed(d, iov, c->nout)) {
            CNT_ADD(q->c->oversized, 1);
            dropped++;
            continue;
        }
        tally_frame(&t, len);
        f[nf].iov = iov;
        f[nf].niov = c->nout;
        f[nf].len = (uint32_t)len;
        nf++;
    }
    /* A queue started but disabled processes and discards (vhost-user.rst). */
    if (nf && q->enabled) {
        struct capture *cap = dev_capture(d);
        for (unsigned i = 0; cap && i < nf; i++)
            capture_frame(cap, q->index, CAPTURE_TX, f[i].iov, f[i].niov, hlen, f[i].len);
        backend_tx(d, q, f, nf);
    }
    /* Given back only now: a packed chain given back is the driver's again. */
    ring_give_burst(&q->ring, b);
    tally_flush(&t, q->c);
    if (n) {
        CNT_ADD(q->c->received_desc, descs);
        CNT_ADD(q->c->completed_desc, descs);
    }
    if (dropped)
        CNT_ADD(q->c->dropped, dropped);
    if (b->stop == RING_E_HEAD) {
        vq_note_broken(q);
        q->broken = true;
        CNT_SET(q->c->broken, 1);
        CNT_ADD(q->c->bad_desc_errors, 1);
        dev_needs_reset(d);
    }
    notify_completed(q, n);
    CNT_SET(q->c->hw_available_index, q->ring.last_avail);
    return n;
}
