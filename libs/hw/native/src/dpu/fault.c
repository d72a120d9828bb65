#include "fault.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* 2080 functions (the largest profile) with 8 regions each. */
#define SLOTS 16640

struct slot {
    _Atomic uintptr_t base; /* 0: free */
    _Atomic size_t len;
    _Atomic(_Atomic uint32_t *) faults;
};

static struct slot slots[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint64_t total;
static _Atomic bool installed;
static struct sigaction previous;

static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
    uintptr_t addr = (uintptr_t)si->si_addr;
    for (int i = 0; i < SLOTS; i++) {
        uintptr_t base = atomic_load_explicit(&slots[i].base, memory_order_acquire);
        if (!base || addr < base || addr - base >= atomic_load_explicit(&slots[i].len, memory_order_relaxed))
            continue;
        long page = sysconf(_SC_PAGESIZE);
        void *at = (void *)(addr & ~((uintptr_t)page - 1));
        /* mmap is a plain system call: safe here in practice, though not
         * on POSIX's async-signal-safe list. */
        if (mmap(at, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
            break;
        _Atomic uint32_t *f = atomic_load_explicit(&slots[i].faults, memory_order_relaxed);
        if (f)
            atomic_fetch_add(f, 1);
        atomic_fetch_add(&total, 1);
        return;
    }
    /* Not guest memory: a real crash. Let the previous disposition act. */
    if (previous.sa_flags & SA_SIGINFO && previous.sa_sigaction) {
        previous.sa_sigaction(sig, si, uctx);
        return;
    }
    signal(sig, previous.sa_handler == SIG_IGN ? SIG_DFL : previous.sa_handler);
    raise(sig);
}

int fault_install(void)
{
    if (atomic_exchange(&installed, true))
        return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, &previous)) {
        atomic_store(&installed, false);
        return -errno;
    }
    return 0;
}

int fault_register(void *base, size_t len, _Atomic uint32_t *faults)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < SLOTS; i++) {
        if (atomic_load_explicit(&slots[i].base, memory_order_relaxed))
            continue;
        atomic_store_explicit(&slots[i].len, len, memory_order_relaxed);
        atomic_store_explicit(&slots[i].faults, faults, memory_order_relaxed);
        atomic_store_explicit(&slots[i].base, (uintptr_t)base, memory_order_release);
        pthread_mutex_unlock(&lock);
        return i;
    }
    pthread_mutex_unlock(&lock);
    return -ENOSPC;
}

void fault_unregister(int id)
{
    if (id < 0 || id >= SLOTS)
        return;
    atomic_store_explicit(&slots[id].base, 0, memory_order_release);
}

uint64_t fault_total(void) { return atomic_load(&total); }
