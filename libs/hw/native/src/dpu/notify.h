/*
 * notify.h - telling the driver about used buffers: the call eventfd, and
 * interrupt moderation as `virtnet modify ... queue -e MODE -n PERIOD -c
 * COUNT` sets it (a call when COUNT completions are pending, or PERIOD us
 * after the first pending one in event mode, after the latest in cqe mode).
 * Callers hold q->lock.
 */
#ifndef VNET_DPU_NOTIFY_H
#define VNET_DPU_NOTIFY_H

#include "dev_state.h"

/* Publishes `n` new used buffers and notifies as moderation allows. */
void notify_completed(struct vq *q, uint32_t n);
/* Notifies now of whatever is pending and stops the moderation timer. */
void notify_flush(struct vq *q);
/* The moderation timer's event source (registered with the queue's worker). */
void notify_timer_ready(struct evsrc *src, uint32_t events);

#endif
