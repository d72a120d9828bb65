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

#include <sys/uio.h>

/* One TX frame on its way to the representor: the chain's device-readable
 * segments, d->hdr_len bytes of virtio-net header first, then `len` bytes
 * of frame. */
struct tx_frame {
    const struct iovec *iov;
    uint16_t niov;
    uint32_t len;
};

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
/* The representor's MTU follows the device's (a modify -t), so that a switch
 * it is a port of passes the device's largest frame. */
void backend_tap_mtu(struct dev *d);
/* The driver posted receive buffers: frames waiting on the TAP may go in. */
void backend_rx_room(struct dev *d);
/* Hands one burst of TX queue q's frames, in ring order, to the
 * representor: written to the TAP, put on the pair's RX queue (echo), or
 * copied out of the driver's memory and dropped (sink). What the
 * representor loses is counted on q. Caller holds q->lock and d->rw. */
void backend_tx(struct dev *d, struct vq *q, const struct tx_frame *f, unsigned n);
/* Hands one frame the device makes itself (a RARP announcing the guest
 * after a migration) to the representor as backend_tx would have handed
 * it had the driver sent it on TX queue q. Caller as for backend_tx. */
void backend_send(struct dev *d, struct vq *q, const uint8_t *frame, uint32_t len);
/*
 * For measuring a driver alone (the serve tool's `ceiling`): the sink then
 * reads no frame and the generator writes none, only lengths go back, so
 * what the driver reaches is its own limit with every descriptor handed
 * back untouched. Process-wide; off unless a tool sets it.
 */
void backend_set_ceiling(bool on);
/* Fills RX queue `rx` with generated frames while the driver has room. */
unsigned backend_gen_burst(struct dev *d, struct vq *rx);
/* The TAP fd's event source. */
void backend_tap_ready(struct evsrc *src, uint32_t events);

#endif
