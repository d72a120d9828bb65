/*
 * libFuzzer target: whole vhost-user sessions against a live device. One
 * DPU runs in this process with its threads; each input is a session on a
 * device's socket: a sequence of steps, each a raw message (any request,
 * flags, payload and fds of any kind) or a driver action that builds state
 * worth attacking (guest memory, rings in it, descriptors written into it,
 * kicks, the memory truncated, a dirty log of any size and offset over a
 * memfd, logging turned on and off). The control thread and the workers apply
 * it all for real; AddressSanitizer and UndefinedBehaviorSanitizer watch.
 * After every session the device must still take a well-behaved driver.
 */
#include "dpu/dpu.h"
#include "dpu/fault.h"
#include "vhost_msg.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vhost_types.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM_SIZE (256u * 1024u)
#define GPA 0x100000ull

static struct dpu *dpu;
static char sock_path[128];
static uint32_t handle;

static char dir[] = "/tmp/vnet-fuzz-XXXXXX";

/* libFuzzer ends a timed run with exit(): the device's socket and its directory go with it. */
static void remove_dir(void)
{
    unlink(sock_path);
    rmdir(dir);
}

static void setup(void)
{
    if (!mkdtemp(dir))
        abort();
    atexit(remove_dir);
    fault_install();
    vnet_start_params p;
    memset(&p, 0, sizeof p);
    snprintf(p.socket_dir, sizeof p.socket_dir, "%s", dir);
    p.workers = 2;
    p.default_backend = VNET_BACKEND_ECHO;
    p.idle_poll_us = 0;
    if (dpu_create(NULL, &dpu) || dpu_start(dpu, &p))
        abort();
    vnet_fn_spec s;
    memset(&s, 0, sizeof s);
    s.type = VNET_FN_HOTPLUG_PF;
    s.pf_index = s.vf_index = s.port = s.sf_num = -1;
    strcpy(s.ib_device, "mlx5_0");
    const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 7};
    memcpy(s.mac, mac, 6);
    s.mtu = 1500;
    s.num_queues = 3;
    s.max_queue_size = 256;
    s.features = VNET_BIT(VIRTIO_F_VERSION_1) | VNET_BIT(VIRTIO_NET_F_MAC) | VNET_BIT(VIRTIO_NET_F_MRG_RXBUF) |
                 VNET_BIT(VIRTIO_NET_F_CTRL_VQ) | VNET_BIT(VIRTIO_F_RING_PACKED);
    vnet_fn_info i;
    if (dpu_fn_create(dpu, &s, &i))
        abort();
    snprintf(sock_path, sizeof sock_path, "%s", i.vhost_socket);
    handle = i.handle;
}

struct session {
    int sock;
    int memfd;
    int logfd; /* the dirty log's memfd, -1 before one */
    uint8_t *mem;
    int kick[3];
    bool dead;
};

static vnet_fn_info device_info(void)
{
    vnet_fn_info info;
    memset(&info, 0, sizeof info);
    dpu_fn_query(dpu, handle, &info);
    return info;
}

/* Connects once the previous session is gone, and returns once the device
 * has taken the connection as its driver's (one driver at a time). */
static int dial(void)
{
    for (int i = 0; i < 4000 && device_info().connected; i++)
        usleep(250);
    uint64_t before = device_info().connections;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s", sock_path);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    for (int i = 0; i < 4000; i++) {
        vnet_fn_info info = device_info();
        if (info.connections > before && info.connected)
            return fd;
        usleep(250);
    }
    close(fd);
    return -1;
}

static void send_msg(struct session *s, uint32_t req, uint32_t flags, const void *p, uint32_t len, const int *fds, int nfds)
{
    if (s->dead)
        return;
    uint8_t buf[12 + 1024];
    uint32_t hdr[3] = {req, flags, len};
    memcpy(buf, hdr, 12);
    if (len)
        memcpy(buf + 12, p, len);
    union {
        char b[CMSG_SPACE(sizeof(int) * 8)];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {buf, 12 + (size_t)len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds) {
        memset(&ctl, 0, sizeof ctl);
        mh.msg_control = ctl.b;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    if (sendmsg(s->sock, &mh, MSG_NOSIGNAL) < 0)
        s->dead = true;
}

/* Everything sent so far has been applied once a GET_FEATURES is answered. */
static void sync_with(struct session *s)
{
    if (s->dead)
        return;
    send_msg(s, VU_GET_FEATURES, VU_VERSION, NULL, 0, NULL, 0);
    uint8_t buf[4096];
    for (;;) {
        struct pollfd p = {s->sock, POLLIN, 0};
        if (poll(&p, 1, 2000) != 1) {
            s->dead = true;
            return;
        }
        ssize_t n = recv(s->sock, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0) {
            s->dead = true;
            return;
        }
        /* Replies of earlier requests come first; the last 20 bytes of a
         * burst that ends with GET_FEATURES's reply end the wait. */
        if (n >= 20) {
            uint32_t h[3];
            memcpy(h, buf + n - 20, 12);
            if (h[0] == VU_GET_FEATURES && (h[1] & VU_FLAG_REPLY) && h[2] == 8)
                return;
        }
    }
}

struct take {
    const uint8_t *p;
    size_t left;
};

static uint32_t take(struct take *t, size_t n)
{
    uint32_t v = 0;
    n = n < t->left ? n : t->left;
    memcpy(&v, t->p, n);
    t->p += n;
    t->left -= n;
    return v;
}

static int make_fd(struct session *s, uint8_t kind)
{
    int p[2];
    switch (kind % 6) {
    case 0:
        return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    case 1:
        return eventfd(0, EFD_CLOEXEC); /* blocking */
    case 2:
        return dup(s->memfd);
    case 3:
        if (pipe(p))
            return -1;
        close(p[1]);
        return p[0];
    case 4: {
        int fd = memfd_create("short", MFD_CLOEXEC);
        if (fd >= 0 && ftruncate(fd, 4096)) {
            close(fd);
            return -1;
        }
        return fd;
    }
    default:
        return open("/dev/null", O_RDWR | O_CLOEXEC);
    }
}

/* Maps the guest memory and hands it over as a valid table. */
static void memory(struct session *s)
{
    struct vu_memory m;
    memset(&m, 0, sizeof m);
    m.nregions = 1;
    m.regions[0].gpa = GPA;
    m.regions[0].size = MEM_SIZE;
    m.regions[0].uva = (uint64_t)(uintptr_t)s->mem;
    int fd = s->memfd;
    send_msg(s, VU_SET_MEM_TABLE, VU_VERSION, &m, 8 + sizeof(struct vu_region), &fd, 1);
}

static void ring(struct session *s, uint32_t q, uint32_t num, uint32_t off)
{
    q %= 3;
    off = (off % (MEM_SIZE / 2)) & ~63u;
    struct vu_state st = {q, num};
    send_msg(s, VU_SET_VRING_NUM, VU_VERSION, &st, sizeof st, NULL, 0);
    struct vu_addr a = {q, 0, (uint64_t)(uintptr_t)(s->mem + off), (uint64_t)(uintptr_t)(s->mem + off + 0x4000),
                        (uint64_t)(uintptr_t)(s->mem + off + 0x2000), 0};
    send_msg(s, VU_SET_VRING_ADDR, VU_VERSION, &a, sizeof a, NULL, 0);
    uint64_t idx = q;
    int call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    send_msg(s, VU_SET_VRING_CALL, VU_VERSION, &idx, 8, &call, 1);
    close(call);
    if (s->kick[q] < 0)
        s->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    send_msg(s, VU_SET_VRING_KICK, VU_VERSION, &idx, 8, &s->kick[q], 1);
    struct vu_state en = {q, 1};
    send_msg(s, VU_SET_VRING_ENABLE, VU_VERSION, &en, sizeof en, NULL, 0);
}

static void step(struct session *s, struct take *t)
{
    uint8_t op = (uint8_t)take(t, 1);
    switch (op % 9) {
    case 0: { /* a raw message */
        uint32_t req = take(t, 1) % 42, flags = take(t, 1);
        flags = (flags & 0x80) ? flags : (VU_VERSION | (flags & VU_FLAG_NEED_REPLY));
        uint32_t len = take(t, 2) % 300;
        uint8_t payload[300];
        memset(payload, 0, sizeof payload);
        for (uint32_t i = 0; i < len && t->left; i++)
            payload[i] = (uint8_t)take(t, 1);
        uint8_t fdspec = (uint8_t)take(t, 1);
        int n = fdspec & 3, fds[3];
        for (int i = 0; i < n; i++)
            fds[i] = make_fd(s, (uint8_t)(fdspec >> (2 + i * 2)));
        int ok = 0;
        for (int i = 0; i < n; i++)
            ok += fds[i] >= 0;
        send_msg(s, req, flags, payload, len, fds, ok == n ? n : 0);
        for (int i = 0; i < n; i++)
            if (fds[i] >= 0)
                close(fds[i]);
        break;
    }
    case 1: {
        uint64_t f = ((uint64_t)take(t, 4) << 32 | take(t, 4)) & ~VNET_BIT(VIRTIO_F_RING_PACKED);
        f |= (uint64_t)(take(t, 1) & 1) << VIRTIO_F_RING_PACKED;
        f |= 1ull << 30; /* protocol features */
        send_msg(s, VU_SET_FEATURES, VU_VERSION, &f, 8, NULL, 0);
        uint64_t proto = VU_PROTO_MQ | VU_PROTO_REPLY_ACK | VU_PROTO_STATUS | VU_PROTO_LOG_SHMFD | VU_PROTO_RARP;
        send_msg(s, VU_SET_PROTOCOL_FEATURES, VU_VERSION, &proto, 8, NULL, 0);
        break;
    }
    case 2:
        memory(s);
        break;
    case 3: {
        uint32_t q = take(t, 1), num = take(t, 2), off = take(t, 4);
        ring(s, q, num, off);
        break;
    }
    case 4: { /* the driver writes its memory: descriptors, indices, buffers */
        uint32_t off = take(t, 4) % MEM_SIZE, len = take(t, 1);
        for (uint32_t i = 0; i < len && off + i < MEM_SIZE && t->left; i++)
            s->mem[off + i] = (uint8_t)take(t, 1);
        break;
    }
    case 5: { /* a kick */
        uint32_t q = take(t, 1) % 3;
        uint64_t one = 1;
        if (s->kick[q] >= 0 && write(s->kick[q], &one, 8) < 0) {
            /* a saturated kick is still a kick */
        }
        break;
    }
    case 6: {
        struct vu_state st = {take(t, 1) % 4, 0};
        send_msg(s, VU_GET_VRING_BASE, VU_VERSION, &st, sizeof st, NULL, 0);
        break;
    }
    case 7: { /* live migration: a dirty log, logging on or off, a ring's log address */
        uint8_t what = (uint8_t)take(t, 1);
        if (what & 1) {
            /* a memfd of a chosen size, mapped at a chosen size and offset
             * (or truncated after the device mapped it) */
            uint32_t fsize = take(t, 2) * 16, lsize = take(t, 2) * 16, off = take(t, 2);
            if (s->logfd < 0)
                s->logfd = memfd_create("log", MFD_CLOEXEC);
            if (s->logfd >= 0 && ftruncate(s->logfd, fsize) == 0) {
                const uint64_t lg[2] = {lsize, off};
                send_msg(s, VU_SET_LOG_BASE, VU_VERSION | (what & 2 ? VU_FLAG_NEED_REPLY : 0), lg, sizeof lg,
                         &s->logfd, 1);
            }
        }
        if (what & 4) {
            uint64_t f = VNET_BIT(VIRTIO_F_VERSION_1) | VNET_BIT(VIRTIO_NET_F_MRG_RXBUF) | (1ull << 30) |
                         (what & 8 ? VNET_BIT(VHOST_F_LOG_ALL) : 0) | (what & 16 ? VNET_BIT(VIRTIO_F_RING_PACKED) : 0);
            send_msg(s, VU_SET_FEATURES, VU_VERSION, &f, 8, NULL, 0);
        }
        if (what & 32) {
            uint32_t q = take(t, 1) % 3, off = (take(t, 4) % (MEM_SIZE / 2)) & ~63u;
            uint64_t log = (uint64_t)take(t, 4) << 32 | take(t, 4);
            struct vu_addr a = {q, take(t, 1) & 1u ? 1u << VHOST_VRING_F_LOG : 0u, (uint64_t)(uintptr_t)(s->mem + off),
                                (uint64_t)(uintptr_t)(s->mem + off + 0x4000), (uint64_t)(uintptr_t)(s->mem + off + 0x2000),
                                what & 64 ? GPA + off + 0x4000 : log};
            send_msg(s, VU_SET_VRING_ADDR, VU_VERSION, &a, sizeof a, NULL, 0);
        }
        if ((what & 0xc0) == 0xc0 && s->logfd >= 0 && ftruncate(s->logfd, 0)) {
            /* a memfd always truncates */
        }
        break;
    }
    default:
        if ((take(t, 1) & 7) == 7 && s->mem) {
            /* the driver takes its memory away under the device */
            munmap(s->mem, MEM_SIZE);
            s->mem = NULL;
            if (ftruncate(s->memfd, 0)) {
                /* a memfd always truncates */
            }
            s->dead = true; /* nothing of ours may touch it any more */
        }
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dpu)
        setup();
    struct session s = {.sock = dial(), .memfd = memfd_create("guest", MFD_CLOEXEC), .logfd = -1, .kick = {-1, -1, -1}};
    if (s.sock < 0 || s.memfd < 0 || ftruncate(s.memfd, MEM_SIZE))
        abort();
    s.mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, s.memfd, 0);
    if (s.mem == MAP_FAILED)
        abort();
    struct take t = {data, size};
    for (int i = 0; i < 64 && t.left && !s.dead; i++)
        step(&s, &t);
    sync_with(&s);
    close(s.sock);
    for (int q = 0; q < 3; q++)
        if (s.kick[q] >= 0)
            close(s.kick[q]);
    if (s.mem)
        munmap(s.mem, MEM_SIZE);
    close(s.memfd);
    if (s.logfd >= 0)
        close(s.logfd);

    /* After any session, the device takes a well-behaved driver again. */
    struct session ok = {.sock = dial(), .memfd = -1, .logfd = -1, .kick = {-1, -1, -1}};
    if (ok.sock < 0)
        __builtin_trap();
    uint64_t f = VNET_BIT(VIRTIO_F_VERSION_1) | (1ull << 30);
    send_msg(&ok, VU_SET_FEATURES, VU_VERSION, &f, 8, NULL, 0);
    sync_with(&ok);
    if (ok.dead)
        __builtin_trap();
    close(ok.sock);
    return 0;
}
