#include "util/common.h"

#include "store/gguf.h"
#include "store/synth.h"
#include "util/strbuf.h"

/* What llama.cpp needs to load and run these files, and where it says so:
 * - hyperparameter keys and their exact value types (UINT32 for counts and
 *   lengths, FLOAT32 for epsilons and frequencies): llama-model.cpp
 *   load_hparams, measured with Debian sid's build (ENVIRONMENT.md);
 * - tensor names and shapes: llama-model.cpp load_tensors for LLM_ARCH_LLAMA
 *   and LLM_ARCH_QWEN3MOE (research/ENGINE.md section 6);
 * - rope.dimension_count equal to the head size for llama;
 * - an SPM ("llama") vocabulary with <unk>, <s>, </s> and the 256 byte
 *   tokens, which llama-server needs to serve completions (ENVIRONMENT.md).
 * Tensor types of the Q4_K_M mix and the tensor order follow llama-quantize
 * (src/llama-quant.cpp: llama_tensor_get_type_impl; tensors sorted by layer
 * number, then name, as llama_model_loader's weight_name_comparer does). */

enum kind {
    KIND_WEIGHT, /* small random values around zero */
    KIND_NORM,   /* RMS norm weights: about 1.0 */
    KIND_ROUTER, /* MoE router: gaussian, so tokens spread over the experts */
    KIND_ONES,   /* exactly 1.0 (rope_freqs: no frequency scaling) */
};

/* ---- presets ---- */

static const struct {
    const char *name;
    struct synth_shape shape;
} presets[] = {
    {"tiny",
     {.arch = SYNTH_ARCH_LLAMA,
      .type = SYNTH_TYPE_Q8_0,
      .name = "synthetic tiny",
      .n_layers = 4,
      .n_embd = 256,
      .n_ff = 768,
      .n_head = 4,
      .n_head_kv = 2,
      .head_dim = 64,
      .n_vocab = 8192,
      .n_ctx = 4096,
      .rope_freq_base = 10000.0f,
      .rms_eps = 1e-5f}},
    {"tiny-moe",
     {.arch = SYNTH_ARCH_QWEN3MOE,
      .type = SYNTH_TYPE_Q4_K,
      .name = "synthetic tiny-moe",
      .n_layers = 4,
      .n_embd = 256,
      .n_ff = 768,
      .n_head = 4,
      .n_head_kv = 2,
      .head_dim = 64,
      .n_expert = 8,
      .n_expert_used = 2,
      .n_ff_exp = 256,
      .n_vocab = 8192,
      .n_ctx = 4096,
      .rope_freq_base = 1000000.0f,
      .rms_eps = 1e-6f}},
    /* meta-llama/Llama-3.1-8B config.json; rope_freqs.weight as its GGUF
     * conversion writes it (292 tensors) */
    {"llama-3.1-8b",
     {.arch = SYNTH_ARCH_LLAMA,
      .type = SYNTH_TYPE_Q4_K_M,
      .name = "synthetic Llama-3.1-8B",
      .n_layers = 32,
      .n_embd = 4096,
      .n_ff = 14336,
      .n_head = 32,
      .n_head_kv = 8,
      .head_dim = 128,
      .n_vocab = 128256,
      .n_ctx = 131072,
      .rope_freq_base = 500000.0f,
      .rms_eps = 1e-5f,
      .rope_freqs = true}},
    /* Qwen/Qwen3-30B-A3B config.json (579 tensors) */
    {"qwen3-30b-a3b",
     {.arch = SYNTH_ARCH_QWEN3MOE,
      .type = SYNTH_TYPE_Q4_K_M,
      .name = "synthetic Qwen3-30B-A3B",
      .n_layers = 48,
      .n_embd = 2048,
      .n_ff = 6144,
      .n_head = 32,
      .n_head_kv = 4,
      .head_dim = 128,
      .n_expert = 128,
      .n_expert_used = 8,
      .n_ff_exp = 768,
      .n_vocab = 151936,
      .n_ctx = 40960,
      .rope_freq_base = 1000000.0f,
      .rms_eps = 1e-6f}},
};

int synth_preset(const char *name, struct synth_shape *out)
{
    for (size_t i = 0; i < ARRAY_SIZE(presets); i++) {
        if (strcasecmp(presets[i].name, name) == 0) {
            *out = presets[i].shape;
            return 0;
        }
    }
    return -1;
}

const char *synth_preset_at(size_t i)
{
    return i < ARRAY_SIZE(presets) ? presets[i].name : NULL;
}

static const char *const arch_names[] = {
    [SYNTH_ARCH_LLAMA] = "llama", [SYNTH_ARCH_QWEN3MOE] = "qwen3moe"};
static const char *const type_names[] = {
    [SYNTH_TYPE_F32] = "f32",   [SYNTH_TYPE_F16] = "f16",       [SYNTH_TYPE_Q8_0] = "q8_0",
    [SYNTH_TYPE_Q4_K] = "q4_k", [SYNTH_TYPE_Q4_K_M] = "q4_k_m",
};

const char *synth_arch_name(enum synth_arch a)
{
    return (unsigned)a < ARRAY_SIZE(arch_names) ? arch_names[a] : "unknown";
}

int synth_arch_from_name(const char *name, enum synth_arch *out)
{
    for (size_t i = 0; i < ARRAY_SIZE(arch_names); i++) {
        if (strcasecmp(arch_names[i], name) == 0) {
            *out = (enum synth_arch)i;
            return 0;
        }
    }
    return -1;
}

const char *synth_type_name(enum synth_type t)
{
    return (unsigned)t < ARRAY_SIZE(type_names) ? type_names[t] : "unknown";
}

int synth_type_from_name(const char *name, enum synth_type *out)
{
    for (size_t i = 0; i < ARRAY_SIZE(type_names); i++) {
        if (strcasecmp(type_names[i], name) == 0) {
            *out = (enum synth_type)i;
            return 0;
        }
    }
    return -1;
}

/* ---- validation ---- */

#define SPECIAL_TOKENS 259 /* <unk> <s> </s> <0x00>..<0xFF> */

int synth_validate(const struct synth_shape *s, struct hb_error *err)
{
    const char *a = synth_arch_name(s->arch);
    if ((unsigned)s->arch >= ARRAY_SIZE(arch_names))
        return hb_error_set(err, EXIT_USAGE, "unknown architecture %d", (int)s->arch);
    if ((unsigned)s->type >= ARRAY_SIZE(type_names))
        return hb_error_set(err, EXIT_USAGE, "unknown tensor type %d", (int)s->type);
    /* llama.cpp: LLAMA_MAX_LAYERS 512, LLAMA_MAX_EXPERTS 512 */
    if (s->n_layers < 1 || s->n_layers > 512)
        return hb_error_set(err, EXIT_USAGE, "layers must be 1 to 512, not %u", s->n_layers);
    if (s->n_embd < 1 || s->n_head < 1 || s->n_head_kv < 1 || s->head_dim < 1 || s->n_ctx < 1)
        return hb_error_set(err, EXIT_USAGE,
                            "embedding, heads, KV heads, head size and context must be positive");
    if (s->n_head % s->n_head_kv)
        return hb_error_set(err, EXIT_USAGE,
                            "heads (%u) must be a multiple of KV heads (%u): llama.cpp groups "
                            "query heads over KV heads",
                            s->n_head, s->n_head_kv);
    if (s->head_dim % 2)
        return hb_error_set(err, EXIT_USAGE, "head size %u must be even (rotary embedding)",
                            s->head_dim);
    if (s->n_vocab < SPECIAL_TOKENS || s->n_vocab > (1u << 30))
        return hb_error_set(err, EXIT_USAGE,
                            "vocabulary must be %d to 2^30 tokens (the tokenizer alone has %d), "
                            "not %u",
                            SPECIAL_TOKENS, SPECIAL_TOKENS, s->n_vocab);
    if (!(s->rms_eps > 0.0f) || !(s->rope_freq_base > 0.0f))
        return hb_error_set(err, EXIT_USAGE, "epsilon and rope frequency base must be positive");
    if (s->arch == SYNTH_ARCH_LLAMA && s->n_ff < 1)
        return hb_error_set(err, EXIT_USAGE, "%s needs a feed-forward size", a);
    if (s->arch == SYNTH_ARCH_QWEN3MOE) {
        if (s->n_expert < 1 || s->n_expert > 512)
            return hb_error_set(err, EXIT_USAGE, "experts must be 1 to 512, not %u", s->n_expert);
        if (s->n_expert_used < 1 || s->n_expert_used > s->n_expert)
            return hb_error_set(err, EXIT_USAGE, "experts used must be 1 to %u, not %u",
                                s->n_expert, s->n_expert_used);
        if (s->n_ff_exp < 1)
            return hb_error_set(err, EXIT_USAGE, "%s needs an expert feed-forward size", a);
    }
    /* far beyond any real model; keeps every size below in 64 bits */
    uint64_t big = (uint64_t)s->n_embd * s->n_head * s->head_dim;
    if (s->n_embd > (1u << 20) || s->head_dim > 4096 || s->n_head > 4096 || big > (1ULL << 40) ||
        (uint64_t)s->n_embd * (s->n_ff > s->n_ff_exp ? s->n_ff : s->n_ff_exp) > (1ULL << 40))
        return hb_error_set(err, EXIT_USAGE, "shape too large");
    return 0;
}

/* ---- plan ---- */

struct tlist {
    struct synth_tensor *t;
    size_t n, alloc;
};

static struct synth_tensor *add_tensor(struct tlist *l, const char *name, int layer, int kind,
                                       uint32_t n_dims, uint64_t ne0, uint64_t ne1, uint64_t ne2)
{
    l->t = xgrow(l->t, l->n + 1, &l->alloc, sizeof(*l->t));
    struct synth_tensor *t = &l->t[l->n++];
    memset(t, 0, sizeof(*t));
    if (layer >= 0)
        snprintf(t->name, sizeof(t->name), "blk.%d.%s.weight", layer, name);
    else
        snprintf(t->name, sizeof(t->name), "%s.weight", name);
    t->kind = kind;
    t->n_dims = n_dims;
    t->ne[0] = ne0;
    t->ne[1] = n_dims > 1 ? ne1 : 1;
    t->ne[2] = n_dims > 2 ? ne2 : 1;
    t->ne[3] = 1;
    t->n_elements = t->ne[0] * t->ne[1] * t->ne[2];
    return t;
}

static int layer_of(const char *name)
{
    int l = -1;
    if (strncmp(name, "blk.", 4) == 0)
        l = atoi(name + 4);
    return l;
}

/* llama_model_loader's weight_name_comparer: by layer, then by name. */
static int cmp_tensor(const void *a, const void *b)
{
    const struct synth_tensor *x = a, *y = b;
    int lx = layer_of(x->name), ly = layer_of(y->name);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* llama-quant's use_more_bits: the first and last eighth of the layers and
 * every third one between get more bits in Q4_K_M. */
static bool use_more_bits(int i, int n)
{
    return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

static uint32_t base_type(enum synth_type t)
{
    switch (t) {
    case SYNTH_TYPE_F32:
        return GGML_TYPE_F32;
    case SYNTH_TYPE_F16:
        return GGML_TYPE_F16;
    case SYNTH_TYPE_Q8_0:
        return GGML_TYPE_Q8_0;
    default:
        return GGML_TYPE_Q4_K;
    }
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static uint32_t pick_type(const struct synth_shape *s, const struct synth_tensor *t, int *i_attn_v)
{
    if (t->kind != KIND_WEIGHT)
        return GGML_TYPE_F32;
    uint32_t type = base_type(s->type);
    if (s->type == SYNTH_TYPE_Q4_K_M) {
        int n = (int)s->n_layers;
        if (strcmp(t->name, "output.weight") == 0)
            type = GGML_TYPE_Q6_K;
        else if (ends_with(t->name, ".attn_v.weight"))
            type = use_more_bits((*i_attn_v)++, n) ? GGML_TYPE_Q6_K : GGML_TYPE_Q4_K;
        else if (strstr(t->name, ".ffn_down"))
            type = use_more_bits(layer_of(t->name), n) ? GGML_TYPE_Q6_K : GGML_TYPE_Q4_K;
    }
    /* llama-quant falls back to a type with smaller blocks when a row does
     * not split into whole blocks; Q8_0 and F16 are the ones written here */
    const struct gguf_type_info *ti = gguf_tensor_type(type);
    if (t->ne[0] % ti->block_size)
        type = t->ne[0] % 32 == 0 ? GGML_TYPE_Q8_0 : GGML_TYPE_F16;
    return type;
}

static uint32_t file_type_of(enum synth_type t)
{
    switch (t) {
    case SYNTH_TYPE_F32:
        return 0; /* ALL_F32 */
    case SYNTH_TYPE_F16:
        return 1; /* MOSTLY_F16 */
    case SYNTH_TYPE_Q8_0:
        return 7; /* MOSTLY_Q8_0 */
    case SYNTH_TYPE_Q4_K:
        return 14; /* MOSTLY_Q4_K_S: Q4_K throughout */
    default:
        return 15; /* MOSTLY_Q4_K_M */
    }
}

static void plan_tensors(const struct synth_shape *s, struct tlist *l)
{
    uint64_t e = s->n_embd, q = (uint64_t)s->n_head * s->head_dim,
             kv = (uint64_t)s->n_head_kv * s->head_dim;
    add_tensor(l, "token_embd", -1, KIND_WEIGHT, 2, e, s->n_vocab, 0);
    add_tensor(l, "output_norm", -1, KIND_NORM, 1, e, 0, 0);
    add_tensor(l, "output", -1, KIND_WEIGHT, 2, e, s->n_vocab, 0);
    if (s->rope_freqs)
        add_tensor(l, "rope_freqs", -1, KIND_ONES, 1, s->head_dim / 2, 0, 0);
    for (int i = 0; i < (int)s->n_layers; i++) {
        add_tensor(l, "attn_norm", i, KIND_NORM, 1, e, 0, 0);
        add_tensor(l, "attn_q", i, KIND_WEIGHT, 2, e, q, 0);
        add_tensor(l, "attn_k", i, KIND_WEIGHT, 2, e, kv, 0);
        add_tensor(l, "attn_v", i, KIND_WEIGHT, 2, e, kv, 0);
        add_tensor(l, "attn_output", i, KIND_WEIGHT, 2, q, e, 0);
        add_tensor(l, "ffn_norm", i, KIND_NORM, 1, e, 0, 0);
        if (s->arch == SYNTH_ARCH_QWEN3MOE) {
            uint64_t f = s->n_ff_exp, x = s->n_expert;
            add_tensor(l, "attn_q_norm", i, KIND_NORM, 1, s->head_dim, 0, 0);
            add_tensor(l, "attn_k_norm", i, KIND_NORM, 1, s->head_dim, 0, 0);
            add_tensor(l, "ffn_gate_inp", i, KIND_ROUTER, 2, e, x, 0);
            add_tensor(l, "ffn_gate_exps", i, KIND_WEIGHT, 3, e, f, x);
            add_tensor(l, "ffn_up_exps", i, KIND_WEIGHT, 3, e, f, x);
            add_tensor(l, "ffn_down_exps", i, KIND_WEIGHT, 3, f, e, x);
        } else {
            add_tensor(l, "ffn_gate", i, KIND_WEIGHT, 2, e, s->n_ff, 0);
            add_tensor(l, "ffn_up", i, KIND_WEIGHT, 2, e, s->n_ff, 0);
            add_tensor(l, "ffn_down", i, KIND_WEIGHT, 2, s->n_ff, e, 0);
        }
    }
    qsort(l->t, l->n, sizeof(*l->t), cmp_tensor);
    int i_attn_v = 0;
    for (size_t i = 0; i < l->n; i++) {
        struct synth_tensor *t = &l->t[i];
        t->type = pick_type(s, t, &i_attn_v);
        const struct gguf_type_info *ti = gguf_tensor_type(t->type);
        t->n_bytes = t->n_elements / ti->block_size * ti->type_size;
    }
}

/* ---- metadata ---- */

enum meta_gen { GEN_NONE, GEN_TOKENS, GEN_SCORES, GEN_TOKEN_TYPES };

struct meta {
    char key[96];
    struct gguf_value v;
    enum meta_gen gen;
};

struct mlist {
    struct meta *m;
    size_t n, alloc;
    const char *arch;
};

static struct meta *madd(struct mlist *l, const char *key, bool arch_key)
{
    l->m = xgrow(l->m, l->n + 1, &l->alloc, sizeof(*l->m));
    struct meta *m = &l->m[l->n++];
    memset(m, 0, sizeof(*m));
    if (arch_key)
        snprintf(m->key, sizeof(m->key), "%s.%s", l->arch, key);
    else
        snprintf(m->key, sizeof(m->key), "%s", key);
    return m;
}

static void m_u32(struct mlist *l, const char *key, bool arch_key, uint32_t v)
{
    struct meta *m = madd(l, key, arch_key);
    m->v.type = GGUF_TYPE_UINT32;
    m->v.v.u64 = v;
}

static void m_f32(struct mlist *l, const char *key, bool arch_key, float v)
{
    struct meta *m = madd(l, key, arch_key);
    m->v.type = GGUF_TYPE_FLOAT32;
    m->v.v.f32 = v;
}

static void m_str(struct mlist *l, const char *key, const char *v)
{
    struct meta *m = madd(l, key, false);
    m->v.type = GGUF_TYPE_STRING;
    m->v.str = v;
    m->v.str_len = strlen(v);
}

static void m_bool(struct mlist *l, const char *key, bool v)
{
    struct meta *m = madd(l, key, false);
    m->v.type = GGUF_TYPE_BOOL;
    m->v.v.b = v;
}

static void m_gen(struct mlist *l, const char *key, enum meta_gen g)
{
    madd(l, key, false)->gen = g;
}

static void plan_meta(const struct synth_shape *s, uint32_t file_type, uint64_t seed,
                      const char *name, struct mlist *l)
{
    l->arch = synth_arch_name(s->arch);
    m_str(l, "general.architecture", l->arch);
    m_str(l, "general.type", "model");
    m_str(l, "general.name", name);
    m_u32(l, "general.file_type", false, file_type);
    m_u32(l, "general.quantization_version", false, 2);
    m_u32(l, "general.alignment", false, GGUF_DEFAULT_ALIGNMENT);
    m_u32(l, "vocab_size", true, s->n_vocab);
    m_u32(l, "context_length", true, s->n_ctx);
    m_u32(l, "embedding_length", true, s->n_embd);
    m_u32(l, "block_count", true, s->n_layers);
    if (s->n_ff > 0) /* qwen3moe's experts have their own size */
        m_u32(l, "feed_forward_length", true, s->n_ff);
    m_u32(l, "attention.head_count", true, s->n_head);
    m_u32(l, "attention.head_count_kv", true, s->n_head_kv);
    m_f32(l, "rope.freq_base", true, s->rope_freq_base);
    m_f32(l, "attention.layer_norm_rms_epsilon", true, s->rms_eps);
    m_u32(l, "rope.dimension_count", true, s->head_dim);
    if (s->arch == SYNTH_ARCH_QWEN3MOE || s->head_dim * s->n_head != s->n_embd) {
        m_u32(l, "attention.key_length", true, s->head_dim);
        m_u32(l, "attention.value_length", true, s->head_dim);
    }
    if (s->arch == SYNTH_ARCH_QWEN3MOE) {
        m_u32(l, "expert_count", true, s->n_expert);
        m_u32(l, "expert_used_count", true, s->n_expert_used);
        m_u32(l, "expert_feed_forward_length", true, s->n_ff_exp);
    }
    m_str(l, "tokenizer.ggml.model", "llama");
    m_gen(l, "tokenizer.ggml.tokens", GEN_TOKENS);
    m_gen(l, "tokenizer.ggml.scores", GEN_SCORES);
    m_gen(l, "tokenizer.ggml.token_type", GEN_TOKEN_TYPES);
    m_u32(l, "tokenizer.ggml.bos_token_id", false, 1);
    m_u32(l, "tokenizer.ggml.eos_token_id", false, 2);
    m_u32(l, "tokenizer.ggml.unknown_token_id", false, 0);
    m_bool(l, "tokenizer.ggml.add_bos_token", true);
    m_bool(l, "tokenizer.ggml.add_eos_token", false);
    struct meta *m = madd(l, "halobox.synth.seed", false);
    m->v.type = GGUF_TYPE_UINT64;
    m->v.v.u64 = seed;
}

/* The vocabulary after the 259 fixed tokens: "▁" (SentencePiece's space),
 * the printable ASCII characters, then lowercase words of growing length,
 * each also with a leading "▁". All distinct, all valid UTF-8, enough for
 * any vocabulary size allowed. */
struct tok_iter {
    uint32_t k;   /* tokens produced */
    unsigned len; /* current word length */
    uint64_t idx; /* word number within that length */
    uint64_t count;
    int variant; /* 0: with "▁", 1: bare */
};

static size_t tok_next(struct tok_iter *it, char *out)
{
    static const char space[] = "\xe2\x96\x81"; /* U+2581 */
    size_t n = 0;
    if (it->k == 0) {
        memcpy(out, space, 3);
        n = 3;
    } else if (it->k <= 94) {
        out[0] = (char)(0x20 + it->k);
        n = 1;
    } else {
        if (it->len == 0) {
            it->len = 1;
            it->count = 26;
        }
        if (it->variant == 0) {
            memcpy(out, space, 3);
            n = 3;
        }
        uint64_t x = it->idx;
        for (unsigned i = 0; i < it->len; i++) {
            out[n + it->len - 1 - i] = (char)('a' + x % 26);
            x /= 26;
        }
        n += it->len;
        /* single letters are already there bare (ASCII above) */
        if (it->variant == 0 && it->len > 1) {
            it->variant = 1;
        } else {
            it->variant = 0;
            if (++it->idx == it->count) {
                it->idx = 0;
                it->len++;
                it->count *= 26;
            }
        }
    }
    it->k++;
    return n;
}

static int write_tokens(struct gguf_writer *w, const struct synth_shape *s, struct hb_error *err)
{
    static const char *const fixed[] = {"<unk>", "<s>", "</s>"};
    char buf[64];
    for (size_t i = 0; i < 3; i++)
        if (gguf_writer_array_str(w, fixed[i], strlen(fixed[i]), err) < 0)
            return -1;
    for (unsigned b = 0; b < 256; b++) {
        snprintf(buf, sizeof(buf), "<0x%02X>", b);
        if (gguf_writer_array_str(w, buf, 6, err) < 0)
            return -1;
    }
    struct tok_iter it = {0};
    for (uint32_t i = SPECIAL_TOKENS; i < s->n_vocab; i++) {
        size_t n = tok_next(&it, buf);
        if (gguf_writer_array_str(w, buf, n, err) < 0)
            return -1;
    }
    return 0;
}

/* Scores order SentencePiece merges (higher first): earlier, shorter tokens
 * win. Token types: 2 unknown, 3 control, 6 byte, 1 normal. */
static int write_numbers(struct gguf_writer *w, const struct synth_shape *s, enum meta_gen g,
                         struct hb_error *err)
{
    union {
        float f[1024];
        int32_t i[1024];
    } chunk;
    for (uint32_t start = 0; start < s->n_vocab; start += 1024) {
        uint32_t n = s->n_vocab - start < 1024 ? s->n_vocab - start : 1024;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t id = start + k;
            if (g == GEN_SCORES)
                chunk.f[k] = id < SPECIAL_TOKENS ? 0.0f : -(float)(id - SPECIAL_TOKENS);
            else
                chunk.i[k] = id == 0 ? 2 : id < 3 ? 3 : id < SPECIAL_TOKENS ? 6 : 1;
        }
        if (gguf_writer_array_items(w, &chunk, n, err) < 0)
            return -1;
    }
    return 0;
}

static int write_header(struct gguf_writer *w, const struct synth_shape *s, const struct mlist *ml,
                        const struct synth_plan *p, struct hb_error *err)
{
    for (size_t i = 0; i < ml->n; i++) {
        const struct meta *m = &ml->m[i];
        int r;
        switch (m->gen) {
        case GEN_TOKENS:
            r = gguf_writer_array_begin(w, m->key, GGUF_TYPE_STRING, s->n_vocab, err);
            r = r < 0 ? r : write_tokens(w, s, err);
            break;
        case GEN_SCORES:
            r = gguf_writer_array_begin(w, m->key, GGUF_TYPE_FLOAT32, s->n_vocab, err);
            r = r < 0 ? r : write_numbers(w, s, GEN_SCORES, err);
            break;
        case GEN_TOKEN_TYPES:
            r = gguf_writer_array_begin(w, m->key, GGUF_TYPE_INT32, s->n_vocab, err);
            r = r < 0 ? r : write_numbers(w, s, GEN_TOKEN_TYPES, err);
            break;
        default:
            r = gguf_writer_kv(w, m->key, &m->v, err);
            break;
        }
        if (r < 0)
            return -1;
    }
    for (size_t i = 0; i < p->n_tensors; i++) {
        const struct synth_tensor *t = &p->tensors[i];
        if (gguf_writer_tensor(w, t->name, t->n_dims, t->ne, t->type, err) < 0)
            return -1;
    }
    return 0;
}

void synth_plan_release(struct synth_plan *p)
{
    free(p->tensors);
    memset(p, 0, sizeof(*p));
}

static const char *default_name(const struct synth_shape *s, struct strbuf *sb)
{
    if (s->name)
        return s->name;
    strbuf_addf(sb, "synthetic %s", synth_arch_name(s->arch));
    return sb->buf;
}

int synth_plan_make(const struct synth_shape *s, struct synth_plan *p, struct hb_error *err)
{
    memset(p, 0, sizeof(*p));
    if (synth_validate(s, err) < 0)
        return -1;
    struct tlist tl = {0};
    plan_tensors(s, &tl);
    p->tensors = tl.t;
    p->n_tensors = tl.n;
    p->file_type = file_type_of(s->type);
    for (size_t i = 0; i < tl.n; i++) {
        p->n_params += tl.t[i].n_elements;
        p->data_bytes += tl.t[i].n_bytes;
    }
    /* the exact size: the header as the writer lays it out, then the data */
    struct strbuf name = STRBUF_INIT;
    struct mlist ml = {0};
    plan_meta(s, p->file_type, 0, default_name(s, &name), &ml);
    struct gguf_writer *w = NULL;
    int ret = gguf_writer_open(&w, NULL, ml.n, p->n_tensors, err);
    if (ret == 0)
        ret = write_header(w, s, &ml, p, err);
    if (ret == 0) {
        p->file_bytes = gguf_writer_offset(w);
        for (size_t i = 0; i < tl.n; i++)
            p->file_bytes += (tl.t[i].n_bytes + GGUF_DEFAULT_ALIGNMENT - 1) /
                             GGUF_DEFAULT_ALIGNMENT * GGUF_DEFAULT_ALIGNMENT;
    }
    gguf_writer_free(w);
    free(ml.m);
    strbuf_release(&name);
    if (ret < 0)
        synth_plan_release(p);
    return ret;
}

/* ---- tensor data ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* wyrand: 8 random bytes for one 64x64->128-bit multiply, with no
 * dependency between steps but an addition, so the CPU overlaps them: the
 * weights of a 17 GB model cost well under a second. Fixed, so the same
 * seed gives the same bytes on every machine (rand() would not). */
struct rng {
    uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
    r->s += 0xa0761d6478bd642fULL;
    __uint128_t t = (__uint128_t)r->s * (r->s ^ 0xe7037ed1a0b428dbULL);
    return (uint64_t)(t >> 64) ^ (uint64_t)t;
}

static uint16_t f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    int e = (int)((x >> 23) & 0xff) - 127 + 15;
    uint32_t m = x & 0x7fffff;
    if (e >= 31)
        return sign | 0x7bff; /* clamp to the largest finite value */
    if (e <= 0) {
        if (e < -10)
            return sign;
        m |= 0x800000;
        unsigned shift = (unsigned)(14 - e);
        uint32_t h = m >> shift;
        if ((m >> (shift - 1)) & 1)
            h++;
        return sign | (uint16_t)h;
    }
    uint32_t h = ((uint32_t)e << 10) | (m >> 13);
    if (m & 0x1000)
        h++; /* may carry into the exponent, which is still right */
    return sign | (uint16_t)h;
}

/* Q4_K's 12 bytes of 6-bit sub-block scales and mins, packed the way
 * ggml's get_scale_min_k4 unpacks them. */
static void pack_q4k_scales(const uint8_t sc[8], const uint8_t mn[8], uint8_t out[12])
{
    memset(out, 0, 12);
    for (int j = 0; j < 4; j++) {
        out[j] = sc[j] & 63;
        out[j + 4] = mn[j] & 63;
    }
    for (int j = 4; j < 8; j++) {
        out[j + 4] = (uint8_t)((sc[j] & 0xf) | ((mn[j] & 0xf) << 4));
        out[j - 4] |= (uint8_t)((sc[j] >> 4) << 6);
        out[j] |= (uint8_t)((mn[j] >> 4) << 6);
    }
}

struct filler {
    struct rng rng;
    uint32_t type;
    int kind;
    size_t unit; /* bytes produced per step */
    uint16_t d[16];
    uint8_t scales[16];
};

/* Block scales near a base value, so that dequantised weights have a
 * standard deviation of about 0.02: Q8_0 d * int8 (std 74); Q4_K d * (sc *
 * q - m) with m = 7.5 sc (centred, std ~18 d for sc 4); Q6_K d * sc * (q -
 * 32) (std ~150 d for sc 8). */
static void gen_init(struct filler *g, uint64_t seed, size_t index, const struct synth_tensor *t)
{
    uint64_t x = seed ^ (0x632be59bd9b4e019ULL * (index + 1));
    g->rng.s = splitmix64(&x);
    g->type = t->type;
    g->kind = t->kind;
    float base = 0;
    switch (t->type) {
    case GGML_TYPE_F32:
        g->unit = t->kind == KIND_ROUTER ? 4 : 8;
        break;
    case GGML_TYPE_F16:
        g->unit = 8;
        break;
    case GGML_TYPE_Q8_0:
        g->unit = 34;
        base = 2.7e-4f;
        break;
    case GGML_TYPE_Q4_K: {
        g->unit = 144;
        base = 1.1e-3f;
        uint8_t sc[8], mn[8];
        for (int j = 0; j < 8; j++) {
            sc[j] = (uint8_t)(2 + (j % 3) * 2); /* 2, 4, 6 */
            mn[j] = (uint8_t)(sc[j] * 15 / 2);  /* centres sc * q on zero */
        }
        pack_q4k_scales(sc, mn, g->scales);
        break;
    }
    default: /* Q6_K */
        g->unit = 210;
        base = 1.35e-4f;
        for (int j = 0; j < 16; j++)
            g->scales[j] = (uint8_t)(6 + j % 5);
        break;
    }
    for (int k = 0; k < 16; k++)
        g->d[k] = f32_to_f16(base * (0.75f + (float)k / 30.0f));
}

/* Fills n steps of g->unit bytes. */
static void gen_fill(struct filler *g, uint8_t *p, size_t n)
{
    struct rng *r = &g->rng;
    switch (g->type) {
    case GGML_TYPE_F32:
        for (size_t i = 0; i < n; i++, p += g->unit) {
            uint64_t v = rng_next(r);
            if (g->kind == KIND_ROUTER) {
                /* Irwin-Hall: four 16-bit uniforms summed are close to a
                 * gaussian, without libm; standard deviation 0.1 */
                float sum =
                    (float)((v & 0xffff) + ((v >> 16) & 0xffff) + ((v >> 32) & 0xffff) + (v >> 48));
                float f = (sum - 131070.0f) * (0.1f / 37837.0f);
                memcpy(p, &f, 4);
                continue;
            }
            if (g->kind == KIND_ONES)
                v = 0x3f8000003f800000ULL;
            else if (g->kind == KIND_NORM)
                v = 0x3f8000003f800000ULL | (v & 0x0007ffff0007ffffULL); /* [1, 1.0625) */
            else /* sign, exponent 2^-9..2^-6, mantissa: |w| in [0.002, 0.03) */
                v = (v & 0x807fffff807fffffULL) |
                    ((((v >> 23) & 0x0000000300000003ULL) + 0x0000007600000076ULL) << 23);
            memcpy(p, &v, 8);
        }
        break;
    case GGML_TYPE_F16:
        for (size_t i = 0; i < n; i++, p += 8) {
            uint64_t v = rng_next(r);
            v = (v & 0x83ff83ff83ff83ffULL) |
                ((((v >> 10) & 0x0003000300030003ULL) + 0x0006000600060006ULL) << 10);
            memcpy(p, &v, 8);
        }
        break;
    case GGML_TYPE_Q8_0:
        for (size_t i = 0; i < n; i++, p += 34) {
            uint64_t v[4] = {rng_next(r), rng_next(r), rng_next(r), rng_next(r)};
            memcpy(p, &g->d[v[0] >> 60], 2);
            memcpy(p + 2, v, 32);
        }
        break;
    case GGML_TYPE_Q4_K:
        for (size_t i = 0; i < n; i++, p += 144) {
            uint64_t d = rng_next(r) >> 60;
            memcpy(p, &g->d[d], 2);
            memcpy(p + 2, &g->d[d], 2); /* dmin = d: centred by the mins */
            memcpy(p + 4, g->scales, 12);
            for (int k = 0; k < 16; k++) {
                uint64_t v = rng_next(r);
                memcpy(p + 16 + 8 * k, &v, 8);
            }
        }
        break;
    default: /* Q6_K: ql[128] qh[64] scales[16] d */
        for (size_t i = 0; i < n; i++, p += 210) {
            for (int k = 0; k < 24; k++) {
                uint64_t v = rng_next(r);
                memcpy(p + 8 * k, &v, 8);
            }
            memcpy(p + 192, g->scales, 16);
            memcpy(p + 208, &g->d[rng_next(r) >> 60], 2);
        }
        break;
    }
}

static int write_tensor_data(struct gguf_writer *w, uint64_t seed, size_t index,
                             const struct synth_tensor *t, struct hb_error *err)
{
    struct filler g;
    gen_init(&g, seed, index, t);
    for (uint64_t left = t->n_bytes; left > 0;) {
        void *ptr;
        size_t len;
        if (gguf_writer_data_span(w, g.unit, &ptr, &len, err) < 0)
            return -1;
        if (len < g.unit) {
            /* the tail of an F16/F32 tensor: part of one more step */
            uint8_t tmp[8];
            gen_fill(&g, tmp, 1);
            memcpy(ptr, tmp, len);
        } else {
            len = len / g.unit * g.unit;
            gen_fill(&g, ptr, len / g.unit);
        }
        gguf_writer_data_commit(w, len);
        left -= len;
    }
    return 0;
}

int synth_write_progress(const struct synth_shape *s, const char *path, uint64_t seed,
                         synth_progress_fn fn, void *ctx, struct hb_error *err)
{
    struct synth_plan p;
    if (synth_plan_make(s, &p, err) < 0)
        return -1;
    struct strbuf name = STRBUF_INIT;
    struct mlist ml = {0};
    plan_meta(s, p.file_type, seed, default_name(s, &name), &ml);
    struct gguf_writer *w = NULL;
    int ret = gguf_writer_open(&w, path, ml.n, p.n_tensors, err);
    if (ret == 0)
        ret = write_header(w, s, &ml, &p, err);
    for (size_t i = 0; ret == 0 && i < p.n_tensors; i++) {
        ret = write_tensor_data(w, seed, i, &p.tensors[i], err);
        if (ret == 0 && fn)
            fn(ctx, gguf_writer_offset(w), p.file_bytes);
    }
    if (ret == 0)
        ret = gguf_writer_finish(w, err);
    gguf_writer_free(w);
    free(ml.m);
    strbuf_release(&name);
    synth_plan_release(&p);
    return ret;
}

int synth_write(const struct synth_shape *s, const char *path, uint64_t seed, struct hb_error *err)
{
    return synth_write_progress(s, path, seed, NULL, NULL, err);
}
