#include "rx.h"

#include <linux/virtio_net.h>
#include <string.h>

#define MRG_MAX_CHAINS 64
/* Where num_buffers sits in struct virtio_net_hdr_mrg_rxbuf. */
#define NUM_BUFFERS_AT 10

bool rx_ready(const struct vq *rx) { return rx->started && rx->enabled && !rx->broken; }

static void count_bad_chain(struct vq *rx, int r)
{
    if (r == RING_E_ADDR)
        CNT_ADD(rx->c->invalid_buffer, 1);
    else if (r == RING_E_CHAIN)
        CNT_ADD(rx->c->exceed_max_chain, 1);
    else
        CNT_ADD(rx->c->bad_desc_errors, 1);
}

int rx_put(struct dev *d, struct vq *rx, const uint8_t *hdr, const uint8_t *frame, size_t len)
{
    bool mrg = dev_has(d, VIRTIO_NET_F_MRG_RXBUF);
    size_t total = d->hdr_len + len;
    struct ring saved = rx->ring;
    struct {
        uint16_t id, ndesc;
        uint32_t written;
    } used[MRG_MAX_CHAINS];
    int nused = 0;
    uint8_t *nbuf_at[2] = {NULL, NULL}; /* num_buffers may straddle two segments */
    size_t pos = 0;
    uint64_t descs = 0;

    while (pos < total) {
        struct chain c;
        int r = ring_take(&rx->ring, &d->mem, &c);
        if (r == RING_EMPTY || nused == MRG_MAX_CHAINS)
            goto no_room;
        if (r == RING_E_HEAD) {
            rx->broken = true;
            CNT_SET(rx->c->broken, 1);
            CNT_ADD(rx->c->bad_desc_errors, 1);
            dev_needs_reset(d);
            goto no_room;
        }
        if (r < 0 || c.nout) {
            /* A receive chain the device cannot write into: give it back empty. */
            count_bad_chain(rx, r < 0 ? r : RING_E_DESC);
            CNT_ADD(rx->c->received_desc, c.ndesc);
            CNT_ADD(rx->c->completed_desc, c.ndesc);
            ring_give(&rx->ring, &c, 0);
            saved = rx->ring; /* that chain is spent whatever happens next */
            continue;
        }
        if (!mrg && c.in_len < total) {
            /* Without mergeable buffers one chain must hold it all (5.1.6.3.1). */
            ring_give(&rx->ring, &c, 0);
            CNT_ADD(rx->c->received_desc, c.ndesc);
            CNT_ADD(rx->c->completed_desc, c.ndesc);
            CNT_ADD(rx->c->invalid_buffer, 1);
            CNT_ADD(rx->c->dropped, 1);
            return 0;
        }
        uint32_t written = 0;
        if (pos == 0 && c.iov[0].iov_len >= total) {
            /* The common case: header and frame fit the first buffer. */
            uint8_t *dst = c.iov[0].iov_base;
            memcpy(dst, hdr, d->hdr_len);
            memcpy(dst + d->hdr_len, frame, len);
            nbuf_at[0] = dst + NUM_BUFFERS_AT;
            nbuf_at[1] = dst + NUM_BUFFERS_AT + 1;
            pos = total;
            written = (uint32_t)total;
        }
        for (int s = 0; s < c.nin && pos < total; s++) {
            uint8_t *dst = c.iov[s].iov_base;
            size_t room = c.iov[s].iov_len;
            while (room && pos < total) {
                if (pos < d->hdr_len) {
                    if (pos == NUM_BUFFERS_AT && !nbuf_at[0])
                        nbuf_at[0] = dst;
                    if (pos == NUM_BUFFERS_AT + 1)
                        nbuf_at[1] = dst;
                    *dst++ = hdr[pos++];
                    room--;
                    written++;
                    continue;
                }
                size_t step = total - pos < room ? total - pos : room;
                memcpy(dst, frame + (pos - d->hdr_len), step);
                dst += step;
                room -= step;
                pos += step;
                written += (uint32_t)step;
            }
        }
        used[nused].id = c.id;
        used[nused].ndesc = c.ndesc;
        used[nused].written = written;
        nused++;
        descs += c.ndesc;
    }
    if (mrg && nbuf_at[0] && nbuf_at[1]) {
        *nbuf_at[0] = (uint8_t)(nused & 0xff);
        *nbuf_at[1] = (uint8_t)(nused >> 8);
    }
    for (int i = 0; i < nused; i++) {
        struct chain c;
        c.id = used[i].id;
        c.ndesc = used[i].ndesc;
        ring_give(&rx->ring, &c, used[i].written);
    }
    CNT_ADD(rx->c->received_desc, descs);
    CNT_ADD(rx->c->completed_desc, descs);
    dev_count_frame(rx->c, len);
    return 0;

no_room:
    /* Put back the chains taken for this frame: the driver sees nothing. */
    rx->ring.last_avail = saved.last_avail;
    rx->ring.avail_wrap = saved.avail_wrap;
    CNT_ADD(rx->c->dropped, 1);
    return -1;
}
