#include "datapath.h"
#include "backend.h"
#include "ctrlq.h"
#include "notify.h"
#include "tx.h"

#include <sched.h>
#include <time.h>
#include <unistd.h>

#define BUDGET_NS 500000ull /* then give the worker to other queues */
/* How long a worker waits after finding nothing before it looks again. */
#define BACKOFF_NS 5000ull

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

enum queue_type datapath_queue_type(const struct dev *d, uint16_t i)
{
    if ((d->nq & 1) && i == d->nq - 1)
        return QUEUE_CTRL;
    return (i & 1) ? QUEUE_TX : QUEUE_RX;
}

void datapath_stop_queue(struct vq *q) { notify_flush(q); }

struct worker *datapath_pick_worker(struct dev *d, const struct vq *q)
{
    struct engine *e = d->env->eng;
    const struct vq *first = &d->vq[0];
    /* Pairs spread over the workers so that a device's queue pairs run in
     * parallel, each pair on one worker (echo takes both of a pair's locks). */
    if (q != first && first->worker >= 0 && e->nworkers)
        return engine_worker(e, (int)(((uint32_t)first->worker + q->index / 2u) % e->nworkers));
    return engine_pick(e);
}

bool datapath_check_faults(struct dev *d)
{
    uint32_t faults = atomic_load_explicit(&d->mem_faults, memory_order_acquire);
    if (faults == 0)
        return false;
    /* Workers race here under the read lock; the first one reports. */
    if (!atomic_exchange(&d->mem_fault_reported, 1)) {
        dev_needs_reset(d);
        dev_refused(d, "the driver shrank its shared memory under the device (%u page faults absorbed)", faults);
    }
    return true;
}

static unsigned burst(struct dev *d, struct vq *q, enum queue_type t, size_t max_frame)
{
    switch (t) {
    case QUEUE_TX:
        return tx_burst(d, q, max_frame);
    case QUEUE_CTRL:
        return ctrlq_burst(d, q);
    case QUEUE_RX:
        if (d->backend == VNET_BACKEND_GEN)
            return backend_gen_burst(d, q);
        return 0;
    }
    return 0;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#else
    __asm__ volatile("" ::: "memory");
#endif
}

/*
 * Waits a little before looking at an empty ring again. Each look reads
 * the lines the driver is writing (the avail index, the next descriptor's
 * flags); looking without pause moves them between the cores again and
 * again while the driver fills a burst, and the driver slows down. A frame
 * that comes meanwhile waits at most BACKOFF_NS.
 */
static void backoff(void)
{
    const uint64_t until = now_ns() + BACKOFF_NS;
    do {
        for (int i = 0; i < 16; i++)
            cpu_relax();
    } while (now_ns() < until);
}

/* Counts the driver's kicks, not the ones the device wrote itself. */
static void drain_kicks(struct vq *q)
{
    uint64_t v;
    if (q->kick_fd >= 0 && read(q->kick_fd, &v, sizeof v) == sizeof v) {
        uint64_t own = v < q->nudges ? v : q->nudges;
        CNT_ADD(q->c->kicks, v - own);
        q->nudges = 0;
    }
}

static void nudge(struct vq *q)
{
    uint64_t one = 1;
    if (write(q->kick_fd, &one, sizeof one) == sizeof one)
        q->nudges++;
}

void datapath_kick_ready(struct evsrc *src, uint32_t events)
{
    (void)events;
    struct vq *q = container_of(src, struct vq, kick_src);
    struct dev *d = q->dev;
    enum queue_type t = datapath_queue_type(d, q->index);
    pthread_rwlock_rdlock(&d->rw);
    pthread_mutex_lock(&q->lock);
    drain_kicks(q);
    if (datapath_check_faults(d))
        q->broken = true;
    if (!q->started || q->broken) {
        CNT_SET(q->c->broken, q->broken);
        pthread_mutex_unlock(&q->lock);
        pthread_rwlock_unlock(&d->rw);
        return;
    }
    if (t == QUEUE_RX && d->backend != VNET_BACKEND_GEN) {
        /* The driver posted receive buffers: the TAP may deliver again. */
        pthread_mutex_unlock(&q->lock);
        if (d->backend == VNET_BACKEND_TAP)
            backend_rx_room(d);
        pthread_rwlock_unlock(&d->rw);
        return;
    }
    uint64_t start = now_ns(), idle_since = 0;
    const uint64_t idle_poll = atomic_load_explicit(&d->env->idle_poll_ns, memory_order_relaxed);
    const size_t max_frame = t == QUEUE_TX ? tx_max_frame(d) : 0;
    ring_set_kick_wanted(&q->ring, false);
    for (;;) {
        unsigned n = burst(d, q, t, max_frame);
        if (datapath_check_faults(d))
            q->broken = true;
        if (q->broken)
            break;
        uint64_t now = now_ns();
        if (n) {
            idle_since = 0;
        } else if (!idle_since) {
            idle_since = now;
        } else if (now - idle_since > idle_poll) {
            /* Ask for kicks again, then look once more: a chain made
             * available in between would otherwise wait for the next kick. */
            ring_set_kick_wanted(&q->ring, true);
            if (!ring_has_avail(&q->ring))
                break;
            ring_set_kick_wanted(&q->ring, false);
            idle_since = 0;
        }
        if (now - start > BUDGET_NS) {
            /* Let the worker's other queues run; come back through epoll. */
            ring_set_kick_wanted(&q->ring, true);
            if (ring_has_avail(&q->ring))
                nudge(q);
            break;
        }
        if (!n) {
            /* An empty ring: whatever else can run on this core goes
             * first (on a machine where the driver shares it, the driver
             * that fills the ring), then the pause before looking again.
             * Alone on its core the worker is back at once. */
            sched_yield();
            backoff();
        }
    }
    if (q->broken) {
        CNT_SET(q->c->broken, 1);
        ring_set_kick_wanted(&q->ring, true);
    }
    pthread_mutex_unlock(&q->lock);
    pthread_rwlock_unlock(&d->rw);
}
