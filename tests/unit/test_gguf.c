/* The GGUF reader and writer against each other (every value and tensor
 * type, alignments, split models), the synthetic models (presets' shapes,
 * determinism, tokenizer, valid quantised blocks) and malformed files built
 * byte by byte, each refused with the byte offset of the bad field. */
#include "util/common.h"

#include <dirent.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/gguf.h"
#include "util/text.h"
#include "store/synth.h"
#include "test.h"
#include "util/fs.h"
#include "util/strbuf.h"

static char tmpdir[64];

static char *tmp_path(const char *name)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "%s/%s", tmpdir, name);
    return strbuf_detach(&sb);
}

static void rm_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *p = tmp_path(e->d_name);
        unlink(p);
        free(p);
    }
    if (d)
        closedir(d);
    rmdir(tmpdir);
}

static size_t count_tmp_files(void)
{
    return test_dir_entries(tmpdir);
}

static bool slurp(const char *path, struct strbuf *out)
{
    return read_small_file(path, 256 * MIB, out) == 0;
}

static bool contains(const char *s, const char *needle)
{
    return s && strstr(s, needle) != NULL;
}

/* ---- a byte builder for hand-made files ---- */

struct bb {
    uint8_t *p;
    size_t n, alloc;
};

static void bb_raw(struct bb *b, const void *data, size_t n)
{
    b->p = xgrow(b->p, b->n + n, &b->alloc, 1);
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void bb_le(struct bb *b, uint64_t v, size_t n)
{
    uint8_t x[8];
    for (size_t i = 0; i < n; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    bb_raw(b, x, n);
}

static void bb_u32(struct bb *b, uint32_t v)
{
    bb_le(b, v, 4);
}

static void bb_u64(struct bb *b, uint64_t v)
{
    bb_le(b, v, 8);
}

static void bb_str(struct bb *b, const char *s)
{
    bb_u64(b, strlen(s));
    bb_raw(b, s, strlen(s));
}

static void bb_pad(struct bb *b, size_t align)
{
    while (b->n % align)
        bb_raw(b, "", 1);
}

static void bb_zeros(struct bb *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bb_raw(b, "", 1);
}

static void hdr(struct bb *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv)
{
    b->n = 0;
    bb_raw(b, "GGUF", 4);
    bb_u32(b, version);
    bb_u64(b, n_tensors);
    bb_u64(b, n_kv);
}

static void kv_u32(struct bb *b, const char *key, uint32_t v)
{
    bb_str(b, key);
    bb_u32(b, GGUF_TYPE_UINT32);
    bb_u32(b, v);
}

struct ti_at {
    size_t info, n_dims, type, offset;
};

static struct ti_at ti(struct bb *b, const char *name, uint32_t n_dims, const uint64_t *ne,
                       uint32_t type, uint64_t offset)
{
    struct ti_at at;
    at.info = b->n;
    bb_str(b, name);
    at.n_dims = b->n;
    bb_u32(b, n_dims);
    for (uint32_t i = 0; i < n_dims; i++)
        bb_u64(b, ne[i]);
    at.type = b->n;
    bb_u32(b, type);
    at.offset = b->n;
    bb_u64(b, offset);
    return at;
}

/* The file must be refused, from memory and from disk, with "at byte AT:"
 * and the given words. */
static void expect_refused_(const struct bb *b, size_t at, const char *words, int line)
{
    struct hb_error err = HB_ERROR_INIT;
    struct gguf_model m;
    struct strbuf want = STRBUF_INIT;
    strbuf_addf(&want, "bad.gguf: at byte %zu: ", at);
    if (gguf_open_mem(&m, b->p, b->n, "bad.gguf", &err) == 0) {
        test_fail(__FILE__, line, "accepted, expected \"%s\"", words);
        gguf_close(&m);
    } else {
        if (!str_starts_with(err.msg, want.buf) || !contains(err.msg, words))
            test_fail(__FILE__, line, "message \"%s\", expected \"%s...%s\"", err.msg, want.buf,
                      words);
        if (err.exit_code != EXIT_INPUT)
            test_fail(__FILE__, line, "exit code %d", err.exit_code);
    }
    hb_error_release(&err);
    /* the same from a file: the message names the path */
    char *path = tmp_path("bad.gguf");
    write_file_atomic(path, b->p, b->n, 0644);
    strbuf_reset(&want);
    strbuf_addf(&want, "%s: at byte %zu: ", path, at);
    if (gguf_open(&m, path, &err) == 0) {
        test_fail(__FILE__, line, "file accepted");
        gguf_close(&m);
    } else if (!str_starts_with(err.msg, want.buf)) {
        test_fail(__FILE__, line, "file message \"%s\"", err.msg);
    }
    unlink(path);
    free(path);
    hb_error_release(&err);
    strbuf_release(&want);
}
#define expect_refused(b, at, words) expect_refused_(b, at, words, __LINE__)

static void expect_ok_(const struct bb *b, int line)
{
    struct hb_error err = HB_ERROR_INIT;
    struct gguf_model m;
    if (gguf_open_mem(&m, b->p, b->n, "ok.gguf", &err) < 0)
        test_fail(__FILE__, line, "refused: %s", err.msg);
    else
        gguf_close(&m);
    hb_error_release(&err);
}
#define expect_ok(b) expect_ok_(b, __LINE__)

/* ---- type table ---- */

static void test_type_table(void)
{
    const struct gguf_type_info *t = gguf_tensor_type(GGML_TYPE_Q4_K);
    CHECK(t && t->block_size == 256 && t->type_size == 144);
    CHECK_STR(t->name, "Q4_K");
    t = gguf_tensor_type(GGML_TYPE_Q6_K);
    CHECK(t && t->block_size == 256 && t->type_size == 210);
    t = gguf_tensor_type(GGML_TYPE_Q8_0);
    CHECK(t && t->block_size == 32 && t->type_size == 34);
    t = gguf_tensor_type(GGML_TYPE_MXFP4);
    CHECK(t && t->block_size == 32 && t->type_size == 17);
    t = gguf_tensor_type(GGML_TYPE_TQ1_0);
    CHECK(t && t->block_size == 256 && t->type_size == 54);
    t = gguf_tensor_type(GGML_TYPE_IQ4_XS);
    CHECK(t && t->type_size == 136);
    CHECK(gguf_tensor_type(4) == NULL); /* Q4_2, removed */
    CHECK(gguf_tensor_type(33) == NULL);
    CHECK(gguf_tensor_type(1000) == NULL);
    CHECK(gguf_tensor_type_by_name("q4_k") == gguf_tensor_type(GGML_TYPE_Q4_K));
    CHECK(gguf_tensor_type_by_name("bf16")->id == GGML_TYPE_BF16);
    CHECK(gguf_tensor_type_by_name("Q4_K_M") == NULL);
    size_t n = 0;
    while (gguf_tensor_type_at(n))
        n++;
    CHECK_U64(n, 34);
    CHECK_STR(gguf_file_type_name(15), "Q4_K_M");
    CHECK_STR(gguf_file_type_name(38), "MXFP4_MOE");
    CHECK_STR(gguf_file_type_name(0), "F32");
    CHECK(gguf_file_type_name(5) == NULL);
    CHECK_STR(gguf_type_name(GGUF_TYPE_FLOAT64), "f64");
    CHECK(gguf_type_name(13) == NULL);
    CHECK_U64(gguf_type_size(GGUF_TYPE_BOOL), 1);
    CHECK_U64(gguf_type_size(GGUF_TYPE_STRING), 0);
}

/* ---- writer -> reader ---- */

static uint8_t pattern(size_t tensor, uint64_t j)
{
    return (uint8_t)(tensor * 31 + j * 7 + (j >> 8));
}

struct str_expect {
    const char *const *want;
    uint64_t n, seen;
    bool ok;
};

static int str_check(void *ctx, uint64_t i, const char *s, uint64_t len, struct hb_error *err)
{
    struct str_expect *e = ctx;
    (void)err;
    if (i >= e->n || len != strlen(e->want[i]) || memcmp(s, e->want[i], len) != 0)
        e->ok = false;
    e->seen++;
    return 0;
}

#define N_ROUNDTRIP_KV 29

static void write_all_types(const char *path, uint32_t alignment, struct hb_error *err)
{
    size_t n_types = 0;
    while (gguf_tensor_type_at(n_types))
        n_types++;
    struct gguf_writer *w;
    uint64_t n_kv = N_ROUNDTRIP_KV + (alignment ? 1 : 0);
    if (gguf_writer_open(&w, path, n_kv, n_types + 4, err) < 0)
        return;
    int r = 0;
    struct gguf_value v;
#define SCALAR(k, t, field, val)                                                                   \
    v = (struct gguf_value){.type = t};                                                            \
    v.v.field = val;                                                                               \
    r |= gguf_writer_kv(w, k, &v, err)
    SCALAR("u8", GGUF_TYPE_UINT8, u64, 255);
    SCALAR("i8", GGUF_TYPE_INT8, i64, -128);
    SCALAR("u16", GGUF_TYPE_UINT16, u64, 65535);
    SCALAR("i16", GGUF_TYPE_INT16, i64, -32768);
    SCALAR("u32", GGUF_TYPE_UINT32, u64, UINT32_MAX);
    SCALAR("i32", GGUF_TYPE_INT32, i64, INT32_MIN);
    SCALAR("f32", GGUF_TYPE_FLOAT32, f32, -3.5f);
    SCALAR("bool.t", GGUF_TYPE_BOOL, b, true);
    SCALAR("bool.f", GGUF_TYPE_BOOL, b, false);
    SCALAR("u64", GGUF_TYPE_UINT64, u64, UINT64_MAX);
    SCALAR("i64", GGUF_TYPE_INT64, i64, INT64_MIN);
    SCALAR("f64", GGUF_TYPE_FLOAT64, f64, 1e300);
    r |= gguf_writer_kv_str(w, "str", "h\xc3\xa9llo \xe2\x9c\x93", err);
    r |= gguf_writer_kv_str(w, "str.empty", "", err);
    if (alignment)
        r |= gguf_writer_kv_u32(w, "general.alignment", alignment, err);
    uint8_t u8[] = {1, 2, 255};
    int8_t i8[] = {-1, 0, 127};
    uint16_t u16[] = {1, 65535};
    int16_t i16[] = {-2, 300};
    uint32_t u32[] = {7, UINT32_MAX, 0};
    int32_t i32[] = {-7, INT32_MAX};
    float f32[] = {0.5f, -1e-6f, 1e30f};
    uint8_t bools[] = {1, 0, 1, 1};
    uint64_t u64[] = {UINT64_MAX, 1};
    int64_t i64[] = {INT64_MIN, -1, 5};
    double f64[] = {-0.25, 1e-300};
    static const char *const strs[] = {"a", "", "\xc3\xbc\xc3\xbc", "tokens <0x0A>"};
    r |= gguf_writer_kv_array(w, "a.u8", GGUF_TYPE_UINT8, u8, 3, err);
    r |= gguf_writer_kv_array(w, "a.i8", GGUF_TYPE_INT8, i8, 3, err);
    r |= gguf_writer_kv_array(w, "a.u16", GGUF_TYPE_UINT16, u16, 2, err);
    r |= gguf_writer_kv_array(w, "a.i16", GGUF_TYPE_INT16, i16, 2, err);
    r |= gguf_writer_kv_array(w, "a.u32", GGUF_TYPE_UINT32, u32, 3, err);
    r |= gguf_writer_kv_array(w, "a.i32", GGUF_TYPE_INT32, i32, 2, err);
    r |= gguf_writer_kv_array(w, "a.f32", GGUF_TYPE_FLOAT32, f32, 3, err);
    r |= gguf_writer_kv_array(w, "a.bool", GGUF_TYPE_BOOL, bools, 4, err);
    r |= gguf_writer_kv_array(w, "a.u64", GGUF_TYPE_UINT64, u64, 2, err);
    r |= gguf_writer_kv_array(w, "a.i64", GGUF_TYPE_INT64, i64, 3, err);
    r |= gguf_writer_kv_array(w, "a.f64", GGUF_TYPE_FLOAT64, f64, 2, err);
    r |= gguf_writer_kv_array(w, "a.str", GGUF_TYPE_STRING, strs, 4, err);
    r |= gguf_writer_kv_array(w, "a.empty", GGUF_TYPE_UINT32, NULL, 0, err);
    /* [["x", "y"], [], [[1, 2]]]: arrays of arrays, as the spec allows */
    r |= gguf_writer_array_begin(w, "a.nested", GGUF_TYPE_ARRAY, 3, err);
    r |= gguf_writer_array_begin(w, NULL, GGUF_TYPE_STRING, 2, err);
    r |= gguf_writer_array_str(w, "x", 1, err);
    r |= gguf_writer_array_str(w, "y", 1, err);
    r |= gguf_writer_array_begin(w, NULL, GGUF_TYPE_STRING, 0, err);
    r |= gguf_writer_array_begin(w, NULL, GGUF_TYPE_ARRAY, 1, err);
    r |= gguf_writer_array_begin(w, NULL, GGUF_TYPE_UINT32, 2, err);
    r |= gguf_writer_array_items(w, u32, 2, err);
    /* a streamed array of strings */
    r |= gguf_writer_array_begin(w, "a.streamed", GGUF_TYPE_STRING, 3, err);
    for (int i = 0; i < 3; i++)
        r |= gguf_writer_array_str(w, strs[i], strlen(strs[i]), err);
    if (r) {
        gguf_writer_free(w);
        return;
    }
    /* one tensor of each type, two rows of two blocks, then edge shapes */
    for (size_t i = 0; i < n_types && r == 0; i++) {
        const struct gguf_type_info *t = gguf_tensor_type_at(i);
        char name[32];
        uint64_t ne[2] = {t->block_size * 2ULL, 2};
        snprintf(name, sizeof(name), "t.%s", t->name);
        r |= gguf_writer_tensor(w, name, 2, ne, t->id, err);
    }
    uint64_t ne4[4] = {32, 2, 3, 2}, ne0[1] = {0}, ne1[1] = {3};
    r |= gguf_writer_tensor(w, "four.dims", 4, ne4, GGML_TYPE_F16, err);
    r |= gguf_writer_tensor(w, "scalar", 0, NULL, GGML_TYPE_F32, err);
    r |= gguf_writer_tensor(w, "empty", 1, ne0, GGML_TYPE_F32, err);
    r |= gguf_writer_tensor(w, "odd", 1, ne1, GGML_TYPE_I8, err);
    /* data: the first tensors byte by byte, then in odd chunks, then
     * through spans */
    for (size_t i = 0; r == 0 && gguf_writer_data_left(w) > 0; i++) {
        uint64_t left = gguf_writer_data_left(w);
        uint64_t j = 0;
        while (r == 0 && j < left) {
            if (i % 3 == 2) {
                void *ptr;
                size_t len;
                r |= gguf_writer_data_span(w, 1, &ptr, &len, err);
                len = len > 100 ? 100 : len;
                for (size_t k = 0; r == 0 && k < len; k++)
                    ((uint8_t *)ptr)[k] = pattern(i, j + k);
                if (r == 0)
                    gguf_writer_data_commit(w, len);
                j += len;
            } else {
                uint8_t chunk[13];
                size_t k = i % 3 == 0 ? 1 : sizeof(chunk);
                if (k > left - j)
                    k = left - j;
                for (size_t c = 0; c < k; c++)
                    chunk[c] = pattern(i, j + c);
                r |= gguf_writer_data(w, chunk, k, err);
                j += k;
            }
        }
        /* the zero-size tensor is skipped by the writer: keep the count in
         * step with the reader's */
        if (i + 1 < n_types + 4 && i + 1 == n_types + 2)
            i++;
    }
    if (r == 0)
        gguf_writer_finish(w, err);
    gguf_writer_free(w);
}

static void check_all_types(const char *path, uint32_t alignment)
{
    struct hb_error err = HB_ERROR_INIT;
    struct gguf_model m;
    cleanup_strbuf struct strbuf file = STRBUF_INIT;
    uint32_t al = alignment ? alignment : GGUF_DEFAULT_ALIGNMENT;
    if (gguf_open(&m, path, &err) < 0) {
        test_fail(__FILE__, __LINE__, "alignment %u: %s", alignment, err.msg);
        hb_error_release(&err);
        return;
    }
    CHECK(slurp(path, &file));
    CHECK_U64(m.version, 3);
    CHECK_U64(m.alignment, al);
    CHECK_U64(m.n_kv, N_ROUNDTRIP_KV + (alignment ? 1 : 0));
    CHECK_U64(m.total_bytes, file.len);
    CHECK_STR(m.kv[0].key, "u8");
    CHECK(m.kv[0].type == GGUF_TYPE_UINT8 && m.kv[0].v.u64 == 255);
    const struct gguf_kv *kv = gguf_find(&m, "i8");
    CHECK(kv && kv->type == GGUF_TYPE_INT8 && kv->v.i64 == -128);
    kv = gguf_find(&m, "u16");
    CHECK(kv && kv->type == GGUF_TYPE_UINT16 && kv->v.u64 == 65535);
    kv = gguf_find(&m, "i16");
    CHECK(kv && kv->type == GGUF_TYPE_INT16 && kv->v.i64 == -32768);
    kv = gguf_find(&m, "u32");
    CHECK(kv && kv->type == GGUF_TYPE_UINT32 && kv->v.u64 == UINT32_MAX);
    kv = gguf_find(&m, "i32");
    CHECK(kv && kv->type == GGUF_TYPE_INT32 && kv->v.i64 == INT32_MIN);
    kv = gguf_find(&m, "f32");
    CHECK(kv && kv->type == GGUF_TYPE_FLOAT32 && kv->v.f32 == -3.5f);
    kv = gguf_find(&m, "bool.t");
    CHECK(kv && kv->type == GGUF_TYPE_BOOL && kv->v.b);
    kv = gguf_find(&m, "bool.f");
    CHECK(kv && kv->type == GGUF_TYPE_BOOL && !kv->v.b);
    kv = gguf_find(&m, "u64");
    CHECK(kv && kv->type == GGUF_TYPE_UINT64 && kv->v.u64 == UINT64_MAX);
    kv = gguf_find(&m, "i64");
    CHECK(kv && kv->type == GGUF_TYPE_INT64 && kv->v.i64 == INT64_MIN);
    kv = gguf_find(&m, "f64");
    CHECK(kv && kv->type == GGUF_TYPE_FLOAT64 && kv->v.f64 == 1e300);
    kv = gguf_find(&m, "str");
    CHECK(kv && kv->type == GGUF_TYPE_STRING && kv->str_len == 10);
    CHECK_STR(kv ? kv->str : NULL, "h\xc3\xa9llo \xe2\x9c\x93");
    kv = gguf_find(&m, "str.empty");
    CHECK(kv && kv->type == GGUF_TYPE_STRING && kv->str_len == 0);
    uint64_t u;
    double d;
    CHECK(gguf_kv_get_u64(gguf_find(&m, "u16"), &u) && u == 65535);
    CHECK(!gguf_kv_get_u64(gguf_find(&m, "i8"), &u)); /* negative */
    CHECK(!gguf_kv_get_u64(gguf_find(&m, "str"), &u));
    CHECK(gguf_kv_get_f64(gguf_find(&m, "f32"), &d) && d == -3.5);

    /* arrays: every element type, read back exactly */
    struct {
        const char *key;
        enum gguf_type type;
        uint64_t n;
        const void *want;
        size_t bytes;
    } arrays[] = {
        {"a.u8", GGUF_TYPE_UINT8, 3, (uint8_t[]){1, 2, 255}, 3},
        {"a.i8", GGUF_TYPE_INT8, 3, (int8_t[]){-1, 0, 127}, 3},
        {"a.u16", GGUF_TYPE_UINT16, 2, (uint16_t[]){1, 65535}, 4},
        {"a.i16", GGUF_TYPE_INT16, 2, (int16_t[]){-2, 300}, 4},
        {"a.u32", GGUF_TYPE_UINT32, 3, (uint32_t[]){7, UINT32_MAX, 0}, 12},
        {"a.i32", GGUF_TYPE_INT32, 2, (int32_t[]){-7, INT32_MAX}, 8},
        {"a.f32", GGUF_TYPE_FLOAT32, 3, (float[]){0.5f, -1e-6f, 1e30f}, 12},
        {"a.bool", GGUF_TYPE_BOOL, 4, (uint8_t[]){1, 0, 1, 1}, 4},
        {"a.u64", GGUF_TYPE_UINT64, 2, (uint64_t[]){UINT64_MAX, 1}, 16},
        {"a.i64", GGUF_TYPE_INT64, 3, (int64_t[]){INT64_MIN, -1, 5}, 24},
        {"a.f64", GGUF_TYPE_FLOAT64, 2, (double[]){-0.25, 1e-300}, 16},
    };
    for (size_t i = 0; i < ARRAY_SIZE(arrays); i++) {
        uint8_t got[32];
        kv = gguf_find(&m, arrays[i].key);
        CHECK(kv && kv->type == GGUF_TYPE_ARRAY && kv->arr_type == arrays[i].type &&
              kv->arr_count == arrays[i].n && kv->value_bytes == arrays[i].bytes);
        if (!kv)
            continue;
        CHECK(gguf_array_read(&m, kv, 0, arrays[i].n, got, &err) == 0);
        CHECK(memcmp(got, arrays[i].want, arrays[i].bytes) == 0);
        /* a slice */
        size_t es = gguf_type_size(arrays[i].type);
        CHECK(gguf_array_read(&m, kv, 1, 1, got, &err) == 0);
        CHECK(memcmp(got, (const uint8_t *)arrays[i].want + es, es) == 0);
        CHECK(gguf_array_read(&m, kv, 1, arrays[i].n, got, &err) < 0);
        hb_error_release(&err);
    }
    static const char *const strs[] = {"a", "", "\xc3\xbc\xc3\xbc", "tokens <0x0A>"};
    struct str_expect se = {strs, 4, 0, true};
    kv = gguf_find(&m, "a.str");
    CHECK(kv && kv->arr_type == GGUF_TYPE_STRING && kv->arr_count == 4);
    CHECK(kv && gguf_array_strings(&m, kv, str_check, &se, &err) == 0 && se.ok && se.seen == 4);
    CHECK(kv && gguf_array_read(&m, kv, 0, 1, &u, &err) < 0); /* not numbers */
    hb_error_release(&err);
    se = (struct str_expect){strs, 3, 0, true};
    kv = gguf_find(&m, "a.streamed");
    CHECK(kv && gguf_array_strings(&m, kv, str_check, &se, &err) == 0 && se.ok && se.seen == 3);
    kv = gguf_find(&m, "a.empty");
    CHECK(kv && kv->arr_type == GGUF_TYPE_UINT32 && kv->arr_count == 0);
    kv = gguf_find(&m, "a.nested");
    /* 3 x (type, count), "x" "y" (8 + 1 each), the u32 pair */
    CHECK(kv && kv->arr_type == GGUF_TYPE_ARRAY && kv->arr_count == 3 &&
          kv->value_bytes == 3 * 12 + 2 * 9 + 12 + 8);
    kv = gguf_find(&m, "general.alignment");
    CHECK(alignment ? kv && kv->type == GGUF_TYPE_UINT32 && kv->v.u64 == alignment : kv == NULL);

    /* tensors: names, shapes, types, offsets in order and aligned, data */
    size_t n_types = 0;
    while (gguf_tensor_type_at(n_types))
        n_types++;
    CHECK_U64(m.n_tensors, n_types + 4);
    CHECK(m.shards[0].data_offset % al == 0);
    uint64_t expect = 0, params = 0;
    for (size_t i = 0; i < m.n_tensors; i++) {
        const struct gguf_tensor *t = &m.tensors[i];
        CHECK_U64(t->offset, expect);
        CHECK(t->file_offset == m.shards[0].data_offset + t->offset);
        expect = (t->offset + t->n_bytes + al - 1) / al * al;
        params += t->n_elements;
        if (i < n_types) {
            const struct gguf_type_info *ti = gguf_tensor_type_at(i);
            char name[32];
            snprintf(name, sizeof(name), "t.%s", ti->name);
            CHECK_STR(t->name, name);
            CHECK(t->type == ti->id && t->n_dims == 2 && t->ne[0] == ti->block_size * 2ULL &&
                  t->ne[1] == 2 && t->ne[2] == 1 && t->ne[3] == 1);
            CHECK_U64(t->n_bytes, 4ULL * ti->type_size);
        }
        bool same = t->file_offset + t->n_bytes <= file.len;
        for (uint64_t j = 0; same && j < t->n_bytes; j++)
            same = (uint8_t)file.buf[t->file_offset + j] == pattern(i, j);
        if (!same)
            test_fail(__FILE__, __LINE__, "tensor %s data differs", t->name);
    }
    const struct gguf_tensor *t = gguf_find_tensor(&m, "four.dims");
    CHECK(t && t->n_dims == 4 && t->ne[3] == 2 && t->n_elements == 384 && t->n_bytes == 768);
    t = gguf_find_tensor(&m, "scalar");
    CHECK(t && t->n_dims == 0 && t->n_elements == 1 && t->n_bytes == 4);
    t = gguf_find_tensor(&m, "empty");
    CHECK(t && t->n_elements == 0 && t->n_bytes == 0);
    CHECK(gguf_find_tensor(&m, "nope") == NULL);
    CHECK_U64(m.n_params, params);
    CHECK_U64(m.n_type_stats, n_types);
    for (size_t i = 1; i < m.n_type_stats; i++)
        CHECK(m.type_stats[i - 1].type < m.type_stats[i].type);
    gguf_close(&m);
    hb_error_release(&err);
}

static void test_roundtrip_every_type(void)
{
    /* 0: no general.alignment (ggml's default 32) */
    const uint32_t aligns[] = {0, 1, 8, 32, 64, 4096};
    for (size_t i = 0; i < ARRAY_SIZE(aligns); i++) {
        struct hb_error err = HB_ERROR_INIT;
        char *path = tmp_path("all.gguf");
        write_all_types(path, aligns[i], &err);
        if (err.msg)
            test_fail(__FILE__, __LINE__, "alignment %u: %s", aligns[i], err.msg);
        else
            check_all_types(path, aligns[i]);
        hb_error_release(&err);
        unlink(path);
        free(path);
    }
    CHECK_U64(count_tmp_files(), 0);
}

static void test_version_2_and_memory(void)
{
    struct hb_error err = HB_ERROR_INIT;
    char *path = tmp_path("v2.gguf");
    cleanup_strbuf struct strbuf file = STRBUF_INIT;
    write_all_types(path, 64, &err);
    CHECK(err.msg == NULL);
    CHECK(slurp(path, &file));
    file.buf[4] = 2; /* v2 differs from v3 only for big-endian files */
    struct gguf_model m;
    CHECK(gguf_open_mem(&m, file.buf, file.len, "v2", &err) == 0);
    CHECK_U64(m.version, 2);
    CHECK_U64(m.alignment, 64);
    const struct gguf_kv *kv = gguf_find(&m, "a.str");
    static const char *const strs[] = {"a", "", "\xc3\xbc\xc3\xbc", "tokens <0x0A>"};
    struct str_expect se = {strs, 4, 0, true};
    CHECK(kv && gguf_array_strings(&m, kv, str_check, &se, &err) == 0 && se.ok);
    gguf_close(&m);
    gguf_close(&m); /* twice is harmless */
    /* every truncation inside the header or the tensor data is refused; only
     * the padding after the last tensor may go (llama.cpp does not need it) */
    CHECK(gguf_open_mem(&m, file.buf, file.len, "v2", &err) == 0);
    uint64_t data_end = 0;
    for (size_t i = 0; i < m.n_tensors; i++)
        if (m.tensors[i].file_offset + m.tensors[i].n_bytes > data_end)
            data_end = m.tensors[i].file_offset + m.tensors[i].n_bytes;
    gguf_close(&m);
    CHECK(data_end < file.len && data_end + 64 > file.len);
    size_t refused = 0;
    for (size_t n = 0; n < file.len; n++) {
        if (gguf_open_mem(&m, file.buf, n, "cut", &err) == 0) {
            gguf_close(&m);
        } else {
            refused++;
            CHECK(err.exit_code == EXIT_INPUT && str_starts_with(err.msg, "cut: at byte "));
        }
        hb_error_release(&err);
    }
    CHECK_U64(refused, data_end);
    /* any single corrupted byte: an answer, never a crash */
    for (size_t n = 0; n < file.len; n++) {
        file.buf[n] ^= 0x5a;
        if (gguf_open_mem(&m, file.buf, file.len, "flip", &err) == 0)
            gguf_close(&m);
        hb_error_release(&err);
        file.buf[n] ^= 0x5a;
    }
    unlink(path);
    free(path);
}

static void test_writer_refuses(void)
{
    struct hb_error err = HB_ERROR_INIT;
    char *path = tmp_path("w.gguf");
    struct gguf_writer *w;
    uint64_t ne[2] = {32, 2};

    CHECK(gguf_writer_open(&w, path, 2, 0, &err) == 0);
    CHECK(gguf_writer_kv_u32(w, "a", 1, &err) == 0);
    CHECK(gguf_writer_kv_u32(w, "a", 2, &err) < 0 && contains(err.msg, "duplicate key 'a'"));
    gguf_writer_free(w);
    CHECK(access(path, F_OK) != 0);

    const struct {
        const char *key;
        struct gguf_value v;
        const char *words;
    } bad_kv[] = {
        {"general.alignment", {.type = GGUF_TYPE_UINT64, .v.u64 = 32}, "must be of type u32"},
        {"general.alignment", {.type = GGUF_TYPE_UINT32, .v.u64 = 48}, "not a power of two"},
        {"general.alignment", {.type = GGUF_TYPE_UINT32, .v.u64 = 0}, "not a power of two"},
        {"", {.type = GGUF_TYPE_UINT32}, "empty key"},
        {"\xff", {.type = GGUF_TYPE_UINT32}, "not valid UTF-8"},
        {"s", {.type = GGUF_TYPE_STRING, .str = "\xc3", .str_len = 1}, "not valid UTF-8"},
        {"x", {.type = GGUF_TYPE_ARRAY}, "not a scalar"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad_kv); i++) {
        CHECK(gguf_writer_open(&w, path, 1, 0, &err) == 0);
        if (gguf_writer_kv(w, bad_kv[i].key, &bad_kv[i].v, &err) == 0 ||
            !contains(err.msg, bad_kv[i].words))
            test_fail(__FILE__, __LINE__, "key %zu: %s", i, err.msg);
        gguf_writer_free(w);
        hb_error_release(&err);
    }

    const struct {
        const char *name;
        uint32_t n_dims;
        uint64_t ne[5];
        uint32_t type;
        const char *words;
    } bad_t[] = {
        {"t", 2, {32, 2}, 4, "unknown type 4"},
        {"t", 5, {32, 1, 1, 1, 1}, GGML_TYPE_F32, "5 dimensions"},
        {"t", 2, {33, 2}, GGML_TYPE_Q8_0, "not a multiple"},
        {"t", 2, {1ULL << 62, 4}, GGML_TYPE_F32, "more elements"},
        {"0123456789012345678901234567890123456789012345678901234567890123",
         1,
         {1},
         GGML_TYPE_F32,
         "longer than 63"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad_t); i++) {
        CHECK(gguf_writer_open(&w, path, 0, 1, &err) == 0);
        if (gguf_writer_tensor(w, bad_t[i].name, bad_t[i].n_dims, bad_t[i].ne, bad_t[i].type,
                               &err) == 0 ||
            !contains(err.msg, bad_t[i].words))
            test_fail(__FILE__, __LINE__, "tensor %zu: %s", i, err.msg);
        gguf_writer_free(w);
        hb_error_release(&err);
    }

    /* duplicate names, data past the end, finishing early, order */
    CHECK(gguf_writer_open(&w, path, 0, 2, &err) == 0);
    CHECK(gguf_writer_tensor(w, "t", 2, ne, GGML_TYPE_F32, &err) == 0);
    CHECK(gguf_writer_tensor(w, "t", 2, ne, GGML_TYPE_F32, &err) < 0 &&
          contains(err.msg, "duplicate tensor name 't'"));
    gguf_writer_free(w);
    hb_error_release(&err);

    CHECK(gguf_writer_open(&w, path, 1, 1, &err) == 0);
    CHECK(gguf_writer_tensor(w, "t", 2, ne, GGML_TYPE_F32, &err) < 0 &&
          contains(err.msg, "before all keys"));
    gguf_writer_free(w);
    hb_error_release(&err);

    CHECK(gguf_writer_open(&w, path, 0, 1, &err) == 0);
    CHECK(gguf_writer_tensor(w, "t", 2, ne, GGML_TYPE_F32, &err) == 0);
    uint8_t data[300] = {0};
    CHECK(gguf_writer_data(w, data, 100, &err) == 0);
    CHECK(gguf_writer_finish(w, &err) < 0 && contains(err.msg, "0 of 1 tensors"));
    hb_error_release(&err);
    gguf_writer_free(w);
    CHECK(access(path, F_OK) != 0);

    CHECK(gguf_writer_open(&w, path, 0, 1, &err) == 0);
    CHECK(gguf_writer_tensor(w, "t", 2, ne, GGML_TYPE_F32, &err) == 0);
    CHECK(gguf_writer_data(w, data, 300, &err) < 0 && contains(err.msg, "past the end"));
    /* once failed, always failed, with the first reason */
    CHECK(gguf_writer_finish(w, &err) < 0 && contains(err.msg, "past the end"));
    hb_error_release(&err);
    gguf_writer_free(w);

    /* arrays: too many elements, wrong element kind, nested where none */
    CHECK(gguf_writer_open(&w, path, 1, 0, &err) == 0);
    CHECK(gguf_writer_array_begin(w, "a", GGUF_TYPE_UINT32, 2, &err) == 0);
    CHECK(gguf_writer_array_str(w, "x", 1, &err) < 0);
    gguf_writer_free(w);
    hb_error_release(&err);
    CHECK(gguf_writer_open(&w, path, 1, 0, &err) == 0);
    CHECK(gguf_writer_array_begin(w, "a", GGUF_TYPE_UINT32, 1, &err) == 0);
    CHECK(gguf_writer_array_items(w, data, 2, &err) < 0 && contains(err.msg, "remain"));
    gguf_writer_free(w);
    hb_error_release(&err);
    CHECK(gguf_writer_open(&w, path, 1, 0, &err) == 0);
    CHECK(gguf_writer_array_begin(w, NULL, GGUF_TYPE_UINT32, 1, &err) < 0);
    gguf_writer_free(w);
    hb_error_release(&err);
    CHECK(gguf_writer_open(&w, path, 1, 0, &err) == 0);
    CHECK(gguf_writer_array_begin(w, "a", GGUF_TYPE_UINT32, (1ULL << 30) + 1, &err) < 0);
    gguf_writer_free(w);
    hb_error_release(&err);

    /* a directory that does not exist */
    char *nowhere = tmp_path("no/such/dir.gguf");
    CHECK(gguf_writer_open(&w, nowhere, 0, 0, &err) < 0 && contains(err.msg, "cannot create"));
    hb_error_release(&err);
    free(nowhere);

    /* counting only: no file, the size of one */
    CHECK(gguf_writer_open(&w, NULL, 1, 1, &err) == 0);
    CHECK(gguf_writer_kv_str(w, "k", "v", &err) == 0);
    CHECK(gguf_writer_tensor(w, "t", 2, ne, GGML_TYPE_F32, &err) == 0);
    CHECK_U64(gguf_writer_offset(w), 96); /* 24 + 22 + 41, padded to 32 */
    CHECK(gguf_writer_data(w, data, 256, &err) == 0);
    CHECK(gguf_writer_finish(w, &err) == 0);
    CHECK_U64(gguf_writer_offset(w), 96 + 256);
    gguf_writer_free(w);
    CHECK_U64(count_tmp_files(), 0);
    free(path);
}

/* ---- split models ---- */

static int write_part(const char *path, unsigned no, unsigned count, unsigned split_no,
                      const char *dup_name, struct hb_error *err)
{
    struct gguf_writer *w;
    uint64_t ne[1] = {64};
    int r = gguf_writer_open(&w, path, no == 0 ? 5 : 3, 2, err);
    if (r < 0)
        return r;
    struct gguf_value u16 = {.type = GGUF_TYPE_UINT16, .v.u64 = split_no};
    struct gguf_value c16 = {.type = GGUF_TYPE_UINT16, .v.u64 = count};
    struct gguf_value i32 = {.type = GGUF_TYPE_INT32, .v.i64 = 2 * count};
    if (no == 0) {
        r |= gguf_writer_kv_str(w, "general.architecture", "llama", err);
        r |= gguf_writer_kv_u32(w, "llama.block_count", 3, err);
    }
    r |= gguf_writer_kv(w, "split.no", &u16, err);
    r |= gguf_writer_kv(w, "split.count", &c16, err);
    r |= gguf_writer_kv(w, "split.tensors.count", &i32, err);
    char name[32];
    snprintf(name, sizeof(name), "blk.%u.a.weight", no);
    r |= gguf_writer_tensor(w, dup_name ? dup_name : name, 1, ne, GGML_TYPE_F32, err);
    snprintf(name, sizeof(name), "blk.%u.b.weight", no);
    r |= gguf_writer_tensor(w, name, 1, ne, GGML_TYPE_F16, err);
    uint8_t data[384] = {1};
    r |= gguf_writer_data(w, data, sizeof(data), err);
    if (r == 0)
        r = gguf_writer_finish(w, err);
    gguf_writer_free(w);
    return r;
}

static void test_split_model(void)
{
    struct hb_error err = HB_ERROR_INIT;
    char *p[3];
    uint64_t total = 0;
    for (unsigned i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof(name), "m-%05u-of-00003.gguf", i + 1);
        p[i] = tmp_path(name);
        CHECK(write_part(p[i], i, 3, i, NULL, &err) == 0);
        struct stat st;
        if (stat(p[i], &st) == 0)
            total += (uint64_t)st.st_size;
    }
    char *prefix = NULL;
    unsigned no = 0, count = 0;
    CHECK(gguf_split_name(p[1], &prefix, &no, &count) && no == 2 && count == 3);
    CHECK(prefix && str_starts_with(p[1], prefix) && strlen(prefix) + 20 == strlen(p[1]));
    free(prefix);
    CHECK(!gguf_split_name("m-00004-of-00003.gguf", NULL, NULL, NULL));
    CHECK(!gguf_split_name("m-0001-of-00003.gguf", NULL, NULL, NULL));
    CHECK(!gguf_split_name("/x/-00001-of-00003.gguf", NULL, NULL, NULL));
    CHECK(!gguf_split_name("m.gguf", NULL, NULL, NULL));

    /* any part names the whole model */
    for (unsigned i = 0; i < 3; i++) {
        struct gguf_model m;
        if (gguf_open(&m, p[i], &err) < 0) {
            test_fail(__FILE__, __LINE__, "%s", err.msg);
            hb_error_release(&err);
            continue;
        }
        CHECK_U64(m.n_shards, 3);
        CHECK_U64(m.n_tensors, 6);
        CHECK_U64(m.n_params, 6 * 64);
        CHECK_U64(m.total_bytes, total);
        CHECK_U64(m.n_kv, 5);
        CHECK_STR(m.s.arch, "llama");
        CHECK(m.s.n_layers.known && m.s.n_layers.v == 3);
        CHECK_STR(m.tensors[5].name, "blk.2.b.weight");
        CHECK_U64(m.tensors[5].shard, 2);
        CHECK_U64(m.n_type_stats, 2);
        gguf_close(&m);
    }
    /* one part alone */
    struct gguf_model m;
    CHECK(gguf_open_file(&m, p[1], &err) == 0 && m.n_tensors == 2 && m.n_shards == 1);
    gguf_close(&m);

    /* a part that says it is another part */
    CHECK(write_part(p[1], 1, 3, 2, NULL, &err) == 0);
    CHECK(gguf_open(&m, p[0], &err) < 0 && contains(err.msg, "split.no is not 1"));
    hb_error_release(&err);
    /* a part that says there are 4 parts */
    CHECK(write_part(p[1], 1, 4, 1, NULL, &err) == 0);
    CHECK(gguf_open(&m, p[0], &err) < 0 && contains(err.msg, "split.count is 4") &&
          contains(err.msg, "m-00002-of-00003.gguf"));
    hb_error_release(&err);
    /* the same tensor in two parts */
    CHECK(write_part(p[1], 1, 3, 1, "blk.0.a.weight", &err) == 0);
    CHECK(gguf_open(&m, p[2], &err) < 0 &&
          contains(err.msg, "duplicate tensor name 'blk.0.a.weight'"));
    hb_error_release(&err);
    /* a missing part */
    unlink(p[1]);
    CHECK(gguf_open(&m, p[0], &err) < 0 && contains(err.msg, "part 2 of 3") &&
          contains(err.msg, "m-00002-of-00003.gguf: cannot open"));
    hb_error_release(&err);
    for (unsigned i = 0; i < 3; i++) {
        unlink(p[i]);
        free(p[i]);
    }
}

/* ---- malformed files ---- */

static void test_bad_header(void)
{
    struct bb b = {0};
    expect_refused(&b, 0, "only 0 bytes");
    hdr(&b, 3, 0, 0);
    expect_ok(&b);
    b.n = 10;
    expect_refused(&b, 8, "the file ends inside the tensor count");
    b.n = 3;
    expect_refused(&b, 0, "only 3 bytes");
    hdr(&b, 3, 0, 0);
    b.p[3] = 'X';
    expect_refused(&b, 0, "not a GGUF file: it starts with 'GGUX'");
    hdr(&b, 1, 0, 0);
    expect_refused(&b, 4, "version 1 is no longer supported");
    hdr(&b, 99, 0, 0);
    expect_refused(&b, 4, "unsupported GGUF version 99");
    hdr(&b, 0, 0, 0);
    expect_refused(&b, 4, "unsupported GGUF version 0");
    hdr(&b, 0x03000000, 0, 0);
    expect_refused(&b, 4, "big-endian");
    hdr(&b, 2, 0, 0);
    expect_ok(&b);
    hdr(&b, 3, 1ULL << 40, 0);
    expect_refused(&b, 8, "tensor count 1099511627776 needs at least");
    hdr(&b, 3, 0, 1ULL << 40);
    expect_refused(&b, 16, "key-value count 1099511627776 needs at least");
    hdr(&b, 3, UINT64_MAX, UINT64_MAX);
    expect_refused(&b, 8, "past the end of the file");
    free(b.p);
}

static void test_bad_metadata(void)
{
    struct bb b = {0};
    size_t at;

    /* a key whose length runs past the end: nothing is allocated */
    hdr(&b, 3, 0, 1);
    bb_u64(&b, 1000);
    bb_zeros(&b, 20);
    expect_refused(&b, 24, "a key is 1000 bytes long, past the end of the file (20 bytes left)");
    hdr(&b, 3, 0, 1);
    bb_u64(&b, 1ULL << 40);
    bb_zeros(&b, 20);
    expect_refused(&b, 24, "a key is 1099511627776 bytes long, more than the 1 GiB");

    hdr(&b, 3, 0, 2);
    kv_u32(&b, "a", 1);
    at = b.n;
    kv_u32(&b, "a", 2);
    expect_refused(&b, at, "duplicate key 'a'");

    hdr(&b, 3, 0, 1);
    bb_str(&b, "k\xff");
    bb_u32(&b, GGUF_TYPE_UINT8);
    bb_raw(&b, "x", 1);
    expect_refused(&b, 24, "key 'k\\xff' is not valid UTF-8");
    hdr(&b, 3, 0, 1);
    bb_u64(&b, 3);
    bb_raw(&b, "a\0b", 3);
    bb_u32(&b, GGUF_TYPE_UINT8);
    bb_raw(&b, "x", 1);
    expect_refused(&b, 24, "contains a NUL byte");
    hdr(&b, 3, 0, 1);
    bb_str(&b, "");
    bb_u32(&b, GGUF_TYPE_UINT8);
    bb_raw(&b, "x", 1);
    bb_zeros(&b, 4);
    expect_refused(&b, 24, "empty key");
    /* overlong "/", a surrogate, a truncated sequence */
    const char *bad_utf8[] = {"\xc0\xaf", "\xed\xa0\x80", "\xe2\x9c", "\xf4\x90\x80\x80"};
    for (size_t i = 0; i < ARRAY_SIZE(bad_utf8); i++) {
        hdr(&b, 3, 0, 1);
        bb_str(&b, bad_utf8[i]);
        bb_u32(&b, GGUF_TYPE_UINT8);
        bb_raw(&b, "x", 1);
        expect_refused(&b, 24, "not valid UTF-8");
    }
    CHECK(utf8_valid("\xf0\x9f\x98\x80 \xe2\x96\x81", 8));

    hdr(&b, 3, 0, 1);
    bb_str(&b, "k");
    at = b.n;
    bb_u32(&b, 13);
    bb_u32(&b, 0);
    expect_refused(&b, at, "unknown value type 13 for key 'k'");

    hdr(&b, 3, 0, 1);
    bb_str(&b, "s");
    bb_u32(&b, GGUF_TYPE_STRING);
    at = b.n;
    bb_u64(&b, 100);
    bb_raw(&b, "short", 5);
    expect_refused(&b, at, "a string value is 100 bytes long, past the end");
    hdr(&b, 3, 0, 1);
    bb_str(&b, "s");
    bb_u32(&b, GGUF_TYPE_STRING);
    at = b.n;
    bb_str(&b, "\xfe");
    expect_refused(&b, at, "the value of key 's' is not valid UTF-8");
    hdr(&b, 3, 0, 1);
    bb_str(&b, "v");
    bb_u32(&b, GGUF_TYPE_UINT64);
    bb_u32(&b, 7); /* 4 of 8 bytes */
    expect_refused(&b, 37, "the file ends inside a value (8 bytes needed, 4 left)");

    /* arrays: 2^60 elements, unknown element type, strings past the end */
    hdr(&b, 3, 0, 1);
    bb_str(&b, "a");
    bb_u32(&b, GGUF_TYPE_ARRAY);
    bb_u32(&b, GGUF_TYPE_UINT8);
    at = b.n;
    bb_u64(&b, 1ULL << 60);
    expect_refused(&b, at, "array of 1152921504606846976 elements: more than the 2^30");
    hdr(&b, 3, 0, 1);
    bb_str(&b, "a");
    bb_u32(&b, GGUF_TYPE_ARRAY);
    bb_u32(&b, GGUF_TYPE_UINT32);
    at = b.n;
    bb_u64(&b, 1000);
    bb_zeros(&b, 40);
    expect_refused(&b, at, "array of 1000 u32 elements needs at least 4000 bytes");
    hdr(&b, 3, 0, 1);
    bb_str(&b, "a");
    bb_u32(&b, GGUF_TYPE_ARRAY);
    at = b.n;
    bb_u32(&b, 77);
    bb_u64(&b, 0);
    expect_refused(&b, at, "unknown array element type 77");
    hdr(&b, 3, 0, 1);
    bb_str(&b, "a");
    bb_u32(&b, GGUF_TYPE_ARRAY);
    bb_u32(&b, GGUF_TYPE_STRING);
    bb_u64(&b, 2);
    bb_str(&b, "ok");
    at = b.n;
    bb_u64(&b, 1ULL << 40);
    bb_zeros(&b, 8);
    expect_refused(&b, at, "a string in an array is 1099511627776 bytes long");
    /* strings of an array are not checked for UTF-8, as llama.cpp does not */
    hdr(&b, 3, 0, 1);
    bb_str(&b, "a");
    bb_u32(&b, GGUF_TYPE_ARRAY);
    bb_u32(&b, GGUF_TYPE_STRING);
    bb_u64(&b, 1);
    bb_str(&b, "\xff");
    expect_ok(&b);
    /* nested arrays: deep nesting refused */
    hdr(&b, 3, 0, 1);
    bb_str(&b, "a");
    bb_u32(&b, GGUF_TYPE_ARRAY);
    for (int i = 0; i < 9; i++) {
        bb_u32(&b, GGUF_TYPE_ARRAY);
        if (i == 7)
            at = b.n; /* the eighth array's count: its elements would be a ninth */
        bb_u64(&b, 1);
    }
    bb_u32(&b, GGUF_TYPE_UINT8);
    bb_u64(&b, 0);
    expect_refused(&b, at, "nested more than 8 deep");

    /* general.alignment */
    hdr(&b, 3, 0, 1);
    kv_u32(&b, "general.alignment", 48);
    expect_refused(&b, 24 + 25 + 4, "general.alignment 48 is not a power of two");
    hdr(&b, 3, 0, 1);
    bb_str(&b, "general.alignment");
    bb_u32(&b, GGUF_TYPE_UINT64);
    bb_u64(&b, 32);
    expect_refused(&b, 24, "general.alignment must be of type u32, not u64");
    free(b.p);
}

/* One valid tensor after a header with general.alignment 32, ready for a
 * second or third tensor info. */
static void two_tensor_file(struct bb *b, uint64_t n_tensors)
{
    hdr(b, 3, n_tensors, 1);
    kv_u32(b, "general.alignment", 32);
}

static void test_bad_tensors(void)
{
    struct bb b = {0};
    uint64_t ne32[1] = {32};
    struct ti_at t1, t2, t3;

    /* valid: two F32 tensors of 128 bytes */
    two_tensor_file(&b, 2);
    ti(&b, "a", 1, ne32, GGML_TYPE_F32, 0);
    ti(&b, "b", 1, ne32, GGML_TYPE_F32, 128);
    bb_pad(&b, 32);
    bb_zeros(&b, 256);
    expect_ok(&b);
    /* the last tensor's data cut short */

    two_tensor_file(&b, 2);
    ti(&b, "a", 1, ne32, GGML_TYPE_F32, 0);
    t2 = ti(&b, "b", 1, ne32, GGML_TYPE_F32, 128);
    bb_pad(&b, 32);
    bb_zeros(&b, 255);
    expect_refused(&b, t2.offset, "tensor 'b' data (128 bytes at byte");

    /* duplicate names */
    two_tensor_file(&b, 2);
    ti(&b, "a", 1, ne32, GGML_TYPE_F32, 0);
    t2 = ti(&b, "a", 1, ne32, GGML_TYPE_F32, 128);
    bb_pad(&b, 32);
    bb_zeros(&b, 256);
    expect_refused(&b, t2.info, "duplicate tensor name 'a'");

    /* a name that is not UTF-8, one too long */
    two_tensor_file(&b, 1);
    t1 = ti(&b, "bad\xc3(", 1, ne32, GGML_TYPE_F32, 0);
    bb_pad(&b, 32);
    bb_zeros(&b, 128);
    expect_refused(&b, t1.info, "tensor name 'bad\\xc3(' is not valid UTF-8");
    two_tensor_file(&b, 1);
    t1 = ti(&b, "0123456789012345678901234567890123456789012345678901234567890123", 1, ne32,
            GGML_TYPE_F32, 0);
    expect_refused(&b, t1.info, "is 64 bytes long: ggml allows at most 63");
    two_tensor_file(&b, 1);
    t1 = ti(&b, "012345678901234567890123456789012345678901234567890123456789012", 1, ne32,
            GGML_TYPE_F32, 0);
    bb_pad(&b, 32);
    bb_zeros(&b, 128);
    expect_ok(&b);

    /* n_dims 5; an unknown type; a row not made of whole blocks */
    uint64_t ne5[5] = {32, 1, 1, 1, 1};
    two_tensor_file(&b, 1);
    t1 = ti(&b, "t", 5, ne5, GGML_TYPE_F32, 0);
    expect_refused(&b, t1.n_dims, "tensor 't' has 5 dimensions: ggml allows at most 4");
    two_tensor_file(&b, 1);
    t1 = ti(&b, "t", 1, ne32, 4, 0);
    expect_refused(&b, t1.type, "tensor 't' has unknown type 4");
    two_tensor_file(&b, 1);
    t1 = ti(&b, "t", 1, ne32, 1000, 0);
    expect_refused(&b, t1.type, "unknown type 1000");
    two_tensor_file(&b, 1);
    t1 = ti(&b, "t", 1, ne32, GGML_TYPE_Q4_K, 0);
    expect_refused(&b, t1.type, "rows of 32 elements, not a multiple of its block size 256");

    /* 2^40 elements: refused by the data's end, not by an allocation */
    uint64_t big[2] = {1ULL << 20, 1ULL << 20};
    two_tensor_file(&b, 1);
    t1 = ti(&b, "big", 2, big, GGML_TYPE_F32, 0);
    bb_pad(&b, 32);
    bb_zeros(&b, 128);
    expect_refused(&b, t1.offset, "tensor 'big' data (4398046511104 bytes at byte");
    uint64_t huge[2] = {1ULL << 32, 1ULL << 32};
    two_tensor_file(&b, 1);
    t1 = ti(&b, "huge", 2, huge, GGML_TYPE_F32, 0);
    expect_refused(&b, t1.n_dims + 4, "has more elements than ggml can count");
    uint64_t neg[1] = {1ULL << 63};
    two_tensor_file(&b, 1);
    t1 = ti(&b, "neg", 1, neg, GGML_TYPE_F32, 0);
    expect_refused(&b, t1.n_dims + 4, "negative as ggml reads it");

    /* offsets: out of order, overlapping, unaligned, a gap */
    two_tensor_file(&b, 3);
    ti(&b, "a", 1, ne32, GGML_TYPE_F32, 0);
    ti(&b, "b", 1, ne32, GGML_TYPE_F32, 128);
    t3 = ti(&b, "c", 1, ne32, GGML_TYPE_F32, 0);
    bb_pad(&b, 32);
    bb_zeros(&b, 384);
    expect_refused(&b, t3.offset,
                   "tensor 'c' data offset 0 comes before that of the previous tensor 'b' (128)");
    two_tensor_file(&b, 2);
    ti(&b, "a", 1, ne32, GGML_TYPE_F32, 0);
    t2 = ti(&b, "b", 1, ne32, GGML_TYPE_F32, 64);
    bb_pad(&b, 32);
    bb_zeros(&b, 256);
    expect_refused(&b, t2.offset, "tensor 'b' data offset 64 overlaps the previous tensor 'a'");
    two_tensor_file(&b, 2);
    ti(&b, "a", 1, ne32, GGML_TYPE_F32, 0);
    t2 = ti(&b, "b", 1, ne32, GGML_TYPE_F32, 130);
    bb_pad(&b, 32);
    bb_zeros(&b, 512);
    expect_refused(&b, t2.offset, "offset 130 is not a multiple of the alignment 32");
    two_tensor_file(&b, 2);
    ti(&b, "a", 1, ne32, GGML_TYPE_F32, 0);
    t2 = ti(&b, "b", 1, ne32, GGML_TYPE_F32, 160);
    bb_pad(&b, 32);
    bb_zeros(&b, 512);
    expect_refused(&b, t2.offset, "leaves a gap (expected 128)");
    two_tensor_file(&b, 1);
    t1 = ti(&b, "a", 1, ne32, GGML_TYPE_F32, 32);
    bb_pad(&b, 32);
    bb_zeros(&b, 512);
    expect_refused(&b, t1.offset, "tensor 'a' data offset 32 leaves a gap (expected 0)");

    /* tensor infos cut short; a data section that would start past the end */
    two_tensor_file(&b, 1);
    t1 = ti(&b, "t", 1, ne32, GGML_TYPE_F32, 0);
    b.n = t1.offset + 3;
    expect_refused(&b, t1.offset, "the file ends inside a tensor's data offset");
    two_tensor_file(&b, 1);
    t1 = ti(&b, "t", 1, ne32, GGML_TYPE_F32, 0);
    expect_refused(&b, b.n, "the file ends before its tensor data");
    free(b.p);
}

static void test_missing_file(void)
{
    struct hb_error err = HB_ERROR_INIT;
    struct gguf_model m;
    char *path = tmp_path("absent.gguf");
    CHECK(gguf_open(&m, path, &err) < 0 && contains(err.msg, "absent.gguf: cannot open") &&
          err.exit_code == EXIT_INPUT);
    hb_error_release(&err);
    CHECK(gguf_open(&m, tmpdir, &err) < 0);
    hb_error_release(&err);
    free(path);
}

/* ---- synthetic models ---- */

static void test_presets_plan(void)
{
    struct hb_error err = HB_ERROR_INIT;
    struct synth_shape s;
    struct synth_plan p;
    size_t n = 0;
    while (synth_preset_at(n))
        n++;
    CHECK_U64(n, 4);
    CHECK(synth_preset("nope", &s) < 0);

    /* Llama-3.1-8B: 8,030,261,248 parameters plus rope_freqs' 64; 292
     * tensors as in the real GGUF; Q4_K_M's Q6_K on output and on attn_v,
     * ffn_down of 16 layers: 4,912,898,304 bytes of tensor data, as in the
     * published Q4_K_M file (4.92 GB with its 8 MB tokenizer) */
    CHECK(synth_preset("llama-3.1-8b", &s) == 0);
    CHECK(synth_plan_make(&s, &p, &err) == 0);
    CHECK_U64(p.n_tensors, 292);
    CHECK_U64(p.n_params, 8030261248ULL + 64);
    CHECK_U64(p.data_bytes, 4912898304ULL);
    CHECK_U64(p.file_type, 15);
    CHECK(p.file_bytes > p.data_bytes && p.file_bytes < p.data_bytes + 8 * MIB);
    size_t q6 = 0, q4 = 0, f32 = 0;
    for (size_t i = 0; i < p.n_tensors; i++) {
        q6 += p.tensors[i].type == GGML_TYPE_Q6_K;
        q4 += p.tensors[i].type == GGML_TYPE_Q4_K;
        f32 += p.tensors[i].type == GGML_TYPE_F32;
    }
    CHECK_U64(q6, 33);
    CHECK_U64(q4, 193);
    CHECK_U64(f32, 66);
    /* llama-quantize's order: non-layer tensors by name, then layer by layer */
    CHECK_STR(p.tensors[0].name, "output.weight");
    CHECK(p.tensors[0].type == GGML_TYPE_Q6_K);
    CHECK_STR(p.tensors[3].name, "token_embd.weight");
    CHECK(p.tensors[3].type == GGML_TYPE_Q4_K);
    CHECK_STR(p.tensors[4].name, "blk.0.attn_k.weight");
    CHECK_STR(p.tensors[p.n_tensors - 1].name, "blk.31.ffn_up.weight");
    for (size_t i = 0; i < p.n_tensors; i++) {
        /* layers 4, 5, 7 keep Q4_K; 6 and 0-3 get Q6_K (use_more_bits) */
        if (strcmp(p.tensors[i].name, "blk.5.attn_v.weight") == 0)
            CHECK(p.tensors[i].type == GGML_TYPE_Q4_K);
        if (strcmp(p.tensors[i].name, "blk.6.ffn_down.weight") == 0)
            CHECK(p.tensors[i].type == GGML_TYPE_Q6_K);
        if (strcmp(p.tensors[i].name, "blk.31.attn_v.weight") == 0)
            CHECK(p.tensors[i].type == GGML_TYPE_Q6_K);
    }
    synth_plan_release(&p);

    /* Qwen3-30B-A3B: 30,532,122,624 parameters, 579 tensors, 18.55 GB */
    CHECK(synth_preset("qwen3-30b-a3b", &s) == 0);
    CHECK(synth_plan_make(&s, &p, &err) == 0);
    CHECK_U64(p.n_tensors, 579);
    CHECK_U64(p.n_params, 30532122624ULL);
    CHECK_U64(p.data_bytes, 18550716416ULL);
    q6 = f32 = 0;
    for (size_t i = 0; i < p.n_tensors; i++) {
        q6 += p.tensors[i].type == GGML_TYPE_Q6_K;
        f32 += p.tensors[i].type == GGML_TYPE_F32;
    }
    CHECK_U64(q6, 49);
    CHECK_U64(f32, 241);
    synth_plan_release(&p);

    /* pure types */
    CHECK(synth_preset("llama-3.1-8b", &s) == 0);
    s.type = SYNTH_TYPE_Q4_K;
    CHECK(synth_plan_make(&s, &p, &err) == 0);
    CHECK_U64(p.file_type, 14);
    for (size_t i = 0; i < p.n_tensors; i++)
        CHECK(p.tensors[i].type == GGML_TYPE_Q4_K || p.tensors[i].type == GGML_TYPE_F32);
    synth_plan_release(&p);
    s.type = SYNTH_TYPE_F16;
    CHECK(synth_plan_make(&s, &p, &err) == 0);
    CHECK_U64(p.data_bytes, 2 * (8030261248ULL - 65 * 4096) + 4 * (65 * 4096 + 64));
    synth_plan_release(&p);
    hb_error_release(&err);
}

static void test_shape_validation(void)
{
    struct hb_error err = HB_ERROR_INIT;
    struct synth_shape s, t;
    CHECK(synth_preset("tiny-moe", &s) == 0);
    CHECK(synth_validate(&s, &err) == 0);
    t = s;
    t.n_head_kv = 3;
    CHECK(synth_validate(&t, &err) < 0 && contains(err.msg, "multiple of KV heads"));
    t = s;
    t.n_expert_used = 9;
    CHECK(synth_validate(&t, &err) < 0 && contains(err.msg, "experts used"));
    t = s;
    t.n_vocab = 258;
    CHECK(synth_validate(&t, &err) < 0 && contains(err.msg, "vocabulary"));
    t = s;
    t.n_layers = 0;
    CHECK(synth_validate(&t, &err) < 0);
    t = s;
    t.head_dim = 63;
    CHECK(synth_validate(&t, &err) < 0 && contains(err.msg, "even"));
    t = s;
    t.rms_eps = 0;
    CHECK(synth_validate(&t, &err) < 0);
    t = s;
    t.n_embd = 1u << 21;
    CHECK(synth_validate(&t, &err) < 0 && contains(err.msg, "too large"));
    hb_error_release(&err);
    enum synth_arch a;
    enum synth_type ty;
    CHECK(synth_arch_from_name("QWEN3MOE", &a) == 0 && a == SYNTH_ARCH_QWEN3MOE);
    CHECK(synth_arch_from_name("mamba", &a) < 0);
    CHECK(synth_type_from_name("Q4_K_M", &ty) == 0 && ty == SYNTH_TYPE_Q4_K_M);
    CHECK(synth_type_from_name("q5_k", &ty) < 0);
    CHECK_STR(synth_type_name(SYNTH_TYPE_Q8_0), "q8_0");
    CHECK_STR(synth_arch_name(SYNTH_ARCH_LLAMA), "llama");

    /* rows that do not split into Q4_K blocks fall back to Q8_0, then F16 */
    struct synth_plan p;
    t = s;
    t.n_embd = 96;
    t.n_head = 3;
    t.n_head_kv = 1;
    t.head_dim = 32;
    t.n_ff_exp = 40;
    CHECK(synth_plan_make(&t, &p, &err) == 0);
    for (size_t i = 0; i < p.n_tensors; i++) {
        if (strstr(p.tensors[i].name, "attn_q.weight"))
            CHECK(p.tensors[i].type == GGML_TYPE_Q8_0);
        if (strstr(p.tensors[i].name, "ffn_down_exps"))
            CHECK(p.tensors[i].type == GGML_TYPE_F16);
    }
    synth_plan_release(&p);
    hb_error_release(&err);
}

static float f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, x;
    if (e == 0) {
        float f = (float)m / 1024.0f / 16384.0f;
        return sign ? -f : f;
    }
    if (e == 31)
        x = sign | 0x7f800000 | (m << 13);
    else
        x = sign | ((e - 15 + 127) << 23) | (m << 13);
    float f;
    memcpy(&f, &x, 4);
    return f;
}

struct stats {
    double n, sum, sum2, max_abs;
    bool finite;
};

static void stat_add(struct stats *s, float v)
{
    if (!(v == v) || v > 1e30f || v < -1e30f)
        s->finite = false;
    s->n++;
    s->sum += v;
    s->sum2 += (double)v * v;
    double a = v < 0 ? -v : v;
    if (a > s->max_abs)
        s->max_abs = a;
}

/* ggml's dequantisation (ggml-quants.c dequantize_row_*), to check that the
 * random blocks decode to small, finite, centred weights. */
static void decode_block(uint32_t type, const uint8_t *p, struct stats *st)
{
    uint16_t h;
    if (type == GGML_TYPE_Q8_0) {
        memcpy(&h, p, 2);
        for (int i = 0; i < 32; i++)
            stat_add(st, f16_to_f32(h) * (float)(int8_t)p[2 + i]);
    } else if (type == GGML_TYPE_Q4_K) {
        uint16_t dh, mh;
        memcpy(&dh, p, 2);
        memcpy(&mh, p + 2, 2);
        float d = f16_to_f32(dh), dmin = f16_to_f32(mh);
        const uint8_t *q = p + 4;
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            if (j < 4) {
                sc = q[j] & 63;
                m = q[j + 4] & 63;
            } else {
                sc = (uint8_t)((q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4));
                m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
            }
            CHECK(sc == 2 + (j % 3) * 2 && m == sc * 15 / 2);
            const uint8_t *qs = p + 16 + (j / 2) * 32;
            for (int l = 0; l < 32; l++) {
                int v = j % 2 ? qs[l] >> 4 : qs[l] & 0xf;
                stat_add(st, d * (float)sc * (float)v - dmin * (float)m);
            }
        }
    } else if (type == GGML_TYPE_Q6_K) {
        memcpy(&h, p + 208, 2);
        float d = f16_to_f32(h);
        const uint8_t *ql = p, *qh = p + 128;
        const int8_t *sc = (const int8_t *)(p + 192);
        for (int n = 0; n < 2; n++, ql += 64, qh += 32, sc += 8) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = ((ql[l] & 0xf) | (((qh[l] >> 0) & 3) << 4)) - 32;
                int q2 = ((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) - 32;
                int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                stat_add(st, d * sc[is] * (float)q1);
                stat_add(st, d * sc[is + 2] * (float)q2);
                stat_add(st, d * sc[is + 4] * (float)q3);
                stat_add(st, d * sc[is + 6] * (float)q4);
            }
        }
    } else if (type == GGML_TYPE_F16) {
        for (int i = 0; i < 4; i++) {
            memcpy(&h, p + 2 * i, 2);
            stat_add(st, f16_to_f32(h));
        }
    } else if (type == GGML_TYPE_F32) {
        float f;
        memcpy(&f, p, 4);
        stat_add(st, f);
    }
}

/* Every weight tensor of a synthetic model decodes to values with a
 * standard deviation near 0.02 and a mean near 0; norms are about 1. */
static void check_weights(const struct gguf_model *m, const struct strbuf *file)
{
    for (size_t i = 0; i < m->n_tensors; i++) {
        const struct gguf_tensor *t = &m->tensors[i];
        const struct gguf_type_info *ti = gguf_tensor_type(t->type);
        size_t unit = t->type == GGML_TYPE_F16 ? 8 : ti->type_size;
        struct stats st = {.finite = true};
        for (uint64_t off = 0; off + unit <= t->n_bytes; off += unit)
            decode_block(t->type, (const uint8_t *)file->buf + t->file_offset + off, &st);
        double mean = st.sum / st.n, sd = st.n > 1 ? st.sum2 / st.n - mean * mean : 0;
        sd = sd > 0 ? sd : 0;
        bool norm = strstr(t->name, "norm") || strstr(t->name, "rope_freqs");
        bool router = strstr(t->name, "gate_inp") != NULL;
        if (!st.finite || st.n < 1)
            test_fail(__FILE__, __LINE__, "%s: not finite", t->name);
        else if (norm && (mean < 1.0 || mean > 1.07))
            test_fail(__FILE__, __LINE__, "%s: norm mean %g", t->name, mean);
        else if (router && (mean > 0.01 || mean < -0.01 || sd < 0.005 || sd > 0.02))
            test_fail(__FILE__, __LINE__, "%s: router mean %g var %g", t->name, mean, sd);
        else if (!norm && !router &&
                 (mean > 0.003 || mean < -0.003 || sd < 1e-4 || sd > 1e-3 || st.max_abs > 0.1))
            test_fail(__FILE__, __LINE__, "%s (%s): mean %g var %g max %g", t->name, ti->name, mean,
                      sd, st.max_abs);
    }
}

struct vocab_check {
    struct gguf_nameset seen;
    char **copies;
    uint64_t n;
    bool ok;
};

static int vocab_cb(void *ctx, uint64_t i, const char *s, uint64_t len, struct hb_error *err)
{
    struct vocab_check *v = ctx;
    (void)err;
    char want[16];
    if (i < 3) {
        static const char *const fixed[] = {"<unk>", "<s>", "</s>"};
        v->ok &= strcmp(s, fixed[i]) == 0;
    } else if (i < 259) {
        snprintf(want, sizeof(want), "<0x%02X>", (unsigned)(i - 3));
        v->ok &= strcmp(s, want) == 0;
    }
    v->ok &= len > 0 && utf8_valid(s, len) && strlen(s) == len;
    v->copies[i] = xstrdup(s);
    v->ok &= gguf_nameset_add(&v->seen, v->copies[i]);
    v->n++;
    return 0;
}

static void check_synth_file(const char *path, const char *preset)
{
    struct hb_error err = HB_ERROR_INIT;
    struct synth_shape s;
    struct synth_plan p;
    struct gguf_model m;
    cleanup_strbuf struct strbuf file = STRBUF_INIT;
    CHECK(synth_preset(preset, &s) == 0);
    CHECK(synth_plan_make(&s, &p, &err) == 0);
    if (gguf_open(&m, path, &err) < 0) {
        test_fail(__FILE__, __LINE__, "%s: %s", preset, err.msg);
        hb_error_release(&err);
        synth_plan_release(&p);
        return;
    }
    CHECK(slurp(path, &file));
    CHECK_U64(file.len, p.file_bytes);
    CHECK_U64(m.n_params, p.n_params);
    CHECK_U64(m.n_tensors, p.n_tensors);
    for (size_t i = 0; i < m.n_tensors && i < p.n_tensors; i++) {
        CHECK_STR(m.tensors[i].name, p.tensors[i].name);
        CHECK(m.tensors[i].type == p.tensors[i].type);
        CHECK(memcmp(m.tensors[i].ne, p.tensors[i].ne, sizeof(p.tensors[i].ne)) == 0);
    }
    const char *arch = synth_arch_name(s.arch);
    CHECK_STR(m.s.arch, arch);
    CHECK_STR(m.s.name, s.name);
    CHECK_STR(m.s.tokenizer, "llama");
    CHECK(m.s.n_layers.v == s.n_layers && m.s.n_embd.v == s.n_embd);
    CHECK(m.s.n_head.v == s.n_head && m.s.n_head_kv.v == s.n_head_kv);
    CHECK(m.s.head_dim_k.v == s.head_dim && m.s.head_dim_v.v == s.head_dim);
    CHECK(m.s.context_length.v == s.n_ctx && m.s.vocab_size.v == s.n_vocab);
    CHECK(m.s.n_attn_layers.known && m.s.n_attn_layers.v == s.n_layers);
    CHECK(m.s.n_swa_layers.known && m.s.n_swa_layers.v == 0);
    CHECK(!m.s.recurrent);
    if (s.arch == SYNTH_ARCH_QWEN3MOE)
        CHECK(m.s.n_expert.v == s.n_expert && m.s.n_expert_used.v == s.n_expert_used &&
              m.s.n_ff_exp.v == s.n_ff_exp);
    else
        CHECK(!m.s.n_expert.known && m.s.n_ff.v == s.n_ff);
    CHECK(m.s.file_type.known && m.s.file_type.v == p.file_type);

    /* the exact value types llama.cpp's loader insists on */
    struct {
        const char *suffix;
        enum gguf_type type;
    } types[] = {
        {"context_length", GGUF_TYPE_UINT32},
        {"embedding_length", GGUF_TYPE_UINT32},
        {"block_count", GGUF_TYPE_UINT32},
        {"feed_forward_length", GGUF_TYPE_UINT32},
        {"attention.head_count", GGUF_TYPE_UINT32},
        {"attention.head_count_kv", GGUF_TYPE_UINT32},
        {"rope.dimension_count", GGUF_TYPE_UINT32},
        {"rope.freq_base", GGUF_TYPE_FLOAT32},
        {"attention.layer_norm_rms_epsilon", GGUF_TYPE_FLOAT32},
    };
    for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
        const struct gguf_kv *kv = gguf_find_arch(&m, types[i].suffix);
        if (!kv || kv->type != types[i].type)
            test_fail(__FILE__, __LINE__, "%s.%s", arch, types[i].suffix);
    }
    const struct gguf_kv *kv = gguf_find_arch(&m, "attention.layer_norm_rms_epsilon");
    CHECK(kv && kv->v.f32 == s.rms_eps);
    const char *u32_keys[] = {"general.file_type",           "general.quantization_version",
                              "general.alignment",           "tokenizer.ggml.bos_token_id",
                              "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id"};
    for (size_t i = 0; i < ARRAY_SIZE(u32_keys); i++) {
        kv = gguf_find(&m, u32_keys[i]);
        if (!kv || kv->type != GGUF_TYPE_UINT32)
            test_fail(__FILE__, __LINE__, "%s", u32_keys[i]);
    }
    CHECK(gguf_find(&m, "general.quantization_version")->v.u64 == 2);
    CHECK(gguf_find(&m, "tokenizer.ggml.bos_token_id")->v.u64 == 1);

    /* the tokenizer: 259 fixed tokens, then distinct UTF-8 words */
    kv = gguf_find(&m, "tokenizer.ggml.tokens");
    struct vocab_check vc = {.ok = true, .copies = xcalloc(s.n_vocab, sizeof(char *))};
    CHECK(kv && gguf_array_strings(&m, kv, vocab_cb, &vc, &err) == 0);
    CHECK(vc.ok && vc.n == s.n_vocab);
    CHECK_STR(vc.copies[259], "\xe2\x96\x81");
    CHECK_STR(vc.copies[260], "!");
    for (uint64_t i = 0; i < vc.n; i++)
        free(vc.copies[i]);
    free(vc.copies);
    gguf_nameset_release(&vc.seen);
    kv = gguf_find(&m, "tokenizer.ggml.token_type");
    int32_t *tt = xcalloc(s.n_vocab, sizeof(int32_t));
    CHECK(kv && kv->arr_type == GGUF_TYPE_INT32 &&
          gguf_array_read(&m, kv, 0, s.n_vocab, tt, &err) == 0);
    CHECK(tt[0] == 2 && tt[1] == 3 && tt[2] == 3 && tt[3] == 6 && tt[258] == 6 && tt[259] == 1 &&
          tt[s.n_vocab - 1] == 1);
    free(tt);
    kv = gguf_find(&m, "tokenizer.ggml.scores");
    float sc[2];
    CHECK(kv && kv->arr_type == GGUF_TYPE_FLOAT32 && kv->arr_count == s.n_vocab &&
          gguf_array_read(&m, kv, s.n_vocab - 2, 2, sc, &err) == 0 && sc[1] < sc[0]);

    check_weights(&m, &file);
    gguf_close(&m);
    synth_plan_release(&p);
    hb_error_release(&err);
}

static void test_synth_tiny(void)
{
    struct hb_error err = HB_ERROR_INIT;
    const char *presets[] = {"tiny", "tiny-moe"};
    for (size_t i = 0; i < ARRAY_SIZE(presets); i++) {
        struct synth_shape s;
        struct synth_plan p;
        char *path = tmp_path("synth.gguf");
        CHECK(synth_preset(presets[i], &s) == 0);
        CHECK(synth_plan_make(&s, &p, &err) == 0);
        CHECK(p.file_bytes < 20 * 1000 * 1000);
        synth_plan_release(&p);
        if (synth_write(&s, path, 1234, &err) < 0)
            test_fail(__FILE__, __LINE__, "%s", err.msg);
        else
            check_synth_file(path, presets[i]);
        hb_error_release(&err);
        unlink(path);
        free(path);
    }
    CHECK_U64(count_tmp_files(), 0);
}

/* Every tensor type the generator writes, in small shapes, with odd
 * element counts for F16/F32 (the tail of a step). */
static void test_synth_types(void)
{
    struct hb_error err = HB_ERROR_INIT;
    const enum synth_type types[] = {SYNTH_TYPE_F32, SYNTH_TYPE_F16, SYNTH_TYPE_Q8_0,
                                     SYNTH_TYPE_Q4_K, SYNTH_TYPE_Q4_K_M};
    for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
        struct synth_shape s;
        CHECK(synth_preset("tiny", &s) == 0);
        s.type = types[i];
        s.n_vocab = 300;
        s.name = NULL;
        if (types[i] == SYNTH_TYPE_F32 || types[i] == SYNTH_TYPE_F16) {
            s.n_embd = 34; /* rows of 34: odd tails */
            s.n_head = 2;
            s.n_head_kv = 1;
            s.head_dim = 18;
            s.n_ff = 50;
            s.rope_freqs = true;
        }
        char *path = tmp_path("types.gguf");
        struct gguf_model m;
        cleanup_strbuf struct strbuf file = STRBUF_INIT;
        if (synth_write(&s, path, 99, &err) < 0) {
            test_fail(__FILE__, __LINE__, "%s: %s", synth_type_name(types[i]), err.msg);
        } else if (gguf_open(&m, path, &err) < 0) {
            test_fail(__FILE__, __LINE__, "%s: %s", synth_type_name(types[i]), err.msg);
        } else {
            CHECK_STR(m.s.name, "synthetic llama");
            CHECK(slurp(path, &file));
            check_weights(&m, &file);
            bool has_q6 = false;
            for (size_t k = 0; k < m.n_type_stats; k++)
                has_q6 |= m.type_stats[k].type == GGML_TYPE_Q6_K;
            CHECK(has_q6 == (types[i] == SYNTH_TYPE_Q4_K_M));
            const struct gguf_tensor *rf = gguf_find_tensor(&m, "rope_freqs.weight");
            if (rf) {
                float one;
                memcpy(&one, file.buf + rf->file_offset, 4);
                CHECK(one == 1.0f && rf->ne[0] == 9);
            }
            gguf_close(&m);
        }
        hb_error_release(&err);
        unlink(path);
        free(path);
    }
}

static void test_synth_deterministic(void)
{
    struct hb_error err = HB_ERROR_INIT;
    const char *presets[] = {"tiny", "tiny-moe"};
    for (size_t i = 0; i < ARRAY_SIZE(presets); i++) {
        struct synth_shape s;
        char *a = tmp_path("a.gguf"), *b = tmp_path("b.gguf"), *c = tmp_path("c.gguf");
        cleanup_strbuf struct strbuf fa = STRBUF_INIT;
        cleanup_strbuf struct strbuf fb = STRBUF_INIT;
        cleanup_strbuf struct strbuf fc = STRBUF_INIT;
        CHECK(synth_preset(presets[i], &s) == 0);
        CHECK(synth_write(&s, a, 42, &err) == 0);
        CHECK(synth_write(&s, b, 42, &err) == 0);
        CHECK(synth_write(&s, c, 43, &err) == 0);
        CHECK(slurp(a, &fa) && slurp(b, &fb) && slurp(c, &fc));
        CHECK(fa.len > 0 && fa.len == fb.len && memcmp(fa.buf, fb.buf, fa.len) == 0);
        CHECK(fa.len == fc.len && memcmp(fa.buf, fc.buf, fa.len) != 0);
        /* over an existing file: replaced whole */
        CHECK(synth_write(&s, a, 43, &err) == 0);
        CHECK(slurp(a, &fa) && memcmp(fa.buf, fc.buf, fa.len) == 0);
        unlink(a);
        unlink(b);
        unlink(c);
        free(a);
        free(b);
        free(c);
    }
    /* a bad shape writes nothing */
    struct synth_shape s;
    CHECK(synth_preset("tiny", &s) == 0);
    s.n_head_kv = 3;
    char *p = tmp_path("bad.gguf");
    CHECK(synth_write(&s, p, 1, &err) < 0);
    CHECK(access(p, F_OK) != 0);
    free(p);
    hb_error_release(&err);
    CHECK_U64(count_tmp_files(), 0);
}

/* What the summary makes of hybrid and sliding-window metadata. */
static void test_summary_layers(void)
{
    struct hb_error err = HB_ERROR_INIT;
    char *path = tmp_path("hybrid.gguf");
    struct gguf_writer *w;
    uint32_t kv_heads[6] = {0, 0, 8, 0, 0, 8};
    uint8_t swa[6] = {1, 1, 0, 1, 1, 0};
    CHECK(gguf_writer_open(&w, path, 9, 0, &err) == 0);
    CHECK(gguf_writer_kv_str(w, "general.architecture", "hyb", &err) == 0);
    CHECK(gguf_writer_kv_u32(w, "hyb.block_count", 6, &err) == 0);
    CHECK(gguf_writer_kv_u32(w, "hyb.embedding_length", 1024, &err) == 0);
    CHECK(gguf_writer_kv_u32(w, "hyb.attention.head_count", 16, &err) == 0);
    CHECK(gguf_writer_kv_array(w, "hyb.attention.head_count_kv", GGUF_TYPE_UINT32, kv_heads, 6,
                               &err) == 0);
    CHECK(gguf_writer_kv_array(w, "hyb.attention.sliding_window_pattern", GGUF_TYPE_BOOL, swa, 6,
                               &err) == 0);
    CHECK(gguf_writer_kv_u32(w, "hyb.attention.sliding_window", 4096, &err) == 0);
    CHECK(gguf_writer_kv_u32(w, "hyb.ssm.state_size", 128, &err) == 0);
    CHECK(gguf_writer_kv_u32(w, "hyb.vocab_size", 1000, &err) == 0);
    CHECK(gguf_writer_finish(w, &err) == 0);
    gguf_writer_free(w);
    struct gguf_model m;
    CHECK(gguf_open(&m, path, &err) == 0);
    CHECK(m.s.recurrent);
    CHECK(m.s.n_head_kv.v == 8 && m.s.head_dim_k.v == 64);
    CHECK(m.s.attn_layers && m.s.n_attn_layers.known && m.s.n_attn_layers.v == 2);
    CHECK(m.s.head_kv_per_layer && m.s.head_kv_per_layer[2] == 8 && m.s.head_kv_per_layer[0] == 0);
    CHECK(m.s.swa_layers && m.s.swa_layers[0] && !m.s.swa_layers[2]);
    CHECK(m.s.n_swa_layers.known && m.s.n_swa_layers.v == 0); /* SWA only on recurrent layers */
    CHECK(m.s.sliding_window.v == 4096 && m.s.vocab_size.v == 1000);
    CHECK(!m.s.context_length.known && !m.s.file_type.known && m.s.name == NULL);
    gguf_close(&m);

    /* a period (gemma-style): 5 of every 6 layers use the window */
    CHECK(gguf_writer_open(&w, path, 4, 0, &err) == 0);
    CHECK(gguf_writer_kv_str(w, "general.architecture", "g", &err) == 0);
    CHECK(gguf_writer_kv_u32(w, "g.block_count", 12, &err) == 0);
    CHECK(gguf_writer_kv_u32(w, "g.attention.sliding_window", 512, &err) == 0);
    CHECK(gguf_writer_kv_u32(w, "g.attention.sliding_window_pattern", 6, &err) == 0);
    CHECK(gguf_writer_finish(w, &err) == 0);
    gguf_writer_free(w);
    CHECK(gguf_open(&m, path, &err) == 0);
    CHECK(m.s.n_swa_layers.known && m.s.n_swa_layers.v == 10);
    CHECK(m.s.swa_layers && m.s.swa_layers[4] && !m.s.swa_layers[5]);
    CHECK(m.s.n_attn_layers.v == 12);
    gguf_close(&m);

    /* an interval of full attention (qwen3next-style) */
    CHECK(gguf_writer_open(&w, path, 4, 0, &err) == 0);
    CHECK(gguf_writer_kv_str(w, "general.architecture", "q", &err) == 0);
    CHECK(gguf_writer_kv_u32(w, "q.block_count", 8, &err) == 0);
    CHECK(gguf_writer_kv_u32(w, "q.full_attention_interval", 4, &err) == 0);
    CHECK(gguf_writer_kv_u32(w, "q.ssm.conv_kernel", 4, &err) == 0);
    CHECK(gguf_writer_finish(w, &err) == 0);
    gguf_writer_free(w);
    CHECK(gguf_open(&m, path, &err) == 0);
    CHECK(m.s.recurrent && m.s.n_attn_layers.v == 2 && m.s.attn_layers[3] && !m.s.attn_layers[0]);
    gguf_close(&m);
    hb_error_release(&err);
    unlink(path);
    free(path);
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/halobox-test-gguf-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_type_table);
    RUN(test_roundtrip_every_type);
    RUN(test_version_2_and_memory);
    RUN(test_writer_refuses);
    RUN(test_split_model);
    RUN(test_bad_header);
    RUN(test_bad_metadata);
    RUN(test_bad_tensors);
    RUN(test_missing_file);
    RUN(test_presets_plan);
    RUN(test_shape_validation);
    RUN(test_synth_tiny);
    RUN(test_synth_types);
    RUN(test_synth_deterministic);
    RUN(test_summary_layers);
    rm_tmpdir();
    return test_summary();
}
