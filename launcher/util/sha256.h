/* sha256 of streams and files (OpenSSL's libcrypto: it uses the CPU's SHA
 * instructions, several times faster than portable C on a 100 GB model). */
#ifndef HALOBOX_SHA256_H
#define HALOBOX_SHA256_H

#include "common.h"
#include "error.h"

#define SHA256_HEX_LEN 64

struct sha256;
struct sha256 *sha256_new(void);
void sha256_update(struct sha256 *h, const void *data, size_t len);
/* Writes 64 hex digits and a NUL into hex, and frees h. */
void sha256_finish(struct sha256 *h, char hex[SHA256_HEX_LEN + 1]);

/* Hashes a whole open file from its current position to EOF. */
int sha256_fd(int fd, const char *name, char hex[SHA256_HEX_LEN + 1], struct hb_error *err);

/* True for 64 lower- or upper-case hex digits. */
bool sha256_hex_valid(const char *s);

#endif
