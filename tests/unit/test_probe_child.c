/* probe_child_start/finish: the sandbox the Vulkan and HIP probes run in.
 * Each case is a child misbehaving the way a driver can (hang, crash, exit
 * with an error, flood the pipe, print to our stdout), and each checks both
 * the reported reason and that nothing is left behind: no zombie, no fd. */
#include "util/common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/probe.h"
#include "probe_helpers.h"
#include "test.h"

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* Runs fn in a probe child and collects it, checking for leftovers. */
static int run(void (*fn)(int), int timeout_ms, struct strbuf *out, struct strbuf *why,
               long long *elapsed)
{
    int fds_before = count_fds();
    struct probe_child c;
    long long t0 = now_ms();
    CHECK(probe_child_start(&c, "test", fn) == 0);
    CHECK(c.pid > 0);
    int rc = probe_child_finish(&c, timeout_ms, out, why);
    if (elapsed)
        *elapsed = now_ms() - t0;
    CHECK(c.pid == 0);
    CHECK(c.fd == -1);
    CHECK(no_children_left());
    CHECK(count_fds() == fds_before);
    return rc;
}

static void child_writes(int fd)
{
    static const char msg[] = "{\"hello\": 1}\n";
    if (write(fd, msg, sizeof(msg) - 1) < 0)
        _exit(9);
}

static void test_output(void)
{
    cleanup_strbuf struct strbuf out = STRBUF_INIT;
    cleanup_strbuf struct strbuf why = STRBUF_INIT;
    CHECK(run(child_writes, 5000, &out, &why, NULL) == 0);
    CHECK_STR(out.buf, "{\"hello\": 1}\n");
    CHECK_U64(why.len, 0);
}

static void child_sleeps(int fd)
{
    (void)fd;
    sleep(30);
}

static void test_timeout(void)
{
    cleanup_strbuf struct strbuf out = STRBUF_INIT;
    cleanup_strbuf struct strbuf why = STRBUF_INIT;
    long long ms;
    CHECK(run(child_sleeps, 300, &out, &why, &ms) == -1);
    CHECK_STR(why.buf, "timed out after 300 ms");
    CHECK(ms >= 300);
    CHECK(ms < 1500);
}

/* EOF is not the end: a child can close the pipe and then hang. */
static void child_closes_then_sleeps(int fd)
{
    close(fd);
    sleep(30);
}

static void test_closed_pipe_then_hang(void)
{
    cleanup_strbuf struct strbuf out = STRBUF_INIT;
    cleanup_strbuf struct strbuf why = STRBUF_INIT;
    long long ms;
    CHECK(run(child_closes_then_sleeps, 300, &out, &why, &ms) == -1);
    CHECK_STR(why.buf, "timed out after 300 ms");
    CHECK(ms < 1500);
}

static void child_segv(int fd)
{
    child_writes(fd);
    raise(SIGSEGV);
}

static void test_crash(void)
{
    cleanup_strbuf struct strbuf out = STRBUF_INIT;
    cleanup_strbuf struct strbuf why = STRBUF_INIT;
    CHECK(run(child_segv, 5000, &out, &why, NULL) == -1);
    CHECK_STR(why.buf, "killed by signal 11");
    /* What it wrote before dying is still handed over. */
    CHECK_STR(out.buf, "{\"hello\": 1}\n");
}

static void parent_segv_handler(int sig)
{
    (void)sig;
    _exit(42);
}

/* The launcher's (or a sanitizer's) SIGSEGV handler must not turn a crash
 * in a driver into an ordinary exit. */
static void test_crash_with_parent_handler(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = parent_segv_handler;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGSEGV, &sa, &old) == 0);
    cleanup_strbuf struct strbuf out = STRBUF_INIT;
    cleanup_strbuf struct strbuf why = STRBUF_INIT;
    CHECK(run(child_segv, 5000, &out, &why, NULL) == -1);
    sigaction(SIGSEGV, &old, NULL);
    CHECK_STR(why.buf, "killed by signal 11");
}

static void child_exits_3(int fd)
{
    (void)fd;
    _exit(3);
}

static void test_exit_status(void)
{
    cleanup_strbuf struct strbuf out = STRBUF_INIT;
    cleanup_strbuf struct strbuf why = STRBUF_INIT;
    CHECK(run(child_exits_3, 5000, &out, &why, NULL) == -1);
    CHECK_STR(why.buf, "exited with status 3");
    CHECK_U64(out.len, 0);
}

static void child_floods(int fd)
{
    static char buf[65536];
    memset(buf, 'x', sizeof(buf));
    for (;;)
        if (write(fd, buf, sizeof(buf)) < 0)
            _exit(0);
}

static void test_output_cap(void)
{
    cleanup_strbuf struct strbuf out = STRBUF_INIT;
    cleanup_strbuf struct strbuf why = STRBUF_INIT;
    long long ms;
    CHECK(run(child_floods, 5000, &out, &why, &ms) == -1);
    CHECK_STR(why.buf, "output exceeds 1048576 bytes");
    CHECK_U64(out.len, 1024 * 1024);
    /* Stopped at the cap, not at the deadline. */
    CHECK(ms < 2500);
}

static void child_prints(int fd)
{
    (void)fd;
    /* What an ICD does: noise on both standard streams. */
    if (write(STDOUT_FILENO, "to-stdout\n", 10) < 0 || write(STDERR_FILENO, "to-stderr\n", 10) < 0)
        _exit(7);
}

/* Runs child_prints with our stdout and stderr pointing at a file and
 * returns what reached it. */
static void capture_child_noise(struct strbuf *seen)
{
    char path[] = "/tmp/halobox-test-noise-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    cleanup_strbuf struct strbuf out = STRBUF_INIT;
    cleanup_strbuf struct strbuf why = STRBUF_INIT;
    struct probe_child c;
    int rc = probe_child_start(&c, "test", child_prints);
    if (rc == 0)
        rc = probe_child_finish(&c, 5000, &out, &why);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);
    CHECK(rc == 0);
    char buf[256];
    ssize_t n = pread(fd, buf, sizeof(buf), 0);
    if (n > 0)
        strbuf_add(seen, buf, (size_t)n);
    close(fd);
    unlink(path);
}

static void test_noise_silenced(void)
{
    cleanup_strbuf struct strbuf seen = STRBUF_INIT;
    unsetenv("HALOBOX_DEBUG");
    capture_child_noise(&seen);
    CHECK_STR(seen.buf, "");
    CHECK(no_children_left());
}

static void test_noise_debug_keeps_stderr(void)
{
    cleanup_strbuf struct strbuf seen = STRBUF_INIT;
    setenv("HALOBOX_DEBUG", "1", 1);
    capture_child_noise(&seen);
    unsetenv("HALOBOX_DEBUG");
    /* stdout may be the launcher's JSON: never the child's, even then. */
    CHECK_STR(seen.buf, "to-stderr\n");
}

static void test_not_started(void)
{
    struct probe_child c = {.pid = 0, .fd = -1, .what = "test"};
    cleanup_strbuf struct strbuf out = STRBUF_INIT;
    cleanup_strbuf struct strbuf why = STRBUF_INIT;
    CHECK(probe_child_finish(&c, 100, &out, &why) == -1);
    CHECK_STR(why.buf, "not started");
}

/* Two probes at once, collected in the opposite order, as probe_all does. */
static void child_writes_a(int fd)
{
    if (write(fd, "a", 1) < 0)
        _exit(9);
}

static void test_two_children(void)
{
    int fds_before = count_fds();
    struct probe_child a, b;
    CHECK(probe_child_start(&a, "a", child_writes_a) == 0);
    CHECK(probe_child_start(&b, "b", child_writes) == 0);
    cleanup_strbuf struct strbuf out = STRBUF_INIT;
    cleanup_strbuf struct strbuf why = STRBUF_INIT;
    CHECK(probe_child_finish(&b, 5000, &out, &why) == 0);
    CHECK_STR(out.buf, "{\"hello\": 1}\n");
    CHECK(probe_child_finish(&a, 5000, &out, &why) == 0);
    CHECK_STR(out.buf, "a");
    CHECK(no_children_left());
    CHECK(count_fds() == fds_before);
}

static void test_timeout_env(void)
{
    static const struct {
        const char *value;
        int want;
    } cases[] = {
        {NULL, 5000},       {"1500", 1500},   {"1", 1},
        {"600000", 600000}, {"600001", 5000}, {"0", 5000},
        {"", 5000},         {"-5", 5000},     {"12ab", 5000},
        {" 100", 5000},     {"+100", 5000},   {"99999999999", 5000},
        {"0100", 100},      {"1e3", 5000},    {"4294967296", 5000},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        if (cases[i].value)
            setenv("HALOBOX_PROBE_TIMEOUT_MS", cases[i].value, 1);
        else
            unsetenv("HALOBOX_PROBE_TIMEOUT_MS");
        int got = probe_timeout_ms();
        if (got != cases[i].want)
            test_fail(__FILE__, __LINE__, "HALOBOX_PROBE_TIMEOUT_MS=%s: %d, want %d",
                      cases[i].value ? cases[i].value : "(unset)", got, cases[i].want);
    }
    unsetenv("HALOBOX_PROBE_TIMEOUT_MS");
}

int main(void)
{
    RUN(test_output);
    RUN(test_timeout);
    RUN(test_closed_pipe_then_hang);
    RUN(test_crash);
    RUN(test_crash_with_parent_handler);
    RUN(test_exit_status);
    RUN(test_output_cap);
    RUN(test_noise_silenced);
    RUN(test_noise_debug_keeps_stderr);
    RUN(test_not_started);
    RUN(test_two_children);
    RUN(test_timeout_env);
    return test_summary();
}
