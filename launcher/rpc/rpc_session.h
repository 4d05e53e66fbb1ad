/* The conversation halobox has with an RPC worker (HELLO, then the devices
 * and their memory) over any byte stream: sockets in rpc_client.c, a
 * buffer in the fuzz target. */
#ifndef HALOBOX_RPC_SESSION_H
#define HALOBOX_RPC_SESSION_H

#include "rpc/rpc_wire.h"

/* A byte stream. recv fills exactly n bytes; both return -1 with the error
 * set (closed, timed out, reset). recv sets *closed when the peer closed
 * the connection before the first byte. */
struct rpc_io {
    void *ctx;
    int (*send)(void *ctx, const void *buf, size_t n, struct hb_error *err);
    int (*recv)(void *ctx, void *buf, size_t n, bool *closed, struct hb_error *err);
};

struct rpc_worker_info {
    struct rpc_version version;
    bool old_hello; /* answered only the HELLO of protocols before 7 */
    bool devices_known;
    uint32_t n_devices;
    uint64_t free_bytes[RPC_MAX_DEVICES];
    uint64_t total_bytes[RPC_MAX_DEVICES];
    uint64_t free_sum, total_sum;
};

/* A stream over memory, for the unit tests and the fuzz target: recv
 * reads `in`; send keeps up to sizeof(sent) bytes (the rest is counted in
 * n_sent, not kept). */
struct rpc_mem_stream {
    const uint8_t *in;
    size_t len, pos;
    uint8_t sent[256];
    size_t n_sent;
};
void rpc_io_memory(struct rpc_io *io, struct rpc_mem_stream *m);

/* HELLO the current way (old: false) or the way of protocols before 7.
 * Returns 1 (not -1) when the worker closed the connection without a
 * reply: the request's size was not the one it knows. */
int rpc_session_hello(const struct rpc_io *io, bool old, struct rpc_version *v,
                      struct hb_error *err);

/* After a current HELLO: DEVICE_COUNT and GET_DEVICE_MEMORY for each. */
int rpc_session_devices(const struct rpc_io *io, struct rpc_worker_info *info,
                        struct hb_error *err);

#endif
