#include "util/common.h"

#include <errno.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe_helpers.h"

long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool no_children_left(void)
{
    errno = 0;
    return waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD;
}

void fixture_path(struct strbuf *sb, const char *rel)
{
    /* __FILE__ is tests/unit/<this file> as the Makefile passes it. */
    const char *slash = strrchr(__FILE__, '/');
    if (slash)
        strbuf_add(sb, __FILE__, (size_t)(slash - __FILE__ + 1));
    strbuf_addstr(sb, "../fixtures/");
    strbuf_addstr(sb, rel);
}

/* The child inherits these across fork(). */
static const char *child_text;
static int child_exit;

static void child_writes_text(int fd)
{
    size_t len = strlen(child_text);
    if (write(fd, child_text, len) != (ssize_t)len)
        _exit(9);
    if (child_exit)
        _exit(child_exit);
}

int start_child_writing(struct probe_child *c, const char *what, const char *text, int exit_code)
{
    child_text = text;
    child_exit = exit_code;
    return probe_child_start(c, what, child_writes_text);
}
