#include "rx.h"
#include "capture.h"
#include "copy.h"
#include "debug.h"
#include "tally.h"

#include <linux/virtio_net.h>
#include <stdio.h>
#include <string.h>

/* Where num_buffers sits in struct virtio_net_hdr_mrg_rxbuf. */
#define NUM_BUFFERS_AT 10
/* What the driver reads first of a frame it receives: the header and the
 * start of the frame; the lines past them stay in this core's cache. */
#define DEMOTE_MAX 128u
/* Receive chains written ahead of the one being filled. */
#define PREFETCH_AHEAD 4

static __thread struct burst rx_chains;

bool rx_ready(const struct vq *rx) { return rx->started && rx->enabled && !rx->broken; }

static void count_bad_chain(struct vq *rx, uint16_t head, int r)
{
    if (r == 1) /* readable buffers in a receive chain */
        vq_note_error(rx, head, VNET_DESC_E_WRITABLE, "device-readable buffers in an RX chain");
    else
        vq_note_chain(rx, head, r);
    if (r == RING_E_ADDR)
        CNT_ADD(rx->c->invalid_buffer, 1);
    else if (r == RING_E_CHAIN)
        CNT_ADD(rx->c->exceed_max_chain, 1);
    else
        CNT_ADD(rx->c->bad_desc_errors, 1);
}

/* Writes src[0..len) at byte `off` of the chains' writable segments (those
 * of one frame, in order); the segments hold at least off + len bytes. */
static void scatter(const struct burst *b, unsigned first, unsigned last, size_t off, const uint8_t *src, size_t len)
{
    for (unsigned ci = first; ci < last && len; ci++) {
        const struct burst_chain *c = &b->c[ci];
        const struct iovec *v = &b->seg[c->seg];
        for (unsigned s = 0; s < c->nin && len; s++) {
            if (off >= v[s].iov_len) {
                off -= v[s].iov_len;
                continue;
            }
            size_t step = v[s].iov_len - off < len ? v[s].iov_len - off : len;
            memcpy((uint8_t *)v[s].iov_base + off, src, step);
            src += step;
            len -= step;
            off = 0;
        }
    }
}

/* Marks in the dirty log what the device wrote into the guest's memory:
 * chains [0, n) of b, chain k's writable segments from their start up to
 * written[k] bytes (each frame is written from a chain's first byte on). */
static void log_written(struct dev *d, struct vq *rx, const struct burst *b, unsigned n, const uint32_t *written)
{
    struct dirty_batch lb;
    dirty_batch_init(&lb, rx->ring.log);
    for (unsigned k = 0; k < n; k++) {
        const struct iovec *v = &b->seg[b->c[k].seg];
        uint64_t left = written[k];
        for (unsigned s = 0; s < b->c[k].nin && left; s++) {
            uint64_t step = v[s].iov_len < left ? v[s].iov_len : left;
            dirty_batch_host(&lb, &d->mem, v[s].iov_base, step);
            left -= step;
        }
    }
    dirty_batch_flush(&lb);
}

/* Takes more chains for a frame that needs more than the burst holds. */
static bool take_more(struct dev *d, struct vq *rx, struct burst *b)
{
    if (b->stop != RING_EMPTY || b->n >= RING_BURST)
        return false;
    return ring_take_burst(&rx->ring, &d->mem, b, RING_BURST - b->n) > 0;
}

/* Asks for a receive buffer's first line ahead, for writing: the driver's
 * core last had it, and the copy into it would otherwise wait for it. */
static void prefetch_chain(const struct burst *b, unsigned i)
{
    if (i < b->n && b->c[i].nin)
        mem_prefetch_write(b->seg[b->c[i].seg].iov_base);
}

unsigned rx_put_burst(struct dev *d, struct vq *rx, const struct rx_frame *f, unsigned n, unsigned *given)
{
    *given = 0;
    if (!n)
        return 0;
    const bool mrg = dev_has(d, VIRTIO_NET_F_MRG_RXBUF);
    const uint32_t hlen = d->hdr_len;
    /* Measured with DPDK's virtio-user at 64 bytes: split rings gain 11 %,
     * packed ones lose 4 %; beyond the first lines (1500 bytes) it halves
     * the rate on either. */
    const bool demote = !rx->ring.packed;
    struct burst *b = &rx_chains;
    burst_init(b);
    ring_take_burst(&rx->ring, &d->mem, b, n);
    uint32_t written[RING_BURST];
    unsigned ci = 0, done = 0;
    uint64_t descs = 0;
    struct tally t;
    tally_init(&t);
    struct capture *cap = dev_capture(d);
    for (unsigned i = 0; i < PREFETCH_AHEAD; i++)
        prefetch_chain(b, i);

    while (done < n) {
        const struct rx_frame *fr = &f[done];
        const size_t total = hlen + fr->len;
        const bool stamp = fr->stamp_at && fr->stamp_at + 4 <= fr->len;
        if (ci < b->n) {
            const struct burst_chain *c = &b->c[ci];
            if (c->rc == RING_GOT && c->nin == 1 && !c->nout && c->len >= total) {
                /* The common case: one buffer holds header and frame. */
                prefetch_chain(b, ci + PREFETCH_AHEAD);
                uint8_t *dst = b->seg[c->seg].iov_base;
                if (fr->data) {
                    mem_copy(dst, fr->data, total);
                    if (stamp)
                        memcpy(dst + hlen + fr->stamp_at, &fr->stamp, 4);
                    if (mrg) {
                        dst[NUM_BUFFERS_AT] = 1;
                        dst[NUM_BUFFERS_AT + 1] = 0;
                    }
                    if (demote)
                        mem_demote(dst, total < DEMOTE_MAX ? total : DEMOTE_MAX);
                }
                written[ci++] = (uint32_t)total;
                descs++;
                tally_frame(&t, fr->len);
                if (cap && fr->data)
                    capture_bytes(cap, rx->index, CAPTURE_RX, fr->data + hlen, fr->len);
                done++;
                continue;
            }
        }
        unsigned first = ci; /* the frame's first chain */
        size_t pos = 0;
        bool dropped = false;
        while (pos < total) {
            if (ci == b->n && !take_more(d, rx, b))
                break;
            const struct burst_chain *c = &b->c[ci];
            prefetch_chain(b, ci + PREFETCH_AHEAD);
            descs += c->ndesc;
            if (c->rc < 0 || c->nout) {
                /* A receive chain the device cannot write into: back empty. */
                count_bad_chain(rx, c->id, c->rc < 0 ? c->rc : 1);
                written[ci++] = 0;
                if (pos == 0) {
                    first = ci;
                    continue;
                }
                /* Amid a frame's chains: the frame is lost, its chains go back empty. */
                for (unsigned k = first; k < ci; k++)
                    written[k] = 0;
                CNT_ADD(rx->c->dropped, 1);
                dropped = true;
                break;
            }
            if (!mrg && c->len < total) {
                /* Without mergeable buffers one chain must hold it all (5.1.6.3.1). */
                char what[VNET_DESC_ERROR_TEXT];
                snprintf(what, sizeof what, "%u B for a %u B frame, no mrg", (unsigned)c->len, (unsigned)total);
                vq_note_error(rx, c->id, VNET_DESC_E_ADDRESS, what);
                written[ci++] = 0;
                CNT_ADD(rx->c->invalid_buffer, 1);
                CNT_ADD(rx->c->dropped, 1);
                dropped = true;
                break;
            }
            size_t left = total - pos;
            written[ci] = (uint32_t)(c->len < left ? c->len : left);
            pos += written[ci];
            ci++;
        }
        if (dropped) {
            done++;
            continue;
        }
        if (pos < total) {
            /* No room for the whole frame: its chains go back to the ring. */
            for (unsigned k = first; k < ci; k++)
                descs -= b->c[k].ndesc;
            ci = first;
            break;
        }
        /* Several buffers, or one made of several segments. */
        unsigned nbuf = ci - first;
        if (fr->data) {
            scatter(b, first, ci, 0, fr->data, total);
            if (stamp)
                scatter(b, first, ci, hlen + fr->stamp_at, (const uint8_t *)&fr->stamp, 4);
        }
        if (mrg && (fr->data || nbuf > 1)) {
            const uint8_t nb[2] = {(uint8_t)(nbuf & 0xff), (uint8_t)(nbuf >> 8)};
            scatter(b, first, ci, NUM_BUFFERS_AT, nb, 2);
        }
        tally_frame(&t, fr->len);
        if (cap && fr->data)
            capture_bytes(cap, rx->index, CAPTURE_RX, fr->data + hlen, fr->len);
        done++;
    }
    /* Every chain consumed goes back in ring order, each frame's together;
     * while migrating, the pages written are marked first (the used
     * entries are, when they are published). */
    if (__builtin_expect(rx->ring.log != NULL, 0))
        log_written(d, rx, b, ci, written);
    ring_give_lens(&rx->ring, b, ci, written);
    if (ci < b->n) {
        ring_untake(&rx->ring, b, ci);
    } else if (b->stop == RING_E_HEAD) {
        vq_note_broken(rx);
        rx->broken = true;
        CNT_SET(rx->c->broken, 1);
        CNT_ADD(rx->c->bad_desc_errors, 1);
        dev_needs_reset(d);
    }
    if (descs) {
        CNT_ADD(rx->c->received_desc, descs);
        CNT_ADD(rx->c->completed_desc, descs);
    }
    tally_flush(&t, rx->c);
    *given = ci;
    return done;
}

int rx_read(struct dev *d, struct vq *rx, ssize_t (*readv_fn)(void *ctx, const struct iovec *iov, int n), void *ctx,
            uint8_t *spill, size_t spill_len, unsigned *given)
{
    struct burst *b = &rx_chains;
    burst_init(b);
    if (ring_take_burst(&rx->ring, &d->mem, b, 1) != 1) {
        if (b->stop == RING_E_HEAD) {
            vq_note_broken(rx);
            rx->broken = true;
            CNT_SET(rx->c->broken, 1);
            CNT_ADD(rx->c->bad_desc_errors, 1);
            dev_needs_reset(d);
        }
        return -1;
    }
    const struct burst_chain *c = &b->c[0];
    const uint32_t hlen = d->hdr_len;
    if (c->rc != RING_GOT || c->nout || c->len > spill_len) {
        /* not a plain receive buffer: the frame goes the counted way */
        ring_untake(&rx->ring, b, 0);
        ssize_t n = readv_fn(ctx, &(struct iovec){spill, spill_len}, 1);
        if (n <= (ssize_t)hlen)
            return 0;
        rx_put(d, rx, spill, (size_t)n - hlen, given);
        return 1;
    }
    struct iovec iov[CHAIN_MAX_SEGS + 1];
    memcpy(iov, &b->seg[c->seg], c->nin * sizeof *iov);
    iov[c->nin] = (struct iovec){spill + c->len, spill_len - c->len};
    ssize_t n = readv_fn(ctx, iov, c->nin + 1);
    if (n <= (ssize_t)hlen) {
        /* What it wrote the driver never sees, but the page changed. */
        if (__builtin_expect(rx->ring.log != NULL, 0) && n > 0) {
            uint32_t wrote = (uint32_t)n;
            log_written(d, rx, b, 1, &wrote);
        }
        ring_untake(&rx->ring, b, 0);
        return 0;
    }
    if ((uint64_t)n > c->len) {
        /* Larger than the buffer: whole in spill, then as any frame. */
        size_t at = 0;
        for (unsigned s = 0; s < c->nin; s++) {
            memcpy(spill + at, iov[s].iov_base, iov[s].iov_len);
            at += iov[s].iov_len;
        }
        /* The read filled the buffer too: marked before it goes back. */
        if (__builtin_expect(rx->ring.log != NULL, 0)) {
            uint32_t wrote = (uint32_t)c->len;
            log_written(d, rx, b, 1, &wrote);
        }
        ring_untake(&rx->ring, b, 0);
        rx_put(d, rx, spill, (size_t)n - hlen, given);
        return 1;
    }
    if (dev_has(d, VIRTIO_NET_F_MRG_RXBUF)) {
        const uint8_t one[2] = {1, 0}; /* the reader leaves num_buffers to the device */
        scatter(b, 0, 1, NUM_BUFFERS_AT, one, 2);
    }
    /* Marked after the last byte written (num_buffers too): a front-end
     * that takes the bit and copies the page then copies all of it. */
    if (__builtin_expect(rx->ring.log != NULL, 0)) {
        uint32_t wrote = (uint32_t)n;
        log_written(d, rx, b, 1, &wrote);
    }
    struct capture *cap = dev_capture(d);
    if (cap)
        capture_frame(cap, rx->index, CAPTURE_RX, iov, c->nin, hlen, (size_t)n - hlen);
    uint32_t written = (uint32_t)n;
    ring_give_lens(&rx->ring, b, 1, &written);
    (*given)++;
    CNT_ADD(rx->c->received_desc, c->ndesc);
    CNT_ADD(rx->c->completed_desc, c->ndesc);
    dev_count_frame(rx->c, (size_t)n - hlen);
    return 1;
}

int rx_put(struct dev *d, struct vq *rx, const uint8_t *data, size_t len, unsigned *given)
{
    struct rx_frame f = {data, (uint32_t)len, 0, 0};
    unsigned got = 0;
    int rc = rx_put_burst(d, rx, &f, 1, &got) == 1 ? 0 : -1;
    *given += got;
    if (rc)
        CNT_ADD(rx->c->dropped, 1);
    return rc;
}
