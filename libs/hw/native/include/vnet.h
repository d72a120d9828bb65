/*
 * vnet.h - the emulated DPU: public C ABI of libvnet.
 *
 * libvnet emulates the device side of a virtio-net capable DPU: an emulated
 * PCIe switch with hot-plug ports, static physical functions, SR-IOV virtual
 * functions, and for every function a virtio-net device (config space,
 * device status, feature negotiation state, virtqueues and their counters).
 *
 * Conventions
 *  - One opaque context (vnet_dpu) holds all state; the library has no global
 *    state, so several emulated DPUs can live in one process.
 *  - Every call that can fail returns 0 on success or a negative vnet_err.
 *    vnet_dpu_last_error() then describes the failure in one line.
 *  - The library never prints. It never calls back into its caller.
 *  - All calls on one context are serialised by the context's lock and may be
 *    made from any thread.
 *
 * Lifecycle: vnet_dpu_create -> vnet_fn_create/modify/destroy ... ->
 *            vnet_dpu_destroy (destroys every remaining function).
 */
#ifndef VNET_H
#define VNET_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define VNET_API __attribute__((visibility("default")))
#else
#define VNET_API
#endif

#define VNET_ABI_VERSION 2

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
    VNET_E_SYSTEM = -20, /* a system call failed (socket, TAP, thread) */
    VNET_E_NOT_STARTED = -21,
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

/* Virtio device status bits (virtio 1.2, 2.1). */
#define VNET_STATUS_ACKNOWLEDGE 1u
#define VNET_STATUS_DRIVER 2u
#define VNET_STATUS_DRIVER_OK 4u
#define VNET_STATUS_FEATURES_OK 8u
#define VNET_STATUS_NEEDS_RESET 64u
#define VNET_STATUS_FAILED 128u

/* Feature bits the library must know about to validate a configuration. */
#define VNET_F_MTU (1ull << 3)
#define VNET_F_MAC (1ull << 5)
#define VNET_F_STATUS (1ull << 16)
#define VNET_F_CTRL_VQ (1ull << 17)
#define VNET_F_MQ (1ull << 22)
#define VNET_F_VERSION_1 (1ull << 32)
#define VNET_F_SPEED_DUPLEX (1ull << 63)

/* An RDMA/ib device of the DPU on which a function's SF is created. */
typedef struct vnet_ib_device {
    char name[VNET_NAME_LEN]; /* "mlx5_0", "mlx5_1", "mlx5_bond_0" */
    uint32_t port;            /* physical port the SF representor hangs off */
    uint32_t pf_num;          /* DPU-side PF number used in representor names */
} vnet_ib_device;

/* The firmware-style profile that sizes the emulated DPU (the mlxconfig
 * knobs of the real product). Fixed for the lifetime of a context. */
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
    /* the data path (after vnet_dpu_start) */
    char vhost_socket[VNET_PATH_LEN]; /* empty before vnet_dpu_start */
    char backend_note[VNET_NOTE_LEN]; /* why the backend is what it is */
    uint8_t backend;                  /* enum vnet_backend */
    uint8_t connected;                /* a vhost-user front-end is attached */
    uint16_t reserved2;
    int32_t rep_ifindex;              /* the TAP's ifindex, or -1 */
    uint64_t protocol_features;       /* vhost-user protocol features acked */
    uint64_t protocol_errors;         /* malformed messages refused */
} vnet_fn_info;

/* Per-queue counters, kept by the data path. Queue 2k is RX of pair k,
 * 2k+1 its TX, and with an odd queue count the last queue is control. */
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
    uint8_t started;         /* the front-end started the ring */
    uint8_t broken;          /* the driver broke the ring (NEEDS_RESET) */
    uint8_t reserved[6];
} vnet_queue_counters;

typedef struct vnet_dpu vnet_dpu;

VNET_API uint32_t vnet_abi_version(void);
/* sizeof of the ABI structs, so a binding can check its layout at load:
 * 0 profile, 1 fn_spec, 2 fn_mod, 3 fn_info, 4 queue_counters. */
VNET_API uint32_t vnet_abi_struct_size(uint32_t which);
VNET_API const char *vnet_strerror(int err);
VNET_API const char *vnet_err_name(int err);

/* Fills *profile with the embedded default (the profile of the README). */
VNET_API void vnet_profile_default(vnet_profile *profile);

VNET_API int vnet_dpu_create(const vnet_profile *profile, vnet_dpu **out);
VNET_API void vnet_dpu_destroy(vnet_dpu *dpu);
VNET_API const char *vnet_dpu_last_error(vnet_dpu *dpu);
VNET_API int vnet_dpu_profile(vnet_dpu *dpu, vnet_profile *out);

VNET_API int vnet_fn_create(vnet_dpu *dpu, const vnet_fn_spec *spec, vnet_fn_info *out);
VNET_API int vnet_fn_destroy(vnet_dpu *dpu, uint32_t handle);
VNET_API int vnet_fn_modify(vnet_dpu *dpu, uint32_t handle, const vnet_fn_mod *mod, vnet_fn_info *out);
VNET_API int vnet_fn_set_moderation(vnet_dpu *dpu, uint32_t handle, uint32_t mode,
                                    uint32_t period_us, uint32_t max_count);
VNET_API int vnet_fn_query(vnet_dpu *dpu, uint32_t handle, vnet_fn_info *out);
/* Writes up to `cap` functions in handle order; *count gets the total. */
VNET_API int vnet_fn_list(vnet_dpu *dpu, vnet_fn_info *out, uint32_t cap, uint32_t *count);

/* Flags of vnet_dpu_start. */
#define VNET_START_CLIENT 1u /* connect to the front-end's socket instead of listening */

/* Starts the data path: every function, existing and new, gets a vhost-user
 * back-end at <socket_dir>/<vuid>.sock, served by one control thread and
 * `workers` data-path threads (1 to 64, like the real controller's
 * eth_vq_workers). By default the device listens there (stale socket files
 * are replaced); with VNET_START_CLIENT it connects to a front-end listening
 * there (DPDK virtio-user server=1), retrying every second, which lets the
 * front-end outlive a restarted controller. Called once. */
VNET_API int vnet_dpu_start(vnet_dpu *dpu, const char *socket_dir, uint32_t workers,
                            uint32_t default_backend, uint32_t flags);
/* How long a worker keeps polling a ring that went empty before it asks
 * for kicks again and sleeps: short (the default, 20 us) is kick-driven and
 * costs no CPU when idle; long trades CPU for fewer kicks under load, as a
 * data-path accelerator that polls its queues does. 0 to 1000000 us; takes
 * effect at the next kick. */
#define VNET_IDLE_POLL_DEFAULT_US 20u
VNET_API int vnet_dpu_set_idle_poll(vnet_dpu *dpu, uint32_t idle_poll_us);

/* Changes what the device side does with a function's packets. */
VNET_API int vnet_fn_set_backend(vnet_dpu *dpu, uint32_t handle, uint32_t mode, uint32_t gen_size);

/* Removes TAP representors left by an earlier controller on this socket
 * directory (their alias names it) whose device no longer exists: an
 * unplug cut short by a crash. Representors of live devices stay.
 * *removed (may be NULL) gets how many were removed. */
VNET_API int vnet_dpu_sweep_representors(vnet_dpu *dpu, uint32_t *removed);

/* The driver side of the status register and feature negotiation, as a
 * host writes them through the transport (virtio 1.2, 3.1.1). */
VNET_API int vnet_fn_driver_write_status(vnet_dpu *dpu, uint32_t handle, uint8_t status);
VNET_API int vnet_fn_driver_write_features(vnet_dpu *dpu, uint32_t handle, uint64_t features);

/* Copies the counters of every queue of every function, in handle then
 * queue order, in one call; *count gets the total number of queues. */
VNET_API int vnet_counters_snapshot(vnet_dpu *dpu, vnet_queue_counters *out, uint32_t cap,
                                    uint32_t *count);

#ifdef __cplusplus
}
#endif
#endif
