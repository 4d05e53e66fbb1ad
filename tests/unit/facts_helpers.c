#include "util/common.h"

#include <cjson/cJSON.h>

#include "facts_helpers.h"
#include "test.h"

void facts_from(struct facts *f, const char *json)
{
    facts_init(f);
    cJSON *root = cJSON_Parse(json);
    struct hb_error err = HB_ERROR_INIT;
    if (!root || facts_from_json(f, root, "test", &err) < 0)
        test_fail(__FILE__, __LINE__, "bad test facts: %s", err.msg ? err.msg : "not JSON");
    hb_error_release(&err);
    cJSON_Delete(root);
    facts_derive(f);
}
