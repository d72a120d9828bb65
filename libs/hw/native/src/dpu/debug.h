/*
 * debug.h - what `virtnet debug` shows of a device: each queue's ring as the
 * device and the driver see it, and the last descriptor errors the data
 * path noted, with what was wrong.
 */
#ifndef VNET_DPU_DEBUG_H
#define VNET_DPU_DEBUG_H

#include "dev_state.h"

/* Notes a refused chain on q (caller holds q->lock): counted on its own in
 * the debug view, the counters segment keeps the totals per kind. */
void vq_note_error(struct vq *q, uint16_t head, uint8_t kind, const char *what);
/* A chain the walker refused (rc: RING_E_CHAIN, RING_E_ADDR, RING_E_DESC). */
void vq_note_chain(struct vq *q, uint16_t head, int rc);
/* The ring broke (RING_E_HEAD): an entry names a descriptor outside it. */
void vq_note_broken(struct vq *q);
/* Fills out[0..d->nq) (caller holds no lock of d). */
void device_queue_debug(struct dev *d, vnet_queue_debug *out);

#endif
