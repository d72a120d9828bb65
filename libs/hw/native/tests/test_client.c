/* libvnet against a real DPU process: provisioning, functions that outlive
 * the client that made them, counters read from the shared segment with no
 * request, a DPU that stops answering or dies, power-off, and peers that
 * do not speak the protocol. */
#include "check.h"
#include "spawn.h"
#include "proto/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

static vnet_fn_spec hotplug_spec(uint8_t last)
{
    vnet_fn_spec s;
    memset(&s, 0, sizeof s);
    s.type = VNET_FN_HOTPLUG_PF;
    s.pf_index = s.vf_index = s.port = s.sf_num = -1;
    strcpy(s.ib_device, "mlx5_0");
    const uint8_t mac[6] = {0x02, 0, 0, 0, 0, last};
    memcpy(s.mac, mac, 6);
    s.mtu = 1500;
    s.num_queues = 3;
    s.max_queue_size = 256;
    s.features = VNET_BIT(VIRTIO_F_VERSION_1) | VNET_BIT(VIRTIO_NET_F_MAC) | VNET_BIT(VIRTIO_NET_F_CTRL_VQ);
    return s;
}

static void test_unreachable(void)
{
    vnet_dpu *d = NULL;
    CHECK_EQ(vnet_dpu_connect("/tmp/no-such-dpu.sock", 500, &d), VNET_E_DPU_UNAVAILABLE);
    CHECK(strstr(vnet_dpu_last_error(d), "no DPU process answers") != NULL);
    CHECK_EQ(vnet_dpu_alive(d), 0);
    vnet_fn_info i;
    CHECK_EQ(vnet_fn_query(d, 1, &i), VNET_E_DPU_UNAVAILABLE);
    vnet_dpu_disconnect(d);
    CHECK_EQ(vnet_dpu_connect(NULL, 0, &d), VNET_E_INVALID_ARGUMENT);
    vnet_dpu_disconnect(d);
}

static void test_lifecycle(void)
{
    struct spawned s;
    CHECK_EQ(spawn_dpu(&s), 0);
    vnet_dpu *a = NULL;
    CHECK_EQ(vnet_dpu_connect(s.control, 2000, &a), VNET_OK);
    CHECK_EQ(vnet_dpu_alive(a), 1);
    vnet_dpu_state st;
    CHECK_EQ(vnet_dpu_describe(a, &st), VNET_OK);
    CHECK_EQ(st.provisioned, 0);
    CHECK_EQ(st.pid, s.pid);
    vnet_fn_spec spec = hotplug_spec(1);
    vnet_fn_info f;
    CHECK_EQ(vnet_fn_create(a, &spec, &f), VNET_E_NOT_PROVISIONED);
    uint32_t unprovisioned_age;
    CHECK_EQ(vnet_dpu_heartbeat_age(a, &unprovisioned_age), VNET_E_NOT_PROVISIONED);
    uint32_t n = 0;
    CHECK_EQ(vnet_counters_snapshot(a, NULL, 0, &n), VNET_E_NOT_PROVISIONED);

    /* a profile the DPU refuses names the field, and changes nothing */
    vnet_profile bad;
    vnet_profile_default(&bad);
    bad.hotplug_ports = 40;
    vnet_start_params p;
    memset(&p, 0, sizeof p);
    snprintf(p.socket_dir, sizeof p.socket_dir, "%s", s.vhost);
    p.workers = 1;
    p.default_backend = VNET_BACKEND_ECHO;
    CHECK_EQ(vnet_dpu_provision(a, &bad, &p), VNET_E_PROFILE_INVALID);
    CHECK(strstr(vnet_dpu_last_error(a), "hotplug_ports") != NULL);
    p.workers = 0;
    CHECK_EQ(vnet_dpu_provision(a, NULL, &p), VNET_E_INVALID_ARGUMENT);
    CHECK(strstr(vnet_dpu_last_error(a), "workers") != NULL);
    CHECK_EQ(vnet_dpu_describe(a, &st), VNET_OK);
    CHECK_EQ(st.provisioned, 0);
    CHECK_EQ(spawn_provision(a, &s, 1, VNET_BACKEND_ECHO), VNET_OK);
    CHECK_EQ(spawn_provision(a, &s, 1, VNET_BACKEND_ECHO), VNET_E_ALREADY_PROVISIONED);
    vnet_profile prof;
    CHECK_EQ(vnet_dpu_profile(a, &prof), VNET_OK);
    CHECK_EQ(prof.hotplug_ports, 16);

    CHECK_EQ(vnet_fn_create(a, &spec, &f), VNET_OK);
    CHECK(strstr(f.vhost_socket, s.vhost) == f.vhost_socket);
    CHECK_EQ(access(f.vhost_socket, F_OK), 0);
    /* an error keeps its code and the DPU's own words */
    CHECK_EQ(vnet_fn_create(a, &spec, NULL), VNET_OK);
    spec.port = 1;
    CHECK_EQ(vnet_fn_create(a, &spec, NULL), VNET_E_PORT_IN_USE);
    CHECK(strstr(vnet_dpu_last_error(a), "port 1 is in use") != NULL);
    spec.port = -1;
    spec.mac[0] = 1;
    CHECK_EQ(vnet_fn_create(a, &spec, NULL), VNET_E_MAC_INVALID);
    CHECK(strstr(vnet_dpu_last_error(a), "multicast") != NULL);

    /* the heartbeat goes on while the DPU runs and stands still while it is
     * stopped, although its socket stays open */
    uint32_t age = 0;
    CHECK_EQ(vnet_dpu_heartbeat_age(a, &age), VNET_OK);
    CHECK(age < 1000);
    kill(s.pid, SIGSTOP);
    for (long long until = spawn_now_ms() + 2000; spawn_now_ms() < until;) {
        CHECK_EQ(vnet_dpu_heartbeat_age(a, &age), VNET_OK);
        if (age >= 300)
            break;
        usleep(10 * 1000);
    }
    CHECK(age >= 300);
    CHECK_EQ(vnet_dpu_alive(a), 1);
    kill(s.pid, SIGCONT);
    for (long long until = spawn_now_ms() + 2000; spawn_now_ms() < until;) {
        CHECK_EQ(vnet_dpu_heartbeat_age(a, &age), VNET_OK);
        if (age < 300)
            break;
        usleep(10 * 1000);
    }
    CHECK(age < 300);

    /* counters come from the shared segment: they read even while the
     * DPU is stopped and could answer no request */
    CHECK_EQ(vnet_counters_snapshot(a, NULL, 0, &n), VNET_OK);
    CHECK_EQ(n, 6);
    kill(s.pid, SIGSTOP);
    vnet_queue_counters q[8];
    CHECK_EQ(vnet_counters_snapshot(a, q, 8, &n), VNET_OK);
    CHECK_EQ(n, 6);
    CHECK_EQ(q[0].handle, f.handle);
    CHECK_EQ(q[2].qid, 2);
    CHECK_EQ(q[1].size, 256);
    /* ... while a request waits for its timeout and breaks the context */
    vnet_dpu *slow = NULL;
    kill(s.pid, SIGCONT);
    CHECK_EQ(vnet_dpu_connect(s.control, 300, &slow), VNET_OK);
    kill(s.pid, SIGSTOP);
    CHECK_EQ(vnet_fn_query(slow, f.handle, &f), VNET_E_DPU_UNAVAILABLE);
    CHECK(strstr(vnet_dpu_last_error(slow), "did not answer") != NULL);
    kill(s.pid, SIGCONT);
    CHECK_EQ(vnet_fn_query(slow, f.handle, &f), VNET_E_DPU_UNAVAILABLE); /* stays broken */
    vnet_dpu_disconnect(slow);

    /* functions belong to the DPU: a new client finds them, the old one may go */
    vnet_dpu *b = NULL;
    CHECK_EQ(vnet_dpu_connect(s.control, 2000, &b), VNET_OK);
    vnet_dpu_disconnect(a);
    CHECK_EQ(vnet_fn_list(b, NULL, 0, &n), VNET_OK);
    CHECK_EQ(n, 2);
    vnet_fn_info all[4];
    CHECK_EQ(vnet_fn_list(b, all, 4, &n), VNET_OK);
    CHECK_STR(all[0].vuid, f.vuid);
    CHECK_EQ(vnet_counters_snapshot(b, q, 8, &n), VNET_OK);
    CHECK_EQ(n, 6);
    CHECK_EQ(vnet_dpu_describe(b, &st), VNET_OK);
    CHECK_EQ(st.functions, 2);
    CHECK_EQ(st.provisioned, 1);
    CHECK_EQ(st.params.workers, 1);
    uint32_t reps = 9, socks = 9;
    CHECK_EQ(vnet_dpu_sweep(b, &reps, &socks), VNET_OK);
    CHECK_EQ(socks, 0); /* both sockets belong to functions */

    /* SIGKILL, as a firmware reset: the client sees it at once; the device
     * sockets stay for the next DPU, which takes them over */
    kill(s.pid, SIGKILL);
    int gone = 0;
    for (long long until = spawn_now_ms() + 2000; spawn_now_ms() < until && !gone;) {
        gone = !vnet_dpu_alive(b);
        if (!gone)
            spawn_sleep_ms(2);
    }
    CHECK(gone);
    CHECK_EQ(vnet_fn_query(b, f.handle, &f), VNET_E_DPU_UNAVAILABLE);
    vnet_dpu_disconnect(b);
    spawn_wait(&s, 2000);
    CHECK_EQ(access(f.vhost_socket, F_OK), 0);
    CHECK_EQ(spawn_dpu_in(&s, s.dir), 0); /* the stale control socket is replaced */
    CHECK_EQ(vnet_dpu_connect(s.control, 2000, &b), VNET_OK);
    CHECK_EQ(vnet_dpu_describe(b, &st), VNET_OK);
    CHECK_EQ(st.provisioned, 0); /* a new DPU powers on empty */
    CHECK_EQ(spawn_provision(b, &s, 1, VNET_BACKEND_ECHO), VNET_OK);
    spec = hotplug_spec(1);
    spec.port = 0;
    vnet_fn_info again;
    CHECK_EQ(vnet_fn_create(b, &spec, &again), VNET_OK);
    CHECK_STR(again.vuid, f.vuid);
    CHECK_EQ(vnet_dpu_sweep(b, &reps, &socks), VNET_OK);
    CHECK_EQ(socks, 1); /* the other function's socket, which nobody recreated */
    /* power-off: the process exits, the sockets go */
    CHECK_EQ(vnet_dpu_shutdown(b), VNET_OK);
    CHECK_EQ(spawn_wait(&s, 5000), 0);
    CHECK(access(again.vhost_socket, F_OK) != 0);
    CHECK(access(s.control, F_OK) != 0);
    vnet_dpu_disconnect(b);
    spawn_cleanup(&s);
}

static int raw_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Peers that do not speak the protocol are refused or dropped; the DPU
 * goes on serving the others. */
static void test_bad_peers(void)
{
    struct spawned s;
    CHECK_EQ(spawn_dpu(&s), 0);
    vnet_dpu *good = NULL;
    CHECK_EQ(vnet_dpu_connect(s.control, 2000, &good), VNET_OK);
    CHECK_EQ(spawn_provision(good, &s, 1, VNET_BACKEND_ECHO), VNET_OK);

    /* another build: HELLO with other struct sizes */
    int fd = raw_connect(s.control);
    struct ctl_hello hello = {VNET_ABI_VERSION, {0}};
    ctl_abi_sizes(hello.sizes);
    hello.sizes[3] += 8;
    struct ctl_hdr h = {CTL_MAGIC, CTL_HELLO, 0, 1, 0, sizeof hello, 0};
    CHECK_EQ(ctl_send(fd, &h, &hello, -1, 1000), 0);
    struct ctl_hdr r;
    void *p = NULL;
    CHECK_EQ(ctl_recv(fd, &r, &p, CTL_MAX_REPLY, NULL, 1000), 0);
    CHECK_EQ(r.rc, VNET_E_ABI_MISMATCH);
    free(p);
    /* a request before HELLO */
    struct ctl_args args = {1, 0, 0, 0};
    struct ctl_hdr q = {CTL_MAGIC, CTL_FN_QUERY, 0, 2, 0, sizeof args, 0};
    CHECK_EQ(ctl_send(fd, &q, &args, -1, 1000), 0);
    CHECK_EQ(ctl_recv(fd, &r, &p, CTL_MAX_REPLY, NULL, 1000), 0);
    CHECK_EQ(r.rc, VNET_E_ABI_MISMATCH);
    free(p);
    close(fd);

    /* garbage instead of a header, a payload larger than any request, a
     * header that never completes: each connection is dropped */
    fd = raw_connect(s.control);
    CHECK(write(fd, "GET / HTTP/1.1\r\n\r\nxxxxxx", 24) == 24);
    char c;
    CHECK(read(fd, &c, 1) <= 0);
    close(fd);
    fd = raw_connect(s.control);
    struct ctl_hdr huge = {CTL_MAGIC, CTL_FN_CREATE, 0, 1, 0, 1u << 30, 0};
    CHECK(write(fd, &huge, sizeof huge) == sizeof huge);
    CHECK(read(fd, &c, 1) <= 0);
    close(fd);
    fd = raw_connect(s.control);
    CHECK(write(fd, &huge, 7) == 7); /* the server gives up after its timeout */
    CHECK(read(fd, &c, 1) <= 0);
    close(fd);

    /* the well-behaved client never noticed */
    vnet_fn_spec spec = hotplug_spec(3);
    CHECK_EQ(vnet_fn_create(good, &spec, NULL), VNET_OK);
    CHECK_EQ(vnet_dpu_alive(good), 1);
    /* SIGTERM powers off like SHUTDOWN */
    kill(s.pid, SIGTERM);
    CHECK_EQ(spawn_wait(&s, 5000), 0);
    vnet_dpu_disconnect(good);
    spawn_cleanup(&s);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_unreachable();
    test_lifecycle();
    test_bad_peers();
    return CHECK_SUMMARY();
}
