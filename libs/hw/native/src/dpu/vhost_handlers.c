#include "vhost_handlers.h"
#include "backend.h"
#include "datapath.h"
#include "notify.h"
#include "vhost_msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/vhost_types.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* CONFIG is not offered: neither QEMU's virtio-net nor DPDK's virtio-user
 * reads the config space from the back-end (QEMU warns when it is offered).
 * GET_CONFIG is still answered for front-ends that send it. LOG_SHMFD and
 * RARP are live migration's: QEMU refuses to migrate a guest whose
 * back-end lacks LOG_SHMFD. */
#define OFFERED_PROTOCOL                                                                                    \
    (VU_PROTO_MQ | VU_PROTO_LOG_SHMFD | VU_PROTO_RARP | VU_PROTO_REPLY_ACK | VU_PROTO_NET_MTU | VU_PROTO_STATUS)
/* Feature bits of the vhost-user transport, offered beside the device's. */
#define F_TRANSPORT (VU_F_PROTOCOL_FEATURES | VNET_BIT(VHOST_F_LOG_ALL))
#define MIN_MTU 68u

#define REFUSE(m, ...) (snprintf((m)->why, sizeof (m)->why, __VA_ARGS__), VU_REFUSE)
#define CLOSE(m, ...) (snprintf((m)->why, sizeof (m)->why, __VA_ARGS__), VU_CLOSE)

bool vu_send_reply(struct dev *d, uint32_t request, const void *payload, uint32_t size)
{
    uint8_t buf[VU_HDR_SIZE + VU_MAX_PAYLOAD];
    uint32_t hdr[3] = {request, VU_VERSION | VU_FLAG_REPLY, size};
    memcpy(buf, hdr, sizeof hdr);
    memcpy(buf + VU_HDR_SIZE, payload, size);
    size_t len = VU_HDR_SIZE + size, off = 0;
    while (off < len) {
        /* Never wait: a front-end that does not read its replies loses the
         * connection, it does not stall the control thread. */
        ssize_t n = send(d->conn_fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        off += (size_t)n;
    }
    return true;
}

static enum vu_outcome reply_u64(struct dev *d, struct vu_msg *m, uint64_t v)
{
    if (!vu_send_reply(d, m->request, &v, 8))
        return CLOSE(m, "%s: the front-end does not take its reply", vu_request_name(m->request));
    return VU_REPLIED;
}

static uint64_t u64_of(const struct vu_msg *m)
{
    uint64_t v;
    memcpy(&v, m->payload, 8);
    return v;
}

static struct vu_state state_of(const struct vu_msg *m)
{
    struct vu_state s;
    memcpy(&s, m->payload, sizeof s);
    return s;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* The fd is an eventfd: a kick, call or error fd may be nothing else, so
 * neither reading nor writing it can do more than count. */
static bool is_eventfd(int fd)
{
    char link[64], target[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 0)
        return false;
    target[n] = '\0';
    return strcmp(target, "anon_inode:[eventfd]") == 0;
}

/* Takes a notification fd from the message: -1 for NOFD, else an eventfd
 * made non-blocking (on its open file description, which the driver
 * shares: an eventfd's reader and writer never need to block). Returns
 * false, with the fd left in the message to be closed, when it is not one. */
static bool take_eventfd(struct vu_msg *m, int *out)
{
    *out = -1;
    if (u64_of(m) & VU_VRING_NOFD)
        return true;
    int fd = m->fds[0];
    if (!is_eventfd(fd))
        return false;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK)))
        return false;
    m->fds[0] = -1;
    *out = fd;
    return true;
}

static struct vq *vq_at(struct dev *d, uint64_t index) { return index < d->nq ? &d->vq[index] : NULL; }

static bool any_started(struct dev *d)
{
    for (uint16_t i = 0; i < d->nq; i++)
        if (d->vq[i].started)
            return true;
    return false;
}

/* ---- dirty logging (dirty.h) ----
 * The device logs while the front-end acked VHOST_F_LOG_ALL and a log is
 * mapped: every ring that runs then points at d->log (ring_set_log), and
 * the data path marks what it writes. All of it changes with d->rw held for
 * writing, so no burst sees it change. */

static bool log_on(struct dev *d) { return dev_has(d, VHOST_F_LOG_ALL) && d->log.bits; }

/* Points a running ring at the log, or at none. Caller holds d->rw for
 * writing and q->lock. */
static void apply_log(struct dev *d, struct vq *q)
{
    if (!q->started)
        return;
    uint64_t desc_gpa = UINT64_MAX;
    if (q->ring.packed)
        desc_gpa = mem_uva_gpa(&d->mem, q->desc_uva, (uint64_t)q->num * sizeof(struct vring_packed_desc));
    ring_set_log(&q->ring, log_on(d) ? &d->log : NULL, (q->addr_flags >> VHOST_VRING_F_LOG) & 1u, q->log_addr, desc_gpa);
}

static void apply_log_all(struct dev *d)
{
    for (uint16_t i = 0; i < d->nq; i++) {
        pthread_mutex_lock(&d->vq[i].lock);
        apply_log(d, &d->vq[i]);
        pthread_mutex_unlock(&d->vq[i].lock);
    }
}

/* Ends the logging session with `how` (enum vnet_migration), counted once. */
static void end_session(struct dev *d, uint8_t how)
{
    atomic_store_explicit(&d->migration, how, memory_order_relaxed);
    if (!d->log_counted) {
        d->log_counted = true;
        atomic_fetch_add_explicit(&d->migrations, 1, memory_order_relaxed);
    }
}

/* What turning logging on or off means for the session the controller
 * sees (`was`: logging was on before the change). Caller holds d->rw for
 * writing, with the rings already pointed at the log or at none. */
static void log_changed(struct dev *d, bool was, bool any_running)
{
    bool now = log_on(d);
    if (now && !was) {
        atomic_store_explicit(&d->log.pages, 0, memory_order_relaxed);
        atomic_store_explicit(&d->log.skipped, 0, memory_order_relaxed);
        d->log_counted = false;
        atomic_store_explicit(&d->migration, VNET_MIGRATION_LOGGING, memory_order_relaxed);
    } else if (was && !now && atomic_load_explicit(&d->migration, memory_order_relaxed) == VNET_MIGRATION_LOGGING) {
        end_session(d, any_running ? VNET_MIGRATION_CANCELLED : VNET_MIGRATION_STOPPED);
    }
    atomic_store_explicit(&d->log_on, now, memory_order_relaxed);
    atomic_store_explicit(&d->log_bytes, d->log.size, memory_order_relaxed);
}

/* Rings were stopped (GET_VRING_BASE, a status reset, RESET_OWNER), some
 * of them running: with logging on, the front-end is handing the guest
 * over (QEMU 7.2 resets the status before it asks for the bases). Caller
 * holds d->rw for writing. */
static void rings_stopped(struct dev *d, bool were_running)
{
    if (were_running && log_on(d) && atomic_load_explicit(&d->migration, memory_order_relaxed) == VNET_MIGRATION_LOGGING)
        end_session(d, VNET_MIGRATION_STOPPED);
}

/* Caller holds d->rw for writing. */
static void stop_ring(struct vq *q)
{
    pthread_mutex_lock(&q->lock);
    if (q->started) {
        ring_publish(&q->ring);
        struct worker *w = vq_worker(q);
        if (w)
            engine_unwatch(w, q->kick_fd);
        close_fd(&q->kick_fd);
        datapath_stop_queue(q);
        q->started = false;
        CNT_SET(q->c->started, 0);
        CNT_SET(q->c->enabled, 0);
    }
    pthread_mutex_unlock(&q->lock);
}

static void ring_broken(struct dev *d, struct vq *q, const char *why)
{
    q->broken = true;
    CNT_SET(q->c->broken, 1);
    dev_needs_reset(d);
    dev_refused(d, "queue %u: %s", q->index, why);
}

/* Starts a ring once it has a size, addresses and a kick fd (vhost-user.rst,
 * "Ring states"). Caller holds d->rw for writing. */
static void try_start_ring(struct dev *d, struct vq *q)
{
    if (q->started || !q->addr_set || !q->num || q->kick_fd < 0)
        return;
    bool packed = dev_has(d, VIRTIO_F_RING_PACKED);
    pthread_mutex_lock(&q->lock);
    int at = ring_attach(&q->ring, &d->mem, q->num, packed, q->desc_uva, q->driver_uva, q->device_uva);
    if (at != RING_ATTACHED) {
        ring_broken(d, q, at == RING_E_MISALIGNED ? "ring areas are misaligned" : "ring outside the shared memory");
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
        uint16_t used = ring_driver_used_idx(&q->ring);
        q->ring.used_idx = q->ring.shadow_used = used;
        q->ring.last_avail = used;
    }
    q->broken = false;
    q->started = true;
    q->uncalled = 0;
    apply_log(d, q);
    if (log_on(d))
        atomic_store_explicit(&d->migration, VNET_MIGRATION_LOGGING, memory_order_relaxed);
    if (!(dev_features(d) & VU_F_PROTOCOL_FEATURES))
        q->enabled = true;
    struct worker *w = q->worker >= 0 ? vq_worker(q) : datapath_pick_worker(d, q);
    q->worker = engine_worker_index(d->env->eng, w);
    vnet_queue_counters *c = q->c;
    CNT_SET(c->broken, 0);
    CNT_SET(c->started, 1);
    CNT_SET(c->enabled, q->enabled);
    CNT_SET(c->size, q->num);
    CNT_SET(c->hw_available_index, q->ring.last_avail);
    CNT_SET(c->hw_used_index, q->ring.used_idx);
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
        dev_set_status(d, dev_status(d) | VNET_STATUS_DRIVER_OK);
}

void vu_reset(struct dev *d)
{
    pthread_rwlock_wrlock(&d->rw);
    bool was = log_on(d), running = any_started(d);
    for (uint16_t i = 0; i < d->nq; i++) {
        struct vq *q = &d->vq[i];
        stop_ring(q);
        pthread_mutex_lock(&q->lock);
        close_fd(&q->call_fd);
        close_fd(&q->kick_fd);
        q->addr_set = q->enabled = q->broken = false;
        q->num = 0;
        q->base = 0;
        q->addr_flags = 0;
        q->log_addr = 0;
        CNT_SET(q->c->broken, 0);
        pthread_mutex_unlock(&q->lock);
    }
    mem_unmap(&d->mem);
    /* A front-end gone mid-migration: the session ends as if logging went off. */
    dirty_unmap(&d->log);
    log_changed(d, was, running);
    atomic_store(&d->mem_faults, 0);
    atomic_store(&d->mem_fault_reported, 0);
    atomic_store_explicit(&d->features, 0, memory_order_relaxed);
    atomic_store_explicit(&d->protocol_features, 0, memory_order_relaxed);
    d->features_set = false;
    d->status_from_driver = false;
    d->hdr_len = sizeof(struct virtio_net_hdr_mrg_rxbuf);
    dev_set_status(d, 0);
    pthread_rwlock_unlock(&d->rw);
}

static uint64_t offered_features(struct dev *d)
{
    pthread_mutex_lock(&d->cfg);
    uint64_t f = d->device_features | F_TRANSPORT;
    pthread_mutex_unlock(&d->cfg);
    return f;
}

/* ---- one function per request ---- */

static enum vu_outcome get_features(struct dev *d, struct vu_msg *m) { return reply_u64(d, m, offered_features(d)); }

static enum vu_outcome set_features(struct dev *d, struct vu_msg *m)
{
    uint64_t f = u64_of(m), offered = offered_features(d);
    if (f & ~offered)
        return REFUSE(m, "front-end acked features 0x%llx the device did not offer", (unsigned long long)(f & ~offered));
    pthread_rwlock_wrlock(&d->rw);
    bool packed_change = ((f ^ dev_features(d)) >> VIRTIO_F_RING_PACKED) & 1u;
    if (packed_change && any_started(d)) {
        pthread_rwlock_unlock(&d->rw);
        return REFUSE(m, "SET_FEATURES would change the ring layout under running rings");
    }
    /* LOG_ALL may come before the log: QEMU restarting a device while it
     * migrates sends the features first, the log after the rings. The
     * device logs from the moment it has both. */
    bool was = log_on(d);
    atomic_store_explicit(&d->features, f, memory_order_relaxed);
    apply_log_all(d);
    log_changed(d, was, any_started(d));
    d->features_set = true;
    d->hdr_len = (f & (VNET_BIT(VIRTIO_F_VERSION_1) | VNET_BIT(VIRTIO_NET_F_MRG_RXBUF)))
                     ? sizeof(struct virtio_net_hdr_mrg_rxbuf)
                     : sizeof(struct virtio_net_hdr);
    pthread_rwlock_unlock(&d->rw);
    if (!d->status_from_driver)
        dev_set_status(d, VNET_STATUS_ACKNOWLEDGE | VNET_STATUS_DRIVER | VNET_STATUS_FEATURES_OK);
    return VU_ACK_OK;
}

static enum vu_outcome nothing(struct dev *d, struct vu_msg *m)
{
    (void)d;
    (void)m;
    return VU_ACK_OK;
}

static enum vu_outcome reset_owner(struct dev *d, struct vu_msg *m)
{
    (void)m;
    /* Deprecated: disable the rings, keep the connection state. */
    pthread_rwlock_wrlock(&d->rw);
    bool running = any_started(d);
    for (uint16_t i = 0; i < d->nq; i++)
        stop_ring(&d->vq[i]);
    rings_stopped(d, running);
    pthread_rwlock_unlock(&d->rw);
    return VU_ACK_OK;
}

static enum vu_outcome get_protocol_features(struct dev *d, struct vu_msg *m) { return reply_u64(d, m, OFFERED_PROTOCOL); }

static enum vu_outcome set_protocol_features(struct dev *d, struct vu_msg *m)
{
    uint64_t f = u64_of(m);
    atomic_store_explicit(&d->protocol_features, f & OFFERED_PROTOCOL, memory_order_relaxed);
    if (f & ~OFFERED_PROTOCOL)
        return REFUSE(m, "protocol features 0x%llx are not offered", (unsigned long long)(f & ~OFFERED_PROTOCOL));
    return VU_ACK_OK;
}

static enum vu_outcome get_queue_num(struct dev *d, struct vu_msg *m)
{
    /* For vhost-user-net, the number of queue pairs. */
    pthread_mutex_lock(&d->cfg);
    uint64_t pairs = d->max_pairs;
    pthread_mutex_unlock(&d->cfg);
    return reply_u64(d, m, pairs);
}

static enum vu_outcome set_mem_table(struct dev *d, struct vu_msg *m)
{
    struct vu_memory mt;
    memcpy(&mt, m->payload, sizeof mt < VU_MAX_PAYLOAD ? sizeof mt : VU_MAX_PAYLOAD);
    struct mem_region r[VU_MEM_REGIONS];
    memset(r, 0, sizeof r);
    for (uint32_t i = 0; i < mt.nregions; i++) {
        r[i].gpa = mt.regions[i].gpa;
        r[i].size = mt.regions[i].size;
        r[i].uva = mt.regions[i].uva;
        r[i].mmap_offset = mt.regions[i].mmap_offset;
        r[i].fault_id = -1;
    }
    char why[96] = "";
    pthread_rwlock_wrlock(&d->rw);
    struct mem_table old = d->mem;
    /* Map the new table before the old one goes, so running rings can
     * move to it; mem_map leaves d->mem alone on failure. */
    memset(&d->mem, 0, sizeof d->mem);
    int rc = mem_map(&d->mem, r, mt.nregions, m->fds, &d->mem_faults, why, sizeof why);
    if (rc) {
        d->mem = old;
        pthread_rwlock_unlock(&d->rw);
        return CLOSE(m, "SET_MEM_TABLE: %s", why);
    }
    atomic_store(&d->mem_faults, 0);
    atomic_store(&d->mem_fault_reported, 0);
    /* Rings already running keep going on the new table (memory hot-plug). */
    for (uint16_t i = 0; i < d->nq; i++) {
        struct vq *v = &d->vq[i];
        if (!v->started)
            continue;
        pthread_mutex_lock(&v->lock);
        struct ring saved = v->ring;
        if (ring_attach(&v->ring, &d->mem, v->num, saved.packed, v->desc_uva, v->driver_uva, v->device_uva)) {
            memset(&v->ring, 0, sizeof v->ring); /* nothing may point into the old table */
            ring_broken(d, v, "the new memory table no longer holds the ring");
        } else {
            v->ring.last_avail = saved.last_avail;
            v->ring.used_idx = saved.used_idx;
            v->ring.shadow_used = saved.shadow_used;
            v->ring.avail_wrap = saved.avail_wrap;
            v->ring.used_wrap = saved.used_wrap;
            apply_log(d, v); /* the packed descriptors' guest address may have moved */
        }
        pthread_mutex_unlock(&v->lock);
    }
    mem_unmap(&old);
    pthread_rwlock_unlock(&d->rw);
    /* The mappings keep the memory; the fds go when the message is done. */
    return VU_ACK_OK;
}

static enum vu_outcome set_vring_num(struct dev *d, struct vu_msg *m)
{
    struct vu_state st = state_of(m);
    struct vq *q = vq_at(d, st.index);
    if (!q)
        return CLOSE(m, "SET_VRING_NUM: queue %u does not exist", st.index);
    pthread_mutex_lock(&d->cfg);
    uint32_t max = d->max_queue_size;
    pthread_mutex_unlock(&d->cfg);
    /* The driver may not exceed the device's queue_size (4.1.4.3). */
    if (st.num == 0 || st.num > max || (!dev_has(d, VIRTIO_F_RING_PACKED) && (st.num & (st.num - 1))))
        return REFUSE(m, "queue %u: size %u refused (max %u)", st.index, st.num, max);
    pthread_rwlock_wrlock(&d->rw);
    bool running = q->started;
    if (!running)
        q->num = (uint16_t)st.num;
    pthread_rwlock_unlock(&d->rw);
    if (running)
        return REFUSE(m, "queue %u: SET_VRING_NUM while the ring runs", st.index);
    return VU_ACK_OK;
}

static enum vu_outcome set_vring_addr(struct dev *d, struct vu_msg *m)
{
    struct vu_addr a;
    memcpy(&a, m->payload, sizeof a);
    struct vq *q = vq_at(d, a.index);
    if (!q)
        return CLOSE(m, "SET_VRING_ADDR: queue %u does not exist", a.index);
    if (!ring_aligned(dev_has(d, VIRTIO_F_RING_PACKED), a.desc, a.avail, a.used))
        return REFUSE(m, "queue %u: ring areas are misaligned", a.index);
    pthread_rwlock_wrlock(&d->rw);
    bool running = q->started;
    /* A running ring takes its own addresses again with other flags: that
     * is how a front-end turns the used ring's logging on and off
     * (VHOST_VRING_F_LOG) during a migration. */
    bool same = a.desc == q->desc_uva && a.avail == q->driver_uva && a.used == q->device_uva;
    if (!running || same) {
        pthread_mutex_lock(&q->lock);
        q->desc_uva = a.desc;
        q->driver_uva = a.avail;
        q->device_uva = a.used;
        q->addr_flags = a.flags;
        q->log_addr = a.log;
        q->addr_set = true;
        apply_log(d, q);
        pthread_mutex_unlock(&q->lock);
    }
    pthread_rwlock_unlock(&d->rw);
    if (running && !same)
        return REFUSE(m, "queue %u: SET_VRING_ADDR while the ring runs", a.index);
    return VU_ACK_OK;
}

static enum vu_outcome set_vring_base(struct dev *d, struct vu_msg *m)
{
    struct vu_state st = state_of(m);
    struct vq *q = vq_at(d, st.index);
    if (!q)
        return CLOSE(m, "SET_VRING_BASE: queue %u does not exist", st.index);
    pthread_rwlock_wrlock(&d->rw);
    bool running = q->started;
    if (!running)
        q->base = st.num;
    pthread_rwlock_unlock(&d->rw);
    if (running)
        return REFUSE(m, "queue %u: SET_VRING_BASE while the ring runs", st.index);
    return VU_ACK_OK;
}

static enum vu_outcome get_vring_base(struct dev *d, struct vu_msg *m)
{
    struct vu_state st = state_of(m);
    struct vq *q = vq_at(d, st.index);
    if (!q)
        return CLOSE(m, "GET_VRING_BASE: queue %u does not exist", st.index);
    pthread_rwlock_wrlock(&d->rw);
    /* Every chain a burst took was given back (or put back) before its
     * worker let go of the queue's lock, so once the lock is ours nothing
     * is in flight: what the ring gave back is published (and logged)
     * here, and the base is both the next chain to take and the used
     * index, where the destination resumes. */
    bool was_running = q->started;
    stop_ring(q);
    rings_stopped(d, was_running); /* the source hands the guest over */
    uint32_t base = q->ring.last_avail;
    if (q->ring.packed)
        base = (uint32_t)(q->ring.last_avail | (q->ring.avail_wrap ? 0x8000u : 0)) |
               ((uint32_t)(q->ring.used_idx | (q->ring.used_wrap ? 0x8000u : 0)) << 16);
    q->base = base;
    pthread_rwlock_unlock(&d->rw);
    struct vu_state out = {st.index, base};
    if (!vu_send_reply(d, m->request, &out, sizeof out))
        return CLOSE(m, "GET_VRING_BASE: the front-end does not take its reply");
    return VU_REPLIED;
}

static enum vu_outcome set_vring_kick(struct dev *d, struct vu_msg *m)
{
    struct vq *q = vq_at(d, u64_of(m) & VU_VRING_IDX_MASK);
    if (!q)
        return CLOSE(m, "SET_VRING_KICK: queue %llu does not exist", (unsigned long long)(u64_of(m) & VU_VRING_IDX_MASK));
    int fd;
    if (!take_eventfd(m, &fd))
        return REFUSE(m, "queue %u: the kick fd is not an eventfd", q->index);
    if (fd < 0)
        return REFUSE(m, "queue %u: polling without a kick fd is not supported", q->index);
    pthread_rwlock_wrlock(&d->rw);
    stop_ring(q);
    pthread_mutex_lock(&q->lock);
    close_fd(&q->kick_fd); /* a superseded fd of a ring that never started */
    q->kick_fd = fd;
    pthread_mutex_unlock(&q->lock);
    try_start_ring(d, q);
    pthread_rwlock_unlock(&d->rw);
    return VU_ACK_OK;
}

static enum vu_outcome set_vring_call(struct dev *d, struct vu_msg *m)
{
    struct vq *q = vq_at(d, u64_of(m) & VU_VRING_IDX_MASK);
    if (!q)
        return CLOSE(m, "SET_VRING_CALL: queue %llu does not exist", (unsigned long long)(u64_of(m) & VU_VRING_IDX_MASK));
    int fd;
    if (!take_eventfd(m, &fd))
        return REFUSE(m, "queue %u: the call fd is not an eventfd", q->index);
    pthread_mutex_lock(&q->lock);
    close_fd(&q->call_fd);
    q->call_fd = fd;
    pthread_mutex_unlock(&q->lock);
    return VU_ACK_OK;
}

static enum vu_outcome set_vring_err(struct dev *d, struct vu_msg *m)
{
    struct vq *q = vq_at(d, u64_of(m) & VU_VRING_IDX_MASK);
    if (!q)
        return CLOSE(m, "SET_VRING_ERR: queue %llu does not exist", (unsigned long long)(u64_of(m) & VU_VRING_IDX_MASK));
    int fd;
    if (!take_eventfd(m, &fd))
        return REFUSE(m, "queue %u: the error fd is not an eventfd", q->index);
    /* The device reports errors through NEEDS_RESET; it keeps no error fd. */
    if (fd >= 0)
        close(fd);
    return VU_ACK_OK;
}

static enum vu_outcome set_vring_enable(struct dev *d, struct vu_msg *m)
{
    struct vu_state st = state_of(m);
    struct vq *q = vq_at(d, st.index);
    if (!q)
        return CLOSE(m, "SET_VRING_ENABLE: queue %u does not exist", st.index);
    pthread_mutex_lock(&q->lock);
    q->enabled = st.num != 0;
    CNT_SET(q->c->enabled, q->started && q->enabled);
    pthread_mutex_unlock(&q->lock);
    return VU_ACK_OK;
}

static enum vu_outcome net_set_mtu(struct dev *d, struct vu_msg *m)
{
    (void)d;
    uint64_t mtu = u64_of(m);
    return mtu >= MIN_MTU && mtu <= 65535 ? VU_ACK_OK : REFUSE(m, "NET_SET_MTU %llu refused", (unsigned long long)mtu);
}

static void fill_config(struct dev *d, uint8_t out[24])
{
    /* struct virtio_net_config (virtio 1.2, 5.1.4): mac, status,
     * max_virtqueue_pairs, mtu, speed, duplex, then RSS fields (zero). */
    memset(out, 0, 24);
    pthread_mutex_lock(&d->cfg);
    memcpy(out, d->mac, 6);
    memcpy(out + 6, &d->net_status, 2);
    memcpy(out + 8, &d->max_pairs, 2);
    memcpy(out + 10, &d->mtu, 2);
    memcpy(out + 12, &d->speed, 4);
    out[16] = DUPLEX_FULL;
    pthread_mutex_unlock(&d->cfg);
}

static enum vu_outcome get_config(struct dev *d, struct vu_msg *m)
{
    struct vu_config c;
    memset(&c, 0, sizeof c);
    memcpy(&c, m->payload, 12);
    uint8_t cfg[24];
    fill_config(d, cfg);
    for (uint32_t i = 0; i < c.size; i++)
        c.payload[i] = (c.offset + i < sizeof cfg) ? cfg[c.offset + i] : 0;
    if (!vu_send_reply(d, m->request, &c, 12 + c.size))
        return CLOSE(m, "GET_CONFIG: the front-end does not take its reply");
    return VU_REPLIED;
}

static enum vu_outcome set_config(struct dev *d, struct vu_msg *m)
{
    (void)d;
    /* Every virtio-net config field is read-only for the driver (5.1.4). */
    return REFUSE(m, "SET_CONFIG: the config space is read-only");
}

static enum vu_outcome set_status(struct dev *d, struct vu_msg *m)
{
    uint8_t s = (uint8_t)u64_of(m);
    d->status_from_driver = true;
    if (s == 0) {
        pthread_rwlock_wrlock(&d->rw);
        bool running = any_started(d);
        for (uint16_t i = 0; i < d->nq; i++)
            stop_ring(&d->vq[i]);
        rings_stopped(d, running);
        pthread_rwlock_unlock(&d->rw);
    }
    /* 3.1.1: FEATURES_OK only sticks when the acked features are offered. */
    uint64_t offered = offered_features(d);
    if ((s & VNET_STATUS_FEATURES_OK) && (dev_features(d) & ~offered))
        s &= (uint8_t)~VNET_STATUS_FEATURES_OK;
    /* NEEDS_RESET is the device's: only a reset (0) clears it. */
    if (s)
        s |= dev_status(d) & VNET_STATUS_NEEDS_RESET;
    dev_set_status(d, s);
    return VU_ACK_OK;
}

static enum vu_outcome get_status(struct dev *d, struct vu_msg *m) { return reply_u64(d, m, dev_status(d)); }

/*
 * SET_LOG_BASE with LOG_SHMFD: the log is mmap_size bytes at mmap_offset in
 * the message's fd, which must be a memory file that holds them. A bad one
 * closes the connection: the front-end waits for this request's reply and
 * reads no status in it, so a refusal it cannot see would let it migrate
 * with pages the device writes and never marks. A new log replaces the old
 * one while the rings run (QEMU grows it with the guest's memory).
 */
static enum vu_outcome set_log_base(struct dev *d, struct vu_msg *m)
{
    struct vu_log lg;
    memcpy(&lg, m->payload, sizeof lg);
    if (!(atomic_load(&d->protocol_features) & VU_PROTO_LOG_SHMFD))
        return CLOSE(m, "SET_LOG_BASE: VHOST_USER_PROTOCOL_F_LOG_SHMFD was not negotiated");
    struct dirty_log fresh;
    memset(&fresh, 0, sizeof fresh);
    fresh.fault_id = -1;
    char why[96];
    if (dirty_map(&fresh, m->fds[0], lg.mmap_size, lg.mmap_offset, &d->mem_faults, why, sizeof why))
        return CLOSE(m, "SET_LOG_BASE: %s", why);
    /* The mapping keeps the memory; the fd goes with the message. */
    struct dirty_log old;
    memset(&old, 0, sizeof old);
    pthread_rwlock_wrlock(&d->rw);
    bool was = log_on(d);
    dirty_move(&old, &d->log);
    dirty_move(&d->log, &fresh);
    apply_log_all(d);
    log_changed(d, was, any_started(d));
    pthread_rwlock_unlock(&d->rw);
    /* No worker can reach the old log once the write lock was ours. */
    dirty_unmap(&old);
    /* The front-end waits for a reply (vhost-user.rst, "Communication"). */
    return reply_u64(d, m, 0);
}

/*
 * SEND_RARP (after a migration, for a guest without GUEST_ANNOUNCE): a
 * RARP request for the guest's MAC (the first 6 bytes of the payload) goes
 * out of the device to its representor as if the guest had sent it, so
 * that the switches behind learn where the MAC is now: broadcast, from
 * the MAC, "who is" the MAC (RFC 903, the frame QEMU announces with).
 *
 * SET_LOG_FD is not handled (refused as unsupported): the device tells
 * the front-end nothing when it marks the log, the front-end reads the log
 * when it syncs, and QEMU never sends it to a vhost-user back-end.
 */
static enum vu_outcome send_rarp(struct dev *d, struct vu_msg *m)
{
    if (!(atomic_load(&d->protocol_features) & VU_PROTO_RARP))
        return REFUSE(m, "SEND_RARP: VHOST_USER_PROTOCOL_F_RARP was not negotiated");
    uint8_t mac[ETH_ALEN];
    memcpy(mac, m->payload, ETH_ALEN);
    static const uint8_t zero[ETH_ALEN];
    if ((mac[0] & 1u) || !memcmp(mac, zero, ETH_ALEN))
        return REFUSE(m, "SEND_RARP: %02x:%02x:%02x:%02x:%02x:%02x is not a unicast address", mac[0], mac[1], mac[2],
                      mac[3], mac[4], mac[5]);
    if (d->nq < 2)
        return REFUSE(m, "SEND_RARP: the device has no TX queue");
    uint8_t f[ETH_ZLEN]; /* the shortest frame; what follows the RARP is padding */
    memset(f, 0, sizeof f);
    struct ethhdr eh;
    memset(eh.h_dest, 0xff, ETH_ALEN);
    memcpy(eh.h_source, mac, ETH_ALEN);
    eh.h_proto = htons(ETH_P_RARP);
    memcpy(f, &eh, sizeof eh);
    uint8_t *a = f + ETH_HLEN;
    const uint16_t hw = htons(ARPHRD_ETHER), proto = htons(ETH_P_IP), op = htons(ARPOP_RREQUEST);
    memcpy(a, &hw, 2);
    memcpy(a + 2, &proto, 2);
    a[4] = ETH_ALEN;
    a[5] = 4; /* an IPv4 address, unknown: zero */
    memcpy(a + 6, &op, 2);
    memcpy(a + 8, mac, ETH_ALEN);  /* sender's hardware address */
    memcpy(a + 18, mac, ETH_ALEN); /* target's: the one asking about itself */
    pthread_rwlock_rdlock(&d->rw);
    struct vq *tx = &d->vq[1];
    pthread_mutex_lock(&tx->lock);
    backend_send(d, tx, f, sizeof f);
    pthread_mutex_unlock(&tx->lock);
    pthread_rwlock_unlock(&d->rw);
    atomic_fetch_add_explicit(&d->rarps, 1, memory_order_relaxed);
    return VU_ACK_OK;
}

typedef enum vu_outcome (*handler)(struct dev *, struct vu_msg *);

static const handler k_handlers[] = {
    [VU_GET_FEATURES] = get_features,
    [VU_SET_FEATURES] = set_features,
    [VU_SET_OWNER] = nothing,
    [VU_RESET_OWNER] = reset_owner,
    [VU_SET_MEM_TABLE] = set_mem_table,
    [VU_SET_LOG_BASE] = set_log_base,
    [VU_SET_VRING_NUM] = set_vring_num,
    [VU_SET_VRING_ADDR] = set_vring_addr,
    [VU_SET_VRING_BASE] = set_vring_base,
    [VU_GET_VRING_BASE] = get_vring_base,
    [VU_SET_VRING_KICK] = set_vring_kick,
    [VU_SET_VRING_CALL] = set_vring_call,
    [VU_SET_VRING_ERR] = set_vring_err,
    [VU_GET_PROTOCOL_FEATURES] = get_protocol_features,
    [VU_SET_PROTOCOL_FEATURES] = set_protocol_features,
    [VU_GET_QUEUE_NUM] = get_queue_num,
    [VU_SET_VRING_ENABLE] = set_vring_enable,
    [VU_SEND_RARP] = send_rarp,
    [VU_NET_SET_MTU] = net_set_mtu,
    [VU_GET_CONFIG] = get_config,
    [VU_SET_CONFIG] = set_config,
    [VU_SET_STATUS] = set_status,
    [VU_GET_STATUS] = get_status,
};

/* REPLY_ACK (vhost-user.rst): answer a request that asked for it. */
static bool ack(struct dev *d, const struct vu_msg *m, uint64_t status)
{
    if (!(m->flags & VU_FLAG_NEED_REPLY) || !(atomic_load(&d->protocol_features) & VU_PROTO_REPLY_ACK))
        return true;
    return vu_send_reply(d, m->request, &status, 8);
}

enum vu_outcome vu_dispatch(struct dev *d, struct vu_msg *m)
{
    m->why[0] = '\0';
    handler h = m->request < sizeof k_handlers / sizeof k_handlers[0] ? k_handlers[m->request] : NULL;
    enum vu_outcome o = h ? h(d, m) : REFUSE(m, "request %u (%s) is not supported", m->request, vu_request_name(m->request));
    /* Noted before the ack goes: a front-end that reads a refusal and
     * then asks the controller why finds the reason there. */
    if (o == VU_REFUSE || o == VU_CLOSE)
        dev_refused(d, "%s", m->why);
    if ((o == VU_ACK_OK || o == VU_REFUSE) && !ack(d, m, o == VU_REFUSE ? 1 : 0)) {
        bool counted = o == VU_REFUSE;
        o = CLOSE(m, "%s: the front-end does not take its reply", vu_request_name(m->request));
        if (counted)
            dev_note(d, "%s", m->why);
        else
            dev_refused(d, "%s", m->why);
    }
    return o;
}
