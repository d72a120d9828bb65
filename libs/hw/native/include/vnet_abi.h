/*
 * vnet_abi.h - the types every side of the emulated DPU shares: libvnet
 * (the driver library the controller loads), the DPU process (vnet-dpu)
 * and the control channel between them carry these structs as they are.
 *
 * Compatibility: the control channel refuses a peer whose ABI version or
 * struct sizes differ (VNET_E_ABI_MISMATCH), so both sides must come from
 * one build of this header. Never renumber an error code or reorder a field.
 */
#ifndef VNET_ABI_H
#define VNET_ABI_H

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <stdint.h>

#ifndef VNET_ABI_VERSION /* a test builds a DPU of another version */
#define VNET_ABI_VERSION 5
#endif

/* Stable error codes. Their names (without VNET_E_) are the codes the
 * controller reports to users, so never renumber or rename one. */
typedef enum vnet_err {
    VNET_OK = 0,
    VNET_E_INVALID_ARGUMENT = -1,
    VNET_E_NO_MEMORY = -2,
    VNET_E_NOT_FOUND = -3,
    VNET_E_NO_FREE_HOTPLUG_PORT = -4,
    VNET_E_PORT_IN_USE = -5,
    VNET_E_QUEUES_EXCEED_LIMIT = -6,
    VNET_E_QUEUE_SIZE_INVALID = -7,
    VNET_E_MAC_INVALID = -8,
    VNET_E_FEATURES_UNSUPPORTED = -9,
    VNET_E_IB_DEVICE_UNKNOWN = -10,
    VNET_E_MTU_INVALID = -11,
    VNET_E_MSIX_INVALID = -12,
    VNET_E_SF_NUM_IN_USE = -13,
    VNET_E_NOT_HOTPLUG = -14,
    VNET_E_DRIVER_BOUND = -15,
    VNET_E_FUNCTION_EXISTS = -16,
    VNET_E_NOT_SUPPORTED = -17,
    VNET_E_PROFILE_INVALID = -18,
    VNET_E_FEATURES_CONFLICT = -19,
    VNET_E_SYSTEM = -20,           /* a system call failed (socket, TAP, thread) */
    VNET_E_NOT_STARTED = -21,
    VNET_E_DPU_UNAVAILABLE = -22,  /* the DPU process is gone, or did not answer in time */
    VNET_E_NOT_PROVISIONED = -23,  /* the DPU runs but no profile was given to it yet */
    VNET_E_ABI_MISMATCH = -24,     /* the DPU process comes from another build */
    VNET_E_ALREADY_PROVISIONED = -25,
} vnet_err;

/* Function types. */
enum vnet_fn_type {
    VNET_FN_STATIC_PF = 0,
    VNET_FN_HOTPLUG_PF = 1,
    VNET_FN_VF = 2,
};

/* What the device side of the data path (the SF representor) does with
 * packets. ECHO: a packet sent on TX queue 2k+1 arrives on RX queue 2k.
 * TAP: packets cross a TAP netdev named like the representor (needs
 * CAP_NET_ADMIN). SINK: TX packets are counted and dropped. GEN: RX queues
 * are filled with generated frames of gen_size bytes as fast as the driver
 * posts buffers (a load generator). AUTO, at start only: TAP, or ECHO when a
 * TAP cannot be created. */
enum vnet_backend {
    VNET_BACKEND_ECHO = 0,
    VNET_BACKEND_TAP = 1,
    VNET_BACKEND_SINK = 2,
    VNET_BACKEND_GEN = 3,
    VNET_BACKEND_AUTO = 4,
};

/* A device's last live migration as its vhost-user back-end saw it: the
 * front-end turns dirty logging on (VHOST_F_LOG_ALL with a log from
 * SET_LOG_BASE) while it copies the guest, then either stops the rings with
 * logging still on (GET_VRING_BASE: the guest is handed over to the
 * destination) or turns logging off with the rings running (the migration
 * was cancelled or failed, and the device goes on). */
enum vnet_migration {
    VNET_MIGRATION_NONE = 0,      /* logging was never on */
    VNET_MIGRATION_LOGGING = 1,   /* logging is on: a migration is copying the guest */
    VNET_MIGRATION_STOPPED = 2,   /* the rings were stopped with logging on: handed over */
    VNET_MIGRATION_CANCELLED = 3, /* logging went off with the rings running */
};

/* Interrupt moderation modes (virtnet modify ... queue -e). */
enum vnet_event_mode {
    VNET_EVENT_MODE_EVENT = 0, /* period restarts on each event */
    VNET_EVENT_MODE_CQE = 1,   /* period restarts on each completion */
};

#define VNET_MAX_IB_DEVICES 3
#define VNET_NAME_LEN 16
#define VNET_VUID_LEN 32
#define VNET_HIST_BUCKETS 8
#define VNET_PATH_LEN 108
#define VNET_NOTE_LEN 64
#define VNET_VERSION_LEN 32

/* Virtio device status bits (virtio 1.2, 2.1), from the kernel's header. */
#define VNET_STATUS_ACKNOWLEDGE VIRTIO_CONFIG_S_ACKNOWLEDGE
#define VNET_STATUS_DRIVER VIRTIO_CONFIG_S_DRIVER
#define VNET_STATUS_DRIVER_OK VIRTIO_CONFIG_S_DRIVER_OK
#define VNET_STATUS_FEATURES_OK VIRTIO_CONFIG_S_FEATURES_OK
#define VNET_STATUS_NEEDS_RESET VIRTIO_CONFIG_S_NEEDS_RESET
#define VNET_STATUS_FAILED VIRTIO_CONFIG_S_FAILED

#define VNET_BIT(n) (1ull << (n))

/* An RDMA/ib device of the DPU on which a function's SF is created. */
typedef struct vnet_ib_device {
    char name[VNET_NAME_LEN]; /* "mlx5_0", "mlx5_1", "mlx5_bond_0" */
    uint32_t port;            /* physical port the SF representor hangs off */
    uint32_t pf_num;          /* DPU-side PF number used in representor names */
} vnet_ib_device;

/* The firmware-style profile that sizes the emulated DPU (the mlxconfig
 * knobs of the real product). Fixed from provisioning to power-off. */
typedef struct vnet_profile {
    char board_serial[VNET_NAME_LEN]; /* prefix of every VUID, e.g. "MT2306X00001" */
    uint32_t hotplug_ports;           /* PCI_SWITCH_EMULATION_NUM_PORT, <= 32 */
    uint32_t static_pfs;              /* VIRTIO_NET_EMULATION_NUM_PF, <= 8 */
    uint32_t vfs_per_pf;              /* VIRTIO_NET_EMULATION_NUM_VF, <= 255 */
    uint32_t pf_msix;                 /* VIRTIO_NET_EMULATION_NUM_MSIX */
    uint32_t vf_msix;                 /* VIRTIO_NET_EMULATION_NUM_VF_MSIX */
    uint32_t msix_pool_per_pf;        /* MSI-X vectors a PF's VFs share */
    uint32_t max_virtqueues;          /* per function */
    uint32_t max_queue_size;          /* power of two */
    uint32_t max_mtu;
    uint32_t link_speed_mbps;
    uint64_t supported_features;      /* what any function may offer */
    uint32_t sf_base_static;          /* SF number bands */
    uint32_t sf_base_hotplug;
    uint32_t sf_base_vf;
    uint8_t hotplug_bus_base;         /* host bus behind switch port 0 */
    uint8_t static_bus;               /* host bus of the static PFs */
    uint8_t vf_bus_base;              /* host bus of PF 0's VFs */
    uint8_t reserved;
    uint32_t ib_device_count;
    vnet_ib_device ib_devices[VNET_MAX_IB_DEVICES];
} vnet_profile;

/* Flags of vnet_start_params. */
#define VNET_START_CLIENT 1u /* connect to the front-end's socket instead of listening */

/* How the data path runs, given with the profile at provisioning. Every
 * function gets a vhost-user back-end at <socket_dir>/<vuid>.sock, served by
 * one control thread and `workers` data-path threads (1 to 64, like the
 * real controller's eth_vq_workers). By default the device listens there
 * (stale socket files are replaced); with VNET_START_CLIENT it connects to a
 * front-end listening there (DPDK virtio-user server=1), retrying every
 * second. idle_poll_us: how long a worker polls a ring that went empty
 * before it asks for kicks again and sleeps (0 to 1000000). netns: the
 * network namespace (ip-netns(8), /run/netns/<netns>) the TAP representors
 * live in, as a DPU's Arm OS has netdevs of its own; "" for the machine's.
 * Representor names are en<bus>f<port>pf<pf>sf<sfnum>, the bus (3 to 9)
 * held by this DPU among the DPUs of its namespace (vnet_dpu_state). */
typedef struct vnet_start_params {
    char socket_dir[VNET_PATH_LEN];
    uint32_t workers;
    uint32_t default_backend; /* enum vnet_backend */
    uint32_t flags;
    uint32_t idle_poll_us;
    char netns[VNET_NAME_LEN];
} vnet_start_params;

#define VNET_IDLE_POLL_DEFAULT_US 20u

/* What a DPU process says of itself. */
typedef struct vnet_dpu_state {
    uint32_t abi_version;
    int32_t pid;
    uint8_t provisioned;
    uint8_t rep_bus; /* the representors' bus (en<bus>f...), 0 until provisioned */
    uint8_t reserved[2];
    uint32_t functions;
    uint64_t started_at_ms;     /* wall clock, ms since the epoch */
    uint64_t provisioned_at_ms; /* 0 until provisioned */
    uint64_t faults;            /* guest-memory faults absorbed (a driver shrank its memory) */
    char version[VNET_VERSION_LEN];
    vnet_start_params params;
    vnet_profile profile;
} vnet_dpu_state;

/* What to create. Fields set to -1 are chosen by the library; set them
 * explicitly to restore a function exactly (recovery). */
typedef struct vnet_fn_spec {
    uint32_t type;           /* enum vnet_fn_type */
    int32_t pf_index;        /* static PF index (STATIC_PF, parent of a VF) */
    int32_t vf_index;        /* VF index under pf_index (VF only) */
    int32_t port;            /* hot-plug switch port, -1 = first free */
    int32_t sf_num;          /* -1 = next free number of the type's band */
    char ib_device[VNET_NAME_LEN];
    uint8_t mac[6];
    uint16_t mtu;
    uint16_t num_queues;     /* data queues plus the control queue if odd */
    uint16_t max_queue_size;
    uint16_t num_msix;       /* 0 = the profile's value for the type */
    uint8_t transitional;    /* expose the legacy (0.95) interface too */
    uint8_t reserved[3];
    uint64_t features;       /* full feature set the device offers */
} vnet_fn_spec;

/* Fields to change on a function; a bit in `mask` selects each one. */
#define VNET_MOD_MAC (1u << 0)
#define VNET_MOD_MTU (1u << 1)
#define VNET_MOD_FEATURES (1u << 2)
#define VNET_MOD_MAX_QUEUE_SIZE (1u << 3)
#define VNET_MOD_NUM_MSIX (1u << 4)
#define VNET_MOD_LINK (1u << 5)
typedef struct vnet_fn_mod {
    uint32_t mask;
    uint8_t mac[6];
    uint16_t mtu;
    uint64_t features;
    uint16_t max_queue_size;
    uint16_t num_msix;
    uint8_t link_up;
    uint8_t reserved[7];
} vnet_fn_mod;

/* A function as the device sees it. */
typedef struct vnet_fn_info {
    uint32_t handle;
    uint32_t type;
    int32_t pf_id;           /* PF number seen by users (static PFs first) */
    int32_t vf_id;           /* -1 for PFs */
    int32_t port;            /* hot-plug port, -1 otherwise */
    uint32_t sf_num;
    uint16_t bdf_raw;        /* bus << 8 | dev << 3 | fn */
    uint16_t mtu;
    uint16_t num_queues;
    uint16_t max_queue_size;
    uint16_t num_msix;
    uint16_t max_queue_pairs;
    uint16_t enabled_queues;
    uint16_t net_status;     /* config space status: bit 0 LINK_UP */
    uint8_t mac[6];
    uint8_t transitional;
    uint8_t device_status;   /* status register as written by the driver */
    uint8_t duplex;          /* 1 = full */
    uint8_t event_mode;
    uint16_t reserved;
    uint32_t speed_mbps;
    uint32_t moderation_period_us;
    uint32_t moderation_max_count;
    uint32_t ib_port;
    uint64_t device_features; /* offered */
    uint64_t driver_features; /* accepted by the driver (FEATURES_OK) */
    char vuid[VNET_VUID_LEN];
    char bdf[VNET_NAME_LEN];
    char ib_device[VNET_NAME_LEN];
    char sf_rep[VNET_NAME_LEN];
    /* the data path */
    char vhost_socket[VNET_PATH_LEN];
    char backend_note[VNET_NOTE_LEN]; /* why the backend is what it is, or the last refusal */
    uint8_t backend;                  /* enum vnet_backend */
    uint8_t connected;                /* a vhost-user front-end is attached */
    uint16_t reserved2;
    int32_t rep_ifindex;              /* the TAP's ifindex, or -1 */
    uint64_t protocol_features;       /* vhost-user protocol features acked */
    uint64_t protocol_errors;         /* malformed or refused messages */
    uint64_t connections;             /* front-end connections since the function was created */
    /* live migration (vnet_migration) */
    uint8_t log_enabled;              /* dirty logging is on: VHOST_F_LOG_ALL acked and a log mapped */
    uint8_t migration;                /* enum vnet_migration */
    uint8_t reserved3[6];
    uint64_t log_size;                /* bytes of the dirty log mapped, 0 without one */
    uint64_t log_pages;               /* pages the device marked dirty since logging last went on */
    uint64_t log_skipped;             /* pages it wrote past the end of the log since then (not marked) */
    uint64_t migrations;              /* logging sessions that ended (stopped or cancelled) */
    uint64_t rarps;                   /* RARP frames sent for the front-end (VHOST_USER_SEND_RARP) */
} vnet_fn_info;

/* Per-queue counters, kept by the data path in the DPU's shared counters
 * segment. Queue 2k is RX of pair k, 2k+1 its TX, and with an odd queue
 * count the last queue is control. */
typedef struct vnet_queue_counters {
    uint32_t handle;
    uint16_t qid;
    uint16_t enabled;
    uint16_t size;
    uint16_t msix_vector;
    uint16_t hw_available_index;
    uint16_t hw_used_index;
    uint64_t received_desc;
    uint64_t completed_desc;
    uint64_t bad_desc_errors;
    uint64_t error_cqes;
    uint64_t exceed_max_chain;
    uint64_t invalid_buffer;
    uint64_t total_bytes;
    uint64_t packets;
    uint64_t kicks;          /* driver -> device notifications */
    uint64_t calls;          /* device -> driver notifications */
    uint64_t hist[VNET_HIST_BUCKETS]; /* <=64, 65-127, 128-255, 256-511,
                                         512-1023, 1024-1522, 1523-2047, >=2048 */
    uint64_t dropped;        /* packets lost: no RX buffer, or a bad chain */
    uint64_t oversized;      /* TX frames longer than the device's MTU allows (dropped) */
    uint8_t started;         /* the front-end started the ring */
    uint8_t broken;          /* the driver broke the ring (NEEDS_RESET) */
    uint8_t reserved[6];
} vnet_queue_counters;

/* ---- debug: ring state and frame capture (virtnet debug) ----
 * Requests a DPU of an older build does not know answer NOT_SUPPORTED; the
 * structs below are not part of the HELLO size check for that reason. */

#define VNET_QUEUE_ERRORS 8
#define VNET_DESC_ERROR_TEXT 64

/* Why the device refused a chain. */
enum vnet_desc_error_kind {
    VNET_DESC_E_ADDRESS = 1,    /* a buffer outside the driver's memory (invalid_buffer) */
    VNET_DESC_E_CHAIN = 2,      /* a loop, or a chain longer than allowed (exceed_max_chain) */
    VNET_DESC_E_DESCRIPTOR = 3, /* a bad next index, flags or length (bad_desc_errors) */
    VNET_DESC_E_HEAD = 4,       /* an index outside the ring: the ring is broken */
    VNET_DESC_E_WRITABLE = 5,   /* buffers of the wrong direction for the queue */
};

typedef struct vnet_desc_error {
    uint64_t at_ms;  /* wall clock, ms since the epoch */
    uint16_t head;   /* the chain's head descriptor (split) or buffer id (packed) */
    uint8_t kind;    /* enum vnet_desc_error_kind */
    uint8_t reserved[5];
    char what[VNET_DESC_ERROR_TEXT];
} vnet_desc_error;

/* One queue's ring as the device and the driver see it. Split: indices are
 * the rings' 16-bit indices; packed: positions in the ring, with their wrap
 * counters. */
typedef struct vnet_queue_debug {
    uint32_t handle;
    uint16_t qid;
    uint16_t size;
    uint8_t packed;
    uint8_t enabled;
    uint8_t started;
    uint8_t broken;
    uint8_t driver_readable; /* the driver's side below was read from its memory */
    uint8_t event_idx;       /* VIRTIO_RING_F_EVENT_IDX negotiated */
    uint8_t dev_wrap;        /* packed: the wrap counter of dev_avail */
    uint8_t drv_wrap;        /* packed: the wrap counter the driver's next descriptor has */
    uint16_t dev_avail;      /* the next entry the device takes */
    uint16_t dev_used;       /* the next used entry the device writes */
    uint16_t drv_avail;      /* split: avail->idx; packed: the first position the device has not taken that the driver made available, else dev_avail */
    uint16_t drv_used;       /* split: used->idx as in memory; packed: dev_used */
    uint16_t drv_flags;      /* split: avail->flags; packed: the driver event suppression's flags */
    uint16_t drv_event;      /* split: used_event; packed: the driver event's off_wrap */
    uint16_t inflight;       /* descriptors taken and not given back */
    uint8_t dev_notify;      /* the device asks for kicks */
    uint8_t reserved;
    uint32_t nerrors;        /* valid entries in errors[], newest first */
    uint32_t reserved2;
    uint64_t errors_total;   /* descriptor errors since the queue started */
    vnet_desc_error errors[VNET_QUEUE_ERRORS];
} vnet_queue_debug;

/* A captured frame as vnet_capture_read returns it: this header, then
 * incl_len bytes of the frame (no virtio-net header), then padding to 8. */
typedef struct vnet_capture_rec {
    uint64_t at_ns;    /* wall clock, ns since the epoch */
    uint32_t orig_len; /* the frame's length */
    uint32_t incl_len; /* bytes that follow (at most the snap length) */
    uint16_t qid;
    uint8_t dir;       /* 0: from the driver (a TX queue), 1: to the driver (RX) */
    uint8_t reserved[5];
} vnet_capture_rec;

typedef struct vnet_capture_state {
    uint32_t captured; /* frames taken so far */
    uint32_t dropped;  /* frames seen with no room left in the capture's buffer */
    uint32_t remaining;
    uint8_t done;      /* the count was reached, or the function went away */
    uint8_t reserved[3];
} vnet_capture_state;

#endif
