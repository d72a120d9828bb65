/* serve: one emulated DPU with one hot-plugged device on a vhost-user
 * socket, printing its queue counters every second. For trying a front-end
 * by hand, and for the data-path benchmarks:
 *   build/serve DIR [QUEUES] [echo|sink|gen|tap|ceiling] [GEN_FRAME_SIZE] [FEATURES_HEX]
 * ceiling: the generator and sink handing every descriptor back untouched
 * (the driver's own limit). VNET_WORKERS sets the worker threads (1), and
 * VNET_IDLE_POLL_US the idle poll. Prints the socket's path, then the
 * representor's name; SIGUSR1 prints the counters at once. */
#include "dpu/backend.h"
#include "dpu/dpu.h"

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }
/* SIGUSR1 only cuts the wait short: the counters are printed at once. */
static void on_usr1(int s) { (void)s; }

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s SOCKET_DIR [QUEUES] [echo|sink|gen|tap|ceiling] [GEN_FRAME_SIZE] [FEATURES_HEX]\n",
                argv[0]);
        return 2;
    }
    int queues = argc > 2 ? atoi(argv[2]) : 3;
    uint32_t backend = VNET_BACKEND_ECHO;
    bool ceiling = argc > 3 && !strcmp(argv[3], "ceiling");
    if (argc > 3)
        backend = !strcmp(argv[3], "sink") ? VNET_BACKEND_SINK
                : !strcmp(argv[3], "gen") || ceiling ? VNET_BACKEND_GEN
                : !strcmp(argv[3], "tap") ? VNET_BACKEND_TAP : VNET_BACKEND_ECHO;
    backend_set_ceiling(ceiling);
    const char *workers = getenv("VNET_WORKERS");
    struct dpu *dpu = NULL;
    vnet_start_params params;
    memset(&params, 0, sizeof params);
    snprintf(params.socket_dir, sizeof params.socket_dir, "%s", argv[1]);
    params.workers = workers ? (uint32_t)atoi(workers) : 1;
    params.default_backend = backend == VNET_BACKEND_TAP ? backend : VNET_BACKEND_ECHO;
    params.idle_poll_us = VNET_IDLE_POLL_DEFAULT_US;
    if (dpu_create(NULL, &dpu) || dpu_start(dpu, &params)) {
        fprintf(stderr, "start: %s\n", dpu ? dpu_last_error(dpu) : "create failed");
        return 1;
    }
    /* How long a worker polls an emptied ring before it sleeps until a kick
     * (the providers' difference: ace 20 us, dpa 1000 us). */
    const char *poll = getenv("VNET_IDLE_POLL_US");
    if (poll && dpu_set_idle_poll(dpu, (uint32_t)atoi(poll))) {
        fprintf(stderr, "idle poll: %s\n", dpu_last_error(dpu));
        return 1;
    }
    vnet_fn_spec s;
    memset(&s, 0, sizeof s);
    s.type = VNET_FN_HOTPLUG_PF;
    s.pf_index = s.vf_index = s.port = s.sf_num = -1;
    strcpy(s.ib_device, "mlx5_0");
    const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 1};
    memcpy(s.mac, mac, 6);
    s.mtu = 1500;
    s.num_queues = (uint16_t)queues;
    s.max_queue_size = 1024;
    s.features = VNET_BIT(VIRTIO_F_VERSION_1) | VNET_BIT(VIRTIO_NET_F_MAC) | VNET_BIT(VIRTIO_NET_F_MTU) |
                 VNET_BIT(VIRTIO_NET_F_STATUS) | VNET_BIT(VIRTIO_NET_F_MRG_RXBUF) |
                 ((queues & 1) ? VNET_BIT(VIRTIO_NET_F_CTRL_VQ) | VNET_BIT(VIRTIO_NET_F_MQ) : 0);
    if (argc > 5)
        s.features |= strtoull(argv[5], NULL, 16);
    vnet_fn_info info;
    if (dpu_fn_create(dpu, &s, &info)) {
        fprintf(stderr, "create: %s\n", dpu_last_error(dpu));
        return 1;
    }
    uint32_t gen_size = argc > 4 ? (uint32_t)atoi(argv[4]) : 64;
    if (backend != VNET_BACKEND_ECHO && backend != VNET_BACKEND_TAP)
        dpu_fn_set_backend(dpu, info.handle, backend, gen_size);
    printf("%s\n%s\n", info.vhost_socket, info.sf_rep);
    fflush(stdout);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    vnet_queue_counters q[64];
    while (!stop) {
        sleep(1);
        uint32_t n;
        dpu_counters_snapshot(dpu, q, 64, &n);
        dpu_fn_query(dpu, info.handle, &info);
        static const char *mig[] = {"none", "logging", "stopped", "cancelled"};
        fprintf(stderr, "status 0x%x conn %u note '%s' errs %llu mig %s log %llu pages %llu sessions %llu rarps |",
                info.device_status, info.connected, info.backend_note, (unsigned long long)info.protocol_errors,
                info.migration < 4 ? mig[info.migration] : "?", (unsigned long long)info.log_pages,
                (unsigned long long)info.migrations, (unsigned long long)info.rarps);
        for (uint32_t i = 0; i < n; i++)
            fprintf(stderr, " q%u pk %llu kick %llu call %llu drop %llu;", q[i].qid,
                    (unsigned long long)q[i].packets, (unsigned long long)q[i].kicks,
                    (unsigned long long)q[i].calls, (unsigned long long)q[i].dropped);
        fprintf(stderr, "\n");
    }
    dpu_destroy(dpu, true);
    return 0;
}
