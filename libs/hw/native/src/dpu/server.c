#include "server.h"
#include "proto/shm.h"

/* The most a capture read returns (the reply limit is CTL_MAX_REPLY). */
#define CAPTURE_READ_MAX (8u << 20)
#include "dpu.h"
#include "fault.h"
#include "proto/abi.h"
#include "proto/ctl.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 32
/* A request arrives whole at once; a client that stalls inside one loses
 * its connection rather than the server its time. */
#define REQUEST_TIMEOUT_MS 1000
#define REPLY_TIMEOUT_MS 5000

struct client {
    int fd;
    bool hello; /* ABI checked */
};

struct server {
    char path[108];
    char version[VNET_VERSION_LEN];
    server_log log;
    int listen_fd;
    int ep;
    int sig_fd;
    struct client clients[MAX_CLIENTS];
    struct dpu *dpu; /* NULL until provisioned */
    uint64_t started_at_ms;
    uint64_t provisioned_at_ms;
    bool stop;
};

__attribute__((format(printf, 2, 3))) static void say(struct server *s, const char *fmt, ...)
{
    if (!s->log)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->log(line);
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Whether a process answers at path (a DPU serving it). */
static bool answers(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

int server_open(const char *path, const char *version, server_log log, struct server **out, char *why, size_t n)
{
    *out = NULL;
    struct sockaddr_un a;
    if (strlen(path) >= sizeof a.sun_path) {
        snprintf(why, n, "control socket path %s is too long", path);
        return -ENAMETOOLONG;
    }
    if (answers(path)) {
        snprintf(why, n, "another DPU process serves %s", path);
        return -EADDRINUSE;
    }
    struct server *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    snprintf(s->path, sizeof s->path, "%s", path);
    snprintf(s->version, sizeof s->version, "%s", version);
    s->log = log;
    s->listen_fd = s->ep = s->sig_fd = -1;
    for (int i = 0; i < MAX_CLIENTS; i++)
        s->clients[i].fd = -1;
    s->started_at_ms = wall_ms();
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    unlink(path); /* stale: nobody answered there */
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    mode_t old = umask(0077);
    int rc = s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) || listen(s->listen_fd, 16) ? -errno : 0;
    umask(old);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (!rc) {
        s->ep = epoll_create1(EPOLL_CLOEXEC);
        s->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        struct epoll_event l = {.events = EPOLLIN, .data.fd = s->listen_fd};
        struct epoll_event g = {.events = EPOLLIN, .data.fd = s->sig_fd};
        if (s->ep < 0 || s->sig_fd < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, s->listen_fd, &l) ||
            epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sig_fd, &g))
            rc = -errno;
    }
    if (rc) {
        snprintf(why, n, "control socket %s: %s", path, strerror(-rc));
        server_close(s, true);
        return rc;
    }
    *out = s;
    return 0;
}

static void state_of(struct server *s, vnet_dpu_state *st)
{
    memset(st, 0, sizeof *st);
    st->abi_version = VNET_ABI_VERSION;
    st->pid = (int32_t)getpid();
    st->started_at_ms = s->started_at_ms;
    st->provisioned_at_ms = s->provisioned_at_ms;
    st->faults = fault_total();
    snprintf(st->version, sizeof st->version, "%s", s->version);
    if (s->dpu) {
        st->provisioned = 1;
        st->functions = dpu_function_count(s->dpu);
        dpu_params(s->dpu, &st->params);
        dpu_profile(s->dpu, &st->profile);
        st->rep_bus = (uint8_t)dpu_rep_bus(s->dpu, NULL);
    }
}

struct reply {
    int rc;
    const void *payload;
    uint32_t len;
    int fd;
    char text[256];
    void *owned; /* freed after sending */
};

static void refuse(struct reply *r, int rc, const char *text)
{
    r->rc = rc;
    snprintf(r->text, sizeof r->text, "%s", text);
}

static bool sized(const void *p, uint32_t len, uint32_t want, struct reply *r)
{
    if (len == want && (want == 0 || p))
        return true;
    refuse(r, VNET_E_INVALID_ARGUMENT, "request payload of the wrong size");
    return false;
}

/* One provisioned-only request; the DPU's own error text on failure. */
static void run(struct server *s, int owner, uint16_t op, const void *p, uint32_t len, struct reply *r)
{
    static __thread vnet_fn_info info;
    static __thread struct ctl_args out_args;
    const struct ctl_args *a = p;
    int rc = VNET_OK;
    switch (op) {
    case CTL_FN_CREATE:
        if (!sized(p, len, sizeof(vnet_fn_spec), r))
            return;
        rc = dpu_fn_create(s->dpu, p, &info);
        r->payload = &info;
        r->len = sizeof info;
        break;
    case CTL_FN_DESTROY:
        if (!sized(p, len, sizeof *a, r))
            return;
        rc = dpu_fn_destroy(s->dpu, a->handle);
        break;
    case CTL_FN_MODIFY: {
        if (!sized(p, len, sizeof(struct ctl_modify), r))
            return;
        const struct ctl_modify *m = p;
        rc = dpu_fn_modify(s->dpu, m->handle, &m->mod, &info);
        r->payload = &info;
        r->len = sizeof info;
        break;
    }
    case CTL_FN_MODERATION:
        if (!sized(p, len, sizeof *a, r))
            return;
        rc = dpu_fn_set_moderation(s->dpu, a->handle, a->a, a->b, a->c);
        break;
    case CTL_FN_QUERY:
        if (!sized(p, len, sizeof *a, r))
            return;
        rc = dpu_fn_query(s->dpu, a->handle, &info);
        r->payload = &info;
        r->len = sizeof info;
        break;
    case CTL_FN_LIST: {
        if (!sized(p, len, 0, r))
            return;
        uint32_t count = 0;
        dpu_fn_list(s->dpu, NULL, 0, &count);
        /* Only this thread creates functions: the count cannot grow. */
        vnet_fn_info *all = calloc(count ? count : 1, sizeof *all);
        if (!all) {
            refuse(r, VNET_E_NO_MEMORY, "out of memory");
            return;
        }
        rc = dpu_fn_list(s->dpu, all, count, &count);
        r->owned = all;
        r->payload = all;
        r->len = (uint32_t)(count * sizeof *all);
        break;
    }
    case CTL_IDLE_POLL:
        if (!sized(p, len, sizeof *a, r))
            return;
        rc = dpu_set_idle_poll(s->dpu, a->a);
        break;
    case CTL_FN_BACKEND:
        if (!sized(p, len, sizeof *a, r))
            return;
        rc = dpu_fn_set_backend(s->dpu, a->handle, a->a, a->b);
        break;
    case CTL_SWEEP:
        if (!sized(p, len, 0, r))
            return;
        memset(&out_args, 0, sizeof out_args);
        rc = dpu_sweep(s->dpu, &out_args.a, &out_args.b);
        if (out_args.a || out_args.b)
            say(s, "swept %u representor(s) and %u socket file(s) no function owns", out_args.a, out_args.b);
        r->payload = &out_args;
        r->len = sizeof out_args;
        break;
    case CTL_DRIVER_STATUS:
        if (!sized(p, len, sizeof *a, r))
            return;
        rc = a->a > 0xff ? VNET_E_INVALID_ARGUMENT : dpu_fn_driver_write_status(s->dpu, a->handle, (uint8_t)a->a);
        break;
    case CTL_DRIVER_FEATURES: {
        if (!sized(p, len, sizeof(struct ctl_value), r))
            return;
        const struct ctl_value *v = p;
        rc = dpu_fn_driver_write_features(s->dpu, v->handle, v->value);
        break;
    }
    case CTL_QUEUE_DEBUG: {
        if (!sized(p, len, sizeof *a, r))
            return;
        uint32_t count = 0;
        rc = dpu_queue_debug(s->dpu, a->handle, NULL, 0, &count);
        if (rc)
            break;
        vnet_queue_debug *all = calloc(count ? count : 1, sizeof *all);
        if (!all) {
            refuse(r, VNET_E_NO_MEMORY, "out of memory");
            return;
        }
        rc = dpu_queue_debug(s->dpu, a->handle, all, count, &count);
        r->owned = all;
        r->payload = all;
        r->len = (uint32_t)(count * sizeof *all);
        break;
    }
    case CTL_CAPTURE_START:
        if (!sized(p, len, sizeof *a, r))
            return;
        memset(&out_args, 0, sizeof out_args);
        rc = dpu_capture_start(s->dpu, a->handle, (int32_t)a->a, a->b, a->c, owner, &out_args.handle);
        if (!rc)
            say(s, "capture %u of function %u started (%s, %u frames)", out_args.handle, a->handle, (int32_t)a->a < 0 ? "every queue" : "one queue", a->b);
        r->payload = &out_args;
        r->len = sizeof out_args;
        break;
    case CTL_CAPTURE_READ: {
        if (!sized(p, len, sizeof *a, r))
            return;
        size_t cap = a->a < CAPTURE_READ_MAX ? a->a : CAPTURE_READ_MAX;
        uint8_t *buf = malloc(sizeof(vnet_capture_state) + cap);
        if (!buf) {
            refuse(r, VNET_E_NO_MEMORY, "out of memory");
            return;
        }
        size_t got = 0;
        rc = dpu_capture_read(s->dpu, a->handle, buf + sizeof(vnet_capture_state), cap, &got, (vnet_capture_state *)(void *)buf);
        r->owned = buf;
        r->payload = buf;
        r->len = (uint32_t)(sizeof(vnet_capture_state) + got);
        break;
    }
    case CTL_CAPTURE_STOP:
        if (!sized(p, len, sizeof *a, r))
            return;
        rc = dpu_capture_stop(s->dpu, a->handle);
        break;
    default:
        refuse(r, VNET_E_NOT_SUPPORTED, "unknown request");
        return;
    }
    r->rc = rc;
    if (rc) {
        snprintf(r->text, sizeof r->text, "%s", dpu_last_error(s->dpu));
        r->payload = NULL;
        r->len = 0;
    }
}

static void provision(struct server *s, const void *p, uint32_t len, struct reply *r, vnet_dpu_state *st)
{
    if (!sized(p, len, sizeof(struct ctl_provision), r))
        return;
    if (s->dpu) {
        refuse(r, VNET_E_ALREADY_PROVISIONED, "the DPU is already provisioned; power it off to give it another profile");
        return;
    }
    const struct ctl_provision *pr = p;
    char why[200] = "";
    int rc = dpu_check_profile(&pr->profile, why, sizeof why);
    if (rc) {
        refuse(r, rc, why);
        return;
    }
    struct dpu *dpu;
    rc = dpu_create(&pr->profile, &dpu);
    if (rc) {
        refuse(r, rc, abi_strerror(rc));
        return;
    }
    rc = dpu_start(dpu, &pr->params);
    if (rc) {
        refuse(r, rc, dpu_last_error(dpu));
        dpu_destroy(dpu, true);
        return;
    }
    s->dpu = dpu;
    dpu_heartbeat(dpu);
    const char *note;
    unsigned bus = dpu_rep_bus(dpu, &note);
    say(s, "representors en%uf... in %s%s%s", bus, pr->params.netns[0] ? pr->params.netns : "the machine's namespace",
        *note ? ": " : "", note);
    s->provisioned_at_ms = wall_ms();
    say(s, "provisioned: board %s, %u hot-plug ports, %u static PFs, %u VFs each, %u worker(s), sockets in %s (%s)",
        pr->profile.board_serial, pr->profile.hotplug_ports, pr->profile.static_pfs, pr->profile.vfs_per_pf,
        pr->params.workers, pr->params.socket_dir, pr->params.flags & VNET_START_CLIENT ? "client" : "server");
    state_of(s, st);
    r->payload = st;
    r->len = sizeof *st;
    r->fd = dpu_counters_fd(dpu);
}

static void handle(struct server *s, struct client *c, const struct ctl_hdr *h, const void *p)
{
    static __thread vnet_dpu_state st;
    struct reply r = {.rc = VNET_OK, .fd = -1};
    if (h->op != CTL_HELLO && !c->hello) {
        refuse(&r, VNET_E_ABI_MISMATCH, "HELLO first");
    } else {
        switch (h->op) {
        case CTL_HELLO: {
            uint32_t want[CTL_ABI_STRUCTS];
            ctl_abi_sizes(want);
            const struct ctl_hello *hello = p;
            if (h->len != sizeof *hello || hello->abi_version != VNET_ABI_VERSION || memcmp(hello->sizes, want, sizeof want)) {
                refuse(&r, VNET_E_ABI_MISMATCH, "the client's ABI differs from this DPU's; both must come from one build");
                break;
            }
            c->hello = true;
            state_of(s, &st);
            r.payload = &st;
            r.len = sizeof st;
            r.fd = s->dpu ? dpu_counters_fd(s->dpu) : -1;
            break;
        }
        case CTL_PROVISION:
            provision(s, p, h->len, &r, &st);
            break;
        case CTL_STATE:
            state_of(s, &st);
            r.payload = &st;
            r.len = sizeof st;
            break;
        case CTL_SHUTDOWN:
            say(s, "power-off requested by a client");
            s->stop = true;
            break;
        default:
            if (!s->dpu)
                refuse(&r, VNET_E_NOT_PROVISIONED, "the DPU is not provisioned yet");
            else
                run(s, (int)(c - s->clients), h->op, p, h->len, &r);
        }
    }
    struct ctl_hdr out = {CTL_MAGIC, h->op, CTL_F_REPLY, h->seq, r.rc, 0, 0};
    const void *payload = r.payload;
    if (r.rc) {
        payload = r.text;
        out.len = (uint32_t)strlen(r.text) + 1;
    } else {
        out.len = r.len;
    }
    int rc = ctl_send(c->fd, &out, payload, r.rc ? -1 : r.fd, REPLY_TIMEOUT_MS);
    free(r.owned);
    if (rc) {
        say(s, "a client does not take its reply (%s): disconnected", strerror(-rc));
        close(c->fd);
        c->fd = -1;
    }
}

static void accept_client(struct server *s)
{
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (s->clients[i].fd >= 0)
            continue;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
        if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev))
            break;
        s->clients[i].fd = fd;
        s->clients[i].hello = false;
        return;
    }
    close(fd); /* no room: the client sees its connection closed */
}

static struct client *client_of(struct server *s, int fd)
{
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (s->clients[i].fd == fd)
            return &s->clients[i];
    return NULL;
}

static void drop(struct server *s, struct client *c)
{
    if (s->dpu)
        dpu_capture_drop_owner(s->dpu, (int)(c - s->clients));
    epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
}

static void serve_client(struct server *s, struct client *c)
{
    struct ctl_hdr h;
    void *p = NULL;
    int rc = ctl_recv(c->fd, &h, &p, CTL_MAX_REQUEST, NULL, REQUEST_TIMEOUT_MS);
    if (rc) {
        if (rc != -EPIPE)
            say(s, "a client sent a malformed request (%s): disconnected", strerror(-rc));
        drop(s, c);
        return;
    }
    if (h.flags & CTL_F_REPLY) {
        free(p);
        say(s, "a client sent a reply instead of a request: disconnected");
        drop(s, c);
        return;
    }
    handle(s, c, &h, p);
    free(p);
    if (c->fd < 0)
        return;
}

int server_run(struct server *s)
{
    say(s, "serving %s (pid %d, version %s)", s->path, (int)getpid(), s->version);
    while (!s->stop) {
        struct epoll_event ev[16];
        int n = epoll_wait(s->ep, ev, 16, SHM_HEARTBEAT_MS);
        if (s->dpu)
            dpu_heartbeat(s->dpu);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        for (int i = 0; i < n && !s->stop; i++) {
            int fd = ev[i].data.fd;
            if (fd == s->listen_fd) {
                accept_client(s);
            } else if (fd == s->sig_fd) {
                struct signalfd_siginfo si;
                if (read(s->sig_fd, &si, sizeof si) == sizeof si) {
                    say(s, "signal %u: powering off", si.ssi_signo);
                    s->stop = true;
                }
            } else {
                struct client *c = client_of(s, fd);
                if (c)
                    serve_client(s, c);
                else
                    epoll_ctl(s->ep, EPOLL_CTL_DEL, fd, NULL);
            }
        }
    }
    return 0;
}

void server_close(struct server *s, bool keep_devices)
{
    if (!s)
        return;
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0)
            close(s->clients[i].fd);
    if (s->dpu) {
        uint32_t n = dpu_function_count(s->dpu);
        dpu_destroy(s->dpu, !keep_devices);
        say(s, "%s %u function(s)", keep_devices ? "released" : "powered off", n);
    }
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        unlink(s->path);
    }
    if (s->ep >= 0)
        close(s->ep);
    if (s->sig_fd >= 0)
        close(s->sig_fd);
    free(s);
}
