/* Child processes for the probes that load foreign libraries (Vulkan ICDs,
 * the HIP runtime). Those libraries can hang in the kernel driver, crash, or
 * print to our stdout; in a child they can do none of that to the launcher,
 * and the parent only ever reads a bounded amount of text from a pipe. */
#include "util/common.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/probe.h"

#define PROBE_TIMEOUT_DEFAULT_MS 5000
#define PROBE_TIMEOUT_MAX_MS     600000
#define PROBE_OUTPUT_MAX         (1024 * 1024)
/* How long to wait for a SIGKILLed child to be reaped. A process stuck in
 * uninterruptible sleep inside a GPU driver cannot die; we would rather
 * leave it behind than hang with it. */
#define PROBE_REAP_GRACE_MS 1000

int probe_timeout_ms(void)
{
    const char *s = getenv("HALOBOX_PROBE_TIMEOUT_MS");
    if (!s || !*s || strlen(s) > 6)
        return PROBE_TIMEOUT_DEFAULT_MS;
    long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return PROBE_TIMEOUT_DEFAULT_MS;
        v = v * 10 + (*p - '0');
    }
    if (v < 1 || v > PROBE_TIMEOUT_MAX_MS)
        return PROBE_TIMEOUT_DEFAULT_MS;
    return (int)v;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void redirect(int fd, const char *path, int flags)
{
    int n = open(path, flags | O_CLOEXEC);
    if (n < 0)
        return;
    if (n != fd) {
        dup2(n, fd);
        close(n);
    } else {
        fcntl(fd, F_SETFD, 0); /* a standard stream stays open across exec */
    }
}

/* Runs in the child only: nothing here may return to the caller's code. */
static void __attribute__((noreturn)) child_main(pid_t parent, int write_fd, void (*fn)(int out_fd))
{
    /* The parent's handlers (a sanitizer's SIGSEGV handler, the launcher's
     * SIGINT cleanup) must not run here: a crash in a driver should look
     * like a crash to the parent, and SIGPIPE after the parent gave up
     * reading should end the child. */
    static const int sigs[] = {SIGSEGV, SIGBUS,  SIGFPE, SIGILL,  SIGABRT, SIGTRAP,
                               SIGSYS,  SIGPIPE, SIGINT, SIGTERM, SIGHUP,  SIGQUIT};
    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
        signal(sigs[i], SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* A hung probe must not outlive a launcher that was killed. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(125); /* the parent died before prctl took effect */

    /* Keep the result pipe clear of the standard descriptors we replace. */
    if (write_fd <= STDERR_FILENO) {
        int moved = fcntl(write_fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        if (moved < 0)
            _exit(126);
        write_fd = moved;
    }
    /* Our stdout may be the launcher's JSON output; drivers print there and
     * to stderr. Keep stderr only when debugging. */
    redirect(STDIN_FILENO, "/dev/null", O_RDONLY);
    redirect(STDOUT_FILENO, "/dev/null", O_WRONLY);
    const char *debug = getenv("HALOBOX_DEBUG");
    if (!debug || !*debug)
        redirect(STDERR_FILENO, "/dev/null", O_WRONLY);

    fn(write_fd);
    /* _exit, not exit: the parent's atexit handlers and stdio buffers belong
     * to the parent (exit would flush its pending output a second time). */
    _exit(0);
}

int probe_child_start(struct probe_child *c, const char *what, void (*fn)(int out_fd))
{
    c->pid = 0;
    c->fd = -1;
    c->what = what;
    int p[2];
    /* O_CLOEXEC: a helper program that a driver execs must not keep the
     * write end open, or the parent would wait for EOF until the deadline. */
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        close(p[0]);
        child_main(parent, p[1], fn);
    }
    close(p[1]);
    c->pid = pid;
    c->fd = p[0];
    return 0;
}

/* Polls for the child's exit until deadline; true with *status when reaped. */
static bool reap_until(pid_t pid, int *status, long long deadline)
{
    long sleep_us = 100;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return true;
        if (r < 0 && errno != EINTR)
            return true; /* not our child any more: nothing left to reap */
        long long left = deadline - now_ms();
        if (left <= 0)
            return false;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = sleep_us * 1000};
        nanosleep(&ts, NULL);
        if (sleep_us < 5000)
            sleep_us *= 2;
    }
}

int probe_child_finish(struct probe_child *c, int timeout_ms, struct strbuf *out,
                       struct strbuf *why)
{
    strbuf_reset(out);
    strbuf_reset(why);
    if (c->pid <= 0) {
        strbuf_addstr(why, "not started");
        return -1;
    }
    if (timeout_ms < 0)
        timeout_ms = 0;
    long long deadline = now_ms() + timeout_ms;
    bool timed_out = false, too_big = false;
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int n = poll(&pfd, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        if (n == 0) {
            timed_out = true;
            break;
        }
        char buf[65536];
        ssize_t got = read(c->fd, buf, sizeof(buf));
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got <= 0)
            break;
        size_t room = PROBE_OUTPUT_MAX - out->len;
        strbuf_add(out, buf, (size_t)got < room ? (size_t)got : room);
        if ((size_t)got > room) {
            too_big = true;
            break;
        }
    }
    close(c->fd);
    c->fd = -1;

    int status = 0;
    bool reaped = false;
    if (!timed_out && !too_big) {
        /* EOF normally means the child is exiting; give it what is left of
         * the deadline (a child can close the pipe and still hang), and a
         * moment more when its output came just before the deadline. */
        long long reap_deadline = now_ms() + 100;
        if (reap_deadline < deadline)
            reap_deadline = deadline;
        reaped = reap_until(c->pid, &status, reap_deadline);
        timed_out = !reaped;
    }
    if (!reaped) {
        kill(c->pid, SIGKILL);
        reaped = reap_until(c->pid, &status, now_ms() + PROBE_REAP_GRACE_MS);
    }
    c->pid = 0;

    if (timed_out)
        strbuf_addf(why, "timed out after %d ms", timeout_ms);
    else if (too_big)
        strbuf_addf(why, "output exceeds %d bytes", PROBE_OUTPUT_MAX);
    if (!reaped) {
        strbuf_addstr(why, why->len ? " and " : "");
        strbuf_addstr(why, "could not be reaped");
    }
    if (timed_out || too_big || !reaped)
        return -1;
    if (WIFSIGNALED(status)) {
        strbuf_addf(why, "killed by signal %d", WTERMSIG(status));
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        strbuf_addf(why, "exited with status %d", WEXITSTATUS(status));
        return -1;
    }
    return 0;
}

void probe_child_emit(int fd, cJSON *rec)
{
    char *text = cJSON_PrintUnformatted(rec);
    cJSON_Delete(rec);
    if (!text)
        return;
    size_t len = strlen(text);
    text[len] = '\n'; /* the NUL becomes the record's end of line */
    const char *p = text;
    len++;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        p += n;
        len -= (size_t)n;
    }
    cJSON_free(text);
}

bool probe_dl_not_found(const char *name, const char *dlerr)
{
    size_t n = strlen(name);
    return dlerr && !strncmp(dlerr, name, n) && strstr(dlerr + n, "No such file or directory");
}
