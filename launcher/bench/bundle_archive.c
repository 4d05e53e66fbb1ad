/* A bench bundle as a gzip-compressed tar, through libarchive (loaded on
 * first use, util/archive_dl.h). The reader treats the file as hostile: it
 * reads from memory, holds every member to the manifest and the caps, and
 * never touches the file system; the importer writes only what it returns.
 * halobox writes the manifest first, but a bundle unpacked and packed
 * again with tar has its members in directory order: members that come
 * before the manifest wait for it (within the same caps). */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <errno.h>

#include "bench/bundle.h"
#include "util/archive_dl.h"
#include "util/json.h"

/* The manifest is a few hundred bytes per member. */
#define MANIFEST_MAX (BUNDLE_MEMBERS_MAX * 256u)

/* A member read before the manifest. */
struct early_member {
    char *path;
    size_t rel; /* where the part below the top directory starts in path */
    struct strbuf data;
};

struct reader {
    const struct archive_api *la;
    struct archive *a;
    const char *origin;
    struct hb_error *err;
    struct bundle *b;
    char *top;        /* the first entry's top directory */
    bool manifest;    /* read */
    uint64_t total;   /* bytes of members so far */
    size_t n_entries; /* so far */
    struct early_member *early;
    size_t n_early;
};

static int damaged(struct reader *r, const char *what)
{
    const char *why = r->la->error_string(r->a);
    return hb_error_set(r->err, EXIT_INPUT, "%s: %s%s%s", r->origin, what, why ? ": " : "",
                        why ? why : "");
}

/* Absolute paths, '..' and '.' components, empty components, and a first
 * component other than the bundle's top directory are all refused. Sets
 * rel to the part below the top directory ("" for the top itself). */
static int check_path(struct reader *r, const char *path, bool is_dir, const char **rel)
{
    if (!path || !*path)
        return hb_error_set(r->err, EXIT_INPUT, "%s: a member has no name", r->origin);
    if (path[0] == '/')
        return hb_error_set(r->err, EXIT_INPUT, "%s: member '%s' has an absolute path", r->origin,
                            path);
    size_t len = strlen(path);
    if (is_dir && path[len - 1] == '/')
        len--;
    for (size_t i = 0; i < len;) {
        size_t n = strcspn(path + i, "/");
        if (n > len - i)
            n = len - i;
        if ((n == 2 && !strncmp(path + i, "..", 2)) || (n == 1 && path[i] == '.') || n == 0)
            return hb_error_set(r->err, EXIT_INPUT,
                                "%s: member '%s' has a '..', '.' or empty path component",
                                r->origin, path);
        i += n + 1;
    }
    size_t top = strcspn(path, "/");
    if (!r->top)
        r->top = xstrndup(path, top);
    if (top != strlen(r->top) || strncmp(path, r->top, top))
        return hb_error_set(r->err, EXIT_INPUT, "%s: member '%s' is outside the bundle's '%s/'",
                            r->origin, path, r->top);
    *rel = path[top] ? path + top + 1 : path + top;
    return 0;
}

static const char *type_name(mode_t type)
{
    switch (type & HB_AE_IFMT) {
    case 0120000:
        return "a symbolic link";
    case 0020000:
    case 0060000:
        return "a device";
    case 0010000:
        return "a FIFO";
    case 0140000:
        return "a socket";
    default:
        return "not a regular file";
    }
}

/* The entry's data, exactly `size` bytes. */
static int read_data(struct reader *r, const char *path, uint64_t size, struct strbuf *out)
{
    strbuf_reset(out);
    strbuf_grow(out, (size_t)size + 1);
    for (;;) {
        char buf[65536];
        ssize_t n = r->la->read_data(r->a, buf, sizeof(buf));
        if (n < 0) {
            struct strbuf what = STRBUF_INIT;
            strbuf_addf(&what, "member '%s' is damaged or cut short", path);
            damaged(r, what.buf);
            strbuf_release(&what);
            return -1;
        }
        if (n == 0)
            break;
        if ((uint64_t)n > size - out->len)
            return hb_error_set(r->err, EXIT_INPUT,
                                "%s: member '%s' is longer than its header says", r->origin, path);
        strbuf_add(out, buf, (size_t)n);
    }
    if (out->len != size)
        return hb_error_set(r->err, EXIT_INPUT, "%s: member '%s' is cut short", r->origin, path);
    return 0;
}

static int take_manifest(struct reader *r, const struct strbuf *text)
{
    if (bundle_manifest_parse(r->b, text->buf, text->len, r->origin, r->err) < 0)
        return -1;
    if (strcmp(r->b->name, r->top))
        return hb_error_set(r->err, EXIT_INPUT,
                            "%s: manifest names the bundle '%s' but its directory is '%s/'",
                            r->origin, r->b->name, r->top);
    r->manifest = true;
    return 0;
}

static int take_member(struct reader *r, const char *path, const char *rel, struct strbuf *data)
{
    struct bundle_member *m = bundle_find_member(r->b, rel);
    if (!m)
        return hb_error_set(r->err, EXIT_INPUT, "%s: member '%s' is not in the manifest", r->origin,
                            path);
    if (m->seen)
        return hb_error_set(r->err, EXIT_INPUT, "%s: member '%s' is there twice", r->origin, path);
    if (data->len != m->size)
        return hb_error_set(r->err, EXIT_INPUT,
                            "%s: member '%s' has %zu bytes, the manifest says %llu", r->origin,
                            path, data->len, (unsigned long long)m->size);
    char hex[SHA256_HEX_LEN + 1];
    struct sha256 *h = sha256_new();
    sha256_update(h, data->buf, data->len);
    sha256_finish(h, hex);
    if (strcmp(hex, m->sha256))
        return hb_error_set(r->err, EXIT_INPUT,
                            "%s: member '%s' does not match its sha256 in the manifest", r->origin,
                            path);
    m->seen = true;
    strbuf_release(&m->data);
    m->data = *data;
    strbuf_init(data);
    return 0;
}

static int take_entry(struct reader *r, struct archive_entry *e)
{
    const struct archive_api *la = r->la;
    const char *path = la->entry_pathname(e);
    mode_t type = la->entry_filetype(e) & HB_AE_IFMT;
    const char *rel = NULL;
    if (check_path(r, path, type == HB_AE_IFDIR, &rel) < 0)
        return -1;
    if (la->entry_hardlink(e))
        return hb_error_set(r->err, EXIT_INPUT, "%s: member '%s' is a hard link", r->origin, path);
    if (la->entry_symlink(e) || (type != HB_AE_IFREG && type != HB_AE_IFDIR))
        return hb_error_set(r->err, EXIT_INPUT, "%s: member '%s' is %s", r->origin, path,
                            la->entry_symlink(e) ? "a symbolic link" : type_name(type));
    if (type == HB_AE_IFDIR) {
        size_t n = strcspn(rel, "/");
        if (*rel && ((n != 4 || (strncmp(rel, "runs", 4) && strncmp(rel, "logs", 4))) ||
                     (rel[n] && rel[n + 1])))
            return hb_error_set(r->err, EXIT_INPUT, "%s: directory '%s' is not in the layout",
                                r->origin, path);
        return 0;
    }
    bool is_manifest = !strcmp(rel, BUNDLE_MANIFEST);
    if (r->manifest && is_manifest)
        return hb_error_set(r->err, EXIT_INPUT, "%s: member '%s' is there twice", r->origin, path);
    int64_t size = la->entry_size_is_set(e) ? la->entry_size(e) : -1;
    uint64_t cap = is_manifest ? MANIFEST_MAX : BUNDLE_MEMBER_MAX;
    if (size < 0)
        return hb_error_set(r->err, EXIT_INPUT, "%s: member '%s' has no size", r->origin, path);
    if ((uint64_t)size > cap)
        return hb_error_set(r->err, EXIT_INPUT,
                            "%s: member '%s' is larger than the cap of %llu bytes", r->origin, path,
                            (unsigned long long)cap);
    if (r->total + (uint64_t)size > BUNDLE_TOTAL_MAX)
        return hb_error_set(r->err, EXIT_INPUT,
                            "%s: the members add up to more than the cap of %u bytes", r->origin,
                            BUNDLE_TOTAL_MAX);
    r->total += (uint64_t)size;
    struct strbuf data = STRBUF_INIT;
    int ret = read_data(r, path, (uint64_t)size, &data);
    if (ret == 0 && !is_manifest && !r->manifest) {
        r->early = xrealloc(r->early, (r->n_early + 1) * sizeof(*r->early));
        struct early_member *m = &r->early[r->n_early++];
        m->path = xstrdup(path);
        m->rel = (size_t)(rel - path);
        m->data = data;
        return 0;
    }
    if (ret == 0)
        ret = is_manifest ? take_manifest(r, &data) : take_member(r, path, rel, &data);
    /* the members that were waiting for the manifest, in their order */
    for (size_t i = 0; ret == 0 && is_manifest && i < r->n_early; i++)
        ret =
            take_member(r, r->early[i].path, r->early[i].path + r->early[i].rel, &r->early[i].data);
    strbuf_release(&data);
    return ret;
}

static void early_release(struct reader *r)
{
    for (size_t i = 0; i < r->n_early; i++) {
        free(r->early[i].path);
        strbuf_release(&r->early[i].data);
    }
    free(r->early);
    r->early = NULL;
    r->n_early = 0;
}

int bundle_read(struct bundle *b, const void *data, size_t len, const char *origin,
                struct hb_error *err)
{
    memset(b, 0, sizeof(*b));
    const struct archive_api *la = archive_api_get(err);
    if (!la)
        return -1;
    struct reader r = {.la = la, .origin = origin, .err = err, .b = b};
    r.a = la->read_new();
    if (!r.a)
        return hb_error_set(err, EXIT_RUNTIME, "%s: libarchive: out of memory", origin);
    /* gzip's magic number: a bundle that is damaged rather than some other
     * file. */
    bool gzip = len >= 2 && ((const unsigned char *)data)[0] == 0x1f &&
                ((const unsigned char *)data)[1] == 0x8b;
    int ret = 0;
    if (la->read_support_filter_gzip(r.a) != HB_ARCHIVE_OK ||
        la->read_support_format_tar(r.a) != HB_ARCHIVE_OK ||
        la->read_open_memory(r.a, data, len) != HB_ARCHIVE_OK)
        ret = damaged(&r, gzip ? "damaged or cut short" : "not a tar.gz bundle");
    while (ret == 0) {
        struct archive_entry *e;
        int h = la->read_next_header(r.a, &e);
        if (h == HB_ARCHIVE_EOF)
            break;
        if (h != HB_ARCHIVE_OK) {
            ret = damaged(&r, r.n_entries || gzip ? "damaged or cut short" : "not a tar.gz bundle");
            break;
        }
        if (!r.n_entries++ && la->filter_code(r.a, 0) != HB_ARCHIVE_FILTER_GZIP) {
            ret = hb_error_set(err, EXIT_INPUT, "%s: not a tar.gz bundle: not gzip-compressed",
                               origin);
            break;
        }
        if (r.n_entries > BUNDLE_MEMBERS_MAX + 3)
            ret = hb_error_set(err, EXIT_INPUT, "%s: more than %d members", origin,
                               BUNDLE_MEMBERS_MAX);
        else
            ret = take_entry(&r, e);
    }
    if (ret == 0 && !r.manifest)
        ret = hb_error_set(err, EXIT_INPUT, "%s: not a halobox bundle: no %s", origin,
                           BUNDLE_MANIFEST);
    for (size_t i = 0; ret == 0 && i < b->n_members; i++)
        if (!b->members[i].seen)
            ret = hb_error_set(err, EXIT_INPUT, "%s: member '%s/%s' of the manifest is missing",
                               origin, b->name, b->members[i].path);
    la->read_free(r.a);
    early_release(&r);
    free(r.top);
    if (ret < 0)
        bundle_release(b);
    return ret;
}

/* ---- writing ------------------------------------------------------------------ */

static int write_entry(const struct archive_api *la, struct archive *a, const char *top,
                       const char *path, const struct strbuf *data, time_t mtime)
{
    struct archive_entry *e = la->entry_new();
    if (!e)
        return -1;
    struct strbuf full = STRBUF_INIT;
    strbuf_addf(&full, "%s/%s", top, path);
    la->entry_set_pathname(e, full.buf);
    la->entry_set_size(e, (int64_t)data->len);
    la->entry_set_filetype(e, HB_AE_IFREG);
    la->entry_set_perm(e, 0644);
    la->entry_set_mtime(e, mtime, 0);
    int ret = la->write_header(a, e) == HB_ARCHIVE_OK ? 0 : -1;
    if (ret == 0 && data->len && la->write_data(a, data->buf, data->len) != (ssize_t)data->len)
        ret = -1;
    la->entry_free(e);
    strbuf_release(&full);
    return ret;
}

int bundle_write(const struct bundle *b, int fd, time_t mtime, const char *origin,
                 struct hb_error *err)
{
    const struct archive_api *la = archive_api_get(err);
    if (!la)
        return -1;
    struct archive *a = la->write_new();
    if (!a)
        return hb_error_set(err, EXIT_RUNTIME, "%s: libarchive: out of memory", origin);
    struct cJSON *json = bundle_manifest_to_json(b);
    struct strbuf manifest = STRBUF_INIT;
    json_add_to_strbuf(json, true, &manifest);
    cJSON_Delete(json);
    /* No timestamp in the gzip header: the same runs give the same bytes. */
    int ret = la->write_add_filter_gzip(a) == HB_ARCHIVE_OK &&
                      la->write_set_format_pax_restricted(a) == HB_ARCHIVE_OK &&
                      la->write_set_options(a, "gzip:!timestamp") == HB_ARCHIVE_OK &&
                      la->write_open_fd(a, fd) == HB_ARCHIVE_OK
                  ? 0
                  : -1;
    if (ret == 0)
        ret = write_entry(la, a, b->name, BUNDLE_MANIFEST, &manifest, mtime);
    for (size_t i = 0; ret == 0 && i < b->n_members; i++)
        ret = write_entry(la, a, b->name, b->members[i].path, &b->members[i].data, mtime);
    if (ret == 0 && la->write_close(a) != HB_ARCHIVE_OK)
        ret = -1;
    if (ret < 0) {
        const char *why = la->error_string(a);
        hb_error_set(err, EXIT_RUNTIME, "%s: cannot write the bundle: %s", origin,
                     why ? why : strerror(errno));
    }
    la->write_free(a);
    strbuf_release(&manifest);
    return ret;
}
