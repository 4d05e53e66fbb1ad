/* libFuzzer target: the GGUF reader, on files from anywhere (a download, a
 * user's disk). Read from memory, so the fuzzer never touches the disk; a
 * file that opens is then walked the way `models inspect` walks it.
 *
 * Built with -DGGUF_SEED_MAIN instead, it is the program that wrote the seed
 * corpus in tests/fuzz/seeds/gguf/ (see the README there). */
#include "util/common.h"

#include "store/gguf.h"
#include "store/synth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_string(void *ctx, uint64_t i, const char *s, uint64_t len, struct hb_error *err)
{
    uint64_t *n = ctx;
    (void)i;
    (void)err;
    *n += len + (s[len] == '\0');
    return *n > (1u << 20); /* enough: stop early, as a caller may */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hb_error err = HB_ERROR_INIT;
    struct gguf_model m;
    if (gguf_open_mem(&m, data, size, "fuzz.gguf", &err) == 0) {
        for (size_t i = 0; i < m.n_kv; i++) {
            const struct gguf_kv *kv = &m.kv[i];
            uint64_t u, n = 0;
            double d;
            uint8_t buf[64 * 8];
            gguf_kv_get_u64(kv, &u);
            gguf_kv_get_f64(kv, &d);
            if (kv->type != GGUF_TYPE_ARRAY)
                continue;
            if (kv->arr_type == GGUF_TYPE_STRING) {
                gguf_array_strings(&m, kv, count_string, &n, &err);
            } else if (gguf_type_size(kv->arr_type)) {
                uint64_t k = kv->arr_count < 64 ? kv->arr_count : 64;
                gguf_array_read(&m, kv, kv->arr_count - k, k, buf, &err);
            }
            hb_error_release(&err);
        }
        gguf_find_arch(&m, "context_length");
        for (size_t i = 0; i < m.n_tensors; i++)
            if (gguf_find_tensor(&m, m.tensors[i].name) == NULL)
                abort();
        gguf_close(&m);
    } else if (!err.msg || err.exit_code != EXIT_INPUT) {
        abort(); /* every refusal says why, as bad input */
    }
    hb_error_release(&err);
    return 0;
}

#ifdef GGUF_SEED_MAIN
/* Writes the seeds: every value type (nested arrays too) and several tensor
 * types with alignment 64; and a whole synthetic qwen3moe model, shrunk to
 * 15 KB, with its tokenizer. */
static int seed_types(const char *path, struct hb_error *err)
{
    struct gguf_writer *w;
    if (gguf_writer_open(&w, path, 18, 5, err) < 0)
        return -1;
    struct gguf_value v;
    int r = 0;
#define SCALAR(k, t, field, val)                                                                   \
    v = (struct gguf_value){.type = t};                                                            \
    v.v.field = val;                                                                               \
    r |= gguf_writer_kv(w, k, &v, err)
    SCALAR("u8", GGUF_TYPE_UINT8, u64, 255);
    SCALAR("i8", GGUF_TYPE_INT8, i64, -128);
    SCALAR("u16", GGUF_TYPE_UINT16, u64, 65535);
    SCALAR("i16", GGUF_TYPE_INT16, i64, -32768);
    SCALAR("i32", GGUF_TYPE_INT32, i64, -7);
    SCALAR("f32", GGUF_TYPE_FLOAT32, f32, 0.5f);
    SCALAR("bool", GGUF_TYPE_BOOL, b, true);
    SCALAR("u64", GGUF_TYPE_UINT64, u64, UINT64_MAX);
    SCALAR("i64", GGUF_TYPE_INT64, i64, INT64_MIN);
    SCALAR("f64", GGUF_TYPE_FLOAT64, f64, 1e-300);
    r |= gguf_writer_kv_str(w, "general.architecture", "llama", err);
    r |= gguf_writer_kv_u32(w, "general.alignment", 64, err);
    r |= gguf_writer_kv_u32(w, "llama.block_count", 2, err);
    uint32_t heads[2] = {0, 4};
    r |= gguf_writer_kv_array(w, "llama.attention.head_count_kv", GGUF_TYPE_UINT32, heads, 2, err);
    uint8_t swa[2] = {1, 0};
    r |= gguf_writer_kv_array(w, "llama.attention.sliding_window_pattern", GGUF_TYPE_BOOL, swa, 2,
                              err);
    static const char *const tokens[] = {"<unk>", "<s>", "\xe2\x96\x81the"};
    r |= gguf_writer_kv_array(w, "tokenizer.ggml.tokens", GGUF_TYPE_STRING, tokens, 3, err);
    float scores[3] = {0, 0, -1};
    r |= gguf_writer_kv_array(w, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, scores, 3, err);
    r |= gguf_writer_array_begin(w, "nested", GGUF_TYPE_ARRAY, 2, err);
    r |= gguf_writer_array_begin(w, NULL, GGUF_TYPE_STRING, 1, err);
    r |= gguf_writer_array_str(w, "x", 1, err);
    r |= gguf_writer_array_begin(w, NULL, GGUF_TYPE_INT16, 2, err);
    int16_t i16[2] = {-1, 1};
    r |= gguf_writer_array_items(w, i16, 2, err);
    uint64_t ne_q8[2] = {32, 2}, ne_q4k[1] = {256}, ne_f16[3] = {3, 2, 2}, ne_i8[1] = {5},
             ne_mx[2] = {32, 1};
    r |= gguf_writer_tensor(w, "blk.0.q8", 2, ne_q8, GGML_TYPE_Q8_0, err);
    r |= gguf_writer_tensor(w, "blk.1.q4k", 1, ne_q4k, GGML_TYPE_Q4_K, err);
    r |= gguf_writer_tensor(w, "f16", 3, ne_f16, GGML_TYPE_F16, err);
    r |= gguf_writer_tensor(w, "i8", 1, ne_i8, GGML_TYPE_I8, err);
    r |= gguf_writer_tensor(w, "mxfp4", 2, ne_mx, GGML_TYPE_MXFP4, err);
    uint8_t bytes[256];
    for (size_t i = 0; i < sizeof(bytes); i++)
        bytes[i] = (uint8_t)(i * 37);
    while (r == 0 && gguf_writer_data_left(w) > 0) {
        uint64_t k = gguf_writer_data_left(w);
        r |= gguf_writer_data(w, bytes, k < sizeof(bytes) ? (size_t)k : sizeof(bytes), err);
    }
    if (r == 0)
        r = gguf_writer_finish(w, err);
    gguf_writer_free(w);
    return r;
}

int main(int argc, char **argv)
{
    struct hb_error err = HB_ERROR_INIT;
    char path[4096];
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    snprintf(path, sizeof(path), "%s/types.gguf", argv[1]);
    if (seed_types(path, &err) < 0)
        goto fail;
    struct synth_shape s;
    synth_preset("tiny-moe", &s);
    s.type = SYNTH_TYPE_F16;
    s.n_layers = 2;
    s.n_embd = 8;
    s.n_ff = 16;
    s.n_head = 2;
    s.n_head_kv = 1;
    s.head_dim = 4;
    s.n_expert = 2;
    s.n_expert_used = 1;
    s.n_ff_exp = 8;
    s.n_vocab = 260;
    snprintf(path, sizeof(path), "%s/tiny-moe-shrunk.gguf", argv[1]);
    if (synth_write(&s, path, 1, &err) < 0)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "%s\n", err.msg);
    return 1;
}
#endif
