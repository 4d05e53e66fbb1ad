#include "util/common.h"

#include <ctype.h>

#include "doctor_fix.h"
#include "plan.h"
#include "plan_internal.h"
#include "util/strbuf.h"

/* From this build on, llama.cpp spells "no mmap" --load-mode none (#20834)
 * and llama-bench takes -fa on|off|auto (#23714); both are older than this
 * build (ENGINE.md: facts checked at b10470). */
#define BUILD_LOAD_MODE 10470

/* Headroom left to the OS when the model runs in RAM (CPU or a software
 * Vulkan device), as `models fit` reckons it. */
#define RAM_HEADROOM (4 * GIB)

/* The device-selection variables a user may set on the host to steer the
 * engine; they are passed on into the container. */
static const char *const passed_env[] = {
    "GGML_VK_VISIBLE_DEVICES",
    "HIP_VISIBLE_DEVICES",
    "ROCR_VISIBLE_DEVICES",
};

#define UNIFIED_MEMORY "GGML_CUDA_ENABLE_UNIFIED_MEMORY"

const char *plan_intent_name(enum plan_intent i)
{
    switch (i) {
    case PLAN_RUN:
        return "run";
    case PLAN_SERVE:
        return "serve";
    case PLAN_RPC_WORKER:
        return "rpc-worker";
    default:
        return "bench";
    }
}

bool plan_device_is_cdi(const char *device)
{
    return device[0] != '/' && strchr(device, '=') != NULL;
}

unsigned plan_threads(long cpus_online, bool smt_active)
{
    if (cpus_online < 1)
        return 1;
    long t = smt_active && cpus_online >= 2 ? cpus_online / 2 : cpus_online;
    return (unsigned)t;
}

unsigned plan_engine_build(const char *v)
{
    if (!v || v[0] != 'b' || !isdigit((unsigned char)v[1]))
        return 0;
    unsigned long n = strtoul(v + 1, NULL, 10);
    return n > 1000000 ? 0 : (unsigned)n;
}

void plan_release(struct plan *p)
{
    free(p->model);
    free(p->name);
    free(p->recipe);
    free(p->backend);
    free(p->engine_version);
    free(p->image);
    free(p->store_root);
    free(p->host);
    free(p->cache_dir);
    free(p->rpc);
    struct str_list *lists[] = {&p->reasons, &p->notes,    &p->devices,  &p->device_nodes,
                                &p->groups,  &p->security, &p->cap_drop, &p->env,
                                &p->labels,  &p->engine};
    for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
        str_list_release(lists[i]);
    memset(p, 0, sizeof(*p));
}

static void add_size(struct strbuf *sb, uint64_t bytes)
{
    if (bytes >= GIB)
        strbuf_addf(sb, "%.2f GiB", (double)bytes / (double)GIB);
    else
        strbuf_addf(sb, "%.1f MiB", (double)bytes / (double)MIB);
}

/* podman's rule for container names. */
static bool container_name_ok(const char *s)
{
    if (!isalnum((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
            return false;
    return true;
}

/* KEY=VALUE lists: set replaces a key already there, keeping its place. */
static void env_set(struct str_list *env, const char *key, size_t key_len, const char *value)
{
    for (size_t i = 0; i < env->n; i++) {
        if (!strncmp(env->v[i], key, key_len) && env->v[i][key_len] == '=') {
            struct strbuf sb = STRBUF_INIT;
            strbuf_add(&sb, key, key_len);
            strbuf_addf(&sb, "=%s", value);
            free(env->v[i]);
            env->v[i] = strbuf_detach(&sb);
            return;
        }
    }
    struct strbuf sb = STRBUF_INIT;
    strbuf_add(&sb, key, key_len);
    strbuf_addf(&sb, "=%s", value);
    str_list_add(env, sb.buf);
    strbuf_release(&sb);
}

static bool env_remove(struct str_list *env, const char *key)
{
    size_t key_len = strlen(key);
    for (size_t i = 0; i < env->n; i++) {
        if (!strncmp(env->v[i], key, key_len) && env->v[i][key_len] == '=') {
            free(env->v[i]);
            memmove(&env->v[i], &env->v[i + 1], (env->n - i) * sizeof(char *));
            env->n--;
            return true;
        }
    }
    return false;
}

/* The GPU the plan is for: the one the doctor measured, else the first. */
static const struct facts_gpu *main_gpu(const struct plan_request *req)
{
    const struct facts *f = req->facts;
    int i = req->verdict ? req->verdict->memory.gpu : -1;
    if (i >= 0 && (size_t)i < f->n_gpus)
        return &f->gpus[i];
    return f->n_gpus ? &f->gpus[0] : NULL;
}

int choose_recipe(const struct plan_request *req, struct plan *p, const struct recipe **out,
                  struct hb_error *err)
{
    const struct recipe_set *set = req->recipes;
    const struct recipe *r = NULL;
    const char *tuned = !req->recipe && req->tuned ? req->tuned->recipe : NULL;
    if (tuned && (r = recipes_find(set, tuned))) {
        str_list_addf(&p->reasons, "bench tune measured recipe %s fastest on this host", r->name);
    } else if (req->recipe) {
        r = recipes_find(set, req->recipe);
        if (!r) {
            struct strbuf names = STRBUF_INIT;
            recipes_names(set, &names);
            hb_error_set(err, EXIT_USAGE, "no recipe '%s' (there are: %s)", req->recipe, names.buf);
            strbuf_release(&names);
            return -1;
        }
        struct strbuf why = STRBUF_INIT;
        bool ok = recipe_suits(r, req->facts, &why);
        str_list_addf(&p->reasons, "--recipe %s", r->name);
        if (!ok)
            str_list_addf(&p->notes, "%s; using it as asked", why.buf);
        strbuf_release(&why);
    } else {
        struct recipe_choice choice;
        r = recipes_select_for(set, req->facts, req->workload == WORKLOAD_PREFILL, &choice);
        for (size_t i = 0; i < choice.reasons.n; i++)
            str_list_add(&p->reasons, choice.reasons.v[i]);
        recipe_choice_release(&choice);
        if (!r)
            return hb_error_set(err, EXIT_RUNTIME,
                                "no engine recipe suits this host (see 'halobox doctor'); "
                                "name one with --recipe");
    }
    *out = r;
    return 0;
}

/* The devices the recipe needs, where the facts show them. */
static void plan_devices(const struct plan_request *req, const struct recipe *r, struct plan *p)
{
    const struct facts *f = req->facts;
    for (size_t i = 0; i < r->devices.n; i++) {
        const char *dev = r->devices.v[i];
        if (!strcmp(dev, "/dev/dri")) {
            size_t nodes = 0;
            for (size_t g = 0; g < f->n_gpus; g++) {
                if (!f->gpus[g].render_node)
                    continue;
                if (!str_list_has(&p->device_nodes, f->gpus[g].render_node))
                    str_list_add(&p->device_nodes, f->gpus[g].render_node);
                nodes++;
            }
            if (nodes)
                str_list_add(&p->devices, dev);
            else
                str_list_addf(&p->notes, "no GPU render node in the facts: %s not passed", dev);
        } else if (!strcmp(dev, "/dev/kfd")) {
            if (f->rocm.kfd_present == TRI_YES) {
                str_list_add(&p->devices, dev);
                str_list_add(&p->device_nodes, dev);
            } else {
                str_list_addf(&p->notes, "%s %s: not passed", dev,
                              f->rocm.kfd_present == TRI_NO ? "does not exist"
                                                            : "is not known to exist");
            }
        } else {
            /* A device the recipe names that the facts know nothing
             * about: passed as asked. */
            str_list_add(&p->devices, dev);
            str_list_add(&p->device_nodes, dev);
        }
    }
}

/* NVIDIA's driver: the engine images hold only Mesa, so /dev/dri alone
 * gives the GPU no Vulkan driver in the container. The CDI device brings
 * NVIDIA's device nodes and its user-space driver (nvidia-ctk's spec). */
static void plan_nvidia_cdi(const struct plan_request *req, const struct recipe *r, struct plan *p)
{
    const struct facts_gpu *g = main_gpu(req);
    if (!g || !facts_gpu_needs_nvidia_cdi(g) || !strcmp(r->backend, "cpu"))
        return;
    const struct facts *f = req->facts;
    const char *dev = facts_cdi_device_for(&f->containers, NVIDIA_CDI_KIND);
    if (dev) {
        str_list_add(&p->devices, dev);
        return;
    }
    if (!f->containers.cdi_devices_known) {
        str_list_add(&p->notes,
                     "the NVIDIA GPU (driver nvidia) needs the CDI device " NVIDIA_CDI_ALL
                     ", and these facts do not say whether it exists: not passed, "
                     "so the container may not see the GPU");
        return;
    }
    char *fix = fix_nvidia_cdi(distro_family_of(&f->os));
    str_list_addf(&p->notes,
                  "the NVIDIA GPU (driver nvidia) needs the CDI device " NVIDIA_CDI_ALL
                  ", which this host does not have: the GPU will not be visible in the "
                  "container, and the engine falls back to the CPU or fails; fix: %s",
                  fix);
    free(fix);
}

static void plan_env(const struct plan_request *req, const struct recipe *r, struct plan *p)
{
    for (size_t i = 0; i < r->env.n; i++)
        env_set(&p->env, r->env.v[i].name, strlen(r->env.v[i].name), r->env.v[i].value);
    /* HIP on an APU allocates from GTT only with unified memory; on a
     * discrete GPU it would let allocations spill into system RAM. */
    if (!strcmp(r->backend, "rocm")) {
        const struct facts_gpu *g = main_gpu(req);
        tri integrated = g ? g->integrated : TRI_UNKNOWN;
        bool has = false;
        for (size_t i = 0; i < p->env.n; i++)
            has = has || str_starts_with(p->env.v[i], UNIFIED_MEMORY "=");
        if (integrated == TRI_YES && !has)
            env_set(&p->env, UNIFIED_MEMORY, strlen(UNIFIED_MEMORY), "1");
        else if (integrated == TRI_NO && has && env_remove(&p->env, UNIFIED_MEMORY))
            str_list_addf(&p->notes, "discrete GPU: %s not set", UNIFIED_MEMORY);
    }
    for (size_t i = 0; i < ARRAY_SIZE(passed_env); i++) {
        const char *v = facts_env(req->facts, passed_env[i]);
        if (v) {
            env_set(&p->env, passed_env[i], strlen(passed_env[i]), v);
            str_list_addf(&p->notes, "%s=%s passed on from this environment", passed_env[i], v);
        }
    }
    for (size_t i = 0; i < req->n_env; i++) {
        const char *eq = strchr(req->env[i], '=');
        if (eq)
            env_set(&p->env, req->env[i], (size_t)(eq - req->env[i]), eq + 1);
    }
}

/* The fit: the context the engine gets, or the reason it cannot start. */
static int plan_fit(const struct plan_request *req, struct plan *p, struct hb_error *err)
{
    const struct fit_model *m = req->fit;
    const struct verdict *v = req->verdict;
    const struct facts *f = req->facts;
    p->kv = req->kv;
    if (!m) {
        p->ctx = req->ctx;
        str_list_add(&p->notes, "the model's shape is unknown: its memory fit is not checked");
        return 0;
    }
    bool gpu = strcmp(p->backend, "cpu") != 0;
    if (gpu && v && v->memory.usable_bytes.known) {
        p->budget = v->memory.usable_bytes.v;
        p->budget_from = v->memory.limited_by ? v->memory.limited_by : "gpu";
    } else if (f->memory.total_bytes.known && f->memory.total_bytes.v > RAM_HEADROOM) {
        p->budget = f->memory.total_bytes.v - RAM_HEADROOM;
        p->budget_from = "ram";
    } else if (p->rpc_free) {
        p->budget_from = "rpc";
    } else {
        p->ctx = req->ctx ? req->ctx : m->context_length;
        str_list_add(&p->notes,
                     "the memory this host can give the model is unknown: its fit is not checked");
        return 0;
    }
    /* The workers' free memory: llama.cpp splits the weights and the KV
     * cache across every device by its free memory. */
    p->budget += p->rpc_free;
    p->fit_checked = true;
    uint64_t trained = m->context_length;
    if (req->ctx) {
        p->ctx = req->ctx;
    } else {
        uint64_t largest = fit_largest_ctx(m, p->kv, p->budget);
        /* The search steps by 256 tokens; a trained context that is not a
         * multiple of 256 may still fit whole. */
        struct fit_result whole;
        if (trained) {
            fit_compute(m, trained, p->kv, &whole);
            if (whole.total <= p->budget)
                largest = trained;
        }
        p->ctx = largest ? largest : trained && trained < 4096 ? trained : 4096;
        if (largest && trained && largest < trained)
            str_list_addf(&p->notes,
                          "context %llu of the %llu tokens the model was trained for: the "
                          "largest that fits",
                          (unsigned long long)largest, (unsigned long long)trained);
    }
    fit_compute(m, p->ctx, p->kv, &p->fit);
    p->fits = p->fit.total <= p->budget;
    if (p->fits)
        return 0;

    struct strbuf msg = STRBUF_INIT;
    strbuf_addf(&msg, "'%s' does not fit: ", p->model);
    uint64_t best_kv_ctx = fit_largest_ctx(m, KV_Q4_0, p->budget);
    bool weights_only = best_kv_ctx == 0;
    if (weights_only) {
        strbuf_addstr(&msg, "its weights and the smallest KV cache need ");
        struct fit_result bare;
        fit_compute(m, 256, KV_Q4_0, &bare);
        add_size(&msg, bare.total);
    } else {
        strbuf_addf(&msg, "%llu tokens of context with a %s KV cache need ",
                    (unsigned long long)p->ctx, kv_type_name(p->kv));
        add_size(&msg, p->fit.total);
    }
    strbuf_addstr(&msg, " and ");
    if (!strcmp(p->budget_from, "ram"))
        strbuf_addstr(&msg, "this host can give it ");
    else
        strbuf_addstr(&msg, "the GPU can use ");
    add_size(&msg, p->budget);
    if (p->rpc_free) {
        strbuf_addstr(&msg, " with the ");
        add_size(&msg, p->rpc_free);
        strbuf_addstr(&msg, " free on the RPC workers");
    }
    strbuf_addf(&msg,
                " (%s%s): ", !strcmp(p->budget_from, "ram") ? "RAM less 4 GiB" : "limited by ",
                !strcmp(p->budget_from, "ram") ? "" : p->budget_from);
    if (weights_only) {
        strbuf_addstr(&msg, "use a smaller quantisation of the model");
    } else {
        uint64_t here = fit_largest_ctx(m, p->kv, p->budget);
        bool first = true;
        if (here) {
            strbuf_addf(&msg, "use --ctx %llu", (unsigned long long)here);
            first = false;
        }
        for (int t = p->kv + 1; t <= KV_Q4_0; t++) {
            uint64_t c = fit_largest_ctx(m, (enum kv_type)t, p->budget);
            if (c > here) {
                strbuf_addf(&msg, "%s--kv-type %s (up to %llu tokens)", first ? "use " : ", ",
                            kv_type_name((enum kv_type)t), (unsigned long long)c);
                first = false;
                break;
            }
        }
        strbuf_addf(&msg, "%sa smaller quantisation", first ? "use " : ", or ");
    }
    if (req->force) {
        str_list_addf(&p->notes, "%s; starting anyway (--force)", msg.buf);
        strbuf_release(&msg);
        return 0;
    }
    strbuf_addstr(&msg, " (--force starts it anyway)");
    hb_error_set(err, EXIT_FINDING_ERROR, "%s", msg.buf);
    strbuf_release(&msg);
    return -1;
}

static void add_common_engine_flags(const struct plan_request *req, struct plan *p, bool bench)
{
    unsigned build = plan_engine_build(p->engine_version);
    bool new_flags = build == 0 || build >= BUILD_LOAD_MODE;
    /* RPC workers are devices too: -ngl puts the layers on them. */
    bool gpu = strcmp(p->backend, "cpu") != 0 || p->rpc;
    struct str_list *e = &p->engine;
    if (!bench && p->ctx) {
        str_list_add(e, "-c");
        str_list_addf(e, "%llu", (unsigned long long)p->ctx);
    }
    if (gpu) {
        str_list_add(e, "-ngl");
        str_list_add(e, "999");
    }
    const struct plan_tuned *tuned = bench ? NULL : req->tuned;
    if (tuned) {
        str_list_add(e, "-ub");
        str_list_addf(e, "%u", tuned->ubatch);
    }
    str_list_add(e, "-fa");
    str_list_add(e, bench && !new_flags ? "1" : tuned && !tuned->flash_attn ? "off" : "on");
    if (req->threads) {
        str_list_add(e, "-t");
        str_list_addf(e, "%u", req->threads);
    }
    /* HIP on gfx1151 loads slowly and can return wrong results from
     * mmapped weights (ENGINE.md, #26543): read them in. */
    if (!strcmp(p->backend, "rocm")) {
        if (bench) {
            str_list_add(e, new_flags ? "-lm" : "-mmp");
            str_list_add(e, new_flags ? "none" : "0");
        } else if (new_flags) {
            str_list_add(e, "--load-mode");
            str_list_add(e, "none");
        } else {
            str_list_add(e, "--no-mmap");
        }
    }
    if (p->kv != KV_F16) {
        str_list_add(e, bench ? "-ctk" : "--cache-type-k");
        str_list_add(e, kv_type_name(p->kv));
        str_list_add(e, bench ? "-ctv" : "--cache-type-v");
        str_list_add(e, kv_type_name(p->kv));
    }
}

static void plan_engine(const struct plan_request *req, struct plan *p)
{
    struct str_list *e = &p->engine;
    struct strbuf model = STRBUF_INIT;
    strbuf_addf(&model, "%s/%s", PLAN_STORE_MOUNT, req->model_file);
    switch (req->intent) {
    case PLAN_SERVE:
        str_list_add(e, "llama-server");
        str_list_add(e, "-m");
        str_list_add(e, model.buf);
        str_list_add(e, "--alias");
        str_list_add(e, p->model);
        /* Inside the container's own network namespace: the port is
         * published on the host only at p->host. */
        str_list_add(e, "--host");
        str_list_add(e, "0.0.0.0");
        str_list_add(e, "--port");
        str_list_addf(e, "%u", p->port);
        add_common_engine_flags(req, p, false);
        break;
    case PLAN_RUN:
        str_list_add(e, req->prompt ? "llama-completion" : "llama-cli");
        str_list_add(e, "-m");
        str_list_add(e, model.buf);
        if (req->prompt) {
            str_list_add(e, "-p");
            str_list_add(e, req->prompt);
            str_list_add(e, "-no-cnv");
            str_list_add(e, "--no-display-prompt");
        }
        add_common_engine_flags(req, p, false);
        break;
    case PLAN_BENCH:
        str_list_add(e, "llama-bench");
        str_list_add(e, "-m");
        str_list_add(e, model.buf);
        add_common_engine_flags(req, p, true);
        str_list_add(e, "-o");
        str_list_add(e, "json");
        break;
    case PLAN_RPC_WORKER: /* plan_rpc.c */
        break;
    }
    if (p->rpc) {
        str_list_add(e, "--rpc");
        str_list_add(e, p->rpc);
    }
    for (size_t i = 0; i < req->n_engine_args; i++)
        str_list_add(e, req->engine_args[i]);
    strbuf_release(&model);
}

int plan_name(const struct plan_request *req, struct plan *p, struct hb_error *err)
{
    if (req->name) {
        if (!container_name_ok(req->name))
            return hb_error_set(err, EXIT_USAGE,
                                "'%s' is not a container name (letters, digits, '_', '.', '-', "
                                "starting with a letter or digit)",
                                req->name);
        p->name = xstrdup(req->name);
        return 0;
    }
    struct strbuf n = STRBUF_INIT;
    if (req->intent == PLAN_SERVE)
        strbuf_addf(&n, "halobox-%s-%u", req->model, req->port);
    else if (req->intent == PLAN_RPC_WORKER)
        strbuf_addf(&n, "halobox-rpc-%u", req->port);
    else
        strbuf_addf(&n, "halobox-%s-%s", plan_intent_name(req->intent), req->model);
    p->name = strbuf_detach(&n);
    return 0;
}

void plan_isolate(const struct plan_request *req, const struct recipe *r, struct plan *p)
{
    const struct facts *f = req->facts;
    plan_devices(req, r, p);
    plan_nvidia_cdi(req, r, p);
    /* Rootless podman maps the user's groups away; keep-groups keeps the
     * render and video groups that open /dev/dri and /dev/kfd. */
    if (f->containers.rootless == TRI_YES && p->devices.n) {
        str_list_add(&p->groups, "keep-groups");
        /* Only crun honours it (doctor: rootless-runc). */
        if (str_eq(f->containers.oci_runtime, "runc")) {
            char *fix = fix_rootless_runc(distro_family_of(&f->os));
            str_list_addf(&p->notes,
                          "podman runs this container with runc, which ignores --group-add "
                          "keep-groups: the engine will get Permission denied on the GPU; fix: %s",
                          fix);
            free(fix);
        }
    }
    str_list_add(&p->cap_drop, "all");
    str_list_add(&p->security, "no-new-privileges");
    if (str_eq(f->containers.selinux, "enforcing"))
        str_list_add(&p->security, "label=disable");
    plan_env(req, r, p);
}

int plan_build(const struct plan_request *req, struct plan *p, struct hb_error *err)
{
    if (req->intent == PLAN_RPC_WORKER)
        return plan_rpc_worker(req, p, err);
    memset(p, 0, sizeof(*p));
    p->intent = req->intent;
    p->model = xstrdup(req->model);
    p->store_root = xstrdup(req->store_root);
    /* podman's -v splits on ':'; the Quadlet Volume= key does too. */
    if (strchr(req->store_root, ':') || strchr(req->store_root, ','))
        return hb_error_set(err, EXIT_RUNTIME,
                            "the model store '%s' has a ':' or ',' in its path, which podman "
                            "cannot mount: move it (HALOBOX_STORE)",
                            req->store_root);
    if (plan_name(req, p, err) < 0)
        return -1;

    const struct recipe *r = NULL;
    if (choose_recipe(req, p, &r, err) < 0)
        return -1;
    p->recipe = xstrdup(r->name);
    p->backend = xstrdup(r->backend);
    p->engine_version = xstrdup(r->engine_version);
    p->image = recipe_image_tag(r);

    if (req->n_rpc_workers && plan_rpc_workers(req, p, err) < 0)
        return -1;
    if (plan_fit(req, p, err) < 0)
        return -1;

    p->rm = req->intent != PLAN_SERVE;
    p->detach = req->intent == PLAN_SERVE;
    p->interactive = req->intent == PLAN_RUN && !req->prompt && req->interactive;
    plan_isolate(req, r, p);

    if (req->intent == PLAN_SERVE) {
        p->host = xstrdup(req->host && *req->host ? req->host : PLAN_DEFAULT_HOST);
        p->port = req->port;
        if (strcmp(p->host, PLAN_DEFAULT_HOST) && strcmp(p->host, "::1") &&
            strcmp(p->host, "localhost"))
            str_list_addf(&p->notes,
                          "the API has no authentication and is published on %s: anyone who "
                          "can reach that address can use it",
                          p->host);
    }

    str_list_addf(&p->labels, "%s=%s", PLAN_LABEL_MODEL, p->model);
    str_list_addf(&p->labels, "halobox.recipe=%s", p->recipe);
    str_list_addf(&p->labels, "halobox.backend=%s", p->backend);
    str_list_addf(&p->labels, "halobox.intent=%s", plan_intent_name(req->intent));
    if (p->ctx)
        str_list_addf(&p->labels, "halobox.ctx=%llu", (unsigned long long)p->ctx);
    if (req->intent == PLAN_SERVE) {
        str_list_addf(&p->labels, "halobox.host=%s", p->host);
        str_list_addf(&p->labels, "halobox.port=%u", p->port);
    }
    if (p->rpc)
        str_list_addf(&p->labels, "halobox.rpc=%s", p->rpc);
    plan_engine(req, p);
    if (req->tuned && req->intent != PLAN_BENCH)
        str_list_addf(&p->notes, "tuned: %s", req->tuned->from);
    return 0;
}

int plan_preflight(const struct verdict *v, bool podman_found, bool force,
                   struct str_list *warnings, struct hb_error *err)
{
    const struct finding *stop = NULL;
    size_t n_errors = 0;
    for (size_t i = 0; i < v->n_findings; i++) {
        const struct finding *fd = &v->findings[i];
        if (fd->severity == SEV_ERROR && !(podman_found && !strcmp(fd->id, "podman-missing"))) {
            if (force) {
                str_list_addf(warnings, "error [%s] %s (starting anyway: --force)", fd->id,
                              fd->message);
                continue;
            }
            if (!stop)
                stop = fd;
            n_errors++;
        } else if (fd->severity == SEV_WARN) {
            str_list_addf(warnings, "warning [%s] %s", fd->id, fd->message);
        }
    }
    if (!stop)
        return 0;
    struct strbuf more = STRBUF_INIT;
    if (n_errors > 1)
        strbuf_addf(&more, " (and %zu more: see 'halobox doctor')", n_errors - 1);
    hb_error_set(err, EXIT_FINDING_ERROR, "%s [%s]%s%s%s; --force starts it anyway", stop->message,
                 stop->id, stop->fix ? ": fix with: " : "", stop->fix ? stop->fix : "", more.buf);
    strbuf_release(&more);
    return -1;
}
