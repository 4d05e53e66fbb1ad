/* libFuzzer target: what an RPC worker sends back (rpc_session.c over the
 * parsers of rpc_wire.c), the bytes a hostile or broken worker controls;
 * and the --rpc worker list syntax. */
#include "util/common.h"

#include "rpc/rpc_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
    const uint8_t *in;
    size_t len, pos;
};

static int mem_send(void *ctx, const void *buf, size_t n, struct hb_error *err)
{
    (void)ctx;
    (void)buf;
    (void)n;
    (void)err;
    return 0;
}

static int mem_recv(void *ctx, void *buf, size_t n, bool *closed, struct hb_error *err)
{
    struct mem *m = ctx;
    if (m->len - m->pos < n) {
        *closed = m->pos == m->len;
        m->pos = m->len;
        return hb_error_set(err, EXIT_RUNTIME, "closed");
    }
    memcpy(buf, m->in + m->pos, n);
    m->pos += n;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hb_error err = HB_ERROR_INIT;
    /* The first byte picks the HELLO of before or since protocol 7. */
    bool old = size && (data[0] & 1);
    struct mem m = {.in = data + (size ? 1 : 0), .len = size ? size - 1 : 0};
    struct rpc_io io = {.ctx = &m, .send = mem_send, .recv = mem_recv};
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
