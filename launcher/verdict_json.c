#include "util/common.h"

#include <cjson/cJSON.h>

#include "doctor.h"
#include "util/json.h"

void verdict_add_json(cJSON *root, const struct verdict *v)
{
    const struct gpu_memory *m = &v->memory;
    cJSON *mem = cJSON_AddObjectToObject(root, "gpu_memory");
    json_add_u64(mem, "usable_bytes", m->usable_bytes);
    json_add_str(mem, "limited_by", m->limited_by);
    if (m->gpu >= 0)
        cJSON_AddNumberToObject(mem, "gpu", m->gpu);
    else
        cJSON_AddNullToObject(mem, "gpu");
    json_add_u64(mem, "vram_bytes", m->vram_bytes);
    json_add_u64(mem, "gtt_bytes", m->gtt_bytes);
    json_add_u64(mem, "ttm_bytes", m->ttm_bytes);
    json_add_u64(mem, "ram_bytes", m->ram_bytes);

    cJSON *arr = cJSON_AddArrayToObject(root, "findings");
    for (size_t i = 0; i < v->n_findings; i++) {
        const struct finding *fi = &v->findings[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", fi->id);
        cJSON_AddStringToObject(o, "severity", severity_name(fi->severity));
        cJSON_AddStringToObject(o, "message", fi->message);
        json_add_str(o, "fix", fi->fix);
        cJSON_AddItemToArray(arr, o);
    }

    const struct recommendation *r = &v->recommendation;
    cJSON *rec = cJSON_AddObjectToObject(root, "recommendation");
    json_add_str(rec, "recipe", r->recipe);
    json_add_str(rec, "backend", r->backend);
    cJSON *reasons = cJSON_AddArrayToObject(rec, "reasons");
    for (size_t i = 0; i < r->n_reasons; i++)
        cJSON_AddItemToArray(reasons, cJSON_CreateString(r->reasons[i]));
}
