/* The plan for llama.cpp's RPC backend: an RPC worker's container, and
 * the checks a main node makes on its workers before it loads anything. */
#include "util/common.h"

#include "plan_internal.h"
#include "rpc/rpc_client.h"
#include "util/strbuf.h"

static void add_size(struct strbuf *sb, uint64_t bytes)
{
    if (bytes >= GIB)
        strbuf_addf(sb, "%.2f GiB", (double)bytes / (double)GIB);
    else
        strbuf_addf(sb, "%.1f MiB", (double)bytes / (double)MIB);
}

int plan_rpc_worker(const struct plan_request *req, struct plan *p, struct hb_error *err)
{
    memset(p, 0, sizeof(*p));
    p->intent = PLAN_RPC_WORKER;
    if (!req->host || !req->port)
        return hb_error_set(err, EXIT_USAGE, "an RPC worker needs --listen ADDRESS:PORT");
    /* The protocol has no authentication: anyone who reaches the port can
     * run code-like graphs and read or write the worker's memory. */
    if (rpc_address_is_wildcard(req->host)) {
        if (!req->allow_any_address)
            return hb_error_set(err, EXIT_USAGE,
                                "--listen %s would accept RPC clients on every interface, and "
                                "the RPC protocol has no authentication: give the address of "
                                "the network the main node reaches it on (or "
                                "--allow-any-address on a network you trust)",
                                req->host);
        str_list_addf(&p->notes,
                      "listening on every interface (%s, --allow-any-address): the RPC "
                      "protocol has no authentication; anyone who can reach port %u can use "
                      "this machine's devices and memory",
                      req->host, req->port);
    } else if (strcmp(req->host, PLAN_DEFAULT_HOST) && strcmp(req->host, "::1")) {
        str_list_addf(&p->notes,
                      "the RPC protocol has no authentication: anyone who can reach %s port "
                      "%u can use this machine's devices; keep it on a private network",
                      req->host, req->port);
    }
    if (plan_name(req, p, err) < 0)
        return -1;
    const struct recipe *r = NULL;
    if (choose_recipe(req, p, &r, err) < 0)
        return -1;
    p->model = xstrdup("rpc-worker");
    p->recipe = xstrdup(r->name);
    p->backend = xstrdup(r->backend);
    p->engine_version = xstrdup(r->engine_version);
    p->image = recipe_image_tag(r);
    p->detach = true;
    p->host = xstrdup(req->host);
    p->port = req->port;

    plan_isolate(req, r, p);
    if (req->rpc_cache_dir) {
        p->cache_dir = xstrdup(req->rpc_cache_dir);
        str_list_add(&p->env, "LLAMA_CACHE=" PLAN_CACHE_MOUNT);
    }

    str_list_addf(&p->labels, "%s=%s", PLAN_LABEL_MODEL, p->model);
    str_list_addf(&p->labels, "halobox.recipe=%s", p->recipe);
    str_list_addf(&p->labels, "halobox.backend=%s", p->backend);
    str_list_addf(&p->labels, "halobox.intent=%s", plan_intent_name(p->intent));
    str_list_addf(&p->labels, "halobox.host=%s", p->host);
    str_list_addf(&p->labels, "halobox.port=%u", p->port);

    /* Every image installs the server as ggml-rpc-server, whatever the
     * pin calls it (engine/build, containers/debian.Containerfile). It
     * listens on every address of the container's own network namespace;
     * podman publishes it on the host only at --listen. */
    struct str_list *e = &p->engine;
    str_list_add(e, "ggml-rpc-server");
    str_list_add(e, "-H");
    str_list_add(e, "0.0.0.0");
    str_list_add(e, "-p");
    str_list_addf(e, "%u", p->port);
    if (req->threads) {
        str_list_add(e, "-t");
        str_list_addf(e, "%u", req->threads);
    }
    if (req->rpc_cache_dir)
        str_list_add(e, "-c");
    for (size_t i = 0; i < req->n_engine_args; i++)
        str_list_add(e, req->engine_args[i]);
    return 0;
}

static void version_str(struct strbuf *sb, const struct rpc_version *v)
{
    strbuf_addf(sb, "%u.%u.%u", v->major, v->minor, v->patch);
}

/* One worker's problem: the error, or with rpc_lenient a note. */
static int problem(const struct plan_request *req, struct plan *p, int code, struct strbuf *msg,
                   struct hb_error *err)
{
    if (req->rpc_lenient) {
        str_list_add(&p->notes, msg->buf);
        strbuf_release(msg);
        return 0;
    }
    hb_error_set(err, code, "%s", msg->buf);
    strbuf_release(msg);
    return -1;
}

int plan_rpc_workers(const struct plan_request *req, struct plan *p, struct hb_error *err)
{
    struct rpc_version want;
    bool known = rpc_protocol_of_engine(p->engine_version, &want);
    const struct rpc_worker *first = NULL;
    struct strbuf list = STRBUF_INIT;
    for (size_t i = 0; i < req->n_rpc_workers; i++) {
        const struct rpc_worker *w = &req->rpc_workers[i];
        strbuf_addf(&list, "%s%s", i ? "," : "", w->ep.text);
        struct strbuf msg = STRBUF_INIT;
        if (!w->version_known) {
            strbuf_addf(&msg,
                        "RPC worker %s does not answer: %s (start it there with 'halobox "
                        "rpc-worker --listen %s'; 'halobox cluster status' checks them all)",
                        w->ep.text, w->error ? w->error : "no reply", w->ep.text);
            if (problem(req, p, EXIT_RUNTIME, &msg, err) < 0)
                goto fail;
            continue;
        }
        const struct rpc_version *have = &w->info.version;
        bool ok = known ? rpc_version_compatible(&want, have)
                        : !first || (first->info.version.major == have->major &&
                                     first->info.version.minor == have->minor &&
                                     first->info.version.patch == have->patch);
        if (!ok) {
            strbuf_addf(&msg, "RPC worker %s speaks protocol ", w->ep.text);
            version_str(&msg, have);
            if (known) {
                strbuf_addf(&msg, " and this node's engine (%s, recipe %s) ", p->engine_version,
                            p->recipe);
                version_str(&msg, &want);
            } else {
                strbuf_addf(&msg, " and RPC worker %s ", first->ep.text);
                version_str(&msg, &first->info.version);
            }
            strbuf_addf(&msg,
                        ": llama.cpp refuses a different engine version; start every worker "
                        "from the same image (%s)",
                        p->image);
            if (problem(req, p, EXIT_FINDING_ERROR, &msg, err) < 0)
                goto fail;
            continue;
        }
        if (!first)
            first = w;
        if (w->info.devices_known)
            p->rpc_free += w->info.free_sum;
        if (w->info.devices_known && w->error) {
            strbuf_addf(&msg, "RPC worker %s: %s", w->ep.text, w->error);
            if (problem(req, p, EXIT_RUNTIME, &msg, err) < 0)
                goto fail;
        }
        strbuf_release(&msg);
    }
    /* 127.0.0.1 inside the engine's container is the container itself:
     * a worker on this host is reached on an address of the host. */
    for (size_t i = 0; i < req->n_rpc_workers; i++) {
        const char *h = req->rpc_workers[i].ep.host;
        if (!strncmp(h, "127.", 4) || !strcmp(h, "::1") || !strcmp(h, "localhost")) {
            struct strbuf msg = STRBUF_INIT;
            strbuf_addf(&msg,
                        "RPC worker %s is on a loopback address, which inside the engine's "
                        "container is the container itself: give the worker's address on the "
                        "network (rpc-worker --listen ADDRESS:PORT)",
                        req->rpc_workers[i].ep.text);
            if (problem(req, p, EXIT_USAGE, &msg, err) < 0)
                goto fail;
        }
    }
    if (!known && first) {
        struct strbuf note = STRBUF_INIT;
        strbuf_addf(&note,
                    "halobox does not know the RPC protocol of engine %s: the workers were "
                    "checked against each other (protocol ",
                    p->engine_version);
        version_str(&note, &first->info.version);
        strbuf_addstr(&note, "), and the engine checks its own when it connects");
        str_list_add(&p->notes, note.buf);
        strbuf_release(&note);
    }
    if (p->rpc_free) {
        struct strbuf note = STRBUF_INIT;
        strbuf_addf(&note, "%zu RPC worker%s with ", req->n_rpc_workers,
                    req->n_rpc_workers == 1 ? "" : "s");
        add_size(&note, p->rpc_free);
        strbuf_addstr(&note, " free, counted in the memory fit");
        str_list_add(&p->notes, note.buf);
        strbuf_release(&note);
    }
    p->rpc = strbuf_detach(&list);
    return 0;
fail:
    strbuf_release(&list);
    return -1;
}
