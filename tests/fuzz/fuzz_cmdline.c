/* libFuzzer target: the kernel command line parser, then the doctor's
 * parameter rules over what it produced. */
#include "util/common.h"

#include "doctor.h"
#include "facts.h"
#include "host/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct facts f;
    facts_init(&f);
    parse_cmdline(&f.kernel, (const char *)data, size);
    /* Every parameter must be a proper string the rules can read. */
    char *text = xstrndup((const char *)data, size);
    f.kernel.cmdline = text;
    struct facts_gpu *g = facts_add_gpu(&f);
    g->family = xstrdup("strix-halo");
    struct verdict v;
    doctor_evaluate(&f, &v);
    verdict_release(&v);
    facts_release(&f);
    return 0;
}
