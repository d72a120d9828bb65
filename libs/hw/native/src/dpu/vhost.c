#include "vhost.h"
#include "vhost_handlers.h"
#include "vhost_msg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static bool dying(struct dev *d) { return atomic_load_explicit(&d->dying, memory_order_acquire); }

static void close_pending_fds(struct conn_in *in)
{
    for (int i = 0; i < in->nfds; i++)
        if (in->fds[i] >= 0)
            close(in->fds[i]);
    in->nfds = 0;
}

void vhost_disconnect(struct dev *d)
{
    if (d->conn_fd < 0)
        return;
    engine_unwatch(&d->env->eng->ctl, d->conn_fd);
    vu_reset(d); /* before the flag goes: "not connected" means reset */
    atomic_store_explicit(&d->connected, 0, memory_order_release);
    close(d->conn_fd);
    d->conn_fd = -1;
    close_pending_fds(&d->in);
    memset(&d->in, 0, sizeof d->in);
}

/* Makes fd the device's front-end connection (accepted or connected). */
static void attach(struct dev *d, int fd)
{
    d->conn_fd = fd;
    memset(&d->in, 0, sizeof d->in);
    if (engine_watch(&d->env->eng->ctl, fd, &d->conn_src, EPOLLIN | EPOLLRDHUP)) {
        close(fd);
        d->conn_fd = -1;
        return;
    }
    atomic_fetch_add_explicit(&d->connections, 1, memory_order_relaxed);
    atomic_store_explicit(&d->connected, 1, memory_order_release);
}

void vhost_listen_ready(struct evsrc *src, uint32_t events)
{
    (void)events;
    struct dev *d = container_of(src, struct dev, listen_src);
    if (dying(d))
        return;
    int fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (d->conn_fd >= 0) {
        /* One front-end per device, as a PCIe function has one driver; but
         * a driver whose connection already ended (its hang-up not handled
         * yet) makes way for its successor. */
        char b;
        ssize_t n = recv(d->conn_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            vhost_disconnect(d);
        } else {
            close(fd);
            return;
        }
    }
    attach(d, fd);
}

void vhost_connect(struct dev *d)
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

/* A whole message is in d->in: check it, apply it. False when the
 * connection must close. */
static bool finish_message(struct dev *d)
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
        struct vu_msg m = {hdr[0], hdr[1], hdr[2], payload, in->fds, in->nfds, ""};
        keep = vu_dispatch(d, &m) != VU_CLOSE;
    } else {
        /* An unknown request is refused by the table; a malformed one closes. */
        if (v == VU_UNSUPPORTED) {
            uint8_t payload[VU_MAX_PAYLOAD];
            memset(payload, 0, sizeof payload);
            struct vu_msg m = {hdr[0], hdr[1], 0, payload, in->fds, 0, ""};
            keep = vu_dispatch(d, &m) != VU_CLOSE;
        } else {
            dev_refused(d, "%s", why);
            keep = false;
        }
    }
    close_pending_fds(in); /* what no handler kept: none may leak */
    in->have = 0;
    in->fd_overflow = false;
    return keep;
}

/* Reads what is there of the next message. 1: a whole message is in; 2:
 * part of it came; 0: nothing to read now; -1: the connection is gone or
 * broke the protocol. */
static int read_some(struct dev *d)
{
    struct conn_in *in = &d->in;
    uint32_t need;
    if (in->have < VU_HDR_SIZE) {
        need = VU_HDR_SIZE - in->have;
    } else {
        uint32_t size;
        memcpy(&size, in->buf + 8, 4);
        if (size > VU_MAX_PAYLOAD) {
            dev_refused(d, "a message announced %u payload bytes", size);
            return -1;
        }
        need = VU_HDR_SIZE + size - in->have;
        if (need == 0)
            return 1;
    }
    union {
        char buf[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {in->buf + in->have, need};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    ssize_t n = recvmsg(d->conn_fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    /* Descriptors beyond what a message may carry are closed; the message
     * is then refused for its fd count. */
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        int cnt = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < cnt; i++) {
            int f;
            memcpy(&f, CMSG_DATA(c) + (size_t)i * sizeof(int), sizeof f);
            if (in->nfds < VU_MAX_FDS) {
                in->fds[in->nfds++] = f;
            } else {
                close(f);
                in->fd_overflow = true;
            }
        }
    }
    if (mh.msg_flags & MSG_CTRUNC) {
        dev_refused(d, "too many file descriptors in one message");
        return -1;
    }
    if (n <= 0)
        return -1;
    in->have += (uint32_t)n;
    if (in->have >= VU_HDR_SIZE) {
        uint32_t size;
        memcpy(&size, in->buf + 8, 4);
        if (size <= VU_MAX_PAYLOAD && in->have == VU_HDR_SIZE + size)
            return 1;
    }
    return 2;
}

void vhost_conn_ready(struct evsrc *src, uint32_t events)
{
    (void)events;
    struct dev *d = container_of(src, struct dev, conn_src);
    if (dying(d)) {
        /* The device's destroyer takes the connection over; stop watching it. */
        engine_unwatch(&d->env->eng->ctl, d->conn_fd);
        return;
    }
    for (int handled = 0; d->conn_fd >= 0 && handled < VHOST_MESSAGES_PER_WAKEUP;) {
        int r = read_some(d);
        if (r < 0) {
            vhost_disconnect(d);
            return;
        }
        if (r == 0)
            return; /* the rest comes later; epoll says when */
        if (r == 2)
            continue;
        handled++;
        if (!finish_message(d)) {
            vhost_disconnect(d);
            return;
        }
    }
    /* More may be waiting: epoll is level-triggered and calls again, after
     * the other devices' connections had their turn. */
}
