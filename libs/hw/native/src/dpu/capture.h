/*
 * capture.h - copies of the frames where a device's virtqueues meet its
 * representor (virtnet debug capture), into a buffer the controller drains
 * with CTL_CAPTURE_READ.
 *
 * At no cost to devices that are not captured: the data path loads one
 * pointer of the device (NULL unless a capture runs) before calling
 * capture_frame. A capture has its own lock, so the workers of a device's
 * queues can all add to it; a full buffer drops the frame (counted) and
 * never holds the data path up.
 */
#ifndef VNET_DPU_CAPTURE_H
#define VNET_DPU_CAPTURE_H

#include "dev_state.h"

#include <stddef.h>
#include <sys/uio.h>

/* Frames kept between two reads at most (the controller reads every 20 ms). */
#define CAPTURE_BUFFER (4u << 20)

enum { CAPTURE_TX = 0, CAPTURE_RX = 1 };

/* Starts a capture of d's queue qid (-1: all) for `count` frames cut to
 * `snaplen`; the caller holds d->rw for writing. 0 or -errno (-EBUSY: one
 * runs already). */
int capture_attach(struct dev *d, uint32_t id, int32_t qid, uint32_t count, uint32_t snaplen);
/* Ends d's capture; what it holds stays readable until capture_free. The
 * caller holds d->rw for writing. Returns the capture, or NULL. */
struct capture *capture_detach(struct dev *d);
void capture_free(struct capture *c);
uint32_t capture_id(const struct capture *c);

/* The frame of `len` bytes at iov[] past `skip` bytes (the virtio-net
 * header), through queue qid in direction dir. Called by the data path with
 * d->rw held for reading, when d->cap is set. */
void capture_frame(struct capture *c, uint16_t qid, uint8_t dir, const struct iovec *iov, unsigned niov, size_t skip, size_t len);
/* The same for a frame in one buffer. */
void capture_bytes(struct capture *c, uint16_t qid, uint8_t dir, const void *frame, size_t len);

/* Moves whole records (vnet_capture_rec + data) into out, at most cap bytes;
 * returns the bytes moved and fills st. */
size_t capture_drain(struct capture *c, void *out, size_t cap, vnet_capture_state *st);
/* No more frames will come: the function went away. */
void capture_end(struct capture *c);

static inline struct capture *dev_capture(struct dev *d) { return atomic_load_explicit(&d->cap, memory_order_relaxed); }

#endif
