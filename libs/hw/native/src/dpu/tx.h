/*
 * tx.h - frames the driver transmits (virtio 1.2, 5.1.6.2), handed to the
 * representor side: the TAP, the pair's RX queue (echo), or counted and
 * dropped (sink). A frame longer than the device's MTU allows (and not a
 * GSO frame the driver negotiated) is dropped and counted as oversized.
 */
#ifndef VNET_DPU_TX_H
#define VNET_DPU_TX_H

#include "dev_state.h"

/* Takes up to one burst of chains off TX queue q; caller holds q->lock and
 * d->rw for reading. Returns the number of chains taken. */
unsigned tx_burst(struct dev *d, struct vq *q);

#endif
