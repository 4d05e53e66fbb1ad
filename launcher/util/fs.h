/* Files that halobox writes itself: its cache, and later the store. */
#ifndef HALOBOX_FS_H
#define HALOBOX_FS_H

#include "error.h"
#include "strbuf.h"

/* $XDG_CACHE_HOME/halobox (or ~/.cache/halobox), created 0700 if needed.
 * Returns -1 (with out empty) when there is no home to put it in. */
int cache_dir(struct strbuf *out);
/* A directory of halobox's data (not created): $ENV_VAR when set, else
 * $XDG_DATA_HOME/halobox/NAME, else ~/.local/share/halobox/NAME. Returns -1
 * (with out empty) when there is no home to put it in. */
int data_dir(struct strbuf *out, const char *env_var, const char *name);
/* mkdir -p with the given mode for the directories it creates. */
int mkdir_p(const char *path, unsigned mode);
/* Writes all of data to fd, through short writes and EINTR. Returns 0 or -1
 * (errno set). */
int write_full(int fd, const void *data, size_t len);
/* Writes data to a temporary file beside path, then renames it over path, so
 * a reader never sees half a file. Returns 0 or -1 (errno set). */
int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);
/* Reads a whole regular file (no sysroot: for halobox's own files and files
 * the user names). */
int read_small_file(const char *path, size_t max_bytes, struct strbuf *out);

#endif
