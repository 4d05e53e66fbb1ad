/* Memory fit: will a model, with a context of N tokens and a KV cache type,
 * fit in the memory the GPU can use? Weights (all layers on the GPU), the
 * KV cache (per layer with attention, per KV head and head dimension,
 * sliding-window layers capped at their window), and a compute reserve
 * for one micro-batch, the way llama.cpp allocates them. */
#ifndef HALOBOX_FIT_H
#define HALOBOX_FIT_H

#include "util/common.h"
#include "util/error.h"
#include "util/optional.h"

struct cJSON;

enum kv_type { KV_F16, KV_Q8_0, KV_Q4_0 };

/* "f16", "q8_0", "q4_0" */
const char *kv_type_name(enum kv_type t);
int kv_type_from_name(const char *s, enum kv_type *out);

/* What the fit needs of a model, read from its summary (model_summary.h). */
struct fit_model {
    uint64_t weight_bytes;
    uint64_t context_length; /* trained */
    uint64_t layers;
    uint64_t embedding;
    uint64_t feed_forward; /* dense FFN (the largest) */
    uint64_t expert_ff;    /* 0 for dense models */
    uint64_t experts_used;
    uint64_t vocab;
    uint64_t kv_bytes_per_token;     /* f16, all layers with attention */
    uint64_t swa_kv_bytes_per_token; /* the part of it in sliding-window layers */
    uint64_t sliding_window;
};

int fit_model_from_summary(const struct cJSON *summary, const char *name, struct fit_model *m,
                           struct hb_error *err);

struct fit_result {
    uint64_t ctx;
    enum kv_type kv;
    uint64_t weights;
    uint64_t kv_cache;
    uint64_t compute;
    uint64_t total;
};

/* The memory for a context of ctx tokens (the micro-batch is llama.cpp's
 * default of 512). */
void fit_compute(const struct fit_model *m, uint64_t ctx, enum kv_type kv, struct fit_result *r);

/* The largest context (a multiple of 256, at most the trained context) that
 * fits in `usable` bytes with this KV type; 0 when not even 256 tokens
 * fit. */
uint64_t fit_largest_ctx(const struct fit_model *m, enum kv_type kv, uint64_t usable);

#endif
