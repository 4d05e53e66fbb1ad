/* llama.cpp's RPC protocol as halobox speaks it: the reply parsers fed
 * with bytes captured from the real ggml-rpc-server (ggml 0.27, engine
 * b11669, in localhost/halobox/cpu:b11669), hostile and truncated replies,
 * the worker list syntax, and the plans: an RPC worker's container and the
 * checks of a main node's workers (down, another version, their memory in
 * the fit). */
#include "util/common.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "doctor.h"
#include "facts.h"
#include "plan.h"
#include "podman.h"
#include "recipes.h"
#include "rpc/rpc_client.h"
#include "rpc/rpc_session.h"
#include "store/fit.h"
#include "facts_helpers.h"
#include "plan_helpers.h"
#include "test.h"

/* Captured with a socket client from ggml-rpc-server in
 * localhost/halobox/cpu:b11669 on the development machine (24103 MiB RAM,
 * one CPU device): the reply to HELLO (24 zero capability bytes), to
 * DEVICE_COUNT and to GET_DEVICE_MEMORY of device 0. */
static const uint8_t captured[] = {
    /* HELLO: size 28, 8.0.0, pad, 24 capability bytes */
    0x1c, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0,
    /* DEVICE_COUNT: size 4, 1 */
    4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    /* GET_DEVICE_MEMORY: size 16, free 0x5e27ec000, total 0x5e27ec000 */
    16, 0, 0, 0, 0, 0, 0, 0, 0x00, 0xc0, 0x7e, 0xe2, 0x05, 0, 0, 0, 0x00, 0xc0, 0x7e, 0xe2, 0x05, 0,
    0, 0};

static void test_captured_session(void)
{
    struct rpc_mem_stream m = {.in = captured, .len = sizeof(captured)};
    struct rpc_io io;
    rpc_io_memory(&io, &m);
    struct hb_error err = HB_ERROR_INIT;
    struct rpc_worker_info info;
    memset(&info, 0, sizeof(info));
    CHECK(rpc_session_hello(&io, false, &info.version, &err) == 0);
    CHECK(info.version.major == 8 && info.version.minor == 0 && info.version.patch == 0);
    /* The request: command 14, size 24, 24 zero bytes. */
    CHECK(m.n_sent == 9 + 24);
    CHECK(m.sent[0] == RPC_CMD_HELLO && m.sent[1] == 24 && m.sent[2] == 0);
    CHECK(rpc_session_devices(&io, &info, &err) == 0);
    CHECK(info.devices_known && info.n_devices == 1);
    CHECK_U64(info.free_bytes[0], 25274793984ULL); /* the server prints 24103 MiB */
    CHECK_U64(info.total_sum, 25274793984ULL);
    /* DEVICE_COUNT with an empty payload, then GET_DEVICE_MEMORY of 0. */
    CHECK(m.sent[33] == RPC_CMD_DEVICE_COUNT && m.sent[34] == 0);
    CHECK(m.sent[42] == RPC_CMD_GET_DEVICE_MEMORY && m.sent[43] == 4 && m.n_sent == 42 + 13);
    hb_error_release(&err);
}

static void test_bad_replies(void)
{
    struct hb_error err = HB_ERROR_INIT;
    struct rpc_version v;
    uint8_t old[] = {3, 6, 0};
    CHECK(rpc_parse_hello(old, 3, &v, &err) == 0 && v.major == 3 && v.minor == 6);
    CHECK(rpc_parse_hello(old, 2, &v, &err) < 0);
    uint8_t zero[28] = {0};
    CHECK(rpc_parse_hello(zero, 28, &v, &err) < 0);
    uint32_t count;
    uint8_t many[4] = {17, 0, 0, 0}, none[4] = {0};
    CHECK(rpc_parse_device_count(many, 4, &count, &err) < 0);
    CHECK(rpc_parse_device_count(none, 4, &count, &err) < 0);
    uint64_t f, t;
    uint8_t more_free[16] = {2, 0, 0, 0, 0, 0, 0, 0, 1};
    CHECK(rpc_parse_device_memory(more_free, 16, &f, &t, &err) < 0);
    CHECK(err.msg && strstr(err.msg, "free of"));

    /* A reply whose size is not the expected one: refused before reading. */
    uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    struct rpc_mem_stream m = {.in = huge, .len = sizeof(huge)};
    struct rpc_io io;
    rpc_io_memory(&io, &m);
    CHECK(rpc_session_hello(&io, false, &v, &err) < 0);
    CHECK(err.msg && strstr(err.msg, "where 28 were expected"));
    /* Closed before any reply: 1, the caller tries the old HELLO. */
    struct rpc_mem_stream closed = {.in = huge, .len = 0};
    rpc_io_memory(&io, &closed);
    CHECK(rpc_session_hello(&io, false, &v, &err) == 1);
    /* The old HELLO sends no payload. */
    uint8_t old_reply[] = {3, 0, 0, 0, 0, 0, 0, 0, 3, 6, 0};
    struct rpc_mem_stream o = {.in = old_reply, .len = sizeof(old_reply)};
    rpc_io_memory(&io, &o);
    CHECK(rpc_session_hello(&io, true, &v, &err) == 0 && v.major == 3 && o.n_sent == 9);
    /* Cut in the middle of the memory reply. */
    struct rpc_mem_stream cut = {.in = captured, .len = sizeof(captured) - 3};
    rpc_io_memory(&io, &cut);
    struct rpc_worker_info info;
    memset(&info, 0, sizeof(info));
    CHECK(rpc_session_hello(&io, false, &info.version, &err) == 0);
    CHECK(rpc_session_devices(&io, &info, &err) < 0);
    CHECK(err.msg && strstr(err.msg, "memory of device 0"));
    hb_error_release(&err);
}

static void test_versions(void)
{
    struct rpc_version c = {8, 0, 0}, same = {8, 0, 3}, newer_minor = {8, 1, 0},
                       older_major = {7, 0, 1}, old_minor = {3, 0, 0}, c36 = {3, 6, 0};
    CHECK(rpc_version_compatible(&c, &same));
    CHECK(!rpc_version_compatible(&c, &newer_minor));
    CHECK(!rpc_version_compatible(&c, &older_major));
    CHECK(rpc_version_compatible(&c36, &old_minor));
    struct rpc_version v;
    CHECK(rpc_protocol_of_engine("b11669", &v) && v.major == 8);
    CHECK(!rpc_protocol_of_engine("b9000", &v));
    CHECK(!rpc_protocol_of_engine("main", &v));
}

static void test_endpoints(void)
{
    struct hb_error err = HB_ERROR_INIT;
    struct rpc_endpoint *v;
    size_t n;
    CHECK(rpc_endpoints_parse("10.77.0.2:50052,[fd00::3]:50053,worker-2.lan:1", &v, &n, &err) == 0);
    CHECK(n == 3);
    if (n == 3) {
        CHECK_STR(v[0].host, "10.77.0.2");
        CHECK(v[0].port == 50052);
        CHECK_STR(v[1].host, "fd00::3");
        CHECK_STR(v[2].host, "worker-2.lan");
        rpc_endpoints_release(v, n);
    }
    const char *bad[] = {"10.0.0.1",   "10.0.0.1:",   "10.0.0.1:0",  "10.0.0.1:65536", "::1:50052",
                         "[::1]50052", "a b:1",       "10.0.0.1:1,", ",x:1",           "h:1,h:1",
                         "h:-1",       "[nothost]:1", "h:1x",        "10.0.0.1:+5"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        if (rpc_endpoints_parse(bad[i], &v, &n, &err) == 0) {
            test_fail(__FILE__, __LINE__, "'%s' accepted", bad[i]);
            rpc_endpoints_release(v, n);
        } else {
            CHECK(err.exit_code == EXIT_USAGE);
        }
    }
    /* 17 workers: more than llama.cpp takes. */
    struct strbuf many = STRBUF_INIT;
    for (int i = 0; i < 17; i++)
        strbuf_addf(&many, "%sh:%d", i ? "," : "", i + 1);
    CHECK(rpc_endpoints_parse(many.buf, &v, &n, &err) < 0);
    CHECK(err.msg && strstr(err.msg, "at most 16"));
    strbuf_release(&many);
    CHECK(rpc_address_is_wildcard("0.0.0.0") && rpc_address_is_wildcard("::") &&
          rpc_address_is_wildcard("0:0::0"));
    CHECK(!rpc_address_is_wildcard("10.0.0.1") && !rpc_address_is_wildcard("::1"));
    hb_error_release(&err);
}

/* A timeout, not a hang: a listening socket that never answers. */
static void test_probe_timeout(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(fd, 4) == 0);
    socklen_t len = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    struct rpc_worker w;
    memset(&w, 0, sizeof(w));
    struct hb_error err = HB_ERROR_INIT;
    struct strbuf ep = STRBUF_INIT;
    strbuf_addf(&ep, "127.0.0.1:%u", ntohs(a.sin_port));
    CHECK(rpc_endpoint_parse(ep.buf, &w.ep, &err) == 0);
    rpc_probe(&w, 300);
    CHECK(w.reachable && !w.version_known);
    CHECK(w.error && strstr(w.error, "no answer within 300 ms"));
    CHECK(w.elapsed_ms >= 250 && w.elapsed_ms < 2000);
    close(fd);
    /* Now nobody listens there: refused at once. */
    rpc_probe(&w, 300);
    CHECK(!w.reachable && w.error && strstr(w.error, "cannot connect"));
    rpc_endpoint_release(&w.ep);
    free(w.error);
    strbuf_release(&ep);
    hb_error_release(&err);
}

static struct recipe_set recipes;

/* A host with a 4 GiB discrete AMD GPU: a 4.9 GB model does not fit it
 * alone. */
static const char *small_gpu_json =
    "{\"memory\":{\"total_bytes\":34359738368,\"page_size\":4096},"
    "\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x744c\","
    "\"driver\":\"amdgpu\",\"vram_bytes\":4294967296,\"board_info\":true,"
    "\"render_node\":\"/dev/dri/renderD128\"}],"
    "\"containers\":{\"podman\":{\"path\":\"/usr/bin/podman\",\"found\":true},"
    "\"selinux\":\"disabled\",\"rootless\":false}}";

static void built_init(struct built *b)
{
    memset(b, 0, sizeof(*b));
    facts_from(&b->facts, small_gpu_json);
    doctor_evaluate(&b->facts, &b->verdict);
}

static bool engine_has(const struct plan *p, const char *flag, const char *value)
{
    for (size_t i = 0; i < p->engine.n; i++)
        if (!strcmp(p->engine.v[i], flag))
            return !value || (i + 1 < p->engine.n && !strcmp(p->engine.v[i + 1], value));
    return false;
}

static void test_worker_plan(void)
{
    struct built b;
    built_init(&b);
    struct plan_request req = {.intent = PLAN_RPC_WORKER,
                               .facts = &b.facts,
                               .verdict = &b.verdict,
                               .threads = 8,
                               .recipes = &recipes,
                               .recipe = "cpu",
                               .host = "10.77.0.2",
                               .port = 50052};
    b.rc = plan_build(&req, &b.plan, &b.err);
    CHECK(b.rc == 0);
    CHECK_STR(b.plan.name, "halobox-rpc-50052");
    CHECK_STR(b.plan.engine.v[0], "ggml-rpc-server");
    CHECK(engine_has(&b.plan, "-p", "50052") && engine_has(&b.plan, "-t", "8"));
    CHECK(!engine_has(&b.plan, "-c", NULL));
    struct str_list argv = {0};
    podman_run_argv(&b.plan, "podman", &argv);
    bool published = false, store = false, intent = false;
    for (size_t i = 0; i < argv.n; i++) {
        published = published || !strcmp(argv.v[i], "--publish=10.77.0.2:50052:50052");
        store = store || strstr(argv.v[i], "--volume=") != NULL;
        intent = intent || !strcmp(argv.v[i], "--label=halobox.intent=rpc-worker");
    }
    CHECK(published && !store && intent);
    str_list_release(&argv);
    /* A note that the protocol has no authentication. */
    CHECK(b.plan.notes.n >= 1 && strstr(b.plan.notes.v[0], "no authentication"));
    plan_release(&b.plan);

    /* The wildcard: refused, then allowed with a warning. */
    req.host = "0.0.0.0";
    hb_error_release(&b.err);
    CHECK(plan_build(&req, &b.plan, &b.err) < 0);
    CHECK(b.err.exit_code == EXIT_USAGE && strstr(b.err.msg, "--allow-any-address"));
    plan_release(&b.plan);
    req.allow_any_address = true;
    req.host = "::";
    req.rpc_cache_dir = "/root/.cache/halobox/rpc";
    CHECK(plan_build(&req, &b.plan, &b.err) == 0);
    CHECK(b.plan.notes.n >= 1 && strstr(b.plan.notes.v[0], "every interface"));
    CHECK(engine_has(&b.plan, "-c", NULL));
    podman_run_argv(&b.plan, "podman", &argv);
    bool pub6 = false, cache = false;
    for (size_t i = 0; i < argv.n; i++) {
        pub6 = pub6 || !strcmp(argv.v[i], "--publish=[::]:50052:50052");
        cache = cache || !strcmp(argv.v[i], "--volume=/root/.cache/halobox/rpc:/cache");
    }
    CHECK(pub6 && cache);
    str_list_release(&argv);
    built_release(&b);
}

static struct rpc_worker make_worker(const char *ep, unsigned major, unsigned minor,
                                     uint64_t free_bytes)
{
    struct rpc_worker w;
    memset(&w, 0, sizeof(w));
    struct hb_error err = HB_ERROR_INIT;
    if (rpc_endpoint_parse(ep, &w.ep, &err) < 0)
        test_fail(__FILE__, __LINE__, "bad endpoint %s", ep);
    hb_error_release(&err);
    if (major) {
        w.reachable = w.version_known = true;
        w.info.version = (struct rpc_version){major, minor, 0};
        w.info.devices_known = true;
        w.info.n_devices = 1;
        w.info.free_bytes[0] = w.info.free_sum = free_bytes;
        w.info.total_bytes[0] = w.info.total_sum = free_bytes;
    } else {
        w.error = xstrdup("cannot connect: Connection refused");
    }
    return w;
}

static void workers_release(struct rpc_worker *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rpc_endpoint_release(&w[i].ep);
        free(w[i].error);
    }
}

static void test_main_node_checks(void)
{
    struct fit_model m;
    struct hb_error err = HB_ERROR_INIT;
    CHECK(llama8b_fit(&m));

    struct built b;
    built_init(&b);
    struct plan_request req = {.intent = PLAN_SERVE,
                               .facts = &b.facts,
                               .verdict = &b.verdict,
                               .threads = 8,
                               .recipes = &recipes,
                               .recipe = "vulkan-radv",
                               .model = "llama-3.1-8b",
                               .store_root = "/srv/store",
                               .model_file = "models/llama-3.1-8b/m.gguf",
                               .fit = &m,
                               .ctx = 4096,
                               .port = 8080};
    /* Alone it does not fit the 4 GiB GPU. */
    CHECK(plan_build(&req, &b.plan, &b.err) < 0 && b.err.exit_code == EXIT_FINDING_ERROR);
    plan_release(&b.plan);
    hb_error_release(&b.err);

    /* Two workers with 4 GiB free each: it fits, and the engine gets
     * --rpc with both. */
    struct rpc_worker w[2] = {make_worker("10.77.0.2:50052", 8, 0, 4 * GIB),
                              make_worker("10.77.0.3:50052", 8, 0, 4 * GIB)};
    req.rpc_workers = w;
    req.n_rpc_workers = 2;
    CHECK(plan_build(&req, &b.plan, &b.err) == 0);
    CHECK(engine_has(&b.plan, "--rpc", "10.77.0.2:50052,10.77.0.3:50052"));
    CHECK_U64(b.plan.rpc_free, 8 * GIB);
    CHECK(b.plan.fits);
    plan_release(&b.plan);

    /* A worker of another engine version: refused before loading. */
    workers_release(&w[1], 1);
    w[1] = make_worker("10.77.0.3:50052", 7, 0, 4 * GIB);
    CHECK(plan_build(&req, &b.plan, &b.err) < 0);
    CHECK(b.err.exit_code == EXIT_FINDING_ERROR);
    CHECK(b.err.msg && strstr(b.err.msg, "10.77.0.3:50052 speaks protocol 7.0.0") &&
          strstr(b.err.msg, "8.0.0"));
    plan_release(&b.plan);
    /* --dry-run: a note instead; only the good worker's memory counts. */
    req.rpc_lenient = true;
    CHECK(plan_build(&req, &b.plan, &b.err) == 0);
    CHECK_U64(b.plan.rpc_free, 4 * GIB);
    bool noted = false;
    for (size_t i = 0; i < b.plan.notes.n; i++)
        noted = noted || strstr(b.plan.notes.v[i], "speaks protocol 7.0.0");
    CHECK(noted);
    plan_release(&b.plan);
    req.rpc_lenient = false;

    /* A worker that does not answer. */
    workers_release(&w[1], 1);
    w[1] = make_worker("10.77.0.3:50052", 0, 0, 0);
    hb_error_release(&b.err);
    CHECK(plan_build(&req, &b.plan, &b.err) < 0);
    CHECK(b.err.exit_code == EXIT_RUNTIME);
    CHECK(b.err.msg && strstr(b.err.msg, "10.77.0.3:50052 does not answer") &&
          strstr(b.err.msg, "halobox rpc-worker --listen 10.77.0.3:50052"));
    plan_release(&b.plan);
    /* A worker on the loopback: inside the container that is the
     * container itself. */
    workers_release(&w[1], 1);
    w[1] = make_worker("127.0.0.1:50052", 8, 0, 4 * GIB);
    hb_error_release(&b.err);
    CHECK(plan_build(&req, &b.plan, &b.err) < 0);
    CHECK(b.err.exit_code == EXIT_USAGE && strstr(b.err.msg, "loopback"));
    plan_release(&b.plan);
    workers_release(w, 2);
    built_release(&b);
    hb_error_release(&err);
}

int main(void)
{
    struct hb_error err = HB_ERROR_INIT;
    if (recipes_load_dir(&recipes, "recipes", &err) < 0) {
        fprintf(stderr, "recipes/ does not load: %s\n", err.msg);
        return 1;
    }
    RUN(test_captured_session);
    RUN(test_bad_replies);
    RUN(test_versions);
    RUN(test_endpoints);
    RUN(test_probe_timeout);
    RUN(test_worker_plan);
    RUN(test_main_node_checks);
    recipes_release(&recipes);
    hb_error_release(&err);
    return test_summary();
}
