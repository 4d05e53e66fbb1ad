/* halobox models inspect: everything a model's headers say. */
#include "util/common.h"

#include <cjson/cJSON.h>

#include "cmd_models.h"
#include "store/model_summary.h"
#include "util/json.h"

static const char usage_inspect[] =
    "usage: halobox models inspect NAME|FILE [--json] [--store DIR]\n"
    "\n"
    "Show a model's metadata (every key; long arrays as their type and length),\n"
    "its tensors by type, and the summary halobox plans with. Only the headers\n"
    "are read, never the weights.\n";

/* Arrays this long or shorter are shown in full (per-layer values). */
#define SHOW_ARRAY_MAX 64

/* Integers are written digit for digit: cJSON prints numbers through a
 * double with 15 significant digits, which would change a u64 such as
 * 2^53 - 1 in the last place. */
static cJSON *integer_json(bool is_signed, uint64_t u, int64_t i)
{
    char buf[32];
    if (is_signed)
        snprintf(buf, sizeof(buf), "%lld", (long long)i);
    else
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)u);
    return cJSON_CreateRaw(buf);
}

static cJSON *scalar_json(const struct gguf_kv *kv)
{
    switch (kv->type) {
    case GGUF_TYPE_UINT8:
    case GGUF_TYPE_UINT16:
    case GGUF_TYPE_UINT32:
    case GGUF_TYPE_UINT64:
        return integer_json(false, kv->v.u64, 0);
    case GGUF_TYPE_INT8:
    case GGUF_TYPE_INT16:
    case GGUF_TYPE_INT32:
    case GGUF_TYPE_INT64:
        return integer_json(true, 0, kv->v.i64);
    case GGUF_TYPE_FLOAT32:
        return cJSON_CreateNumber(kv->v.f32);
    case GGUF_TYPE_FLOAT64:
        return cJSON_CreateNumber(kv->v.f64);
    case GGUF_TYPE_BOOL:
        return cJSON_CreateBool(kv->v.b);
    case GGUF_TYPE_STRING:
        return cJSON_CreateString(kv->str ? kv->str : "");
    default:
        return cJSON_CreateNull();
    }
}

/* Short numeric arrays in full; anything else as {"type", "count"}. */
static cJSON *array_json(const struct gguf_model *m, const struct gguf_kv *kv)
{
    size_t esize = gguf_type_size(kv->arr_type);
    if (esize && kv->arr_count <= SHOW_ARRAY_MAX) {
        unsigned char buf[SHOW_ARRAY_MAX * 8];
        struct hb_error err = HB_ERROR_INIT;
        if (gguf_array_read(m, kv, 0, kv->arr_count, buf, &err) == 0) {
            cJSON *arr = cJSON_CreateArray();
            for (uint64_t i = 0; i < kv->arr_count; i++) {
                struct gguf_kv one = {.type = kv->arr_type};
                const unsigned char *p = buf + i * esize;
                switch (kv->arr_type) {
                case GGUF_TYPE_UINT8:
                    one.v.u64 = *p;
                    break;
                case GGUF_TYPE_INT8:
                    one.v.i64 = (int8_t)*p;
                    break;
                case GGUF_TYPE_UINT16: {
                    uint16_t x;
                    memcpy(&x, p, 2);
                    one.v.u64 = x;
                    break;
                }
                case GGUF_TYPE_INT16: {
                    int16_t x;
                    memcpy(&x, p, 2);
                    one.v.i64 = x;
                    break;
                }
                case GGUF_TYPE_UINT32: {
                    uint32_t x;
                    memcpy(&x, p, 4);
                    one.v.u64 = x;
                    break;
                }
                case GGUF_TYPE_INT32: {
                    int32_t x;
                    memcpy(&x, p, 4);
                    one.v.i64 = x;
                    break;
                }
                case GGUF_TYPE_UINT64:
                    memcpy(&one.v.u64, p, 8);
                    break;
                case GGUF_TYPE_INT64:
                    memcpy(&one.v.i64, p, 8);
                    break;
                case GGUF_TYPE_FLOAT32:
                    memcpy(&one.v.f32, p, 4);
                    break;
                case GGUF_TYPE_FLOAT64:
                    memcpy(&one.v.f64, p, 8);
                    break;
                case GGUF_TYPE_BOOL:
                    one.v.b = *p != 0;
                    break;
                default:
                    break;
                }
                cJSON_AddItemToArray(arr, scalar_json(&one));
            }
            return arr;
        }
        hb_error_release(&err);
    }
    cJSON *o = cJSON_CreateObject();
    struct strbuf t = STRBUF_INIT;
    strbuf_addf(&t, "array[%s]", gguf_type_name(kv->arr_type) ? gguf_type_name(kv->arr_type) : "?");
    cJSON_AddStringToObject(o, "type", t.buf);
    cJSON_AddNumberToObject(o, "count", (double)kv->arr_count);
    strbuf_release(&t);
    return o;
}

static cJSON *inspect_json(const struct gguf_model *m, const struct store_ref *ref)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "path", m->path);
    if (ref && ref->name) {
        cJSON_AddStringToObject(root, "name", ref->name);
        cJSON_AddStringToObject(root, "sha256", ref->files[0].sha256);
    }
    cJSON_AddNumberToObject(root, "version", m->version);
    cJSON_AddNumberToObject(root, "alignment", m->alignment);
    cJSON_AddItemToObject(root, "summary", model_summary_json(m));
    cJSON *meta = cJSON_AddObjectToObject(root, "metadata");
    for (size_t i = 0; i < m->n_kv; i++) {
        const struct gguf_kv *kv = &m->kv[i];
        cJSON_AddItemToObject(meta, kv->key,
                              kv->type == GGUF_TYPE_ARRAY ? array_json(m, kv) : scalar_json(kv));
    }
    return root;
}

static void add_value_text(struct strbuf *out, const cJSON *v)
{
    char *text = cJSON_PrintUnformatted(v);
    if (strlen(text) > 100)
        strbuf_addf(out, "%.97s...", text);
    else
        strbuf_addstr(out, text);
    free(text);
}

int cmd_models_inspect(int argc, char **argv)
{
    struct models_options o;
    int done = models_parse("inspect", usage_inspect, MO_JSON | MO_STORE, argc, argv, &o);
    if (done >= 0)
        return done;
    if (o.n_args != 1)
        return usage_error("models inspect", "give one model name or file");
    struct hb_error err = HB_ERROR_INIT;
    struct gguf_model m;
    struct store_ref ref;
    int rc = EXIT_OK;
    if (models_open(&o, o.args[0], &m, &ref, &err) < 0) {
        rc = report_error(&err);
        hb_error_release(&err);
        gguf_close(&m);
        return rc;
    }
    cJSON *root = inspect_json(&m, &ref);
    if (o.json) {
        if (write_json_stdout(root, &err) < 0)
            rc = report_error(&err);
    } else {
        struct strbuf out = STRBUF_INIT;
        const cJSON *summary = cJSON_GetObjectItemCaseSensitive(root, "summary");
        strbuf_addf(&out, "%s\n  GGUF v%u, %u shard%s, %.2f GB, %zu tensors\n", m.path, m.version,
                    m.n_shards, m.n_shards == 1 ? "" : "s", (double)m.total_bytes / 1e9,
                    m.n_tensors);
        strbuf_addstr(&out, "\nsummary:\n");
        const cJSON *it;
        cJSON_ArrayForEach(it, summary)
        {
            if (cJSON_IsNull(it) || cJSON_IsObject(it))
                continue;
            strbuf_addf(&out, "  %-22s ", it->string);
            add_value_text(&out, it);
            strbuf_addch(&out, '\n');
        }
        strbuf_addstr(&out, "\ntensor types:\n");
        for (size_t i = 0; i < m.n_type_stats; i++) {
            const struct gguf_type_info *t = gguf_tensor_type(m.type_stats[i].type);
            strbuf_addf(&out, "  %-8s %6llu tensors %10.2f MB\n", t ? t->name : "?",
                        (unsigned long long)m.type_stats[i].tensors,
                        (double)m.type_stats[i].bytes / 1e6);
        }
        strbuf_addstr(&out, "\nmetadata:\n");
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(root, "metadata"))
        {
            strbuf_addf(&out, "  %-44s ", it->string);
            add_value_text(&out, it);
            strbuf_addch(&out, '\n');
        }
        if (write_stdout(&out, &err) < 0)
            rc = report_error(&err);
        strbuf_release(&out);
    }
    cJSON_Delete(root);
    store_ref_release(&ref);
    gguf_close(&m);
    hb_error_release(&err);
    return rc;
}
