/* Bench bundles: the layout's paths, the manifest (what export writes reads
 * back; each way a manifest can be wrong is refused with its reason), a
 * bundle written and read back through libarchive, the reader's refusals of
 * a damaged archive, and the engine log's size cap. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/bundle.h"
#include "bench/results.h"
#include "test.h"
#include "util/dl_table.h"
#include "util/fs.h"
#include "util/strbuf.h"

#define RUN_A "20261122T010203.000Z-0001"
#define RUN_B "20261122T010204.000Z-0002"
#define HEX_A "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"

static char tmpdir[64];

#define CHECK_ERR(err, text)                                                                       \
    do {                                                                                           \
        if (!(err)->msg || !strstr((err)->msg, (text)))                                            \
            test_fail(__FILE__, __LINE__, "error \"%s\" lacks \"%s\"",                             \
                      (err)->msg ? (err)->msg : "(none)", (text));                                 \
    } while (0)

static void test_member_paths(void)
{
    static const struct {
        const char *path;
        bool ok;
        enum bundle_kind kind;
        const char *id;
    } cases[] = {
        {"facts.json", true, BUNDLE_KIND_FACTS, NULL},
        {"runs/" RUN_A ".jsonl", true, BUNDLE_KIND_RUN, RUN_A},
        {"logs/" RUN_A ".log", true, BUNDLE_KIND_LOG, RUN_A},
        {"runs/.jsonl", false, 0, NULL},
        {"runs/../x.jsonl", false, 0, NULL},
        {"runs/a/b.jsonl", false, 0, NULL},
        {"runs/-x.jsonl", false, 0, NULL},
        {"/runs/" RUN_A ".jsonl", false, 0, NULL},
        {"runs/" RUN_A ".log", false, 0, NULL},
        {"logs/" RUN_A ".jsonl", false, 0, NULL},
        {"manifest.json", false, 0, NULL},
        {"facts.json/", false, 0, NULL},
        {"", false, 0, NULL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        enum bundle_kind kind;
        char *id;
        bool ok = bundle_member_path_parse(cases[i].path, &kind, &id);
        if (ok != cases[i].ok)
            test_fail(__FILE__, __LINE__, "'%s': %s, expected %s", cases[i].path,
                      ok ? "accepted" : "refused", cases[i].ok ? "accepted" : "refused");
        if (ok && cases[i].ok) {
            CHECK(kind == cases[i].kind);
            CHECK_STR(id, cases[i].id);
        }
        free(id);
    }
    CHECK(bundle_name_valid("halobox-bench-2026"));
    CHECK(!bundle_name_valid("../x"));
    CHECK(!bundle_name_valid(".hidden"));
}

/* Two runs (one with a log) and the facts. */
static void sample_bundle(struct bundle *b)
{
    memset(b, 0, sizeof(*b));
    b->name = xstrdup("sample");
    b->halobox_version = xstrdup("0.1.0");
    b->created = xstrdup("2026-11-22T01:02:03Z");
    CHECK(bundle_add_member(b, "runs/" RUN_B ".jsonl", "{\"b\":2}\n", 8) != NULL);
    CHECK(bundle_add_member(b, "runs/" RUN_A ".jsonl", "{\"a\":1}\n", 8) != NULL);
    CHECK(bundle_add_member(b, "logs/" RUN_A ".log", "ggml_vulkan: 1 device\n", 22) != NULL);
    CHECK(bundle_add_member(b, BUNDLE_FACTS, "{}\n", 3) != NULL);
}

static void test_manifest_roundtrip(void)
{
    struct bundle b, back;
    sample_bundle(&b);
    /* Sorted by path, whatever the order they came in; a path twice or
     * outside the layout is not added. */
    CHECK_STR(b.members[0].path, "facts.json");
    CHECK_STR(b.members[1].path, "logs/" RUN_A ".log");
    CHECK_STR(b.members[2].path, "runs/" RUN_A ".jsonl");
    CHECK_STR(b.members[3].path, "runs/" RUN_B ".jsonl");
    CHECK(bundle_add_member(&b, BUNDLE_FACTS, "{}", 2) == NULL);
    CHECK(bundle_add_member(&b, "../etc/passwd", "x", 1) == NULL);
    /* sha256 of "{}\n" (sha256sum). */
    CHECK_STR(b.members[0].sha256,
              "ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356");
    cJSON *json = bundle_manifest_to_json(&b);
    char *text = cJSON_Print(json);
    struct hb_error err = HB_ERROR_INIT;
    if (bundle_manifest_parse(&back, text, strlen(text), "x.tar.gz", &err) < 0) {
        test_fail(__FILE__, __LINE__, "parse: %s", err.msg);
    } else {
        CHECK_STR(back.name, "sample");
        CHECK_STR(back.halobox_version, "0.1.0");
        CHECK_STR(back.created, "2026-11-22T01:02:03Z");
        CHECK_U64(back.n_members, 4);
        for (size_t i = 0; i < 4 && i < back.n_members; i++) {
            CHECK_STR(back.members[i].path, b.members[i].path);
            CHECK_U64(back.members[i].size, b.members[i].size);
            CHECK_STR(back.members[i].sha256, b.members[i].sha256);
            CHECK(back.members[i].kind == b.members[i].kind);
        }
        bundle_release(&back);
    }
    free(text);
    cJSON_Delete(json);
    bundle_release(&b);
    hb_error_release(&err);
}

/* A manifest with one member, its fields as given. */
static char *manifest_text(const char *schema, const char *name, const char *members)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb,
                "{\"schema\":\"%s\",\"name\":\"%s\",\"halobox_version\":\"0.1.0\","
                "\"created\":\"2026-11-22T01:02:03Z\",\"members\":%s}",
                schema, name, members);
    return strbuf_detach(&sb);
}

#define FACTS_M "{\"path\":\"facts.json\",\"size\":3,\"sha256\":\"" HEX_A "\"}"
#define RUN_M   "{\"path\":\"runs/" RUN_A ".jsonl\",\"size\":8,\"sha256\":\"" HEX_A "\"}"

static void test_manifest_invalid(void)
{
    static const struct {
        const char *schema, *name, *members, *error;
    } cases[] = {
        {"halobox.bundle/2", "b", "[" FACTS_M "," RUN_M "]", "not of schema halobox.bundle/1"},
        {BUNDLE_SCHEMA, "../b", "[" FACTS_M "," RUN_M "]", "manifest name must be"},
        {BUNDLE_SCHEMA, "b", "{}", "lacks its members array"},
        {BUNDLE_SCHEMA, "b", "[" RUN_M "]", "lists no facts.json"},
        {BUNDLE_SCHEMA, "b", "[" FACTS_M "]", "lists no run"},
        {BUNDLE_SCHEMA, "b", "[" FACTS_M "," RUN_M "," RUN_M "]",
         "lists 'runs/" RUN_A ".jsonl' twice"},
        {BUNDLE_SCHEMA, "b",
         "[" FACTS_M ",{\"path\":\"../../x\",\"size\":1,\"sha256\":\"" HEX_A "\"}]",
         "manifest member '../../x' is not facts.json"},
        {BUNDLE_SCHEMA, "b",
         "[" FACTS_M ",{\"path\":\"runs/x.jsonl\",\"size\":-1,\"sha256\":\"" HEX_A "\"}]",
         "size must be a whole number"},
        {BUNDLE_SCHEMA, "b",
         "[" FACTS_M ",{\"path\":\"runs/x.jsonl\",\"size\":1.5,\"sha256\":\"" HEX_A "\"}]",
         "size must be a whole number"},
        {BUNDLE_SCHEMA, "b",
         "[" FACTS_M ",{\"path\":\"runs/x.jsonl\",\"size\":99999999999,\"sha256\":\"" HEX_A "\"}]",
         "size must be a whole number"},
        {BUNDLE_SCHEMA, "b",
         "[" FACTS_M ",{\"path\":\"runs/x.jsonl\",\"size\":1,\"sha256\":\"ABC\"}]",
         "sha256 must be 64 lower-case hex digits"},
        {BUNDLE_SCHEMA, "b",
         "[" FACTS_M "," RUN_M ",{\"path\":\"logs/other.log\",\"size\":1,\"sha256\":\"" HEX_A
         "\"}]",
         "lists 'logs/other.log' without its run"},
        {BUNDLE_SCHEMA, "b", "[" FACTS_M ",7]", "members[1] is not an object"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *text = manifest_text(cases[i].schema, cases[i].name, cases[i].members);
        struct bundle b;
        struct hb_error err = HB_ERROR_INIT;
        if (bundle_manifest_parse(&b, text, strlen(text), "x.tar.gz", &err) == 0) {
            test_fail(__FILE__, __LINE__, "case %zu accepted: %s", i, text);
            bundle_release(&b);
        } else {
            CHECK_ERR(&err, cases[i].error);
            CHECK_ERR(&err, "x.tar.gz: ");
            CHECK(err.exit_code == EXIT_INPUT);
            CHECK(!strchr(err.msg, '\n'));
        }
        hb_error_release(&err);
        free(text);
    }
    /* Not JSON at all, or not an object. */
    static const char *const junk[] = {"", "[]", "{", "null", "\"x\""};
    for (size_t i = 0; i < ARRAY_SIZE(junk); i++) {
        struct bundle b;
        struct hb_error err = HB_ERROR_INIT;
        CHECK(bundle_manifest_parse(&b, junk[i], strlen(junk[i]), "x.tar.gz", &err) < 0);
        CHECK_ERR(&err, "manifest.json is not a JSON object");
        hb_error_release(&err);
    }
}

/* b written to a file and read back into memory. */
static int write_and_load(const struct bundle *b, struct strbuf *data)
{
    struct strbuf path = STRBUF_INIT;
    strbuf_addf(&path, "%s/b.tar.gz", tmpdir);
    int fd = open(path.buf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    struct hb_error err = HB_ERROR_INIT;
    int r = bundle_write(b, fd, 1795000000, path.buf, &err);
    if (r < 0)
        test_fail(__FILE__, __LINE__, "write: %s", err.msg);
    close(fd);
    if (r == 0 && read_small_file(path.buf, BUNDLE_FILE_MAX, data) < 0)
        r = -1;
    hb_error_release(&err);
    strbuf_release(&path);
    return r;
}

static void test_archive_roundtrip(void)
{
    struct bundle b, back;
    sample_bundle(&b);
    struct strbuf data = STRBUF_INIT, again = STRBUF_INIT;
    struct hb_error err = HB_ERROR_INIT;
    if (write_and_load(&b, &data) == 0) {
        /* gzip, and the same bundle gives the same bytes. */
        CHECK(data.len > 2 && (unsigned char)data.buf[0] == 0x1f &&
              (unsigned char)data.buf[1] == 0x8b);
        CHECK(write_and_load(&b, &again) == 0);
        CHECK(again.len == data.len && !memcmp(again.buf, data.buf, data.len));
        if (bundle_read(&back, data.buf, data.len, "b.tar.gz", &err) < 0) {
            test_fail(__FILE__, __LINE__, "read: %s", err.msg);
        } else {
            CHECK_STR(back.name, "sample");
            CHECK_U64(back.n_members, 4);
            for (size_t i = 0; i < 4 && i < back.n_members; i++) {
                CHECK(back.members[i].seen);
                CHECK_U64(back.members[i].data.len, b.members[i].data.len);
                CHECK(!memcmp(back.members[i].data.buf, b.members[i].data.buf,
                              b.members[i].data.len));
            }
            bundle_release(&back);
        }
        /* Every shorter prefix is refused (cut short), never accepted or
         * crashed on. */
        for (size_t cut = 0; cut < data.len; cut += 7) {
            hb_error_release(&err);
            if (bundle_read(&back, data.buf, cut, "b.tar.gz", &err) == 0) {
                test_fail(__FILE__, __LINE__, "a bundle cut at %zu of %zu bytes was accepted", cut,
                          data.len);
                bundle_release(&back);
                break;
            }
            CHECK(err.exit_code == EXIT_INPUT);
        }
        /* A flipped byte in the compressed data: refused. */
        data.buf[data.len / 2] ^= 0x55;
        hb_error_release(&err);
        CHECK(bundle_read(&back, data.buf, data.len, "b.tar.gz", &err) < 0);
        CHECK(err.exit_code == EXIT_INPUT);
    }
    hb_error_release(&err);
    CHECK(bundle_read(&back, "not a bundle", 12, "n.tar.gz", &err) < 0);
    CHECK_ERR(&err, "n.tar.gz: not a tar.gz bundle");
    hb_error_release(&err);
    strbuf_release(&data);
    strbuf_release(&again);
    bundle_release(&b);
}

static void test_log_cap(void)
{
    struct strbuf dir = STRBUF_INIT, path = STRBUF_INIT, text = STRBUF_INIT;
    strbuf_addf(&dir, "%s/runs", tmpdir);
    struct hb_error err = HB_ERROR_INIT;
    struct bench_run run = {0};
    run.id = xstrdup(RUN_A);
    struct bench_writer *w;
    CHECK(bench_writer_open(&w, dir.buf, &run, &err) == 0);
    if (w) {
        CHECK(bench_writer_add_log(w, "cpu", "load_backend: loaded CPU backend", 32, &err) == 0);
        /* A runaway engine: more than the cap in one recipe. */
        size_t big = BENCH_LOG_MAX + 4096;
        char *junk = xcalloc(big, 1);
        memset(junk, 'x', big);
        CHECK(bench_writer_add_log(w, "vulkan-radv", junk, big, &err) == 0);
        CHECK(bench_writer_add_log(w, "rocm", "more", 4, &err) == 0);
        free(junk);
        bench_writer_free(w);
        bench_log_path(dir.buf, RUN_A, &path);
        CHECK(read_small_file(path.buf, 2 * BENCH_LOG_MAX, &text) == 0);
        CHECK_U64(text.len, BENCH_LOG_MAX);
        CHECK(!strncmp(text.buf,
                       "== recipe cpu\nload_backend: loaded CPU backend\n== recipe "
                       "vulkan-radv\nxxx",
                       70));
        CHECK(strstr(text.buf, "[halobox: the log is cut here, at its size limit]\n") != NULL);
        CHECK(!strstr(text.buf, "rocm"));
    }
    bench_run_release(&run);
    hb_error_release(&err);
    strbuf_release(&dir);
    strbuf_release(&path);
    strbuf_release(&text);
}

/* The loader that libarchive and libcurl share: a soname that is not there,
 * one without a symbol, then one with it (the C library itself). */
static void test_dl_library(void)
{
    struct {
        int (*fn)(const char *);
    } table = {0};
    static const struct dl_symbol missing[] = {{"halobox_no_such_symbol", 0}};
    static const struct dl_symbol present[] = {{"atoi", 0}};
    static const char *const nosuch[] = {"libhalobox-no-such.so.0"};
    static const char *const libc[] = {"libhalobox-no-such.so.0", "libc.so.6"};
    struct dl_library lib = {"libnosuch", "nothing", nosuch, 1, present, 1, &table, false};
    struct hb_error err = HB_ERROR_INIT;
    CHECK(dl_library_load(&lib, &err) < 0);
    CHECK_ERR(&err,
              "libnosuch is needed for this and could not be loaded (libhalobox-no-such.so.0");
    CHECK_ERR(&err, "): install nothing");
    CHECK(err.exit_code == EXIT_RUNTIME);
    hb_error_release(&err);
    lib = (struct dl_library){"libc", "libc6", libc, 2, missing, 1, &table, false};
    CHECK(dl_library_load(&lib, &err) < 0);
    CHECK_ERR(&err, "(libc.so.6 lacks halobox_no_such_symbol)");
    hb_error_release(&err);
    lib = (struct dl_library){"libc", "libc6", libc, 2, present, 1, &table, false};
    CHECK(dl_library_load(&lib, &err) == 0);
    CHECK(lib.loaded && table.fn && table.fn("42") == 42);
    CHECK(dl_library_load(&lib, &err) == 0);
    hb_error_release(&err);
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/halobox-test-bundle-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_member_paths);
    RUN(test_manifest_roundtrip);
    RUN(test_manifest_invalid);
    RUN(test_archive_roundtrip);
    RUN(test_log_cap);
    RUN(test_dl_library);
    struct strbuf p = STRBUF_INIT;
    strbuf_addf(&p, "%s/runs/%s.jsonl", tmpdir, RUN_A);
    unlink(p.buf);
    strbuf_reset(&p);
    strbuf_addf(&p, "%s/runs/%s.log", tmpdir, RUN_A);
    unlink(p.buf);
    strbuf_reset(&p);
    strbuf_addf(&p, "%s/runs", tmpdir);
    rmdir(p.buf);
    strbuf_reset(&p);
    strbuf_addf(&p, "%s/b.tar.gz", tmpdir);
    unlink(p.buf);
    strbuf_release(&p);
    rmdir(tmpdir);
    return test_summary();
}
