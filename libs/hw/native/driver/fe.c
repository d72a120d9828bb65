#include "fe.h"
#include "vhost_msg.h"

#include <errno.h>
#include <linux/vhost_types.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define FE_MEM (8u << 20)
#define HDR 12u

uint64_t fe_gpa(const struct fe *f, const void *p) { return f->gpa_base + (uint64_t)((const uint8_t *)p - f->mem); }

/* A unix socket address for path; -1 when the path does not fit. */
static int unix_addr(struct sockaddr_un *a, const char *path)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof a->sun_path)
        return -1;
    strcpy(a->sun_path, path);
    return 0;
}

/* Connects f->sock to the back-end at path, with a 5 s receive timeout. */
static int dial(struct fe *f, const char *path)
{
    struct sockaddr_un a;
    if (unix_addr(&a, path))
        return -1;
    f->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (f->sock < 0 || connect(f->sock, (struct sockaddr *)&a, sizeof a))
        return -1;
    struct timeval tv = {5, 0};
    setsockopt(f->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return 0;
}

int fe_connect(struct fe *f, const char *path)
{
    fe_init(f);
    return dial(f, path);
}

void fe_init(struct fe *f)
{
    memset(f, 0, sizeof *f);
    f->sock = f->memfd = -1;
    f->gpa_base = 0x100000;
    for (int i = 0; i < FE_MAX_QUEUES; i++)
        f->r[i].kick = f->r[i].call = -1;
}

int fe_listen(const char *path)
{
    struct sockaddr_un a;
    if (unix_addr(&a, path))
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 4)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int fe_accept(struct fe *f, int listen_fd, int timeout_ms)
{
    fe_init(f);
    struct pollfd p = {listen_fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1)
        return -1;
    f->sock = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (f->sock < 0)
        return -1;
    struct timeval tv = {5, 0};
    setsockopt(f->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return 0;
}

static int send_all(int fd, const void *buf, size_t len, const int *fds, int nfds)
{
    union {
        char b[CMSG_SPACE(sizeof(int) * 16)];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {(void *)buf, len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > 0) {
        memset(&ctl, 0, sizeof ctl);
        mh.msg_control = ctl.b;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
    }
    ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
    return n == (ssize_t)len ? 0 : -1;
}

static int recv_all(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = recv(fd, (uint8_t *)buf + got, len - got, 0);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

int fe_request(struct fe *f, uint32_t req, uint32_t flags, const void *payload, uint32_t size,
               const int *fds, int nfds, void *reply, uint32_t reply_size)
{
    uint8_t buf[VU_HDR_SIZE + 512];
    uint32_t hdr[3] = {req, flags ? flags : VU_VERSION, size};
    if (size > 512)
        return -1;
    memcpy(buf, hdr, sizeof hdr);
    if (size)
        memcpy(buf + VU_HDR_SIZE, payload, size);
    if (send_all(f->sock, buf, VU_HDR_SIZE + size, fds, nfds))
        return -1;
    if (!reply)
        return 0;
    uint32_t rh[3];
    if (recv_all(f->sock, rh, sizeof rh) || rh[0] != req || !(rh[1] & VU_FLAG_REPLY) || rh[2] > 512)
        return -1;
    uint8_t tmp[512];
    if (recv_all(f->sock, tmp, rh[2]))
        return -1;
    memcpy(reply, tmp, rh[2] < reply_size ? rh[2] : reply_size);
    return 0;
}

static int req_u64(struct fe *f, uint32_t req, uint64_t v)
{
    return fe_request(f, req, 0, &v, 8, NULL, 0, NULL, 0);
}

/* Features, protocol features and ownership: the start of every session. */
int fe_negotiate(struct fe *f, uint64_t features)
{
    uint64_t offered = 0, proto = 0;
    if (fe_request(f, VU_GET_FEATURES, 0, NULL, 0, NULL, 0, &offered, 8))
        return -1;
    f->features = (features & offered) | (offered & VU_F_PROTOCOL_FEATURES);
    if (offered & VU_F_PROTOCOL_FEATURES) {
        if (fe_request(f, VU_GET_PROTOCOL_FEATURES, 0, NULL, 0, NULL, 0, &proto, 8))
            return -1;
        f->protocol_features = proto & (VU_PROTO_MQ | VU_PROTO_LOG_SHMFD | VU_PROTO_RARP | VU_PROTO_REPLY_ACK |
                                        VU_PROTO_CONFIG | VU_PROTO_STATUS);
        if (req_u64(f, VU_SET_PROTOCOL_FEATURES, f->protocol_features))
            return -1;
    }
    return fe_request(f, VU_SET_OWNER, 0, NULL, 0, NULL, 0, NULL, 0) || req_u64(f, VU_SET_FEATURES, f->features) ? -1 : 0;
}

static int send_mem_table(struct fe *f)
{
    struct vu_memory m;
    memset(&m, 0, sizeof m);
    m.nregions = 1;
    m.regions[0].gpa = f->gpa_base;
    m.regions[0].size = f->mem_size;
    m.regions[0].uva = (uint64_t)(uintptr_t)f->mem;
    m.regions[0].mmap_offset = 0;
    return fe_request(f, VU_SET_MEM_TABLE, 0, &m, 8 + sizeof(struct vu_region), &f->memfd, 1, NULL, 0);
}

/* Hands every ring to the back-end; base is where the driver resumes. */
static int start_rings(struct fe *f)
{
    for (int i = 0; i < f->nq; i++) {
        struct fe_ring *r = &f->r[i];
        struct vu_state st = {(uint32_t)i, r->num};
        struct vu_addr a = {(uint32_t)i, 0, (uint64_t)(uintptr_t)r->desc, (uint64_t)(uintptr_t)r->used,
                            (uint64_t)(uintptr_t)r->avail, 0};
        struct vu_state base = {(uint32_t)i, r->last_used};
        uint64_t idx = (uint64_t)i;
        if (fe_request(f, VU_SET_VRING_NUM, 0, &st, sizeof st, NULL, 0, NULL, 0) ||
            fe_request(f, VU_SET_VRING_ADDR, 0, &a, sizeof a, NULL, 0, NULL, 0) ||
            fe_request(f, VU_SET_VRING_BASE, 0, &base, sizeof base, NULL, 0, NULL, 0) ||
            fe_request(f, VU_SET_VRING_CALL, 0, &idx, 8, &r->call, 1, NULL, 0) ||
            fe_request(f, VU_SET_VRING_KICK, 0, &idx, 8, &r->kick, 1, NULL, 0))
            return -1;
        if (f->features & VU_F_PROTOCOL_FEATURES) {
            struct vu_state en = {(uint32_t)i, 1};
            if (fe_request(f, VU_SET_VRING_ENABLE, 0, &en, sizeof en, NULL, 0, NULL, 0))
                return -1;
        }
    }
    /* A request with a reply: everything before it has been applied. */
    uint64_t features;
    return fe_request(f, VU_GET_FEATURES, 0, NULL, 0, NULL, 0, &features, 8);
}

int fe_setup(struct fe *f, uint64_t features, int nq, uint16_t qsize)
{
    if (nq > FE_MAX_QUEUES || fe_negotiate(f, features))
        return -1;
    f->mem_size = FE_MEM;
    f->memfd = memfd_create("fe-mem", MFD_CLOEXEC);
    if (f->memfd < 0 || ftruncate(f->memfd, (off_t)f->mem_size))
        return -1;
    f->mem = mmap(NULL, f->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
    if (f->mem == MAP_FAILED)
        return -1;
    /* A new memfd reads as zeros: no need to touch (and fault in) all of it. */
    if (send_mem_table(f))
        return -1;
    f->nq = nq;
    uint64_t off = 0;
    for (int i = 0; i < nq; i++) {
        struct fe_ring *r = &f->r[i];
        r->num = qsize;
        r->desc_off = off;
        off += 16ull * qsize;
        r->avail_off = off;
        off += 6 + 2ull * qsize;
        off = (off + 4095) & ~4095ull;
        r->used_off = off;
        off += 6 + 8ull * qsize;
        off = (off + 4095) & ~4095ull;
    }
    for (int i = 0; i < nq; i++) {
        struct fe_ring *r = &f->r[i];
        r->buf_off = off;
        off += (uint64_t)FE_BUF_SIZE * qsize;
        if (off > f->mem_size)
            return -1;
        r->desc = (struct vring_desc *)(f->mem + r->desc_off);
        r->avail = (uint16_t *)(f->mem + r->avail_off);
        r->used = (uint16_t *)(f->mem + r->used_off);
        r->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        r->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    }
    return start_rings(f);
}

int fe_reconnect(struct fe *f, const char *path)
{
    if (f->sock >= 0)
        close(f->sock);
    f->sock = -1;
    if (!f->mem || dial(f, path))
        return -1;
    return fe_negotiate(f, f->features) || send_mem_table(f) || start_rings(f) ? -1 : 0;
}

static void kick(struct fe_ring *r)
{
    uint64_t one = 1;
    if (write(r->kick, &one, sizeof one) < 0) {
        /* saturated counter: the device is notified anyway */
    }
}

static void publish(struct fe_ring *r, uint16_t head)
{
    r->avail[2 + (r->avail_idx % r->num)] = head;
    __atomic_store_n(&r->avail[1], (uint16_t)(r->avail_idx + 1), __ATOMIC_RELEASE);
    r->avail_idx++;
}

int fe_send(struct fe *f, int q, const void *frame, size_t len)
{
    struct fe_ring *r = &f->r[q];
    if (len + HDR > FE_BUF_SIZE)
        return -1;
    uint16_t d = r->next_desc;
    r->next_desc = (uint16_t)((d + 1) % r->num);
    uint8_t *buf = f->mem + r->buf_off + (uint64_t)d * FE_BUF_SIZE;
    memset(buf, 0, HDR);
    memcpy(buf + HDR, frame, len);
    r->desc[d] = (struct vring_desc){fe_gpa(f, buf), (uint32_t)(HDR + len), 0, 0};
    publish(r, d);
    /* The new index must be visible before the device's flag is read. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!f->honor_no_notify || !(__atomic_load_n(&r->used[0], __ATOMIC_ACQUIRE) & 1u))
        kick(r);
    return 0;
}

uint16_t fe_inflight(const struct fe *f, int q)
{
    return (uint16_t)(f->r[q].avail_idx - f->r[q].last_used);
}

int fe_reap(struct fe *f, int q, uint64_t *bytes)
{
    struct fe_ring *r = &f->r[q];
    int n = 0;
    uint16_t idx = __atomic_load_n(&r->used[1], __ATOMIC_ACQUIRE);
    while (r->last_used != idx) {
        uint32_t *e = (uint32_t *)(r->used + 2) + 2u * (r->last_used % r->num);
        if (bytes && e[1] > HDR)
            *bytes += e[1] - HDR;
        r->last_used++;
        n++;
    }
    if (bytes && n)
        fe_post_rx(f, q, n);
    return n;
}

int fe_set_log(struct fe *f, int fd, uint64_t size, uint64_t offset)
{
    const uint64_t lg[2] = {size, offset};
    uint64_t status = 1;
    if (fe_request(f, VU_SET_LOG_BASE, 0, lg, sizeof lg, &fd, 1, &status, 8))
        return -1;
    return status == 0 ? 0 : -1;
}

/* Sends a request and waits for its REPLY_ACK (or, without REPLY_ACK, for
 * an answer to a request sent after it); 0 when the device applied it. */
static int acked(struct fe *f, uint32_t req, const void *p, uint32_t size)
{
    if (f->protocol_features & VU_PROTO_REPLY_ACK) {
        uint64_t ack = 1;
        if (fe_request(f, req, VU_VERSION | VU_FLAG_NEED_REPLY, p, size, NULL, 0, &ack, 8))
            return -1;
        return ack == 0 ? 0 : -1;
    }
    uint64_t features;
    return fe_request(f, req, 0, p, size, NULL, 0, NULL, 0) ||
                   fe_request(f, VU_GET_FEATURES, 0, NULL, 0, NULL, 0, &features, 8)
               ? -1
               : 0;
}

int fe_log(struct fe *f, bool on)
{
    uint64_t features = (f->features & ~(1ull << VHOST_F_LOG_ALL)) | (on ? 1ull << VHOST_F_LOG_ALL : 0);
    if (acked(f, VU_SET_FEATURES, &features, 8))
        return -1;
    f->features = features;
    for (int i = 0; i < f->nq; i++) {
        struct fe_ring *r = &f->r[i];
        struct vu_addr a = {(uint32_t)i, on ? 1u << VHOST_VRING_F_LOG : 0u, (uint64_t)(uintptr_t)r->desc, (uint64_t)(uintptr_t)r->used,
                            (uint64_t)(uintptr_t)r->avail, fe_gpa(f, r->used)};
        if (acked(f, VU_SET_VRING_ADDR, &a, sizeof a))
            return -1;
    }
    return 0;
}

int fe_stop(struct fe *f, int q, uint32_t *base)
{
    struct vu_state st = {(uint32_t)q, 0}, out = {0, 0};
    if (fe_request(f, VU_GET_VRING_BASE, 0, &st, sizeof st, NULL, 0, &out, sizeof out) || out.index != (uint32_t)q)
        return -1;
    *base = out.num;
    return 0;
}

int fe_set_status(struct fe *f, uint8_t status)
{
    if (!(f->protocol_features & VU_PROTO_STATUS))
        return 0;
    uint64_t v = status;
    return fe_request(f, VU_SET_STATUS, 0, &v, 8, NULL, 0, NULL, 0);
}

int fe_post_rx(struct fe *f, int q, int n)
{
    struct fe_ring *r = &f->r[q];
    for (int i = 0; i < n; i++) {
        uint16_t d = r->next_desc;
        r->next_desc = (uint16_t)((d + 1) % r->num);
        uint8_t *buf = f->mem + r->buf_off + (uint64_t)d * FE_BUF_SIZE;
        r->desc[d] = (struct vring_desc){fe_gpa(f, buf), FE_BUF_SIZE, VRING_DESC_F_WRITE, 0};
        publish(r, d);
    }
    kick(r);
    return 0;
}

int fe_take_used(struct fe *f, int q, void *out, size_t cap, int timeout_ms)
{
    struct fe_ring *r = &f->r[q];
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        uint16_t idx = __atomic_load_n(&r->used[1], __ATOMIC_ACQUIRE);
        if (idx != r->last_used) {
            uint32_t *e = (uint32_t *)(r->used + 2) + 2u * (r->last_used % r->num);
            uint32_t id = e[0], len = e[1];
            r->last_used++;
            if (out && id < r->num) {
                uint8_t *buf = f->mem + r->buf_off + (uint64_t)id * FE_BUF_SIZE;
                memcpy(out, buf, len < cap ? len : cap);
            }
            return (int)len;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
        long us = (t.tv_sec - t0.tv_sec) * 1000000 + (t.tv_nsec - t0.tv_nsec) / 1000;
        if (us > timeout_ms * 1000L)
            return -1;
        if (us < 2000) {
            sched_yield(); /* the device usually answers within microseconds */
            continue;
        }
        struct pollfd p = {r->call, POLLIN, 0};
        poll(&p, 1, 1);
        uint64_t v;
        if (read(r->call, &v, sizeof v) < 0) {
            /* nothing signalled yet */
        }
    }
}

void fe_close(struct fe *f)
{
    if (f->sock >= 0)
        close(f->sock);
    for (int i = 0; i < FE_MAX_QUEUES; i++) {
        if (f->r[i].kick >= 0)
            close(f->r[i].kick);
        if (f->r[i].call >= 0)
            close(f->r[i].call);
    }
    if (f->mem && f->mem != MAP_FAILED)
        munmap(f->mem, f->mem_size);
    if (f->memfd >= 0)
        close(f->memfd);
    memset(f, 0, sizeof *f);
    f->sock = f->memfd = -1;
}
