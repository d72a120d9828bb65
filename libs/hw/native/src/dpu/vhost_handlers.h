/*
 * vhost_handlers.h - applying vhost-user messages (QEMU
 * docs/interop/vhost-user.rst) to a device: one function per request,
 * called from a table. A message reaches a handler only after vu_validate
 * (proto/vhost_msg.h) accepted its shape; the handler checks what it means
 * for the device's state. Whatever a front-end sends affects its own device
 * only: a request is refused (acked with failure when REPLY_ACK is on,
 * counted and noted), the connection is closed, or the device goes to
 * NEEDS_RESET.
 *
 * Runs on the control thread; handlers never block: every fd a front-end
 * hands over for notifications must be an eventfd and is made non-blocking.
 */
#ifndef VNET_DPU_VHOST_HANDLERS_H
#define VNET_DPU_VHOST_HANDLERS_H

#include "dev_state.h"

#include <stddef.h>
#include <stdint.h>

enum vu_outcome {
    VU_ACK_OK = 0,   /* applied; acked with 0 when the front-end asked */
    VU_REFUSE = 1,   /* refused; acked with 1 when asked; counted */
    VU_REPLIED = 2,  /* the handler sent the request's own reply */
    VU_CLOSE = 3,    /* the connection must close; counted */
};

struct vu_msg {
    uint32_t request;
    uint32_t flags;
    uint32_t size;
    const uint8_t *payload; /* zero-padded to VU_MAX_PAYLOAD */
    int *fds;               /* a handler that keeps fds[i] sets it to -1 */
    int nfds;
    char why[128];          /* set by a handler that refuses or closes */
};

/* Applies one validated message, acking as REPLY_ACK asks. Returns the
 * outcome; on VU_CLOSE the caller disconnects. */
enum vu_outcome vu_dispatch(struct dev *d, struct vu_msg *m);

/* Sends a reply on the connection; false when the front-end does not take
 * it whole (the stream would be corrupt: the caller closes it). */
bool vu_send_reply(struct dev *d, uint32_t request, const void *payload, uint32_t size);

/* Puts the device back as a front-end finds it on connecting: rings
 * stopped, their fds closed, memory unmapped, features and status clear. */
void vu_reset(struct dev *d);

#endif
