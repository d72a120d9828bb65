#include "ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void ctl_abi_sizes(uint32_t s[CTL_ABI_STRUCTS])
{
    s[0] = (uint32_t)sizeof(vnet_profile);
    s[1] = (uint32_t)sizeof(vnet_fn_spec);
    s[2] = (uint32_t)sizeof(vnet_fn_mod);
    s[3] = (uint32_t)sizeof(vnet_fn_info);
    s[4] = (uint32_t)sizeof(vnet_queue_counters);
    s[5] = (uint32_t)sizeof(vnet_start_params);
    s[6] = (uint32_t)sizeof(vnet_dpu_state);
}

const char *ctl_op_name(uint32_t op)
{
    static const char *names[] = {
        NULL, "HELLO", "PROVISION", "STATE", "SHUTDOWN", "FN_CREATE", "FN_DESTROY", "FN_MODIFY",
        "FN_MODERATION", "FN_QUERY", "FN_LIST", "IDLE_POLL", "FN_BACKEND", "SWEEP",
        "DRIVER_STATUS", "DRIVER_FEATURES", "QUEUE_DEBUG", "CAPTURE_START", "CAPTURE_READ", "CAPTURE_STOP",
    };
    return op < sizeof names / sizeof names[0] && names[op] ? names[op] : "UNKNOWN";
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for `events` until the deadline (-1: forever). 0, or -errno. */
static int wait_for(int sock, short events, int64_t deadline)
{
    for (;;) {
        int left = -1;
        if (deadline >= 0) {
            int64_t d = deadline - now_ms();
            if (d <= 0)
                return -ETIMEDOUT;
            left = (int)d;
        }
        struct pollfd p = {sock, events, 0};
        int n = poll(&p, 1, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -ETIMEDOUT;
        if (p.revents & (events | POLLHUP | POLLERR))
            return 0;
    }
}

static int64_t deadline_of(int timeout_ms) { return timeout_ms < 0 ? -1 : now_ms() + timeout_ms; }

int ctl_send(int sock, const struct ctl_hdr *h, const void *payload, int pass_fd, int timeout_ms)
{
    int64_t deadline = deadline_of(timeout_ms);
    struct iovec iov[2] = {{(void *)h, sizeof *h}, {(void *)payload, h->len}};
    int niov = h->len ? 2 : 1;
    size_t total = sizeof *h + h->len, done = 0;
    bool fd_sent = pass_fd < 0;
    while (done < total) {
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } ctl;
        struct msghdr m;
        memset(&m, 0, sizeof m);
        /* Skip what went already. */
        struct iovec cur[2];
        int n = 0;
        size_t off = done;
        for (int i = 0; i < niov; i++) {
            if (off >= iov[i].iov_len) {
                off -= iov[i].iov_len;
                continue;
            }
            cur[n].iov_base = (char *)iov[i].iov_base + off;
            cur[n].iov_len = iov[i].iov_len - off;
            off = 0;
            n++;
        }
        m.msg_iov = cur;
        m.msg_iovlen = (size_t)n;
        if (!fd_sent) {
            memset(&ctl, 0, sizeof ctl);
            m.msg_control = ctl.buf;
            m.msg_controllen = sizeof ctl.buf;
            struct cmsghdr *c = CMSG_FIRSTHDR(&m);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
        }
        ssize_t w = sendmsg(sock, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = wait_for(sock, POLLOUT, deadline);
            if (rc)
                return rc;
            continue;
        }
        if (w < 0)
            return errno == ECONNRESET ? -EPIPE : -errno;
        fd_sent = true;
        done += (size_t)w;
    }
    return 0;
}

/* Reads exactly len bytes, collecting at most one passed fd. */
static int read_full(int sock, void *buf, size_t len, int *fd, int64_t deadline)
{
    size_t done = 0;
    while (done < len) {
        union {
            char buf[CMSG_SPACE(sizeof(int) * 4)];
            struct cmsghdr align;
        } ctl;
        struct iovec iov = {(char *)buf + done, len - done};
        struct msghdr m;
        memset(&m, 0, sizeof m);
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = ctl.buf;
        m.msg_controllen = sizeof ctl.buf;
        ssize_t r = recvmsg(sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = wait_for(sock, POLLIN, deadline);
            if (rc)
                return rc;
            continue;
        }
        if (r < 0)
            return errno == ECONNRESET ? -EPIPE : -errno;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            size_t cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < cnt; i++) {
                int f;
                memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
                if (fd && *fd < 0)
                    *fd = f;
                else
                    close(f);
            }
        }
        if (r == 0)
            return -EPIPE;
        done += (size_t)r;
    }
    return 0;
}

int ctl_recv(int sock, struct ctl_hdr *h, void **payload, uint32_t max_len, int *got_fd, int timeout_ms)
{
    int64_t deadline = deadline_of(timeout_ms);
    int fd = -1;
    *payload = NULL;
    if (got_fd)
        *got_fd = -1;
    int rc = read_full(sock, h, sizeof *h, &fd, deadline);
    if (rc == 0 && (h->magic != CTL_MAGIC || h->len > max_len))
        rc = -EPROTO;
    void *p = NULL;
    if (rc == 0 && h->len) {
        p = malloc(h->len + 1);
        if (!p)
            rc = -ENOMEM;
        else {
            rc = read_full(sock, p, h->len, &fd, deadline);
            ((char *)p)[h->len] = '\0'; /* an error message reads as a string */
        }
    }
    if (rc) {
        free(p);
        if (fd >= 0)
            close(fd);
        return rc;
    }
    *payload = p;
    if (got_fd)
        *got_fd = fd;
    else if (fd >= 0)
        close(fd);
    return 0;
}
