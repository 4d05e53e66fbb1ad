/* Benchmarks: the llama-bench parsers on real output (this machine's engine,
 * the community's logs) and on constructed older layouts; the results store
 * (round trip, an interrupted run, failed recipes, finding runs); compare
 * tables and bandwidth shares against numbers worked out by hand; malformed
 * input. Fixtures: tests/fixtures/llama-bench/README.md. Runs from the
 * repository's top. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <unistd.h>

#include "bench/compare.h"
#include "bench/llama_bench_json.h"
#include "bench/results.h"
#include "doctor.h"
#include "facts.h"
#include "store/gguf.h"
#include "test.h"
#include "util/fs.h"
#include "util/strbuf.h"

#define FIX "tests/fixtures/llama-bench/"

static char tmpdir[64];

#define CHECK_ERR(err, text)                                                                       \
    do {                                                                                           \
        const char *m_ = (err)->msg;                                                               \
        if (!m_ || !strstr(m_, (text)))                                                            \
            test_fail(__FILE__, __LINE__, "error \"%s\" does not contain \"%s\"",                  \
                      m_ ? m_ : "(none)", (text));                                                 \
    } while (0)

static void slurp(const char *path, struct strbuf *out)
{
    if (read_small_file(path, 1 << 24, out) < 0)
        test_fail(__FILE__, __LINE__, "cannot read %s", path);
}

/* Parses a fixture with the format told apart by content. */
static int parse_file(const char *path, struct bench_results *out, enum llama_bench_format *fmt,
                      struct hb_error *err)
{
    struct strbuf text = STRBUF_INIT;
    slurp(path, &text);
    int r = llama_bench_parse(text.buf, text.len, path, out, fmt, err);
    strbuf_release(&text);
    return r;
}

static int parse_text(const char *text, struct bench_results *out, struct hb_error *err)
{
    return llama_bench_parse(text, strlen(text), "log", out, NULL, err);
}

static void check_parse_ok(int r, struct hb_error *err)
{
    if (r < 0)
        test_fail(__FILE__, __LINE__, "parse failed: %s", err->msg);
}

/* ---- JSON from this machine's engine ---------------------------------------- */

static void test_json_this_engine(void)
{
    struct bench_results res = {0};
    struct hb_error err = HB_ERROR_INIT;
    enum llama_bench_format fmt;
    check_parse_ok(parse_file(FIX "debian-b11669-vulkan-lavapipe.json", &res, &fmt, &err), &err);
    CHECK(fmt == LLAMA_BENCH_JSON);
    CHECK_U64(res.n, 4);
    if (res.n == 4) {
        const struct bench_result *pp = &res.v[0], *tg = &res.v[1], *ppd = &res.v[2];
        CHECK(pp->kind == BENCH_PP && tg->kind == BENCH_TG && ppd->kind == BENCH_PP);
        CHECK_U64(pp->n_prompt.v, 64);
        CHECK_U64(pp->n_gen.v, 0);
        CHECK(pp->n_depth.known && pp->n_depth.v == 0);
        CHECK_U64(ppd->n_depth.v, 256);
        CHECK_U64(tg->n_gen.v, 16);
        CHECK_U64(pp->n_batch.v, 2048);
        CHECK_U64(pp->n_ubatch.v, 512);
        CHECK_U64(pp->n_threads.v, 2);
        CHECK(pp->n_gpu_layers.known && pp->n_gpu_layers.v == -1);
        CHECK(pp->flash_attn == BENCH_FA_AUTO); /* -1 since #23714 */
        CHECK_STR(pp->type_k, "f16");
        CHECK_STR(pp->type_v, "f16");
        CHECK_STR(pp->load_mode, "auto");
        CHECK_STR(pp->devices, "auto");
        CHECK_STR(pp->backends, "Vulkan");
        CHECK_STR(pp->gpu_info, "llvmpipe (LLVM 22.1.8, 256 bits)");
        CHECK_STR(pp->cpu_info, "Intel(R) Xeon(R) Processor");
        CHECK_STR(pp->build_commit, "Debian");
        CHECK_U64(pp->build_number.v, 11669);
        CHECK_STR(pp->model_filename, "/models/tiny.gguf");
        CHECK_STR(pp->model_type, "llama ?B Q8_0");
        CHECK_U64(pp->model_size.v, 7808000);
        CHECK_U64(pp->model_n_params.v, 7342336);
        CHECK_U64(pp->avg_ns.v, 175858027);
        CHECK_U64(pp->stddev_ns.v, 4557737);
        CHECK_NEAR(pp->avg_ts.v, 364.0522);
        CHECK_NEAR(pp->stddev_ts.v, 9.435192);
        CHECK_U64(pp->n_samples, 2);
        if (pp->n_samples == 2) {
            CHECK_NEAR(pp->samples_ts[0], 370.724);
            CHECK_NEAR(pp->samples_ts[1], 357.381);
        }
        CHECK_STR(pp->test_time, "2026-11-22T00:22:24Z");
        CHECK_NEAR(res.v[3].avg_ts.v, 40.3628);
        struct strbuf name = STRBUF_INIT;
        bench_test_name(&res.v[3], &name);
        CHECK_STR(name.buf, "tg16 @ d256");
        strbuf_release(&name);
        CHECK(!pp->vulkan_driver && !pp->gfx); /* JSON has no device lines */
    }
    bench_results_release(&res);

    /* The same as JSON Lines (another run of it: other timings). */
    check_parse_ok(parse_file(FIX "debian-b11669-vulkan-lavapipe.jsonl", &res, &fmt, &err), &err);
    CHECK(fmt == LLAMA_BENCH_JSON);
    CHECK_U64(res.n, 4);
    if (res.n == 4) {
        CHECK(res.v[1].kind == BENCH_TG && res.v[3].n_depth.v == 256);
        CHECK_STR(res.v[2].load_mode, "auto");
        CHECK(res.v[0].avg_ts.known && res.v[0].avg_ts.v > 0);
    }
    bench_results_release(&res);

    /* stderr before the JSON, as `2>&1` gives it. */
    struct strbuf log = STRBUF_INIT, json = STRBUF_INIT;
    slurp(FIX "debian-b11669-vulkan-lavapipe.json.stderr", &log);
    slurp(FIX "debian-b11669-vulkan-lavapipe.json", &json);
    strbuf_add(&log, json.buf, json.len);
    check_parse_ok(llama_bench_parse(log.buf, log.len, "log", &res, &fmt, &err), &err);
    CHECK(fmt == LLAMA_BENCH_JSON);
    CHECK_U64(res.n, 4);
    bench_results_release(&res);
    strbuf_release(&log);
    strbuf_release(&json);
    hb_error_release(&err);
}

/* ---- older layouts (constructed from research/ENGINE.md) -------------------- */

static void test_json_older_layouts(void)
{
    struct bench_results res = {0};
    struct hb_error err = HB_ERROR_INIT;
    check_parse_ok(parse_file(FIX "constructed-2025-pre-depth.json", &res, NULL, &err), &err);
    CHECK_U64(res.n, 2);
    if (res.n == 2) {
        CHECK(res.v[0].flash_attn == BENCH_FA_ON);                /* true */
        CHECK_STR(res.v[0].load_mode, "none");                    /* use_mmap false */
        CHECK(res.v[0].n_depth.known && res.v[0].n_depth.v == 0); /* none before #13183 */
        CHECK(!res.v[0].devices);
        CHECK_U64(res.v[0].n_gpu_layers.v, 99);
        CHECK_NEAR(res.v[0].avg_ts.v, 1000.0);
        CHECK_NEAR(res.v[1].avg_ts.v, 40.0);
        CHECK_NEAR(res.v[1].stddev_ts.v, 0.707107);
        CHECK(res.v[1].kind == BENCH_TG);
    }
    bench_results_release(&res);

    check_parse_ok(parse_file(FIX "constructed-2026-02-direct-io.jsonl", &res, NULL, &err), &err);
    CHECK_U64(res.n, 2);
    if (res.n == 2) {
        CHECK(res.v[0].flash_attn == BENCH_FA_OFF); /* false */
        CHECK_STR(res.v[0].load_mode, "dio");       /* use_direct_io true */
        CHECK_STR(res.v[1].load_mode, "mmap");      /* use_direct_io false, use_mmap true */
        CHECK_U64(res.v[0].n_depth.v, 4096);
        CHECK_STR(res.v[0].devices, "auto");
    }
    bench_results_release(&res);

    /* flash_attn as an int and as missing; load_mode wins over use_mmap. */
    const char *t = "{\"n_prompt\":0,\"n_gen\":8,\"avg_ts\":5,\"flash_attn\":1,"
                    "\"load_mode\":\"mmap+mlock\",\"use_mmap\":false}\n"
                    "{\"n_prompt\":0,\"n_gen\":8,\"avg_ts\":5,\"flash_attn\":0}\n"
                    "{\"n_prompt\":8,\"n_gen\":8,\"avg_ts\":5,\"unknown_field\":[1,{}]}\n";
    check_parse_ok(parse_text(t, &res, &err), &err);
    CHECK_U64(res.n, 3);
    if (res.n == 3) {
        CHECK(res.v[0].flash_attn == BENCH_FA_ON);
        CHECK_STR(res.v[0].load_mode, "mmap+mlock");
        CHECK(res.v[1].flash_attn == BENCH_FA_OFF);
        CHECK(res.v[2].flash_attn == BENCH_FA_UNKNOWN);
        CHECK(!res.v[2].load_mode && !res.v[2].n_batch.known && !res.v[2].stddev_ts.known);
        CHECK(res.v[2].kind == BENCH_PG);
    }
    bench_results_release(&res);
    hb_error_release(&err);
}

/* ---- markdown: the community's logs and this engine's -------------------------- */

static void test_markdown_logs(void)
{
    struct bench_results res = {0};
    struct hb_error err = HB_ERROR_INIT;
    enum llama_bench_format fmt;
    check_parse_ok(parse_file(FIX "kyuz0-fw1-vulkan_radv.log", &res, &fmt, &err), &err);
    CHECK(fmt == LLAMA_BENCH_MARKDOWN);
    CHECK_U64(res.n, 2);
    if (res.n == 2) {
        const struct bench_result *pp = &res.v[0], *tg = &res.v[1];
        CHECK_STR(pp->model_type, "deepseek2 30B.A3B Q8_0");
        CHECK_U64(pp->model_size.v, 35111357645ULL); /* 32.70 GiB */
        CHECK_U64(pp->model_n_params.v, 29940000000ULL);
        CHECK_STR(pp->backends, "Vulkan");
        CHECK(pp->n_gpu_layers.known && pp->n_gpu_layers.v == 99);
        CHECK(pp->flash_attn == BENCH_FA_ON);
        CHECK_STR(pp->load_mode, "none"); /* mmap 0 */
        CHECK(pp->kind == BENCH_PP && pp->n_prompt.v == 512 && pp->n_depth.v == 0);
        CHECK_NEAR(pp->avg_ts.v, 1092.07);
        CHECK_NEAR(pp->stddev_ts.v, 1.21);
        CHECK(tg->kind == BENCH_TG && tg->n_gen.v == 128);
        CHECK_NEAR(tg->avg_ts.v, 41.17);
        CHECK_NEAR(tg->stddev_ts.v, 0.01);
        CHECK_STR(pp->build_commit, "0253fb21f");
        CHECK_U64(tg->build_number.v, 9187);
        CHECK_STR(pp->gpu_info, "AMD Radeon 8060S Graphics (RADV GFX1151)");
        CHECK_STR(pp->vulkan_driver, "radv");
        CHECK_STR(pp->gfx, "gfx1151");
        CHECK(!pp->n_batch.known && !pp->type_k && pp->n_samples == 0);
    }
    bench_results_release(&res);

    check_parse_ok(parse_file(FIX "kyuz0-fw1-vulkan_amdvlk.log", &res, NULL, &err), &err);
    CHECK_U64(res.n, 2);
    if (res.n == 2) {
        CHECK_STR(res.v[0].gpu_info, "AMD Radeon 8060S Graphics");
        CHECK_STR(res.v[0].vulkan_driver, "amdvlk"); /* "(AMD open-source driver)" */
        CHECK(!res.v[0].gfx);
        CHECK_NEAR(res.v[0].avg_ts.v, 543.44);
        CHECK_NEAR(res.v[1].avg_ts.v, 39.66);
    }
    bench_results_release(&res);

    check_parse_ok(parse_file(FIX "kyuz0-fw1-rocm_7.2.3.log", &res, NULL, &err), &err);
    CHECK_U64(res.n, 2);
    if (res.n == 2) {
        CHECK_STR(res.v[0].backends, "ROCm");
        CHECK_STR(res.v[0].gpu_info, "AMD Radeon 8060S Graphics");
        CHECK_STR(res.v[0].gfx, "gfx1151");
        CHECK(!res.v[0].vulkan_driver);
        CHECK_NEAR(res.v[0].avg_ts.v, 913.36);
        CHECK_NEAR(res.v[0].stddev_ts.v, 47.37);
        CHECK_NEAR(res.v[1].stddev_ts.v, 0.0);
    }
    bench_results_release(&res);

    /* This machine's engine: no fa or mmap column (defaults), depths. */
    check_parse_ok(parse_file(FIX "debian-b11669-vulkan-lavapipe.log", &res, &fmt, &err), &err);
    CHECK(fmt == LLAMA_BENCH_MARKDOWN);
    CHECK_U64(res.n, 4);
    if (res.n == 4) {
        CHECK(res.v[0].flash_attn == BENCH_FA_UNKNOWN && !res.v[0].load_mode);
        CHECK(res.v[0].n_gpu_layers.v == -1);
        CHECK_U64(res.v[0].model_size.v, 7811891); /* 7.45 MiB */
        CHECK_U64(res.v[0].model_n_params.v, 7340000);
        CHECK_U64(res.v[2].n_depth.v, 256);
        CHECK_NEAR(res.v[2].avg_ts.v, 229.58);
        CHECK_NEAR(res.v[2].stddev_ts.v, 11.80);
        CHECK_STR(res.v[3].build_commit, "Debian");
        CHECK_U64(res.v[3].build_number.v, 11669);
        CHECK_STR(res.v[3].vulkan_driver, "llvmpipe");
        CHECK_STR(res.v[3].gpu_info, "llvmpipe (LLVM 22.1.8, 256 bits)");
    }
    bench_results_release(&res);

    /* Columns by name, whatever is present; two tables in one log. */
    const char *t =
        "| model | backend | threads | n_ubatch | type_k | type_v | fa | dio | test | t/s |\n"
        "| --- | --- | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: |\n"
        "| qwen3moe 30B.A3B Q4_K - Medium | CPU | 16 | 1024 | q8_0 | q8_0 | on | 1 | "
        "pp512+tg128 @ d8192 | 10.50 \xc2\xb1 0.25 |\n"
        "\nbuild: abc123 (7000)\n"
        "| test | t/s |\n|:--|--:|\n| tg32 | 7.5 |\n";
    check_parse_ok(parse_text(t, &res, &err), &err);
    CHECK_U64(res.n, 2);
    if (res.n == 2) {
        const struct bench_result *r = &res.v[0];
        CHECK(r->kind == BENCH_PG && r->n_prompt.v == 512 && r->n_gen.v == 128 &&
              r->n_depth.v == 8192);
        CHECK_U64(r->n_threads.v, 16);
        CHECK_U64(r->n_ubatch.v, 1024);
        CHECK_STR(r->type_k, "q8_0");
        CHECK(r->flash_attn == BENCH_FA_ON);
        CHECK_STR(r->load_mode, "dio");
        CHECK_STR(r->build_commit, "abc123");
        CHECK(!res.v[1].build_commit); /* the build line came before its table */
        CHECK_NEAR(res.v[1].avg_ts.v, 7.5);
        CHECK(!res.v[1].stddev_ts.known);
    }
    bench_results_release(&res);
    hb_error_release(&err);
}

static void test_test_names(void)
{
    static const char *const good[] = {"pp512",         "tg128",          "pp512+tg128",
                                       "pp512 @ d4096", "tg128 @ d65536", "pp2048+tg32 @ d8"};
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        struct bench_result r = {0};
        struct strbuf sb = STRBUF_INIT;
        CHECK(bench_test_name_parse(good[i], &r) == 0);
        bench_test_name(&r, &sb);
        CHECK_STR(sb.buf, good[i]);
        strbuf_release(&sb);
    }
    static const char *const bad[] = {"pp",     "xx512",     "pp512 @ 4096", "pp0", "tg12x",
                                      "pp512+", "pp512 @ d", "pp512 @ d4 x", ""};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct bench_result r = {0};
        if (bench_test_name_parse(bad[i], &r) == 0)
            test_fail(__FILE__, __LINE__, "'%s' parsed as a test", bad[i]);
    }
}

/* ---- malformed llama-bench output ----------------------------------------- */

static void expect_error(const char *text, const char *message)
{
    struct bench_results res = {0};
    struct hb_error err = HB_ERROR_INIT;
    /* A result from before must survive a failed parse. */
    bench_results_add(&res)->avg_ts = (opt_f64){true, 1};
    if (parse_text(text, &res, &err) == 0)
        test_fail(__FILE__, __LINE__, "parsed: %s", text);
    else if (!strstr(err.msg, message) || strchr(err.msg, '\n'))
        test_fail(__FILE__, __LINE__, "error \"%s\", expected \"%s\"", err.msg, message);
    CHECK_U64(res.n, 1);
    CHECK(err.exit_code == EXIT_INPUT);
    bench_results_release(&res);
    hb_error_release(&err);
}

static void test_malformed(void)
{
    const char *ok = "{\"n_prompt\":512,\"n_gen\":0,\"avg_ts\":1}";
    struct strbuf t = STRBUF_INIT;
    strbuf_addf(&t, "[%s,%s,{\"n_prompt\":512,\"n_gen\":0,\"avg_ts\":\"fast\"}]", ok, ok);
    expect_error(t.buf, "log: result 3: avg_ts: expected a number");
    strbuf_reset(&t);
    strbuf_addf(&t, "%s\n{\"n_gen\":128,\"avg_ts\":1}\n", ok);
    expect_error(t.buf, "log: result 2: n_prompt: missing");
    strbuf_reset(&t);
    strbuf_addf(&t, "%s\n{\"n_prompt\":1,\n", ok);
    expect_error(t.buf, "log: line 2: not valid JSON");
    strbuf_release(&t);
    expect_error("[{\"n_prompt\":1,\"n_gen\":0,\"avg_ts\":1},", "log: not valid JSON (near byte");
    expect_error("[{\"n_prompt\":1,\"n_gen\":0}]", "log: result 1: avg_ts: missing");
    expect_error("[{\"n_prompt\":1,\"n_gen\":0,\"avg_ts\":-3}]", "avg_ts: expected a number");
    expect_error("[{\"n_prompt\":1,\"n_gen\":0,\"avg_ts\":1,\"flash_attn\":2}]",
                 "result 1: flash_attn: expected true, false, -1, 0 or 1");
    expect_error("[{\"n_prompt\":1,\"n_gen\":0,\"avg_ts\":1,\"use_mmap\":\"yes\"}]",
                 "use_mmap: expected true or false");
    expect_error("[{\"n_prompt\":1,\"n_gen\":0,\"avg_ts\":1,\"samples_ts\":[1,\"x\"]}]",
                 "samples_ts: expected an array of numbers");
    expect_error("[{\"n_prompt\":1,\"n_gen\":0,\"avg_ts\":1,\"n_gpu_layers\":1.5}]",
                 "n_gpu_layers: expected a whole number");
    expect_error("[{\"n_prompt\":0,\"n_gen\":0,\"avg_ts\":1}]", "n_prompt and n_gen are both 0");
    expect_error("[{\"n_prompt\":1,\"n_gen\":0,\"avg_ts\":1,\"model_type\":7}]",
                 "model_type: expected a string");
    expect_error("[1]", "log: result 1: expected an object");
    expect_error("[]", "log: no results");
    expect_error("{\"a\":1}", "log: result 1: n_prompt: missing");
    expect_error("hello\nworld\n", "log: no llama-bench results");
    expect_error("", "log: no llama-bench results");

    const char *head = "| model | test | t/s |\n| --- | ---: | ---: |\n";
    struct strbuf md = STRBUF_INIT;
    strbuf_addf(&md, "%s| m | pp512 | 1.0 \xc2\xb1 0.1 |\n| m | pp512 | abc |\n", head);
    expect_error(md.buf, "log: line 4: t/s: expected 'MEAN \xc2\xb1 STDDEV', got 'abc'");
    strbuf_reset(&md);
    strbuf_addf(&md, "%s| m | pp512 |\n", head);
    expect_error(md.buf, "log: line 3: 2 cells, the header has 3");
    strbuf_reset(&md);
    strbuf_addf(&md, "%s| m | qq512 | 1.0 |\n", head);
    expect_error(md.buf, "log: line 3: test: expected a test such as");
    strbuf_reset(&md);
    strbuf_addf(&md, "| model | size | test | t/s |\n| --- | --- | --- | --- |\n"
                     "| m | 7.45 XB | pp512 | 1.0 |\n");
    expect_error(md.buf, "log: line 3: size: expected a size such as '7.45 MiB', got '7.45 XB'");
    strbuf_reset(&md);
    strbuf_addf(&md, "| test | fa | t/s |\n| --- | --- | --- |\n| pp512 | maybe | 1.0 |\n");
    expect_error(md.buf, "log: line 3: fa: expected 0, 1, on, off or auto, got 'maybe'");
    strbuf_release(&md);
    expect_error("| model | test | t/s |\n| m | pp512 | 1.0 |\n",
                 "log: line 2: expected the table's separator row");
    expect_error("| model | test | t/s |\n", "log: line 1: the table ends after its header");
    expect_error("| model | test | t/s |\n| --- | --- | --- |\n\nbuild: x (1)\n",
                 "log: the table has no results");
    expect_error("a\0b", "log: no llama-bench results"); /* strlen stops at the NUL */
}

/* ---- the results store ---------------------------------------------------- */

/* A Strix Halo host (values as in DESIGN.md's example). */
static const char *facts_json =
    "{\"os\":{\"id\":\"fedora\"},\"kernel\":{\"release\":\"6.18.9-200.fc43.x86_64\","
    "\"cmdline\":\"BOOT_IMAGE=/vmlinuz root=UUID=1234 amd_iommu=off ttm.pages_limit=32505856 "
    "quiet\",\"params\":{\"BOOT_IMAGE\":\"/vmlinuz\",\"root\":\"UUID=1234\",\"amd_iommu\":\"off\","
    "\"ttm.pages_limit\":\"32505856\",\"quiet\":\"\"},\"ttm_pages_limit\":32505856},"
    "\"memory\":{\"total_bytes\":133143986176,\"page_size\":4096},"
    "\"gpus\":[{\"pci_slot\":\"0000:c2:00.0\",\"vendor_id\":\"0x1002\",\"device_id\":\"0x1586\","
    "\"driver\":\"amdgpu\",\"vram_bytes\":536870912,\"gtt_bytes\":133143986176}],"
    "\"vulkan\":{\"loader\":\"1.4.313\",\"devices\":[{\"name\":\"llvmpipe (LLVM 19)\","
    "\"vendor_id\":\"0x10005\",\"device_id\":\"0x0000\",\"type\":\"cpu\",\"driver\":\"llvmpipe\","
    "\"driver_info\":\"Mesa 25.1.4\"},{\"name\":\"AMD Radeon 8060S Graphics (RADV GFX1151)\","
    "\"vendor_id\":\"0x1002\",\"device_id\":\"0x1586\",\"type\":\"integrated\",\"driver\":\"radv\","
    "\"driver_info\":\"Mesa 25.1.4 (git-abc)\"}]},"
    "\"rocm\":{\"runtime\":{\"version\":\"7.2.1\"}},"
    "\"containers\":{\"podman\":{\"path\":\"/usr/bin/podman\",\"version\":\"5.4.2\"}}}";

static void host_summary(struct bench_host *h)
{
    struct facts f;
    struct verdict v;
    struct hb_error err = HB_ERROR_INIT;
    facts_init(&f);
    cJSON *root = cJSON_Parse(facts_json);
    if (!root || facts_from_json(&f, root, "facts", &err) < 0)
        test_fail(__FILE__, __LINE__, "bad facts: %s", err.msg ? err.msg : "not JSON");
    cJSON_Delete(root);
    facts_derive(&f);
    doctor_evaluate(&f, &v);
    bench_host_from_facts(h, &f, &v);
    verdict_release(&v);
    facts_release(&f);
    hb_error_release(&err);
}

static void test_host_summary(void)
{
    struct bench_host h;
    host_summary(&h);
    CHECK_STR(h.kernel, "6.18.9-200.fc43.x86_64");
    CHECK(h.params_known);
    CHECK_U64(h.n_params, 2); /* BOOT_IMAGE, root and quiet are left out */
    if (h.n_params == 2) {
        CHECK_STR(h.params[0].key, "amd_iommu");
        CHECK_STR(h.params[0].value, "off");
        CHECK_STR(h.params[1].key, "ttm.pages_limit");
    }
    CHECK_STR(h.gpu_family, "strix-halo");
    CHECK(h.gpu_device_id.known && h.gpu_device_id.v == 0x1586);
    CHECK_STR(h.gpu_name, "AMD Radeon 8060S Graphics (RADV GFX1151)");
    /* 512 MiB VRAM + min(GTT 124 GiB, TTM 32505856 x 4 KiB, RAM) */
    CHECK(h.usable_memory_bytes.known);
    CHECK_U64(h.usable_memory_bytes.v, 536870912ULL + 32505856ULL * 4096);
    CHECK_STR(h.vulkan_driver, "radv"); /* the GPU's device, not llvmpipe */
    CHECK_STR(h.mesa_version, "25.1.4");
    CHECK_STR(h.rocm_version, "7.2.1");
    CHECK_STR(h.podman_version, "5.4.2");
    bench_host_release(&h);
}

static void fill_record(struct bench_record *rec, const struct bench_host *h, const char *recipe,
                        const char *test, double mean, double sd)
{
    memset(rec, 0, sizeof(*rec));
    CHECK(bench_test_name_parse(test, &rec->r) == 0);
    rec->r.avg_ts = (opt_f64){true, mean};
    rec->r.stddev_ts = (opt_f64){true, sd};
    rec->r.samples_ts = xcalloc(2, sizeof(double));
    rec->r.samples_ts[0] = mean + sd;
    rec->r.samples_ts[1] = mean - sd;
    rec->r.n_samples = 2;
    rec->r.n_ubatch = OPT_U64(512);
    rec->r.flash_attn = BENCH_FA_ON;
    rec->r.n_gpu_layers = (opt_i64){true, -1};
    rec->r.backends = xstrdup(str_starts_with(recipe, "rocm") ? "ROCm" : "Vulkan");
    rec->r.test_time = xstrdup("2026-11-22T01:02:03Z");
    rec->r.avg_ns = OPT_U64(123456789);
    rec->model.name = xstrdup("llama-3.1-8b");
    rec->model.sha256 = xstrdup("496ebdede3ef08a38218d213703a63ded3bc3c86fbb5628c23e9a5a7c993a4b6");
    rec->model.active_bytes = OPT_U64(3000000000ULL);
    rec->model.architecture = xstrdup("llama");
    rec->image.recipe = xstrdup(recipe);
    rec->image.engine_version = xstrdup("b11669");
    rec->image.digest = xstrdup("sha256:ceb96cb6");
    if (h)
        bench_host_copy(&rec->host, h);
}

static char *run_path(const char *id)
{
    struct strbuf p = STRBUF_INIT;
    strbuf_addf(&p, "%s/runs/%s.jsonl", tmpdir, id);
    return strbuf_detach(&p);
}

static void test_results_roundtrip(void)
{
    struct strbuf dir = STRBUF_INIT;
    strbuf_addf(&dir, "%s/runs", tmpdir);
    struct hb_error err = HB_ERROR_INIT;
    struct bench_run run = {0};
    host_summary(&run.host);
    run.source = xstrdup("bench");
    bench_run_add_recipe(&run, "vulkan-radv");
    bench_run_add_recipe(&run, "rocm-gfx1151");
    struct bench_writer *w;
    CHECK(bench_writer_open(&w, dir.buf, &run, &err) == 0);
    if (!w) {
        test_fail(__FILE__, __LINE__, "%s", err.msg);
        return;
    }
    CHECK(bench_run_id_valid(run.id));
    CHECK(run.created && run.created[4] == '-');
    struct bench_record rec;
    fill_record(&rec, &run.host, "vulkan-radv", "pp512", 1092.07, 1.21);
    CHECK(bench_writer_add(w, &rec, &err) == 0);
    bench_record_release(&rec);
    fill_record(&rec, &run.host, "vulkan-radv", "tg128 @ d4096", 41.17, 0.01);
    CHECK(bench_writer_add(w, &rec, &err) == 0);
    bench_record_release(&rec);
    CHECK(bench_writer_recipe_done(w, "vulkan-radv", BENCH_STATUS_COMPLETE, NULL, &err) == 0);
    CHECK(bench_writer_recipe_done(w, "rocm-gfx1151", BENCH_STATUS_FAILED,
                                   "llama-bench exited with status 134", &err) == 0);
    CHECK(bench_writer_finish(w, &err) == 0);
    bench_writer_free(w);
    CHECK(run.status == BENCH_STATUS_FAILED);

    struct bench_run back;
    char *path = run_path(run.id);
    if (bench_run_load(&back, path, &err) < 0) {
        test_fail(__FILE__, __LINE__, "load: %s", err.msg);
    } else {
        CHECK_STR(back.id, run.id);
        CHECK_STR(back.created, run.created);
        CHECK_STR(back.source, "bench");
        CHECK(back.status == BENCH_STATUS_FAILED && !back.truncated);
        CHECK_U64(back.n_recipes, 2);
        CHECK(back.recipes[0].status == BENCH_STATUS_COMPLETE);
        CHECK(back.recipes[1].status == BENCH_STATUS_FAILED);
        CHECK_STR(back.recipes[1].error, "llama-bench exited with status 134");
        CHECK_STR(back.host.mesa_version, "25.1.4");
        CHECK_U64(back.n_records, 2);
        /* Everything written reads back as the same JSON. */
        for (size_t i = 0; i < back.n_records && i < run.n_records; i++) {
            cJSON *a = bench_record_to_json(&run, &run.records[i]);
            cJSON *b = bench_record_to_json(&back, &back.records[i]);
            char *sa = cJSON_PrintUnformatted(a), *sb = cJSON_PrintUnformatted(b);
            CHECK_STR(sa, sb);
            free(sa);
            free(sb);
            cJSON_Delete(a);
            cJSON_Delete(b);
        }
        if (back.n_records == 2) {
            const struct bench_record *r = &back.records[1];
            CHECK(r->r.kind == BENCH_TG && r->r.n_gen.v == 128 && r->r.n_depth.v == 4096);
            CHECK_NEAR(r->r.avg_ts.v, 41.17);
            CHECK_U64(r->r.n_samples, 2);
            CHECK(r->r.flash_attn == BENCH_FA_ON && r->r.n_gpu_layers.v == -1);
            CHECK_STR(r->image.recipe, "vulkan-radv");
            CHECK_STR(r->host.gpu_family, "strix-halo");
            CHECK_STR(r->host.params[0].key, "amd_iommu");
            CHECK(r->host.gpu_device_id.v == 0x1586);
            CHECK_U64(r->model.active_bytes.v, 3000000000ULL);
        }
        bench_run_release(&back);
    }
    /* The file is JSON Lines: a header, two results, two recipe lines. */
    struct strbuf text = STRBUF_INIT;
    slurp(path, &text);
    size_t lines = 0;
    for (size_t i = 0; i < text.len; i++)
        lines += text.buf[i] == '\n';
    CHECK_U64(lines, 5);
    CHECK(str_starts_with(text.buf, "{\"schema\":\"halobox.bench/1\",\"type\":\"run\""));
    strbuf_release(&text);
    free(path);
    bench_run_release(&run);
    strbuf_release(&dir);
    hb_error_release(&err);
}

static void test_results_interrupted(void)
{
    struct strbuf dir = STRBUF_INIT;
    strbuf_addf(&dir, "%s/runs", tmpdir);
    struct hb_error err = HB_ERROR_INIT;
    struct bench_run run = {0};
    run.id = xstrdup("20261122T010203.000Z-0001");
    bench_run_add_recipe(&run, "vulkan-radv");
    bench_run_add_recipe(&run, "cpu");
    struct bench_writer *w;
    CHECK(bench_writer_open(&w, dir.buf, &run, &err) == 0);
    if (!w)
        return;
    struct bench_record rec;
    fill_record(&rec, NULL, "vulkan-radv", "pp512", 1000, 10);
    CHECK(bench_writer_add(w, &rec, &err) == 0);
    bench_record_release(&rec);
    fill_record(&rec, NULL, "vulkan-radv", "tg128", 40, 1);
    CHECK(bench_writer_add(w, &rec, &err) == 0);
    bench_record_release(&rec);

    char *path = run_path(run.id);
    struct bench_run back;
    /* While the writer holds it: running. */
    CHECK(bench_run_load(&back, path, &err) == 0);
    CHECK(back.status == BENCH_STATUS_RUNNING);
    CHECK_U64(back.n_records, 2);
    bench_run_release(&back);
    /* Killed: never finished, and the last line half written. */
    bench_writer_free(w);
    int fd = open(path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0 && write(fd, "{\"type\":\"result\",\"test\":{\"na", 28) == 28);
    close(fd);
    if (bench_run_load(&back, path, &err) < 0) {
        test_fail(__FILE__, __LINE__, "load: %s", err.msg);
    } else {
        CHECK(back.status == BENCH_STATUS_INCOMPLETE);
        CHECK(back.truncated);
        CHECK_U64(back.n_records, 2);
        CHECK(back.recipes[0].status == BENCH_STATUS_INCOMPLETE);
        CHECK_NEAR(back.records[1].r.avg_ts.v, 40);
        bench_run_release(&back);
    }
    /* A bad line that is not the last is corruption, not an interruption. */
    fd = open(path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0 && write(fd, "\n{}\n", 4) == 4);
    close(fd);
    CHECK(bench_run_load(&back, path, &err) < 0);
    CHECK_ERR(&err, "run 20261122T010203.000Z-0001: line 4: not valid JSON");
    free(path);
    bench_run_release(&run);
    strbuf_release(&dir);
    hb_error_release(&err);
}

static void write_file(const char *path, const char *text)
{
    if (write_file_atomic(path, text, strlen(text), 0644) < 0)
        test_fail(__FILE__, __LINE__, "cannot write %s", path);
}

static void test_results_bad_files(void)
{
    struct strbuf dir = STRBUF_INIT, path = STRBUF_INIT;
    strbuf_addf(&dir, "%s/bad", tmpdir);
    mkdir_p(dir.buf, 0700);
    struct hb_error err = HB_ERROR_INIT;
    struct bench_run run;
    const char *header = "{\"schema\":\"halobox.bench/1\",\"type\":\"run\",\"id\":\"r1\","
                         "\"status\":\"complete\"}\n";
    static const struct {
        const char *body;
        const char *error;
    } cases[] = {
        {"", "run r1: empty file"},
        {"{\"schema\":\"other/1\",\"type\":\"run\"}\n", "run r1: line 1: not a halobox bench run"},
        {"{\"schema\":\"halobox.bench/1\",\"type\":\"run\",\"id\":\"r1\",\"status\":\"done\"}\n",
         "run r1: line 1: status: expected running, complete"},
        {"{\"schema\":\"halobox.bench/1\",\"type\":\"run\",\"id\":\"r1\",\"sta",
         "run r1: line 1: the header is cut short"},
        {"%s{\"type\":\"result\",\"test\":{\"kind\":\"pp\",\"n_prompt\":1,\"n_gen\":0},"
         "\"tokens_per_second\":{\"mean\":\"fast\"}}\n",
         "run r1: line 2: tokens_per_second.mean: expected a number"},
        {"%s{\"type\":\"result\",\"test\":{\"kind\":\"xx\",\"n_prompt\":1,\"n_gen\":0},"
         "\"tokens_per_second\":{\"mean\":1}}\n",
         "run r1: line 2: test.kind: expected pp, tg or pg"},
        {"%s{\"type\":\"result\",\"test\":{\"kind\":\"pp\",\"n_prompt\":1,\"n_gen\":0},"
         "\"tokens_per_second\":{\"mean\":1},\"host\":{\"params\":[1]}}\n",
         "run r1: line 2: host.params: expected an object or null"},
        {"%s[1]\n", "run r1: line 2: expected an object with a type"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct strbuf body = STRBUF_INIT;
        strbuf_addf(&body, cases[i].body, header);
        strbuf_reset(&path);
        strbuf_addf(&path, "%s/r1.jsonl", dir.buf);
        write_file(path.buf, body.buf);
        if (bench_run_load(&run, path.buf, &err) == 0) {
            test_fail(__FILE__, __LINE__, "case %zu loaded", i);
            bench_run_release(&run);
        } else {
            CHECK_ERR(&err, cases[i].error);
            CHECK(err.exit_code == EXIT_INPUT && !strchr(err.msg, '\n'));
        }
        strbuf_release(&body);
    }
    /* A newer halobox's line types are ignored. */
    struct strbuf body = STRBUF_INIT;
    strbuf_addf(&body, "%s{\"type\":\"chart\"}\n", header);
    write_file(path.buf, body.buf);
    CHECK(bench_run_load(&run, path.buf, &err) == 0);
    CHECK(run.status == BENCH_STATUS_COMPLETE && run.n_records == 0);
    bench_run_release(&run);
    strbuf_release(&body);
    strbuf_release(&dir);
    strbuf_release(&path);
    hb_error_release(&err);
}

static void test_results_find(void)
{
    struct strbuf dir = STRBUF_INIT, path = STRBUF_INIT, warnings = STRBUF_INIT;
    strbuf_addf(&dir, "%s/find", tmpdir);
    mkdir_p(dir.buf, 0700);
    struct hb_error err = HB_ERROR_INIT;
    const char *ids[] = {"20260101T000000.000Z-aaaa", "20260101T000000.000Z-aaab",
                         "20260202T000000.000Z-cccc"};
    for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
        struct bench_run run = {0};
        struct bench_writer *w;
        run.id = xstrdup(ids[i]);
        run.label = xstrdup(ids[i]);
        CHECK(bench_writer_open(&w, dir.buf, &run, &err) == 0);
        CHECK(w && bench_writer_finish(w, &err) == 0);
        bench_writer_free(w);
        bench_run_release(&run);
    }
    strbuf_addf(&path, "%s/broken.jsonl", dir.buf);
    write_file(path.buf, "not json\n");

    CHECK(bench_run_resolve(dir.buf, "20260202", &path, &err) == 0);
    CHECK(str_starts_with(path.buf, dir.buf) && strstr(path.buf, "-cccc.jsonl"));
    CHECK(bench_run_resolve(dir.buf, ids[0], &path, &err) == 0);
    CHECK(strstr(path.buf, "-aaaa.jsonl") != NULL);
    CHECK(bench_run_resolve(dir.buf, "20260101", &path, &err) < 0);
    CHECK_ERR(&err, "run '20260101' is ambiguous: 20260101T000000.000Z-aaaa, "
                    "20260101T000000.000Z-aaab");
    CHECK(bench_run_resolve(dir.buf, "2030", &path, &err) < 0);
    CHECK_ERR(&err, "no run '2030' in ");
    CHECK(err.exit_code == EXIT_INPUT);

    struct bench_runs runs;
    CHECK(bench_runs_load(dir.buf, &runs, &warnings, &err) == 0);
    CHECK_U64(runs.n, 3);
    if (runs.n == 3) {
        CHECK_STR(runs.v[0].id, ids[0]);
        CHECK_STR(runs.v[2].id, ids[2]);
        CHECK(runs.v[2].status == BENCH_STATUS_COMPLETE);
    }
    CHECK(strstr(warnings.buf, "run broken: line 1: not valid JSON") != NULL);
    bench_runs_release(&runs);
    strbuf_reset(&path);
    strbuf_addf(&path, "%s/none", tmpdir);
    CHECK(bench_runs_load(path.buf, &runs, NULL, &err) == 0 && runs.n == 0);
    bench_runs_release(&runs);
    strbuf_release(&dir);
    strbuf_release(&path);
    strbuf_release(&warnings);
    hb_error_release(&err);
}

/* ---- compare ------------------------------------------------------------------ */

/* Two runs on a Strix Halo (256 GB/s), 3.0 GB of active weights:
 *   A vulkan-radv: pp512 1000 ± 10, tg128 40 ± 1, tg128 @ d4096 30 ± 0.5
 *   B rocm:        pp512  800 ± 20, tg128 50 ± 2 (ubatch 1024)
 * Worked out by hand, baseline A:
 *   ratios B: pp512 800/1000 = 0.8, tg128 50/40 = 1.25
 *   bandwidth shares: 3e9 x 40 / 256e9 = 0.46875, 3e9 x 30 / 256e9 = 0.3515625,
 *   3e9 x 50 / 256e9 = 0.5859375; with --bandwidth 100: 3e9 x 40 / 100e9 = 1.2 */
static void two_runs(struct bench_run runs[2])
{
    memset(runs, 0, 2 * sizeof(*runs));
    struct bench_host h = {0};
    h.gpu_family = xstrdup("strix-halo");
    runs[0].id = xstrdup("20261122T000000.000Z-aaaa");
    runs[1].id = xstrdup("20261122T000100.000Z-bbbb");
    fill_record(bench_run_add_record(&runs[0]), &h, "vulkan-radv", "pp512", 1000, 10);
    fill_record(bench_run_add_record(&runs[0]), &h, "vulkan-radv", "tg128", 40, 1);
    fill_record(bench_run_add_record(&runs[0]), &h, "vulkan-radv", "tg128 @ d4096", 30, 0.5);
    fill_record(bench_run_add_record(&runs[1]), &h, "rocm-gfx1151", "tg128", 50, 2);
    fill_record(bench_run_add_record(&runs[1]), &h, "rocm-gfx1151", "pp512", 800, 20);
    for (size_t i = 0; i < runs[1].n_records; i++)
        runs[1].records[i].r.n_ubatch = OPT_U64(1024);
    bench_host_release(&h);
}

static void test_compare_table(void)
{
    struct bench_run runs[2];
    two_runs(runs);
    struct compare_table t;
    struct compare_options o = {0};
    struct hb_error err = HB_ERROR_INIT;
    CHECK(compare_build(&t, runs, 2, &o, &err) == 0);
    CHECK_U64(t.n_cols, 3);
    CHECK_U64(t.n_rows, 2);
    if (t.n_cols == 3 && t.n_rows == 2) {
        CHECK_STR(t.cols[0].name, "pp512");
        CHECK_STR(t.cols[1].name, "tg128");
        CHECK_STR(t.cols[2].name, "tg128 @ d4096");
        CHECK_STR(t.rows[0].label, "vulkan-radv backend=Vulkan ub=512");
        CHECK_STR(t.rows[1].label, "rocm-gfx1151 backend=ROCm ub=1024");
        CHECK_U64(t.baseline, 0);
        const struct compare_row *a = &t.rows[0], *b = &t.rows[1];
        CHECK_NEAR(a->cells[0].ratio.v, 1.0);
        CHECK_NEAR(b->cells[0].ratio.v, 0.8);
        CHECK_NEAR(b->cells[1].ratio.v, 1.25);
        CHECK(!b->cells[2].present);
        CHECK(!a->cells[0].bandwidth_share.known); /* prefill: no share */
        CHECK_NEAR(a->cells[1].bandwidth_share.v, 0.46875);
        CHECK_NEAR(a->cells[2].bandwidth_share.v, 0.3515625);
        CHECK_NEAR(b->cells[1].bandwidth_share.v, 0.5859375);
        CHECK_NEAR(a->peak_gbps.v, 256.0);
        CHECK(strstr(a->peak_source, "strix-halo: LPDDR5X-8000") != NULL);

        struct strbuf out = STRBUF_INIT;
        compare_render_text(&t, &out);
        CHECK(strstr(out.buf, "configuration") == out.buf);
        CHECK(strstr(out.buf, "1000.00 \xc2\xb1 10.00") != NULL);
        CHECK(strstr(out.buf, "40.00 \xc2\xb1 1.00 (47% bw)") != NULL);
        CHECK(strstr(out.buf, "800.00 \xc2\xb1 20.00 (0.80x)") != NULL);
        CHECK(strstr(out.buf, "50.00 \xc2\xb1 2.00 (1.25x, 59% bw)") != NULL);
        CHECK(strstr(out.buf, "baseline: vulkan-radv backend=Vulkan ub=512\n") != NULL);
        CHECK(strstr(out.buf, "3.000 GB active weights per token, peak 256.0 GB/s") != NULL);
        strbuf_reset(&out);
        compare_render_markdown(&t, &out);
        CHECK(str_starts_with(out.buf, "| configuration | pp512 | tg128 | tg128 @ d4096 |\n"
                                       "| --- | ---: | ---: | ---: |\n"
                                       "| vulkan-radv backend=Vulkan ub=512 | 1000.00 \xc2\xb1 "
                                       "10.00 | 40.00 \xc2\xb1 1.00 (47% bw) |"));
        CHECK(strstr(out.buf, "| rocm-gfx1151 backend=ROCm ub=1024 | 800.00 \xc2\xb1 20.00 "
                              "(0.80x) | 50.00 \xc2\xb1 2.00 (1.25x, 59% bw) | - |\n") != NULL);
        strbuf_release(&out);

        cJSON *json = compare_to_json(&t);
        const cJSON *rows = cJSON_GetObjectItem(json, "rows");
        const cJSON *cell = cJSON_GetObjectItem(
            cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 1), "results"), "tg128");
        CHECK_NEAR(cJSON_GetObjectItem(cell, "ratio")->valuedouble, 1.25);
        CHECK_NEAR(cJSON_GetObjectItem(cell, "bandwidth_share")->valuedouble, 0.5859375);
        CHECK(cJSON_IsNull(cJSON_GetObjectItem(
            cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 1), "results"), "tg128 @ d4096")));
        CHECK_STR(cJSON_GetObjectItem(json, "baseline")->valuestring,
                  "vulkan-radv backend=Vulkan ub=512");
        cJSON_Delete(json);
    }
    compare_release(&t);

    /* Baseline by recipe, by run id; --bandwidth overrides the table. */
    o.baseline = "rocm-gfx1151";
    o.bandwidth_gbps = 100;
    CHECK(compare_build(&t, runs, 2, &o, &err) == 0);
    CHECK_U64(t.baseline, 1);
    if (t.n_rows == 2) {
        CHECK_NEAR(t.rows[0].cells[0].ratio.v, 1.25);
        CHECK_NEAR(t.rows[0].cells[1].bandwidth_share.v, 1.2);
        CHECK_STR(t.rows[0].peak_source, "--bandwidth");
    }
    compare_release(&t);
    o.baseline = "20261122T000100";
    CHECK(compare_build(&t, runs, 2, &o, &err) == 0);
    CHECK_U64(t.baseline, 1);
    compare_release(&t);
    o.baseline = "nothing";
    CHECK(compare_build(&t, runs, 2, &o, &err) < 0);
    CHECK_ERR(&err, "baseline 'nothing' is neither a configuration nor a run");

    /* Unknown active weights or platform: no share; a --model overrides. */
    o = (struct compare_options){0};
    for (size_t i = 0; i < runs[0].n_records; i++) {
        runs[0].records[i].model.active_bytes = (opt_u64){0};
        free(runs[0].records[i].host.gpu_family);
        runs[0].records[i].host.gpu_family = NULL;
    }
    CHECK(compare_build(&t, runs, 1, &o, &err) == 0);
    CHECK(!t.rows[0].cells[1].bandwidth_share.known && !t.rows[0].peak_gbps.known);
    struct strbuf out = STRBUF_INIT;
    compare_render_text(&t, &out);
    CHECK(strstr(out.buf, "active weights unknown") && strstr(out.buf, "--bandwidth GB/s"));
    CHECK(strstr(out.buf, "\nvulkan-radv   ") != NULL); /* one row: nothing varies */
    strbuf_release(&out);
    compare_release(&t);
    o.active_bytes = OPT_U64(2000000000ULL);
    o.bandwidth_gbps = 256;
    CHECK(compare_build(&t, runs, 1, &o, &err) == 0);
    CHECK_NEAR(t.rows[0].cells[1].bandwidth_share.v, 2e9 * 40 / 256e9);
    compare_release(&t);

    /* The same recipe in two runs is told apart by the run. */
    free(runs[1].records[0].image.recipe);
    free(runs[1].records[1].image.recipe);
    runs[1].records[0].image.recipe = xstrdup("vulkan-radv");
    runs[1].records[1].image.recipe = xstrdup("vulkan-radv");
    CHECK(compare_build(&t, runs, 2, &o, &err) == 0);
    if (t.n_rows == 2)
        CHECK_STR(t.rows[1].label, "vulkan-radv (20261122T000100.000Z-bbbb) backend=ROCm ub=1024");
    compare_release(&t);

    struct bench_run empty = {0};
    CHECK(compare_build(&t, &empty, 1, &o, &err) < 0);
    CHECK_ERR(&err, "no results to compare");
    bench_run_release(&runs[0]);
    bench_run_release(&runs[1]);
    hb_error_release(&err);
}

static void test_platforms(void)
{
    struct bench_host h = {0};
    h.gpu_family = "strix-halo";
    const struct bench_platform *p = bench_platform_find(&h, NULL);
    /* 8000 MT/s x 256 bit / 8 = 256 GB/s */
    CHECK(p && p->gbps == 8000e6 * 256 / 8 / 1e9);
    h.gpu_family = "strix-point";
    p = bench_platform_find(&h, NULL);
    CHECK(p && p->gbps == 7500e6 * 128 / 8 / 1e9); /* 120 */
    h.gpu_family = "amd-dgpu";
    p = bench_platform_find(&h, "AMD Radeon RX 7900 XTX (RADV NAVI31)");
    CHECK(p && p->gbps == 20e9 * 384 / 8 / 1e9); /* 960 */
    p = bench_platform_find(&h, "AMD Radeon RX 7900 XT (RADV NAVI31)");
    CHECK(p && p->gbps == 20e9 * 320 / 8 / 1e9); /* 800, not the XTX's */
    CHECK(!bench_platform_find(&h, "AMD Radeon RX 7900 GRE"));
    CHECK(!bench_platform_find(NULL, "llvmpipe (LLVM 22.1.8, 256 bits)"));
    for (size_t i = 0; bench_platform_at(i); i++) {
        const struct bench_platform *q = bench_platform_at(i);
        CHECK((q->family != NULL) != (q->name != NULL));
        CHECK(q->gbps > 0 && q->memory && q->reference);
    }
}

/* A model of known tensors, F32 (4 bytes an element):
 *   token_embd {64, 100}        25600 bytes
 *   output {64, 100}            25600
 *   blk.0.attn_q {64, 64}       16384
 *   blk.0.ffn_gate_inp {64, 4}   1024
 *   blk.0.ffn_up_exps {64, 32, 4}   32768
 *   blk.0.ffn_down_exps {32, 64, 4} 32768
 * total 134144; active with 1 of 4 experts: output + attn_q + gate_inp +
 * (32768 + 32768) / 4 = 25600 + 16384 + 1024 + 16384 = 59392 (the embedding
 * table is read one row per token). Dense and tied (no output): all of
 * token_embd and attn_q, 25600 + 16384 = 41984. */
static int write_model(const char *path, bool moe, struct hb_error *err)
{
    struct gguf_writer *w;
    static const struct {
        const char *name;
        uint32_t n_dims;
        uint64_t ne[3];
        bool moe_only;
    } tensors[] = {
        {"token_embd.weight", 2, {64, 100, 1}, false},
        {"output.weight", 2, {64, 100, 1}, true},
        {"blk.0.attn_q.weight", 2, {64, 64, 1}, false},
        {"blk.0.ffn_gate_inp.weight", 2, {64, 4, 1}, true},
        {"blk.0.ffn_up_exps.weight", 3, {64, 32, 4}, true},
        {"blk.0.ffn_down_exps.weight", 3, {32, 64, 4}, true},
    };
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(tensors); i++)
        n += moe || !tensors[i].moe_only;
    if (gguf_writer_open(&w, path, moe ? 3 : 1, n, err) < 0)
        return -1;
    int r = gguf_writer_kv_str(w, "general.architecture", moe ? "qwen3moe" : "llama", err);
    if (moe) {
        r |= gguf_writer_kv_u32(w, "qwen3moe.expert_count", 4, err);
        r |= gguf_writer_kv_u32(w, "qwen3moe.expert_used_count", 1, err);
    }
    for (size_t i = 0; r == 0 && i < ARRAY_SIZE(tensors); i++)
        if (moe || !tensors[i].moe_only)
            r |= gguf_writer_tensor(w, tensors[i].name, tensors[i].n_dims, tensors[i].ne,
                                    GGML_TYPE_F32, err);
    static const uint8_t zeros[4096];
    while (r == 0 && gguf_writer_data_left(w) > 0) {
        uint64_t left = gguf_writer_data_left(w);
        r |= gguf_writer_data(w, zeros, left < sizeof(zeros) ? left : sizeof(zeros), err);
    }
    if (r == 0)
        r = gguf_writer_finish(w, err);
    gguf_writer_free(w);
    return r;
}

static void test_active_weights(void)
{
    struct hb_error err = HB_ERROR_INIT;
    struct strbuf path = STRBUF_INIT;
    for (int moe = 0; moe < 2; moe++) {
        strbuf_reset(&path);
        strbuf_addf(&path, "%s/%s.gguf", tmpdir, moe ? "moe" : "dense");
        struct gguf_model m;
        if (write_model(path.buf, moe, &err) < 0 || gguf_open(&m, path.buf, &err) < 0) {
            test_fail(__FILE__, __LINE__, "model: %s", err.msg);
            break;
        }
        uint64_t total;
        opt_u64 active;
        bench_weight_bytes(&m, &total, &active);
        CHECK_U64(total, moe ? 134144 : 41984);
        CHECK(active.known);
        CHECK_U64(active.v, moe ? 59392 : 41984);
        struct bench_model bm;
        bench_model_from_gguf(&bm, &m, "x");
        CHECK_STR(bm.architecture, moe ? "qwen3moe" : "llama");
        CHECK_U64(bm.active_bytes.v, active.v);
        CHECK(bm.experts.known == (moe == 1));
        bench_model_release(&bm);
        gguf_close(&m);
    }
    strbuf_release(&path);
    hb_error_release(&err);
}

static void rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        struct strbuf sub = STRBUF_INIT;
        strbuf_addf(&sub, "%s/%s", path, e->d_name);
        rm_tree(sub.buf);
        strbuf_release(&sub);
    }
    closedir(d);
    rmdir(path);
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/halobox-test-bench-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_json_this_engine);
    RUN(test_json_older_layouts);
    RUN(test_markdown_logs);
    RUN(test_test_names);
    RUN(test_malformed);
    RUN(test_host_summary);
    RUN(test_results_roundtrip);
    RUN(test_results_interrupted);
    RUN(test_results_bad_files);
    RUN(test_results_find);
    RUN(test_compare_table);
    RUN(test_platforms);
    RUN(test_active_weights);
    rm_tree(tmpdir);
    return test_summary();
}
