/*
 * dev.c - a function's device: its queues and counters always, and once
 * the engine runs, its vhost-user socket and its representor backend.
 */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define F_PROTOCOL_FEATURES (1ull << 30)

struct dev *dev_new(struct vnet_dpu *dpu, const vnet_fn_info *info)
{
    struct dev *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->vq = calloc(info->num_queues, sizeof *d->vq);
    if (!d->vq) {
        free(d);
        return NULL;
    }
    d->dpu = dpu;
    d->handle = info->handle;
    d->nq = info->num_queues;
    d->listen_fd = d->conn_fd = d->tap_fd = -1;
    d->tap_ifindex = -1;
    d->hdr_len = 12;
    d->listen_src = (struct evsrc){EV_LISTEN, d};
    d->conn_src = (struct evsrc){EV_CONN, d};
    d->tap_src = (struct evsrc){EV_TAP, d};
    pthread_rwlock_init(&d->rw, NULL);
    for (uint16_t i = 0; i < d->nq; i++) {
        struct vq *q = &d->vq[i];
        pthread_mutex_init(&q->lock, NULL);
        q->dev = d;
        q->index = i;
        q->kick_fd = q->call_fd = q->timer_fd = -1;
        q->worker = -1;
        q->kick_src = (struct evsrc){EV_KICK, q};
        q->timer_src = (struct evsrc){EV_TIMER, q};
        q->c.handle = info->handle;
        q->c.qid = i;
    }
    dev_set_config(d, info);
    return d;
}

void dev_note(struct dev *d, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    size_t n = strnlen(tmp, sizeof d->note - 1);
    memcpy(d->note, tmp, n);
    d->note[n] = '\0';
}

/* Config and limits the driver sees; caller holds dpu->lock. */
void dev_set_config(struct dev *d, const vnet_fn_info *info)
{
    memcpy(d->mac, info->mac, 6);
    d->mtu = info->mtu;
    d->max_pairs = info->max_queue_pairs;
    d->max_queue_size = info->max_queue_size;
    d->net_status = info->net_status;
    d->speed = info->speed_mbps;
    d->device_features = info->device_features;
    for (uint16_t i = 0; i < d->nq; i++) {
        struct vq *q = &d->vq[i];
        pthread_mutex_lock(&q->lock);
        if (!q->started)
            q->c.size = info->max_queue_size;
        /* vector 0 is the config vector; queue i uses vector i + 1 */
        q->c.msix_vector = (uint16_t)(i + 1u < info->num_msix ? i + 1u : 0xffffu);
        q->mod_mode = info->event_mode;
        q->mod_period_us = info->moderation_period_us;
        q->mod_max_count = info->moderation_max_count;
        pthread_mutex_unlock(&q->lock);
    }
}

/* The live part of a function's info; caller holds dpu->lock. */
void dev_fill_info(struct dev *d, vnet_fn_info *info)
{
    info->device_status = __atomic_load_n(&d->status, __ATOMIC_ACQUIRE);
    uint16_t enabled = 0;
    for (uint16_t i = 0; i < d->nq; i++) {
        struct vq *q = &d->vq[i];
        pthread_mutex_lock(&q->lock);
        enabled += q->started && q->enabled;
        pthread_mutex_unlock(&q->lock);
    }
    /* Read without d->rw: a torn read of these two is only ever a stale one. */
    info->driver_features = __atomic_load_n(&d->features, __ATOMIC_RELAXED) & ~F_PROTOCOL_FEATURES;
    info->protocol_features = __atomic_load_n(&d->protocol_features, __ATOMIC_RELAXED);
    info->enabled_queues = enabled;
    info->connected = __atomic_load_n(&d->connected, __ATOMIC_ACQUIRE);
    info->backend = d->backend;
    info->rep_ifindex = d->tap_ifindex;
    info->protocol_errors = __atomic_load_n(&d->protocol_errors, __ATOMIC_RELAXED);
    snprintf(info->vhost_socket, sizeof info->vhost_socket, "%s", d->path);
    snprintf(info->backend_note, sizeof info->backend_note, "%s", d->note);
}

int dev_open(struct dev *d, const char *vuid, const char *sf_rep, char *why, size_t n)
{
    struct vnet_dpu *dpu = d->dpu;
    int len = snprintf(d->path, sizeof d->path, "%s/%s.sock", dpu->sock_dir, vuid);
    if (len < 0 || (size_t)len >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        snprintf(why, n, "socket path for %s is longer than a unix socket allows", vuid);
        d->path[0] = '\0';
        return -ENAMETOOLONG;
    }
    if (dpu->client) {
        /* The front-end listens there; the control thread keeps trying. */
        int rc = net_set_backend(d, dpu->default_backend, 64, sf_rep);
        if (rc)
            snprintf(why, n, "%s", d->note);
        else
            vu_connect(d);
        return rc;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, n, "socket: %s", strerror(errno));
        return -errno;
    }
    /* Bind beside the final path, then rename over it: a socket left by a
     * previous run is replaced in one step, so a host watching the directory
     * never sees the device disappear (a restart is not an unplug). */
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    bool staged = (size_t)len + 4 < sizeof a.sun_path;
    memcpy(a.sun_path, d->path, (size_t)len);
    if (staged)
        memcpy(a.sun_path + len, ".new", 5);
    unlink(a.sun_path);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 4) || (staged && rename(a.sun_path, d->path))) {
        int e = errno;
        snprintf(why, n, "%s: %s", d->path, strerror(e));
        close(fd);
        unlink(a.sun_path);
        d->path[0] = '\0';
        return -e;
    }
    d->listen_fd = fd;
    int rc = engine_watch(&dpu->ctl, fd, &d->listen_src, EPOLLIN);
    if (rc == 0)
        rc = net_set_backend(d, dpu->default_backend, 64, sf_rep);
    if (rc)
        snprintf(why, n, "%s: %s", d->path, d->note[0] ? d->note : strerror(-rc));
    return rc; /* on failure the caller destroys the device */
}

/*
 * Tears a device down while the engine runs. First no thread may start on
 * it: its sockets leave the control thread's epoll set and the engine is
 * quiesced. Then it is reset (rings stopped, kick fds leave the workers),
 * its representor closed, and the engine quiesced again before the memory
 * is freed. The caller holds no lock. On release (the controller stops, the
 * device does not) the socket file and the representor netdev stay, as
 * after a crash, so a host and an operator's bridge see no unplug.
 */
void dev_destroy(struct dev *d, bool release)
{
    if (!d)
        return;
    struct vnet_dpu *dpu = d->dpu;
    if (dpu->started) {
        /* From here the control thread ignores the device; once quiesced it
         * is not inside any of its handlers, and its fds are ours. */
        __atomic_store_n(&d->dying, 1, __ATOMIC_RELEASE);
        if (d->listen_fd >= 0)
            engine_unwatch(&dpu->ctl, d->listen_fd);
        engine_quiesce(dpu);
        if (d->conn_fd >= 0)
            engine_unwatch(&dpu->ctl, d->conn_fd);
        if (d->listen_fd >= 0) {
            close(d->listen_fd);
            d->listen_fd = -1;
            if (!release)
                unlink(d->path);
        }
        vu_disconnect(d);
        net_close_backend(d, release);
        for (uint16_t i = 0; i < d->nq; i++) {
            struct vq *q = &d->vq[i];
            if (q->timer_fd >= 0 && q->worker >= 0)
                engine_unwatch(&dpu->w[q->worker], q->timer_fd);
        }
        engine_quiesce(dpu);
    }
    dev_free(d);
}

void dev_free(struct dev *d)
{
    if (!d)
        return;
    for (uint16_t i = 0; i < d->nq; i++) {
        struct vq *q = &d->vq[i];
        if (q->kick_fd >= 0)
            close(q->kick_fd);
        if (q->call_fd >= 0)
            close(q->call_fd);
        if (q->timer_fd >= 0)
            close(q->timer_fd);
        pthread_mutex_destroy(&q->lock);
    }
    mem_unmap(&d->mem);
    pthread_rwlock_destroy(&d->rw);
    free(d->vq);
    free(d);
}
