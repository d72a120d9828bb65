/*
 * vhost_msg.h - vhost-user messages (QEMU docs/interop/vhost-user.rst):
 * request codes, payload layouts, and the checks every message passes
 * before any handler sees it. vu_validate is a pure function: it is unit
 * tested and fuzzed on its own.
 */
#ifndef VNET_VHOST_MSG_H
#define VNET_VHOST_MSG_H

#include <stddef.h>
#include <stdint.h>

enum vu_request {
    VU_GET_FEATURES = 1,
    VU_SET_FEATURES = 2,
    VU_SET_OWNER = 3,
    VU_RESET_OWNER = 4,
    VU_SET_MEM_TABLE = 5,
    VU_SET_LOG_BASE = 6,
    VU_SET_LOG_FD = 7,
    VU_SET_VRING_NUM = 8,
    VU_SET_VRING_ADDR = 9,
    VU_SET_VRING_BASE = 10,
    VU_GET_VRING_BASE = 11,
    VU_SET_VRING_KICK = 12,
    VU_SET_VRING_CALL = 13,
    VU_SET_VRING_ERR = 14,
    VU_GET_PROTOCOL_FEATURES = 15,
    VU_SET_PROTOCOL_FEATURES = 16,
    VU_GET_QUEUE_NUM = 17,
    VU_SET_VRING_ENABLE = 18,
    VU_SEND_RARP = 19,
    VU_NET_SET_MTU = 20,
    VU_GET_CONFIG = 24,
    VU_SET_CONFIG = 25,
    VU_SET_STATUS = 39,
    VU_GET_STATUS = 40,
};

#define VU_HDR_SIZE 12u
#define VU_VERSION 1u
#define VU_FLAG_REPLY (1u << 2)
#define VU_FLAG_NEED_REPLY (1u << 3)
#define VU_F_PROTOCOL_FEATURES (1ull << 30)
#define VU_VRING_NOFD (1ull << 8)
#define VU_VRING_IDX_MASK 0xffull

#define VU_PROTO_MQ (1ull << 0)
#define VU_PROTO_LOG_SHMFD (1ull << 1)
#define VU_PROTO_RARP (1ull << 2)
#define VU_PROTO_REPLY_ACK (1ull << 3)
#define VU_PROTO_NET_MTU (1ull << 4)
#define VU_PROTO_CONFIG (1ull << 9)
#define VU_PROTO_STATUS (1ull << 16)

#define VU_MEM_REGIONS 8u
#define VU_CONFIG_MAX 256u

struct vu_state {
    uint32_t index;
    uint32_t num;
};

struct vu_addr {
    uint32_t index;
    uint32_t flags;
    uint64_t desc;
    uint64_t used;
    uint64_t avail;
    uint64_t log;
};

/* SET_LOG_BASE with VHOST_USER_PROTOCOL_F_LOG_SHMFD: the log is mmap_size
 * bytes at mmap_offset in the message's one fd. */
struct vu_log {
    uint64_t mmap_size;
    uint64_t mmap_offset;
};

struct vu_region {
    uint64_t gpa;
    uint64_t size;
    uint64_t uva;
    uint64_t mmap_offset;
};

struct vu_memory {
    uint32_t nregions;
    uint32_t padding;
    struct vu_region regions[VU_MEM_REGIONS];
};

struct vu_config {
    uint32_t offset;
    uint32_t size;
    uint32_t flags;
    uint8_t payload[VU_CONFIG_MAX];
};

enum vu_verdict {
    VU_OK = 0,
    VU_MALFORMED = -1,   /* the connection is closed */
    VU_UNSUPPORTED = 1,  /* refused; the connection goes on */
};

/* Checks a whole message: header flags, payload size for the request, and
 * the number of file descriptors that came with it. */
int vu_validate(uint32_t request, uint32_t flags, uint32_t size, const uint8_t *payload,
                int nfds, char *why, size_t whylen);
const char *vu_request_name(uint32_t request);

#endif
