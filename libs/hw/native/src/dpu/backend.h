/*
 * backend.h - the representor side of a device's data path: a TAP netdev
 * named like the SF representor, or echo, sink, or the frame generator.
 *
 * A TAP representor outlives the DPU process (a persistent TAP, as an SF's
 * netdev outlives a firmware hiccup): the next DPU attaches to it again,
 * keeping its addresses and bridge membership. Its alias names the
 * device's socket, so an operator, and a sweep of leftovers, can tell whose
 * it is. Only destroying the device removes it.
 */
#ifndef VNET_DPU_BACKEND_H
#define VNET_DPU_BACKEND_H

#include "dev_state.h"

/* Switches the device's backend (mode: enum vnet_backend; AUTO: TAP, else
 * echo). Called with no data-path activity possible on d (d->rw held for
 * writing, or the device not yet open). 0 or -errno, with the note set. */
int backend_set(struct dev *d, uint8_t mode, uint16_t gen_size);
/* Closes the representor; `keep`: a persistent TAP stays for the next DPU. */
void backend_close(struct dev *d, bool keep);
/* Removes a persistent TAP netdev by name; 0 or -errno. */
int backend_remove_tap(const char *name);
/* Makes the TAP use the header size the driver negotiated. */
void backend_tap_sync_hdr(struct dev *d);
/* The driver posted receive buffers: frames waiting on the TAP may go in. */
void backend_rx_room(struct dev *d);
/* Fills RX queue `rx` with generated frames while the driver has room. */
unsigned backend_gen_burst(struct dev *d, struct vq *rx);
/* The TAP fd's event source. */
void backend_tap_ready(struct evsrc *src, uint32_t events);

#endif
