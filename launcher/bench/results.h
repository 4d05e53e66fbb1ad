/* The benchmark results store: one JSON Lines file per run,
 *
 *   $HALOBOX_BENCH_DIR, else $XDG_DATA_HOME/halobox/bench, else
 *   ~/.local/share/halobox/bench:  RUN-ID.jsonl
 *
 * Line 1 is the run's header (schema halobox.bench/1, "type": "run"): its
 * id, when it was made, where the results came from, the model, the host
 * facts summary, the recipes with a status each, and the run's status. Then
 * one line per result ("type": "result"), each complete on its own: the test,
 * tokens per second (mean, stddev, samples), what llama-bench said about its
 * build and the device, the model, the image and the host summary, and the
 * time. A recipe that ends appends a "type": "recipe" line with its status.
 *
 * Each line is appended and fsync'd as it is made, so a run that is killed
 * keeps every finished result; its header still says "running" and it loads
 * as incomplete (as running while the writer still holds its lock). A cut
 * short last line is dropped. bench_writer_finish rewrites the header with
 * the final status (a temporary file, fsync'd, renamed over the run). */
#ifndef HALOBOX_BENCH_RESULTS_H
#define HALOBOX_BENCH_RESULTS_H

#include <time.h>

#include "bench/llama_bench_json.h"
#include "facts.h"
#include "util/error.h"

struct cJSON;
struct strbuf;
struct verdict;

#define BENCH_SCHEMA "halobox.bench/1"

enum bench_status {
    BENCH_STATUS_PENDING,    /* a recipe not started yet */
    BENCH_STATUS_RUNNING,    /* the writer is still at work */
    BENCH_STATUS_COMPLETE,   /* every test ran */
    BENCH_STATUS_INCOMPLETE, /* interrupted: finished results only */
    BENCH_STATUS_FAILED,     /* the engine failed (a recipe), or any recipe did (a run) */
};

const char *bench_status_name(enum bench_status s);
int bench_status_parse(const char *s, enum bench_status *out);

struct bench_model {
    char *name;     /* the store's name, or the file's base name */
    char *filename; /* as the engine saw it */
    char *sha256;
    char *architecture;
    char *type; /* general.file_type: "Q4_K_M" */
    opt_u64 parameters;
    opt_u64 bytes;        /* tensor data */
    opt_u64 active_bytes; /* weights read per generated token (compare.h) */
    opt_u64 experts;
    opt_u64 experts_used;
};

struct bench_image {
    char *recipe;
    char *recipe_sha256;
    char *digest; /* the image's sha256 digest */
    char *engine_version;
    char *engine_commit;
};

/* The host facts that decide benchmark numbers. */
struct bench_host {
    char *kernel; /* release */
    bool params_known;
    struct kparam *params; /* the performance-relevant command line parameters */
    size_t n_params;
    char *gpu_family; /* strix-halo, ... (facts' derived family) */
    char *gpu_name;
    opt_u64 gpu_device_id; /* PCI */
    opt_u64 usable_memory_bytes;
    char *vulkan_driver; /* radv, amdvlk, ... */
    char *mesa_version;  /* "25.1.4" */
    char *rocm_version;
    char *podman_version;
};

struct bench_record {
    struct bench_result r;
    struct bench_model model;
    struct bench_image image;
    struct bench_host host;
};

struct bench_recipe_state {
    char *recipe;
    enum bench_status status;
    char *error; /* why it failed */
};

struct bench_run {
    char *id;
    char *path;
    char *created; /* RFC 3339 UTC */
    char *source;  /* "bench", "import-log" */
    char *source_file;
    char *label; /* a name for its configuration (import-log --label) */
    enum bench_status status;
    bool truncated; /* the last line was cut short */
    struct bench_model model;
    struct bench_host host;
    struct bench_recipe_state *recipes;
    size_t n_recipes;
    struct bench_record *records;
    size_t n_records;
    size_t alloc_records;
};

void bench_model_release(struct bench_model *m);
void bench_model_copy(struct bench_model *dst, const struct bench_model *src);
void bench_image_release(struct bench_image *i);
void bench_host_release(struct bench_host *h);
void bench_host_copy(struct bench_host *dst, const struct bench_host *src);
void bench_record_release(struct bench_record *rec);
void bench_record_copy(struct bench_record *dst, const struct bench_record *src);
void bench_run_release(struct bench_run *run);
#define cleanup_bench_run __attribute__((cleanup(bench_run_release)))

struct bench_recipe_state *bench_run_add_recipe(struct bench_run *run, const char *recipe);
/* Appends a zeroed record. */
struct bench_record *bench_run_add_record(struct bench_run *run);

/* The summary of a host's facts and the doctor's verdict on them: the
 * kernel, its parameters that change performance (amd_iommu, iommu,
 * mitigations, transparent_hugepage and those of the amdgpu, ttm and amdttm
 * modules), the family, PCI id and name of the GPU
 * the verdict's memory is for, its usable memory, the Vulkan driver and
 * Mesa version of that GPU's Vulkan device, the ROCm and podman versions. */
void bench_host_from_facts(struct bench_host *h, const struct facts *f, const struct verdict *v);

/* ---- JSON (results_json.c) ------------------------------------------------ */

struct cJSON *bench_host_to_json(const struct bench_host *h);
struct cJSON *bench_model_to_json(const struct bench_model *m);
struct cJSON *bench_header_to_json(const struct bench_run *run);
struct cJSON *bench_record_to_json(const struct bench_run *run, const struct bench_record *rec);
/* `origin` names the place in errors ("run ID: line 3"). */
int bench_header_from_json(struct bench_run *run, const struct cJSON *o, const char *origin,
                           struct hb_error *err);
int bench_record_from_json(struct bench_record *rec, const struct cJSON *o, const char *origin,
                           struct hb_error *err);
/* The whole run: the header's fields and "results": [records]. */
struct cJSON *bench_run_to_json(const struct bench_run *run);

/* ---- files (results.c) ----------------------------------------------------- */

/* The directory (not created): HALOBOX_BENCH_DIR, else the data dir's. */
int bench_dir(struct strbuf *out, struct hb_error *err);

/* A time as the store writes it: "2026-11-22T00:22:24Z" (UTC). */
char *bench_rfc3339(time_t t);

/* Whether a string can be a run id (letters, digits, '.', '_', '-'). New
 * ids are the UTC time and 4 random hex digits, "20261122T002224.517Z-3fa1". */
bool bench_run_id_valid(const char *id);

struct bench_writer;
/* Creates DIR (0700) and DIR/ID.jsonl, with run->id made now unless the
 * caller set one, and writes the header: status running, each recipe in
 * run->recipes pending. The writer keeps a pointer to run and records in
 * it the results and statuses it writes (run must outlive the writer). */
int bench_writer_open(struct bench_writer **w, const char *dir, struct bench_run *run,
                      struct hb_error *err);
/* Appends one result (copied into run->records) and fsyncs. */
int bench_writer_add(struct bench_writer *w, const struct bench_record *rec, struct hb_error *err);
/* Records a recipe's end (complete or failed, with the reason). */
int bench_writer_recipe_done(struct bench_writer *w, const char *recipe, enum bench_status status,
                             const char *error, struct hb_error *err);
/* Rewrites the header with the final status: failed when any recipe failed,
 * else complete (recipes still pending become incomplete, and so does the
 * run). */
int bench_writer_finish(struct bench_writer *w, struct hb_error *err);
/* The engine's log (llama-bench's stderr) of a run sits beside its results
 * as DIR/ID.log, at most BENCH_LOG_MAX bytes: what a bug report needs, while
 * a runaway engine cannot fill the disk. */
#define BENCH_LOG_MAX (1024 * 1024)
void bench_log_path(const char *dir, const char *id, struct strbuf *out);
/* Appends a recipe's log to the run's: a "== recipe NAME" line, then the
 * text, cut (and marked so) where the log would pass BENCH_LOG_MAX. */
int bench_writer_add_log(struct bench_writer *w, const char *recipe, const char *text, size_t len,
                         struct hb_error *err);
/* Closes; a run not finished stays as it is on disk (incomplete). */
void bench_writer_free(struct bench_writer *w);

/* Reads a run file. A last line cut short is dropped (run->truncated) and
 * the run is incomplete; any other bad line is an error naming the run and
 * the line. */
int bench_run_load(struct bench_run *run, const char *path, struct hb_error *err);

/* A run named on the command line: a path to a .jsonl file, a run id, or
 * the unique start of one. Fills path. */
int bench_run_resolve(const char *dir, const char *name, struct strbuf *path, struct hb_error *err);

struct bench_runs {
    struct bench_run *v;
    size_t n;
};
/* Every run in dir, oldest first (ids sort by time). Files that do not load
 * are left out, each with a line in `warnings` (may be NULL). A missing dir
 * is no runs. */
int bench_runs_load(const char *dir, struct bench_runs *out, struct strbuf *warnings,
                    struct hb_error *err);
void bench_runs_release(struct bench_runs *runs);

#endif
