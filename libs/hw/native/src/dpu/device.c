#include "device.h"
#include "backend.h"
#include "datapath.h"
#include "notify.h"
#include "vhost.h"

#include <errno.h>
#include <linux/vhost_types.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct dev *device_new(struct dev_env *env, const vnet_fn_info *info, vnet_queue_counters *counters)
{
    struct dev *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->vq = calloc(info->num_queues, sizeof *d->vq);
    if (!d->vq) {
        free(d);
        return NULL;
    }
    d->env = env;
    d->handle = info->handle;
    d->nq = info->num_queues;
    d->listen_fd = d->conn_fd = d->tap_fd = -1;
    d->tap_ifindex = -1;
    d->log.fault_id = -1;
    d->hdr_len = sizeof(struct virtio_net_hdr_mrg_rxbuf);
    d->listen_src.ready = vhost_listen_ready;
    d->conn_src.ready = vhost_conn_ready;
    d->tap_src.ready = backend_tap_ready;
    snprintf(d->sf_rep, sizeof d->sf_rep, "%s", info->sf_rep);
    pthread_rwlock_init(&d->rw, NULL);
    pthread_mutex_init(&d->cfg, NULL);
    for (uint16_t i = 0; i < d->nq; i++) {
        struct vq *q = &d->vq[i];
        pthread_mutex_init(&q->lock, NULL);
        q->dev = d;
        q->index = i;
        q->kick_fd = q->call_fd = q->timer_fd = -1;
        q->worker = -1;
        q->kick_src.ready = datapath_kick_ready;
        q->timer_src.ready = notify_timer_ready;
        q->c = &counters[i];
        CNT_SET(q->c->handle, info->handle);
        CNT_SET(q->c->qid, i);
    }
    device_set_config(d, info);
    return d;
}

void device_set_config(struct dev *d, const vnet_fn_info *info)
{
    pthread_mutex_lock(&d->cfg);
    bool mtu_changed = d->mtu != info->mtu;
    memcpy(d->mac, info->mac, 6);
    d->mtu = info->mtu;
    d->max_pairs = info->max_queue_pairs;
    d->max_queue_size = info->max_queue_size;
    d->net_status = info->net_status;
    d->speed = info->speed_mbps;
    d->device_features = info->device_features;
    pthread_mutex_unlock(&d->cfg);
    if (mtu_changed && d->tap_fd >= 0)
        backend_tap_mtu(d);
    for (uint16_t i = 0; i < d->nq; i++) {
        struct vq *q = &d->vq[i];
        pthread_mutex_lock(&q->lock);
        if (!q->started)
            CNT_SET(q->c->size, info->max_queue_size);
        /* vector 0 is the config vector; queue i uses vector i + 1 */
        CNT_SET(q->c->msix_vector, (uint16_t)(i + 1u < info->num_msix ? i + 1u : 0xffffu));
        q->mod_mode = info->event_mode;
        q->mod_period_us = info->moderation_period_us;
        q->mod_max_count = info->moderation_max_count;
        pthread_mutex_unlock(&q->lock);
    }
}

void device_fill_info(struct dev *d, vnet_fn_info *info)
{
    /* `connected` first: a front-end's disconnect resets the device before
     * the flag goes (vhost_disconnect), so a snapshot that reads it as gone
     * also reads the reset's status, never the one before. */
    info->connected = atomic_load_explicit(&d->connected, memory_order_acquire);
    info->device_status = dev_status(d);
    uint16_t enabled = 0;
    for (uint16_t i = 0; i < d->nq; i++) {
        struct vq *q = &d->vq[i];
        pthread_mutex_lock(&q->lock);
        enabled += q->started && q->enabled;
        pthread_mutex_unlock(&q->lock);
    }
    /* VHOST_USER_F_PROTOCOL_FEATURES and VHOST_F_LOG_ALL are the transport's */
    info->driver_features = dev_features(d) & ~(VNET_BIT(30) | VNET_BIT(VHOST_F_LOG_ALL));
    info->protocol_features = atomic_load_explicit(&d->protocol_features, memory_order_relaxed);
    info->enabled_queues = enabled;
    info->backend = d->backend;
    info->rep_ifindex = d->tap_ifindex;
    info->protocol_errors = atomic_load_explicit(&d->protocol_errors, memory_order_relaxed);
    info->connections = atomic_load_explicit(&d->connections, memory_order_relaxed);
    info->log_enabled = atomic_load_explicit(&d->log_on, memory_order_relaxed);
    info->migration = atomic_load_explicit(&d->migration, memory_order_relaxed);
    info->log_size = atomic_load_explicit(&d->log_bytes, memory_order_relaxed);
    info->log_pages = atomic_load_explicit(&d->log.pages, memory_order_relaxed);
    info->log_skipped = atomic_load_explicit(&d->log.skipped, memory_order_relaxed);
    info->migrations = atomic_load_explicit(&d->migrations, memory_order_relaxed);
    info->rarps = atomic_load_explicit(&d->rarps, memory_order_relaxed);
    snprintf(info->vhost_socket, sizeof info->vhost_socket, "%s", d->path);
    pthread_mutex_lock(&d->cfg);
    snprintf(info->backend_note, sizeof info->backend_note, "%s", d->note);
    pthread_mutex_unlock(&d->cfg);
}

static int listen_at(struct dev *d, int len, char *why, size_t n)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, n, "socket: %s", strerror(errno));
        return -errno;
    }
    /* Bind beside the final path, then rename over it: a socket left by a
     * previous DPU is replaced in one step, so a host watching the
     * directory never sees the device disappear. */
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
        d->path[0] = '\0'; /* never taken: whatever is at the path is not ours */
        return -e;
    }
    d->listen_fd = fd;
    int rc = engine_watch(&d->env->eng->ctl, fd, &d->listen_src, EPOLLIN);
    if (rc)
        snprintf(why, n, "%s: %s", d->path, strerror(-rc));
    return rc;
}

int device_open(struct dev *d, const char *vuid, const char *sf_rep, char *why, size_t n)
{
    struct dev_env *env = d->env;
    snprintf(d->sf_rep, sizeof d->sf_rep, "%s", sf_rep);
    int len = snprintf(d->path, sizeof d->path, "%s/%s.sock", env->sock_dir, vuid);
    if (len < 0 || (size_t)len >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        snprintf(why, n, "socket path for %s is longer than a unix socket allows", vuid);
        d->path[0] = '\0';
        return -ENAMETOOLONG;
    }
    int rc = env->client ? 0 : listen_at(d, len, why, n);
    if (rc)
        return rc; /* the caller destroys the device */
    rc = backend_set(d, env->default_backend, 64);
    if (rc) {
        pthread_mutex_lock(&d->cfg);
        snprintf(why, n, "%s", d->note);
        pthread_mutex_unlock(&d->cfg);
        return rc;
    }
    if (env->client)
        vhost_connect(d); /* the front-end listens there; the retry timer keeps trying */
    return 0;
}

int device_set_backend(struct dev *d, uint8_t mode, uint16_t gen_size)
{
    pthread_rwlock_wrlock(&d->rw);
    int rc = backend_set(d, mode, gen_size);
    pthread_rwlock_unlock(&d->rw);
    return rc;
}

/*
 * First no thread may start on the device: its sockets leave the control
 * thread's epoll set and the engine is quiesced. Then it is reset (rings
 * stopped, kick fds leave the workers), its representor closed, and the
 * engine quiesced again before the memory is freed.
 */
void device_destroy(struct dev *d, bool keep)
{
    if (!d)
        return;
    struct engine *eng = d->env->eng;
    if (engine_running(eng)) {
        atomic_store_explicit(&d->dying, 1, memory_order_release);
        if (d->listen_fd >= 0)
            engine_unwatch(&eng->ctl, d->listen_fd);
        engine_quiesce(eng);
        if (d->conn_fd >= 0)
            engine_unwatch(&eng->ctl, d->conn_fd);
        vhost_disconnect(d);
        backend_close(d, keep);
        for (uint16_t i = 0; i < d->nq; i++) {
            struct vq *q = &d->vq[i];
            struct worker *w = vq_worker(q);
            if (q->timer_fd >= 0 && w)
                engine_unwatch(w, q->timer_fd);
        }
        engine_quiesce(eng);
    }
    if (d->listen_fd >= 0) {
        close(d->listen_fd);
        d->listen_fd = -1;
    }
    if (!keep && d->path[0] && !d->env->client)
        unlink(d->path);
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
    dirty_unmap(&d->log);
    pthread_rwlock_destroy(&d->rw);
    pthread_mutex_destroy(&d->cfg);
    free(d->vq);
    free(d);
}

void device_reconnect(struct dev *d) { vhost_connect(d); }

int device_remove_representor(const char *name) { return backend_remove_tap(name); }
