/* llama.cpp's RPC protocol, the few messages halobox speaks: HELLO (the
 * protocol version), DEVICE_COUNT and GET_DEVICE_MEMORY. Everything a
 * worker sends back is outside data: these parsers check every size and
 * value before use, and are fuzzed (tests/fuzz/fuzz_rpc_reply.c).
 *
 * Framing, measured against ggml-rpc-server of ggml 0.27 (engine b11669,
 * protocol 8.0.0), little-endian:
 *   request  = u8 command, u64 payload size, payload
 *   reply    = u64 payload size, payload
 * HELLO must come first on a connection. Since protocol 7 its request is
 * 24 bytes of transport capabilities (zero: plain TCP) and its reply is
 * major, minor, patch, one pad byte and 24 capability bytes; before that
 * the request was empty and the reply 3 bytes. A server closes the
 * connection on a request of the wrong size, so an older server is found
 * by asking again the old way (rpc_client.c). */
#ifndef HALOBOX_RPC_WIRE_H
#define HALOBOX_RPC_WIRE_H

#include "util/common.h"
#include "util/error.h"

#define RPC_CMD_GET_DEVICE_MEMORY 11
#define RPC_CMD_HELLO             14
#define RPC_CMD_DEVICE_COUNT      15

#define RPC_CAPS_SIZE       24
#define RPC_HELLO_OLD_REPLY 3
#define RPC_HELLO_REPLY     (4 + RPC_CAPS_SIZE)
/* llama.cpp takes at most 16 RPC servers, and a worker with more devices
 * than this is not believed. */
#define RPC_MAX_WORKERS 16
#define RPC_MAX_DEVICES 16
/* The largest reply halobox ever expects; a size above it is malformed. */
#define RPC_MAX_REPLY 64
/* The port ggml-rpc-server listens on by default. */
#define RPC_DEFAULT_PORT 50052

struct rpc_version {
    unsigned major, minor, patch;
};

/* The client's rule (ggml-rpc.cpp): the same major, and a server minor no
 * higher than the client's. */
bool rpc_version_compatible(const struct rpc_version *client, const struct rpc_version *server);

/* The protocol the RPC client in an engine build speaks, from a table of
 * measured builds; false when the build is not in it. */
bool rpc_protocol_of_engine(const char *engine_version, struct rpc_version *v);

/* A request: command byte and payload size (9 bytes) then the payload. */
size_t rpc_request_encode(uint8_t cmd, const void *payload, size_t len, uint8_t *out,
                          size_t out_size);

/* A reply's 8-byte size header: -1 when the size is not `expected` (the
 * error says what came instead). */
int rpc_reply_size(const uint8_t hdr[8], uint64_t expected, uint64_t *size, struct hb_error *err);

/* HELLO replies of 3 bytes (before protocol 7) or 28 bytes. */
int rpc_parse_hello(const uint8_t *p, size_t n, struct rpc_version *v, struct hb_error *err);
/* DEVICE_COUNT: u32, 1..RPC_MAX_DEVICES. */
int rpc_parse_device_count(const uint8_t *p, size_t n, uint32_t *count, struct hb_error *err);
/* GET_DEVICE_MEMORY: u64 free, u64 total, free <= total. */
int rpc_parse_device_memory(const uint8_t *p, size_t n, uint64_t *free_bytes, uint64_t *total,
                            struct hb_error *err);

/* A worker's address: "HOST:PORT" with an IPv4 address or a host name, or
 * "[IPv6]:PORT". host is without brackets. */
struct rpc_endpoint {
    char *text; /* as given */
    char *host;
    unsigned port;
};

/* "A:P,B:P,...": 1 to RPC_MAX_WORKERS endpoints, no duplicates (usage
 * errors, exit code 2). */
int rpc_endpoints_parse(const char *list, struct rpc_endpoint **out, size_t *n,
                        struct hb_error *err);
int rpc_endpoint_parse(const char *s, struct rpc_endpoint *e, struct hb_error *err);
void rpc_endpoint_release(struct rpc_endpoint *e);
void rpc_endpoints_release(struct rpc_endpoint *v, size_t n);

/* Whether host is an address that means every interface (0.0.0.0, ::). */
bool rpc_address_is_wildcard(const char *host);

#endif
