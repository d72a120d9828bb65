/*
 * ctl.h - the control channel between libvnet and the DPU process: a unix
 * stream socket carrying one request and one reply at a time, each a fixed
 * header and a payload of the ABI structs (vnet_abi.h). HELLO and
 * PROVISION replies carry the counters segment's fd (SCM_RIGHTS).
 *
 * Both ends come from one build: HELLO compares the ABI version and every
 * struct size, and a peer that differs is refused.
 */
#ifndef VNET_PROTO_CTL_H
#define VNET_PROTO_CTL_H

#include "vnet_abi.h"

#include <stddef.h>
#include <stdint.h>

#define CTL_MAGIC 0x54434e56u /* "VNCT" */
#define CTL_F_REPLY 1u
/* A request is small; a reply may hold every function's info. */
#define CTL_MAX_REQUEST 4096u
#define CTL_MAX_REPLY (16u << 20)
#define CTL_ABI_STRUCTS 7u

enum ctl_op {
    CTL_HELLO = 1,          /* ctl_hello -> vnet_dpu_state (+ segment fd when provisioned) */
    CTL_PROVISION = 2,      /* ctl_provision -> vnet_dpu_state + segment fd */
    CTL_STATE = 3,          /* - -> vnet_dpu_state */
    CTL_SHUTDOWN = 4,       /* - -> -, then the process exits */
    CTL_FN_CREATE = 5,      /* vnet_fn_spec -> vnet_fn_info */
    CTL_FN_DESTROY = 6,     /* ctl_args{handle} -> - */
    CTL_FN_MODIFY = 7,      /* ctl_modify -> vnet_fn_info */
    CTL_FN_MODERATION = 8,  /* ctl_args{handle, mode, period_us, max_count} -> - */
    CTL_FN_QUERY = 9,       /* ctl_args{handle} -> vnet_fn_info */
    CTL_FN_LIST = 10,       /* - -> vnet_fn_info[] */
    CTL_IDLE_POLL = 11,     /* ctl_args{a = us} -> - */
    CTL_FN_BACKEND = 12,    /* ctl_args{handle, mode, gen_size} -> - */
    CTL_SWEEP = 13,         /* - -> ctl_args{a = representors, b = sockets} */
    CTL_DRIVER_STATUS = 14, /* ctl_args{handle, status} -> - */
    CTL_DRIVER_FEATURES = 15, /* ctl_value{handle, features} -> - */
    CTL_QUEUE_DEBUG = 16,   /* ctl_args{handle} -> vnet_queue_debug[] */
    CTL_CAPTURE_START = 17, /* ctl_args{handle, a = qid or 0xffffffff, b = count, c = snaplen} -> ctl_args{handle = id} */
    CTL_CAPTURE_READ = 18,  /* ctl_args{handle = id, a = max bytes} -> vnet_capture_state + records */
    CTL_CAPTURE_STOP = 19,  /* ctl_args{handle = id} -> - */
};

struct ctl_hdr {
    uint32_t magic;
    uint16_t op;
    uint16_t flags;
    uint32_t seq;
    int32_t rc;   /* replies: 0 or a vnet_err; the payload is then the message */
    uint32_t len; /* payload bytes after the header */
    uint32_t reserved;
};

struct ctl_hello {
    uint32_t abi_version;
    uint32_t sizes[CTL_ABI_STRUCTS];
};

struct ctl_provision {
    vnet_profile profile;
    vnet_start_params params;
};

struct ctl_args {
    uint32_t handle;
    uint32_t a, b, c;
};

struct ctl_modify {
    uint32_t handle;
    uint32_t reserved;
    vnet_fn_mod mod;
};

struct ctl_value {
    uint32_t handle;
    uint32_t reserved;
    uint64_t value;
};

/* sizeof of the ABI structs in vnet_abi_struct_size() order. */
void ctl_abi_sizes(uint32_t sizes[CTL_ABI_STRUCTS]);
const char *ctl_op_name(uint32_t op);

/*
 * Sends a whole message (header, payload, and pass_fd when >= 0), waiting
 * at most timeout_ms for the socket to take it. 0, or -errno (-ETIMEDOUT).
 */
int ctl_send(int sock, const struct ctl_hdr *h, const void *payload, int pass_fd, int timeout_ms);

/*
 * Receives a whole message within timeout_ms. The payload is malloc'ed
 * (*payload NULL for an empty one; the caller frees it); a passed fd lands
 * in *got_fd (-1 without one; got_fd NULL closes any). A header with the
 * wrong magic or a payload over max_len is -EPROTO, a closed peer -EPIPE.
 */
int ctl_recv(int sock, struct ctl_hdr *h, void **payload, uint32_t max_len, int *got_fd, int timeout_ms);

#endif
