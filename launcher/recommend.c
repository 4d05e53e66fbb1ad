/* The doctor's recommendation: which engine image suits the host, for a
 * workload. The choice itself is the one run and serve make
 * (recipes_select_for: the recipes' own `suits` and priorities), so the
 * doctor never recommends what run would not start. What this file adds is
 * honesty about unknowns: a saved report without the Vulkan devices, or
 * without the GPUs, cannot tell a GPU image from the CPU one, and then no
 * backend is named. Every step is given as a reason. */
#include "util/common.h"

#include <stdarg.h>

#include "doctor.h"
#include "gpu_ids.h"
#include "recipes.h"
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

/* The recipe lines of a choice that matter to a reader: why the recipes of
 * `backend` (NULL: the chosen one) do or do not suit, and the verdict. The
 * full list ("cpu: suits any host", ...) is run's --verbose business. */
static void take_reasons(struct recommendation *r, const struct recipe_set *set,
                         const struct recipe_choice *c, const char *backend)
{
    for (size_t i = 0; i < c->reasons.n; i++) {
        const char *line = c->reasons.v[i];
        bool keep = str_starts_with(line, "chose ") || str_starts_with(line, "no ") ||
                    str_starts_with(line, "long prefill");
        for (size_t k = 0; !keep && k < set->n; k++) {
            const struct recipe *rc = &set->v[k];
            size_t n = strlen(rc->name);
            bool of_it = !strncmp(line, rc->name, n) && line[n] == ':';
            keep = of_it && (backend ? !strcmp(rc->backend, backend) : rc == c->recipe);
        }
        if (keep)
            reason(r, "%s", line);
    }
}

static bool vulkan_gpu_device(const struct facts_vulkan *vk)
{
    for (size_t i = 0; i < vk->n_devices; i++)
        if (!str_eq(vk->devices[i].type, "cpu") && !str_eq(vk->devices[i].driver, "llvmpipe"))
            return true;
    return false;
}

void recommend(const struct facts *f, enum workload w, const struct verdict *v,
               const struct recipe_set *set, struct recommendation *r)
{
    memset(r, 0, sizeof(*r));
    const struct facts_gpu *g = v->memory.gpu >= 0 ? &f->gpus[v->memory.gpu] : NULL;
    bool amd = g && facts_gpu_is_amd(g);
    if (g)
        reason(r, "%s GPU%s%s",
               g->family ? g->family
               : amd     ? "AMD"
                         : "the",
               g->gfx ? " " : "", g->gfx ? g->gfx : "");
    if (!set) {
        reason(r, "the engine recipes were not found, so no image can be chosen");
        return;
    }
    bool prefill = w == WORKLOAD_PREFILL;
    struct recipe_choice c;
    /* ROCm's needs (KFD, gfx target, kernel) are all in the facts a report
     * carries, so a prefill choice can be made even without Vulkan's. */
    if (prefill) {
        const struct recipe *rocm = recipes_select(set, f, "rocm", &c);
        take_reasons(r, set, &c, "rocm");
        recipe_choice_release(&c);
        if (rocm) {
            reason(r, "long prefill: ROCm's matrix kernels win on long prompts");
            r->backend = xstrdup(rocm->backend);
            r->recipe = xstrdup(rocm->name);
            return;
        }
    }
    const struct facts_vulkan *vk = &f->vulkan;
    if (!vk->devices_known && (!f->gpus_known || f->n_gpus)) {
        reason(r, "the Vulkan devices are unknown, so the best backend cannot be told");
        return;
    }
    if (!f->gpus_known && !vulkan_gpu_device(vk)) {
        reason(r, "the GPUs are unknown, so a GPU image cannot be ruled out");
        return;
    }
    if (g && !amd && !vulkan_gpu_device(vk))
        reason(r, "the %s GPU has no Vulkan driver", g->family ? g->family : "only");
    const struct recipe *best = recipes_select(set, f, NULL, &c);
    take_reasons(r, set, &c, NULL);
    recipe_choice_release(&c);
    if (!best)
        return;
    r->backend = xstrdup(best->backend);
    r->recipe = xstrdup(best->name);
    if (!strcmp(best->backend, "vulkan") && g && g->vendor_id.known &&
        g->vendor_id.v == PCI_VENDOR_NVIDIA)
        reason(r, "NVIDIA's Vulkan driver comes into the container from the NVIDIA container "
                  "toolkit (CDI)");
}

void verdict_recommend(struct verdict *v, const struct facts *f, enum workload w,
                       const struct recipe_set *set)
{
    struct recommendation *r = &v->recommendation;
    for (size_t i = 0; i < r->n_reasons; i++)
        free(r->reasons[i]);
    free(r->reasons);
    free(r->recipe);
    free(r->backend);
    recommend(f, w, v, set, r);
}
