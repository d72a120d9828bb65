#include "engine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static void drain_wake(struct evsrc *src, uint32_t events)
{
    (void)events;
    struct worker *w = container_of(src, struct worker, wake);
    uint64_t v;
    while (read(w->wake_fd, &v, sizeof v) == sizeof v)
        ;
}

static void *loop(void *arg)
{
    struct worker *w = arg;
    struct epoll_event ev[64];
    while (!atomic_load(&w->eng->stopping)) {
        int n = epoll_wait(w->ep, ev, 64, -1);
        for (int i = 0; i < n; i++) {
            struct evsrc *s = ev[i].data.ptr;
            s->ready(s, ev[i].events);
        }
        atomic_fetch_add(&w->epoch, 1);
    }
    return NULL;
}

static int worker_init(struct worker *w, struct engine *e)
{
    memset(w, 0, sizeof *w);
    w->eng = e;
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->ep < 0 || w->wake_fd < 0)
        return -errno;
    w->wake.ready = drain_wake;
    if (engine_watch(w, w->wake_fd, &w->wake, EPOLLIN))
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

int engine_start(struct engine *e, uint32_t workers)
{
    memset(e, 0, sizeof *e);
    if (workers < 1 || workers > ENGINE_MAX_WORKERS)
        return -EINVAL;
    e->w = calloc(workers, sizeof *e->w);
    if (!e->w)
        return -ENOMEM;
    e->nworkers = workers;
    for (uint32_t i = 0; i < workers; i++)
        e->w[i].ep = e->w[i].wake_fd = -1;
    e->ctl.ep = e->ctl.wake_fd = -1;
    int rc = worker_init(&e->ctl, e);
    for (uint32_t i = 0; !rc && i < workers; i++)
        rc = worker_init(&e->w[i], e);
    if (rc)
        engine_stop(e);
    return rc;
}

bool engine_running(const struct engine *e) { return e->w != NULL; }

void engine_stop(struct engine *e)
{
    if (!e->w)
        return;
    atomic_store(&e->stopping, true);
    worker_fini(&e->ctl);
    for (uint32_t i = 0; i < e->nworkers; i++)
        worker_fini(&e->w[i]);
    free(e->w);
    e->w = NULL;
    e->nworkers = 0;
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

struct worker *engine_pick(struct engine *e)
{
    uint32_t i = atomic_fetch_add_explicit(&e->next, 1, memory_order_relaxed);
    return &e->w[i % e->nworkers];
}

struct worker *engine_worker(struct engine *e, int index)
{
    if (index < 0)
        return &e->ctl;
    return (uint32_t)index < e->nworkers ? &e->w[index] : NULL;
}

int engine_worker_index(const struct engine *e, const struct worker *w)
{
    return w == &e->ctl ? -1 : (int)(w - e->w);
}

void engine_quiesce(struct engine *e)
{
    if (!e->w)
        return;
    uint32_t n = e->nworkers + 1;
    uint64_t seen[ENGINE_MAX_WORKERS + 1];
    struct worker *all[ENGINE_MAX_WORKERS + 1];
    all[0] = &e->ctl;
    for (uint32_t i = 0; i < e->nworkers; i++)
        all[i + 1] = &e->w[i];
    for (uint32_t i = 0; i < n; i++) {
        seen[i] = atomic_load(&all[i]->epoch);
        wake(all[i]);
    }
    for (uint32_t i = 0; i < n; i++) {
        /* A thread asleep in epoll wakes for the wake fd and counts one. */
        while (all[i]->running && atomic_load(&all[i]->epoch) == seen[i]) {
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
        }
    }
}
