#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "signals_hold.h"

int mkdir_p(const char *path, unsigned mode)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, path);
    for (char *p = sb.buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(sb.buf, mode) < 0 && errno != EEXIST) {
            strbuf_release(&sb);
            return -1;
        }
        *p = '/';
    }
    int r = mkdir(sb.buf, mode) < 0 && errno != EEXIST ? -1 : 0;
    strbuf_release(&sb);
    return r;
}

int cache_dir(struct strbuf *out)
{
    strbuf_reset(out);
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (xdg && xdg[0] == '/')
        strbuf_addf(out, "%s/halobox", xdg);
    else if (home && home[0] == '/')
        strbuf_addf(out, "%s/.cache/halobox", home);
    else
        return -1;
    if (mkdir_p(out->buf, 0700) < 0) {
        strbuf_reset(out);
        return -1;
    }
    return 0;
}

int write_full(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int data_dir(struct strbuf *out, const char *env_var, const char *name)
{
    strbuf_reset(out);
    const char *dir = getenv(env_var);
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    if (dir && *dir)
        strbuf_addstr(out, dir);
    else if (xdg && xdg[0] == '/')
        strbuf_addf(out, "%s/halobox/%s", xdg, name);
    else if (home && home[0] == '/')
        strbuf_addf(out, "%s/.local/share/halobox/%s", home, name);
    else
        return -1;
    return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
    struct strbuf tmp = STRBUF_INIT;
    strbuf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    /* The data is in memory: the write is short, and a Ctrl-C meanwhile
     * must not leave the temporary file behind. */
    sigset_t saved;
    signals_hold(&saved);
    int fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        int e = errno;
        signals_release(&saved);
        strbuf_release(&tmp);
        errno = e;
        return -1;
    }
    int ret = write_full(fd, data, len);
    if (close(fd) < 0)
        ret = -1;
    if (ret == 0 && rename(tmp.buf, path) < 0)
        ret = -1;
    int e = errno;
    if (ret < 0)
        unlink(tmp.buf);
    signals_release(&saved);
    strbuf_release(&tmp);
    errno = e;
    return ret;
}

int read_small_file(const char *path, size_t max_bytes, struct strbuf *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    strbuf_reset(out);
    int ret = 0;
    for (;;) {
        strbuf_grow(out, 8192);
        ssize_t n = read(fd, out->buf + out->len, out->alloc - out->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = -1;
            break;
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
        out->buf[out->len] = '\0';
        if (out->len > max_bytes) {
            errno = EFBIG;
            ret = -1;
            break;
        }
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return ret;
}
