#include "common.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <unistd.h>

#include "sha256.h"

/* libcrypto is loaded on the first hash, not at every start: its load and
 * relocation cost more than `halobox doctor` does in all. OpenSSL 3's
 * EVP interface, declared here (only opaque pointers cross it). */
typedef struct evp_md_st EVP_MD;
typedef struct evp_md_ctx_st EVP_MD_CTX;
#define OPENSSL_INIT_NO_LOAD_CONFIG 0x00000080L

static struct {
    int (*init_crypto)(uint64_t opts, const void *settings);
    EVP_MD *(*md_fetch)(void *libctx, const char *algorithm, const char *properties);
    EVP_MD_CTX *(*ctx_new)(void);
    int (*digest_init)(EVP_MD_CTX *ctx, const EVP_MD *type, void *engine);
    int (*digest_update)(EVP_MD_CTX *ctx, const void *data, size_t len);
    int (*digest_final)(EVP_MD_CTX *ctx, unsigned char *md, unsigned int *len);
    void (*ctx_free)(EVP_MD_CTX *ctx);
    EVP_MD *md;
} crypto;

static void load_crypto(void)
{
    static const struct {
        const char *name;
        size_t offset;
    } symbols[] = {
#define SYM(field, name) {name, offsetof(__typeof__(crypto), field)}
        SYM(init_crypto, "OPENSSL_init_crypto"), SYM(md_fetch, "EVP_MD_fetch"),
        SYM(ctx_new, "EVP_MD_CTX_new"),          SYM(digest_init, "EVP_DigestInit_ex"),
        SYM(digest_update, "EVP_DigestUpdate"),  SYM(digest_final, "EVP_DigestFinal_ex"),
        SYM(ctx_free, "EVP_MD_CTX_free"),
#undef SYM
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
    if (lib) {
        /* sha256 needs no provider configuration: skip reading openssl.cnf,
         * and fetch the algorithm once rather than at every hash. */
        crypto.init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
        crypto.md = crypto.md_fetch(NULL, "SHA256", NULL);
    }
    if (!crypto.md) {
        /* Every supported distribution has OpenSSL 3; without it nothing
         * can be verified, so stop rather than store unchecked files. */
        fprintf(stderr, "halobox: cannot compute sha256: libcrypto.so.3 (OpenSSL 3) %s%s\n",
                why ? "did not load: " : "has no SHA256", why ? why : "");
        exit(EXIT_RUNTIME);
    }
}

struct sha256 {
    EVP_MD_CTX *ctx;
};

struct sha256 *sha256_new(void)
{
    if (!crypto.md)
        load_crypto();
    struct sha256 *h = xmalloc(sizeof(*h));
    h->ctx = crypto.ctx_new();
    if (!h->ctx || crypto.digest_init(h->ctx, crypto.md, NULL) != 1) {
        fprintf(stderr, "halobox: libcrypto cannot compute sha256\n");
        abort();
    }
    return h;
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
    crypto.digest_update(h->ctx, data, len);
}

void sha256_finish(struct sha256 *h, char hex[SHA256_HEX_LEN + 1])
{
    unsigned char md[32];
    unsigned int n = 0;
    crypto.digest_final(h->ctx, md, &n);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    crypto.ctx_free(h->ctx);
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
