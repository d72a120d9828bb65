/*
 * abi.c - what both sides of the ABI know alike: error names and texts, and
 * the embedded default profile.
 */
#include "abi.h"

#include <stdio.h>
#include <string.h>

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
    {VNET_E_DPU_UNAVAILABLE, "DPU_UNAVAILABLE", "the DPU process does not answer"},
    {VNET_E_NOT_PROVISIONED, "NOT_PROVISIONED", "the DPU is not provisioned"},
    {VNET_E_ABI_MISMATCH, "ABI_MISMATCH", "the DPU process comes from another build"},
    {VNET_E_ALREADY_PROVISIONED, "ALREADY_PROVISIONED", "the DPU is already provisioned"},
};

const char *abi_strerror(int err)
{
    for (size_t i = 0; i < sizeof k_errors / sizeof k_errors[0]; i++)
        if (k_errors[i].code == err)
            return k_errors[i].text;
    return "unknown error";
}

const char *abi_err_name(int err)
{
    for (size_t i = 0; i < sizeof k_errors / sizeof k_errors[0]; i++)
        if (k_errors[i].code == err)
            return k_errors[i].name;
    return "UNKNOWN";
}

void abi_profile_default(vnet_profile *p)
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
    static const struct {
        const char *name;
        uint32_t port, pf;
    } ib[] = {{"mlx5_0", 0, 0}, {"mlx5_1", 1, 1}, {"mlx5_bond_0", 0, 0}};
    for (int i = 0; i < 3; i++) {
        snprintf(p->ib_devices[i].name, VNET_NAME_LEN, "%s", ib[i].name);
        p->ib_devices[i].port = ib[i].port;
        p->ib_devices[i].pf_num = ib[i].pf;
    }
}
