/* llama-bench's output as results: its JSON (`-o json`, one array; `-o
 * jsonl`, one object per line) and its markdown table (`-o md`, the default,
 * which is what community posts and logs hold).
 *
 * Field changes across engine builds are accepted (research/ENGINE.md,
 * section 2): `flash_attn` as a bool or an int (-1 auto, 0, 1), `load_mode`
 * or the older `use_mmap` and `use_direct_io`, no `n_depth` before #13183
 * (depth 0 then). Unknown extra fields are ignored. A value the output does
 * not give stays unknown (NULL, `known` false), never 0.
 *
 * Errors name the source and the place: "ORIGIN: result 3: avg_ts: expected
 * a number", "ORIGIN: line 7: t/s: expected 'MEAN ± STDDEV', got 'abc'";
 * exit code EXIT_INPUT. */
#ifndef HALOBOX_LLAMA_BENCH_JSON_H
#define HALOBOX_LLAMA_BENCH_JSON_H

#include "util/common.h"
#include "util/error.h"
#include "util/optional.h"

struct strbuf;

/* pp: prompt processing (n_prompt > 0, n_gen 0); tg: token generation
 * (n_gen > 0, n_prompt 0); pg: both in one test (`-pg`). */
enum bench_kind { BENCH_PP, BENCH_TG, BENCH_PG };

enum bench_fa { BENCH_FA_UNKNOWN = 0, BENCH_FA_AUTO, BENCH_FA_OFF, BENCH_FA_ON };

struct bench_result {
    enum bench_kind kind;
    opt_u64 n_prompt;
    opt_u64 n_gen;
    opt_u64 n_depth;
    opt_u64 n_batch;
    opt_u64 n_ubatch;
    opt_u64 n_threads;
    opt_i64 n_gpu_layers; /* -1 means all, since #23714 */
    enum bench_fa flash_attn;
    char *type_k;
    char *type_v;
    /* auto, none, mmap, mlock, mmap+mlock, dio; from use_mmap (true: mmap,
     * false: none) and use_direct_io (true: dio) in older builds */
    char *load_mode;
    char *devices;
    char *backends; /* "Vulkan", "ROCm", "CPU", "Vulkan,RPC" */
    char *gpu_info;
    char *cpu_info;
    char *build_commit;
    opt_u64 build_number;
    char *model_filename;
    char *model_type; /* "qwen3moe 30B.A3B Q4_K - Medium" */
    /* bytes and parameters; from a markdown table they are the printed,
     * rounded values ("32.70 GiB", "29.94 B") scaled back */
    opt_u64 model_size;
    opt_u64 model_n_params;
    opt_u64 avg_ns;
    opt_u64 stddev_ns;
    opt_f64 avg_ts; /* always known in a parsed result */
    opt_f64 stddev_ts;
    double *samples_ts; /* none in a markdown table */
    size_t n_samples;
    char *test_time; /* RFC 3339 */
    /* From a log's device lines only (markdown): the Vulkan driver ggml
     * named (facts' ids: radv, amdvlk, ...) and a gfx target it printed
     * ("gfx1151 (0x1151)" from ROCm, "(RADV GFX1151)" from RADV). */
    char *vulkan_driver;
    char *gfx;
};

struct bench_results {
    struct bench_result *v;
    size_t n;
    size_t alloc;
};

void bench_result_release(struct bench_result *r);
/* Deep copy (dst is overwritten, not released). */
void bench_result_copy(struct bench_result *dst, const struct bench_result *src);
struct bench_result *bench_results_add(struct bench_results *set);
void bench_results_release(struct bench_results *set);

/* "pp", "tg", "pg"; and back (-1 when neither). */
const char *bench_kind_name(enum bench_kind k);
int bench_kind_parse(const char *s, enum bench_kind *k);
/* "auto", "off", "on"; NULL for unknown. And back (-1 when none of them). */
const char *bench_fa_name(enum bench_fa fa);
int bench_fa_parse(const char *s, enum bench_fa *fa);

/* The test's name as llama-bench prints it: "pp512", "tg128",
 * "pp512+tg128", with " @ d4096" when the depth is not 0. */
void bench_test_name(const struct bench_result *r, struct strbuf *out);
/* Parses such a name into kind, n_prompt, n_gen and n_depth; -1 when it is
 * not one. */
int bench_test_name_parse(const char *name, struct bench_result *r);

/* JSON (`-o json`: an array; `-o jsonl`: one object per line). Appends to
 * out; on error out keeps what it had before the call. */
int llama_bench_parse_json(const char *text, size_t len, const char *origin,
                           struct bench_results *out, struct hb_error *err);
/* Markdown tables (`-o md`), with whatever columns are present, in a log
 * that may hold other lines: device lines ("ggml_vulkan: 0 = NAME (driver)
 * | ...", "  Device 0: NAME, gfx1151 (0x1151), ...") give gpu_info, the
 * "build: COMMIT (NUMBER)" line the build. */
int llama_bench_parse_markdown(const char *text, size_t len, const char *origin,
                               struct bench_results *out, struct hb_error *err);

/* True for a markdown table's header row with "test" and "t/s" columns. */
bool llama_bench_md_is_header(const char *line, size_t len);

enum llama_bench_format { LLAMA_BENCH_JSON, LLAMA_BENCH_MARKDOWN };
/* Either format, told apart by the content: a markdown header row with
 * "test" and "t/s" columns, else JSON from the first line that starts with
 * '[' or '{' (a log may hold the engine's stderr lines first). */
int llama_bench_parse(const char *text, size_t len, const char *origin, struct bench_results *out,
                      enum llama_bench_format *format, struct hb_error *err);

/* The Vulkan driver from the name ggml_vulkan prints in brackets after the
 * device ("radv", "AMD open-source driver", ...), as facts name drivers:
 * radv, amdvlk, amdgpu-pro, nvidia, intel, llvmpipe, other. */
const char *bench_vulkan_driver_id(const char *driver_name);

#endif
