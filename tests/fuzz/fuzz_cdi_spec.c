/* libFuzzer target: the CDI spec reader (host/probe_cdi.c), which reads the
 * YAML or JSON files any package may drop into /etc/cdi or /var/run/cdi. */
#include "util/common.h"

#include "host/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct facts_containers c = {0};
    cdi_spec_devices((const char *)data, size, &c);
    /* Whatever it accepted is a fully qualified name. */
    for (size_t i = 0; i < c.n_cdi_devices; i++) {
        if (!strchr(c.cdi_devices[i], '/') || !strchr(c.cdi_devices[i], '='))
            __builtin_trap();
        free(c.cdi_devices[i]);
    }
    free(c.cdi_devices);
    return 0;
}
