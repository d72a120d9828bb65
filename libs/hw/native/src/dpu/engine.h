/*
 * engine.h - the DPU's threads: one control thread for every device's
 * vhost-user connection, `workers` data-path threads for the queues' kick
 * eventfds, representors and moderation timers. Each sleeps in epoll_wait,
 * so an idle device costs no CPU.
 *
 * The engine knows no module: whatever it watches embeds a struct evsrc
 * whose `ready` callback it calls with the epoll events (the way
 * libvfio-user's transport calls back through its ops).
 */
#ifndef VNET_DPU_ENGINE_H
#define VNET_DPU_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

struct evsrc;
typedef void (*evsrc_ready)(struct evsrc *src, uint32_t events);

struct evsrc {
    evsrc_ready ready;
};

struct engine;

struct worker {
    struct engine *eng;
    pthread_t thread;
    int ep;
    int wake_fd;
    struct evsrc wake;
    _Atomic uint64_t epoch; /* completed loop iterations */
    bool running;
};

struct engine {
    _Atomic bool stopping;
    struct worker ctl;
    struct worker *w;
    uint32_t nworkers;
    _Atomic uint32_t next;
};

#define ENGINE_MAX_WORKERS 64u

/* Starts the control thread and `workers` data-path threads. 0 or -errno. */
int engine_start(struct engine *e, uint32_t workers);
void engine_stop(struct engine *e);
bool engine_running(const struct engine *e);

int engine_watch(struct worker *w, int fd, struct evsrc *src, uint32_t events);
int engine_modify(struct worker *w, int fd, struct evsrc *src, uint32_t events);
void engine_unwatch(struct worker *w, int fd);

/* The data-path worker for the next queue (round robin). */
struct worker *engine_pick(struct engine *e);
/* The worker with this index, or the control thread for -1. */
struct worker *engine_worker(struct engine *e, int index);
int engine_worker_index(const struct engine *e, const struct worker *w);

/*
 * Waits until every thread has finished the events it had taken when this
 * was called: after a caller removed fds from the epoll sets, what those
 * events pointed at may be freed once this returns. Never called from an
 * engine thread; the caller must hold no lock a thread needs.
 */
void engine_quiesce(struct engine *e);

#endif
