#include "util/common.h"

#include "rpc/rpc_session.h"

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* One request, one reply of exactly `expected` bytes into out. Returns 1
 * when the peer closed before answering. */
static int call(const struct rpc_io *io, uint8_t cmd, const void *payload, size_t len, uint8_t *out,
                size_t expected, struct hb_error *err)
{
    uint8_t req[9 + RPC_CAPS_SIZE];
    size_t n = rpc_request_encode(cmd, payload, len, req, sizeof(req));
    if (!n)
        return hb_error_set(err, EXIT_RUNTIME, "request too large");
    if (io->send(io->ctx, req, n, err) < 0)
        return -1;
    uint8_t hdr[8];
    bool closed = false;
    if (io->recv(io->ctx, hdr, sizeof(hdr), &closed, err) < 0)
        return closed ? 1 : -1;
    uint64_t size;
    if (rpc_reply_size(hdr, expected, &size, err) < 0)
        return -1;
    closed = false;
    if (expected && io->recv(io->ctx, out, (size_t)expected, &closed, err) < 0)
        return -1;
    return 0;
}

static int mem_send(void *ctx, const void *buf, size_t n, struct hb_error *err)
{
    (void)err;
    struct rpc_mem_stream *m = ctx;
    if (m->n_sent < sizeof(m->sent)) {
        size_t room = sizeof(m->sent) - m->n_sent;
        memcpy(m->sent + m->n_sent, buf, n < room ? n : room);
    }
    m->n_sent += n;
    return 0;
}

static int mem_recv(void *ctx, void *buf, size_t n, bool *closed, struct hb_error *err)
{
    struct rpc_mem_stream *m = ctx;
    if (m->len - m->pos < n) {
        *closed = m->pos == m->len;
        m->pos = m->len;
        return hb_error_set(err, EXIT_RUNTIME, "it closed the connection");
    }
    memcpy(buf, m->in + m->pos, n);
    m->pos += n;
    return 0;
}

void rpc_io_memory(struct rpc_io *io, struct rpc_mem_stream *m)
{
    io->ctx = m;
    io->send = mem_send;
    io->recv = mem_recv;
}

int rpc_session_hello(const struct rpc_io *io, bool old, struct rpc_version *v,
                      struct hb_error *err)
{
    uint8_t caps[RPC_CAPS_SIZE] = {0};
    uint8_t reply[RPC_HELLO_REPLY];
    size_t expected = old ? RPC_HELLO_OLD_REPLY : RPC_HELLO_REPLY;
    int r = call(io, RPC_CMD_HELLO, caps, old ? 0 : sizeof(caps), reply, expected, err);
    if (r != 0)
        return r;
    return rpc_parse_hello(reply, expected, v, err);
}

int rpc_session_devices(const struct rpc_io *io, struct rpc_worker_info *info, struct hb_error *err)
{
    uint8_t reply[16];
    uint32_t count;
    if (call(io, RPC_CMD_DEVICE_COUNT, NULL, 0, reply, 4, err) != 0 ||
        rpc_parse_device_count(reply, 4, &count, err) < 0) {
        hb_error_prefix(err, "device count");
        return -1;
    }
    info->n_devices = count;
    info->free_sum = info->total_sum = 0;
    for (uint32_t d = 0; d < count; d++) {
        uint8_t dev[4] = {(uint8_t)d, (uint8_t)(d >> 8), (uint8_t)(d >> 16), (uint8_t)(d >> 24)};
        if (call(io, RPC_CMD_GET_DEVICE_MEMORY, dev, sizeof(dev), reply, 16, err) != 0 ||
            rpc_parse_device_memory(reply, 16, &info->free_bytes[d], &info->total_bytes[d], err) <
                0) {
            hb_error_prefix(err, "memory of device %u", d);
            return -1;
        }
        /* Saturating: the values are the worker's word, not to be
         * trusted to add up. */
        info->free_sum = sat_add(info->free_sum, info->free_bytes[d]);
        info->total_sum = sat_add(info->total_sum, info->total_bytes[d]);
    }
    info->devices_known = true;
    return 0;
}
