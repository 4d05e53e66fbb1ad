/* llama-bench's markdown tables (`-o md`), in logs that may hold the
 * engine's other lines. Columns are found by their header names
 * (markdown_printer::get_field_display_name in llama-bench.cpp); llama-bench
 * leaves out columns whose value is the default, so any of them may be
 * missing except "test" and "t/s". */
#include "util/common.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>

#include "bench/llama_bench_json.h"
#include "util/strbuf.h"

enum column {
    COL_OTHER,
    COL_MODEL,
    COL_SIZE,
    COL_PARAMS,
    COL_BACKEND,
    COL_NGL,
    COL_THREADS,
    COL_BATCH,
    COL_UBATCH,
    COL_TYPE_K,
    COL_TYPE_V,
    COL_FA,
    COL_MMAP,
    COL_DIO,
    COL_LOAD_MODE,
    COL_DEVICES,
    COL_TEST,
    COL_TS,
    COL_CPU_INFO,
    COL_GPU_INFO,
    COL_FILENAME,
};

static const struct {
    const char *name;
    enum column col;
} column_names[] = {
    {"model", COL_MODEL},
    {"size", COL_SIZE},
    {"params", COL_PARAMS},
    {"backend", COL_BACKEND},
    {"ngl", COL_NGL},
    {"n_gpu_layers", COL_NGL},
    {"threads", COL_THREADS},
    {"n_threads", COL_THREADS},
    {"n_batch", COL_BATCH},
    {"n_ubatch", COL_UBATCH},
    {"type_k", COL_TYPE_K},
    {"type_v", COL_TYPE_V},
    {"fa", COL_FA},
    {"flash_attn", COL_FA},
    {"mmap", COL_MMAP},
    {"use_mmap", COL_MMAP},
    {"dio", COL_DIO},
    {"use_direct_io", COL_DIO},
    {"load_mode", COL_LOAD_MODE},
    {"lm", COL_LOAD_MODE},
    {"dev", COL_DEVICES},
    {"devices", COL_DEVICES},
    {"test", COL_TEST},
    {"t/s", COL_TS},
    {"cpu_info", COL_CPU_INFO},
    {"gpu_info", COL_GPU_INFO},
    {"model_filename", COL_FILENAME},
};

struct cells {
    char **v;
    size_t n;
    size_t alloc;
};

static void cells_release(struct cells *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i]);
    free(c->v);
    memset(c, 0, sizeof(*c));
}

/* "| a | b |" -> "a", "b" (trimmed). The line starts with '|'. */
static void split_row(const char *line, size_t len, struct cells *c)
{
    cells_release(c);
    const char *p = line + 1, *stop = line + len;
    while (stop > p && isspace((unsigned char)stop[-1]))
        stop--;
    while (p < stop) {
        const char *bar = memchr(p, '|', (size_t)(stop - p));
        const char *end = bar ? bar : stop;
        const char *s = p, *e = end;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        c->v = xgrow(c->v, c->n + 1, &c->alloc, sizeof(*c->v));
        c->v[c->n++] = xstrndup(s, (size_t)(e - s));
        p = bar ? bar + 1 : stop;
    }
}

static bool row_has(const struct cells *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->v[i], name))
            return true;
    return false;
}

bool llama_bench_md_is_header(const char *line, size_t len)
{
    if (!len || line[0] != '|')
        return false;
    struct cells c = {0};
    split_row(line, len, &c);
    bool yes = row_has(&c, "test") && row_has(&c, "t/s");
    cells_release(&c);
    return yes;
}

static bool is_separator(const struct cells *c)
{
    if (!c->n)
        return false;
    for (size_t i = 0; i < c->n; i++) {
        if (!strchr(c->v[i], '-'))
            return false;
        for (const char *s = c->v[i]; *s; s++)
            if (*s != '-' && *s != ':')
                return false;
    }
    return true;
}

/* ---- device lines ---------------------------------------------------------- */

struct devices {
    struct strbuf info; /* names joined with ", ", as llama-bench's gpu_info */
    char *driver;
    char *gfx;
};

static void devices_reset(struct devices *d)
{
    strbuf_reset(&d->info);
    free(d->driver);
    free(d->gfx);
    d->driver = d->gfx = NULL;
}

/* The first "gfxNNNN" token (any case) in s, lower-cased. */
static char *find_gfx(const char *s, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++) {
        if (strncasecmp(s + i, "gfx", 3) || (i && isalnum((unsigned char)s[i - 1])))
            continue;
        size_t j = i + 3;
        while (j < len && isxdigit((unsigned char)s[j]))
            j++;
        if (j == i + 3 || (j < len && isalnum((unsigned char)s[j])))
            continue;
        char *g = xstrndup(s + i, j - i);
        for (char *c = g; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        return g;
    }
    return NULL;
}

static void devices_add(struct devices *d, const char *name, size_t len, const char *driver,
                        size_t driver_len)
{
    if (d->info.len)
        strbuf_addstr(&d->info, ", ");
    strbuf_add(&d->info, name, len);
    if (driver && !d->driver) {
        char *dn = xstrndup(driver, driver_len);
        d->driver = xstrdup(bench_vulkan_driver_id(dn));
        free(dn);
    }
    if (!d->gfx)
        d->gfx = find_gfx(name, len);
}

/* "ggml_vulkan: 0 = NAME (DRIVER) | uma: 1 | ..." */
static bool vulkan_device_line(const char *s, size_t len, struct devices *d)
{
    if (len < 12 || strncmp(s, "ggml_vulkan:", 12))
        return false;
    const char *p = s + 12, *stop = s + len;
    while (p < stop && *p == ' ')
        p++;
    if (p >= stop || !isdigit((unsigned char)*p))
        return false;
    while (p < stop && isdigit((unsigned char)*p))
        p++;
    if (stop - p < 3 || strncmp(p, " = ", 3))
        return false;
    p += 3;
    const char *bar = memmem(p, (size_t)(stop - p), " | ", 3);
    const char *end = bar ? bar : stop;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    /* The last bracketed group is the driver's name. */
    const char *open = NULL;
    if (end > p && end[-1] == ')') {
        int depth = 0;
        for (const char *q = end - 1; q >= p; q--) {
            if (*q == ')')
                depth++;
            else if (*q == '(' && --depth == 0) {
                open = q;
                break;
            }
        }
    }
    if (open && open > p) {
        const char *name_end = open;
        while (name_end > p && name_end[-1] == ' ')
            name_end--;
        devices_add(d, p, (size_t)(name_end - p), open + 1, (size_t)(end - 1 - (open + 1)));
    } else {
        devices_add(d, p, (size_t)(end - p), NULL, 0);
    }
    return true;
}

/* ROCm and CUDA: "  Device 0: NAME, gfx1151 (0x1151), VMM: no, ..." */
static bool hip_device_line(const char *s, size_t len, struct devices *d)
{
    const char *p = s, *stop = s + len;
    while (p < stop && *p == ' ')
        p++;
    if (stop - p < 8 || strncmp(p, "Device ", 7) || !isdigit((unsigned char)p[7]))
        return false;
    p += 7;
    while (p < stop && isdigit((unsigned char)*p))
        p++;
    if (stop - p < 2 || strncmp(p, ": ", 2))
        return false;
    p += 2;
    const char *comma = memchr(p, ',', (size_t)(stop - p));
    const char *end = comma ? comma : stop;
    devices_add(d, p, (size_t)(end - p), NULL, 0);
    if (!d->gfx)
        d->gfx = find_gfx(end, (size_t)(stop - end));
    return true;
}

/* ---- cell values ------------------------------------------------------------- */

struct md_ctx {
    const char *origin;
    size_t line;
    struct hb_error *err;
};

static int cell_error(const struct md_ctx *m, const char *col, const char *expected,
                      const char *got)
{
    return hb_error_set(m->err, EXIT_INPUT, "%s: line %zu: %s: expected %s, got '%s'", m->origin,
                        m->line, col, expected, got);
}

static bool parse_double(const char **s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(*s, &end);
    if (end == *s || errno || !isfinite(v) || v < 0)
        return false;
    *s = end;
    *out = v;
    return true;
}

/* "7.45 MiB", "32.70 GiB" (llama-bench prints GiB from 1 GiB on, else MiB);
 * "7.34 M", "29.94 B" for parameters. */
static bool parse_scaled(const char *s, bool bytes, uint64_t *out)
{
    static const struct {
        const char *unit;
        double scale;
    } byte_units[] = {{"B", 1},
                      {"KiB", 1024.0},
                      {"MiB", 1024.0 * 1024},
                      {"GiB", 1024.0 * 1024 * 1024},
                      {"TiB", 1024.0 * 1024 * 1024 * 1024}},
      count_units[] = {{"", 1}, {"K", 1e3}, {"M", 1e6}, {"B", 1e9}, {"T", 1e12}};
    double v;
    if (!parse_double(&s, &v))
        return false;
    while (*s == ' ')
        s++;
    size_t n = bytes ? ARRAY_SIZE(byte_units) : ARRAY_SIZE(count_units);
    for (size_t i = 0; i < n; i++) {
        const char *unit = bytes ? byte_units[i].unit : count_units[i].unit;
        if (!strcmp(s, unit)) {
            double x = v * (bytes ? byte_units[i].scale : count_units[i].scale);
            if (x >= 9007199254740992.0)
                return false;
            *out = (uint64_t)(x + 0.5);
            return true;
        }
    }
    return false;
}

static bool parse_int(const char *s, int64_t *out)
{
    if (!*s)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

/* "1092.07 ± 1.21", or a bare mean. */
static bool parse_ts(const char *s, struct bench_result *r)
{
    double mean, sd;
    if (!parse_double(&s, &mean))
        return false;
    r->avg_ts = (opt_f64){.known = true, .v = mean};
    while (*s == ' ')
        s++;
    if (!*s)
        return true;
    if (str_starts_with(s, "\xc2\xb1"))
        s += 2;
    else if (str_starts_with(s, "+/-"))
        s += 3;
    else if (str_starts_with(s, "+-"))
        s += 2;
    else
        return false;
    while (*s == ' ')
        s++;
    if (!parse_double(&s, &sd) || *s)
        return false;
    r->stddev_ts = (opt_f64){.known = true, .v = sd};
    return true;
}

static int set_u64(const struct md_ctx *m, const char *col, const char *v, opt_u64 *out)
{
    int64_t n;
    if (!parse_int(v, &n) || n < 0)
        return cell_error(m, col, "a number", v);
    *out = OPT_U64((uint64_t)n);
    return 0;
}

static void set_str(char **out, const char *v)
{
    free(*out);
    *out = xstrdup(v);
}

static int row_cell(const struct md_ctx *m, enum column col, const char *name, const char *v,
                    struct bench_result *r, tri *mmap, tri *dio)
{
    int64_t n;
    switch (col) {
    case COL_MODEL:
        set_str(&r->model_type, v);
        return 0;
    case COL_SIZE:
        if (!parse_scaled(v, true, &r->model_size.v))
            return cell_error(m, name, "a size such as '7.45 MiB'", v);
        r->model_size.known = true;
        return 0;
    case COL_PARAMS:
        if (!parse_scaled(v, false, &r->model_n_params.v))
            return cell_error(m, name, "a count such as '7.34 M'", v);
        r->model_n_params.known = true;
        return 0;
    case COL_BACKEND:
        set_str(&r->backends, v);
        return 0;
    case COL_NGL:
        if (!parse_int(v, &n))
            return cell_error(m, name, "a number", v);
        r->n_gpu_layers = (opt_i64){.known = true, .v = n};
        return 0;
    case COL_THREADS:
        return set_u64(m, name, v, &r->n_threads);
    case COL_BATCH:
        return set_u64(m, name, v, &r->n_batch);
    case COL_UBATCH:
        return set_u64(m, name, v, &r->n_ubatch);
    case COL_TYPE_K:
        set_str(&r->type_k, v);
        return 0;
    case COL_TYPE_V:
        set_str(&r->type_v, v);
        return 0;
    case COL_FA:
        if (bench_fa_parse(v, &r->flash_attn) < 0)
            return cell_error(m, name, "0, 1, on, off or auto", v);
        return 0;
    case COL_MMAP:
    case COL_DIO:
        if (strcmp(v, "0") && strcmp(v, "1"))
            return cell_error(m, name, "0 or 1", v);
        *(col == COL_MMAP ? mmap : dio) = tri_from_bool(v[0] == '1');
        return 0;
    case COL_LOAD_MODE:
        set_str(&r->load_mode, v);
        return 0;
    case COL_DEVICES:
        set_str(&r->devices, v);
        return 0;
    case COL_TEST:
        if (bench_test_name_parse(v, r) < 0)
            return cell_error(m, name, "a test such as 'pp512', 'tg128' or 'pp512 @ d4096'", v);
        return 0;
    case COL_TS:
        if (!parse_ts(v, r))
            return cell_error(m, name, "'MEAN \xc2\xb1 STDDEV'", v);
        return 0;
    case COL_CPU_INFO:
        set_str(&r->cpu_info, v);
        return 0;
    case COL_GPU_INFO:
        set_str(&r->gpu_info, v);
        return 0;
    case COL_FILENAME:
        set_str(&r->model_filename, v);
        return 0;
    case COL_OTHER:
        return 0;
    }
    return 0;
}

static int parse_row(const struct md_ctx *m, const struct cells *header, const enum column *cols,
                     const struct cells *row, const struct devices *dev, struct bench_result *r)
{
    if (row->n != header->n)
        return hb_error_set(m->err, EXIT_INPUT, "%s: line %zu: %zu cells, the header has %zu",
                            m->origin, m->line, row->n, header->n);
    tri mmap = TRI_UNKNOWN, dio = TRI_UNKNOWN;
    for (size_t i = 0; i < row->n; i++)
        if (row_cell(m, cols[i], header->v[i], row->v[i], r, &mmap, &dio) < 0)
            return -1;
    if (!r->load_mode && dio == TRI_YES)
        r->load_mode = xstrdup("dio");
    else if (!r->load_mode && mmap != TRI_UNKNOWN)
        r->load_mode = xstrdup(mmap == TRI_YES ? "mmap" : "none");
    if (!r->gpu_info && dev->info.len)
        r->gpu_info = xstrdup(dev->info.buf);
    r->vulkan_driver = xstrdup_or_null(dev->driver);
    r->gfx = xstrdup_or_null(dev->gfx);
    return 0;
}

/* "build: 0253fb21f (9187)" */
static bool build_line(const char *s, size_t len, char **commit, uint64_t *number)
{
    if (len < 7 || strncmp(s, "build: ", 7))
        return false;
    const char *p = s + 7, *stop = s + len;
    const char *sp = memchr(p, ' ', (size_t)(stop - p));
    if (!sp || sp == p || sp + 2 >= stop || sp[1] != '(')
        return false;
    const char *q = sp + 2;
    uint64_t n = 0;
    if (!isdigit((unsigned char)*q))
        return false;
    while (q < stop && isdigit((unsigned char)*q))
        n = n * 10 + (uint64_t)(*q++ - '0');
    if (q >= stop || *q != ')')
        return false;
    *commit = xstrndup(p, (size_t)(sp - p));
    *number = n;
    return true;
}

static void apply_build(struct bench_results *out, size_t from, const char *commit, uint64_t number)
{
    for (size_t i = from; i < out->n; i++) {
        if (!out->v[i].build_commit)
            out->v[i].build_commit = xstrdup(commit);
        if (!out->v[i].build_number.known)
            out->v[i].build_number = OPT_U64(number);
    }
}

int llama_bench_parse_markdown(const char *text, size_t len, const char *origin,
                               struct bench_results *out, struct hb_error *err)
{
    struct md_ctx m = {.origin = origin, .line = 0, .err = err};
    struct devices dev = {.info = STRBUF_INIT};
    struct cells header = {0}, row = {0};
    enum column *cols = NULL;
    size_t before = out->n, build_from = out->n;
    /* 0: outside a table, 1: header seen (separator next), 2: in rows */
    int state = 0, ret = 0;
    bool any_table = false;
    for (const char *p = text, *stop = text + len; p < stop && ret == 0;) {
        const char *nl = memchr(p, '\n', (size_t)(stop - p));
        const char *eol = nl ? nl : stop;
        size_t n = (size_t)(eol - p);
        if (n && p[n - 1] == '\r')
            n--;
        m.line++;
        const char *s = p;
        p = eol + (nl ? 1 : 0);
        bool is_row = n && s[0] == '|';
        if (state == 1) {
            split_row(s, n, &row);
            if (!is_row || !is_separator(&row) || row.n != header.n)
                ret = hb_error_set(err, EXIT_INPUT,
                                   "%s: line %zu: expected the table's separator row "
                                   "('| --- | ---: |')",
                                   origin, m.line);
            state = 2;
            continue;
        }
        if (state == 2 && is_row) {
            split_row(s, n, &row);
            ret = parse_row(&m, &header, cols, &row, &dev, bench_results_add(out));
            continue;
        }
        state = 0;
        char *commit = NULL;
        uint64_t number;
        if (is_row && llama_bench_md_is_header(s, n)) {
            split_row(s, n, &header);
            free(cols);
            cols = xcalloc(header.n, sizeof(*cols));
            for (size_t i = 0; i < header.n; i++)
                for (size_t j = 0; j < ARRAY_SIZE(column_names); j++)
                    if (!strcmp(header.v[i], column_names[j].name))
                        cols[i] = column_names[j].col;
            state = 1;
            any_table = true;
        } else if (build_line(s, n, &commit, &number)) {
            apply_build(out, build_from, commit, number);
            build_from = out->n;
            free(commit);
        } else if ((n >= 19 && !strncmp(s, "ggml_vulkan: Found ", 19)) ||
                   (n >= 15 && !strncmp(s, "ggml_cuda_init:", 15))) {
            devices_reset(&dev);
        } else {
            if (!vulkan_device_line(s, n, &dev))
                hip_device_line(s, n, &dev);
        }
    }
    if (ret == 0 && state == 1)
        ret = hb_error_set(err, EXIT_INPUT, "%s: line %zu: the table ends after its header", origin,
                           m.line);
    if (ret == 0 && !any_table)
        ret = hb_error_set(err, EXIT_INPUT, "%s: no markdown table with 'test' and 't/s' columns",
                           origin);
    if (ret == 0 && out->n == before)
        ret = hb_error_set(err, EXIT_INPUT, "%s: the table has no results", origin);
    if (ret < 0)
        while (out->n > before)
            bench_result_release(&out->v[--out->n]);
    free(cols);
    cells_release(&header);
    cells_release(&row);
    devices_reset(&dev);
    strbuf_release(&dev.info);
    return ret;
}
