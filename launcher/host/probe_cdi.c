/* CDI (Container Device Interface): the devices that the spec files in
 * /etc/cdi and /var/run/cdi declare, the directories podman reads. A
 * device is named KIND=NAME ("nvidia.com/gpu=all"), and `podman run
 * --device KIND=NAME` gives the container what the spec lists for it (device
 * nodes, the vendor's user-space driver, environment).
 *
 * Specs are YAML or JSON (cncf-tags/container-device-interface SPEC.md).
 * halobox needs only `kind` and each device's `name`, so YAML is read line
 * by line in the block style nvidia-ctk and hand-written specs use, JSON
 * with cJSON; whatever else a file holds adds nothing. The probe runs on
 * every command: the files are small, a larger one is skipped, and a file
 * that is unreadable or malformed is skipped, never an error. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "host/probe.h"
#include "host/sysroot.h"

/* nvidia-ctk writes a few tens of KiB per GPU; a CDI spec of more than this
 * is not one, or not one worth the time on every command. */
#define CDI_SPEC_MAX    (1024 * 1024)
#define CDI_FILES_MAX   64  /* per directory */
#define CDI_DEVICES_MAX 256 /* in all */
#define CDI_NAME_MAX    128

static const char *const cdi_dirs[] = {"/etc/cdi", "/var/run/cdi"};

static bool alnum_at(const char *s, size_t i)
{
    char ch = s[i];
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* Alphanumerics at both ends, `extra` characters between (SPEC.md). */
static bool segment_ok(const char *s, size_t n, const char *extra)
{
    if (!n || n > CDI_NAME_MAX || !alnum_at(s, 0) || !alnum_at(s, n - 1))
        return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!alnum_at(s, i) && (!s[i] || !strchr(extra, s[i]))) /* strchr finds NUL */
            return false;
    return true;
}

/* "vendor.com/class": a DNS-like vendor, a slash, a class. */
static bool kind_ok(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    if (!slash)
        return false;
    size_t v = (size_t)(slash - s);
    return segment_ok(s, v, "-.") && segment_ok(slash + 1, n - v - 1, "-_.");
}

static bool name_ok(const char *s, size_t n)
{
    return segment_ok(s, n, "-_.:");
}

/* The names of one file, kept until its kind is known (nvidia-ctk writes
 * `kind` after `devices`). */
struct cdi_names {
    char *kind;
    char *names[CDI_DEVICES_MAX];
    size_t n;
};

static void names_add(struct cdi_names *nm, const char *s, size_t n)
{
    if (nm->n < CDI_DEVICES_MAX && name_ok(s, n))
        nm->names[nm->n++] = xstrndup(s, n);
}

static void names_flush(struct cdi_names *nm, struct facts_containers *c)
{
    if (nm->kind && kind_ok(nm->kind, strlen(nm->kind))) {
        for (size_t i = 0; i < nm->n && c->n_cdi_devices < CDI_DEVICES_MAX; i++) {
            struct strbuf full = STRBUF_INIT;
            strbuf_addf(&full, "%s=%s", nm->kind, nm->names[i]);
            bool seen = false;
            for (size_t j = 0; j < c->n_cdi_devices && !seen; j++)
                seen = !strcmp(c->cdi_devices[j], full.buf);
            if (!seen)
                facts_add_cdi_device(c, full.buf);
            strbuf_release(&full);
        }
    }
    for (size_t i = 0; i < nm->n; i++)
        free(nm->names[i]);
    free(nm->kind);
    memset(nm, 0, sizeof(*nm));
}

static void spec_from_json(const char *text, size_t len, struct cdi_names *nm)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
    const cJSON *devices = cJSON_GetObjectItemCaseSensitive(root, "devices");
    if (cJSON_IsString(kind) && kind->valuestring)
        nm->kind = xstrdup(kind->valuestring);
    const cJSON *d;
    if (cJSON_IsArray(devices)) {
        cJSON_ArrayForEach(d, devices)
        {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(d, "name");
            if (cJSON_IsString(name) && name->valuestring)
                names_add(nm, name->valuestring, strlen(name->valuestring));
        }
    }
    cJSON_Delete(root);
}

/* One YAML line split: its indentation, whether it is a sequence item
 * ("- "), and the "key: value" after that, with the value unquoted. */
struct yaml_line {
    size_t indent;
    bool item;
    size_t key_col; /* where the key starts */
    const char *key, *value;
    size_t key_len, value_len;
};

static bool key_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-';
}

static bool yaml_split(const char *s, size_t n, struct yaml_line *y)
{
    memset(y, 0, sizeof(*y));
    size_t i = 0;
    while (i < n && s[i] == ' ')
        i++;
    y->indent = i;
    if (i < n && s[i] == '-' && (i + 1 == n || s[i + 1] == ' ')) {
        y->item = true;
        for (i++; i < n && s[i] == ' ';)
            i++;
    }
    y->key_col = i;
    size_t k = i;
    while (i < n && key_char(s[i]))
        i++;
    if (i == k || i >= n || s[i] != ':' || (i + 1 < n && s[i + 1] != ' '))
        return y->item; /* an item that is not a mapping, or no key */
    y->key = s + k;
    y->key_len = i - k;
    for (i++; i < n && s[i] == ' ';)
        i++;
    const char *v = s + i;
    size_t vn = n - i;
    if (vn && (v[0] == '"' || v[0] == '\'')) {
        const char *close = memchr(v + 1, v[0], vn - 1);
        vn = close ? (size_t)(close - v - 1) : 0;
        v++;
    } else {
        for (size_t j = 0; j < vn; j++) {
            if (v[j] == '#' && (j == 0 || v[j - 1] == ' ')) {
                vn = j;
                break;
            }
        }
        while (vn && v[vn - 1] == ' ')
            vn--;
    }
    y->value = v;
    y->value_len = vn;
    return true;
}

static bool key_is(const struct yaml_line *y, const char *key)
{
    return y->key && y->key_len == strlen(key) && !memcmp(y->key, key, y->key_len);
}

static void spec_from_yaml(const char *text, size_t len, struct cdi_names *nm)
{
    bool in_devices = false;
    long item_indent = -1, name_col = -1;
    const char *end = text + len;
    for (const char *p = text; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *line = p;
        p = nl ? nl + 1 : end;
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
            n--;
        struct yaml_line y;
        if (!n || line[0] == '#' || !yaml_split(line, n, &y))
            continue;
        if (y.indent == 0 && !y.item) {
            in_devices = key_is(&y, "devices");
            item_indent = name_col = -1;
            if (key_is(&y, "kind")) {
                free(nm->kind);
                nm->kind = xstrndup(y.value, y.value_len);
            }
            continue;
        }
        if (!in_devices)
            continue;
        if (y.item && (item_indent < 0 || (long)y.indent == item_indent)) {
            item_indent = (long)y.indent;
            name_col = (long)y.key_col;
        }
        if ((long)y.key_col == name_col && key_is(&y, "name"))
            names_add(nm, y.value, y.value_len);
    }
}

void cdi_spec_devices(const char *text, size_t len, struct facts_containers *c)
{
    struct cdi_names nm = {0};
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (i < len && text[i] == '{')
        spec_from_json(text, len, &nm);
    else
        spec_from_yaml(text, len, &nm);
    names_flush(&nm, c);
}

/* podman's CDI cache reads these three extensions and nothing else. */
static bool spec_file_name(const char *name)
{
    static const char *const exts[] = {".yaml", ".yml", ".json"};
    size_t n = strlen(name);
    for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
        size_t e = strlen(exts[i]);
        if (n > e && !strcmp(name + n - e, exts[i]))
            return true;
    }
    return false;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One directory: false when it exists but cannot be listed. */
static bool scan_dir(const char *dir, struct facts_containers *c)
{
    struct strbuf full = STRBUF_INIT;
    sysroot_path(&full, dir);
    DIR *d = opendir(full.buf);
    strbuf_release(&full);
    if (!d)
        return errno == ENOENT || errno == ENOTDIR;
    char *files[CDI_FILES_MAX];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < CDI_FILES_MAX)
        if (e->d_name[0] != '.' && spec_file_name(e->d_name))
            files[n++] = xstrdup(e->d_name);
    closedir(d);
    /* Directory order is the file system's: sorted, the facts are stable. */
    qsort(files, n, sizeof(*files), cmp_str);
    struct strbuf path = STRBUF_INIT, text = STRBUF_INIT, real = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        strbuf_reset(&path);
        strbuf_addf(&path, "%s/%s", dir, files[i]);
        sysroot_path(&real, path.buf);
        struct stat st;
        struct hb_error err = HB_ERROR_INIT;
        if (stat(real.buf, &st) == 0 && S_ISREG(st.st_mode) &&
            sysroot_read(path.buf, CDI_SPEC_MAX, &text, &err) == 0)
            cdi_spec_devices(text.buf, text.len, c);
        hb_error_release(&err);
        free(files[i]);
    }
    strbuf_release(&path);
    strbuf_release(&text);
    strbuf_release(&real);
    return true;
}

void probe_cdi(struct facts_containers *c)
{
    c->cdi_devices_known = true;
    for (size_t i = 0; i < ARRAY_SIZE(cdi_dirs); i++) {
        if (scan_dir(cdi_dirs[i], c))
            continue;
        /* A directory that is there but unreadable may hold the device:
         * unknown, rather than a wrong "none". */
        facts_clear_cdi_devices(c);
        return;
    }
}
