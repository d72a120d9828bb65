/*
 * rx.h - frames into the driver's receive buffers (virtio 1.2, 5.1.6.3):
 * one chain per frame, or several with VIRTIO_NET_F_MRG_RXBUF.
 */
#ifndef VNET_DPU_RX_H
#define VNET_DPU_RX_H

#include "dev_state.h"

#include <stddef.h>

/* The virtio_net_hdr a frame from the representor side carries: none. */
#define RX_HDR_MAX 12

/*
 * Writes hdr (d->hdr_len bytes) and `len` bytes of frame into the RX
 * queue. Returns 0, or -1 when the driver has not posted room for it (the
 * ring is left as it was and the frame is counted as dropped). Caller holds
 * rx->lock with the ring started; publish with notify_completed().
 */
int rx_put(struct dev *d, struct vq *rx, const uint8_t *hdr, const uint8_t *frame, size_t len);
bool rx_ready(const struct vq *rx);

#endif
