/*
 * client.c - libvnet: vnet.h over the DPU's control socket (proto/ctl.h)
 * and its counters segment (proto/shm.h).
 */
#include "vnet.h"
#include "proto/abi.h"
#include "proto/ctl.h"
#include "proto/shm.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 10000u

struct vnet_dpu {
    pthread_mutex_t lock;
    int sock;
    bool broken;    /* the DPU went away or the stream lost its framing */
    uint32_t seq;
    uint32_t timeout_ms;
    char err[256];
    vnet_profile profile;
    bool provisioned;
    const uint8_t *shm;
    size_t shm_size;
};

uint32_t vnet_abi_version(void) { return VNET_ABI_VERSION; }

uint32_t vnet_abi_struct_size(uint32_t which)
{
    uint32_t s[CTL_ABI_STRUCTS];
    ctl_abi_sizes(s);
    if (which < CTL_ABI_STRUCTS)
        return s[which];
    /* The structs of requests a DPU may not know (debug): not in HELLO's check. */
    static const uint32_t later[] = {sizeof(vnet_queue_debug), sizeof(vnet_capture_rec), sizeof(vnet_capture_state)};
    return which - CTL_ABI_STRUCTS < sizeof later / sizeof later[0] ? later[which - CTL_ABI_STRUCTS] : 0;
}

const char *vnet_strerror(int err) { return abi_strerror(err); }
const char *vnet_err_name(int err) { return abi_err_name(err); }
void vnet_profile_default(vnet_profile *p) { abi_profile_default(p); }

__attribute__((format(printf, 3, 4))) static int fail(vnet_dpu *d, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->err, sizeof d->err, fmt, ap);
    va_end(ap);
    return code;
}

static void unmap(vnet_dpu *d)
{
    if (d->shm)
        munmap((void *)d->shm, d->shm_size);
    d->shm = NULL;
    d->shm_size = 0;
}

/* Maps a counters segment the DPU passed; the fd is closed either way. */
static int map_segment(vnet_dpu *d, int fd)
{
    struct stat st;
    if (fstat(fd, &st) || st.st_size < (off_t)sizeof(struct shm_header)) {
        close(fd);
        return fail(d, VNET_E_SYSTEM, "the DPU's counters segment cannot be read");
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return fail(d, VNET_E_SYSTEM, "mapping the DPU's counters segment: %s", strerror(errno));
    unmap(d);
    d->shm = p;
    d->shm_size = (size_t)st.st_size;
    return VNET_OK;
}

/*
 * One request and its reply. On success *reply holds the payload (freed by
 * the caller) of *reply_len bytes. A failure of the channel itself makes
 * the context unusable: without the reply, the stream cannot be trusted.
 * Caller holds d->lock.
 */
static int call(vnet_dpu *d, uint16_t op, const void *payload, uint32_t len, void **reply, uint32_t *reply_len, int *fd)
{
    if (reply)
        *reply = NULL;
    if (fd)
        *fd = -1;
    if (d->broken || d->sock < 0)
        return fail(d, VNET_E_DPU_UNAVAILABLE, "the DPU process is gone (connect again)");
    struct ctl_hdr h = {CTL_MAGIC, op, 0, ++d->seq, 0, len, 0};
    int rc = ctl_send(d->sock, &h, payload, -1, (int)d->timeout_ms);
    struct ctl_hdr r;
    void *p = NULL;
    int got = -1;
    if (!rc)
        rc = ctl_recv(d->sock, &r, &p, CTL_MAX_REPLY, &got, (int)d->timeout_ms);
    if (rc) {
        d->broken = true;
        if (rc == -ETIMEDOUT)
            return fail(d, VNET_E_DPU_UNAVAILABLE, "the DPU process did not answer %s within %u ms", ctl_op_name(op), d->timeout_ms);
        return fail(d, VNET_E_DPU_UNAVAILABLE, "the DPU process went away during %s (%s)", ctl_op_name(op), strerror(-rc));
    }
    if (!(r.flags & CTL_F_REPLY) || r.seq != h.seq || r.op != op) {
        free(p);
        if (got >= 0)
            close(got);
        d->broken = true;
        return fail(d, VNET_E_DPU_UNAVAILABLE, "the DPU answered %s out of turn", ctl_op_name(op));
    }
    if (r.rc) {
        fail(d, r.rc, "%s", p && r.len ? (const char *)p : abi_strerror(r.rc));
        free(p);
        if (got >= 0)
            close(got);
        return r.rc;
    }
    if (reply)
        *reply = p;
    else
        free(p);
    if (reply_len)
        *reply_len = r.len;
    if (fd)
        *fd = got;
    else if (got >= 0)
        close(got);
    return VNET_OK;
}

/* A request whose reply is `want` bytes copied to out (NULL: discarded). */
static int call_into(vnet_dpu *d, uint16_t op, const void *payload, uint32_t len, void *out, uint32_t want)
{
    void *p;
    uint32_t n = 0;
    int rc = call(d, op, payload, len, &p, &n, NULL);
    if (rc)
        return rc;
    if (n != want) {
        free(p);
        d->broken = true;
        return fail(d, VNET_E_DPU_UNAVAILABLE, "the DPU's answer to %s has %u bytes, not %u", ctl_op_name(op), n, want);
    }
    if (out && want)
        memcpy(out, p, want);
    free(p);
    return VNET_OK;
}

static int take_state(vnet_dpu *d, void *p, uint32_t n, int fd, vnet_dpu_state *out)
{
    if (n != sizeof(vnet_dpu_state)) {
        free(p);
        if (fd >= 0)
            close(fd);
        d->broken = true;
        return fail(d, VNET_E_DPU_UNAVAILABLE, "the DPU's state has %u bytes, not %zu", n, sizeof(vnet_dpu_state));
    }
    vnet_dpu_state st;
    memcpy(&st, p, sizeof st);
    free(p);
    d->provisioned = st.provisioned;
    if (st.provisioned)
        d->profile = st.profile;
    if (out)
        *out = st;
    if (fd >= 0)
        return map_segment(d, fd);
    if (st.provisioned && !d->shm)
        return fail(d, VNET_E_DPU_UNAVAILABLE, "the DPU did not hand over its counters segment");
    return VNET_OK;
}

int vnet_dpu_connect(const char *path, uint32_t timeout_ms, vnet_dpu **out)
{
    if (!out)
        return VNET_E_INVALID_ARGUMENT;
    vnet_dpu *d = calloc(1, sizeof *d);
    *out = d;
    if (!d)
        return VNET_E_NO_MEMORY;
    pthread_mutex_init(&d->lock, NULL);
    d->sock = -1;
    d->timeout_ms = timeout_ms ? timeout_ms : DEFAULT_TIMEOUT_MS;
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    if (!path || strlen(path) >= sizeof a.sun_path)
        return fail(d, VNET_E_INVALID_ARGUMENT, "control socket path is missing or too long");
    memcpy(a.sun_path, path, strlen(path));
    d->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (d->sock < 0)
        return fail(d, VNET_E_SYSTEM, "socket: %s", strerror(errno));
    if (connect(d->sock, (struct sockaddr *)&a, sizeof a)) {
        int e = errno;
        close(d->sock);
        d->sock = -1;
        return fail(d, VNET_E_DPU_UNAVAILABLE, "no DPU process answers at %s (%s)", path, strerror(e));
    }
    struct ctl_hello hello = {VNET_ABI_VERSION, {0}};
    ctl_abi_sizes(hello.sizes);
    void *p;
    uint32_t n;
    int fd;
    pthread_mutex_lock(&d->lock);
    int rc = call(d, CTL_HELLO, &hello, sizeof hello, &p, &n, &fd);
    if (!rc)
        rc = take_state(d, p, n, fd, NULL);
    pthread_mutex_unlock(&d->lock);
    return rc;
}

void vnet_dpu_disconnect(vnet_dpu *d)
{
    if (!d)
        return;
    if (d->sock >= 0)
        close(d->sock);
    unmap(d);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

const char *vnet_dpu_last_error(vnet_dpu *d) { return d ? d->err : "no context"; }

int vnet_dpu_alive(vnet_dpu *d)
{
    if (!d || d->sock < 0)
        return 0;
    pthread_mutex_lock(&d->lock);
    int alive = 0;
    if (!d->broken) {
        /* The DPU never speaks unasked: anything readable now is its end
         * closing (or a protocol break, just as fatal). */
        struct pollfd pf = {d->sock, POLLIN | POLLRDHUP, 0};
        int n = poll(&pf, 1, 0);
        alive = n == 0;
        if (!alive)
            d->broken = true;
    }
    pthread_mutex_unlock(&d->lock);
    return alive;
}

int vnet_dpu_heartbeat_age(vnet_dpu *d, uint32_t *age_ms)
{
    if (!d || !age_ms)
        return VNET_E_INVALID_ARGUMENT;
    pthread_mutex_lock(&d->lock);
    int rc = VNET_OK;
    if (!d->shm)
        rc = fail(d, VNET_E_NOT_PROVISIONED, "the DPU is not provisioned yet");
    else {
        uint32_t hb = __atomic_load_n(&((const struct shm_header *)d->shm)->heartbeat_ms, __ATOMIC_ACQUIRE);
        if (!hb)
            rc = fail(d, VNET_E_NOT_SUPPORTED, "the DPU process keeps no heartbeat (an older build)");
        else
            *age_ms = shm_now_ms() - hb;
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int vnet_dpu_describe(vnet_dpu *d, vnet_dpu_state *out)
{
    if (!d || !out)
        return VNET_E_INVALID_ARGUMENT;
    pthread_mutex_lock(&d->lock);
    void *p;
    uint32_t n;
    int rc = call(d, CTL_STATE, NULL, 0, &p, &n, NULL);
    if (!rc)
        rc = take_state(d, p, n, -1, out);
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int vnet_dpu_provision(vnet_dpu *d, const vnet_profile *profile, const vnet_start_params *params)
{
    if (!d || !params)
        return VNET_E_INVALID_ARGUMENT;
    struct ctl_provision pr;
    memset(&pr, 0, sizeof pr);
    if (profile)
        pr.profile = *profile;
    else
        abi_profile_default(&pr.profile);
    pr.params = *params;
    pthread_mutex_lock(&d->lock);
    void *p;
    uint32_t n;
    int fd;
    int rc = call(d, CTL_PROVISION, &pr, sizeof pr, &p, &n, &fd);
    if (!rc)
        rc = take_state(d, p, n, fd, NULL);
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int vnet_dpu_shutdown(vnet_dpu *d)
{
    if (!d)
        return VNET_E_INVALID_ARGUMENT;
    pthread_mutex_lock(&d->lock);
    int rc = call(d, CTL_SHUTDOWN, NULL, 0, NULL, NULL, NULL);
    if (!rc)
        d->broken = true; /* it is going away */
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int vnet_dpu_profile(vnet_dpu *d, vnet_profile *out)
{
    if (!d || !out)
        return VNET_E_INVALID_ARGUMENT;
    pthread_mutex_lock(&d->lock);
    int rc = d->provisioned ? VNET_OK : fail(d, VNET_E_NOT_PROVISIONED, "the DPU is not provisioned yet");
    if (!rc)
        *out = d->profile;
    pthread_mutex_unlock(&d->lock);
    return rc;
}

#define LOCKED(d, expr)                                                                        \
    do {                                                                                       \
        if (!(d))                                                                              \
            return VNET_E_INVALID_ARGUMENT;                                                    \
        pthread_mutex_lock(&(d)->lock);                                                        \
        int rc_ = (expr);                                                                      \
        pthread_mutex_unlock(&(d)->lock);                                                      \
        return rc_;                                                                            \
    } while (0)

int vnet_fn_create(vnet_dpu *d, const vnet_fn_spec *spec, vnet_fn_info *out)
{
    if (!spec)
        return VNET_E_INVALID_ARGUMENT;
    vnet_fn_info tmp;
    LOCKED(d, call_into(d, CTL_FN_CREATE, spec, sizeof *spec, out ? out : &tmp, sizeof tmp));
}

int vnet_fn_destroy(vnet_dpu *d, uint32_t handle)
{
    struct ctl_args a = {handle, 0, 0, 0};
    LOCKED(d, call_into(d, CTL_FN_DESTROY, &a, sizeof a, NULL, 0));
}

int vnet_fn_modify(vnet_dpu *d, uint32_t handle, const vnet_fn_mod *mod, vnet_fn_info *out)
{
    if (!mod)
        return VNET_E_INVALID_ARGUMENT;
    struct ctl_modify m;
    memset(&m, 0, sizeof m);
    m.handle = handle;
    m.mod = *mod;
    vnet_fn_info tmp;
    LOCKED(d, call_into(d, CTL_FN_MODIFY, &m, sizeof m, out ? out : &tmp, sizeof tmp));
}

int vnet_fn_set_moderation(vnet_dpu *d, uint32_t handle, uint32_t mode, uint32_t period_us, uint32_t max_count)
{
    struct ctl_args a = {handle, mode, period_us, max_count};
    LOCKED(d, call_into(d, CTL_FN_MODERATION, &a, sizeof a, NULL, 0));
}

int vnet_fn_query(vnet_dpu *d, uint32_t handle, vnet_fn_info *out)
{
    if (!out)
        return VNET_E_INVALID_ARGUMENT;
    struct ctl_args a = {handle, 0, 0, 0};
    LOCKED(d, call_into(d, CTL_FN_QUERY, &a, sizeof a, out, sizeof *out));
}

static int list(vnet_dpu *d, vnet_fn_info *out, uint32_t cap, uint32_t *count)
{
    void *p;
    uint32_t n;
    int rc = call(d, CTL_FN_LIST, NULL, 0, &p, &n, NULL);
    if (rc)
        return rc;
    if (n % sizeof(vnet_fn_info)) {
        free(p);
        d->broken = true;
        return fail(d, VNET_E_DPU_UNAVAILABLE, "the DPU's function list is not a whole number of entries");
    }
    uint32_t total = n / (uint32_t)sizeof(vnet_fn_info);
    if (out && cap)
        memcpy(out, p, (size_t)(total < cap ? total : cap) * sizeof(vnet_fn_info));
    free(p);
    *count = total;
    return VNET_OK;
}

int vnet_fn_list(vnet_dpu *d, vnet_fn_info *out, uint32_t cap, uint32_t *count)
{
    if (!count || (cap && !out))
        return VNET_E_INVALID_ARGUMENT;
    LOCKED(d, list(d, out, cap, count));
}

static int queue_debug(vnet_dpu *d, uint32_t handle, vnet_queue_debug *out, uint32_t cap, uint32_t *count)
{
    struct ctl_args a = {handle, 0, 0, 0};
    void *p;
    uint32_t n;
    int rc = call(d, CTL_QUEUE_DEBUG, &a, sizeof a, &p, &n, NULL);
    if (rc)
        return rc;
    if (n % sizeof(vnet_queue_debug)) {
        free(p);
        d->broken = true;
        return fail(d, VNET_E_DPU_UNAVAILABLE, "the DPU's queue state is not a whole number of entries");
    }
    uint32_t total = n / (uint32_t)sizeof(vnet_queue_debug);
    if (out && cap)
        memcpy(out, p, (size_t)(total < cap ? total : cap) * sizeof(vnet_queue_debug));
    free(p);
    *count = total;
    return VNET_OK;
}

int vnet_fn_queue_debug(vnet_dpu *d, uint32_t handle, vnet_queue_debug *out, uint32_t cap, uint32_t *count)
{
    if (!count || (cap && !out))
        return VNET_E_INVALID_ARGUMENT;
    LOCKED(d, queue_debug(d, handle, out, cap, count));
}

static int capture_start(vnet_dpu *d, uint32_t handle, int32_t qid, uint32_t count, uint32_t snaplen, uint32_t *id)
{
    struct ctl_args a = {handle, (uint32_t)qid, count, snaplen}, r;
    int rc = call_into(d, CTL_CAPTURE_START, &a, sizeof a, &r, sizeof r);
    if (!rc)
        *id = r.handle;
    return rc;
}

int vnet_capture_start(vnet_dpu *d, uint32_t handle, int32_t qid, uint32_t count, uint32_t snaplen, uint32_t *id)
{
    if (!id)
        return VNET_E_INVALID_ARGUMENT;
    LOCKED(d, capture_start(d, handle, qid, count, snaplen, id));
}

/* Checks that a capture read is whole records before handing it out. */
static bool records_whole(const uint8_t *p, uint32_t n)
{
    uint32_t at = 0;
    while (at < n) {
        if (n - at < sizeof(vnet_capture_rec))
            return false;
        vnet_capture_rec r;
        memcpy(&r, p + at, sizeof r);
        uint64_t size = sizeof r + (((uint64_t)r.incl_len + 7u) & ~(uint64_t)7u);
        if (r.incl_len > r.orig_len || size > n - at)
            return false;
        at += (uint32_t)size;
    }
    return true;
}

static int capture_read(vnet_dpu *d, uint32_t id, void *buf, uint32_t cap, uint32_t *len, vnet_capture_state *st)
{
    struct ctl_args a = {id, cap, 0, 0};
    void *p;
    uint32_t n;
    int rc = call(d, CTL_CAPTURE_READ, &a, sizeof a, &p, &n, NULL);
    if (rc)
        return rc;
    if (n < sizeof *st || n - sizeof *st > cap || !records_whole((const uint8_t *)p + sizeof *st, n - (uint32_t)sizeof *st)) {
        free(p);
        d->broken = true;
        return fail(d, VNET_E_DPU_UNAVAILABLE, "the DPU's capture read is malformed");
    }
    memcpy(st, p, sizeof *st);
    *len = n - (uint32_t)sizeof *st;
    memcpy(buf, (const uint8_t *)p + sizeof *st, *len);
    free(p);
    return VNET_OK;
}

int vnet_capture_read(vnet_dpu *d, uint32_t id, void *buf, uint32_t cap, uint32_t *len, vnet_capture_state *st)
{
    if (!len || !st || (cap && !buf))
        return VNET_E_INVALID_ARGUMENT;
    LOCKED(d, capture_read(d, id, buf, cap, len, st));
}

int vnet_capture_stop(vnet_dpu *d, uint32_t id)
{
    struct ctl_args a = {id, 0, 0, 0};
    LOCKED(d, call_into(d, CTL_CAPTURE_STOP, &a, sizeof a, NULL, 0));
}

int vnet_dpu_set_idle_poll(vnet_dpu *d, uint32_t us)
{
    struct ctl_args a = {0, us, 0, 0};
    LOCKED(d, call_into(d, CTL_IDLE_POLL, &a, sizeof a, NULL, 0));
}

int vnet_fn_set_backend(vnet_dpu *d, uint32_t handle, uint32_t mode, uint32_t gen_size)
{
    struct ctl_args a = {handle, mode, gen_size, 0};
    LOCKED(d, call_into(d, CTL_FN_BACKEND, &a, sizeof a, NULL, 0));
}

static int sweep(vnet_dpu *d, uint32_t *representors, uint32_t *sockets)
{
    struct ctl_args r;
    int rc = call_into(d, CTL_SWEEP, NULL, 0, &r, sizeof r);
    if (rc)
        return rc;
    if (representors)
        *representors = r.a;
    if (sockets)
        *sockets = r.b;
    return VNET_OK;
}

int vnet_dpu_sweep(vnet_dpu *d, uint32_t *representors, uint32_t *sockets) { LOCKED(d, sweep(d, representors, sockets)); }

int vnet_fn_driver_write_status(vnet_dpu *d, uint32_t handle, uint8_t status)
{
    struct ctl_args a = {handle, status, 0, 0};
    LOCKED(d, call_into(d, CTL_DRIVER_STATUS, &a, sizeof a, NULL, 0));
}

int vnet_fn_driver_write_features(vnet_dpu *d, uint32_t handle, uint64_t features)
{
    struct ctl_value v = {handle, 0, features};
    LOCKED(d, call_into(d, CTL_DRIVER_FEATURES, &v, sizeof v, NULL, 0));
}

int vnet_counters_snapshot(vnet_dpu *d, vnet_queue_counters *out, uint32_t cap, uint32_t *count)
{
    if (!d || !count || (cap && !out))
        return VNET_E_INVALID_ARGUMENT;
    pthread_mutex_lock(&d->lock);
    int rc = VNET_OK;
    if (!d->shm)
        rc = fail(d, VNET_E_NOT_PROVISIONED, "the DPU is not provisioned yet");
    else
        *count = shm_read(d->shm, d->shm_size, out, cap);
    pthread_mutex_unlock(&d->lock);
    return rc;
}
