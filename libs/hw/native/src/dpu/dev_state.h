/*
 * dev_state.h - the state of one function's virtio-net device: its queues,
 * its vhost-user connection, its representor side and the config space the
 * driver reads. Data only, with the few helpers every data-path module
 * uses; the lifecycle is in device.h, the protocol in vhost.h, the data
 * path in datapath.h.
 *
 * Locks, always taken in this order:
 *   d->rw     the memory table and the rings' attachment: the control
 *             thread writes, workers read
 *   q->lock   one queue's ring cursor and counters; a TX queue's lock may
 *             be held while its pair's RX queue lock is taken
 *   d->cfg    the config space (MAC, MTU, features offered, limits); taken
 *             last and briefly, by API calls and the control thread alike
 */
#ifndef VNET_DPU_DEV_STATE_H
#define VNET_DPU_DEV_STATE_H

#include "dirty.h"
#include "engine.h"
#include "mem.h"
#include "ring.h"
#include "vnet_abi.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define VU_MAX_PAYLOAD 512
#define VU_MAX_FDS 8
#define SOCK_PATH_MAX 108
#define NOTE_LEN 64

struct dev;

/* The last descriptor errors of a queue (virtnet debug), newest at
 * e[(next - 1) % VNET_QUEUE_ERRORS]. Written and read under the queue's lock. */
struct vq_errors {
    vnet_desc_error e[VNET_QUEUE_ERRORS];
    uint32_t next;
    uint64_t total;
};

struct capture;

struct vq {
    pthread_mutex_t lock;
    struct dev *dev;
    uint16_t index;
    uint16_t num;     /* SET_VRING_NUM */
    uint32_t base;    /* SET_VRING_BASE, applied when the ring starts */
    uint64_t desc_uva, driver_uva, device_uva;
    uint32_t addr_flags; /* SET_VRING_ADDR's flags: VHOST_VRING_F_LOG logs the used ring */
    uint64_t log_addr;   /* SET_VRING_ADDR's log_guest_addr */
    bool addr_set;
    bool started;
    bool enabled;
    bool broken;      /* the driver broke the ring; stopped until reset */
    int kick_fd;
    int call_fd;
    int timer_fd;     /* interrupt moderation; -1 until a period is set */
    int worker;       /* engine worker index, -1 before the ring first starts */
    struct evsrc kick_src;
    struct evsrc timer_src;
    struct ring ring;
    uint8_t mod_mode;
    uint32_t mod_period_us;
    uint32_t mod_max_count;
    uint32_t uncalled; /* completions the driver has not been notified of */
    uint32_t nudges;   /* kicks the device wrote itself: not counted as the driver's */
    vnet_queue_counters *c; /* in the shared counters segment */
    struct vq_errors errors;
};

struct conn_in {
    uint8_t buf[12 + VU_MAX_PAYLOAD];
    uint32_t have;
    int fds[VU_MAX_FDS];
    int nfds;
    bool fd_overflow;
};

/* What the device's owner shares with it: the engine, the socket
 * directory, and how new connections are made. */
struct dev_env {
    struct engine *eng;
    char sock_dir[SOCK_PATH_MAX];
    bool client;                 /* connect to the front-end's socket */
    uint8_t default_backend;
    _Atomic uint64_t idle_poll_ns;
    /* the representors' network namespace (-1: the machine's) and name bus (netdev.h) */
    int netns_fd;
    unsigned rep_bus;
};

struct dev {
    struct dev_env *env;
    uint32_t handle;
    pthread_rwlock_t rw;
    uint16_t nq;
    struct vq *vq;
    /* vhost-user endpoint; -1 while the data path is not started */
    char path[SOCK_PATH_MAX];
    int listen_fd;
    int conn_fd;
    _Atomic uint8_t connected;  /* conn_fd >= 0, for readers on other threads */
    _Atomic uint8_t dying;      /* being destroyed: the control thread lets go */
    struct evsrc listen_src;
    struct evsrc conn_src;
    struct conn_in in;
    _Atomic uint8_t status;     /* virtio status register */
    _Atomic uint64_t features;  /* acked by the front-end */
    _Atomic uint64_t protocol_features;
    bool features_set;
    bool status_from_driver;    /* SET_STATUS seen: the status is the driver's own */
    struct mem_table mem;
    /* Live migration: the dirty log (SET_LOG_BASE), swapped under rw held
     * for writing; the device logs while VHOST_F_LOG_ALL is acked and a log
     * is mapped (vhost_handlers.c). The rest is for the controller. */
    struct dirty_log log;
    bool log_counted;              /* this logging session was counted in migrations */
    _Atomic uint8_t log_on;        /* for readers on other threads: logging is on */
    _Atomic uint64_t log_bytes;    /* and the size of the log mapped */
    _Atomic uint8_t migration;     /* enum vnet_migration */
    _Atomic uint64_t migrations;   /* logging sessions that ended */
    _Atomic uint64_t rarps;        /* RARP frames announced for the front-end (SEND_RARP) */
    _Atomic uint32_t mem_faults; /* counted by the SIGBUS guard; 0 when mapped anew */
    _Atomic uint8_t mem_fault_reported;
    uint32_t hdr_len;           /* virtio_net_hdr size for the acked features */
    /* the SF representor side of the data path */
    uint8_t backend;
    int tap_fd;
    int tap_ifindex;
    bool tap_armed;
    struct evsrc tap_src;
    uint16_t gen_size;
    uint32_t gen_seq;
    char sf_rep[16];
    char note[NOTE_LEN];        /* under cfg */
    /* config space the driver reads */
    pthread_mutex_t cfg;
    uint8_t mac[6];
    uint16_t mtu;
    uint16_t max_pairs;
    uint16_t max_queue_size;
    uint16_t net_status;
    uint32_t speed;
    uint64_t device_features;
    _Atomic uint64_t protocol_errors;
    _Atomic uint64_t connections;
    /* A running frame capture (capture.h), or NULL: set and cleared with rw
     * held for writing, read by the data path under rw held for reading. */
    struct capture *_Atomic cap;
};

/* Sets the one-line note the controller shows for the device (truncated). */
__attribute__((format(printf, 2, 3))) void dev_note(struct dev *d, const char *fmt, ...);
/* Counts a refused or malformed message and notes why. */
__attribute__((format(printf, 2, 3))) void dev_refused(struct dev *d, const char *fmt, ...);

static inline uint8_t dev_status(struct dev *d) { return atomic_load_explicit(&d->status, memory_order_acquire); }
static inline void dev_set_status(struct dev *d, uint8_t s) { atomic_store_explicit(&d->status, s, memory_order_release); }
static inline uint64_t dev_features(struct dev *d) { return atomic_load_explicit(&d->features, memory_order_relaxed); }
static inline bool dev_has(struct dev *d, unsigned bit) { return (dev_features(d) >> bit) & 1u; }

/* The device asks for a reset (virtio 1.2, 2.1.2). */
static inline void dev_needs_reset(struct dev *d)
{
    atomic_fetch_or_explicit(&d->status, VNET_STATUS_NEEDS_RESET, memory_order_release);
}

static inline struct worker *vq_worker(struct vq *q)
{
    return q->worker >= 0 ? engine_worker(q->dev->env->eng, q->worker) : NULL;
}

/*
 * The counters live in the shared segment, read by other processes while
 * the data path writes them: each is written whole (a relaxed atomic
 * store, a plain move on x86-64) by the one thread holding its queue's
 * lock, so a reader never sees half a value.
 */
#define CNT_ADD(field, n)                                                                      \
    __atomic_store_n(&(field), (__typeof__(field))(__atomic_load_n(&(field), __ATOMIC_RELAXED) + (n)), __ATOMIC_RELAXED)
#define CNT_SET(field, v) __atomic_store_n(&(field), (__typeof__(field))(v), __ATOMIC_RELAXED)

/* Counts one frame of `len` bytes in the queue's counters. */
void dev_count_frame(vnet_queue_counters *c, size_t len);

#endif
