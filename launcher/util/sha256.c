#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "sha256.h"

struct sha256 {
    EVP_MD_CTX *ctx;
};

struct sha256 *sha256_new(void)
{
    struct sha256 *h = xmalloc(sizeof(*h));
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        fprintf(stderr, "halobox: libcrypto cannot compute sha256\n");
        abort();
    }
    return h;
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
    EVP_DigestUpdate(h->ctx, data, len);
}

void sha256_finish(struct sha256 *h, char hex[SHA256_HEX_LEN + 1])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_DigestFinal_ex(h->ctx, md, &n);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

int sha256_fd(int fd, const char *name, char hex[SHA256_HEX_LEN + 1], struct hb_error *err)
{
    enum { CHUNK = 4 * 1024 * 1024 };
    char *buf = xmalloc(CHUNK);
    struct sha256 *h = sha256_new();
    int ret = 0;
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = hb_error_set(err, EXIT_INPUT, "cannot read '%s': %s", name, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        sha256_update(h, buf, (size_t)n);
    }
    sha256_finish(h, hex);
    free(buf);
    return ret;
}

bool sha256_hex_valid(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!isxdigit((unsigned char)s[n]))
            return false;
    return n == SHA256_HEX_LEN;
}
