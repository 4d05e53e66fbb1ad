#include "common.h"

#include <sys/stat.h>

#include "stat_cache.h"
#include "util/fs.h"

#define STAT_CACHE_MAX (64 * 1024)

/* The first line of a cache file: "<inode> <size> <mtime sec> <mtime nsec>
 * <key path> <tag>\n"; the answer follows. */
static bool key_line(struct strbuf *key, const char *key_path, const char *tag)
{
    struct stat st;
    if (!key_path || stat(key_path, &st) < 0)
        return false;
    strbuf_addf(key, "%llu %llu %lld %ld %s %s\n", (unsigned long long)st.st_ino,
                (unsigned long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                key_path, tag);
    return true;
}

static bool file_of(struct strbuf *path, const char *name)
{
    if (cache_dir(path) < 0)
        return false;
    strbuf_addf(path, "/%s", name);
    return true;
}

bool stat_cache_get(const char *name, const char *key_path, const char *tag, struct strbuf *out)
{
    struct strbuf key = STRBUF_INIT, file = STRBUF_INIT, text = STRBUF_INIT;
    bool hit = false;
    if (key_line(&key, key_path, tag) && file_of(&file, name) &&
        read_small_file(file.buf, STAT_CACHE_MAX, &text) == 0 && text.len >= key.len &&
        !memcmp(text.buf, key.buf, key.len)) {
        strbuf_reset(out);
        strbuf_add(out, text.buf + key.len, text.len - key.len);
        hit = true;
    }
    strbuf_release(&key);
    strbuf_release(&file);
    strbuf_release(&text);
    return hit;
}

void stat_cache_put(const char *name, const char *key_path, const char *tag, const char *value,
                    size_t len)
{
    struct strbuf key = STRBUF_INIT, file = STRBUF_INIT;
    if (key_line(&key, key_path, tag) && file_of(&file, name) && key.len + len <= STAT_CACHE_MAX) {
        strbuf_add(&key, value, len);
        write_file_atomic(file.buf, key.buf, key.len, 0600);
    }
    strbuf_release(&key);
    strbuf_release(&file);
}
