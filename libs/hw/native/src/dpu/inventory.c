/*
 * inventory.c - the emulated DPU's functions: validation against the
 * profile, placement (hot-plug port, PF, VF, BDF, VUID, SF number), the
 * modify rules, and each function's device on the data path.
 */
#include "dpu.h"
#include "capture.h"
#include "counters.h"
#include "debug.h"
#include "device.h"
#include "engine.h"
#include "netdev.h"
#include "proto/abi.h"
#include "proto/shm.h"

#include <dirent.h>
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_HOTPLUG_PORTS 32u
#define MAX_STATIC_PFS 8u
#define MAX_VFS_PER_PF 255u
#define MIN_MTU 68u
#define VIRTIO_MAX_QUEUE_SIZE 32768u
#define REP_ALIAS "virtnet "

#define F_VERSION_1 VNET_BIT(VIRTIO_F_VERSION_1)
#define F_CTRL_VQ VNET_BIT(VIRTIO_NET_F_CTRL_VQ)
#define F_MQ VNET_BIT(VIRTIO_NET_F_MQ)
/* virtio 1.2, 5.1.3.1: features that need the control virtqueue. */
#define F_NEEDS_CTRL_VQ                                                                        \
    (VNET_BIT(VIRTIO_NET_F_CTRL_RX) | VNET_BIT(VIRTIO_NET_F_CTRL_VLAN) |                       \
     VNET_BIT(VIRTIO_NET_F_GUEST_ANNOUNCE) | F_MQ | VNET_BIT(VIRTIO_NET_F_CTRL_MAC_ADDR))

/* A capture and the function it watches (handle 0 once the function went). */
struct cap_slot {
    uint32_t id; /* 0: free */
    uint32_t handle;
    int owner;
    struct capture *c;
};

struct fn {
    vnet_fn_info info;
    uint32_t pos; /* position in the counters segment */
    struct dev *dev;
};

struct dpu {
    pthread_mutex_t lock;
    vnet_profile prof;
    char err[256];
    struct fn **slots; /* index = handle - 1; NULL once destroyed */
    uint32_t nslots;
    uint32_t capslots;
    uint32_t live;
    struct counters counters;
    /* the data path */
    bool started;
    vnet_start_params params;
    struct engine eng;
    struct dev_env env;
    int retry_fd; /* client mode: a 1 s timer on the control thread */
    int claim_fd; /* the representor bus this DPU holds (netdev.h), -1 without one */
    char claim_note[300]; /* why it holds none, or took one last held for another home */
    struct evsrc retry_src;
    /* frame captures (virtnet debug capture), owned by the client that started them */
    struct cap_slot caps[DPU_MAX_CAPTURES];
    uint32_t next_cap_id;
};

/* Records the message of a failure and returns its code, so that every
 * failure path reads `return fail(dpu, CODE, "...", ...)`. Caller holds the lock. */
__attribute__((format(printf, 3, 4))) static int fail(struct dpu *dpu, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dpu->err, sizeof dpu->err, fmt, ap);
    va_end(ap);
    return code;
}

__attribute__((format(printf, 3, 4))) static int refuse_profile(char *why, size_t n, const char *fmt, ...)
{
    if (why && n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, n, fmt, ap);
        va_end(ap);
    }
    return VNET_E_PROFILE_INVALID;
}

static bool str_terminated(const char *s, size_t n) { return memchr(s, '\0', n) != NULL; }

static bool is_pow2(uint32_t v) { return v && !(v & (v - 1)); }

int dpu_check_profile(const vnet_profile *p, char *why, size_t n)
{
    if (!str_terminated(p->board_serial, sizeof p->board_serial) || !p->board_serial[0])
        return refuse_profile(why, n, "board_serial must be a non-empty string");
    if (p->hotplug_ports > MAX_HOTPLUG_PORTS)
        return refuse_profile(why, n, "hotplug_ports %u exceeds %u", p->hotplug_ports,
                    MAX_HOTPLUG_PORTS);
    if (p->static_pfs > MAX_STATIC_PFS)
        return refuse_profile(why, n, "static_pfs %u exceeds %u", p->static_pfs,
                    MAX_STATIC_PFS);
    if (p->vfs_per_pf > MAX_VFS_PER_PF)
        return refuse_profile(why, n, "vfs_per_pf %u exceeds %u", p->vfs_per_pf,
                    MAX_VFS_PER_PF);
    if (p->vfs_per_pf && !p->static_pfs)
        return refuse_profile(why, n, "VFs need at least one static PF");
    if ((uint32_t)p->hotplug_bus_base + p->hotplug_ports > 256u ||
        (uint32_t)p->vf_bus_base + p->static_pfs > 256u)
        return refuse_profile(why, n, "PCI bus numbers exceed 255");
    if (p->max_virtqueues < 2 || p->pf_msix < 2 || (p->vfs_per_pf && p->vf_msix < 2))
        return refuse_profile(why, n, "max_virtqueues and MSI-X counts must be >= 2");
    if (!is_pow2(p->max_queue_size) || p->max_queue_size > VIRTIO_MAX_QUEUE_SIZE)
        return refuse_profile(why, n, "max_queue_size must be a power of two <= %u",
                    VIRTIO_MAX_QUEUE_SIZE);
    if (p->max_mtu < MIN_MTU || p->max_mtu > 65535)
        return refuse_profile(why, n, "max_mtu must be in [%u, 65535]", MIN_MTU);
    if (!(p->supported_features & F_VERSION_1))
        return refuse_profile(why, n, "supported_features must include VERSION_1");
    if (p->ib_device_count == 0 || p->ib_device_count > VNET_MAX_IB_DEVICES)
        return refuse_profile(why, n, "ib_device_count must be in [1, %d]",
                    VNET_MAX_IB_DEVICES);
    for (uint32_t i = 0; i < p->ib_device_count; i++) {
        if (!str_terminated(p->ib_devices[i].name, VNET_NAME_LEN) || !p->ib_devices[i].name[0])
            return refuse_profile(why, n, "ib device %u has no name", i);
        if (p->ib_devices[i].port > 9 || p->ib_devices[i].pf_num > 9)
            return refuse_profile(why, n, "ib device %s: port and pf_num must be < 10",
                        p->ib_devices[i].name);
    }
    return VNET_OK;
}

/* Positions in the counters segment: hot-plug ports, static PFs, VFs. */
static uint32_t positions(const vnet_profile *p)
{
    return p->hotplug_ports + p->static_pfs + p->static_pfs * p->vfs_per_pf;
}

static uint32_t position_of(const vnet_profile *p, const vnet_fn_info *i)
{
    switch (i->type) {
    case VNET_FN_HOTPLUG_PF:
        return (uint32_t)i->port;
    case VNET_FN_STATIC_PF:
        return p->hotplug_ports + (uint32_t)i->pf_id;
    default:
        return p->hotplug_ports + p->static_pfs + (uint32_t)i->pf_id * p->vfs_per_pf + (uint32_t)i->vf_id;
    }
}

int dpu_create(const vnet_profile *profile, struct dpu **out)
{
    if (!out)
        return VNET_E_INVALID_ARGUMENT;
    *out = NULL;
    vnet_profile p;
    if (profile)
        p = *profile;
    else
        abi_profile_default(&p);
    int rc = dpu_check_profile(&p, NULL, 0);
    if (rc)
        return rc;
    struct dpu *dpu = calloc(1, sizeof *dpu);
    if (!dpu)
        return VNET_E_NO_MEMORY;
    dpu->prof = p;
    dpu->retry_fd = -1;
    dpu->claim_fd = -1;
    dpu->env.eng = &dpu->eng;
    dpu->env.netns_fd = -1;
    dpu->env.rep_bus = REP_BUS_FIRST;
    atomic_store(&dpu->env.idle_poll_ns, (uint64_t)VNET_IDLE_POLL_DEFAULT_US * 1000u);
    if (counters_create(&dpu->counters, positions(&p), p.max_virtqueues)) {
        free(dpu);
        return VNET_E_NO_MEMORY;
    }
    if (pthread_mutex_init(&dpu->lock, NULL)) {
        counters_destroy(&dpu->counters);
        free(dpu);
        return VNET_E_NO_MEMORY;
    }
    *out = dpu;
    return VNET_OK;
}

static void fn_free(struct dpu *dpu, struct fn *fn, bool keep)
{
    if (!fn)
        return;
    counters_release(&dpu->counters, fn->pos);
    device_destroy(fn->dev, keep);
    free(fn);
}

static void cap_close(struct dpu *dpu, struct cap_slot *slot);

void dpu_destroy(struct dpu *dpu, bool power_off)
{
    if (!dpu)
        return;
    for (int i = 0; i < DPU_MAX_CAPTURES; i++)
        if (dpu->caps[i].id)
            cap_close(dpu, &dpu->caps[i]);
    if (dpu->retry_fd >= 0) {
        /* The retry tick walks the slots: no tick may run while they go. */
        engine_unwatch(&dpu->eng.ctl, dpu->retry_fd);
        engine_quiesce(&dpu->eng);
    }
    for (uint32_t i = 0; i < dpu->nslots; i++)
        fn_free(dpu, dpu->slots[i], !power_off);
    engine_stop(&dpu->eng);
    if (dpu->retry_fd >= 0)
        close(dpu->retry_fd);
    counters_destroy(&dpu->counters);
    if (dpu->env.netns_fd >= 0)
        close(dpu->env.netns_fd);
    if (dpu->claim_fd >= 0)
        close(dpu->claim_fd); /* the bus is free for another DPU; the file still names this one's home */
    free(dpu->slots);
    pthread_mutex_destroy(&dpu->lock);
    free(dpu);
}

const char *dpu_last_error(struct dpu *dpu) { return dpu ? dpu->err : "no DPU"; }

void dpu_profile(struct dpu *dpu, vnet_profile *out)
{
    pthread_mutex_lock(&dpu->lock);
    *out = dpu->prof;
    pthread_mutex_unlock(&dpu->lock);
}

bool dpu_started(struct dpu *dpu)
{
    pthread_mutex_lock(&dpu->lock);
    bool s = dpu->started;
    pthread_mutex_unlock(&dpu->lock);
    return s;
}

unsigned dpu_rep_bus(struct dpu *dpu, const char **note)
{
    if (note)
        *note = dpu->claim_note;
    return dpu->env.rep_bus;
}

void dpu_params(struct dpu *dpu, vnet_start_params *out)
{
    pthread_mutex_lock(&dpu->lock);
    *out = dpu->params;
    out->idle_poll_us = (uint32_t)(atomic_load(&dpu->env.idle_poll_ns) / 1000u);
    pthread_mutex_unlock(&dpu->lock);
}

uint32_t dpu_function_count(struct dpu *dpu)
{
    pthread_mutex_lock(&dpu->lock);
    uint32_t n = dpu->live;
    pthread_mutex_unlock(&dpu->lock);
    return n;
}

int dpu_counters_fd(struct dpu *dpu) { return dpu->counters.fd; }

void dpu_heartbeat(struct dpu *dpu) { counters_heartbeat(&dpu->counters); }

static struct fn *lookup(struct dpu *dpu, uint32_t handle)
{
    if (handle == 0 || handle > dpu->nslots)
        return NULL;
    return dpu->slots[handle - 1];
}

/* Locks the DPU and finds a function. On success the caller holds the
 * lock and must release it; on failure the lock is already released. */
static int acquire(struct dpu *dpu, uint32_t handle, struct fn **fn)
{
    if (!dpu)
        return VNET_E_INVALID_ARGUMENT;
    pthread_mutex_lock(&dpu->lock);
    *fn = lookup(dpu, handle);
    if (*fn)
        return VNET_OK;
    int rc = fail(dpu, VNET_E_NOT_FOUND, "no function with handle %u", handle);
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}

static const vnet_ib_device *find_ib(const vnet_profile *p, const char *name)
{
    for (uint32_t i = 0; i < p->ib_device_count; i++)
        if (strcmp(p->ib_devices[i].name, name) == 0)
            return &p->ib_devices[i];
    return NULL;
}

static bool mac_valid(const uint8_t mac[6])
{
    static const uint8_t zero[6];
    /* A device address must be unicast (I/G bit clear) and not all zeros. */
    return !(mac[0] & 1u) && memcmp(mac, zero, 6) != 0;
}

static int check_mac(struct dpu *dpu, const uint8_t mac[6])
{
    if (!mac_valid(mac))
        return fail(dpu, VNET_E_MAC_INVALID,
                    "MAC %02X:%02X:%02X:%02X:%02X:%02X is %s; a device needs a unicast address",
                    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
                    (mac[0] & 1u) ? "multicast" : "all zeros");
    return VNET_OK;
}

static int check_mtu(struct dpu *dpu, uint32_t mtu)
{
    if (mtu < MIN_MTU || mtu > dpu->prof.max_mtu)
        return fail(dpu, VNET_E_MTU_INVALID, "MTU %u is outside [%u, %u]", mtu, MIN_MTU,
                    dpu->prof.max_mtu);
    return VNET_OK;
}

static int check_queue_size(struct dpu *dpu, uint32_t size)
{
    if (size < 2 || !is_pow2(size) || size > dpu->prof.max_queue_size)
        return fail(dpu, VNET_E_QUEUE_SIZE_INVALID,
                    "queue size %u must be a power of two in [2, %u]", size,
                    dpu->prof.max_queue_size);
    return VNET_OK;
}

static uint32_t type_msix_max(const vnet_profile *p, uint32_t type)
{
    return type == VNET_FN_VF ? p->vf_msix : p->pf_msix;
}

static int check_queues(struct dpu *dpu, uint32_t num_queues, uint32_t num_msix)
{
    uint32_t limit = dpu->prof.max_virtqueues < num_msix ? dpu->prof.max_virtqueues : num_msix;
    if (num_queues < 2)
        return fail(dpu, VNET_E_QUEUES_EXCEED_LIMIT,
                    "%u queues: a virtio-net device needs at least one RX and one TX queue",
                    num_queues);
    if (num_queues > limit)
        return fail(dpu, VNET_E_QUEUES_EXCEED_LIMIT,
                    "%u queues exceed the limit of %u (min of max_virt_queues %u and MSI-X %u)",
                    num_queues, limit, dpu->prof.max_virtqueues, num_msix);
    return VNET_OK;
}

static int check_features(struct dpu *dpu, uint64_t features, uint32_t num_queues,
                          bool transitional)
{
    uint64_t extra = features & ~dpu->prof.supported_features;
    if (extra)
        return fail(dpu, VNET_E_FEATURES_UNSUPPORTED,
                    "features 0x%llx are not supported (supported: 0x%llx)",
                    (unsigned long long)extra, (unsigned long long)dpu->prof.supported_features);
    if (!transitional && !(features & F_VERSION_1))
        return fail(dpu, VNET_E_FEATURES_CONFLICT,
                    "a non-transitional device must offer VIRTIO_F_VERSION_1 (bit 32)");
    bool has_ctrl = (num_queues & 1u) != 0;
    if ((features & F_CTRL_VQ) && !has_ctrl)
        return fail(dpu, VNET_E_FEATURES_CONFLICT,
                    "CTRL_VQ offered but %u queues leave no control queue (use an odd count)",
                    num_queues);
    if ((features & F_NEEDS_CTRL_VQ) && !(features & F_CTRL_VQ))
        return fail(dpu, VNET_E_FEATURES_CONFLICT,
                    "features 0x%llx need VIRTIO_NET_F_CTRL_VQ (bit 17)",
                    (unsigned long long)(features & F_NEEDS_CTRL_VQ));
    if (num_queues / 2 > 1 && !(features & F_MQ))
        return fail(dpu, VNET_E_FEATURES_CONFLICT,
                    "%u queue pairs need VIRTIO_NET_F_MQ (bit 22)", num_queues / 2);
    return VNET_OK;
}

static bool sf_in_use(struct dpu *dpu, const char *ib, uint32_t sf_num)
{
    for (uint32_t i = 0; i < dpu->nslots; i++) {
        struct fn *f = dpu->slots[i];
        if (f && f->info.sf_num == sf_num && strcmp(f->info.ib_device, ib) == 0)
            return true;
    }
    return false;
}

static struct fn *find_by_position(struct dpu *dpu, uint32_t type, int32_t pf, int32_t vf,
                                        int32_t port)
{
    for (uint32_t i = 0; i < dpu->nslots; i++) {
        struct fn *f = dpu->slots[i];
        if (!f || f->info.type != type)
            continue;
        if (type == VNET_FN_HOTPLUG_PF && f->info.port == port)
            return f;
        if (type == VNET_FN_STATIC_PF && f->info.pf_id == pf)
            return f;
        if (type == VNET_FN_VF && f->info.pf_id == pf && f->info.vf_id == vf)
            return f;
    }
    return NULL;
}

static int grow_slots(struct dpu *dpu)
{
    if (dpu->nslots < dpu->capslots)
        return VNET_OK;
    if (dpu->capslots >= UINT32_MAX / 2)
        return fail(dpu, VNET_E_NO_MEMORY, "function handles exhausted");
    uint32_t cap = dpu->capslots ? dpu->capslots * 2 : 64;
    struct fn **s = realloc(dpu->slots, (size_t)cap * sizeof *s);
    if (!s)
        return fail(dpu, VNET_E_NO_MEMORY, "out of memory");
    dpu->slots = s;
    dpu->capslots = cap;
    return VNET_OK;
}

/* Places a new function: position, BDF, ids. Caller holds the lock. */
static int place(struct dpu *dpu, const vnet_fn_spec *s, vnet_fn_info *i)
{
    const vnet_profile *p = &dpu->prof;
    uint32_t bus, dev = 0, fn = 0;
    switch (s->type) {
    case VNET_FN_HOTPLUG_PF: {
        int32_t port = s->port;
        if (p->hotplug_ports == 0)
            return fail(dpu, VNET_E_NOT_SUPPORTED, "this DPU has no hot-plug ports");
        if (port >= 0) {
            if ((uint32_t)port >= p->hotplug_ports)
                return fail(dpu, VNET_E_INVALID_ARGUMENT, "hot-plug port %d is outside [0, %u)",
                            port, p->hotplug_ports);
            if (find_by_position(dpu, VNET_FN_HOTPLUG_PF, -1, -1, port))
                return fail(dpu, VNET_E_PORT_IN_USE, "hot-plug port %d is in use", port);
        } else {
            for (port = 0; (uint32_t)port < p->hotplug_ports; port++)
                if (!find_by_position(dpu, VNET_FN_HOTPLUG_PF, -1, -1, port))
                    break;
            if ((uint32_t)port == p->hotplug_ports)
                return fail(dpu, VNET_E_NO_FREE_HOTPLUG_PORT,
                            "all %u hot-plug ports are in use; unplug a device first",
                            p->hotplug_ports);
        }
        i->port = port;
        i->pf_id = (int32_t)(p->static_pfs + (uint32_t)port);
        i->vf_id = -1;
        bus = p->hotplug_bus_base + (uint32_t)port;
        break;
    }
    case VNET_FN_STATIC_PF:
        if (s->pf_index < 0 || (uint32_t)s->pf_index >= p->static_pfs)
            return fail(dpu, VNET_E_INVALID_ARGUMENT, "static PF %d is outside [0, %u)",
                        s->pf_index, p->static_pfs);
        if (find_by_position(dpu, VNET_FN_STATIC_PF, s->pf_index, -1, -1))
            return fail(dpu, VNET_E_FUNCTION_EXISTS, "static PF %d exists", s->pf_index);
        i->port = -1;
        i->pf_id = s->pf_index;
        i->vf_id = -1;
        bus = p->static_bus;
        fn = (uint32_t)s->pf_index;
        break;
    case VNET_FN_VF:
        if (s->pf_index < 0 || (uint32_t)s->pf_index >= p->static_pfs)
            return fail(dpu, VNET_E_INVALID_ARGUMENT, "parent PF %d is outside [0, %u)",
                        s->pf_index, p->static_pfs);
        if (s->vf_index < 0 || (uint32_t)s->vf_index >= p->vfs_per_pf)
            return fail(dpu, VNET_E_INVALID_ARGUMENT, "VF %d is outside [0, %u)", s->vf_index,
                        p->vfs_per_pf);
        if (find_by_position(dpu, VNET_FN_VF, s->pf_index, s->vf_index, -1))
            return fail(dpu, VNET_E_FUNCTION_EXISTS, "VF %d of PF %d exists", s->vf_index,
                        s->pf_index);
        i->port = -1;
        i->pf_id = s->pf_index;
        i->vf_id = s->vf_index;
        /* ARI: the 8-bit function number spans device and function. */
        bus = p->vf_bus_base + (uint32_t)s->pf_index;
        dev = ((uint32_t)s->vf_index + 1u) >> 3;
        fn = ((uint32_t)s->vf_index + 1u) & 7u;
        break;
    default:
        return fail(dpu, VNET_E_INVALID_ARGUMENT, "unknown function type %u", s->type);
    }
    bus &= 0xffu;
    dev &= 0x1fu;
    fn &= 0x7u;
    i->type = s->type;
    i->bdf_raw = (uint16_t)((bus << 8) | (dev << 3) | fn);
    snprintf(i->bdf, sizeof i->bdf, "%02x:%x.%x", bus, dev, fn);
    snprintf(i->vuid, sizeof i->vuid, "%sVNETS%uD%uF%u", p->board_serial, bus, dev, fn);
    return VNET_OK;
}

static int assign_sf(struct dpu *dpu, const vnet_fn_spec *s, vnet_fn_info *i,
                     const vnet_ib_device *ib)
{
    const vnet_profile *p = &dpu->prof;
    uint32_t sf;
    if (s->sf_num >= 0) {
        sf = (uint32_t)s->sf_num;
        if (sf > 99999)
            return fail(dpu, VNET_E_INVALID_ARGUMENT, "SF number %u exceeds 99999", sf);
        if (sf_in_use(dpu, ib->name, sf))
            return fail(dpu, VNET_E_SF_NUM_IN_USE, "SF number %u is in use on %s", sf, ib->name);
    } else {
        uint32_t base = s->type == VNET_FN_STATIC_PF    ? p->sf_base_static
                        : s->type == VNET_FN_HOTPLUG_PF ? p->sf_base_hotplug
                                                        : p->sf_base_vf;
        for (sf = base; sf <= 99999 && sf_in_use(dpu, ib->name, sf); sf++)
            ;
        if (sf > 99999)
            return fail(dpu, VNET_E_SF_NUM_IN_USE, "no free SF number on %s", ib->name);
    }
    i->sf_num = sf;
    i->ib_port = ib->port;
    snprintf(i->ib_device, sizeof i->ib_device, "%s", ib->name);
    snprintf(i->sf_rep, sizeof i->sf_rep, "en%uf%upf%usf%u", dpu->env.rep_bus, ib->port, ib->pf_num, sf);
    return VNET_OK;
}

static void fill(struct fn *fn, vnet_fn_info *out)
{
    *out = fn->info;
    device_fill_info(fn->dev, out);
}

int dpu_fn_create(struct dpu *dpu, const vnet_fn_spec *s, vnet_fn_info *out)
{
    if (!dpu || !s)
        return VNET_E_INVALID_ARGUMENT;
    pthread_mutex_lock(&dpu->lock);
    const vnet_profile *p = &dpu->prof;
    vnet_fn_info i;
    memset(&i, 0, sizeof i);
    int rc;
    const vnet_ib_device *ib = NULL;
    uint32_t msix = s->num_msix ? s->num_msix : type_msix_max(p, s->type);

    if (!str_terminated(s->ib_device, sizeof s->ib_device)) {
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "ib_device is not a terminated string");
        goto out;
    }
    ib = find_ib(p, s->ib_device);
    if (!ib) {
        char known[VNET_MAX_IB_DEVICES * (VNET_NAME_LEN + 2)] = "";
        for (uint32_t k = 0; k < p->ib_device_count; k++) {
            strcat(known, k ? ", " : "");
            strcat(known, p->ib_devices[k].name);
        }
        rc = fail(dpu, VNET_E_IB_DEVICE_UNKNOWN, "ib device '%s' is unknown (known: %s)", s->ib_device, known);
        goto out;
    }
    if (s->type > VNET_FN_VF) {
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "unknown function type %u", s->type);
        goto out;
    }
    if (s->num_msix && (s->num_msix < 2 || s->num_msix > type_msix_max(p, s->type))) {
        rc = fail(dpu, VNET_E_MSIX_INVALID, "MSI-X count %u is outside [2, %u]", s->num_msix, type_msix_max(p, s->type));
        goto out;
    }
    if ((rc = check_mac(dpu, s->mac)) || (rc = check_mtu(dpu, s->mtu)) ||
        (rc = check_queues(dpu, s->num_queues, msix)) || (rc = check_queue_size(dpu, s->max_queue_size)) ||
        (rc = check_features(dpu, s->features, s->num_queues, s->transitional != 0)) ||
        (rc = place(dpu, s, &i)) || (rc = assign_sf(dpu, s, &i, ib)) || (rc = grow_slots(dpu)))
        goto out;

    struct fn *fn = calloc(1, sizeof *fn);
    if (!fn) {
        rc = fail(dpu, VNET_E_NO_MEMORY, "out of memory");
        goto out;
    }
    i.handle = dpu->nslots + 1;
    memcpy(i.mac, s->mac, 6);
    i.mtu = s->mtu;
    i.num_queues = s->num_queues;
    i.max_queue_pairs = (uint16_t)(s->num_queues / 2);
    i.max_queue_size = s->max_queue_size;
    i.num_msix = (uint16_t)msix;
    i.transitional = s->transitional ? 1 : 0;
    i.device_features = s->features;
    i.net_status = VIRTIO_NET_S_LINK_UP; /* the SF side is up from creation */
    i.speed_mbps = p->link_speed_mbps;
    i.duplex = 1;
    i.event_mode = VNET_EVENT_MODE_EVENT;
    fn->info = i;
    fn->pos = position_of(p, &i);
    fn->dev = device_new(&dpu->env, &fn->info, counters_claim(&dpu->counters, fn->pos));
    if (!fn->dev) {
        free(fn);
        rc = fail(dpu, VNET_E_NO_MEMORY, "out of memory");
        goto out;
    }
    if (dpu->started) {
        char why[160];
        if (device_open(fn->dev, i.vuid, i.sf_rep, why, sizeof why)) {
            rc = fail(dpu, VNET_E_SYSTEM, "%s: data path: %s", i.vuid, why);
            pthread_mutex_unlock(&dpu->lock);
            fn_free(dpu, fn, false);
            return rc;
        }
    }
    counters_publish(&dpu->counters, fn->pos, i.handle, i.num_queues);
    dpu->slots[dpu->nslots++] = fn;
    dpu->live++;
    if (out)
        fill(fn, out);
    rc = VNET_OK;
out:
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}

int dpu_fn_destroy(struct dpu *dpu, uint32_t handle)
{
    struct fn *fn;
    int rc = acquire(dpu, handle, &fn);
    if (rc)
        return rc;
    dpu->slots[handle - 1] = NULL;
    dpu->live--;
    bool captured = false;
    for (int i = 0; i < DPU_MAX_CAPTURES; i++)
        if (dpu->caps[i].id && dpu->caps[i].handle == handle) {
            dpu->caps[i].handle = 0; /* readable until stopped, with no more frames */
            capture_end(dpu->caps[i].c);
            captured = true;
        }
    pthread_mutex_unlock(&dpu->lock);
    if (captured) {
        pthread_rwlock_wrlock(&fn->dev->rw);
        capture_detach(fn->dev);
        pthread_rwlock_unlock(&fn->dev->rw);
    }
    fn_free(dpu, fn, false); /* without the lock: the data path may need it to finish */
    return VNET_OK;
}

/* Whether the host's driver holds the device: DRIVER or DRIVER_OK written
 * and not reset. Its config may not change under it. */
static bool driver_bound(const struct fn *fn)
{
    return (dev_status(fn->dev) & (VNET_STATUS_DRIVER | VNET_STATUS_DRIVER_OK)) != 0;
}

int dpu_fn_modify(struct dpu *dpu, uint32_t handle, const vnet_fn_mod *m, vnet_fn_info *out)
{
    if (!m)
        return VNET_E_INVALID_ARGUMENT;
    struct fn *fn;
    int rc = acquire(dpu, handle, &fn);
    if (rc)
        return rc;
    const uint32_t needs_unbound = VNET_MOD_MAC | VNET_MOD_MTU | VNET_MOD_FEATURES | VNET_MOD_MAX_QUEUE_SIZE | VNET_MOD_NUM_MSIX;
    vnet_fn_info n = fn->info;
    if (m->mask & ~(needs_unbound | VNET_MOD_LINK)) {
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "unknown modify mask bits 0x%x", m->mask);
        goto out;
    }
    if ((m->mask & VNET_MOD_NUM_MSIX) && n.type != VNET_FN_VF) {
        /* Checked before the driver: on a PF the answer does not depend on it. */
        rc = fail(dpu, VNET_E_NOT_SUPPORTED, "%s is a %s: the MSI-X count is set per VF only", n.vuid,
                  n.type == VNET_FN_STATIC_PF ? "static PF" : "hot-plugged PF");
        goto out;
    }
    if ((m->mask & needs_unbound) && driver_bound(fn)) {
        rc = fail(dpu, VNET_E_DRIVER_BOUND, "%s: the host driver is bound (status 0x%x); unbind it, modify, then bind",
                  n.vuid, dev_status(fn->dev));
        goto out;
    }
    if (m->mask & VNET_MOD_NUM_MSIX) {
        if (m->num_msix < 2 || m->num_msix > dpu->prof.vf_msix) {
            rc = fail(dpu, VNET_E_MSIX_INVALID, "MSI-X count %u is outside [2, %u]", m->num_msix, dpu->prof.vf_msix);
            goto out;
        }
        if (n.num_queues > m->num_msix) {
            rc = fail(dpu, VNET_E_MSIX_INVALID, "MSI-X count %u is below the %u queues", m->num_msix, n.num_queues);
            goto out;
        }
        n.num_msix = m->num_msix;
    }
    if (m->mask & VNET_MOD_MAC) {
        if ((rc = check_mac(dpu, m->mac)))
            goto out;
        memcpy(n.mac, m->mac, 6);
    }
    if (m->mask & VNET_MOD_MTU) {
        if ((rc = check_mtu(dpu, m->mtu)))
            goto out;
        n.mtu = m->mtu;
    }
    if (m->mask & VNET_MOD_FEATURES) {
        if ((rc = check_features(dpu, m->features, n.num_queues, n.transitional != 0)))
            goto out;
        n.device_features = m->features;
    }
    if (m->mask & VNET_MOD_MAX_QUEUE_SIZE) {
        if ((rc = check_queue_size(dpu, m->max_queue_size)))
            goto out;
        n.max_queue_size = m->max_queue_size;
    }
    if (m->mask & VNET_MOD_LINK)
        n.net_status = (uint16_t)((n.net_status & ~VIRTIO_NET_S_LINK_UP) | (m->link_up ? VIRTIO_NET_S_LINK_UP : 0u));
    fn->info = n;
    device_set_config(fn->dev, &fn->info);
    if (out)
        fill(fn, out);
out:
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}

int dpu_fn_set_moderation(struct dpu *dpu, uint32_t handle, uint32_t mode, uint32_t period_us, uint32_t max_count)
{
    struct fn *fn;
    int rc = acquire(dpu, handle, &fn);
    if (rc)
        return rc;
    if (mode > VNET_EVENT_MODE_CQE)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "event mode %u is neither event (0) nor cqe (1)", mode);
    else if (period_us > 0xfff || max_count > 0xffff)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "period %u us must be <= 4095 and max count %u <= 65535", period_us, max_count);
    else {
        fn->info.event_mode = (uint8_t)mode;
        fn->info.moderation_period_us = period_us;
        fn->info.moderation_max_count = max_count;
        device_set_config(fn->dev, &fn->info);
    }
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}

int dpu_fn_query(struct dpu *dpu, uint32_t handle, vnet_fn_info *out)
{
    if (!out)
        return VNET_E_INVALID_ARGUMENT;
    struct fn *fn;
    int rc = acquire(dpu, handle, &fn);
    if (rc)
        return rc;
    fill(fn, out);
    pthread_mutex_unlock(&dpu->lock);
    return VNET_OK;
}

int dpu_queue_debug(struct dpu *dpu, uint32_t handle, vnet_queue_debug *out, uint32_t cap, uint32_t *count)
{
    if (!count || (cap && !out))
        return VNET_E_INVALID_ARGUMENT;
    struct fn *fn;
    int rc = acquire(dpu, handle, &fn);
    if (rc)
        return rc;
    *count = fn->dev->nq;
    if (cap >= fn->dev->nq)
        device_queue_debug(fn->dev, out);
    pthread_mutex_unlock(&dpu->lock);
    return VNET_OK;
}

static struct cap_slot *cap_find(struct dpu *dpu, uint32_t id)
{
    for (int i = 0; i < DPU_MAX_CAPTURES; i++)
        if (id && dpu->caps[i].id == id)
            return &dpu->caps[i];
    return NULL;
}

int dpu_capture_start(struct dpu *dpu, uint32_t handle, int32_t qid, uint32_t count, uint32_t snaplen, int owner, uint32_t *id)
{
    struct fn *fn;
    int rc = acquire(dpu, handle, &fn);
    if (rc)
        return rc;
    struct cap_slot *slot = NULL;
    for (int i = 0; i < DPU_MAX_CAPTURES && !slot; i++)
        if (!dpu->caps[i].id)
            slot = &dpu->caps[i];
    if (qid < -1 || qid >= (int32_t)fn->dev->nq)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "queue %d does not exist: the function has %u queues", qid, fn->dev->nq);
    else if (!count)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "a capture needs a count of at least 1");
    else if (snaplen < 64 || snaplen > 65535)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "snap length %u is outside [64, 65535]", snaplen);
    else if (!slot)
        rc = fail(dpu, VNET_E_NO_MEMORY, "%d captures run already", DPU_MAX_CAPTURES);
    if (rc) {
        pthread_mutex_unlock(&dpu->lock);
        return rc;
    }
    uint32_t cid = ++dpu->next_cap_id ? dpu->next_cap_id : ++dpu->next_cap_id;
    pthread_rwlock_wrlock(&fn->dev->rw);
    int e = capture_attach(fn->dev, cid, qid, count, snaplen);
    pthread_rwlock_unlock(&fn->dev->rw);
    if (e == -EBUSY)
        rc = fail(dpu, VNET_E_PORT_IN_USE, "a capture of this function runs already");
    else if (e)
        rc = fail(dpu, VNET_E_NO_MEMORY, "no memory for the capture");
    else {
        *slot = (struct cap_slot){cid, handle, owner, dev_capture(fn->dev)};
        *id = cid;
    }
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}

int dpu_capture_read(struct dpu *dpu, uint32_t id, void *out, size_t cap, size_t *len, vnet_capture_state *st)
{
    pthread_mutex_lock(&dpu->lock);
    struct cap_slot *slot = cap_find(dpu, id);
    int rc = VNET_OK;
    if (!slot)
        rc = fail(dpu, VNET_E_NOT_FOUND, "no capture with id %u", id);
    else
        *len = capture_drain(slot->c, out, cap, st);
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}

/* Ends a capture and frees it. Caller holds dpu->lock. */
static void cap_close(struct dpu *dpu, struct cap_slot *slot)
{
    if (slot->handle) {
        struct fn *fn = lookup(dpu, slot->handle);
        if (fn) {
            pthread_rwlock_wrlock(&fn->dev->rw);
            capture_detach(fn->dev);
            pthread_rwlock_unlock(&fn->dev->rw);
        }
    }
    capture_free(slot->c);
    memset(slot, 0, sizeof *slot);
}

int dpu_capture_stop(struct dpu *dpu, uint32_t id)
{
    pthread_mutex_lock(&dpu->lock);
    struct cap_slot *slot = cap_find(dpu, id);
    int rc = VNET_OK;
    if (!slot)
        rc = fail(dpu, VNET_E_NOT_FOUND, "no capture with id %u", id);
    else
        cap_close(dpu, slot);
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}

void dpu_capture_drop_owner(struct dpu *dpu, int owner)
{
    pthread_mutex_lock(&dpu->lock);
    for (int i = 0; i < DPU_MAX_CAPTURES; i++)
        if (dpu->caps[i].id && dpu->caps[i].owner == owner)
            cap_close(dpu, &dpu->caps[i]);
    pthread_mutex_unlock(&dpu->lock);
}

int dpu_fn_list(struct dpu *dpu, vnet_fn_info *out, uint32_t cap, uint32_t *count)
{
    if (!dpu || !count || (cap && !out))
        return VNET_E_INVALID_ARGUMENT;
    pthread_mutex_lock(&dpu->lock);
    uint32_t n = 0;
    for (uint32_t i = 0; i < dpu->nslots; i++) {
        if (!dpu->slots[i])
            continue;
        if (n < cap)
            fill(dpu->slots[i], &out[n]);
        n++;
    }
    *count = n;
    pthread_mutex_unlock(&dpu->lock);
    return VNET_OK;
}

/*
 * A driver writing the status register and the feature bits without a
 * transport: the path for a host that is simulated in-process (and for
 * tests). While a vhost-user front-end is attached, it owns these.
 */
int dpu_fn_driver_write_status(struct dpu *dpu, uint32_t handle, uint8_t status)
{
    struct fn *fn;
    int rc = acquire(dpu, handle, &fn);
    if (rc)
        return rc;
    struct dev *d = fn->dev;
    if (atomic_load(&d->connected)) {
        rc = fail(dpu, VNET_E_NOT_SUPPORTED, "%s: a vhost-user front-end drives this device", fn->info.vuid);
    } else if (status == 0) {
        /* virtio 1.2, 2.1.2: writing 0 resets the device. */
        dev_set_status(d, 0);
        atomic_store_explicit(&d->features, 0, memory_order_relaxed);
    } else {
        /* 3.1.1: the device refuses FEATURES_OK when the driver accepted a
         * feature it did not offer; the bit then reads back clear. */
        if ((status & VNET_STATUS_FEATURES_OK) && (dev_features(d) & ~fn->info.device_features))
            status &= (uint8_t)~VNET_STATUS_FEATURES_OK;
        dev_set_status(d, status);
    }
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}

int dpu_fn_driver_write_features(struct dpu *dpu, uint32_t handle, uint64_t features)
{
    struct fn *fn;
    int rc = acquire(dpu, handle, &fn);
    if (rc)
        return rc;
    struct dev *d = fn->dev;
    if (atomic_load(&d->connected))
        rc = fail(dpu, VNET_E_NOT_SUPPORTED, "%s: a vhost-user front-end drives this device", fn->info.vuid);
    else if (dev_status(d) & VNET_STATUS_FEATURES_OK)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "features are fixed once FEATURES_OK is set");
    else
        atomic_store_explicit(&d->features, features, memory_order_relaxed);
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}

int dpu_counters_snapshot(struct dpu *dpu, vnet_queue_counters *out, uint32_t cap, uint32_t *count)
{
    if (!dpu || !count || (cap && !out))
        return VNET_E_INVALID_ARGUMENT;
    *count = shm_read(dpu->counters.base, dpu->counters.size, out, cap);
    return VNET_OK;
}

int dpu_set_idle_poll(struct dpu *dpu, uint32_t idle_poll_us)
{
    if (!dpu)
        return VNET_E_INVALID_ARGUMENT;
    if (idle_poll_us > 1000000u) {
        pthread_mutex_lock(&dpu->lock);
        int rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "idle poll %u us is outside [0, 1000000]", idle_poll_us);
        pthread_mutex_unlock(&dpu->lock);
        return rc;
    }
    atomic_store(&dpu->env.idle_poll_ns, (uint64_t)idle_poll_us * 1000u);
    return VNET_OK;
}

/* Client mode, every second on the control thread: connect the devices
 * whose front-end was not listening yet. */
static void retry_ready(struct evsrc *src, uint32_t events)
{
    (void)events;
    struct dpu *dpu = container_of(src, struct dpu, retry_src);
    uint64_t v;
    if (read(dpu->retry_fd, &v, sizeof v) != sizeof v)
        return;
    pthread_mutex_lock(&dpu->lock);
    for (uint32_t i = 0; i < dpu->nslots; i++)
        if (dpu->slots[i])
            device_reconnect(dpu->slots[i]->dev);
    pthread_mutex_unlock(&dpu->lock);
}

/* The representor bus of this DPU (netdev.h). Without a claim (no claim
 * directory, every bus held) it keeps bus 3, and a TAP of that name that
 * another DPU owns is refused when a device opens it, never taken over. */
static void claim_bus(struct dpu *dpu, const char *ns, const char *owner)
{
    unsigned bus;
    int fd;
    dpu->claim_note[0] = '\0';
    if (rep_claim(ns, owner, &bus, &fd, dpu->claim_note, sizeof dpu->claim_note) == 0) {
        dpu->claim_fd = fd;
        dpu->env.rep_bus = bus;
    }
    /* Functions made before the start were named with bus 3. */
    for (uint32_t i = 0; i < dpu->nslots; i++)
        if (dpu->slots[i])
            dpu->slots[i]->info.sf_rep[2] = (char)('0' + dpu->env.rep_bus);
}

int dpu_start(struct dpu *dpu, const vnet_start_params *params)
{
    if (!dpu || !params)
        return VNET_E_INVALID_ARGUMENT;
    pthread_mutex_lock(&dpu->lock);
    int rc = VNET_OK;
    struct stat st;
    const char *dir = params->socket_dir;
    if (dpu->started)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "the data path is already started");
    else if (!str_terminated(dir, sizeof params->socket_dir))
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "the socket directory is not a terminated string");
    else if (params->workers < 1 || params->workers > ENGINE_MAX_WORKERS)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "workers %u is outside [1, %u]", params->workers, ENGINE_MAX_WORKERS);
    else if (params->flags & ~VNET_START_CLIENT)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "unknown start flags 0x%x", params->flags);
    else if (params->default_backend > VNET_BACKEND_AUTO)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "backend %u is unknown", params->default_backend);
    else if (params->idle_poll_us > 1000000u)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "idle poll %u us is outside [0, 1000000]", params->idle_poll_us);
    else if (strlen(dir) + 1 + VNET_VUID_LEN + 5 >= SOCK_PATH_MAX)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "socket directory %s is too long for unix socket paths", dir);
    else if (stat(dir, &st) || !S_ISDIR(st.st_mode))
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "socket directory %s does not exist", dir);
    else if (!str_terminated(params->netns, sizeof params->netns))
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "the network namespace is not a terminated string");
    int nsfd = -1;
    if (!rc && params->netns[0]) {
        nsfd = netns_open(params->netns);
        if (nsfd < 0)
            rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "network namespace %s: %s (ip netns add %s)", params->netns,
                      strerror(-nsfd), params->netns);
    }
    if (rc) {
        pthread_mutex_unlock(&dpu->lock);
        return rc;
    }
    /* Only a DPU whose functions get TAPs holds a bus; the representors of
     * echo, sink or generator functions are never netdevs (a function
     * switched to a TAP later still never takes over another DPU's). */
    if (params->default_backend == VNET_BACKEND_TAP || params->default_backend == VNET_BACKEND_AUTO)
        claim_bus(dpu, params->netns, dir);
    dpu->env.netns_fd = nsfd;
    int e = engine_start(&dpu->eng, params->workers);
    if (e) {
        rc = fail(dpu, VNET_E_SYSTEM, "data path threads: %s", strerror(-e));
        pthread_mutex_unlock(&dpu->lock);
        return rc;
    }
    dpu->params = *params;
    snprintf(dpu->env.sock_dir, sizeof dpu->env.sock_dir, "%s", dir);
    dpu->env.client = params->flags & VNET_START_CLIENT;
    dpu->env.default_backend = (uint8_t)params->default_backend;
    atomic_store(&dpu->env.idle_poll_ns, (uint64_t)params->idle_poll_us * 1000u);
    dpu->started = true;
    if (dpu->env.client) {
        dpu->retry_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        struct itimerspec every = {{1, 0}, {1, 0}};
        dpu->retry_src.ready = retry_ready;
        if (dpu->retry_fd < 0 || timerfd_settime(dpu->retry_fd, 0, &every, NULL) ||
            engine_watch(&dpu->eng.ctl, dpu->retry_fd, &dpu->retry_src, EPOLLIN))
            rc = fail(dpu, VNET_E_SYSTEM, "reconnect timer: %s", strerror(errno));
    }
    for (uint32_t i = 0; i < dpu->nslots && !rc; i++) {
        struct fn *f = dpu->slots[i];
        char why[160];
        if (f && device_open(f->dev, f->info.vuid, f->info.sf_rep, why, sizeof why))
            rc = fail(dpu, VNET_E_SYSTEM, "%s: data path: %s", f->info.vuid, why);
    }
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}

int dpu_fn_set_backend(struct dpu *dpu, uint32_t handle, uint32_t mode, uint32_t gen_size)
{
    struct fn *fn;
    int rc = acquire(dpu, handle, &fn);
    if (rc)
        return rc;
    if (!dpu->started)
        rc = fail(dpu, VNET_E_NOT_STARTED, "the data path is not started");
    else if (mode > VNET_BACKEND_GEN)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "backend %u is unknown", mode);
    else if (gen_size < 60 || gen_size > 9000)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "generated frame size %u is outside [60, 9000]", gen_size);
    else if (device_set_backend(fn->dev, (uint8_t)mode, (uint16_t)gen_size)) {
        vnet_fn_info i;
        fill(fn, &i);
        rc = fail(dpu, VNET_E_SYSTEM, "%s", i.backend_note);
    }
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}

/* Whether a function's socket is at `path`; caller holds the lock. */
static bool owned(struct dpu *dpu, const char *path)
{
    for (uint32_t i = 0; i < dpu->nslots; i++)
        if (dpu->slots[i] && strcmp(dpu->slots[i]->dev->path, path) == 0)
            return true;
    return false;
}

struct sweep {
    struct dpu *dpu;
    char prefix[SOCK_PATH_MAX + 16];
    size_t plen;
    char names[64][IFNAMSIZ]; /* stale ones of one pass: removed after the dump */
    uint32_t n;
};

static int stale_rep(const char *name, const char *alias, void *arg)
{
    struct sweep *w = arg;
    if (strncmp(alias, w->prefix, w->plen) != 0)
        return 0;
    pthread_mutex_lock(&w->dpu->lock);
    bool live = owned(w->dpu, alias + strlen(REP_ALIAS));
    pthread_mutex_unlock(&w->dpu->lock);
    if (!live && w->n < 64)
        snprintf(w->names[w->n++], IFNAMSIZ, "%s", name);
    return w->n == 64;
}

/* Representors tagged with this DPU's socket directory that no function
 * owns, in the representors' namespace (over rtnetlink: sysfs shows only the
 * namespace it was mounted in). */
static uint32_t sweep_representors(struct dpu *dpu)
{
    struct ns_guard g;
    if (ns_enter(dpu->env.netns_fd, &g) < 0)
        return 0;
    struct sweep w;
    w.dpu = dpu;
    w.plen = (size_t)snprintf(w.prefix, sizeof w.prefix, REP_ALIAS "%s/", dpu->env.sock_dir);
    uint32_t removed = 0;
    for (int pass = 0; pass < 64; pass++) {
        w.n = 0;
        if (link_for_each(stale_rep, &w) < 0 || w.n == 0)
            break;
        uint32_t before = removed;
        for (uint32_t i = 0; i < w.n; i++)
            if (device_remove_representor(w.names[i]) == 0)
                removed++;
        if (w.n < 64 || removed == before)
            break; /* all of them, or none could go: the next pass would find the same */
    }
    ns_leave(&g);
    return removed;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static uint32_t sweep_sockets(struct dpu *dpu)
{
    if (dpu->env.client)
        return 0; /* the sockets are the front-ends' */
    DIR *dir = opendir(dpu->env.sock_dir);
    if (!dir)
        return 0;
    uint32_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        bool staged = ends_with(e->d_name, ".sock.new");
        if (!staged && !ends_with(e->d_name, ".sock"))
            continue;
        char path[SOCK_PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s", dpu->env.sock_dir, e->d_name);
        pthread_mutex_lock(&dpu->lock);
        /* <vuid>.sock.new: bound by a device a killed DPU was creating. */
        bool live = !staged && owned(dpu, path);
        pthread_mutex_unlock(&dpu->lock);
        if (!live && unlink(path) == 0)
            n++;
    }
    closedir(dir);
    return n;
}

int dpu_sweep(struct dpu *dpu, uint32_t *representors, uint32_t *sockets)
{
    if (representors)
        *representors = 0;
    if (sockets)
        *sockets = 0;
    if (!dpu)
        return VNET_E_INVALID_ARGUMENT;
    if (!dpu_started(dpu))
        return VNET_OK; /* no socket directory: nothing can be ours */
    uint32_t r = sweep_representors(dpu), s = sweep_sockets(dpu);
    if (representors)
        *representors = r;
    if (sockets)
        *sockets = s;
    return VNET_OK;
}
