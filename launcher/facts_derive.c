/* Derived GPU fields, filled the same way for a live host and a saved facts
 * file: a report with only PCI ids or a gfx target is judged like the host
 * it came from (DESIGN.md, "Facts"). Values already present are kept. */
#include "util/common.h"

#include <ctype.h>

#include "facts.h"
#include "gpu_ids.h"

/* An AMD PCI id (what the id table is keyed by). */
static bool has_amd_pci_id(const struct facts_gpu *g)
{
    return g->vendor_id.known && g->vendor_id.v == PCI_VENDOR_AMD;
}

bool facts_gpu_is_amd(const struct facts_gpu *g)
{
    return has_amd_pci_id(g) || gpu_family_is_apu(g->family) || str_eq(g->family, "amd-dgpu");
}

bool facts_gpu_needs_nvidia_cdi(const struct facts_gpu *g)
{
    bool nvidia = (g->vendor_id.known && g->vendor_id.v == 0x10de) || str_eq(g->family, "nvidia");
    return nvidia && str_eq(g->driver, "nvidia");
}

/* "(RADV GFX1151)" in an older Mesa device name: the target, not a brand. */
static char *gfx_from_radv_name(const char *name)
{
    const char *p = name ? strstr(name, "(RADV GFX") : NULL;
    if (!p)
        return NULL;
    p += strlen("(RADV ");
    size_t n = 3;
    while (isalnum((unsigned char)p[n]))
        n++;
    if (p[n] != ')')
        return NULL;
    char *gfx = xstrndup(p, n);
    for (char *c = gfx; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    return gfx;
}

const struct facts_vulkan_device *facts_vulkan_device_for(const struct facts *f,
                                                          const struct facts_gpu *g)
{
    if (!g->vendor_id.known || !g->device_id.known)
        return NULL;
    for (size_t i = 0; i < f->vulkan.n_devices; i++) {
        const struct facts_vulkan_device *d = &f->vulkan.devices[i];
        if (d->vendor_id.known && d->device_id.known && d->vendor_id.v == g->vendor_id.v &&
            d->device_id.v == g->device_id.v)
            return d;
    }
    return NULL;
}

static size_t count_amd_gpus(const struct facts *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_gpus; i++)
        n += facts_gpu_is_amd(&f->gpus[i]);
    return n;
}

static void derive_gfx(const struct facts *f, struct facts_gpu *g)
{
    char buf[16];
    if (g->gfx)
        return;
    if (g->gfx_target_version.known &&
        gfx_name_from_target_version(g->gfx_target_version.v, buf, sizeof(buf))) {
        g->gfx = xstrdup(buf);
        return;
    }
    const struct gpu_id *id =
        has_amd_pci_id(g) && g->device_id.known ? gpu_id_lookup(g->device_id.v) : NULL;
    if (id) {
        g->gfx = xstrdup(id->gfx);
        return;
    }
    if (gpu_gfx_for_family(g->family)) {
        g->gfx = xstrdup(gpu_gfx_for_family(g->family));
        return;
    }
    /* With one AMD GPU and one ROCm device, they are the same GPU. */
    if (count_amd_gpus(f) == 1 && f->rocm.n_devices == 1 && f->rocm.devices[0].gfx &&
        (has_amd_pci_id(g) || g->family)) {
        g->gfx = xstrdup(f->rocm.devices[0].gfx);
        return;
    }
    const struct facts_vulkan_device *vk = facts_vulkan_device_for(f, g);
    if (vk)
        g->gfx = gfx_from_radv_name(vk->name);
}

static void derive_family(struct facts_gpu *g)
{
    if (g->family)
        return;
    const struct gpu_id *id =
        has_amd_pci_id(g) && g->device_id.known ? gpu_id_lookup(g->device_id.v) : NULL;
    if (id) {
        g->family = xstrdup(id->family);
        return;
    }
    if (gpu_family_for_gfx(g->gfx)) {
        g->family = xstrdup(gpu_family_for_gfx(g->gfx));
        return;
    }
    if (!g->vendor_id.known)
        return;
    if (has_amd_pci_id(g)) {
        /* An AMD id outside the table: the integrated test decides. */
        if (g->integrated != TRI_UNKNOWN)
            g->family = xstrdup(g->integrated == TRI_YES ? "amd-apu" : "amd-dgpu");
        return;
    }
    g->family = xstrdup(gpu_family_for_vendor(g->vendor_id.v));
}

/* The amdgpu heuristic (as ollama's discovery uses it): a board_info file or
 * a VRAM vendor marks a dGPU; otherwise a small carve-out with a GTT of at
 * least 8 GiB and four times the VRAM is an APU. */
static tri integrated_from_memory(const struct facts_gpu *g)
{
    if (g->board_info == TRI_YES || g->vram_vendor)
        return TRI_NO;
    if (!g->vram_bytes.known || !g->gtt_bytes.known)
        return TRI_UNKNOWN;
    uint64_t vram = g->vram_bytes.v, gtt = g->gtt_bytes.v;
    if (vram > 0 && vram <= 4 * GIB && gtt >= 8 * GIB && gtt / 4 >= vram)
        return TRI_YES;
    return g->board_info == TRI_NO ? TRI_NO : TRI_UNKNOWN;
}

static void derive_integrated(const struct facts *f, struct facts_gpu *g)
{
    if (g->integrated != TRI_UNKNOWN)
        return;
    const struct gpu_id *id =
        has_amd_pci_id(g) && g->device_id.known ? gpu_id_lookup(g->device_id.v) : NULL;
    if (id) {
        g->integrated = tri_from_bool(id->integrated);
        return;
    }
    /* A family or gfx target that only exists as an APU decides it, even
     * for a PCI id the table does not list yet. */
    if (gpu_family_is_apu(g->family) || gpu_family_for_gfx(g->gfx)) {
        g->integrated = TRI_YES;
        return;
    }
    if (str_eq(g->family, "amd-dgpu")) {
        g->integrated = TRI_NO;
        return;
    }
    if (has_amd_pci_id(g)) {
        g->integrated = integrated_from_memory(g);
        if (g->integrated != TRI_UNKNOWN)
            return;
    }
    /* NVIDIA's PCI GPUs are all discrete (its integrated parts are not on
     * PCI). */
    if (g->vendor_id.known && g->vendor_id.v == PCI_VENDOR_NVIDIA) {
        g->integrated = TRI_NO;
        return;
    }
    const struct facts_vulkan_device *vk = facts_vulkan_device_for(f, g);
    if (vk && vk->type)
        g->integrated = !strcmp(vk->type, "integrated") ? TRI_YES
                        : !strcmp(vk->type, "discrete") ? TRI_NO
                                                        : TRI_UNKNOWN;
}

void facts_derive(struct facts *f)
{
    for (size_t i = 0; i < f->n_gpus; i++) {
        struct facts_gpu *g = &f->gpus[i];
        derive_gfx(f, g);
        /* integrated before family: an unknown AMD id needs it; family
         * before integrated again: a family from the gfx decides it. */
        derive_integrated(f, g);
        derive_family(g);
        derive_integrated(f, g);
        if (!g->gfx)
            derive_gfx(f, g);
    }
}
