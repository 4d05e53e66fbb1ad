/* Synthetic models: random weights in the shapes (and tensor types) of real
 * ones, with a minimal real tokenizer, that llama.cpp loads and runs. They
 * are what tests and benchmarks use on machines that cannot download a
 * model. Written in one streamed pass, deterministic for a seed. */
#ifndef HALOBOX_SYNTH_H
#define HALOBOX_SYNTH_H

#include "util/common.h"
#include "util/error.h"

enum synth_arch {
    SYNTH_ARCH_LLAMA,    /* dense */
    SYNTH_ARCH_QWEN3MOE, /* mixture of experts */
};

/* What the weight matrices are stored as; norms and the MoE router are
 * always F32. Q4_K_M is llama-quantize's mix for that file type (Q4_K,
 * with Q6_K for the output and for attn_v and ffn_down in half of the
 * layers), so a preset's size matches the real file's. */
enum synth_type {
    SYNTH_TYPE_F32,
    SYNTH_TYPE_F16,
    SYNTH_TYPE_Q8_0,
    SYNTH_TYPE_Q4_K,
    SYNTH_TYPE_Q4_K_M,
};

/* Every field can come from a command-line flag. For llama, n_ff is the
 * feed-forward size; for qwen3moe the experts' size is n_ff_exp (n_ff is
 * written to the metadata only). */
struct synth_shape {
    enum synth_arch arch;
    enum synth_type type;
    const char *name; /* general.name; NULL: "synthetic <arch>" */
    uint32_t n_layers;
    uint32_t n_embd;
    uint32_t n_ff;
    uint32_t n_head;
    uint32_t n_head_kv;
    uint32_t head_dim;
    uint32_t n_expert;      /* qwen3moe */
    uint32_t n_expert_used; /* qwen3moe */
    uint32_t n_ff_exp;      /* qwen3moe */
    uint32_t n_vocab;       /* at least 259: <unk> <s> </s> and 256 byte tokens */
    uint32_t n_ctx;         /* trained context */
    float rope_freq_base;
    float rms_eps;
    bool rope_freqs; /* Llama 3.1's rope_freqs.weight (written as ones) */
};

/* Presets: "tiny" (llama, Q8_0, ~8 MB), "tiny-moe" (qwen3moe, Q4_K, ~7 MB),
 * "llama-3.1-8b" and "qwen3-30b-a3b" (the real models' shapes and Q4_K_M
 * tensor types, 4.9 and 18.6 GB). Returns -1 for an unknown name. */
int synth_preset(const char *name, struct synth_shape *out);
/* The preset names, in order; NULL past the end. */
const char *synth_preset_at(size_t i);

const char *synth_arch_name(enum synth_arch a);
int synth_arch_from_name(const char *name, enum synth_arch *out);
const char *synth_type_name(enum synth_type t); /* "q4_k_m" */
int synth_type_from_name(const char *name, enum synth_type *out);

/* Checks that llama.cpp can load a model of this shape. */
int synth_validate(const struct synth_shape *s, struct hb_error *err);

struct synth_tensor {
    char name[64];
    uint32_t n_dims;
    uint64_t ne[4];
    uint32_t type; /* enum ggml_type */
    int kind;      /* what its values look like (synth.c) */
    uint64_t n_elements;
    uint64_t n_bytes;
};

/* What would be written, without writing it. */
struct synth_plan {
    struct synth_tensor *tensors; /* in file order */
    size_t n_tensors;
    uint32_t file_type; /* general.file_type */
    uint64_t n_params;
    uint64_t data_bytes;
    uint64_t file_bytes; /* exact size of the file */
};

int synth_plan_make(const struct synth_shape *s, struct synth_plan *p, struct hb_error *err);
void synth_plan_release(struct synth_plan *p);

/* Called after each tensor with the bytes written so far and the total. */
typedef void (*synth_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* Writes the model to path (atomically: path.tmp-PID, then renamed). Same
 * shape and seed, same bytes. */
int synth_write(const struct synth_shape *s, const char *path, uint64_t seed, struct hb_error *err);
int synth_write_progress(const struct synth_shape *s, const char *path, uint64_t seed,
                         synth_progress_fn fn, void *ctx, struct hb_error *err);

#endif
