/* libFuzzer target: reading a bench bundle (`halobox bench import` takes
 * one from anyone): the archive reader with its path, type and size checks,
 * and the manifest parser on its own (the fuzzer rarely makes a valid gzip
 * stream around a manifest it is changing). */
#include "util/common.h"

#include "bench/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bundle b;
    struct hb_error err = HB_ERROR_INIT;
    if (bundle_read(&b, data, size, "fuzz.tar.gz", &err) == 0)
        bundle_release(&b);
    hb_error_release(&err);
    if (bundle_manifest_parse(&b, (const char *)data, size, "fuzz", &err) == 0)
        bundle_release(&b);
    hb_error_release(&err);
    return 0;
}
