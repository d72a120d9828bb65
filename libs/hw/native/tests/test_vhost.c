/* The vhost-user back-end end to end, in one process: a started DPU, its
 * device socket, and the test front-end (fe.c) as the driver. Traffic in
 * echo mode, counters, interrupt moderation, and a driver that misbehaves
 * in every way the device must survive. */
#include "check.h"
#include "dpu/dpu.h"
#include "fe.h"
#include "vhost_msg.h"

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define F_MRG VNET_BIT(VIRTIO_NET_F_MRG_RXBUF)
#define VNET_F_VERSION_1 VNET_BIT(VIRTIO_F_VERSION_1)
#define VNET_F_MAC VNET_BIT(VIRTIO_NET_F_MAC)
#define VNET_F_MTU VNET_BIT(VIRTIO_NET_F_MTU)
#define VNET_F_STATUS VNET_BIT(VIRTIO_NET_F_STATUS)
#define VNET_F_CTRL_VQ VNET_BIT(VIRTIO_NET_F_CTRL_VQ)
#define VNET_F_MQ VNET_BIT(VIRTIO_NET_F_MQ)

static char dir[] = "/tmp/vnet-test-XXXXXX";

static int start_with(struct dpu *dpu, const char *sock_dir, uint32_t workers, uint32_t backend, uint32_t flags)
{
    vnet_start_params p;
    memset(&p, 0, sizeof p);
    snprintf(p.socket_dir, sizeof p.socket_dir, "%s", sock_dir);
    p.workers = workers;
    p.default_backend = backend;
    p.flags = flags;
    p.idle_poll_us = VNET_IDLE_POLL_DEFAULT_US;
    return dpu_start(dpu, &p);
}

static struct dpu *start(void)
{
    struct dpu *dpu = NULL;
    CHECK_EQ(dpu_create(NULL, &dpu), VNET_OK);
    CHECK_EQ(start_with(dpu, dir, 2, VNET_BACKEND_ECHO, 0), VNET_OK);
    return dpu;
}

static vnet_fn_info device(struct dpu *dpu, uint16_t queues)
{
    vnet_fn_spec s;
    memset(&s, 0, sizeof s);
    s.type = VNET_FN_HOTPLUG_PF;
    s.pf_index = s.vf_index = s.port = s.sf_num = -1;
    strcpy(s.ib_device, "mlx5_0");
    const uint8_t mac[6] = {0x02, 0, 0, 0, 0, (uint8_t)queues};
    memcpy(s.mac, mac, 6);
    s.mtu = 1500;
    s.num_queues = queues;
    s.max_queue_size = 256;
    s.features = VNET_F_VERSION_1 | VNET_F_MAC | VNET_F_MTU | VNET_F_STATUS | F_MRG |
                 ((queues & 1) ? VNET_F_CTRL_VQ | VNET_F_MQ : 0);
    vnet_fn_info i;
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_OK);
    return i;
}

static vnet_queue_counters counters(struct dpu *dpu, uint32_t handle, uint16_t qid)
{
    vnet_queue_counters all[64], none;
    memset(&none, 0, sizeof none);
    uint32_t n = 0;
    dpu_counters_snapshot(dpu, all, 64, &n);
    for (uint32_t i = 0; i < n && i < 64; i++)
        if (all[i].handle == handle && all[i].qid == qid)
            return all[i];
    return none;
}

static void test_echo_traffic(void)
{
    struct dpu *dpu = start();
    vnet_fn_info d = device(dpu, 3);
    CHECK(strstr(d.vhost_socket, "MT2306XZ00ABVNETS132D0F0.sock") != NULL);
    struct fe f;
    CHECK_EQ(fe_connect(&f, d.vhost_socket), 0);
    CHECK_EQ(fe_setup(&f, VNET_F_VERSION_1 | VNET_F_MAC | F_MRG, 2, 256), 0);
    vnet_fn_info q;
    CHECK_EQ(dpu_fn_query(dpu, d.handle, &q), VNET_OK);
    CHECK_EQ(q.connected, 1);
    CHECK_EQ(q.device_status, VNET_STATUS_ACKNOWLEDGE | VNET_STATUS_DRIVER | VNET_STATUS_FEATURES_OK | VNET_STATUS_DRIVER_OK);
    CHECK_EQ(q.driver_features, VNET_F_VERSION_1 | VNET_F_MAC | F_MRG);
    CHECK_EQ(q.enabled_queues, 2);

    CHECK_EQ(fe_post_rx(&f, 0, 64), 0);
    uint8_t frame[1500], got[FE_BUF_SIZE];
    const size_t sizes[] = {60, 64, 100, 200, 400, 800, 1400, 1500};
    for (size_t i = 0; i < 8; i++) {
        memset(frame, (int)(0x10 + i), sizeof frame);
        CHECK_EQ(fe_send(&f, 1, frame, sizes[i]), 0);
        CHECK_EQ(fe_take_used(&f, 1, NULL, 0, 2000), 0); /* TX buffer back, nothing written */
        int len = fe_take_used(&f, 0, got, sizeof got, 2000);
        CHECK_EQ(len, (int)(12 + sizes[i]));
        CHECK_EQ(got[10], 1); /* num_buffers */
        CHECK(memcmp(got + 12, frame, sizes[i]) == 0);
    }
    /* Kicks are counted when the worker next reads its eventfd, calls once
     * the used entry is out: the driver can see its buffers back before
     * either. Wait for them (with a deadline) instead of racing the worker. */
    vnet_queue_counters tx, rx;
    for (int i = 0; i < 400; i++) {
        tx = counters(dpu, d.handle, 1), rx = counters(dpu, d.handle, 0);
        if (tx.kicks >= 8 && tx.calls >= 8 && rx.calls >= 8)
            break;
        usleep(5000);
    }
    CHECK_EQ(tx.packets, 8);
    CHECK_EQ(rx.packets, 8);
    CHECK_EQ(tx.received_desc, 8);
    CHECK_EQ(tx.completed_desc, 8);
    CHECK_EQ(tx.total_bytes, 60 + 64 + 100 + 200 + 400 + 800 + 1400 + 1500);
    CHECK_EQ(tx.hist[0], 2); /* 60 and 64 */
    CHECK_EQ(tx.hist[1], 1);
    CHECK_EQ(tx.hist[5], 2); /* 1400 and 1500 */
    CHECK_EQ(tx.kicks, 8);
    CHECK_EQ(tx.calls, 8);
    CHECK_EQ(rx.calls, 8);
    CHECK_EQ(rx.hw_available_index, 8); /* chains the device took */
    CHECK_EQ(rx.hw_used_index, 8);
    CHECK(tx.started);

    /* moderation: one call for 40 completions instead of 40. The 40 frames
     * go out back to back, so the 4 ms period only matters if posting them
     * takes that long (a second call at most). */
    CHECK_EQ(dpu_fn_set_moderation(dpu, d.handle, VNET_EVENT_MODE_EVENT, 4000, 40), VNET_OK);
    for (int i = 0; i < 40; i++)
        CHECK_EQ(fe_send(&f, 1, frame, 64), 0);
    for (int i = 0; i < 40; i++)
        CHECK_EQ(fe_take_used(&f, 1, NULL, 0, 2000), 0);
    vnet_queue_counters tx2;
    for (int i = 0; i < 400; i++) {
        tx2 = counters(dpu, d.handle, 1);
        if (tx2.calls > tx.calls)
            break;
        usleep(5000);
    }
    CHECK_EQ(tx2.packets, 48);
    CHECK(tx2.calls - tx.calls <= 2);
    CHECK(tx2.calls - tx.calls >= 1);

    /* no RX buffers left: frames are dropped and counted, TX goes on */
    CHECK_EQ(dpu_fn_set_moderation(dpu, d.handle, VNET_EVENT_MODE_EVENT, 0, 0), VNET_OK);
    for (int i = 0; i < 30; i++) {
        fe_send(&f, 1, frame, 64);
        fe_take_used(&f, 1, NULL, 0, 2000);
    }
    CHECK(counters(dpu, d.handle, 0).dropped >= 30 - (64 - 48));

    /* a disconnect resets the device; a reconnect works */
    fe_close(&f);
    for (int i = 0; i < 200; i++) {
        dpu_fn_query(dpu, d.handle, &q);
        if (!q.connected)
            break;
        usleep(5000);
    }
    CHECK_EQ(q.connected, 0);
    CHECK_EQ(q.device_status, 0);
    CHECK_EQ(fe_connect(&f, d.vhost_socket), 0);
    CHECK_EQ(fe_setup(&f, VNET_F_VERSION_1, 2, 256), 0);
    fe_post_rx(&f, 0, 4);
    CHECK_EQ(fe_send(&f, 1, frame, 100), 0);
    CHECK_EQ(fe_take_used(&f, 0, got, sizeof got, 2000), 112);
    /* while a front-end is attached it owns the status register */
    CHECK_EQ(dpu_fn_driver_write_status(dpu, d.handle, 0), VNET_E_NOT_SUPPORTED);

    /* the device goes away under a connected, active front-end */
    CHECK_EQ(dpu_fn_destroy(dpu, d.handle), VNET_OK);
    CHECK(access(d.vhost_socket, F_OK) != 0);
    fe_close(&f);
    dpu_destroy(dpu, true);
}

static void test_misbehaving_rings(void)
{
    struct dpu *dpu = start();
    vnet_fn_info d = device(dpu, 5);
    struct fe f;
    CHECK_EQ(fe_connect(&f, d.vhost_socket), 0);
    CHECK_EQ(fe_setup(&f, VNET_F_VERSION_1, 4, 64), 0);
    fe_post_rx(&f, 0, 8);
    struct fe_ring *tx = &f.r[1];
    uint8_t *buf = f.mem + tx->buf_off;

    /* a buffer outside the shared memory: counted, given back, queue goes on */
    tx->desc[0] = (struct vring_desc){0xdead0000000ull, 64, 0, 0};
    tx->avail[2] = 0;
    __atomic_store_n(&tx->avail[1], 1, __ATOMIC_RELEASE);
    tx->avail_idx = 1;
    uint64_t one = 1;
    CHECK(write(tx->kick, &one, 8) == 8);
    CHECK_EQ(fe_take_used(&f, 1, NULL, 0, 2000), 0);
    /* a descriptor loop */
    tx->desc[1] = (struct vring_desc){fe_gpa(&f, buf), 64, VRING_DESC_F_NEXT, 2};
    tx->desc[2] = (struct vring_desc){fe_gpa(&f, buf), 64, VRING_DESC_F_NEXT, 1};
    tx->avail[3] = 1;
    __atomic_store_n(&tx->avail[1], 2, __ATOMIC_RELEASE);
    CHECK(write(tx->kick, &one, 8) == 8);
    CHECK_EQ(fe_take_used(&f, 1, NULL, 0, 2000), 0);
    /* a device-writable TX buffer */
    tx->desc[3] = (struct vring_desc){fe_gpa(&f, buf), 64, VRING_DESC_F_WRITE, 0};
    tx->avail[4] = 3;
    __atomic_store_n(&tx->avail[1], 3, __ATOMIC_RELEASE);
    CHECK(write(tx->kick, &one, 8) == 8);
    CHECK_EQ(fe_take_used(&f, 1, NULL, 0, 2000), 0);
    vnet_queue_counters c = counters(dpu, d.handle, 1);
    CHECK_EQ(c.invalid_buffer, 1);
    CHECK_EQ(c.exceed_max_chain, 1);
    CHECK_EQ(c.bad_desc_errors, 1);
    CHECK_EQ(c.packets, 0);
    CHECK_EQ(c.dropped, 3);

    /* a head outside the ring breaks the queue: NEEDS_RESET, the other pair still works */
    tx->avail[5] = 999;
    __atomic_store_n(&tx->avail[1], 4, __ATOMIC_RELEASE);
    CHECK(write(tx->kick, &one, 8) == 8);
    vnet_fn_info q;
    for (int i = 0; i < 200; i++) {
        dpu_fn_query(dpu, d.handle, &q);
        if (q.device_status & VNET_STATUS_NEEDS_RESET)
            break;
        usleep(5000);
    }
    CHECK(q.device_status & VNET_STATUS_NEEDS_RESET);
    CHECK(counters(dpu, d.handle, 1).broken);
    fe_post_rx(&f, 2, 4);
    uint8_t frame[64] = {1, 2, 3};
    CHECK_EQ(fe_send(&f, 3, frame, sizeof frame), 0);
    CHECK_EQ(fe_take_used(&f, 2, NULL, 0, 2000), 12 + 64);
    fe_close(&f);
    dpu_destroy(dpu, true);
}

/* Sends raw bytes (and fds) and tells whether the device hung up. */
static int hung_up_after(const char *path, const void *bytes, size_t len, const int *fds, int nfds)
{
    struct fe f;
    if (fe_connect(&f, path))
        return -1;
    uint32_t hdr[3];
    memcpy(hdr, bytes, sizeof hdr);
    fe_request(&f, hdr[0], hdr[1], (const uint8_t *)bytes + 12, (uint32_t)(len - 12), fds, nfds, NULL, 0);
    uint64_t features;
    /* A healthy connection answers GET_FEATURES; a closed one does not. */
    int dead = fe_request(&f, VU_GET_FEATURES, 0, NULL, 0, NULL, 0, &features, 8) != 0;
    fe_close(&f);
    return dead;
}

static void test_malformed_messages(void)
{
    struct dpu *dpu = start();
    vnet_fn_info d = device(dpu, 3);
    struct {
        uint32_t h[3];
        uint8_t p[300];
    } m;
    int efd[9];
    for (int i = 0; i < 9; i++)
        efd[i] = eventfd(0, EFD_CLOEXEC);

    memset(&m, 0, sizeof m);
    m.h[0] = VU_SET_FEATURES, m.h[1] = 1, m.h[2] = 4; /* u64 payload cut to 4 bytes */
    CHECK_EQ(hung_up_after(d.vhost_socket, &m, 16, NULL, 0), 1);
    m.h[0] = VU_SET_VRING_NUM, m.h[2] = 8; /* queue index out of range */
    m.p[0] = 77;
    CHECK_EQ(hung_up_after(d.vhost_socket, &m, 20, NULL, 0), 1);
    m.h[0] = VU_SET_VRING_KICK; /* says it carries an fd, carries none */
    memset(m.p, 0, 8);
    CHECK_EQ(hung_up_after(d.vhost_socket, &m, 20, NULL, 0), 1);
    m.h[0] = VU_SET_MEM_TABLE, m.h[2] = 8 + 64; /* two regions, one fd */
    m.p[0] = 2;
    CHECK_EQ(hung_up_after(d.vhost_socket, &m, 12 + 8 + 64, efd, 1), 1);
    m.h[0] = VU_GET_FEATURES, m.h[2] = 0; /* nine fds with a request that takes none */
    CHECK_EQ(hung_up_after(d.vhost_socket, &m, 12, efd, 9), 1);
    m.h[0] = VU_GET_FEATURES, m.h[1] = 2; /* protocol version 2 */
    CHECK_EQ(hung_up_after(d.vhost_socket, &m, 12, NULL, 0), 1);
    m.h[0] = VU_SET_CONFIG, m.h[1] = 1, m.h[2] = 12; /* config size 200 in a 12-byte payload */
    memset(m.p, 0, 12);
    m.p[4] = 200;
    CHECK_EQ(hung_up_after(d.vhost_socket, &m, 24, NULL, 0), 1);
    /* an unknown request is refused, the connection lives on */
    m.h[0] = 77, m.h[1] = 1, m.h[2] = 0;
    CHECK_EQ(hung_up_after(d.vhost_socket, &m, 12, NULL, 0), 0);

    /* a header announcing more than a message may carry, and a truncated message */
    struct fe f;
    CHECK_EQ(fe_connect(&f, d.vhost_socket), 0);
    uint32_t big[3] = {VU_SET_FEATURES, 1, 1u << 20};
    CHECK(write(f.sock, big, sizeof big) == sizeof big);
    uint8_t byte;
    CHECK(read(f.sock, &byte, 1) == 0); /* closed */
    fe_close(&f);
    CHECK_EQ(fe_connect(&f, d.vhost_socket), 0);
    uint32_t half[3] = {VU_SET_FEATURES, 1, 8};
    CHECK(write(f.sock, half, 10) == 10);
    fe_close(&f);

    vnet_fn_info q;
    for (int i = 0; i < 200; i++) {
        dpu_fn_query(dpu, d.handle, &q);
        if (q.protocol_errors >= 9 && !q.connected)
            break;
        usleep(5000);
    }
    CHECK_EQ(q.protocol_errors, 9); /* 7 malformed, 1 unsupported, 1 oversized */
    CHECK(q.backend_note[0] != '\0');
    /* and after all that, a well-behaved front-end still gets a working
     * device (once the truncated connection above has been seen to close:
     * the device takes one front-end at a time) */
    int ok = -1;
    for (int i = 0; i < 100 && ok; i++) {
        if ((ok = fe_connect(&f, d.vhost_socket) || fe_setup(&f, VNET_F_VERSION_1, 2, 64))) {
            fe_close(&f);
            usleep(10000);
        }
    }
    CHECK_EQ(ok, 0);
    fe_post_rx(&f, 0, 2);
    uint8_t frame[60] = {0};
    fe_send(&f, 1, frame, sizeof frame);
    CHECK_EQ(fe_take_used(&f, 0, NULL, 0, 2000), 72);
    fe_close(&f);
    for (int i = 0; i < 9; i++)
        close(efd[i]);
    dpu_destroy(dpu, true);
}

static void test_start_errors(void)
{
    struct dpu *dpu = NULL;
    CHECK_EQ(dpu_create(NULL, &dpu), VNET_OK);
    CHECK_EQ(start_with(dpu, "/nonexistent/dir", 1, VNET_BACKEND_ECHO, 0), VNET_E_INVALID_ARGUMENT);
    CHECK_EQ(start_with(dpu, dir, 0, VNET_BACKEND_ECHO, 0), VNET_E_INVALID_ARGUMENT);
    CHECK_EQ(start_with(dpu, dir, 1, 9, 0), VNET_E_INVALID_ARGUMENT);
    vnet_fn_info d = device(dpu, 3);
    CHECK_EQ(d.vhost_socket[0], '\0');
    CHECK_EQ(dpu_fn_set_backend(dpu, d.handle, VNET_BACKEND_SINK, 64), VNET_E_NOT_STARTED);
    CHECK_EQ(start_with(dpu, dir, 1, VNET_BACKEND_ECHO, 0), VNET_OK);
    CHECK_EQ(dpu_fn_query(dpu, d.handle, &d), VNET_OK);
    CHECK(d.vhost_socket[0] != '\0'); /* existing functions get their socket at start */
    CHECK_EQ(start_with(dpu, dir, 1, VNET_BACKEND_ECHO, 0), VNET_E_INVALID_ARGUMENT);
    CHECK_EQ(dpu_fn_set_backend(dpu, d.handle, VNET_BACKEND_SINK, 64), VNET_OK);
    CHECK_EQ(dpu_fn_query(dpu, d.handle, &d), VNET_OK);
    CHECK_EQ(d.backend, VNET_BACKEND_SINK);
    CHECK_EQ(dpu_fn_set_backend(dpu, d.handle, VNET_BACKEND_GEN, 20), VNET_E_INVALID_ARGUMENT);
    dpu_destroy(dpu, true);
}

/* The control queue, when the front-end hands it to the device (5.1.6.5). */
static uint8_t ctrl(struct fe *f, int q, const uint8_t *cmd, uint32_t len)
{
    struct fe_ring *r = &f->r[q];
    uint8_t *buf = f->mem + r->buf_off;
    memcpy(buf, cmd, len);
    buf[256] = 0xee;
    r->desc[0] = (struct vring_desc){fe_gpa(f, buf), len, VRING_DESC_F_NEXT, 1};
    r->desc[1] = (struct vring_desc){fe_gpa(f, buf + 256), 1, VRING_DESC_F_WRITE, 0};
    r->avail[2 + (r->avail_idx % r->num)] = 0;
    __atomic_store_n(&r->avail[1], (uint16_t)(r->avail_idx + 1), __ATOMIC_RELEASE);
    r->avail_idx++;
    uint64_t one = 1;
    if (write(r->kick, &one, 8) != 8)
        return 0xff;
    if (fe_take_used(f, q, NULL, 0, 2000) != 1)
        return 0xfe;
    return buf[256];
}

static void test_control_queue(void)
{
    struct dpu *dpu = start();
    vnet_fn_info d = device(dpu, 5);
    struct fe f;
    CHECK_EQ(fe_connect(&f, d.vhost_socket), 0);
    CHECK_EQ(fe_setup(&f, VNET_F_VERSION_1 | VNET_F_CTRL_VQ | VNET_F_MQ, 5, 64), 0);
    const uint8_t pairs2[] = {4, 0, 2, 0}, pairs3[] = {4, 0, 3, 0}, mac[] = {1, 1, 2, 0, 0, 0, 0, 9};
    const uint8_t promisc[] = {0, 0, 1}, unknown[] = {42, 0};
    CHECK_EQ(ctrl(&f, 4, pairs2, sizeof pairs2), 0);  /* VIRTIO_NET_OK */
    CHECK_EQ(ctrl(&f, 4, pairs3, sizeof pairs3), 1);  /* more pairs than the device has */
    CHECK_EQ(ctrl(&f, 4, mac, sizeof mac), 0);
    CHECK_EQ(ctrl(&f, 4, promisc, sizeof promisc), 0);
    CHECK_EQ(ctrl(&f, 4, unknown, sizeof unknown), 1);
    CHECK_EQ(counters(dpu, d.handle, 4).packets, 5);
    fe_close(&f);
    dpu_destroy(dpu, true);
}

/* Client mode: the front-end listens, the device connects, and connects
 * again after the front-end went away and came back. */
static void test_client_mode(void)
{
    struct dpu *dpu = NULL;
    CHECK_EQ(dpu_create(NULL, &dpu), VNET_OK);
    CHECK_EQ(start_with(dpu, dir, 1, VNET_BACKEND_ECHO, VNET_START_CLIENT), VNET_OK);
    char path[256];
    snprintf(path, sizeof path, "%s/MT2306XZ00ABVNETS132D0F0.sock", dir);
    int lfd = fe_listen(path);
    CHECK(lfd >= 0);
    vnet_fn_info d = device(dpu, 3);
    CHECK_STR(d.vhost_socket, path);
    struct fe f;
    for (int round = 0; round < 2; round++) {
        CHECK_EQ(fe_accept(&f, lfd, 3000), 0); /* round 1: after the retry tick */
        CHECK_EQ(fe_setup(&f, VNET_F_VERSION_1, 2, 64), 0);
        fe_post_rx(&f, 0, 2);
        uint8_t frame[80] = {7};
        fe_send(&f, 1, frame, sizeof frame);
        CHECK_EQ(fe_take_used(&f, 0, NULL, 0, 2000), 92);
        fe_close(&f);
    }
    CHECK_EQ(counters(dpu, d.handle, 1).packets, 2);
    close(lfd);
    unlink(path);
    CHECK_EQ(start_with(dpu, dir, 1, VNET_BACKEND_ECHO, 8), VNET_E_INVALID_ARGUMENT);
    dpu_destroy(dpu, true);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    test_start_errors();
    test_echo_traffic();
    test_misbehaving_rings();
    test_malformed_messages();
    test_client_mode();
    test_control_queue();
    rmdir(dir);
    return CHECK_SUMMARY();
}
