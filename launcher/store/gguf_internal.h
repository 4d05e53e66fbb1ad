/* Shared between the GGUF reader's files; not part of the API. */
#ifndef HALOBOX_GGUF_INTERNAL_H
#define HALOBOX_GGUF_INTERNAL_H

#include "store/gguf.h"

/* Fills m->s from the metadata and tensors (gguf_summary.c). */
int gguf_summary_build(struct gguf_model *m, struct hb_error *err);
void gguf_summary_release(struct gguf_summary *s);
/* Fills m->type_stats from the tensors. */
void gguf_stats_build(struct gguf_model *m);

/* One file's own metadata, before it is merged into the model's. */
struct gguf_shard_meta {
    struct gguf_kv *kv;
    size_t n_kv;
};
void gguf_shard_meta_release(struct gguf_shard_meta *sm);

/* Reads one file's header into sh, sm (its metadata) and m->tensors
 * (gguf_read.c); names holds the tensor names seen so far. */
int gguf_read_shard(struct gguf_model *m, size_t *tensors_alloc, struct gguf_nameset *names,
                    struct gguf_shard *sh, unsigned shard_no, struct gguf_shard_meta *sm,
                    struct hb_error *err);
const struct gguf_kv *gguf_kv_lookup(const struct gguf_kv *kv, size_t n, const char *key);
void gguf_kv_release(struct gguf_kv *kv);

#endif
