/* The doctor's rules, memory arithmetic and derivations on facts built from
 * JSON, with values from the captures in tests/fixtures/facts/. */
#include "util/common.h"

#include <cjson/cJSON.h>

#include "doctor.h"
#include "recipes.h"
#include "doctor_fix.h"
#include "facts.h"
#include "kernel_params.h"
#include "facts_helpers.h"
#include "test.h"

static bool has(const struct verdict *v, const char *id)
{
    return verdict_find(v, id) != NULL;
}

/* rocm-issue-5595: GTT 120 GiB, TTM 62.2 GiB, RAM 124.5 GiB, VRAM 1 GiB. */
static const char *ubuntu_5595 =
    "{\"os\":{\"id\":\"ubuntu\"},\"kernel\":{\"release\":\"6.14.0-1014-oem\","
    "\"cmdline\":\"BOOT_IMAGE=/boot/vmlinuz ro quiet splash amdgpu.gtt_size=122880\","
    "\"params\":{\"BOOT_IMAGE\":\"/boot/vmlinuz\",\"ro\":\"\",\"quiet\":\"\",\"splash\":\"\","
    "\"amdgpu.gtt_size\":\"122880\"},\"ttm_pages_limit\":16313192},"
    "\"memory\":{\"total_bytes\":133637668864,\"page_size\":4096},"
    "\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x1586\",\"vram_bytes\":1073741824,"
    "\"gtt_bytes\":128849018880}]}";

static void test_derive_from_pci_ids(void)
{
    struct facts f;
    facts_from(&f, ubuntu_5595);
    CHECK_STR(f.gpus[0].family, "strix-halo");
    CHECK_STR(f.gpus[0].gfx, "gfx1151");
    CHECK(f.gpus[0].integrated == TRI_YES);
    facts_release(&f);
    /* An unknown AMD id: the memory heuristic decides, a dGPU marker wins. */
    facts_from(&f, "{\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x9999\","
                   "\"vram_bytes\":536870912,\"gtt_bytes\":34359738368,"
                   "\"gfx_target_version\":110001}]}");
    CHECK_STR(f.gpus[0].family, "amd-apu");
    CHECK_STR(f.gpus[0].gfx, "gfx1101");
    CHECK(f.gpus[0].integrated == TRI_YES);
    facts_release(&f);
    facts_from(&f, "{\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x9999\","
                   "\"vram_bytes\":536870912,\"gtt_bytes\":34359738368,\"board_info\":true}]}");
    CHECK(f.gpus[0].integrated == TRI_NO);
    CHECK_STR(f.gpus[0].family, "amd-dgpu");
    facts_release(&f);
    /* Mesa 26 names: the PCI id decides, not "(RADV STRIX_HALO)". */
    facts_from(&f, "{\"gpus\":[{\"vendor_id\":\"0x10de\",\"device_id\":\"0x2d04\"}],"
                   "\"vulkan\":{\"devices\":[{\"name\":\"NVIDIA GeForce RTX 5060 Ti\","
                   "\"vendor_id\":\"0x10de\",\"device_id\":\"0x2d04\",\"type\":\"discrete\"}]}}");
    CHECK_STR(f.gpus[0].family, "nvidia");
    CHECK(f.gpus[0].integrated == TRI_NO);
    CHECK(f.gpus[0].gfx == NULL);
    facts_release(&f);
}

static void test_gpu_memory_apu(void)
{
    struct facts f;
    facts_from(&f, ubuntu_5595);
    struct gpu_memory m;
    gpu_memory_compute(&f, &m);
    /* 1 GiB VRAM + min(120 GiB GTT, 16313192 x 4096 TTM, 124.5 GiB RAM) */
    CHECK_U64(m.usable_bytes.v, 1073741824ULL + 16313192ULL * 4096);
    CHECK_STR(m.limited_by, "ttm");
    facts_release(&f);
    /* rocm-issue-5671: 64 GiB carve-out, amdttm at 11.7 GiB, 23.5 GiB RAM */
    facts_from(&f, "{\"kernel\":{\"ttm_pages_limit\":3074543},"
                   "\"memory\":{\"total_bytes\":25186656256,\"page_size\":4096},"
                   "\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x1586\","
                   "\"vram_bytes\":68719476736,\"gtt_bytes\":68719476736}]}");
    gpu_memory_compute(&f, &m);
    CHECK_U64(m.usable_bytes.v, 68719476736ULL + 3074543ULL * 4096);
    CHECK_STR(m.limited_by, "ttm");
    facts_release(&f);
    /* GTT and TTM above RAM: RAM limits. */
    facts_from(&f, "{\"kernel\":{\"ttm_pages_limit\":33554432},"
                   "\"memory\":{\"total_bytes\":68719476736,\"page_size\":4096},"
                   "\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x1586\","
                   "\"vram_bytes\":536870912,\"gtt_bytes\":137438953472}]}");
    gpu_memory_compute(&f, &m);
    CHECK_U64(m.usable_bytes.v, 536870912ULL + 68719476736ULL);
    CHECK_STR(m.limited_by, "ram");
    facts_release(&f);
}

static void test_gpu_memory_fallbacks(void)
{
    struct facts f;
    struct gpu_memory m;
    /* Discrete: its VRAM. */
    facts_from(&f, "{\"gpus\":[{\"vendor_id\":\"0x10de\",\"device_id\":\"0x2d04\","
                   "\"vram_bytes\":17103323136}]}");
    gpu_memory_compute(&f, &m);
    CHECK_U64(m.usable_bytes.v, 17103323136ULL);
    CHECK_STR(m.limited_by, "vram");
    facts_release(&f);
    /* No sysfs sizes: what HIP reports (kyuz0's host, 126976 MiB). */
    facts_from(&f, "{\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x1586\"}],"
                   "\"rocm\":{\"devices\":[{\"gfx\":\"gfx1151\",\"total_bytes\":133143986176}]}}");
    gpu_memory_compute(&f, &m);
    CHECK_U64(m.usable_bytes.v, 133143986176ULL);
    CHECK_STR(m.limited_by, "hip");
    facts_release(&f);
    /* Nothing known: unknown, not 0. */
    facts_from(&f, "{\"gpus\":[{\"family\":\"strix-halo\"}]}");
    gpu_memory_compute(&f, &m);
    CHECK(!m.usable_bytes.known);
    CHECK(m.limited_by == NULL);
    facts_release(&f);
}

static void test_findings_5595(void)
{
    struct facts f;
    facts_from(&f, ubuntu_5595);
    struct verdict v;
    doctor_evaluate(&f, &v);
    CHECK(has(&v, "param-unknown"));
    CHECK(has(&v, "ttm-mismatch"));
    CHECK(has(&v, "gtt-default"));
    CHECK(has(&v, "iommu-on"));
    CHECK(has(&v, "kernel-old"));
    CHECK(!has(&v, "gttsize-deprecated")); /* gtt_size is not gttsize */
    CHECK(!has(&v, "carveout-large"));
    CHECK(!has(&v, "gtt-no-headroom"));
    CHECK(!has(&v, "nomodeset"));
    /* Ubuntu: the fixes edit /etc/default/grub. */
    const struct finding *fi = verdict_find(&v, "iommu-on");
    CHECK(fi && strstr(fi->fix, "update-grub") && strstr(fi->fix, "amd_iommu=off"));
    fi = verdict_find(&v, "gtt-default");
    /* RAM 124.5 GiB - 4 GiB headroom -> 120 GiB = 31457280 pages */
    CHECK(fi && strstr(fi->fix, "ttm.pages_limit=31457280"));
    CHECK(!verdict_has_error(&v));
    /* Vulkan unknown: no backend can be recommended. */
    CHECK(v.recommendation.backend == NULL);
    verdict_release(&v);
    facts_release(&f);
}

/* The same host as an image-based Fedora (as `inspect --json` writes it):
 * every fix goes through rpm-ostree, none through grubby or dnf. */
static void test_findings_image_based_fedora(void)
{
    cJSON *root = cJSON_Parse(ubuntu_5595);
    cJSON *os = cJSON_CreateObject();
    cJSON_AddStringToObject(os, "id", "bazzite");
    cJSON_AddStringToObject(os, "id_like", "fedora");
    cJSON_AddBoolToObject(os, "image_based", true);
    cJSON_ReplaceItemInObject(root, "os", os);
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    struct facts f;
    facts_from(&f, json);
    free(json);
    CHECK(f.os.image_based == TRI_YES);
    struct verdict v;
    doctor_evaluate(&f, &v);
    const struct finding *fi = verdict_find(&v, "iommu-on");
    CHECK(fi && str_starts_with(fi->fix, "sudo rpm-ostree kargs ") &&
          strstr(fi->fix, "--append-if-missing=amd_iommu=off"));
    fi = verdict_find(&v, "gtt-default");
    CHECK(fi && strstr(fi->fix, "--append-if-missing=ttm.pages_limit=31457280"));
    fi = verdict_find(&v, "kernel-old");
    CHECK(fi && strstr(fi->fix, "rpm-ostree upgrade"));
    for (size_t i = 0; i < v.n_findings; i++) {
        const struct finding *x = &v.findings[i];
        if (x->fix && (strstr(x->fix, "grubby") || strstr(x->fix, "dnf ")))
            test_fail(__FILE__, __LINE__, "%s: %s", x->id, x->fix);
    }
    verdict_release(&v);
    facts_release(&f);
}

static void test_iommu_rules(void)
{
    struct facts f;
    struct verdict v;
    /* A partial command line ("…") proves nothing by absence. */
    facts_from(&f, "{\"kernel\":{\"cmdline\":\"\xe2\x80\xa6 ttm.pages_limit=25165824\","
                   "\"params\":{\"ttm.pages_limit\":\"25165824\"}},"
                   "\"gpus\":[{\"family\":\"strix-halo\"}]}");
    doctor_evaluate(&f, &v);
    CHECK(!has(&v, "iommu-on"));
    verdict_release(&v);
    facts_release(&f);
    /* amd_iommu=on is not a value the kernel knows: on, and unknown. */
    facts_from(&f, "{\"os\":{\"id\":\"fedora\"},\"kernel\":{\"cmdline\":\"amd_iommu=on iommu=pt "
                   "gttsize=94208\",\"params\":{\"amd_iommu\":\"on\",\"iommu\":\"pt\","
                   "\"gttsize\":\"94208\"}},\"gpus\":[{\"family\":\"strix-halo\"}]}");
    doctor_evaluate(&f, &v);
    CHECK(has(&v, "iommu-on"));
    CHECK(has(&v, "param-unknown"));
    CHECK(!has(&v, "gttsize-deprecated"));
    const struct finding *fi = verdict_find(&v, "iommu-on");
    CHECK(fi && strstr(fi->fix, "grubby") && strstr(fi->fix, "--remove-args='amd_iommu'") &&
          strstr(fi->fix, "--args='amd_iommu=off'"));
    verdict_release(&v);
    facts_release(&f);
    /* amd_iommu=off (or iommu=off) on a full line: no finding. */
    facts_from(&f, "{\"kernel\":{\"cmdline\":\"ro amd_iommu=force_isolation,off\","
                   "\"params\":{\"ro\":\"\",\"amd_iommu\":\"force_isolation,off\"}},"
                   "\"gpus\":[{\"family\":\"strix-halo\"}]}");
    doctor_evaluate(&f, &v);
    CHECK(!has(&v, "iommu-on"));
    CHECK(!has(&v, "param-unknown"));
    verdict_release(&v);
    facts_release(&f);
    /* Not a Strix Halo: no IOMMU advice. */
    facts_from(&f, "{\"kernel\":{\"cmdline\":\"ro\",\"params\":{\"ro\":\"\"}},"
                   "\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x744c\"}]}");
    doctor_evaluate(&f, &v);
    CHECK(!has(&v, "iommu-on"));
    verdict_release(&v);
    facts_release(&f);
}

static void test_kernel_param_knowledge(void)
{
    const char *s;
    CHECK(kernel_param_problem("amdgpu.gttsize", "1", &s) == NULL);
    CHECK(kernel_param_problem("amdgpu.cwsr-enable", "0", &s) == NULL);
    CHECK(kernel_param_problem("amdgpu.gtt_size", "1", &s) != NULL);
    CHECK_STR(s, "ttm.pages_limit");
    CHECK(kernel_param_problem("amdgpu.vm_fragmentze", "_size=9", &s) != NULL);
    CHECK(kernel_param_problem("ttm.page_pool_size", "1", &s) == NULL);
    CHECK(kernel_param_problem("ttm.pagelimit", "1", &s) != NULL);
    CHECK(kernel_param_problem("amdttm.pages_limit", "1", &s) == NULL);
    CHECK(kernel_param_problem("amd_iommu", "pt", &s) != NULL);
    CHECK(kernel_param_problem("amd_iommu", "off", &s) == NULL);
    CHECK(kernel_param_problem("gttsize", "94208", &s) != NULL);
    CHECK(kernel_param_problem("nvme_load", "YES", &s) == NULL);
    CHECK(kernel_param_problem("iommu", "pt", &s) == NULL);
    CHECK(amd_iommu_value_is_off("off"));
    CHECK(amd_iommu_value_is_off("fullflush,off"));
    CHECK(!amd_iommu_value_is_off("on"));
}

static void test_fixes_per_distro(void)
{
    /* Bazzite's os-release; only the OSTree marker makes it image-based. */
    struct facts_os os = {.id = "bazzite", .id_like = "fedora"};
    CHECK(distro_family_of(&os) == DISTRO_FEDORA);
    os.image_based = TRI_YES;
    CHECK(distro_family_of(&os) == DISTRO_FEDORA_ATOMIC);
    struct facts_os ostree_deb = {.id = "debian", .image_based = TRI_YES};
    CHECK(distro_family_of(&ostree_deb) == DISTRO_DEBIAN);
    struct facts_os deb = {.id = "pop", .id_like = "ubuntu debian"};
    CHECK(distro_family_of(&deb) == DISTRO_DEBIAN);
    struct facts_os arch = {.id = "arch"};
    CHECK(distro_family_of(&arch) == DISTRO_OTHER);
    const char *rm[] = {"amdgpu.gtt_size", NULL};
    const char *add[] = {"ttm.pages_limit=31457280", NULL};
    char *fix = fix_kernel_args(DISTRO_FEDORA, rm, add);
    CHECK_STR(fix, "sudo grubby --update-kernel=ALL --remove-args='amdgpu.gtt_size' "
                   "--args='ttm.pages_limit=31457280', then reboot");
    free(fix);
    fix = fix_kernel_args(DISTRO_FEDORA_ATOMIC, rm, add);
    CHECK_STR(fix, "sudo rpm-ostree kargs --delete-if-present=amdgpu.gtt_size "
                   "--append-if-missing=ttm.pages_limit=31457280, then reboot");
    free(fix);
    fix = fix_install(DISTRO_FEDORA_ATOMIC, "podman", "podman", "podman");
    CHECK_STR(fix, "sudo rpm-ostree install podman, then reboot");
    free(fix);
    fix = fix_kernel_args(DISTRO_DEBIAN, rm, add);
    CHECK(strstr(fix, "amdgpu\\.gtt_size") && strstr(fix, "&ttm.pages_limit=31457280 ") &&
          strstr(fix, "update-grub"));
    free(fix);
    fix = fix_kernel_args(DISTRO_OTHER, NULL, add);
    CHECK_STR(fix, "add ttm.pages_limit=31457280 to the kernel command line in your boot loader, "
                   "then reboot");
    free(fix);
}

/* The recommendation is the recipes' choice (recipes/ of this checkout, as
 * run makes it), with the workload: Vulkan for chat on Strix Halo, ROCm for
 * long prefill where a ROCm recipe suits, the CPU image without a GPU, and
 * nothing named where the facts cannot tell or the recipes are missing. */
static void recommend_for(struct verdict *v, const struct facts *f, enum workload w,
                          const struct recipe_set *set)
{
    doctor_evaluate(f, v);
    verdict_recommend(v, f, w, set);
}

static void test_recommendation(void)
{
    struct recipe_set set;
    struct hb_error err = HB_ERROR_INIT;
    if (recipes_load_dir(&set, "recipes", &err) < 0) {
        test_fail(__FILE__, __LINE__, "recipes/ does not load: %s", err.msg);
        hb_error_release(&err);
        return;
    }
    struct facts f;
    struct verdict v;
    const char *sh = "{\"kernel\":{\"release\":\"%s\"},\"rocm\":{\"kfd\":{\"present\":true,"
                     "\"access\":true}},\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":"
                     "\"0x1586\",\"driver\":\"amdgpu\"}],\"vulkan\":{\"devices\":[{\"name\":"
                     "\"Radeon 8060S Graphics (RADV STRIX_HALO)\",\"vendor_id\":\"0x1002\","
                     "\"device_id\":\"0x1586\",\"type\":\"integrated\",\"driver\":\"radv\"}]}}";
    char buf[1024];
    snprintf(buf, sizeof(buf), sh, "6.18.9-200.fc43.x86_64");
    facts_from(&f, buf);
    recommend_for(&v, &f, WORKLOAD_CHAT, &set);
    CHECK_STR(v.recommendation.backend, "vulkan");
    CHECK_STR(v.recommendation.recipe, "vulkan-radv");
    CHECK(v.recommendation.n_reasons >= 2);
    /* What run would start: the same recipe. */
    struct recipe_choice c;
    const struct recipe *r = recipes_select_for(&set, &f, false, &c);
    CHECK(r && !strcmp(r->name, "vulkan-radv"));
    recipe_choice_release(&c);
    verdict_release(&v);
    recommend_for(&v, &f, WORKLOAD_PREFILL, &set);
    CHECK_STR(v.recommendation.backend, "rocm");
    CHECK_STR(v.recommendation.recipe, "rocm-gfx1151");
    r = recipes_select_for(&set, &f, true, &c);
    CHECK(r && !strcmp(r->name, "rocm-gfx1151"));
    recipe_choice_release(&c);
    verdict_release(&v);
    /* No recipes: no recommendation, and a reason saying why. */
    recommend_for(&v, &f, WORKLOAD_CHAT, NULL);
    CHECK(v.recommendation.backend == NULL && v.recommendation.recipe == NULL);
    CHECK(v.recommendation.n_reasons >= 1 &&
          strstr(v.recommendation.reasons[v.recommendation.n_reasons - 1], "recipes"));
    verdict_release(&v);
    facts_release(&f);
    /* Too old a kernel for the gfx1151 ROCm recipe: Vulkan even for prefill,
     * and the reasons say which recipe wanted what. */
    snprintf(buf, sizeof(buf), sh, "6.17.1");
    facts_from(&f, buf);
    recommend_for(&v, &f, WORKLOAD_PREFILL, &set);
    CHECK_STR(v.recommendation.backend, "vulkan");
    CHECK(has(&v, "kernel-old"));
    bool said = false;
    for (size_t i = 0; i < v.recommendation.n_reasons; i++)
        said = said || strstr(v.recommendation.reasons[i], "rocm-gfx1151: needs kernel 6.18.4");
    CHECK(said);
    verdict_release(&v);
    facts_release(&f);
    /* Vulkan devices unknown (a saved report): chat cannot be told. */
    facts_from(&f, "{\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x1586\"}]}");
    recommend_for(&v, &f, WORKLOAD_CHAT, &set);
    CHECK(v.recommendation.backend == NULL);
    verdict_release(&v);
    facts_release(&f);
    /* No GPU at all: CPU. */
    facts_from(&f, "{\"gpus\":[],\"vulkan\":{\"devices\":[{\"name\":\"llvmpipe\",\"type\":"
                   "\"cpu\",\"driver\":\"llvmpipe\"}]}}");
    recommend_for(&v, &f, WORKLOAD_CHAT, &set);
    CHECK_STR(v.recommendation.backend, "cpu");
    CHECK(has(&v, "no-gpu"));
    CHECK(has(&v, "vulkan-cpu-only"));
    CHECK(verdict_find(&v, "vulkan-cpu-only")->severity == SEV_INFO);
    verdict_release(&v);
    facts_release(&f);
    recipes_release(&set);
}

static void test_access_and_env(void)
{
    struct facts f;
    struct verdict v;
    facts_from(&f, "{\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x1586\","
                   "\"render_node\":\"/dev/dri/renderD128\",\"render_access\":false}],"
                   "\"rocm\":{\"kfd\":{\"present\":true,\"access\":false}},"
                   "\"containers\":{\"podman\":{\"path\":null,\"version\":null,\"found\":false},"
                   "\"selinux\":\"enforcing\"},"
                   "\"env\":{\"HSA_OVERRIDE_GFX_VERSION\":\"11.0.0\"}}");
    doctor_evaluate(&f, &v);
    CHECK(verdict_find(&v, "render-no-access")->severity == SEV_ERROR);
    CHECK(has(&v, "kfd-no-access"));
    CHECK(!has(&v, "kfd-missing"));
    CHECK(has(&v, "podman-missing"));
    CHECK(has(&v, "selinux-enforcing"));
    CHECK(verdict_find(&v, "hsa-override-set")->severity == SEV_ERROR);
    CHECK(verdict_has_error(&v));
    verdict_release(&v);
    facts_release(&f);
}

/* nvidia-no-cdi: an NVIDIA GPU on NVIDIA's driver and no nvidia.com/gpu
 * CDI device; the GPU and driver as in the EndeavourOS capture. */
static void nvidia_facts(struct facts *f, const char *os_id, const char *driver, const char *cdi)
{
    struct strbuf j = STRBUF_INIT;
    strbuf_addf(&j,
                "{\"os\":{\"id\":\"%s\"},\"gpus\":[{\"vendor_id\":\"0x10de\","
                "\"device_id\":\"0x2d04\",\"driver\":\"%s\"}],\"containers\":{\"cdi_devices\":%s}}",
                os_id, driver, cdi);
    facts_from(f, j.buf);
    strbuf_release(&j);
}

static void test_nvidia_cdi(void)
{
    static const struct {
        const char *os, *driver, *cdi;
        bool fires;
        const char *fix_part;
    } cases[] = {
        {"endeavouros", "nvidia", "[]", true,
         "install nvidia-container-toolkit (your distribution"},
        {"fedora", "nvidia", "[\"halobox.test/dev=all\"]", true,
         "add NVIDIA's nvidia-container-toolkit repository (Fedora does not package it), sudo dnf "
         "install nvidia-container-toolkit, then sudo nvidia-ctk cdi generate "
         "--output=/etc/cdi/nvidia.yaml"},
        {"ubuntu", "nvidia", "[]", true,
         "apt repository, sudo apt install nvidia-container-toolkit"},
        {"fedora", "nvidia", "[\"nvidia.com/gpu=all\"]", false, NULL},
        {"fedora", "nvidia", "[\"nvidia.com/gpu=0\"]", false, NULL},
        {"fedora", "nvidia", "null", false, NULL}, /* not looked: no finding */
        {"fedora", "nouveau", "[]", false, NULL},  /* Mesa drives it: no CDI needed */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct facts f;
        struct verdict v;
        nvidia_facts(&f, cases[i].os, cases[i].driver, cases[i].cdi);
        doctor_evaluate(&f, &v);
        const struct finding *fd = verdict_find(&v, "nvidia-no-cdi");
        if (!fd != !cases[i].fires)
            test_fail(__FILE__, __LINE__, "case %zu: nvidia-no-cdi %s", i,
                      fd ? "fired" : "missing");
        if (fd) {
            CHECK(fd->severity == SEV_WARN);
            CHECK(strstr(fd->message, "nvidia.com/gpu") != NULL);
            CHECK(fd->fix && strstr(fd->fix, cases[i].fix_part));
            CHECK(fd->fix && strstr(fd->fix, "sudo nvidia-ctk cdi generate "
                                             "--output=/etc/cdi/nvidia.yaml"));
        }
        verdict_release(&v);
        facts_release(&f);
    }
    /* An AMD host with no CDI at all has nothing to fix. */
    struct facts f;
    struct verdict v;
    facts_from(&f, "{\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x1586\","
                   "\"driver\":\"amdgpu\"}],\"containers\":{\"cdi_devices\":[]}}");
    doctor_evaluate(&f, &v);
    CHECK(!has(&v, "nvidia-no-cdi"));
    verdict_release(&v);
    facts_release(&f);
}

/* rootless-runc: rootless podman on runc with a GPU device to pass. */
static void test_rootless_runc(void)
{
    static const struct {
        const char *json;
        bool fires;
    } cases[] = {
        {"{\"os\":{\"id\":\"fedora\"},\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x1586\","
         "\"render_node\":\"/dev/dri/renderD128\"}],"
         "\"containers\":{\"rootless\":true,\"oci_runtime\":\"runc\"}}",
         true},
        /* /dev/kfd alone is a device too (an AMD host without render node facts). */
        {"{\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x1586\"}],"
         "\"rocm\":{\"kfd\":{\"present\":true}},"
         "\"containers\":{\"rootless\":true,\"oci_runtime\":\"runc\"}}",
         true},
        {"{\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x1586\","
         "\"render_node\":\"/dev/dri/renderD128\"}],"
         "\"containers\":{\"rootless\":true,\"oci_runtime\":\"crun\"}}",
         false},
        {"{\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x1586\","
         "\"render_node\":\"/dev/dri/renderD128\"}],"
         "\"containers\":{\"rootless\":false,\"oci_runtime\":\"runc\"}}",
         false},
        {"{\"gpus\":[{\"vendor_id\":\"0x1002\",\"device_id\":\"0x1586\","
         "\"render_node\":\"/dev/dri/renderD128\"}],\"containers\":{\"rootless\":true}}",
         false},
        {"{\"gpus\":[],\"containers\":{\"rootless\":true,\"oci_runtime\":\"runc\"}}", false},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct facts f;
        struct verdict v;
        facts_from(&f, cases[i].json);
        doctor_evaluate(&f, &v);
        const struct finding *fd = verdict_find(&v, "rootless-runc");
        if (!fd != !cases[i].fires)
            test_fail(__FILE__, __LINE__, "case %zu: rootless-runc %s", i,
                      fd ? "fired" : "missing");
        if (fd) {
            CHECK(fd->severity == SEV_WARN);
            CHECK(strstr(fd->message, i == 0 ? "/dev/dri/renderD128" : "/dev/kfd") != NULL);
            CHECK(strstr(fd->fix, "runtime = \"crun\" under [engine] in "
                                  "~/.config/containers/containers.conf") != NULL);
        }
        if (i == 0)
            CHECK_STR(fd ? fd->fix : NULL,
                      "sudo dnf install crun, then set runtime = \"crun\" under [engine] in "
                      "~/.config/containers/containers.conf");
        verdict_release(&v);
        facts_release(&f);
    }
}

static void test_json_roundtrip(void)
{
    struct facts f;
    facts_from(&f, ubuntu_5595);
    cJSON *j = facts_to_json(&f);
    struct facts g;
    facts_init(&g);
    struct hb_error err = HB_ERROR_INIT;
    CHECK(facts_from_json(&g, j, "roundtrip", &err) == 0);
    cJSON *k = facts_to_json(&g);
    char *a = cJSON_PrintUnformatted(j), *b = cJSON_PrintUnformatted(k);
    CHECK_STR(a, b);
    CHECK(strstr(a, "\"vendor_id\":\"0x1002\"") != NULL);
    CHECK(strstr(a, "\"ttm_pages_limit\":16313192") != NULL);
    /* A report from before the CDI and runtime probes: unknown, null. */
    CHECK(strstr(a, "\"cdi_devices\":null") != NULL);
    CHECK(strstr(a, "\"oci_runtime\":null") != NULL);
    free(a);
    free(b);
    cJSON_Delete(j);
    cJSON_Delete(k);
    facts_release(&g);
    facts_release(&f);
    /* Known lists, empty or not, come back as they were. */
    static const char *const lists[] = {"[]", "[\"nvidia.com/gpu=0\",\"nvidia.com/gpu=all\"]"};
    for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
        struct strbuf in = STRBUF_INIT;
        strbuf_addf(&in, "{\"containers\":{\"cdi_devices\":%s}}", lists[i]);
        facts_from(&f, in.buf);
        CHECK(f.containers.cdi_devices_known);
        j = facts_to_json(&f);
        facts_init(&g);
        CHECK(facts_from_json(&g, j, "roundtrip", &err) == 0);
        CHECK(g.containers.cdi_devices_known);
        CHECK_U64(g.containers.n_cdi_devices, f.containers.n_cdi_devices);
        a = cJSON_PrintUnformatted(
            cJSON_GetObjectItem(cJSON_GetObjectItem(j, "containers"), "cdi_devices"));
        CHECK_STR(a, lists[i]);
        free(a);
        strbuf_release(&in);
        cJSON_Delete(j);
        facts_release(&g);
        facts_release(&f);
    }
    hb_error_release(&err);
}

static void test_json_type_errors(void)
{
    static const struct {
        const char *json;
        const char *expect;
    } cases[] = {
        {"{\"gpus\":\"x\"}", "test: gpus: expected an array or null"},
        {"{\"gpus\":[{\"vram_bytes\":\"lots\"}]}", "test: gpus[0].vram_bytes: expected a whole"},
        {"{\"gpus\":[{\"vram_bytes\":-1}]}", "test: gpus[0].vram_bytes: expected a whole"},
        {"{\"kernel\":{\"params\":5}}", "test: kernel.params: expected an object"},
        {"{\"gpus\":[{\"vendor_id\":\"amd\"}]}", "test: gpus[0].vendor_id: expected a hex"},
        {"{\"schema\":\"other/2\"}", "test: schema: expected"},
        {"[]", "test: expected a JSON object"},
        {"{\"user\":{\"groups\":[1]}}", "test: user.groups[0]: expected a string"},
        {"{\"containers\":{\"cdi_devices\":\"all\"}}",
         "test: containers.cdi_devices: expected an array"},
        {"{\"containers\":{\"cdi_devices\":[\"a.b/c=x\",2]}}",
         "test: containers.cdi_devices[1]: expected a string"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct facts f;
        facts_init(&f);
        cJSON *root = cJSON_Parse(cases[i].json);
        struct hb_error err = HB_ERROR_INIT;
        CHECK(facts_from_json(&f, root, "test", &err) < 0);
        if (!err.msg || strncmp(err.msg, cases[i].expect, strlen(cases[i].expect)))
            test_fail(__FILE__, __LINE__, "%s: got '%s'", cases[i].json, err.msg);
        CHECK(err.exit_code == EXIT_INPUT);
        hb_error_release(&err);
        cJSON_Delete(root);
        facts_release(&f);
    }
}

static void test_kernel_version(void)
{
    uint64_t v;
    CHECK(kernel_version_parse("6.18.4-200.fc43.x86_64", &v));
    CHECK_U64(v, 6018004);
    CHECK(kernel_version_parse("6.12.57+deb13-amd64", &v));
    CHECK_U64(v, 6012057);
    CHECK(kernel_version_parse("7.1", &v));
    CHECK_U64(v, 7001000);
    CHECK(!kernel_version_parse("linux", &v));
    CHECK(!kernel_version_parse(NULL, &v));
}

int main(void)
{
    RUN(test_derive_from_pci_ids);
    RUN(test_gpu_memory_apu);
    RUN(test_gpu_memory_fallbacks);
    RUN(test_findings_5595);
    RUN(test_findings_image_based_fedora);
    RUN(test_iommu_rules);
    RUN(test_kernel_param_knowledge);
    RUN(test_fixes_per_distro);
    RUN(test_recommendation);
    RUN(test_access_and_env);
    RUN(test_nvidia_cdi);
    RUN(test_rootless_runc);
    RUN(test_json_roundtrip);
    RUN(test_json_type_errors);
    RUN(test_kernel_version);
    return test_summary();
}
