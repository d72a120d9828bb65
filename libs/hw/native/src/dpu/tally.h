/*
 * tally.h - a burst's frames counted on the stack and added to the queue's
 * shared counters once (packets, bytes, the size histogram of
 * dev_count_frame), not three shared stores per frame.
 */
#ifndef VNET_DPU_TALLY_H
#define VNET_DPU_TALLY_H

#include "dev_state.h"

#include <string.h>

struct tally {
    uint64_t packets;
    uint64_t bytes;
    uint32_t hist[VNET_HIST_BUCKETS];
};

static inline void tally_init(struct tally *t) { memset(t, 0, sizeof *t); }

/* The buckets of vnet_queue_counters.hist: <=64, 65-127, ..., >=2048. */
static inline unsigned tally_bucket(size_t len)
{
    if (len <= 64)
        return 0;
    if (len >= 2048)
        return 7;
    if (len > 1522)
        return 6;
    if (len > 1023)
        return 5;
    /* 65..1023: 65-127 -> 1, 128-255 -> 2, 256-511 -> 3, 512-1023 -> 4 */
    return (unsigned)(32 - __builtin_clz((unsigned)len)) - 6;
}

static inline void tally_frame(struct tally *t, size_t len)
{
    t->packets++;
    t->bytes += len;
    t->hist[tally_bucket(len)]++;
}

static inline void tally_flush(const struct tally *t, vnet_queue_counters *c)
{
    if (!t->packets)
        return;
    CNT_ADD(c->packets, t->packets);
    CNT_ADD(c->total_bytes, t->bytes);
    for (unsigned b = 0; b < VNET_HIST_BUCKETS; b++)
        if (t->hist[b])
            CNT_ADD(c->hist[b], t->hist[b]);
}

#endif
