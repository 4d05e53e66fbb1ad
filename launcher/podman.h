/* podman: a plan turned into what podman reads (a `podman run` argv, a
 * systemd Quadlet unit, a Kubernetes pod), and the few podman calls run,
 * serve, ps, stop and logs make. podman is always started from an argv,
 * never through a shell. */
#ifndef HALOBOX_PODMAN_H
#define HALOBOX_PODMAN_H

#include <sys/types.h>

#include "plan.h"
#include "recipes.h"
#include "util/error.h"
#include "util/shell_quote.h"
#include "util/strbuf.h"

/* The podman program: $HALOBOX_PODMAN when set (it must then exist), else
 * podman in PATH. NULL when there is none. */
char *podman_find(void);

/* `PODMAN run ...` for the plan, NULL-terminated in argv->v. */
void podman_run_argv(const struct plan *p, const char *podman, struct str_list *argv);

/* A systemd Quadlet .container unit and a Kubernetes Pod (YAML that
 * `podman kube play` reads) for a serve plan. */
void podman_quadlet(const struct plan *p, struct strbuf *out);
void podman_kube(const struct plan *p, struct strbuf *out);

/* Starts argv (no shell); fds of -1 are inherited, others are dup'ed onto
 * stdin, stdout and stderr. */
int podman_spawn(char *const argv[], int in_fd, int out_fd, int err_fd, pid_t *pid,
                 struct hb_error *err);
/* Waits for it: its exit status, 128 + the signal that killed it, or -1. A
 * signal that interrupts the wait is retried unless *stop is set. */
int podman_wait(pid_t pid, volatile int *stop, struct hb_error *err);

/* Runs `podman ARGS...` (args NULL-terminated) capturing stdout and stderr
 * (either may be NULL: discarded) for at most timeout_ms. Returns podman's
 * exit status, or -1 (could not run it, or timed out: killed). */
int podman_capture(const char *podman, const char *const args[], int timeout_ms, struct strbuf *out,
                   struct strbuf *errout, struct hb_error *err);

bool podman_image_exists(const char *podman, const char *image);

/* `podman image inspect --format FORMAT IMAGE`, trimmed; NULL when podman
 * fails (no such image, no podman). */
char *podman_image_inspect(const char *podman, const char *image, const char *format);

/* Stops (SIGTERM, then SIGKILL after stop_timeout seconds) and removes a
 * container; a container that is not there is no error. */
int podman_remove(const char *podman, const char *name, int stop_timeout, struct hb_error *err);

/* The last `lines` lines of a container's log (stdout and stderr). */
void podman_logs_tail(const char *podman, const char *name, int lines, struct strbuf *out);

struct container_state {
    char status[32]; /* created, running, exited, ... */
    int exit_code;
    long pid; /* 0 when not running */
};

int podman_state(const char *podman, const char *name, struct container_state *st,
                 struct hb_error *err);

/* A container halobox started (label halobox.model). */
struct hb_container {
    char *id;
    char *name;
    char *model;
    char *recipe;
    char *backend;
    char *intent;
    char *host;
    unsigned port;
    char *state;  /* running, exited, ... */
    char *status; /* "Up 3 minutes" */
    char *image;
    long long created; /* Unix time */
};

int podman_list(const char *podman, struct hb_container **out, size_t *n, struct hb_error *err);
void podman_list_release(struct hb_container *v, size_t n);
/* By name, or by an ID prefix of at least 4 digits. */
const struct hb_container *podman_list_find(const struct hb_container *v, size_t n,
                                            const char *what);

/* The OpenAI-compatible base URL for a published address and port
 * (a wildcard address is reached on loopback). */
void engine_base_url(struct strbuf *sb, const char *host, unsigned port);

/* GET http://host:port/health once: the HTTP status (200: ready; 503: still
 * loading), 0 when nothing answers, -1 on another failure. The body (its
 * first KiB) goes to body when given. */
int engine_health(const char *host, unsigned port, int timeout_ms, struct strbuf *body);

#endif
