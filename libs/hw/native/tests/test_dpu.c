/* Unit tests of the inventory: placement, limits, modify rules, counters. */
#include "check.h"
#include "dpu/dpu.h"
#include "proto/abi.h"

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#define VNET_F_VERSION_1 VNET_BIT(VIRTIO_F_VERSION_1)
#define VNET_F_CTRL_VQ VNET_BIT(VIRTIO_NET_F_CTRL_VQ)
#define VNET_F_MAC VNET_BIT(VIRTIO_NET_F_MAC)
#define VNET_F_MTU VNET_BIT(VIRTIO_NET_F_MTU)
#define VNET_F_MQ VNET_BIT(VIRTIO_NET_F_MQ)

#include <stdlib.h>

static vnet_fn_spec hotplug_spec(void)
{
    vnet_fn_spec s;
    memset(&s, 0, sizeof s);
    s.type = VNET_FN_HOTPLUG_PF;
    s.pf_index = -1;
    s.vf_index = -1;
    s.port = -1;
    s.sf_num = -1;
    strcpy(s.ib_device, "mlx5_0");
    const uint8_t mac[6] = {0x0c, 0xc4, 0x7a, 0xff, 0x22, 0x93};
    memcpy(s.mac, mac, 6);
    s.mtu = 1500;
    s.num_queues = 3;
    s.max_queue_size = 1024;
    s.features = VNET_F_VERSION_1 | VNET_F_CTRL_VQ | VNET_F_MAC | VNET_F_MTU | (1ull << 19);
    return s;
}

static void test_profile(void)
{
    vnet_profile p;
    abi_profile_default(&p);
    struct dpu *dpu = NULL;
    CHECK_EQ(dpu_create(&p, &dpu), VNET_OK);
    vnet_profile back;
    dpu_profile(dpu, &back);
    CHECK_EQ(back.hotplug_ports, 16);
    CHECK_EQ(back.supported_features, 0x8b00037700ef982full);
    dpu_destroy(dpu, true);

    p.max_queue_size = 1000;
    CHECK_EQ(dpu_create(&p, &dpu), VNET_E_PROFILE_INVALID);
    CHECK(dpu == NULL);
    abi_profile_default(&p);
    p.hotplug_ports = 33;
    CHECK_EQ(dpu_create(&p, &dpu), VNET_E_PROFILE_INVALID);
    abi_profile_default(&p);
    p.ib_device_count = 0;
    CHECK_EQ(dpu_create(&p, &dpu), VNET_E_PROFILE_INVALID);
    CHECK_EQ(dpu_create(NULL, NULL), VNET_E_INVALID_ARGUMENT);
    CHECK_STR(abi_err_name(VNET_E_NO_FREE_HOTPLUG_PORT), "NO_FREE_HOTPLUG_PORT");
    CHECK_STR(abi_err_name(12345), "UNKNOWN");
}

static void test_hotplug_placement(void)
{
    struct dpu *dpu = NULL;
    CHECK_EQ(dpu_create(NULL, &dpu), VNET_OK);
    vnet_fn_spec s = hotplug_spec();
    vnet_fn_info a, b;
    CHECK_EQ(dpu_fn_create(dpu, &s, &a), VNET_OK);
    CHECK_EQ(a.port, 0);
    CHECK_EQ(a.pf_id, 2); /* after the two static PFs */
    CHECK_STR(a.bdf, "84:0.0");
    CHECK_EQ(a.bdf_raw, 0x8400);
    CHECK_STR(a.vuid, "MT2306XZ00ABVNETS132D0F0");
    CHECK_EQ(a.sf_num, 2000);
    CHECK_STR(a.sf_rep, "en3f0pf0sf2000");
    CHECK_EQ(a.max_queue_pairs, 1);
    CHECK_EQ(a.net_status & 1, 1);

    s.mac[5] = 0x94;
    CHECK_EQ(dpu_fn_create(dpu, &s, &b), VNET_OK);
    CHECK_EQ(b.port, 1);
    CHECK_STR(b.bdf, "85:0.0");
    CHECK_EQ(b.sf_num, 2001);

    /* a freed port is reused first; the handle is not */
    CHECK_EQ(dpu_fn_destroy(dpu, a.handle), VNET_OK);
    CHECK_EQ(dpu_fn_destroy(dpu, a.handle), VNET_E_NOT_FOUND);
    vnet_fn_info c;
    CHECK_EQ(dpu_fn_create(dpu, &s, &c), VNET_OK);
    CHECK_EQ(c.port, 0);
    CHECK(c.handle != a.handle);

    /* restore at an exact position and SF number (recovery) */
    s.port = 9;
    s.sf_num = 2042;
    vnet_fn_info d;
    CHECK_EQ(dpu_fn_create(dpu, &s, &d), VNET_OK);
    CHECK_EQ(d.port, 9);
    CHECK_EQ(d.sf_num, 2042);
    CHECK_EQ(dpu_fn_create(dpu, &s, &d), VNET_E_PORT_IN_USE);
    s.port = 10;
    CHECK_EQ(dpu_fn_create(dpu, &s, &d), VNET_E_SF_NUM_IN_USE);
    s.port = 16;
    s.sf_num = -1;
    CHECK_EQ(dpu_fn_create(dpu, &s, &d), VNET_E_INVALID_ARGUMENT);

    /* fill every port, then one more fails with a clear code and message */
    s.port = -1;
    uint32_t n = 0;
    CHECK_EQ(dpu_fn_list(dpu, NULL, 0, &n), VNET_OK);
    while (n < 16) {
        CHECK_EQ(dpu_fn_create(dpu, &s, NULL), VNET_OK);
        n++;
    }
    CHECK_EQ(dpu_fn_create(dpu, &s, &d), VNET_E_NO_FREE_HOTPLUG_PORT);
    CHECK(strstr(dpu_last_error(dpu), "16 hot-plug ports") != NULL);
    dpu_destroy(dpu, true);
}

static void test_limits(void)
{
    struct dpu *dpu = NULL;
    CHECK_EQ(dpu_create(NULL, &dpu), VNET_OK);
    vnet_fn_spec s;
    vnet_fn_info i;

    s = hotplug_spec();
    s.mac[0] = 0x01;
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_MAC_INVALID);
    memset(s.mac, 0, 6);
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_MAC_INVALID);

    s = hotplug_spec();
    s.max_queue_size = 1000;
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_QUEUE_SIZE_INVALID);
    s.max_queue_size = 65536 & 0xffff; /* wraps to 0 */
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_QUEUE_SIZE_INVALID);

    s = hotplug_spec();
    s.num_queues = 65;
    s.features |= VNET_F_MQ;
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_QUEUES_EXCEED_LIMIT);
    s.num_queues = 1;
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_QUEUES_EXCEED_LIMIT);
    s = hotplug_spec();
    s.num_msix = 4;
    s.num_queues = 5;
    s.features |= VNET_F_MQ;
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_QUEUES_EXCEED_LIMIT);
    s.num_msix = 1;
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_MSIX_INVALID);

    s = hotplug_spec();
    s.mtu = 67;
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_MTU_INVALID);
    s.mtu = 9217;
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_MTU_INVALID);

    s = hotplug_spec();
    s.features |= 1ull << 7; /* GUEST_TSO4: not offered by this DPU */
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_FEATURES_UNSUPPORTED);
    CHECK(strstr(dpu_last_error(dpu), "0x80") != NULL);
    s = hotplug_spec();
    s.features &= ~VNET_F_VERSION_1;
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_FEATURES_CONFLICT);
    s.transitional = 1;
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_OK);
    s = hotplug_spec();
    s.num_queues = 4; /* even: no control queue, but CTRL_VQ is offered */
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_FEATURES_CONFLICT);
    s = hotplug_spec();
    s.features &= ~VNET_F_CTRL_VQ; /* CTRL_VLAN without CTRL_VQ */
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_FEATURES_CONFLICT);
    s = hotplug_spec();
    s.num_queues = 5; /* two pairs without MQ */
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_FEATURES_CONFLICT);

    s = hotplug_spec();
    strcpy(s.ib_device, "mlx5_9");
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_IB_DEVICE_UNKNOWN);
    CHECK(strstr(dpu_last_error(dpu), "mlx5_bond_0") != NULL);
    memset(s.ib_device, 'x', sizeof s.ib_device); /* not terminated */
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_INVALID_ARGUMENT);

    s = hotplug_spec();
    s.type = 7;
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_E_INVALID_ARGUMENT);
    uint32_t n = 99;
    CHECK_EQ(dpu_fn_list(dpu, NULL, 0, &n), VNET_OK);
    CHECK_EQ(n, 1); /* only the transitional device above was created */
    dpu_destroy(dpu, true);
}

static void test_static_and_vf(void)
{
    struct dpu *dpu = NULL;
    CHECK_EQ(dpu_create(NULL, &dpu), VNET_OK);
    vnet_fn_spec s = hotplug_spec();
    vnet_fn_info pf, vf;
    s.type = VNET_FN_STATIC_PF;
    s.pf_index = 1;
    CHECK_EQ(dpu_fn_create(dpu, &s, &pf), VNET_OK);
    CHECK_EQ(pf.pf_id, 1);
    CHECK_STR(pf.bdf, "3b:0.1");
    CHECK_EQ(pf.sf_num, 1000);
    CHECK_EQ(dpu_fn_create(dpu, &s, &pf), VNET_E_FUNCTION_EXISTS);
    s.pf_index = 2;
    CHECK_EQ(dpu_fn_create(dpu, &s, &pf), VNET_E_INVALID_ARGUMENT);

    s.type = VNET_FN_VF;
    s.pf_index = 1;
    s.vf_index = 9;
    s.num_msix = 0;
    CHECK_EQ(dpu_fn_create(dpu, &s, &vf), VNET_OK);
    CHECK_EQ(vf.vf_id, 9);
    CHECK_STR(vf.bdf, "3d:1.2"); /* ARI function 10 on PF 1's VF bus */
    CHECK_EQ(vf.num_msix, 16);
    CHECK_EQ(vf.sf_num, 3000);
    s.vf_index = 126;
    CHECK_EQ(dpu_fn_create(dpu, &s, &vf), VNET_E_INVALID_ARGUMENT);

    /* MSI-X changes are for VFs only, within the VF budget and above the queues */
    vnet_fn_mod m;
    memset(&m, 0, sizeof m);
    m.mask = VNET_MOD_NUM_MSIX;
    m.num_msix = 8;
    CHECK_EQ(dpu_fn_modify(dpu, pf.handle, &m, NULL), VNET_E_NOT_SUPPORTED);
    vnet_fn_info out;
    CHECK_EQ(dpu_fn_modify(dpu, vf.handle, &m, &out), VNET_OK);
    CHECK_EQ(out.num_msix, 8);
    m.num_msix = 2;
    CHECK_EQ(dpu_fn_modify(dpu, vf.handle, &m, NULL), VNET_E_MSIX_INVALID);
    m.num_msix = 17;
    CHECK_EQ(dpu_fn_modify(dpu, vf.handle, &m, NULL), VNET_E_MSIX_INVALID);
    dpu_destroy(dpu, true);
}

static void test_modify_and_driver(void)
{
    struct dpu *dpu = NULL;
    CHECK_EQ(dpu_create(NULL, &dpu), VNET_OK);
    vnet_fn_spec s = hotplug_spec();
    vnet_fn_info i, out;
    CHECK_EQ(dpu_fn_create(dpu, &s, &i), VNET_OK);

    vnet_fn_mod m;
    memset(&m, 0, sizeof m);
    m.mask = VNET_MOD_MAC | VNET_MOD_MTU | VNET_MOD_MAX_QUEUE_SIZE;
    const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 7};
    memcpy(m.mac, mac, 6);
    m.mtu = 9000;
    m.max_queue_size = 256;
    CHECK_EQ(dpu_fn_modify(dpu, i.handle, &m, &out), VNET_OK);
    CHECK_EQ(out.mtu, 9000);
    CHECK_EQ(out.mac[5], 7);

    /* a bad field changes nothing, even with good fields beside it */
    m.mtu = 1400;
    m.max_queue_size = 300;
    CHECK_EQ(dpu_fn_modify(dpu, i.handle, &m, NULL), VNET_E_QUEUE_SIZE_INVALID);
    CHECK_EQ(dpu_fn_query(dpu, i.handle, &out), VNET_OK);
    CHECK_EQ(out.mtu, 9000);
    CHECK_EQ(out.max_queue_size, 256);

    /* the driver negotiates: FEATURES_OK is refused for unoffered features */
    CHECK_EQ(dpu_fn_driver_write_status(dpu, i.handle, VNET_STATUS_ACKNOWLEDGE | VNET_STATUS_DRIVER), VNET_OK);
    CHECK_EQ(dpu_fn_driver_write_features(dpu, i.handle, VNET_F_VERSION_1 | (1ull << 7)), VNET_OK);
    CHECK_EQ(dpu_fn_driver_write_status(dpu, i.handle, 1 | 2 | VNET_STATUS_FEATURES_OK), VNET_OK);
    CHECK_EQ(dpu_fn_query(dpu, i.handle, &out), VNET_OK);
    CHECK_EQ(out.device_status & VNET_STATUS_FEATURES_OK, 0);
    CHECK_EQ(dpu_fn_driver_write_features(dpu, i.handle, VNET_F_VERSION_1 | VNET_F_MAC), VNET_OK);
    CHECK_EQ(dpu_fn_driver_write_status(dpu, i.handle, 1 | 2 | 8), VNET_OK);
    CHECK_EQ(dpu_fn_driver_write_features(dpu, i.handle, VNET_F_VERSION_1), VNET_E_INVALID_ARGUMENT);
    CHECK_EQ(dpu_fn_driver_write_status(dpu, i.handle, 1 | 2 | 8 | 4), VNET_OK);
    CHECK_EQ(dpu_fn_query(dpu, i.handle, &out), VNET_OK);
    CHECK_EQ(out.device_status, 15);
    CHECK_EQ(out.driver_features, VNET_F_VERSION_1 | VNET_F_MAC);
    CHECK_EQ(out.enabled_queues, 0); /* no transport started a ring */

    /* bound driver: config changes refused, link changes allowed */
    m.mask = VNET_MOD_MTU;
    m.mtu = 1500;
    CHECK_EQ(dpu_fn_modify(dpu, i.handle, &m, NULL), VNET_E_DRIVER_BOUND);
    m.mask = VNET_MOD_LINK;
    m.link_up = 0;
    CHECK_EQ(dpu_fn_modify(dpu, i.handle, &m, &out), VNET_OK);
    CHECK_EQ(out.net_status & 1, 0);
    m.mask = 1u << 30;
    CHECK_EQ(dpu_fn_modify(dpu, i.handle, &m, NULL), VNET_E_INVALID_ARGUMENT);

    /* reset (unbind) then the change is accepted */
    CHECK_EQ(dpu_fn_driver_write_status(dpu, i.handle, 0), VNET_OK);
    m.mask = VNET_MOD_MTU;
    CHECK_EQ(dpu_fn_modify(dpu, i.handle, &m, &out), VNET_OK);
    CHECK_EQ(out.driver_features, 0);

    CHECK_EQ(dpu_fn_set_moderation(dpu, i.handle, VNET_EVENT_MODE_CQE, 10, 30), VNET_OK);
    CHECK_EQ(dpu_fn_query(dpu, i.handle, &out), VNET_OK);
    CHECK_EQ(out.moderation_period_us, 10);
    CHECK_EQ(out.moderation_max_count, 30);
    CHECK_EQ(out.event_mode, VNET_EVENT_MODE_CQE);
    CHECK_EQ(dpu_fn_set_moderation(dpu, i.handle, 2, 10, 30), VNET_E_INVALID_ARGUMENT);
    CHECK_EQ(dpu_fn_set_moderation(dpu, 999, 0, 10, 30), VNET_E_NOT_FOUND);
    dpu_destroy(dpu, true);
}

static void test_counters(void)
{
    struct dpu *dpu = NULL;
    CHECK_EQ(dpu_create(NULL, &dpu), VNET_OK);
    vnet_fn_spec s = hotplug_spec();
    vnet_fn_info a, b;
    CHECK_EQ(dpu_fn_create(dpu, &s, &a), VNET_OK);
    s.num_queues = 2;
    s.features &= ~(VNET_F_CTRL_VQ | (1ull << 19));
    CHECK_EQ(dpu_fn_create(dpu, &s, &b), VNET_OK);
    uint32_t n = 0;
    CHECK_EQ(dpu_counters_snapshot(dpu, NULL, 0, &n), VNET_OK);
    CHECK_EQ(n, 5);
    vnet_queue_counters *q = calloc(n, sizeof *q);
    CHECK_EQ(dpu_counters_snapshot(dpu, q, n, &n), VNET_OK);
    CHECK_EQ(q[0].handle, a.handle);
    CHECK_EQ(q[2].qid, 2);
    CHECK_EQ(q[3].handle, b.handle);
    CHECK_EQ(q[4].size, 1024);
    CHECK_EQ(q[1].msix_vector, 2);
    CHECK_EQ(q[0].received_desc, 0);
    /* a short buffer gets a prefix and the full count */
    CHECK_EQ(dpu_counters_snapshot(dpu, q, 2, &n), VNET_OK);
    CHECK_EQ(n, 5);
    CHECK_EQ(dpu_counters_snapshot(dpu, NULL, 2, &n), VNET_E_INVALID_ARGUMENT);
    free(q);
    /* before the data path starts there is no socket directory, so no representor of ours */
    uint32_t removed = 7;
    CHECK_EQ(dpu_sweep(dpu, &removed, NULL), VNET_OK);
    CHECK_EQ(removed, 0);
    CHECK_EQ(dpu_sweep(NULL, &removed, NULL), VNET_E_INVALID_ARGUMENT);
    dpu_destroy(dpu, true);
}

static void test_idle_poll(void)
{
    struct dpu *dpu = NULL;
    CHECK_EQ(dpu_create(NULL, &dpu), VNET_OK);
    CHECK_EQ(dpu_set_idle_poll(dpu, 0), VNET_OK);
    CHECK_EQ(dpu_set_idle_poll(dpu, 1000000), VNET_OK);
    CHECK_EQ(dpu_set_idle_poll(dpu, 1000001), VNET_E_INVALID_ARGUMENT);
    CHECK(strstr(dpu_last_error(dpu), "idle poll") != NULL);
    CHECK_EQ(dpu_set_idle_poll(NULL, 10), VNET_E_INVALID_ARGUMENT);
    dpu_destroy(dpu, true);
}

int main(void)
{
    test_idle_poll();
    test_profile();
    test_hotplug_placement();
    test_limits();
    test_static_and_vf();
    test_modify_and_driver();
    test_counters();
    return CHECK_SUMMARY();
}
