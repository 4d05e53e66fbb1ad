/* The benchmark report: one self-contained HTML page (inline CSS and SVG, no
 * script, nothing fetched) built from a comparison table (compare.h) and the
 * runs it came from:
 *
 *   - what to watch for: runs that are incomplete or failed, recipes that
 *     failed and why, files whose last line was cut short;
 *   - prefill (pp) and decode (tg) tokens/s against context depth, a line
 *     per configuration (the table's rows), or a sentence saying why there
 *     is no line to draw (one depth only, no such test);
 *   - a bar chart of the single tests at the smallest depth (pp512 and
 *     tg128 as llama-bench runs them by default), one panel for prefill and
 *     one for decode, each on its own axis;
 *   - the table of results (mean ± stddev tokens/s, n/a where missing);
 *   - the provenance of each configuration: run and time, model name and
 *     sha256, image recipe, recipe sha256, digest and engine version, the
 *     host's kernel and parameters, GPU and drivers, llama-bench's build.
 *
 * Each configuration keeps one colour (svg_series_colour of its row) in
 * every chart and in the tables' swatches. The same input gives the same
 * bytes (no time of rendering in the page). */
#ifndef HALOBOX_BENCH_REPORT_HTML_H
#define HALOBOX_BENCH_REPORT_HTML_H

#include "bench/compare.h"

struct strbuf;

/* t is NULL when the runs hold no results: the page then says so and still
 * lists the runs and their recipes' states. */
void report_html(const struct bench_run *runs, size_t n_runs, const struct compare_table *t,
                 struct strbuf *out);

/* ---- the charts of a table (report_charts.c) ------------------------------ */

/* Tokens/s of one kind of test (BENCH_PP or BENCH_TG) against context
 * depth: an SVG line chart, or a paragraph (class "nochart") saying why
 * there is none. */
void report_depth_chart(const struct compare_table *t, enum bench_kind kind, struct strbuf *out);
/* The pp and tg tests at their smallest depth as bars: an SVG, or a
 * paragraph (class "nochart") when there are no such tests. */
void report_bar_chart(const struct compare_table *t, struct strbuf *out);

#endif
