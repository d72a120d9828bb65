#include "dev_state.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void set_note(struct dev *d, const char *fmt, va_list ap)
{
    char tmp[256];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    size_t n = strnlen(tmp, sizeof d->note - 1);
    pthread_mutex_lock(&d->cfg);
    memcpy(d->note, tmp, n);
    d->note[n] = '\0';
    pthread_mutex_unlock(&d->cfg);
}

void dev_note(struct dev *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_note(d, fmt, ap);
    va_end(ap);
}

void dev_refused(struct dev *d, const char *fmt, ...)
{
    atomic_fetch_add_explicit(&d->protocol_errors, 1, memory_order_relaxed);
    va_list ap;
    va_start(ap, fmt);
    set_note(d, fmt, ap);
    va_end(ap);
}

void dev_count_frame(vnet_queue_counters *c, size_t len)
{
    static const size_t limits[VNET_HIST_BUCKETS - 1] = {64, 127, 255, 511, 1023, 1522, 2047};
    int b = 0;
    while (b < VNET_HIST_BUCKETS - 1 && len > limits[b])
        b++;
    CNT_ADD(c->hist[b], 1);
    CNT_ADD(c->packets, 1);
    CNT_ADD(c->total_bytes, len);
}
