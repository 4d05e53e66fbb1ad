/* The memory a GPU can really use. On an APU the kernel reports a GTT size
 * that may be larger than what TTM will hand out, and both may be larger
 * than the RAM left after a BIOS carve-out: the smallest of the three
 * counts, plus the carve-out (VRAM) itself. */
#include "util/common.h"

#include "doctor.h"
#include "gpu_ids.h"

/* The ROCm device that is this GPU: same gfx, or the only one of each. */
static const struct facts_rocm_device *rocm_device_for(const struct facts *f, size_t gpu)
{
    const struct facts_gpu *g = &f->gpus[gpu];
    if (!facts_gpu_is_amd(g))
        return NULL;
    for (size_t i = 0; i < f->rocm.n_devices; i++)
        if (g->gfx && str_eq(f->rocm.devices[i].gfx, g->gfx))
            return &f->rocm.devices[i];
    size_t amd = 0;
    for (size_t i = 0; i < f->n_gpus; i++)
        amd += facts_gpu_is_amd(&f->gpus[i]);
    if (amd == 1 && f->rocm.n_devices == 1)
        return &f->rocm.devices[0];
    return NULL;
}

static void consider(opt_u64 term, const char *name, opt_u64 *best, const char **best_name)
{
    if (term.known && (!best->known || term.v < best->v)) {
        *best = term;
        *best_name = name;
    }
}

static void compute_one(const struct facts *f, size_t index, struct gpu_memory *m)
{
    const struct facts_gpu *g = &f->gpus[index];
    memset(m, 0, sizeof(*m));
    m->gpu = (int)index;
    m->vram_bytes = g->vram_bytes;
    m->gtt_bytes = g->gtt_bytes;
    m->ram_bytes = f->memory.total_bytes;
    if (f->kernel.ttm_pages_limit.known && f->memory.page_size.known)
        m->ttm_bytes = OPT_U64(f->kernel.ttm_pages_limit.v * f->memory.page_size.v);

    if (g->integrated == TRI_YES && (m->gtt_bytes.known || m->ttm_bytes.known)) {
        opt_u64 shared = {0};
        const char *name = NULL;
        consider(m->gtt_bytes, "gtt", &shared, &name);
        consider(m->ttm_bytes, "ttm", &shared, &name);
        consider(m->ram_bytes, "ram", &shared, &name);
        m->shared_bytes = shared;
        /* An unknown carve-out counts as none: on these machines it is
         * 512 MB to a few GB, small beside the GTT, and the usable figure
         * then errs low, never high. */
        m->usable_bytes = OPT_U64(shared.v + (g->vram_bytes.known ? g->vram_bytes.v : 0));
        m->limited_by = name;
        return;
    }
    if (g->integrated == TRI_NO && g->vram_bytes.known) {
        m->usable_bytes = g->vram_bytes;
        m->limited_by = "vram";
        return;
    }
    /* No sysfs sizes: take what the runtimes report for this GPU. */
    const struct facts_rocm_device *r = rocm_device_for(f, index);
    if (r && r->total_bytes.known) {
        m->usable_bytes = r->total_bytes;
        m->limited_by = "hip";
        return;
    }
    const struct facts_vulkan_device *vk = facts_vulkan_device_for(f, &f->gpus[index]);
    if (vk && vk->device_local_bytes.known) {
        m->usable_bytes = vk->device_local_bytes;
        m->limited_by = "vulkan";
    }
}

void gpu_memory_compute(const struct facts *f, struct gpu_memory *m)
{
    memset(m, 0, sizeof(*m));
    m->gpu = -1;
    /* The GPU an engine would use: the one with the most usable memory,
     * AMD first (halobox's images target AMD). */
    bool best_amd = false;
    for (size_t i = 0; i < f->n_gpus; i++) {
        struct gpu_memory cand;
        compute_one(f, i, &cand);
        bool amd = facts_gpu_is_amd(&f->gpus[i]);
        bool better = m->gpu < 0 || (amd && !best_amd) ||
                      (amd == best_amd && cand.usable_bytes.known &&
                       (!m->usable_bytes.known || cand.usable_bytes.v > m->usable_bytes.v));
        if (better) {
            *m = cand;
            best_amd = amd;
        }
    }
}
