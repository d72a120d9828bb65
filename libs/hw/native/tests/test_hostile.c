/*
 * The hostile-driver suite: a raw vhost-user client, with SCM_RIGHTS fds and
 * a memfd as guest memory, misbehaves on one device (the tenant) of a real
 * DPU process, one case per class of bad input. Each case checks what the
 * tenant's device answered (a refusal, a closed connection, or NEEDS_RESET
 * with the error counted), and then that nothing else was touched: another
 * device (the bystander, driven by a well-behaved driver) still forwards,
 * the DPU still answers its control socket, and the DPU holds no fd the
 * tenant handed it once the tenant is gone.
 */
#include "check.h"
#include "fe.h"
#include "spawn.h"
#include "vhost_msg.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#define F_BASE (VNET_BIT(VIRTIO_F_VERSION_1) | VNET_BIT(VIRTIO_NET_F_MAC) | VNET_BIT(VIRTIO_NET_F_MRG_RXBUF))
#define ASK (VU_VERSION | VU_FLAG_NEED_REPLY)

static struct spawned s;
static vnet_dpu *dpu;
static vnet_fn_info tenant, bystander;
static struct fe good; /* the bystander's driver */
static int baseline_fds;
static uint32_t functions; /* the DPU's function count, which no case may change */

static vnet_fn_info info_of(const vnet_fn_info *f)
{
    vnet_fn_info i;
    memset(&i, 0, sizeof i);
    CHECK_EQ(vnet_fn_query(dpu, f->handle, &i), VNET_OK);
    return i;
}

static vnet_queue_counters queue_of(const vnet_fn_info *f, uint16_t qid)
{
    vnet_queue_counters all[16], none;
    memset(&none, 0, sizeof none);
    uint32_t n = 0;
    vnet_counters_snapshot(dpu, all, 16, &n);
    for (uint32_t i = 0; i < n && i < 16; i++)
        if (all[i].handle == f->handle && all[i].qid == qid)
            return all[i];
    return none;
}

/* Sends a request that asks for REPLY_ACK; the ack (0 applied, 1 refused),
 * or -1 when the device closed the connection instead. */
static int ack_of(struct fe *h, uint32_t req, const void *p, uint32_t size, const int *fds, int nfds)
{
    uint64_t ack = 99;
    if (fe_request(h, req, ASK, p, size, fds, nfds, &ack, 8))
        return -1;
    return (int)ack;
}

static bool closed(struct fe *h)
{
    uint64_t features;
    return fe_request(h, VU_GET_FEATURES, 0, NULL, 0, NULL, 0, &features, 8) != 0;
}

static void wait_disconnected(const vnet_fn_info *f)
{
    for (long long until = spawn_now_ms() + 3000; spawn_now_ms() < until;) {
        if (!info_of(f).connected)
            return;
        spawn_sleep_ms(2);
    }
    CHECK(!"the device still holds the tenant's connection");
}

/* A frame through the tenant's own device comes back (echo). */
static bool echoes(struct fe *h, size_t len)
{
    uint8_t frame[1600], got[FE_BUF_SIZE];
    memset(frame, 0x5a, sizeof frame);
    fe_post_rx(h, 0, 1);
    if (fe_send(h, 1, frame, len) || fe_take_used(h, 1, NULL, 0, 2000) < 0)
        return false;
    return fe_take_used(h, 0, got, sizeof got, 2000) == (int)(12 + len) && memcmp(got + 12, frame, len) == 0;
}

/* What every case ends with: the tenant is gone, its device reset, and
 * the rest of the DPU as if nothing happened. */
static void nothing_else_touched(const char *what)
{
    wait_disconnected(&tenant);
    vnet_fn_info t = info_of(&tenant);
    CHECK_EQ(t.device_status, 0); /* a disconnect resets the device */
    /* the bystander's driver keeps forwarding */
    for (int i = 0; i < 8; i++) {
        if (!echoes(&good, 64 + (size_t)i * 100)) {
            fprintf(stderr, "after %s: the bystander stopped forwarding\n", what);
            CHECK(!"bystander forwards");
            break;
        }
    }
    uint64_t features = 0;
    CHECK_EQ(fe_request(&good, VU_GET_FEATURES, 0, NULL, 0, NULL, 0, &features, 8), 0);
    CHECK(info_of(&bystander).device_status & VNET_STATUS_DRIVER_OK);
    /* the DPU answers and keeps every function */
    uint32_t n = 0;
    CHECK_EQ(vnet_fn_list(dpu, NULL, 0, &n), VNET_OK);
    CHECK_EQ(n, functions);
    CHECK_EQ(vnet_dpu_alive(dpu), 1);
    /* no fd the tenant handed over stays behind */
    int fds = spawn_fd_count(&s);
    for (long long until = spawn_now_ms() + 2000; fds != baseline_fds && spawn_now_ms() < until;) {
        spawn_sleep_ms(5);
        fds = spawn_fd_count(&s);
    }
    if (fds != baseline_fds)
        fprintf(stderr, "after %s: the DPU holds %d fds, %d before\n", what, fds, baseline_fds);
    CHECK_EQ(fds, baseline_fds);
}

static uint64_t errors_of(const vnet_fn_info *f) { return info_of(f).protocol_errors; }

static bool note_has(const char *text)
{
    vnet_fn_info t = info_of(&tenant);
    if (strstr(t.backend_note, text))
        return true;
    fprintf(stderr, "note \"%s\" lacks \"%s\"\n", t.backend_note, text);
    return false;
}

static int memfd_of(size_t size)
{
    int fd = memfd_create("tenant", MFD_CLOEXEC);
    if (fd >= 0 && ftruncate(fd, (off_t)size)) {
        close(fd);
        return -1;
    }
    return fd;
}

static int mem_table(struct fe *h, uint32_t n, const uint64_t *sizes, const int *fds)
{
    struct vu_memory m;
    memset(&m, 0, sizeof m);
    m.nregions = n;
    for (uint32_t i = 0; i < n; i++) {
        m.regions[i].gpa = 0x100000000ull * (i + 1);
        m.regions[i].uva = 0x7f0000000000ull + 0x100000000ull * i;
        m.regions[i].size = sizes[i];
    }
    return fe_request(h, VU_SET_MEM_TABLE, 0, &m, 8 + n * (uint32_t)sizeof(struct vu_region), fds, (int)n, NULL, 0);
}

/* 1. Memory fds shorter than the region they back, or no memory at all. */
static void case_short_memory(void)
{
    uint64_t before = errors_of(&tenant);
    struct fe h;
    CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
    CHECK_EQ(fe_negotiate(&h, F_BASE), 0);
    int fd = memfd_of(1u << 20);
    uint64_t size = 2u << 20;
    mem_table(&h, 1, &size, &fd);
    CHECK(closed(&h));
    CHECK(note_has("holds 1048576 bytes"));
    fe_close(&h);
    close(fd);
    nothing_else_touched("a memory fd shorter than its region");

    /* eight regions claiming a terabyte each of eight small memfds */
    CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
    CHECK_EQ(fe_negotiate(&h, F_BASE), 0);
    int fds[8];
    uint64_t sizes[8];
    for (int i = 0; i < 8; i++) {
        fds[i] = memfd_of(4096);
        sizes[i] = 1ull << 40;
    }
    mem_table(&h, 8, sizes, fds);
    CHECK(closed(&h));
    fe_close(&h);
    for (int i = 0; i < 8; i++)
        close(fds[i]);
    nothing_else_touched("regions larger than their fds");

    /* a socket where memory should be */
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
    CHECK_EQ(fe_negotiate(&h, F_BASE), 0);
    size = 4096;
    mem_table(&h, 1, &size, &sv[0]);
    CHECK(closed(&h));
    CHECK(note_has("not a memory file"));
    fe_close(&h);
    close(sv[0]);
    close(sv[1]);
    nothing_else_touched("a socket as guest memory");
    CHECK_EQ(errors_of(&tenant) - before, 3);
}

/* 2. Guest memory truncated after the device mapped it. */
static void case_truncated_memory(void)
{
    vnet_dpu_state st;
    CHECK_EQ(vnet_dpu_describe(dpu, &st), VNET_OK);
    uint64_t faults = st.faults;
    struct fe h;
    CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
    CHECK_EQ(fe_setup(&h, F_BASE, 2, 64), 0);
    CHECK(echoes(&h, 100));
    /* post a frame but do not kick; pull the memory away; then kick */
    struct fe_ring *tx = &h.r[1];
    tx->desc[5] = (struct vring_desc){fe_gpa(&h, h.mem + tx->buf_off), 100, 0, 0};
    tx->avail[2 + (tx->avail_idx % tx->num)] = 5;
    __atomic_store_n(&tx->avail[1], (uint16_t)(tx->avail_idx + 1), __ATOMIC_RELEASE);
    CHECK_EQ(ftruncate(h.memfd, 0), 0);
    uint64_t one = 1;
    CHECK(write(tx->kick, &one, 8) == 8);
    bool reset = false;
    for (long long until = spawn_now_ms() + 3000; !reset && spawn_now_ms() < until;) {
        reset = info_of(&tenant).device_status & VNET_STATUS_NEEDS_RESET;
        if (!reset)
            spawn_sleep_ms(2);
    }
    CHECK(reset);
    CHECK(note_has("shrank its shared memory"));
    CHECK_EQ(vnet_dpu_describe(dpu, &st), VNET_OK);
    CHECK(st.faults > faults);
    /* the tenant's memory is gone on our side too: do not touch it */
    munmap(h.mem, h.mem_size);
    h.mem = NULL;
    fe_close(&h);
    nothing_else_touched("guest memory truncated under the device");
}

/* 3. Kick, call and error fds that are not eventfds, or would block. */
static void case_notification_fds(void)
{
    struct fe h;
    CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
    CHECK_EQ(fe_setup(&h, F_BASE, 2, 64), 0);
    uint64_t before = errors_of(&tenant);
    int p[2];
    CHECK_EQ(pipe(p), 0);
    uint64_t idx = 1;
    CHECK_EQ(ack_of(&h, VU_SET_VRING_KICK, &idx, 8, &p[0], 1), 1);
    CHECK(note_has("kick fd is not an eventfd"));
    CHECK_EQ(ack_of(&h, VU_SET_VRING_CALL, &idx, 8, &p[1], 1), 1);
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    CHECK_EQ(ack_of(&h, VU_SET_VRING_ERR, &idx, 8, &sv[0], 1), 1);
    CHECK_EQ(errors_of(&tenant) - before, 3);
    CHECK(echoes(&h, 200)); /* the ring kept its own fds */

    /* blocking eventfds, the call fd at its maximum count: a write on it
     * would block forever; the device must never wait on a tenant's fd */
    int call = eventfd(0, EFD_CLOEXEC), kick = eventfd(0, EFD_CLOEXEC);
    uint64_t max = 0xfffffffffffffffeull;
    CHECK(write(call, &max, 8) == 8);
    idx = 0;
    CHECK_EQ(ack_of(&h, VU_SET_VRING_CALL, &idx, 8, &call, 1), 0);
    idx = 1;
    CHECK_EQ(ack_of(&h, VU_SET_VRING_CALL, &idx, 8, &call, 1), 0);
    CHECK_EQ(ack_of(&h, VU_SET_VRING_KICK, &idx, 8, &kick, 1), 0);
    CHECK(fcntl(call, F_GETFL) & O_NONBLOCK); /* the device made them non-blocking */
    CHECK(fcntl(kick, F_GETFL) & O_NONBLOCK);
    close(h.r[1].kick);
    h.r[1].kick = kick;
    for (int i = 0; i < 4; i++)
        CHECK(echoes(&h, 300)); /* completions go on; the calls are lost, not waited for */
    CHECK(vnet_dpu_alive(dpu));
    close(call);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
    fe_close(&h);
    nothing_else_touched("notification fds that are no eventfds or would block");
}

/* 4. Ring size, address or base changed while the ring runs; misaligned rings. */
static void case_ring_changes(void)
{
    struct fe h;
    CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
    CHECK_EQ(fe_setup(&h, F_BASE, 2, 64), 0);
    uint64_t before = errors_of(&tenant);
    struct vu_state num = {1, 128}, base = {1, 7};
    struct vu_addr a = {1, 0, (uint64_t)(uintptr_t)h.mem, (uint64_t)(uintptr_t)h.mem + 4096, (uint64_t)(uintptr_t)h.mem + 8192, 0};
    CHECK_EQ(ack_of(&h, VU_SET_VRING_NUM, &num, sizeof num, NULL, 0), 1);
    CHECK(note_has("SET_VRING_NUM while the ring runs"));
    CHECK_EQ(ack_of(&h, VU_SET_VRING_ADDR, &a, sizeof a, NULL, 0), 1);
    CHECK_EQ(ack_of(&h, VU_SET_VRING_BASE, &base, sizeof base, NULL, 0), 1);
    CHECK_EQ(errors_of(&tenant) - before, 3);
    CHECK(echoes(&h, 400));
    fe_close(&h);
    nothing_else_touched("ring changes under a running ring");

    /* misaligned areas, refused before the ring can start */
    CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
    CHECK_EQ(fe_negotiate(&h, F_BASE), 0);
    struct vu_addr odd = {0, 0, 0x7f0000000008ull, 0x7f0000002000ull, 0x7f0000001000ull, 0};
    CHECK_EQ(ack_of(&h, VU_SET_VRING_ADDR, &odd, sizeof odd, NULL, 0), 1);
    CHECK(note_has("misaligned"));
    odd.desc = 0x7f0000000000ull;
    odd.used = 0x7f0000002002ull;
    CHECK_EQ(ack_of(&h, VU_SET_VRING_ADDR, &odd, sizeof odd, NULL, 0), 1);
    fe_close(&h);
    nothing_else_touched("misaligned rings");
}

/* 5. An avail index that jumps far beyond the ring. */
static void case_avail_jump(void)
{
    struct fe h;
    CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
    CHECK_EQ(fe_setup(&h, F_BASE, 2, 64), 0);
    CHECK(echoes(&h, 60));
    vnet_queue_counters before = queue_of(&tenant, 1);
    struct fe_ring *tx = &h.r[1];
    __atomic_store_n(&tx->avail[1], (uint16_t)(tx->avail_idx + 40000), __ATOMIC_RELEASE);
    uint64_t one = 1;
    CHECK(write(tx->kick, &one, 8) == 8);
    bool reset = false;
    for (long long until = spawn_now_ms() + 3000; !reset && spawn_now_ms() < until;) {
        reset = info_of(&tenant).device_status & VNET_STATUS_NEEDS_RESET;
        if (!reset)
            spawn_sleep_ms(2);
    }
    CHECK(reset);
    vnet_queue_counters after = queue_of(&tenant, 1);
    CHECK(after.broken);
    CHECK_EQ(after.received_desc, before.received_desc); /* not one of the 40000 taken */
    CHECK_EQ(after.bad_desc_errors - before.bad_desc_errors, 1);
    fe_close(&h);
    nothing_else_touched("an avail index beyond the ring");
}

static void post_tx(struct fe *h, const struct vring_desc *d, int n)
{
    struct fe_ring *tx = &h->r[1];
    for (int i = 0; i < n; i++)
        tx->desc[i + 1] = d[i];
    tx->avail[2 + (tx->avail_idx % tx->num)] = 1;
    __atomic_store_n(&tx->avail[1], (uint16_t)(tx->avail_idx + 1), __ATOMIC_RELEASE);
    tx->avail_idx++;
    uint64_t one = 1;
    CHECK(write(tx->kick, &one, 8) == 8);
    CHECK_EQ(fe_take_used(h, 1, NULL, 0, 2000), 0); /* given back, nothing written */
}

/* 6. Descriptor chains of every malformed shape: each counted and given
 * back empty; the queue goes on. */
static void case_malformed_chains(void)
{
    struct fe h;
    CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
    CHECK_EQ(fe_setup(&h, F_BASE, 2, 128), 0);
    uint64_t buf = fe_gpa(&h, h.mem + h.r[1].buf_off + 100 * FE_BUF_SIZE);
    vnet_queue_counters c0 = queue_of(&tenant, 1);
    struct vring_desc loop[2] = {{buf, 64, VRING_DESC_F_NEXT, 2}, {buf, 64, VRING_DESC_F_NEXT, 1}};
    post_tx(&h, loop, 2);
    struct vring_desc outside = {0xdead00000000ull, 64, 0, 0};
    post_tx(&h, &outside, 1);
    struct vring_desc straddles = {fe_gpa(&h, h.mem) + h.mem_size - 10, 64, 0, 0};
    post_tx(&h, &straddles, 1);
    struct vring_desc empty = {buf, 0, 0, 0};
    post_tx(&h, &empty, 1);
    struct vring_desc indirect = {buf, 16, VRING_DESC_F_INDIRECT, 0};
    post_tx(&h, &indirect, 1);
    struct vring_desc writable = {buf, 64, VRING_DESC_F_WRITE, 0};
    post_tx(&h, &writable, 1);
    struct vring_desc far_next = {buf, 64, VRING_DESC_F_NEXT, 500};
    post_tx(&h, &far_next, 1);
    struct vring_desc mixed[2] = {{buf, 64, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2}, {buf, 64, 0, 0}};
    post_tx(&h, mixed, 2);
    struct vring_desc longest[100];
    for (int i = 0; i < 100; i++)
        longest[i] = (struct vring_desc){buf, 16, (uint16_t)(i < 99 ? VRING_DESC_F_NEXT : 0), (uint16_t)(i + 2)};
    post_tx(&h, longest, 100);
    struct vring_desc short_hdr = {buf, 4, 0, 0}; /* less than a virtio-net header */
    post_tx(&h, &short_hdr, 1);
    vnet_queue_counters c1 = queue_of(&tenant, 1);
    CHECK_EQ(c1.dropped - c0.dropped, 10);
    CHECK_EQ(c1.packets, c0.packets);
    CHECK_EQ(c1.exceed_max_chain - c0.exceed_max_chain, 2);
    CHECK_EQ(c1.invalid_buffer - c0.invalid_buffer, 3);
    CHECK_EQ(c1.bad_desc_errors - c0.bad_desc_errors, 5);
    CHECK(!c1.broken);
    CHECK(echoes(&h, 500));
    fe_close(&h);
    nothing_else_touched("malformed descriptor chains");
}

/* 7. Fds a message supersedes, or should not carry. */
static void case_fds(void)
{
    struct fe h;
    CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
    CHECK_EQ(fe_negotiate(&h, F_BASE), 0);
    for (int i = 0; i < 50; i++) {
        int e = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        uint64_t idx = (uint64_t)(i % 2);
        CHECK_EQ(ack_of(&h, VU_SET_VRING_KICK, &idx, 8, &e, 1), 0);
        CHECK_EQ(ack_of(&h, VU_SET_VRING_CALL, &idx, 8, &e, 1), 0);
        close(e);
    }
    /* while connected the DPU holds at most one kick and one call per queue */
    CHECK(spawn_fd_count(&s) <= baseline_fds + 1 + 4);
    int e[3] = {eventfd(0, 0), eventfd(0, 0), eventfd(0, 0)};
    CHECK_EQ(ack_of(&h, VU_SET_LOG_FD, NULL, 0, e, 1), 1); /* not supported: refused, fd closed */
    CHECK(note_has("not supported"));
    fe_request(&h, VU_GET_FEATURES, 0, NULL, 0, e, 3, NULL, 0); /* fds where none belong */
    CHECK(closed(&h));
    for (int i = 0; i < 3; i++)
        close(e[i]);
    fe_close(&h);
    nothing_else_touched("superseded and unwanted fds");

    /* connections beyond the one driver a device has: each is closed */
    CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
    CHECK_EQ(fe_negotiate(&h, F_BASE), 0);
    for (int i = 0; i < 200; i++) {
        struct fe extra;
        if (fe_connect(&extra, tenant.vhost_socket) == 0)
            CHECK(closed(&extra));
        fe_close(&extra);
    }
    CHECK(!closed(&h));
    fe_close(&h);
    nothing_else_touched("a storm of connections");
}

/* 8. Frames larger than the device's MTU. */
static void case_oversized(void)
{
    struct fe h;
    CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
    CHECK_EQ(fe_setup(&h, F_BASE, 2, 64), 0);
    vnet_queue_counters c0 = queue_of(&tenant, 1);
    uint8_t frame[1600] = {0};
    fe_post_rx(&h, 0, 1);
    CHECK_EQ(fe_send(&h, 1, frame, 1500 + 14 + 4 + 1), 0); /* one byte beyond MTU, Ethernet and VLAN headers */
    CHECK_EQ(fe_take_used(&h, 1, NULL, 0, 2000), 0);
    CHECK_EQ(fe_take_used(&h, 0, NULL, 0, 200), -1); /* not forwarded */
    vnet_queue_counters c1 = queue_of(&tenant, 1);
    CHECK_EQ(c1.oversized - c0.oversized, 1);
    CHECK_EQ(c1.dropped - c0.dropped, 1);
    CHECK(echoes(&h, 1500 + 14 + 4)); /* the largest legal frame goes */
    fe_close(&h);
    nothing_else_touched("frames beyond the MTU");
}

struct flood {
    const char *path;
    _Atomic bool stop;
    long sent;
};

static void *flood(void *arg)
{
    struct flood *f = arg;
    struct fe h;
    if (fe_connect(&h, f->path) || fe_negotiate(&h, F_BASE))
        return NULL;
    while (!atomic_load(&f->stop) && fe_request(&h, VU_SET_OWNER, 0, NULL, 0, NULL, 0, NULL, 0) == 0)
        f->sent++;
    fe_close(&h);
    return NULL;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* 9. A flood of messages on one device: every other device's answers and
 * the DPU's control socket keep answering. The latencies are printed
 * (bench/ has the benchmark); the test checks that each is answered. */
static void case_flood(void)
{
    struct flood f = {tenant.vhost_socket, false, 0};
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, flood, &f), 0);
    while (f.sent < 10000)
        spawn_sleep_ms(1);
    long long lat[200], worst_ctl = 0;
    for (int i = 0; i < 200; i++) {
        struct timespec a, b;
        uint64_t features;
        clock_gettime(CLOCK_MONOTONIC, &a);
        CHECK_EQ(fe_request(&good, VU_GET_FEATURES, 0, NULL, 0, NULL, 0, &features, 8), 0);
        clock_gettime(CLOCK_MONOTONIC, &b);
        lat[i] = (b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec);
        if (i % 20 == 0) {
            vnet_fn_info x;
            clock_gettime(CLOCK_MONOTONIC, &a);
            CHECK_EQ(vnet_fn_query(dpu, bystander.handle, &x), VNET_OK);
            clock_gettime(CLOCK_MONOTONIC, &b);
            long long ns = (b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec);
            worst_ctl = ns > worst_ctl ? ns : worst_ctl;
        }
    }
    atomic_store(&f.stop, true);
    pthread_join(t, NULL);
    qsort(lat, 200, sizeof lat[0], cmp_ll);
    printf("  flood of %ld messages on the tenant: bystander GET_FEATURES p50 %.3f ms, max %.3f ms; DPU control max %.3f ms\n",
           f.sent, lat[100] / 1e6, lat[199] / 1e6, worst_ctl / 1e6);
    CHECK(f.sent > 10000);
    nothing_else_touched("a message flood");
}

/* 10. Malformed messages, for the record: each closes the connection. */
static void case_malformed_messages(void)
{
    struct fe h;
    CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
    uint32_t big[3] = {VU_SET_FEATURES, VU_VERSION, 1u << 20};
    CHECK(write(h.sock, big, sizeof big) == sizeof big);
    CHECK(closed(&h));
    fe_close(&h);
    CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
    uint8_t junk[64];
    memset(junk, 0xff, sizeof junk);
    CHECK(write(h.sock, junk, sizeof junk) == sizeof junk);
    CHECK(closed(&h));
    fe_close(&h);
    nothing_else_touched("malformed messages");
}

/* Lines of the DPU's /proc/PID/maps naming `what`: a mapping it kept. */
static int dpu_maps_naming(const char *what)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)s.pid);
    FILE *m = fopen(path, "r");
    int n = 0;
    while (m && fgets(line, sizeof line, m))
        n += strstr(line, what) != NULL;
    if (m)
        fclose(m);
    return n;
}

static int log_memfd(size_t size)
{
    int fd = memfd_create("tenant-log", MFD_CLOEXEC);
    if (fd >= 0 && ftruncate(fd, (off_t)size)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* SET_LOG_BASE with one fd: 0 when the device replied, -1 when it closed. */
static int set_log(struct fe *h, int fd, uint64_t size, uint64_t offset)
{
    const uint64_t lg[2] = {size, offset};
    uint64_t reply = 99;
    if (fe_request(h, VU_SET_LOG_BASE, 0, lg, sizeof lg, fd >= 0 ? &fd : NULL, fd >= 0 ? 1 : 0, &reply, 8))
        return -1;
    return (int)reply;
}

/* 11. Dirty logs (live migration) that do not fit their fd, that are no
 * memory, that come without an fd, or that shrink under the device; and
 * many good ones replaced one after the other. */
static void case_dirty_log(void)
{
    uint64_t before = errors_of(&tenant);
    struct fe h;
    /* larger than the fd, past its end at an offset, beyond any guest, empty */
    const struct {
        uint64_t size, offset;
        const char *note;
    } shapes[] = {
        {8192, 0, "holds 4096 bytes, the log needs 8192"},
        {4096, 4096, "holds 4096 bytes, the log needs 8192"},
        {1ull << 40, 0, "a log of 1099511627776 bytes"},
        {0, 0, "a log of 0 bytes"},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
        CHECK_EQ(fe_setup(&h, F_BASE, 2, 64), 0);
        CHECK(echoes(&h, 100));
        int fd = log_memfd(4096);
        CHECK_EQ(set_log(&h, fd, shapes[i].size, shapes[i].offset), -1);
        CHECK(closed(&h));
        CHECK(note_has(shapes[i].note));
        fe_close(&h);
        close(fd);
        nothing_else_touched("a dirty log that does not fit its fd");
    }
    /* no memory at all: a pipe, an eventfd, a socket */
    int p[2], sv[2];
    CHECK_EQ(pipe(p), 0);
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    const int not_memory[3] = {p[0], eventfd(0, EFD_CLOEXEC), sv[0]};
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
        CHECK_EQ(fe_setup(&h, F_BASE, 2, 64), 0);
        CHECK_EQ(set_log(&h, not_memory[i], 4096, 0), -1);
        CHECK(closed(&h));
        CHECK(note_has("not a memory file"));
        fe_close(&h);
        nothing_else_touched("a dirty log fd that is not memory");
    }
    close(p[0]);
    close(p[1]);
    close(not_memory[1]);
    close(sv[0]);
    close(sv[1]);
    /* no fd */
    CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
    CHECK_EQ(fe_setup(&h, F_BASE, 2, 64), 0);
    CHECK_EQ(set_log(&h, -1, 4096, 0), -1);
    CHECK(closed(&h));
    CHECK(note_has("0 file descriptors, expected 1"));
    fe_close(&h);
    nothing_else_touched("SET_LOG_BASE without an fd");
    CHECK_EQ(errors_of(&tenant) - before, 8);

    /* a log the tenant shrinks while the device marks it: NEEDS_RESET */
    vnet_dpu_state st;
    CHECK_EQ(vnet_dpu_describe(dpu, &st), VNET_OK);
    uint64_t faults = st.faults;
    CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
    CHECK_EQ(fe_setup(&h, F_BASE, 2, 64), 0);
    int fd = log_memfd(4096);
    CHECK_EQ(set_log(&h, fd, 4096, 0), 0);
    CHECK_EQ(fe_log(&h, true), 0);
    CHECK(echoes(&h, 100));
    CHECK(info_of(&tenant).log_enabled);
    CHECK_EQ(ftruncate(fd, 0), 0);
    bool reset = false;
    for (int i = 0; i < 50 && !reset; i++) {
        echoes(&h, 100);
        reset = info_of(&tenant).device_status & VNET_STATUS_NEEDS_RESET;
    }
    CHECK(reset);
    CHECK(note_has("shrank its shared memory"));
    CHECK_EQ(vnet_dpu_describe(dpu, &st), VNET_OK);
    CHECK(st.faults > faults);
    fe_close(&h);
    close(fd);
    nothing_else_touched("a dirty log truncated under the device");

    /* good logs, each replacing the last, under traffic: none stays */
    CHECK_EQ(fe_connect(&h, tenant.vhost_socket), 0);
    CHECK_EQ(fe_setup(&h, F_BASE, 2, 64), 0);
    for (int i = 0; i < 50; i++) {
        fd = log_memfd(4096);
        CHECK_EQ(set_log(&h, fd, 4096, 0), 0);
        close(fd);
        if (i == 0)
            CHECK_EQ(fe_log(&h, true), 0);
        CHECK(echoes(&h, 64 + (size_t)i));
    }
    CHECK(dpu_maps_naming("tenant-log") <= 1); /* the last one only */
    fe_close(&h);
    nothing_else_touched("dirty logs replaced under traffic");
    CHECK_EQ(dpu_maps_naming("tenant-log"), 0);
}

static vnet_fn_info make(uint8_t last, int port)
{
    vnet_fn_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.type = VNET_FN_HOTPLUG_PF;
    spec.pf_index = spec.vf_index = spec.sf_num = -1;
    spec.port = port;
    strcpy(spec.ib_device, "mlx5_0");
    const uint8_t mac[6] = {0x02, 0x48, 0x4f, 0x53, 0, last};
    memcpy(spec.mac, mac, 6);
    spec.mtu = 1500;
    spec.num_queues = 2;
    spec.max_queue_size = 256;
    spec.features = F_BASE;
    vnet_fn_info i;
    memset(&i, 0, sizeof i);
    CHECK_EQ(vnet_fn_create(dpu, &spec, &i), VNET_OK);
    return i;
}

/* Finds a function of the DPU by its VUID. */
static bool by_vuid(const char *vuid, vnet_fn_info *out)
{
    uint32_t n = 0;
    if (vnet_fn_list(dpu, NULL, 0, &n))
        return false;
    vnet_fn_info *all = calloc(n ? n : 1, sizeof *all);
    bool found = false;
    if (all && vnet_fn_list(dpu, all, n, &n) == 0)
        for (uint32_t i = 0; i < n && !found; i++)
            if (strcmp(all[i].vuid, vuid) == 0) {
                *out = all[i];
                found = true;
            }
    free(all);
    return found;
}

static void usage(void)
{
    fprintf(stderr, "usage: test_hostile                 (a DPU process of its own)\n"
                    "       test_hostile --control SOCKET --tenant VUID --bystander VUID\n"
                    "                                    (a running DPU's devices; the bystander without a driver)\n");
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    const char *control = NULL, *tenant_vuid = NULL, *bystander_vuid = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--control"))
            control = argv[i + 1];
        else if (!strcmp(argv[i], "--tenant"))
            tenant_vuid = argv[i + 1];
        else if (!strcmp(argv[i], "--bystander"))
            bystander_vuid = argv[i + 1];
    }
    if ((argc > 1 && (!control || !tenant_vuid || !bystander_vuid)) || argc % 2 == 0) {
        usage();
        return 2;
    }
    if (control) {
        /* Another DPU's devices, beside whoever else uses that DPU (its controller). */
        if (vnet_dpu_connect(control, 5000, &dpu)) {
            fprintf(stderr, "%s\n", vnet_dpu_last_error(dpu));
            return 1;
        }
        vnet_dpu_state st;
        CHECK_EQ(vnet_dpu_describe(dpu, &st), VNET_OK);
        s.pid = st.pid;
        if (!by_vuid(tenant_vuid, &tenant) || !by_vuid(bystander_vuid, &bystander)) {
            fprintf(stderr, "no device %s or %s on the DPU at %s\n", tenant_vuid, bystander_vuid, control);
            return 1;
        }
    } else {
        if (spawn_dpu(&s)) {
            fprintf(stderr, "cannot start a DPU process\n");
            return 1;
        }
        CHECK_EQ(vnet_dpu_connect(s.control, 5000, &dpu), VNET_OK);
        CHECK_EQ(spawn_provision(dpu, &s, 2, VNET_BACKEND_ECHO), VNET_OK);
        tenant = make(1, 0);
        bystander = make(2, 1);
    }
    CHECK_EQ(vnet_fn_list(dpu, NULL, 0, &functions), VNET_OK);
    CHECK_EQ(fe_connect(&good, bystander.vhost_socket), 0);
    CHECK_EQ(fe_setup(&good, F_BASE, 2, 256), 0);
    CHECK(echoes(&good, 64));
    baseline_fds = spawn_fd_count(&s);
    CHECK(baseline_fds > 0);

    case_short_memory();
    case_truncated_memory();
    case_notification_fds();
    case_ring_changes();
    case_avail_jump();
    case_malformed_chains();
    case_fds();
    case_oversized();
    case_flood();
    case_malformed_messages();
    case_dirty_log();

    fe_close(&good);
    if (!control) {
        CHECK_EQ(vnet_dpu_shutdown(dpu), VNET_OK);
        CHECK_EQ(spawn_wait(&s, 10000), 0);
        spawn_cleanup(&s);
    }
    vnet_dpu_disconnect(dpu);
    return CHECK_SUMMARY();
}
