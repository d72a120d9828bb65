#include "vhost_msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *vu_request_name(uint32_t r)
{
    switch (r) {
    case VU_GET_FEATURES: return "GET_FEATURES";
    case VU_SET_FEATURES: return "SET_FEATURES";
    case VU_SET_OWNER: return "SET_OWNER";
    case VU_RESET_OWNER: return "RESET_OWNER";
    case VU_SET_MEM_TABLE: return "SET_MEM_TABLE";
    case VU_SET_LOG_BASE: return "SET_LOG_BASE";
    case VU_SET_LOG_FD: return "SET_LOG_FD";
    case VU_SET_VRING_NUM: return "SET_VRING_NUM";
    case VU_SET_VRING_ADDR: return "SET_VRING_ADDR";
    case VU_SET_VRING_BASE: return "SET_VRING_BASE";
    case VU_GET_VRING_BASE: return "GET_VRING_BASE";
    case VU_SET_VRING_KICK: return "SET_VRING_KICK";
    case VU_SET_VRING_CALL: return "SET_VRING_CALL";
    case VU_SET_VRING_ERR: return "SET_VRING_ERR";
    case VU_GET_PROTOCOL_FEATURES: return "GET_PROTOCOL_FEATURES";
    case VU_SET_PROTOCOL_FEATURES: return "SET_PROTOCOL_FEATURES";
    case VU_GET_QUEUE_NUM: return "GET_QUEUE_NUM";
    case VU_SET_VRING_ENABLE: return "SET_VRING_ENABLE";
    case VU_SEND_RARP: return "SEND_RARP";
    case VU_NET_SET_MTU: return "NET_SET_MTU";
    case VU_GET_CONFIG: return "GET_CONFIG";
    case VU_SET_CONFIG: return "SET_CONFIG";
    case VU_SET_STATUS: return "SET_STATUS";
    case VU_GET_STATUS: return "GET_STATUS";
    default: return "UNKNOWN";
    }
}

__attribute__((format(printf, 4, 5))) static int verdict(int v, char *why, size_t n, const char *fmt, ...)
{
    if (why && n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, n, fmt, ap);
        va_end(ap);
    }
    return v;
}

int vu_validate(uint32_t request, uint32_t flags, uint32_t size, const uint8_t *payload, int nfds,
                char *why, size_t n)
{
    const char *name = vu_request_name(request);
    if ((flags & 3u) != VU_VERSION)
        return verdict(VU_MALFORMED, why, n, "%s: protocol version %u, expected 1", name, flags & 3u);
    if (flags & VU_FLAG_REPLY)
        return verdict(VU_MALFORMED, why, n, "%s: a request carries the reply flag", name);
    if (nfds < 0 || nfds > (int)VU_MEM_REGIONS)
        return verdict(VU_MALFORMED, why, n, "%s: %d file descriptors", name, nfds);

    uint32_t want = 0; /* exact payload size, or UINT32_MAX when checked below */
    int want_fds = 0;
    switch (request) {
    case VU_GET_FEATURES:
    case VU_SET_OWNER:
    case VU_RESET_OWNER:
    case VU_GET_PROTOCOL_FEATURES:
    case VU_GET_QUEUE_NUM:
    case VU_GET_STATUS:
        /* no payload; some front-ends send an empty u64 */
        if (size != 0 && size != 8)
            return verdict(VU_MALFORMED, why, n, "%s: payload of %u bytes, expected none", name, size);
        want = size;
        break;
    case VU_SET_FEATURES:
    case VU_SET_PROTOCOL_FEATURES:
    case VU_SEND_RARP:
    case VU_NET_SET_MTU:
    case VU_SET_STATUS:
        want = 8;
        break;
    case VU_SET_VRING_NUM:
    case VU_SET_VRING_BASE:
    case VU_GET_VRING_BASE:
    case VU_SET_VRING_ENABLE:
        want = sizeof(struct vu_state);
        break;
    case VU_SET_VRING_ADDR:
        want = sizeof(struct vu_addr);
        break;
    case VU_SET_LOG_BASE: /* the shared-memory form only (LOG_SHMFD) */
        want = sizeof(struct vu_log);
        want_fds = 1;
        break;
    case VU_SET_VRING_KICK:
    case VU_SET_VRING_CALL:
    case VU_SET_VRING_ERR: {
        want = 8;
        if (size == 8) {
            uint64_t u;
            memcpy(&u, payload, 8);
            want_fds = (u & VU_VRING_NOFD) ? 0 : 1;
        }
        break;
    }
    case VU_SET_MEM_TABLE: {
        if (size < 8)
            return verdict(VU_MALFORMED, why, n, "%s: payload of %u bytes is too short", name, size);
        uint32_t nr;
        memcpy(&nr, payload, 4);
        if (nr == 0 || nr > VU_MEM_REGIONS)
            return verdict(VU_MALFORMED, why, n, "%s: %u regions, expected 1 to %u", name, nr, VU_MEM_REGIONS);
        uint32_t need = 8 + nr * (uint32_t)sizeof(struct vu_region);
        if (size < need || size > sizeof(struct vu_memory))
            return verdict(VU_MALFORMED, why, n, "%s: payload of %u bytes for %u regions", name, size, nr);
        want = size;
        want_fds = (int)nr;
        break;
    }
    case VU_GET_CONFIG:
    case VU_SET_CONFIG: {
        if (size < 12)
            return verdict(VU_MALFORMED, why, n, "%s: payload of %u bytes is too short", name, size);
        uint32_t csize;
        memcpy(&csize, payload + 4, 4);
        if (csize > VU_CONFIG_MAX || size != 12 + csize)
            return verdict(VU_MALFORMED, why, n, "%s: config size %u in a payload of %u bytes", name, csize, size);
        want = size;
        break;
    }
    default:
        return verdict(VU_UNSUPPORTED, why, n, "request %u (%s) is not supported", request, name);
    }
    if (size != want)
        return verdict(VU_MALFORMED, why, n, "%s: payload of %u bytes, expected %u", name, size, want);
    if (nfds != want_fds)
        return verdict(VU_MALFORMED, why, n, "%s: %d file descriptors, expected %d", name, nfds, want_fds);
    return VU_OK;
}
