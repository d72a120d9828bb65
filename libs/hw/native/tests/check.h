/* Minimal assertion helpers for the C unit tests: each failed check prints
 * where and why, and the process exits non-zero at the end. */
#ifndef VNET_CHECK_H
#define VNET_CHECK_H
#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        check_count++;                                                                 \
        if (!(cond)) {                                                                 \
            check_failures++;                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                              \
    } while (0)

#define CHECK_EQ(a, b)                                                                 \
    do {                                                                               \
        long long va_ = (long long)(a), vb_ = (long long)(b);                          \
        check_count++;                                                                 \
        if (va_ != vb_) {                                                              \
            check_failures++;                                                          \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n",          \
                    __FILE__, __LINE__, #a, va_, #b, vb_);                             \
        }                                                                              \
    } while (0)

#define CHECK_STR(a, b)                                                                \
    do {                                                                               \
        check_count++;                                                                 \
        if (strcmp((a), (b)) != 0) {                                                   \
            check_failures++;                                                          \
            fprintf(stderr, "%s:%d: CHECK_STR failed: \"%s\" != \"%s\"\n", __FILE__,     \
                    __LINE__, (a), (b));                                               \
        }                                                                              \
    } while (0)

#define CHECK_SUMMARY()                                                                \
    (printf("%d passed, %d failed\n", check_count - check_failures, check_failures),   \
     check_failures ? 1 : 0)

#endif
