/* halobox bench: benchmark runs kept with their provenance; ls, show,
 * compare (import-log is in cmd_bench_import.c, running llama-bench in the
 * images, `halobox bench MODEL`, in cmd_bench_run.c). */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>

#include "bench/compare.h"
#include "cmd_bench.h"
#include "cmd_models.h"
#include "render_text.h"
#include "store/model_summary.h"
#include "util/sha256.h"

const char cmd_bench_usage[] =
    "usage: halobox bench MODEL [--recipes R1,R2|--all-suitable] [options] [-- ARGS]\n"
    "       halobox bench ls [--json]\n"
    "       halobox bench show RUN [--json|--markdown]\n"
    "       halobox bench compare RUN...|--last N [--baseline NAME] [--bandwidth GB/s]\n"
    "                             [--model NAME|FILE] [--json|--markdown]\n"
    "       halobox bench report RUN...|--last N -o FILE\n"
    "       halobox bench import-log FILE [--label NAME] [--gpu-family FAMILY]\n"
    "                             [--model NAME|FILE]\n"
    "       halobox bench export RUN...|--last N -o FILE.tar.gz [--facts FILE]\n"
    "       halobox bench import FILE.tar.gz\n"
    "       halobox bench tune MODEL [--workload chat|long-prefill] [options]\n"
    "\n"
    "Benchmark results, each kept with the host facts, the model and the image it\n"
    "ran in (one JSON Lines file per run), so that two machines or two images can\n"
    "be compared honestly.\n"
    "\n"
    "verbs:\n"
    "  ls          list the runs: id, time, status, results, configuration, model\n"
    "  show        one run: its provenance and its table of results\n"
    "  compare     configurations x tests (pp512, tg128, per depth), the ratio to a\n"
    "              baseline, and token generation as a share of the memory-bandwidth\n"
    "              limit (active weight bytes per token x t/s / peak bandwidth)\n"
    "  report      one self-contained HTML page: tokens/s against context depth\n"
    "              and pp512/tg128 bars as SVG charts, the results, the provenance\n"
    "  import-log  keep llama-bench output from another machine (-o json, -o jsonl\n"
    "              or its markdown table, e.g. a posted log) as a run; what the log\n"
    "              cannot tell stays null\n"
    "  export      one .tar.gz bundle of runs, their engine logs and this host's\n"
    "              facts, to send to someone\n"
    "  import      the runs of a bundle, verified; refuses runs already here\n"
    "  tune        sweep ubatch, flash attention, KV cache types and recipes for a\n"
    "              workload; the winner (beyond the noise) is what run and serve\n"
    "              then use for that model on this host\n"
    "\n"
    "'halobox bench MODEL' runs llama-bench in the engine images and keeps the\n"
    "results as a new run ('halobox bench MODEL --help' for its options).\n"
    "\n"
    "RUN is a run id, the start of one, or the path of a run file.\n"
    "Environment: HALOBOX_BENCH_DIR holds the runs (default\n"
    "$XDG_DATA_HOME/halobox/bench, else ~/.local/share/halobox/bench).\n"
    "Exit status: 0 ok, 2 usage, 3 a malformed log, run file or bundle, an unknown\n"
    "run or a run already imported, 4 any other failure. Run 'halobox bench VERB\n"
    "--help' for a verb's options.\n";

static const char usage_ls[] =
    "usage: halobox bench ls [--json]\n"
    "\n"
    "List the benchmark runs, oldest first: id, when, status (complete, incomplete:\n"
    "interrupted with its finished results kept, failed: a recipe's engine failed,\n"
    "running), the number of results, the recipes or label, the model. Run files\n"
    "that do not load are named on stderr and left out.\n"
    "\n"
    "  --json          a JSON array, one object per run\n";

static const char usage_show[] =
    "usage: halobox bench show RUN [--json|--markdown]\n"
    "\n"
    "Show one run: where its results came from, the model, the host facts summary\n"
    "(kernel and its parameters, GPU family, usable memory, Vulkan driver and Mesa,\n"
    "ROCm, podman), each recipe's status, then its results as a table.\n"
    "\n"
    "  --json          the run's header and every result, as stored\n"
    "  --markdown      the same as a markdown list and table\n";

static const char usage_compare[] =
    "usage: halobox bench compare RUN...|--last N [options]\n"
    "\n"
    "One table of the runs' results: a row per configuration (recipe or label,\n"
    "then whatever differs: backend, fa, batch, ubatch, KV types, load mode, ngl,\n"
    "threads), a column per test (pp512, tg128, then at each depth). Each cell is\n"
    "the mean \xc2\xb1 stddev in tokens/s, its ratio to the baseline row, and for\n"
    "token generation its share of the memory-bandwidth limit: the active weight\n"
    "bytes read per token (all weights but the embedding table; for a mixture of\n"
    "experts, experts_used/experts of the expert tensors) x tokens/s / the peak\n"
    "bandwidth of the platform (Strix Halo: LPDDR5X-8000 x 256 bit = 256 GB/s).\n"
    "\n"
    "  --last N          the N newest runs instead of naming them\n"
    "  --baseline NAME   the row the ratios are to: a configuration, a label, a\n"
    "                    recipe or a run id (default: the first row)\n"
    "  --bandwidth GB/s  the peak bandwidth instead of the known platforms' table\n"
    "  --model NAME|FILE the model (store name or GGUF file) whose active weights\n"
    "                    to use, for runs that do not record them (imported logs)\n"
    "  --json            the table as JSON (bandwidth_share 0.53 = 53 %)\n"
    "  --markdown        the table as markdown\n";

int bench_parse(const char *verb, const char *usage, unsigned allowed, int argc, char **argv,
                struct bench_options *o)
{
    static const struct {
        unsigned bit;
        struct option opt;
    } all[] = {
        {BO_JSON, {"json", no_argument, NULL, 'j'}},
        {BO_MARKDOWN, {"markdown", no_argument, NULL, 'm'}},
        {BO_BASELINE, {"baseline", required_argument, NULL, 'b'}},
        {BO_BANDWIDTH, {"bandwidth", required_argument, NULL, 'w'}},
        {BO_MODEL, {"model", required_argument, NULL, 'M'}},
        {BO_LAST, {"last", required_argument, NULL, 'l'}},
        {BO_LABEL, {"label", required_argument, NULL, 'L'}},
        {BO_GPU_FAMILY, {"gpu-family", required_argument, NULL, 'g'}},
        {BO_OUTPUT, {"output", required_argument, NULL, 'o'}},
        {BO_FACTS, {"facts", required_argument, NULL, 'F'}},
    };
    struct option opts[ARRAY_SIZE(all) + 2];
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(all); i++)
        if (allowed & all[i].bit)
            opts[n++] = all[i].opt;
    opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    opts[n] = (struct option){0};

    memset(o, 0, sizeof(*o));
    struct strbuf cmd = STRBUF_INIT;
    strbuf_addf(&cmd, "bench %s", verb);
    int c, ret = -1;
    char *end;
    optind = 1;
    opterr = 0;
    const char *shortopts = allowed & BO_OUTPUT ? ":ho:" : ":h";
    while (ret < 0 && (c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            o->json = true;
            break;
        case 'm':
            o->markdown = true;
            break;
        case 'b':
            o->baseline = optarg;
            break;
        case 'w':
            errno = 0;
            o->bandwidth = strtod(optarg, &end);
            if (errno || *end || !isfinite(o->bandwidth) || o->bandwidth <= 0)
                ret = usage_error(cmd.buf, "--bandwidth takes GB/s (e.g. 256), not '%s'", optarg);
            break;
        case 'M':
            o->model = optarg;
            break;
        case 'l':
            errno = 0;
            o->last = strtoull(optarg, &end, 10);
            if (errno || *end || !o->last || optarg[0] == '-')
                ret = usage_error(cmd.buf, "--last takes a positive number, not '%s'", optarg);
            break;
        case 'L':
            o->label = optarg;
            break;
        case 'g':
            o->gpu_family = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'F':
            o->facts = optarg;
            break;
        default:
            ret = getopt_rest(c, cmd.buf, usage, argv);
            break;
        }
    }
    if (ret < 0 && o->json && o->markdown)
        ret = usage_error(cmd.buf, "--json and --markdown exclude each other");
    if (ret < 0 && o->label && !*o->label)
        ret = usage_error(cmd.buf, "--label needs a non-empty name");
    o->args = argv + optind;
    o->n_args = argc - optind;
    strbuf_release(&cmd);
    return ret;
}

int bench_open_model(const char *what, struct gguf_model *m, char **sha256, struct hb_error *err)
{
    struct models_options mo = {0};
    struct store_ref ref;
    if (models_open(&mo, what, m, &ref, err) < 0)
        return -1;
    if (sha256 && ref.n_files)
        *sha256 = xstrdup(ref.files[0].sha256);
    store_ref_release(&ref);
    return 0;
}

static int finish(struct strbuf *out, struct hb_error *err)
{
    int rc = EXIT_OK;
    if (err->msg)
        rc = report_error(err);
    else if (write_stdout(out, err) < 0)
        rc = report_error(err);
    strbuf_release(out);
    hb_error_release(err);
    return rc;
}

static int finish_json(cJSON *json, struct hb_error *err)
{
    int rc = write_json_stdout(json, err) < 0 ? report_error(err) : EXIT_OK;
    cJSON_Delete(json);
    hb_error_release(err);
    return rc;
}

/* ---- ls ------------------------------------------------------------------- */

static const char *run_model(const struct bench_run *run)
{
    if (run->model.name)
        return run->model.name;
    for (size_t i = 0; i < run->n_records; i++)
        if (run->records[i].model.name || run->records[i].r.model_type)
            return run->records[i].model.name ? run->records[i].model.name
                                              : run->records[i].r.model_type;
    return NULL;
}

static void run_configuration(const struct bench_run *run, struct strbuf *out)
{
    for (size_t i = 0; i < run->n_recipes; i++) {
        strbuf_addf(out, "%s%s", i ? "," : "", run->recipes[i].recipe);
        if (run->recipes[i].status != BENCH_STATUS_COMPLETE)
            strbuf_addf(out, ":%s", bench_status_name(run->recipes[i].status));
    }
    if (!run->n_recipes)
        strbuf_addstr(out, run->label ? run->label : "-");
}

int bench_print_warnings(const struct strbuf *warnings)
{
    for (const char *p = warnings->buf; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(stderr, "halobox: warning: skipped %.*s\n", (int)n, p);
        p += n + (nl ? 1 : 0);
    }
    return 0;
}

static int bench_ls(int argc, char **argv)
{
    struct bench_options o;
    int rc = bench_parse("ls", usage_ls, BO_JSON, argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (o.n_args)
        return usage_error("bench ls", "unexpected argument '%s'", o.args[0]);
    struct hb_error err = HB_ERROR_INIT;
    struct strbuf dir = STRBUF_INIT, warnings = STRBUF_INIT, out = STRBUF_INIT;
    struct bench_runs runs = {0};
    if (bench_dir(&dir, &err) < 0 || bench_runs_load(dir.buf, &runs, &warnings, &err) < 0) {
        strbuf_release(&dir);
        strbuf_release(&warnings);
        return finish(&out, &err);
    }
    bench_print_warnings(&warnings);
    if (o.json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < runs.n; i++) {
            cJSON *h = bench_header_to_json(&runs.v[i]);
            cJSON_AddNumberToObject(h, "results", (double)runs.v[i].n_records);
            cJSON_AddBoolToObject(h, "truncated", runs.v[i].truncated);
            cJSON_AddItemToArray(arr, h);
        }
        bench_runs_release(&runs);
        strbuf_release(&dir);
        strbuf_release(&warnings);
        return finish_json(arr, &err);
    }
    /* Columns sized to their widest value. */
    const char *head[] = {"RUN", "CREATED", "STATUS", "RESULTS", "CONFIGURATION", "MODEL"};
    size_t w[6];
    for (size_t k = 0; k < 6; k++)
        w[k] = strlen(head[k]);
    char *(*cells)[6] = xcalloc(runs.n ? runs.n : 1, sizeof(*cells));
    for (size_t i = 0; i < runs.n; i++) {
        struct strbuf conf = STRBUF_INIT, count = STRBUF_INIT;
        run_configuration(&runs.v[i], &conf);
        strbuf_addf(&count, "%zu", runs.v[i].n_records);
        const char *model = run_model(&runs.v[i]);
        cells[i][0] = xstrdup(runs.v[i].id);
        cells[i][1] = xstrdup(runs.v[i].created ? runs.v[i].created : "-");
        cells[i][2] = xstrdup(bench_status_name(runs.v[i].status));
        cells[i][3] = strbuf_detach(&count);
        cells[i][4] = strbuf_detach(&conf);
        cells[i][5] = xstrdup(model ? model : "-");
        for (size_t k = 0; k < 6; k++)
            if (strlen(cells[i][k]) > w[k])
                w[k] = strlen(cells[i][k]);
    }
    if (runs.n)
        for (size_t i = 0; i <= runs.n; i++) {
            for (size_t k = 0; k < 6; k++) {
                const char *s = i ? cells[i - 1][k] : head[k];
                if (k < 5)
                    strbuf_addf(&out, "%-*s  ", (int)w[k], s);
                else
                    strbuf_addf(&out, "%s\n", s);
            }
            for (size_t k = 0; i && k < 6; k++)
                free(cells[i - 1][k]);
        }
    else
        fprintf(stderr, "halobox: no benchmark runs in %s\n", dir.buf);
    free(cells);
    bench_runs_release(&runs);
    strbuf_release(&dir);
    strbuf_release(&warnings);
    return finish(&out, &err);
}

/* ---- show ------------------------------------------------------------------ */

static int load_named(const char *name, struct bench_run *run, struct hb_error *err)
{
    struct strbuf dir = STRBUF_INIT, path = STRBUF_INIT;
    int r = bench_dir(&dir, err);
    if (r == 0)
        r = bench_run_resolve(dir.buf, name, &path, err);
    if (r == 0)
        r = bench_run_load(run, path.buf, err);
    strbuf_release(&dir);
    strbuf_release(&path);
    return r;
}

static void kv_line(struct strbuf *out, bool md, const char *key, const char *value)
{
    if (md)
        strbuf_addf(out, "- %s: %s\n", key, value);
    else
        strbuf_addf(out, "%-9s %s\n", key, value);
}

static void add_opt_str(struct strbuf *sb, const char *label, const char *v)
{
    if (v)
        strbuf_addf(sb, "%s%s%s", sb->len ? ", " : "", label, v);
}

static void show_header(const struct bench_run *run, bool md, struct strbuf *out)
{
    struct strbuf sb = STRBUF_INIT;
    if (md)
        strbuf_addf(out, "## Run %s\n\n", run->id);
    else
        kv_line(out, md, "run", run->id);
    kv_line(out, md, "created", run->created ? run->created : "-");
    strbuf_addstr(&sb, bench_status_name(run->status));
    if (run->truncated)
        strbuf_addstr(&sb, " (its last line was cut short)");
    kv_line(out, md, "status", sb.buf);
    strbuf_reset(&sb);
    strbuf_addf(&sb, "%s%s%s", run->source ? run->source : "-", run->source_file ? " " : "",
                run->source_file ? run->source_file : "");
    kv_line(out, md, "source", sb.buf);
    if (run->label)
        kv_line(out, md, "label", run->label);

    const struct bench_model *m = &run->model;
    const struct bench_record *first = run->n_records ? &run->records[0] : NULL;
    strbuf_reset(&sb);
    add_opt_str(&sb, "", m->name ? m->name : first ? first->r.model_type : NULL);
    add_opt_str(&sb, "", m->architecture);
    add_opt_str(&sb, "", m->type);
    if (m->parameters.known) {
        char params[32];
        format_params(params, sizeof(params), m->parameters.v);
        strbuf_addf(&sb, "%s%s parameters", sb.len ? ", " : "", params);
    }
    if (m->bytes.known) {
        strbuf_addstr(&sb, sb.len ? ", " : "");
        render_bytes(&sb, m->bytes);
    }
    if (m->active_bytes.known) {
        strbuf_addstr(&sb, sb.len ? ", active " : "active ");
        render_bytes(&sb, m->active_bytes);
    }
    add_opt_str(&sb, "sha256 ", m->sha256);
    kv_line(out, md, "model", sb.len ? sb.buf : "-");

    const struct bench_host *h = &run->host;
    strbuf_reset(&sb);
    add_opt_str(&sb, "kernel ", h->kernel);
    if (h->gpu_family || h->gpu_name)
        strbuf_addf(&sb, "%sgpu %s%s%s%s", sb.len ? ", " : "", h->gpu_family ? h->gpu_family : "",
                    h->gpu_family && h->gpu_name ? " (" : "", h->gpu_name ? h->gpu_name : "",
                    h->gpu_family && h->gpu_name ? ")" : "");
    if (h->usable_memory_bytes.known) {
        strbuf_addf(&sb, "%susable ", sb.len ? ", " : "");
        render_bytes(&sb, h->usable_memory_bytes);
    }
    add_opt_str(&sb, "vulkan ", h->vulkan_driver);
    add_opt_str(&sb, "mesa ", h->mesa_version);
    add_opt_str(&sb, "rocm ", h->rocm_version);
    add_opt_str(&sb, "podman ", h->podman_version);
    for (size_t i = 0; i < h->n_params; i++)
        strbuf_addf(&sb, "%s%s%s%s",
                    i        ? " "
                    : sb.len ? ", params "
                             : "params ",
                    h->params[i].key, *h->params[i].value ? "=" : "", h->params[i].value);
    kv_line(out, md, "host", sb.len ? sb.buf : "-");

    for (size_t i = 0; i < run->n_recipes; i++) {
        strbuf_reset(&sb);
        strbuf_addf(&sb, "%s %s%s%s", run->recipes[i].recipe,
                    bench_status_name(run->recipes[i].status), run->recipes[i].error ? ": " : "",
                    run->recipes[i].error ? run->recipes[i].error : "");
        kv_line(out, md, "recipe", sb.buf);
    }
    if (first) {
        strbuf_reset(&sb);
        add_opt_str(&sb, "build ", first->r.build_commit);
        if (first->r.build_number.known)
            strbuf_addf(&sb, " (%llu)", (unsigned long long)first->r.build_number.v);
        add_opt_str(&sb, "backend ", first->r.backends);
        add_opt_str(&sb, "gpu ", first->r.gpu_info);
        kv_line(out, md, "engine", sb.len ? sb.buf : "-");
    }
    strbuf_addch(out, '\n');
    strbuf_release(&sb);
}

static int bench_show(int argc, char **argv)
{
    struct bench_options o;
    int rc = bench_parse("show", usage_show, BO_JSON | BO_MARKDOWN, argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (o.n_args != 1)
        return usage_error("bench show", o.n_args ? "one run at a time" : "which run?");
    struct hb_error err = HB_ERROR_INIT;
    struct strbuf out = STRBUF_INIT;
    struct bench_run run = {0};
    if (load_named(o.args[0], &run, &err) < 0)
        return finish(&out, &err);
    if (o.json) {
        cJSON *json = bench_run_to_json(&run);
        bench_run_release(&run);
        return finish_json(json, &err);
    }
    show_header(&run, o.markdown, &out);
    if (run.n_records) {
        struct compare_options co = {0};
        struct compare_table t;
        if (compare_build(&t, &run, 1, &co, &err) == 0) {
            if (o.markdown)
                compare_render_markdown(&t, &out);
            else
                compare_render_text(&t, &out);
            compare_release(&t);
        }
    } else {
        strbuf_addstr(&out, "no results\n");
    }
    bench_run_release(&run);
    return finish(&out, &err);
}

/* ---- compare --------------------------------------------------------------- */

int bench_selection_usage(const char *cmd, const struct bench_options *o)
{
    if (!o->n_args && !o->last)
        return usage_error(cmd, "which runs? name them, or --last N");
    if (o->n_args && o->last)
        return usage_error(cmd, "name runs or give --last N, not both");
    return -1;
}

int bench_load_selected(const struct bench_options *o, struct bench_runs *runs,
                        struct hb_error *err)
{
    memset(runs, 0, sizeof(*runs));
    if (o->last) {
        struct strbuf dir = STRBUF_INIT, warnings = STRBUF_INIT;
        int r = bench_dir(&dir, err);
        if (r == 0)
            r = bench_runs_load(dir.buf, runs, &warnings, err);
        if (r == 0) {
            bench_print_warnings(&warnings);
            if (!runs->n)
                r = hb_error_set(err, EXIT_INPUT, "no benchmark runs in %s", dir.buf);
            /* Keep the newest N. */
            size_t drop = runs->n > o->last ? runs->n - o->last : 0;
            for (size_t i = 0; i < drop; i++)
                bench_run_release(&runs->v[i]);
            memmove(runs->v, runs->v + drop, (runs->n - drop) * sizeof(*runs->v));
            runs->n -= drop;
        }
        strbuf_release(&dir);
        strbuf_release(&warnings);
        return r;
    }
    runs->v = xcalloc((size_t)o->n_args + 1, sizeof(*runs->v));
    for (int i = 0; i < o->n_args; i++) {
        if (load_named(o->args[i], &runs->v[runs->n], err) < 0)
            return -1;
        runs->n++;
    }
    return 0;
}

static int bench_compare(int argc, char **argv)
{
    struct bench_options o;
    int rc = bench_parse("compare", usage_compare,
                         BO_JSON | BO_MARKDOWN | BO_BASELINE | BO_BANDWIDTH | BO_MODEL | BO_LAST,
                         argc, argv, &o);
    if (rc >= 0)
        return rc;
    if ((rc = bench_selection_usage("bench compare", &o)) >= 0)
        return rc;
    struct hb_error err = HB_ERROR_INIT;
    struct strbuf out = STRBUF_INIT;
    struct bench_runs runs = {0};
    struct compare_options co = {.baseline = o.baseline, .bandwidth_gbps = o.bandwidth};
    if (o.model) {
        struct gguf_model m;
        uint64_t total;
        if (bench_open_model(o.model, &m, NULL, &err) < 0)
            return finish(&out, &err);
        bench_weight_bytes(&m, &total, &co.active_bytes);
        gguf_close(&m);
    }
    bench_load_selected(&o, &runs, &err);
    struct compare_table t;
    if (!err.msg && compare_build(&t, runs.v, runs.n, &co, &err) == 0) {
        if (o.json) {
            cJSON *json = compare_to_json(&t);
            compare_release(&t);
            bench_runs_release(&runs);
            strbuf_release(&out);
            return finish_json(json, &err);
        }
        if (o.markdown)
            compare_render_markdown(&t, &out);
        else
            compare_render_text(&t, &out);
        compare_release(&t);
    }
    bench_runs_release(&runs);
    return finish(&out, &err);
}

/* ---- the verbs ---------------------------------------------------------------- */

static const struct {
    const char *verb;
    int (*run)(int, char **);
} verbs[] = {
    {"ls", bench_ls},
    {"show", bench_show},
    {"compare", bench_compare},
    {"report", cmd_bench_report},
    {"import-log", cmd_bench_import_log},
    {"export", cmd_bench_export},
    {"import", cmd_bench_import},
    {"tune", cmd_bench_tune},
};

int cmd_bench(int argc, char **argv)
{
    if (argc < 2) {
        fputs(cmd_bench_usage, stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(cmd_bench_usage, stdout);
        return EXIT_OK;
    }
    for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
        if (!strcmp(verbs[i].verb, argv[1]))
            return verbs[i].run(argc - 1, argv + 1);
    /* Anything else is a model (and its options): llama-bench in the
     * images (cmd_bench_run.c). */
    return cmd_bench_run(argc, argv);
}
