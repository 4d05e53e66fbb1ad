/* libFuzzer target: reading a facts file (a user's report is outside data)
 * and judging it. */
#include "util/common.h"

#include <cjson/cJSON.h>

#include "doctor.h"
#include "facts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *root = cJSON_ParseWithLength((const char *)data, size);
    if (!root)
        return 0;
    struct facts f;
    facts_init(&f);
    struct hb_error err = HB_ERROR_INIT;
    if (facts_from_json(&f, root, "fuzz", &err) == 0) {
        facts_derive(&f);
        struct verdict v;
        doctor_evaluate(&f, &v);
        cJSON *out = facts_to_json(&f);
        verdict_add_json(out, &v);
        cJSON_Delete(out);
        verdict_release(&v);
    }
    hb_error_release(&err);
    facts_release(&f);
    cJSON_Delete(root);
    return 0;
}
