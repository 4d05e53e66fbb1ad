/* SVG charts as text: axes, ticks, grid, series and legend. Everything is
 * drawn with fixed geometry (report_svg.h) so the output is the same bytes
 * for the same data and a test can predict each coordinate. */
#include "util/common.h"

#include <math.h>

#include "bench/report_svg.h"
#include "util/strbuf.h"

/* Distinct in hue and lightness, and none of them the axis grey, so a
 * screenshot can be searched for each. */
static const char *const colours[SVG_N_COLOURS] = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#17becf", "#e377c2", "#8c564b",
};

#define TEXT_COLOUR "#1a1a1a"
#define FONT        "DejaVu Sans, Liberation Sans, Arial, sans-serif"
#define PLOT_BOTTOM (SVG_PLOT_TOP + SVG_PLOT_HEIGHT)
#define PANEL_GAP   90 /* between bar panels: room for the next one's tick labels */

const char *svg_series_colour(size_t i)
{
    return colours[i % SVG_N_COLOURS];
}

void xml_escape(struct strbuf *out, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '&':
            strbuf_addstr(out, "&amp;");
            break;
        case '<':
            strbuf_addstr(out, "&lt;");
            break;
        case '>':
            strbuf_addstr(out, "&gt;");
            break;
        case '"':
            strbuf_addstr(out, "&quot;");
            break;
        case '\'':
            strbuf_addstr(out, "&#39;");
            break;
        default:
            strbuf_addch(out, *s);
        }
}

struct svg_scale svg_nice_scale(double max, int ticks)
{
    if (!(max > 0) || !isfinite(max) || ticks < 1)
        return (struct svg_scale){.top = 1, .step = 0.2};
    /* The power of ten at or below raw, by steps (no libm in the program). */
    double raw = max / ticks, mag = 1;
    while (mag > raw)
        mag /= 10;
    while (mag * 10 <= raw)
        mag *= 10;
    double norm = raw / mag;
    double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag;
    /* A hair of tolerance: 600 with a step of 100 tops out at 600, not 700. */
    double n = (double)(long long)(max / step - 1e-9);
    double top = (n * step < max - 1e-9 * max ? n + 1 : n) * step;
    return (struct svg_scale){.top = top, .step = step};
}

void svg_tick_label(struct strbuf *out, double v, double step)
{
    int decimals = 0;
    for (double m = step; decimals < 6; decimals++, m *= 10) {
        double frac = m - (double)(long long)(m + 0.5);
        if (frac < 1e-6 && frac > -1e-6)
            break;
    }
    strbuf_addf(out, "%.*f", decimals, v);
}

/* ---- pieces ------------------------------------------------------------ */

static void svg_open(struct strbuf *out, int height, const char *title)
{
    strbuf_addf(out,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                "viewBox=\"0 0 %d %d\" role=\"img\" font-family=\"%s\" font-size=\"12\" "
                "fill=\"%s\">\n",
                SVG_WIDTH, height, SVG_WIDTH, height, FONT, TEXT_COLOUR);
    if (title) {
        strbuf_addstr(out, "<title>");
        xml_escape(out, title);
        strbuf_addstr(out, "</title>\n");
    }
}

static void text(struct strbuf *out, double x, double y, const char *anchor, const char *cls,
                 const char *s)
{
    strbuf_addf(out, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", cls, x, y,
                anchor);
    xml_escape(out, s);
    strbuf_addstr(out, "</text>\n");
}

static double y_of(double v, const struct svg_scale *s)
{
    return PLOT_BOTTOM - v / s->top * SVG_PLOT_HEIGHT;
}

/* Grid lines, the y axis with its ticks and labels, and the y axis title,
 * for a plot area from left to left + width. */
static void y_axis(struct strbuf *out, double left, double width, const struct svg_scale *s,
                   const char *y_label)
{
    struct strbuf label = STRBUF_INIT;
    strbuf_addstr(out, "<g class=\"grid\" stroke=\"" SVG_GRID_COLOUR
                       "\" stroke-width=\"1\" shape-rendering=\"crispEdges\">\n");
    int n = (int)(s->top / s->step + 0.5);
    for (int i = 1; i <= n; i++)
        strbuf_addf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", left,
                    y_of(i * s->step, s), left + width, y_of(i * s->step, s));
    strbuf_addstr(out, "</g>\n");
    for (int i = 0; i <= n; i++) {
        double v = i * s->step, y = y_of(v, s);
        strbuf_addf(out,
                    "<line class=\"tick\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    "stroke=\"" SVG_AXIS_COLOUR "\" stroke-width=\"2\" "
                    "shape-rendering=\"crispEdges\"/>\n",
                    left - 6, y, left, y);
        strbuf_reset(&label);
        svg_tick_label(&label, v, s->step);
        text(out, left - 9, y + 4, "end", "ytick", label.buf);
    }
    double cy = SVG_PLOT_TOP + SVG_PLOT_HEIGHT / 2.0, cx = left - 58;
    strbuf_addf(out,
                "<text class=\"ylabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                "transform=\"rotate(-90 %.1f %.1f)\">",
                cx, cy, cx, cy);
    xml_escape(out, y_label);
    strbuf_addstr(out, "</text>\n");
    strbuf_release(&label);
}

/* The two axis lines. */
static void axes(struct strbuf *out, double left, double width)
{
    strbuf_addf(out,
                "<g class=\"axis\" stroke=\"" SVG_AXIS_COLOUR
                "\" stroke-width=\"2\" shape-rendering=\"crispEdges\">\n"
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n"
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n</g>\n",
                left, SVG_PLOT_TOP, left, PLOT_BOTTOM, left, PLOT_BOTTOM, left + width,
                PLOT_BOTTOM);
}

static void legend(struct strbuf *out, const char *const *labels, const char *const *cols, size_t n)
{
    strbuf_addstr(out, "<g class=\"legend\">\n");
    for (size_t i = 0; i < n; i++) {
        int y = SVG_LEGEND_TOP + (int)i * SVG_LEGEND_LINE;
        strbuf_addf(out,
                    "<rect class=\"swatch\" x=\"%d\" y=\"%d\" width=\"24\" height=\"12\" "
                    "fill=\"%s\"/>\n",
                    SVG_PLOT_LEFT, y - 10, cols[i]);
        text(out, SVG_PLOT_LEFT + 32, y, "start", "entry", labels[i]);
    }
    strbuf_addstr(out, "</g>\n");
}

static int chart_height(size_t n_series)
{
    return SVG_LEGEND_TOP + (int)n_series * SVG_LEGEND_LINE;
}

/* ---- the line chart ------------------------------------------------------ */

static double series_max(const struct svg_series *s, size_t n_series, size_t n_x)
{
    double max = 0;
    for (size_t i = 0; i < n_series; i++)
        for (size_t j = 0; j < n_x; j++)
            if (s[i].points[j].present && s[i].points[j].y > max)
                max = s[i].points[j].y;
    return max;
}

void svg_line_chart(struct strbuf *out, const struct svg_line_chart *c)
{
    double x_min = c->x[0], x_max = c->x[c->n_x - 1];
    double span = x_max > x_min ? x_max - x_min : 1;
#define X_OF(v) (SVG_PLOT_LEFT + ((v)-x_min) / span * SVG_PLOT_WIDTH)
    struct svg_scale s = svg_nice_scale(series_max(c->series, c->n_series, c->n_x), 5);
    svg_open(out, chart_height(c->n_series), c->title);
    text(out, SVG_PLOT_LEFT, 22, "start", "title", c->title);
    y_axis(out, SVG_PLOT_LEFT, SVG_PLOT_WIDTH, &s, c->y_label);

    /* A tick at each measured depth; a label only where it does not run
     * into the one before. */
    struct strbuf label = STRBUF_INIT;
    double last_label = -1e9;
    for (size_t j = 0; j < c->n_x; j++) {
        double x = X_OF(c->x[j]);
        strbuf_addf(out,
                    "<line class=\"tick\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                    "stroke=\"" SVG_AXIS_COLOUR "\" stroke-width=\"2\" "
                    "shape-rendering=\"crispEdges\"/>\n",
                    x, PLOT_BOTTOM, x, PLOT_BOTTOM + 6);
        if (x - last_label < SVG_LABEL_MIN_PX)
            continue;
        strbuf_reset(&label);
        strbuf_addf(&label, "%.0f", c->x[j]);
        text(out, x, PLOT_BOTTOM + 20, "middle", "xtick", label.buf);
        last_label = x;
    }
    text(out, SVG_PLOT_LEFT + SVG_PLOT_WIDTH / 2.0, PLOT_BOTTOM + 38, "middle", "xlabel",
         c->x_label);

    /* Axes under the data here: a dot at the first depth sits on the y
     * axis and must stay whole. */
    axes(out, SVG_PLOT_LEFT, SVG_PLOT_WIDTH);
    for (size_t i = 0; i < c->n_series; i++) {
        const struct svg_series *se = &c->series[i];
        strbuf_addf(out, "<g class=\"series\" data-series=\"%zu\">\n", i);
        for (size_t j = 0; j < c->n_x;) {
            if (!se->points[j].present) {
                j++;
                continue;
            }
            size_t end = j;
            while (end < c->n_x && se->points[end].present)
                end++;
            if (end - j > 1) {
                strbuf_addf(out,
                            "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"3\" "
                            "stroke-linejoin=\"round\" points=\"",
                            se->colour);
                for (size_t k = j; k < end; k++)
                    strbuf_addf(out, "%s%.1f,%.1f", k > j ? " " : "", X_OF(c->x[k]),
                                y_of(se->points[k].y, &s));
                strbuf_addstr(out, "\"/>\n");
            }
            j = end;
        }
        for (size_t j = 0; j < c->n_x; j++)
            if (se->points[j].present)
                strbuf_addf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\"/>\n",
                            X_OF(c->x[j]), y_of(se->points[j].y, &s), se->colour);
        strbuf_addstr(out, "</g>\n");
    }
#undef X_OF

    const char **labels = xcalloc(c->n_series + 1, sizeof(*labels));
    const char **cols = xcalloc(c->n_series + 1, sizeof(*cols));
    for (size_t i = 0; i < c->n_series; i++) {
        labels[i] = c->series[i].label;
        cols[i] = c->series[i].colour;
    }
    legend(out, labels, cols, c->n_series);
    free(labels);
    free(cols);
    strbuf_addstr(out, "</svg>\n");
    strbuf_release(&label);
}

/* ---- the bar chart ------------------------------------------------------- */

static void bar_panel(struct strbuf *out, const struct svg_bar_chart *c,
                      const struct svg_bar_panel *p, double left, double width)
{
    double max = 0;
    for (size_t k = 0; k < p->n_groups * c->n_series; k++)
        if (p->values[k].present && p->values[k].y > max)
            max = p->values[k].y;
    struct svg_scale s = svg_nice_scale(max, 5);
    text(out, left, 22, "start", "title", p->title);
    y_axis(out, left, width, &s, c->y_label);

    struct strbuf label = STRBUF_INIT;
    double gw = width / (double)p->n_groups;
    double bw = gw * 0.8 / (double)c->n_series;
    for (size_t g = 0; g < p->n_groups; g++) {
        double gx = left + g * gw;
        text(out, gx + gw / 2, PLOT_BOTTOM + 20, "middle", "xtick", p->groups[g]);
        for (size_t i = 0; i < c->n_series; i++) {
            const struct svg_point *v = &p->values[g * c->n_series + i];
            double x = gx + gw * 0.1 + i * bw;
            if (!v->present) {
                text(out, x + bw / 2, PLOT_BOTTOM - 6, "middle", "missing", "n/a");
                continue;
            }
            double y = y_of(v->y, &s);
            strbuf_addf(out,
                        "<rect class=\"bar\" data-series=\"%zu\" x=\"%.1f\" y=\"%.1f\" "
                        "width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
                        i, x + bw * 0.05, y, bw * 0.9, PLOT_BOTTOM - y, c->colours[i]);
            strbuf_reset(&label);
            strbuf_addf(&label, "%.*f", v->y < 100 ? 2 : 1, v->y);
            /* About 6.5 px per character at 11 px: only when it fits over
             * the bar, so neighbours never overlap. */
            if (label.len * 6.5 <= bw)
                strbuf_addf(out,
                            "<text class=\"value\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                            "font-size=\"11\">%s</text>\n",
                            x + bw / 2, y - 4, label.buf);
        }
    }
    axes(out, left, width);
    strbuf_release(&label);
}

void svg_bar_chart(struct strbuf *out, const struct svg_bar_chart *c)
{
    svg_open(out, chart_height(c->n_series), NULL);
    double n = (double)c->n_panels;
    double pw = (SVG_PLOT_WIDTH - (n - 1) * PANEL_GAP) / n;
    for (size_t k = 0; k < c->n_panels; k++)
        bar_panel(out, c, &c->panels[k], SVG_PLOT_LEFT + k * (pw + PANEL_GAP), pw);
    legend(out, c->labels, c->colours, c->n_series);
    strbuf_addstr(out, "</svg>\n");
}
