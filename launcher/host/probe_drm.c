/* DRM devices: one entry per /sys/class/drm/cardN backed by a PCI device,
 * with the amdgpu memory sizes, the dGPU markers and its render node. */
#include "util/common.h"

#include <ctype.h>
#include <dirent.h>

#include "host/probe.h"
#include "host/sysroot.h"

static int compare_names(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    /* card2 before card10: compare the numbers, not the text. */
    size_t lx = strlen(x), ly = strlen(y);
    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

/* Names in dir matching prefix followed only by digits, sorted by number. */
static char **list_numbered(const char *dir, const char *prefix, size_t *count)
{
    struct strbuf path = STRBUF_INIT;
    sysroot_path(&path, dir);
    DIR *d = opendir(path.buf);
    strbuf_release(&path);
    *count = 0;
    if (!d)
        return NULL;
    char **names = NULL;
    size_t alloc = 0;
    struct dirent *e;
    size_t plen = strlen(prefix);
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, plen) || !e->d_name[plen])
            continue;
        bool digits = true;
        for (const char *p = e->d_name + plen; *p; p++)
            digits = digits && isdigit((unsigned char)*p);
        if (!digits || strlen(e->d_name) > 32)
            continue;
        names = xgrow(names, *count + 1, &alloc, sizeof(char *));
        names[(*count)++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (*count)
        qsort(names, *count, sizeof(char *), compare_names);
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static opt_u64 read_opt(const char *dir, const char *file)
{
    struct strbuf path = STRBUF_INIT;
    strbuf_addf(&path, "%s/%s", dir, file);
    uint64_t v;
    opt_u64 r = {0};
    if (sysroot_read_u64(path.buf, &v))
        r = OPT_U64(v);
    strbuf_release(&path);
    return r;
}

static char *read_str(const char *dir, const char *file)
{
    struct strbuf path = STRBUF_INIT, sb = STRBUF_INIT;
    strbuf_addf(&path, "%s/%s", dir, file);
    char *r = NULL;
    if (sysroot_read_value(path.buf, &sb) && sb.len)
        r = strbuf_detach(&sb);
    strbuf_release(&sb);
    strbuf_release(&path);
    return r;
}

static bool file_exists(const char *dir, const char *file)
{
    struct strbuf path = STRBUF_INIT;
    strbuf_addf(&path, "%s/%s", dir, file);
    bool r = sysroot_exists(path.buf);
    strbuf_release(&path);
    return r;
}

/* The render node whose device is the same PCI function as the card's. */
static void find_render_node(struct facts_gpu *g, char **renders, size_t n_renders)
{
    for (size_t i = 0; i < n_renders && g->pci_slot; i++) {
        struct strbuf link = STRBUF_INIT;
        strbuf_addf(&link, "/sys/class/drm/%s/device", renders[i]);
        char *slot = sysroot_link_basename(link.buf);
        strbuf_release(&link);
        bool same = slot && !strcmp(slot, g->pci_slot);
        free(slot);
        if (!same)
            continue;
        struct strbuf node = STRBUF_INIT;
        strbuf_addf(&node, "/dev/dri/%s", renders[i]);
        if (sysroot_exists(node.buf))
            g->render_access = tri_from_bool(sysroot_can_open_rw(node.buf));
        g->render_node = strbuf_detach(&node);
        return;
    }
}

void probe_drm(struct facts *f)
{
    size_t n_cards = 0, n_renders = 0;
    char **cards = list_numbered("/sys/class/drm", "card", &n_cards);
    char **renders = list_numbered("/sys/class/drm", "renderD", &n_renders);
    /* No DRM class at all (no driver loaded, or a minimal container) is
     * still a known answer: no GPU the kernel drives. Only a missing /sys
     * leaves it unknown. */
    f->gpus_known = sysroot_exists("/sys/class");
    for (size_t i = 0; i < n_cards; i++) {
        struct strbuf dev = STRBUF_INIT;
        strbuf_addf(&dev, "/sys/class/drm/%s/device", cards[i]);
        opt_u64 vendor = read_opt(dev.buf, "vendor");
        /* Platform framebuffers (simpledrm, efifb) have no PCI vendor and
         * are not GPUs an engine can use. */
        if (!vendor.known) {
            strbuf_release(&dev);
            continue;
        }
        struct facts_gpu *g = facts_add_gpu(f);
        g->card = xstrdup(cards[i]);
        g->vendor_id = vendor;
        g->device_id = read_opt(dev.buf, "device");
        g->pci_slot = sysroot_link_basename(dev.buf);
        struct strbuf drv = STRBUF_INIT;
        strbuf_addf(&drv, "%s/driver", dev.buf);
        g->driver = sysroot_link_basename(drv.buf);
        strbuf_release(&drv);
        g->vram_bytes = read_opt(dev.buf, "mem_info_vram_total");
        g->vis_vram_bytes = read_opt(dev.buf, "mem_info_vis_vram_total");
        g->gtt_bytes = read_opt(dev.buf, "mem_info_gtt_total");
        /* board_info is only meaningful as a marker on amdgpu devices. */
        if (str_eq(g->driver, "amdgpu"))
            g->board_info = tri_from_bool(file_exists(dev.buf, "board_info"));
        g->vram_vendor = read_str(dev.buf, "mem_info_vram_vendor");
        find_render_node(g, renders, n_renders);
        strbuf_release(&dev);
    }
    free_names(cards, n_cards);
    free_names(renders, n_renders);
}
