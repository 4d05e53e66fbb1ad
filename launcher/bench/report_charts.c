/* From a comparison table to the report's charts: which columns make a line
 * against depth, which make the bars, and what to say when there is nothing
 * to draw (a chart with no line in it would look like a result). */
#include "util/common.h"

#include "bench/report_html.h"
#include "bench/report_svg.h"
#include "util/strbuf.h"

static uint64_t test_size(const struct compare_column *c)
{
    return c->kind == BENCH_TG ? c->n_gen : c->n_prompt;
}

static const char *kind_word(enum bench_kind kind)
{
    return kind == BENCH_TG ? "decode" : "prefill";
}

/* Adds v to the ascending set (a, *n) unless it is there. */
static void add_sorted(uint64_t *a, size_t *n, uint64_t v)
{
    size_t i = 0;
    while (i < *n && a[i] < v)
        i++;
    if (i < *n && a[i] == v)
        return;
    memmove(a + i + 1, a + i, (*n - i) * sizeof(*a));
    a[i] = v;
    (*n)++;
}

static const struct compare_cell *cell_at(const struct compare_table *t, size_t row,
                                          enum bench_kind kind, uint64_t size, uint64_t depth)
{
    for (size_t j = 0; j < t->n_cols; j++)
        if (t->cols[j].kind == kind && test_size(&t->cols[j]) == size &&
            t->cols[j].n_depth == depth)
            return t->rows[row].cells[j].present ? &t->rows[row].cells[j] : NULL;
    return NULL;
}

static void no_chart(struct strbuf *out, const char *why)
{
    strbuf_addstr(out, "<p class=\"nochart\">");
    xml_escape(out, why);
    strbuf_addstr(out, "</p>\n");
}

void report_depth_chart(const struct compare_table *t, enum bench_kind kind, struct strbuf *out)
{
    const char *prefix = kind == BENCH_TG ? "tg" : "pp";
    uint64_t *depths = xcalloc(t->n_cols + 1, sizeof(*depths));
    uint64_t *sizes = xcalloc(t->n_cols + 1, sizeof(*sizes));
    size_t n_depths = 0, n_sizes = 0;
    for (size_t j = 0; j < t->n_cols; j++)
        if (t->cols[j].kind == kind) {
            add_sorted(depths, &n_depths, t->cols[j].n_depth);
            add_sorted(sizes, &n_sizes, test_size(&t->cols[j]));
        }
    struct strbuf sb = STRBUF_INIT;
    if (!n_depths) {
        strbuf_addf(&sb, "No %s (%s) results in these runs: no %s chart.", kind_word(kind), prefix,
                    kind_word(kind));
        no_chart(out, sb.buf);
    } else if (n_depths == 1) {
        strbuf_addf(&sb,
                    "Every %s (%s) result here is at one context depth (%llu tokens): there is "
                    "no line against depth to draw. Run with more depths (--depth 0,4096,32768) "
                    "for this chart; the bar chart below shows the results.",
                    kind_word(kind), prefix, (unsigned long long)depths[0]);
        no_chart(out, sb.buf);
    } else {
        double *x = xcalloc(n_depths, sizeof(*x));
        for (size_t k = 0; k < n_depths; k++)
            x[k] = (double)depths[k];
        /* A series per configuration and test size that has any value. */
        size_t max_series = t->n_rows * n_sizes, n_series = 0;
        struct svg_series *series = xcalloc(max_series, sizeof(*series));
        char **labels = xcalloc(max_series, sizeof(*labels));
        for (size_t i = 0; i < t->n_rows; i++)
            for (size_t s = 0; s < n_sizes; s++) {
                struct svg_point *pts = xcalloc(n_depths, sizeof(*pts));
                bool any = false;
                for (size_t k = 0; k < n_depths; k++) {
                    const struct compare_cell *c = cell_at(t, i, kind, sizes[s], depths[k]);
                    if (c)
                        pts[k] = (struct svg_point){.present = true, .y = c->mean};
                    any |= c != NULL;
                }
                if (!any) {
                    free(pts);
                    continue;
                }
                struct strbuf label = STRBUF_INIT;
                strbuf_addstr(&label, t->rows[i].label);
                if (n_sizes > 1)
                    strbuf_addf(&label, " (%s%llu)", prefix, (unsigned long long)sizes[s]);
                labels[n_series] = strbuf_detach(&label);
                /* One colour per configuration, as in the bars, unless a
                 * configuration has several lines here. */
                series[n_series] = (struct svg_series){
                    .label = labels[n_series],
                    .colour = svg_series_colour(n_sizes > 1 ? n_series : i),
                    .points = pts,
                };
                n_series++;
            }
        struct strbuf title = STRBUF_INIT;
        strbuf_addf(&title, "%s%s (", kind == BENCH_TG ? "Decode" : "Prefill",
                    n_sizes > 1 ? " tests" : "");
        for (size_t s = 0; s < n_sizes; s++)
            strbuf_addf(&title, "%s%s%llu", s ? ", " : "", prefix, (unsigned long long)sizes[s]);
        strbuf_addstr(&title, ") against context depth");
        struct svg_line_chart c = {
            .title = title.buf,
            .x_label = "context depth (tokens in the KV cache before the test)",
            .y_label = "tokens/s",
            .x = x,
            .n_x = n_depths,
            .series = series,
            .n_series = n_series,
        };
        svg_line_chart(out, &c);
        for (size_t i = 0; i < n_series; i++) {
            free(series[i].points);
            free(labels[i]);
        }
        free(series);
        free(labels);
        free(x);
        strbuf_release(&title);
    }
    strbuf_release(&sb);
    free(depths);
    free(sizes);
}

/* The columns of one kind at its smallest depth, in table order. */
static size_t shallowest(const struct compare_table *t, enum bench_kind kind, size_t *cols)
{
    uint64_t min = UINT64_MAX;
    for (size_t j = 0; j < t->n_cols; j++)
        if (t->cols[j].kind == kind && t->cols[j].n_depth < min)
            min = t->cols[j].n_depth;
    size_t n = 0;
    for (size_t j = 0; j < t->n_cols; j++)
        if (t->cols[j].kind == kind && t->cols[j].n_depth == min)
            cols[n++] = j;
    return n;
}

void report_bar_chart(const struct compare_table *t, struct strbuf *out)
{
    static const enum bench_kind kinds[] = {BENCH_PP, BENCH_TG};
    struct svg_bar_panel panels[2];
    size_t n_panels = 0;
    size_t *cols[2] = {xcalloc(t->n_cols + 1, sizeof(size_t)),
                       xcalloc(t->n_cols + 1, sizeof(size_t))};
    const char **groups[2] = {NULL, NULL};
    struct svg_point *values[2] = {NULL, NULL};
    char *titles[2] = {NULL, NULL};
    for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
        size_t n = shallowest(t, kinds[k], cols[k]);
        if (!n)
            continue;
        groups[k] = xcalloc(n, sizeof(*groups[k]));
        values[k] = xcalloc(n * t->n_rows, sizeof(*values[k]));
        for (size_t g = 0; g < n; g++) {
            groups[k][g] = t->cols[cols[k][g]].name;
            for (size_t i = 0; i < t->n_rows; i++) {
                const struct compare_cell *c = &t->rows[i].cells[cols[k][g]];
                values[k][g * t->n_rows + i] =
                    (struct svg_point){.present = c->present, .y = c->mean};
            }
        }
        struct strbuf title = STRBUF_INIT;
        strbuf_addf(&title, "%s%s", kinds[k] == BENCH_TG ? "Decode" : "Prefill",
                    t->cols[cols[k][0]].n_depth ? " at depth " : "");
        if (t->cols[cols[k][0]].n_depth)
            strbuf_addf(&title, "%llu", (unsigned long long)t->cols[cols[k][0]].n_depth);
        titles[k] = strbuf_detach(&title);
        panels[n_panels++] = (struct svg_bar_panel){
            .title = titles[k], .groups = groups[k], .n_groups = n, .values = values[k]};
    }
    if (!n_panels) {
        no_chart(out, "No prefill (pp) or decode (tg) tests in these runs: no bar chart.");
    } else {
        const char **labels = xcalloc(t->n_rows, sizeof(*labels));
        const char **colours = xcalloc(t->n_rows, sizeof(*colours));
        for (size_t i = 0; i < t->n_rows; i++) {
            labels[i] = t->rows[i].label;
            colours[i] = svg_series_colour(i);
        }
        struct svg_bar_chart c = {.y_label = "tokens/s",
                                  .panels = panels,
                                  .n_panels = n_panels,
                                  .labels = labels,
                                  .colours = colours,
                                  .n_series = t->n_rows};
        svg_bar_chart(out, &c);
        free(labels);
        free(colours);
    }
    for (size_t k = 0; k < 2; k++) {
        free(cols[k]);
        free(groups[k]);
        free(values[k]);
        free(titles[k]);
    }
}
