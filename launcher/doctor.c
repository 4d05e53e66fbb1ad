/* The findings of DESIGN.md, one rule each. A rule fires only on what the
 * facts prove: an unknown value never triggers a finding, and never hides
 * one that the known values prove. */
#include "util/common.h"

#include <ctype.h>
#include <stdarg.h>

#include "doctor.h"
#include "doctor_fix.h"
#include "gpu_ids.h"
#include "kernel_params.h"
#include "util/strbuf.h"

/* Thresholds (DESIGN.md, findings table). */
#define HEADROOM_MIN      (4 * GIB)  /* RAM the OS keeps beside the GTT */
#define CARVEOUT_LARGE    (16 * GIB) /* a BIOS carve-out this big is lost to the OS */
#define TTM_MISMATCH_MIN  (1 * GIB)  /* GTT and TTM further apart than this */
#define HIP_UNDERCOUNT    0.75       /* HIP below this share of usable memory */
#define KERNEL_MEMORY_FIX 6016000ULL /* 6.16: gfx1151 memory fixes */
#define FIRMWARE_BAD      "20251125"

const char *severity_name(enum severity s)
{
    static const char *const names[] = {"ok", "info", "warn", "error"};
    return names[s];
}

static void add(struct verdict *v, const char *id, enum severity sev, char *fix, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));

static void add(struct verdict *v, const char *id, enum severity sev, char *fix, const char *fmt,
                ...)
{
    struct strbuf msg = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&msg, fmt, ap);
    va_end(ap);
    v->findings = xrealloc(v->findings, (v->n_findings + 1) * sizeof(*v->findings));
    v->findings[v->n_findings++] =
        (struct finding){.id = id, .severity = sev, .message = strbuf_detach(&msg), .fix = fix};
}

static double gib(uint64_t bytes)
{
    return (double)bytes / (double)GIB;
}

bool kernel_version_parse(const char *release, uint64_t *out)
{
    if (!release || !isdigit((unsigned char)release[0]))
        return false;
    unsigned long parts[3] = {0, 0, 0};
    const char *p = release;
    for (int i = 0; i < 3; i++) {
        if (!isdigit((unsigned char)*p))
            break;
        char *end;
        parts[i] = strtoul(p, &end, 10);
        if (parts[i] > 999)
            return false;
        p = end;
        if (*p != '.')
            break;
        p++;
    }
    *out = parts[0] * 1000000ULL + parts[1] * 1000ULL + parts[2];
    return true;
}

static bool any_amd(const struct facts *f)
{
    for (size_t i = 0; i < f->n_gpus; i++)
        if (facts_gpu_is_amd(&f->gpus[i]))
            return true;
    return false;
}

static const struct facts_gpu *strix_halo(const struct facts *f)
{
    for (size_t i = 0; i < f->n_gpus; i++)
        if (str_eq(f->gpus[i].family, "strix-halo") || str_eq(f->gpus[i].gfx, "gfx1151"))
            return &f->gpus[i];
    return NULL;
}

/* A command line a person pasted with parts left out ("…" or "...") proves
 * what it shows, not what it lacks. A facts file with params but no
 * command line is treated the same way. */
static bool cmdline_complete(const struct facts_kernel *k)
{
    return k->params_known && k->cmdline && !strstr(k->cmdline, "\xe2\x80\xa6") &&
           !strstr(k->cmdline, "...");
}

static const char *ttm_param_name(const struct facts *f)
{
    return str_eq(f->kernel.ttm_module, "amdttm") ? "amdttm.pages_limit" : "ttm.pages_limit";
}

/* ttm.pages_limit=N that leaves HEADROOM_MIN of RAM to the OS, in whole
 * GiB; 0 when RAM is unknown or too small to bother. */
static uint64_t suggested_pages(const struct facts *f)
{
    if (!f->memory.total_bytes.known || !f->memory.page_size.known || !f->memory.page_size.v)
        return 0;
    uint64_t ram = f->memory.total_bytes.v;
    if (ram < 2 * HEADROOM_MIN)
        return 0;
    uint64_t gib_whole = (ram - HEADROOM_MIN) / GIB;
    return gib_whole * GIB / f->memory.page_size.v;
}

/* The fix that sets the TTM limit, dropping amdgpu.gttsize on the way. */
static char *ttm_fix(const struct facts *f, enum distro_family d, uint64_t pages)
{
    struct strbuf arg = STRBUF_INIT;
    strbuf_addf(&arg, "%s=%llu", ttm_param_name(f), (unsigned long long)pages);
    const char *add_args[] = {arg.buf, NULL};
    const char *remove[4] = {NULL};
    size_t n = 0;
    if (facts_param(&f->kernel, "amdgpu.gttsize"))
        remove[n++] = "amdgpu.gttsize";
    if (facts_param(&f->kernel, ttm_param_name(f)))
        remove[n++] = ttm_param_name(f);
    char *fix = fix_kernel_args(d, remove, add_args);
    strbuf_release(&arg);
    return fix;
}

static void check_gpu_presence(const struct facts *f, struct verdict *v)
{
    if (!f->gpus_known)
        return;
    bool gpu = false;
    for (size_t i = 0; i < f->n_gpus; i++)
        gpu = gpu || (f->gpus[i].family && strcmp(f->gpus[i].family, "other"));
    for (size_t i = 0; i < f->vulkan.n_devices; i++)
        gpu = gpu || !str_eq(f->vulkan.devices[i].type, "cpu");
    gpu = gpu || f->rocm.n_devices > 0;
    if (!gpu)
        add(v, "no-gpu", SEV_WARN, NULL,
            "no GPU that an engine can use was found: models run on the CPU image, slowly");
}

static void check_apu_memory(const struct facts *f, enum distro_family d, struct verdict *v)
{
    const struct gpu_memory *m = &v->memory;
    if (m->gpu < 0 || f->gpus[m->gpu].integrated != TRI_YES)
        return;
    const struct facts_gpu *g = &f->gpus[m->gpu];
    uint64_t pages = suggested_pages(f);

    if (g->vram_bytes.known && g->vram_bytes.v >= CARVEOUT_LARGE)
        add(v, "carveout-large", SEV_WARN,
            xstrdup(
                "in the firmware setup (BIOS), set the UMA frame buffer / iGPU memory to 512 MB "
                "and let the GTT give the GPU its memory"),
            "the BIOS reserves %.1f GiB of VRAM for the GPU: the OS loses it for everything else",
            gib(g->vram_bytes.v));

    if (m->gtt_bytes.known && m->ttm_bytes.known) {
        uint64_t a = m->gtt_bytes.v, b = m->ttm_bytes.v;
        if ((a > b ? a - b : b - a) > TTM_MISMATCH_MIN)
            add(v, "ttm-mismatch", SEV_WARN, pages ? ttm_fix(f, d, pages) : NULL,
                "GTT is %.1f GiB but the TTM limit is %.1f GiB (the kernel calls this unusual): "
                "the GPU gets only %.1f GiB",
                gib(a), gib(b), gib(a < b ? a : b));
    }

    if (!m->ram_bytes.known || !m->shared_bytes.known || !m->usable_bytes.known)
        return;
    uint64_t ram = m->ram_bytes.v;
    /* The kernel default caps TTM (and so GTT) at half of RAM. A limit the
     * user set on purpose is not the default, whatever its size. */
    bool user_set = facts_param(&f->kernel, ttm_param_name(f)) && !str_eq(m->limited_by, "gtt");
    double share = (double)m->usable_bytes.v / (double)ram;
    if (!user_set && share > 0.40 && share < 0.60 && !str_eq(m->limited_by, "ram") && pages)
        add(v, "gtt-default", SEV_WARN, ttm_fix(f, d, pages),
            "the GPU can use %.1f GiB of %.1f GiB RAM, the kernel's default of about half: raise "
            "the TTM limit to %.0f GiB",
            gib(m->usable_bytes.v), gib(ram), gib(pages * f->memory.page_size.v));
    if (ram < m->shared_bytes.v + HEADROOM_MIN)
        add(v, "gtt-no-headroom", SEV_WARN, pages ? ttm_fix(f, d, pages) : NULL,
            "the GPU may take %.1f GiB of %.1f GiB RAM, leaving the OS under %.0f GiB: a large "
            "model can run the host out of memory",
            gib(m->shared_bytes.v), gib(ram), gib(HEADROOM_MIN));
}

static void check_cmdline(const struct facts *f, enum distro_family d, struct verdict *v)
{
    const struct facts_kernel *k = &f->kernel;
    if (!k->params_known)
        return;
    /* Unknown parameters: collect them into one finding with one fix. */
    const char *bad[64];
    size_t n_bad = 0;
    struct strbuf list = STRBUF_INIT;
    const char *hint = NULL;
    for (size_t i = 0; i < k->n_params && n_bad < ARRAY_SIZE(bad) - 1; i++) {
        const char *suggestion;
        const char *why = kernel_param_problem(k->params[i].key, k->params[i].value, &suggestion);
        if (!why)
            continue;
        bad[n_bad++] = k->params[i].key;
        strbuf_addf(&list, "%s'%s%s%s' (%s)", list.len ? ", " : "", k->params[i].key,
                    *k->params[i].value ? "=" : "", k->params[i].value, why);
        if (suggestion && !hint)
            hint = suggestion;
    }
    bad[n_bad] = NULL;
    if (n_bad) {
        /* Removing the token by key covers key=value too. */
        add(v, "param-unknown", SEV_WARN, fix_kernel_args(d, bad, NULL),
            "the kernel ignores %s%s%s%s", list.buf, hint ? "; use " : "", hint ? hint : "",
            hint ? " instead" : "");
    }
    strbuf_release(&list);

    const char *gttsize = facts_param(k, "amdgpu.gttsize");
    if (gttsize) {
        char *end;
        long mib = strtol(gttsize, &end, 10);
        char *fix = NULL;
        if (*gttsize && !*end && mib > 0 && f->memory.page_size.known && f->memory.page_size.v)
            fix = ttm_fix(f, d, (uint64_t)mib * MIB / f->memory.page_size.v);
        add(v, "gttsize-deprecated", SEV_INFO, fix,
            "amdgpu.gttsize=%s is deprecated: the kernel wants ttm.pages_limit, and setting both "
            "invites a GTT/TTM mismatch",
            gttsize);
    }

    if (facts_param(k, "nomodeset"))
        add(v, "nomodeset", SEV_ERROR,
            fix_kernel_args(d, (const char *[]){"nomodeset", NULL}, NULL),
            "nomodeset is on the kernel command line: amdgpu will not drive the GPU");

    const struct facts_gpu *sh = strix_halo(f);
    if (sh) {
        const char *amd_iommu = facts_param(k, "amd_iommu");
        const char *iommu = facts_param(k, "iommu");
        bool off = amd_iommu_value_is_off(amd_iommu) || str_eq(iommu, "off");
        /* Fires when the line is complete, or when it says so itself. */
        if (!off && (cmdline_complete(k) || amd_iommu)) {
            const char *remove[] = {"amd_iommu", NULL};
            struct strbuf shown = STRBUF_INIT;
            if (amd_iommu)
                strbuf_addf(&shown, " (amd_iommu=%s)", amd_iommu);
            add(v, "iommu-on", SEV_WARN,
                fix_kernel_args(d, amd_iommu ? remove : NULL,
                                (const char *[]){"amd_iommu=off", NULL}),
                "the IOMMU is on%s: models over 64 GB can hang while loading and inference is "
                "5-12 %% slower (amd_iommu=off also turns off the NPU)",
                shown.buf);
            strbuf_release(&shown);
        }
    }
}

static void check_kernel_firmware(const struct facts *f, enum distro_family d, struct verdict *v)
{
    const struct facts_gpu *sh = strix_halo(f);
    if (!sh)
        return;
    uint64_t ver;
    if (kernel_version_parse(f->kernel.release, &ver) && ver < KERNEL_ROCM_FIX) {
        /* On an image-based host the kernel comes with the image. */
        const char *fix = d == DISTRO_FEDORA ? "sudo dnf upgrade --refresh kernel, then reboot"
                          : d == DISTRO_FEDORA_ATOMIC
                              ? "sudo rpm-ostree upgrade (the kernel comes with the image), then "
                                "reboot"
                          : d == DISTRO_DEBIAN ? "install a 6.18.4 or newer kernel (Debian: from "
                                                 "backports; Ubuntu: the HWE or OEM kernel), "
                                                 "then reboot"
                                               : "install a 6.18.4 or newer kernel, then reboot";
        if (ver < KERNEL_MEMORY_FIX)
            add(v, "kernel-old", SEV_WARN, xstrdup(fix),
                "kernel %s is older than 6.16: gfx1151 lacks memory fixes there, and ROCm needs "
                "6.18.4 for stability",
                f->kernel.release);
        else
            add(v, "kernel-old", SEV_WARN, xstrdup(fix),
                "kernel %s is older than 6.18.4, which fixes ROCm stability on gfx1151",
                f->kernel.release);
    }
    if (str_eq(f->firmware.linux_firmware, FIRMWARE_BAD)) {
        char *fix = d == DISTRO_FEDORA
                        ? xstrdup("sudo dnf upgrade --refresh 'linux-firmware*' amd-gpu-firmware, "
                                  "then reboot")
                    : d == DISTRO_FEDORA_ATOMIC
                        ? xstrdup("sudo rpm-ostree upgrade (the firmware comes with the image), "
                                  "then reboot")
                    : d == DISTRO_DEBIAN
                        ? xstrdup("sudo apt update && sudo apt install --only-upgrade "
                                  "linux-firmware, then reboot")
                        : xstrdup("update linux-firmware to a release after 20251125 (or go back "
                                  "to an earlier one), then reboot");
        add(v, "firmware-bad", SEV_WARN, fix, "linux-firmware %s is known to break ROCm on gfx1151",
            FIRMWARE_BAD);
    }
}

static void check_access(const struct facts *f, struct verdict *v)
{
    const char *groups_fix = "sudo usermod -aG render,video $USER, then log out and in again";
    for (size_t i = 0; i < f->n_gpus; i++) {
        const struct facts_gpu *g = &f->gpus[i];
        if (g->render_node && g->render_access == TRI_NO)
            add(v, "render-no-access", SEV_ERROR, xstrdup(groups_fix),
                "this user cannot open %s: the GPU is unusable without it", g->render_node);
    }
    if (!any_amd(f))
        return;
    if (f->rocm.kfd_present == TRI_NO) {
        bool inside = f->containers.inside_container == TRI_YES;
        add(v, "kfd-missing", SEV_WARN,
            xstrdup(inside ? "recreate this container with --device /dev/kfd --device /dev/dri"
                           : "load amdgpu with KFD support (sudo modprobe amdgpu; kernels need "
                             "CONFIG_HSA_AMD)"),
            "/dev/kfd does not exist%s: ROCm images cannot run, Vulkan ones can",
            inside ? " in this container" : "");
    } else if (f->rocm.kfd_present == TRI_YES && f->rocm.kfd_access == TRI_NO) {
        add(v, "kfd-no-access", SEV_WARN, xstrdup(groups_fix),
            "this user cannot open /dev/kfd: ROCm images cannot run, Vulkan ones can");
    }
}

static void check_vulkan(const struct facts *f, enum distro_family d, struct verdict *v)
{
    const struct facts_vulkan *vk = &f->vulkan;
    bool amdvlk = false, cpu_only = vk->n_devices > 0;
    for (size_t i = 0; i < vk->n_devices; i++) {
        const char *drv = vk->devices[i].driver;
        amdvlk = amdvlk || str_eq(drv, "amdvlk") || str_eq(drv, "amdgpu-pro");
        cpu_only = cpu_only && (str_eq(vk->devices[i].type, "cpu") || str_eq(drv, "llvmpipe"));
    }
    if (amdvlk)
        add(v, "vulkan-amdvlk", SEV_WARN,
            xstrdup(d == DISTRO_FEDORA ? "sudo dnf remove amdvlk (or export AMD_VULKAN_ICD=RADV)"
                    : d == DISTRO_FEDORA_ATOMIC
                        ? "sudo rpm-ostree uninstall amdvlk, then reboot (or export "
                          "AMD_VULKAN_ICD=RADV)"
                    : d == DISTRO_DEBIAN ? "sudo apt remove amdvlk (or export AMD_VULKAN_ICD=RADV)"
                                         : "uninstall AMDVLK (or export AMD_VULKAN_ICD=RADV)"),
            "AMDVLK is an active Vulkan driver: it is discontinued, slower at prefill than RADV "
            "and "
            "limits single allocations to about 2 GiB");
    if (cpu_only) {
        bool amd = any_amd(f);
        add(v, "vulkan-cpu-only", amd ? SEV_WARN : SEV_INFO,
            amd ? fix_install(d, "mesa-vulkan-drivers", "mesa-vulkan-drivers",
                              "Mesa's Vulkan drivers (RADV)")
                : NULL,
            "the only Vulkan device is llvmpipe (%s), a CPU renderer%s", vk->devices[0].name,
            amd ? ": RADV is missing for the AMD GPU" : "");
    }
}

static void check_rocm(const struct facts *f, struct verdict *v)
{
    const struct gpu_memory *m = &v->memory;
    if (m->gpu >= 0 && m->usable_bytes.known && m->limited_by && strcmp(m->limited_by, "hip") &&
        strcmp(m->limited_by, "vulkan")) {
        for (size_t i = 0; i < f->rocm.n_devices; i++) {
            const struct facts_rocm_device *r = &f->rocm.devices[i];
            if (!r->total_bytes.known)
                continue;
            double share = (double)r->total_bytes.v / (double)m->usable_bytes.v;
            if (share < HIP_UNDERCOUNT && m->usable_bytes.v - r->total_bytes.v > 4 * GIB)
                add(v, "hip-undercount", SEV_WARN,
                    xstrdup("run ROCm engines with GGML_CUDA_ENABLE_UNIFIED_MEMORY=1 (halobox's "
                            "ROCm images set it) or update ROCm"),
                    "HIP reports %.1f GiB but the GPU can use %.1f GiB: without unified memory "
                    "ROCm engines will run out early",
                    gib(r->total_bytes.v), gib(m->usable_bytes.v));
        }
    }
    const char *hsa = facts_env(f, "HSA_OVERRIDE_GFX_VERSION");
    if (hsa) {
        const struct facts_gpu *sh = strix_halo(f);
        bool matches = sh && !strcmp(hsa, "11.5.1");
        add(v, "hsa-override-set",
            matches ? SEV_INFO
            : sh    ? SEV_ERROR
                    : SEV_WARN,
            xstrdup("unset HSA_OVERRIDE_GFX_VERSION (and remove it from your shell profile)"),
            matches ? "HSA_OVERRIDE_GFX_VERSION=%s is set: gfx1151 needs no override"
            : sh    ? "HSA_OVERRIDE_GFX_VERSION=%s is set: a stale override crashes gfx1151"
                    : "HSA_OVERRIDE_GFX_VERSION=%s is set: ROCm will treat the GPU as another "
                      "target",
            hsa);
    }
}

static void check_nvidia_cdi(const struct facts *f, enum distro_family d, struct verdict *v)
{
    if (!f->containers.cdi_devices_known || facts_has_cdi_kind(&f->containers, NVIDIA_CDI_KIND))
        return;
    for (size_t i = 0; i < f->n_gpus; i++) {
        if (facts_gpu_needs_nvidia_cdi(&f->gpus[i])) {
            add(v, "nvidia-no-cdi", SEV_WARN, fix_nvidia_cdi(d),
                "the NVIDIA GPU (driver nvidia) has no CDI device " NVIDIA_CDI_KIND " in /etc/cdi "
                "or /var/run/cdi: engine containers cannot see it (the engine falls back to the "
                "CPU or fails)");
            return;
        }
    }
}

/* Rootless podman keeps the user's render and video groups only through
 * --group-add keep-groups, which crun honours and runc ignores. */
static void check_rootless_runc(const struct facts *f, enum distro_family d, struct verdict *v)
{
    const struct facts_containers *c = &f->containers;
    if (c->rootless != TRI_YES || !str_eq(c->oci_runtime, "runc"))
        return;
    const char *node = f->rocm.kfd_present == TRI_YES && any_amd(f) ? "/dev/kfd" : NULL;
    for (size_t i = 0; i < f->n_gpus; i++)
        if (f->gpus[i].render_node)
            node = f->gpus[i].render_node;
    if (node)
        add(v, "rootless-runc", SEV_WARN, fix_rootless_runc(d),
            "rootless podman runs containers with runc, which ignores --group-add keep-groups: "
            "the engine gets Permission denied on %s",
            node);
}

static void check_containers(const struct facts *f, enum distro_family d, struct verdict *v)
{
    check_nvidia_cdi(f, d, v);
    check_rootless_runc(f, d, v);
    if (str_eq(f->containers.selinux, "enforcing"))
        add(v, "selinux-enforcing", SEV_INFO, NULL,
            "SELinux is enforcing: halobox starts containers with label=disable so they can "
            "open the GPU devices");
    if (f->containers.podman_found == TRI_NO)
        add(v, "podman-missing", SEV_ERROR, fix_install(d, "podman", "podman", "podman"),
            "podman is not installed: halobox cannot start any engine");
}

void doctor_evaluate(const struct facts *f, struct verdict *v)
{
    memset(v, 0, sizeof(*v));
    enum distro_family d = distro_family_of(&f->os);
    gpu_memory_compute(f, &v->memory);
    check_gpu_presence(f, v);
    check_cmdline(f, d, v);
    check_apu_memory(f, d, v);
    check_kernel_firmware(f, d, v);
    check_access(f, v);
    check_vulkan(f, d, v);
    check_rocm(f, v);
    check_containers(f, d, v);
}

void verdict_release(struct verdict *v)
{
    for (size_t i = 0; i < v->n_findings; i++) {
        free(v->findings[i].message);
        free(v->findings[i].fix);
    }
    free(v->findings);
    for (size_t i = 0; i < v->recommendation.n_reasons; i++)
        free(v->recommendation.reasons[i]);
    free(v->recommendation.reasons);
    free(v->recommendation.recipe);
    free(v->recommendation.backend);
    memset(v, 0, sizeof(*v));
}

bool verdict_has_error(const struct verdict *v)
{
    for (size_t i = 0; i < v->n_findings; i++)
        if (v->findings[i].severity == SEV_ERROR)
            return true;
    return false;
}

const struct finding *verdict_find(const struct verdict *v, const char *id)
{
    for (size_t i = 0; i < v->n_findings; i++)
        if (!strcmp(v->findings[i].id, id))
            return &v->findings[i];
    return NULL;
}
