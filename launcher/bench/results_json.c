/* The results store's records <-> JSON. Unknown values are null; reading
 * checks every type and names the field ("run ID: line 3:
 * tokens_per_second.mean: expected a number"). */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <math.h>

#include "bench/results.h"
#include "util/json.h"
#include "util/strbuf.h"

/* ---- writing --------------------------------------------------------------- */

static void add_i64(cJSON *o, const char *key, opt_i64 v)
{
    if (v.known)
        cJSON_AddNumberToObject(o, key, (double)v.v);
    else
        cJSON_AddNullToObject(o, key);
}

static void add_f64(cJSON *o, const char *key, opt_f64 v)
{
    if (v.known)
        cJSON_AddNumberToObject(o, key, v.v);
    else
        cJSON_AddNullToObject(o, key);
}

cJSON *bench_host_to_json(const struct bench_host *h)
{
    cJSON *o = cJSON_CreateObject();
    json_add_str(o, "kernel", h->kernel);
    if (h->params_known) {
        cJSON *p = cJSON_AddObjectToObject(o, "params");
        for (size_t i = 0; i < h->n_params; i++)
            cJSON_AddStringToObject(p, h->params[i].key, h->params[i].value);
    } else {
        cJSON_AddNullToObject(o, "params");
    }
    json_add_str(o, "gpu_family", h->gpu_family);
    json_add_str(o, "gpu_name", h->gpu_name);
    json_add_hex(o, "gpu_device_id", h->gpu_device_id);
    json_add_u64(o, "usable_memory_bytes", h->usable_memory_bytes);
    json_add_str(o, "vulkan_driver", h->vulkan_driver);
    json_add_str(o, "mesa_version", h->mesa_version);
    json_add_str(o, "rocm_version", h->rocm_version);
    json_add_str(o, "podman_version", h->podman_version);
    return o;
}

cJSON *bench_model_to_json(const struct bench_model *m)
{
    cJSON *o = cJSON_CreateObject();
    json_add_str(o, "name", m->name);
    json_add_str(o, "filename", m->filename);
    json_add_str(o, "sha256", m->sha256);
    json_add_str(o, "architecture", m->architecture);
    json_add_str(o, "type", m->type);
    json_add_u64(o, "parameters", m->parameters);
    json_add_u64(o, "bytes", m->bytes);
    json_add_u64(o, "active_bytes", m->active_bytes);
    json_add_u64(o, "experts", m->experts);
    json_add_u64(o, "experts_used", m->experts_used);
    return o;
}

static cJSON *image_to_json(const struct bench_image *i)
{
    cJSON *o = cJSON_CreateObject();
    json_add_str(o, "recipe", i->recipe);
    json_add_str(o, "recipe_sha256", i->recipe_sha256);
    json_add_str(o, "digest", i->digest);
    json_add_str(o, "engine_version", i->engine_version);
    json_add_str(o, "engine_commit", i->engine_commit);
    return o;
}

cJSON *bench_header_to_json(const struct bench_run *run)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "schema", BENCH_SCHEMA);
    cJSON_AddStringToObject(o, "type", "run");
    json_add_str(o, "id", run->id);
    json_add_str(o, "created", run->created);
    cJSON_AddStringToObject(o, "status", bench_status_name(run->status));
    json_add_str(o, "source", run->source);
    json_add_str(o, "source_file", run->source_file);
    json_add_str(o, "label", run->label);
    cJSON *recipes = cJSON_AddArrayToObject(o, "recipes");
    for (size_t i = 0; i < run->n_recipes; i++) {
        cJSON *r = cJSON_CreateObject();
        json_add_str(r, "recipe", run->recipes[i].recipe);
        cJSON_AddStringToObject(r, "status", bench_status_name(run->recipes[i].status));
        json_add_str(r, "error", run->recipes[i].error);
        cJSON_AddItemToArray(recipes, r);
    }
    cJSON_AddItemToObject(o, "model", bench_model_to_json(&run->model));
    cJSON_AddItemToObject(o, "host", bench_host_to_json(&run->host));
    return o;
}

static cJSON *test_to_json(const struct bench_result *r)
{
    cJSON *o = cJSON_CreateObject();
    struct strbuf name = STRBUF_INIT;
    bench_test_name(r, &name);
    cJSON_AddStringToObject(o, "name", name.buf);
    strbuf_release(&name);
    cJSON_AddStringToObject(o, "kind", bench_kind_name(r->kind));
    json_add_u64(o, "n_prompt", r->n_prompt);
    json_add_u64(o, "n_gen", r->n_gen);
    json_add_u64(o, "n_depth", r->n_depth);
    json_add_u64(o, "n_batch", r->n_batch);
    json_add_u64(o, "n_ubatch", r->n_ubatch);
    json_add_u64(o, "n_threads", r->n_threads);
    add_i64(o, "n_gpu_layers", r->n_gpu_layers);
    json_add_str(o, "flash_attn", bench_fa_name(r->flash_attn));
    json_add_str(o, "type_k", r->type_k);
    json_add_str(o, "type_v", r->type_v);
    json_add_str(o, "load_mode", r->load_mode);
    json_add_str(o, "devices", r->devices);
    return o;
}

static cJSON *engine_to_json(const struct bench_result *r)
{
    cJSON *o = cJSON_CreateObject();
    json_add_str(o, "build_commit", r->build_commit);
    json_add_u64(o, "build_number", r->build_number);
    json_add_str(o, "backends", r->backends);
    json_add_str(o, "gpu_info", r->gpu_info);
    json_add_str(o, "cpu_info", r->cpu_info);
    json_add_str(o, "vulkan_driver", r->vulkan_driver);
    json_add_str(o, "gfx", r->gfx);
    json_add_str(o, "model_filename", r->model_filename);
    json_add_str(o, "model_type", r->model_type);
    json_add_u64(o, "model_size", r->model_size);
    json_add_u64(o, "model_n_params", r->model_n_params);
    return o;
}

cJSON *bench_record_to_json(const struct bench_run *run, const struct bench_record *rec)
{
    const struct bench_result *r = &rec->r;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "result");
    json_add_str(o, "run", run ? run->id : NULL);
    cJSON_AddItemToObject(o, "test", test_to_json(r));
    cJSON *ts = cJSON_AddObjectToObject(o, "tokens_per_second");
    add_f64(ts, "mean", r->avg_ts);
    add_f64(ts, "stddev", r->stddev_ts);
    cJSON *samples = cJSON_AddArrayToObject(ts, "samples");
    for (size_t i = 0; i < r->n_samples; i++)
        cJSON_AddItemToArray(samples, cJSON_CreateNumber(r->samples_ts[i]));
    cJSON *ns = cJSON_AddObjectToObject(o, "ns");
    json_add_u64(ns, "mean", r->avg_ns);
    json_add_u64(ns, "stddev", r->stddev_ns);
    cJSON_AddItemToObject(o, "engine", engine_to_json(r));
    cJSON_AddItemToObject(o, "model", bench_model_to_json(&rec->model));
    cJSON_AddItemToObject(o, "image", image_to_json(&rec->image));
    cJSON_AddItemToObject(o, "host", bench_host_to_json(&rec->host));
    json_add_str(o, "time", r->test_time);
    return o;
}

cJSON *bench_run_to_json(const struct bench_run *run)
{
    cJSON *o = bench_header_to_json(run);
    cJSON_AddBoolToObject(o, "truncated", run->truncated);
    cJSON *results = cJSON_AddArrayToObject(o, "results");
    for (size_t i = 0; i < run->n_records; i++)
        cJSON_AddItemToArray(results, bench_record_to_json(run, &run->records[i]));
    return o;
}

/* ---- reading --------------------------------------------------------------- */

/* A sub-object: missing or null leaves everything unknown. */
static const cJSON *sub(const struct json_reader *r, const cJSON *o, const char *key, bool *bad)
{
    return json_get_object(r, o, key, bad);
}

static int host_from_json(const struct json_reader *parent, const cJSON *o, struct bench_host *h)
{
    bool bad;
    const cJSON *ho = sub(parent, o, "host", &bad);
    if (bad)
        return -1;
    if (!ho)
        return 0;
    struct json_reader r = {.origin = parent->origin, .path = "host", .err = parent->err};
    if (json_get_str(&r, ho, "kernel", &h->kernel) < 0 ||
        json_get_str(&r, ho, "gpu_family", &h->gpu_family) < 0 ||
        json_get_str(&r, ho, "gpu_name", &h->gpu_name) < 0 ||
        json_get_hex(&r, ho, "gpu_device_id", &h->gpu_device_id) < 0 ||
        json_get_u64(&r, ho, "usable_memory_bytes", &h->usable_memory_bytes) < 0 ||
        json_get_str(&r, ho, "vulkan_driver", &h->vulkan_driver) < 0 ||
        json_get_str(&r, ho, "mesa_version", &h->mesa_version) < 0 ||
        json_get_str(&r, ho, "rocm_version", &h->rocm_version) < 0 ||
        json_get_str(&r, ho, "podman_version", &h->podman_version) < 0)
        return -1;
    const cJSON *params = json_get_object(&r, ho, "params", &bad);
    if (bad)
        return -1;
    if (params) {
        h->params_known = true;
        size_t alloc = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, params)
        {
            if (!cJSON_IsString(it) || !it->valuestring)
                return json_type_error(&r, "params", "an object of strings");
            h->params = xgrow(h->params, h->n_params + 1, &alloc, sizeof(*h->params));
            h->params[h->n_params].key = xstrdup(it->string);
            h->params[h->n_params].value = xstrdup(it->valuestring);
            h->n_params++;
        }
    }
    return 0;
}

static int model_from_json(const struct json_reader *parent, const cJSON *o, struct bench_model *m)
{
    bool bad;
    const cJSON *mo = sub(parent, o, "model", &bad);
    if (bad)
        return -1;
    if (!mo)
        return 0;
    struct json_reader r = {.origin = parent->origin, .path = "model", .err = parent->err};
    if (json_get_str(&r, mo, "name", &m->name) < 0 ||
        json_get_str(&r, mo, "filename", &m->filename) < 0 ||
        json_get_str(&r, mo, "sha256", &m->sha256) < 0 ||
        json_get_str(&r, mo, "architecture", &m->architecture) < 0 ||
        json_get_str(&r, mo, "type", &m->type) < 0 ||
        json_get_u64(&r, mo, "parameters", &m->parameters) < 0 ||
        json_get_u64(&r, mo, "bytes", &m->bytes) < 0 ||
        json_get_u64(&r, mo, "active_bytes", &m->active_bytes) < 0 ||
        json_get_u64(&r, mo, "experts", &m->experts) < 0 ||
        json_get_u64(&r, mo, "experts_used", &m->experts_used) < 0)
        return -1;
    return 0;
}

static int image_from_json(const struct json_reader *parent, const cJSON *o, struct bench_image *i)
{
    bool bad;
    const cJSON *io = sub(parent, o, "image", &bad);
    if (bad)
        return -1;
    if (!io)
        return 0;
    struct json_reader r = {.origin = parent->origin, .path = "image", .err = parent->err};
    if (json_get_str(&r, io, "recipe", &i->recipe) < 0 ||
        json_get_str(&r, io, "recipe_sha256", &i->recipe_sha256) < 0 ||
        json_get_str(&r, io, "digest", &i->digest) < 0 ||
        json_get_str(&r, io, "engine_version", &i->engine_version) < 0 ||
        json_get_str(&r, io, "engine_commit", &i->engine_commit) < 0)
        return -1;
    return 0;
}

int bench_header_from_json(struct bench_run *run, const cJSON *o, const char *origin,
                           struct hb_error *err)
{
    struct json_reader r = {.origin = origin, .path = "", .err = err};
    if (!cJSON_IsObject(o))
        return hb_error_set(err, EXIT_INPUT, "%s: expected an object", origin);
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(o, "schema");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    if (!cJSON_IsString(schema) || strcmp(schema->valuestring, BENCH_SCHEMA) ||
        !cJSON_IsString(type) || strcmp(type->valuestring, "run"))
        return hb_error_set(err, EXIT_INPUT, "%s: not a halobox bench run (schema %s)", origin,
                            BENCH_SCHEMA);
    char *status = NULL;
    if (json_get_str(&r, o, "id", &run->id) < 0 ||
        json_get_str(&r, o, "created", &run->created) < 0 ||
        json_get_str(&r, o, "status", &status) < 0 ||
        json_get_str(&r, o, "source", &run->source) < 0 ||
        json_get_str(&r, o, "source_file", &run->source_file) < 0 ||
        json_get_str(&r, o, "label", &run->label) < 0) {
        free(status);
        return -1;
    }
    int bad_status = !status || bench_status_parse(status, &run->status) < 0;
    free(status);
    if (bad_status)
        return json_type_error(&r, "status", "running, complete, incomplete or failed");
    if (!run->id || !bench_run_id_valid(run->id))
        return json_type_error(&r, "id", "a run id");
    bool bad;
    const cJSON *recipes = json_get_array(&r, o, "recipes", &bad);
    if (bad)
        return -1;
    const cJSON *it;
    cJSON_ArrayForEach(it, recipes)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "recipe");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(it, "status");
        const cJSON *error = cJSON_GetObjectItemCaseSensitive(it, "error");
        enum bench_status s;
        if (!cJSON_IsString(name) || !cJSON_IsString(st) ||
            bench_status_parse(st->valuestring, &s) < 0 ||
            (error && !cJSON_IsNull(error) && !cJSON_IsString(error)))
            return json_type_error(&r, "recipes", "objects with a recipe, a status and an error");
        struct bench_recipe_state *rs = bench_run_add_recipe(run, name->valuestring);
        rs->status = s;
        rs->error = cJSON_IsString(error) ? xstrdup(error->valuestring) : NULL;
    }
    if (model_from_json(&r, o, &run->model) < 0 || host_from_json(&r, o, &run->host) < 0)
        return -1;
    return 0;
}

static int test_from_json(const struct json_reader *parent, const cJSON *o, struct bench_result *t)
{
    bool bad;
    const cJSON *to = sub(parent, o, "test", &bad);
    if (bad)
        return -1;
    if (!to)
        return hb_error_set(parent->err, EXIT_INPUT, "%s: test: missing", parent->origin);
    struct json_reader r = {.origin = parent->origin, .path = "test", .err = parent->err};
    char *kind = NULL, *fa = NULL;
    int ret = 0;
    if (json_get_str(&r, to, "kind", &kind) < 0 || json_get_str(&r, to, "flash_attn", &fa) < 0 ||
        json_get_u64(&r, to, "n_prompt", &t->n_prompt) < 0 ||
        json_get_u64(&r, to, "n_gen", &t->n_gen) < 0 ||
        json_get_u64(&r, to, "n_depth", &t->n_depth) < 0 ||
        json_get_u64(&r, to, "n_batch", &t->n_batch) < 0 ||
        json_get_u64(&r, to, "n_ubatch", &t->n_ubatch) < 0 ||
        json_get_u64(&r, to, "n_threads", &t->n_threads) < 0 ||
        json_get_i64(&r, to, "n_gpu_layers", &t->n_gpu_layers) < 0 ||
        json_get_str(&r, to, "type_k", &t->type_k) < 0 ||
        json_get_str(&r, to, "type_v", &t->type_v) < 0 ||
        json_get_str(&r, to, "load_mode", &t->load_mode) < 0 ||
        json_get_str(&r, to, "devices", &t->devices) < 0)
        ret = -1;
    else if (!kind || bench_kind_parse(kind, &t->kind) < 0)
        ret = json_type_error(&r, "kind", "pp, tg or pg");
    else if (fa && bench_fa_parse(fa, &t->flash_attn) < 0)
        ret = json_type_error(&r, "flash_attn", "auto, on, off or null");
    else if (!t->n_prompt.known || !t->n_gen.known)
        ret =
            hb_error_set(r.err, EXIT_INPUT, "%s: test: n_prompt and n_gen are required", r.origin);
    free(kind);
    free(fa);
    return ret;
}

static int tps_from_json(const struct json_reader *parent, const cJSON *o, struct bench_result *t)
{
    bool bad;
    const cJSON *to = sub(parent, o, "tokens_per_second", &bad);
    if (bad)
        return -1;
    struct json_reader r = {
        .origin = parent->origin, .path = "tokens_per_second", .err = parent->err};
    if (!to || json_get_f64_nonneg(&r, to, "mean", &t->avg_ts) < 0 ||
        json_get_f64_nonneg(&r, to, "stddev", &t->stddev_ts) < 0)
        return to ? -1 : json_type_error(parent, "tokens_per_second", "an object");
    if (!t->avg_ts.known)
        return json_type_error(&r, "mean", "a number");
    const cJSON *samples = json_get_array(&r, to, "samples", &bad);
    if (bad)
        return -1;
    size_t n = samples ? (size_t)cJSON_GetArraySize(samples) : 0;
    t->samples_ts = n ? xcalloc(n, sizeof(double)) : NULL;
    const cJSON *it;
    cJSON_ArrayForEach(it, samples)
    {
        if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
            return json_type_error(&r, "samples", "an array of numbers");
        t->samples_ts[t->n_samples++] = it->valuedouble;
    }
    const cJSON *ns = sub(parent, o, "ns", &bad);
    struct json_reader rn = {.origin = parent->origin, .path = "ns", .err = parent->err};
    if (bad || (ns && (json_get_u64(&rn, ns, "mean", &t->avg_ns) < 0 ||
                       json_get_u64(&rn, ns, "stddev", &t->stddev_ns) < 0)))
        return -1;
    return 0;
}

static int engine_from_json(const struct json_reader *parent, const cJSON *o,
                            struct bench_result *t)
{
    bool bad;
    const cJSON *eo = sub(parent, o, "engine", &bad);
    if (bad)
        return -1;
    if (!eo)
        return 0;
    struct json_reader r = {.origin = parent->origin, .path = "engine", .err = parent->err};
    if (json_get_str(&r, eo, "build_commit", &t->build_commit) < 0 ||
        json_get_u64(&r, eo, "build_number", &t->build_number) < 0 ||
        json_get_str(&r, eo, "backends", &t->backends) < 0 ||
        json_get_str(&r, eo, "gpu_info", &t->gpu_info) < 0 ||
        json_get_str(&r, eo, "cpu_info", &t->cpu_info) < 0 ||
        json_get_str(&r, eo, "vulkan_driver", &t->vulkan_driver) < 0 ||
        json_get_str(&r, eo, "gfx", &t->gfx) < 0 ||
        json_get_str(&r, eo, "model_filename", &t->model_filename) < 0 ||
        json_get_str(&r, eo, "model_type", &t->model_type) < 0 ||
        json_get_u64(&r, eo, "model_size", &t->model_size) < 0 ||
        json_get_u64(&r, eo, "model_n_params", &t->model_n_params) < 0)
        return -1;
    return 0;
}

int bench_record_from_json(struct bench_record *rec, const cJSON *o, const char *origin,
                           struct hb_error *err)
{
    struct json_reader r = {.origin = origin, .path = "", .err = err};
    if (!cJSON_IsObject(o))
        return hb_error_set(err, EXIT_INPUT, "%s: expected an object", origin);
    if (test_from_json(&r, o, &rec->r) < 0 || tps_from_json(&r, o, &rec->r) < 0 ||
        engine_from_json(&r, o, &rec->r) < 0 || model_from_json(&r, o, &rec->model) < 0 ||
        image_from_json(&r, o, &rec->image) < 0 || host_from_json(&r, o, &rec->host) < 0 ||
        json_get_str(&r, o, "time", &rec->r.test_time) < 0)
        return -1;
    return 0;
}
