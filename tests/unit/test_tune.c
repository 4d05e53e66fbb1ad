/* bench tune: the winner's choice (scores worked out by hand, the noise
 * margin, ties, a quantised V cache without flash attention, missing
 * samples, a default that was not measured) and the tuned-settings store
 * (round trip, host keys, malformed files). */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <unistd.h>

#include "bench/tune.h"
#include "bench/tuned.h"
#include "test.h"
#include "util/fs.h"
#include "util/strbuf.h"

struct recs {
    struct bench_record v[32];
    size_t n;
};

/* One result: kind 'p' (pp P at depth D) or 't' (tg N), with n samples
 * (0: none, and no stddev). */
static void add(struct recs *rs, const char *recipe, char kind, unsigned tokens, unsigned depth,
                unsigned ub, enum bench_fa fa, const char *ctk, const char *ctv, double avg,
                double sd, size_t samples)
{
    struct bench_record *rec = &rs->v[rs->n++];
    memset(rec, 0, sizeof(*rec));
    rec->image.recipe = xstrdup(recipe);
    struct bench_result *r = &rec->r;
    r->kind = kind == 'p' ? BENCH_PP : BENCH_TG;
    r->n_prompt = OPT_U64(kind == 'p' ? tokens : 0);
    r->n_gen = OPT_U64(kind == 't' ? tokens : 0);
    r->n_depth = OPT_U64(depth);
    r->n_ubatch = OPT_U64(ub);
    r->flash_attn = fa;
    r->type_k = xstrdup(ctk);
    r->type_v = xstrdup(ctv);
    r->avg_ts = (opt_f64){true, avg};
    if (samples >= 2)
        r->stddev_ts = (opt_f64){true, sd};
    r->n_samples = samples;
    if (samples) {
        r->samples_ts = xcalloc(samples, sizeof(double));
        for (size_t i = 0; i < samples; i++)
            r->samples_ts[i] = avg;
    }
}

static void recs_release(struct recs *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        bench_record_release(&rs->v[i]);
    rs->n = 0;
}

static const struct tune_tests prefill = {.p = 512, .n = 0, .depth = 8192, .reps = 3};
static const struct tune_tests chat = {.p = 256, .n = 128, .depth = 0, .reps = 3};
static struct tune_config def = {.recipe = "vulkan-radv", .ubatch = 512, .flash_attn = true};

/* pp at depth for long-prefill */
static void pp(struct recs *rs, const char *recipe, unsigned ub, enum bench_fa fa, const char *kv,
               double avg, double sd, size_t samples)
{
    add(rs, recipe, 'p', 512, 8192, ub, fa, kv, kv, avg, sd, samples);
}

static void test_workload_tests(void)
{
    struct tune_tests t;
    tune_default_tests(WORKLOAD_CHAT, &t);
    CHECK(t.p == 256 && t.n == 128 && t.depth == 0 && t.reps == 3);
    tune_default_tests(WORKLOAD_PREFILL, &t);
    CHECK(t.p == 512 && t.n == 0 && t.depth == 8192);
    CHECK_STR(tune_workload_name(WORKLOAD_PREFILL), "long-prefill");
    CHECK_STR(tune_workload_name(WORKLOAD_CHAT), "chat");
}

static void test_chat_score(void)
{
    struct recs rs = {0};
    /* pp256 400 +- 8, tg128 40 +- 0.4: a turn is 256/400 + 128/40 = 3.84 s,
     * the score 128 / 3.84 = 33.333 t/s; d(turn) = sqrt((256/400^2*8)^2 +
     * (128/40^2*0.4)^2) = sqrt(0.0128^2 + 0.032^2) = 0.034465 s, the
     * score's sd 33.333 * 0.034465 / 3.84 = 0.29917. */
    add(&rs, "vulkan-radv", 'p', 256, 0, 512, BENCH_FA_ON, "f16", "f16", 400, 8, 3);
    add(&rs, "vulkan-radv", 't', 128, 0, 512, BENCH_FA_ON, "f16", "f16", 40, 0.4, 3);
    /* Another depth, another prompt length: not this workload's tests. */
    add(&rs, "vulkan-radv", 'p', 256, 4096, 512, BENCH_FA_ON, "f16", "f16", 999, 1, 3);
    add(&rs, "vulkan-radv", 'p', 512, 0, 512, BENCH_FA_ON, "f16", "f16", 999, 1, 3);
    struct tune_decision d;
    tune_decide(WORKLOAD_CHAT, &chat, &def, rs.v, rs.n, &d);
    CHECK_U64(d.n, 1);
    CHECK(d.def == 0 && d.best == 0 && d.winner == -1);
    CHECK_NEAR(d.v[0].score, 128.0 / 3.84);
    double dt = sqrt(pow(256.0 / (400.0 * 400.0) * 8, 2) + pow(128.0 / (40.0 * 40.0) * 0.4, 2));
    CHECK_NEAR(d.v[0].sd, 128.0 / 3.84 * dt / 3.84);
    CHECK(strstr(d.reason, "the default was the fastest") != NULL);
    /* A chat candidate without its tg test is not scored. */
    tune_decision_release(&d);
    add(&rs, "vulkan-radv", 'p', 256, 0, 256, BENCH_FA_ON, "f16", "f16", 9000, 1, 3);
    tune_decide(WORKLOAD_CHAT, &chat, &def, rs.v, rs.n, &d);
    CHECK_U64(d.n, 2);
    CHECK(!d.v[1].scored && d.best == 0);
    tune_decision_release(&d);
    recs_release(&rs);
}

static void test_noise_margin(void)
{
    struct recs rs = {0};
    struct tune_decision d;
    /* 110 +- 1 against 100 +- 1: 10 t/s > 2 x sqrt(2) = 2.83: a winner. */
    pp(&rs, "vulkan-radv", 512, BENCH_FA_ON, "f16", 100, 1, 3);
    pp(&rs, "vulkan-radv", 256, BENCH_FA_ON, "f16", 110, 1, 3);
    tune_decide(WORKLOAD_PREFILL, &prefill, &def, rs.v, rs.n, &d);
    CHECK(d.winner == 1 && d.best == 1 && d.def == 0);
    CHECK_NEAR(d.margin, 0.1);
    CHECK_NEAR(d.threshold, 2 * sqrt(2.0));
    CHECK(strstr(d.reason, "+10.0 %") != NULL);
    tune_decision_release(&d);
    recs_release(&rs);

    /* 103 +- 2 against 100 +- 1: 3 t/s < 2 x sqrt(5) = 4.47: the default. */
    pp(&rs, "vulkan-radv", 512, BENCH_FA_ON, "f16", 100, 1, 3);
    pp(&rs, "vulkan-radv", 256, BENCH_FA_ON, "f16", 103, 2, 3);
    tune_decide(WORKLOAD_PREFILL, &prefill, &def, rs.v, rs.n, &d);
    CHECK(d.winner == -1 && d.best == 1);
    CHECK_NEAR(d.margin, 0.03);
    CHECK(strstr(d.reason, "within the noise") != NULL);
    tune_decision_release(&d);
    recs_release(&rs);

    /* Beyond the noise but under 1 %: 1005 +- 0.1 against 1000 +- 0.1. */
    pp(&rs, "vulkan-radv", 512, BENCH_FA_ON, "f16", 1000, 0.1, 3);
    pp(&rs, "vulkan-radv", 1024, BENCH_FA_ON, "f16", 1005, 0.1, 3);
    tune_decide(WORKLOAD_PREFILL, &prefill, &def, rs.v, rs.n, &d);
    CHECK(d.winner == -1 && d.best == 1);
    CHECK(strstr(d.reason, "under the 1 % minimum") != NULL);
    tune_decision_release(&d);
    recs_release(&rs);
}

static void test_ties(void)
{
    struct recs rs = {0};
    struct tune_decision d;
    /* Measured after the others, the default still comes first and wins a
     * tie; of two equal others, the first met is the best. */
    pp(&rs, "vulkan-radv", 256, BENCH_FA_ON, "f16", 100, 1, 3);
    pp(&rs, "vulkan-radv", 1024, BENCH_FA_ON, "f16", 100, 1, 3);
    pp(&rs, "vulkan-radv", 512, BENCH_FA_ON, "f16", 100, 1, 3);
    tune_decide(WORKLOAD_PREFILL, &prefill, &def, rs.v, rs.n, &d);
    CHECK_U64(d.n, 3);
    CHECK(d.v[0].c.ubatch == 512 && d.best == 0 && d.winner == -1);
    tune_decision_release(&d);
    recs_release(&rs);

    pp(&rs, "vulkan-radv", 512, BENCH_FA_ON, "f16", 100, 1, 3);
    pp(&rs, "vulkan-radv", 256, BENCH_FA_ON, "f16", 150, 1, 3);
    pp(&rs, "vulkan-radv", 1024, BENCH_FA_ON, "f16", 150, 1, 3);
    tune_decide(WORKLOAD_PREFILL, &prefill, &def, rs.v, rs.n, &d);
    CHECK(d.winner == 1 && d.v[1].c.ubatch == 256);
    tune_decision_release(&d);
    recs_release(&rs);
}

static void test_v_quant_needs_fa(void)
{
    struct recs rs = {0};
    struct tune_decision d;
    pp(&rs, "vulkan-radv", 512, BENCH_FA_ON, "f16", 100, 1, 3);
    /* The fastest, but it cannot run in llama-server: never chosen. */
    pp(&rs, "vulkan-radv", 512, BENCH_FA_OFF, "q8_0", 300, 1, 3);
    /* K and V differ: the plan cannot ask for it; left out (not merged
     * into the default, whose V type it shares). */
    add(&rs, "vulkan-radv", 'p', 512, 8192, 512, BENCH_FA_ON, "q8_0", "f16", 250, 1, 3);
    pp(&rs, "vulkan-radv", 512, BENCH_FA_ON, "q8_0", 120, 1, 3);
    tune_decide(WORKLOAD_PREFILL, &prefill, &def, rs.v, rs.n, &d);
    CHECK_U64(d.n, 3);
    CHECK_STR(d.v[1].excluded, "a quantised V cache needs flash attention");
    CHECK(d.v[0].pp == 100);
    CHECK(d.winner == 2 && d.v[2].c.kv == KV_Q8_0 && d.v[2].c.flash_attn);
    struct strbuf sb = STRBUF_INIT;
    tune_config_describe(&d.v[2].c, &sb);
    CHECK_STR(sb.buf, "-ub 512 -fa on --cache-type-k q8_0 --cache-type-v q8_0");
    strbuf_release(&sb);
    tune_decision_release(&d);
    recs_release(&rs);
}

static void test_missing_samples(void)
{
    struct recs rs = {0};
    struct tune_decision d;
    /* One repetition: no stddev, so no claim of a winner. */
    pp(&rs, "vulkan-radv", 512, BENCH_FA_ON, "f16", 100, 0, 1);
    pp(&rs, "vulkan-radv", 256, BENCH_FA_ON, "f16", 200, 0, 1);
    tune_decide(WORKLOAD_PREFILL, &prefill, &def, rs.v, rs.n, &d);
    CHECK(d.winner == -1 && d.best == 1 && d.threshold < 0);
    CHECK(strstr(d.reason, "noise is unknown") != NULL);
    tune_decision_release(&d);
    recs_release(&rs);

    /* The default not measured (its leg failed): kept, nothing claimed. */
    pp(&rs, "vulkan-radv", 256, BENCH_FA_ON, "f16", 200, 1, 3);
    tune_decide(WORKLOAD_PREFILL, &prefill, &def, rs.v, rs.n, &d);
    CHECK(d.def == -1 && d.winner == -1 && d.best == 1);
    CHECK(strstr(d.reason, "was not measured") != NULL);
    tune_decision_release(&d);
    recs_release(&rs);

    /* Flash attention "auto" or an unknown ubatch says nothing usable. */
    pp(&rs, "vulkan-radv", 512, BENCH_FA_AUTO, "f16", 200, 1, 3);
    add(&rs, "vulkan-radv", 'p', 512, 8192, 512, BENCH_FA_ON, "f16", "f16", 100, 1, 3);
    rs.v[1].r.n_ubatch.known = false;
    tune_decide(WORKLOAD_PREFILL, &prefill, &def, rs.v, rs.n, &d);
    CHECK(d.n == 1 && d.best == -1 && d.winner == -1);
    CHECK(strstr(d.reason, "no configuration was measured") != NULL);
    cJSON *j = tune_decision_to_json(&d);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "decision"), "default_won")));
    cJSON_Delete(j);
    tune_decision_release(&d);
    recs_release(&rs);
}

static void test_recipes_compete(void)
{
    struct recs rs = {0};
    struct tune_decision d;
    pp(&rs, "vulkan-radv", 512, BENCH_FA_ON, "f16", 100, 1, 3);
    pp(&rs, "rocm", 512, BENCH_FA_ON, "f16", 140, 2, 3);
    tune_decide(WORKLOAD_PREFILL, &prefill, &def, rs.v, rs.n, &d);
    CHECK(d.winner == 1);
    CHECK_STR(d.v[1].c.recipe, "rocm");
    cJSON *j = tune_decision_to_json(&d);
    const cJSON *dec = cJSON_GetObjectItem(j, "decision");
    CHECK_STR(
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(dec, "settings"), "recipe")),
        "rocm");
    CHECK_NEAR(cJSON_GetObjectItem(dec, "margin")->valuedouble, 0.4);
    cJSON_Delete(j);
    tune_decision_release(&d);
    recs_release(&rs);
}

static void host(struct bench_host *h, const char *mesa)
{
    memset(h, 0, sizeof(*h));
    h->kernel = xstrdup("6.18.9-200.fc43.x86_64");
    h->gpu_family = xstrdup("strix-halo");
    h->gpu_device_id = OPT_U64(0x1586);
    h->vulkan_driver = xstrdup("radv");
    h->mesa_version = xstrdup(mesa);
}

static void test_store(void)
{
    char dir[] = "/tmp/halobox-test-tune-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct bench_host h1, h2;
    host(&h1, "25.1.4");
    host(&h2, "25.2.0");
    char k1[17], k1b[17], k2[17];
    tuned_host_key(&h1, k1);
    tuned_host_key(&h1, k1b);
    tuned_host_key(&h2, k2);
    CHECK_STR(k1, k1b);
    CHECK(strcmp(k1, k2) != 0);
    CHECK_U64(strlen(k1), 16);

    const char *sha = "496ebdede3ef08a38218d213703a63ded3bc3c86fbb5628c23e9a5a7c993a4b6";
    struct tuned_entry e = {
        .model_name = "tiny",
        .model_sha256 = (char *)sha,
        .host_key = k1,
        .workload = "chat",
        .run_id = "20261122T015250.270Z-e60e",
        .engine_version = "b11669",
        .settings = {.recipe = "cpu", .ubatch = 256, .flash_attn = true, .kv = KV_Q8_0},
        .margin_known = true,
        .margin = 0.0712,
        .reason = "why",
    };
    struct hb_error err = HB_ERROR_INIT;
    CHECK(tuned_save(dir, &e, NULL, &h1, &err) == 0);
    struct tuned_entry got;
    CHECK(tuned_find(dir, sha, k1, "chat", &got, &err) == 1);
    CHECK_STR(got.settings.recipe, "cpu");
    CHECK(got.settings.ubatch == 256 && got.settings.flash_attn && got.settings.kv == KV_Q8_0);
    CHECK(!got.default_won && got.margin_known);
    CHECK_NEAR(got.margin, 0.0712);
    CHECK_STR(got.engine_version, "b11669");
    tuned_entry_release(&got);
    /* Another host or workload: nothing. */
    CHECK(tuned_find(dir, sha, k2, "chat", &got, &err) == 0);
    CHECK(tuned_find(dir, sha, k1, "long-prefill", &got, &err) == 0);
    CHECK(err.msg == NULL);

    /* Malformed files: an error naming the file and the field. */
    static const struct {
        const char *text, *says;
    } bad[] = {
        {"not json", "not a JSON object"},
        {"{\"schema\": \"other/1\"}", "schema"},
        {"{\"schema\": \"halobox.tuned/1\", \"model\": {\"sha256\": \"x\"}, \"host_key\": \"k\"}",
         "required"},
        {"{\"schema\": \"halobox.tuned/1\", \"model\": {\"sha256\": \"x\"}, \"host_key\": \"k\", "
         "\"workload\": \"chat\", \"default_won\": 1}",
         "default_won"},
        {"{\"schema\": \"halobox.tuned/1\", \"model\": {\"sha256\": \"x\"}, \"host_key\": \"k\", "
         "\"workload\": \"chat\", \"default_won\": false, \"settings\": {\"recipe\": \"cpu\", "
         "\"ubatch\": 0, \"flash_attn\": \"on\", \"kv_type\": \"f16\"}}",
         "settings.ubatch"},
        {"{\"schema\": \"halobox.tuned/1\", \"model\": {\"sha256\": \"x\"}, \"host_key\": \"k\", "
         "\"workload\": \"chat\", \"default_won\": false, \"settings\": {\"recipe\": \"cpu\", "
         "\"ubatch\": 512, \"flash_attn\": \"off\", \"kv_type\": \"q4_0\"}}",
         "needs flash attention"},
        {"{\"schema\": \"halobox.tuned/1\", \"model\": {\"sha256\": \"x\"}, \"host_key\": \"k\", "
         "\"workload\": \"chat\", \"default_won\": false, \"settings\": {\"recipe\": \"cpu\", "
         "\"ubatch\": 512, \"flash_attn\": \"on\", \"kv_type\": \"q5_1\"}}",
         "settings.kv_type"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct hb_error e2 = HB_ERROR_INIT;
        CHECK(tuned_parse(bad[i].text, strlen(bad[i].text), "F.json", &got, &e2) < 0);
        CHECK(e2.msg && strstr(e2.msg, "F.json") && strstr(e2.msg, bad[i].says));
        CHECK(e2.exit_code == EXIT_INPUT);
        hb_error_release(&e2);
    }
    /* A file whose content is for another model than its name says. */
    struct strbuf path = STRBUF_INIT;
    tuned_path(dir, sha, k2, "chat", &path);
    struct strbuf src = STRBUF_INIT;
    tuned_path(dir, sha, k1, "chat", &src);
    CHECK(rename(src.buf, path.buf) == 0);
    CHECK(tuned_find(dir, sha, k2, "chat", &got, &err) < 0);
    CHECK(err.msg && strstr(err.msg, "not the one its name says"));
    hb_error_release(&err);
    unlink(path.buf);
    rmdir(dir);
    strbuf_release(&path);
    strbuf_release(&src);
    bench_host_release(&h1);
    bench_host_release(&h2);
}

int main(void)
{
    RUN(test_workload_tests);
    RUN(test_chat_score);
    RUN(test_noise_margin);
    RUN(test_ties);
    RUN(test_v_quant_needs_fa);
    RUN(test_missing_samples);
    RUN(test_recipes_compete);
    RUN(test_store);
    return test_summary();
}
