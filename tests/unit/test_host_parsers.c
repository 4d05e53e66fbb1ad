/* The parsers behind the probes, on inputs taken from real hosts (the
 * captures cited in tests/fixtures/facts/README.md) and on edge cases. */
#include "util/common.h"

#include "facts.h"
#include "gpu_ids.h"
#include "host/probe.h"
#include "test.h"
#include "util/fs.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void cmdline_of(struct facts *f, const char *s)
{
    facts_release(f);
    facts_init(f);
    parse_cmdline(&f->kernel, s, strlen(s));
}

static void test_cmdline_basic(void)
{
    struct facts f;
    facts_init(&f);
    /* rocm-issue-5595's command line */
    cmdline_of(&f, "BOOT_IMAGE=/boot/vmlinuz-6.14.0-1014-oem root=UUID=d55f0c3f ro quiet splash "
                   "amdgpu.gtt_size=122880 vt.handoff=7\n");
    CHECK_U64(f.kernel.n_params, 7);
    CHECK_STR(facts_param(&f.kernel, "amdgpu.gtt_size"), "122880");
    CHECK_STR(facts_param(&f.kernel, "quiet"), "");
    CHECK_STR(facts_param(&f.kernel, "vt.handoff"), "7");
    CHECK_STR(facts_param(&f.kernel, "BOOT_IMAGE"), "/boot/vmlinuz-6.14.0-1014-oem");
    CHECK(facts_param(&f.kernel, "nomodeset") == NULL);
    facts_release(&f);
}

static void test_cmdline_quotes_and_repeats(void)
{
    struct facts f;
    facts_init(&f);
    cmdline_of(&f, "  a=1 dyndbg=\"file drm* +p\" a=2 \"quoted whole\" b=x=y c=\"\" ");
    CHECK_STR(facts_param(&f.kernel, "a"), "2");
    CHECK_STR(facts_param(&f.kernel, "dyndbg"), "file drm* +p");
    CHECK_STR(facts_param(&f.kernel, "quoted whole"), "");
    CHECK_STR(facts_param(&f.kernel, "b"), "x=y");
    CHECK_STR(facts_param(&f.kernel, "c"), "");
    /* one entry per key, the repeated one kept in its first place */
    CHECK_U64(f.kernel.n_params, 5);
    CHECK_STR(f.kernel.params[0].key, "a");
    facts_release(&f);
}

static void test_cmdline_dash_underscore_and_init_args(void)
{
    struct facts f;
    facts_init(&f);
    cmdline_of(&f, "amdgpu.gtt-size=1 ttm.pages_limit=5 -- --firecracker-init nomodeset");
    CHECK_STR(facts_param(&f.kernel, "amdgpu.gtt_size"), "1");
    CHECK_STR(facts_param(&f.kernel, "ttm.pages-limit"), "5");
    CHECK(facts_param(&f.kernel, "nomodeset") == NULL); /* after "--": init's */
    CHECK_U64(f.kernel.n_params, 2);
    cmdline_of(&f, "");
    CHECK(f.kernel.params_known);
    CHECK_U64(f.kernel.n_params, 0);
    cmdline_of(&f, "\"unterminated quote here");
    CHECK_U64(f.kernel.n_params, 1);
    facts_release(&f);
}

static void test_kfd_properties(void)
{
    /* Lines as a gfx1151 KFD node prints them. */
    const char *p = "cpu_cores_count 0\nsimd_count 80\ngfx_target_version 110501\n"
                    "vendor_id 4098\ndevice_id 5510\ndrm_render_minor 128\n";
    uint64_t v = 0;
    CHECK(kfd_properties_get(p, strlen(p), "gfx_target_version", &v));
    CHECK_U64(v, 110501);
    CHECK(kfd_properties_get(p, strlen(p), "drm_render_minor", &v));
    CHECK_U64(v, 128);
    CHECK(kfd_properties_get(p, strlen(p), "simd_count", &v));
    CHECK_U64(v, 80);
    CHECK(!kfd_properties_get(p, strlen(p), "simd", &v));
    CHECK(!kfd_properties_get(p, strlen(p), "missing", &v));
    const char *bad = "gfx_target_version x\nsimd_count 99999999999999999999999\nfoo 1 2\n";
    CHECK(!kfd_properties_get(bad, strlen(bad), "gfx_target_version", &v));
    CHECK(!kfd_properties_get(bad, strlen(bad), "simd_count", &v));
    CHECK(!kfd_properties_get(bad, strlen(bad), "foo", &v));
    /* not NUL-terminated: the length bounds the scan */
    char buf[] = {'s', 'i', 'm', 'd', '_', 'c', 'o', 'u', 'n', 't', ' ', '7'};
    CHECK(kfd_properties_get(buf, sizeof(buf), "simd_count", &v));
    CHECK_U64(v, 7);
}

static void test_meminfo(void)
{
    const char *m = "MemTotal:       130506668 kB\nMemFree:        1000 kB\n"
                    "MemAvailable:   120000000 kB\nHugePages_Total:       0\n";
    uint64_t v;
    CHECK(meminfo_get(m, "MemTotal", &v));
    CHECK_U64(v, 130506668ULL * 1024);
    CHECK(meminfo_get(m, "HugePages_Total", &v));
    CHECK_U64(v, 0);
    CHECK(!meminfo_get(m, "Mem", &v));
    CHECK(!meminfo_get("MemTotal: lots kB\n", "MemTotal", &v));
    CHECK(!meminfo_get("MemTotal: 99999999999999999999 kB\n", "MemTotal", &v));
}

static void test_os_release(void)
{
    const char *t = "NAME=\"Fedora Linux\"\nVERSION_ID=43\nID=fedora\n"
                    "PRETTY_NAME=\"Fedora Linux 43 (Workstation Edition)\"\nID_LIKE='rhel centos'\n"
                    "X=\"a \\\"b\\\"\"\n";
    char *s;
    CHECK_STR(s = os_release_get(t, "ID"), "fedora");
    free(s);
    CHECK_STR(s = os_release_get(t, "VERSION_ID"), "43");
    free(s);
    CHECK_STR(s = os_release_get(t, "PRETTY_NAME"), "Fedora Linux 43 (Workstation Edition)");
    free(s);
    CHECK_STR(s = os_release_get(t, "ID_LIKE"), "rhel centos");
    free(s);
    CHECK_STR(s = os_release_get(t, "X"), "a \"b\"");
    free(s);
    CHECK(os_release_get(t, "NOPE") == NULL);
    CHECK(os_release_get("ID=\"\"\n", "ID") == NULL);
}

static void test_gfx_names(void)
{
    char b[16];
    CHECK(gfx_name_from_target_version(110501, b, sizeof(b)));
    CHECK_STR(b, "gfx1151");
    CHECK(gfx_name_from_target_version(110000, b, sizeof(b)));
    CHECK_STR(b, "gfx1100");
    CHECK(gfx_name_from_target_version(90010, b, sizeof(b)));
    CHECK_STR(b, "gfx90a");
    CHECK(gfx_name_from_target_version(120001, b, sizeof(b)));
    CHECK_STR(b, "gfx1201");
    CHECK(!gfx_name_from_target_version(0, b, sizeof(b)));
    CHECK(!gfx_name_from_target_version(111600, b, sizeof(b))); /* minor 16 > 0xf */
}

/* The linux-firmware fact from dpkg's status file is remembered until the
 * file changes: a rewrite (dpkg renames a new file into place) gives the
 * new version; a damaged cache entry is a miss, not a wrong answer. The
 * stanzas follow Debian's format: the highest-ranked AMD firmware package
 * wins, and only when installed. */
static void firmware_of(struct facts *f, const char *root, const char *status)
{
    struct strbuf path = STRBUF_INIT;
    strbuf_addf(&path, "%s/var/lib/dpkg/status", root);
    if (status)
        CHECK(write_file_atomic(path.buf, status, strlen(status), 0644) == 0);
    strbuf_release(&path);
    facts_release(f);
    facts_init(f);
    probe_firmware(f);
}

static void test_firmware_from_dpkg_cached(void)
{
    char root[] = "/tmp/halobox-sysroot-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    struct strbuf dir = STRBUF_INIT, cache = STRBUF_INIT;
    strbuf_addf(&dir, "%s/var/lib/dpkg", root);
    CHECK(mkdir_p(dir.buf, 0755) == 0);
    strbuf_addf(&cache, "%s/cache", root);
    char *old_root = getenv("HALOBOX_SYSROOT") ? xstrdup(getenv("HALOBOX_SYSROOT")) : NULL;
    char *old_cache = getenv("XDG_CACHE_HOME") ? xstrdup(getenv("XDG_CACHE_HOME")) : NULL;
    setenv("HALOBOX_SYSROOT", root, 1);
    setenv("XDG_CACHE_HOME", cache.buf, 1);

    struct facts f;
    facts_init(&f);
    firmware_of(&f, root,
                "Package: linux-firmware\nStatus: install ok installed\nVersion: "
                "20240318.git3b128b60-0ubuntu2\n\n"
                "Package: firmware-amd-graphics\nStatus: deinstall ok config-files\n"
                "Version: 20230210-5\n\n");
    CHECK_STR(f.firmware.linux_firmware, "20240318");
    CHECK_STR(f.firmware.package, "linux-firmware 20240318.git3b128b60-0ubuntu2");
    firmware_of(&f, root, NULL); /* from the cache */
    CHECK_STR(f.firmware.linux_firmware, "20240318");
    firmware_of(&f, root,
                "Package: firmware-amd-graphics\nStatus: install ok installed\n"
                "Version: 20251125-1\n\nPackage: linux-firmware\nStatus: install ok "
                "installed\nVersion: 20240318.git3b128b60-0ubuntu2\n\n");
    CHECK_STR(f.firmware.linux_firmware, "20251125");
    CHECK_STR(f.firmware.package, "firmware-amd-graphics 20251125-1");
    struct strbuf entry = STRBUF_INIT;
    strbuf_addf(&entry, "%s/halobox/dpkg-firmware", cache.buf);
    CHECK(access(entry.buf, R_OK) == 0);
    CHECK(write_file_atomic(entry.buf, "junk", 4, 0600) == 0);
    firmware_of(&f, root, NULL);
    CHECK_STR(f.firmware.linux_firmware, "20251125");
    firmware_of(&f, root, "Package: adduser\nStatus: install ok installed\nVersion: 3.137\n");
    CHECK(f.firmware.linux_firmware == NULL);
    facts_release(&f);

    if (old_root)
        setenv("HALOBOX_SYSROOT", old_root, 1);
    else
        unsetenv("HALOBOX_SYSROOT");
    if (old_cache)
        setenv("XDG_CACHE_HOME", old_cache, 1);
    else
        unsetenv("XDG_CACHE_HOME");
    free(old_root);
    free(old_cache);
    unlink(entry.buf);
    strbuf_reset(&dir);
    strbuf_addf(&dir, "%s/halobox", cache.buf);
    rmdir(dir.buf);
    rmdir(cache.buf);
    strbuf_reset(&dir);
    strbuf_addf(&dir, "%s/var/lib/dpkg/status", root);
    unlink(dir.buf);
    static const char *const dirs[] = {"/var/lib/dpkg", "/var/lib", "/var", ""};
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        strbuf_reset(&dir);
        strbuf_addf(&dir, "%s%s", root, dirs[i]);
        rmdir(dir.buf);
    }
    strbuf_release(&dir);
    strbuf_release(&cache);
    strbuf_release(&entry);
}

/* The OSTree marker makes an os image-based; its absence, not. */
static void test_os_image_based(void)
{
    char root[] = "/tmp/halobox-sysroot-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    struct strbuf p = STRBUF_INIT;
    strbuf_addf(&p, "%s/etc", root);
    CHECK(mkdir_p(p.buf, 0755) == 0);
    strbuf_addstr(&p, "/os-release");
    /* Bazzite's os-release names Fedora as its relative. */
    static const char os_release[] = "NAME=\"Bazzite\"\nID=bazzite\nID_LIKE=\"fedora\"\n";
    CHECK(write_file_atomic(p.buf, os_release, strlen(os_release), 0644) == 0);
    char *old_root = getenv("HALOBOX_SYSROOT") ? xstrdup(getenv("HALOBOX_SYSROOT")) : NULL;
    setenv("HALOBOX_SYSROOT", root, 1);
    struct facts f;
    facts_init(&f);
    probe_os(&f);
    CHECK_STR(f.os.id, "bazzite");
    CHECK(f.os.image_based == TRI_NO);
    facts_release(&f);
    struct strbuf marker = STRBUF_INIT;
    strbuf_addf(&marker, "%s/run", root);
    CHECK(mkdir_p(marker.buf, 0755) == 0);
    strbuf_addstr(&marker, "/ostree-booted");
    CHECK(write_file_atomic(marker.buf, "", 0, 0644) == 0);
    facts_init(&f);
    probe_os(&f);
    CHECK(f.os.image_based == TRI_YES);
    facts_release(&f);
    if (old_root)
        setenv("HALOBOX_SYSROOT", old_root, 1);
    else
        unsetenv("HALOBOX_SYSROOT");
    free(old_root);
    unlink(marker.buf);
    unlink(p.buf);
    strbuf_reset(&p);
    strbuf_addf(&p, "%s/run", root);
    rmdir(p.buf);
    strbuf_reset(&p);
    strbuf_addf(&p, "%s/etc", root);
    rmdir(p.buf);
    rmdir(root);
    strbuf_release(&p);
    strbuf_release(&marker);
}

/* The CDI devices of one spec text, joined by spaces. */
static void cdi_of(const char *text, size_t len, struct strbuf *out)
{
    struct facts_containers c = {0};
    cdi_spec_devices(text, len, &c);
    strbuf_reset(out);
    for (size_t i = 0; i < c.n_cdi_devices; i++)
        strbuf_addf(out, "%s%s", i ? " " : "", c.cdi_devices[i]);
    for (size_t i = 0; i < c.n_cdi_devices; i++)
        free(c.cdi_devices[i]);
    free(c.cdi_devices);
}

static void test_cdi_spec_files(void)
{
    struct strbuf text = STRBUF_INIT, got = STRBUF_INIT;
    /* nvidia-ctk's layout: each name after its edits, kind last. */
    CHECK(read_small_file("tests/fixtures/cdi/nvidia.yaml", 1 << 20, &text) == 0);
    cdi_of(text.buf, text.len, &got);
    CHECK_STR(got.buf, "nvidia.com/gpu=0 nvidia.com/gpu=GPU-00000000-1111-2222-3333-444444444444 "
                       "nvidia.com/gpu=all");
    /* Cut anywhere before `kind`, the file declares nothing. */
    cdi_of(text.buf, text.len - strlen("kind: nvidia.com/gpu\n"), &got);
    CHECK_STR(got.buf, "");
    /* CRLF line ends read the same. */
    struct strbuf crlf = STRBUF_INIT;
    for (size_t i = 0; i < text.len; i++) {
        if (text.buf[i] == '\n')
            strbuf_addch(&crlf, '\r');
        strbuf_addch(&crlf, text.buf[i]);
    }
    cdi_of(crlf.buf, crlf.len, &got);
    CHECK_STR(got.buf, "nvidia.com/gpu=0 nvidia.com/gpu=GPU-00000000-1111-2222-3333-444444444444 "
                       "nvidia.com/gpu=all");
    strbuf_release(&crlf);
    CHECK(read_small_file("tests/fixtures/cdi/halobox-test.json", 1 << 20, &text) == 0);
    cdi_of(text.buf, text.len, &got);
    CHECK_STR(got.buf, "halobox.test/dev=all halobox.test/dev=null0");
    cdi_of(text.buf, text.len / 2, &got); /* truncated JSON */
    CHECK_STR(got.buf, "");
    strbuf_release(&text);
    strbuf_release(&got);
}

static void test_cdi_yaml_shapes(void)
{
    struct strbuf got = STRBUF_INIT;
    /* Items indented under devices, quotes, comments, a `name` deeper in
     * the edits (an annotation) that is not a device's. */
    static const char shapes[] = "cdiVersion: \"0.6.0\"   # comment\n"
                                 "kind: 'vendor.example/fpga'\n"
                                 "devices:\n"
                                 "  # the first card\n"
                                 "  - name: card-0   # trailing comment\n"
                                 "    annotations:\n"
                                 "      name: not-a-device\n"
                                 "    containerEdits:\n"
                                 "      deviceNodes:\n"
                                 "        - path: /dev/fpga0\n"
                                 "  -   name: \"card_1\"\n"
                                 "  - name: mig:0.1\n"
                                 "containerEdits:\n"
                                 "  env:\n"
                                 "  - name: nope\n";
    cdi_of(shapes, strlen(shapes), &got);
    CHECK_STR(got.buf, "vendor.example/fpga=card-0 vendor.example/fpga=card_1 "
                       "vendor.example/fpga=mig:0.1");
    /* Each text, from its start for len bytes (0: all of it), and the
     * devices it declares. */
    static const struct {
        const char *text;
        size_t len;
        const char *want;
    } cases[] = {
        /* The same name twice is one device. */
        {"kind: a.b/c\ndevices:\n- name: x\n- name: x\n", 0, "a.b/c=x"},
        /* Not a valid kind or name: nothing, or that device skipped. */
        {"kind: nvidia\ndevices:\n- name: all\n", 0, ""},
        {"kind: vendor.com/foo/bar\ndevices:\n- name: all\n", 0, ""},
        {"kind: a.b/c\ndevices:\n- name: -bad\n- name: 'sp ace'\n- name:\n- name: ok\n", 0,
         "a.b/c=ok"},
        /* Flow style is not read (nvidia-ctk does not write it). */
        {"kind: a.b/c\ndevices: [{name: all}]\n", 0, ""},
        /* Junk, binary, empty; a NUL ends nothing early. */
        {"", 0, ""},
        {"\x01\x02\xff: :\n- - -\n:\n-\nkind:\ndevices:\n-", 0, ""},
        {"kind: a.b/c\ndevices:\n- name: all\0junk", 32, "a.b/c=all"},
        {"kind: a.b/c\ndevices:\n- name: all\0junk", 37, ""}, /* a NUL in the name */
        {"{\"kind\":\"a.b/c\",\"devices\":[{\"name\":1},{\"name\":\"ok\"},\"x\"]}", 0, "a.b/c=ok"},
        {"{\"kind\":5,\"devices\":[{\"name\":\"ok\"}]}", 0, ""},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        cdi_of(cases[i].text, cases[i].len ? cases[i].len : strlen(cases[i].text), &got);
        if (strcmp(got.buf, cases[i].want))
            test_fail(__FILE__, __LINE__, "case %zu: \"%s\", expected \"%s\"", i, got.buf,
                      cases[i].want);
    }
    /* Many devices: a bounded list. */
    struct strbuf many = STRBUF_INIT;
    strbuf_addstr(&many, "kind: a.b/c\ndevices:\n");
    for (int i = 0; i < 1000; i++)
        strbuf_addf(&many, "- name: d%d\n", i);
    struct facts_containers c = {0};
    cdi_spec_devices(many.buf, many.len, &c);
    CHECK(c.n_cdi_devices == 256);
    CHECK_STR(c.cdi_devices[255], "a.b/c=d255");
    for (size_t i = 0; i < c.n_cdi_devices; i++)
        free(c.cdi_devices[i]);
    free(c.cdi_devices);
    strbuf_release(&many);
    strbuf_release(&got);
}

/* The probe through a sysroot: both directories, the three extensions,
 * other files and a file too large to be a spec skipped. */
static void test_cdi_probe(void)
{
    char root[] = "/tmp/halobox-cdi-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    char *old_root = getenv("HALOBOX_SYSROOT") ? xstrdup(getenv("HALOBOX_SYSROOT")) : NULL;
    setenv("HALOBOX_SYSROOT", root, 1);
    struct facts_containers c = {0};
    probe_cdi(&c);
    CHECK(c.cdi_devices_known && c.n_cdi_devices == 0); /* looked: none */

    struct strbuf p = STRBUF_INIT, text = STRBUF_INIT, big = STRBUF_INIT;
    strbuf_addf(&p, "%s/etc/cdi", root);
    CHECK(mkdir_p(p.buf, 0755) == 0);
    strbuf_addf(&p, "/%s", "nvidia.yaml");
    CHECK(read_small_file("tests/fixtures/cdi/nvidia.yaml", 1 << 20, &text) == 0);
    CHECK(write_file_atomic(p.buf, text.buf, text.len, 0644) == 0);
    strbuf_reset(&p);
    strbuf_addf(&p, "%s/etc/cdi/notes.txt", root);
    CHECK(write_file_atomic(p.buf, "kind: x.y/z\ndevices:\n- name: a\n", 31, 0644) == 0);
    strbuf_reset(&p);
    strbuf_addf(&p, "%s/etc/cdi/dir.json", root); /* a folder, not a file */
    CHECK(mkdir_p(p.buf, 0755) == 0);
    strbuf_reset(&p);
    strbuf_addf(&p, "%s/etc/cdi/huge.yml", root);
    strbuf_addstr(&big, "kind: huge.example/dev\ndevices:\n- name: all\n");
    while (big.len <= 1024 * 1024)
        strbuf_addstr(&big, "# padding padding padding padding padding padding padding\n");
    CHECK(write_file_atomic(p.buf, big.buf, big.len, 0644) == 0);
    strbuf_reset(&p);
    strbuf_addf(&p, "%s/var/run/cdi", root);
    CHECK(mkdir_p(p.buf, 0755) == 0);
    strbuf_addstr(&p, "/halobox-test.json");
    CHECK(read_small_file("tests/fixtures/cdi/halobox-test.json", 1 << 20, &text) == 0);
    CHECK(write_file_atomic(p.buf, text.buf, text.len, 0644) == 0);

    probe_cdi(&c);
    CHECK(c.cdi_devices_known);
    CHECK_U64(c.n_cdi_devices, 5);
    if (c.n_cdi_devices == 5) {
        CHECK_STR(c.cdi_devices[0], "nvidia.com/gpu=0");
        CHECK_STR(c.cdi_devices[2], "nvidia.com/gpu=all");
        CHECK_STR(c.cdi_devices[3], "halobox.test/dev=all");
        CHECK_STR(c.cdi_devices[4], "halobox.test/dev=null0");
    }
    CHECK(facts_has_cdi_kind(&c, "nvidia.com/gpu"));
    CHECK(!facts_has_cdi_kind(&c, "nvidia.com/gp"));
    CHECK(!facts_has_cdi_kind(&c, "huge.example/dev"));
    CHECK_STR(facts_cdi_device_for(&c, "nvidia.com/gpu"), "nvidia.com/gpu=all");
    facts_clear_cdi_devices(&c);
    CHECK(!c.cdi_devices_known && !c.n_cdi_devices);

    if (old_root)
        setenv("HALOBOX_SYSROOT", old_root, 1);
    else
        unsetenv("HALOBOX_SYSROOT");
    free(old_root);
    strbuf_reset(&p);
    strbuf_addf(&p, "rm -rf '%s'", root);
    CHECK(system(p.buf) == 0);
    strbuf_release(&p);
    strbuf_release(&text);
    strbuf_release(&big);
}

static char *conf_runtime(const char *text)
{
    char *rt = NULL;
    containers_conf_runtime(text, strlen(text), &rt);
    return rt;
}

static void test_containers_conf_runtime(void)
{
    char *rt;
    /* The shipped file has it commented out: not set. */
    CHECK((rt = conf_runtime("[engine]\n# Default OCI runtime\n#runtime = \"crun\"\n")) == NULL);
    CHECK_STR(rt = conf_runtime("[containers]\n[engine]\nruntime = \"runc\"\n"), "runc");
    free(rt);
    /* Spaces, CRLF, single quotes, a comment after, a path, the last wins. */
    CHECK_STR(rt = conf_runtime("  [ engine ]  # x\r\n\truntime='crun' # mine\r\n"), "crun");
    free(rt);
    CHECK_STR(rt = conf_runtime("[engine]\nruntime = \"/usr/local/bin/crun\"\n"), "crun");
    free(rt);
    CHECK_STR(rt = conf_runtime("[engine]\nruntime = \"crun\"\nruntime = \"runc\"\n"), "runc");
    free(rt);
    /* Not [engine]'s runtime: other tables, other keys, other shapes. */
    CHECK((rt = conf_runtime("runtime = \"runc\"\n[containers]\nruntime = \"runc\"\n")) == NULL);
    CHECK((rt = conf_runtime(
               "[engine.runtimes]\nruntime = \"runc\"\nrunc = [\"/usr/bin/runc\"]\n")) == NULL);
    CHECK((rt = conf_runtime("[engine]\nruntime_supports_json = [\"crun\", \"runc\"]\n"
                             "runtime_path = \"runc\"\n")) == NULL);
    CHECK((rt = conf_runtime("[[engine]]\nruntime = \"runc\"\n")) == NULL);
    CHECK((rt = conf_runtime("[engine]\nruntime = runc\nruntime = \"run c\"\nruntime = \"\"\n"
                             "runtime = \"crun\n")) == NULL);
    CHECK((rt = conf_runtime("[engine\nruntime = \"runc\"\n")) == NULL);
    /* After a table that closes [engine]. */
    CHECK_STR(rt = conf_runtime("[engine]\nruntime = \"runc\"\n[machine]\nruntime = \"x\"\n"),
              "runc");
    free(rt);
    CHECK((rt = conf_runtime("\x01\xff[engine]\0runtime=\"runc\"")) == NULL);
}

static void write_tree_file(const char *root, const char *path, const char *text)
{
    struct strbuf p = STRBUF_INIT;
    strbuf_addf(&p, "%s%s", root, path);
    char *slash = strrchr(p.buf, '/');
    *slash = '\0';
    CHECK(mkdir_p(p.buf, 0755) == 0);
    *slash = '/';
    CHECK(write_file_atomic(p.buf, text, strlen(text), 0644) == 0);
    strbuf_release(&p);
}

static char *runtime_for(uid_t uid, const char *podman_version)
{
    struct facts_containers c = {.podman_found = TRI_YES};
    c.podman_version = (char *)podman_version;
    probe_oci_runtime(&c, uid);
    return c.oci_runtime;
}

static void check_runtime(int line, uid_t uid, const char *version, const char *want)
{
    char *rt = runtime_for(uid, version);
    if (!str_eq(rt, want))
        test_fail(__FILE__, line, "uid %u, podman %s: runtime %s, expected %s", (unsigned)uid,
                  version, rt ? rt : "(null)", want ? want : "(null)");
    free(rt);
}
#define CHECK_RUNTIME(uid, version, want) check_runtime(__LINE__, uid, version, want)

/* The files podman reads, in its order, through a sysroot. */
static void test_oci_runtime_probe(void)
{
    char root[] = "/tmp/halobox-rt-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    static const char *const vars[] = {"HALOBOX_SYSROOT", "CONTAINERS_CONF",
                                       "CONTAINERS_CONF_OVERRIDE", "HOME", "XDG_CONFIG_HOME"};
    char *saved[ARRAY_SIZE(vars)];
    for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
        saved[i] = getenv(vars[i]) ? xstrdup(getenv(vars[i])) : NULL;
        unsetenv(vars[i]);
    }
    setenv("HALOBOX_SYSROOT", root, 1);
    setenv("HOME", "/home/u", 1);
    /* Nothing set, nothing installed: unknown. Installed: crun first. */
    CHECK_RUNTIME(1000, "5.4.2", NULL);
    write_tree_file(root, "/usr/sbin/runc", "");
    CHECK_RUNTIME(1000, "5.4.2", "runc");
    write_tree_file(root, "/usr/bin/crun", "");
    CHECK_RUNTIME(1000, "5.4.2", "crun");
    /* The distribution's file comments it out; the admin's drop-in sets
     * runc; the user's file sets crun, for rootless podman only. */
    write_tree_file(root, "/usr/share/containers/containers.conf",
                    "[engine]\n#runtime = \"crun\"\n");
    write_tree_file(root, "/etc/containers/containers.conf", "[engine]\nruntime = \"crun\"\n");
    write_tree_file(root, "/etc/containers/containers.conf.d/50-runc.conf",
                    "[engine]\nruntime = \"runc\"\n");
    write_tree_file(root, "/etc/containers/containers.conf.d/10-crun.conf",
                    "[engine]\nruntime = \"crun\"\n");
    write_tree_file(root, "/etc/containers/containers.conf.d/99-ignored.txt",
                    "[engine]\nruntime = \"crun\"\n");
    CHECK_RUNTIME(0, "5.4.2", "runc");
    CHECK_RUNTIME(1000, "5.4.2", "runc");
    write_tree_file(root, "/home/u/.config/containers/containers.conf",
                    "[engine]\nruntime = \"crun\"\n");
    CHECK_RUNTIME(1000, "5.4.2", "crun");
    CHECK_RUNTIME(0, "5.4.2", "runc");
    /* podman 5's rootless drop-ins, per user; XDG_CONFIG_HOME over HOME. */
    write_tree_file(root, "/etc/containers/containers.rootless.conf.d/1000/a.conf",
                    "[engine]\nruntime = \"runc\"\n");
    setenv("XDG_CONFIG_HOME", "/xdg", 1);
    CHECK_RUNTIME(1000, "5.4.2", "runc");
    CHECK_RUNTIME(1001, "5.4.2", "runc"); /* the admin's drop-in */
    write_tree_file(root, "/xdg/containers/containers.conf.d/z.conf",
                    "[engine]\nruntime = \"crun\"\n");
    CHECK_RUNTIME(1000, "5.4.2", "crun");
    /* CONTAINERS_CONF: that file alone; the override on top, except where
     * podman does not read it (4.3.1, measured). */
    write_tree_file(root, "/cc/only.conf", "[containers]\n");
    setenv("CONTAINERS_CONF", "/cc/only.conf", 1);
    CHECK_RUNTIME(1000, "5.4.2", "crun"); /* only.conf sets none: installed */
    write_tree_file(root, "/cc/only.conf", "[engine]\nruntime = \"runc\"\n");
    CHECK_RUNTIME(1000, "5.4.2", "runc");
    write_tree_file(root, "/cc/over.conf", "[engine]\nruntime = \"crun\"\n");
    setenv("CONTAINERS_CONF_OVERRIDE", "/cc/over.conf", 1);
    CHECK_RUNTIME(1000, "5.4.2", "crun");
    CHECK_RUNTIME(1000, "4.3.1", "runc");
    /* Without podman there is no runtime to speak of. */
    struct facts_containers none = {.podman_found = TRI_NO};
    probe_oci_runtime(&none, 1000);
    CHECK(none.oci_runtime == NULL);

    for (size_t i = 0; i < ARRAY_SIZE(vars); i++) {
        if (saved[i])
            setenv(vars[i], saved[i], 1);
        else
            unsetenv(vars[i]);
        free(saved[i]);
    }
    struct strbuf cmd = STRBUF_INIT;
    strbuf_addf(&cmd, "rm -rf '%s'", root);
    CHECK(system(cmd.buf) == 0);
    strbuf_release(&cmd);
}

int main(void)
{
    RUN(test_cmdline_basic);
    RUN(test_cmdline_quotes_and_repeats);
    RUN(test_cmdline_dash_underscore_and_init_args);
    RUN(test_kfd_properties);
    RUN(test_meminfo);
    RUN(test_os_release);
    RUN(test_gfx_names);
    RUN(test_firmware_from_dpkg_cached);
    RUN(test_os_image_based);
    RUN(test_cdi_spec_files);
    RUN(test_cdi_yaml_shapes);
    RUN(test_cdi_probe);
    RUN(test_containers_conf_runtime);
    RUN(test_oci_runtime_probe);
    return test_summary();
}
