/* `halobox bench` and its verbs, sharing one option parser. */
#ifndef HALOBOX_CMD_BENCH_H
#define HALOBOX_CMD_BENCH_H

#include "bench/results.h"
#include "cmd.h"

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

#endif
