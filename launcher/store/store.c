/* The store's layout, its lock and its names. */
#include "util/common.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "util/fs.h"
#include "util/strbuf.h"

static const char store_readme[] =
    "# halobox model store\n"
    "\n"
    "This folder holds the models halobox runs. It is mounted read-only at\n"
    "/models inside every engine container.\n"
    "\n"
    "- `blobs/sha256/HEX` - the model files themselves, each named by the\n"
    "  sha256 of its bytes. A file shared by two names is stored once.\n"
    "- `refs/NAME.json` - one per model name (`halobox models ls`): which blobs\n"
    "  make up the model (several for a split model, in shard order), their\n"
    "  sizes, where the model came from, when it was added, and a summary of\n"
    "  its GGUF metadata (architecture, parameters, quantisation, context).\n"
    "- `models/NAME/` - the model's files under their original names, as\n"
    "  relative symbolic links into `blobs/`. llama.cpp is pointed here, and\n"
    "  finds the next shards of a split model by their names.\n"
    "- `tmp/` - downloads and copies in progress (`*.partial`); a finished\n"
    "  file is checked, then moved into `blobs/`. Safe to empty when halobox\n"
    "  is not running.\n"
    "- `.lock` - taken while halobox changes a name or a blob.\n"
    "\n"
    "Use `halobox models add|ls|inspect|rm|pull` rather than editing by hand.\n"
    "A file added from the same file system may be a hard link to your\n"
    "original: do not edit that original in place.\n";

static int ensure_dir(const char *root, const char *sub, struct hb_error *err)
{
    struct strbuf p = STRBUF_INIT;
    strbuf_addf(&p, "%s%s%s", root, *sub ? "/" : "", sub);
    int r = 0;
    if (mkdir_p(p.buf, 0755) < 0)
        r = hb_error_set(err, EXIT_RUNTIME, "cannot create '%s': %s", p.buf, strerror(errno));
    strbuf_release(&p);
    return r;
}

int store_open(struct store *s, const char *dir, struct hb_error *err)
{
    memset(s, 0, sizeof(*s));
    s->lock_fd = -1;
    struct strbuf root = STRBUF_INIT;
    const char *env = getenv("HALOBOX_STORE");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    if (dir && *dir)
        strbuf_addstr(&root, dir);
    else if (env && *env)
        strbuf_addstr(&root, env);
    else if (xdg && xdg[0] == '/')
        strbuf_addf(&root, "%s/halobox", xdg);
    else if (home && home[0] == '/')
        strbuf_addf(&root, "%s/.local/share/halobox", home);
    else
        return hb_error_set(err, EXIT_RUNTIME,
                            "no store: set HOME, XDG_DATA_HOME or HALOBOX_STORE, or pass --store");
    while (root.len > 1 && root.buf[root.len - 1] == '/')
        root.buf[--root.len] = '\0';
    static const char *const subdirs[] = {"", "blobs/sha256", "refs", "models", "tmp"};
    for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
        if (ensure_dir(root.buf, subdirs[i], err) < 0) {
            strbuf_release(&root);
            return -1;
        }
    }
    struct strbuf readme = STRBUF_INIT;
    strbuf_addf(&readme, "%s/README.md", root.buf);
    if (access(readme.buf, F_OK) < 0)
        write_file_atomic(readme.buf, store_readme, strlen(store_readme), 0644);
    strbuf_release(&readme);
    s->root = strbuf_detach(&root);
    return 0;
}

void store_close(struct store *s)
{
    store_unlock(s);
    free(s->root);
    s->root = NULL;
}

int store_lock(struct store *s, struct hb_error *err)
{
    if (s->lock_fd >= 0)
        return 0;
    struct strbuf p = STRBUF_INIT;
    strbuf_addf(&p, "%s/.lock", s->root);
    int fd = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int r = hb_error_set(err, EXIT_RUNTIME, "cannot open '%s': %s", p.buf, strerror(errno));
        strbuf_release(&p);
        return r;
    }
    while (flock(fd, LOCK_EX) < 0) {
        if (errno == EINTR)
            continue;
        int r = hb_error_set(err, EXIT_RUNTIME, "cannot lock '%s': %s", p.buf, strerror(errno));
        close(fd);
        strbuf_release(&p);
        return r;
    }
    strbuf_release(&p);
    s->lock_fd = fd;
    return 0;
}

void store_unlock(struct store *s)
{
    if (s->lock_fd >= 0) {
        close(s->lock_fd); /* releases the flock */
        s->lock_fd = -1;
    }
}

bool store_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 128 || name[0] == '.' || name[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != '-')
            return false;
    }
    return true;
}

/* "-00001-of-00003" at the end of s (before ".gguf"): its length, else 0. */
static size_t shard_suffix_len(const char *s, size_t len)
{
    const size_t suffix = sizeof("-00001-of-00003") - 1;
    if (len < suffix)
        return 0;
    const char *p = s + len - suffix;
    for (size_t i = 0; i < suffix; i++) {
        bool digit_pos = (i >= 1 && i <= 5) || i >= 10;
        if (digit_pos ? !isdigit((unsigned char)p[i]) : p[i] != "-00001-of-00003"[i])
            return 0;
    }
    return suffix;
}

char *store_default_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (len > 5 && !strcasecmp(base + len - 5, ".gguf"))
        len -= 5;
    len -= shard_suffix_len(base, len);
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)base[i];
        strbuf_addch(&sb, isalnum(c) || c == '.' || c == '_' || c == '-' ? (char)c : '-');
    }
    while (sb.len && (sb.buf[0] == '.' || sb.buf[0] == '-')) {
        memmove(sb.buf, sb.buf + 1, sb.len);
        sb.len--;
    }
    if (sb.len > 128) {
        sb.len = 128;
        sb.buf[128] = '\0';
    }
    if (!sb.len)
        strbuf_addstr(&sb, "model");
    return strbuf_detach(&sb);
}

char *store_blob_path(const struct store *s, const char *sha256)
{
    struct strbuf p = STRBUF_INIT;
    strbuf_addf(&p, "%s/blobs/sha256/%s", s->root, sha256);
    return strbuf_detach(&p);
}

char *store_ref_path(const struct store *s, const char *name)
{
    struct strbuf p = STRBUF_INIT;
    strbuf_addf(&p, "%s/refs/%s.json", s->root, name);
    return strbuf_detach(&p);
}

char *store_model_dir(const struct store *s, const char *name)
{
    struct strbuf p = STRBUF_INIT;
    strbuf_addf(&p, "%s/models/%s", s->root, name);
    return strbuf_detach(&p);
}
