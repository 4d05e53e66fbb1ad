/* libFuzzer target: the KFD topology properties and /proc/meminfo parsers,
 * which read text the kernel (or a fixture) provides. */
#include "util/common.h"

#include "host/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t v;
    const char *text = (const char *)data;
    kfd_properties_get(text, size, "gfx_target_version", &v);
    kfd_properties_get(text, size, "drm_render_minor", &v);
    kfd_properties_get(text, size, "simd_count", &v);
    /* meminfo and os-release parsers take NUL-terminated text */
    char *s = xstrndup(text, size);
    meminfo_get(s, "MemTotal", &v);
    free(os_release_get(s, "ID"));
    free(os_release_get(s, "PRETTY_NAME"));
    free(s);
    return 0;
}
