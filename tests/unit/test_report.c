/* The benchmark report: the SVG charts' scales, axes, ticks, legend and
 * where each value lands (worked out by hand from the geometry in
 * report_svg.h), and the HTML page built from runs: escaping, the sentence
 * that replaces a line chart when there is one depth only, missing values,
 * failed and incomplete runs, provenance, nothing fetched. */
#include "util/common.h"

#include "bench/compare.h"
#include "bench/report_html.h"
#include "bench/report_svg.h"
#include "test.h"
#include "util/strbuf.h"

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

#define CHECK_HAS(hay, needle)                                                                     \
    do {                                                                                           \
        if (!strstr((hay), (needle)))                                                              \
            test_fail(__FILE__, __LINE__, "missing: %s", (needle));                                \
    } while (0)

#define CHECK_LACKS(hay, needle)                                                                   \
    do {                                                                                           \
        if (strstr((hay), (needle)))                                                               \
            test_fail(__FILE__, __LINE__, "unexpected: %s", (needle));                             \
    } while (0)

/* ---- scales ------------------------------------------------------------- */

static void test_nice_scale(void)
{
    struct svg_scale s = svg_nice_scale(1092.07, 5); /* 218.4 a step: 250 */
    CHECK(s.step == 250 && s.top == 1250);
    s = svg_nice_scale(41.17, 5); /* 8.2: 10 */
    CHECK(s.step == 10 && s.top == 50);
    s = svg_nice_scale(1000, 5); /* exactly 5 steps of 200: not 6 */
    CHECK(s.step == 200 && s.top == 1000);
    s = svg_nice_scale(0.3, 5); /* 0.06: 0.1 */
    CHECK(s.step > 0.0999 && s.step < 0.1001 && s.top > 0.2999 && s.top < 0.3001);
    s = svg_nice_scale(0, 5); /* nothing measured: still an axis */
    CHECK(s.top == 1);

    struct strbuf sb = STRBUF_INIT;
    svg_tick_label(&sb, 750, 250);
    svg_tick_label(&sb, 0.5, 0.5);
    strbuf_addch(&sb, ' ');
    svg_tick_label(&sb, 7.5, 2.5);
    CHECK_STR(sb.buf, "7500.5 7.5");
    strbuf_release(&sb);

    struct strbuf e = STRBUF_INIT;
    xml_escape(&e, "a<b>&\"c\"'d'");
    CHECK_STR(e.buf, "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
    strbuf_release(&e);
}

/* ---- the line chart ------------------------------------------------------- */

/* x: depths 0, 4096, 8192, 32768 over 640 px from x = 80: 80, 160, 240,
 * 720. y: max 1000 gives steps of 200 to 1000 over 260 px from y = 300 up:
 * v -> 300 - v / 1000 * 260. */
static void test_line_chart(void)
{
    const double x[] = {0, 4096, 8192, 32768};
    struct svg_point a[] = {{true, 1000}, {true, 800}, {true, 600}, {true, 400}};
    struct svg_point b[] = {{true, 500}, {true, 450}, {false, 0}, {true, 300}};
    struct svg_series series[] = {
        {.label = "vulkan-radv", .colour = svg_series_colour(0), .points = a},
        {.label = "m<&\"x\">", .colour = svg_series_colour(1), .points = b},
    };
    struct svg_line_chart c = {.title = "Prefill (pp512) against context depth",
                               .x_label = "context depth",
                               .y_label = "tokens/s",
                               .x = x,
                               .n_x = 4,
                               .series = series,
                               .n_series = 2};
    struct strbuf out = STRBUF_INIT;
    svg_line_chart(&out, &c);
    const char *s = out.buf;

    CHECK(str_starts_with(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" "
                             "height=\"398\""));
    /* Axes: y from the plot's top to its bottom, x along the bottom. */
    CHECK_HAS(s, "<g class=\"axis\" stroke=\"#333333\"");
    CHECK_HAS(s, "<line x1=\"80.0\" y1=\"40\" x2=\"80.0\" y2=\"300\"/>");
    CHECK_HAS(s, "<line x1=\"80.0\" y1=\"300\" x2=\"720.0\" y2=\"300\"/>");
    /* y ticks 0..1000 by 200, labels right-aligned left of the axis. */
    CHECK_U64(count(s, "class=\"ytick\""), 6);
    CHECK_HAS(s, "<text class=\"ytick\" x=\"71.0\" y=\"304.0\" text-anchor=\"end\">0</text>");
    CHECK_HAS(s, "<text class=\"ytick\" x=\"71.0\" y=\"148.0\" text-anchor=\"end\">600</text>");
    CHECK_HAS(s, "<text class=\"ytick\" x=\"71.0\" y=\"44.0\" text-anchor=\"end\">1000</text>");
    /* x ticks at each depth. */
    CHECK_HAS(s, "<text class=\"xtick\" x=\"80.0\" y=\"320.0\" text-anchor=\"middle\">0</text>");
    CHECK_HAS(s, "<text class=\"xtick\" x=\"160.0\" y=\"320.0\" text-anchor=\"middle\">4096"
                 "</text>");
    CHECK_HAS(s, "<text class=\"xtick\" x=\"720.0\" y=\"320.0\" text-anchor=\"middle\">32768"
                 "</text>");
    CHECK_HAS(s, ">tokens/s</text>");
    CHECK_HAS(s, ">context depth</text>");
    /* A: one polyline through all four; B: broken at the missing value. */
    CHECK_HAS(s, "points=\"80.0,40.0 160.0,92.0 240.0,144.0 720.0,196.0\"");
    CHECK_HAS(s, "points=\"80.0,170.0 160.0,183.0\"");
    CHECK_HAS(s, "<circle cx=\"720.0\" cy=\"222.0\" r=\"4.5\" fill=\"#d62728\"/>");
    CHECK_U64(count(s, "<polyline"), 2);
    CHECK_U64(count(s, "<circle"), 7);
    CHECK_LACKS(s, "240.0,300.0"); /* the missing value is not drawn as 0 */
    /* The legend: a swatch in each colour, the label escaped. */
    CHECK_HAS(s, "<rect class=\"swatch\" x=\"80\" y=\"348\" width=\"24\" height=\"12\" "
                 "fill=\"#1f77b4\"/>");
    CHECK_HAS(s, "<text class=\"entry\" x=\"112.0\" y=\"358.0\" text-anchor=\"start\">"
                 "vulkan-radv</text>");
    CHECK_HAS(s, "<rect class=\"swatch\" x=\"80\" y=\"368\" width=\"24\" height=\"12\" "
                 "fill=\"#d62728\"/>");
    CHECK_HAS(s, ">m&lt;&amp;&quot;x&quot;&gt;</text>");
    CHECK_LACKS(s, "m<&");
    CHECK(str_starts_with(s + out.len - 7, "</svg>\n"));
    strbuf_release(&out);

    /* Depths 0 and 256 of 32768 are 5 px apart: the second label is left
     * out rather than drawn over the first; its tick stays. */
    const double close[] = {0, 256, 32768};
    struct svg_point p[] = {{true, 10}, {true, 9}, {true, 5}};
    struct svg_series one = {.label = "a", .colour = svg_series_colour(0), .points = p};
    struct svg_line_chart c2 = {.title = "t",
                                .x_label = "d",
                                .y_label = "tokens/s",
                                .x = close,
                                .n_x = 3,
                                .series = &one,
                                .n_series = 1};
    svg_line_chart(&out, &c2);
    CHECK_U64(count(out.buf, "class=\"xtick\""), 2);
    CHECK_LACKS(out.buf, ">256</text>");
    CHECK_HAS(out.buf, "<line class=\"tick\" x1=\"85.0\" y1=\"300\" x2=\"85.0\" y2=\"306\"");
    strbuf_release(&out);
}

/* ---- the bar chart --------------------------------------------------------- */

/* Two panels of (640 - 90) / 2 = 275 px: x 80..355 and 445..720. One group
 * each, two series: bars of 275 x 0.8 / 2 = 110 px from 80 + 27.5. */
static void test_bar_chart(void)
{
    const char *pp[] = {"pp512"}, *tg[] = {"tg128"};
    struct svg_point ppv[] = {{true, 1000}, {true, 800}};
    struct svg_point tgv[] = {{true, 40}, {false, 0}};
    struct svg_bar_panel panels[] = {
        {.title = "Prefill", .groups = pp, .n_groups = 1, .values = ppv},
        {.title = "Decode", .groups = tg, .n_groups = 1, .values = tgv},
    };
    const char *labels[] = {"vulkan-radv", "rocm <7>"};
    const char *colours[] = {svg_series_colour(0), svg_series_colour(1)};
    struct svg_bar_chart c = {.y_label = "tokens/s",
                              .panels = panels,
                              .n_panels = 2,
                              .labels = labels,
                              .colours = colours,
                              .n_series = 2};
    struct strbuf out = STRBUF_INIT;
    svg_bar_chart(&out, &c);
    const char *s = out.buf;
    CHECK_HAS(s, "<line x1=\"80.0\" y1=\"300\" x2=\"355.0\" y2=\"300\"/>");
    CHECK_HAS(s, "<line x1=\"445.0\" y1=\"40\" x2=\"445.0\" y2=\"300\"/>");
    /* 1000 of 1000: full height; 800: 208 px. */
    CHECK_HAS(s, "<rect class=\"bar\" data-series=\"0\" x=\"113.0\" y=\"40.0\" width=\"99.0\" "
                 "height=\"260.0\" fill=\"#1f77b4\"/>");
    CHECK_HAS(s, "<rect class=\"bar\" data-series=\"1\" x=\"223.0\" y=\"92.0\" width=\"99.0\" "
                 "height=\"208.0\" fill=\"#d62728\"/>");
    CHECK_HAS(s, ">1000.0</text>");
    /* Decode: 40 of a 0..40 axis (steps of 10); the missing one says so. */
    CHECK_HAS(s, "<text class=\"ytick\" x=\"436.0\" y=\"44.0\" text-anchor=\"end\">40</text>");
    CHECK_U64(count(s, "<rect class=\"bar\""), 3);
    CHECK_HAS(s, ">n/a</text>");
    CHECK_HAS(s, ">pp512</text>");
    CHECK_HAS(s, ">tg128</text>");
    CHECK_HAS(s, ">Prefill</text>");
    CHECK_HAS(s, ">rocm &lt;7&gt;</text>");
    CHECK_U64(count(s, "class=\"swatch\""), 2);
    strbuf_release(&out);
}

/* ---- the page ----------------------------------------------------------------- */

static void add_result(struct bench_run *run, const char *recipe, const char *test, double ts)
{
    struct bench_record *rec = bench_run_add_record(run);
    if (bench_test_name_parse(test, &rec->r) < 0)
        test_fail(__FILE__, __LINE__, "test name %s", test);
    rec->r.avg_ts = (opt_f64){.known = true, .v = ts};
    rec->r.stddev_ts = (opt_f64){.known = true, .v = ts / 100};
    rec->r.backends = xstrdup("Vulkan");
    rec->r.build_commit = xstrdup("Debian");
    rec->r.build_number = OPT_U64(11669);
    rec->r.test_time = xstrdup("2026-11-22T00:23:24Z");
    rec->model.name = xstrdup("<b>\"tiny\" & co</b>");
    rec->model.sha256 = xstrdup("496ebded");
    rec->image.recipe = xstrdup(recipe);
    rec->image.recipe_sha256 = xstrdup("r5a256");
    rec->image.digest = xstrdup("sha256:d1g357");
    rec->image.engine_version = xstrdup("b11669");
    rec->host.kernel = xstrdup("6.16.3");
    rec->host.params_known = true;
    rec->host.n_params = 1;
    rec->host.params = xcalloc(1, sizeof(*rec->host.params));
    rec->host.params[0].key = xstrdup("amd_iommu");
    rec->host.params[0].value = xstrdup("off");
    rec->host.gpu_family = xstrdup("strix-halo");
    rec->host.vulkan_driver = xstrdup("radv");
    rec->host.mesa_version = xstrdup("25.1.4");
}

static void render(struct bench_run *runs, size_t n, struct strbuf *out)
{
    struct compare_table t;
    struct compare_options o = {0};
    struct hb_error err = HB_ERROR_INIT;
    CHECK(compare_build(&t, runs, n, &o, &err) == 0);
    report_html(runs, n, &t, out);
    compare_release(&t);
    hb_error_release(&err);
}

static void test_page(void)
{
    struct bench_run runs[2] = {{0}};
    runs[0].id = xstrdup("20261122T000000.000Z-aaaa");
    runs[0].status = BENCH_STATUS_COMPLETE;
    add_result(&runs[0], "vulkan-radv", "pp512", 1000);
    add_result(&runs[0], "vulkan-radv", "tg128", 40);
    add_result(&runs[0], "vulkan-radv", "pp512 @ d4096", 600);
    add_result(&runs[0], "vulkan-radv", "tg128 @ d4096", 30);
    /* Interrupted, a recipe failed, the other has no depth-4096 results. */
    runs[1].id = xstrdup("20261122T000100.000Z-bbbb");
    runs[1].status = BENCH_STATUS_INCOMPLETE;
    bench_run_add_recipe(&runs[1], "cpu")->status = BENCH_STATUS_INCOMPLETE;
    struct bench_recipe_state *rs = bench_run_add_recipe(&runs[1], "rocm-gfx1151");
    rs->status = BENCH_STATUS_FAILED;
    rs->error = xstrdup("llama-bench exited with 1 <oom>");
    add_result(&runs[1], "cpu", "pp512", 80);
    add_result(&runs[1], "cpu", "tg128", 8);

    struct strbuf out = STRBUF_INIT;
    render(runs, 2, &out);
    const char *s = out.buf;
    CHECK(str_starts_with(s, "<!DOCTYPE html>\n<html lang=\"en\">"));
    CHECK(str_starts_with(s + out.len - 16, "</body>\n</html>\n"));
    /* Self-contained: nothing to fetch, nothing to run. */
    CHECK_LACKS(s, "<script");
    CHECK_LACKS(s, "src=");
    CHECK_LACKS(s, "href=");
    CHECK_LACKS(s, "url(");
    CHECK_U64(count(s, "http"), count(s, "xmlns=\"http://www.w3.org/2000/svg\""));
    /* Two line charts and the bars. */
    CHECK_U64(count(s, "<svg "), 3);
    CHECK_HAS(s, "Prefill (pp512) against context depth");
    CHECK_HAS(s, "Decode (tg128) against context depth");
    CHECK_U64(count(s, "<polyline"), 2); /* cpu: one point each, dots only */
    CHECK_LACKS(s, "class=\"nochart\"");
    /* Missing values: n/a in the table and over the missing bars? cpu has
     * both bars; its depth-4096 cells are n/a. */
    CHECK_U64(count(s, "<td class=\"na\">n/a</td>"), 2);
    CHECK_HAS(s, "<td class=\"num\">1000.00 &plusmn; 10.00</td>");
    /* Notices. */
    CHECK_HAS(s, "is incomplete: it was interrupted");
    CHECK_HAS(s, "recipe <b>rocm-gfx1151</b> failed: llama-bench exited with 1 &lt;oom&gt;");
    CHECK_HAS(s, "recipe <b>cpu</b> incomplete");
    /* Provenance, every string escaped. */
    CHECK_HAS(s, "name: &lt;b&gt;&quot;tiny&quot; &amp; co&lt;/b&gt;<br>");
    CHECK_LACKS(s, "<b>\"tiny\"");
    CHECK_HAS(s, "sha256: <code>496ebded</code>");
    CHECK_HAS(s, "recipe sha256: <code>r5a256</code>");
    CHECK_HAS(s, "digest: <code>sha256:d1g357</code>");
    CHECK_HAS(s, "engine: b11669<br>");
    CHECK_HAS(s, "kernel: 6.16.3<br>parameters: <code>amd_iommu=off</code>");
    CHECK_HAS(s, "driver: Vulkan radv (Mesa 25.1.4)");
    CHECK_HAS(s, "created: <i>unknown</i>"); /* never blank */
    CHECK_HAS(s, "first test: 2026-11-22T00:23:24Z");
    /* The same colour for a configuration everywhere. */
    CHECK_HAS(s, "<span class=\"sw\" style=\"background:#d62728\"></span>cpu");

    /* One depth only: a sentence instead of each line chart. */
    struct bench_run one = {0};
    one.id = xstrdup("20261122T000200.000Z-cccc");
    add_result(&one, "vulkan-radv", "pp512", 1000);
    add_result(&one, "vulkan-radv", "tg128", 40);
    strbuf_reset(&out);
    render(&one, 1, &out);
    CHECK_U64(count(out.buf, "<p class=\"nochart\">"), 2);
    CHECK_HAS(out.buf, "Every prefill (pp) result here is at one context depth (0 tokens): "
                       "there is no line against depth to draw.");
    CHECK_HAS(out.buf, "Every decode (tg) result here is at one context depth");
    CHECK_U64(count(out.buf, "<svg "), 1);
    CHECK_LACKS(out.buf, "<polyline");

    /* No results at all: still a page, saying so. */
    struct bench_run empty = {0};
    empty.id = xstrdup("20261122T000300.000Z-dddd");
    empty.status = BENCH_STATUS_FAILED;
    strbuf_reset(&out);
    report_html(&empty, 1, NULL, &out);
    CHECK_HAS(out.buf, "These runs hold no results");
    CHECK_HAS(out.buf, "has no results</li>");
    CHECK_LACKS(out.buf, "<svg");

    strbuf_release(&out);
    bench_run_release(&runs[0]);
    bench_run_release(&runs[1]);
    bench_run_release(&one);
    bench_run_release(&empty);
}

int main(void)
{
    RUN(test_nice_scale);
    RUN(test_line_chart);
    RUN(test_bar_chart);
    RUN(test_page);
    return test_summary();
}
