#ifndef VNET_DPU_NETDEV_H
#define VNET_DPU_NETDEV_H
/*
 * The representors' netdevs: the network namespace they live in, the name
 * prefix this DPU holds among the DPUs of one machine, and each netdev's
 * alias (the owner's tag) read and written over rtnetlink, which works in
 * any namespace (sysfs shows only the namespace it was mounted in).
 *
 * Representors are named en<bus>f<port>pf<pf>sf<sfnum> as on a BlueField's
 * Arm (bus 3 for the first DPU). Two DPUs on one machine with no namespace
 * of their own would name theirs alike; each DPU therefore holds one bus
 * number of its namespace for its lifetime: a claim file per bus under
 * /run/virtnet/representors (or the temporary directory's
 * virtnet-representors-<uid> where /run is not writable), locked with flock
 * while the DPU runs and naming the owner's socket directory, so that a DPU
 * restarted for the same home takes its own bus back and a new one never
 * takes a bus whose home still exists.
 */
#include <stddef.h>

/* Buses 3 to 9: a one-digit bus keeps en<bus>f<port>pf<pf>sf<99999> within
 * a netdev name's 15 characters. */
#define REP_BUS_FIRST 3u
#define REP_BUS_LAST 9u

/* An open /run/netns/<name> (ip-netns(8)), or -errno. */
int netns_open(const char *name);

/* The calling thread moves into namespace nsfd (nothing when nsfd < 0) and
 * back with ns_leave. 0 or -errno (the thread did not move). */
struct ns_guard {
    int saved;
};
int ns_enter(int nsfd, struct ns_guard *g);
void ns_leave(struct ns_guard *g);

/*
 * Holds a bus for `owner` (a socket directory) in namespace `ns` ("" for
 * the machine's own): its own bus of an earlier run first, else the lowest
 * bus no one holds or whose owner's directory is gone, else the lowest no
 * running DPU holds. *bus and *fd (the lock, held until closed) on
 * success; -errno, with `note` saying why, when no claim directory can be
 * made or every bus is held.
 */
int rep_claim(const char *ns, const char *owner, unsigned *bus, int *fd, char *note, size_t n);

/* Sets the alias of netdev `ifname` in the calling thread's namespace. */
int link_set_alias(const char *ifname, const char *alias);
/* Reads it into out (n bytes; "" when unset). 0, or -ENODEV when there is no such netdev. */
int link_get_alias(const char *ifname, char *out, size_t n);
/* Calls cb for every netdev of the calling thread's namespace; stops at
 * cb's first non-zero answer. 0 or -errno. */
int link_for_each(int (*cb)(const char *name, const char *alias, void *arg), void *arg);

#endif
