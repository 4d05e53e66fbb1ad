/* halobox run MODEL [PROMPT] [-- ARGS]: one completion for a prompt on
 * stdout, or a chat on a terminal; and what run and serve share (options,
 * model, facts and recipes into a plan, the checks before a start). */
#include "util/common.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/parse.h"
#include "bench/tuned.h"
#include "cmd_run.h"
#include "rpc/rpc_client.h"
#include "store/fit.h"
#include "util/fs.h"

/* ---- options --------------------------------------------------------------- */

static bool env_assignment_ok(const char *s)
{
    const char *eq = strchr(s, '=');
    if (!eq || eq == s || !(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (const char *c = s; c < eq; c++)
        if (!(isalnum((unsigned char)*c) || *c == '_'))
            return false;
    return true;
}

int launch_parse(const char *command, unsigned allowed, int argc, char **argv,
                 struct launch_options *o)
{
    enum {
        O_RECIPE = 1000,
        O_CTX,
        O_KV,
        O_DRY,
        O_FORCE,
        O_BUILD,
        O_FACTS,
        O_FRESH,
        O_STORE,
        O_ENV,
        O_NAME,
        O_VERBOSE,
        O_PORT,
        O_HOST,
        O_DETACH,
        O_GENERATE,
        O_TIMEOUT,
        O_RPC,
        O_LISTEN,
        O_CACHE,
        O_ANY,
        O_WORKLOAD,
        O_NO_TUNE,
        O_PULL,
    };
    static const struct option common[] = {
        {"recipe", required_argument, NULL, O_RECIPE},
        {"ctx", required_argument, NULL, O_CTX},
        {"kv-type", required_argument, NULL, O_KV},
        {"dry-run", no_argument, NULL, O_DRY},
        {"quiet", no_argument, NULL, 'q'},
        {"force", no_argument, NULL, O_FORCE},
        {"build", no_argument, NULL, O_BUILD},
        {"pull", no_argument, NULL, O_PULL},
        {"facts", required_argument, NULL, O_FACTS},
        {"fresh", no_argument, NULL, O_FRESH},
        {"store", required_argument, NULL, O_STORE},
        {"env", required_argument, NULL, O_ENV},
        {"name", required_argument, NULL, O_NAME},
        {"verbose", no_argument, NULL, O_VERBOSE},
        {"rpc", required_argument, NULL, O_RPC},
        {"workload", required_argument, NULL, O_WORKLOAD},
        {"no-tune", no_argument, NULL, O_NO_TUNE},
        {"help", no_argument, NULL, 'h'},
    };
    static const struct option serve_only[] = {
        {"port", required_argument, NULL, O_PORT},
        {"host", required_argument, NULL, O_HOST},
        {"detach", no_argument, NULL, O_DETACH},
        {"generate", required_argument, NULL, O_GENERATE},
        {"timeout", required_argument, NULL, O_TIMEOUT},
    };
    static const struct option worker_only[] = {
        {"listen", required_argument, NULL, O_LISTEN},
        {"cache", no_argument, NULL, O_CACHE},
        {"allow-any-address", no_argument, NULL, O_ANY},
    };
    struct option opts[ARRAY_SIZE(common) + ARRAY_SIZE(serve_only) + ARRAY_SIZE(worker_only) + 1];
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(common); i++)
        opts[n++] = common[i];
    if (allowed & LO_SERVE)
        for (size_t i = 0; i < ARRAY_SIZE(serve_only); i++)
            opts[n++] = serve_only[i];
    if (allowed & LO_WORKER)
        for (size_t i = 0; i < ARRAY_SIZE(worker_only); i++)
            opts[n++] = worker_only[i];
    opts[n] = (struct option){0};

    memset(o, 0, sizeof(*o));
    o->kv = KV_F16;
    o->timeout_s = 600;
    /* Everything after the first "--" goes to the engine untouched. */
    int end = argc;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--")) {
            end = i;
            break;
        }
    o->engine_args = argv + (end < argc ? end + 1 : argc);
    o->n_engine_args = end < argc ? argc - end - 1 : 0;

    int c, ret = -1;
    optind = 1;
    opterr = 0;
    while (ret < 0 && (c = getopt_long(end, argv, ":qh", opts, NULL)) != -1) {
        switch (c) {
        case O_RECIPE:
            o->recipe = optarg;
            break;
        case O_CTX:
            if (!parse_u64(optarg, &o->ctx) || o->ctx < 16 || o->ctx > (1ULL << 24))
                ret = usage_error(command, "--ctx takes a number of tokens, not '%s'", optarg);
            break;
        case O_KV:
            if (kv_type_from_name(optarg, &o->kv) < 0)
                ret = usage_error(command, "--kv-type takes f16, q8_0 or q4_0, not '%s'", optarg);
            o->kv_given = true;
            break;
        case O_WORKLOAD:
            if (parse_workload(optarg, &o->workload) < 0)
                ret =
                    usage_error(command, "--workload takes chat or long-prefill, not '%s'", optarg);
            break;
        case O_NO_TUNE:
            o->no_tune = true;
            break;
        case O_DRY:
            o->dry_run = true;
            break;
        case 'q':
            o->quiet = true;
            break;
        case O_FORCE:
            o->force = true;
            break;
        case O_BUILD:
            o->build = true;
            break;
        case O_PULL:
            o->pull = true;
            break;
        case O_FACTS:
            o->facts_path = optarg;
            break;
        case O_FRESH:
            o->fresh = true;
            break;
        case O_STORE:
            o->store = optarg;
            break;
        case O_ENV:
            if (!env_assignment_ok(optarg))
                ret = usage_error(command, "--env takes NAME=VALUE, not '%s'", optarg);
            else
                str_list_add(&o->env, optarg);
            break;
        case O_NAME:
            o->name = optarg;
            break;
        case O_VERBOSE:
            o->verbose = true;
            break;
        case O_RPC:
            o->rpc = optarg;
            break;
        case O_LISTEN:
            o->listen = optarg;
            break;
        case O_CACHE:
            o->cache = true;
            break;
        case O_ANY:
            o->allow_any_address = true;
            break;
        case O_PORT:
            o->port = optarg;
            break;
        case O_HOST:
            o->host = optarg;
            break;
        case O_DETACH:
            o->detach = true;
            break;
        case O_GENERATE:
            if (strcmp(optarg, "quadlet") && strcmp(optarg, "kube"))
                ret = usage_error(command, "--generate takes quadlet or kube, not '%s'", optarg);
            o->generate = optarg;
            break;
        case O_TIMEOUT: {
            uint64_t t;
            if (!parse_u64(optarg, &t) || !t || t > 86400)
                ret = usage_error(command, "--timeout takes seconds, not '%s'", optarg);
            o->timeout_s = (int)t;
            break;
        }
        default:
            ret = getopt_rest(c, command, command_find(command)->usage, argv);
            break;
        }
    }
    o->args = argv + optind;
    o->n_args = end - optind;
    return ret;
}

void launch_options_release(struct launch_options *o)
{
    str_list_release(&o->env);
}

/* ---- signals --------------------------------------------------------------- */

volatile int launch_stop;

static void on_signal(int sig)
{
    launch_stop = sig;
}

void launch_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a blocking wait returns EINTR and sees the flag. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

/* ---- the plan -------------------------------------------------------------- */

unsigned launch_engine_threads(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct strbuf smt = STRBUF_INIT;
    bool active =
        read_small_file("/sys/devices/system/cpu/smt/active", 16, &smt) == 0 && smt.buf[0] == '1';
    strbuf_release(&smt);
    return plan_threads(cpus, active);
}

static int open_model(const struct launch_options *o, const char *what, struct launch *l,
                      struct hb_error *err)
{
    struct stat st;
    if (strchr(what, '/') || (stat(what, &st) == 0 && S_ISREG(st.st_mode)))
        return hb_error_set(err, EXIT_USAGE,
                            "'%s' is a file: run and serve take models from the store; add it "
                            "with 'halobox models add %s'",
                            what, what);
    struct store s;
    if (store_open(&s, o->store, err) < 0)
        return -1;
    int r = store_ref_load(&s, what, &l->ref, err);
    if (r < 0 && store_name_valid(what)) {
        char **close = store_suggest(&s, what, 3);
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; close[i]; i++)
            strbuf_addf(&sb, "%s'%s'", i ? ", " : "", close[i]);
        if (close[0])
            hb_error_set(err, EXIT_INPUT, "no model named '%s' in the store (did you mean %s?)",
                         what, sb.buf);
        else
            hb_error_set(err, EXIT_INPUT,
                         "no model named '%s' in the store %s (see 'halobox models ls')", what,
                         s.root);
        strbuf_release(&sb);
        for (size_t i = 0; close[i]; i++)
            free(close[i]);
        free(close);
    }
    if (r == 0) {
        if (!l->ref.n_files)
            r = hb_error_set(err, EXIT_INPUT, "model '%s' has no files", what);
        else {
            char *real = realpath(s.root, NULL);
            l->store_root = real ? real : xstrdup(s.root);
            struct strbuf file = STRBUF_INIT;
            strbuf_addf(&file, "models/%s/%s", l->ref.name, l->ref.files[0].name);
            l->model_file = strbuf_detach(&file);
        }
    }
    store_close(&s);
    return r;
}

int launch_prepare(const struct launch_options *o, enum plan_intent intent, const char *prompt,
                   bool interactive, const char *name, unsigned port, struct launch *l,
                   struct hb_error *err)
{
    if (open_model(o, o->args[0], l, err) < 0)
        return -1;
    bool have_fit = false;
    if (l->ref.summary) {
        struct hb_error ferr = HB_ERROR_INIT;
        have_fit = fit_model_from_summary(l->ref.summary, l->ref.name, &l->fit, &ferr) == 0;
        hb_error_release(&ferr);
    }
    struct strbuf dir = STRBUF_INIT;
    int r = facts_acquire(o->facts_path, o->fresh, &l->facts, err);
    if (r == 0) {
        doctor_evaluate(&l->facts, &l->verdict);
        r = recipes_dir_find(&dir, err);
    }
    if (r == 0)
        r = recipes_load_dir(&l->recipes, dir.buf, err);
    strbuf_release(&dir);
    if (r < 0)
        return -1;
    /* The workers are asked before the plan: the fit counts their memory
     * and the plan refuses one that is down or speaks another protocol. */
    if (o->rpc) {
        struct rpc_endpoint *eps;
        if (rpc_endpoints_parse(o->rpc, &eps, &l->n_rpc_workers, err) < 0)
            return -1;
        l->rpc_workers = rpc_probe_all(eps, l->n_rpc_workers, RPC_PROBE_TIMEOUT_MS);
    }
    struct plan_request req = {
        .intent = intent,
        .facts = &l->facts,
        .verdict = &l->verdict,
        .threads = launch_engine_threads(),
        .recipes = &l->recipes,
        .recipe = o->recipe,
        .model = l->ref.name,
        .store_root = l->store_root,
        .model_file = l->model_file,
        .fit = have_fit ? &l->fit : NULL,
        .ctx = o->ctx,
        .kv = o->kv,
        .force = o->force,
        .prompt = prompt,
        .interactive = interactive,
        .host = o->host,
        .port = port,
        .name = name,
        .detach = o->detach,
        .env = o->env.v,
        .n_env = o->env.n,
        .engine_args = o->engine_args,
        .n_engine_args = (size_t)o->n_engine_args,
        .rpc_workers = l->rpc_workers,
        .n_rpc_workers = l->n_rpc_workers,
        .rpc_lenient = o->dry_run,
        .workload = o->workload,
    };
    /* What `bench tune` measured for this model, host and workload. */
    struct plan_tuned tuned = {0};
    struct strbuf from = STRBUF_INIT, note = STRBUF_INIT;
    if (intent != PLAN_BENCH && !o->no_tune) {
        r = tuned_apply(l->ref.files[0].sha256, &l->facts, &l->verdict, o->workload, o->kv_given,
                        &req, &tuned, &from, &note, err);
        req.tuned = r > 0 ? &tuned : NULL;
    }
    if (r >= 0)
        r = plan_build(&req, &l->plan, err);
    if (r >= 0 && note.len)
        str_list_add(&l->plan.notes, note.buf);
    strbuf_release(&from);
    strbuf_release(&note);
    return r < 0 ? -1 : 0;
}

void launch_init(struct launch *l)
{
    memset(l, 0, sizeof(*l));
    facts_init(&l->facts);
}

void launch_release(struct launch *l)
{
    plan_release(&l->plan);
    str_list_release(&l->warnings);
    recipes_release(&l->recipes);
    verdict_release(&l->verdict);
    facts_release(&l->facts);
    store_ref_release(&l->ref);
    free(l->store_root);
    free(l->model_file);
    rpc_workers_release(l->rpc_workers, l->n_rpc_workers);
}

static void add_size(struct strbuf *sb, uint64_t bytes)
{
    if (bytes >= GIB)
        strbuf_addf(sb, "%.2f GiB", (double)bytes / (double)GIB);
    else
        strbuf_addf(sb, "%.1f MiB", (double)bytes / (double)MIB);
}

void launch_explain(const struct launch_options *o, const struct launch *l)
{
    if (o->quiet)
        return;
    const struct plan *p = &l->plan;
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "halobox: %s with recipe %s (%s, %s backend)\n", p->model, p->recipe, p->image,
                p->backend);
    for (size_t i = 0; i < p->reasons.n; i++)
        strbuf_addf(&sb, "  - %s\n", p->reasons.v[i]);
    if (p->fit_checked) {
        strbuf_addf(&sb, "halobox: context %llu tokens, KV cache %s: ", (unsigned long long)p->ctx,
                    kv_type_name(p->kv));
        add_size(&sb, p->fit.total);
        strbuf_addstr(&sb, " of ");
        add_size(&sb, p->budget);
        strbuf_addf(&sb, " (%s%s)\n",
                    !strcmp(p->budget_from, "ram")   ? "RAM less 4 GiB"
                    : !strcmp(p->budget_from, "rpc") ? "the RPC workers"
                                                     : "GPU",
                    p->rpc_free && strcmp(p->budget_from, "rpc") ? " and the RPC workers" : "");
    }
    for (size_t i = 0; i < p->notes.n; i++)
        strbuf_addf(&sb, "halobox: note: %s\n", p->notes.v[i]);
    fputs(sb.buf, stderr);
    strbuf_release(&sb);
}

/* --rpc: each worker's part of the plan, as comments after the main
 * node's command: the command to run there and what it answered. */
static void launch_rpc_dry_run(const struct launch *l, struct strbuf *out)
{
    for (size_t i = 0; i < l->n_rpc_workers; i++) {
        const struct rpc_worker *w = &l->rpc_workers[i];
        strbuf_addf(out, "# worker %zu on %s: halobox rpc-worker --listen %s --recipe %s\n", i + 1,
                    w->ep.host, w->ep.text, l->plan.recipe);
        if (w->info.devices_known)
            strbuf_addf(out,
                        "#   answers: RPC protocol %u.%u.%u, %u device%s, %.2f GiB free of "
                        "%.2f GiB\n",
                        w->info.version.major, w->info.version.minor, w->info.version.patch,
                        w->info.n_devices, w->info.n_devices == 1 ? "" : "s",
                        (double)w->info.free_sum / (double)GIB,
                        (double)w->info.total_sum / (double)GIB);
        else if (w->version_known)
            strbuf_addf(out, "#   answers: RPC protocol %u.%u.%u\n", w->info.version.major,
                        w->info.version.minor, w->info.version.patch);
        else
            strbuf_addf(out, "#   does not answer: %s\n", w->error ? w->error : "no reply");
    }
}

int launch_print_dry_run(const struct launch *l, struct hb_error *err)
{
    const char *env = getenv("HALOBOX_PODMAN");
    struct str_list argv = {0};
    podman_run_argv(&l->plan, env && *env ? env : "podman", &argv);
    struct strbuf line = STRBUF_INIT;
    shell_quote_argv(&line, argv.v, argv.n);
    strbuf_addch(&line, '\n');
    launch_rpc_dry_run(l, &line);
    int r = write_stdout(&line, err);
    strbuf_release(&line);
    str_list_release(&argv);
    return r;
}

/* `halobox build RECIPE` or `halobox images pull RECIPE`: this same
 * binary, its output on stderr. */
static int image_for(const char *recipe, bool pull, struct hb_error *err)
{
    char *self = realpath("/proc/self/exe", NULL);
    char *build_argv[] = {self ? self : "halobox", "build", (char *)recipe, NULL};
    char *pull_argv[] = {self ? self : "halobox", "images", "pull", (char *)recipe, NULL};
    pid_t pid;
    int r = podman_spawn(pull ? pull_argv : build_argv, -1, STDERR_FILENO, -1, &pid, err);
    if (r == 0) {
        int status = podman_wait(pid, NULL, err);
        if (status != 0)
            r = status < 0 ? -1
                           : hb_error_set(err, EXIT_RUNTIME, "%s the image of recipe '%s' failed",
                                          pull ? "pulling" : "building", recipe);
    }
    free(self);
    return r;
}

int launch_image_missing(const struct launch_options *o, const struct launch *l,
                         struct hb_error *err)
{
    if (!o->build && !o->pull)
        return hb_error_set(err, EXIT_RUNTIME,
                            "the image %s is not built: run 'halobox build %s' (or add "
                            "--build), or take it prebuilt with 'halobox images pull %s' (or "
                            "add --pull)",
                            l->plan.image, l->plan.recipe, l->plan.recipe);
    if (o->pull) {
        if (!o->quiet)
            fprintf(stderr, "halobox: pulling %s (--pull)\n", l->plan.image);
        if (image_for(l->plan.recipe, true, err) == 0)
            return 1;
        if (!o->build)
            return -1;
        /* --pull --build: what the registry could not give is built here */
        fprintf(stderr, "halobox: %s; building it instead (--build)\n", err->msg);
        hb_error_release(err);
    }
    if (!o->quiet)
        fprintf(stderr, "halobox: building %s (--build)\n", l->plan.image);
    return image_for(l->plan.recipe, false, err) < 0 ? -1 : 1;
}

/* `podman run --detach`: 0 when started; -1 with the error, after
 * removing what podman may have created, except a container that already
 * had the name (someone else's). */
int launch_run_detached(const struct launch_options *o, struct launch *l, const char *podman,
                        struct hb_error *err)
{
    const struct plan *p = &l->plan;
    struct str_list argv = {0};
    podman_run_argv(p, podman, &argv);
    struct strbuf errout = STRBUF_INIT;
    int status =
        podman_capture(podman, (const char *const *)argv.v + 1, 120000, NULL, &errout, err);
    /* The image is not checked before (one podman call less on every
     * start); podman says so, and --build or --pull gets it and tries again. */
    if (status > 0 && !podman_image_exists(podman, p->image)) {
        int b = launch_image_missing(o, l, err);
        if (b == 1)
            status =
                podman_capture(podman, (const char *const *)argv.v + 1, 120000, NULL, &errout, err);
        else
            status = -1;
    }
    str_list_release(&argv);
    if (status == 0) {
        strbuf_release(&errout);
        return 0;
    }
    if (status > 0) {
        strbuf_rtrim(&errout);
        const char *last = strrchr(errout.buf, '\n');
        last = last ? last + 1 : errout.buf;
        if (strstr(errout.buf, "container name") && strstr(errout.buf, "already in use")) {
            hb_error_set(err, EXIT_RUNTIME,
                         "a container named '%s' already exists: 'halobox stop %s' removes it "
                         "(when halobox started it), or choose another --name",
                         p->name, p->name);
            strbuf_release(&errout);
            return -1;
        }
        hb_error_set(err, EXIT_RUNTIME, "podman could not start '%s': %s", p->name,
                     *last ? last : "no message");
    }
    struct hb_error rerr = HB_ERROR_INIT;
    podman_remove(podman, p->name, 5, &rerr);
    hb_error_release(&rerr);
    strbuf_release(&errout);
    return -1;
}

int launch_preflight(const struct launch_options *o, struct launch *l, bool check_image,
                     char **podman, struct hb_error *err)
{
    *podman = podman_find();
    if (!*podman) {
        const char *env = getenv("HALOBOX_PODMAN");
        const struct finding *fd = verdict_find(&l->verdict, "podman-missing");
        if (env && *env)
            return hb_error_set(err, EXIT_RUNTIME,
                                "podman not found: HALOBOX_PODMAN is '%s', which is not a "
                                "program (unset it, or see --dry-run)",
                                env);
        return hb_error_set(err, EXIT_RUNTIME,
                            "podman not found in PATH: halobox starts engines with podman; "
                            "install it%s%s (or see --dry-run)",
                            fd && fd->fix ? ": " : "", fd && fd->fix ? fd->fix : "");
    }
    if (plan_preflight(&l->verdict, true, o->force, &l->warnings, err) < 0)
        return -1;
    if (!o->quiet)
        for (size_t i = 0; i < l->warnings.n; i++)
            fprintf(stderr, "halobox: %s\n", l->warnings.v[i]);
    if ((check_image || o->build || o->pull) && !podman_image_exists(*podman, l->plan.image))
        return launch_image_missing(o, l, err);
    return 0;
}

int launch_dry_run_or_preflight(const struct launch_options *o, struct launch *l, bool check_image,
                                char **podman, struct hb_error *err)
{
    if (o->dry_run)
        return launch_print_dry_run(l, err) < 0 ? -1 : 0;
    return launch_preflight(o, l, check_image, podman, err) < 0 ? -1 : 1;
}

/* ---- halobox run ------------------------------------------------------------ */

/* The last lines of a stream, for the error when the engine fails. */
#define TAIL_LINES 20

struct tail {
    struct strbuf buf;
};

static void tail_add(struct tail *t, const char *data, size_t len, bool echo)
{
    if (echo)
        fwrite(data, 1, len, stderr);
    strbuf_add(&t->buf, data, len);
    /* Keep it bounded: drop whole lines from the front past 64 KiB. */
    if (t->buf.len > 64 * 1024) {
        const char *cut = memchr(t->buf.buf + t->buf.len - 32 * 1024, '\n', 32 * 1024);
        size_t from = cut ? (size_t)(cut + 1 - t->buf.buf) : t->buf.len - 32 * 1024;
        memmove(t->buf.buf, t->buf.buf + from, t->buf.len - from);
        t->buf.len -= from;
        t->buf.buf[t->buf.len] = '\0';
    }
}

void launch_tail_lines(const char *text, int n, struct strbuf *out)
{
    size_t len = strlen(text);
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    size_t start = len;
    int lines = 0;
    while (start > 0 && lines < n) {
        start--;
        if (text[start] == '\n' && ++lines == n) {
            start++;
            break;
        }
    }
    const char *p = text + start, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        strbuf_addstr(out, "\n  ");
        strbuf_add(out, p, l);
        p += l + 1;
    }
}

static const char usage_hint_chat[] = "give a PROMPT, or run it on a terminal for a chat";

int cmd_run(int argc, char **argv)
{
    struct launch_options o;
    int done = launch_parse("run", 0, argc, argv, &o);
    if (done >= 0) {
        launch_options_release(&o);
        return done;
    }
    if (o.n_args < 1 || o.n_args > 2) {
        launch_options_release(&o);
        return usage_error("run", o.n_args < 1 ? "name a model" : "unexpected argument '%s'",
                           o.n_args > 2 ? o.args[2] : "");
    }
    const char *prompt = o.n_args == 2 ? o.args[1] : NULL;
    bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    if (!prompt && !tty && !o.dry_run) {
        launch_options_release(&o);
        return usage_error("run", "%s", usage_hint_chat);
    }

    struct hb_error err = HB_ERROR_INIT;
    struct launch l;
    launch_init(&l);
    char *podman = NULL;
    char name[200];
    int rc = EXIT_OK;
    if (o.name)
        snprintf(name, sizeof(name), "%s", o.name);
    else
        snprintf(name, sizeof(name), "halobox-run-%s-%ld", o.args[0], (long)getpid());
    /* A dry run prints a name that does not change from one run to the
     * next. */
    if (launch_prepare(&o, PLAN_RUN, prompt, prompt ? false : true,
                       o.dry_run && !o.name ? NULL : name, 0, &l, &err) < 0) {
        rc = report_error(&err);
        goto out;
    }
    launch_explain(&o, &l);
    int go = launch_dry_run_or_preflight(&o, &l, true, &podman, &err);
    if (go <= 0) {
        rc = go < 0 ? report_error(&err) : EXIT_OK;
        goto out;
    }

    struct str_list pargv = {0};
    podman_run_argv(&l.plan, podman, &pargv);
    launch_catch_signals();
    pid_t pid;
    if (!prompt) {
        /* A chat: the terminal belongs to the engine. */
        if (podman_spawn(pargv.v, -1, -1, -1, &pid, &err) < 0) {
            rc = report_error(&err);
        } else {
            int status = podman_wait(pid, NULL, &err);
            podman_remove(podman, l.plan.name, 10, &err);
            rc = status == 0 ? EXIT_OK : launch_stop ? 130 : EXIT_RUNTIME;
        }
        str_list_release(&pargv);
        goto out;
    }

    /* One completion: the text on stdout, the engine's log kept (shown
     * with --verbose, or its end when something fails). */
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        hb_error_set(&err, EXIT_RUNTIME, "pipe: %s", strerror(errno));
        rc = report_error(&err);
        str_list_release(&pargv);
        goto out;
    }
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int sr = podman_spawn(pargv.v, devnull, -1, pipefd[1], &pid, &err);
    close(pipefd[1]);
    if (devnull >= 0)
        close(devnull);
    str_list_release(&pargv);
    if (sr < 0) {
        close(pipefd[0]);
        rc = report_error(&err);
        goto out;
    }
    struct tail t = {STRBUF_INIT};
    bool removed = false;
    for (;;) {
        if (launch_stop && !removed) {
            /* Interrupted: the container goes first, then podman ends. */
            if (!o.quiet)
                fprintf(stderr, "halobox: interrupted: stopping %s\n", l.plan.name);
            podman_remove(podman, l.plan.name, 5, &err);
            removed = true;
        }
        struct pollfd pfd = {.fd = pipefd[0], .events = POLLIN};
        int n = poll(&pfd, 1, 200);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            continue;
        char buf[4096];
        ssize_t got = read(pipefd[0], buf, sizeof(buf));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        tail_add(&t, buf, (size_t)got, o.verbose);
    }
    close(pipefd[0]);
    int status = podman_wait(pid, NULL, &err);
    /* --rm removes it; this covers a podman that died before it could. */
    struct hb_error rerr = HB_ERROR_INIT;
    podman_remove(podman, l.plan.name, 5, &rerr);
    hb_error_release(&rerr);
    if (launch_stop) {
        rc = 130;
    } else if (status != 0) {
        struct strbuf msg = STRBUF_INIT;
        strbuf_addf(&msg, "the engine exited with status %d running '%s' (container removed)",
                    status, l.plan.model);
        if (!o.verbose && t.buf.len) {
            strbuf_addstr(&msg, "; its last log lines:");
            launch_tail_lines(t.buf.buf, TAIL_LINES, &msg);
        }
        hb_error_set(&err, EXIT_RUNTIME, "%s", msg.buf);
        strbuf_release(&msg);
        rc = report_error(&err);
    } else if (fflush(stdout) != 0 || ferror(stdout)) {
        hb_error_set(&err, EXIT_RUNTIME, "cannot write to standard output: %s", strerror(errno));
        rc = report_error(&err);
    }
    strbuf_release(&t.buf);
out:
    free(podman);
    launch_release(&l);
    launch_options_release(&o);
    hb_error_release(&err);
    return rc;
}
