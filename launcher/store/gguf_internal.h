/* Shared between the GGUF reader's files; not part of the API. */
#ifndef HALOBOX_GGUF_INTERNAL_H
#define HALOBOX_GGUF_INTERNAL_H

#include "store/gguf.h"

/* Fills m->s from the metadata and tensors (gguf_summary.c). */
int gguf_summary_build(struct gguf_model *m, struct hb_error *err);
void gguf_summary_release(struct gguf_summary *s);
/* Fills m->type_stats from the tensors. */
void gguf_stats_build(struct gguf_model *m);

#endif
