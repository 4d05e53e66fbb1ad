/* Comparison tables of benchmark runs, in the style of the community's
 * tables: one row per configuration (recipe or label, backend, flash
 * attention, batch and ubatch, KV cache types, load mode, GPU layers,
 * threads; only what differs between rows is spelt out), one column per
 * test (pp512, tg128, then the same at each depth). Each cell is the mean
 * and stddev in tokens per second, its ratio to the baseline row, and for
 * token generation its share of the memory-bandwidth limit:
 *
 *   active weight bytes per generated token x tokens/s / peak bandwidth
 *
 * Active weights: every weight tensor a token's forward pass reads. For a
 * dense model that is all of them except the token embedding table, of
 * which one row is read per token (unless the output layer reuses it); for
 * a mixture of experts, the expert tensors ("_exps" in the name) count
 * experts_used/experts of their bytes. */
#ifndef HALOBOX_BENCH_COMPARE_H
#define HALOBOX_BENCH_COMPARE_H

#include "bench/results.h"
#include "store/gguf.h"

struct cJSON;
struct strbuf;

/* ---- peak memory bandwidth (bandwidth.c) ------------------------------------ */

struct bench_platform {
    const char *family;    /* GPU family from the facts (APUs), or NULL */
    const char *name;      /* a board's name in the device name, or NULL */
    double gbps;           /* peak, in GB/s (10^9 bytes) */
    const char *memory;    /* "LPDDR5X-8000, 256-bit" */
    const char *reference; /* where the memory configuration is documented */
};

/* The known platforms; NULL past the end. */
const struct bench_platform *bench_platform_at(size_t i);
/* The platform of a host summary (its GPU family, then its GPU name) or,
 * failing that, of a device name llama-bench reported (gpu_info); NULL when
 * unknown. */
const struct bench_platform *bench_platform_find(const struct bench_host *h, const char *gpu_info);

/* Bytes of all weights and of the active weights (see above) of a model.
 * active is unknown for a mixture of experts whose metadata lacks the
 * expert counts. */
void bench_weight_bytes(const struct gguf_model *m, uint64_t *total, opt_u64 *active);
/* Fills a model description from its GGUF headers (not the sha256). */
void bench_model_from_gguf(struct bench_model *bm, const struct gguf_model *m, const char *name);

/* ---- tables (compare.c) ------------------------------------------------------- */

struct compare_options {
    const char *baseline;  /* a row's label, or a run id (its first row); NULL: the first row */
    double bandwidth_gbps; /* > 0: overrides every row's platform */
    opt_u64 active_bytes;  /* known: overrides the records' (a --model given) */
};

struct compare_column {
    char *name; /* "pp512", "tg128 @ d4096" */
    enum bench_kind kind;
    uint64_t n_prompt;
    uint64_t n_gen;
    uint64_t n_depth;
};

struct compare_cell {
    bool present;
    double mean;
    opt_f64 stddev;
    opt_f64 ratio;           /* to the baseline row's cell */
    opt_f64 bandwidth_share; /* tg only: 0.53 for 53 % */
};

struct compare_row {
    char *label; /* what tells it apart: "vulkan-radv fa=on ub=512" */
    const struct bench_run *run;
    const struct bench_record *first; /* its configuration's values */
    opt_u64 active_bytes;
    opt_f64 peak_gbps;
    char *peak_source;          /* "strix-halo: LPDDR5X-8000, 256-bit", "--bandwidth" */
    struct compare_cell *cells; /* one per column */
};

struct compare_table {
    struct compare_column *cols;
    size_t n_cols;
    struct compare_row *rows;
    size_t n_rows;
    size_t baseline; /* row index */
};

/* Builds the table of the runs' results (the runs must outlive it). Fails
 * when there are no results, or the baseline names nothing. */
int compare_build(struct compare_table *t, const struct bench_run *runs, size_t n_runs,
                  const struct compare_options *o, struct hb_error *err);
void compare_release(struct compare_table *t);

struct cJSON *compare_to_json(const struct compare_table *t);

/* ---- rendering (compare_render.c) -------------------------------------------- */

void compare_render_text(const struct compare_table *t, struct strbuf *out);
void compare_render_markdown(const struct compare_table *t, struct strbuf *out);

#endif
