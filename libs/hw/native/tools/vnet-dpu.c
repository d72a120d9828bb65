/*
 * vnet-dpu: the emulated DPU as a process of its own. It owns the
 * inventory, every function's vhost-user socket, the data-path threads,
 * the SF representors and the counters, and it outlives its controller:
 * the controller (through libvnet) provisions it once, then creates,
 * changes and destroys functions over its control socket. SIGTERM or a
 * SHUTDOWN request powers it off (sockets and representors removed);
 * SIGKILL leaves both for the next DPU process, as a firmware reset would.
 *
 *   vnet-dpu --control SOCKET [--pid-file FILE]   serve (the default)
 *   vnet-dpu --control SOCKET --status            what a running DPU holds, as JSON
 *   vnet-dpu --control SOCKET --stop              power a running DPU off
 *
 * Exit status: 0 done, 1 failure, 2 usage, 3 another DPU serves SOCKET,
 * 4 no DPU answers there (--status, --stop).
 */
#include "vnet.h"
#include "../src/dpu/fault.h"
#include "../src/dpu/server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#ifndef VNET_VERSION
#define VNET_VERSION "dev"
#endif

static void log_line(const char *line)
{
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s vnet-dpu[%d]: %s\n", stamp, (int)getpid(), line);
}

static void usage(void)
{
    fprintf(stderr, "usage: vnet-dpu --control SOCKET [--pid-file FILE] [--status | --stop]\n");
}

static const char *backend_name(uint32_t b)
{
    static const char *names[] = {"echo", "tap", "sink", "generator", "auto"};
    return b < 5 ? names[b] : "?";
}

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

static int status(const char *control)
{
    vnet_dpu *dpu = NULL;
    int rc = vnet_dpu_connect(control, 3000, &dpu);
    if (rc) {
        fprintf(stderr, "vnet-dpu: %s\n", vnet_dpu_last_error(dpu));
        vnet_dpu_disconnect(dpu);
        return 4;
    }
    vnet_dpu_state st;
    rc = vnet_dpu_describe(dpu, &st);
    uint32_t count = 0;
    vnet_fn_info *fns = NULL;
    if (!rc && st.provisioned && (rc = vnet_fn_list(dpu, NULL, 0, &count)) == 0) {
        fns = calloc(count ? count : 1, sizeof *fns);
        rc = fns ? vnet_fn_list(dpu, fns, count, &count) : VNET_E_NO_MEMORY;
    }
    if (rc) {
        fprintf(stderr, "vnet-dpu: %s\n", vnet_dpu_last_error(dpu));
        vnet_dpu_disconnect(dpu);
        free(fns);
        return 1;
    }
    printf("{\"pid\": %d, \"version\": ", st.pid);
    json_string(st.version);
    printf(", \"started_at_ms\": %llu, \"provisioned\": %s", (unsigned long long)st.started_at_ms, st.provisioned ? "true" : "false");
    if (st.provisioned) {
        printf(", \"board_serial\": ");
        json_string(st.profile.board_serial);
        printf(", \"socket_dir\": ");
        json_string(st.params.socket_dir);
        printf(", \"workers\": %u, \"mode\": \"%s\", \"default_backend\": \"%s\", \"idle_poll_us\": %u, \"faults\": %llu, \"functions\": [",
               st.params.workers, st.params.flags & VNET_START_CLIENT ? "client" : "server", backend_name(st.params.default_backend),
               st.params.idle_poll_us, (unsigned long long)st.faults);
        for (uint32_t i = 0; i < count; i++) {
            printf("%s\n  {\"handle\": %u, \"vuid\": ", i ? "," : "", fns[i].handle);
            json_string(fns[i].vuid);
            printf(", \"pf\": %d, \"vf\": %d, \"status\": %u, \"connected\": %s, \"representor\": ", fns[i].pf_id, fns[i].vf_id,
                   fns[i].device_status, fns[i].connected ? "true" : "false");
            json_string(fns[i].sf_rep);
            static const char *migration[] = {"none", "logging", "stopped", "cancelled"};
            printf(", \"backend\": \"%s\", \"protocol_errors\": %llu, \"migration\": \"%s\", \"log_pages\": %llu}",
                   backend_name(fns[i].backend), (unsigned long long)fns[i].protocol_errors,
                   fns[i].migration < 4 ? migration[fns[i].migration] : "?", (unsigned long long)fns[i].log_pages);
        }
        printf("]");
    }
    printf("}\n");
    free(fns);
    vnet_dpu_disconnect(dpu);
    return 0;
}

static int stop(const char *control)
{
    vnet_dpu *dpu = NULL;
    if (vnet_dpu_connect(control, 3000, &dpu)) {
        fprintf(stderr, "vnet-dpu: %s\n", vnet_dpu_last_error(dpu));
        vnet_dpu_disconnect(dpu);
        return 4;
    }
    int rc = vnet_dpu_shutdown(dpu);
    if (rc)
        fprintf(stderr, "vnet-dpu: %s\n", vnet_dpu_last_error(dpu));
    vnet_dpu_disconnect(dpu);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *control = NULL, *pid_file = NULL;
    enum { SERVE, STATUS, STOP } what = SERVE;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--control") && i + 1 < argc)
            control = argv[++i];
        else if (!strcmp(argv[i], "--pid-file") && i + 1 < argc)
            pid_file = argv[++i];
        else if (!strcmp(argv[i], "--status"))
            what = STATUS;
        else if (!strcmp(argv[i], "--stop"))
            what = STOP;
        else {
            usage();
            return 2;
        }
    }
    if (!control) {
        usage();
        return 2;
    }
    if (what == STATUS)
        return status(control);
    if (what == STOP)
        return stop(control);

    /* Termination is read from a signalfd by the server; a client that
     * goes away mid-reply must not kill the DPU. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    /* The DPU stands for hardware, which never waits for the control plane
     * or the host: on a machine they share, its threads run ahead of them.
     * Threads inherit it; without CAP_SYS_NICE it runs at normal priority. */
    if (setpriority(PRIO_PROCESS, 0, -10))
        log_line("runs at normal priority (no CAP_SYS_NICE): a busy controller or host may delay its data path");
    if (fault_install())
        log_line("cannot install the guest-memory fault guard: a driver that shrinks its memory can crash this DPU");

    char why[256] = "";
    struct server *s;
    int rc = server_open(control, VNET_VERSION, log_line, &s, why, sizeof why);
    if (rc) {
        log_line(why);
        return rc == -EADDRINUSE ? 3 : 1;
    }
    if (pid_file) {
        FILE *f = fopen(pid_file, "we");
        if (f) {
            fprintf(f, "%d\n", (int)getpid());
            fclose(f);
        }
    }
    rc = server_run(s);
    server_close(s, false);
    if (pid_file)
        unlink(pid_file);
    log_line("stopped");
    return rc ? 1 : 0;
}
