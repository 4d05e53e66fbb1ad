/* The HIP probe, for real: on Debian's libamdhip64.so.5 (ROCm 5.2, which
 * loads without a GPU and reports none), and on fake runtimes
 * (tests/fixtures/hip/fake_hip.c, built here with cc) that describe a Strix
 * Halo through each hipDeviceProp_t layout, or crash. Then the parent's
 * reading of the child's records. */
#include "util/common.h"

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
static void finish_hip(struct probe_child *c, struct facts_rocm *out, int timeout_ms)
{
    struct strbuf raw = STRBUF_INIT;
    probe_hip_finish(c, out, timeout_ms, &raw);
    strbuf_release(&raw);
}

static void probe(struct facts *f, long long *elapsed_ms)
{
    struct probe_child c;
    long long t0 = now_ms();
    probe_hip_start(&c);
    finish_hip(&c, &f->rocm, probe_timeout_ms());
    if (elapsed_ms)
        *elapsed_ms = now_ms() - t0;
    CHECK(no_children_left());
}

/* "5.2.21153": three dot-separated numbers. */
static bool is_version(const char *v)
{
    int parts = 0;
    while (v && *v) {
        if (*v < '0' || *v > '9')
            return false;
        while (*v >= '0' && *v <= '9')
            v++;
        parts++;
        if (*v == '.')
            v++;
        else if (*v)
            return false;
    }
    return parts == 3;
}

static void test_this_host(void)
{
    unsetenv("ROCM_PATH");
    unsetenv("HALOBOX_PROBE_TIMEOUT_MS");
    cleanup_facts struct facts f;
    facts_init(&f);
    long long ms;
    probe(&f, &ms);
    printf("# hip probe on this host: %lld ms\n", ms);
    struct facts_rocm *r = &f.rocm;
    if (str_eq(r->runtime_error, "libamdhip64 not found")) {
        /* Fail loudly: the real runtime is what this test is about. */
        printf("# not run: no libamdhip64 here (scripts/install-deps --test installs it)\n");
        test_fail(__FILE__, __LINE__, "no HIP runtime to probe");
        return;
    }
    /* Debian 12: libamdhip64.so.5, hipRuntimeGetVersion 50221153. */
    CHECK(is_version(r->runtime_version));
    /* The file found through the library search path, not just the name. */
    CHECK(r->runtime_path && r->runtime_path[0] == '/');
    const char *so = r->runtime_path ? strstr(r->runtime_path, "libamdhip64.so.") : NULL;
    CHECK(so != NULL);
    if (so && r->runtime_version) {
        /* The soname's number is the ROCm major version. */
        const char *major = so + strlen("libamdhip64.so.");
        size_t n = strspn(major, "0123456789");
        CHECK(n > 0 && !strncmp(r->runtime_version, major, n) && r->runtime_version[n] == '.');
    }
    CHECK(r->devices_known);
    /* No GPU here: the runtime loads and says so. */
    CHECK_U64(r->n_devices, 0);
    CHECK_STR(r->runtime_error, "hipGetDeviceCount returned 100 (no device)");
}

/* A temporary ROCM_PATH with lib/libamdhip64.so built from the fixture. */
struct fake_rocm {
    char dir[64];
    struct strbuf lib_dir, so;
};

static bool fake_rocm_make_dir(struct fake_rocm *fr)
{
    strbuf_init(&fr->lib_dir);
    strbuf_init(&fr->so);
    snprintf(fr->dir, sizeof(fr->dir), "/tmp/halobox-test-rocm-XXXXXX");
    if (!mkdtemp(fr->dir)) {
        test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
        fr->dir[0] = '\0';
        return false;
    }
    strbuf_addf(&fr->lib_dir, "%s/lib", fr->dir);
    strbuf_addf(&fr->so, "%s/libamdhip64.so", fr->lib_dir.buf);
    if (mkdir(fr->lib_dir.buf, 0700) < 0) {
        test_fail(__FILE__, __LINE__, "mkdir: %s", strerror(errno));
        return false;
    }
    return true;
}

/* define: "" for the ROCm 6 fake, or -DFAKE_HIP_ROCM5 / -DFAKE_HIP_CRASH. */
static bool fake_rocm_build(struct fake_rocm *fr, const char *define)
{
    if (!fake_rocm_make_dir(fr))
        return false;
    cleanup_strbuf struct strbuf src = STRBUF_INIT;
    fixture_path(&src, "hip/fake_hip.c");
    const char *argv[] = {"cc", "-shared", "-fPIC", "-O1", "-o", fr->so.buf, src.buf, NULL, NULL};
    if (*define)
        argv[7] = define;
    cleanup_strbuf struct strbuf out = STRBUF_INIT;
    cleanup_error struct hb_error err = HB_ERROR_INIT;
    if (run_capture(argv, 60000, 65536, &out, &err) < 0) {
        /* Fail loudly: a test that cannot build its runtime proves nothing. */
        printf("# not run: cannot build the fake HIP runtime %s with cc %s: %s\n", src.buf, define,
               err.msg);
        test_fail(__FILE__, __LINE__, "fake HIP runtime not built: %s", err.msg);
        return false;
    }
    return true;
}

static void fake_rocm_remove(struct fake_rocm *fr)
{
    if (fr->dir[0]) {
        unlink(fr->so.buf);
        rmdir(fr->lib_dir.buf);
        rmdir(fr->dir);
    }
    strbuf_release(&fr->lib_dir);
    strbuf_release(&fr->so);
}

/* Probes with ROCM_PATH at a fake runtime; false when it was not built. */
static bool probe_fake(const char *define, struct facts *f, struct strbuf *so_path)
{
    struct fake_rocm fr;
    bool ok = fake_rocm_build(&fr, define);
    if (ok) {
        setenv("ROCM_PATH", fr.dir, 1);
        probe(f, NULL);
        unsetenv("ROCM_PATH");
        strbuf_addstr(so_path, fr.so.buf);
    }
    fake_rocm_remove(&fr);
    return ok;
}

static void test_fake_rocm6_strix_halo(void)
{
    cleanup_facts struct facts f;
    facts_init(&f);
    cleanup_strbuf struct strbuf so = STRBUF_INIT;
    if (!probe_fake("", &f, &so))
        return;
    struct facts_rocm *r = &f.rocm;
    CHECK_STR(r->runtime_version, "6.4.43021");
    /* ROCM_PATH comes before the system's own libamdhip64.so.5. */
    CHECK_STR(r->runtime_path, so.buf);
    CHECK_STR(r->runtime_error, NULL);
    CHECK(r->devices_known);
    CHECK_U64(r->n_devices, 1);
    if (r->n_devices != 1)
        return;
    const struct facts_rocm_device *d = &r->devices[0];
    CHECK_STR(d->name, "AMD Radeon 8060S Graphics");
    /* From hipGetDevicePropertiesR0600: the legacy symbol says gfx900. */
    CHECK_STR(d->gfx, "gfx1151");
    CHECK(d->total_bytes.known);
    CHECK_U64(d->total_bytes.v, 133143986176ULL);
    CHECK(d->integrated == TRI_YES);
}

static void test_fake_rocm5_layout(void)
{
    cleanup_facts struct facts f;
    facts_init(&f);
    cleanup_strbuf struct strbuf so = STRBUF_INIT;
    if (!probe_fake("-DFAKE_HIP_ROCM5", &f, &so))
        return;
    struct facts_rocm *r = &f.rocm;
    CHECK_STR(r->runtime_version, "5.2.21153");
    CHECK_STR(r->runtime_path, so.buf);
    CHECK(r->devices_known);
    CHECK_U64(r->n_devices, 1);
    if (r->n_devices != 1)
        return;
    /* This fake has no hipDeviceGetName or hipDeviceTotalMem: every value
     * below was read from the ROCm 5 structure. */
    const struct facts_rocm_device *d = &r->devices[0];
    CHECK_STR(d->name, "AMD Radeon RX 7900 XTX");
    CHECK_STR(d->gfx, "gfx1100");
    CHECK_U64(d->total_bytes.v, 25753026560ULL);
    CHECK(d->integrated == TRI_NO);
}

static void test_fake_crash(void)
{
    cleanup_facts struct facts f;
    facts_init(&f);
    f.rocm.kfd_present = TRI_YES;
    f.rocm.kfd_access = TRI_NO;
    cleanup_strbuf struct strbuf so = STRBUF_INIT;
    if (!probe_fake("-DFAKE_HIP_CRASH", &f, &so))
        return;
    struct facts_rocm *r = &f.rocm;
    CHECK_STR(r->runtime_error, "probe killed by signal 11");
    CHECK(!r->devices_known);
    CHECK_U64(r->n_devices, 0);
    /* Reported before hipGetDeviceCount crashed. */
    CHECK_STR(r->runtime_version, "6.4.43021");
    CHECK_STR(r->runtime_path, so.buf);
    /* probe_kfd's fields are not the HIP probe's to touch. */
    CHECK(r->kfd_present == TRI_YES);
    CHECK(r->kfd_access == TRI_NO);
}

/* A ROCM_PATH whose library does not load is passed over for the next
 * candidate, not reported as the runtime. */
static void test_broken_rocm_path(void)
{
    struct fake_rocm fr;
    if (!fake_rocm_make_dir(&fr)) {
        fake_rocm_remove(&fr);
        return;
    }
    FILE *fp = fopen(fr.so.buf, "w");
    CHECK(fp != NULL);
    if (fp) {
        fputs("not an ELF file\n", fp);
        fclose(fp);
    }
    cleanup_facts struct facts f;
    facts_init(&f);
    setenv("ROCM_PATH", fr.dir, 1);
    probe(&f, NULL);
    unsetenv("ROCM_PATH");
    /* The system's runtime (test_this_host), with its version. */
    CHECK(f.rocm.runtime_path && strstr(f.rocm.runtime_path, "libamdhip64.so."));
    CHECK(!str_eq(f.rocm.runtime_path, fr.so.buf));
    CHECK(is_version(f.rocm.runtime_version));
    fake_rocm_remove(&fr);
}

static void finish_with(const char *text, int exit_code, struct facts_rocm *r)
{
    /* The parent's side alone: a child that writes given text. */
    struct probe_child c;
    CHECK(start_child_writing(&c, "hip", text, exit_code) == 0);
    finish_hip(&c, r, 5000);
    CHECK(no_children_left());
}

static void test_parse_records(void)
{
    cleanup_facts struct facts f;
    facts_init(&f);
    f.rocm.kfd_present = TRI_YES;
    /* Leftovers from an earlier probe are replaced, not leaked. */
    f.rocm.runtime_version = xstrdup("0.0.0");
    f.rocm.runtime_error = xstrdup("old");
    facts_add_rocm_device(&f.rocm)->gfx = xstrdup("gfx000");
    finish_with("{\"runtime_path\":\"/opt/rocm/lib/libamdhip64.so\","
                "\"runtime_version\":\"7.2.1\"}\n"
                "{\"devices_known\":true,\"runtime_error\":null,\"devices\":["
                "{\"name\":\"Radeon 8060S Graphics\",\"gfx\":\"gfx1151\","
                "\"total_bytes\":133143986176,\"integrated\":true},"
                "{\"name\":null,\"gfx\":null,\"total_bytes\":null,\"integrated\":null}]}\n",
                0, &f.rocm);
    struct facts_rocm *r = &f.rocm;
    CHECK_STR(r->runtime_version, "7.2.1");
    CHECK_STR(r->runtime_path, "/opt/rocm/lib/libamdhip64.so");
    CHECK_STR(r->runtime_error, NULL);
    CHECK(r->devices_known);
    CHECK(r->kfd_present == TRI_YES);
    CHECK_U64(r->n_devices, 2);
    if (r->n_devices != 2)
        return;
    CHECK_STR(r->devices[0].gfx, "gfx1151");
    CHECK_U64(r->devices[0].total_bytes.v, 133143986176ULL);
    CHECK(r->devices[0].integrated == TRI_YES);
    /* Unknown stays unknown. */
    CHECK_STR(r->devices[1].gfx, NULL);
    CHECK(!r->devices[1].total_bytes.known);
    CHECK(r->devices[1].integrated == TRI_UNKNOWN);
}

static void test_parse_not_found(void)
{
    cleanup_facts struct facts f;
    facts_init(&f);
    finish_with("{\"devices_known\":false,\"runtime_error\":\"libamdhip64 not found\","
                "\"devices\":[]}\n",
                0, &f.rocm);
    CHECK_STR(f.rocm.runtime_error, "libamdhip64 not found");
    CHECK_STR(f.rocm.runtime_version, NULL);
    CHECK_STR(f.rocm.runtime_path, NULL);
    CHECK(!f.rocm.devices_known);
}

static void test_parse_garbage(void)
{
    cleanup_facts struct facts f;
    facts_init(&f);
    finish_with("{\"runtime_path\":\"/x\",\"runtime_version\":\"6.0.0\"}\n[1,2]\n", 0, &f.rocm);
    CHECK_STR(f.rocm.runtime_error, "probe returned malformed output");
    CHECK_STR(f.rocm.runtime_path, NULL);
    CHECK(!f.rocm.devices_known);

    cleanup_facts struct facts g;
    facts_init(&g);
    finish_with("{\"devices_known\":true,\"devices\":[{\"total_bytes\":-1}]}\n", 0, &g.rocm);
    CHECK_STR(g.rocm.runtime_error, "probe returned malformed output");
    CHECK_U64(g.rocm.n_devices, 0);

    cleanup_facts struct facts h;
    facts_init(&h);
    finish_with("", 0, &h.rocm);
    CHECK_STR(h.rocm.runtime_error, "probe returned no result");
    CHECK(!h.rocm.devices_known);
}

static void test_timeout(void)
{
    cleanup_facts struct facts f;
    facts_init(&f);
    struct probe_child c;
    CHECK(start_child_writing(&c, "hip",
                              "{\"runtime_path\":\"/x/libamdhip64.so\",\"runtime_version\":"
                              "\"6.4.0\"}\n",
                              0) == 0);
    finish_hip(&c, &f.rocm, 0);
    CHECK(no_children_left());
    CHECK_STR(f.rocm.runtime_error, "probe timed out after 0 ms");
    CHECK(!f.rocm.devices_known);
}

int main(void)
{
    RUN(test_this_host);
    RUN(test_fake_rocm6_strix_halo);
    RUN(test_fake_rocm5_layout);
    RUN(test_fake_crash);
    RUN(test_broken_rocm_path);
    RUN(test_parse_records);
    RUN(test_parse_not_found);
    RUN(test_parse_garbage);
    RUN(test_timeout);
    return test_summary();
}
