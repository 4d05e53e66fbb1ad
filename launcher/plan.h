/* The plan: how an engine container is started for one model on this host.
 * A pure function of the host facts (and the doctor's verdict on them), the
 * recipes, the model's summary and what the user asked for; it reads no file
 * and starts nothing, so every decision is unit-tested without podman
 * (tests/unit/test_plan.c). podman.h turns a plan into a podman argv, a
 * Quadlet unit or a Kubernetes pod.
 *
 * Least privilege (DESIGN.md "Running"): only the device nodes the recipe
 * needs and the facts show, keep-groups only when rootless, label=disable
 * only when SELinux enforces, every capability dropped, no new privileges,
 * the store read-only at /models, ports published on 127.0.0.1 unless
 * another address is asked for. */
#ifndef HALOBOX_PLAN_H
#define HALOBOX_PLAN_H

#include "doctor.h"
#include "facts.h"
#include "recipes.h"
#include "store/fit.h"
#include "util/common.h"
#include "util/error.h"

/* Where the store is mounted inside every engine container. */
#define PLAN_STORE_MOUNT "/models"
/* The address ports are published on unless --host says otherwise. */
#define PLAN_DEFAULT_HOST "127.0.0.1"
/* The label every halobox container carries (its value: the model name);
 * images carry halobox.recipe and halobox.backend themselves, so this one
 * is what tells a container halobox started from any other. */
#define PLAN_LABEL_MODEL "halobox.model"
/* rpc-worker --cache: where the tensor cache is mounted (LLAMA_CACHE). */
#define PLAN_CACHE_MOUNT "/cache"

struct rpc_worker;

enum plan_intent {
    PLAN_RUN,        /* one completion for a prompt, or a chat on a terminal */
    PLAN_SERVE,      /* llama-server with the OpenAI-compatible API */
    PLAN_BENCH,      /* llama-bench, JSON on stdout */
    PLAN_RPC_WORKER, /* ggml-rpc-server: this host's devices for another's engine */
};

const char *plan_intent_name(enum plan_intent i);

/* Engine settings `halobox bench tune` measured faster than the defaults
 * for this model, host and workload (bench/tuned.h; the KV type comes as
 * the request's kv). */
struct plan_tuned {
    const char *recipe; /* used when the request names none */
    unsigned ubatch;    /* -ub */
    bool flash_attn;    /* -fa on|off */
    const char *from;   /* for the note: where they came from and by how much */
};

struct plan_request {
    enum plan_intent intent;

    /* The host. verdict: doctor_evaluate over facts (its memory figure is
     * the fit's budget). */
    const struct facts *facts;
    const struct verdict *verdict;
    unsigned threads; /* the engine's CPU threads: the physical cores */

    /* The recipes, and --recipe (NULL: recipes_select chooses). */
    const struct recipe_set *recipes;
    const char *recipe;

    /* The model: its store name, the store's absolute path on the host and
     * the model's first file relative to it (models/NAME/FILE.gguf). fit is
     * NULL when the model's summary lacks its shape: nothing is checked. */
    const char *model;
    const char *store_root;
    const char *model_file;
    const struct fit_model *fit;

    /* What the user asked for. */
    uint64_t ctx; /* --ctx; 0: the largest that fits, up to the trained context */
    enum kv_type kv;
    bool force;         /* start even when the model does not fit */
    const char *prompt; /* run: NULL for a chat */
    bool interactive;   /* run without a prompt: a terminal is attached */
    const char *host;   /* serve: NULL for PLAN_DEFAULT_HOST */
    unsigned port;      /* serve: the port, the same inside and outside */
    const char *name;   /* the container's name; NULL: halobox-MODEL[-PORT] */
    bool detach;
    char *const *env; /* --env KEY=VALUE, in order; later ones win */
    size_t n_env;
    char *const *engine_args; /* after --: appended to the engine's argv */
    size_t n_engine_args;

    /* rpc-worker (plan_rpc.c): host and port are the --listen address;
     * model, store_root, model_file and fit are NULL. */
    const char *rpc_cache_dir; /* --cache: the host folder, NULL: no cache */
    bool allow_any_address;    /* a wildcard --listen address, as asked */
    /* run, serve, bench --rpc: the workers as rpc_probe found them. With
     * rpc_lenient (--dry-run) a worker that is down or speaks another
     * protocol is a note instead of the error. */
    const struct rpc_worker *rpc_workers;
    size_t n_rpc_workers;
    bool rpc_lenient;
    const struct plan_tuned *tuned; /* run, serve: NULL for the defaults */
    /* run, serve --workload: long prefill prefers a ROCm recipe when no
     * recipe is named or tuned (recipes_select_for). */
    enum workload workload;
};

struct plan {
    enum plan_intent intent;
    char *model;
    char *name;
    char *recipe;
    char *backend;
    char *engine_version;
    char *image;
    struct str_list reasons; /* why this recipe */
    struct str_list notes;   /* what the plan decided that the user should know */

    /* podman run */
    bool rm;                      /* removed when it exits (run); serve keeps it for logs */
    bool detach;                  /* serve: always started in the background */
    bool interactive;             /* -i -t */
    struct str_list devices;      /* --device: /dev/dri, /dev/kfd, CDI names */
    struct str_list device_nodes; /* the character devices behind them (kube) */
    struct str_list groups;       /* --group-add */
    struct str_list security;     /* --security-opt */
    struct str_list cap_drop;     /* --cap-drop */
    char *store_root;             /* mounted read-only at PLAN_STORE_MOUNT */
    struct str_list env;          /* KEY=VALUE */
    struct str_list labels;       /* KEY=VALUE */
    char *host;                   /* serve: the published address */
    unsigned port;                /* serve: 0 otherwise */
    struct str_list engine;       /* the container's command */
    char *cache_dir;              /* rpc-worker --cache: mounted at PLAN_CACHE_MOUNT */
    char *rpc;                    /* --rpc: the workers, as the engine gets them */
    uint64_t rpc_free;            /* their free memory, counted in the budget */

    /* the memory fit */
    bool fit_checked;
    bool fits;
    uint64_t ctx; /* the context the engine gets; 0: the engine decides */
    enum kv_type kv;
    struct fit_result fit;
    uint64_t budget;         /* the memory the fit was checked against */
    const char *budget_from; /* gtt, ttm, vram, hip, ram, ... */
};

/* Builds the plan. Fails (-1, one-line error) when --recipe names no recipe,
 * when no recipe suits the host, and when the model does not fit (the error
 * says by how much and what would fit: --ctx, --kv-type, a smaller
 * quantisation) unless force. The plan is released by plan_release even
 * on failure. */
int plan_build(const struct plan_request *req, struct plan *p, struct hb_error *err);
void plan_release(struct plan *p);

/* The doctor's findings that stop a start: every error-level finding
 * (podman-missing excepted when podman_found: the launcher found podman
 * where the probe did not look, HALOBOX_PODMAN). Fails with the first one's
 * message and fix unless force; warnings are appended to `warnings`, one
 * line each, to be printed once. */
int plan_preflight(const struct verdict *v, bool podman_found, bool force,
                   struct str_list *warnings, struct hb_error *err);

/* A CDI device name (vendor.com/class=name) rather than a device path. */
bool plan_device_is_cdi(const char *device);

/* The thread count for the engine from the CPUs online and whether SMT is
 * active: llama.cpp is fastest with one thread per physical core. */
unsigned plan_threads(long cpus_online, bool smt_active);

/* "b11669" -> 11669; 0 when the version is not a build number. */
unsigned plan_engine_build(const char *engine_version);

#endif
