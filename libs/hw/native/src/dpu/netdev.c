#include "netdev.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* The kernel's IFALIASZ (linux/if.h, which net/if.h cannot sit beside). */
#define ALIAS_MAX 256

int netns_open(const char *name)
{
    if (!name || !*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return -EINVAL;
    char path[64 + 256];
    snprintf(path, sizeof path, "/run/netns/%s", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int ns_enter(int nsfd, struct ns_guard *g)
{
    g->saved = -1;
    if (nsfd < 0)
        return 0;
    int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (saved < 0)
        return -errno;
    if (setns(nsfd, CLONE_NEWNET) < 0) {
        int e = errno;
        close(saved);
        return -e;
    }
    g->saved = saved;
    return 0;
}

void ns_leave(struct ns_guard *g)
{
    if (g->saved < 0)
        return;
    if (setns(g->saved, CLONE_NEWNET) < 0) {
        /* The namespace of a thread's start cannot go away while its fd is open. */
        abort();
    }
    close(g->saved);
    g->saved = -1;
}

/* ---- claims ---- */

static int claim_dir(char *out, size_t n)
{
    if ((mkdir("/run/virtnet", 0755) == 0 || errno == EEXIST) &&
        (mkdir("/run/virtnet/representors", 0755) == 0 || errno == EEXIST) &&
        access("/run/virtnet/representors", W_OK | X_OK) == 0) {
        snprintf(out, n, "/run/virtnet/representors");
        return 0;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(out, n, "%s/virtnet-representors-%u", tmp && *tmp ? tmp : "/tmp", (unsigned)getuid());
    if (mkdir(out, 0700) < 0 && errno != EEXIST)
        return -errno;
    struct stat st;
    if (lstat(out, &st) < 0)
        return -errno;
    /* Another user's directory there could hand this DPU a bus it does not hold. */
    if (!S_ISDIR(st.st_mode) || st.st_uid != getuid())
        return -EACCES;
    return 0;
}

/* The owner a claim file names ("" when none). */
static void read_owner(int fd, char *out, size_t n)
{
    ssize_t got = pread(fd, out, n - 1, 0);
    out[got > 0 ? (size_t)got : 0] = '\0';
    out[strcspn(out, "\n")] = '\0';
}

static bool owner_gone(const char *owner)
{
    struct stat st;
    return !*owner || stat(owner, &st) < 0;
}

/* Claim files of namespaces that are gone (ip netns del), none held. */
static void prune(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *dash = strrchr(e->d_name, '-');
        if (e->d_name[0] == '.' || e->d_name[0] == '-' || !dash || strncmp(dash, "-en", 3) != 0)
            continue;
        char ns[256], path[512];
        snprintf(ns, sizeof ns, "/run/netns/%.*s", (int)(dash - e->d_name), e->d_name);
        if (access(ns, F_OK) == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        int f = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (f < 0)
            continue;
        if (flock(f, LOCK_EX | LOCK_NB) == 0)
            unlink(path);
        close(f);
    }
    closedir(d);
}

int rep_claim(const char *ns, const char *owner, unsigned *bus, int *fd, char *note, size_t n)
{
    char dir[256];
    int rc = claim_dir(dir, sizeof dir);
    if (rc < 0) {
        snprintf(note, n, "no directory for representor claims: %s", strerror(-rc));
        return rc;
    }
    prune(dir);
    /* pass 0: this owner's own bus; 1: a bus whose owner is gone; 2: any bus no DPU holds */
    for (int pass = 0; pass < 3; pass++) {
        for (unsigned b = REP_BUS_FIRST; b <= REP_BUS_LAST; b++) {
            char path[sizeof dir + 300];
            snprintf(path, sizeof path, "%s/%s-en%u", dir, *ns ? ns : "-", b);
            int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (f < 0)
                continue;
            if (flock(f, LOCK_EX | LOCK_NB) < 0) {
                close(f); /* a running DPU holds it */
                continue;
            }
            char was[512];
            read_owner(f, was, sizeof was);
            bool take = pass == 0 ? strcmp(was, owner) == 0 : pass == 1 ? owner_gone(was) : true;
            if (!take) {
                close(f);
                continue;
            }
            if (ftruncate(f, 0) < 0 || pwrite(f, owner, strlen(owner), 0) < 0) {
                /* the lock holds the bus; the name only helps the next run */
            }
            if (pass == 2)
                snprintf(note, n, "representor bus %u was last held for %s, which is not running", b, was);
            *bus = b;
            *fd = f;
            return 0;
        }
    }
    snprintf(note, n, "every representor bus (%u to %u) of %s is held by a running DPU", REP_BUS_FIRST, REP_BUS_LAST,
             *ns ? ns : "this machine's namespace");
    return -EBUSY;
}

/* ---- rtnetlink ---- */

struct nl_req {
    struct nlmsghdr h;
    struct ifinfomsg i;
    char attrs[512];
};

static int nl_socket(void)
{
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s < 0)
        return -errno;
    struct timeval tv = {2, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return s;
}

/* An rtnetlink link request: `type` with `flags`, about ifindex (0: every link). */
static void nl_req_init(struct nl_req *r, unsigned short type, unsigned short flags, int ifindex)
{
    memset(r, 0, sizeof *r);
    r->h.nlmsg_len = NLMSG_LENGTH(sizeof r->i);
    r->h.nlmsg_type = type;
    r->h.nlmsg_flags = flags;
    r->h.nlmsg_seq = 1;
    r->i.ifi_family = AF_UNSPEC;
    r->i.ifi_index = ifindex;
}

static void add_attr(struct nl_req *r, unsigned short type, const void *data, size_t len)
{
    struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
    r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

int link_set_alias(const char *ifname, const char *alias)
{
    unsigned idx = if_nametoindex(ifname);
    if (!idx)
        return -ENODEV;
    size_t len = strlen(alias);
    if (len >= ALIAS_MAX || len > 400)
        return -EINVAL;
    struct nl_req r;
    nl_req_init(&r, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, (int)idx);
    add_attr(&r, IFLA_IFALIAS, alias, len);
    int s = nl_socket();
    if (s < 0)
        return s;
    int rc = 0;
    if (send(s, &r, r.h.nlmsg_len, 0) < 0)
        rc = -errno;
    else {
        char buf[1024];
        ssize_t got = recv(s, buf, sizeof buf, 0);
        struct nlmsghdr *h = (struct nlmsghdr *)buf;
        if (got < 0)
            rc = -errno;
        else if (!NLMSG_OK(h, (unsigned)got) || h->nlmsg_type != NLMSG_ERROR)
            rc = -EPROTO;
        else
            rc = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
    }
    close(s);
    return rc;
}

int link_for_each(int (*cb)(const char *name, const char *alias, void *arg), void *arg)
{
    struct nl_req r;
    nl_req_init(&r, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 0);
    int s = nl_socket();
    if (s < 0)
        return s;
    int rc = 0;
    bool stop = false, done = false;
    static __thread char buf[32768];
    if (send(s, &r, r.h.nlmsg_len, 0) < 0)
        rc = -errno;
    while (!rc && !done) {
        ssize_t got = recv(s, buf, sizeof buf, 0);
        if (got < 0) {
            rc = -errno;
            break;
        }
        unsigned left = (unsigned)got;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_type == NLMSG_DONE) {
                done = true;
                break;
            }
            if (h->nlmsg_type == NLMSG_ERROR) {
                rc = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
                rc = rc ? rc : -EPROTO;
                break;
            }
            if (h->nlmsg_type != RTM_NEWLINK || stop)
                continue; /* after a stop, the dump is still read to its end */
            struct ifinfomsg *i = NLMSG_DATA(h);
            int alen = (int)IFLA_PAYLOAD(h);
            char name[IFNAMSIZ] = "", alias[ALIAS_MAX] = "";
            for (struct rtattr *a = IFLA_RTA(i); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
                size_t l = RTA_PAYLOAD(a);
                if (a->rta_type == IFLA_IFNAME && l > 0 && l <= sizeof name)
                    snprintf(name, sizeof name, "%.*s", (int)l, (const char *)RTA_DATA(a));
                else if (a->rta_type == IFLA_IFALIAS && l < sizeof alias)
                    snprintf(alias, sizeof alias, "%.*s", (int)l, (const char *)RTA_DATA(a));
            }
            if (*name && cb(name, alias, arg))
                stop = true;
        }
    }
    close(s);
    return rc;
}

struct one {
    const char *name;
    char *out;
    size_t n;
    bool found;
};

static int match(const char *name, const char *alias, void *arg)
{
    struct one *o = arg;
    if (strcmp(name, o->name))
        return 0;
    snprintf(o->out, o->n, "%s", alias);
    o->found = true;
    return 1;
}

int link_get_alias(const char *ifname, char *out, size_t n)
{
    struct one o = {ifname, out, n, false};
    if (n)
        out[0] = '\0';
    int rc = link_for_each(match, &o);
    return rc ? rc : o.found ? 0 : -ENODEV;
}
