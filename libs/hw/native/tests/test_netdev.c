/* Unit tests of the representors' name buses (rep_claim) and the netdev
 * calls that need no privilege. Claims go under a namespace key of this
 * process's own, so that the DPUs running on the machine are not touched. */
#include "check.h"
#include "dpu/netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <glob.h>
#include <stdlib.h>
#include <unistd.h>

static char ns[32];

static void mkowner(char *path, size_t n)
{
    snprintf(path, n, "/tmp/vnet-claim-XXXXXX");
    if (!mkdtemp(path))
        abort();
}

static int claim(const char *owner, unsigned *bus, int *fd)
{
    char note[300] = "";
    return rep_claim(ns, owner, bus, fd, note, sizeof note);
}

static void test_claims(void)
{
    char a[64], b[64], c[64], d[64];
    mkowner(a, sizeof a);
    mkowner(b, sizeof b);
    mkowner(c, sizeof c);
    mkowner(d, sizeof d);
    unsigned ba, bb, bc, bd;
    int fa, fb, fc, fd;
    CHECK_EQ(claim(a, &ba, &fa), 0);
    CHECK_EQ(ba, REP_BUS_FIRST);
    CHECK_EQ(claim(b, &bb, &fb), 0);
    CHECK_EQ(bb, REP_BUS_FIRST + 1);

    /* A's DPU stops: its bus is not given to a newcomer while A's home exists... */
    close(fa);
    CHECK_EQ(claim(c, &bc, &fc), 0);
    CHECK_EQ(bc, REP_BUS_FIRST + 2);
    /* ...and A's next DPU takes it back. */
    CHECK_EQ(claim(a, &ba, &fa), 0);
    CHECK_EQ(ba, REP_BUS_FIRST);

    /* C's home is gone: its bus is free for D. */
    close(fc);
    rmdir(c);
    CHECK_EQ(claim(d, &bd, &fd), 0);
    CHECK_EQ(bd, REP_BUS_FIRST + 2);

    /* Every bus held: refused with the reason. */
    int held[REP_BUS_LAST - REP_BUS_FIRST + 1], nheld = 0;
    for (unsigned i = bd + 1; i <= REP_BUS_LAST; i++) {
        char o[64];
        mkowner(o, sizeof o);
        unsigned bus;
        CHECK_EQ(claim(o, &bus, &held[nheld]), 0);
        CHECK_EQ(bus, i);
        nheld++;
        rmdir(o);
    }
    char note[300] = "";
    unsigned bus;
    int f;
    CHECK_EQ(rep_claim(ns, b, &bus, &f, note, sizeof note), -EBUSY); /* B's DPU runs and holds its bus */
    char e[64];
    mkowner(e, sizeof e);
    CHECK_EQ(rep_claim(ns, e, &bus, &f, note, sizeof note), -EBUSY);
    CHECK(strstr(note, "held by a running DPU") != NULL);

    /* With every bus's home alive and none held, the lowest is taken, and the note says whose it was. */
    for (int i = 0; i < nheld; i++)
        close(held[i]);
    close(fa);
    close(fb);
    close(fd);
    CHECK_EQ(rep_claim(ns, e, &bus, &f, note, sizeof note), 0);
    CHECK(bus >= REP_BUS_FIRST && bus <= REP_BUS_LAST);
    close(f);
    rmdir(a);
    rmdir(b);
    rmdir(d);
    rmdir(e);
}

static int count_lo(const char *name, const char *alias, void *arg)
{
    (void)alias;
    if (strcmp(name, "lo") == 0)
        ++*(int *)arg;
    return 0;
}

static void test_netdev_calls(void)
{
    CHECK_EQ(netns_open("a/b"), -EINVAL);
    CHECK_EQ(netns_open(".."), -EINVAL);
    CHECK_EQ(netns_open(""), -EINVAL);
    CHECK_EQ(netns_open("vnet-no-such-namespace"), -ENOENT);
    struct ns_guard g;
    CHECK_EQ(ns_enter(-1, &g), 0); /* the machine's namespace: nothing to do */
    ns_leave(&g);
    int lo = 0;
    CHECK_EQ(link_for_each(count_lo, &lo), 0);
    CHECK_EQ(lo, 1);
    char alias[256];
    CHECK_EQ(link_get_alias("vnet-no-such-netdev", alias, sizeof alias), -ENODEV);
    CHECK_EQ(link_set_alias("vnet-no-such-netdev", "x"), -ENODEV);
}

int main(void)
{
    snprintf(ns, sizeof ns, "test%d", (int)getpid());
    /* Claims of a namespace that does not exist are pruned: stand for one (no namespace is entered). */
    char nsfile[64];
    snprintf(nsfile, sizeof nsfile, "/run/netns/%s", ns);
    mkdir("/run/netns", 0755);
    int nf = open(nsfile, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (nf >= 0)
        close(nf);
    test_claims();
    test_netdev_calls();
    /* The claim files of this run's key. */
    char pattern[128];
    snprintf(pattern, sizeof pattern, "/run/virtnet/representors/%s-en*", ns);
    glob_t gl;
    if (glob(pattern, 0, NULL, &gl) == 0) {
        for (size_t i = 0; i < gl.gl_pathc; i++)
            unlink(gl.gl_pathv[i]);
        globfree(&gl);
    }
    unlink(nsfile);
    return CHECK_SUMMARY();
}
