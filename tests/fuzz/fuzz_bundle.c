/* libFuzzer target: reading a bench bundle (`halobox bench import` takes
 * one from anyone): the archive reader with its path, type and size checks,
 * and the manifest parser on its own. An input that does not start with
 * gzip's magic number is taken as a tar and wrapped in gzip's stored
 * (uncompressed) blocks first, so that the fuzzer's changes reach the tar
 * headers and the checks behind them instead of dying in inflate. */
#include "util/common.h"

#include "bench/bundle.h"
#include "util/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

static void add_le(struct strbuf *sb, uint32_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        strbuf_addch(sb, (char)((v >> (8 * i)) & 0xff));
}

/* RFC 1952 around RFC 1951 stored blocks. */
static void gzip_stored(const uint8_t *data, size_t size, struct strbuf *out)
{
    static const char header[10] = {0x1f, (char)0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    strbuf_add(out, header, sizeof(header));
    size_t off = 0;
    do {
        size_t n = size - off > 65535 ? 65535 : size - off;
        strbuf_addch(out, off + n == size ? 1 : 0); /* BFINAL, BTYPE 00 */
        add_le(out, (uint32_t)n, 2);
        add_le(out, (uint32_t)(~n & 0xffff), 2);
        strbuf_add(out, data + off, n);
        off += n;
    } while (off < size);
    add_le(out, crc32_ieee(data, size), 4);
    add_le(out, (uint32_t)size, 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct strbuf wrapped = STRBUF_INIT;
    const void *in = data;
    size_t len = size;
    if (size < 2 || data[0] != 0x1f || data[1] != 0x8b) {
        gzip_stored(data, size, &wrapped);
        in = wrapped.buf;
        len = wrapped.len;
    }
    struct bundle b;
    struct hb_error err = HB_ERROR_INIT;
    if (bundle_read(&b, in, len, "fuzz.tar.gz", &err) == 0)
        bundle_release(&b);
    hb_error_release(&err);
    strbuf_release(&wrapped);
    if (bundle_manifest_parse(&b, (const char *)data, size, "fuzz", &err) == 0)
        bundle_release(&b);
    hb_error_release(&err);
    return 0;
}
