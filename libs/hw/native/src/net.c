/*
 * net.c - the virtio-net data path (virtio 1.2, 5.1.6) on the device side.
 * TX queues (2k+1) carry frames from the driver to the SF representor side
 * (echo, TAP, sink); RX queues (2k) carry frames back; the control queue,
 * when the front-end hands it over, answers commands. Every packet is
 * counted per queue.
 *
 * A queue is kick-driven: its worker sleeps until the driver kicks, then
 * polls the ring with kicks suppressed for a short window before sleeping
 * again (the same trade-off as vhost-net's busy polling), so an idle queue
 * costs nothing and a busy one costs no syscall per packet.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define F_MRG_RXBUF (1ull << 15)
#define BURST 64
#define BUDGET_NS 500000ull      /* then give the worker to other queues */
#define MIN_PERIOD_US 50u        /* moderation by count alone still flushes after this */
#define MAX_FRAME 65536u
#define MRG_MAX_CHAINS 64

#define CTRL_RX 0
#define CTRL_MAC 1
#define CTRL_VLAN 2
#define CTRL_ANNOUNCE 3
#define CTRL_MQ 4
#define CTRL_OK 0
#define CTRL_ERR 1

enum qtype { Q_RX, Q_TX, Q_CTRL };

static __thread uint8_t bounce[MAX_FRAME + 64];

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static enum qtype qtype(const struct dev *d, uint16_t i)
{
    if ((d->nq & 1) && i == d->nq - 1)
        return Q_CTRL;
    return (i & 1) ? Q_TX : Q_RX;
}

static void count_packet(vnet_queue_counters *c, size_t len)
{
    static const size_t limits[VNET_HIST_BUCKETS - 1] = {64, 127, 255, 511, 1023, 1522, 2047};
    int b = 0;
    while (b < VNET_HIST_BUCKETS - 1 && len > limits[b])
        b++;
    c->hist[b]++;
    c->packets++;
    c->total_bytes += len;
}

/* ---- notifications and interrupt moderation (caller holds q->lock) ---- */

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
        if (write(q->call_fd, &one, sizeof one) == sizeof one)
            q->c.calls++;
    }
    q->uncalled = 0;
    disarm_timer(q);
}

static void arm_timer(struct vq *q, uint32_t us)
{
    if (q->timer_fd < 0) {
        q->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (q->timer_fd < 0 || q->worker < 0 ||
            engine_watch(&q->dev->dpu->w[q->worker], q->timer_fd, &q->timer_src, EPOLLIN)) {
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

/*
 * Makes `n` new used buffers visible and notifies the driver, batched as
 * `virtnet modify ... queue -e MODE -n PERIOD -c COUNT` asks: a call when
 * COUNT completions are pending, or PERIOD us after the first pending one
 * (event mode) or after the latest (cqe mode). Without moderation every
 * burst is notified.
 */
static void completed(struct vq *q, uint32_t n)
{
    if (!n)
        return;
    ring_publish(&q->ring);
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

void net_timer(struct vq *q)
{
    struct dev *d = q->dev;
    pthread_rwlock_rdlock(&d->rw);
    pthread_mutex_lock(&q->lock);
    uint64_t v;
    if (q->timer_fd >= 0 && read(q->timer_fd, &v, sizeof v) == sizeof v && q->started)
        call(q);
    pthread_mutex_unlock(&q->lock);
    pthread_rwlock_unlock(&d->rw);
}

void net_stop_queue(struct vq *q)
{
    call(q);
    disarm_timer(q);
}

/* The driver made the ring unusable (a head outside it): stop the queue and
 * ask for a reset, as virtio 1.2, 2.1.2 lets a device do. */
static void mark_broken(struct dev *d, struct vq *q)
{
    q->broken = true;
    q->c.broken = 1;
    q->c.bad_desc_errors++;
    __atomic_or_fetch(&d->status, VNET_STATUS_NEEDS_RESET, __ATOMIC_RELEASE);
}

/*
 * Takes the next chain of a queue the device consumes (TX, control) and
 * counts its descriptors. Returns the ring_take result, with RING_E_HEAD
 * already turned into a broken queue; RING_EMPTY and RING_E_HEAD end a burst.
 */
static int take(struct dev *d, struct vq *q, struct chain *c)
{
    int r = ring_take(&q->ring, &d->mem, c);
    if (r == RING_E_HEAD)
        mark_broken(d, q);
    else if (r != RING_EMPTY) {
        q->c.received_desc += c->ndesc;
        q->c.completed_desc += c->ndesc;
    }
    return r;
}

/* ---- copying between iovecs ---- */

struct cursor {
    const struct iovec *iov;
    int n;
    int i;
    size_t off;
};

static void cursor_skip(struct cursor *c, size_t len)
{
    while (len && c->i < c->n) {
        size_t left = c->iov[c->i].iov_len - c->off;
        size_t step = len < left ? len : left;
        c->off += step;
        len -= step;
        if (c->off == c->iov[c->i].iov_len) {
            c->i++;
            c->off = 0;
        }
    }
}

/* Copies up to len bytes from the cursor to dst; returns how many. */
static size_t cursor_read(struct cursor *c, uint8_t *dst, size_t len)
{
    size_t done = 0;
    while (done < len && c->i < c->n) {
        size_t left = c->iov[c->i].iov_len - c->off;
        size_t step = len - done < left ? len - done : left;
        memcpy(dst + done, (const uint8_t *)c->iov[c->i].iov_base + c->off, step);
        done += step;
        cursor_skip(c, step);
    }
    return done;
}

/* ---- RX: one frame into the driver's receive buffers ---- */

/*
 * Writes hdr (d->hdr_len bytes) and `len` bytes of frame into the RX queue,
 * across several chains with VIRTIO_NET_F_MRG_RXBUF (num_buffers set in the
 * header), or into one chain without it. Returns 0, or -1 when the driver
 * has not posted room for it (the ring is left as it was; the frame is
 * counted as dropped). Caller holds rx->lock and has the ring started.
 */
static int rx_put(struct dev *d, struct vq *rx, const uint8_t *hdr, const uint8_t *frame, size_t len)
{
    bool mrg = d->features & F_MRG_RXBUF;
    size_t total = d->hdr_len + len;
    struct ring saved = rx->ring;
    struct {
        uint16_t id, ndesc;
        uint32_t written;
    } used[MRG_MAX_CHAINS];
    int nused = 0;
    uint8_t *nbuf_at[2] = {NULL, NULL}; /* where num_buffers lives (may straddle two segments) */
    size_t pos = 0;
    uint64_t descs = 0;

    while (pos < total) {
        struct chain c;
        int r = ring_take(&rx->ring, &d->mem, &c);
        if (r == RING_EMPTY || nused == MRG_MAX_CHAINS)
            goto no_room;
        if (r == RING_E_HEAD) {
            mark_broken(d, rx);
            goto no_room;
        }
        if (r < 0 || c.nout) {
            /* A receive chain the device cannot write into: give it back empty. */
            if (r == RING_E_ADDR)
                rx->c.invalid_buffer++;
            else if (r == RING_E_CHAIN)
                rx->c.exceed_max_chain++;
            else
                rx->c.bad_desc_errors++;
            rx->c.received_desc += c.ndesc;
            rx->c.completed_desc += c.ndesc;
            ring_give(&rx->ring, &c, 0);
            saved = rx->ring; /* that chain is spent whatever happens next */
            continue;
        }
        if (!mrg && c.in_len < total) {
            /* Without mergeable buffers one chain must hold it all (5.1.6.3.1). */
            ring_give(&rx->ring, &c, 0);
            rx->c.received_desc += c.ndesc;
            rx->c.completed_desc += c.ndesc;
            rx->c.invalid_buffer++;
            rx->c.dropped++;
            return 0;
        }
        uint32_t written = 0;
        if (pos == 0 && c.iov[c.nout].iov_len >= total) {
            /* The common case: header and frame fit the first buffer. */
            uint8_t *dst = c.iov[c.nout].iov_base;
            memcpy(dst, hdr, d->hdr_len);
            memcpy(dst + d->hdr_len, frame, len);
            nbuf_at[0] = dst + 10;
            nbuf_at[1] = dst + 11;
            pos = total;
            written = (uint32_t)total;
        }
        for (int s = c.nout; s < c.nout + c.nin && pos < total; s++) {
            uint8_t *dst = c.iov[s].iov_base;
            size_t room = c.iov[s].iov_len;
            while (room && pos < total) {
                if (pos < d->hdr_len) {
                    if (pos == 10 && !nbuf_at[0])
                        nbuf_at[0] = dst;
                    if (pos == 11)
                        nbuf_at[1] = dst;
                    *dst++ = hdr[pos++];
                    room--;
                    written++;
                    continue;
                }
                size_t step = total - pos < room ? total - pos : room;
                memcpy(dst, frame + (pos - d->hdr_len), step);
                dst += step;
                room -= step;
                pos += step;
                written += (uint32_t)step;
            }
        }
        used[nused].id = c.id;
        used[nused].ndesc = c.ndesc;
        used[nused].written = written;
        nused++;
        descs += c.ndesc;
    }
    if (mrg && nbuf_at[0] && nbuf_at[1]) {
        *nbuf_at[0] = (uint8_t)(nused & 0xff);
        *nbuf_at[1] = (uint8_t)(nused >> 8);
    }
    for (int i = 0; i < nused; i++) {
        struct chain c;
        c.id = used[i].id;
        c.ndesc = used[i].ndesc;
        ring_give(&rx->ring, &c, used[i].written);
    }
    rx->c.received_desc += descs;
    rx->c.completed_desc += descs;
    count_packet(&rx->c, len);
    return 0;

no_room:
    /* Put back the chains taken for this frame: the driver sees nothing. */
    rx->ring.last_avail = saved.last_avail;
    rx->ring.avail_wrap = saved.avail_wrap;
    rx->c.dropped++;
    return -1;
}

static bool rx_ready(const struct vq *rx)
{
    return rx->started && rx->enabled && !rx->broken;
}

/* ---- TX ---- */

static void tap_sync_hdr(struct dev *d);

/* Takes up to BURST chains off a TX queue and hands the frames to the
 * backend. Caller holds q->lock. Returns the number of chains. */
static unsigned tx_burst(struct dev *d, struct vq *q)
{
    struct vq *rx = NULL;
    unsigned done = 0, echoed = 0;
    if (d->backend == VNET_BACKEND_ECHO && q->enabled) {
        rx = &d->vq[q->index - 1];
        pthread_mutex_lock(&rx->lock);
        if (!rx_ready(rx)) {
            pthread_mutex_unlock(&rx->lock);
            rx = NULL;
        }
    }
    if (d->backend == VNET_BACKEND_TAP)
        tap_sync_hdr(d);
    while (done < BURST) {
        struct chain c;
        int r = take(d, q, &c);
        if (r == RING_EMPTY || r == RING_E_HEAD)
            break;
        done++;
        if (r < 0 || c.nin || c.out_len < d->hdr_len || c.out_len - d->hdr_len > MAX_FRAME) {
            if (r == RING_E_ADDR || (r >= 0 && !c.nin))
                q->c.invalid_buffer++;
            else if (r == RING_E_CHAIN)
                q->c.exceed_max_chain++;
            else
                q->c.bad_desc_errors++; /* including device-writable TX buffers (5.1.6.2) */
            q->c.dropped++;
            ring_give(&q->ring, &c, 0);
            continue;
        }
        size_t len = c.out_len - d->hdr_len;
        count_packet(&q->c, len);
        if (!q->enabled) {
            /* started but disabled: process and discard (vhost-user.rst) */
        } else if (d->backend == VNET_BACKEND_TAP && d->tap_fd >= 0) {
            if (writev(d->tap_fd, c.iov, c.nout) < 0) {
                q->c.error_cqes++;
                q->c.dropped++;
            }
        } else if (rx) {
            struct cursor cur = {c.iov, c.nout, 0, 0};
            uint8_t hdr[12];
            memset(hdr, 0, sizeof hdr);
            cursor_skip(&cur, d->hdr_len);
            size_t got = cursor_read(&cur, bounce, len);
            if (rx_put(d, rx, hdr, bounce, got) == 0)
                echoed++;
        }
        ring_give(&q->ring, &c, 0);
    }
    if (rx) {
        completed(rx, echoed);
        pthread_mutex_unlock(&rx->lock);
    }
    completed(q, done);
    return done;
}

/* ---- the control virtqueue (5.1.6.5), when the front-end hands it over ---- */

static uint8_t ctrl_command(struct dev *d, const uint8_t *cmd, size_t len)
{
    if (len < 2)
        return CTRL_ERR;
    uint8_t cls = cmd[0], op = cmd[1];
    const uint8_t *data = cmd + 2;
    size_t dlen = len - 2;
    switch (cls) {
    case CTRL_RX:
        return op <= 5 && dlen >= 1 ? CTRL_OK : CTRL_ERR;
    case CTRL_MAC:
        if (op == 1 && dlen == 6) /* MAC_ADDR_SET */
            return CTRL_OK;
        return op == 0 ? CTRL_OK : CTRL_ERR; /* MAC_TABLE_SET */
    case CTRL_VLAN:
        return op <= 1 && dlen == 2 ? CTRL_OK : CTRL_ERR;
    case CTRL_ANNOUNCE:
        return op == 0 ? CTRL_OK : CTRL_ERR;
    case CTRL_MQ:
        if (op == 0 && dlen == 2) { /* VQ_PAIRS_SET */
            uint16_t pairs = (uint16_t)(data[0] | (data[1] << 8));
            return pairs >= 1 && pairs <= d->max_pairs ? CTRL_OK : CTRL_ERR;
        }
        return CTRL_ERR;
    default:
        return CTRL_ERR;
    }
}

static unsigned ctrl_burst(struct dev *d, struct vq *q)
{
    unsigned done = 0;
    while (done < BURST) {
        struct chain c;
        int r = take(d, q, &c);
        if (r == RING_EMPTY || r == RING_E_HEAD)
            break;
        done++;
        if (r < 0 || !c.nout || !c.nin) {
            q->c.bad_desc_errors++;
            ring_give(&q->ring, &c, 0);
            continue;
        }
        uint8_t cmd[256];
        struct cursor cur = {c.iov, c.nout, 0, 0};
        size_t len = cursor_read(&cur, cmd, sizeof cmd);
        uint8_t ack = ctrl_command(d, cmd, len);
        *(uint8_t *)c.iov[c.nout].iov_base = ack;
        q->c.packets++;
        q->c.total_bytes += len;
        ring_give(&q->ring, &c, 1);
    }
    completed(q, done);
    return done;
}

/* ---- the generator and the TAP (fill RX) ---- */

static size_t gen_frame(struct dev *d, uint8_t *f)
{
    size_t len = d->gen_size < 60 ? 60 : d->gen_size > 9000 ? 9000 : d->gen_size;
    memset(f, 0, len);
    memcpy(f, d->mac, 6);                                /* to the driver's MAC */
    memcpy(f + 6, (const uint8_t[]){0x02, 0x56, 0x4e, 0x47, 0x45, 0x4e}, 6);
    f[12] = 0x08;                                        /* IPv4 */
    f[14] = 0x45;
    uint16_t ip_len = (uint16_t)(len - 14);
    f[16] = (uint8_t)(ip_len >> 8);
    f[17] = (uint8_t)ip_len;
    f[22] = 64;
    f[23] = 17;                                          /* UDP */
    memcpy(f + 26, (const uint8_t[]){198, 18, 0, 1, 198, 18, 0, 2}, 8);
    uint32_t sum = 0;
    for (int i = 14; i < 34; i += 2)
        sum += (uint32_t)(f[i] << 8 | f[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    f[24] = (uint8_t)(~sum >> 8);
    f[25] = (uint8_t)~sum;
    uint16_t udp_len = (uint16_t)(len - 34);
    f[34] = 0x13, f[35] = 0x88, f[36] = 0x13, f[37] = 0x89; /* ports 5000 -> 5001 */
    f[38] = (uint8_t)(udp_len >> 8);
    f[39] = (uint8_t)udp_len;
    memcpy(f + 42, &d->gen_seq, sizeof d->gen_seq);
    return len;
}

static unsigned gen_burst(struct dev *d, struct vq *rx)
{
    unsigned done = 0;
    uint8_t hdr[12];
    memset(hdr, 0, sizeof hdr);
    /* The frame is built once per burst; only its sequence number changes. */
    size_t len = gen_frame(d, bounce);
    while (done < BURST && rx_ready(rx)) {
        memcpy(bounce + 42, &d->gen_seq, sizeof d->gen_seq);
        if (rx_put(d, rx, hdr, bounce, len)) {
            rx->c.dropped--; /* the generator only offers what fits */
            break;
        }
        d->gen_seq++;
        done++;
    }
    completed(rx, done);
    return done;
}

static void tap_sync_hdr(struct dev *d)
{
    static __thread int last_fd = -1;
    static __thread uint32_t last_len = 0;
    if (d->tap_fd < 0 || (last_fd == d->tap_fd && last_len == d->hdr_len))
        return;
    int sz = (int)d->hdr_len;
    ioctl(d->tap_fd, TUNSETVNETHDRSZ, &sz);
    last_fd = d->tap_fd;
    last_len = d->hdr_len;
}

/* Moves frames from the TAP into RX queue 0 while the driver has room;
 * without room, stops reading (the kernel queues or drops) until the
 * driver posts buffers and kicks. Caller holds d->rw. */
static unsigned tap_to_rx(struct dev *d)
{
    struct vq *rx = &d->vq[0];
    unsigned done = 0;
    pthread_mutex_lock(&rx->lock);
    tap_sync_hdr(d);
    while (done < BURST && d->tap_fd >= 0) {
        if (!rx_ready(rx) || !ring_has_avail(&rx->ring)) {
            if (d->tap_armed && engine_modify(&d->dpu->w[0], d->tap_fd, &d->tap_src, 0) == 0)
                d->tap_armed = false;
            break;
        }
        ssize_t n = read(d->tap_fd, bounce, sizeof bounce);
        if (n <= (ssize_t)d->hdr_len)
            break;
        if (rx_put(d, rx, bounce, bounce + d->hdr_len, (size_t)n - d->hdr_len) == 0)
            done++;
    }
    completed(rx, done);
    pthread_mutex_unlock(&rx->lock);
    return done;
}

void net_tap_readable(struct dev *d)
{
    pthread_rwlock_rdlock(&d->rw);
    tap_to_rx(d);
    pthread_rwlock_unlock(&d->rw);
}

/* ---- kicks ---- */

static unsigned burst(struct dev *d, struct vq *q, enum qtype t)
{
    switch (t) {
    case Q_TX:
        return tx_burst(d, q);
    case Q_CTRL:
        return ctrl_burst(d, q);
    case Q_RX:
        if (d->backend == VNET_BACKEND_GEN)
            return gen_burst(d, q);
        return 0;
    }
    return 0;
}

void net_kick(struct vq *q)
{
    struct dev *d = q->dev;
    enum qtype t = qtype(d, q->index);
    pthread_rwlock_rdlock(&d->rw);
    pthread_mutex_lock(&q->lock);
    uint64_t v;
    if (q->kick_fd >= 0 && read(q->kick_fd, &v, sizeof v) == sizeof v) {
        uint64_t own = v < q->nudges ? v : q->nudges;
        q->c.kicks += v - own;
        q->nudges = 0;
    }
    if (!q->started || q->broken) {
        pthread_mutex_unlock(&q->lock);
        pthread_rwlock_unlock(&d->rw);
        return;
    }
    if (t == Q_RX && d->backend == VNET_BACKEND_TAP) {
        /* The driver posted receive buffers: read the TAP again. */
        pthread_mutex_unlock(&q->lock);
        if (!d->tap_armed && d->tap_fd >= 0 && engine_modify(&d->dpu->w[0], d->tap_fd, &d->tap_src, EPOLLIN) == 0)
            d->tap_armed = true;
        tap_to_rx(d);
        pthread_rwlock_unlock(&d->rw);
        return;
    }
    if (t == Q_RX && d->backend != VNET_BACKEND_GEN) {
        pthread_mutex_unlock(&q->lock);
        pthread_rwlock_unlock(&d->rw);
        return;
    }
    uint64_t start = now_ns(), idle_since = 0;
    const uint64_t idle_poll = atomic_load_explicit(&d->dpu->idle_poll_ns, memory_order_relaxed);
    ring_set_kick_wanted(&q->ring, false);
    for (;;) {
        unsigned n = burst(d, q, t);
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
            if (ring_has_avail(&q->ring)) {
                uint64_t one = 1;
                if (write(q->kick_fd, &one, sizeof one) == sizeof one)
                    q->nudges++; /* our own nudge is not the driver's kick */
            }
            break;
        }
    }
    if (q->broken)
        ring_set_kick_wanted(&q->ring, true);
    pthread_mutex_unlock(&q->lock);
    pthread_rwlock_unlock(&d->rw);
}

/* ---- backends ---- */

/* The representor outlives the controller (it is a persistent TAP, as an
 * SF's netdev outlives the real controller): a restarted controller
 * attaches to it again, keeping its addresses and bridge membership. Its
 * alias names the device and its socket, so an operator (and a sweep of
 * leftovers) can tell whose it is. */
static void tap_set_alias(const char *name, const struct dev *d)
{
    char path[64 + IFNAMSIZ];
    snprintf(path, sizeof path, "/sys/class/net/%s/ifalias", name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char alias[256];
    int n = snprintf(alias, sizeof alias, "virtnet %s", d->path);
    if (n > 0 && write(fd, alias, (size_t)n < sizeof alias ? (size_t)n : sizeof alias - 1) < 0) {
        /* cosmetic: the representor works without its alias */
    }
    close(fd);
}

/* Creates the TAP netdev `name`, or attaches to it when it exists (a
 * persistent one a previous controller left). An fd, or -errno. */
static int attach_tap(const char *name, int flags)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | flags);
    if (fd < 0)
        return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

static int open_tap(struct dev *d, const char *name)
{
    int fd = attach_tap(name, O_NONBLOCK);
    if (fd < 0)
        return fd;
    int sz = (int)d->hdr_len;
    ioctl(fd, TUNSETVNETHDRSZ, &sz);
    if (ioctl(fd, TUNSETPERSIST, 1) < 0) {
        /* still usable, only not kept across a controller restart */
    }
    tap_set_alias(name, d);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s >= 0) {
        struct ifreq r;
        memset(&r, 0, sizeof r);
        snprintf(r.ifr_name, IFNAMSIZ, "%s", name);
        r.ifr_mtu = d->mtu;
        ioctl(s, SIOCSIFMTU, &r);
        if (ioctl(s, SIOCGIFFLAGS, &r) == 0) {
            r.ifr_flags |= IFF_UP;
            ioctl(s, SIOCSIFFLAGS, &r);
        }
        if (ioctl(s, SIOCGIFINDEX, &r) == 0)
            d->tap_ifindex = r.ifr_ifindex;
        close(s);
    }
    return fd;
}

static void close_tap(struct dev *d, bool release)
{
    if (d->tap_fd < 0)
        return;
    engine_unwatch(&d->dpu->w[0], d->tap_fd);
    if (!release && ioctl(d->tap_fd, TUNSETPERSIST, 0) < 0) {
        /* the last close removes it anyway unless someone else made it persistent */
    }
    close(d->tap_fd);
    d->tap_fd = -1;
    d->tap_ifindex = -1;
    d->tap_armed = false;
}

/* Called with no data-path activity possible on d (d->rw held for writing,
 * or the device not yet open). */
int net_set_backend(struct dev *d, uint8_t mode, uint16_t gen_size, const char *sf_rep)
{
    if (mode > VNET_BACKEND_AUTO)
        return -EINVAL;
    d->gen_size = gen_size;
    if (mode == VNET_BACKEND_TAP || mode == VNET_BACKEND_AUTO) {
        if (d->tap_fd < 0) {
            int fd = open_tap(d, sf_rep);
            if (fd < 0) {
                if (mode == VNET_BACKEND_TAP) {
                    dev_note(d, "TAP %s: %s", sf_rep, strerror(-fd));
                    return fd;
                }
                dev_note(d, "echo: no TAP %s (%s)", sf_rep, strerror(-fd));
                d->backend = VNET_BACKEND_ECHO;
                return 0;
            }
            d->tap_fd = fd;
            d->tap_armed = engine_watch(&d->dpu->w[0], fd, &d->tap_src, EPOLLIN) == 0;
        }
        d->backend = VNET_BACKEND_TAP;
        dev_note(d, "TAP %s", sf_rep);
        return 0;
    }
    close_tap(d, false);
    d->backend = mode;
    static const char *names[] = {"echo", "tap", "sink", "generator"};
    dev_note(d, "%s", names[mode]);
    return 0;
}

int net_remove_tap(const char *name)
{
    int fd = attach_tap(name, 0);
    if (fd < 0)
        return fd;
    int rc = ioctl(fd, TUNSETPERSIST, 0) < 0 ? -errno : 0;
    close(fd); /* the last close of a TAP that is not persistent removes it */
    return rc;
}

void net_close_backend(struct dev *d, bool release)
{
    close_tap(d, release);
}
