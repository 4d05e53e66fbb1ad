#include "util/common.h"

#include <cjson/cJSON.h>

#include "store/model_summary.h"
#include "util/json.h"

void format_params(char *buf, size_t size, uint64_t params)
{
    if (params >= 1000000000ULL)
        snprintf(buf, size, "%.1fB", (double)params / 1e9);
    else if (params >= 1000000ULL)
        snprintf(buf, size, "%.0fM", (double)params / 1e6);
    else
        snprintf(buf, size, "%lluK", (unsigned long long)((params + 999) / 1000));
}

/* Bytes of K and V cache per token at f16, summed over the layers that have
 * attention (per-layer KV heads where the metadata gives them). */
static opt_u64 kv_bytes_per_token(const struct gguf_summary *s)
{
    if (!s->n_layers.known || !s->head_dim_k.known || !s->head_dim_v.known)
        return (opt_u64){0};
    uint64_t per_head = (s->head_dim_k.v + s->head_dim_v.v) * 2; /* f16 */
    uint64_t total = 0;
    for (uint64_t l = 0; l < s->n_layers.v; l++) {
        if (s->attn_layers && !s->attn_layers[l])
            continue;
        uint64_t heads = s->head_kv_per_layer ? s->head_kv_per_layer[l]
                         : s->n_head_kv.known ? s->n_head_kv.v
                                              : 0;
        total += heads * per_head;
    }
    return total ? OPT_U64(total) : (opt_u64){0};
}

cJSON *model_summary_json(const struct gguf_model *m)
{
    const struct gguf_summary *s = &m->s;
    cJSON *o = cJSON_CreateObject();
    json_add_str(o, "architecture", s->arch);
    json_add_str(o, "name", s->name);
    json_add_u64(o, "parameters", OPT_U64(m->n_params));
    json_add_str(o, "file_type", s->file_type_name);
    json_add_u64(o, "file_type_id", s->file_type);
    cJSON *types = cJSON_AddObjectToObject(o, "types");
    for (size_t i = 0; i < m->n_type_stats; i++) {
        const struct gguf_type_info *t = gguf_tensor_type(m->type_stats[i].type);
        cJSON *row = cJSON_AddObjectToObject(types, t ? t->name : "unknown");
        cJSON_AddNumberToObject(row, "tensors", (double)m->type_stats[i].tensors);
        cJSON_AddNumberToObject(row, "bytes", (double)m->type_stats[i].bytes);
    }
    json_add_u64(o, "context_length", s->context_length);
    json_add_u64(o, "layers", s->n_layers);
    json_add_u64(o, "embedding", s->n_embd);
    json_add_u64(o, "feed_forward", s->n_ff);
    json_add_u64(o, "heads", s->n_head);
    json_add_u64(o, "kv_heads", s->n_head_kv);
    json_add_u64(o, "head_dim_k", s->head_dim_k);
    json_add_u64(o, "head_dim_v", s->head_dim_v);
    json_add_u64(o, "experts", s->n_expert);
    json_add_u64(o, "experts_used", s->n_expert_used);
    json_add_u64(o, "expert_feed_forward", s->n_ff_exp);
    json_add_u64(o, "sliding_window", s->sliding_window);
    json_add_u64(o, "swa_layers", s->n_swa_layers);
    json_add_u64(o, "attention_layers", s->n_attn_layers);
    cJSON_AddBoolToObject(o, "recurrent", s->recurrent);
    json_add_u64(o, "vocab_size", s->vocab_size);
    json_add_str(o, "tokenizer", s->tokenizer);
    json_add_u64(o, "tensors", OPT_U64(m->n_tensors));
    json_add_u64(o, "shards", OPT_U64(m->n_shards));
    json_add_u64(o, "data_bytes", OPT_U64(m->data_bytes));
    json_add_u64(o, "total_bytes", OPT_U64(m->total_bytes));
    json_add_u64(o, "kv_bytes_per_token", kv_bytes_per_token(s));
    return o;
}
