/* Adding files: stage them in tmp/ (a copy-on-write clone, a hard link, or
 * a copy), hash what was staged, then publish under the lock. Nothing that
 * fails half way is left where a good file is expected. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "util/strbuf.h"

int store_ref_write(struct store *s, const struct store_ref *ref, struct hb_error *err);

struct staged {
    char *path;
    char *file_name;
    char sha256[SHA256_HEX_LEN + 1];
    uint64_t size;
};

static void staged_release(struct staged *st, size_t n, bool unlink_files)
{
    for (size_t i = 0; i < n; i++) {
        if (unlink_files && st[i].path)
            unlink(st[i].path);
        free(st[i].path);
        free(st[i].file_name);
    }
    free(st);
}

static int copy_and_hash(int in, int out, const char *src, const char *dst, char *hex,
                         struct hb_error *err)
{
    enum { CHUNK = 4 * 1024 * 1024 };
    char *buf = xmalloc(CHUNK);
    struct sha256 *h = sha256_new();
    int r = 0;
    for (;;) {
        ssize_t n = read(in, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = hb_error_set(err, EXIT_INPUT, "cannot read '%s': %s", src, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        sha256_update(h, buf, (size_t)n);
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                r = hb_error_set(err, EXIT_RUNTIME, "cannot write '%s': %s", dst,
                                 strerror(w < 0 ? errno : ENOSPC));
                break;
            }
            done += w;
        }
        if (r < 0)
            break;
    }
    sha256_finish(h, hex);
    free(buf);
    /* Data on disk before the rename makes it visible. */
    if (r == 0 && fdatasync(out) < 0)
        r = hb_error_set(err, EXIT_RUNTIME, "cannot write '%s': %s", dst, strerror(errno));
    return r;
}

static int stage_one(struct store *s, const char *src, unsigned index, struct staged *st,
                     struct hb_error *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return hb_error_set(err, EXIT_INPUT, "cannot open '%s': %s", src, strerror(errno));
    struct stat sst;
    if (fstat(in, &sst) < 0 || !S_ISREG(sst.st_mode)) {
        close(in);
        return hb_error_set(err, EXIT_INPUT, "'%s' is not a regular file", src);
    }
    const char *base = strrchr(src, '/');
    base = base ? base + 1 : src;
    st->file_name = xstrdup(*base && *base != '.' ? base : "model.gguf");
    struct strbuf p = STRBUF_INIT;
    strbuf_addf(&p, "%s/tmp/add-%ld-%u-%lld", s->root, (long)getpid(), index,
                (long long)time(NULL));
    st->path = strbuf_detach(&p);
    st->size = (uint64_t)sst.st_size;

    int r;
    int out = open(st->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        r = hb_error_set(err, EXIT_RUNTIME, "cannot create '%s': %s", st->path, strerror(errno));
    } else if (ioctl(out, FICLONE, in) == 0) {
        /* A copy-on-write clone: instant, and the user's file stays theirs. */
        close(out);
        out = -1;
        int fd = open(st->path, O_RDONLY | O_CLOEXEC);
        r = fd < 0
                ? hb_error_set(err, EXIT_RUNTIME, "cannot open '%s': %s", st->path, strerror(errno))
                : sha256_fd(fd, st->path, st->sha256, err);
        if (fd >= 0)
            close(fd);
    } else {
        close(out);
        out = -1;
        unlink(st->path);
        if (link(src, st->path) == 0) {
            /* Same file system: share the bytes; hash what the store holds. */
            r = sha256_fd(in, src, st->sha256, err);
        } else {
            out = open(st->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            r = out < 0 ? hb_error_set(err, EXIT_RUNTIME, "cannot create '%s': %s", st->path,
                                       strerror(errno))
                        : copy_and_hash(in, out, src, st->path, st->sha256, err);
        }
    }
    if (out >= 0)
        close(out);
    close(in);
    return r;
}

/* Moves a staged file into blobs/ (or drops it when the blob is already
 * there: same hash, same bytes). Runs under the lock. */
static int publish_blob(struct store *s, const struct staged *st, struct hb_error *err)
{
    char *blob = store_blob_path(s, st->sha256);
    struct stat bst;
    int r = 0;
    if (stat(blob, &bst) == 0) {
        unlink(st->path);
    } else if (rename(st->path, blob) < 0) {
        r = hb_error_set(err, EXIT_RUNTIME, "cannot move '%s' into the store: %s", st->path,
                         strerror(errno));
    } else if (stat(blob, &bst) == 0 && bst.st_nlink == 1) {
        chmod(blob, 0444); /* not when hard-linked: that mode is the user's file's */
    }
    free(blob);
    return r;
}

static char *now_rfc3339(void)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[32];
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return xstrdup(buf);
}

/* Publishes staged files as `name`. Takes over `summary`. */
static int publish(struct store *s, const char *name, struct staged *st, size_t n,
                   const char *source, struct cJSON *summary, bool replace, struct hb_error *err)
{
    if (store_lock(s, err) < 0) {
        cJSON_Delete(summary);
        return -1;
    }
    struct store_ref old;
    struct hb_error ignore = HB_ERROR_INIT;
    bool exists = store_ref_load(s, name, &old, &ignore) == 0;
    hb_error_release(&ignore);
    if (exists) {
        bool same = old.n_files == n;
        for (size_t i = 0; same && i < n; i++)
            same = !strcmp(old.files[i].sha256, st[i].sha256);
        store_ref_release(&old);
        if (!same && !replace) {
            store_unlock(s);
            cJSON_Delete(summary);
            return hb_error_set(err, EXIT_INPUT,
                                "a different model is already named '%s' (choose another --name, "
                                "or remove it first with 'halobox models rm %s')",
                                name, name);
        }
    }
    int r = 0;
    for (size_t i = 0; r == 0 && i < n; i++)
        r = publish_blob(s, &st[i], err);
    if (r == 0) {
        struct store_ref ref = {0};
        ref.name = xstrdup(name);
        ref.n_files = n;
        ref.files = xcalloc(n, sizeof(*ref.files));
        for (size_t i = 0; i < n; i++) {
            ref.files[i].name = xstrdup(st[i].file_name);
            memcpy(ref.files[i].sha256, st[i].sha256, sizeof(st[i].sha256));
            ref.files[i].size = st[i].size;
        }
        ref.source = xstrdup_or_null(source);
        ref.added = now_rfc3339();
        ref.summary = summary;
        summary = NULL;
        r = store_ref_write(s, &ref, err);
        store_ref_release(&ref);
    }
    cJSON_Delete(summary);
    store_unlock(s);
    return r;
}

int store_add(struct store *s, const char *name, const char *const *paths, size_t n_paths,
              const char *source, const char *expected_sha256, struct cJSON *summary, bool replace,
              struct hb_error *err)
{
    if (!store_name_valid(name)) {
        cJSON_Delete(summary);
        return hb_error_set(err, EXIT_USAGE,
                            "'%s' is not a valid model name (letters, digits, '.', '_', '-')",
                            name);
    }
    struct staged *st = xcalloc(n_paths, sizeof(*st));
    int r = 0;
    for (size_t i = 0; r == 0 && i < n_paths; i++)
        r = stage_one(s, paths[i], (unsigned)i, &st[i], err);
    if (r == 0 && expected_sha256 && strcasecmp(expected_sha256, st[0].sha256))
        r = hb_error_set(err, EXIT_INPUT, "'%s' has sha256 %s, not the expected %s", paths[0],
                         st[0].sha256, expected_sha256);
    if (r == 0)
        r = publish(s, name, st, n_paths, source, summary, replace, err);
    else
        cJSON_Delete(summary);
    /* Published files were renamed away; anything left in tmp/ goes. */
    staged_release(st, n_paths, true);
    return r;
}

int store_publish_staged(struct store *s, const char *name, const char *staged_path,
                         const char *file_name, const char *sha256, const char *source,
                         struct cJSON *summary, bool replace, struct hb_error *err)
{
    struct stat sst;
    if (stat(staged_path, &sst) < 0) {
        cJSON_Delete(summary);
        return hb_error_set(err, EXIT_RUNTIME, "cannot stat '%s': %s", staged_path,
                            strerror(errno));
    }
    struct staged *st = xcalloc(1, sizeof(*st));
    st->path = xstrdup(staged_path);
    st->file_name = xstrdup(file_name);
    snprintf(st->sha256, sizeof(st->sha256), "%s", sha256);
    st->size = (uint64_t)sst.st_size;
    int r = publish(s, name, st, 1, source, summary, replace, err);
    staged_release(st, 1, r < 0);
    return r;
}
