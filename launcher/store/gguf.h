/* GGUF: the file format of llama.cpp models. A reader that checks a file the
 * way ggml's own loader (ggml/src/gguf.cpp) does, reads headers only and
 * summarises the model; a streaming writer; the ggml tensor type table.
 *
 * Errors name the file and the byte offset of the field that is wrong:
 * "FILE: at byte N: what is wrong", exit code EXIT_INPUT. */
#ifndef HALOBOX_GGUF_H
#define HALOBOX_GGUF_H

#include "util/common.h"
#include "util/error.h"
#include "util/optional.h"

#define GGUF_MAGIC             "GGUF"
#define GGUF_VERSION           3
#define GGUF_DEFAULT_ALIGNMENT 32
/* GGML_MAX_NAME in ggml.h: a tensor name is at most 63 bytes plus its NUL. */
#define GGUF_MAX_NAME 64
#define GGUF_MAX_DIMS 4
/* ggml's limits (gguf.cpp): a longer string or array is refused. */
#define GGUF_MAX_STRING_LENGTH  (1024ULL * 1024 * 1024)
#define GGUF_MAX_ARRAY_ELEMENTS (1024ULL * 1024 * 1024)

/* Metadata value types, numbered as in the file. */
enum gguf_type {
    GGUF_TYPE_UINT8 = 0,
    GGUF_TYPE_INT8 = 1,
    GGUF_TYPE_UINT16 = 2,
    GGUF_TYPE_INT16 = 3,
    GGUF_TYPE_UINT32 = 4,
    GGUF_TYPE_INT32 = 5,
    GGUF_TYPE_FLOAT32 = 6,
    GGUF_TYPE_BOOL = 7,
    GGUF_TYPE_STRING = 8,
    GGUF_TYPE_ARRAY = 9,
    GGUF_TYPE_UINT64 = 10,
    GGUF_TYPE_INT64 = 11,
    GGUF_TYPE_FLOAT64 = 12,
    GGUF_TYPE_COUNT
};

/* "u32", "str", "arr", ... as ggml names them; NULL for an unknown type. */
const char *gguf_type_name(uint32_t type);
/* Bytes of one value of a fixed-size type; 0 for STRING, ARRAY or unknown. */
size_t gguf_type_size(uint32_t type);

/* Tensor types (ggml_type), numbered as in the file. Gaps are types that
 * ggml removed; the reader refuses them like any unknown id. */
enum ggml_type {
    GGML_TYPE_F32 = 0,
    GGML_TYPE_F16 = 1,
    GGML_TYPE_Q4_0 = 2,
    GGML_TYPE_Q4_1 = 3,
    GGML_TYPE_Q5_0 = 6,
    GGML_TYPE_Q5_1 = 7,
    GGML_TYPE_Q8_0 = 8,
    GGML_TYPE_Q8_1 = 9,
    GGML_TYPE_Q2_K = 10,
    GGML_TYPE_Q3_K = 11,
    GGML_TYPE_Q4_K = 12,
    GGML_TYPE_Q5_K = 13,
    GGML_TYPE_Q6_K = 14,
    GGML_TYPE_Q8_K = 15,
    GGML_TYPE_IQ2_XXS = 16,
    GGML_TYPE_IQ2_XS = 17,
    GGML_TYPE_IQ3_XXS = 18,
    GGML_TYPE_IQ1_S = 19,
    GGML_TYPE_IQ4_NL = 20,
    GGML_TYPE_IQ3_S = 21,
    GGML_TYPE_IQ2_S = 22,
    GGML_TYPE_IQ4_XS = 23,
    GGML_TYPE_I8 = 24,
    GGML_TYPE_I16 = 25,
    GGML_TYPE_I32 = 26,
    GGML_TYPE_I64 = 27,
    GGML_TYPE_F64 = 28,
    GGML_TYPE_IQ1_M = 29,
    GGML_TYPE_BF16 = 30,
    GGML_TYPE_TQ1_0 = 34,
    GGML_TYPE_TQ2_0 = 35,
    GGML_TYPE_MXFP4 = 39,
    GGML_TYPE_NVFP4 = 40,
    GGML_TYPE_Q1_0 = 41,
};

struct gguf_type_info {
    uint32_t id;
    const char *name;    /* "Q4_K", as ggml_type_name() spells it */
    uint32_t block_size; /* elements per block */
    uint32_t type_size;  /* bytes per block */
};

/* NULL when the id is not a tensor type this table knows. */
const struct gguf_type_info *gguf_tensor_type(uint32_t id);
/* By name, case-insensitive ("q4_k", "F16"); NULL when unknown. */
const struct gguf_type_info *gguf_tensor_type_by_name(const char *name);
/* Iteration over the table: NULL past the end. */
const struct gguf_type_info *gguf_tensor_type_at(size_t i);

/* general.file_type (llama_ftype) as llama-quantize names it: "Q4_K_M",
 * "F16", "MXFP4_MOE"; NULL when unknown. */
const char *gguf_file_type_name(uint32_t ftype);

/* A set of names for duplicate checks (holds pointers, not copies). */
struct gguf_nameset {
    const char **slot;
    size_t cap;
    size_t n;
};
/* Adds name; false (and no change) when it is already there. */
bool gguf_nameset_add(struct gguf_nameset *set, const char *name);
void gguf_nameset_release(struct gguf_nameset *set);

/* ---- reader ------------------------------------------------------------ */

/* One metadata entry. Scalars are held in `v` (integers widened, floats as
 * they were stored); strings in `str`; arrays only as a descriptor: the
 * element type, the count and where the elements are in the file, so that a
 * 128k-token vocabulary costs nothing until someone asks for it
 * (gguf_array_read, gguf_array_strings). */
struct gguf_kv {
    char *key;
    enum gguf_type type; /* GGUF_TYPE_ARRAY for arrays */
    union {
        uint64_t u64; /* UINT8, UINT16, UINT32, UINT64 */
        int64_t i64;  /* INT8, INT16, INT32, INT64 */
        float f32;
        double f64;
        bool b;
    } v;
    char *str; /* STRING: NUL-terminated copy (may hold NULs: see str_len) */
    uint64_t str_len;
    enum gguf_type arr_type; /* ARRAY: element type (may itself be ARRAY) */
    uint64_t arr_count;
    uint64_t offset;       /* byte of the key in its file */
    uint64_t value_offset; /* first byte of the value (an array: of its first element) */
    uint64_t value_bytes;  /* bytes the value takes (an array: all its elements) */
    unsigned shard;        /* index into gguf_model.shards */
};

struct gguf_tensor {
    char *name;
    uint32_t n_dims;
    uint64_t ne[GGUF_MAX_DIMS]; /* unused dimensions are 1; ne[0] is the row */
    uint32_t type;              /* enum ggml_type */
    uint64_t offset;            /* relative to its shard's data section */
    uint64_t file_offset;       /* absolute, in its shard's file */
    uint64_t n_elements;
    uint64_t n_bytes;
    uint64_t info_offset; /* byte of its tensor info in the file */
    unsigned shard;
};

/* One row of the tensor type histogram. */
struct gguf_type_stat {
    uint32_t type;
    uint64_t tensors;
    uint64_t elements;
    uint64_t bytes;
};

struct gguf_shard {
    char *path;
    int fd; /* -1 for a model read from memory */
    const uint8_t *mem;
    uint64_t size;        /* file size in bytes */
    uint64_t data_offset; /* start of the tensor data section */
    uint32_t version;
    uint32_t alignment;
    uint64_t n_kv;
    uint64_t n_tensors;
};

/* What the metadata says about the model, each value unknown (not 0) when
 * the file does not say it. Architecture keys are "<arch>.<name>". */
struct gguf_summary {
    const char *arch; /* general.architecture; NULL when absent */
    const char *name; /* general.name */
    opt_u64 file_type;
    const char *file_type_name; /* NULL when unknown */
    opt_u64 context_length;
    opt_u64 n_layers; /* block_count */
    opt_u64 n_embd;
    opt_u64 n_ff;       /* feed_forward_length; the largest when per layer */
    opt_u64 n_head;     /* the largest when per layer */
    opt_u64 n_head_kv;  /* head_count_kv (defaults to n_head); the largest when per layer */
    opt_u64 head_dim_k; /* attention.key_length, default n_embd / n_head */
    opt_u64 head_dim_v; /* attention.value_length, default n_embd / n_head */
    opt_u64 n_expert;
    opt_u64 n_expert_used;
    opt_u64 n_ff_exp;       /* expert_feed_forward_length */
    opt_u64 sliding_window; /* attention.sliding_window */
    opt_u64 vocab_size;     /* tokenizer.ggml.tokens length, else <arch>.vocab_size */
    const char *tokenizer;  /* tokenizer.ggml.model */
    bool recurrent;         /* <arch>.ssm.* or <arch>.wkv.* keys: state-space/RWKV layers */
    /* Per layer (n_layers entries) where the metadata says so, else NULL:
     * KV heads of each layer (head_count_kv given as an array; 0 = no
     * attention), whether a layer uses the sliding window, whether it has
     * attention at all (hybrid recurrent models). */
    uint32_t *head_kv_per_layer;
    bool *swa_layers;
    bool *attn_layers;
    opt_u64 n_swa_layers;  /* layers using the sliding window */
    opt_u64 n_attn_layers; /* layers with attention (and so a KV cache) */
};

struct gguf_model {
    char *path; /* the file named (the first shard for a split model) */
    uint32_t version;
    uint32_t alignment;
    struct gguf_shard *shards;
    unsigned n_shards;
    struct gguf_kv *kv; /* the first shard's metadata, in file order */
    size_t n_kv;
    struct gguf_tensor *tensors; /* every shard's tensors, in file order */
    size_t n_tensors;
    struct gguf_type_stat *type_stats; /* by type id, ascending */
    size_t n_type_stats;
    uint64_t n_params;    /* sum of tensor element counts */
    uint64_t data_bytes;  /* sum of tensor data sizes */
    uint64_t total_bytes; /* sum of file sizes */
    struct gguf_summary s;
};

/* Reads a model's headers. A file named NAME-0000K-of-0000N.gguf is read with
 * all N parts (same folder) as one model. Returns 0, or -1 with err set. On
 * failure *m is left empty (gguf_close is still safe). */
int gguf_open(struct gguf_model *m, const char *path, struct hb_error *err);
/* Reads only this file, even when its name says it is one part of several. */
int gguf_open_file(struct gguf_model *m, const char *path, struct hb_error *err);
/* Reads a file held in memory (not copied: data must outlive the model);
 * `name` is used in messages. */
int gguf_open_mem(struct gguf_model *m, const void *data, size_t size, const char *name,
                  struct hb_error *err);
void gguf_close(struct gguf_model *m);

/* Metadata lookup by key; NULL when absent. */
const struct gguf_kv *gguf_find(const struct gguf_model *m, const char *key);
/* Lookup of "<arch>.<suffix>" for the model's architecture. */
const struct gguf_kv *gguf_find_arch(const struct gguf_model *m, const char *suffix);
const struct gguf_tensor *gguf_find_tensor(const struct gguf_model *m, const char *name);

/* A scalar integer of any integer type (or BOOL) as a non-negative number;
 * false for other types and negative values. */
bool gguf_kv_get_u64(const struct gguf_kv *kv, uint64_t *out);
/* A scalar FLOAT32, FLOAT64 or integer as a double. */
bool gguf_kv_get_f64(const struct gguf_kv *kv, double *out);

/* Reads elements [first, first + count) of an array of a fixed-size type
 * into out (count * gguf_type_size(arr_type) bytes, host byte order; BOOL is
 * one byte). */
int gguf_array_read(const struct gguf_model *m, const struct gguf_kv *kv, uint64_t first,
                    uint64_t count, void *out, struct hb_error *err);
/* Calls fn for each string of an array of strings, in order, with a
 * NUL-terminated copy valid during the call. fn returns 0 to go on, a
 * positive value to stop (returned), a negative one to fail (returned; fn
 * sets err). */
typedef int (*gguf_string_fn)(void *ctx, uint64_t index, const char *s, uint64_t len,
                              struct hb_error *err);
int gguf_array_strings(const struct gguf_model *m, const struct gguf_kv *kv, gguf_string_fn fn,
                       void *ctx, struct hb_error *err);

/* The parts of a split model's file name: "dir/NAME-00002-of-00005.gguf" ->
 * prefix "dir/NAME", no 2, count 5. False when the name is not of that form. */
bool gguf_split_name(const char *path, char **prefix, unsigned *no, unsigned *count);

/* ---- writer ------------------------------------------------------------ */

/* Writes a GGUF v3 file in one pass with constant memory: header, then
 * exactly n_kv metadata entries, then exactly n_tensors tensor infos (offsets
 * computed here, in declaration order, padded to general.alignment), then
 * each tensor's data in declaration order (padding added here). Output goes
 * through a large buffer to PATH.tmp-PID, renamed over PATH by
 * gguf_writer_finish; anything else removes it. With path NULL nothing is
 * written and only the size is counted (gguf_writer_offset).
 *
 * The writer checks what the reader checks (names, types, shapes, the type
 * of general.alignment), so it cannot produce a file the reader refuses. */
struct gguf_writer;

int gguf_writer_open(struct gguf_writer **out, const char *path, uint64_t n_kv, uint64_t n_tensors,
                     struct hb_error *err);
/* Removes the temporary file unless gguf_writer_finish succeeded. NULL-safe. */
void gguf_writer_free(struct gguf_writer *w);

/* A scalar value for gguf_writer_kv. */
struct gguf_value {
    enum gguf_type type; /* not ARRAY */
    union {
        uint64_t u64;
        int64_t i64;
        float f32;
        double f64;
        bool b;
    } v;
    const char *str; /* STRING */
    size_t str_len;
};

int gguf_writer_kv(struct gguf_writer *w, const char *key, const struct gguf_value *v,
                   struct hb_error *err);
int gguf_writer_kv_u32(struct gguf_writer *w, const char *key, uint32_t v, struct hb_error *err);
int gguf_writer_kv_str(struct gguf_writer *w, const char *key, const char *v, struct hb_error *err);
/* A whole array: items are packed values of a fixed-size type (host order),
 * or for STRING a `const char *const *` of NUL-terminated strings. */
int gguf_writer_kv_array(struct gguf_writer *w, const char *key, enum gguf_type elem,
                         const void *items, uint64_t count, struct hb_error *err);
/* A streamed array: begin, then exactly `count` elements through
 * gguf_writer_array_items / gguf_writer_array_str, or, when elem is ARRAY,
 * through nested gguf_writer_array_begin calls with key NULL. */
int gguf_writer_array_begin(struct gguf_writer *w, const char *key, enum gguf_type elem,
                            uint64_t count, struct hb_error *err);
int gguf_writer_array_items(struct gguf_writer *w, const void *items, uint64_t count,
                            struct hb_error *err);
int gguf_writer_array_str(struct gguf_writer *w, const char *s, size_t len, struct hb_error *err);

/* Declares the next tensor. ne[0] must be a multiple of the type's block. */
int gguf_writer_tensor(struct gguf_writer *w, const char *name, uint32_t n_dims, const uint64_t *ne,
                       uint32_t type, struct hb_error *err);
/* Appends bytes to the current tensor (moving on to the next one, with
 * padding, when it is complete). */
int gguf_writer_data(struct gguf_writer *w, const void *data, size_t len, struct hb_error *err);
/* Zero-copy variant: a span of at least `min` bytes (min <= 64 KiB), or less
 * when the current tensor has fewer left, to fill and then commit. *len is
 * never more than the current tensor still needs. */
int gguf_writer_data_span(struct gguf_writer *w, size_t min, void **ptr, size_t *len,
                          struct hb_error *err);
void gguf_writer_data_commit(struct gguf_writer *w, size_t n);
/* Bytes of the current tensor still to come (0 when all data is written). */
uint64_t gguf_writer_data_left(const struct gguf_writer *w);
/* Bytes produced so far (the file size once finished). */
uint64_t gguf_writer_offset(const struct gguf_writer *w);
/* Checks that everything declared was written, flushes, renames. */
int gguf_writer_finish(struct gguf_writer *w, struct hb_error *err);

#endif
