/* The store of tuned settings: what `halobox bench tune` chose, one file per
 * model, host and workload, read by run and serve (plan.h, struct
 * plan_tuned):
 *
 *   $HALOBOX_TUNE_DIR, else $XDG_DATA_HOME/halobox/tuned, else
 *   ~/.local/share/halobox/tuned:  MODEL_SHA256.HOST_KEY.WORKLOAD.json
 *
 * The host key is 16 hex digits of FNV-1a over the host facts that change
 * which settings are fastest: the GPU (family, PCI device id, name), the
 * Vulkan driver and Mesa version, the ROCm version, the kernel release and
 * its performance parameters (bench/results.h, bench_host_from_facts). A new
 * kernel or driver gives a new key: the old tuning no longer applies and
 * `bench tune` is to be run again. The file also names the engine version
 * it was measured with; run and serve ignore it for another version.
 *
 * Each file: {"schema": "halobox.tuned/1", "model": {"name", "sha256"},
 * "host_key", "host": {...}, "workload", "created", "run",
 * "engine_version", "default_won", "settings": {"recipe", "ubatch",
 * "flash_attn", "kv_type"}, "margin", "reason", "sweep": {...}} written
 * atomically. */
#ifndef HALOBOX_BENCH_TUNED_H
#define HALOBOX_BENCH_TUNED_H

#include "bench/results.h"
#include "bench/tune.h"

#define TUNED_SCHEMA "halobox.tuned/1"

struct tuned_entry {
    char *model_name;
    char *model_sha256;
    char *host_key;
    char *workload; /* "chat", "long-prefill" */
    char *created;
    char *run_id;
    char *engine_version;
    bool default_won;
    struct tune_config settings;
    bool margin_known;
    double margin; /* the winner's over the default: 0.07 = 7 % */
    char *reason;
};

void tuned_entry_release(struct tuned_entry *e);

/* The directory (not created). */
int tuned_dir(struct strbuf *out, struct hb_error *err);
/* 16 lower-case hex digits. */
void tuned_host_key(const struct bench_host *h, char out[17]);
void tuned_path(const char *dir, const char *sha256, const char *host_key, const char *workload,
                struct strbuf *out);

/* Writes e (and the sweep's decision, kept for `bench tune --json` and
 * people) to its file in dir, creating dir (0700). */
int tuned_save(const char *dir, const struct tuned_entry *e, const struct cJSON *sweep,
               const struct bench_host *host, struct hb_error *err);

/* Parses a file's text; errors name origin and the field (EXIT_INPUT). */
int tuned_parse(const char *text, size_t len, const char *origin, struct tuned_entry *e,
                struct hb_error *err);
/* Loads the entry of a model, host and workload: 1 when found, 0 when there
 * is none, -1 when the file is unreadable or malformed. */
int tuned_find(const char *dir, const char *sha256, const char *host_key, const char *workload,
               struct tuned_entry *e, struct hb_error *err);

#endif

/* ---- run and serve (tuned_apply.c) ------------------------------------------ */

struct plan_request;
struct plan_tuned;
struct recipe_set;
struct verdict;

/* What a launch takes from the store: the entry of the model (its sha256),
 * this host and the workload, when it applies. It applies when the sweep's
 * winner beat the default, its recipe exists (and suits the host, or is the
 * one --recipe names), the recipe's engine version is the one it was
 * measured with, and --kv-type (kv_given) does not ask for another KV type.
 * Then req->kv and *t (its recipe used unless --recipe) are set, t->from
 * pointing into from, and 1 is returned. Otherwise 0, with why (when an
 * entry exists) in `note`. -1 when the entry's file is unreadable or
 * malformed (err names it). */
int tuned_apply(const char *model_sha256, const struct facts *f, const struct verdict *v,
                enum workload w, bool kv_given, struct plan_request *req, struct plan_tuned *t,
                struct strbuf *from, struct strbuf *note, struct hb_error *err);
