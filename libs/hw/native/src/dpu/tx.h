/*
 * tx.h - frames the driver transmits (virtio 1.2, 5.1.6.2), handed to the
 * representor side a burst at a time (backend_tx): the TAP, the pair's RX
 * queue (echo), or copied out and dropped (sink). A frame longer than the
 * device's MTU allows (and not a GSO frame the driver negotiated) is
 * dropped and counted as oversized.
 */
#ifndef VNET_DPU_TX_H
#define VNET_DPU_TX_H

#include "dev_state.h"

#include <stddef.h>

/* The longest frame the device's MTU allows (Ethernet and a VLAN tag on
 * top); read once per wakeup, not per burst. */
size_t tx_max_frame(struct dev *d);

/* Takes up to one burst of chains off TX queue q; caller holds q->lock and
 * d->rw for reading. Returns the number of chains taken. */
unsigned tx_burst(struct dev *d, struct vq *q, size_t max_frame);

#endif
