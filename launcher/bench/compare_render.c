/* Comparison tables as aligned text and as markdown, the way the community
 * posts them: "1092.07 ± 1.21" per cell, then the ratio to the baseline and
 * the share of the bandwidth limit. */
#include "util/common.h"

#include "bench/compare.h"
#include "util/strbuf.h"

static void cell_text(const struct compare_table *t, size_t row, size_t col, struct strbuf *out)
{
    const struct compare_cell *c = &t->rows[row].cells[col];
    if (!c->present) {
        strbuf_addch(out, '-');
        return;
    }
    strbuf_addf(out, "%.2f", c->mean);
    if (c->stddev.known)
        strbuf_addf(out, " \xc2\xb1 %.2f", c->stddev.v);
    bool ratio = row != t->baseline && c->ratio.known;
    bool bw = c->bandwidth_share.known;
    if (ratio || bw) {
        strbuf_addstr(out, " (");
        if (ratio)
            strbuf_addf(out, "%.2fx", c->ratio.v);
        if (bw)
            strbuf_addf(out, "%s%.*f%% bw", ratio ? ", " : "", c->bandwidth_share.v < 0.1 ? 1 : 0,
                        c->bandwidth_share.v * 100);
        strbuf_addch(out, ')');
    }
}

/* Columns of the terminal, not bytes: "±" is two bytes, one column. */
static size_t text_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void pad(struct strbuf *out, size_t n)
{
    while (n--)
        strbuf_addch(out, ' ');
}

/* The baseline and, per row, where the bandwidth share comes from; in
 * markdown as a list. */
static void notes(const struct compare_table *t, bool md, struct strbuf *out)
{
    const char *prefix = md ? "- " : "";
    strbuf_addf(out, "%sbaseline: %s\n", prefix, t->rows[t->baseline].label);
    bool any_tg = false;
    for (size_t j = 0; j < t->n_cols; j++)
        any_tg |= t->cols[j].kind == BENCH_TG;
    if (!any_tg)
        return;
    strbuf_addf(out,
                "%sbw: token generation as a share of the memory-bandwidth limit "
                "(active weight bytes per token x t/s / peak bandwidth)\n",
                prefix);
    for (size_t i = 0; i < t->n_rows; i++) {
        const struct compare_row *row = &t->rows[i];
        strbuf_addf(out, "%s%s: ", md ? "  - " : "  ", row->label);
        if (row->active_bytes.known)
            strbuf_addf(out, "%.3f GB active weights per token", row->active_bytes.v / 1e9);
        else
            strbuf_addstr(out, "active weights unknown (give the model: --model NAME|FILE)");
        if (row->peak_gbps.known)
            strbuf_addf(out, ", peak %.1f GB/s (%s)\n", row->peak_gbps.v, row->peak_source);
        else
            strbuf_addstr(out, ", peak bandwidth unknown (--bandwidth GB/s)\n");
    }
}

void compare_render_text(const struct compare_table *t, struct strbuf *out)
{
    size_t ncol = t->n_cols + 1;
    char ***cells = xcalloc(t->n_rows + 1, sizeof(*cells));
    size_t *width = xcalloc(ncol, sizeof(*width));
    for (size_t i = 0; i <= t->n_rows; i++) {
        cells[i] = xcalloc(ncol, sizeof(**cells));
        for (size_t j = 0; j < ncol; j++) {
            struct strbuf sb = STRBUF_INIT;
            if (i == 0)
                strbuf_addstr(&sb, j ? t->cols[j - 1].name : "configuration");
            else if (j == 0)
                strbuf_addstr(&sb, t->rows[i - 1].label);
            else
                cell_text(t, i - 1, j - 1, &sb);
            cells[i][j] = strbuf_detach(&sb);
            size_t w = text_width(cells[i][j]);
            if (w > width[j])
                width[j] = w;
        }
    }
    for (size_t i = 0; i <= t->n_rows; i++) {
        for (size_t j = 0; j < ncol; j++) {
            size_t gap = width[j] - text_width(cells[i][j]);
            if (j) {
                strbuf_addstr(out, "  ");
                pad(out, gap); /* numbers right-aligned */
            }
            strbuf_addstr(out, cells[i][j]);
            if (!j)
                pad(out, gap);
            free(cells[i][j]);
        }
        strbuf_rtrim(out);
        strbuf_addch(out, '\n');
        free(cells[i]);
    }
    free(cells);
    free(width);
    strbuf_addch(out, '\n');
    notes(t, false, out);
}

/* Markdown cells may not hold '|'. */
static void md_cell(struct strbuf *out, const char *s)
{
    strbuf_addch(out, ' ');
    for (; *s; s++) {
        if (*s == '|')
            strbuf_addch(out, '\\');
        strbuf_addch(out, *s);
    }
    strbuf_addstr(out, " |");
}

void compare_render_markdown(const struct compare_table *t, struct strbuf *out)
{
    strbuf_addch(out, '|');
    md_cell(out, "configuration");
    for (size_t j = 0; j < t->n_cols; j++)
        md_cell(out, t->cols[j].name);
    strbuf_addstr(out, "\n| ---");
    for (size_t j = 0; j < t->n_cols; j++)
        strbuf_addstr(out, " | ---:");
    strbuf_addstr(out, " |\n");
    struct strbuf cell = STRBUF_INIT;
    for (size_t i = 0; i < t->n_rows; i++) {
        strbuf_addch(out, '|');
        md_cell(out, t->rows[i].label);
        for (size_t j = 0; j < t->n_cols; j++) {
            strbuf_reset(&cell);
            cell_text(t, i, j, &cell);
            md_cell(out, cell.buf);
        }
        strbuf_addch(out, '\n');
    }
    strbuf_release(&cell);
    strbuf_addch(out, '\n');
    notes(t, true, out);
}
