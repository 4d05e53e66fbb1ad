/* `halobox bench` and its verbs, sharing one option parser. */
#ifndef HALOBOX_CMD_BENCH_H
#define HALOBOX_CMD_BENCH_H

#include "bench/results.h"
#include "cmd.h"
#include "cmd_run.h"

enum bench_opt {
    BO_JSON = 1 << 0,
    BO_MARKDOWN = 1 << 1,
    BO_BASELINE = 1 << 2,
    BO_BANDWIDTH = 1 << 3,
    BO_MODEL = 1 << 4,
    BO_LAST = 1 << 5,
    BO_LABEL = 1 << 6,
    BO_GPU_FAMILY = 1 << 7,
    BO_OUTPUT = 1 << 8, /* -o FILE */
    BO_FACTS = 1 << 9,
};

struct bench_options {
    bool json, markdown;
    const char *baseline;
    double bandwidth; /* 0: not given */
    const char *model;
    size_t last; /* 0: not given */
    const char *label;
    const char *gpu_family;
    const char *output; /* -o FILE */
    const char *facts;  /* --facts FILE */
    char **args;        /* the positional arguments */
    int n_args;
};

/* Returns -1 to go on, else the exit code (help printed, or usage error). */
int bench_parse(const char *verb, const char *usage, unsigned allowed, int argc, char **argv,
                struct bench_options *o);

/* Each line of warnings (bench_runs_load's) as "halobox: warning: skipped
 * LINE" on stderr. */
int bench_print_warnings(const struct strbuf *warnings);

/* Opens --model (a store name or a GGUF file). */
struct gguf_model;
int bench_open_model(const char *what, struct gguf_model *m, char **sha256, struct hb_error *err);

/* The runs a verb works on: those named (o->args) or the newest o->last.
 * bench_selection_usage checks that exactly one of the two was given
 * (returns -1 when so, else the usage error's exit code). */
int bench_selection_usage(const char *cmd, const struct bench_options *o);
int bench_load_selected(const struct bench_options *o, struct bench_runs *runs,
                        struct hb_error *err);

int cmd_bench_import_log(int argc, char **argv);
/* `halobox bench report` (cmd_bench_report.c). */
int cmd_bench_report(int argc, char **argv);
/* bench export and bench import (cmd_bench_bundle.c). */
int cmd_bench_export(int argc, char **argv);
int cmd_bench_import(int argc, char **argv);
extern const char cmd_bench_export_usage[], cmd_bench_import_usage[];

/* `halobox bench MODEL ...` (cmd_bench_run.c): argv[0] is "bench". */
int cmd_bench_run(int argc, char **argv);
extern const char cmd_bench_run_usage[];

/* The options bench MODEL and bench tune share (cmd_bench_run.c): --env,
 * --dry-run, --store, --facts, --fresh, --force, --rpc, -q. */
enum { BLO_ENV = 2000, BLO_DRY, BLO_STORE, BLO_FACTS, BLO_FRESH, BLO_FORCE, BLO_RPC };
#define BENCH_LAUNCH_OPTIONS                                                                       \
    {"env", required_argument, NULL, BLO_ENV}, {"dry-run", no_argument, NULL, BLO_DRY},            \
        {"store", required_argument, NULL, BLO_STORE},                                             \
        {"facts", required_argument, NULL, BLO_FACTS}, {"fresh", no_argument, NULL, BLO_FRESH},    \
        {"force", no_argument, NULL, BLO_FORCE}, {"rpc", required_argument, NULL, BLO_RPC},        \
    {                                                                                              \
        "quiet", no_argument, NULL, 'q'                                                            \
    }
/* Handles getopt's c when it is one of them: 1 (*ret set to the exit code
 * on a usage error), else 0. */
int bench_launch_option(const char *verb, int c, const char *arg, struct launch_options *lo,
                        int *ret);
/* A comma-separated list of numbers, each at least min (and at most 2^24). */
bool bench_num_list_ok(const char *s, unsigned long long min);

/* `halobox bench tune MODEL ...` (cmd_bench_tune.c). */
int cmd_bench_tune(int argc, char **argv);

/* ---- the legs of a benchmark run (cmd_bench_run.c) ----------------------------
 *
 * A run is a list of legs, each one llama-bench container: a recipe and
 * what its llama-bench gets. `bench MODEL` has one leg per recipe; `bench
 * tune` several per recipe (llama-bench runs every combination of its
 * lists, and some combinations cannot run: a quantised V cache needs flash
 * attention). A recipe's legs are consecutive; its status in the run is
 * failed when any of its legs failed, and the other legs' results are
 * kept. */
struct bench_leg {
    const char *recipe;   /* NULL: the plan's choice */
    const char *fa;       /* the value of -fa ("on", "off,on"); NULL: the plan's */
    struct str_list args; /* appended to llama-bench's arguments */
    /* filled by bench_legs_prepare */
    bool prepared;
    struct launch l;
    char *container;
};

struct bench_legs {
    struct launch_options lo; /* the model (args[0]), store, facts, env, dry run; owned */
    const char *source;       /* the run's source: "bench", "tune" */
    const char *label;        /* the run's label, or NULL */
    struct bench_leg *v;
    size_t n;
    char *podman;
    bool opened; /* the run file exists */
};

struct bench_leg *bench_legs_add(struct bench_legs *s, const char *recipe);
/* Plans every leg (printing each podman command with --dry-run) and checks
 * podman, the doctor's errors and the images before anything runs. */
int bench_legs_prepare(struct bench_legs *s, struct hb_error *err);
/* Runs the legs in order, recording a new run (filled in run, which the
 * caller releases). Ctrl-C stops the container and ends the run with its
 * finished results, marked incomplete (*interrupted set). -1 with err on a
 * failure that ends the run (the finished results stay in its file). */
int bench_legs_run(struct bench_legs *s, struct bench_run *run, bool *interrupted,
                   struct hb_error *err);
void bench_legs_release(struct bench_legs *s);

#endif
