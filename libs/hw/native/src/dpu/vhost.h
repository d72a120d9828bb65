/*
 * vhost.h - a device's vhost-user connection on the control thread:
 * accepting the front-end (or connecting to it in client mode), reading
 * messages without ever blocking, checking each (vu_validate) and handing
 * it to vhost_handlers. A connection gets a bounded number of messages per
 * wakeup, so a front-end flooding its socket delays nobody but itself.
 */
#ifndef VNET_DPU_VHOST_H
#define VNET_DPU_VHOST_H

#include "dev_state.h"

/* Messages one connection may have handled per wakeup of the control thread. */
#define VHOST_MESSAGES_PER_WAKEUP 16

/* The listening socket's event source: accepts one front-end. */
void vhost_listen_ready(struct evsrc *src, uint32_t events);
/* The connection's event source: reads and applies messages. */
void vhost_conn_ready(struct evsrc *src, uint32_t events);
/* Client mode: connects to the front-end's socket when not connected. */
void vhost_connect(struct dev *d);
/* Drops the connection and resets the device. */
void vhost_disconnect(struct dev *d);

#endif
