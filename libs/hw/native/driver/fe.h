/*
 * fe.h - a small vhost-user front-end (the driver side): shared memory from
 * a memfd, split rings in it, feature negotiation, TX and RX. The tests use
 * it to drive devices like a host would, and to misbehave on purpose.
 */
#ifndef VNET_FE_H
#define VNET_FE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_ring.h>

#define FE_MAX_QUEUES 16
#define FE_BUF_SIZE 2048u

struct fe_ring {
    uint16_t num;
    struct vring_desc *desc;
    uint16_t *avail;
    uint16_t *used;
    uint16_t avail_idx;
    uint16_t last_used;
    uint16_t next_desc;
    int kick;
    int call;
    uint64_t desc_off, avail_off, used_off, buf_off;
};

struct fe {
    int sock;
    int memfd;
    uint8_t *mem;
    size_t mem_size;
    uint64_t gpa_base;
    uint64_t features;
    uint64_t protocol_features;
    int nq;
    /* Skip the kick while the device asks for none (VRING_USED_F_NO_NOTIFY),
     * as a virtio driver does (virtio 1.2, 2.7.7.2). Off: every send kicks,
     * which tests counting kicks rely on. */
    bool honor_no_notify;
    struct fe_ring r[FE_MAX_QUEUES];
};

/* An unconnected front-end with no fds (fe_close on it is harmless). */
void fe_init(struct fe *f);
int fe_connect(struct fe *f, const char *path);
/* Server side (the back-end connects): listen at path / accept one back-end. */
int fe_listen(const char *path);
int fe_accept(struct fe *f, int listen_fd, int timeout_ms);
/* Sends a request; when reply is non-NULL, waits for the reply payload.
 * Returns 0, or -1 when the back-end closed the connection or failed. */
int fe_request(struct fe *f, uint32_t req, uint32_t flags, const void *payload, uint32_t size,
               const int *fds, int nfds, void *reply, uint32_t reply_size);
/* Features, protocol features (REPLY_ACK among them when offered) and
 * ownership: the start of every session, without memory or rings. */
int fe_negotiate(struct fe *f, uint64_t features);
/* Negotiates `features` (masked by what the device offers) and starts `nq`
 * rings of `qsize` entries. */
int fe_setup(struct fe *f, uint64_t features, int nq, uint16_t qsize);
/* After the back-end went away: connects again and hands over the same
 * memory and rings, where the driver left them (no re-probe). */
int fe_reconnect(struct fe *f, const char *path);
/* Posts one TX chain (a zero virtio-net header then the frame) and kicks. */
int fe_send(struct fe *f, int q, const void *frame, size_t len);
/* Posts `n` receive buffers of FE_BUF_SIZE bytes and kicks. */
int fe_post_rx(struct fe *f, int q, int n);
/* Takes one used entry; returns its length, or -1 when none came within
 * timeout_ms. The buffer's contents are copied to out (up to cap bytes). */
int fe_take_used(struct fe *f, int q, void *out, size_t cap, int timeout_ms);
/* Chains lent to the device and not given back yet. */
uint16_t fe_inflight(const struct fe *f, int q);
/* Takes every used entry of a queue without waiting; returns how many. For
 * an RX queue, `bytes` (may be NULL) gets the frame bytes received and the
 * buffers are posted again. */
int fe_reap(struct fe *f, int q, uint64_t *bytes);
/*
 * Live migration, as QEMU's vhost does it: fe_set_log hands the device a
 * dirty log (SET_LOG_BASE with LOG_SHMFD: `size` bytes at `offset` in fd)
 * and waits for its reply; fe_log turns logging on or off (SET_FEATURES
 * with or without VHOST_F_LOG_ALL, then each ring's addresses again with
 * or without VHOST_VRING_F_LOG and its used ring's guest address);
 * fe_stop stops a ring (GET_VRING_BASE) and gets where it stopped. Each
 * returns 0, or -1 when the device refused or closed the connection.
 */
int fe_set_log(struct fe *f, int fd, uint64_t size, uint64_t offset);
int fe_log(struct fe *f, bool on);
int fe_stop(struct fe *f, int q, uint32_t *base);
/* Writes the status register (SET_STATUS) when the device speaks it. */
int fe_set_status(struct fe *f, uint8_t status);
/* Guest-physical address of a byte of the shared memory. */
uint64_t fe_gpa(const struct fe *f, const void *p);
void fe_close(struct fe *f);

#endif
