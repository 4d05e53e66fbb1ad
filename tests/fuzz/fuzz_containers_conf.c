/* libFuzzer target: the containers.conf reader (host/probe_runtime.c),
 * which reads the TOML files of podman's configuration. */
#include "util/common.h"

#include "host/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *rt = NULL;
    bool set = containers_conf_runtime((const char *)data, size, &rt);
    /* Set means a name, never an empty one. */
    if (set != (rt != NULL) || (rt && !*rt))
        __builtin_trap();
    free(rt);
    return 0;
}
