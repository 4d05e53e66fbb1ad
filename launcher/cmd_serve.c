/* halobox serve MODEL: llama-server in the engine image, published on
 * 127.0.0.1 (or --host), ready when /health says so; prints the
 * OpenAI-compatible base URL. Or, with --generate, the same plan as a
 * Quadlet unit or a Kubernetes pod. Nothing is left running when it fails. */
#include "util/common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmd_run.h"

#define DEFAULT_PORT    8080
#define AUTO_PORT_RANGE 200
#define POLL_MS         100
#define TAIL_LINES      20
/* When the wait first asks podman for the engine's PID. */
#define PID_AFTER_MS 300

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    /* A signal cuts the sleep short; the caller looks at launch_stop. */
    nanosleep(&ts, NULL);
}

/* Whether a listening socket could take host:port now: EADDRINUSE is the
 * only answer that means someone has it. */
static int port_check(const char *host, unsigned port)
{
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    memset(&v4, 0, sizeof(v4));
    memset(&v6, 0, sizeof(v6));
    struct sockaddr *sa;
    socklen_t len;
    int af;
    if (inet_pton(AF_INET, host, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons((uint16_t)port);
        sa = (struct sockaddr *)&v4;
        len = sizeof(v4);
        af = AF_INET;
    } else if (inet_pton(AF_INET6, host, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons((uint16_t)port);
        sa = (struct sockaddr *)&v6;
        len = sizeof(v6);
        af = AF_INET6;
    } else {
        return EINVAL;
    }
    int fd = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    int e = bind(fd, sa, len) == 0 ? 0 : errno;
    close(fd);
    return e;
}

static int choose_port(const char *command, const struct launch_options *o, const char *host,
                       unsigned *port, struct hb_error *err)
{
    if (o->port && !strcmp(o->port, "auto")) {
        for (unsigned p = DEFAULT_PORT; p < DEFAULT_PORT + AUTO_PORT_RANGE; p++)
            if (port_check(host, p) != EADDRINUSE) {
                *port = p;
                return 0;
            }
        return hb_error_set(err, EXIT_RUNTIME, "no free port on %s from %u to %u", host,
                            DEFAULT_PORT, DEFAULT_PORT + AUTO_PORT_RANGE - 1);
    }
    if (!o->port) {
        *port = DEFAULT_PORT;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long v = strtoul(o->port, &end, 10);
    if (errno || *end || !*o->port || v == 0 || v > 65535)
        return hb_error_set(err, EXIT_USAGE,
                            "--port takes a port number or 'auto', not '%s' (see 'halobox %s "
                            "--help')",
                            o->port, command);
    *port = (unsigned)v;
    return 0;
}

/* The engine's exit, or a timeout: its last log lines in the error, and
 * the container gone. */
static int fail_with_log(const char *podman, const char *name, struct strbuf *msg,
                         struct hb_error *err)
{
    struct strbuf log = STRBUF_INIT;
    podman_logs_tail(podman, name, TAIL_LINES, &log);
    struct hb_error rerr = HB_ERROR_INIT;
    bool removed = podman_remove(podman, name, 5, &rerr) == 0;
    strbuf_addstr(msg, removed ? " (container removed)" : " (and removing it failed)");
    if (log.len) {
        strbuf_addstr(msg, "; its last log lines:");
        launch_tail_lines(log.buf, TAIL_LINES, msg);
    }
    hb_error_set(err, EXIT_RUNTIME, "%s", msg->buf);
    hb_error_release(&rerr);
    strbuf_release(&log);
    return -1;
}

static void progress(bool tty, const char *model, long long start, const char *what)
{
    if (!tty)
        return;
    fprintf(stderr, "\r\033[Khalobox: %s %s: %lld s", what, model, (now_ms() - start) / 1000);
    fflush(stderr);
}

static void progress_end(bool tty)
{
    if (tty)
        fputs("\r\033[K", stderr);
}

/* Waits until /health answers 200. Returns 0 when ready, 130 when
 * interrupted (container removed), -1 on a failure (container removed). */
static int wait_ready(const struct launch_options *o, const struct plan *p, const char *podman,
                      long *pid_out, struct hb_error *err)
{
    bool tty = !o->quiet && isatty(STDERR_FILENO);
    long pid = 0;
    long long start = now_ms(), deadline = start + (long long)o->timeout_s * 1000;
    long long next_progress = start;
    if (!o->quiet && !tty)
        fprintf(stderr, "halobox: waiting for %s to load (up to %d s)\n", p->model, o->timeout_s);
    for (;;) {
        if (launch_stop) {
            progress_end(tty);
            if (!o->quiet)
                fprintf(stderr, "halobox: interrupted: stopping and removing %s\n", p->name);
            struct hb_error rerr = HB_ERROR_INIT;
            podman_remove(podman, p->name, 5, &rerr);
            hb_error_release(&rerr);
            return 130;
        }
        int code = engine_health(p->host, p->port, 1000, NULL);
        if (code == 200) {
            progress_end(tty);
            return 0;
        }
        /* The engine's PID, once: a model that loads at once is ready
         * before this costs a podman call. */
        if (!pid && now_ms() - start >= PID_AFTER_MS) {
            struct container_state st0;
            struct hb_error serr0 = HB_ERROR_INIT;
            pid = podman_state(podman, p->name, &st0, &serr0) == 0 &&
                          !strcmp(st0.status, "running") && st0.pid > 0
                      ? st0.pid
                      : -1;
            hb_error_release(&serr0);
            *pid_out = pid;
        }
        /* The container's process gone: the engine exited (or crashed)
         * while loading. EPERM means it is there under another user. */
        if (pid < 0 || (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH)) {
            progress_end(tty);
            struct container_state st;
            struct hb_error serr = HB_ERROR_INIT;
            struct strbuf msg = STRBUF_INIT;
            if (podman_state(podman, p->name, &st, &serr) == 0 && strcmp(st.status, "running"))
                strbuf_addf(&msg, "the engine exited with status %d while loading '%s'",
                            st.exit_code, p->model);
            else if (serr.msg)
                strbuf_addf(&msg, "the engine stopped while loading '%s' (%s)", p->model, serr.msg);
            hb_error_release(&serr);
            if (msg.len) {
                fail_with_log(podman, p->name, &msg, err);
                strbuf_release(&msg);
                return -1;
            }
            strbuf_release(&msg);
            /* Still running after all (a PID that changed): carry on. */
            pid = st.pid > 0 ? st.pid : 0;
            *pid_out = pid;
        }
        long long now = now_ms();
        if (now >= deadline) {
            progress_end(tty);
            struct strbuf msg = STRBUF_INIT;
            strbuf_addf(&msg,
                        "'%s' was not ready after %d s (--timeout waits longer; /health "
                        "answered %d)",
                        p->model, o->timeout_s, code);
            fail_with_log(podman, p->name, &msg, err);
            strbuf_release(&msg);
            return -1;
        }
        if (now >= next_progress) {
            progress(tty, p->model, start, "loading");
            next_progress = now + 1000;
        }
        sleep_ms(POLL_MS);
    }
}

/* Serving in the foreground: until Ctrl-C (the container is then removed)
 * or until the engine exits by itself. */
static int serve_foreground(const struct launch_options *o, const struct plan *p,
                            const char *podman, long pid, struct hb_error *err)
{
    if (pid <= 0) {
        struct container_state st0;
        struct hb_error serr0 = HB_ERROR_INIT;
        if (podman_state(podman, p->name, &st0, &serr0) == 0 && !strcmp(st0.status, "running"))
            pid = st0.pid;
        hb_error_release(&serr0);
    }
    for (;;) {
        if (launch_stop) {
            if (!o->quiet)
                fprintf(stderr, "halobox: stopping and removing %s\n", p->name);
            return podman_remove(podman, p->name, 10, err);
        }
        if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH)) {
            struct container_state st;
            struct hb_error serr = HB_ERROR_INIT;
            struct strbuf msg = STRBUF_INIT;
            int code = podman_state(podman, p->name, &st, &serr) == 0 ? st.exit_code : -1;
            strbuf_addf(&msg, "the engine serving '%s' exited with status %d", p->model, code);
            hb_error_release(&serr);
            fail_with_log(podman, p->name, &msg, err);
            strbuf_release(&msg);
            return -1;
        }
        sleep_ms(500);
    }
}

static int start(const struct launch_options *o, struct launch *l, const char *podman,
                 struct hb_error *err)
{
    const struct plan *p = &l->plan;
    int in_use = port_check(p->host, p->port);
    if (in_use == EADDRINUSE)
        return hb_error_set(err, EXIT_RUNTIME,
                            "port %u on %s is in use: choose another with --port N, or --port "
                            "auto for the next free one",
                            p->port, p->host);
    if (in_use == EADDRNOTAVAIL)
        return hb_error_set(err, EXIT_RUNTIME, "%s is not an address of this host (--host)",
                            p->host);
    launch_catch_signals();
    if (launch_run_detached(o, l, podman, err) < 0)
        return -1;
    long pid = 0;
    int ret = wait_ready(o, p, podman, &pid, err);
    if (ret != 0)
        return ret;
    struct strbuf url = STRBUF_INIT;
    engine_base_url(&url, p->host, p->port);
    strbuf_addch(&url, '\n');
    if (write_stdout(&url, err) < 0) {
        struct hb_error rerr = HB_ERROR_INIT;
        podman_remove(podman, p->name, 5, &rerr);
        hb_error_release(&rerr);
        strbuf_release(&url);
        return -1;
    }
    strbuf_release(&url);
    if (o->detach) {
        if (!o->quiet)
            fprintf(stderr,
                    "halobox: %s is serving in container %s ('halobox logs %s', 'halobox stop "
                    "%s')\n",
                    p->model, p->name, p->name, p->name);
        return 0;
    }
    if (!o->quiet)
        fprintf(stderr,
                "halobox: %s is serving in container %s; Ctrl-C stops it ('halobox logs %s -f' "
                "shows its log)\n",
                p->model, p->name, p->name);
    return serve_foreground(o, p, podman, pid, err);
}

int cmd_serve(int argc, char **argv)
{
    struct launch_options o;
    int done = launch_parse("serve", LO_SERVE, argc, argv, &o);
    if (done >= 0) {
        launch_options_release(&o);
        return done;
    }
    if (o.n_args != 1) {
        launch_options_release(&o);
        return o.n_args < 1 ? usage_error("serve", "name a model")
                            : usage_error("serve", "unexpected argument '%s'", o.args[1]);
    }
    const char *host = o.host ? o.host : PLAN_DEFAULT_HOST;
    if (!strcmp(host, "localhost"))
        host = "127.0.0.1";
    unsigned char addr[16];
    if (inet_pton(AF_INET, host, addr) != 1 && inet_pton(AF_INET6, host, addr) != 1) {
        launch_options_release(&o);
        return usage_error("serve", "--host takes an IP address, not '%s'", host);
    }
    o.host = host;

    struct hb_error err = HB_ERROR_INIT;
    struct launch l;
    launch_init(&l);
    char *podman = NULL;
    int rc = EXIT_OK;
    unsigned port = 0;
    if (choose_port("serve", &o, host, &port, &err) < 0 ||
        launch_prepare(&o, PLAN_SERVE, NULL, false, o.name, port, &l, &err) < 0) {
        rc = report_error(&err);
        goto out;
    }
    launch_explain(&o, &l);
    if (o.generate) {
        struct strbuf unit = STRBUF_INIT;
        if (!strcmp(o.generate, "quadlet"))
            podman_quadlet(&l.plan, &unit);
        else
            podman_kube(&l.plan, &unit);
        if (write_stdout(&unit, &err) < 0)
            rc = report_error(&err);
        strbuf_release(&unit);
        goto out;
    }
    int go = launch_dry_run_or_preflight(&o, &l, false, &podman, &err);
    if (go <= 0) {
        rc = go < 0 ? report_error(&err) : EXIT_OK;
        goto out;
    }
    int r = start(&o, &l, podman, &err);
    if (r == 130)
        rc = 130;
    else if (r < 0)
        rc = report_error(&err);
out:
    free(podman);
    launch_release(&l);
    launch_options_release(&o);
    hb_error_release(&err);
    return rc;
}
