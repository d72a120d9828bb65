/*
 * datapath.h - serving a queue when its driver kicks.
 *
 * A queue is kick-driven: its worker sleeps until the driver kicks, then
 * polls the ring with kicks suppressed for a short window (the idle poll)
 * before sleeping again, the trade-off of vhost-net's busy polling: an
 * idle queue costs nothing and a busy one no system call per packet. A
 * queue gives its worker up after a time budget, so one busy queue cannot
 * starve the others on the same worker.
 */
#ifndef VNET_DPU_DATAPATH_H
#define VNET_DPU_DATAPATH_H

#include "dev_state.h"

enum queue_type { QUEUE_RX, QUEUE_TX, QUEUE_CTRL };

enum queue_type datapath_queue_type(const struct dev *d, uint16_t index);

/* The worker a queue is served by when it first starts: a queue pair's
 * RX and TX queues share one, the device's next pairs take the next
 * workers, and devices start at the next worker round robin. */
struct worker *datapath_pick_worker(struct dev *d, const struct vq *q);

/* The kick eventfd's event source. */
void datapath_kick_ready(struct evsrc *src, uint32_t events);

/* Stops the queue: what was given back is published and notified.
 * Caller holds d->rw for writing and q->lock. */
void datapath_stop_queue(struct vq *q);

/* Whether the SIGBUS guard replaced a page of the driver's memory since it
 * was mapped: then the device asks for a reset (once), and the caller's
 * queue must stop. Caller holds d->rw. */
bool datapath_check_faults(struct dev *d);

#endif
