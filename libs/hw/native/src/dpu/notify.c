#include "notify.h"

#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define MIN_PERIOD_US 50u /* moderation by count alone still flushes after this */

static void disarm_timer(struct vq *q)
{
    if (q->timer_fd >= 0) {
        struct itimerspec off;
        memset(&off, 0, sizeof off);
        timerfd_settime(q->timer_fd, 0, &off, NULL);
    }
}

static void call(struct vq *q)
{
    if (q->uncalled && q->call_fd >= 0 && ring_driver_wants_call(&q->ring)) {
        uint64_t one = 1;
        /* The call fd is non-blocking (vhost.c makes it so): a driver that
         * never reads it loses calls, never stalls the device. */
        if (write(q->call_fd, &one, sizeof one) == sizeof one)
            CNT_ADD(q->c->calls, 1);
    }
    q->uncalled = 0;
    disarm_timer(q);
}

void notify_flush(struct vq *q)
{
    call(q);
    disarm_timer(q);
}

static void arm_timer(struct vq *q, uint32_t us)
{
    if (q->timer_fd < 0) {
        struct worker *w = vq_worker(q);
        q->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (q->timer_fd < 0 || !w || engine_watch(w, q->timer_fd, &q->timer_src, EPOLLIN)) {
            if (q->timer_fd >= 0)
                close(q->timer_fd);
            q->timer_fd = -1;
            call(q); /* no timer: notify now rather than never */
            return;
        }
    }
    struct itimerspec t;
    memset(&t, 0, sizeof t);
    t.it_value.tv_sec = us / 1000000u;
    t.it_value.tv_nsec = (long)(us % 1000000u) * 1000;
    timerfd_settime(q->timer_fd, 0, &t, NULL);
}

void notify_completed(struct vq *q, uint32_t n)
{
    if (!n)
        return;
    ring_publish(&q->ring);
    CNT_SET(q->c->hw_used_index, q->ring.used_idx);
    bool fresh = q->uncalled == 0;
    q->uncalled += n;
    if (!q->mod_period_us && !q->mod_max_count) {
        call(q);
        return;
    }
    if (q->mod_max_count && q->uncalled >= q->mod_max_count) {
        call(q);
        return;
    }
    uint32_t period = q->mod_period_us ? q->mod_period_us : MIN_PERIOD_US;
    if (fresh || q->mod_mode == VNET_EVENT_MODE_CQE)
        arm_timer(q, period);
}

void notify_timer_ready(struct evsrc *src, uint32_t events)
{
    (void)events;
    struct vq *q = container_of(src, struct vq, timer_src);
    struct dev *d = q->dev;
    pthread_rwlock_rdlock(&d->rw);
    pthread_mutex_lock(&q->lock);
    uint64_t v;
    if (q->timer_fd >= 0 && read(q->timer_fd, &v, sizeof v) == sizeof v && q->started)
        call(q);
    pthread_mutex_unlock(&q->lock);
    pthread_rwlock_unlock(&d->rw);
}
