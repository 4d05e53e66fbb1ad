/* halobox bench MODEL: llama-bench in each recipe's image, one recipe at a
 * time (never two GPU jobs at once), every result appended to the run's JSON
 * Lines file as it is made (bench/results.h), then the run's table. */
#include "util/common.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <unistd.h>

#include "bench/compare.h"
#include "cmd_bench.h"
#include "cmd_run.h"
#include "store/gguf.h"

const char cmd_bench_run_usage[] =
    "usage: halobox bench MODEL [--recipes R1,R2|--all-suitable] [-p 512] [-n 128]\n"
    "                     [--depth 0,4096] [--reps 5] [--ubatch N,...] [--fa on|off]\n"
    "                     [--env K=V] [--dry-run] [--store DIR] [-- llama-bench args]\n"
    "\n"
    "Run llama-bench on a model of the store in each recipe's image, one recipe\n"
    "after the other, and keep every result with the model, the image and the\n"
    "host facts as a new run (see 'halobox bench ls'). Prints the run id and its\n"
    "table at the end.\n"
    "\n"
    "  --recipes R1,R2   the recipes to compare (default: the one run would pick)\n"
    "  --all-suitable    every recipe that suits this host\n"
    "  -p N,...          prompt lengths (pp tests); 0 for none (default 512)\n"
    "  -n N,...          generated tokens (tg tests); 0 for none (default 128)\n"
    "  --depth N,...     context depths the tests start at (default 0)\n"
    "  --reps N          repetitions of each test (default 5)\n"
    "  --ubatch N,...    physical batch sizes\n"
    "  --fa on|off       flash attention (default on)\n"
    "  --env K=V         an environment variable for the engine (repeatable)\n"
    "  --dry-run         print the podman command of each recipe, run nothing\n"
    "  --store DIR       the model store\n"
    "  --facts FILE      host facts from a file instead of this host's\n"
    "  --fresh           probe the host again instead of this boot's cache\n"
    "  --force           run even when the doctor finds errors or it does not fit\n"
    "  --rpc HOST:PORT,... split the model across llama.cpp RPC workers, checked\n"
    "                    first as for 'halobox serve --rpc'\n"
    "  -q, --quiet       no explanations or progress on stderr\n"
    "\n"
    "A recipe whose engine fails is recorded as failed and the others still run;\n"
    "Ctrl-C keeps the finished results, the run marked incomplete. Exit status:\n"
    "0 every recipe complete, 2 usage, 3 an unknown model or malformed input,\n"
    "4 a recipe failed or another failure, 130 interrupted.\n";

struct brun_options {
    struct launch_options lo; /* what launch_prepare reads */
    const char *recipes;      /* --recipes */
    bool all_suitable;
    const char *p, *n, *depth, *ubatch;
    const char *reps;
    const char *fa;
    struct str_list engine; /* -p ... then the user's args after -- */
};

/* A comma-separated list of numbers, each at least min. */
static bool num_list_ok(const char *s, unsigned long long min)
{
    if (!*s)
        return false;
    for (const char *p = s;;) {
        if (*p < '0' || *p > '9')
            return false;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno || v < min || v > (1ULL << 24))
            return false;
        if (!*end)
            return true;
        if (*end != ',')
            return false;
        p = end + 1;
    }
}

static bool env_ok(const char *s)
{
    const char *eq = strchr(s, '=');
    if (!eq || eq == s || !(((*s | 32) >= 'a' && (*s | 32) <= 'z') || *s == '_'))
        return false;
    for (const char *c = s; c < eq; c++)
        if (!(((*c | 32) >= 'a' && (*c | 32) <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return false;
    return true;
}

/* -1 to go on, else the exit code. */
static int brun_parse(int argc, char **argv, struct brun_options *o)
{
    enum {
        O_RECIPES = 1000,
        O_ALL,
        O_DEPTH,
        O_REPS,
        O_UBATCH,
        O_FA,
        O_ENV,
        O_DRY,
        O_STORE,
        O_FACTS,
        O_FRESH,
        O_FORCE,
        O_RPC,
    };
    static const struct option opts[] = {
        {"recipes", required_argument, NULL, O_RECIPES},
        {"all-suitable", no_argument, NULL, O_ALL},
        {"depth", required_argument, NULL, O_DEPTH},
        {"reps", required_argument, NULL, O_REPS},
        {"ubatch", required_argument, NULL, O_UBATCH},
        {"fa", required_argument, NULL, O_FA},
        {"env", required_argument, NULL, O_ENV},
        {"dry-run", no_argument, NULL, O_DRY},
        {"store", required_argument, NULL, O_STORE},
        {"facts", required_argument, NULL, O_FACTS},
        {"fresh", no_argument, NULL, O_FRESH},
        {"force", no_argument, NULL, O_FORCE},
        {"rpc", required_argument, NULL, O_RPC},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    memset(o, 0, sizeof(*o));
    o->lo.kv = KV_F16;
    int end = argc;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--")) {
            end = i;
            break;
        }
    int c, ret = -1;
    optind = 1;
    opterr = 0;
    while (ret < 0 && (c = getopt_long(end, argv, ":p:n:qh", opts, NULL)) != -1) {
        switch (c) {
        case O_RECIPES:
            o->recipes = optarg;
            break;
        case O_ALL:
            o->all_suitable = true;
            break;
        case 'p':
            if (!num_list_ok(optarg, 0))
                ret = usage_error("bench", "-p takes prompt lengths (512 or 512,1024), not '%s'",
                                  optarg);
            o->p = optarg;
            break;
        case 'n':
            if (!num_list_ok(optarg, 0))
                ret =
                    usage_error("bench", "-n takes token counts (128 or 64,128), not '%s'", optarg);
            o->n = optarg;
            break;
        case O_DEPTH:
            if (!num_list_ok(optarg, 0))
                ret = usage_error("bench", "--depth takes depths (0,4096), not '%s'", optarg);
            o->depth = optarg;
            break;
        case O_REPS:
            if (!num_list_ok(optarg, 1) || strchr(optarg, ','))
                ret = usage_error("bench", "--reps takes a positive number, not '%s'", optarg);
            o->reps = optarg;
            break;
        case O_UBATCH:
            if (!num_list_ok(optarg, 1))
                ret = usage_error("bench", "--ubatch takes sizes (256,512), not '%s'", optarg);
            o->ubatch = optarg;
            break;
        case O_FA:
            if (strcmp(optarg, "on") && strcmp(optarg, "off"))
                ret = usage_error("bench", "--fa takes on or off, not '%s'", optarg);
            o->fa = optarg;
            break;
        case O_ENV:
            if (!env_ok(optarg))
                ret = usage_error("bench", "--env takes NAME=VALUE, not '%s'", optarg);
            else
                str_list_add(&o->lo.env, optarg);
            break;
        case O_DRY:
            o->lo.dry_run = true;
            break;
        case O_STORE:
            o->lo.store = optarg;
            break;
        case O_FACTS:
            o->lo.facts_path = optarg;
            break;
        case O_FRESH:
            o->lo.fresh = true;
            break;
        case O_FORCE:
            o->lo.force = true;
            break;
        case O_RPC:
            o->lo.rpc = optarg;
            break;
        case 'q':
            o->lo.quiet = true;
            break;
        case 'h':
            fputs(cmd_bench_run_usage, stdout);
            ret = EXIT_OK;
            break;
        case ':':
            ret = usage_error("bench", "option '%s' needs a value", argv[optind - 1]);
            break;
        default:
            ret = usage_error("bench", "unknown option '%s'", argv[optind - 1]);
            break;
        }
    }
    if (ret >= 0)
        return ret;
    o->lo.args = argv + optind;
    o->lo.n_args = end - optind;
    if (o->lo.n_args != 1)
        return usage_error("bench",
                           o->lo.n_args ? "one model at a time, not '%s'"
                                        : "name a model%s (or a verb: ls, show, compare, "
                                          "import-log, export, import)",
                           o->lo.n_args ? o->lo.args[1] : "");
    if (o->recipes && o->all_suitable)
        return usage_error("bench", "--recipes and --all-suitable exclude each other");
    static const struct {
        const char *flag;
        size_t off;
        const char *def;
    } lists[] = {
        {"-p", offsetof(struct brun_options, p), "512"},
        {"-n", offsetof(struct brun_options, n), "128"},
        {"-d", offsetof(struct brun_options, depth), NULL},
        {"-r", offsetof(struct brun_options, reps), "5"},
        {"-ub", offsetof(struct brun_options, ubatch), NULL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
        const char *v = *(const char **)((char *)o + lists[i].off);
        if (!v)
            v = lists[i].def;
        if (v) {
            str_list_add(&o->engine, lists[i].flag);
            str_list_add(&o->engine, v);
        }
    }
    for (int i = end + 1; i < argc; i++)
        str_list_add(&o->engine, argv[i]);
    o->lo.engine_args = o->engine.v;
    o->lo.n_engine_args = (int)o->engine.n;
    return -1;
}

/* ---- the plans ------------------------------------------------------------- */

struct brun_recipe {
    const char *name; /* NULL: the plan chooses */
    struct launch l;
    char *container;
};

/* The recipes to run: --recipes (each must exist), --all-suitable, or one
 * NULL for the plan's own choice. Fills names (pointers into set or args). */
static int pick_recipes(const struct brun_options *o, struct str_list *names, struct hb_error *err)
{
    if (!o->recipes && !o->all_suitable) {
        str_list_add(names, "");
        return 0;
    }
    struct strbuf dir = STRBUF_INIT;
    struct recipe_set set = {0};
    struct facts f;
    facts_init(&f);
    int r = recipes_dir_find(&dir, err);
    if (r == 0)
        r = recipes_load_dir(&set, dir.buf, err);
    if (r == 0 && o->recipes) {
        const char *p = o->recipes;
        while (r == 0) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char *name = xstrndup(p, len);
            if (!recipes_find(&set, name)) {
                struct strbuf known = STRBUF_INIT;
                for (size_t i = 0; i < set.n; i++)
                    strbuf_addf(&known, "%s%s", i ? ", " : "", set.v[i].name);
                r = hb_error_set(err, EXIT_USAGE, "no recipe named '%s' (recipes: %s)", name,
                                 known.buf);
                strbuf_release(&known);
            } else if (str_list_has(names, name)) {
                r = hb_error_set(err, EXIT_USAGE, "recipe '%s' named twice", name);
            } else {
                str_list_add(names, name);
            }
            free(name);
            if (!comma)
                break;
            p = comma + 1;
        }
    } else if (r == 0) {
        r = facts_acquire(o->lo.facts_path, o->lo.fresh, &f, err);
        for (size_t i = 0; r == 0 && i < set.n; i++) {
            struct strbuf why = STRBUF_INIT;
            if (recipe_suits(&set.v[i], &f, &why))
                str_list_add(names, set.v[i].name);
            strbuf_release(&why);
        }
        if (r == 0 && !names->n)
            r = hb_error_set(err, EXIT_RUNTIME, "no recipe suits this host");
    }
    facts_release(&f);
    recipes_release(&set);
    strbuf_release(&dir);
    return r;
}

/* The plan's llama-bench command as this run wants it: -o jsonl (a crash
 * keeps the finished lines), and --fa in the plan's own spelling. */
static void adjust_engine(struct plan *p, const char *fa)
{
    struct str_list *e = &p->engine;
    for (size_t i = 0; i + 1 < e->n; i++) {
        if (!strcmp(e->v[i], "-o") && !strcmp(e->v[i + 1], "json")) {
            free(e->v[i + 1]);
            e->v[i + 1] = xstrdup("jsonl");
        } else if (fa && !strcmp(e->v[i], "-fa")) {
            bool numeric = !strcmp(e->v[i + 1], "1") || !strcmp(e->v[i + 1], "0");
            bool on = !strcmp(fa, "on");
            free(e->v[i + 1]);
            e->v[i + 1] = xstrdup(numeric ? (on ? "1" : "0") : fa);
        }
    }
}

/* ---- one recipe ------------------------------------------------------------- */

struct brun {
    const struct brun_options *o;
    struct bench_run run;
    struct bench_writer *w;
    struct bench_record base; /* model, host; the image per recipe */
    char *podman;
    bool progress;
};

/* The image's digest (its id where it has no registry digest) and the
 * recipe digest it was built from (its label), in one inspect: the record
 * describes the image that ran, not the recipe as it is now. */
static void image_provenance(const char *podman, const char *image, char **digest,
                             char **recipe_sha256)
{
    const char *args[] = {
        "image",    "inspect",
        "--format", "{{.Digest}} {{.Id}} {{index .Labels \"halobox.recipe.sha256\"}}",
        image,      NULL};
    struct strbuf out = STRBUF_INIT;
    struct hb_error err = HB_ERROR_INIT;
    *digest = *recipe_sha256 = NULL;
    if (podman_capture(podman, args, 30000, &out, NULL, &err) == 0) {
        out.buf[strcspn(out.buf, "\r\n")] = '\0';
        char *id = strchr(out.buf, ' ');
        char *label = id ? strchr(id + 1, ' ') : NULL;
        if (id)
            *id++ = '\0';
        if (label)
            *label++ = '\0';
        if (!strncmp(out.buf, "sha256:", 7))
            *digest = xstrdup(out.buf);
        else if (id && *id) {
            struct strbuf d = STRBUF_INIT;
            strbuf_addf(&d, "%s%s", strncmp(id, "sha256:", 7) ? "sha256:" : "", id);
            *digest = strbuf_detach(&d);
        }
        /* A missing label prints as "<no value>". */
        if (label && strlen(label) == 64 && strspn(label, "0123456789abcdef") == 64)
            *recipe_sha256 = xstrdup(label);
    }
    hb_error_release(&err);
    strbuf_release(&out);
}

/* The last few non-empty lines of the engine's log, on one line. */
static void log_end(const char *text, struct strbuf *out)
{
    struct strbuf lines = STRBUF_INIT;
    launch_tail_lines(text, 3, &lines);
    const char *p = lines.buf;
    bool first = true;
    while ((p = strstr(p, "\n  "))) {
        p += 3;
        size_t n = strcspn(p, "\n");
        if (n) {
            strbuf_addstr(out, first ? "; its log ends: " : " / ");
            strbuf_add(out, p, n);
            first = false;
        }
        p += n;
    }
    strbuf_release(&lines);
}

/* Parses one line of llama-bench's output and keeps its results. */
static int take_line(struct brun *b, const struct plan *p, const char *line, size_t len,
                     size_t lineno, struct hb_error *err)
{
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (!len)
        return 0;
    struct strbuf origin = STRBUF_INIT;
    strbuf_addf(&origin, "run %s: recipe %s: llama-bench output line %zu", b->run.id, p->recipe,
                lineno);
    struct bench_results res = {0};
    int r = llama_bench_parse_json(line, len, origin.buf, &res, err);
    strbuf_release(&origin);
    for (size_t i = 0; r == 0 && i < res.n; i++) {
        struct bench_record rec = {0};
        bench_result_copy(&rec.r, &res.v[i]);
        bench_model_copy(&rec.model, &b->base.model);
        if (!rec.model.filename)
            rec.model.filename = xstrdup_or_null(res.v[i].model_filename);
        bench_host_copy(&rec.host, &b->base.host);
        rec.image.recipe = xstrdup(p->recipe);
        rec.image.recipe_sha256 = xstrdup_or_null(b->base.image.recipe_sha256);
        rec.image.digest = xstrdup_or_null(b->base.image.digest);
        rec.image.engine_version = xstrdup_or_null(p->engine_version);
        rec.image.engine_commit = xstrdup_or_null(res.v[i].build_commit);
        r = bench_writer_add(b->w, &rec, err);
        if (r == 0 && b->progress) {
            struct strbuf name = STRBUF_INIT;
            bench_test_name(&res.v[i], &name);
            fprintf(stderr, "halobox: %s %s: %.2f", p->recipe, name.buf, res.v[i].avg_ts.v);
            if (res.v[i].stddev_ts.known)
                fprintf(stderr, " \xc2\xb1 %.2f", res.v[i].stddev_ts.v);
            fprintf(stderr, " t/s%s%s\n", res.v[i].backends ? " " : "",
                    res.v[i].backends ? res.v[i].backends : "");
            strbuf_release(&name);
        }
        bench_record_release(&rec);
    }
    bench_results_release(&res);
    return r;
}

/* Runs one recipe. Returns 0 when it was recorded (complete or failed), -1
 * on an error that ends the run (err set), 1 when interrupted. */
static int run_recipe(struct brun *b, struct brun_recipe *br, struct hb_error *err)
{
    const struct plan *p = &br->l.plan;
    free(b->base.image.digest);
    free(b->base.image.recipe_sha256);
    image_provenance(b->podman, p->image, &b->base.image.digest, &b->base.image.recipe_sha256);
    if (!b->o->lo.quiet)
        fprintf(stderr, "halobox: benchmarking %s with recipe %s (%s)\n", p->model, p->recipe,
                p->image);

    struct str_list argv = {0};
    podman_run_argv(p, b->podman, &argv);
    int outp[2], errp[2];
    if (pipe2(outp, O_CLOEXEC) < 0) {
        str_list_release(&argv);
        return hb_error_set(err, EXIT_RUNTIME, "pipe: %s", strerror(errno));
    }
    if (pipe2(errp, O_CLOEXEC) < 0) {
        close(outp[0]);
        close(outp[1]);
        str_list_release(&argv);
        return hb_error_set(err, EXIT_RUNTIME, "pipe: %s", strerror(errno));
    }
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t pid;
    int sr = podman_spawn(argv.v, devnull, outp[1], errp[1], &pid, err);
    close(outp[1]);
    close(errp[1]);
    if (devnull >= 0)
        close(devnull);
    str_list_release(&argv);
    if (sr < 0) {
        close(outp[0]);
        close(errp[0]);
        return -1;
    }

    struct strbuf pending = STRBUF_INIT, log = STRBUF_INIT;
    struct hb_error perr = HB_ERROR_INIT; /* the output's first problem */
    size_t lineno = 0;
    bool removed = false, out_open = true, err_open = true;
    int r = 0;
    while (out_open || err_open) {
        if (launch_stop && !removed) {
            if (!b->o->lo.quiet)
                fprintf(stderr, "halobox: interrupted: stopping %s\n", p->name);
            struct hb_error rerr = HB_ERROR_INIT;
            podman_remove(b->podman, p->name, 5, &rerr);
            hb_error_release(&rerr);
            removed = true;
        }
        struct pollfd pfd[2] = {{.fd = out_open ? outp[0] : -1, .events = POLLIN},
                                {.fd = err_open ? errp[0] : -1, .events = POLLIN}};
        int n = poll(pfd, 2, 200);
        if (n <= 0)
            continue;
        char buf[4096];
        if (pfd[0].revents) {
            ssize_t got = read(outp[0], buf, sizeof(buf));
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                out_open = false;
            else
                strbuf_add(&pending, buf, (size_t)got);
            /* Every complete line: a finished test. */
            char *nl;
            while ((nl = memchr(pending.buf, '\n', pending.len))) {
                size_t len = (size_t)(nl - pending.buf);
                lineno++;
                if (!perr.msg && r == 0 && take_line(b, p, pending.buf, len, lineno, &perr) < 0 &&
                    !perr.msg)
                    hb_error_set(&perr, EXIT_RUNTIME, "cannot keep a result");
                memmove(pending.buf, nl + 1, pending.len - len - 1);
                pending.len -= len + 1;
                pending.buf[pending.len] = '\0';
            }
        }
        if (pfd[1].revents) {
            ssize_t got = read(errp[0], buf, sizeof(buf));
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                err_open = false;
            else if (log.len < 256 * 1024)
                strbuf_add(&log, buf, (size_t)got);
        }
    }
    close(outp[0]);
    close(errp[0]);
    struct hb_error werr = HB_ERROR_INIT;
    int status = podman_wait(pid, NULL, &werr);
    struct hb_error rerr = HB_ERROR_INIT;
    podman_remove(b->podman, p->name, 5, &rerr);
    hb_error_release(&rerr);

    size_t kept = 0;
    for (size_t i = 0; i < b->run.n_records; i++)
        if (b->run.records[i].image.recipe && !strcmp(b->run.records[i].image.recipe, p->recipe))
            kept++;
    struct strbuf why = STRBUF_INIT;
    if (launch_stop) {
        r = 1; /* left pending: bench_writer_finish marks it incomplete */
    } else if (status < 0) {
        strbuf_addstr(&why, werr.msg ? werr.msg : "cannot wait for podman");
    } else if (status != 0) {
        strbuf_addf(&why, "the engine exited with status %d", status);
        if (status > 128 && status < 160)
            strbuf_addf(&why, " (signal %d)", status - 128);
        if (kept)
            strbuf_addf(&why, " after %zu results", kept);
        log_end(log.buf, &why);
    } else if (pending.len && !perr.msg) {
        strbuf_addf(&why, "run %s: recipe %s: llama-bench output line %zu is cut short", b->run.id,
                    p->recipe, lineno + 1);
    } else if (perr.msg) {
        strbuf_addstr(&why, perr.msg);
    } else if (!kept) {
        strbuf_addstr(&why, "llama-bench gave no results");
        log_end(log.buf, &why);
    }
    /* Kept beside the results for bug reports (bench export carries it);
     * losing it does not lose the results. */
    struct hb_error lerr = HB_ERROR_INIT;
    if (bench_writer_add_log(b->w, p->recipe, log.buf, log.len, &lerr) < 0)
        fprintf(stderr, "halobox: warning: the engine's log is not kept: %s\n", lerr.msg);
    hb_error_release(&lerr);
    if (r == 0) {
        enum bench_status st = why.len ? BENCH_STATUS_FAILED : BENCH_STATUS_COMPLETE;
        if (why.len)
            fprintf(stderr, "halobox: recipe %s failed: %s\n", p->recipe, why.buf);
        if (bench_writer_recipe_done(b->w, p->recipe, st, why.len ? why.buf : NULL, err) < 0)
            r = -1;
    }
    hb_error_release(&perr);
    hb_error_release(&werr);
    strbuf_release(&why);
    strbuf_release(&pending);
    strbuf_release(&log);
    return r;
}

/* ---- the command ------------------------------------------------------------ */

static int model_record(struct brun *b, const struct launch *l, struct hb_error *err)
{
    struct strbuf path = STRBUF_INIT;
    strbuf_addf(&path, "%s/%s", l->store_root, l->model_file);
    struct gguf_model m;
    int r = gguf_open(&m, path.buf, err);
    if (r == 0) {
        bench_model_from_gguf(&b->base.model, &m, l->ref.name);
        gguf_close(&m);
        const char *slash = strrchr(l->model_file, '/');
        b->base.model.filename = xstrdup(slash ? slash + 1 : l->model_file);
        free(b->base.model.sha256);
        b->base.model.sha256 = xstrdup_or_null(l->ref.files[0].sha256);
    }
    strbuf_release(&path);
    return r;
}

int cmd_bench_run(int argc, char **argv)
{
    struct brun_options o;
    int rc = brun_parse(argc, argv, &o);
    if (rc >= 0) {
        str_list_release(&o.engine);
        launch_options_release(&o.lo);
        return rc;
    }
    struct hb_error err = HB_ERROR_INIT;
    struct str_list names = {0};
    struct brun_recipe *rs = NULL;
    size_t n = 0;
    struct brun b = {.o = &o};
    bool opened = false;
    rc = EXIT_OK;

    if (pick_recipes(&o, &names, &err) < 0)
        goto out;
    rs = xcalloc(names.n, sizeof(*rs));
    /* Every plan first: a recipe that cannot run is an error before any
     * result is made. */
    for (n = 0; n < names.n; n++) {
        struct brun_recipe *br = &rs[n];
        launch_init(&br->l);
        br->name = *names.v[n] ? names.v[n] : NULL;
        struct launch_options lo = o.lo;
        lo.recipe = br->name;
        lo.fresh = o.lo.fresh && n == 0;
        if (!o.lo.dry_run) {
            struct strbuf c = STRBUF_INIT;
            strbuf_addf(&c, "halobox-bench-%s-%ld-%zu", o.lo.args[0], (long)getpid(), n);
            br->container = strbuf_detach(&c);
        }
        if (launch_prepare(&lo, PLAN_BENCH, NULL, false, br->container, 0, &br->l, &err) < 0) {
            n++;
            goto out;
        }
        adjust_engine(&br->l.plan, o.fa);
        launch_explain(&lo, &br->l);
        if (o.lo.dry_run) {
            if (launch_print_dry_run(&br->l, &err) < 0) {
                n++;
                goto out;
            }
        } else {
            free(b.podman);
            b.podman = NULL;
            if (launch_preflight(&lo, &br->l, true, &b.podman, &err) < 0) {
                n++;
                goto out;
            }
        }
    }
    if (o.lo.dry_run)
        goto out;

    b.run.source = xstrdup("bench");
    bench_host_from_facts(&b.base.host, &rs[0].l.facts, &rs[0].l.verdict);
    if (model_record(&b, &rs[0].l, &err) < 0)
        goto out;
    bench_model_copy(&b.run.model, &b.base.model);
    bench_host_copy(&b.run.host, &b.base.host);
    for (size_t i = 0; i < n; i++)
        bench_run_add_recipe(&b.run, rs[i].l.plan.recipe);
    struct strbuf dir = STRBUF_INIT;
    int r = bench_dir(&dir, &err);
    if (r == 0)
        r = bench_writer_open(&b.w, dir.buf, &b.run, &err);
    strbuf_release(&dir);
    if (r < 0)
        goto out;
    opened = true;
    b.progress = !o.lo.quiet && isatty(STDERR_FILENO);
    if (!o.lo.quiet)
        fprintf(stderr, "halobox: run %s\n", b.run.id);
    launch_catch_signals();
    bool interrupted = false;
    for (size_t i = 0; i < n && !interrupted; i++) {
        r = run_recipe(&b, &rs[i], &err);
        if (r < 0)
            goto out;
        interrupted = r == 1 || launch_stop;
    }
    if (bench_writer_finish(b.w, &err) < 0)
        goto out;

    struct strbuf text = STRBUF_INIT;
    strbuf_addf(&text, "run %s: %s\n", b.run.id, bench_status_name(b.run.status));
    if (b.run.n_records) {
        struct compare_options co = {0};
        struct compare_table t;
        strbuf_addch(&text, '\n');
        if (compare_build(&t, &b.run, 1, &co, &err) == 0) {
            compare_render_text(&t, &text);
            compare_release(&t);
        }
    }
    if (!err.msg)
        write_stdout(&text, &err);
    strbuf_release(&text);
    if (!err.msg)
        rc = interrupted ? 130 : b.run.status == BENCH_STATUS_COMPLETE ? EXIT_OK : EXIT_RUNTIME;
out:
    if (err.msg) {
        rc = report_error(&err);
        if (opened && !o.lo.quiet)
            fprintf(stderr, "halobox: the finished results are kept in run %s\n", b.run.id);
    }
    bench_writer_free(b.w);
    for (size_t i = 0; i < n; i++) {
        launch_release(&rs[i].l);
        free(rs[i].container);
    }
    free(rs);
    free(b.podman);
    bench_record_release(&b.base);
    bench_run_release(&b.run);
    str_list_release(&names);
    str_list_release(&o.engine);
    launch_options_release(&o.lo);
    hb_error_release(&err);
    return rc;
}
