/* What `halobox run` and `halobox serve` share: their options, and the way
 * a model, the host facts and the recipes become a plan (cmd_run.c). */
#ifndef HALOBOX_CMD_RUN_H
#define HALOBOX_CMD_RUN_H

#include "cmd.h"
#include "plan.h"
#include "podman.h"
#include "store/store.h"

enum launch_opt {
    LO_SERVE = 1 << 0,  /* --port, --host, --detach, --generate, --timeout */
    LO_WORKER = 1 << 1, /* --listen, --cache, --allow-any-address (rpc-worker) */
};

struct launch_options {
    const char *recipe;
    uint64_t ctx;
    enum kv_type kv;
    bool kv_given;          /* --kv-type was given */
    enum workload workload; /* --workload: which tuned settings (bench tune) */
    bool no_tune;           /* --no-tune: the engine's defaults */
    bool dry_run, quiet, force, build, pull, fresh, verbose, detach;
    const char *facts_path;
    const char *store;
    const char *name;
    const char *host;
    const char *port; /* N or auto; NULL: the default */
    const char *generate;
    int timeout_s;
    const char *rpc;    /* --rpc HOST:PORT,...: llama.cpp RPC workers */
    const char *listen; /* rpc-worker: --listen ADDR:PORT */
    bool cache, allow_any_address;
    struct str_list env;
    /* positional arguments, and those after -- */
    char **args;
    int n_args;
    char **engine_args;
    int n_engine_args;
};

/* Parses the options; returns -1 to go on, else the exit code (help
 * printed: 0; usage error: 2). Release with launch_options_release. */
int launch_parse(const char *command, unsigned allowed, int argc, char **argv,
                 struct launch_options *o);
void launch_options_release(struct launch_options *o);

struct launch {
    struct facts facts;
    struct verdict verdict;
    struct recipe_set recipes;
    struct store_ref ref;
    struct fit_model fit;
    char *store_root;
    char *model_file;
    struct plan plan;
    struct str_list warnings;
    struct rpc_worker *rpc_workers; /* --rpc, as probed before the plan */
    size_t n_rpc_workers;
};

void launch_init(struct launch *l);
/* Facts (cached per boot), the doctor's verdict, the recipes, the model
 * from the store, then the plan (l from launch_init). */
int launch_prepare(const struct launch_options *o, enum plan_intent intent, const char *prompt,
                   bool interactive, const char *name, unsigned port, struct launch *l,
                   struct hb_error *err);
void launch_release(struct launch *l);

/* One engine thread per physical core of this host. */
unsigned launch_engine_threads(void);

/* The recipe, its reasons and the plan's notes on stderr (not with
 * --quiet). */
void launch_explain(const struct launch_options *o, const struct launch *l);

/* --dry-run: the podman command, shell-quoted, on stdout. */
int launch_print_dry_run(const struct launch *l, struct hb_error *err);

/* The step between the plan and the start that run, serve and rpc-worker
 * share: with --dry-run, print the command and return 0 (nothing to start);
 * else launch_preflight, and 1 to start. -1 with err set on a failure. */
int launch_dry_run_or_preflight(const struct launch_options *o, struct launch *l, bool check_image,
                                char **podman, struct hb_error *err);

/* Before a real start: podman found (*podman set, caller frees), the
 * doctor's error findings (unless --force), and with check_image (or
 * --build) the image built, or built now with --build. Warnings are
 * printed once. */
int launch_preflight(const struct launch_options *o, struct launch *l, bool check_image,
                     char **podman, struct hb_error *err);
/* The plan's image is not there: the error that says how to build it, or
 * with --build the build (1 when built). */
int launch_image_missing(const struct launch_options *o, const struct launch *l,
                         struct hb_error *err);

/* `podman run --detach` of the plan (serve, rpc-worker): 0 when started;
 * a missing image is built or pulled (--build, --pull) and the run tried
 * again; -1 with the error after removing what podman may have created,
 * except a container that already had the name (someone else's). */
int launch_run_detached(const struct launch_options *o, struct launch *l, const char *podman,
                        struct hb_error *err);

/* The last n lines of text, each on a new line indented by two spaces,
 * appended to out (the engine's log in an error). */
void launch_tail_lines(const char *text, int n, struct strbuf *out);

/* SIGINT, SIGTERM and SIGHUP set launch_stop instead of killing halobox,
 * so a container being started can be removed first. */
extern volatile int launch_stop;
void launch_catch_signals(void);

#endif
