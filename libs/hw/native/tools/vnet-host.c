/*
 * vnet-host: a simulated host OS for the emulated DPU's devices. It watches
 * the directory of vhost-user sockets the way a host sees PCIe functions
 * appear: a new socket is a plugged device, which it probes like a driver
 * (negotiates features from what the device offers, sets up its queues,
 * sets DRIVER_OK); a removed socket is an unplug. Each device runs a traffic
 * profile: idle, ping (one frame a second per queue pair) or bulk (as fast as
 * the device takes frames). It outlives the controller: when a device's
 * connection breaks it probes again once the socket is back.
 *
 *   vnet-host --dir VHOST_DIR --control SOCKET [--profile idle|ping|bulk]
 *
 * The control socket takes one command per line and answers one JSON line:
 *   list | profile VUID idle|ping|bulk | unbind VUID | bind VUID | gap VUID | break VUID | quit
 *
 * `gap VUID` answers the longest pause between two received frames (or
 * bursts) since the last `gap` of that device, and starts measuring anew:
 * what a host's driver would see of an outage in the data path. `break VUID`
 * makes the driver misbehave on purpose: it moves its TX ring's avail index
 * far beyond the ring, and the device must answer with NEEDS_RESET (the
 * driver recovers with unbind and bind).
 */
#include "fe.h"
#include "vhost_msg.h"

#include <dirent.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEVICES 1024
#define MAX_CLIENTS 16
#define QSIZE 256
#define BIT(n) (1ull << (n))
/* What a Linux virtio_net driver takes when offered. */
#define F_WANTED                                                                               \
    (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_MTU) | BIT(VIRTIO_NET_F_STATUS) | \
     BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_MQ))

enum profile { IDLE, PING, BULK };
static const char *profile_names[] = {"idle", "ping", "bulk"};
enum state { PROBING, BOUND, UNBOUND };
static const char *state_names[] = {"probing", "bound", "unbound"};

struct device {
    char vuid[64];
    char path[256];
    struct fe fe;
    enum state state;
    enum profile profile;
    int pairs;
    uint64_t tx_frames, rx_frames, rx_bytes;
    uint64_t last_rx_us, rx_gap_max_us; /* for `gap`: 0 until the first frame since the last reset */
    uint64_t next_probe_ms, next_ping_ms;
    uint32_t probes;
    uint32_t reconnects;
    bool lost; /* connection lost while bound: reconnect, do not re-probe */
    uint8_t mac[6];
    /* the device's config space as the driver read it at probe */
    bool have_config;
    uint8_t cfg_mac[6];
    uint16_t cfg_mtu;
};

static struct device *devs[MAX_DEVICES];
static int ndevs;
static enum profile default_profile = PING;
static volatile sig_atomic_t stop;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void on_signal(int s)
{
    (void)s;
    stop = 1;
}

static struct device *find(const char *vuid)
{
    for (int i = 0; i < ndevs; i++)
        if (!strcmp(devs[i]->vuid, vuid))
            return devs[i];
    return NULL;
}

/* Reads the device's config space (virtio 1.2, 5.1.4: mac, status,
 * max_virtqueue_pairs, mtu), as a driver does at probe. Over vhost-user that
 * is GET_CONFIG; the device answers it without the CONFIG protocol feature
 * being negotiated (it does not offer it: QEMU's virtio-net warns). */
static void read_config(struct device *d)
{
    struct vu_config c, r;
    memset(&c, 0, sizeof c);
    memset(&r, 0, sizeof r);
    c.size = 12;
    d->have_config = fe_request(&d->fe, VU_GET_CONFIG, 0, &c, 12 + c.size, NULL, 0, &r, 12 + c.size) == 0 && r.size == 12;
    if (d->have_config) {
        memcpy(d->cfg_mac, r.payload, 6);
        memcpy(&d->cfg_mtu, r.payload + 10, 2);
    }
}

/* What a driver does at probe: negotiate, read the config space, set up
 * every queue pair the device has, post receive buffers, DRIVER_OK. */
static void probe(struct device *d)
{
    d->probes++;
    fe_close(&d->fe);
    if (fe_connect(&d->fe, d->path)) {
        fe_close(&d->fe);
        d->next_probe_ms = now_ms() + 500;
        return;
    }
    /* a driver: no kick while the device polls (VRING_USED_F_NO_NOTIFY) */
    d->fe.honor_no_notify = true;
    uint64_t pairs = 1;
    uint64_t offered = 0, proto = 0;
    if (fe_request(&d->fe, VU_GET_FEATURES, 0, NULL, 0, NULL, 0, &offered, 8) == 0 &&
        (offered & VU_F_PROTOCOL_FEATURES) &&
        fe_request(&d->fe, VU_GET_PROTOCOL_FEATURES, 0, NULL, 0, NULL, 0, &proto, 8) == 0 && (proto & VU_PROTO_MQ))
        fe_request(&d->fe, VU_GET_QUEUE_NUM, 0, NULL, 0, NULL, 0, &pairs, 8);
    if (pairs < 1 || pairs > FE_MAX_QUEUES / 2)
        pairs = 1;
    d->pairs = (int)pairs;
    read_config(d);
    if (fe_setup(&d->fe, F_WANTED, 2 * d->pairs, QSIZE) ||
        fe_set_status(&d->fe, 1 | 2 | 8 | 4)) {
        fe_close(&d->fe);
        d->next_probe_ms = now_ms() + 500;
        return;
    }
    for (int p = 0; p < d->pairs; p++)
        fe_post_rx(&d->fe, 2 * p, QSIZE);
    d->state = BOUND;
    d->next_ping_ms = now_ms();
}

/* The back-end went away (a restarted controller): reconnect with the same
 * rings, the way QEMU's reconnect does, so traffic resumes where it was. */
static void reconnect(struct device *d)
{
    if (fe_reconnect(&d->fe, d->path) || fe_set_status(&d->fe, 1 | 2 | 8 | 4)) {
        d->next_probe_ms = now_ms() + 200;
        return;
    }
    d->fe.honor_no_notify = true;
    d->reconnects++;
    d->lost = false;
    d->state = BOUND;
}

static void unbind(struct device *d)
{
    /* A driver unbinding resets the device (status 0); the function stays. */
    if (d->state == BOUND)
        fe_set_status(&d->fe, 0);
    fe_close(&d->fe);
    d->state = UNBOUND;
}

static size_t frame(struct device *d, uint8_t *f, size_t len)
{
    memset(f, 0, len);
    memset(f, 0xff, 6);     /* broadcast, like an ARP probe */
    memcpy(f + 6, d->mac, 6);
    f[12] = 0x88, f[13] = 0xb5; /* local experimental ethertype */
    memcpy(f + 14, &d->tx_frames, 8);
    return len;
}

static void send_frames(struct device *d, int q, int n, size_t len)
{
    uint8_t f[1514];
    for (int i = 0; i < n && fe_inflight(&d->fe, q) < QSIZE; i++) {
        fe_send(&d->fe, q, f, frame(d, f, len));
        d->tx_frames++;
    }
}

/* One pass of traffic and housekeeping over a bound device. Returns false
 * when the connection is gone. */
static bool service(struct device *d, uint64_t now)
{
    for (int p = 0; p < d->pairs; p++) {
        int rxn = fe_reap(&d->fe, 2 * p, &d->rx_bytes);
        d->rx_frames += (uint64_t)rxn;
        if (rxn) {
            uint64_t t = now_us();
            if (d->last_rx_us && t - d->last_rx_us > d->rx_gap_max_us)
                d->rx_gap_max_us = t - d->last_rx_us;
            d->last_rx_us = t;
        }
        fe_reap(&d->fe, 2 * p + 1, NULL);
        if (d->profile == BULK)
            send_frames(d, 2 * p + 1, 64, 1024);
        else if (d->profile == PING && now >= d->next_ping_ms)
            send_frames(d, 2 * p + 1, 1, 98);
    }
    if (d->profile == PING && now >= d->next_ping_ms)
        d->next_ping_ms = now + 1000;
    /* A closed connection reads as EOF. */
    char c;
    ssize_t r = recv(d->fe.sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return !(r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK));
}

static void forget(const char *file)
{
    size_t n = strlen(file);
    if (n < 6 || strcmp(file + n - 5, ".sock"))
        return;
    for (int i = 0; i < ndevs; i++) {
        if (!strncmp(devs[i]->vuid, file, n - 5) && devs[i]->vuid[n - 5] == '\0') {
            fe_close(&devs[i]->fe);
            free(devs[i]);
            devs[i] = devs[--ndevs];
            return;
        }
    }
}

static void scan(const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    struct dirent *e;
    bool seen[MAX_DEVICES] = {false};
    while ((e = readdir(dp))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".sock") || n - 5 >= sizeof devs[0]->vuid)
            continue;
        char vuid[64];
        memcpy(vuid, e->d_name, n - 5);
        vuid[n - 5] = '\0';
        struct device *d = find(vuid);
        if (!d && ndevs < MAX_DEVICES) {
            d = calloc(1, sizeof *d);
            if (!d)
                break;
            snprintf(d->vuid, sizeof d->vuid, "%s", vuid);
            snprintf(d->path, sizeof d->path, "%s/%s", dir, e->d_name);
            fe_init(&d->fe);
            d->profile = default_profile;
            d->state = PROBING;
            /* a locally administered source MAC of its own, from the VUID */
            uint32_t h = 2166136261u;
            for (const char *c = vuid; *c; c++)
                h = (h ^ (uint8_t)*c) * 16777619u;
            const uint8_t mac[6] = {0x02, 0x48, (uint8_t)(h >> 24), (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h};
            memcpy(d->mac, mac, 6);
            devs[ndevs++] = d;
        }
        if (d)
            for (int i = 0; i < ndevs; i++)
                if (devs[i] == d)
                    seen[i] = true;
    }
    closedir(dp);
    /* A socket that is gone is an unplugged device. */
    for (int i = 0; i < ndevs;) {
        if (!seen[i]) {
            fe_close(&devs[i]->fe);
            free(devs[i]);
            devs[i] = devs[--ndevs];
            seen[i] = seen[ndevs];
            continue;
        }
        i++;
    }
}

static void answer(int fd, const char *line)
{
    /* list: at most about 330 bytes a device, for up to MAX_DEVICES */
    static char out[MAX_DEVICES * 384 + 64];
    size_t len = 0;
    char cmd[32] = "", vuid[64] = "", arg[32] = "";
    sscanf(line, "%31s %63s %31s", cmd, vuid, arg);
    struct device *d = vuid[0] ? find(vuid) : NULL;
    if (!strcmp(cmd, "list")) {
        len += (size_t)snprintf(out + len, sizeof out - len, "{\"devices\":[");
        for (int i = 0; i < ndevs && len < sizeof out - 512; i++) {
            struct device *x = devs[i];
            char cfg[64] = "\"mac\":null,\"mtu\":null";
            if (x->have_config)
                snprintf(cfg, sizeof cfg, "\"mac\":\"%02X:%02X:%02X:%02X:%02X:%02X\",\"mtu\":%u", x->cfg_mac[0],
                         x->cfg_mac[1], x->cfg_mac[2], x->cfg_mac[3], x->cfg_mac[4], x->cfg_mac[5], x->cfg_mtu);
            len += (size_t)snprintf(out + len, sizeof out - len,
                                    "%s{\"vuid\":\"%s\",\"state\":\"%s\",\"profile\":\"%s\",\"queue_pairs\":%d,%s,"
                                    "\"tx_frames\":%llu,\"rx_frames\":%llu,\"rx_bytes\":%llu,\"probes\":%u,\"reconnects\":%u}",
                                    i ? "," : "", x->vuid, state_names[x->state], profile_names[x->profile], x->pairs, cfg,
                                    (unsigned long long)x->tx_frames, (unsigned long long)x->rx_frames,
                                    (unsigned long long)x->rx_bytes, x->probes, x->reconnects);
        }
        len += (size_t)snprintf(out + len, sizeof out - len, "]}\n");
    } else if (!strcmp(cmd, "quit")) {
        stop = 1;
        len = (size_t)snprintf(out, sizeof out, "{\"ok\":true}\n");
    } else if (!d) {
        len = (size_t)snprintf(out, sizeof out, "{\"error\":\"no device %s\"}\n", vuid);
    } else if (!strcmp(cmd, "profile")) {
        int p = !strcmp(arg, "idle") ? IDLE : !strcmp(arg, "ping") ? PING : !strcmp(arg, "bulk") ? BULK : -1;
        if (p < 0)
            len = (size_t)snprintf(out, sizeof out, "{\"error\":\"profile must be idle, ping or bulk\"}\n");
        else {
            d->profile = (enum profile)p;
            len = (size_t)snprintf(out, sizeof out, "{\"ok\":true}\n");
        }
    } else if (!strcmp(cmd, "gap")) {
        /* Up to now, including the pause still going on. */
        uint64_t t = now_us(), gap = d->rx_gap_max_us;
        if (d->last_rx_us && t - d->last_rx_us > gap)
            gap = t - d->last_rx_us;
        len = (size_t)snprintf(out, sizeof out, "{\"rx_gap_max_us\":%llu,\"rx_frames\":%llu}\n", (unsigned long long)(d->last_rx_us ? gap : 0),
                               (unsigned long long)d->rx_frames);
        d->rx_gap_max_us = 0;
        d->last_rx_us = t;
    } else if (!strcmp(cmd, "break")) {
        if (d->state != BOUND) {
            len = (size_t)snprintf(out, sizeof out, "{\"error\":\"%s is not bound\"}\n", vuid);
        } else {
            struct fe_ring *tx = &d->fe.r[1];
            __atomic_store_n(&tx->avail[1], (uint16_t)(tx->avail_idx + 40000), __ATOMIC_RELEASE);
            uint64_t one = 1;
            if (write(tx->kick, &one, sizeof one) < 0) {
                /* a saturated kick still wakes the device */
            }
            d->profile = IDLE; /* a broken ring carries nothing more */
            len = (size_t)snprintf(out, sizeof out, "{\"ok\":true}\n");
        }
    } else if (!strcmp(cmd, "unbind")) {
        unbind(d);
        len = (size_t)snprintf(out, sizeof out, "{\"ok\":true}\n");
    } else if (!strcmp(cmd, "bind")) {
        d->state = PROBING;
        d->lost = false;
        d->next_probe_ms = 0;
        len = (size_t)snprintf(out, sizeof out, "{\"ok\":true}\n");
    } else {
        len = (size_t)snprintf(out, sizeof out, "{\"error\":\"unknown command %s\"}\n", cmd);
    }
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, out + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* the client went away */
        off += (size_t)n;
    }
}

/* Each device holds a socket, a memfd and two eventfds per queue: lift the
 * soft limit on open files to the hard one, as a host with 500 functions would. */
static void raise_fd_limit(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *control = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--control"))
            control = argv[i + 1];
        else if (!strcmp(argv[i], "--profile"))
            default_profile = !strcmp(argv[i + 1], "idle") ? IDLE : !strcmp(argv[i + 1], "bulk") ? BULK : PING;
    }
    if (!dir || !control) {
        fprintf(stderr, "usage: %s --dir VHOST_DIR --control SOCKET [--profile idle|ping|bulk]\n", argv[0]);
        return 2;
    }
    raise_fd_limit();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s", control);
    /* One host per directory: a second one would drive the same devices. */
    int probe_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe_fd >= 0 && connect(probe_fd, (struct sockaddr *)&a, sizeof a) == 0) {
        fprintf(stderr, "vnet-host: another vnet-host answers on %s\n", control);
        close(probe_fd);
        return 1;
    }
    if (probe_fd >= 0)
        close(probe_fd);
    unlink(control);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 8)) {
        fprintf(stderr, "vnet-host: %s: %s\n", control, strerror(errno));
        return 1;
    }
    chmod(control, 0600);
    struct stat mine;
    stat(control, &mine);
    fprintf(stderr, "vnet-host: watching %s, control %s\n", dir, control);
    int clients[MAX_CLIENTS];
    int nclients = 0;
    uint64_t next_scan = 0;
    /* A socket appearing or going is a plug or an unplug: look at once. The
     * periodic scan stays as a fallback (and for a directory made later). */
    int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ino >= 0)
        inotify_add_watch(ino, dir, IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM);
    while (!stop) {
        uint64_t now = now_ms();
        if (now >= next_scan) {
            scan(dir);
            next_scan = now + 1000;
        }
        bool busy = false;
        for (int i = 0; i < ndevs; i++) {
            struct device *d = devs[i];
            if (d->state == PROBING && now >= d->next_probe_ms) {
                if (d->lost)
                    reconnect(d);
                else
                    probe(d);
            }
            if (d->state == BOUND) {
                if (!service(d, now)) {
                    /* The controller went away: reconnect when it is back. Try at
                     * once (a live update's new controller already listens),
                     * then every 200 ms. */
                    d->lost = true;
                    d->state = PROBING;
                    d->next_probe_ms = now;
                }
                busy |= d->profile == BULK;
            }
        }
        struct pollfd p[MAX_CLIENTS + 2];
        p[0] = (struct pollfd){lfd, POLLIN, 0};
        for (int i = 0; i < nclients; i++)
            p[i + 1] = (struct pollfd){clients[i], POLLIN, 0};
        p[nclients + 1] = (struct pollfd){ino, POLLIN, 0};
        if (poll(p, (nfds_t)nclients + 2, busy ? 0 : 20) <= 0)
            continue;
        if (p[nclients + 1].revents & POLLIN) {
            char evbuf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
            ssize_t n;
            while ((n = read(ino, evbuf, sizeof evbuf)) > 0) {
                for (char *e = evbuf; e < evbuf + n;) {
                    struct inotify_event *ev = (struct inotify_event *)e;
                    /* An unplug now, even if a new device takes the same
                     * socket path before the next scan: that is a new probe. */
                    if ((ev->mask & (IN_DELETE | IN_MOVED_FROM)) && ev->len)
                        forget(ev->name);
                    e += sizeof *ev + ev->len;
                }
            }
            next_scan = 0;
        }
        if ((p[0].revents & POLLIN) && nclients < MAX_CLIENTS) {
            int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (c >= 0)
                clients[nclients++] = c;
        }
        for (int i = nclients - 1; i >= 0; i--) {
            if (!p[i + 1].revents)
                continue;
            char line[256];
            ssize_t n = read(clients[i], line, sizeof line - 1);
            if (n > 0) {
                line[n] = '\0';
                line[strcspn(line, "\r\n")] = '\0';
                answer(clients[i], line);
            }
            close(clients[i]);
            clients[i] = clients[--nclients];
        }
    }
    for (int i = 0; i < ndevs; i++)
        unbind(devs[i]);
    close(lfd);
    if (ino >= 0)
        close(ino);
    /* Remove the control socket only if it is still ours (a newer instance may own the path). */
    struct stat now;
    if (stat(control, &now) == 0 && now.st_ino == mine.st_ino && now.st_dev == mine.st_dev)
        unlink(control);
    return 0;
}
