/*
 * dpu.c - inventory of the emulated DPU: PCIe functions, their virtio-net
 * config space, device status, feature negotiation state and queue counters.
 */
#include "internal.h"

#include <dirent.h>
#include <net/if.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define MAX_HOTPLUG_PORTS 32u
#define MAX_STATIC_PFS 8u
#define MAX_VFS_PER_PF 255u
#define MIN_MTU 68u
#define VIRTIO_MAX_QUEUE_SIZE 32768u
#define MAX_WORKERS 64u

/* virtio 1.2, 5.1.3.1: features that need the control virtqueue. */
#define F_CTRL_RX (1ull << 18)
#define F_CTRL_VLAN (1ull << 19)
#define F_GUEST_ANNOUNCE (1ull << 21)
#define F_CTRL_MAC_ADDR (1ull << 23)
#define F_NEEDS_CTRL_VQ (F_CTRL_RX | F_CTRL_VLAN | F_GUEST_ANNOUNCE | VNET_F_MQ | F_CTRL_MAC_ADDR)

static const struct {
    int code;
    const char *name;
    const char *text;
} k_errors[] = {
    {VNET_OK, "OK", "success"},
    {VNET_E_INVALID_ARGUMENT, "INVALID_ARGUMENT", "invalid argument"},
    {VNET_E_NO_MEMORY, "NO_MEMORY", "out of memory"},
    {VNET_E_NOT_FOUND, "NOT_FOUND", "no such function"},
    {VNET_E_NO_FREE_HOTPLUG_PORT, "NO_FREE_HOTPLUG_PORT", "no free hot-plug port"},
    {VNET_E_PORT_IN_USE, "PORT_IN_USE", "hot-plug port in use"},
    {VNET_E_QUEUES_EXCEED_LIMIT, "QUEUES_EXCEED_LIMIT", "too many queues"},
    {VNET_E_QUEUE_SIZE_INVALID, "QUEUE_SIZE_INVALID", "invalid queue size"},
    {VNET_E_MAC_INVALID, "MAC_INVALID", "invalid MAC address"},
    {VNET_E_FEATURES_UNSUPPORTED, "FEATURES_UNSUPPORTED", "unsupported feature bits"},
    {VNET_E_IB_DEVICE_UNKNOWN, "IB_DEVICE_UNKNOWN", "unknown ib device"},
    {VNET_E_MTU_INVALID, "MTU_INVALID", "invalid MTU"},
    {VNET_E_MSIX_INVALID, "MSIX_INVALID", "invalid MSI-X vector count"},
    {VNET_E_SF_NUM_IN_USE, "SF_NUM_IN_USE", "SF number in use"},
    {VNET_E_NOT_HOTPLUG, "NOT_HOTPLUG", "not a hot-plugged function"},
    {VNET_E_DRIVER_BOUND, "DRIVER_BOUND", "the host driver is bound"},
    {VNET_E_FUNCTION_EXISTS, "FUNCTION_EXISTS", "function already exists"},
    {VNET_E_NOT_SUPPORTED, "NOT_SUPPORTED", "not supported for this function"},
    {VNET_E_PROFILE_INVALID, "PROFILE_INVALID", "invalid profile"},
    {VNET_E_FEATURES_CONFLICT, "FEATURES_CONFLICT", "inconsistent feature bits"},
    {VNET_E_SYSTEM, "SYSTEM_ERROR", "a system call failed"},
    {VNET_E_NOT_STARTED, "NOT_STARTED", "the data path is not started"},
};

uint32_t vnet_abi_version(void) { return VNET_ABI_VERSION; }

uint32_t vnet_abi_struct_size(uint32_t which)
{
    switch (which) {
    case 0: return (uint32_t)sizeof(vnet_profile);
    case 1: return (uint32_t)sizeof(vnet_fn_spec);
    case 2: return (uint32_t)sizeof(vnet_fn_mod);
    case 3: return (uint32_t)sizeof(vnet_fn_info);
    case 4: return (uint32_t)sizeof(vnet_queue_counters);
    default: return 0;
    }
}

const char *vnet_strerror(int err)
{
    for (size_t i = 0; i < sizeof k_errors / sizeof k_errors[0]; i++)
        if (k_errors[i].code == err)
            return k_errors[i].text;
    return "unknown error";
}

const char *vnet_err_name(int err)
{
    for (size_t i = 0; i < sizeof k_errors / sizeof k_errors[0]; i++)
        if (k_errors[i].code == err)
            return k_errors[i].name;
    return "UNKNOWN";
}

/* Records the message of a failure and returns its code, so that every
 * failure path reads `return fail(dpu, CODE, "...", ...)`. Caller holds the lock. */
__attribute__((format(printf, 3, 4))) static int fail(vnet_dpu *dpu, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dpu->err, sizeof dpu->err, fmt, ap);
    va_end(ap);
    return code;
}

void vnet_profile_default(vnet_profile *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    snprintf(p->board_serial, sizeof p->board_serial, "%s", "MT2306XZ00AB");
    p->hotplug_ports = 16;
    p->static_pfs = 2;
    p->vfs_per_pf = 126;
    p->pf_msix = 64;
    p->vf_msix = 16;
    p->msix_pool_per_pf = 2048;
    p->max_virtqueues = 64;
    p->max_queue_size = 32768;
    p->max_mtu = 9216;
    p->link_speed_mbps = 100000;
    p->supported_features = 0x8b00037700ef982full;
    p->sf_base_static = 1000;
    p->sf_base_hotplug = 2000;
    p->sf_base_vf = 3000;
    p->hotplug_bus_base = 0x84;
    p->static_bus = 0x3b;
    p->vf_bus_base = 0x3c;
    p->ib_device_count = 3;
    snprintf(p->ib_devices[0].name, VNET_NAME_LEN, "%s", "mlx5_0");
    p->ib_devices[0].port = 0;
    p->ib_devices[0].pf_num = 0;
    snprintf(p->ib_devices[1].name, VNET_NAME_LEN, "%s", "mlx5_1");
    p->ib_devices[1].port = 1;
    p->ib_devices[1].pf_num = 1;
    snprintf(p->ib_devices[2].name, VNET_NAME_LEN, "%s", "mlx5_bond_0");
    p->ib_devices[2].port = 0;
    p->ib_devices[2].pf_num = 0;
}

static bool str_terminated(const char *s, size_t n) { return memchr(s, '\0', n) != NULL; }

static bool is_pow2(uint32_t v) { return v && !(v & (v - 1)); }

static int check_profile(vnet_dpu *dpu, const vnet_profile *p)
{
    if (!str_terminated(p->board_serial, sizeof p->board_serial) || !p->board_serial[0])
        return fail(dpu, VNET_E_PROFILE_INVALID, "board_serial must be a non-empty string");
    if (p->hotplug_ports > MAX_HOTPLUG_PORTS)
        return fail(dpu, VNET_E_PROFILE_INVALID, "hotplug_ports %u exceeds %u", p->hotplug_ports,
                    MAX_HOTPLUG_PORTS);
    if (p->static_pfs > MAX_STATIC_PFS)
        return fail(dpu, VNET_E_PROFILE_INVALID, "static_pfs %u exceeds %u", p->static_pfs,
                    MAX_STATIC_PFS);
    if (p->vfs_per_pf > MAX_VFS_PER_PF)
        return fail(dpu, VNET_E_PROFILE_INVALID, "vfs_per_pf %u exceeds %u", p->vfs_per_pf,
                    MAX_VFS_PER_PF);
    if (p->vfs_per_pf && !p->static_pfs)
        return fail(dpu, VNET_E_PROFILE_INVALID, "VFs need at least one static PF");
    if ((uint32_t)p->hotplug_bus_base + p->hotplug_ports > 256u ||
        (uint32_t)p->vf_bus_base + p->static_pfs > 256u)
        return fail(dpu, VNET_E_PROFILE_INVALID, "PCI bus numbers exceed 255");
    if (p->max_virtqueues < 2 || p->pf_msix < 2 || (p->vfs_per_pf && p->vf_msix < 2))
        return fail(dpu, VNET_E_PROFILE_INVALID, "max_virtqueues and MSI-X counts must be >= 2");
    if (!is_pow2(p->max_queue_size) || p->max_queue_size > VIRTIO_MAX_QUEUE_SIZE)
        return fail(dpu, VNET_E_PROFILE_INVALID, "max_queue_size must be a power of two <= %u",
                    VIRTIO_MAX_QUEUE_SIZE);
    if (p->max_mtu < MIN_MTU || p->max_mtu > 65535)
        return fail(dpu, VNET_E_PROFILE_INVALID, "max_mtu must be in [%u, 65535]", MIN_MTU);
    if (!(p->supported_features & VNET_F_VERSION_1))
        return fail(dpu, VNET_E_PROFILE_INVALID, "supported_features must include VERSION_1");
    if (p->ib_device_count == 0 || p->ib_device_count > VNET_MAX_IB_DEVICES)
        return fail(dpu, VNET_E_PROFILE_INVALID, "ib_device_count must be in [1, %d]",
                    VNET_MAX_IB_DEVICES);
    for (uint32_t i = 0; i < p->ib_device_count; i++) {
        if (!str_terminated(p->ib_devices[i].name, VNET_NAME_LEN) || !p->ib_devices[i].name[0])
            return fail(dpu, VNET_E_PROFILE_INVALID, "ib device %u has no name", i);
        if (p->ib_devices[i].port > 9 || p->ib_devices[i].pf_num > 9)
            return fail(dpu, VNET_E_PROFILE_INVALID, "ib device %s: port and pf_num must be < 10",
                        p->ib_devices[i].name);
    }
    return VNET_OK;
}

int vnet_dpu_create(const vnet_profile *profile, vnet_dpu **out)
{
    if (!out)
        return VNET_E_INVALID_ARGUMENT;
    *out = NULL;
    vnet_dpu *dpu = calloc(1, sizeof *dpu);
    if (!dpu)
        return VNET_E_NO_MEMORY;
    dpu->retry_fd = -1;
    atomic_store(&dpu->idle_poll_ns, (uint64_t)VNET_IDLE_POLL_DEFAULT_US * 1000u);
    if (profile)
        dpu->prof = *profile;
    else
        vnet_profile_default(&dpu->prof);
    int rc = check_profile(dpu, &dpu->prof);
    if (rc) {
        /* The context is gone, so the message cannot be read back: a bad
         * profile is reported by code alone, and the profile validation in
         * the binding names the field first. */
        free(dpu);
        return rc;
    }
    if (pthread_mutex_init(&dpu->lock, NULL)) {
        free(dpu);
        return VNET_E_NO_MEMORY;
    }
    *out = dpu;
    return VNET_OK;
}

static void fn_free(struct vnet_fn *fn, bool release)
{
    if (!fn)
        return;
    dev_destroy(fn->dev, release);
    free(fn);
}

void vnet_dpu_destroy(vnet_dpu *dpu)
{
    if (!dpu)
        return;
    for (uint32_t i = 0; i < dpu->nslots; i++)
        fn_free(dpu->slots[i], true);
    if (dpu->started)
        engine_stop(dpu);
    if (dpu->retry_fd >= 0)
        close(dpu->retry_fd);
    free(dpu->slots);
    pthread_mutex_destroy(&dpu->lock);
    free(dpu);
}

int vnet_dpu_sweep_representors(vnet_dpu *dpu, uint32_t *removed)
{
    if (removed)
        *removed = 0;
    if (!dpu)
        return VNET_E_INVALID_ARGUMENT;
    if (!dpu->started)
        return VNET_OK; /* no socket directory: no representor can be ours */
    char prefix[SOCK_PATH_MAX + 16];
    int plen = snprintf(prefix, sizeof prefix, "virtnet %s/", dpu->sock_dir);
    DIR *dir = opendir("/sys/class/net");
    if (!dir)
        return VNET_OK; /* no sysfs: no representors either */
    uint32_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= IFNAMSIZ)
            continue;
        char path[sizeof "/sys/class/net//ifalias" + sizeof e->d_name], alias[256];
        snprintf(path, sizeof path, "/sys/class/net/%s/ifalias", e->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        bool got = fgets(alias, sizeof alias, f) != NULL;
        fclose(f);
        if (!got || strncmp(alias, prefix, (size_t)plen) != 0)
            continue;
        alias[strcspn(alias, "\n")] = '\0';
        const char *sock = alias + 8; /* after "virtnet " */
        bool live = false;
        pthread_mutex_lock(&dpu->lock);
        for (uint32_t i = 0; i < dpu->nslots && !live; i++)
            live = dpu->slots[i] && strcmp(dpu->slots[i]->dev->path, sock) == 0;
        pthread_mutex_unlock(&dpu->lock);
        if (!live && net_remove_tap(e->d_name) == 0)
            n++;
    }
    closedir(dir);
    if (removed)
        *removed = n;
    return VNET_OK;
}

const char *vnet_dpu_last_error(vnet_dpu *dpu) { return dpu ? dpu->err : "no context"; }

int vnet_dpu_profile(vnet_dpu *dpu, vnet_profile *out)
{
    if (!dpu || !out)
        return VNET_E_INVALID_ARGUMENT;
    pthread_mutex_lock(&dpu->lock);
    *out = dpu->prof;
    pthread_mutex_unlock(&dpu->lock);
    return VNET_OK;
}

static struct vnet_fn *lookup(vnet_dpu *dpu, uint32_t handle)
{
    if (handle == 0 || handle > dpu->nslots)
        return NULL;
    return dpu->slots[handle - 1];
}

/* Locks the context and finds a function. On success the caller holds the
 * lock and must release it; on failure the lock is already released. */
static int acquire(vnet_dpu *dpu, uint32_t handle, struct vnet_fn **fn)
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

static int check_mac(vnet_dpu *dpu, const uint8_t mac[6])
{
    if (!mac_valid(mac))
        return fail(dpu, VNET_E_MAC_INVALID,
                    "MAC %02X:%02X:%02X:%02X:%02X:%02X is %s; a device needs a unicast address",
                    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
                    (mac[0] & 1u) ? "multicast" : "all zeros");
    return VNET_OK;
}

static int check_mtu(vnet_dpu *dpu, uint32_t mtu)
{
    if (mtu < MIN_MTU || mtu > dpu->prof.max_mtu)
        return fail(dpu, VNET_E_MTU_INVALID, "MTU %u is outside [%u, %u]", mtu, MIN_MTU,
                    dpu->prof.max_mtu);
    return VNET_OK;
}

static int check_queue_size(vnet_dpu *dpu, uint32_t size)
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

static int check_queues(vnet_dpu *dpu, uint32_t num_queues, uint32_t num_msix)
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

static int check_features(vnet_dpu *dpu, uint64_t features, uint32_t num_queues,
                          bool transitional)
{
    uint64_t extra = features & ~dpu->prof.supported_features;
    if (extra)
        return fail(dpu, VNET_E_FEATURES_UNSUPPORTED,
                    "features 0x%llx are not supported (supported: 0x%llx)",
                    (unsigned long long)extra, (unsigned long long)dpu->prof.supported_features);
    if (!transitional && !(features & VNET_F_VERSION_1))
        return fail(dpu, VNET_E_FEATURES_CONFLICT,
                    "a non-transitional device must offer VIRTIO_F_VERSION_1 (bit 32)");
    bool has_ctrl = (num_queues & 1u) != 0;
    if ((features & VNET_F_CTRL_VQ) && !has_ctrl)
        return fail(dpu, VNET_E_FEATURES_CONFLICT,
                    "CTRL_VQ offered but %u queues leave no control queue (use an odd count)",
                    num_queues);
    if ((features & F_NEEDS_CTRL_VQ) && !(features & VNET_F_CTRL_VQ))
        return fail(dpu, VNET_E_FEATURES_CONFLICT,
                    "features 0x%llx need VIRTIO_NET_F_CTRL_VQ (bit 17)",
                    (unsigned long long)(features & F_NEEDS_CTRL_VQ));
    if (num_queues / 2 > 1 && !(features & VNET_F_MQ))
        return fail(dpu, VNET_E_FEATURES_CONFLICT,
                    "%u queue pairs need VIRTIO_NET_F_MQ (bit 22)", num_queues / 2);
    return VNET_OK;
}

static bool sf_in_use(vnet_dpu *dpu, const char *ib, uint32_t sf_num)
{
    for (uint32_t i = 0; i < dpu->nslots; i++) {
        struct vnet_fn *f = dpu->slots[i];
        if (f && f->info.sf_num == sf_num && strcmp(f->info.ib_device, ib) == 0)
            return true;
    }
    return false;
}

static struct vnet_fn *find_by_position(vnet_dpu *dpu, uint32_t type, int32_t pf, int32_t vf,
                                        int32_t port)
{
    for (uint32_t i = 0; i < dpu->nslots; i++) {
        struct vnet_fn *f = dpu->slots[i];
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

static int grow_slots(vnet_dpu *dpu)
{
    if (dpu->nslots < dpu->capslots)
        return VNET_OK;
    if (dpu->capslots >= UINT32_MAX / 2)
        return fail(dpu, VNET_E_NO_MEMORY, "function handles exhausted");
    uint32_t cap = dpu->capslots ? dpu->capslots * 2 : 64;
    struct vnet_fn **s = realloc(dpu->slots, (size_t)cap * sizeof *s);
    if (!s)
        return fail(dpu, VNET_E_NO_MEMORY, "out of memory");
    dpu->slots = s;
    dpu->capslots = cap;
    return VNET_OK;
}

/* Places a new function: position, BDF, ids. Caller holds the lock. */
static int place(vnet_dpu *dpu, const vnet_fn_spec *s, vnet_fn_info *i)
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

static int assign_sf(vnet_dpu *dpu, const vnet_fn_spec *s, vnet_fn_info *i,
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
    snprintf(i->sf_rep, sizeof i->sf_rep, "en3f%upf%usf%u", ib->port, ib->pf_num, sf);
    return VNET_OK;
}

int vnet_fn_create(vnet_dpu *dpu, const vnet_fn_spec *s, vnet_fn_info *out)
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
        rc = fail(dpu, VNET_E_IB_DEVICE_UNKNOWN, "ib device '%s' is unknown (known: %s)",
                  s->ib_device, known);
        goto out;
    }
    if (s->type > VNET_FN_VF) {
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "unknown function type %u", s->type);
        goto out;
    }
    if (s->num_msix && (s->num_msix < 2 || s->num_msix > type_msix_max(p, s->type))) {
        rc = fail(dpu, VNET_E_MSIX_INVALID, "MSI-X count %u is outside [2, %u]", s->num_msix,
                  type_msix_max(p, s->type));
        goto out;
    }
    if ((rc = check_mac(dpu, s->mac)) || (rc = check_mtu(dpu, s->mtu)) ||
        (rc = check_queues(dpu, s->num_queues, msix)) ||
        (rc = check_queue_size(dpu, s->max_queue_size)) ||
        (rc = check_features(dpu, s->features, s->num_queues, s->transitional != 0)) ||
        (rc = place(dpu, s, &i)) || (rc = assign_sf(dpu, s, &i, ib)) ||
        (rc = grow_slots(dpu)))
        goto out;

    struct vnet_fn *fn = calloc(1, sizeof *fn);
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
    i.net_status = 1; /* VIRTIO_NET_S_LINK_UP: the SF side is up from creation */
    i.speed_mbps = p->link_speed_mbps;
    i.duplex = 1;
    i.event_mode = VNET_EVENT_MODE_EVENT;
    fn->info = i;
    fn->dev = dev_new(dpu, &fn->info);
    if (!fn->dev) {
        free(fn);
        rc = fail(dpu, VNET_E_NO_MEMORY, "out of memory");
        goto out;
    }
    if (dpu->started) {
        char why[160];
        if (dev_open(fn->dev, i.vuid, i.sf_rep, why, sizeof why)) {
            rc = fail(dpu, VNET_E_SYSTEM, "%s: data path: %s", i.vuid, why);
            pthread_mutex_unlock(&dpu->lock);
            fn_free(fn, false);
            return rc;
        }
    }
    dpu->slots[dpu->nslots++] = fn;
    dpu->live++;
    if (out) {
        *out = fn->info;
        dev_fill_info(fn->dev, out);
    }
    rc = VNET_OK;
out:
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}

int vnet_fn_destroy(vnet_dpu *dpu, uint32_t handle)
{
    struct vnet_fn *fn;
    int rc = acquire(dpu, handle, &fn);
    if (rc)
        return rc;
    dpu->slots[handle - 1] = NULL;
    dpu->live--;
    pthread_mutex_unlock(&dpu->lock);
    fn_free(fn, false); /* without the lock: the data path may need it to finish */
    return VNET_OK;
}

static bool driver_bound(const struct vnet_fn *fn)
{
    uint8_t s = __atomic_load_n(&fn->dev->status, __ATOMIC_ACQUIRE);
    return (s & (VNET_STATUS_DRIVER | VNET_STATUS_DRIVER_OK)) != 0;
}

int vnet_fn_modify(vnet_dpu *dpu, uint32_t handle, const vnet_fn_mod *m, vnet_fn_info *out)
{
    if (!m)
        return VNET_E_INVALID_ARGUMENT;
    struct vnet_fn *fn;
    int rc = acquire(dpu, handle, &fn);
    if (rc)
        return rc;
    const uint32_t needs_unbound = VNET_MOD_MAC | VNET_MOD_MTU | VNET_MOD_FEATURES |
                                   VNET_MOD_MAX_QUEUE_SIZE | VNET_MOD_NUM_MSIX;
    if (m->mask & ~(needs_unbound | VNET_MOD_LINK)) {
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "unknown modify mask bits 0x%x", m->mask);
        goto out;
    }
    vnet_fn_info n = fn->info;
    if ((m->mask & needs_unbound) && driver_bound(fn)) {
        rc = fail(dpu, VNET_E_DRIVER_BOUND,
                  "%s: the host driver is bound (status 0x%x); unbind it, modify, then bind",
                  n.vuid, __atomic_load_n(&fn->dev->status, __ATOMIC_ACQUIRE));
        goto out;
    }
    if (m->mask & VNET_MOD_NUM_MSIX) {
        if (n.type != VNET_FN_VF) {
            rc = fail(dpu, VNET_E_NOT_SUPPORTED, "MSI-X count can only be changed on a VF");
            goto out;
        }
        if (m->num_msix < 2 || m->num_msix > dpu->prof.vf_msix) {
            rc = fail(dpu, VNET_E_MSIX_INVALID, "MSI-X count %u is outside [2, %u]", m->num_msix,
                      dpu->prof.vf_msix);
            goto out;
        }
        if (n.num_queues > m->num_msix) {
            rc = fail(dpu, VNET_E_MSIX_INVALID, "MSI-X count %u is below the %u queues",
                      m->num_msix, n.num_queues);
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
        n.net_status = (uint16_t)((n.net_status & ~1u) | (m->link_up ? 1u : 0u));
    fn->info = n;
    dev_set_config(fn->dev, &fn->info);
    if (out) {
        *out = n;
        dev_fill_info(fn->dev, out);
    }
out:
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}

int vnet_fn_set_moderation(vnet_dpu *dpu, uint32_t handle, uint32_t mode, uint32_t period_us,
                           uint32_t max_count)
{
    struct vnet_fn *fn;
    int rc = acquire(dpu, handle, &fn);
    if (rc)
        return rc;
    if (mode > VNET_EVENT_MODE_CQE)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "event mode %u is neither event (0) nor cqe (1)",
                  mode);
    else if (period_us > 0xfff || max_count > 0xffff)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT,
                  "period %u us must be <= 4095 and max count %u <= 65535", period_us, max_count);
    else {
        fn->info.event_mode = (uint8_t)mode;
        fn->info.moderation_period_us = period_us;
        fn->info.moderation_max_count = max_count;
        dev_set_config(fn->dev, &fn->info);
    }
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}

int vnet_fn_query(vnet_dpu *dpu, uint32_t handle, vnet_fn_info *out)
{
    if (!out)
        return VNET_E_INVALID_ARGUMENT;
    struct vnet_fn *fn;
    int rc = acquire(dpu, handle, &fn);
    if (rc)
        return rc;
    *out = fn->info;
    dev_fill_info(fn->dev, out);
    pthread_mutex_unlock(&dpu->lock);
    return VNET_OK;
}

int vnet_fn_list(vnet_dpu *dpu, vnet_fn_info *out, uint32_t cap, uint32_t *count)
{
    if (!dpu || !count || (cap && !out))
        return VNET_E_INVALID_ARGUMENT;
    pthread_mutex_lock(&dpu->lock);
    uint32_t n = 0;
    for (uint32_t i = 0; i < dpu->nslots; i++) {
        if (!dpu->slots[i])
            continue;
        if (n < cap) {
            out[n] = dpu->slots[i]->info;
            dev_fill_info(dpu->slots[i]->dev, &out[n]);
        }
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
int vnet_fn_driver_write_status(vnet_dpu *dpu, uint32_t handle, uint8_t status)
{
    struct vnet_fn *fn;
    int rc = acquire(dpu, handle, &fn);
    if (rc)
        return rc;
    struct dev *d = fn->dev;
    if (__atomic_load_n(&d->connected, __ATOMIC_ACQUIRE)) {
        rc = fail(dpu, VNET_E_NOT_SUPPORTED, "%s: a vhost-user front-end drives this device", fn->info.vuid);
    } else if (status == 0) {
        /* virtio 1.2, 2.1.2: writing 0 resets the device. */
        __atomic_store_n(&d->status, 0, __ATOMIC_RELEASE);
        __atomic_store_n(&d->features, 0, __ATOMIC_RELAXED);
    } else {
        /* 3.1.1: the device refuses FEATURES_OK when the driver accepted a
         * feature it did not offer; the bit then reads back clear. */
        if ((status & VNET_STATUS_FEATURES_OK) && (d->features & ~fn->info.device_features))
            status &= (uint8_t)~VNET_STATUS_FEATURES_OK;
        __atomic_store_n(&d->status, status, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}

int vnet_fn_driver_write_features(vnet_dpu *dpu, uint32_t handle, uint64_t features)
{
    struct vnet_fn *fn;
    int rc = acquire(dpu, handle, &fn);
    if (rc)
        return rc;
    struct dev *d = fn->dev;
    if (__atomic_load_n(&d->connected, __ATOMIC_ACQUIRE))
        rc = fail(dpu, VNET_E_NOT_SUPPORTED, "%s: a vhost-user front-end drives this device", fn->info.vuid);
    else if (__atomic_load_n(&d->status, __ATOMIC_ACQUIRE) & VNET_STATUS_FEATURES_OK)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "features are fixed once FEATURES_OK is set");
    else
        __atomic_store_n(&d->features, features, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}

int vnet_counters_snapshot(vnet_dpu *dpu, vnet_queue_counters *out, uint32_t cap,
                           uint32_t *count)
{
    if (!dpu || !count || (cap && !out))
        return VNET_E_INVALID_ARGUMENT;
    pthread_mutex_lock(&dpu->lock);
    uint32_t n = 0;
    for (uint32_t i = 0; i < dpu->nslots; i++) {
        struct vnet_fn *f = dpu->slots[i];
        if (!f)
            continue;
        for (uint16_t q = 0; q < f->dev->nq; q++, n++) {
            if (n >= cap)
                continue;
            struct vq *v = &f->dev->vq[q];
            pthread_mutex_lock(&v->lock);
            out[n] = v->c;
            out[n].enabled = v->started && v->enabled;
            out[n].hw_available_index = v->ring.last_avail;
            out[n].hw_used_index = v->ring.used_idx;
            pthread_mutex_unlock(&v->lock);
        }
    }
    *count = n;
    pthread_mutex_unlock(&dpu->lock);
    return VNET_OK;
}

int vnet_dpu_set_idle_poll(vnet_dpu *dpu, uint32_t idle_poll_us)
{
    if (!dpu)
        return VNET_E_INVALID_ARGUMENT;
    if (idle_poll_us > 1000000u) {
        pthread_mutex_lock(&dpu->lock);
        int rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "idle poll %u us is outside [0, 1000000]", idle_poll_us);
        pthread_mutex_unlock(&dpu->lock);
        return rc;
    }
    atomic_store(&dpu->idle_poll_ns, (uint64_t)idle_poll_us * 1000u);
    return VNET_OK;
}

int vnet_dpu_start(vnet_dpu *dpu, const char *socket_dir, uint32_t workers, uint32_t default_backend,
                   uint32_t flags)
{
    if (!dpu || !socket_dir)
        return VNET_E_INVALID_ARGUMENT;
    pthread_mutex_lock(&dpu->lock);
    int rc = VNET_OK;
    struct stat st;
    if (dpu->started)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "the data path is already started");
    else if (workers < 1 || workers > MAX_WORKERS)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "workers %u is outside [1, %u]", workers, MAX_WORKERS);
    else if (flags & ~VNET_START_CLIENT)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "unknown start flags 0x%x", flags);
    else if (default_backend > VNET_BACKEND_AUTO)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "backend %u is unknown", default_backend);
    else if (strlen(socket_dir) + 1 + VNET_VUID_LEN + 5 >= SOCK_PATH_MAX)
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "socket directory %s is too long for unix socket paths", socket_dir);
    else if (stat(socket_dir, &st) || !S_ISDIR(st.st_mode))
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "socket directory %s does not exist", socket_dir);
    if (rc) {
        pthread_mutex_unlock(&dpu->lock);
        return rc;
    }
    snprintf(dpu->sock_dir, sizeof dpu->sock_dir, "%s", socket_dir);
    dpu->default_backend = (uint8_t)default_backend;
    int e = engine_start(dpu, workers);
    if (e) {
        rc = fail(dpu, VNET_E_SYSTEM, "data path threads: %s", strerror(-e));
        pthread_mutex_unlock(&dpu->lock);
        return rc;
    }
    dpu->started = true;
    dpu->client = flags & VNET_START_CLIENT;
    if (dpu->client) {
        dpu->retry_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        struct itimerspec every = {{1, 0}, {1, 0}};
        dpu->retry_src = (struct evsrc){EV_RETRY, dpu};
        if (dpu->retry_fd < 0 || timerfd_settime(dpu->retry_fd, 0, &every, NULL) ||
            engine_watch(&dpu->ctl, dpu->retry_fd, &dpu->retry_src, EPOLLIN))
            rc = fail(dpu, VNET_E_SYSTEM, "reconnect timer: %s", strerror(errno));
    }
    for (uint32_t i = 0; i < dpu->nslots && !rc; i++) {
        struct vnet_fn *f = dpu->slots[i];
        char why[160];
        if (f && dev_open(f->dev, f->info.vuid, f->info.sf_rep, why, sizeof why))
            rc = fail(dpu, VNET_E_SYSTEM, "%s: data path: %s", f->info.vuid, why);
    }
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}

int vnet_fn_set_backend(vnet_dpu *dpu, uint32_t handle, uint32_t mode, uint32_t gen_size)
{
    struct vnet_fn *fn;
    int rc = acquire(dpu, handle, &fn);
    if (rc)
        return rc;
    if (!dpu->started) {
        rc = fail(dpu, VNET_E_NOT_STARTED, "the data path is not started");
    } else if (mode > VNET_BACKEND_GEN) {
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "backend %u is unknown", mode);
    } else if (gen_size < 60 || gen_size > 9000) {
        rc = fail(dpu, VNET_E_INVALID_ARGUMENT, "generated frame size %u is outside [60, 9000]", gen_size);
    } else {
        struct dev *d = fn->dev;
        pthread_rwlock_wrlock(&d->rw);
        int e = net_set_backend(d, (uint8_t)mode, (uint16_t)gen_size, fn->info.sf_rep);
        pthread_rwlock_unlock(&d->rw);
        if (e)
            rc = fail(dpu, VNET_E_SYSTEM, "%s", d->note);
    }
    pthread_mutex_unlock(&dpu->lock);
    return rc;
}
