#include "util/common.h"

#include <dirent.h>
#include <stdarg.h>

#include "test.h"

int test_failures_in_current;
const char *test_current_name;
static int passed, failed;

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "FAIL %s (%s:%d): ", test_current_name, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    test_failures_in_current++;
}

int test_run(const char *name, void (*fn)(void))
{
    test_current_name = name;
    test_failures_in_current = 0;
    fn();
    if (test_failures_in_current) {
        failed++;
        printf("not ok - %s\n", name);
    } else {
        passed++;
        printf("ok - %s\n", name);
    }
    return test_failures_in_current;
}

int test_summary(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

size_t test_dir_entries(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}
