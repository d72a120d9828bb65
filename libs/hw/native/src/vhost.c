/*
 * vhost.c - the vhost-user back-end of each device: accepting the
 * front-end, reading messages without ever blocking the control thread,
 * checking them (vhost_msg.c) and applying them. A malformed message closes
 * the connection; an unsupported one is refused and the connection goes on.
 */
#include "internal.h"
#include "vhost_msg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* CONFIG is not offered: neither QEMU's virtio-net nor DPDK's virtio-user reads the
 * config space from the back-end (QEMU warns when it is offered). GET_CONFIG is
 * still answered for front-ends that send it. */
#define OFFERED_PROTOCOL (VU_PROTO_MQ | VU_PROTO_REPLY_ACK | VU_PROTO_NET_MTU | VU_PROTO_STATUS)
#define F_VERSION_1 (1ull << 32)
#define F_MRG_RXBUF (1ull << 15)
#define F_RING_PACKED (1ull << 34)

static void set_status(struct dev *d, uint8_t s) { __atomic_store_n(&d->status, s, __ATOMIC_RELEASE); }
static uint8_t get_status(struct dev *d) { return __atomic_load_n(&d->status, __ATOMIC_ACQUIRE); }

static void send_reply(struct dev *d, uint32_t request, const void *payload, uint32_t size)
{
    uint8_t buf[VU_HDR_SIZE + VU_MAX_PAYLOAD];
    uint32_t hdr[3] = {request, VU_VERSION | VU_FLAG_REPLY, size};
    memcpy(buf, hdr, sizeof hdr);
    memcpy(buf + VU_HDR_SIZE, payload, size);
    size_t len = VU_HDR_SIZE + size, off = 0;
    while (off < len) {
        ssize_t n = send(d->conn_fd, buf + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* the reader side notices the broken connection */
        off += (size_t)n;
    }
}

static void reply_u64(struct dev *d, uint32_t request, uint64_t v) { send_reply(d, request, &v, 8); }

/* REPLY_ACK (vhost-user.rst): answer a request that asked for it. */
static void ack(struct dev *d, uint32_t request, uint32_t flags, uint64_t status)
{
    if ((flags & VU_FLAG_NEED_REPLY) && (d->protocol_features & VU_PROTO_REPLY_ACK))
        reply_u64(d, request, status);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Caller holds d->rw for writing. */
static void stop_ring(struct dev *d, struct vq *q)
{
    pthread_mutex_lock(&q->lock);
    if (q->started) {
        ring_publish(&q->ring);
        if (q->worker >= 0)
            engine_unwatch(&d->dpu->w[q->worker], q->kick_fd);
        close_fd(&q->kick_fd);
        net_stop_queue(q);
        q->started = false;
        q->c.started = 0;
    }
    pthread_mutex_unlock(&q->lock);
}

/* Starts a ring once it has a size, addresses and a kick fd (vhost-user.rst,
 * "Ring states"). Caller holds d->rw for writing. */
static void try_start_ring(struct dev *d, struct vq *q)
{
    if (q->started || !q->addr_set || !q->num || q->kick_fd < 0)
        return;
    bool packed = d->features & F_RING_PACKED;
    pthread_mutex_lock(&q->lock);
    if (ring_attach(&q->ring, &d->mem, q->num, packed, q->desc_uva, q->driver_uva, q->device_uva)) {
        q->broken = true;
        q->c.broken = 1;
        set_status(d, get_status(d) | VNET_STATUS_NEEDS_RESET);
        dev_note(d, "queue %u: ring outside the shared memory", q->index);
        pthread_mutex_unlock(&q->lock);
        return;
    }
    if (packed) {
        q->ring.last_avail = (uint16_t)(q->base & 0x7fff);
        q->ring.avail_wrap = (q->base >> 15) & 1;
        if (q->base >> 16) {
            q->ring.used_idx = (uint16_t)((q->base >> 16) & 0x7fff);
            q->ring.used_wrap = (q->base >> 31) & 1;
        } else {
            q->ring.used_idx = q->ring.last_avail;
            q->ring.used_wrap = q->ring.avail_wrap;
        }
        if (q->ring.last_avail >= q->num || q->ring.used_idx >= q->num)
            q->ring.last_avail = q->ring.used_idx = 0;
    } else {
        /* The used ring in the driver's memory is the truth: this device
         * gives back every chain it takes, so a base that disagrees with
         * used->idx comes from a front-end that lost track (virtio-user sends
         * 0 when it reconnects). Resuming at used->idx re-processes only
         * chains the driver still lent the device, never ones it got back. */
        uint16_t used = __atomic_load_n(&q->ring.used[1], __ATOMIC_ACQUIRE);
        q->ring.used_idx = q->ring.shadow_used = used;
        q->ring.last_avail = (uint16_t)q->base == used ? (uint16_t)q->base : used;
    }
    q->broken = false;
    q->c.broken = 0;
    q->started = true;
    q->c.started = 1;
    q->c.size = q->num;
    q->uncalled = 0;
    if (!(d->features & VU_F_PROTOCOL_FEATURES))
        q->enabled = true;
    struct worker *w = engine_worker_for(d->dpu);
    q->worker = (int)(w - d->dpu->w);
    /* A previous back-end may have died with kicks suppressed, and chains
     * may already wait: ask for kicks and look at the ring once now. */
    ring_set_kick_wanted(&q->ring, true);
    if (ring_has_avail(&q->ring)) {
        uint64_t one = 1;
        if (write(q->kick_fd, &one, sizeof one) == sizeof one)
            q->nudges++;
    }
    engine_watch(w, q->kick_fd, &q->kick_src, EPOLLIN);
    pthread_mutex_unlock(&q->lock);
    if (!d->status_from_driver && d->features_set)
        set_status(d, get_status(d) | VNET_STATUS_DRIVER_OK);
}

static void reset_device(struct dev *d)
{
    pthread_rwlock_wrlock(&d->rw);
    for (uint16_t i = 0; i < d->nq; i++) {
        struct vq *q = &d->vq[i];
        stop_ring(d, q);
        pthread_mutex_lock(&q->lock);
        close_fd(&q->call_fd);
        q->addr_set = q->enabled = q->broken = false;
        q->num = 0;
        q->base = 0;
        q->c.broken = 0;
        pthread_mutex_unlock(&q->lock);
    }
    mem_unmap(&d->mem);
    __atomic_store_n(&d->features, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&d->protocol_features, 0, __ATOMIC_RELAXED);
    d->features_set = false;
    d->status_from_driver = false;
    d->hdr_len = 12;
    set_status(d, 0);
    pthread_rwlock_unlock(&d->rw);
}

void vu_disconnect(struct dev *d)
{
    if (d->conn_fd < 0)
        return;
    engine_unwatch(&d->dpu->ctl, d->conn_fd);
    reset_device(d); /* before the flag goes: "not connected" means reset */
    __atomic_store_n(&d->connected, 0, __ATOMIC_RELEASE);
    close_fd(&d->conn_fd);
    for (int i = 0; i < d->in.nfds; i++)
        close(d->in.fds[i]);
    memset(&d->in, 0, sizeof d->in);
}

static bool dying(struct dev *d) { return __atomic_load_n(&d->dying, __ATOMIC_ACQUIRE); }

/* Makes fd the device's front-end connection (accepted or connected). */
static void attach(struct dev *d, int fd)
{
    d->conn_fd = fd;
    memset(&d->in, 0, sizeof d->in);
    if (engine_watch(&d->dpu->ctl, fd, &d->conn_src, EPOLLIN | EPOLLRDHUP))
        close_fd(&d->conn_fd);
    else
        __atomic_store_n(&d->connected, 1, __ATOMIC_RELEASE);
}

void vu_accept(struct dev *d)
{
    if (dying(d))
        return;
    int fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (d->conn_fd >= 0) {
        /* One front-end per device, as a PCIe function has one driver. */
        close(fd);
        return;
    }
    attach(d, fd);
}

void vu_connect(struct dev *d)
{
    if (d->conn_fd >= 0 || !d->path[0] || dying(d))
        return;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, d->path, strnlen(d->path, sizeof a.sun_path - 1));
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd); /* nobody listens yet: the next tick tries again */
        return;
    }
    attach(d, fd);
}

/* On the control thread, every second in client mode. */
void vu_retry_all(struct vnet_dpu *dpu)
{
    pthread_mutex_lock(&dpu->lock);
    for (uint32_t i = 0; i < dpu->nslots; i++)
        if (dpu->slots[i])
            vu_connect(dpu->slots[i]->dev);
    pthread_mutex_unlock(&dpu->lock);
}

static struct vq *vq_at(struct dev *d, uint64_t index)
{
    return index < d->nq ? &d->vq[index] : NULL;
}

static void fill_config(struct dev *d, uint8_t out[24])
{
    /* struct virtio_net_config (virtio 1.2, 5.1.4): mac, status,
     * max_virtqueue_pairs, mtu, speed, duplex, then RSS fields (zero). */
    memset(out, 0, 24);
    pthread_mutex_lock(&d->dpu->lock);
    memcpy(out, d->mac, 6);
    memcpy(out + 6, &d->net_status, 2);
    memcpy(out + 8, &d->max_pairs, 2);
    memcpy(out + 10, &d->mtu, 2);
    memcpy(out + 12, &d->speed, 4);
    out[16] = 1; /* DUPLEX_FULL */
    pthread_mutex_unlock(&d->dpu->lock);
}

/* Applies one checked message. Returns false when the connection must close. */
static bool handle(struct dev *d, uint32_t req, uint32_t flags, const uint8_t *p, int *fds, int nfds)
{
    uint64_t u64 = 0;
    struct vu_state st = {0, 0};
    memcpy(&u64, p, 8);
    memcpy(&st, p, sizeof st);
    struct vq *q;

    switch (req) {
    case VU_GET_FEATURES: {
        pthread_mutex_lock(&d->dpu->lock);
        uint64_t f = d->device_features | VU_F_PROTOCOL_FEATURES;
        pthread_mutex_unlock(&d->dpu->lock);
        reply_u64(d, req, f);
        return true;
    }
    case VU_SET_FEATURES: {
        pthread_mutex_lock(&d->dpu->lock);
        uint64_t offered = d->device_features | VU_F_PROTOCOL_FEATURES;
        pthread_mutex_unlock(&d->dpu->lock);
        if (u64 & ~offered) {
            dev_note(d, "front-end acked features 0x%llx the device did not offer", (unsigned long long)(u64 & ~offered));
            ack(d, req, flags, 1);
            return true;
        }
        pthread_rwlock_wrlock(&d->rw);
        __atomic_store_n(&d->features, u64, __ATOMIC_RELAXED);
        d->features_set = true;
        d->hdr_len = (u64 & (F_VERSION_1 | F_MRG_RXBUF)) ? 12 : 10;
        pthread_rwlock_unlock(&d->rw);
        if (!d->status_from_driver)
            set_status(d, VNET_STATUS_ACKNOWLEDGE | VNET_STATUS_DRIVER | VNET_STATUS_FEATURES_OK);
        ack(d, req, flags, 0);
        return true;
    }
    case VU_SET_OWNER:
    case VU_SEND_RARP:
        ack(d, req, flags, 0);
        return true;
    case VU_RESET_OWNER:
        /* Deprecated: disable the rings, keep the connection state. */
        pthread_rwlock_wrlock(&d->rw);
        for (uint16_t i = 0; i < d->nq; i++)
            stop_ring(d, &d->vq[i]);
        pthread_rwlock_unlock(&d->rw);
        ack(d, req, flags, 0);
        return true;
    case VU_GET_PROTOCOL_FEATURES:
        reply_u64(d, req, OFFERED_PROTOCOL);
        return true;
    case VU_SET_PROTOCOL_FEATURES:
        __atomic_store_n(&d->protocol_features, u64 & OFFERED_PROTOCOL, __ATOMIC_RELAXED);
        ack(d, req, flags, (u64 & ~OFFERED_PROTOCOL) ? 1 : 0);
        return true;
    case VU_GET_QUEUE_NUM:
        /* For vhost-user-net, the number of queue pairs. */
        reply_u64(d, req, d->max_pairs);
        return true;
    case VU_SET_MEM_TABLE: {
        struct vu_memory m;
        memset(&m, 0, sizeof m);
        memcpy(&m, p, sizeof m < VU_MAX_PAYLOAD ? sizeof m : VU_MAX_PAYLOAD);
        struct mem_region r[VU_MEM_REGIONS];
        for (uint32_t i = 0; i < m.nregions; i++) {
            memset(&r[i], 0, sizeof r[i]);
            r[i].gpa = m.regions[i].gpa;
            r[i].size = m.regions[i].size;
            r[i].uva = m.regions[i].uva;
            r[i].mmap_offset = m.regions[i].mmap_offset;
        }
        pthread_rwlock_wrlock(&d->rw);
        int rc = mem_map(&d->mem, r, m.nregions, fds);
        /* Rings already running keep going on the new table. */
        for (uint16_t i = 0; rc == 0 && i < d->nq; i++) {
            struct vq *v = &d->vq[i];
            if (v->started) {
                struct ring saved = v->ring;
                if (ring_attach(&v->ring, &d->mem, v->num, saved.packed, v->desc_uva, v->driver_uva, v->device_uva)) {
                    v->broken = true;
                    v->c.broken = 1;
                } else {
                    v->ring.last_avail = saved.last_avail;
                    v->ring.used_idx = saved.used_idx;
                    v->ring.shadow_used = saved.shadow_used;
                    v->ring.avail_wrap = saved.avail_wrap;
                    v->ring.used_wrap = saved.used_wrap;
                }
            }
        }
        pthread_rwlock_unlock(&d->rw);
        for (int i = 0; i < nfds; i++)
            close_fd(&fds[i]); /* the mappings keep the memory */
        if (rc)
            dev_note(d, "SET_MEM_TABLE: a region could not be mapped (%s)", strerror(-rc));
        ack(d, req, flags, rc ? 1 : 0);
        return rc == 0;
    }
    case VU_SET_VRING_NUM:
        if (!(q = vq_at(d, st.index)))
            return false;
        pthread_mutex_lock(&d->dpu->lock);
        uint32_t max = d->max_queue_size;
        pthread_mutex_unlock(&d->dpu->lock);
        /* The driver may not exceed the device's queue_size (4.1.4.3). */
        if (st.num == 0 || st.num > max || (!(d->features & F_RING_PACKED) && (st.num & (st.num - 1)))) {
            dev_note(d, "queue %u: size %u refused (max %u)", st.index, st.num, max);
            ack(d, req, flags, 1);
            return true;
        }
        pthread_rwlock_wrlock(&d->rw);
        q->num = (uint16_t)st.num;
        pthread_rwlock_unlock(&d->rw);
        ack(d, req, flags, 0);
        return true;
    case VU_SET_VRING_ADDR: {
        struct vu_addr a;
        memcpy(&a, p, sizeof a);
        if (!(q = vq_at(d, a.index)))
            return false;
        pthread_rwlock_wrlock(&d->rw);
        q->desc_uva = a.desc;
        q->driver_uva = a.avail;
        q->device_uva = a.used;
        q->addr_set = true;
        pthread_rwlock_unlock(&d->rw);
        ack(d, req, flags, 0);
        return true;
    }
    case VU_SET_VRING_BASE:
        if (!(q = vq_at(d, st.index)))
            return false;
        pthread_rwlock_wrlock(&d->rw);
        q->base = st.num;
        pthread_rwlock_unlock(&d->rw);
        ack(d, req, flags, 0);
        return true;
    case VU_GET_VRING_BASE: {
        if (!(q = vq_at(d, st.index)))
            return false;
        pthread_rwlock_wrlock(&d->rw);
        stop_ring(d, q);
        uint32_t base = q->ring.last_avail;
        if (q->ring.packed)
            base = (uint32_t)(q->ring.last_avail | (q->ring.avail_wrap ? 0x8000u : 0)) |
                   ((uint32_t)(q->ring.used_idx | (q->ring.used_wrap ? 0x8000u : 0)) << 16);
        q->base = base;
        pthread_rwlock_unlock(&d->rw);
        struct vu_state out = {st.index, base};
        send_reply(d, req, &out, sizeof out);
        return true;
    }
    case VU_SET_VRING_KICK:
    case VU_SET_VRING_CALL:
    case VU_SET_VRING_ERR: {
        if (!(q = vq_at(d, u64 & VU_VRING_IDX_MASK)))
            return false;
        int fd = (u64 & VU_VRING_NOFD) ? -1 : fds[0];
        if (nfds)
            fds[0] = -1; /* taken */
        if (req == VU_SET_VRING_ERR) {
            if (fd >= 0)
                close(fd);
            ack(d, req, flags, 0);
            return true;
        }
        if (req == VU_SET_VRING_CALL) {
            pthread_mutex_lock(&q->lock);
            close_fd(&q->call_fd);
            q->call_fd = fd;
            pthread_mutex_unlock(&q->lock);
            ack(d, req, flags, 0);
            return true;
        }
        if (fd < 0) {
            /* Polling without a kick fd is not supported: refuse the ring. */
            dev_note(d, "queue %u: polling without a kick fd is not supported", q->index);
            ack(d, req, flags, 1);
            return true;
        }
        pthread_rwlock_wrlock(&d->rw);
        stop_ring(d, q);
        q->kick_fd = fd;
        try_start_ring(d, q);
        pthread_rwlock_unlock(&d->rw);
        ack(d, req, flags, 0);
        return true;
    }
    case VU_SET_VRING_ENABLE:
        if (!(q = vq_at(d, st.index)))
            return false;
        pthread_mutex_lock(&q->lock);
        q->enabled = st.num != 0;
        pthread_mutex_unlock(&q->lock);
        ack(d, req, flags, 0);
        return true;
    case VU_NET_SET_MTU:
        ack(d, req, flags, (u64 >= 68 && u64 <= 65535) ? 0 : 1);
        return true;
    case VU_GET_CONFIG: {
        struct vu_config c;
        memset(&c, 0, sizeof c);
        memcpy(&c, p, 12);
        uint8_t cfg[24];
        fill_config(d, cfg);
        for (uint32_t i = 0; i < c.size; i++)
            c.payload[i] = (c.offset + i < sizeof cfg) ? cfg[c.offset + i] : 0;
        send_reply(d, req, &c, 12 + c.size);
        return true;
    }
    case VU_SET_CONFIG:
        /* Every virtio-net config field is read-only for the driver (5.1.4). */
        ack(d, req, flags, 1);
        return true;
    case VU_SET_STATUS: {
        uint8_t s = (uint8_t)u64;
        d->status_from_driver = true;
        if (s == 0) {
            pthread_rwlock_wrlock(&d->rw);
            for (uint16_t i = 0; i < d->nq; i++)
                stop_ring(d, &d->vq[i]);
            pthread_rwlock_unlock(&d->rw);
        }
        /* 3.1.1: FEATURES_OK only sticks when the acked features are offered. */
        pthread_mutex_lock(&d->dpu->lock);
        if ((s & VNET_STATUS_FEATURES_OK) && (d->features & ~VU_F_PROTOCOL_FEATURES & ~d->device_features))
            s &= (uint8_t)~VNET_STATUS_FEATURES_OK;
        pthread_mutex_unlock(&d->dpu->lock);
        set_status(d, s);
        ack(d, req, flags, 0);
        return true;
    }
    case VU_GET_STATUS:
        reply_u64(d, req, get_status(d));
        return true;
    default:
        return false;
    }
}

static void finish_message(struct dev *d)
{
    struct conn_in *in = &d->in;
    uint32_t hdr[3];
    memcpy(hdr, in->buf, sizeof hdr);
    char why[128];
    int v = in->fd_overflow ? VU_MALFORMED
                            : vu_validate(hdr[0], hdr[1], hdr[2], in->buf + VU_HDR_SIZE, in->nfds, why, sizeof why);
    if (in->fd_overflow)
        snprintf(why, sizeof why, "%s: more than %d file descriptors", vu_request_name(hdr[0]), VU_MAX_FDS);
    bool keep = true;
    if (v == VU_OK) {
        uint8_t payload[VU_MAX_PAYLOAD];
        memset(payload, 0, sizeof payload);
        memcpy(payload, in->buf + VU_HDR_SIZE, hdr[2]);
        keep = handle(d, hdr[0], hdr[1], payload, in->fds, in->nfds);
        if (!keep)
            snprintf(why, sizeof why, "%s: queue index out of range", vu_request_name(hdr[0]));
    } else if (v == VU_UNSUPPORTED) {
        ack(d, hdr[0], hdr[1], 1);
    } else {
        keep = false;
    }
    if (v != VU_OK || !keep) {
        __atomic_add_fetch(&d->protocol_errors, 1, __ATOMIC_RELAXED);
        dev_note(d, "%s", why);
    }
    for (int i = 0; i < in->nfds; i++)
        if (in->fds[i] >= 0)
            close(in->fds[i]);
    in->nfds = 0;
    in->have = 0;
    in->fd_overflow = false;
    if (!keep)
        vu_disconnect(d);
}

void vu_readable(struct dev *d)
{
    if (dying(d)) {
        /* dev_destroy takes over the connection; stop watching it here. */
        engine_unwatch(&d->dpu->ctl, d->conn_fd);
        return;
    }
    while (d->conn_fd >= 0) {
        struct conn_in *in = &d->in;
        uint32_t need;
        if (in->have < VU_HDR_SIZE) {
            need = VU_HDR_SIZE - in->have;
        } else {
            uint32_t size;
            memcpy(&size, in->buf + 8, 4);
            if (size > VU_MAX_PAYLOAD) {
                __atomic_add_fetch(&d->protocol_errors, 1, __ATOMIC_RELAXED);
                dev_note(d, "a message announced %u payload bytes", size);
                vu_disconnect(d);
                return;
            }
            need = VU_HDR_SIZE + size - in->have;
        }
        if (need == 0) {
            finish_message(d);
            continue;
        }
        union {
            char buf[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
            struct cmsghdr align;
        } ctl;
        struct iovec iov = {in->buf + in->have, need};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
        ssize_t n = recvmsg(d->conn_fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        /* Descriptors beyond what a message may carry are closed; the
         * message is then refused for its fd count. */
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            int cnt = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            int *f = (int *)CMSG_DATA(c);
            for (int i = 0; i < cnt; i++) {
                if (in->nfds < VU_MAX_FDS) {
                    in->fds[in->nfds++] = f[i];
                } else {
                    close(f[i]);
                    in->fd_overflow = true;
                }
            }
        }
        if (mh.msg_flags & MSG_CTRUNC) {
            __atomic_add_fetch(&d->protocol_errors, 1, __ATOMIC_RELAXED);
            dev_note(d, "too many file descriptors in one message");
            vu_disconnect(d);
            return;
        }
        if (n <= 0) {
            vu_disconnect(d);
            return;
        }
        in->have += (uint32_t)n;
    }
}
