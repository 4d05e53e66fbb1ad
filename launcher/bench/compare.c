/* Comparison tables: results grouped into configurations (rows) and tests
 * (columns), ratios to a baseline row, bandwidth shares. */
#include "util/common.h"

#include <cjson/cJSON.h>

#include "bench/compare.h"
#include "util/json.h"
#include "util/strbuf.h"

/* ---- configurations ---------------------------------------------------- */

static const char *model_id(const struct bench_record *rec)
{
    return rec->model.sha256 ? rec->model.sha256
           : rec->model.name ? rec->model.name
                             : rec->r.model_type;
}

static bool u64_eq(opt_u64 a, opt_u64 b)
{
    return a.known == b.known && (!a.known || a.v == b.v);
}

static bool same_config(const struct bench_run *ra, const struct bench_record *a,
                        const struct bench_run *rb, const struct bench_record *b)
{
    return ra == rb && str_eq(a->image.recipe, b->image.recipe) &&
           str_eq(model_id(a), model_id(b)) && str_eq(a->r.backends, b->r.backends) &&
           a->r.flash_attn == b->r.flash_attn && u64_eq(a->r.n_batch, b->r.n_batch) &&
           u64_eq(a->r.n_ubatch, b->r.n_ubatch) && u64_eq(a->r.n_threads, b->r.n_threads) &&
           a->r.n_gpu_layers.known == b->r.n_gpu_layers.known &&
           a->r.n_gpu_layers.v == b->r.n_gpu_layers.v && str_eq(a->r.type_k, b->r.type_k) &&
           str_eq(a->r.type_v, b->r.type_v) && str_eq(a->r.load_mode, b->r.load_mode) &&
           str_eq(a->r.devices, b->r.devices);
}

/* The fields that can tell rows apart, as "name=value"; false (and nothing
 * added) when the value is unknown. */
enum { F_MODEL, F_BACKEND, F_FA, F_BATCH, F_UBATCH, F_KV, F_LOAD, F_NGL, F_THREADS, F_DEV, F_N };

static bool field_text(const struct bench_record *rec, int f, struct strbuf *out)
{
    static const char *const names[F_N] = {"model", "backend", "fa",  "b", "ub",
                                           "kv",    "lm",      "ngl", "t", "dev"};
    const struct bench_result *r = &rec->r;
    const char *s = NULL;
    opt_u64 n = {0};
    switch (f) {
    case F_MODEL:
        s = rec->model.name ? rec->model.name : r->model_type;
        break;
    case F_BACKEND:
        s = r->backends;
        break;
    case F_FA:
        s = bench_fa_name(r->flash_attn);
        break;
    case F_BATCH:
        n = r->n_batch;
        break;
    case F_UBATCH:
        n = r->n_ubatch;
        break;
    case F_KV:
        if (!r->type_k && !r->type_v)
            return false;
        strbuf_addf(out, "kv=%s/%s", r->type_k ? r->type_k : "?", r->type_v ? r->type_v : "?");
        return true;
    case F_LOAD:
        s = r->load_mode;
        break;
    case F_NGL:
        if (!r->n_gpu_layers.known)
            return false;
        strbuf_addf(out, "ngl=%lld", (long long)r->n_gpu_layers.v);
        return true;
    case F_THREADS:
        n = r->n_threads;
        break;
    case F_DEV:
        s = r->devices;
        break;
    }
    if (n.known)
        strbuf_addf(out, "%s=%llu", names[f], (unsigned long long)n.v);
    else if (s)
        strbuf_addf(out, "%s=%s", names[f], s);
    return n.known || s;
}

static const char *row_base(const struct compare_row *row)
{
    return row->first->image.recipe ? row->first->image.recipe
           : row->run->label        ? row->run->label
                                    : row->run->id;
}

static void make_labels(struct compare_table *t)
{
    /* A field is spelt out when two rows have different known values. */
    bool varies[F_N] = {0};
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    for (int f = 0; f < F_N; f++)
        for (size_t i = 0; i < t->n_rows && !varies[f]; i++)
            for (size_t j = i + 1; j < t->n_rows && !varies[f]; j++) {
                strbuf_reset(&a);
                strbuf_reset(&b);
                if (field_text(t->rows[i].first, f, &a) && field_text(t->rows[j].first, f, &b))
                    varies[f] = strcmp(a.buf, b.buf) != 0;
            }
    for (size_t i = 0; i < t->n_rows; i++) {
        struct compare_row *row = &t->rows[i];
        struct strbuf label = STRBUF_INIT;
        strbuf_addstr(&label, row_base(row));
        /* The same recipe in two runs: the run tells them apart. */
        for (size_t j = 0; j < t->n_rows; j++)
            if (j != i && t->rows[j].run != row->run &&
                !strcmp(row_base(&t->rows[j]), row_base(row))) {
                strbuf_addf(&label, " (%s)", row->run->id);
                break;
            }
        for (int f = 0; f < F_N; f++)
            if (varies[f]) {
                strbuf_reset(&a);
                if (field_text(row->first, f, &a))
                    strbuf_addf(&label, " %s", a.buf);
            }
        row->label = strbuf_detach(&label);
    }
    strbuf_release(&a);
    strbuf_release(&b);
}

/* ---- columns ----------------------------------------------------------- */

static int column_order(const void *pa, const void *pb)
{
    const struct compare_column *a = pa, *b = pb;
    if (a->n_depth != b->n_depth)
        return a->n_depth < b->n_depth ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (a->n_prompt != b->n_prompt)
        return a->n_prompt < b->n_prompt ? -1 : 1;
    if (a->n_gen != b->n_gen)
        return a->n_gen < b->n_gen ? -1 : 1;
    return 0;
}

static size_t column_of(const struct compare_table *t, const struct bench_result *r)
{
    for (size_t i = 0; i < t->n_cols; i++)
        if (t->cols[i].kind == r->kind && t->cols[i].n_prompt == r->n_prompt.v &&
            t->cols[i].n_gen == r->n_gen.v && t->cols[i].n_depth == r->n_depth.v)
            return i;
    return SIZE_MAX;
}

static void add_columns(struct compare_table *t, const struct bench_run *runs, size_t n_runs)
{
    size_t alloc = 0;
    for (size_t k = 0; k < n_runs; k++)
        for (size_t i = 0; i < runs[k].n_records; i++) {
            const struct bench_result *r = &runs[k].records[i].r;
            if (column_of(t, r) != SIZE_MAX)
                continue;
            t->cols = xgrow(t->cols, t->n_cols + 1, &alloc, sizeof(*t->cols));
            struct compare_column *c = &t->cols[t->n_cols++];
            struct strbuf name = STRBUF_INIT;
            bench_test_name(r, &name);
            *c = (struct compare_column){.name = strbuf_detach(&name),
                                         .kind = r->kind,
                                         .n_prompt = r->n_prompt.v,
                                         .n_gen = r->n_gen.v,
                                         .n_depth = r->n_depth.v};
        }
    if (t->n_cols)
        qsort(t->cols, t->n_cols, sizeof(*t->cols), column_order);
}

/* ---- rows ---------------------------------------------------------------- */

static struct compare_row *row_for(struct compare_table *t, size_t *alloc,
                                   const struct bench_run *run, const struct bench_record *rec)
{
    for (size_t i = 0; i < t->n_rows; i++)
        if (same_config(t->rows[i].run, t->rows[i].first, run, rec))
            return &t->rows[i];
    t->rows = xgrow(t->rows, t->n_rows + 1, alloc, sizeof(*t->rows));
    struct compare_row *row = &t->rows[t->n_rows++];
    memset(row, 0, sizeof(*row));
    row->run = run;
    row->first = rec;
    row->cells = xcalloc(t->n_cols, sizeof(*row->cells));
    return row;
}

static void set_bandwidth(struct compare_row *row, const struct compare_options *o)
{
    row->active_bytes = o->active_bytes.known                  ? o->active_bytes
                        : row->first->model.active_bytes.known ? row->first->model.active_bytes
                                                               : row->run->model.active_bytes;
    if (o->bandwidth_gbps > 0) {
        row->peak_gbps = (opt_f64){.known = true, .v = o->bandwidth_gbps};
        row->peak_source = xstrdup("--bandwidth");
        return;
    }
    const struct bench_platform *p = bench_platform_find(&row->first->host, row->first->r.gpu_info);
    if (!p)
        p = bench_platform_find(&row->run->host, row->first->r.gpu_info);
    if (p) {
        struct strbuf src = STRBUF_INIT;
        strbuf_addf(&src, "%s: %s", p->family ? p->family : p->name, p->memory);
        row->peak_gbps = (opt_f64){.known = true, .v = p->gbps};
        row->peak_source = strbuf_detach(&src);
    }
}

static int find_baseline(const struct compare_table *t, const char *name, size_t *out,
                         struct hb_error *err)
{
    *out = 0;
    if (!name)
        return 0;
    for (size_t i = 0; i < t->n_rows; i++)
        if (!strcmp(t->rows[i].label, name)) {
            *out = i;
            return 0;
        }
    for (size_t i = 0; i < t->n_rows; i++)
        if (str_starts_with(t->rows[i].run->id, name) || str_eq(t->rows[i].run->label, name) ||
            str_eq(row_base(&t->rows[i]), name)) {
            *out = i;
            return 0;
        }
    return hb_error_set(err, EXIT_INPUT,
                        "baseline '%s' is neither a configuration nor a run in the comparison",
                        name);
}

int compare_build(struct compare_table *t, const struct bench_run *runs, size_t n_runs,
                  const struct compare_options *o, struct hb_error *err)
{
    memset(t, 0, sizeof(*t));
    add_columns(t, runs, n_runs);
    if (!t->n_cols)
        return hb_error_set(err, EXIT_INPUT, "no results to compare");
    size_t alloc = 0;
    for (size_t k = 0; k < n_runs; k++)
        for (size_t i = 0; i < runs[k].n_records; i++) {
            const struct bench_record *rec = &runs[k].records[i];
            struct compare_row *row = row_for(t, &alloc, &runs[k], rec);
            struct compare_cell *c = &row->cells[column_of(t, &rec->r)];
            if (c->present)
                continue; /* the same test twice in one configuration: the first counts */
            *c = (struct compare_cell){
                .present = true, .mean = rec->r.avg_ts.v, .stddev = rec->r.stddev_ts};
        }
    make_labels(t);
    if (find_baseline(t, o->baseline, &t->baseline, err) < 0) {
        compare_release(t);
        return -1;
    }
    const struct compare_row *base = &t->rows[t->baseline];
    for (size_t i = 0; i < t->n_rows; i++) {
        struct compare_row *row = &t->rows[i];
        set_bandwidth(row, o);
        for (size_t j = 0; j < t->n_cols; j++) {
            struct compare_cell *c = &row->cells[j];
            const struct compare_cell *b = &base->cells[j];
            if (!c->present)
                continue;
            if (b->present && b->mean > 0)
                c->ratio = (opt_f64){.known = true, .v = c->mean / b->mean};
            if (t->cols[j].kind == BENCH_TG && row->active_bytes.known && row->peak_gbps.known)
                c->bandwidth_share = (opt_f64){.known = true,
                                               .v = (double)row->active_bytes.v * c->mean /
                                                    (row->peak_gbps.v * 1e9)};
        }
    }
    return 0;
}

void compare_release(struct compare_table *t)
{
    for (size_t i = 0; i < t->n_cols; i++)
        free(t->cols[i].name);
    free(t->cols);
    for (size_t i = 0; i < t->n_rows; i++) {
        free(t->rows[i].label);
        free(t->rows[i].peak_source);
        free(t->rows[i].cells);
    }
    free(t->rows);
    memset(t, 0, sizeof(*t));
}

/* ---- JSON ------------------------------------------------------------------- */

static void add_opt(cJSON *o, const char *key, opt_f64 v)
{
    if (v.known)
        cJSON_AddNumberToObject(o, key, v.v);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *row_to_json(const struct compare_table *t, const struct compare_row *row)
{
    const struct bench_result *r = &row->first->r;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "configuration", row->label);
    cJSON_AddStringToObject(o, "run", row->run->id);
    json_add_str(o, "recipe", row->first->image.recipe);
    json_add_str(o, "label", row->run->label);
    json_add_str(o, "model", row->first->model.name ? row->first->model.name : r->model_type);
    json_add_str(o, "backend", r->backends);
    json_add_str(o, "gpu", r->gpu_info);
    json_add_str(o, "flash_attn", bench_fa_name(r->flash_attn));
    json_add_u64(o, "n_batch", r->n_batch);
    json_add_u64(o, "n_ubatch", r->n_ubatch);
    json_add_str(o, "type_k", r->type_k);
    json_add_str(o, "type_v", r->type_v);
    json_add_str(o, "load_mode", r->load_mode);
    if (r->n_gpu_layers.known)
        cJSON_AddNumberToObject(o, "n_gpu_layers", (double)r->n_gpu_layers.v);
    else
        cJSON_AddNullToObject(o, "n_gpu_layers");
    json_add_u64(o, "n_threads", r->n_threads);
    json_add_u64(o, "active_weight_bytes", row->active_bytes);
    add_opt(o, "peak_bandwidth_gbps", row->peak_gbps);
    json_add_str(o, "peak_bandwidth_source", row->peak_source);
    cJSON *cells = cJSON_AddObjectToObject(o, "results");
    for (size_t j = 0; j < t->n_cols; j++) {
        const struct compare_cell *c = &row->cells[j];
        if (!c->present) {
            cJSON_AddNullToObject(cells, t->cols[j].name);
            continue;
        }
        cJSON *cell = cJSON_AddObjectToObject(cells, t->cols[j].name);
        cJSON_AddNumberToObject(cell, "mean", c->mean);
        add_opt(cell, "stddev", c->stddev);
        add_opt(cell, "ratio", c->ratio);
        add_opt(cell, "bandwidth_share", c->bandwidth_share);
    }
    return o;
}

cJSON *compare_to_json(const struct compare_table *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "baseline", t->rows[t->baseline].label);
    cJSON *cols = cJSON_AddArrayToObject(o, "columns");
    for (size_t j = 0; j < t->n_cols; j++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "test", t->cols[j].name);
        cJSON_AddStringToObject(c, "kind", bench_kind_name(t->cols[j].kind));
        cJSON_AddNumberToObject(c, "n_prompt", (double)t->cols[j].n_prompt);
        cJSON_AddNumberToObject(c, "n_gen", (double)t->cols[j].n_gen);
        cJSON_AddNumberToObject(c, "n_depth", (double)t->cols[j].n_depth);
        cJSON_AddItemToArray(cols, c);
    }
    cJSON *rows = cJSON_AddArrayToObject(o, "rows");
    for (size_t i = 0; i < t->n_rows; i++)
        cJSON_AddItemToArray(rows, row_to_json(t, &t->rows[i]));
    return o;
}
