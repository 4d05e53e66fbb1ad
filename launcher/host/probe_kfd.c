/* The ROCm kernel driver (KFD): /dev/kfd and the topology nodes, which give
 * each GPU's gfx target and tie it to its DRM render node. */
#include "util/common.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>

#include "host/probe.h"
#include "host/sysroot.h"
#include "util/text.h"

bool kfd_properties_get(const char *text, size_t len, const char *key, uint64_t *out)
{
    size_t key_len = strlen(key);
    size_t i = 0;
    while (i < len) {
        size_t eol = i;
        while (eol < len && text[eol] != '\n')
            eol++;
        /* "gfx_target_version 110501": the key, one space, a decimal. */
        if (eol - i > key_len && !memcmp(text + i, key, key_len) && text[i + key_len] == ' ') {
            size_t p = i + key_len;
            while (p < eol && text[p] == ' ')
                p++;
            if (p == eol || !isdigit((unsigned char)text[p]))
                return false;
            uint64_t v = 0;
            for (; p < eol && isdigit((unsigned char)text[p]); p++) {
                unsigned d = (unsigned)(text[p] - '0');
                if (v > (UINT64_MAX - d) / 10)
                    return false;
                v = v * 10 + d;
            }
            while (p < eol && (text[p] == ' ' || text[p] == '\r'))
                p++;
            if (p != eol)
                return false;
            *out = v;
            return true;
        }
        i = eol + 1;
    }
    return false;
}

static struct facts_gpu *gpu_for_render_minor(struct facts *f, uint64_t minor)
{
    char node[64];
    snprintf(node, sizeof(node), "/dev/dri/renderD%llu", (unsigned long long)minor);
    for (size_t i = 0; i < f->n_gpus; i++)
        if (str_eq(f->gpus[i].render_node, node))
            return &f->gpus[i];
    return NULL;
}

void probe_kfd(struct facts *f)
{
    if (sysroot_exists("/dev/kfd")) {
        f->rocm.kfd_present = TRI_YES;
        f->rocm.kfd_access = tri_from_bool(sysroot_can_open_rw("/dev/kfd"));
    } else if (sysroot_exists("/dev")) {
        f->rocm.kfd_present = TRI_NO;
    }

    struct strbuf dir = STRBUF_INIT;
    sysroot_path(&dir, "/sys/class/kfd/kfd/topology/nodes");
    DIR *d = opendir(dir.buf);
    strbuf_release(&dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0]) || strlen(e->d_name) > 16)
            continue;
        struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
        struct hb_error err = HB_ERROR_INIT;
        strbuf_addf(&path, "/sys/class/kfd/kfd/topology/nodes/%s/properties", e->d_name);
        uint64_t target = 0, minor = 0, simd = 0;
        /* A properties file with binary junk in it is not one the kernel
         * wrote: none of its values can be trusted. */
        if (sysroot_read(path.buf, 64 * 1024, &text, &err) == 0 &&
            text_is_clean(text.buf, text.len) &&
            kfd_properties_get(text.buf, text.len, "gfx_target_version", &target) && target &&
            kfd_properties_get(text.buf, text.len, "drm_render_minor", &minor) && minor) {
            /* A node with a gfx target and a render minor is a GPU (CPU
             * nodes have neither); attach its raw values to the DRM card. */
            struct facts_gpu *g = gpu_for_render_minor(f, minor);
            if (g) {
                g->gfx_target_version = OPT_U64(target);
                if (kfd_properties_get(text.buf, text.len, "simd_count", &simd))
                    g->simd_count = OPT_U64(simd);
            }
        }
        hb_error_release(&err);
        strbuf_release(&text);
        strbuf_release(&path);
    }
    closedir(d);
}
