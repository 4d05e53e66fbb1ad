/* The probe table, in the order facts flow: the two probes that load
 * foreign libraries start first in child processes (or come from the
 * per-boot cache), the file probes run meanwhile, then the children are
 * collected. Derivation comes last. */
#include "util/common.h"

#include "host/probe.h"

static void (*const file_probes[])(struct facts *) = {
    probe_os,   probe_kernel, probe_memory,     probe_drm,      probe_kfd,
    probe_user, probe_env,    probe_containers, probe_firmware,
};

static void run_file_probes(struct facts *f)
{
    for (size_t i = 0; i < ARRAY_SIZE(file_probes); i++)
        file_probes[i](f);
}

void probe_all(struct facts *f, bool fresh)
{
    struct strbuf key = STRBUF_INIT, vk_out = STRBUF_INIT, hip_out = STRBUF_INIT;
    bool files_done = false;
    probe_cache_key(&key);
    if (!fresh && probe_cache_load(key.buf, &vk_out, &hip_out)) {
        run_file_probes(f);
        files_done = true;
        bool ok = probe_vulkan_apply(&vk_out, true, "", &f->vulkan);
        ok = probe_hip_apply(&hip_out, true, "", &f->rocm) && ok;
        if (ok)
            goto out;
        /* A cached answer that no longer reads (an older halobox wrote
         * it): probe for real below. */
    }
    struct probe_child vulkan = {0}, hip = {0};
    probe_vulkan_start(&vulkan);
    probe_hip_start(&hip);
    if (!files_done)
        run_file_probes(f);
    int timeout = probe_timeout_ms();
    bool vk_ok = probe_vulkan_finish(&vulkan, &f->vulkan, timeout, &vk_out);
    bool hip_ok = probe_hip_finish(&hip, &f->rocm, timeout, &hip_out);
    if (vk_ok && hip_ok)
        probe_cache_store(key.buf, vk_out.buf, hip_out.buf);
out:
    strbuf_release(&key);
    strbuf_release(&vk_out);
    strbuf_release(&hip_out);
    facts_derive(f);
}
