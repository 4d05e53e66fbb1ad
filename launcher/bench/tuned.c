#include "util/common.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <sys/stat.h>

#include "bench/tuned.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strbuf.h"

/* A tuned file is small; anything larger is not one. */
#define TUNED_MAX_BYTES (1024 * 1024)

void tuned_entry_release(struct tuned_entry *e)
{
    free(e->model_name);
    free(e->model_sha256);
    free(e->host_key);
    free(e->workload);
    free(e->created);
    free(e->run_id);
    free(e->engine_version);
    free(e->reason);
    tune_config_release(&e->settings);
    memset(e, 0, sizeof(*e));
}

int tuned_dir(struct strbuf *out, struct hb_error *err)
{
    if (data_dir(out, "HALOBOX_TUNE_DIR", "tuned") < 0)
        return hb_error_set(err, EXIT_RUNTIME,
                            "no directory for tuned settings: set HALOBOX_TUNE_DIR or HOME");
    return 0;
}

static void fnv_str(uint64_t *h, const char *field, const char *s)
{
    /* Field names and a separator keep "a" + "bc" apart from "ab" + "c",
     * and unknown (NULL) apart from empty. */
    for (const char *p = field; *p; p++)
        *h = (*h ^ (unsigned char)*p) * 0x100000001b3ULL;
    *h = (*h ^ (unsigned char)(s ? '=' : '?')) * 0x100000001b3ULL;
    for (const char *p = s ? s : ""; *p; p++)
        *h = (*h ^ (unsigned char)*p) * 0x100000001b3ULL;
    *h = (*h ^ 0xffu) * 0x100000001b3ULL;
}

void tuned_host_key(const struct bench_host *h, char out[17])
{
    uint64_t k = 0xcbf29ce484222325ULL;
    char id[24];
    snprintf(id, sizeof(id), "%llx", (unsigned long long)h->gpu_device_id.v);
    fnv_str(&k, "gpu_family", h->gpu_family);
    fnv_str(&k, "gpu_device_id", h->gpu_device_id.known ? id : NULL);
    fnv_str(&k, "gpu_name", h->gpu_name);
    fnv_str(&k, "vulkan_driver", h->vulkan_driver);
    fnv_str(&k, "mesa", h->mesa_version);
    fnv_str(&k, "rocm", h->rocm_version);
    fnv_str(&k, "kernel", h->kernel);
    for (size_t i = 0; i < h->n_params; i++)
        fnv_str(&k, h->params[i].key, h->params[i].value);
    snprintf(out, 17, "%016llx", (unsigned long long)k);
}

void tuned_path(const char *dir, const char *sha256, const char *host_key, const char *workload,
                struct strbuf *out)
{
    strbuf_reset(out);
    strbuf_addf(out, "%s/%s.%s.%s.json", dir, sha256, host_key, workload);
}

int tuned_save(const char *dir, const struct tuned_entry *e, const cJSON *sweep,
               const struct bench_host *host, struct hb_error *err)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "schema", TUNED_SCHEMA);
    cJSON *m = cJSON_AddObjectToObject(o, "model");
    json_add_str(m, "name", e->model_name);
    json_add_str(m, "sha256", e->model_sha256);
    json_add_str(o, "host_key", e->host_key);
    cJSON_AddItemToObject(o, "host", bench_host_to_json(host));
    json_add_str(o, "workload", e->workload);
    json_add_str(o, "created", e->created);
    json_add_str(o, "run", e->run_id);
    json_add_str(o, "engine_version", e->engine_version);
    cJSON_AddBoolToObject(o, "default_won", e->default_won);
    cJSON_AddItemToObject(o, "settings", tune_config_to_json(&e->settings));
    if (e->margin_known)
        cJSON_AddNumberToObject(o, "margin", round_scaled(e->margin, 10000));
    else
        cJSON_AddNullToObject(o, "margin");
    json_add_str(o, "reason", e->reason);
    if (sweep)
        cJSON_AddItemToObject(o, "sweep", cJSON_Duplicate(sweep, true));
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    struct strbuf path = STRBUF_INIT;
    tuned_path(dir, e->model_sha256, e->host_key, e->workload, &path);
    struct strbuf data = STRBUF_INIT;
    strbuf_addf(&data, "%s\n", text);
    free(text);
    int r = 0;
    if (mkdir_p(dir, 0700) < 0)
        r = hb_error_set(err, EXIT_RUNTIME, "cannot create %s: %s", dir, strerror(errno));
    else if (write_file_atomic(path.buf, data.buf, data.len, 0600) < 0)
        r = hb_error_set(err, EXIT_RUNTIME, "cannot write %s: %s", path.buf, strerror(errno));
    strbuf_release(&data);
    strbuf_release(&path);
    return r;
}

int tuned_parse(const char *text, size_t len, const char *origin, struct tuned_entry *e,
                struct hb_error *err)
{
    memset(e, 0, sizeof(*e));
    cJSON *o = cJSON_ParseWithLength(text, len);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return hb_error_set(err, EXIT_INPUT, "%s: not a JSON object", origin);
    }
    struct json_reader r = {.origin = origin, .path = "", .err = err};
    char *schema = NULL;
    int rc = json_get_str(&r, o, "schema", &schema);
    if (rc == 0 && !str_eq(schema, TUNED_SCHEMA))
        rc = hb_error_set(err, EXIT_INPUT, "%s: schema: expected \"%s\"", origin, TUNED_SCHEMA);
    free(schema);
    bool bad = false;
    const cJSON *m = rc == 0 ? json_get_object(&r, o, "model", &bad) : NULL;
    if (bad)
        rc = -1;
    struct json_reader rm = {.origin = origin, .path = "model", .err = err};
    if (rc == 0 && m)
        rc = json_get_str(&rm, m, "name", &e->model_name);
    if (rc == 0 && m)
        rc = json_get_str(&rm, m, "sha256", &e->model_sha256);
    static const struct {
        const char *key;
        size_t off;
    } strs[] = {
        {"host_key", offsetof(struct tuned_entry, host_key)},
        {"workload", offsetof(struct tuned_entry, workload)},
        {"created", offsetof(struct tuned_entry, created)},
        {"run", offsetof(struct tuned_entry, run_id)},
        {"engine_version", offsetof(struct tuned_entry, engine_version)},
        {"reason", offsetof(struct tuned_entry, reason)},
    };
    for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(strs); i++)
        rc = json_get_str(&r, o, strs[i].key, (char **)((char *)e + strs[i].off));
    if (rc == 0 && (!e->model_sha256 || !e->host_key || !e->workload))
        rc = hb_error_set(err, EXIT_INPUT, "%s: model.sha256, host_key and workload are required",
                          origin);
    if (rc == 0) {
        const cJSON *dw = cJSON_GetObjectItemCaseSensitive(o, "default_won");
        if (!cJSON_IsBool(dw))
            rc = hb_error_set(err, EXIT_INPUT, "%s: default_won: expected true or false", origin);
        else
            e->default_won = cJSON_IsTrue(dw);
    }
    if (rc == 0) {
        const cJSON *mg = cJSON_GetObjectItemCaseSensitive(o, "margin");
        if (cJSON_IsNumber(mg) && isfinite(mg->valuedouble)) {
            e->margin_known = true;
            e->margin = mg->valuedouble;
        } else if (mg && !cJSON_IsNull(mg)) {
            rc = hb_error_set(err, EXIT_INPUT, "%s: margin: expected a number or null", origin);
        }
    }
    if (rc == 0)
        rc = tune_config_from_json(cJSON_GetObjectItemCaseSensitive(o, "settings"), origin,
                                   &e->settings, err);
    cJSON_Delete(o);
    if (rc < 0)
        tuned_entry_release(e);
    return rc;
}

int tuned_find(const char *dir, const char *sha256, const char *host_key, const char *workload,
               struct tuned_entry *e, struct hb_error *err)
{
    memset(e, 0, sizeof(*e));
    struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
    tuned_path(dir, sha256, host_key, workload, &path);
    int r;
    struct stat st;
    if (stat(path.buf, &st) < 0 && errno == ENOENT) {
        r = 0;
    } else if (read_small_file(path.buf, TUNED_MAX_BYTES, &text) < 0) {
        r = hb_error_set(err, EXIT_INPUT, "cannot read %s: %s", path.buf, strerror(errno));
    } else {
        r = tuned_parse(text.buf, text.len, path.buf, e, err);
        if (r == 0 && (!str_eq(e->model_sha256, sha256) || !str_eq(e->host_key, host_key) ||
                       !str_eq(e->workload, workload))) {
            tuned_entry_release(e);
            r = hb_error_set(err, EXIT_INPUT,
                             "%s: its model, host key or workload is not the one its name says",
                             path.buf);
        }
        if (r == 0)
            r = 1;
    }
    strbuf_release(&path);
    strbuf_release(&text);
    return r;
}
