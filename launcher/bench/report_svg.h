/* SVG charts for the benchmark report (report_html.c): a line chart of
 * tokens/s against context depth and a bar chart of single tests, drawn as
 * plain SVG text (no script, no external font or style sheet) so that the
 * page they sit in is one self-contained file.
 *
 * Geometry is fixed and in SVG user units (CSS pixels at 100 % zoom), so a
 * test can work out where a value must land:
 *
 *   x = SVG_PLOT_LEFT + (v - x_min) / (x_max - x_min) * plot width
 *   y = SVG_PLOT_TOP + SVG_PLOT_HEIGHT - v / y_max * SVG_PLOT_HEIGHT
 *
 * The y axis always starts at 0 (a throughput axis that starts elsewhere
 * exaggerates differences) and ends at the "nice" value at or above the
 * largest one (svg_nice_scale). The axes and their ticks are drawn in
 * SVG_AXIS_COLOUR, each series in its own colour from svg_series_colour, the
 * legend under the plot: a swatch in the series' colour and its label, one
 * entry per line. */
#ifndef HALOBOX_BENCH_REPORT_SVG_H
#define HALOBOX_BENCH_REPORT_SVG_H

#include "util/common.h"

struct strbuf;

#define SVG_WIDTH        760
#define SVG_PLOT_LEFT    80
#define SVG_PLOT_TOP     40
#define SVG_PLOT_WIDTH   640
#define SVG_PLOT_HEIGHT  260
#define SVG_LEGEND_TOP   (SVG_PLOT_TOP + SVG_PLOT_HEIGHT + 58) /* first entry's baseline */
#define SVG_LEGEND_LINE  20
#define SVG_AXIS_COLOUR  "#333333"
#define SVG_GRID_COLOUR  "#e4e4e4"
#define SVG_N_COLOURS    8
#define SVG_LABEL_MIN_PX 48 /* closer x tick labels are left out, never overlapped */

/* The colour of series i ("#1f77b4"): SVG_N_COLOURS distinct ones, then
 * again from the first. */
const char *svg_series_colour(size_t i);

/* Writes s with &, <, >, " and ' escaped: for text and attribute values in
 * both SVG and HTML. NULL writes nothing. */
void xml_escape(struct strbuf *out, const char *s);

/* The axis of 0..max (max > 0): about `ticks` steps of 1, 2, 2.5 or 5
 * times a power of ten, and the top at the first step at or above max.
 * max <= 0 gives 0..1. */
struct svg_scale {
    double top;
    double step;
};
struct svg_scale svg_nice_scale(double max, int ticks);

/* A number as a tick label: as many decimals as the step needs ("0.5",
 * "250", "2.5"). */
void svg_tick_label(struct strbuf *out, double v, double step);

struct svg_point {
    bool present; /* false: no result there, the line breaks */
    double y;
};

struct svg_series {
    const char *label;
    const char *colour;
    struct svg_point *points; /* one per x value of the chart */
};

/* Tokens/s (y) against the chart's x values (at least two, ascending). A
 * series' present points are joined by one polyline per unbroken stretch
 * and each marked with a dot (so a lone point still shows). */
struct svg_line_chart {
    const char *title;
    const char *x_label;
    const char *y_label;
    const double *x; /* ascending; ticks are drawn at each */
    size_t n_x;
    const struct svg_series *series;
    size_t n_series;
};
void svg_line_chart(struct strbuf *out, const struct svg_line_chart *c);

/* Panels side by side, each with its own y axis (prefill and decode differ
 * by tens of times), each a group of bars per test, one bar per series in
 * the series' colour with its value above it when there is room. A missing
 * value is written "n/a" where its bar would be. values[g * n_series + s]
 * is series s in group g. */
struct svg_bar_panel {
    const char *title;
    const char *const *groups; /* test names, "pp512" */
    size_t n_groups;
    const struct svg_point *values;
};
struct svg_bar_chart {
    const char *y_label;
    const struct svg_bar_panel *panels;
    size_t n_panels;
    const char *const *labels; /* the series' labels */
    const char *const *colours;
    size_t n_series;
};
void svg_bar_chart(struct strbuf *out, const struct svg_bar_chart *c);

#endif
