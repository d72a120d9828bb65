/*
 * rx.h - frames into the driver's receive buffers (virtio 1.2, 5.1.6.3):
 * one chain per frame, or several with VIRTIO_NET_F_MRG_RXBUF. A burst of
 * frames takes its chains in one ring burst and gives them back in order,
 * published once (notify_completed).
 */
#ifndef VNET_DPU_RX_H
#define VNET_DPU_RX_H

#include "dev_state.h"

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* The virtio_net_hdr a frame from the representor side carries: none. */
#define RX_HDR_MAX 12

/* One frame for the driver: `data` holds d->hdr_len bytes of virtio-net
 * header, then `len` bytes of frame. With stamp_at, the 4 bytes of `stamp`
 * replace the frame's bytes there (a generator's sequence number). data
 * NULL: nothing is written, only the length given back (for measuring a
 * driver alone). num_buffers is the device's to fill in either way. */
struct rx_frame {
    const uint8_t *data;
    uint32_t len;
    uint32_t stamp_at;
    uint32_t stamp;
};

/*
 * Delivers frames f[0..n) in order while the driver has room; returns how
 * many it consumed (delivered, or dropped for a chain too small to hold a
 * frame without mergeable buffers; a bad chain is given back empty and the
 * frame goes on to the next one). Frames after that found no room: the ring
 * is left as they found it, and counting them as dropped is the caller's
 * choice. *given gets the used entries written: pass them to
 * notify_completed. Caller holds rx->lock with the ring started.
 */
unsigned rx_put_burst(struct dev *d, struct vq *rx, const struct rx_frame *f, unsigned n, unsigned *given);
/*
 * Reads one frame straight into the driver's next receive buffer, without
 * a copy: `readv_fn(ctx, iov, n)` fills the chain's segments and, past
 * them, spill[0..spill_len) (at least the largest frame), and returns the
 * bytes read (header included) or -1. A frame larger than the buffer is
 * gathered into spill and put as rx_put does. Returns 1 when a frame was
 * read (delivered, or dropped and counted), 0 when the read gave nothing,
 * -1 when the driver has no buffer (nothing read). Caller as for rx_put.
 */
int rx_read(struct dev *d, struct vq *rx, ssize_t (*readv_fn)(void *ctx, const struct iovec *iov, int n), void *ctx,
            uint8_t *spill, size_t spill_len, unsigned *given);
/* One frame; 0, or -1 when the driver has no room (counted as dropped). */
int rx_put(struct dev *d, struct vq *rx, const uint8_t *data, size_t len, unsigned *given);
bool rx_ready(const struct vq *rx);

#endif
