#include "util/common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/sysroot.h"
#include "util/json.h"
#include "util/text.h"

const char *sysroot_prefix(void)
{
    const char *p = getenv("HALOBOX_SYSROOT");
    if (!p || !*p || !strcmp(p, "/"))
        return "";
    return p;
}

void sysroot_path(struct strbuf *out, const char *path)
{
    strbuf_reset(out);
    strbuf_addstr(out, sysroot_prefix());
    /* "/fixture/" + "/proc/cmdline" must not become "//proc" (harmless, but
     * it shows in messages). */
    if (out->len && out->buf[out->len - 1] == '/' && path[0] == '/')
        path++;
    strbuf_addstr(out, path);
}

int sysroot_read(const char *path, size_t max_bytes, struct strbuf *out, struct hb_error *err)
{
    struct strbuf full = STRBUF_INIT;
    sysroot_path(&full, path);
    strbuf_reset(out);
    int fd = open(full.buf, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        hb_error_set(err, EXIT_INPUT, "cannot open '%s': %s", full.buf, strerror(errno));
        strbuf_release(&full);
        return -1;
    }
    int ret = 0;
    /* sysfs and proc files report size 0, so read until EOF, with a cap. */
    for (;;) {
        strbuf_grow(out, 4096);
        size_t room = out->alloc - out->len - 1;
        if (room > max_bytes + 1 - out->len)
            room = max_bytes + 1 - out->len;
        ssize_t n = read(fd, out->buf + out->len, room);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            ret = hb_error_set(err, EXIT_INPUT, "cannot read '%s': %s", full.buf, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
        out->buf[out->len] = '\0';
        if (out->len > max_bytes) {
            ret =
                hb_error_set(err, EXIT_INPUT, "'%s' is larger than %zu bytes", full.buf, max_bytes);
            break;
        }
    }
    close(fd);
    strbuf_release(&full);
    if (ret < 0)
        strbuf_reset(out);
    return ret;
}

/* sysfs values are a few bytes; anything past this is not a sysfs value. */
#define SYSFS_VALUE_MAX 4096

bool sysroot_read_value(const char *path, struct strbuf *out)
{
    struct hb_error err = HB_ERROR_INIT;
    int r = sysroot_read(path, SYSFS_VALUE_MAX, out, &err);
    hb_error_release(&err);
    if (r < 0)
        return false;
    strbuf_rtrim(out);
    /* Binary junk (NUL bytes, control characters, broken UTF-8) is not a
     * value: unknown, rather than garbage in the facts. */
    return text_is_clean(out->buf, out->len);
}

bool sysroot_read_u64(const char *path, uint64_t *out)
{
    struct strbuf sb = STRBUF_INIT;
    bool ok = false;
    if (sysroot_read_value(path, &sb) && sb.len) {
        const char *s = sb.buf;
        while (*s == ' ' || *s == '\t')
            s++;
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
            ok = parse_hex_u64(s, out);
        } else if (*s >= '0' && *s <= '9') {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(s, &end, 10);
            ok = !errno && *end == '\0';
            if (ok)
                *out = v;
        }
    }
    strbuf_release(&sb);
    return ok;
}

bool sysroot_exists(const char *path)
{
    struct strbuf full = STRBUF_INIT;
    sysroot_path(&full, path);
    struct stat st;
    bool ok = stat(full.buf, &st) == 0;
    strbuf_release(&full);
    return ok;
}

bool sysroot_can_open_rw(const char *path)
{
    struct strbuf full = STRBUF_INIT;
    sysroot_path(&full, path);
    /* access() checks the real uid, as a launched engine would run. */
    bool ok = access(full.buf, R_OK | W_OK) == 0;
    strbuf_release(&full);
    return ok;
}

char *sysroot_link_basename(const char *path)
{
    struct strbuf full = STRBUF_INIT;
    sysroot_path(&full, path);
    char target[PATH_MAX];
    ssize_t n = readlink(full.buf, target, sizeof(target) - 1);
    strbuf_release(&full);
    if (n <= 0)
        return NULL;
    target[n] = '\0';
    const char *base = strrchr(target, '/');
    base = base ? base + 1 : target;
    return *base ? xstrdup(base) : NULL;
}
