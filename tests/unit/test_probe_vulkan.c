/* The Vulkan probe, for real: on this machine's loader and lavapipe, with no
 * driver at all, and with fake ICDs (tests/fixtures/icd/fake_icd.c, built
 * here with cc) that hang or crash the way a driver on a wedged GPU does.
 * Then the parent's reading of the child's records, with children that
 * write what a broken probe could. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <dlfcn.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/probe.h"
#include "probe_helpers.h"
#include "test.h"
#include "util/run.h"

/* The probe's own finish, with the raw output it also returns dropped. */
static void finish_vulkan(struct probe_child *c, struct facts_vulkan *out, int timeout_ms)
{
    struct strbuf raw = STRBUF_INIT;
    probe_vulkan_finish(c, out, timeout_ms, &raw);
    strbuf_release(&raw);
}

/* Environment the loader reads; each test starts from none of it. */
static void clear_env(void)
{
    unsetenv("VK_DRIVER_FILES");
    unsetenv("VK_ICD_FILENAMES");
    unsetenv("HALOBOX_PROBE_TIMEOUT_MS");
}

static void probe(struct facts *f, long long *elapsed_ms)
{
    struct probe_child c;
    long long t0 = now_ms();
    probe_vulkan_start(&c);
    finish_vulkan(&c, &f->vulkan, probe_timeout_ms());
    if (elapsed_ms)
        *elapsed_ms = now_ms() - t0;
    CHECK(no_children_left());
}

static bool contains(const char *s, const char *needle)
{
    return s && strstr(s, needle);
}

static void test_this_host(void)
{
    clear_env();
    cleanup_facts struct facts f;
    facts_init(&f);
    long long ms;
    probe(&f, &ms);
    printf("# vulkan probe on this host (lavapipe): %lld ms\n", ms);
    struct facts_vulkan *vk = &f.vulkan;
    CHECK(vk->devices_known);
    CHECK_STR(vk->error, NULL);
    /* Debian 12's loader is 1.3.239: "1.3.N". */
    CHECK(vk->loader && str_starts_with(vk->loader, "1.") && strchr(vk->loader + 2, '.'));
    size_t llvmpipe = 0;
    for (size_t i = 0; i < vk->n_devices; i++) {
        const struct facts_vulkan_device *d = &vk->devices[i];
        if (!str_eq(d->driver, "llvmpipe"))
            continue;
        llvmpipe++;
        CHECK_STR(d->type, "cpu");
        CHECK(contains(d->name, "llvmpipe"));
        CHECK(d->vendor_id.known && d->vendor_id.v == 0x10005); /* VK_VENDOR_ID_MESA */
        CHECK(d->device_id.known);
        CHECK(contains(d->driver_info, "Mesa"));
        CHECK(d->api_version && str_starts_with(d->api_version, "1."));
        /* lavapipe's heap is system memory, flagged device-local. */
        CHECK(d->device_local_bytes.known && d->device_local_bytes.v > 0);
        CHECK(d->max_allocation_bytes.known && d->max_allocation_bytes.v > 0);
    }
    CHECK(llvmpipe >= 1);
    /* The loader and its ICDs were only ever in the child. */
    void *h = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_NOLOAD);
    CHECK(h == NULL);
    if (h)
        dlclose(h);
}

static void test_no_driver(void)
{
    clear_env();
    setenv("VK_DRIVER_FILES", "/nonexistent.json", 1);
    setenv("VK_ICD_FILENAMES", "/nonexistent.json", 1);
    cleanup_facts struct facts f;
    facts_init(&f);
    probe(&f, NULL);
    clear_env();
    struct facts_vulkan *vk = &f.vulkan;
    /* No driver is a fact about the host: zero devices, not unknown. */
    CHECK(vk->devices_known);
    CHECK_U64(vk->n_devices, 0);
    CHECK_STR(vk->error, "vkCreateInstance failed: VK_ERROR_INCOMPATIBLE_DRIVER (-9)");
    CHECK(vk->loader != NULL);
}

/* A temporary directory with the fake ICD built as NAME.so and a manifest
 * NAME.json naming it. */
struct fake_icd {
    char dir[64];
    struct strbuf so, json, marker;
};

static bool fake_icd_build(struct fake_icd *icd, const char *define)
{
    strbuf_init(&icd->so);
    strbuf_init(&icd->json);
    strbuf_init(&icd->marker);
    snprintf(icd->dir, sizeof(icd->dir), "/tmp/halobox-test-icd-XXXXXX");
    if (!mkdtemp(icd->dir)) {
        test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
        icd->dir[0] = '\0';
        return false;
    }
    cleanup_strbuf struct strbuf src = STRBUF_INIT;
    fixture_path(&src, "icd/fake_icd.c");
    strbuf_addf(&icd->so, "%s/icd.so", icd->dir);
    strbuf_addf(&icd->json, "%s/icd.json", icd->dir);
    strbuf_addf(&icd->marker, "%s/reached", icd->dir);
    const char *argv[] = {"cc", "-shared",   "-fPIC", "-O1", define,
                          "-o", icd->so.buf, src.buf, NULL};
    cleanup_strbuf struct strbuf out = STRBUF_INIT;
    cleanup_error struct hb_error err = HB_ERROR_INIT;
    if (run_capture(argv, 60000, 65536, &out, &err) < 0) {
        /* Fail loudly: a test that cannot build its driver proves nothing. */
        printf("# not run: cannot build the fake ICD %s with cc %s: %s\n", src.buf, define,
               err.msg);
        test_fail(__FILE__, __LINE__, "fake ICD not built: %s", err.msg);
        return false;
    }
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "file_format_version", "1.0.0");
    cJSON *icd_obj = cJSON_AddObjectToObject(m, "ICD");
    cJSON_AddStringToObject(icd_obj, "library_path", icd->so.buf);
    cJSON_AddStringToObject(icd_obj, "api_version", "1.3.0");
    char *text = cJSON_Print(m);
    cJSON_Delete(m);
    FILE *fp = fopen(icd->json.buf, "w");
    bool ok = fp && fputs(text, fp) >= 0;
    if (fp && fclose(fp) != 0)
        ok = false;
    cJSON_free(text);
    CHECK(ok);
    return ok;
}

static void fake_icd_remove(struct fake_icd *icd)
{
    if (icd->dir[0]) {
        unlink(icd->so.buf);
        unlink(icd->json.buf);
        unlink(icd->marker.buf);
        rmdir(icd->dir);
    }
    strbuf_release(&icd->so);
    strbuf_release(&icd->json);
    strbuf_release(&icd->marker);
}

/* Probes with only the fake driver installed; true when the driver got as
 * far as its misbehaving call. */
static bool run_with_icd(const char *define, struct facts *f, long long *ms)
{
    struct fake_icd icd;
    if (!fake_icd_build(&icd, define)) {
        fake_icd_remove(&icd);
        return false;
    }
    clear_env();
    setenv("VK_DRIVER_FILES", icd.json.buf, 1);
    setenv("VK_ICD_FILENAMES", icd.json.buf, 1);
    setenv("FAKE_ICD_MARKER", icd.marker.buf, 1);
    setenv("HALOBOX_PROBE_TIMEOUT_MS", "1500", 1);
    probe(f, ms);
    clear_env();
    unsetenv("FAKE_ICD_MARKER");
    bool reached = access(icd.marker.buf, F_OK) == 0;
    fake_icd_remove(&icd);
    return reached;
}

static void test_hanging_icd(void)
{
    cleanup_facts struct facts f;
    facts_init(&f);
    long long ms = -1;
    CHECK(run_with_icd("-DFAKE_ICD_HANG", &f, &ms));
    struct facts_vulkan *vk = &f.vulkan;
    CHECK(ms >= 1500 && ms < 2500);
    CHECK_STR(vk->error, "probe timed out after 1500 ms");
    CHECK(!vk->devices_known);
    CHECK_U64(vk->n_devices, 0);
    /* Reported before vkCreateInstance hung. */
    CHECK(vk->loader != NULL);
}

static void test_crashing_icd(void)
{
    cleanup_facts struct facts f;
    facts_init(&f);
    long long ms = -1;
    CHECK(run_with_icd("-DFAKE_ICD_CRASH", &f, &ms));
    struct facts_vulkan *vk = &f.vulkan;
    CHECK(ms >= 0 && ms < 1500);
    CHECK_STR(vk->error, "probe killed by signal 11");
    CHECK(!vk->devices_known);
    CHECK_U64(vk->n_devices, 0);
    CHECK(vk->loader != NULL);
}

static void finish_with(const char *text, int exit_code, struct facts_vulkan *vk)
{
    /* The parent's side alone: a child that writes given text. */
    struct probe_child c;
    CHECK(start_child_writing(&c, "vulkan", text, exit_code) == 0);
    finish_vulkan(&c, vk, 5000);
    CHECK(no_children_left());
}

static void test_parse_strix_halo(void)
{
    cleanup_facts struct facts f;
    facts_init(&f);
    /* Leftovers from an earlier probe are replaced, not leaked. */
    f.vulkan.loader = xstrdup("0.0.0");
    f.vulkan.error = xstrdup("old");
    facts_add_vulkan_device(&f.vulkan)->name = xstrdup("old device");
    finish_with("{\"loader\":\"1.4.313\"}\n"
                "{\"devices_known\":true,\"error\":null,\"devices\":[{"
                "\"name\":\"AMD Radeon 8060S Graphics (RADV GFX1151)\","
                "\"vendor_id\":4098,\"device_id\":5510,\"type\":\"integrated\","
                "\"driver\":\"radv\",\"driver_info\":\"Mesa 25.1.4\","
                "\"api_version\":\"1.4.311\",\"device_local_bytes\":133143986176,"
                "\"max_allocation_bytes\":4294967292}]}\n",
                0, &f.vulkan);
    struct facts_vulkan *vk = &f.vulkan;
    CHECK_STR(vk->loader, "1.4.313");
    CHECK_STR(vk->error, NULL);
    CHECK(vk->devices_known);
    CHECK_U64(vk->n_devices, 1);
    if (vk->n_devices != 1)
        return;
    const struct facts_vulkan_device *d = &vk->devices[0];
    CHECK_STR(d->name, "AMD Radeon 8060S Graphics (RADV GFX1151)");
    CHECK(d->vendor_id.known);
    CHECK_U64(d->vendor_id.v, 0x1002);
    CHECK_U64(d->device_id.v, 0x1586);
    CHECK_STR(d->type, "integrated");
    CHECK_STR(d->driver, "radv");
    CHECK_STR(d->driver_info, "Mesa 25.1.4");
    CHECK_STR(d->api_version, "1.4.311");
    CHECK_U64(d->device_local_bytes.v, 133143986176ULL);
    CHECK_U64(d->max_allocation_bytes.v, 4294967292ULL);
}

static void test_parse_unknown_values(void)
{
    cleanup_facts struct facts f;
    facts_init(&f);
    /* An old driver without VkPhysicalDeviceDriverProperties. */
    finish_with("{\"loader\":\"1.0\"}\n{\"devices_known\":true,\"error\":null,\"devices\":[{"
                "\"name\":\"AMD RADV TAHITI\",\"vendor_id\":4098,\"device_id\":26520,"
                "\"type\":\"discrete\",\"driver\":null,\"driver_info\":null,"
                "\"api_version\":\"1.0.2\",\"device_local_bytes\":3221225472,"
                "\"max_allocation_bytes\":null}]}",
                0, &f.vulkan);
    struct facts_vulkan *vk = &f.vulkan;
    CHECK_STR(vk->loader, "1.0");
    CHECK_U64(vk->n_devices, 1);
    if (vk->n_devices != 1)
        return;
    CHECK_STR(vk->devices[0].driver, NULL);
    CHECK_STR(vk->devices[0].driver_info, NULL);
    CHECK(!vk->devices[0].max_allocation_bytes.known);
    CHECK(vk->devices[0].device_local_bytes.known);
}

static void test_parse_garbage(void)
{
    cleanup_facts struct facts f;
    facts_init(&f);
    finish_with("{\"loader\":\"1.3.239\"}\nSegmentation fault\n", 0, &f.vulkan);
    CHECK_STR(f.vulkan.error, "probe returned malformed output");
    CHECK(!f.vulkan.devices_known);
    CHECK_STR(f.vulkan.loader, NULL);

    cleanup_facts struct facts g;
    facts_init(&g);
    finish_with("{\"devices_known\":true,\"devices\":[{\"name\":7}]}\n", 0, &g.vulkan);
    CHECK_STR(g.vulkan.error, "probe returned malformed output");
    CHECK(!g.vulkan.devices_known);
    CHECK_U64(g.vulkan.n_devices, 0);

    cleanup_facts struct facts h;
    facts_init(&h);
    finish_with("{\"devices_known\":\"yes\"}\n", 0, &h.vulkan);
    CHECK_STR(h.vulkan.error, "probe returned malformed output");
    CHECK(!h.vulkan.devices_known);
}

static void test_parse_no_result(void)
{
    cleanup_facts struct facts f;
    facts_init(&f);
    finish_with("{\"loader\":\"1.3.239\"}\n", 0, &f.vulkan);
    CHECK_STR(f.vulkan.error, "probe returned no result");
    CHECK(!f.vulkan.devices_known);
    CHECK_STR(f.vulkan.loader, "1.3.239");
}

static void test_parse_cut_short(void)
{
    cleanup_facts struct facts f;
    facts_init(&f);
    /* A final record cut off by the crash is not read as one. */
    finish_with("{\"loader\":\"1.3.239\"}\n{\"devices_known\":true,\"devices\":[{\"na", 3,
                &f.vulkan);
    CHECK_STR(f.vulkan.error, "probe exited with status 3");
    CHECK(!f.vulkan.devices_known);
    CHECK_U64(f.vulkan.n_devices, 0);
    CHECK_STR(f.vulkan.loader, "1.3.239");
}

static void test_not_started(void)
{
    cleanup_facts struct facts f;
    facts_init(&f);
    struct probe_child c = {.pid = 0, .fd = -1, .what = "vulkan"};
    finish_vulkan(&c, &f.vulkan, 100);
    CHECK_STR(f.vulkan.error, "probe not started");
    CHECK(!f.vulkan.devices_known);
}

int main(void)
{
    RUN(test_this_host);
    RUN(test_no_driver);
    RUN(test_hanging_icd);
    RUN(test_crashing_icd);
    RUN(test_parse_strix_halo);
    RUN(test_parse_unknown_values);
    RUN(test_parse_garbage);
    RUN(test_parse_no_result);
    RUN(test_parse_cut_short);
    RUN(test_not_started);
    return test_summary();
}
