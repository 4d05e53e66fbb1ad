/* The subcommands (one cmd_*.c each) and what they share. Each takes the
 * arguments after its name (argv[0] is the command name) and returns the
 * process exit code; only main() exits. */
#ifndef HALOBOX_CMD_H
#define HALOBOX_CMD_H

#include "doctor.h"
#include "render_text.h"
#include "util/error.h"
#include "util/strbuf.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *usage; /* the full --help text */
};

extern const char halobox_version[]; /* main.c: "0.1.0" */
extern const struct command commands[];
extern const size_t n_commands;

int cmd_inspect(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_images_pull(int argc, char **argv);
extern const char cmd_images_pull_usage[]; /* cmd_images_pull.c */
int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_completion(int argc, char **argv);
int cmd_bench(int argc, char **argv);
extern const char cmd_bench_usage[]; /* cmd_bench.c */
int cmd_rpc_worker(int argc, char **argv);
extern const char cmd_rpc_worker_usage[]; /* cmd_rpc_worker.c */
int cmd_cluster(int argc, char **argv);
extern const char cmd_cluster_usage[]; /* cmd_cluster.c */

/* Probes this host (the Vulkan and HIP answers from the per-boot cache
 * unless fresh), or reads a saved facts file when path is non-NULL; then
 * derives. Returns -1 with a one-line error naming the file. */
int facts_acquire(const char *facts_path, bool fresh, struct facts *f, struct hb_error *err);

/* The doctor's verdict on the facts with its recommendation, which is made
 * from the engine recipes (found as run finds them; when they cannot be
 * loaded, the recommendation says so and names no backend). */
void verdict_with_recommendation(const struct facts *f, enum workload w, struct verdict *v);

/* Writes to stdout and checks that it got there (a full disk or a closed
 * pipe is an error, not a silent success). */
int write_stdout(const struct strbuf *sb, struct hb_error *err);
/* cJSON document, pretty-printed, newline-terminated. */
int write_json_stdout(const struct cJSON *json, struct hb_error *err);

/* The options inspect and doctor share: --json, --facts FILE, --fresh,
 * --workload. */
struct facts_options {
    bool json;
    const char *facts_path;
    bool fresh;
    enum workload workload;
};

/* Parses them; returns -1 to go on, or the exit code when the command is
 * already done (--help printed: 0; a usage error: 2). */
int parse_facts_options(const char *command, int argc, char **argv, struct facts_options *o);

/* "chat" / "prefill" (or "long-prefill") -> workload; -1 when neither. */
int parse_workload(const char *s, enum workload *w);

/* Prints "halobox: <msg>" to stderr and returns the error's exit code. */
int report_error(const struct hb_error *err);
/* Prints a usage error and the hint to run --help; returns EXIT_USAGE. */
int usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What every command's getopt loop does with the rest: -h prints `usage`
 * (EXIT_OK); a missing value or an unknown option is a usage error naming
 * it. Returns the exit code. */
int getopt_rest(int c, const char *command, const char *usage, char *const argv[]);

const struct command *command_find(const char *name);

#endif
