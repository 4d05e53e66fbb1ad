/* The few facts about a model that listing, fitting and planning need,
 * taken from its GGUF headers once (when it enters the store) and kept in
 * its reference, so `models ls` never reopens a model file. */
#ifndef HALOBOX_MODEL_SUMMARY_H
#define HALOBOX_MODEL_SUMMARY_H

#include "store/gguf.h"

struct cJSON;

/* A JSON object: architecture, name, parameters, file_type, types (the
 * tensor type histogram), context_length, layers, embedding, feed_forward,
 * heads, kv_heads, head_dim_k/v, experts, experts_used, expert_feed_forward,
 * sliding_window, swa_layers, attention_layers, recurrent, vocab_size,
 * tokenizer, tensors, shards, data_bytes, total_bytes, kv_bytes_per_token
 * (f16 K and V over the layers with attention). Unknown values are null. */
struct cJSON *model_summary_json(const struct gguf_model *m);

/* "8.0B", "30.5B", "357M" */
void format_params(char *buf, size_t size, uint64_t params);

#endif
