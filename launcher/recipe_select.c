/* Which recipe suits a host: each recipe's `suits` against the facts, the
 * highest priority among those that suit, and the reasons for every one. */
#include "util/common.h"

#include "doctor.h"
#include "gpu_ids.h"
#include "recipes.h"

static const char *gpu_vendor(const struct facts_gpu *g)
{
    if (g->vendor_id.known) {
        if (g->vendor_id.v == PCI_VENDOR_AMD)
            return "amd";
        if (g->vendor_id.v == PCI_VENDOR_NVIDIA)
            return "nvidia";
        if (g->vendor_id.v == PCI_VENDOR_INTEL)
            return "intel";
        return "other";
    }
    if (gpu_family_is_apu(g->family) || str_eq(g->family, "amd-dgpu"))
        return "amd";
    if (str_eq(g->family, "nvidia") || str_eq(g->family, "intel"))
        return g->family;
    return NULL;
}

static void join(struct strbuf *sb, const struct str_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        strbuf_addf(sb, "%s%s", i ? ", " : "", l->v[i]);
}

/* Whether the host's kernel is `need` or newer; an unknown kernel is not.
 * `gfx` names the target the floor is for, when it is for one. */
static bool kernel_at_least(const struct facts *f, const char *need, const char *gfx,
                            struct strbuf *why)
{
    uint64_t have, floor = 0;
    kernel_version_parse(need, &floor);
    if (kernel_version_parse(f->kernel.release, &have) && have >= floor)
        return true;
    strbuf_addf(why, "needs kernel %s or newer%s%s, this one is %s", need, gfx ? " on " : "",
                gfx ? gfx : "", f->kernel.release ? f->kernel.release : "unknown");
    return false;
}

/* Whether one GPU meets the vendor, gfx and Vulkan needs; says why not. */
static bool gpu_suits(const struct recipe_suits *s, const struct facts *f,
                      const struct facts_gpu *g, struct strbuf *why)
{
    const char *vendor = gpu_vendor(g);
    const char *label = g->gfx ? g->gfx : g->family ? g->family : "GPU";
    if (!vendor || !str_list_has(&s->vendors, vendor)) {
        strbuf_addf(why, "the %s GPU's vendor is %s, not ", label, vendor ? vendor : "unknown");
        join(why, &s->vendors);
        return false;
    }
    if (g->gfx && str_list_has(&s->gfx_exclude, g->gfx)) {
        strbuf_addf(why, "has no code for %s", g->gfx);
        return false;
    }
    if (s->gfx.n && !(g->gfx && str_list_has(&s->gfx, g->gfx))) {
        strbuf_addf(why, "built for ");
        join(why, &s->gfx);
        strbuf_addf(why, ", not %s", g->gfx ? g->gfx : "this GPU (gfx target unknown)");
        return false;
    }
    for (size_t i = 0; g->gfx && i < s->min_kernel_gfx.n; i++)
        if (!strcmp(s->min_kernel_gfx.v[i].name, g->gfx) &&
            !kernel_at_least(f, s->min_kernel_gfx.v[i].value, g->gfx, why))
            return false;
    if (!s->vulkan_drivers.n)
        return true;
    /* RADV ships in the image: an AMD GPU needs only amdgpu in the kernel. */
    if (str_list_has(&s->vulkan_drivers, "radv") && !strcmp(vendor, "amd") &&
        (!g->driver || !strcmp(g->driver, "amdgpu")))
        return true;
    const char *seen = NULL;
    for (size_t i = 0; i < f->vulkan.n_devices; i++) {
        const struct facts_vulkan_device *d = &f->vulkan.devices[i];
        if (str_eq(d->type, "cpu") || str_eq(d->driver, "llvmpipe"))
            continue;
        if (g->vendor_id.known && d->vendor_id.known && d->vendor_id.v != g->vendor_id.v)
            continue;
        if (d->driver && str_list_has(&s->vulkan_drivers, d->driver))
            return true;
        seen = d->driver ? d->driver : "unknown";
    }
    if (seen)
        strbuf_addf(why, "the %s GPU's Vulkan driver is %s, not ", label, seen);
    else if (!strcmp(vendor, "amd"))
        strbuf_addf(why, "the %s GPU is driven by %s, not amdgpu, and has no Vulkan driver in ",
                    label, g->driver);
    else
        strbuf_addf(why, "the %s GPU has no Vulkan driver in ", label);
    join(why, &s->vulkan_drivers);
    return false;
}

bool recipe_suits(const struct recipe *r, const struct facts *f, struct strbuf *why)
{
    const struct recipe_suits *s = &r->suits;
    strbuf_addf(why, "%s: ", r->name);
    if (s->needs_kfd) {
        if (f->rocm.kfd_present != TRI_YES) {
            strbuf_addf(why, "needs /dev/kfd, which is %s",
                        f->rocm.kfd_present == TRI_NO ? "missing" : "unknown");
            return false;
        }
        if (f->rocm.kfd_access == TRI_NO) {
            strbuf_addstr(why, "needs /dev/kfd, which this user cannot open (render group)");
            return false;
        }
    }
    if (s->min_kernel && !kernel_at_least(f, s->min_kernel, NULL, why))
        return false;
    if (!s->vendors.n) {
        strbuf_addstr(why, "suits any host");
        return true;
    }
    if (!f->n_gpus) {
        strbuf_addstr(why, f->gpus_known ? "needs a GPU, and there is none"
                                         : "needs a GPU, and the GPUs are unknown");
        return false;
    }
    struct strbuf first_no = STRBUF_INIT;
    for (size_t i = 0; i < f->n_gpus; i++) {
        struct strbuf no = STRBUF_INIT;
        const struct facts_gpu *g = &f->gpus[i];
        if (gpu_suits(s, f, g, &no)) {
            const char *vendor = gpu_vendor(g);
            strbuf_addf(why, "suits the %s GPU%s%s", vendor, g->gfx ? " " : "",
                        g->gfx ? g->gfx : "");
            if (g->pci_slot)
                strbuf_addf(why, " at %s", g->pci_slot);
            strbuf_release(&no);
            strbuf_release(&first_no);
            return true;
        }
        if (!first_no.len)
            strbuf_addstr(&first_no, no.buf);
        strbuf_release(&no);
    }
    strbuf_addstr(why, first_no.buf);
    strbuf_release(&first_no);
    return false;
}

const struct recipe *recipes_select(const struct recipe_set *set, const struct facts *f,
                                    const char *backend, struct recipe_choice *choice)
{
    memset(choice, 0, sizeof(*choice));
    const struct recipe *best = NULL;
    for (size_t i = 0; i < set->n; i++) {
        const struct recipe *r = &set->v[i];
        if (backend && strcmp(r->backend, backend))
            continue;
        struct strbuf why = STRBUF_INIT;
        bool ok = recipe_suits(r, f, &why);
        strbuf_addf(&why, " (priority %d)", r->priority);
        str_list_add(&choice->reasons, why.buf);
        strbuf_release(&why);
        if (ok && (!best || r->priority > best->priority ||
                   (r->priority == best->priority && strcmp(r->name, best->name) < 0)))
            best = r;
    }
    if (best)
        str_list_addf(&choice->reasons, "chose %s: the highest priority that suits this host",
                      best->name);
    else
        str_list_addf(&choice->reasons, "no %s%srecipe suits this host", backend ? backend : "",
                      backend ? " " : "");
    choice->recipe = best;
    return best;
}

void recipe_choice_release(struct recipe_choice *c)
{
    str_list_release(&c->reasons);
    c->recipe = NULL;
}

const struct recipe *recipes_select_for(const struct recipe_set *set, const struct facts *f,
                                        bool long_prefill, struct recipe_choice *choice)
{
    if (!long_prefill)
        return recipes_select(set, f, NULL, choice);
    const struct recipe *r = recipes_select(set, f, "rocm", choice);
    if (r) {
        str_list_add(&choice->reasons, "long prefill: ROCm's matrix kernels win on long prompts");
        return r;
    }
    struct recipe_choice any;
    r = recipes_select(set, f, NULL, &any);
    for (size_t i = 0; i < any.reasons.n; i++)
        str_list_add(&choice->reasons, any.reasons.v[i]);
    recipe_choice_release(&any);
    choice->recipe = r;
    return r;
}
