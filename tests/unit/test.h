/* A minimal unit-test harness: each test_*.c is one binary whose main() runs
 * its TEST functions and prints "N passed, N failed" as its last line. */
#ifndef HALOBOX_TEST_H
#define HALOBOX_TEST_H

#include "util/common.h"

#include <math.h>

extern int test_failures_in_current;
extern const char *test_current_name;

void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int test_run(const char *name, void (*fn)(void));
int test_summary(void);
/* How many entries not starting with '.' a folder has (0 when unreadable). */
size_t test_dir_entries(const char *dir);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                                     \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!str_eq(a_, b_))                                                                       \
            test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,                    \
                      a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                     \
    } while (0)

#define CHECK_U64(a, b)                                                                            \
    do {                                                                                           \
        unsigned long long a_ = (a), b_ = (b);                                                     \
        if (a_ != b_)                                                                              \
            test_fail(__FILE__, __LINE__, "%s == %s: %llu != %llu", #a, #b, a_, b_);               \
    } while (0)

/* Doubles equal to 1e-9 of their size. */
#define CHECK_NEAR(a, b)                                                                           \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (fabs(a_ - b_) > 1e-9 * (fabs(b_) > 1 ? fabs(b_) : 1))                                  \
            test_fail(__FILE__, __LINE__, "%s == %s: %.12g != %.12g", #a, #b, a_, b_);             \
    } while (0)

#define RUN(fn) test_run(#fn, fn)

#endif
