/* halobox bench report: the runs' results as one self-contained HTML page
 * (bench/report_html.c), written whole or not at all. */
#include "util/common.h"

#include <errno.h>

#include "bench/report_html.h"
#include "cmd_bench.h"
#include "util/fs.h"

static const char usage_report[] =
    "usage: halobox bench report RUN...|--last N -o FILE\n"
    "\n"
    "One self-contained HTML page of the runs' results: no script, nothing fetched,\n"
    "so it opens offline in any browser and can be attached to an issue. It holds\n"
    "  - what to watch for: interrupted runs, recipes that failed and why;\n"
    "  - prefill (pp) and decode (tg) tokens/s against context depth, a line per\n"
    "    configuration (with one depth only, the page says there is no line);\n"
    "  - a bar chart of pp512 and tg128 (the tests at the smallest depth);\n"
    "  - the results table (mean \xc2\xb1 stddev tokens/s, n/a where missing);\n"
    "  - the provenance of each configuration: model name and sha256, image recipe,\n"
    "    recipe sha256, digest and engine version, host kernel and parameters, GPU\n"
    "    and driver, and when it ran.\n"
    "Configurations are told apart as in 'halobox bench compare'.\n"
    "\n"
    "  -o, --output FILE  where to write the page: a temporary file beside it is\n"
    "                     renamed over it, so FILE is the whole page or untouched;\n"
    "                     - writes it to stdout\n"
    "  --last N           the N newest runs instead of naming them\n"
    "\n"
    "Exit status: 0 ok, 2 usage, 3 an unknown run or a malformed run file, 4 the\n"
    "page could not be written.\n";

static size_t count_results(const struct bench_runs *runs)
{
    size_t n = 0;
    for (size_t i = 0; i < runs->n; i++)
        n += runs->v[i].n_records;
    return n;
}

static int write_page(const char *path, const struct strbuf *page, struct hb_error *err)
{
    if (!strcmp(path, "-"))
        return write_stdout(page, err);
    /* 0644 less the umask: a page to share, made by its reader. */
    if (write_file_atomic(path, page->buf, page->len, 0644) < 0)
        return hb_error_set(err, EXIT_RUNTIME, "cannot write the report '%s': %s", path,
                            strerror(errno));
    return 0;
}

int cmd_bench_report(int argc, char **argv)
{
    struct bench_options o;
    int rc = bench_parse("report", usage_report, BO_LAST | BO_OUTPUT, argc, argv, &o);
    if (rc >= 0)
        return rc;
    if ((rc = bench_selection_usage("bench report", &o)) >= 0)
        return rc;
    if (!o.output || !*o.output)
        return usage_error("bench report", "where to? -o FILE (or -o - for stdout)");

    struct hb_error err = HB_ERROR_INIT;
    struct bench_runs runs = {0};
    struct strbuf page = STRBUF_INIT;
    struct compare_table t;
    bool have_table = false;
    if (bench_load_selected(&o, &runs, &err) == 0) {
        /* No results at all still makes a page: the runs and why they
         * have none. */
        struct compare_options co = {0};
        if (count_results(&runs) && compare_build(&t, runs.v, runs.n, &co, &err) == 0)
            have_table = true;
    }
    if (!err.msg) {
        report_html(runs.v, runs.n, have_table ? &t : NULL, &page);
        if (write_page(o.output, &page, &err) == 0 && strcmp(o.output, "-"))
            printf("wrote %s: %zu run%s, %zu configuration%s, %zu results\n", o.output, runs.n,
                   runs.n == 1 ? "" : "s", have_table ? t.n_rows : 0,
                   have_table && t.n_rows == 1 ? "" : "s", count_results(&runs));
    }
    if (have_table)
        compare_release(&t);
    bench_runs_release(&runs);
    strbuf_release(&page);
    if (err.msg) {
        rc = report_error(&err);
        hb_error_release(&err);
        return rc;
    }
    return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_RUNTIME;
}
