#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"
#include "util/fs.h"
#include "util/stat_cache.h"

extern char **environ;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int run_capture(const char *const argv[], int timeout_ms, size_t max_bytes, struct strbuf *out,
                struct hb_error *err)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return hb_error_set(err, EXIT_RUNTIME, "pipe: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        return hb_error_set(err, EXIT_RUNTIME, "cannot run '%s': %s", argv[0], strerror(rc));
    }
    strbuf_reset(out);
    long long deadline = now_ms() + timeout_ms;
    bool timed_out = false;
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
        int n = poll(&p, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            timed_out = n == 0;
            break;
        }
        char buf[4096];
        ssize_t got = read(pipefd[0], buf, sizeof(buf));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        if (out->len < max_bytes)
            strbuf_add(out, buf,
                       (size_t)got < max_bytes - out->len ? (size_t)got : max_bytes - out->len);
    }
    close(pipefd[0]);
    if (timed_out)
        kill(pid, SIGKILL);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (timed_out)
        return hb_error_set(err, EXIT_RUNTIME, "'%s' timed out after %d ms", argv[0], timeout_ms);
    if (WIFSIGNALED(status))
        return hb_error_set(err, EXIT_RUNTIME, "'%s' killed by signal %d", argv[0],
                            WTERMSIG(status));
    if (WEXITSTATUS(status) != 0)
        return hb_error_set(err, EXIT_RUNTIME, "'%s' exited with status %d", argv[0],
                            WEXITSTATUS(status));
    return 0;
}

char *find_in_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    struct strbuf sb = STRBUF_INIT;
    const char *p = path;
    while (*p) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        if (n) {
            strbuf_reset(&sb);
            strbuf_add(&sb, p, n);
            strbuf_addch(&sb, '/');
            strbuf_addstr(&sb, name);
            struct stat st;
            if (stat(sb.buf, &st) == 0 && S_ISREG(st.st_mode) && access(sb.buf, X_OK) == 0)
                return strbuf_detach(&sb);
        }
        p += n + (colon ? 1 : 0);
    }
    strbuf_release(&sb);
    return NULL;
}

/* One cache file per program name and arguments; the argv is also the tag,
 * so a clash of file names can only miss, never answer wrongly. */
static void cache_name(struct strbuf *name, struct strbuf *tag, const char *const argv[])
{
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    strbuf_addf(name, "cmd-%s", base);
    for (size_t i = 1; argv[i]; i++)
        strbuf_addf(name, "%s%s", i == 1 ? "-" : "", argv[i][0] == '-' ? argv[i] + 1 : argv[i]);
    for (size_t i = 0; argv[i]; i++)
        strbuf_addf(tag, "%s%s", i ? " " : "", argv[i]);
}

int run_capture_cached(const char *const argv[], const char *key_path, int timeout_ms,
                       struct strbuf *out, struct hb_error *err)
{
    struct strbuf name = STRBUF_INIT, tag = STRBUF_INIT;
    cache_name(&name, &tag, argv);
    int ret = 0;
    if (!stat_cache_get(name.buf, key_path, tag.buf, out)) {
        ret = run_capture(argv, timeout_ms, 64 * 1024, out, err);
        if (ret == 0)
            stat_cache_put(name.buf, key_path, tag.buf, out->buf, out->len);
    }
    strbuf_release(&name);
    strbuf_release(&tag);
    return ret;
}
