/* halobox bench tune MODEL: a short sweep of engine settings (ubatch, flash
 * attention, KV cache type, and the recipe when several suit the host) for
 * a workload, recorded as a benchmark run; the winner (bench/tune.h) is
 * stored for this model, host and workload (bench/tuned.h), and run and
 * serve use it from then on. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <unistd.h>

#include "bench/tune.h"
#include "bench/tuned.h"
#include "cmd_bench.h"
#include "util/json.h"
#include "util/parse.h"

static const char usage[] =
    "usage: halobox bench tune MODEL [--workload chat|long-prefill] [--recipes R1,R2]\n"
    "                          [--ubatch 256,512,1024] [--kv-types f16,q8_0]\n"
    "                          [-p N] [-n N] [--depth N] [--reps N] [--env K=V]\n"
    "                          [--json] [--dry-run] [--store DIR] [--facts FILE]\n"
    "\n"
    "Measure which engine settings are fastest for a model on this host and a\n"
    "workload, and keep the winner for 'halobox run' and 'halobox serve'. The\n"
    "sweep is every combination of the ubatch sizes, flash attention on and off\n"
    "(an f16 KV cache only: a quantised V cache needs flash attention), the KV\n"
    "cache types, and each recipe that suits the host; it is kept as a benchmark\n"
    "run ('halobox bench show RUN').\n"
    "\n"
    "Workloads and their score:\n"
    "  chat          pp P and tg N at depth 0 (P 256, N 128); the score is the\n"
    "                generated tokens per second of a turn, N / (P/pp + N/tg)\n"
    "  long-prefill  pp P at depth D (P 512, D 8192); the score is its t/s\n"
    "\n"
    "The fastest configuration wins only when it beats the default (the recipe run\n"
    "would pick, ubatch 512, flash attention on, f16 KV cache) by more than twice\n"
    "the combined standard deviation of the two scores and by at least 1 %;\n"
    "otherwise the default wins, and that is stored too. The choice is kept per\n"
    "model (sha256), host key (GPU, Vulkan driver and Mesa, ROCm, kernel and its\n"
    "parameters) and workload; run and serve take it with --workload (default\n"
    "chat) and ignore it with --no-tune.\n"
    "\n"
    "  --workload W      chat (default) or long-prefill\n"
    "  --recipes R1,R2   the recipes to sweep (default: every one that suits)\n"
    "  --ubatch N,...    ubatch sizes (default 256,512,1024; 512 is always added)\n"
    "  --kv-types T,...  KV cache types: f16, q8_0, q4_0 (default f16,q8_0; f16 is\n"
    "                    always added)\n"
    "  -p N, -n N        prompt and generated tokens of the tests\n"
    "  --depth N         the depth of the prefill test (long-prefill)\n"
    "  --reps N          repetitions of each test (default 3, at least 2)\n"
    "  --env K=V         an environment variable for the engine (repeatable)\n"
    "  --json            the sweep and the decision as JSON on stdout\n"
    "  --dry-run         print the podman commands, run nothing\n"
    "  --store DIR       the model store\n"
    "  --facts FILE      host facts from a file instead of this host's\n"
    "  --fresh           probe the host again instead of this boot's cache\n"
    "  --force           run even when the doctor finds errors or it does not fit\n"
    "  -q, --quiet       no explanations or progress on stderr\n"
    "\n"
    "Environment: HALOBOX_TUNE_DIR holds the tuned settings (default\n"
    "$XDG_DATA_HOME/halobox/tuned, else ~/.local/share/halobox/tuned).\n"
    "Exit status: 0 a decision was stored, 2 usage, 3 an unknown model, 4 no\n"
    "configuration could be measured or another failure, 130 interrupted\n"
    "(nothing stored; the finished results stay in the run).\n";

struct tune_options {
    struct launch_options lo;
    enum workload workload;
    const char *recipes;
    const char *ubatch;
    const char *kv_types;
    struct tune_tests tests;
    bool json;
};

static bool num_ok(const char *s, unsigned min, unsigned max, unsigned *out)
{
    uint64_t v;
    if (!parse_u64(s, &v) || v < min || v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

/* f16,q8_0,...: each a KV cache type. */
static bool kv_list_ok(const char *s)
{
    if (!*s)
        return false;
    for (;;) {
        size_t n = strcspn(s, ",");
        char buf[8];
        enum kv_type t;
        if (!n || n >= sizeof(buf))
            return false;
        memcpy(buf, s, n);
        buf[n] = '\0';
        if (kv_type_from_name(buf, &t) < 0)
            return false;
        if (!s[n])
            return true;
        s += n + 1;
    }
}

/* -1 to go on, else the exit code. */
static int tune_parse(int argc, char **argv, struct tune_options *o)
{
    enum {
        O_WORKLOAD = 1000,
        O_RECIPES,
        O_UBATCH,
        O_KV,
        O_DEPTH,
        O_REPS,
        O_JSON,
    };
    static const struct option opts[] = {
        {"workload", required_argument, NULL, O_WORKLOAD},
        {"recipes", required_argument, NULL, O_RECIPES},
        {"ubatch", required_argument, NULL, O_UBATCH},
        {"kv-types", required_argument, NULL, O_KV},
        {"depth", required_argument, NULL, O_DEPTH},
        {"reps", required_argument, NULL, O_REPS},
        {"json", no_argument, NULL, O_JSON},
        BENCH_LAUNCH_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    memset(o, 0, sizeof(*o));
    o->lo.kv = KV_F16;
    o->workload = WORKLOAD_CHAT;
    o->ubatch = "256,512,1024";
    o->kv_types = "f16,q8_0";
    const char *p = NULL, *n = NULL, *depth = NULL, *reps = NULL;
    int c, ret = -1;
    optind = 1;
    opterr = 0;
    while (ret < 0 && (c = getopt_long(argc, argv, ":p:n:qh", opts, NULL)) != -1) {
        if (bench_launch_option("bench tune", c, optarg, &o->lo, &ret))
            continue;
        switch (c) {
        case O_WORKLOAD:
            if (parse_workload(optarg, &o->workload) < 0)
                ret = usage_error("bench tune", "--workload takes chat or long-prefill, not '%s'",
                                  optarg);
            break;
        case O_RECIPES:
            o->recipes = optarg;
            break;
        case O_UBATCH:
            if (!bench_num_list_ok(optarg, 1))
                ret = usage_error("bench tune", "--ubatch takes sizes (256,512), not '%s'", optarg);
            o->ubatch = optarg;
            break;
        case O_KV:
            if (!kv_list_ok(optarg))
                ret = usage_error("bench tune", "--kv-types takes f16, q8_0 or q4_0, not '%s'",
                                  optarg);
            o->kv_types = optarg;
            break;
        case 'p':
            p = optarg;
            break;
        case 'n':
            n = optarg;
            break;
        case O_DEPTH:
            depth = optarg;
            break;
        case O_REPS:
            reps = optarg;
            break;
        case O_JSON:
            o->json = true;
            break;
        default:
            ret = getopt_rest(c, "bench tune", usage, argv);
            break;
        }
    }
    if (ret >= 0)
        return ret;
    tune_default_tests(o->workload, &o->tests);
    bool prefill = o->workload == WORKLOAD_PREFILL;
    if (p && !num_ok(p, 1, 1 << 20, &o->tests.p))
        return usage_error("bench tune", "-p takes a number of tokens, not '%s'", p);
    if (n && (prefill || !num_ok(n, 1, 1 << 20, &o->tests.n)))
        return usage_error("bench tune",
                           prefill ? "-n is for the chat workload (long-prefill measures pp only)"
                                   : "-n takes a number of tokens, not '%s'",
                           n);
    if (depth && (!prefill || !num_ok(depth, 0, 1 << 24, &o->tests.depth)))
        return usage_error("bench tune",
                           !prefill ? "--depth is for the long-prefill workload"
                                    : "--depth takes a number of tokens, not '%s'",
                           depth);
    if (reps && !num_ok(reps, 2, 1000, &o->tests.reps))
        return usage_error("bench tune",
                           "--reps takes a number from 2 (the noise needs two samples), not '%s'",
                           reps);
    o->lo.args = argv + optind;
    o->lo.n_args = argc - optind;
    if (o->lo.n_args != 1)
        return usage_error("bench tune",
                           o->lo.n_args ? "one model at a time, not '%s'" : "name a model%s",
                           o->lo.n_args ? o->lo.args[1] : "");
    return -1;
}

/* The recipes to sweep, the default's first (the one run would pick, when it
 * is among them): --recipes as named (each must exist), else every recipe
 * that suits the host. */
static int tune_recipes(const struct tune_options *o, struct str_list *names, struct hb_error *err)
{
    struct strbuf dir = STRBUF_INIT;
    struct recipe_set set = {0};
    struct facts f;
    facts_init(&f);
    int r = recipes_dir_find(&dir, err);
    if (r == 0)
        r = recipes_load_dir(&set, dir.buf, err);
    if (r == 0)
        r = facts_acquire(o->lo.facts_path, o->lo.fresh, &f, err);
    const struct recipe *pick = NULL;
    if (r == 0) {
        struct recipe_choice choice;
        pick = recipes_select(&set, &f, NULL, &choice);
        recipe_choice_release(&choice);
    }
    struct str_list all = {0};
    if (r == 0 && o->recipes) {
        for (const char *p = o->recipes; r == 0;) {
            size_t len = strcspn(p, ",");
            char *name = xstrndup(p, len);
            if (!recipes_find(&set, name))
                r = hb_error_set(err, EXIT_USAGE, "no recipe named '%s'", name);
            else if (!str_list_has(&all, name))
                str_list_add(&all, name);
            free(name);
            if (!p[len])
                break;
            p += len + 1;
        }
    } else if (r == 0) {
        for (size_t i = 0; i < set.n; i++) {
            struct strbuf why = STRBUF_INIT;
            if (recipe_suits(&set.v[i], &f, &why))
                str_list_add(&all, set.v[i].name);
            strbuf_release(&why);
        }
        if (!all.n)
            r = hb_error_set(err, EXIT_RUNTIME, "no recipe suits this host");
    }
    if (r == 0) {
        if (pick && str_list_has(&all, pick->name))
            str_list_add(names, pick->name);
        for (size_t i = 0; i < all.n; i++)
            if (!str_list_has(names, all.v[i]))
                str_list_add(names, all.v[i]);
    }
    str_list_release(&all);
    facts_release(&f);
    recipes_release(&set);
    strbuf_release(&dir);
    return r;
}

/* Per recipe, one leg per KV type: f16 with flash attention off and on, a
 * quantised type with it on only (llama-bench runs every combination of
 * its lists, and one that cannot run ends the whole container). */
static void add_legs(const struct tune_options *o, const struct str_list *names,
                     struct bench_legs *s)
{
    /* The default's ubatch is always measured: the winner is judged
     * against it. */
    struct strbuf ub = STRBUF_INIT;
    bool has_default = false;
    for (const char *p = o->ubatch; *p;) {
        size_t len = strcspn(p, ",");
        has_default = has_default || strtoul(p, NULL, 10) == TUNE_DEFAULT_UBATCH;
        p += len + (p[len] == ',');
    }
    strbuf_addstr(&ub, o->ubatch);
    if (!has_default)
        strbuf_addf(&ub, ",%u", TUNE_DEFAULT_UBATCH);
    /* And so is its KV type, f16. */
    struct strbuf kvs = STRBUF_INIT;
    bool has_f16 = false;
    for (const char *p = o->kv_types; *p;) {
        size_t len = strcspn(p, ",");
        has_f16 = has_f16 || (len == 3 && !strncmp(p, "f16", 3));
        p += len + (p[len] == ',');
    }
    strbuf_addf(&kvs, "%s%s", has_f16 ? "" : "f16,", o->kv_types);
    for (size_t i = 0; i < names->n; i++) {
        for (const char *kv = kvs.buf; *kv;) {
            size_t len = strcspn(kv, ",");
            char *type = xstrndup(kv, len);
            struct bench_leg *lg = bench_legs_add(s, names->v[i]);
            lg->fa = strcmp(type, "f16") ? "on" : "off,on";
            str_list_add(&lg->args, "-p");
            str_list_addf(&lg->args, "%u", o->tests.p);
            str_list_add(&lg->args, "-n");
            str_list_addf(&lg->args, "%u", o->tests.n);
            if (o->tests.depth) {
                str_list_add(&lg->args, "-d");
                str_list_addf(&lg->args, "%u", o->tests.depth);
            }
            str_list_add(&lg->args, "-r");
            str_list_addf(&lg->args, "%u", o->tests.reps);
            str_list_add(&lg->args, "-ub");
            str_list_add(&lg->args, ub.buf);
            str_list_add(&lg->args, "-ctk");
            str_list_add(&lg->args, type);
            str_list_add(&lg->args, "-ctv");
            str_list_add(&lg->args, type);
            free(type);
            kv += len + (kv[len] == ',');
        }
    }
    strbuf_release(&ub);
    strbuf_release(&kvs);
}

static void render_text(const struct tune_decision *d, const char *run_id, bool saved,
                        struct strbuf *out)
{
    strbuf_addf(out, "bench tune: %s, run %s\n\n", tune_workload_name(d->workload), run_id);
    bool chat = d->workload == WORKLOAD_CHAT;
    strbuf_addf(out, "%-14s %6s %3s %5s %12s %12s %16s %8s\n", "RECIPE", "UBATCH", "FA", "KV",
                "PP t/s", chat ? "TG t/s" : "", "SCORE", "VS DEF");
    for (size_t i = 0; i < d->n; i++) {
        const struct tune_candidate *k = &d->v[i];
        char pp[32] = "-", tg[32] = "", sc[48] = "-", vs[16] = "";
        if (k->have_pp)
            snprintf(pp, sizeof(pp), "%.2f", k->pp);
        if (chat)
            snprintf(tg, sizeof(tg), k->have_tg ? "%.2f" : "-", k->tg);
        if (k->scored && k->sd >= 0)
            snprintf(sc, sizeof(sc), "%.2f \xc2\xb1 %.2f", k->score, k->sd);
        else if (k->scored)
            snprintf(sc, sizeof(sc), "%.2f", k->score);
        if (k->scored && d->def >= 0)
            snprintf(vs, sizeof(vs), "%+.1f%%", (k->score / d->v[d->def].score - 1) * 100);
        strbuf_addf(out, "%-14s %6u %3s %5s %12s %12s %16s %8s%s%s%s\n",
                    k->c.recipe ? k->c.recipe : "?", k->c.ubatch, k->c.flash_attn ? "on" : "off",
                    kv_type_name(k->c.kv), pp, tg, sc, vs, i == 0 ? "  default" : "",
                    (int)i == d->winner ? "  winner" : "", k->excluded ? "  (excluded)" : "");
    }
    strbuf_addch(out, '\n');
    if (d->winner >= 0) {
        strbuf_addf(out, "tuned: %s ", d->v[d->winner].c.recipe);
        tune_config_describe(&d->v[d->winner].c, out);
        strbuf_addf(out, ": %s\n", d->reason);
    } else {
        strbuf_addf(out, "decision: %s\n", d->reason);
    }
    if (saved && d->winner >= 0)
        strbuf_addf(out, "stored: run and serve --workload %s use it (--no-tune ignores it)\n",
                    tune_workload_name(d->workload));
    else if (saved)
        strbuf_addf(out, "stored: run and serve --workload %s keep the defaults\n",
                    tune_workload_name(d->workload));
}

int cmd_bench_tune(int argc, char **argv)
{
    struct tune_options o;
    int rc = tune_parse(argc, argv, &o);
    if (rc >= 0) {
        launch_options_release(&o.lo);
        return rc;
    }
    struct hb_error err = HB_ERROR_INIT;
    struct str_list names = {0};
    struct bench_legs s = {.lo = o.lo, .source = "tune"};
    struct bench_run run = {0};
    struct tune_decision d = {0};
    struct strbuf dir = STRBUF_INIT, out = STRBUF_INIT;
    bool interrupted = false, saved = false;
    rc = EXIT_OK;

    if (tune_recipes(&o, &names, &err) < 0)
        goto done;
    add_legs(&o, &names, &s);
    if (bench_legs_prepare(&s, &err) < 0 || o.lo.dry_run)
        goto done;
    if (bench_legs_run(&s, &run, &interrupted, &err) < 0)
        goto done;
    if (interrupted) {
        if (!o.lo.quiet)
            fprintf(stderr,
                    "halobox: interrupted: nothing is tuned; the finished results are kept in "
                    "run %s (incomplete)\n",
                    run.id);
        rc = 130;
        goto done;
    }

    struct tune_config def = {.recipe = (char *)s.v[0].l.plan.recipe,
                              .ubatch = TUNE_DEFAULT_UBATCH,
                              .flash_attn = true,
                              .kv = KV_F16};
    tune_decide(o.workload, &o.tests, &def, run.records, run.n_records, &d);
    if (d.best < 0) {
        hb_error_set(&err, EXIT_RUNTIME, "no configuration could be measured (run %s): %s", run.id,
                     d.reason);
        goto done;
    }
    const struct tune_config *won = &d.v[d.winner >= 0 ? d.winner : 0].c;
    const char *engine_version = NULL;
    for (size_t i = 0; i < s.n; i++)
        if (!strcmp(s.v[i].l.plan.recipe, won->recipe))
            engine_version = s.v[i].l.plan.engine_version;
    char key[17];
    tuned_host_key(&run.host, key);
    struct tuned_entry e = {
        .model_name = run.model.name,
        .model_sha256 = run.model.sha256,
        .host_key = key,
        .workload = (char *)tune_workload_name(o.workload),
        .created = run.created,
        .run_id = run.id,
        .engine_version = (char *)engine_version,
        .default_won = d.winner < 0,
        .settings = *won,
        .margin_known = d.winner >= 0,
        .margin = d.margin,
        .reason = d.reason,
    };
    cJSON *sweep = tune_decision_to_json(&d);
    if (!run.model.sha256) {
        hb_error_set(&err, EXIT_RUNTIME,
                     "the model's sha256 is not known (see 'halobox models verify'): the "
                     "decision cannot be stored");
    } else if (tuned_dir(&dir, &err) == 0 && tuned_save(dir.buf, &e, sweep, &run.host, &err) == 0) {
        saved = true;
    }
    if (!err.msg && o.json) {
        cJSON_AddStringToObject(sweep, "run", run.id);
        json_add_str(sweep, "model", run.model.name);
        json_add_str(sweep, "model_sha256", run.model.sha256);
        cJSON_AddStringToObject(sweep, "host_key", key);
        struct strbuf path = STRBUF_INIT;
        tuned_path(dir.buf, run.model.sha256, key, e.workload, &path);
        cJSON_AddStringToObject(sweep, "stored", path.buf);
        strbuf_release(&path);
        if (write_json_stdout(sweep, &err) < 0)
            rc = report_error(&err);
    } else if (!err.msg) {
        render_text(&d, run.id, saved, &out);
        if (write_stdout(&out, &err) < 0)
            rc = report_error(&err);
    }
    cJSON_Delete(sweep);
done:
    if (err.msg && rc == EXIT_OK) {
        rc = report_error(&err);
        if (s.opened && !o.lo.quiet && run.id)
            fprintf(stderr, "halobox: the finished results are kept in run %s\n", run.id);
    }
    tune_decision_release(&d);
    bench_legs_release(&s);
    bench_run_release(&run);
    str_list_release(&names);
    strbuf_release(&dir);
    strbuf_release(&out);
    hb_error_release(&err);
    return rc;
}
