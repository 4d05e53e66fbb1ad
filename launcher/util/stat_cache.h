/* Answers remembered in the user's cache directory for as long as one file
 * keeps its inode, size and modification time: a package database, a
 * program. Package managers replace their database by rename on every
 * change, so an unchanged stat means an unchanged answer. */
#ifndef HALOBOX_STAT_CACHE_H
#define HALOBOX_STAT_CACHE_H

#include <stdbool.h>

#include "strbuf.h"

/* The answer stored under `name` for `key_path` and `tag` (what was asked),
 * or false when there is none or the file changed. */
bool stat_cache_get(const char *name, const char *key_path, const char *tag, struct strbuf *out);

/* Remembers `value` (any bytes) under the same three. A cache that cannot be
 * written only costs time next run, so failures are silent. */
void stat_cache_put(const char *name, const char *key_path, const char *tag, const char *value,
                    size_t len);

#endif
