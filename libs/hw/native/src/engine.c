/*
 * engine.c - the threads of the data path. One control thread serves every
 * device's vhost-user socket; `workers` threads serve the queues (kick
 * eventfds), TAP representors and moderation timers. All of them sleep in
 * epoll_wait, so an idle device costs no CPU.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static void dispatch(struct evsrc *s)
{
    switch (s->kind) {
    case EV_WAKE: {
        uint64_t v;
        struct worker *w = s->obj;
        while (read(w->wake_fd, &v, sizeof v) == sizeof v)
            ;
        break;
    }
    case EV_LISTEN:
        vu_accept(s->obj);
        break;
    case EV_CONN:
        vu_readable(s->obj);
        break;
    case EV_KICK:
        net_kick(s->obj);
        break;
    case EV_TAP:
        net_tap_readable(s->obj);
        break;
    case EV_TIMER:
        net_timer(s->obj);
        break;
    case EV_RETRY: {
        struct vnet_dpu *dpu = s->obj;
        uint64_t v;
        if (read(dpu->retry_fd, &v, sizeof v) == sizeof v)
            vu_retry_all(dpu);
        break;
    }
    default:
        break;
    }
}

static void *loop(void *arg)
{
    struct worker *w = arg;
    struct epoll_event ev[64];
    while (!atomic_load(&w->dpu->stopping)) {
        int n = epoll_wait(w->ep, ev, 64, -1);
        for (int i = 0; i < n; i++)
            dispatch(ev[i].data.ptr);
        atomic_fetch_add(&w->epoch, 1);
    }
    return NULL;
}

static int worker_init(struct worker *w, struct vnet_dpu *dpu)
{
    memset(w, 0, sizeof *w);
    w->dpu = dpu;
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->ep < 0 || w->wake_fd < 0)
        return -errno;
    w->wake_src.kind = EV_WAKE;
    w->wake_src.obj = w;
    if (engine_watch(w, w->wake_fd, &w->wake_src, EPOLLIN))
        return -errno;
    if (pthread_create(&w->thread, NULL, loop, w))
        return -EAGAIN;
    w->running = true;
    return 0;
}

static void wake(struct worker *w)
{
    uint64_t one = 1;
    if (write(w->wake_fd, &one, sizeof one) < 0) {
        /* the counter is saturated: the thread is awake anyway */
    }
}

static void worker_fini(struct worker *w)
{
    if (w->running) {
        wake(w);
        pthread_join(w->thread, NULL);
        w->running = false;
    }
    if (w->ep >= 0)
        close(w->ep);
    if (w->wake_fd >= 0)
        close(w->wake_fd);
    w->ep = w->wake_fd = -1;
}

int engine_start(struct vnet_dpu *dpu, uint32_t workers)
{
    dpu->w = calloc(workers, sizeof *dpu->w);
    if (!dpu->w)
        return -ENOMEM;
    dpu->nworkers = workers;
    for (uint32_t i = 0; i < workers; i++)
        dpu->w[i].ep = dpu->w[i].wake_fd = -1;
    dpu->ctl.ep = dpu->ctl.wake_fd = -1;
    int rc = worker_init(&dpu->ctl, dpu);
    for (uint32_t i = 0; !rc && i < workers; i++)
        rc = worker_init(&dpu->w[i], dpu);
    if (rc)
        engine_stop(dpu);
    return rc;
}

void engine_stop(struct vnet_dpu *dpu)
{
    atomic_store(&dpu->stopping, true);
    worker_fini(&dpu->ctl);
    for (uint32_t i = 0; i < dpu->nworkers; i++)
        worker_fini(&dpu->w[i]);
    free(dpu->w);
    dpu->w = NULL;
    dpu->nworkers = 0;
}

int engine_watch(struct worker *w, int fd, struct evsrc *src, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = src};
    return epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int engine_modify(struct worker *w, int fd, struct evsrc *src, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = src};
    return epoll_ctl(w->ep, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

void engine_unwatch(struct worker *w, int fd)
{
    if (fd >= 0)
        epoll_ctl(w->ep, EPOLL_CTL_DEL, fd, NULL);
}

struct worker *engine_worker_for(struct vnet_dpu *dpu)
{
    uint32_t i = __atomic_fetch_add(&dpu->next_worker, 1, __ATOMIC_RELAXED);
    return &dpu->w[i % dpu->nworkers];
}

/*
 * After the caller removed file descriptors from the epoll sets, an event for
 * them can only be in a batch a thread took before. Once every thread has
 * finished one more loop iteration, no such batch is left, and what those
 * events point at may be freed. The caller must hold no lock a thread needs.
 */
void engine_quiesce(struct vnet_dpu *dpu)
{
    uint32_t n = dpu->nworkers + 1;
    uint64_t *seen = calloc(n, sizeof *seen);
    struct worker **all = calloc(n, sizeof *all);
    if (!seen || !all) {
        free(seen);
        free(all);
        return;
    }
    all[0] = &dpu->ctl;
    for (uint32_t i = 0; i < dpu->nworkers; i++)
        all[i + 1] = &dpu->w[i];
    for (uint32_t i = 0; i < n; i++) {
        seen[i] = atomic_load(&all[i]->epoch);
        wake(all[i]);
    }
    for (uint32_t i = 0; i < n; i++) {
        while (all[i]->running && atomic_load(&all[i]->epoch) == seen[i]) {
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
        }
    }
    free(seen);
    free(all);
}
