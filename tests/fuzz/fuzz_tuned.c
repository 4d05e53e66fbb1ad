/* libFuzzer target: reading a tuned-settings file (bench/tuned.h), which run
 * and serve read on every start; then writing its settings back. */
#include "util/common.h"

#include <cjson/cJSON.h>

#include "bench/tuned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tuned_entry e;
    struct hb_error err = HB_ERROR_INIT;
    if (tuned_parse((const char *)data, size, "fuzz", &e, &err) == 0) {
        cJSON *o = tune_config_to_json(&e.settings);
        cJSON_Delete(o);
        tuned_entry_release(&e);
    }
    hb_error_release(&err);
    return 0;
}
