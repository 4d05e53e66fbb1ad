#include "util/common.h"

#include "gpu_ids.h"
#include "render_text.h"

void render_bytes(struct strbuf *out, opt_u64 bytes)
{
    if (!bytes.known)
        strbuf_addstr(out, "unknown");
    else if (bytes.v >= GIB)
        strbuf_addf(out, "%.1f GiB", (double)bytes.v / (double)GIB);
    else
        strbuf_addf(out, "%llu MiB", (unsigned long long)(bytes.v / MIB));
}

static const char *or_unknown(const char *s)
{
    return s ? s : "unknown";
}

static void row(struct strbuf *out, const char *label)
{
    strbuf_addf(out, "%-10s", label);
}

static void render_gpu(struct strbuf *out, const struct facts_gpu *g, size_t i)
{
    strbuf_addf(out, "  gpu%zu    ", i);
    if (g->vendor_id.known && g->device_id.known)
        strbuf_addf(out, "%04llx:%04llx ", (unsigned long long)g->vendor_id.v,
                    (unsigned long long)g->device_id.v);
    strbuf_addf(out, "%s", or_unknown(g->family));
    if (g->gfx)
        strbuf_addf(out, " %s", g->gfx);
    if (g->integrated != TRI_UNKNOWN)
        strbuf_addstr(out, g->integrated == TRI_YES ? ", integrated" : ", discrete");
    if (g->driver)
        strbuf_addf(out, ", driver %s", g->driver);
    if (g->render_node)
        strbuf_addf(out, ", %s%s", g->render_node,
                    g->render_access == TRI_NO ? " (no access)" : "");
    strbuf_addch(out, '\n');
}

static void render_memory(struct strbuf *out, const struct facts *f, const struct verdict *v)
{
    const struct gpu_memory *m = &v->memory;
    row(out, "Memory");
    if (m->usable_bytes.known) {
        strbuf_addstr(out, "the GPU can use ");
        render_bytes(out, m->usable_bytes);
        strbuf_addf(out, " (limited by %s", or_unknown(m->limited_by));
        if (m->gpu >= 0 && f->gpus[m->gpu].integrated == TRI_YES) {
            strbuf_addstr(out, "; VRAM ");
            render_bytes(out, m->vram_bytes);
            strbuf_addstr(out, ", GTT ");
            render_bytes(out, m->gtt_bytes);
            strbuf_addstr(out, ", TTM limit ");
            render_bytes(out, m->ttm_bytes);
        }
        strbuf_addstr(out, ")");
    } else {
        strbuf_addstr(out, "GPU memory unknown");
    }
    strbuf_addstr(out, "; RAM ");
    render_bytes(out, f->memory.total_bytes);
    strbuf_addch(out, '\n');
}

static void render_vulkan(struct strbuf *out, const struct facts_vulkan *vk)
{
    row(out, "Vulkan");
    if (!vk->devices_known) {
        strbuf_addf(out, "unknown%s%s\n", vk->error ? ": " : "", vk->error ? vk->error : "");
        return;
    }
    if (!vk->loader) {
        strbuf_addf(out, "no loader%s%s\n", vk->error ? ": " : "", vk->error ? vk->error : "");
        return;
    }
    strbuf_addf(out, "loader %s, %zu device%s", vk->loader, vk->n_devices,
                vk->n_devices == 1 ? "" : "s");
    if (vk->error)
        strbuf_addf(out, " (%s)", vk->error);
    strbuf_addch(out, '\n');
    for (size_t i = 0; i < vk->n_devices; i++) {
        const struct facts_vulkan_device *d = &vk->devices[i];
        strbuf_addf(out, "  vk%zu     %s: %s, driver %s", i, or_unknown(d->name),
                    or_unknown(d->type), or_unknown(d->driver));
        if (d->driver_info)
            strbuf_addf(out, " (%s)", d->driver_info);
        strbuf_addstr(out, ", device-local ");
        render_bytes(out, d->device_local_bytes);
        strbuf_addch(out, '\n');
    }
}

static void render_rocm(struct strbuf *out, const struct facts_rocm *r)
{
    row(out, "ROCm");
    strbuf_addf(out, "KFD %s",
                r->kfd_present == TRI_YES
                    ? (r->kfd_access == TRI_NO ? "present, no access" : "present")
                : r->kfd_present == TRI_NO ? "missing"
                                           : "unknown");
    if (r->runtime_version)
        strbuf_addf(out, ", HIP %s (%s)", r->runtime_version, or_unknown(r->runtime_path));
    else
        strbuf_addf(out, ", HIP runtime %s", r->runtime_error ? r->runtime_error : "unknown");
    if (r->devices_known)
        strbuf_addf(out, ", %zu device%s", r->n_devices, r->n_devices == 1 ? "" : "s");
    strbuf_addch(out, '\n');
    for (size_t i = 0; i < r->n_devices; i++) {
        strbuf_addf(out, "  hip%zu    %s %s, ", i, or_unknown(r->devices[i].name),
                    or_unknown(r->devices[i].gfx));
        render_bytes(out, r->devices[i].total_bytes);
        strbuf_addch(out, '\n');
    }
}

void render_facts_table(struct strbuf *out, const struct facts *f, const struct verdict *v)
{
    row(out, "OS");
    strbuf_addf(out, "%s, kernel %s\n",
                f->os.pretty_name ? f->os.pretty_name : or_unknown(f->os.id),
                or_unknown(f->kernel.release));
    row(out, "GPU");
    if (!f->gpus_known)
        strbuf_addstr(out, "unknown\n");
    else
        strbuf_addf(out, "%zu found\n", f->n_gpus);
    for (size_t i = 0; i < f->n_gpus; i++)
        render_gpu(out, &f->gpus[i], i);
    render_memory(out, f, v);
    render_vulkan(out, &f->vulkan);
    render_rocm(out, &f->rocm);
    row(out, "Podman");
    const struct facts_containers *c = &f->containers;
    if (c->podman_found == TRI_YES)
        strbuf_addf(out, "%s (%s)", or_unknown(c->podman_version), c->podman_path);
    else
        strbuf_addstr(out, c->podman_found == TRI_NO ? "not installed" : "unknown");
    if (c->rootless != TRI_UNKNOWN)
        strbuf_addstr(out, c->rootless == TRI_YES ? ", rootless" : ", rootful");
    if (c->oci_runtime)
        strbuf_addf(out, ", runtime %s", c->oci_runtime);
    strbuf_addf(out, ", SELinux %s", or_unknown(c->selinux));
    if (c->inside_container == TRI_YES)
        strbuf_addf(out, ", inside a %s container", or_unknown(c->container_kind));
    strbuf_addch(out, '\n');
    /* Only when there is one: most hosts have no CDI spec at all. */
    if (c->n_cdi_devices) {
        row(out, "CDI");
        for (size_t i = 0; i < c->n_cdi_devices; i++)
            strbuf_addf(out, "%s%s", i ? ", " : "", c->cdi_devices[i]);
        strbuf_addch(out, '\n');
    }
    if (f->firmware.linux_firmware) {
        row(out, "Firmware");
        strbuf_addf(out, "linux-firmware %s (%s)\n", f->firmware.linux_firmware,
                    or_unknown(f->firmware.package));
    }
}

void render_findings(struct strbuf *out, const struct verdict *v)
{
    if (!v->n_findings) {
        strbuf_addstr(out, "no findings: nothing stands in the way\n");
        return;
    }
    for (size_t i = 0; i < v->n_findings; i++) {
        const struct finding *fi = &v->findings[i];
        strbuf_addf(out, "%-5s  %s: %s\n", severity_name(fi->severity), fi->id, fi->message);
        if (fi->fix)
            strbuf_addf(out, "       fix: %s\n", fi->fix);
    }
}

void render_recommendation(struct strbuf *out, const struct verdict *v)
{
    const struct recommendation *r = &v->recommendation;
    if (r->recipe)
        strbuf_addf(out, "recommended: %s (backend %s)\n", r->recipe, or_unknown(r->backend));
    else
        strbuf_addstr(out, "recommended: unknown\n");
    for (size_t i = 0; i < r->n_reasons; i++)
        strbuf_addf(out, "  - %s\n", r->reasons[i]);
}
