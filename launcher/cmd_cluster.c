/* halobox cluster status --rpc HOST:PORT,...: each RPC worker's
 * reachability, protocol version, devices and memory, as a table or JSON,
 * compared with the engine this node would run. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <getopt.h>

#include "cmd.h"
#include "cmd_rpc_engine.h"
#include "rpc/rpc_client.h"
#include "util/parse.h"

#define CLUSTER_SCHEMA "halobox.cluster/1"

enum worker_state { W_OK, W_DOWN, W_ERROR, W_MISMATCH };

static const char *state_name(enum worker_state s)
{
    switch (s) {
    case W_OK:
        return "ok";
    case W_DOWN:
        return "down";
    case W_ERROR:
        return "error";
    default:
        return "mismatch";
    }
}

static enum worker_state state_of(const struct rpc_worker *w, const struct rpc_engine *e)
{
    if (!w->reachable)
        return W_DOWN;
    if (!w->version_known)
        return W_ERROR;
    if (e->protocol_known && !rpc_version_compatible(&e->protocol, &w->info.version))
        return W_MISMATCH;
    return w->error ? W_ERROR : W_OK;
}

static void add_size(struct strbuf *sb, uint64_t bytes)
{
    if (bytes >= GIB)
        strbuf_addf(sb, "%.2f GiB", (double)bytes / (double)GIB);
    else
        strbuf_addf(sb, "%.1f MiB", (double)bytes / (double)MIB);
}

static void version_str(struct strbuf *sb, const struct rpc_version *v)
{
    strbuf_addf(sb, "%u.%u.%u", v->major, v->minor, v->patch);
}

static cJSON *worker_json(const struct rpc_worker *w, enum worker_state st)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "endpoint", w->ep.text);
    cJSON_AddStringToObject(o, "state", state_name(st));
    cJSON_AddBoolToObject(o, "reachable", w->reachable);
    if (w->version_known) {
        struct strbuf v = STRBUF_INIT;
        version_str(&v, &w->info.version);
        cJSON_AddStringToObject(o, "protocol", v.buf);
        strbuf_release(&v);
    } else {
        cJSON_AddNullToObject(o, "protocol");
    }
    if (w->info.devices_known) {
        cJSON *devs = cJSON_AddArrayToObject(o, "devices");
        for (uint32_t d = 0; d < w->info.n_devices; d++) {
            cJSON *dv = cJSON_CreateObject();
            cJSON_AddNumberToObject(dv, "index", d);
            cJSON_AddNumberToObject(dv, "free_bytes", (double)w->info.free_bytes[d]);
            cJSON_AddNumberToObject(dv, "total_bytes", (double)w->info.total_bytes[d]);
            cJSON_AddItemToArray(devs, dv);
        }
        cJSON_AddNumberToObject(o, "free_bytes", (double)w->info.free_sum);
        cJSON_AddNumberToObject(o, "total_bytes", (double)w->info.total_sum);
    } else {
        cJSON_AddNullToObject(o, "devices");
        cJSON_AddNullToObject(o, "free_bytes");
        cJSON_AddNullToObject(o, "total_bytes");
    }
    if (w->error)
        cJSON_AddStringToObject(o, "error", w->error);
    else
        cJSON_AddNullToObject(o, "error");
    cJSON_AddNumberToObject(o, "elapsed_ms", (double)w->elapsed_ms);
    return o;
}

static void table_row(struct strbuf *sb, const char *a, const char *b, const char *c, const char *d,
                      const char *e, const char *f, const char *g)
{
    strbuf_addf(sb, "%-22s %-9s %-9s %-8s %-11s %-11s %s\n", a, b, c, d, e, f, g);
}

static void render_table(struct strbuf *sb, const struct rpc_worker *v, size_t n,
                         const enum worker_state *st, const struct rpc_engine *e)
{
    table_row(sb, "WORKER", "STATE", "PROTOCOL", "DEVICES", "FREE", "TOTAL", "NOTE");
    for (size_t i = 0; i < n; i++) {
        const struct rpc_worker *w = &v[i];
        struct strbuf ver = STRBUF_INIT, devs = STRBUF_INIT, fr = STRBUF_INIT, tot = STRBUF_INIT,
                      note = STRBUF_INIT;
        if (w->version_known)
            version_str(&ver, &w->info.version);
        else
            strbuf_addch(&ver, '-');
        if (w->info.devices_known) {
            strbuf_addf(&devs, "%u", w->info.n_devices);
            add_size(&fr, w->info.free_sum);
            add_size(&tot, w->info.total_sum);
        } else {
            strbuf_addch(&devs, '-');
            strbuf_addch(&fr, '-');
            strbuf_addch(&tot, '-');
        }
        if (w->error)
            strbuf_addstr(&note, w->error);
        else if (st[i] == W_MISMATCH)
            strbuf_addstr(&note, "another engine version: llama.cpp refuses it");
        else
            strbuf_addf(&note, "answered in %ld ms", w->elapsed_ms);
        if (st[i] == W_MISMATCH && w->error)
            strbuf_addstr(&note, "; another engine version");
        table_row(sb, w->ep.text, state_name(st[i]), ver.buf, devs.buf, fr.buf, tot.buf, note.buf);
        strbuf_release(&ver);
        strbuf_release(&devs);
        strbuf_release(&fr);
        strbuf_release(&tot);
        strbuf_release(&note);
    }
    strbuf_addf(sb, "this node: recipe %s, engine %s, RPC protocol ", e->recipe, e->engine_version);
    if (e->protocol_known)
        version_str(sb, &e->protocol);
    else
        strbuf_addstr(sb, "unknown to halobox (workers not compared with it)");
    strbuf_addch(sb, '\n');
}

static int status(int argc, char **argv)
{
    enum { O_RPC = 1000, O_JSON, O_TIMEOUT, O_RECIPE, O_FACTS };
    static const struct option opts[] = {
        {"rpc", required_argument, NULL, O_RPC},
        {"json", no_argument, NULL, O_JSON},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"recipe", required_argument, NULL, O_RECIPE},
        {"facts", required_argument, NULL, O_FACTS},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *rpc = NULL, *recipe = NULL, *facts = NULL;
    bool json = false;
    int timeout_ms = RPC_PROBE_TIMEOUT_MS;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_RPC:
            rpc = optarg;
            break;
        case O_JSON:
            json = true;
            break;
        case O_TIMEOUT: {
            uint64_t t;
            if (!parse_u64(optarg, &t) || !t || t > 600)
                return usage_error("cluster", "--timeout takes seconds (1 to 600), not '%s'",
                                   optarg);
            timeout_ms = (int)t * 1000;
            break;
        }
        case O_RECIPE:
            recipe = optarg;
            break;
        case O_FACTS:
            facts = optarg;
            break;
        default:
            return getopt_rest(c, "cluster", command_find("cluster")->usage, argv);
        }
    }
    if (optind < argc)
        return usage_error("cluster", "unexpected argument '%s'", argv[optind]);
    if (!rpc)
        return usage_error("cluster", "name the workers with --rpc HOST:PORT,...");

    struct hb_error err = HB_ERROR_INIT;
    struct rpc_endpoint *eps;
    size_t n;
    if (rpc_endpoints_parse(rpc, &eps, &n, &err) < 0) {
        int rc = usage_error("cluster", "%s", err.msg);
        hb_error_release(&err);
        return rc;
    }
    struct rpc_engine e;
    if (rpc_engine_find(recipe, facts, &e, &err) < 0) {
        rpc_endpoints_release(eps, n);
        int rc = report_error(&err);
        hb_error_release(&err);
        return rc;
    }
    struct rpc_worker *v = rpc_probe_all(eps, n, timeout_ms);
    enum worker_state st[RPC_MAX_WORKERS];
    bool all_ok = true;
    for (size_t i = 0; i < n; i++) {
        st[i] = state_of(&v[i], &e);
        all_ok = all_ok && st[i] == W_OK;
    }
    int rc = EXIT_OK;
    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "schema", CLUSTER_SCHEMA);
        cJSON *node = cJSON_AddObjectToObject(root, "engine");
        cJSON_AddStringToObject(node, "recipe", e.recipe);
        cJSON_AddStringToObject(node, "version", e.engine_version);
        cJSON_AddStringToObject(node, "image", e.image);
        if (e.protocol_known) {
            struct strbuf pv = STRBUF_INIT;
            version_str(&pv, &e.protocol);
            cJSON_AddStringToObject(node, "protocol", pv.buf);
            strbuf_release(&pv);
        } else {
            cJSON_AddNullToObject(node, "protocol");
        }
        cJSON *arr = cJSON_AddArrayToObject(root, "workers");
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(arr, worker_json(&v[i], st[i]));
        cJSON_AddBoolToObject(root, "ok", all_ok);
        if (write_json_stdout(root, &err) < 0)
            rc = report_error(&err);
        cJSON_Delete(root);
    } else {
        struct strbuf sb = STRBUF_INIT;
        render_table(&sb, v, n, st, &e);
        if (write_stdout(&sb, &err) < 0)
            rc = report_error(&err);
        strbuf_release(&sb);
    }
    if (rc == EXIT_OK && !all_ok)
        rc = EXIT_FINDING_ERROR;
    rpc_workers_release(v, n);
    rpc_engine_release(&e);
    hb_error_release(&err);
    return rc;
}

int cmd_cluster(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("cluster", "name a verb: status");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(command_find("cluster")->usage, stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "status"))
        return status(argc - 1, argv + 1);
    return usage_error("cluster", "unknown verb '%s' (there is: status)", argv[1]);
}

const char cmd_cluster_usage[] =
    "usage: halobox cluster status --rpc HOST:PORT,... [--json] [--timeout S]\n"
    "                              [--recipe R] [--facts FILE]\n"
    "\n"
    "Ask each llama.cpp RPC worker (started with 'halobox rpc-worker') whether it\n"
    "answers, which RPC protocol it speaks, its devices and their free and total\n"
    "memory, and compare the protocol with the engine this node would run (the\n"
    "recipe that suits it, or --recipe): llama.cpp refuses a worker of another\n"
    "engine version. Every socket operation is bounded by --timeout.\n"
    "\n"
    "  --rpc LIST    the workers, HOST:PORT or [IPv6]:PORT, comma-separated (up to 16)\n"
    "  --json        print schema halobox.cluster/1\n"
    "  --timeout S   how long each worker gets to answer (default 5 s)\n"
    "  --recipe R    compare with this recipe's engine instead of this host's\n"
    "\n"
    "A worker serves one client at a time: one in use by a main node does not\n"
    "answer until that client disconnects (state error, 'no answer within').\n"
    "Exit status: 0 every worker ok, 1 one is down, broken or of another version,\n"
    "2 usage, 4 other failure.\n";
