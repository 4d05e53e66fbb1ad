/* What a model's metadata says about it (struct gguf_summary) and the
 * histogram of its tensor types, computed once when the headers are read. */
#include "util/common.h"

#include "store/gguf.h"
#include "store/gguf_internal.h"
#include "util/strbuf.h"

/* Per-layer summaries are only built for plausible layer counts
 * (llama.cpp's LLAMA_MAX_LAYERS is 512). */
#define MAX_SUMMARY_LAYERS 65536

void gguf_summary_release(struct gguf_summary *s)
{
    free(s->head_kv_per_layer);
    free(s->swa_layers);
    free(s->attn_layers);
    memset(s, 0, sizeof(*s));
}

/* An integer array's elements as u64 (negative ones as 0). */
static int read_u64_array(const struct gguf_model *m, const struct gguf_kv *kv, uint64_t *out,
                          struct hb_error *err)
{
    size_t size = gguf_type_size(kv->arr_type);
    uint8_t *raw = xmalloc((size_t)kv->arr_count * size);
    int ret = gguf_array_read(m, kv, 0, kv->arr_count, raw, err);
    for (uint64_t i = 0; ret == 0 && i < kv->arr_count; i++) {
        const uint8_t *p = raw + i * size;
        switch (kv->arr_type) {
        case GGUF_TYPE_INT8:
            out[i] = *(const int8_t *)p < 0 ? 0 : (uint64_t) * (const int8_t *)p;
            break;
        case GGUF_TYPE_INT16: {
            int16_t x;
            memcpy(&x, p, 2);
            out[i] = x < 0 ? 0 : (uint64_t)x;
            break;
        }
        case GGUF_TYPE_INT32: {
            int32_t x;
            memcpy(&x, p, 4);
            out[i] = x < 0 ? 0 : (uint64_t)x;
            break;
        }
        case GGUF_TYPE_INT64: {
            int64_t x;
            memcpy(&x, p, 8);
            out[i] = x < 0 ? 0 : (uint64_t)x;
            break;
        }
        case GGUF_TYPE_UINT16: {
            uint16_t x;
            memcpy(&x, p, 2);
            out[i] = x;
            break;
        }
        case GGUF_TYPE_UINT32: {
            uint32_t x;
            memcpy(&x, p, 4);
            out[i] = x;
            break;
        }
        case GGUF_TYPE_UINT64:
            memcpy(&out[i], p, 8);
            break;
        default: /* UINT8, BOOL */
            out[i] = p[0];
            break;
        }
    }
    free(raw);
    return ret;
}

static bool is_int_type(uint32_t t)
{
    return t <= GGUF_TYPE_INT32 || t == GGUF_TYPE_BOOL || t == GGUF_TYPE_UINT64 ||
           t == GGUF_TYPE_INT64;
}

/* A value that is either a scalar or one entry per layer: *scalar gets the
 * scalar or the largest entry; *per_layer (n_layers entries, when asked for
 * and the array has that many) the entries. */
static int arch_int_or_array(struct gguf_model *m, const char *suffix, opt_u64 *scalar,
                             uint64_t **per_layer, struct hb_error *err)
{
    const struct gguf_kv *kv = gguf_find_arch(m, suffix);
    uint64_t v;
    if (!kv)
        return 0;
    if (gguf_kv_get_u64(kv, &v)) {
        *scalar = OPT_U64(v);
        return 0;
    }
    if (kv->type != GGUF_TYPE_ARRAY || !is_int_type(kv->arr_type) || kv->arr_count == 0 ||
        kv->arr_count > MAX_SUMMARY_LAYERS)
        return 0;
    uint64_t *a = xcalloc((size_t)kv->arr_count, sizeof(*a));
    if (read_u64_array(m, kv, a, err) < 0) {
        free(a);
        return -1;
    }
    uint64_t max = 0;
    for (uint64_t i = 0; i < kv->arr_count; i++)
        max = a[i] > max ? a[i] : max;
    *scalar = OPT_U64(max);
    if (per_layer && m->s.n_layers.known && kv->arr_count == m->s.n_layers.v)
        *per_layer = a;
    else
        free(a);
    return 0;
}

static opt_u64 arch_u64(const struct gguf_model *m, const char *suffix)
{
    uint64_t v;
    if (gguf_kv_get_u64(gguf_find_arch(m, suffix), &v))
        return OPT_U64(v);
    return (opt_u64){0};
}

static const char *kv_str(const struct gguf_model *m, const char *key)
{
    const struct gguf_kv *kv = gguf_find(m, key);
    return kv && kv->type == GGUF_TYPE_STRING ? kv->str : NULL;
}

static bool has_arch_prefix(const struct gguf_model *m, const char *group)
{
    size_t al = strlen(m->s.arch), gl = strlen(group);
    for (size_t i = 0; i < m->n_kv; i++) {
        const char *k = m->kv[i].key;
        if (strncmp(k, m->s.arch, al) == 0 && k[al] == '.' && strncmp(k + al + 1, group, gl) == 0)
            return true;
    }
    return false;
}

int gguf_summary_build(struct gguf_model *m, struct hb_error *err)
{
    struct gguf_summary *s = &m->s;
    uint64_t v;
    s->arch = kv_str(m, "general.architecture");
    s->name = kv_str(m, "general.name");
    s->tokenizer = kv_str(m, "tokenizer.ggml.model");
    if (gguf_kv_get_u64(gguf_find(m, "general.file_type"), &v)) {
        s->file_type = OPT_U64(v);
        s->file_type_name = v <= UINT32_MAX ? gguf_file_type_name((uint32_t)v) : NULL;
    }
    const struct gguf_kv *tokens = gguf_find(m, "tokenizer.ggml.tokens");
    if (tokens && tokens->type == GGUF_TYPE_ARRAY && tokens->arr_type == GGUF_TYPE_STRING)
        s->vocab_size = OPT_U64(tokens->arr_count);
    if (!s->arch)
        return 0;
    if (!s->vocab_size.known)
        s->vocab_size = arch_u64(m, "vocab_size");
    s->context_length = arch_u64(m, "context_length");
    s->n_layers = arch_u64(m, "block_count");
    s->n_embd = arch_u64(m, "embedding_length");
    s->n_expert = arch_u64(m, "expert_count");
    s->n_expert_used = arch_u64(m, "expert_used_count");
    s->n_ff_exp = arch_u64(m, "expert_feed_forward_length");
    s->sliding_window = arch_u64(m, "attention.sliding_window");
    bool layers_ok = s->n_layers.known && s->n_layers.v > 0 && s->n_layers.v <= MAX_SUMMARY_LAYERS;
    size_t nl = layers_ok ? (size_t)s->n_layers.v : 0;

    uint64_t *kv_heads = NULL;
    if (arch_int_or_array(m, "feed_forward_length", &s->n_ff, NULL, err) < 0 ||
        arch_int_or_array(m, "attention.head_count", &s->n_head, NULL, err) < 0 ||
        arch_int_or_array(m, "attention.head_count_kv", &s->n_head_kv, layers_ok ? &kv_heads : NULL,
                          err) < 0)
        return -1;
    if (!s->n_head_kv.known)
        s->n_head_kv = s->n_head; /* llama.cpp's default */
    s->head_dim_k = arch_u64(m, "attention.key_length");
    s->head_dim_v = arch_u64(m, "attention.value_length");
    if (s->n_embd.known && s->n_head.known && s->n_head.v > 0) {
        if (!s->head_dim_k.known)
            s->head_dim_k = OPT_U64(s->n_embd.v / s->n_head.v);
        if (!s->head_dim_v.known)
            s->head_dim_v = OPT_U64(s->n_embd.v / s->n_head.v);
    }
    s->recurrent = has_arch_prefix(m, "ssm.") || has_arch_prefix(m, "wkv.") ||
                   has_arch_prefix(m, "shortconv.");

    /* Which layers have attention: hybrid models say it with a per-layer
     * head_count_kv (0 = recurrent layer) or with full_attention_interval
     * (every Nth layer); pure recurrent ones have no KV heads at all. */
    if (kv_heads) {
        s->head_kv_per_layer = xcalloc(nl, sizeof(uint32_t));
        s->attn_layers = xcalloc(nl, sizeof(bool));
        uint64_t n = 0;
        for (size_t i = 0; i < nl; i++) {
            s->head_kv_per_layer[i] = kv_heads[i] > UINT32_MAX ? UINT32_MAX : (uint32_t)kv_heads[i];
            s->attn_layers[i] = kv_heads[i] > 0;
            n += s->attn_layers[i];
        }
        s->n_attn_layers = OPT_U64(n);
        free(kv_heads);
    } else if (layers_ok && arch_u64(m, "full_attention_interval").known &&
               arch_u64(m, "full_attention_interval").v > 0) {
        uint64_t every = arch_u64(m, "full_attention_interval").v, n = 0;
        s->attn_layers = xcalloc(nl, sizeof(bool));
        for (size_t i = 0; i < nl; i++) {
            s->attn_layers[i] = (i + 1) % every == 0;
            n += s->attn_layers[i];
        }
        s->n_attn_layers = OPT_U64(n);
    } else if (s->n_layers.known) {
        if (s->n_head_kv.known && s->n_head_kv.v == 0)
            s->n_attn_layers = OPT_U64(0);
        else if (!s->recurrent)
            s->n_attn_layers = s->n_layers;
    }

    /* Sliding-window layers: sliding_window_pattern is either a period N
     * (llama.cpp: layer i uses the window when i % N < N - 1) or one flag per
     * layer. */
    const struct gguf_kv *pat = gguf_find_arch(m, "attention.sliding_window_pattern");
    if (pat && layers_ok) {
        uint64_t period;
        if (gguf_kv_get_u64(pat, &period)) {
            s->swa_layers = xcalloc(nl, sizeof(bool));
            for (size_t i = 0; i < nl; i++)
                s->swa_layers[i] = period == 0 || i % period < period - 1;
        } else if (pat->type == GGUF_TYPE_ARRAY && is_int_type(pat->arr_type) &&
                   pat->arr_count == nl) {
            uint64_t *a = xcalloc(nl, sizeof(*a));
            if (read_u64_array(m, pat, a, err) < 0) {
                free(a);
                return -1;
            }
            s->swa_layers = xcalloc(nl, sizeof(bool));
            for (size_t i = 0; i < nl; i++)
                s->swa_layers[i] = a[i] != 0;
            free(a);
        }
        if (s->swa_layers) {
            uint64_t n = 0;
            for (size_t i = 0; i < nl; i++)
                n += s->swa_layers[i] && (!s->attn_layers || s->attn_layers[i]);
            s->n_swa_layers = OPT_U64(n);
        }
    } else if (!s->sliding_window.known || s->sliding_window.v == 0) {
        s->n_swa_layers = OPT_U64(0);
    }
    return 0;
}

static int cmp_stat(const void *a, const void *b)
{
    const struct gguf_type_stat *x = a, *y = b;
    return x->type < y->type ? -1 : x->type > y->type;
}

void gguf_stats_build(struct gguf_model *m)
{
    size_t alloc = 0;
    for (size_t i = 0; i < m->n_tensors; i++) {
        const struct gguf_tensor *t = &m->tensors[i];
        m->n_params += t->n_elements;
        m->data_bytes += t->n_bytes;
        size_t j = 0;
        while (j < m->n_type_stats && m->type_stats[j].type != t->type)
            j++;
        if (j == m->n_type_stats) {
            m->type_stats = xgrow(m->type_stats, j + 1, &alloc, sizeof(*m->type_stats));
            m->type_stats[j] = (struct gguf_type_stat){.type = t->type};
            m->n_type_stats++;
        }
        m->type_stats[j].tensors++;
        m->type_stats[j].elements += t->n_elements;
        m->type_stats[j].bytes += t->n_bytes;
    }
    if (m->n_type_stats)
        qsort(m->type_stats, m->n_type_stats, sizeof(*m->type_stats), cmp_stat);
}
