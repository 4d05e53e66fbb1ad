/* libFuzzer target: what an RPC worker sends back (rpc_session.c over the
 * parsers of rpc_wire.c), the bytes a hostile or broken worker controls;
 * and the --rpc worker list syntax. */
#include "util/common.h"

#include "rpc/rpc_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hb_error err = HB_ERROR_INIT;
    /* The first byte picks the HELLO of before or since protocol 7. */
    bool old = size && (data[0] & 1);
    struct rpc_mem_stream m = {.in = data + (size ? 1 : 0), .len = size ? size - 1 : 0};
    struct rpc_io io;
    rpc_io_memory(&io, &m);
    struct rpc_worker_info info;
    memset(&info, 0, sizeof(info));
    if (rpc_session_hello(&io, old, &info.version, &err) == 0 && !old)
        rpc_session_devices(&io, &info, &err);
    hb_error_release(&err);

    char *s = xstrndup((const char *)data, size);
    struct rpc_endpoint *v;
    size_t n;
    if (rpc_endpoints_parse(s, &v, &n, &err) == 0)
        rpc_endpoints_release(v, n);
    hb_error_release(&err);
    free(s);
    return 0;
}
