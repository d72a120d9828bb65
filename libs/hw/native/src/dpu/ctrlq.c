#include "ctrlq.h"
#include "debug.h"
#include "notify.h"

#include <linux/virtio_net.h>
#include <string.h>

#define BURST 64
#define MAX_COMMAND 256

static uint8_t command(struct dev *d, const uint8_t *cmd, size_t len)
{
    if (len < 2)
        return VIRTIO_NET_ERR;
    uint8_t cls = cmd[0], op = cmd[1];
    const uint8_t *data = cmd + 2;
    size_t dlen = len - 2;
    switch (cls) {
    case VIRTIO_NET_CTRL_RX:
        return op <= VIRTIO_NET_CTRL_RX_NOBCAST && dlen >= 1 ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
    case VIRTIO_NET_CTRL_MAC:
        if (op == VIRTIO_NET_CTRL_MAC_ADDR_SET)
            return dlen == 6 ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
        return op == VIRTIO_NET_CTRL_MAC_TABLE_SET ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
    case VIRTIO_NET_CTRL_VLAN:
        return op <= VIRTIO_NET_CTRL_VLAN_DEL && dlen == 2 ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
    case VIRTIO_NET_CTRL_ANNOUNCE:
        return op == VIRTIO_NET_CTRL_ANNOUNCE_ACK ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
    case VIRTIO_NET_CTRL_MQ:
        if (op == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET && dlen == 2) {
            uint16_t pairs = (uint16_t)(data[0] | (data[1] << 8));
            pthread_mutex_lock(&d->cfg);
            uint16_t max = d->max_pairs;
            pthread_mutex_unlock(&d->cfg);
            return pairs >= VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN && pairs <= max ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
        }
        return VIRTIO_NET_ERR;
    default:
        return VIRTIO_NET_ERR;
    }
}

unsigned ctrlq_burst(struct dev *d, struct vq *q)
{
    unsigned done = 0;
    while (done < BURST) {
        struct chain c;
        int r = ring_take(&q->ring, &d->mem, &c);
        if (r == RING_EMPTY)
            break;
        if (r == RING_E_HEAD) {
            vq_note_broken(q);
            q->broken = true;
            CNT_SET(q->c->broken, 1);
            CNT_ADD(q->c->bad_desc_errors, 1);
            dev_needs_reset(d);
            break;
        }
        CNT_ADD(q->c->received_desc, c.ndesc);
        CNT_ADD(q->c->completed_desc, c.ndesc);
        done++;
        if (r < 0 || !c.nout || !c.nin) {
            CNT_ADD(q->c->bad_desc_errors, 1);
            if (r < 0)
                vq_note_chain(q, c.id, r);
            else
                vq_note_error(q, c.id, VNET_DESC_E_DESCRIPTOR, "a control command needs readable and writable buffers");
            ring_give(&q->ring, &c, 0);
            continue;
        }
        uint8_t cmd[MAX_COMMAND];
        size_t len = 0;
        for (int s = 0; s < c.nout && len < sizeof cmd; s++) {
            size_t step = c.iov[s].iov_len < sizeof cmd - len ? c.iov[s].iov_len : sizeof cmd - len;
            memcpy(cmd + len, c.iov[s].iov_base, step);
            len += step;
        }
        *(uint8_t *)c.iov[c.nout].iov_base = command(d, cmd, len);
        if (q->ring.log) {
            struct dirty_batch lb;
            dirty_batch_init(&lb, q->ring.log);
            dirty_batch_host(&lb, &d->mem, c.iov[c.nout].iov_base, 1);
            dirty_batch_flush(&lb);
        }
        CNT_ADD(q->c->packets, 1);
        CNT_ADD(q->c->total_bytes, len);
        ring_give(&q->ring, &c, 1);
    }
    notify_completed(q, done);
    CNT_SET(q->c->hw_available_index, q->ring.last_avail);
    return done;
}
