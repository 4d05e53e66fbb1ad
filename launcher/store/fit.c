#include "util/common.h"

#include <cjson/cJSON.h>

#include "store/fit.h"

/* llama.cpp's default micro-batch: the compute buffers are sized for it. */
#define UBATCH 512

const char *kv_type_name(enum kv_type t)
{
    static const char *const names[] = {"f16", "q8_0", "q4_0"};
    return names[t];
}

int kv_type_from_name(const char *s, enum kv_type *out)
{
    for (int t = KV_F16; t <= KV_Q4_0; t++) {
        if (!strcasecmp(s, kv_type_name((enum kv_type)t))) {
            *out = (enum kv_type)t;
            return 0;
        }
    }
    return -1;
}

/* Bytes of the cache for `bytes_f16` bytes of f16 values: Q8_0 stores 32
 * values in 34 bytes, Q4_0 in 18, f16 in 64. */
static uint64_t kv_scale(uint64_t bytes_f16, enum kv_type kv)
{
    switch (kv) {
    case KV_Q8_0:
        return bytes_f16 / 64 * 34;
    case KV_Q4_0:
        return bytes_f16 / 64 * 18;
    default:
        return bytes_f16;
    }
}

static bool get(const cJSON *o, const char *key, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0)
        return false;
    *out = (uint64_t)v->valuedouble;
    return true;
}

int fit_model_from_summary(const cJSON *summary, const char *name, struct fit_model *m,
                           struct hb_error *err)
{
    memset(m, 0, sizeof(*m));
    if (!cJSON_IsObject(summary) || !get(summary, "data_bytes", &m->weight_bytes) ||
        !get(summary, "layers", &m->layers) || !get(summary, "embedding", &m->embedding))
        return hb_error_set(err, EXIT_INPUT,
                            "%s: the model's metadata lacks its size or shape, so its memory "
                            "cannot be computed",
                            name);
    get(summary, "context_length", &m->context_length);
    get(summary, "feed_forward", &m->feed_forward);
    get(summary, "expert_feed_forward", &m->expert_ff);
    get(summary, "experts_used", &m->experts_used);
    get(summary, "vocab_size", &m->vocab);
    get(summary, "kv_bytes_per_token", &m->kv_bytes_per_token);
    get(summary, "sliding_window", &m->sliding_window);
    uint64_t swa_layers = 0, attn_layers = 0;
    if (m->sliding_window && get(summary, "swa_layers", &swa_layers) &&
        get(summary, "attention_layers", &attn_layers) && attn_layers)
        m->swa_kv_bytes_per_token = m->kv_bytes_per_token / attn_layers * swa_layers;
    return 0;
}

/* The compute reserve for one micro-batch of UBATCH tokens, as llama.cpp's
 * graph allocator sizes it with flash attention on (measured against the
 * buffer sizes llama-server logs, on dense and MoE models from 7 M to 30 B
 * parameters: tests/blackbox/46-fit-engine.sh):
 *  - the attention mask, f16, UBATCH x ctx, once on the GPU and once on the
 *    host;
 *  - the feed-forward activations, three f32 tensors UBATCH x ff wide (ff:
 *    the dense width, or experts used x expert width for MoE);
 *  - the embedding-wide activations, four f32 tensors UBATCH x embd on the
 *    GPU and as many on the host;
 *  - the output logits, f32, one row per parallel sequence (llama-server
 *    serves four by default). */
#define PARALLEL_SEQS 4

static uint64_t compute_reserve(const struct fit_model *m, uint64_t ctx)
{
    uint64_t ff = m->feed_forward;
    if (m->expert_ff && m->experts_used)
        ff = m->expert_ff * m->experts_used;
    uint64_t mask = (uint64_t)UBATCH * ctx * 2;
    return 2 * mask + (uint64_t)UBATCH * 12 * ff + (uint64_t)UBATCH * 32 * m->embedding +
           (uint64_t)PARALLEL_SEQS * 4 * m->vocab;
}

void fit_compute(const struct fit_model *m, uint64_t ctx, enum kv_type kv, struct fit_result *r)
{
    memset(r, 0, sizeof(*r));
    r->ctx = ctx;
    r->kv = kv;
    r->weights = m->weight_bytes;
    /* Sliding-window layers keep only the window (plus the micro-batch). */
    uint64_t full = m->kv_bytes_per_token - m->swa_kv_bytes_per_token;
    uint64_t swa_tokens = m->sliding_window + UBATCH < ctx ? m->sliding_window + UBATCH : ctx;
    r->kv_cache = kv_scale(full * ctx + m->swa_kv_bytes_per_token * swa_tokens, kv);
    r->compute = compute_reserve(m, ctx);
    r->total = r->weights + r->kv_cache + r->compute;
}

uint64_t fit_largest_ctx(const struct fit_model *m, enum kv_type kv, uint64_t usable)
{
    uint64_t max = m->context_length ? m->context_length : 131072;
    uint64_t lo = 0, hi = max / 256;
    struct fit_result r;
    while (lo < hi) {
        uint64_t mid = (lo + hi + 1) / 2;
        fit_compute(m, mid * 256, kv, &r);
        if (r.total <= usable)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo * 256;
}
