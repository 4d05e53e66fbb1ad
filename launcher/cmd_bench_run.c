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

bool bench_num_list_ok(const char *s, unsigned long long min)
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

int bench_launch_option(const char *verb, int c, const char *arg, struct launch_options *lo,
                        int *ret)
{
    switch (c) {
    case BLO_ENV:
        if (!env_ok(arg))
            *ret = usage_error(verb, "--env takes NAME=VALUE, not '%s'", arg);
        else
            str_list_add(&lo->env, arg);
        return 1;
    case BLO_DRY:
        lo->dry_run = true;
        return 1;
    case BLO_STORE:
        lo->store = arg;
        return 1;
    case BLO_FACTS:
        lo->facts_path = arg;
        return 1;
    case BLO_FRESH:
        lo->fresh = true;
        return 1;
    case BLO_FORCE:
        lo->force = true;
        return 1;
    case BLO_RPC:
        lo->rpc = arg;
        return 1;
    case 'q':
        lo->quiet = true;
        return 1;
    default:
        return 0;
    }
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
    };
    static const struct option opts[] = {
        {"recipes", required_argument, NULL, O_RECIPES},
        {"all-suitable", no_argument, NULL, O_ALL},
        {"depth", required_argument, NULL, O_DEPTH},
        {"reps", required_argument, NULL, O_REPS},
        {"ubatch", required_argument, NULL, O_UBATCH},
        {"fa", required_argument, NULL, O_FA},
        BENCH_LAUNCH_OPTIONS,
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
        if (bench_launch_option("bench", c, optarg, &o->lo, &ret))
            continue;
        switch (c) {
        case O_RECIPES:
            o->recipes = optarg;
            break;
        case O_ALL:
            o->all_suitable = true;
            break;
        case 'p':
            if (!bench_num_list_ok(optarg, 0))
                ret = usage_error("bench", "-p takes prompt lengths (512 or 512,1024), not '%s'",
                                  optarg);
            o->p = optarg;
            break;
        case 'n':
            if (!bench_num_list_ok(optarg, 0))
                ret =
                    usage_error("bench", "-n takes token counts (128 or 64,128), not '%s'", optarg);
            o->n = optarg;
            break;
        case O_DEPTH:
            if (!bench_num_list_ok(optarg, 0))
                ret = usage_error("bench", "--depth takes depths (0,4096), not '%s'", optarg);
            o->depth = optarg;
            break;
        case O_REPS:
            if (!bench_num_list_ok(optarg, 1) || strchr(optarg, ','))
                ret = usage_error("bench", "--reps takes a positive number, not '%s'", optarg);
            o->reps = optarg;
            break;
        case O_UBATCH:
            if (!bench_num_list_ok(optarg, 1))
                ret = usage_error("bench", "--ubatch takes sizes (256,512), not '%s'", optarg);
            o->ubatch = optarg;
            break;
        case O_FA:
            if (strcmp(optarg, "on") && strcmp(optarg, "off"))
                ret = usage_error("bench", "--fa takes on or off, not '%s'", optarg);
            o->fa = optarg;
            break;
        default:
            ret = getopt_rest(c, "bench", cmd_bench_run_usage, argv);
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
 * keeps the finished lines), and -fa replaced by the leg's value or list
 * ("on", "off,on") in the plan's own spelling: llama-bench appends a
 * repeated option to its list, it does not replace it. */
static void adjust_engine(struct plan *p, const char *fa)
{
    struct str_list *e = &p->engine;
    for (size_t i = 0; i + 1 < e->n; i++) {
        if (!strcmp(e->v[i], "-o") && !strcmp(e->v[i + 1], "json")) {
            free(e->v[i + 1]);
            e->v[i + 1] = xstrdup("jsonl");
        } else if (fa && !strcmp(e->v[i], "-fa")) {
            bool numeric = !strcmp(e->v[i + 1], "1") || !strcmp(e->v[i + 1], "0");
            struct strbuf v = STRBUF_INIT;
            for (const char *s = fa; *s;) {
                size_t n = strcspn(s, ",");
                bool on = n == 2 && !strncmp(s, "on", 2);
                if (v.len)
                    strbuf_addch(&v, ',');
                if (numeric)
                    strbuf_addstr(&v, on ? "1" : "0");
                else
                    strbuf_add(&v, s, n);
                s += n + (s[n] == ',');
            }
            free(e->v[i + 1]);
            e->v[i + 1] = strbuf_detach(&v);
        }
    }
}

/* ---- one leg ----------------------------------------------------------------- */

struct brun {
    const struct bench_legs *spec;
    struct bench_run *run;
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
    *digest = *recipe_sha256 = NULL;
    char *out = podman_image_inspect(
        podman, image, "{{.Digest}} {{.Id}} {{index .Labels \"halobox.recipe.sha256\"}}");
    if (out) {
        out[strcspn(out, "\r\n")] = '\0';
        char *id = strchr(out, ' ');
        char *label = id ? strchr(id + 1, ' ') : NULL;
        if (id)
            *id++ = '\0';
        if (label)
            *label++ = '\0';
        if (!strncmp(out, "sha256:", 7))
            *digest = xstrdup(out);
        else if (id && *id) {
            struct strbuf d = STRBUF_INIT;
            strbuf_addf(&d, "%s%s", strncmp(id, "sha256:", 7) ? "sha256:" : "", id);
            *digest = strbuf_detach(&d);
        }
        /* A missing label prints as "<no value>". */
        if (label && strlen(label) == 64 && strspn(label, "0123456789abcdef") == 64)
            *recipe_sha256 = xstrdup(label);
    }
    free(out);
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

/* The progress line of one finished test on a terminal: what it measured,
 * with the settings a sweep varies. */
static void progress_line(const char *recipe, const struct bench_result *r)
{
    struct strbuf name = STRBUF_INIT;
    bench_test_name(r, &name);
    fprintf(stderr, "halobox: %s %s", recipe, name.buf);
    if (r->n_ubatch.known)
        fprintf(stderr, " ub=%llu", (unsigned long long)r->n_ubatch.v);
    if (bench_fa_name(r->flash_attn))
        fprintf(stderr, " fa=%s", bench_fa_name(r->flash_attn));
    if (r->type_k && r->type_v)
        fprintf(stderr, " kv=%s/%s", r->type_k, r->type_v);
    fprintf(stderr, ": %.2f", r->avg_ts.v);
    if (r->stddev_ts.known)
        fprintf(stderr, " \xc2\xb1 %.2f", r->stddev_ts.v);
    fprintf(stderr, " t/s%s%s\n", r->backends ? " " : "", r->backends ? r->backends : "");
    strbuf_release(&name);
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
    strbuf_addf(&origin, "run %s: recipe %s: llama-bench output line %zu", b->run->id, p->recipe,
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
        if (r == 0 && b->progress)
            progress_line(p->recipe, &res.v[i]);
        bench_record_release(&rec);
    }
    bench_results_release(&res);
    return r;
}

/* Runs one leg: its container, every output line kept as it comes. Returns
 * 0 when it ended (why empty: complete; else why it failed), -1 on an error
 * that ends the run (err set), 1 when interrupted. */
static int run_leg(struct brun *b, const struct launch *l, struct strbuf *why, struct hb_error *err)
{
    const struct plan *p = &l->plan;
    free(b->base.image.digest);
    free(b->base.image.recipe_sha256);
    image_provenance(b->podman, p->image, &b->base.image.digest, &b->base.image.recipe_sha256);
    if (!b->spec->lo.quiet)
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
    size_t lineno = 0, before = b->run->n_records;
    bool removed = false, out_open = true, err_open = true;
    while (out_open || err_open) {
        if (launch_stop && !removed) {
            if (!b->spec->lo.quiet)
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
                if (!perr.msg && take_line(b, p, pending.buf, len, lineno, &perr) < 0 && !perr.msg)
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

    size_t kept = b->run->n_records - before;
    int r = 0;
    if (launch_stop) {
        r = 1; /* left pending: bench_writer_finish marks it incomplete */
    } else if (status < 0) {
        strbuf_addstr(why, werr.msg ? werr.msg : "cannot wait for podman");
    } else if (status != 0) {
        strbuf_addf(why, "the engine exited with status %d", status);
        if (status > 128 && status < 160)
            strbuf_addf(why, " (signal %d)", status - 128);
        if (kept)
            strbuf_addf(why, " after %zu results", kept);
        log_end(log.buf, why);
    } else if (pending.len && !perr.msg) {
        strbuf_addf(why, "run %s: recipe %s: llama-bench output line %zu is cut short", b->run->id,
                    p->recipe, lineno + 1);
    } else if (perr.msg) {
        strbuf_addstr(why, perr.msg);
    } else if (!kept) {
        strbuf_addstr(why, "llama-bench gave no results");
        log_end(log.buf, why);
    }
    /* Kept beside the results for bug reports (bench export carries it);
     * losing it does not lose the results. */
    struct hb_error lerr = HB_ERROR_INIT;
    if (bench_writer_add_log(b->w, p->recipe, log.buf, log.len, &lerr) < 0)
        fprintf(stderr, "halobox: warning: the engine's log is not kept: %s\n", lerr.msg);
    hb_error_release(&lerr);
    hb_error_release(&perr);
    hb_error_release(&werr);
    strbuf_release(&pending);
    strbuf_release(&log);
    return r;
}

/* ---- the legs of a run ------------------------------------------------------ */

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

/* Every leg's plan, before any result is made: a recipe that cannot run is
 * an error before the first container starts. */
int bench_legs_prepare(struct bench_legs *s, struct hb_error *err)
{
    for (size_t i = 0; i < s->n; i++) {
        struct bench_leg *lg = &s->v[i];
        launch_init(&lg->l);
        lg->prepared = true;
        struct launch_options lo = s->lo;
        lo.recipe = lg->recipe;
        lo.fresh = s->lo.fresh && i == 0;
        lo.engine_args = lg->args.v;
        lo.n_engine_args = (int)lg->args.n;
        if (!s->lo.dry_run) {
            struct strbuf c = STRBUF_INIT;
            strbuf_addf(&c, "halobox-bench-%s-%ld-%zu", s->lo.args[0], (long)getpid(), i);
            lg->container = strbuf_detach(&c);
        }
        if (launch_prepare(&lo, PLAN_BENCH, NULL, false, lg->container, 0, &lg->l, err) < 0)
            return -1;
        adjust_engine(&lg->l.plan, lg->fa);
        /* A recipe's second leg explains nothing new. */
        if (i == 0 || strcmp(s->v[i - 1].l.plan.recipe, lg->l.plan.recipe))
            launch_explain(&lo, &lg->l);
        if (s->lo.dry_run) {
            if (launch_print_dry_run(&lg->l, err) < 0)
                return -1;
        } else {
            free(s->podman);
            s->podman = NULL;
            /* The doctor's warnings are the host's: said once. */
            lo.quiet = s->lo.quiet || i > 0;
            if (launch_preflight(&lo, &lg->l, true, &s->podman, err) < 0)
                return -1;
        }
    }
    return 0;
}

int bench_legs_run(struct bench_legs *s, struct bench_run *run, bool *interrupted,
                   struct hb_error *err)
{
    struct brun b = {.spec = s, .run = run, .podman = s->podman};
    *interrupted = false;
    run->source = xstrdup(s->source ? s->source : "bench");
    run->label = xstrdup_or_null(s->label);
    const struct launch *first = &s->v[0].l;
    bench_host_from_facts(&b.base.host, &first->facts, &first->verdict);
    int r = model_record(&b, first, err);
    if (r == 0) {
        bench_model_copy(&run->model, &b.base.model);
        bench_host_copy(&run->host, &b.base.host);
        for (size_t i = 0; i < s->n; i++)
            if (i == 0 || strcmp(s->v[i - 1].l.plan.recipe, s->v[i].l.plan.recipe))
                bench_run_add_recipe(run, s->v[i].l.plan.recipe);
        struct strbuf dir = STRBUF_INIT;
        r = bench_dir(&dir, err);
        if (r == 0)
            r = bench_writer_open(&b.w, dir.buf, run, err);
        strbuf_release(&dir);
    }
    if (r < 0) {
        bench_record_release(&b.base);
        return -1;
    }
    s->opened = true;
    b.progress = !s->lo.quiet && isatty(STDERR_FILENO);
    if (!s->lo.quiet)
        fprintf(stderr, "halobox: run %s\n", run->id);
    launch_catch_signals();
    /* A recipe's legs run one after the other; its status is written after
     * its last leg: failed when any of them failed (the others' results are
     * kept). */
    struct strbuf why = STRBUF_INIT;
    for (size_t i = 0; i < s->n && !*interrupted; i++) {
        const char *recipe = s->v[i].l.plan.recipe;
        struct strbuf leg_why = STRBUF_INIT;
        r = run_leg(&b, &s->v[i].l, &leg_why, err);
        if (r < 0) {
            strbuf_release(&leg_why);
            break;
        }
        *interrupted = r == 1 || launch_stop;
        if (leg_why.len) {
            fprintf(stderr, "halobox: recipe %s failed: %s\n", recipe, leg_why.buf);
            strbuf_addf(&why, "%s%s", why.len ? "; " : "", leg_why.buf);
        }
        strbuf_release(&leg_why);
        bool last = i + 1 == s->n || strcmp(s->v[i + 1].l.plan.recipe, recipe);
        if (!*interrupted && last) {
            enum bench_status st = why.len ? BENCH_STATUS_FAILED : BENCH_STATUS_COMPLETE;
            r = bench_writer_recipe_done(b.w, recipe, st, why.len ? why.buf : NULL, err);
            strbuf_reset(&why);
            if (r < 0)
                break;
        }
    }
    strbuf_release(&why);
    if (r >= 0)
        r = bench_writer_finish(b.w, err);
    bench_writer_free(b.w);
    bench_record_release(&b.base);
    return r < 0 ? -1 : 0;
}

void bench_legs_release(struct bench_legs *s)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].prepared)
            launch_release(&s->v[i].l);
        free(s->v[i].container);
        str_list_release(&s->v[i].args);
    }
    free(s->v);
    free(s->podman);
    launch_options_release(&s->lo);
    memset(s, 0, sizeof(*s));
}

struct bench_leg *bench_legs_add(struct bench_legs *s, const char *recipe)
{
    s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
    struct bench_leg *lg = &s->v[s->n++];
    memset(lg, 0, sizeof(*lg));
    lg->recipe = recipe;
    return lg;
}

/* ---- the command ------------------------------------------------------------ */

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
    struct bench_legs s = {.lo = o.lo, .source = "bench"};
    struct bench_run run = {0};
    rc = EXIT_OK;

    if (pick_recipes(&o, &names, &err) < 0)
        goto out;
    for (size_t i = 0; i < names.n; i++) {
        struct bench_leg *lg = bench_legs_add(&s, *names.v[i] ? names.v[i] : NULL);
        lg->fa = o.fa;
        for (size_t j = 0; j < o.engine.n; j++)
            str_list_add(&lg->args, o.engine.v[j]);
    }
    if (bench_legs_prepare(&s, &err) < 0 || o.lo.dry_run)
        goto out;
    bool interrupted;
    if (bench_legs_run(&s, &run, &interrupted, &err) < 0)
        goto out;

    struct strbuf text = STRBUF_INIT;
    strbuf_addf(&text, "run %s: %s\n", run.id, bench_status_name(run.status));
    if (run.n_records) {
        struct compare_options co = {0};
        struct compare_table t;
        strbuf_addch(&text, '\n');
        if (compare_build(&t, &run, 1, &co, &err) == 0) {
            compare_render_text(&t, &text);
            compare_release(&t);
        }
    }
    if (!err.msg)
        write_stdout(&text, &err);
    strbuf_release(&text);
    if (!err.msg)
        rc = interrupted ? 130 : run.status == BENCH_STATUS_COMPLETE ? EXIT_OK : EXIT_RUNTIME;
out:
    if (err.msg) {
        rc = report_error(&err);
        if (s.opened && !o.lo.quiet)
            fprintf(stderr, "halobox: the finished results are kept in run %s\n", run.id);
    }
    /* s owns the launch options now (o.lo's env list). */
    bench_legs_release(&s);
    bench_run_release(&run);
    str_list_release(&names);
    str_list_release(&o.engine);
    hb_error_release(&err);
    return rc;
}
