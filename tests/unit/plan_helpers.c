#include "util/common.h"

#include <cjson/cJSON.h>

#include "plan_helpers.h"
#include "test.h"

const char llama8b_summary[] =
    "{\"data_bytes\":4920734720,\"layers\":32,\"embedding\":4096,\"context_length\":131072,"
    "\"feed_forward\":14336,\"vocab_size\":128256,\"kv_bytes_per_token\":131072,"
    "\"attention_layers\":32,\"swa_layers\":0}";

bool llama8b_fit(struct fit_model *m)
{
    cJSON *summary = cJSON_Parse(llama8b_summary);
    struct hb_error err = HB_ERROR_INIT;
    bool ok = fit_model_from_summary(summary, "llama-3.1-8b", m, &err) == 0;
    if (!ok)
        test_fail(__FILE__, __LINE__, "bad summary: %s", err.msg ? err.msg : "not JSON");
    cJSON_Delete(summary);
    hb_error_release(&err);
    return ok;
}

void built_release(struct built *b)
{
    plan_release(&b->plan);
    verdict_release(&b->verdict);
    facts_release(&b->facts);
    hb_error_release(&b->err);
}
