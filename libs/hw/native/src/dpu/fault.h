/*
 * fault.h - surviving a driver that shrinks its memory under the device.
 *
 * A front-end shares guest memory as fds the device maps. mem.c refuses a
 * region its fd is too short for, but the driver can still truncate the
 * file afterwards, and the next access to a page past the new end raises
 * SIGBUS, which would end the whole DPU process. With the guard installed,
 * a SIGBUS at an address inside a registered guest mapping replaces that
 * page with a private zero page, counts the fault on the owner's counter
 * and returns: the access completes on the zero page, and the data path
 * puts the owning device into NEEDS_RESET when it sees its counter move.
 * A SIGBUS anywhere else is a real crash and is re-raised.
 *
 * The registry is process-wide (signals are): a fixed table written under a
 * mutex and read lock-free by the handler.
 */
#ifndef VNET_DPU_FAULT_H
#define VNET_DPU_FAULT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Installs the SIGBUS handler; 0 or -errno. Idempotent. */
int fault_install(void);

/* Watches [base, base + len) for faults, counting them on *faults.
 * Returns a registration id (>= 0) or -ENOSPC. */
int fault_register(void *base, size_t len, _Atomic uint32_t *faults);
void fault_unregister(int id);

/* Faults absorbed since start, over all registrations. */
uint64_t fault_total(void);

#endif
