/*
 * copy.h - moving frame bytes between the device and the driver's memory.
 *
 * Most frames are small: a call into the C library's memcpy costs as much
 * as copying 64 bytes, so copies up to 128 bytes are inline, in pieces
 * of fixed size of which the last ones overlap the end, and only longer
 * ones go to memcpy. A receive buffer was last touched by the driver's
 * core: asking for it ahead lets the copies of a burst wait for their
 * lines together instead of one after the other.
 */
#ifndef VNET_DPU_COPY_H
#define VNET_DPU_COPY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Copies of at most this many bytes are inline; longer ones call memcpy. */
#define COPY_INLINE_MAX 128u

static inline void mem_copy(void *dst, const void *src, size_t len)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (len > COPY_INLINE_MAX) {
        memcpy(d, s, len);
    } else if (len > 64) {
        __builtin_memcpy(d, s, 32);
        __builtin_memcpy(d + 32, s + 32, 32);
        __builtin_memcpy(d + len - 64, s + len - 64, 32);
        __builtin_memcpy(d + len - 32, s + len - 32, 32);
    } else if (len > 32) {
        __builtin_memcpy(d, s, 32);
        __builtin_memcpy(d + len - 32, s + len - 32, 32);
    } else if (len > 16) {
        __builtin_memcpy(d, s, 16);
        __builtin_memcpy(d + len - 16, s + len - 16, 16);
    } else if (len >= 8) {
        __builtin_memcpy(d, s, 8);
        __builtin_memcpy(d + len - 8, s + len - 8, 8);
    } else {
        for (size_t i = 0; i < len; i++)
            d[i] = s[i];
    }
}

static inline void mem_prefetch_write(const void *p) { __builtin_prefetch(p, 1); }

/* Pushes the lines of what the device just wrote for the driver out of
 * its own core's caches to the shared one (CLDEMOTE): the driver's core
 * then reads them from there instead of snooping this core for each. A
 * hint; a processor without it executes it as a no-op. Demoting many
 * lines at once costs more than it saves (see rx.c). */
static inline void mem_demote(const void *p, size_t len)
{
#if defined(__x86_64__)
    uintptr_t a = (uintptr_t)p & ~(uintptr_t)63, end = (uintptr_t)p + len;
    for (; a < end; a += 64)
        __asm__ volatile("cldemote %0" : : "m"(*(const volatile char *)a));
#else
    (void)p;
    (void)len;
#endif
}

#endif
