/* libFuzzer target: the vhost-user message checks. Input: a 12-byte header,
 * then the payload; the fd count comes from the first input byte. */
#include "vhost_msg.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 13)
        return 0;
    uint32_t hdr[3];
    memcpy(hdr, data + 1, sizeof hdr);
    const uint8_t *payload = data + 13;
    size_t avail = size - 13;
    /* The reader never hands over more payload than the header announced
     * and it received; mirror that. */
    if (hdr[2] > avail || hdr[2] > 512)
        return 0;
    char why[128];
    int v = vu_validate(hdr[0], hdr[1], hdr[2], payload, data[0] % 10, why, sizeof why);
    if (v != VU_OK && v != VU_MALFORMED && v != VU_UNSUPPORTED)
        __builtin_trap();
    return 0;
}
