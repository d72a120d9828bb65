#include "counters.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int counters_create(struct counters *c, uint32_t positions, uint32_t queues_per_fn)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    size_t size = shm_size(positions, queues_per_fn);
    int fd = memfd_create("vnet-counters", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -errno;
    if (ftruncate(fd, (off_t)size)) {
        int e = errno;
        close(fd);
        return -e;
    }
    /* Clients may map it; nobody may resize it under them. */
    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        close(fd);
        return -e;
    }
    c->fd = fd;
    c->base = p;
    c->size = size;
    c->hdr = p;
    c->dir = (struct shm_fn *)(void *)(c->base + shm_dir_offset());
    c->slots = (vnet_queue_counters *)(void *)(c->base + shm_slots_offset(positions));
    c->hdr->magic = SHM_MAGIC;
    c->hdr->version = SHM_VERSION;
    c->hdr->nfns = positions;
    c->hdr->queues_per_fn = queues_per_fn;
    c->hdr->size = size;
    c->hdr->dir_offset = (uint32_t)shm_dir_offset();
    c->hdr->slots_offset = (uint32_t)shm_slots_offset(positions);
    c->hdr->slot_size = (uint32_t)sizeof(vnet_queue_counters);
    return 0;
}

void counters_destroy(struct counters *c)
{
    if (c->base)
        munmap(c->base, c->size);
    if (c->fd >= 0)
        close(c->fd);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

vnet_queue_counters *counters_claim(struct counters *c, uint32_t pos)
{
    vnet_queue_counters *s = &c->slots[(size_t)pos * c->hdr->queues_per_fn];
    memset(s, 0, sizeof *s * c->hdr->queues_per_fn);
    return s;
}

void counters_publish(struct counters *c, uint32_t pos, uint32_t handle, uint16_t nq)
{
    c->dir[pos].nq = nq;
    __atomic_store_n(&c->dir[pos].handle, handle, __ATOMIC_RELEASE);
}

void counters_release(struct counters *c, uint32_t pos) { __atomic_store_n(&c->dir[pos].handle, 0, __ATOMIC_RELEASE); }

void counters_heartbeat(struct counters *c)
{
    uint32_t now = shm_now_ms();
    __atomic_store_n(&c->hdr->heartbeat_ms, now ? now : 1u, __ATOMIC_RELEASE);
}
