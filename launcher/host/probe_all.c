/* The probe table, in the order facts flow: the two probes that load
 * foreign libraries start first in child processes, the file probes run
 * meanwhile, then the children are collected. Derivation comes last. */
#include "util/common.h"

#include <errno.h>

#include "host/probe.h"

static void (*const file_probes[])(struct facts *) = {
    probe_os,  probe_kernel, probe_memory,     probe_drm,      probe_kfd,
    probe_user, probe_env,   probe_containers, probe_firmware,
};


void probe_all(struct facts *f)
{
    struct probe_child vulkan = {0}, hip = {0};
    probe_vulkan_start(&vulkan);
    probe_hip_start(&hip);
    for (size_t i = 0; i < ARRAY_SIZE(file_probes); i++)
        file_probes[i](f);
    int timeout = probe_timeout_ms();
    probe_vulkan_finish(&vulkan, &f->vulkan, timeout);
    probe_hip_finish(&hip, &f->rocm, timeout);
    facts_derive(f);
}
