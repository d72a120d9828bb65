/*
 * internal.h - the emulated DPU's private structures, shared by dpu.c
 * (inventory), vhost.c (the vhost-user protocol), net.c (the virtio-net data
 * path) and engine.c (threads).
 *
 * Locks, always taken in this order:
 *   dpu->lock       inventory and every function's info (API calls)
 *   dev->rw         a device's memory table and ring attachment:
 *                   the control thread writes, workers read
 *   vq->lock        one queue's ring cursor and counters; a TX queue's lock
 *                   may be held while its pair's RX queue lock is taken
 * The control thread never takes dpu->lock while holding dev->rw.
 */
#ifndef VNET_INTERNAL_H
#define VNET_INTERNAL_H

#include "mem.h"
#include "ring.h"
#include "vnet.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define VU_MAX_PAYLOAD 512
#define VU_MAX_FDS 8
#define SOCK_PATH_MAX 108

enum ev_kind { EV_WAKE, EV_LISTEN, EV_CONN, EV_KICK, EV_TAP, EV_TIMER, EV_RETRY };

/* What an epoll event points at. */
struct evsrc {
    uint8_t kind;
    void *obj;
};

struct dev;

struct vq {
    pthread_mutex_t lock;
    struct dev *dev;
    uint16_t index;
    uint16_t num;     /* SET_VRING_NUM */
    uint32_t base;    /* SET_VRING_BASE, applied when the ring starts */
    uint64_t desc_uva, driver_uva, device_uva;
    bool addr_set;
    bool started;
    bool enabled;
    bool broken;      /* the driver broke the ring; stopped until reset */
    int kick_fd;
    int call_fd;
    int timer_fd;     /* interrupt moderation; -1 until a period is set */
    int worker;
    struct evsrc kick_src;
    struct evsrc timer_src;
    struct ring ring;
    uint8_t mod_mode;
    uint32_t mod_period_us;
    uint32_t mod_max_count;
    uint32_t uncalled; /* completions the driver has not been notified of */
    uint32_t nudges;   /* kicks the device wrote itself: not counted as the driver's */
    vnet_queue_counters c;
};

struct conn_in {
    uint8_t buf[12 + VU_MAX_PAYLOAD];
    uint32_t have;
    int fds[VU_MAX_FDS];
    int nfds;
    bool fd_overflow;
};

struct dev {
    struct vnet_dpu *dpu;
    uint32_t handle;
    pthread_rwlock_t rw;
    uint16_t nq;
    struct vq *vq;
    /* vhost-user endpoint; -1 while the engine is not started */
    char path[SOCK_PATH_MAX];
    int listen_fd;
    int conn_fd;
    uint8_t connected;          /* conn_fd >= 0, for readers on other threads; atomic access */
    uint8_t dying;              /* being destroyed: the control thread lets go; atomic access */
    struct evsrc listen_src;
    struct evsrc conn_src;
    struct conn_in in;
    uint8_t status;             /* virtio status register; atomic access */
    uint64_t features;          /* acked by the front-end */
    uint64_t protocol_features; /* acked by the front-end */
    bool features_set;
    bool status_from_driver;    /* SET_STATUS seen: the status is the driver's own */
    struct mem_table mem;
    uint32_t hdr_len;           /* virtio_net_hdr size for the acked features */
    /* the SF representor side of the data path */
    uint8_t backend;
    int tap_fd;
    int tap_ifindex;
    bool tap_armed;
    struct evsrc tap_src;
    uint16_t gen_size;
    uint32_t gen_seq;
    char note[64];
    /* config space the driver reads; written under dpu->lock */
    uint8_t mac[6];
    uint16_t mtu;
    uint16_t max_pairs;
    uint16_t max_queue_size;
    uint16_t net_status;
    uint32_t speed;
    uint64_t device_features;
    uint64_t protocol_errors;
};

struct worker {
    struct vnet_dpu *dpu;
    pthread_t thread;
    int ep;
    int wake_fd;
    struct evsrc wake_src;
    _Atomic uint64_t epoch; /* completed loop iterations */
    bool running;
};

struct vnet_fn {
    vnet_fn_info info;
    struct dev *dev;
};

struct vnet_dpu {
    pthread_mutex_t lock;
    vnet_profile prof;
    char err[256];
    struct vnet_fn **slots; /* index = handle - 1; NULL once destroyed */
    uint32_t nslots;
    uint32_t capslots;
    uint32_t live;
    /* engine: one control thread (vhost-user sockets), n data-path workers */
    bool started;
    _Atomic bool stopping;
    char sock_dir[SOCK_PATH_MAX];
    uint8_t default_backend;
    bool client;              /* devices connect to the front-end (VNET_START_CLIENT) */
    int retry_fd;             /* client mode: a 1 s timer on the control thread */
    struct evsrc retry_src;
    uint32_t nworkers;
    uint32_t next_worker;
    _Atomic uint64_t idle_poll_ns; /* vnet_dpu_set_idle_poll */
    struct worker ctl;
    struct worker *w;
};

/* dev.c */
struct dev *dev_new(struct vnet_dpu *dpu, const vnet_fn_info *info);
int dev_open(struct dev *d, const char *vuid, const char *sf_rep, char *why, size_t n);
/* `release`: the controller is going away, not the device: its socket file
 * and its representor stay for the next controller to take over. */
void dev_destroy(struct dev *d, bool release);
void dev_free(struct dev *d);
void dev_set_config(struct dev *d, const vnet_fn_info *info);
/* Sets the one-line note the controller shows for the device (truncated). */
__attribute__((format(printf, 2, 3))) void dev_note(struct dev *d, const char *fmt, ...);
void dev_fill_info(struct dev *d, vnet_fn_info *info);

/* vhost.c */
void vu_accept(struct dev *d);
void vu_readable(struct dev *d);
void vu_disconnect(struct dev *d);
/* Client mode: connects to the front-end's socket if not connected. */
void vu_connect(struct dev *d);
void vu_retry_all(struct vnet_dpu *dpu);

/* net.c */
void net_kick(struct vq *q);
void net_timer(struct vq *q);
void net_tap_readable(struct dev *d);
void net_stop_queue(struct vq *q);
int net_set_backend(struct dev *d, uint8_t mode, uint16_t gen_size, const char *sf_rep);
/* `release`: keep a TAP representor for the next controller (it is
 * persistent); otherwise the TAP netdev is removed. */
void net_close_backend(struct dev *d, bool release);
/* Removes a persistent TAP netdev by name; 0 or -errno. */
int net_remove_tap(const char *name);

/* engine.c */
int engine_start(struct vnet_dpu *dpu, uint32_t workers);
void engine_stop(struct vnet_dpu *dpu);
int engine_watch(struct worker *w, int fd, struct evsrc *src, uint32_t events);
int engine_modify(struct worker *w, int fd, struct evsrc *src, uint32_t events);
void engine_unwatch(struct worker *w, int fd);
/* Waits until every thread finished the work it had when this was called. */
void engine_quiesce(struct vnet_dpu *dpu);
struct worker *engine_worker_for(struct vnet_dpu *dpu);

#endif
