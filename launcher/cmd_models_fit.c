/* halobox models fit: whether a model fits the memory this host's GPU can
 * use, by how much, and what would fit. */
#include "util/common.h"

#include <cjson/cJSON.h>

#include "cmd_models.h"
#include "store/fit.h"
#include "store/model_summary.h"
#include "util/json.h"

static const char usage_fit[] =
    "usage: halobox models fit NAME|FILE [--ctx N] [--kv-type f16|q8_0|q4_0] [--facts FILE]\n"
    "                          [--json] [--store DIR]\n"
    "\n"
    "Add up what llama.cpp allocates for the model with all layers on the GPU:\n"
    "the weights, the KV cache for N tokens (only the layers with attention;\n"
    "sliding-window layers hold their window) and the compute reserve, and\n"
    "compare it with the memory the GPU can use (from 'halobox inspect', or a\n"
    "saved facts file). Says by how much it fits or not, and the largest\n"
    "context that fits with each KV cache type.\n"
    "\n"
    "  --ctx N        the context in tokens (default: the model's trained context)\n"
    "  --kv-type T    f16 (default), q8_0 or q4_0\n"
    "  --facts FILE   use a saved facts file instead of probing this host\n"
    "\n"
    "Exit status: 0 when it fits, 1 when it does not, 2 usage, 3 bad input.\n";

/* Headroom left to the OS when there is no GPU and the model runs in RAM. */
#define CPU_HEADROOM (4 * GIB)

static void add_size(struct strbuf *sb, uint64_t bytes)
{
    if (bytes >= GIB)
        strbuf_addf(sb, "%.2f GiB", (double)bytes / (double)GIB);
    else
        strbuf_addf(sb, "%.1f MiB", (double)bytes / (double)MIB);
}

/* The model's summary: from its reference in the store, or read now. */
static cJSON *load_summary(const struct models_options *o, const char *what, char **label,
                           struct hb_error *err)
{
    struct gguf_model m;
    struct store_ref ref;
    if (models_open(o, what, &m, &ref, err) < 0) {
        gguf_close(&m);
        return NULL;
    }
    cJSON *summary = ref.summary ? cJSON_Duplicate(ref.summary, true) : model_summary_json(&m);
    *label = xstrdup(ref.name ? ref.name : m.path);
    store_ref_release(&ref);
    gguf_close(&m);
    return summary;
}

int cmd_models_fit(int argc, char **argv)
{
    struct models_options o;
    int done = models_parse("fit", usage_fit, MO_JSON | MO_STORE | MO_CTX | MO_KV_TYPE | MO_FACTS,
                            argc, argv, &o);
    if (done >= 0)
        return done;
    if (o.n_args != 1)
        return usage_error("models fit", "give one model name or file");
    enum kv_type kv = KV_F16;
    if (o.kv_type && kv_type_from_name(o.kv_type, &kv) < 0)
        return usage_error("models fit", "--kv-type takes f16, q8_0 or q4_0, not '%s'", o.kv_type);

    struct hb_error err = HB_ERROR_INIT;
    char *label = NULL;
    int rc = EXIT_OK;
    struct facts f;
    facts_init(&f);
    struct verdict v = {0};
    cJSON *summary = load_summary(&o, o.args[0], &label, &err);
    struct fit_model fm;
    if (!summary || fit_model_from_summary(summary, label, &fm, &err) < 0 ||
        facts_acquire(o.facts, false, &f, &err) < 0) {
        rc = report_error(&err);
        goto out;
    }
    doctor_evaluate(&f, &v);

    /* The budget: what the GPU can use, else (no GPU) RAM less headroom. */
    uint64_t usable = 0;
    const char *budget_from;
    if (v.memory.usable_bytes.known) {
        usable = v.memory.usable_bytes.v;
        budget_from = v.memory.limited_by ? v.memory.limited_by : "gpu";
    } else if (f.memory.total_bytes.known && f.memory.total_bytes.v > CPU_HEADROOM) {
        usable = f.memory.total_bytes.v - CPU_HEADROOM;
        budget_from = "ram";
    } else {
        hb_error_set(&err, EXIT_INPUT, "the memory this host can give a model is unknown%s%s",
                     o.facts ? " in " : "", o.facts ? o.facts : "");
        rc = report_error(&err);
        goto out;
    }
    uint64_t ctx = o.ctx ? o.ctx : fm.context_length ? fm.context_length : 4096;
    struct fit_result r;
    fit_compute(&fm, ctx, kv, &r);
    bool fits = r.total <= usable;
    uint64_t largest[3];
    for (int t = KV_F16; t <= KV_Q4_0; t++)
        largest[t] = fit_largest_ctx(&fm, (enum kv_type)t, usable);

    if (o.json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "model", label);
        cJSON_AddNumberToObject(root, "usable_bytes", (double)usable);
        cJSON_AddStringToObject(root, "limited_by", budget_from);
        cJSON_AddNumberToObject(root, "ctx", (double)ctx);
        cJSON_AddStringToObject(root, "kv_type", kv_type_name(kv));
        cJSON_AddNumberToObject(root, "weights_bytes", (double)r.weights);
        cJSON_AddNumberToObject(root, "kv_bytes", (double)r.kv_cache);
        cJSON_AddNumberToObject(root, "compute_bytes", (double)r.compute);
        cJSON_AddNumberToObject(root, "total_bytes", (double)r.total);
        cJSON_AddBoolToObject(root, "fits", fits);
        cJSON_AddNumberToObject(root, "margin_bytes",
                                fits ? (double)(usable - r.total) : -(double)(r.total - usable));
        cJSON *l = cJSON_AddObjectToObject(root, "largest_ctx");
        for (int t = KV_F16; t <= KV_Q4_0; t++)
            cJSON_AddNumberToObject(l, kv_type_name((enum kv_type)t), (double)largest[t]);
        if (write_json_stdout(root, &err) < 0)
            rc = report_error(&err);
        cJSON_Delete(root);
    } else {
        struct strbuf out = STRBUF_INIT;
        strbuf_addf(&out, "%s, %llu tokens of context, KV cache %s\n", label,
                    (unsigned long long)ctx, kv_type_name(kv));
        strbuf_addstr(&out, "  weights   ");
        add_size(&out, r.weights);
        strbuf_addstr(&out, "\n  KV cache  ");
        add_size(&out, r.kv_cache);
        strbuf_addstr(&out, "\n  compute   ");
        add_size(&out, r.compute);
        strbuf_addstr(&out, "\n  total     ");
        add_size(&out, r.total);
        strbuf_addf(&out, "\n  available ");
        add_size(&out, usable);
        strbuf_addf(&out, " (%s%s)\n",
                    !strcmp(budget_from, "ram") ? "RAM less 4 GiB, no GPU" : "GPU, limited by ",
                    !strcmp(budget_from, "ram") ? "" : budget_from);
        if (fits) {
            strbuf_addstr(&out, "fits, with ");
            add_size(&out, usable - r.total);
            strbuf_addstr(&out, " to spare\n");
        } else {
            strbuf_addstr(&out, "does NOT fit: short by ");
            add_size(&out, r.total - usable);
            strbuf_addch(&out, '\n');
        }
        strbuf_addstr(&out, "largest context that fits:");
        for (int t = KV_F16; t <= KV_Q4_0; t++)
            strbuf_addf(&out, " %s %llu%s", kv_type_name((enum kv_type)t),
                        (unsigned long long)largest[t], t < KV_Q4_0 ? "," : "\n");
        if (!fits && !largest[KV_Q4_0]) {
            struct fit_result bare;
            fit_compute(&fm, 256, KV_Q4_0, &bare);
            uint64_t room =
                usable > bare.total - bare.weights ? usable - (bare.total - bare.weights) : 0;
            uint64_t params = 0;
            const cJSON *p = cJSON_GetObjectItemCaseSensitive(summary, "parameters");
            if (cJSON_IsNumber(p))
                params = (uint64_t)p->valuedouble;
            if (params && room)
                strbuf_addf(&out,
                            "the weights alone do not fit: a quantisation of at most %.1f bits "
                            "per weight would (this file has %.1f)\n",
                            (double)room * 8 / (double)params,
                            (double)r.weights * 8 / (double)params);
            else
                strbuf_addstr(&out, "the weights alone do not fit\n");
        } else if (!fits) {
            strbuf_addf(&out, "use --ctx %llu, or a smaller KV cache type\n",
                        (unsigned long long)(largest[kv] ? largest[kv] : 256));
        }
        if (write_stdout(&out, &err) < 0)
            rc = report_error(&err);
        strbuf_release(&out);
    }
    if (rc == EXIT_OK && !fits)
        rc = EXIT_FINDING_ERROR;
out:
    verdict_release(&v);
    facts_release(&f);
    cJSON_Delete(summary);
    free(label);
    hb_error_release(&err);
    return rc;
}
