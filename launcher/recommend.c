/* Which backend and recipe suit the host (DESIGN.md): RADV's Vulkan for
 * Strix Halo and other AMD GPUs, ROCm for prefill-heavy work when KFD works
 * and the kernel is recent enough, Vulkan for other GPUs, the CPU image
 * when there is no GPU. Every step of the choice is given as a reason. */
#include "util/common.h"

#include <stdarg.h>

#include "doctor.h"
#include "gpu_ids.h"
#include "util/strbuf.h"

static void reason(struct recommendation *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void reason(struct recommendation *r, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    r->reasons = xrealloc(r->reasons, (r->n_reasons + 1) * sizeof(char *));
    r->reasons[r->n_reasons++] = strbuf_detach(&sb);
}

/* The recipe whose ROCm build has code for this gfx target. */
static const char *rocm_recipe_for(const char *gfx)
{
    static const char *const upstream[] = {"gfx1151", "gfx1150", "gfx1100", "gfx1101",
                                           "gfx1102", "gfx1200", "gfx1201"};
    static const char *const debian[] = {"gfx1010", "gfx1030", "gfx1100", "gfx1101", "gfx1102"};
    for (size_t i = 0; gfx && i < ARRAY_SIZE(upstream); i++)
        if (!strcmp(gfx, upstream[i]))
            return "rocm-gfx1151";
    for (size_t i = 0; gfx && i < ARRAY_SIZE(debian); i++)
        if (!strcmp(gfx, debian[i]))
            return "rocm-debian";
    return NULL;
}

/* ROCm is worth it, and possible, for this GPU: KFD there and usable, a
 * target some ROCm image is built for, and (gfx1151) a kernel with the
 * stability fix. Says why not otherwise. */
static const char *rocm_possible(const struct facts *f, const struct facts_gpu *g,
                                 struct recommendation *r)
{
    const char *recipe = rocm_recipe_for(g->gfx);
    if (!recipe) {
        reason(r, "no ROCm image is built for %s", g->gfx ? g->gfx : "this GPU's (unknown) target");
        return NULL;
    }
    if (f->rocm.kfd_present != TRI_YES || f->rocm.kfd_access == TRI_NO) {
        reason(r, "ROCm needs /dev/kfd, which is %s",
               f->rocm.kfd_present == TRI_NO    ? "missing"
               : f->rocm.kfd_present == TRI_YES ? "not accessible to this user"
                                                : "unknown");
        return NULL;
    }
    uint64_t ver;
    if (!strcmp(g->gfx, "gfx1151") &&
        !(kernel_version_parse(f->kernel.release, &ver) && ver >= KERNEL_ROCM_FIX)) {
        reason(r, "ROCm on gfx1151 needs kernel 6.18.4 or newer (this one: %s)",
               f->kernel.release ? f->kernel.release : "unknown");
        return NULL;
    }
    return recipe;
}

void recommend(const struct facts *f, enum workload w, const struct verdict *v,
               struct recommendation *r)
{
    memset(r, 0, sizeof(*r));
    const struct facts_gpu *g = v->memory.gpu >= 0 ? &f->gpus[v->memory.gpu] : NULL;
    const struct facts_vulkan *vk = &f->vulkan;
    const struct facts_vulkan_device *radv = NULL, *gpu_vk = NULL;
    for (size_t i = 0; i < vk->n_devices; i++) {
        const struct facts_vulkan_device *d = &vk->devices[i];
        if (str_eq(d->type, "cpu") || str_eq(d->driver, "llvmpipe"))
            continue;
        if (!gpu_vk)
            gpu_vk = d;
        if (str_eq(d->driver, "radv") && !radv)
            radv = d;
    }
    bool amd = g && facts_gpu_is_amd(g);

    if (g && !amd && !gpu_vk && f->gpus_known && vk->devices_known) {
        /* e.g. an NVIDIA card without its Vulkan driver */
        reason(r, "the %s GPU has no Vulkan driver", g->family ? g->family : "only");
    }
    if (amd) {
        reason(r, "%s GPU%s%s", g->family ? g->family : "AMD", g->gfx ? " " : "",
               g->gfx ? g->gfx : "");
        if (w == WORKLOAD_PREFILL) {
            const char *recipe = rocm_possible(f, g, r);
            if (recipe) {
                reason(r, "prefill workload: ROCm's matrix kernels win on long prompts");
                r->backend = "rocm";
                r->recipe = recipe;
                return;
            }
        }
        if (radv) {
            reason(r, "RADV drives it (%s): Vulkan is the fastest and most stable engine here",
                   radv->name ? radv->name : "radv");
            r->backend = "vulkan";
            r->recipe = "vulkan-radv";
            return;
        }
        if (gpu_vk) {
            reason(r, "its Vulkan driver is %s; the vulkan-radv image brings RADV with it",
                   gpu_vk->driver ? gpu_vk->driver : "not RADV");
            r->backend = "vulkan";
            r->recipe = "vulkan-radv";
            return;
        }
        if (!vk->devices_known) {
            reason(r, "the Vulkan devices are unknown, so the best backend cannot be told");
            return;
        }
        /* The image carries RADV, so a host without it still runs Vulkan
         * as long as the GPU is driven by amdgpu. */
        if (str_eq(g->driver, "amdgpu") || !g->driver) {
            reason(r, "no Vulkan driver on the host, but the vulkan-radv image brings RADV");
            r->backend = "vulkan";
            r->recipe = "vulkan-radv";
            return;
        }
    }
    if (gpu_vk) {
        reason(r, "Vulkan device %s (%s driver)", gpu_vk->name ? gpu_vk->name : "?",
               gpu_vk->driver ? gpu_vk->driver : "unknown");
        if (str_eq(gpu_vk->driver, "nvidia"))
            reason(r, "NVIDIA's Vulkan driver comes into the container from the NVIDIA "
                      "container toolkit (CDI)");
        r->backend = "vulkan";
        r->recipe = "vulkan-radv";
        return;
    }
    if (!vk->devices_known && (!f->gpus_known || f->n_gpus)) {
        reason(r, "the Vulkan devices are unknown, so the best backend cannot be told");
        return;
    }
    if (verdict_find(v, "no-gpu") || (f->gpus_known && !amd)) {
        reason(r, "no GPU an engine can use: the CPU image");
        r->backend = "cpu";
        r->recipe = "cpu";
        return;
    }
    reason(r, "the facts do not show a usable GPU backend");
}
