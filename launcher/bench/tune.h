/* `halobox bench tune`: the sweep's design and the choice of its winner.
 * Pure: results in, a decision out (tests/unit/test_tune.c).
 *
 * A workload decides what is measured and how a configuration scores:
 *
 *   chat          a chat turn: a prompt of P tokens (default 256) read, then
 *                 N tokens (default 128) generated, at depth 0. The score is
 *                 the generated tokens per second of the whole turn,
 *                 N / (P / pp + N / tg), with pp and tg the means of the
 *                 pp P and tg N tests. Decode speed dominates; the prompt
 *                 weighs as much as it takes time.
 *   long-prefill  reading a long prompt: the pp P test (default 512) at
 *                 depth D (default 8192: a context already that long). The
 *                 score is that test's tokens per second.
 *
 * The noise of a score is the standard deviation of one sample (llama-bench's
 * stddev_ts over its repetitions), carried through the chat formula to
 * first order. A configuration beats the default only when
 *
 *   score - default > TUNE_NOISE_K x sqrt(sd^2 + sd_default^2)
 *   and (score - default) / default >= TUNE_MIN_MARGIN
 *
 * otherwise the default is kept ("the default won"). Without a stddev for
 * both (fewer than two samples) no winner is claimed. On equal scores the
 * configuration met first wins, and the default is always first. A
 * quantised V cache without flash attention is never chosen (llama.cpp
 * refuses to create such a context); results whose K type is not their V
 * type are left out (the plan has one --kv-type for both). */
#ifndef HALOBOX_BENCH_TUNE_H
#define HALOBOX_BENCH_TUNE_H

#include "bench/results.h"
#include "doctor.h"
#include "store/fit.h"

struct cJSON;

#define TUNE_NOISE_K    2.0
#define TUNE_MIN_MARGIN 0.01

/* "chat", "long-prefill". */
const char *tune_workload_name(enum workload w);

/* The tests of a workload: -p, -n, -d and -r of llama-bench. */
struct tune_tests {
    unsigned p, n, depth, reps;
};
void tune_default_tests(enum workload w, struct tune_tests *t);

/* One configuration of the engine. */
struct tune_config {
    char *recipe;
    unsigned ubatch;
    bool flash_attn;
    enum kv_type kv;
};

/* The engine's defaults as run and serve use them: ubatch 512 (llama.cpp's),
 * flash attention on, an f16 KV cache. */
#define TUNE_DEFAULT_UBATCH 512

struct tune_candidate {
    struct tune_config c;
    bool have_pp, have_tg;
    double pp, pp_sd, tg, tg_sd; /* t/s: mean and stddev; sd < 0 when unknown */
    size_t samples;              /* the fewest samples of its tests */
    bool scored;                 /* every test the workload needs was measured */
    double score, sd;            /* sd < 0 when unknown */
    const char *excluded;        /* why it cannot be chosen; NULL when it can */
};

struct tune_decision {
    enum workload workload;
    struct tune_tests tests;
    struct tune_candidate *v;
    size_t n;
    int def;          /* the default's index; -1 when it was not measured */
    int best;         /* the best choosable candidate; -1 when none */
    int winner;       /* best when it beats the default beyond the noise; else -1 */
    double margin;    /* (best - default) / default; 0 when either is missing */
    double threshold; /* the difference the noise allows (t/s); < 0 when unknown */
    char *reason;     /* one sentence: why the winner or why the default */
};

/* Groups the results (each with its recipe, n_ubatch, flash_attn, type_k,
 * type_v) into configurations, scores them by the workload and chooses.
 * def is the default configuration (its recipe: the one run would pick). */
void tune_decide(enum workload w, const struct tune_tests *t, const struct tune_config *def,
                 const struct bench_record *recs, size_t n_recs, struct tune_decision *d);
void tune_decision_release(struct tune_decision *d);

/* The configuration as engine flags for run and serve: "-ub 256 -fa on
 * --cache-type-k q8_0 --cache-type-v q8_0". */
void tune_config_describe(const struct tune_config *c, struct strbuf *out);

/* {"workload", "tests", "score", "default", "candidates": [...],
 *  "decision": {...}} */
struct cJSON *tune_decision_to_json(const struct tune_decision *d);
struct cJSON *tune_config_to_json(const struct tune_config *c);
/* Reads one back ("origin" names the file in errors). */
int tune_config_from_json(const struct cJSON *o, const char *origin, struct tune_config *c,
                          struct hb_error *err);
void tune_config_release(struct tune_config *c);

#endif
