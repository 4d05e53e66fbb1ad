/* The OCI runtime podman uses (crun, runc, ...), from its containers.conf
 * files rather than `podman info`, which takes too long to run on every
 * command. It matters for rootless podman: `--group-add keep-groups` keeps
 * the render and video groups only under crun; runc ignores it, and the
 * GPU's device nodes then refuse the engine.
 *
 * The files, later ones winning (containers.conf(5), containers-config(5)):
 * $CONTAINERS_CONF alone when set; otherwise for /usr/share/containers and
 * then /etc/containers: containers.conf, the .conf files of
 * containers.conf.d, and (podman 5) containers.rootful.conf.d for root or
 * containers.rootless.conf.d and its UID folder for other users; then for
 * rootless podman $XDG_CONFIG_HOME (~/.config)/containers/containers.conf
 * and containers.conf.d; $CONTAINERS_CONF_OVERRIDE last (podman 4.3.1
 * ignores it: measured on the development machine). A .d folder is read in
 * name order, .conf files only. Without a `runtime` under [engine], podman
 * takes the first of crun and runc that is installed (containers/common
 * findRuntime). Every file is read through the sysroot. */
#include "util/common.h"

#include <dirent.h>
#include <unistd.h>

#include "host/probe.h"
#include "host/sysroot.h"

#define CONF_MAX         (256 * 1024) /* the shipped containers.conf is ~30 KiB */
#define CONF_D_MAX       64           /* files per .d folder */
#define RUNTIME_NAME_MAX 64

/* Trims blanks at both ends of [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
        (*n)--;
}

static bool runtime_name_ok(const char *s, size_t n)
{
    if (!n || n > RUNTIME_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.' || ch == '/'))
            return false;
    }
    return true;
}

bool containers_conf_runtime(const char *text, size_t len, char **out)
{
    bool engine = false, found = false;
    const char *end = text + len;
    for (const char *p = text; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p;
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        p = nl ? nl + 1 : end;
        trim(&s, &n);
        if (!n || s[0] == '#')
            continue;
        if (s[0] == '[') {
            /* [engine], [ engine ], not [engine.runtimes] or [[...]]. */
            const char *close = memchr(s, ']', n);
            if (!close || s[1] == '[') {
                engine = false;
                continue;
            }
            const char *name = s + 1;
            size_t nn = (size_t)(close - name);
            trim(&name, &nn);
            engine = nn == 6 && !memcmp(name, "engine", 6);
            continue;
        }
        if (!engine || n < 7 || memcmp(s, "runtime", 7))
            continue;
        const char *v = s + 7;
        size_t vn = n - 7;
        trim(&v, &vn);
        if (!vn || v[0] != '=')
            continue; /* runtime_supports_json = ..., runtime_path, ... */
        v++;
        vn--;
        trim(&v, &vn);
        if (vn < 2 || (v[0] != '"' && v[0] != '\''))
            continue;
        const char *close = memchr(v + 1, v[0], vn - 1);
        if (!close)
            continue;
        const char *name = v + 1;
        size_t nn = (size_t)(close - name);
        if (!runtime_name_ok(name, nn))
            continue;
        /* A path names the runtime by its last component. */
        const char *slash = memrchr(name, '/', nn);
        if (slash) {
            nn -= (size_t)(slash + 1 - name);
            name = slash + 1;
        }
        if (!nn)
            continue;
        free(*out);
        *out = xstrndup(name, nn);
        found = true;
    }
    return found;
}

/* One file: its runtime, when it sets one, replaces *rt. */
static void read_conf(const char *path, char **rt)
{
    struct strbuf text = STRBUF_INIT;
    struct hb_error err = HB_ERROR_INIT;
    if (sysroot_read(path, CONF_MAX, &text, &err) == 0)
        containers_conf_runtime(text.buf, text.len, rt);
    hb_error_release(&err);
    strbuf_release(&text);
}

/* A file named by an environment variable: relative to the working
 * directory, as podman reads it. */
static void read_conf_env(const char *path, char **rt)
{
    if (path[0] == '/') {
        read_conf(path, rt);
        return;
    }
    char cwd[4096];
    if (!getcwd(cwd, sizeof(cwd)))
        return;
    struct strbuf abs = STRBUF_INIT;
    strbuf_addf(&abs, "%s/%s", cwd, path);
    read_conf(abs.buf, rt);
    strbuf_release(&abs);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.conf of a folder, in name order. */
static void read_conf_d(const char *dir, char **rt)
{
    struct strbuf full = STRBUF_INIT;
    sysroot_path(&full, dir);
    DIR *d = opendir(full.buf);
    strbuf_release(&full);
    if (!d)
        return;
    char *files[CONF_D_MAX];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < CONF_D_MAX) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] != '.' && len > 5 && !strcmp(e->d_name + len - 5, ".conf"))
            files[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    qsort(files, n, sizeof(*files), cmp_str);
    struct strbuf path = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        strbuf_reset(&path);
        strbuf_addf(&path, "%s/%s", dir, files[i]);
        read_conf(path.buf, rt);
        free(files[i]);
    }
    strbuf_release(&path);
}

/* /usr/share/containers or /etc/containers. */
static void read_system_dir(const char *base, bool root, uid_t uid, char **rt)
{
    struct strbuf p = STRBUF_INIT;
    strbuf_addf(&p, "%s/containers.conf", base);
    read_conf(p.buf, rt);
    strbuf_addstr(&p, ".d");
    read_conf_d(p.buf, rt);
    strbuf_reset(&p);
    strbuf_addf(&p, "%s/containers.%s.conf.d", base, root ? "rootful" : "rootless");
    read_conf_d(p.buf, rt);
    if (!root) {
        strbuf_addf(&p, "/%u", (unsigned)uid);
        read_conf_d(p.buf, rt);
    }
    strbuf_release(&p);
}

/* "4.3.1" at most 4.3: CONTAINERS_CONF_OVERRIDE is not read there. */
static bool podman_reads_override(const char *version)
{
    unsigned major, minor;
    if (!version || sscanf(version, "%u.%u", &major, &minor) != 2)
        return true;
    return major > 4 || (major == 4 && minor > 3);
}

/* Where podman finds a runtime it was not told of: /usr/bin first. */
static bool runtime_installed(const char *name)
{
    static const char *const dirs[] = {"/usr/bin",        "/usr/sbin", "/usr/local/bin",
                                       "/usr/local/sbin", "/bin",      "/sbin"};
    struct strbuf p = STRBUF_INIT;
    bool found = false;
    for (size_t i = 0; i < ARRAY_SIZE(dirs) && !found; i++) {
        strbuf_reset(&p);
        strbuf_addf(&p, "%s/%s", dirs[i], name);
        found = sysroot_exists(p.buf);
    }
    strbuf_release(&p);
    return found;
}

void probe_oci_runtime(struct facts_containers *c, uid_t uid)
{
    if (c->podman_found != TRI_YES)
        return;
    bool root = uid == 0;
    char *rt = NULL;
    const char *only = getenv("CONTAINERS_CONF");
    if (only && *only) {
        read_conf_env(only, &rt);
    } else {
        read_system_dir("/usr/share/containers", root, uid, &rt);
        read_system_dir("/etc/containers", root, uid, &rt);
        if (!root) {
            struct strbuf user = STRBUF_INIT;
            const char *xdg = getenv("XDG_CONFIG_HOME");
            const char *home = getenv("HOME");
            if (xdg && xdg[0] == '/')
                strbuf_addf(&user, "%s/containers/containers.conf", xdg);
            else if (home && home[0] == '/')
                strbuf_addf(&user, "%s/.config/containers/containers.conf", home);
            if (user.len) {
                read_conf(user.buf, &rt);
                strbuf_addstr(&user, ".d");
                read_conf_d(user.buf, &rt);
            }
            strbuf_release(&user);
        }
    }
    const char *override = getenv("CONTAINERS_CONF_OVERRIDE");
    if (override && *override && podman_reads_override(c->podman_version))
        read_conf_env(override, &rt);
    if (!rt) {
        if (runtime_installed("crun"))
            rt = xstrdup("crun");
        else if (runtime_installed("runc"))
            rt = xstrdup("runc");
    }
    c->oci_runtime = rt;
}
