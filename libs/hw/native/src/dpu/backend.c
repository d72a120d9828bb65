#include "backend.h"
#include "copy.h"
#include "notify.h"
#include "netdev.h"
#include "rx.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define BURST 64
#define MAX_FRAME 65536u
#define FRAME_PREFETCH 4 /* TX frames asked for ahead of the one copied */
#define GEN_SEQ_AT 42 /* the UDP payload: a sequence number per frame */

static __thread uint8_t bounce[MAX_FRAME + 64];

/* The TAP is served by the data-path worker 0: frames it delivers go to RX
 * queue 0 under that queue's lock, whichever worker owns the queue. */
static struct worker *tap_worker(struct dev *d) { return engine_worker(d->env->eng, 0); }

#define REP_ALIAS "virtnet "

/* The alias a representor carries: the owner's tag (its socket path), by
 * which a DPU knows its own TAPs from another's (netdev.h). */
static void tap_alias(const struct dev *d, char *out, size_t n) { snprintf(out, n, REP_ALIAS "%s", d->path); }

/* A netdev of that name that is not this DPU's: another DPU's TAP (its
 * alias names another socket directory) or anything without our tag. */
static bool taken_by_other(const struct dev *d)
{
    char alias[256];
    if (link_get_alias(d->sf_rep, alias, sizeof alias) == -ENODEV)
        return false;
    char mine[SOCK_PATH_MAX + 16];
    int n = snprintf(mine, sizeof mine, REP_ALIAS "%s/", d->env->sock_dir);
    return strncmp(alias, mine, (size_t)n) != 0;
}

/* Creates the TAP netdev `name`, or attaches to it when it exists (a
 * persistent one a previous DPU left). An fd, or -errno. */
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

/* The representor's MTU is the device's (socket s of the TAP's namespace); r names the TAP after. */
static void set_tap_mtu(int s, struct dev *d, struct ifreq *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->ifr_name, IFNAMSIZ, "%s", d->sf_rep);
    pthread_mutex_lock(&d->cfg);
    r->ifr_mtu = d->mtu;
    pthread_mutex_unlock(&d->cfg);
    ioctl(s, SIOCSIFMTU, r);
}

static int open_tap_here(struct dev *d)
{
    if (taken_by_other(d))
        return -EADDRINUSE;
    int fd = attach_tap(d->sf_rep, O_NONBLOCK);
    if (fd < 0)
        return fd;
    int sz = (int)d->hdr_len;
    ioctl(fd, TUNSETVNETHDRSZ, &sz);
    if (ioctl(fd, TUNSETPERSIST, 1) < 0) {
        /* still usable, only not kept across a DPU restart */
    }
    char alias[SOCK_PATH_MAX + 16];
    tap_alias(d, alias, sizeof alias);
    if (link_set_alias(d->sf_rep, alias) < 0) {
        /* works without it; only a sweep would not know it as ours */
    }
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s >= 0) {
        struct ifreq r;
        set_tap_mtu(s, d, &r);
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

/* The TAP is made in the DPU's namespace: netdevs stay where they were born. */
static int open_tap(struct dev *d)
{
    struct ns_guard g;
    int e = ns_enter(d->env->netns_fd, &g);
    if (e < 0)
        return e;
    int fd = open_tap_here(d);
    ns_leave(&g);
    return fd;
}

static void close_tap(struct dev *d, bool keep)
{
    if (d->tap_fd < 0)
        return;
    struct worker *w = tap_worker(d);
    if (w)
        engine_unwatch(w, d->tap_fd);
    if (!keep && ioctl(d->tap_fd, TUNSETPERSIST, 0) < 0) {
        /* the last close removes it anyway unless someone else made it persistent */
    }
    close(d->tap_fd);
    d->tap_fd = -1;
    d->tap_ifindex = -1;
    d->tap_armed = false;
}

int backend_set(struct dev *d, uint8_t mode, uint16_t gen_size)
{
    if (mode > VNET_BACKEND_AUTO)
        return -EINVAL;
    d->gen_size = gen_size;
    if (mode == VNET_BACKEND_TAP || mode == VNET_BACKEND_AUTO) {
        if (d->tap_fd < 0) {
            int fd = open_tap(d);
            if (fd < 0) {
                const char *why = fd == -EADDRINUSE ? "the name is another netdev's" : strerror(-fd);
                if (mode == VNET_BACKEND_TAP) {
                    dev_note(d, "TAP %s: %s", d->sf_rep, why);
                    return fd;
                }
                dev_note(d, "echo: no TAP %s (%s)", d->sf_rep, why);
                d->backend = VNET_BACKEND_ECHO;
                return 0;
            }
            d->tap_fd = fd;
            d->tap_armed = engine_watch(tap_worker(d), fd, &d->tap_src, EPOLLIN) == 0;
        }
        d->backend = VNET_BACKEND_TAP;
        dev_note(d, "TAP %s", d->sf_rep);
        return 0;
    }
    close_tap(d, false);
    d->backend = mode;
    static const char *names[] = {"echo", "tap", "sink", "generator"};
    dev_note(d, "%s", names[mode]);
    return 0;
}

void backend_close(struct dev *d, bool keep) { close_tap(d, keep); }

int backend_remove_tap(const char *name)
{
    /* The caller is in the representors' namespace (dpu_sweep). */
    int fd = attach_tap(name, 0);
    if (fd < 0)
        return fd;
    int rc = ioctl(fd, TUNSETPERSIST, 0) < 0 ? -errno : 0;
    close(fd); /* the last close of a TAP that is not persistent removes it */
    return rc;
}

void backend_tap_sync_hdr(struct dev *d)
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

static _Atomic bool ceiling;

void backend_set_ceiling(bool on) { atomic_store_explicit(&ceiling, on, memory_order_relaxed); }

static bool at_ceiling(void) { return atomic_load_explicit(&ceiling, memory_order_relaxed); }

/* Copies a TX frame's bytes after the virtio-net header to dst. */
static inline size_t frame_copy(uint8_t *dst, const struct tx_frame *f, size_t skip)
{
    if (f->iov[0].iov_len == skip + f->len) {
        /* header and frame in one buffer, as most drivers send them */
        mem_copy(dst, (const uint8_t *)f->iov[0].iov_base + skip, f->len);
        return f->len;
    }
    size_t done = 0;
    for (unsigned s = 0; s < f->niov; s++) {
        const uint8_t *p = f->iov[s].iov_base;
        size_t l = f->iov[s].iov_len;
        if (skip >= l) {
            skip -= l;
            continue;
        }
        p += skip;
        l -= skip;
        skip = 0;
        mem_copy(dst + done, p, l);
        done += l;
    }
    return done;
}

static unsigned tap_to_rx(struct dev *d);

/* Asks for the first line of frame i's bytes ahead of copying it, so that
 * the lines of a burst travel from the driver's core together. */
static void prefetch_frame(const struct tx_frame *f, unsigned i, unsigned n, size_t hdr_len)
{
    if (i < n)
        __builtin_prefetch((const uint8_t *)f[i].iov[0].iov_base + (f[i].iov[0].iov_len > hdr_len ? hdr_len : 0));
}

/* Frames to the pair's RX queue, through the bounce buffer: as many at a
 * time as it holds, each behind a zero virtio-net header. */
static void echo_tx(struct dev *d, struct vq *q, const struct tx_frame *f, unsigned n)
{
    struct vq *rx = &d->vq[q->index - 1];
    pthread_mutex_lock(&rx->lock);
    if (!rx_ready(rx)) {
        pthread_mutex_unlock(&rx->lock);
        return;
    }
    struct rx_frame rf[RING_BURST];
    unsigned k = 0, given = 0;
    uint64_t dropped = 0;
    size_t at = 0;
    for (unsigned i = 0; i <= n; i++) {
        size_t need = i < n ? d->hdr_len + f[i].len : 0;
        if (k && (i == n || at + need > sizeof bounce)) {
            unsigned g = 0, put = rx_put_burst(d, rx, rf, k, &g);
            dropped += k - put;
            given += g;
            k = 0;
            at = 0;
        }
        if (i == n)
            break;
        prefetch_frame(f, i + FRAME_PREFETCH, n, d->hdr_len);
        memset(bounce + at, 0, d->hdr_len);
        frame_copy(bounce + at + d->hdr_len, &f[i], d->hdr_len);
        rf[k++] = (struct rx_frame){bounce + at, f[i].len, 0, 0};
        at += need;
    }
    if (dropped)
        CNT_ADD(rx->c->dropped, dropped);
    notify_completed(rx, given);
    CNT_SET(rx->c->hw_available_index, rx->ring.last_avail);
    pthread_mutex_unlock(&rx->lock);
}

void backend_tx(struct dev *d, struct vq *q, const struct tx_frame *f, unsigned n)
{
    switch (d->backend) {
    case VNET_BACKEND_TAP:
        if (d->tap_fd < 0)
            return;
        backend_tap_sync_hdr(d);
        for (unsigned i = 0; i < n; i++) {
            if (writev(d->tap_fd, f[i].iov, f[i].niov) < 0) {
                CNT_ADD(q->c->error_cqes, 1);
                CNT_ADD(q->c->dropped, 1);
            }
        }
        /* What the netdev has for the driver goes in between bursts too: a
         * worker kept busy by a sending driver would otherwise leave the
         * TAP unread until its budget runs out, and the kernel drops what
         * it cannot queue. The TAP feeds RX queue 0, this queue's pair. */
        if (q->index == 1)
            tap_to_rx(d);
        return;
    case VNET_BACKEND_ECHO:
        echo_tx(d, q, f, n);
        return;
    default:
        /* Out of the driver's memory as a representor takes it, then
         * dropped: every byte is read, as a receiving side would. */
        if (at_ceiling())
            return;
        for (unsigned i = 0; i < FRAME_PREFETCH; i++)
            prefetch_frame(f, i, n, d->hdr_len);
        for (unsigned i = 0; i < n; i++) {
            prefetch_frame(f, i + FRAME_PREFETCH, n, d->hdr_len);
            frame_copy(bounce, &f[i], d->hdr_len);
        }
        return;
    }
}

void backend_send(struct dev *d, struct vq *q, const uint8_t *frame, uint32_t len)
{
    static const uint8_t no_offload[RX_HDR_MAX]; /* a virtio-net header asking for nothing */
    const struct iovec iov[2] = {{(void *)no_offload, d->hdr_len}, {(void *)frame, len}};
    const struct tx_frame f = {iov, 2, len};
    backend_tx(d, q, &f, 1);
}

static ssize_t tap_readv(void *ctx, const struct iovec *iov, int n)
{
    const struct dev *d = ctx;
    return readv(d->tap_fd, iov, n);
}

/* Moves frames from the TAP into RX queue 0 while the driver has room;
 * without room, stops reading (the kernel queues or drops) until the driver
 * posts buffers and kicks. Caller holds d->rw. */
static unsigned tap_to_rx(struct dev *d)
{
    struct vq *rx = &d->vq[0];
    unsigned done = 0, given = 0;
    pthread_mutex_lock(&rx->lock);
    backend_tap_sync_hdr(d);
    while (done < BURST && d->tap_fd >= 0) {
        if (!rx_ready(rx) || !ring_has_avail(&rx->ring)) {
            if (d->tap_armed && engine_modify(tap_worker(d), d->tap_fd, &d->tap_src, 0) == 0)
                d->tap_armed = false;
            break;
        }
        /* Straight into the driver's buffer; the bounce buffer only
         * catches a frame larger than it. */
        if (rx_read(d, rx, tap_readv, d, bounce, sizeof bounce, &given) <= 0)
            break;
        done++;
    }
    notify_completed(rx, given);
    CNT_SET(rx->c->hw_available_index, rx->ring.last_avail);
    pthread_mutex_unlock(&rx->lock);
    return done;
}

void backend_tap_ready(struct evsrc *src, uint32_t events)
{
    (void)events;
    struct dev *d = container_of(src, struct dev, tap_src);
    pthread_rwlock_rdlock(&d->rw);
    tap_to_rx(d);
    pthread_rwlock_unlock(&d->rw);
}

void backend_rx_room(struct dev *d)
{
    if (!d->tap_armed && d->tap_fd >= 0 && engine_modify(tap_worker(d), d->tap_fd, &d->tap_src, EPOLLIN) == 0)
        d->tap_armed = true;
    tap_to_rx(d);
}

static size_t gen_frame(struct dev *d, uint8_t *f)
{
    size_t len = d->gen_size < 60 ? 60 : d->gen_size > 9000 ? 9000 : d->gen_size;
    memset(f, 0, len);
    pthread_mutex_lock(&d->cfg);
    memcpy(f, d->mac, 6); /* to the driver's MAC */
    pthread_mutex_unlock(&d->cfg);
    memcpy(f + 6, (const uint8_t[]){0x02, 0x56, 0x4e, 0x47, 0x45, 0x4e}, 6);
    f[12] = 0x08; /* IPv4 */
    f[14] = 0x45;
    uint16_t ip_len = (uint16_t)(len - 14);
    f[16] = (uint8_t)(ip_len >> 8);
    f[17] = (uint8_t)ip_len;
    f[22] = 64;
    f[23] = 17; /* UDP */
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
    return len;
}

unsigned backend_gen_burst(struct dev *d, struct vq *rx)
{
    if (!rx_ready(rx))
        return 0;
    /* The frame is built once per burst behind a zero header; each copy
     * gets its own sequence number. */
    memset(bounce, 0, d->hdr_len);
    size_t len = gen_frame(d, bounce + d->hdr_len);
    const uint8_t *data = at_ceiling() ? NULL : bounce;
    struct rx_frame f[RING_BURST];
    for (unsigned i = 0; i < RING_BURST; i++)
        f[i] = (struct rx_frame){data, (uint32_t)len, GEN_SEQ_AT, d->gen_seq + i};
    unsigned given = 0, done = rx_put_burst(d, rx, f, RING_BURST, &given);
    d->gen_seq += done;
    notify_completed(rx, given);
    return done;
}

void backend_tap_mtu(struct dev *d)
{
    struct ns_guard g;
    if (ns_enter(d->env->netns_fd, &g) < 0)
        return;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ns_leave(&g); /* a socket keeps the namespace it was made in */
    if (s < 0)
        return;
    struct ifreq r;
    set_tap_mtu(s, d, &r);
    close(s);
}
