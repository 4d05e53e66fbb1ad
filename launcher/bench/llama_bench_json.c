#include "util/common.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>

#include "bench/llama_bench_json.h"
#include "util/json.h"
#include "util/strbuf.h"

void bench_result_release(struct bench_result *r)
{
    free(r->type_k);
    free(r->type_v);
    free(r->load_mode);
    free(r->devices);
    free(r->backends);
    free(r->gpu_info);
    free(r->cpu_info);
    free(r->build_commit);
    free(r->model_filename);
    free(r->model_type);
    free(r->samples_ts);
    free(r->test_time);
    free(r->vulkan_driver);
    free(r->gfx);
    memset(r, 0, sizeof(*r));
}

void bench_result_copy(struct bench_result *dst, const struct bench_result *src)
{
    *dst = *src;
    dst->type_k = xstrdup_or_null(src->type_k);
    dst->type_v = xstrdup_or_null(src->type_v);
    dst->load_mode = xstrdup_or_null(src->load_mode);
    dst->devices = xstrdup_or_null(src->devices);
    dst->backends = xstrdup_or_null(src->backends);
    dst->gpu_info = xstrdup_or_null(src->gpu_info);
    dst->cpu_info = xstrdup_or_null(src->cpu_info);
    dst->build_commit = xstrdup_or_null(src->build_commit);
    dst->model_filename = xstrdup_or_null(src->model_filename);
    dst->model_type = xstrdup_or_null(src->model_type);
    dst->test_time = xstrdup_or_null(src->test_time);
    dst->vulkan_driver = xstrdup_or_null(src->vulkan_driver);
    dst->gfx = xstrdup_or_null(src->gfx);
    dst->samples_ts = NULL;
    if (src->n_samples) {
        dst->samples_ts = xcalloc(src->n_samples, sizeof(double));
        memcpy(dst->samples_ts, src->samples_ts, src->n_samples * sizeof(double));
    }
}

struct bench_result *bench_results_add(struct bench_results *set)
{
    set->v = xgrow(set->v, set->n + 1, &set->alloc, sizeof(*set->v));
    struct bench_result *r = &set->v[set->n++];
    memset(r, 0, sizeof(*r));
    return r;
}

static void results_truncate(struct bench_results *set, size_t n)
{
    while (set->n > n)
        bench_result_release(&set->v[--set->n]);
}

void bench_results_release(struct bench_results *set)
{
    results_truncate(set, 0);
    free(set->v);
    memset(set, 0, sizeof(*set));
}

static const char *const kind_names[] = {"pp", "tg", "pg"};

const char *bench_kind_name(enum bench_kind k)
{
    return (size_t)k < ARRAY_SIZE(kind_names) ? kind_names[k] : "pp";
}

int bench_kind_parse(const char *s, enum bench_kind *k)
{
    for (size_t i = 0; i < ARRAY_SIZE(kind_names); i++)
        if (!strcmp(s, kind_names[i])) {
            *k = (enum bench_kind)i;
            return 0;
        }
    return -1;
}

const char *bench_fa_name(enum bench_fa fa)
{
    switch (fa) {
    case BENCH_FA_AUTO:
        return "auto";
    case BENCH_FA_OFF:
        return "off";
    case BENCH_FA_ON:
        return "on";
    default:
        return NULL;
    }
}

int bench_fa_parse(const char *s, enum bench_fa *fa)
{
    /* Every spelling the engine has used: -fa 0|1, on|off|auto, JSON
     * true/false, -1 for auto. */
    static const struct {
        const char *s;
        enum bench_fa fa;
    } names[] = {
        {"auto", BENCH_FA_AUTO}, {"-1", BENCH_FA_AUTO},   {"off", BENCH_FA_OFF},
        {"0", BENCH_FA_OFF},     {"false", BENCH_FA_OFF}, {"on", BENCH_FA_ON},
        {"1", BENCH_FA_ON},      {"true", BENCH_FA_ON},
    };
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (!strcasecmp(s, names[i].s)) {
            *fa = names[i].fa;
            return 0;
        }
    return -1;
}

void bench_test_name(const struct bench_result *r, struct strbuf *out)
{
    unsigned long long p = r->n_prompt.v, g = r->n_gen.v;
    switch (r->kind) {
    case BENCH_PP:
        strbuf_addf(out, "pp%llu", p);
        break;
    case BENCH_TG:
        strbuf_addf(out, "tg%llu", g);
        break;
    case BENCH_PG:
        strbuf_addf(out, "pp%llu+tg%llu", p, g);
        break;
    }
    if (r->n_depth.known && r->n_depth.v)
        strbuf_addf(out, " @ d%llu", (unsigned long long)r->n_depth.v);
}

/* Digits at *s; advances it. */
static bool take_u64(const char **s, uint64_t *out)
{
    if (!isdigit((unsigned char)**s))
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(*s, &end, 10);
    if (errno)
        return false;
    *s = end;
    *out = v;
    return true;
}

int bench_test_name_parse(const char *name, struct bench_result *r)
{
    const char *s = name;
    uint64_t p = 0, g = 0, d = 0;
    if (str_starts_with(s, "pp")) {
        s += 2;
        if (!take_u64(&s, &p))
            return -1;
        if (str_starts_with(s, "+tg")) {
            s += 3;
            if (!take_u64(&s, &g))
                return -1;
        }
    } else if (str_starts_with(s, "tg")) {
        s += 2;
        if (!take_u64(&s, &g))
            return -1;
    } else {
        return -1;
    }
    while (*s == ' ')
        s++;
    if (*s == '@') {
        s++;
        while (*s == ' ')
            s++;
        if (*s++ != 'd' || !take_u64(&s, &d))
            return -1;
    }
    if (*s || (!p && !g))
        return -1;
    r->kind = p && g ? BENCH_PG : p ? BENCH_PP : BENCH_TG;
    r->n_prompt = OPT_U64(p);
    r->n_gen = OPT_U64(g);
    r->n_depth = OPT_U64(d);
    return 0;
}

/* ---- JSON ------------------------------------------------------------- */

static int field_error(const struct json_reader *r, const char *key, const char *what)
{
    return hb_error_set(r->err, EXIT_INPUT, "%s: %s: %s", r->origin, key, what);
}

/* llama-bench always writes avg_ts: a missing one is a broken line. */
static int get_required_f64(const struct json_reader *r, const cJSON *o, const char *key,
                            opt_f64 *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v))
        return field_error(r, key, "missing");
    return json_get_f64_nonneg(r, o, key, out);
}

static int get_required_u64(const struct json_reader *r, const cJSON *o, const char *key,
                            opt_u64 *out)
{
    if (json_get_u64(r, o, key, out) < 0)
        return -1;
    return out->known ? 0 : field_error(r, key, "missing");
}

/* flash_attn: a bool before #23714, an int (-1 auto, 0, 1) after. */
static int get_flash_attn(const struct json_reader *r, const cJSON *o, enum bench_fa *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "flash_attn");
    if (!v || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v) ? BENCH_FA_ON : BENCH_FA_OFF;
        return 0;
    }
    if (cJSON_IsNumber(v) && (v->valuedouble == -1 || v->valuedouble == 0 || v->valuedouble == 1)) {
        *out = v->valuedouble < 0 ? BENCH_FA_AUTO : v->valuedouble ? BENCH_FA_ON : BENCH_FA_OFF;
        return 0;
    }
    if (cJSON_IsString(v) && v->valuestring && bench_fa_parse(v->valuestring, out) == 0)
        return 0;
    return field_error(r, "flash_attn", "expected true, false, -1, 0 or 1");
}

static int get_flag(const struct json_reader *r, const cJSON *o, const char *key, tri *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsBool(v))
        *out = tri_from_bool(cJSON_IsTrue(v));
    else if (cJSON_IsNumber(v) && (v->valuedouble == 0 || v->valuedouble == 1))
        *out = tri_from_bool(v->valuedouble == 1);
    else
        return field_error(r, key, "expected true or false");
    return 0;
}

/* load_mode (#20834), else use_direct_io (#18778) and use_mmap. */
static int get_load_mode(const struct json_reader *r, const cJSON *o, char **out)
{
    if (json_get_str(r, o, "load_mode", out) < 0)
        return -1;
    if (*out)
        return 0;
    tri mmap = TRI_UNKNOWN, dio = TRI_UNKNOWN;
    if (get_flag(r, o, "use_mmap", &mmap) < 0 || get_flag(r, o, "use_direct_io", &dio) < 0)
        return -1;
    if (dio == TRI_YES)
        *out = xstrdup("dio");
    else if (mmap != TRI_UNKNOWN)
        *out = xstrdup(mmap == TRI_YES ? "mmap" : "none");
    return 0;
}

static int get_samples(const struct json_reader *r, const cJSON *o, struct bench_result *res)
{
    bool bad;
    const cJSON *a = json_get_array(r, o, "samples_ts", &bad);
    if (bad)
        return field_error(r, "samples_ts", "expected an array of numbers");
    if (!a)
        return 0;
    size_t n = (size_t)cJSON_GetArraySize(a);
    res->samples_ts = n ? xcalloc(n, sizeof(double)) : NULL;
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
    {
        if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < 0)
            return field_error(r, "samples_ts", "expected an array of numbers");
        res->samples_ts[res->n_samples++] = it->valuedouble;
    }
    return 0;
}

static int result_from_json(const struct json_reader *r, const cJSON *o, struct bench_result *res)
{
    if (!cJSON_IsObject(o))
        return hb_error_set(r->err, EXIT_INPUT, "%s: expected an object", r->origin);
    static const struct {
        const char *key;
        size_t off;
    } strs[] = {
        {"type_k", offsetof(struct bench_result, type_k)},
        {"type_v", offsetof(struct bench_result, type_v)},
        {"devices", offsetof(struct bench_result, devices)},
        {"backends", offsetof(struct bench_result, backends)},
        {"gpu_info", offsetof(struct bench_result, gpu_info)},
        {"cpu_info", offsetof(struct bench_result, cpu_info)},
        {"build_commit", offsetof(struct bench_result, build_commit)},
        {"model_filename", offsetof(struct bench_result, model_filename)},
        {"model_type", offsetof(struct bench_result, model_type)},
        {"test_time", offsetof(struct bench_result, test_time)},
    };
    static const struct {
        const char *key;
        size_t off;
    } nums[] = {
        {"n_batch", offsetof(struct bench_result, n_batch)},
        {"n_ubatch", offsetof(struct bench_result, n_ubatch)},
        {"n_threads", offsetof(struct bench_result, n_threads)},
        {"build_number", offsetof(struct bench_result, build_number)},
        {"model_size", offsetof(struct bench_result, model_size)},
        {"model_n_params", offsetof(struct bench_result, model_n_params)},
        {"avg_ns", offsetof(struct bench_result, avg_ns)},
        {"stddev_ns", offsetof(struct bench_result, stddev_ns)},
    };
    for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
        if (json_get_str(r, o, strs[i].key, (char **)((char *)res + strs[i].off)) < 0)
            return -1;
    for (size_t i = 0; i < ARRAY_SIZE(nums); i++)
        if (json_get_u64(r, o, nums[i].key, (opt_u64 *)((char *)res + nums[i].off)) < 0)
            return -1;
    if (get_required_u64(r, o, "n_prompt", &res->n_prompt) < 0 ||
        get_required_u64(r, o, "n_gen", &res->n_gen) < 0 ||
        json_get_u64(r, o, "n_depth", &res->n_depth) < 0 ||
        json_get_i64(r, o, "n_gpu_layers", &res->n_gpu_layers) < 0 ||
        get_flash_attn(r, o, &res->flash_attn) < 0 || get_load_mode(r, o, &res->load_mode) < 0 ||
        get_required_f64(r, o, "avg_ts", &res->avg_ts) < 0 ||
        json_get_f64_nonneg(r, o, "stddev_ts", &res->stddev_ts) < 0 || get_samples(r, o, res) < 0)
        return -1;
    /* Builds before n_depth existed ran every test on an empty context. */
    if (!res->n_depth.known)
        res->n_depth = OPT_U64(0);
    uint64_t p = res->n_prompt.v, g = res->n_gen.v;
    if (!p && !g)
        return hb_error_set(r->err, EXIT_INPUT, "%s: n_prompt and n_gen are both 0: not a test",
                            r->origin);
    res->kind = p && g ? BENCH_PG : p ? BENCH_PP : BENCH_TG;
    return 0;
}

static int add_result(const cJSON *o, const char *origin, size_t index, struct bench_results *out,
                      struct hb_error *err)
{
    struct strbuf where = STRBUF_INIT;
    strbuf_addf(&where, "%s: result %zu", origin, index);
    struct json_reader r = {.origin = where.buf, .path = "", .err = err};
    int ret = result_from_json(&r, o, bench_results_add(out));
    strbuf_release(&where);
    return ret;
}

static int parse_array(const char *text, size_t len, const char *origin, struct bench_results *out,
                       struct hb_error *err)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!root) {
        size_t at = end && end >= text ? (size_t)(end - text) : 0;
        return hb_error_set(err, EXIT_INPUT, "%s: not valid JSON (near byte %zu%s)", origin, at,
                            at >= len ? ": cut short" : "");
    }
    int ret = 0;
    if (!cJSON_IsArray(root)) {
        ret = hb_error_set(err, EXIT_INPUT, "%s: expected an array of results", origin);
    } else {
        size_t i = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, root)
        {
            if ((ret = add_result(it, origin, ++i, out, err)) < 0)
                break;
        }
    }
    cJSON_Delete(root);
    return ret;
}

static int parse_lines(const char *text, size_t len, const char *origin, struct bench_results *out,
                       struct hb_error *err)
{
    size_t line = 0, index = 0;
    for (const char *p = text, *stop = text + len; p < stop;) {
        const char *nl = memchr(p, '\n', (size_t)(stop - p));
        const char *eol = nl ? nl : stop;
        line++;
        const char *s = p;
        while (s < eol && isspace((unsigned char)*s))
            s++;
        if (s < eol) {
            cJSON *o = cJSON_ParseWithLength(s, (size_t)(eol - s));
            if (!o)
                return hb_error_set(err, EXIT_INPUT, "%s: line %zu: not valid JSON", origin, line);
            int ret = add_result(o, origin, ++index, out, err);
            cJSON_Delete(o);
            if (ret < 0)
                return ret;
        }
        p = eol + (nl ? 1 : 0);
    }
    return 0;
}

int llama_bench_parse_json(const char *text, size_t len, const char *origin,
                           struct bench_results *out, struct hb_error *err)
{
    size_t before = out->n;
    size_t i = 0;
    while (i < len && isspace((unsigned char)text[i]))
        i++;
    int ret;
    if (i < len && text[i] == '[')
        ret = parse_array(text + i, len - i, origin, out, err);
    else if (i < len && text[i] == '{')
        ret = parse_lines(text + i, len - i, origin, out, err);
    else
        ret = hb_error_set(err, EXIT_INPUT, "%s: not llama-bench JSON (no '[' or '{')", origin);
    if (ret == 0 && out->n == before)
        ret = hb_error_set(err, EXIT_INPUT, "%s: no results", origin);
    if (ret < 0)
        results_truncate(out, before);
    return ret;
}

/* ---- either format ------------------------------------------------------ */

int llama_bench_parse(const char *text, size_t len, const char *origin, struct bench_results *out,
                      enum llama_bench_format *format, struct hb_error *err)
{
    if (memchr(text, '\0', len))
        return hb_error_set(err, EXIT_INPUT, "%s: binary data, not llama-bench output", origin);
    const char *json_at = NULL;
    for (const char *p = text, *stop = text + len; p < stop;) {
        const char *nl = memchr(p, '\n', (size_t)(stop - p));
        const char *eol = nl ? nl : stop;
        const char *s = p;
        while (s < eol && (*s == ' ' || *s == '\t'))
            s++;
        if (llama_bench_md_is_header(s, (size_t)(eol - s))) {
            if (format)
                *format = LLAMA_BENCH_MARKDOWN;
            return llama_bench_parse_markdown(text, len, origin, out, err);
        }
        if (!json_at && s < eol && (*s == '[' || *s == '{'))
            json_at = s;
        p = eol + (nl ? 1 : 0);
    }
    if (!json_at)
        return hb_error_set(err, EXIT_INPUT,
                            "%s: no llama-bench results (neither JSON nor a markdown table with "
                            "'test' and 't/s' columns)",
                            origin);
    if (format)
        *format = LLAMA_BENCH_JSON;
    return llama_bench_parse_json(json_at, len - (size_t)(json_at - text), origin, out, err);
}

const char *bench_vulkan_driver_id(const char *name)
{
    /* VkPhysicalDeviceDriverProperties.driverName of each driver. */
    static const struct {
        const char *name;
        const char *id;
    } drivers[] = {
        {"radv", "radv"},
        {"AMD open-source driver", "amdvlk"},
        {"AMD proprietary driver", "amdgpu-pro"},
        {"llvmpipe", "llvmpipe"},
        {"NVIDIA", "nvidia"},
        {"Intel open-source Mesa driver", "intel"},
    };
    if (!name)
        return NULL;
    for (size_t i = 0; i < ARRAY_SIZE(drivers); i++)
        if (!strcasecmp(name, drivers[i].name))
            return drivers[i].id;
    return "other";
}
