#include "util/common.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>

#include "plan.h"
#include "rpc/rpc_wire.h"

/* Engine builds and the protocol their RPC client speaks, newest first.
 * Measured: ggml-rpc-server of Debian's libggml0-backend-rpc 0.27.0-1 in
 * the cpu and vulkan-radv images (engine b11669) answers HELLO with 8.0.0
 * and prints "Starting RPC server v8.0.0". A build not in the table is
 * checked only against the other workers (plan_rpc.c says so). */
static const struct {
    unsigned build;
    struct rpc_version v;
} protocol_table[] = {
    {11669, {8, 0, 0}},
};

bool rpc_version_compatible(const struct rpc_version *client, const struct rpc_version *server)
{
    return client->major == server->major && server->minor <= client->minor;
}

bool rpc_protocol_of_engine(const char *engine_version, struct rpc_version *v)
{
    unsigned build = plan_engine_build(engine_version);
    for (size_t i = 0; build && i < ARRAY_SIZE(protocol_table); i++)
        if (protocol_table[i].build == build) {
            *v = protocol_table[i].v;
            return true;
        }
    return false;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t rpc_request_encode(uint8_t cmd, const void *payload, size_t len, uint8_t *out,
                          size_t out_size)
{
    if (out_size < 9 + len)
        return 0;
    out[0] = cmd;
    put_u64(out + 1, len);
    if (len)
        memcpy(out + 9, payload, len);
    return 9 + len;
}

int rpc_reply_size(const uint8_t hdr[8], uint64_t expected, uint64_t *size, struct hb_error *err)
{
    *size = get_u64(hdr);
    if (*size != expected)
        return hb_error_set(err, EXIT_RUNTIME, "a reply of %llu bytes where %llu were expected",
                            (unsigned long long)*size, (unsigned long long)expected);
    return 0;
}

int rpc_parse_hello(const uint8_t *p, size_t n, struct rpc_version *v, struct hb_error *err)
{
    if (n != RPC_HELLO_OLD_REPLY && n != RPC_HELLO_REPLY)
        return hb_error_set(err, EXIT_RUNTIME, "a version reply of %zu bytes (not %d or %d)", n,
                            RPC_HELLO_OLD_REPLY, RPC_HELLO_REPLY);
    v->major = p[0];
    v->minor = p[1];
    v->patch = p[2];
    if (v->major == 0)
        return hb_error_set(err, EXIT_RUNTIME, "a version reply of 0.%u.%u", v->minor, v->patch);
    return 0;
}

int rpc_parse_device_count(const uint8_t *p, size_t n, uint32_t *count, struct hb_error *err)
{
    if (n != 4)
        return hb_error_set(err, EXIT_RUNTIME, "a device count of %zu bytes (not 4)", n);
    *count = get_u32(p);
    if (*count < 1 || *count > RPC_MAX_DEVICES)
        return hb_error_set(err, EXIT_RUNTIME, "a device count of %u (not 1 to %d)", *count,
                            RPC_MAX_DEVICES);
    return 0;
}

int rpc_parse_device_memory(const uint8_t *p, size_t n, uint64_t *free_bytes, uint64_t *total,
                            struct hb_error *err)
{
    if (n != 16)
        return hb_error_set(err, EXIT_RUNTIME, "a memory reply of %zu bytes (not 16)", n);
    *free_bytes = get_u64(p);
    *total = get_u64(p + 8);
    if (*free_bytes > *total)
        return hb_error_set(err, EXIT_RUNTIME, "%llu bytes free of %llu",
                            (unsigned long long)*free_bytes, (unsigned long long)*total);
    return 0;
}

bool rpc_address_is_wildcard(const char *host)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, host, a) == 1)
        return !memcmp(a, "\0\0\0\0", 4);
    if (inet_pton(AF_INET6, host, a) == 1) {
        static const unsigned char zero[16];
        return !memcmp(a, zero, 16);
    }
    return false;
}

/* Host names as DNS allows them: letters, digits, '-' and '.'. */
static bool host_name_ok(const char *s, size_t n)
{
    if (!n || n > 253 || s[0] == '-' || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
            return false;
    return true;
}

int rpc_endpoint_parse(const char *s, struct rpc_endpoint *e, struct hb_error *err)
{
    memset(e, 0, sizeof(*e));
    const char *host = s, *colon;
    size_t host_len;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return hb_error_set(err, EXIT_USAGE, "'%s' is not [IPv6]:PORT", s);
        host = s + 1;
        host_len = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || strchr(s, ':') != colon)
            return hb_error_set(err, EXIT_USAGE,
                                "'%s' is not HOST:PORT (an IPv6 address goes in brackets)", s);
        host_len = (size_t)(colon - s);
    }
    char *h = xstrndup(host, host_len);
    unsigned char addr[16];
    bool ok = *s == '[' ? inet_pton(AF_INET6, h, addr) == 1 : host_name_ok(h, host_len);
    if (!ok) {
        hb_error_set(err, EXIT_USAGE, "'%s' in '%s' is not an address", h, s);
        free(h);
        return -1;
    }
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (!isdigit((unsigned char)colon[1]) || errno || *end || port == 0 || port > 65535) {
        free(h);
        return hb_error_set(err, EXIT_USAGE, "'%s' has no port (1 to 65535) after the ':'", s);
    }
    e->text = xstrdup(s);
    e->host = h;
    e->port = (unsigned)port;
    return 0;
}

void rpc_endpoint_release(struct rpc_endpoint *e)
{
    free(e->text);
    free(e->host);
    memset(e, 0, sizeof(*e));
}

void rpc_endpoints_release(struct rpc_endpoint *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rpc_endpoint_release(&v[i]);
    free(v);
}

int rpc_endpoints_parse(const char *list, struct rpc_endpoint **out, size_t *n,
                        struct hb_error *err)
{
    *out = NULL;
    *n = 0;
    struct rpc_endpoint *v = xcalloc(RPC_MAX_WORKERS, sizeof(*v));
    size_t count = 0;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (count == RPC_MAX_WORKERS) {
            hb_error_set(err, EXIT_USAGE, "--rpc takes at most %d workers (llama.cpp's limit)",
                         RPC_MAX_WORKERS);
            goto fail;
        }
        if (!len) {
            hb_error_set(err, EXIT_USAGE, "--rpc takes HOST:PORT,... with no empty entry, not '%s'",
                         list);
            goto fail;
        }
        char *one = xstrndup(p, len);
        int r = rpc_endpoint_parse(one, &v[count], err);
        free(one);
        if (r < 0)
            goto fail;
        for (size_t i = 0; i < count; i++)
            if (!strcmp(v[i].host, v[count].host) && v[i].port == v[count].port) {
                hb_error_set(err, EXIT_USAGE, "--rpc names %s twice", v[count].text);
                count++;
                goto fail;
            }
        count++;
        if (!comma)
            break;
        p = comma + 1;
    }
    *out = v;
    *n = count;
    return 0;
fail:
    rpc_endpoints_release(v, count);
    return -1;
}
