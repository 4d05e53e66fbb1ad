/* The report page: notices, charts (report_charts.c), the results table and
 * the provenance table, with every string from a run escaped. */
#include "util/common.h"

#include "bench/report_html.h"
#include "bench/report_svg.h"
#include "util/strbuf.h"

static const char style[] =
    "body{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;color:#1a1a1a;"
    "background:#fff;margin:24px;max-width:1180px}\n"
    "h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:28px 0 8px}\n"
    "p.sub{color:#555;margin:0 0 12px}\n"
    "p.nochart{border:1px dashed #999;padding:10px 14px;color:#444;max-width:740px}\n"
    "ul.notices li{margin:3px 0}li.failed{color:#a01010}li.incomplete{color:#8a5a00}\n"
    "table{border-collapse:collapse;font-size:13px;margin:6px 0}\n"
    "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\n"
    "th{background:#f2f2f2}td.num{text-align:right;white-space:nowrap}\n"
    "td.na{color:#888;text-align:center}\n"
    "table.prov td{font-size:12px;max-width:360px}\n"
    "code{font-family:'DejaVu Sans Mono',monospace;font-size:11px;word-break:break-all}\n"
    "span.sw{display:inline-block;width:12px;height:12px;margin-right:6px;"
    "vertical-align:-1px}\n"
    "svg{display:block;margin:8px 0 18px}\n";

static void esc(struct strbuf *out, const char *s)
{
    xml_escape(out, s);
}

/* A value or, when the run does not know it, the word unknown: a missing
 * fact is said, never left blank. */
static void known(struct strbuf *out, const char *s)
{
    if (s)
        esc(out, s);
    else
        strbuf_addstr(out, "<i>unknown</i>");
}

/* "key: value<br>" with the value as code (hashes, digests). */
static void field(struct strbuf *out, const char *key, const char *value, bool code)
{
    strbuf_addf(out, "%s: ", key);
    if (code && value)
        strbuf_addstr(out, "<code>");
    known(out, value);
    if (code && value)
        strbuf_addstr(out, "</code>");
    strbuf_addstr(out, "<br>");
}

/* ---- notices ----------------------------------------------------------- */

static void notice(struct strbuf *out, const char *cls, const struct bench_run *run)
{
    strbuf_addf(out, "<li class=\"%s\">run <code>", cls);
    esc(out, run->id);
    strbuf_addstr(out, "</code> ");
}

static size_t notices(const struct bench_run *runs, size_t n_runs, struct strbuf *out)
{
    size_t n = 0;
    for (size_t k = 0; k < n_runs; k++) {
        const struct bench_run *run = &runs[k];
        if (run->status == BENCH_STATUS_INCOMPLETE || run->status == BENCH_STATUS_RUNNING) {
            notice(out, "incomplete", run);
            strbuf_addf(out,
                        "is %s: it was interrupted (or is still running); only its finished "
                        "results are shown</li>\n",
                        bench_status_name(run->status));
            n++;
        }
        if (run->truncated) {
            notice(out, "incomplete", run);
            strbuf_addstr(out, "ends in a line cut short, which was left out</li>\n");
            n++;
        }
        for (size_t i = 0; i < run->n_recipes; i++) {
            const struct bench_recipe_state *rs = &run->recipes[i];
            if (rs->status == BENCH_STATUS_COMPLETE)
                continue;
            notice(out, rs->status == BENCH_STATUS_FAILED ? "failed" : "incomplete", run);
            strbuf_addstr(out, "recipe <b>");
            esc(out, rs->recipe);
            strbuf_addf(out, "</b> %s", bench_status_name(rs->status));
            if (rs->error) {
                strbuf_addstr(out, ": ");
                esc(out, rs->error);
            }
            strbuf_addstr(out, "</li>\n");
            n++;
        }
        if (!run->n_records) {
            notice(out, "failed", run);
            strbuf_addstr(out, "has no results</li>\n");
            n++;
        }
    }
    return n;
}

/* ---- tables -------------------------------------------------------------- */

static void swatch(struct strbuf *out, size_t row)
{
    strbuf_addf(out, "<span class=\"sw\" style=\"background:%s\"></span>", svg_series_colour(row));
}

static void results_table(const struct compare_table *t, struct strbuf *out)
{
    strbuf_addstr(out, "<table class=\"results\">\n<tr><th>configuration</th>");
    for (size_t j = 0; j < t->n_cols; j++) {
        strbuf_addstr(out, "<th>");
        esc(out, t->cols[j].name);
        strbuf_addstr(out, "</th>");
    }
    strbuf_addstr(out, "</tr>\n");
    for (size_t i = 0; i < t->n_rows; i++) {
        strbuf_addstr(out, "<tr><td>");
        swatch(out, i);
        esc(out, t->rows[i].label);
        strbuf_addstr(out, "</td>");
        for (size_t j = 0; j < t->n_cols; j++) {
            const struct compare_cell *c = &t->rows[i].cells[j];
            if (!c->present) {
                strbuf_addstr(out, "<td class=\"na\">n/a</td>");
                continue;
            }
            strbuf_addf(out, "<td class=\"num\">%.2f", c->mean);
            if (c->stddev.known)
                strbuf_addf(out, " &plusmn; %.2f", c->stddev.v);
            strbuf_addstr(out, "</td>");
        }
        strbuf_addstr(out, "</tr>\n");
    }
    strbuf_addstr(out, "</table>\n<p class=\"sub\">tokens/s, mean &plusmn; standard deviation "
                       "over the repetitions; n/a: no result for that test.</p>\n");
}

static bool host_known(const struct bench_host *h)
{
    return h->kernel || h->gpu_family || h->gpu_name || h->vulkan_driver || h->n_params;
}

static void host_cell(const struct bench_host *h, const struct bench_result *r, struct strbuf *out)
{
    field(out, "kernel", h->kernel, false);
    strbuf_addstr(out, "parameters: ");
    if (!h->params_known && !h->n_params)
        strbuf_addstr(out, "<i>unknown</i>");
    else if (!h->n_params)
        strbuf_addstr(out, "<i>none of note</i>");
    strbuf_addstr(out, h->n_params ? "<code>" : "");
    for (size_t i = 0; i < h->n_params; i++) {
        strbuf_addstr(out, i ? " " : "");
        esc(out, h->params[i].key);
        if (*h->params[i].value) {
            strbuf_addch(out, '=');
            esc(out, h->params[i].value);
        }
    }
    strbuf_addstr(out, h->n_params ? "</code><br>" : "<br>");
    strbuf_addstr(out, "GPU: ");
    if (h->gpu_family || h->gpu_name) {
        esc(out, h->gpu_family);
        strbuf_addstr(out, h->gpu_family && h->gpu_name ? " &mdash; " : "");
        esc(out, h->gpu_name);
    } else {
        known(out, r->gpu_info);
    }
    strbuf_addstr(out, "<br>");
    strbuf_addstr(out, "driver: ");
    if (h->vulkan_driver || h->mesa_version || h->rocm_version || r->vulkan_driver) {
        if (h->vulkan_driver || r->vulkan_driver) {
            strbuf_addstr(out, "Vulkan ");
            esc(out, h->vulkan_driver ? h->vulkan_driver : r->vulkan_driver);
        }
        if (h->mesa_version) {
            strbuf_addstr(out, " (Mesa ");
            esc(out, h->mesa_version);
            strbuf_addch(out, ')');
        }
        if (h->rocm_version) {
            strbuf_addstr(out, h->vulkan_driver || r->vulkan_driver ? ", ROCm " : "ROCm ");
            esc(out, h->rocm_version);
        }
    } else {
        strbuf_addstr(out, "<i>unknown</i>");
    }
}

static void provenance_row(const struct compare_table *t, size_t i, struct strbuf *out)
{
    const struct compare_row *row = &t->rows[i];
    const struct bench_record *rec = row->first;
    const struct bench_run *run = row->run;
    const struct bench_model *m = rec->model.name || rec->model.sha256 ? &rec->model : &run->model;
    const struct bench_host *h = host_known(&rec->host) ? &rec->host : &run->host;

    strbuf_addstr(out, "<tr><td>");
    swatch(out, i);
    esc(out, row->label);
    strbuf_addstr(out, "</td>\n<td>");
    field(out, "run", run->id, true);
    field(out, "status", bench_status_name(run->status), false);
    field(out, "created", run->created, false);
    field(out, "first test", rec->r.test_time, false);
    strbuf_addstr(out, "source: ");
    known(out, run->source);
    if (run->source_file) {
        strbuf_addch(out, ' ');
        esc(out, run->source_file);
    }
    strbuf_addstr(out, "</td>\n<td>");
    field(out, "name", m->name ? m->name : rec->r.model_type, false);
    field(out, "sha256", m->sha256, true);
    strbuf_addstr(out, "type: ");
    known(out, m->type ? m->type : rec->r.model_type);
    strbuf_addstr(out, "</td>\n<td>");
    field(out, "recipe", rec->image.recipe, false);
    field(out, "recipe sha256", rec->image.recipe_sha256, true);
    field(out, "digest", rec->image.digest, true);
    field(out, "engine", rec->image.engine_version, false);
    strbuf_addstr(out, "llama-bench build: ");
    known(out, rec->r.build_commit);
    if (rec->r.build_number.known)
        strbuf_addf(out, " (%llu)", (unsigned long long)rec->r.build_number.v);
    strbuf_addstr(out, ", backend ");
    known(out, rec->r.backends);
    strbuf_addstr(out, "</td>\n<td>");
    host_cell(h, &rec->r, out);
    strbuf_addstr(out, "</td></tr>\n");
}

static void provenance_table(const struct compare_table *t, struct strbuf *out)
{
    strbuf_addstr(out, "<table class=\"prov\">\n<tr><th>configuration</th><th>run and "
                       "time</th><th>model</th><th>image</th><th>host</th></tr>\n");
    for (size_t i = 0; i < t->n_rows; i++)
        provenance_row(t, i, out);
    strbuf_addstr(out, "</table>\n");
}

static void runs_list(const struct bench_run *runs, size_t n_runs, struct strbuf *out)
{
    strbuf_addstr(out, "<table class=\"runs\">\n<tr><th>run</th><th>created</th><th>status"
                       "</th><th>results</th><th>recipes</th></tr>\n");
    for (size_t k = 0; k < n_runs; k++) {
        const struct bench_run *run = &runs[k];
        strbuf_addstr(out, "<tr><td><code>");
        esc(out, run->id);
        strbuf_addstr(out, "</code></td><td>");
        known(out, run->created);
        strbuf_addf(out, "</td><td>%s</td><td class=\"num\">%zu</td><td>",
                    bench_status_name(run->status), run->n_records);
        for (size_t i = 0; i < run->n_recipes; i++) {
            strbuf_addstr(out, i ? ", " : "");
            esc(out, run->recipes[i].recipe);
            strbuf_addf(out, " (%s)", bench_status_name(run->recipes[i].status));
        }
        if (!run->n_recipes)
            esc(out, run->label ? run->label : "-");
        strbuf_addstr(out, "</td></tr>\n");
    }
    strbuf_addstr(out, "</table>\n");
}

/* ---- the page ------------------------------------------------------------- */

void report_html(const struct bench_run *runs, size_t n_runs, const struct compare_table *t,
                 struct strbuf *out)
{
    strbuf_addstr(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                       "<title>halobox benchmark report</title>\n<style>\n");
    strbuf_addstr(out, style);
    strbuf_addstr(out, "</style>\n</head>\n<body>\n<h1>halobox benchmark report</h1>\n"
                       "<p class=\"sub\">");
    strbuf_addf(out, "%zu run%s, %zu configuration%s: ", n_runs, n_runs == 1 ? "" : "s",
                t ? t->n_rows : 0, t && t->n_rows == 1 ? "" : "s");
    for (size_t k = 0; k < n_runs; k++) {
        strbuf_addstr(out, k ? ", <code>" : "<code>");
        esc(out, runs[k].id);
        strbuf_addstr(out, "</code>");
    }
    strbuf_addstr(out, "</p>\n");

    struct strbuf list = STRBUF_INIT;
    if (notices(runs, n_runs, &list)) {
        strbuf_addstr(out, "<h2>Watch for</h2>\n<ul class=\"notices\">\n");
        strbuf_addstr(out, list.buf);
        strbuf_addstr(out, "</ul>\n");
    }
    strbuf_release(&list);

    if (t) {
        strbuf_addstr(out, "<h2>Prefill and decode against context depth</h2>\n");
        report_depth_chart(t, BENCH_PP, out);
        report_depth_chart(t, BENCH_TG, out);
        strbuf_addstr(out, "<h2>Single tests</h2>\n");
        report_bar_chart(t, out);
        strbuf_addstr(out, "<h2>Results</h2>\n");
        results_table(t, out);
        strbuf_addstr(out, "<h2>Provenance</h2>\n");
        provenance_table(t, out);
    } else {
        strbuf_addstr(out, "<p class=\"nochart\">These runs hold no results: nothing to chart."
                           "</p>\n");
    }
    strbuf_addstr(out, "<h2>Runs</h2>\n");
    runs_list(runs, n_runs, out);
    strbuf_addstr(out, "</body>\n</html>\n");
}
