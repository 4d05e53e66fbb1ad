/* Every host file halobox reads goes through here, under the root prefix
 * HALOBOX_SYSROOT (default "/"), so a fixture tree can stand in for a host. */
#ifndef HALOBOX_SYSROOT_H
#define HALOBOX_SYSROOT_H

#include "util/error.h"
#include "util/strbuf.h"

/* The prefix in effect ("" for the real root). */
const char *sysroot_prefix(void);
/* prefix + path into out (path must start with '/'). */
void sysroot_path(struct strbuf *out, const char *path);

/* Reads a whole file of at most max_bytes into out. Returns 0, or -1 with
 * the reason (missing, unreadable, too large, ...) in err. A file that is
 * larger than max_bytes is an error, not a truncation: sysfs values are
 * small, and a huge one means the file is not what we think it is. */
int sysroot_read(const char *path, size_t max_bytes, struct strbuf *out, struct hb_error *err);
/* The same, trimmed of trailing white space; false when unreadable. */
bool sysroot_read_value(const char *path, struct strbuf *out);
/* A sysfs number (decimal, or hex with 0x), false when absent or not a
 * number. */
bool sysroot_read_u64(const char *path, uint64_t *out);
bool sysroot_exists(const char *path);
/* access(2) with R_OK|W_OK on the file, as the calling user. */
bool sysroot_can_open_rw(const char *path);
/* The last component of a symlink's target ("amdgpu" for .../driver). */
char *sysroot_link_basename(const char *path);

#endif
