/* Starting a real DPU process (vnet-dpu) for the tests that talk to one:
 * VNET_DPU_BINARY names it (make test points it at the sanitized build),
 * else build/vnet-dpu. */
#ifndef VNET_TEST_SPAWN_H
#define VNET_TEST_SPAWN_H

#include "vnet.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct spawned {
    pid_t pid;
    char dir[64];
    char control[96];
    char vhost[96];
    char log[128];
};

static long long spawn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void spawn_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Starts vnet-dpu serving <dir>/dpu.sock; waits until it answers (5 s). */
static int spawn_dpu_in(struct spawned *s, const char *where)
{
    char dir[sizeof s->dir];
    snprintf(dir, sizeof dir, "%s", where); /* where may be s->dir itself */
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(s->control, sizeof s->control, "%s/dpu.sock", dir);
    snprintf(s->vhost, sizeof s->vhost, "%s/vhost", dir);
    snprintf(s->log, sizeof s->log, "%s/dpu.log", dir);
    mkdir(s->vhost, 0755);
    const char *bin = getenv("VNET_DPU_BINARY");
    if (!bin)
        bin = "build/vnet-dpu";
    s->pid = fork();
    if (s->pid == 0) {
        FILE *log = freopen(s->log, "a", stderr);
        (void)log;
        execl(bin, bin, "--control", s->control, (char *)NULL);
        _exit(127);
    }
    if (s->pid < 0)
        return -1;
    for (long long until = spawn_now_ms() + 5000; spawn_now_ms() < until;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un a;
        memset(&a, 0, sizeof a);
        a.sun_family = AF_UNIX;
        snprintf(a.sun_path, sizeof a.sun_path, "%s", s->control);
        int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok)
            return 0;
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid)
            return -1;
        spawn_sleep_ms(10);
    }
    return -1;
}

static int spawn_dpu(struct spawned *s)
{
    char tmpl[] = "/tmp/vnet-dpu-test-XXXXXX";
    if (!mkdtemp(tmpl))
        return -1;
    return spawn_dpu_in(s, tmpl);
}

/* Waits for the process to end; its exit status, or -1 on timeout. */
static int spawn_wait(struct spawned *s, int timeout_ms)
{
    for (long long until = spawn_now_ms() + timeout_ms; spawn_now_ms() < until;) {
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        spawn_sleep_ms(5);
    }
    return -1;
}

static void spawn_kill(struct spawned *s, int sig)
{
    if (s->pid > 0) {
        kill(s->pid, sig);
        if (sig == SIGKILL || sig == SIGTERM)
            spawn_wait(s, 10000);
    }
}

/* Open fds of the DPU process: a leak shows as a count that grows. */
__attribute__((unused)) static int spawn_fd_count(const struct spawned *s)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)s->pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Provisions the default profile with sockets in s->vhost. */
static int spawn_provision(vnet_dpu *dpu, const struct spawned *s, uint32_t workers, uint32_t backend)
{
    vnet_start_params p;
    memset(&p, 0, sizeof p);
    snprintf(p.socket_dir, sizeof p.socket_dir, "%s", s->vhost);
    p.workers = workers;
    p.default_backend = backend;
    p.idle_poll_us = VNET_IDLE_POLL_DEFAULT_US;
    return vnet_dpu_provision(dpu, NULL, &p);
}

static void spawn_cleanup(struct spawned *s)
{
    spawn_kill(s, SIGKILL);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s->dir);
    if (system(cmd)) {
        /* a leftover temporary directory only */
    }
}

#endif
