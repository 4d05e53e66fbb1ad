/* halobox rpc-worker --listen ADDR:PORT: llama.cpp's RPC server in the
 * engine image that suits this host, so that a main node elsewhere can use
 * this machine's devices and memory (halobox serve MODEL --rpc ...). A
 * halobox container like a server: ps, logs and stop handle it. */
#include "util/common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "cmd_run.h"
#include "rpc/rpc_client.h"
#include "util/fs.h"
#include "util/parse.h"

#define TAIL_LINES 20

const char cmd_rpc_worker_usage[] =
    "usage: halobox rpc-worker --listen ADDR:PORT [--recipe R] [--cache] [--name NAME]\n"
    "                          [--detach] [--dry-run] [--allow-any-address] [options]\n"
    "                          [-- SERVER-ARGS]\n"
    "\n"
    "Start llama.cpp's RPC server (ggml-rpc-server) in the engine image that suits\n"
    "this host, published on the given address only, so that a main node can use\n"
    "this machine's devices and memory with 'halobox serve MODEL --rpc ADDR:PORT'.\n"
    "Every node must run the same engine version (the same image tag). Once it\n"
    "answers, prints its device and free memory. The RPC protocol has no\n"
    "authentication: give the address of a private network.\n"
    "\n"
    "  --listen ADDR:PORT   the address and port to publish on ([IPv6]:PORT); a\n"
    "                       wildcard (0.0.0.0, ::) is refused unless\n"
    "  --allow-any-address  is given too\n"
    "  --recipe R           the engine recipe (default: the one that suits this host)\n"
    "  --cache              keep a tensor cache in ~/.cache/halobox/rpc (faster\n"
    "                       reloads of large models)\n"
    "  --name NAME          the container's name (default halobox-rpc-PORT)\n"
    "  --detach             return once it answers, leaving it running\n"
    "  --timeout S          how long to wait for it to answer (default 600 s)\n"
    "  --env NAME=VALUE     set a variable in its environment (repeatable), e.g.\n"
    "                       GGML_VK_VISIBLE_DEVICES\n"
    "  --dry-run, --force, --build, --pull, --facts FILE, --fresh, --quiet: as\n"
    "                       for 'halobox run'\n"
    "\n"
    "Exit status: 0 ok, 1 the doctor found an error, 2 usage (a wildcard address\n"
    "without --allow-any-address), 4 podman or the server failed, 130 interrupted.\n";

/* launch_parse takes the options rpc-worker shares with run and serve;
 * these are the ones that make no sense for a worker. */
static int parse(int argc, char **argv, struct launch_options *o)
{
    int done = launch_parse("rpc-worker", LO_SERVE | LO_WORKER, argc, argv, o);
    if (done >= 0)
        return done;
    if (o->ctx || o->kv != KV_F16 || o->store || o->verbose || o->rpc || o->port || o->host ||
        o->generate)
        return usage_error("rpc-worker", "--ctx, --kv-type, --store, --verbose, --rpc, --port, "
                                         "--host and --generate are not options of rpc-worker "
                                         "(--listen ADDR:PORT says where it listens)");
    if (o->n_args)
        return usage_error("rpc-worker", "unexpected argument '%s'", o->args[0]);
    if (!o->listen)
        return usage_error("rpc-worker", "give the address to publish on with --listen ADDR:PORT");
    return -1;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* The container is gone or failed: its last log lines in the error, and
 * the container removed. */
static int fail_with_log(const char *podman, const char *name, const char *what,
                         struct hb_error *err)
{
    struct strbuf log = STRBUF_INIT, msg = STRBUF_INIT;
    podman_logs_tail(podman, name, TAIL_LINES, &log);
    struct hb_error rerr = HB_ERROR_INIT;
    bool removed = podman_remove(podman, name, 2, &rerr) == 0;
    strbuf_addf(&msg, "%s%s", what, removed ? " (container removed)" : " (removing it failed)");
    if (log.len) {
        strbuf_addstr(&msg, "; its last log lines:");
        launch_tail_lines(log.buf, TAIL_LINES, &msg);
    }
    hb_error_set(err, EXIT_RUNTIME, "%s", msg.buf);
    hb_error_release(&rerr);
    strbuf_release(&log);
    strbuf_release(&msg);
    return -1;
}

static bool running(const char *podman, const char *name, struct container_state *st)
{
    struct hb_error serr = HB_ERROR_INIT;
    bool ok = podman_state(podman, name, st, &serr) == 0 && !strcmp(st->status, "running");
    hb_error_release(&serr);
    return ok;
}

/* The server's own description of its devices: the lines under
 * "Devices:" in its log ("  CPU: Intel(R) ... (24103 MiB, 24103 MiB free)"),
 * which the protocol does not carry. */
static void device_lines(const char *log, struct strbuf *out)
{
    const char *p = strstr(log, "Devices:");
    if (!p)
        return;
    p = strchr(p, '\n');
    while (p && *++p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *s = p;
        while (len && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        if (!len || !memchr(s, '(', len) || !strstr(s, "MiB"))
            break;
        strbuf_addstr(out, "  device: ");
        strbuf_add(out, s, len);
        strbuf_addch(out, '\n');
        p = nl;
    }
}

/* Waits until the server answers HELLO on its published address. */
static int wait_ready(const struct launch_options *o, const struct plan *p, const char *podman,
                      struct rpc_worker *w, struct hb_error *err)
{
    long long deadline = now_ms() + (long long)o->timeout_s * 1000;
    for (;;) {
        if (launch_stop) {
            struct hb_error rerr = HB_ERROR_INIT;
            podman_remove(podman, p->name, 2, &rerr);
            hb_error_release(&rerr);
            return 130;
        }
        rpc_probe(w, 1000);
        if (w->version_known)
            return 0;
        struct container_state st;
        if (!running(podman, p->name, &st)) {
            struct strbuf what = STRBUF_INIT;
            strbuf_addf(&what, "the RPC server exited with status %d while starting", st.exit_code);
            fail_with_log(podman, p->name, what.buf, err);
            strbuf_release(&what);
            return -1;
        }
        if (now_ms() >= deadline) {
            struct strbuf what = STRBUF_INIT;
            strbuf_addf(&what, "the RPC server did not answer on %s within %d s (%s)", w->ep.text,
                        o->timeout_s, w->error ? w->error : "no reply");
            fail_with_log(podman, p->name, what.buf, err);
            strbuf_release(&what);
            return -1;
        }
        sleep_ms(300);
    }
}

static int start(const struct launch_options *o, struct launch *l, const char *podman,
                 struct hb_error *err)
{
    const struct plan *p = &l->plan;
    launch_catch_signals();
    if (launch_run_detached(o, l, podman, err) < 0)
        return -1;

    /* Asked on the address it is published on; a wildcard is reached on
     * this host's loopback. */
    struct rpc_worker w;
    memset(&w, 0, sizeof(w));
    struct strbuf ep = STRBUF_INIT;
    const char *host = p->host;
    if (rpc_address_is_wildcard(host))
        host = strchr(host, ':') ? "::1" : "127.0.0.1";
    strbuf_addf(&ep, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, p->port);
    struct hb_error perr = HB_ERROR_INIT;
    rpc_endpoint_parse(ep.buf, &w.ep, &perr);
    hb_error_release(&perr);
    strbuf_release(&ep);
    int r = wait_ready(o, p, podman, &w, err);
    if (r != 0) {
        rpc_endpoint_release(&w.ep);
        free(w.error);
        return r;
    }
    struct strbuf out = STRBUF_INIT, log = STRBUF_INIT;
    strbuf_addf(&out, "%s%s%s:%u: RPC protocol %u.%u.%u, %u device%s, ",
                strchr(p->host, ':') ? "[" : "", p->host, strchr(p->host, ':') ? "]" : "", p->port,
                w.info.version.major, w.info.version.minor, w.info.version.patch, w.info.n_devices,
                w.info.n_devices == 1 ? "" : "s");
    strbuf_addf(&out, "%.2f GiB free of %.2f GiB\n", (double)w.info.free_sum / (double)GIB,
                (double)w.info.total_sum / (double)GIB);
    podman_logs_tail(podman, p->name, 40, &log);
    device_lines(log.buf, &out);
    strbuf_release(&log);
    rpc_endpoint_release(&w.ep);
    free(w.error);
    if (write_stdout(&out, err) < 0) {
        strbuf_release(&out);
        struct hb_error rerr = HB_ERROR_INIT;
        podman_remove(podman, p->name, 2, &rerr);
        hb_error_release(&rerr);
        return -1;
    }
    strbuf_release(&out);
    if (o->detach) {
        if (!o->quiet)
            fprintf(stderr,
                    "halobox: RPC worker running in container %s ('halobox logs %s', "
                    "'halobox stop %s')\n",
                    p->name, p->name, p->name);
        return 0;
    }
    if (!o->quiet)
        fprintf(stderr, "halobox: RPC worker running in container %s; Ctrl-C stops it\n", p->name);
    for (;;) {
        if (launch_stop) {
            if (!o->quiet)
                fprintf(stderr, "halobox: stopping and removing %s\n", p->name);
            podman_remove(podman, p->name, 2, err);
            return 130;
        }
        struct container_state st;
        if (!running(podman, p->name, &st)) {
            struct strbuf what = STRBUF_INIT;
            strbuf_addf(&what, "the RPC server exited with status %d", st.exit_code);
            fail_with_log(podman, p->name, what.buf, err);
            strbuf_release(&what);
            return -1;
        }
        sleep_ms(1000);
    }
}

static int prepare(const struct launch_options *o, const struct rpc_endpoint *ep, struct launch *l,
                   struct hb_error *err)
{
    struct strbuf dir = STRBUF_INIT, cache = STRBUF_INIT;
    int r = facts_acquire(o->facts_path, o->fresh, &l->facts, err);
    if (r == 0) {
        doctor_evaluate(&l->facts, &l->verdict);
        r = recipes_dir_find(&dir, err);
    }
    if (r == 0)
        r = recipes_load_dir(&l->recipes, dir.buf, err);
    if (r == 0 && o->cache) {
        if (cache_dir(&cache) < 0)
            r = hb_error_set(err, EXIT_RUNTIME, "no cache folder for --cache ($HOME unset?)");
        else {
            strbuf_addstr(&cache, "/rpc");
            if (mkdir_p(cache.buf, 0700) < 0)
                r = hb_error_set(err, EXIT_RUNTIME, "cannot create %s: %s", cache.buf,
                                 strerror(errno));
        }
    }
    if (r == 0) {
        struct plan_request req = {
            .intent = PLAN_RPC_WORKER,
            .facts = &l->facts,
            .verdict = &l->verdict,
            .threads = launch_engine_threads(),
            .recipes = &l->recipes,
            .recipe = o->recipe,
            .host = ep->host,
            .port = ep->port,
            .name = o->name,
            .detach = o->detach,
            .env = o->env.v,
            .n_env = o->env.n,
            .engine_args = o->engine_args,
            .n_engine_args = (size_t)o->n_engine_args,
            .rpc_cache_dir = o->cache ? cache.buf : NULL,
            .allow_any_address = o->allow_any_address,
        };
        r = plan_build(&req, &l->plan, err);
    }
    strbuf_release(&dir);
    strbuf_release(&cache);
    return r;
}

int cmd_rpc_worker(int argc, char **argv)
{
    struct launch_options o;
    int done = parse(argc, argv, &o);
    if (done >= 0) {
        launch_options_release(&o);
        return done;
    }
    struct hb_error err = HB_ERROR_INIT;
    struct rpc_endpoint ep;
    const char *listen = o.listen;
    char *fixed = NULL;
    if (!strncmp(listen, "localhost:", 10)) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "127.0.0.1%s", listen + 9);
        fixed = strbuf_detach(&sb);
        listen = fixed;
    }
    unsigned char addr[16];
    int rc = EXIT_OK;
    if (rpc_endpoint_parse(listen, &ep, &err) < 0) {
        rc = usage_error("rpc-worker", "--listen: %s", err.msg);
        free(fixed);
        hb_error_release(&err);
        launch_options_release(&o);
        return rc;
    }
    free(fixed);
    if (inet_pton(AF_INET, ep.host, addr) != 1 && inet_pton(AF_INET6, ep.host, addr) != 1) {
        rc = usage_error("rpc-worker", "--listen takes an IP address and a port, not '%s'",
                         o.listen);
        rpc_endpoint_release(&ep);
        launch_options_release(&o);
        return rc;
    }
    struct launch l;
    launch_init(&l);
    char *podman = NULL;
    if (prepare(&o, &ep, &l, &err) < 0) {
        rc = report_error(&err);
        goto out;
    }
    launch_explain(&o, &l);
    int go = launch_dry_run_or_preflight(&o, &l, true, &podman, &err);
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
    rpc_endpoint_release(&ep);
    launch_release(&l);
    launch_options_release(&o);
    hb_error_release(&err);
    return rc;
}
