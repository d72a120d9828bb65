/*
 * ctrlq.h - the control virtqueue (virtio 1.2, 5.1.6.5), when the
 * front-end hands it to the device: RX mode, MAC, VLAN, announce and
 * multiqueue commands, each acknowledged or refused.
 */
#ifndef VNET_DPU_CTRLQ_H
#define VNET_DPU_CTRLQ_H

#include "dev_state.h"

/* Serves up to one burst of commands; caller holds q->lock and d->rw. */
unsigned ctrlq_burst(struct dev *d, struct vq *q);

#endif
