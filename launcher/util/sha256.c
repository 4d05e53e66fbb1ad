#include "common.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <unistd.h>

#include "sha256.h"

/* libcrypto is loaded on the first hash, not at every start: its load and
 * relocation cost more than `halobox doctor` does in all. halobox uses its
 * SHA256_Init/Update/Final functions: deprecated in OpenSSL 3 but exported
 * by every 3.x libcrypto, they run the same SHA-NI/AVX code as EVP without
 * the provider lookup, which costs a few milliseconds on first use, longer
 * than hashing all the recipes. The context is declared here as the 112
 * bytes OpenSSL's <openssl/sha.h> gives SHA256_CTX (8 + 2 + 16 + 2 words). */
typedef struct {
    unsigned int words[28];
} sha256_ctx;

static struct {
    int (*init)(sha256_ctx *c);
    int (*update)(sha256_ctx *c, const void *data, size_t len);
    int (*final)(unsigned char *md, sha256_ctx *c);
    bool loaded;
} crypto;

static void load_crypto(void)
{
    static const struct {
        const char *name;
        size_t offset;
    } symbols[] = {
        {"SHA256_Init", offsetof(__typeof__(crypto), init)},
        {"SHA256_Update", offsetof(__typeof__(crypto), update)},
        {"SHA256_Final", offsetof(__typeof__(crypto), final)},
    };
    void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    const char *why = lib ? NULL : dlerror();
    for (size_t i = 0; lib && i < ARRAY_SIZE(symbols); i++) {
        void *fn = dlsym(lib, symbols[i].name);
        if (!fn) {
            why = symbols[i].name;
            lib = NULL;
            break;
        }
        memcpy((char *)&crypto + symbols[i].offset, &fn, sizeof(fn));
    }
    if (!lib) {
        /* Every supported distribution has OpenSSL 3; without it nothing
         * can be verified, so stop rather than store unchecked files. */
        fprintf(stderr, "halobox: cannot compute sha256: libcrypto.so.3 (OpenSSL 3) %s%s\n",
                why ? "did not load: " : "", why ? why : "");
        exit(EXIT_RUNTIME);
    }
    crypto.loaded = true;
}

struct sha256 {
    sha256_ctx ctx;
};

struct sha256 *sha256_new(void)
{
    if (!crypto.loaded)
        load_crypto();
    struct sha256 *h = xmalloc(sizeof(*h));
    if (crypto.init(&h->ctx) != 1) {
        fprintf(stderr, "halobox: libcrypto cannot compute sha256\n");
        abort();
    }
    return h;
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
    crypto.update(&h->ctx, data, len);
}

void sha256_finish(struct sha256 *h, char hex[SHA256_HEX_LEN + 1])
{
    unsigned char md[32];
    crypto.final(md, &h->ctx);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
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
