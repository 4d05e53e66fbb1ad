/* The host facts summary kept with every result: what two benchmark numbers
 * need to be compared honestly, and nothing that identifies the machine. */
#include "util/common.h"

#include "bench/results.h"
#include "doctor.h"

/* Kernel parameters that change how fast an engine runs. Others (root=,
 * BOOT_IMAGE=, quiet) are left out: they say nothing about speed and may
 * say things about the machine. */
static bool param_matters(const char *key)
{
    static const char *const exact[] = {"amd_iommu", "iommu", "mitigations", "transparent_hugepage",
                                        "nomodeset"};
    static const char *const prefixes[] = {"amdgpu.", "ttm.", "amdttm."};
    for (size_t i = 0; i < ARRAY_SIZE(exact); i++)
        if (!strcmp(key, exact[i]))
            return true;
    for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
        if (str_starts_with(key, prefixes[i]))
            return true;
    return false;
}

/* "Mesa 25.1.4" or "Mesa 25.1.4 (git-abc)" -> "25.1.4". */
static char *mesa_version(const char *driver_info)
{
    if (!driver_info || !str_starts_with(driver_info, "Mesa "))
        return NULL;
    const char *v = driver_info + 5;
    size_t n = strcspn(v, " (");
    return n ? xstrndup(v, n) : NULL;
}

/* The Vulkan device of the GPU (same PCI ids), else the first that is not
 * the CPU rasteriser, else the first. */
static const struct facts_vulkan_device *vulkan_device(const struct facts *f,
                                                       const struct facts_gpu *g)
{
    const struct facts_vulkan *vk = &f->vulkan;
    if (g)
        for (size_t i = 0; i < vk->n_devices; i++)
            if (vk->devices[i].vendor_id.known && g->vendor_id.known &&
                vk->devices[i].vendor_id.v == g->vendor_id.v && vk->devices[i].device_id.known &&
                g->device_id.known && vk->devices[i].device_id.v == g->device_id.v)
                return &vk->devices[i];
    for (size_t i = 0; i < vk->n_devices; i++)
        if (!str_eq(vk->devices[i].driver, "llvmpipe"))
            return &vk->devices[i];
    return vk->n_devices ? &vk->devices[0] : NULL;
}

void bench_host_from_facts(struct bench_host *h, const struct facts *f, const struct verdict *v)
{
    memset(h, 0, sizeof(*h));
    h->kernel = xstrdup_or_null(f->kernel.release);
    h->params_known = f->kernel.params_known;
    for (size_t i = 0; i < f->kernel.n_params; i++) {
        const struct kparam *p = &f->kernel.params[i];
        if (!param_matters(p->key))
            continue;
        h->params = xrealloc(h->params, (h->n_params + 1) * sizeof(*h->params));
        h->params[h->n_params].key = xstrdup(p->key);
        h->params[h->n_params].value = xstrdup(p->value);
        h->n_params++;
    }
    const struct facts_gpu *g = NULL;
    if (v && v->memory.gpu >= 0 && (size_t)v->memory.gpu < f->n_gpus)
        g = &f->gpus[v->memory.gpu];
    else if (f->n_gpus)
        g = &f->gpus[0];
    const struct facts_vulkan_device *vd = vulkan_device(f, g);
    if (g) {
        h->gpu_family = xstrdup_or_null(g->family);
        h->gpu_device_id = g->device_id;
    }
    if (vd &&
        (!g || (vd->device_id.known && g->device_id.known && vd->device_id.v == g->device_id.v)))
        h->gpu_name = xstrdup_or_null(vd->name);
    else if (f->rocm.n_devices)
        h->gpu_name = xstrdup_or_null(f->rocm.devices[0].name);
    if (v)
        h->usable_memory_bytes = v->memory.usable_bytes;
    if (vd) {
        h->vulkan_driver = xstrdup_or_null(vd->driver);
        h->mesa_version = mesa_version(vd->driver_info);
    }
    h->rocm_version = xstrdup_or_null(f->rocm.runtime_version);
    h->podman_version = xstrdup_or_null(f->containers.podman_version);
}
