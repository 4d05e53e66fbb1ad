/* A recipe's JSON checked field by field (recipes/README.md is the schema):
 * every error names the file and the field. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "doctor.h"
#include "recipes.h"
#include "util/fs.h"

static bool vars_has(const struct recipe_vars *vars, const char *name)
{
    for (size_t i = 0; i < vars->n; i++)
        if (!strcmp(vars->v[i].name, name))
            return true;
    return false;
}

static void vars_add(struct recipe_vars *vars, const char *name, const char *value)
{
    vars->v = xrealloc(vars->v, (vars->n + 1) * sizeof(*vars->v));
    vars->v[vars->n].name = xstrdup(name);
    vars->v[vars->n].value = xstrdup(value);
    vars->n++;
}

struct ctx {
    const char *origin;
    const char *root;
    struct hb_error *err;
};

static int field_error(const struct ctx *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int field_error(const struct ctx *c, const char *field, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    hb_error_set(c->err, EXIT_INPUT, "%s: %s: %s", c->origin, field, sb.buf);
    strbuf_release(&sb);
    return -1;
}

static const char *json_type_name(const cJSON *v)
{
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "an invalid value";
}

/* Every key of obj must be one of allowed; keys may not repeat. */
static int check_keys(const struct ctx *c, const cJSON *obj, const char *prefix,
                      const char *const *allowed, size_t n_allowed)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        size_t i = 0;
        while (i < n_allowed && strcmp(it->string, allowed[i]))
            i++;
        struct strbuf field = STRBUF_INIT;
        strbuf_addf(&field, "%s%s", prefix, it->string);
        int ret = 0;
        if (i == n_allowed)
            ret = field_error(c, field.buf, "unknown key");
        for (const cJSON *o = obj->child; ret == 0 && o != it; o = o->next)
            if (!strcmp(o->string, it->string))
                ret = field_error(c, field.buf, "appears twice");
        strbuf_release(&field);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static const cJSON *member(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static bool no_space(const char *s)
{
    for (; *s; s++)
        if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
            return false;
    return true;
}

/* A string member; required ones must be present and non-empty. */
static int get_string(const struct ctx *c, const cJSON *obj, const char *key, const char *field,
                      bool required, char **out)
{
    const cJSON *v = member(obj, key);
    if (!v || (cJSON_IsNull(v) && !required)) {
        if (required)
            return field_error(c, field, "missing");
        return 0;
    }
    if (!cJSON_IsString(v) || !v->valuestring)
        return field_error(c, field, "expected a string, not %s", json_type_name(v));
    if (!*v->valuestring)
        return field_error(c, field, "must not be empty");
    free(*out);
    *out = xstrdup(v->valuestring);
    return 0;
}

typedef bool (*item_check)(const char *s);

/* An array of strings, each passing check (when given); `what` says what a
 * valid item is. */
static int get_string_array(const struct ctx *c, const cJSON *obj, const char *key,
                            const char *field, bool required, item_check check, const char *what,
                            struct str_list *out)
{
    const cJSON *v = member(obj, key);
    if (!v) {
        if (required)
            return field_error(c, field, "missing");
        return 0;
    }
    if (!cJSON_IsArray(v))
        return field_error(c, field, "expected an array of strings, not %s", json_type_name(v));
    size_t i = 0;
    for (const cJSON *it = v->child; it; it = it->next, i++) {
        struct strbuf f = STRBUF_INIT;
        strbuf_addf(&f, "%s[%zu]", field, i);
        int ret = 0;
        if (!cJSON_IsString(it) || !it->valuestring)
            ret = field_error(c, f.buf, "expected a string, not %s", json_type_name(it));
        else if (!*it->valuestring || (check && !check(it->valuestring)))
            ret = field_error(c, f.buf, "'%s' is not %s", it->valuestring, what);
        else if (str_list_has(out, it->valuestring))
            ret = field_error(c, f.buf, "'%s' appears twice", it->valuestring);
        strbuf_release(&f);
        if (ret < 0)
            return ret;
        str_list_add(out, it->valuestring);
    }
    return 0;
}

static bool env_name_ok(const char *s)
{
    if (!(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

static int get_vars(const struct ctx *c, const cJSON *obj, const char *key, bool required,
                    struct recipe_vars *out)
{
    const cJSON *v = member(obj, key);
    if (!v) {
        if (required)
            return field_error(c, key, "missing");
        return 0;
    }
    if (!cJSON_IsObject(v))
        return field_error(c, key, "expected an object of strings, not %s", json_type_name(v));
    for (const cJSON *it = v->child; it; it = it->next) {
        struct strbuf f = STRBUF_INIT;
        strbuf_addf(&f, "%s.%s", key, it->string);
        int ret = 0;
        if (!env_name_ok(it->string))
            ret = field_error(c, f.buf, "not a valid variable name");
        else if (!cJSON_IsString(it) || !it->valuestring)
            ret = field_error(c, f.buf, "expected a string, not %s", json_type_name(it));
        else if (strchr(it->valuestring, '\n'))
            ret = field_error(c, f.buf, "must be one line");
        if (ret == 0 && vars_has(out, it->string))
            ret = field_error(c, f.buf, "appears twice");
        strbuf_release(&f);
        if (ret < 0)
            return ret;
        vars_add(out, it->string, it->valuestring);
    }
    return 0;
}

/* Recipe names are image names: lower case, digits and dashes. */
static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
            return false;
    return s[n - 1] != '-';
}

/* An image tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
static bool tag_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 || s[0] == '.' || s[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
            return false;
    return true;
}

static bool image_ref_ok(const char *s)
{
    return *s && no_space(s) && s[0] != '-';
}

/* A relative path inside the root: no leading '/', no '..' component. */
static bool rel_path_ok(const char *s)
{
    if (!*s || s[0] == '/' || !no_space(s))
        return false;
    for (const char *p = s; *p;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 2 && !strncmp(p, "..", 2))
            return false;
        p += n + (slash ? 1 : 0);
    }
    return true;
}

static bool file_name_ok(const char *s)
{
    return *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..") && no_space(s);
}

/* Debian: name=version, both non-empty. */
static bool pinned_package_ok(const char *s)
{
    const char *eq = strchr(s, '=');
    if (!eq || eq == s || !eq[1] || !no_space(s))
        return false;
    for (const char *p = s; p < eq; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || strchr("+-.", *p)))
            return false;
    return true;
}

static bool package_ok(const char *s)
{
    if (!no_space(s) || s[0] == '-')
        return false;
    return true;
}

static bool cmake_flag_ok(const char *s)
{
    if (strncmp(s, "-D", 2) || !no_space(s))
        return false;
    const char *eq = strchr(s, '=');
    if (!eq || eq == s + 2)
        return false;
    for (const char *p = s + 2; p < eq; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_' || *p == ':'))
            return false;
    return true;
}

static bool abs_glob_ok(const char *s)
{
    return s[0] == '/' && no_space(s);
}

static bool device_ok(const char *s)
{
    return str_starts_with(s, "/dev/") && s[5] && no_space(s) && !strstr(s, "..");
}

static bool vendor_ok(const char *s)
{
    return !strcmp(s, "amd") || !strcmp(s, "nvidia") || !strcmp(s, "intel");
}

static bool gfx_ok(const char *s)
{
    if (strncmp(s, "gfx", 3) || !s[3])
        return false;
    for (const char *p = s + 3; *p; p++)
        if (!(isdigit((unsigned char)*p) || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

static bool vulkan_driver_ok(const char *s)
{
    static const char *const known[] = {"radv",  "amdvlk",   "amdgpu-pro", "nvidia",
                                        "intel", "llvmpipe", "other"};
    for (size_t i = 0; i < ARRAY_SIZE(known); i++)
        if (!strcmp(s, known[i]))
            return true;
    return false;
}

static bool snapshot_ok(const char *s)
{
    /* 20261030T120000Z */
    if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return false;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool url_ok(const char *s)
{
    return (str_starts_with(s, "http://") || str_starts_with(s, "https://") ||
            str_starts_with(s, "file:/")) &&
           no_space(s);
}

static bool file_exists(const char *root, const char *rel)
{
    struct strbuf p = STRBUF_INIT;
    strbuf_addf(&p, "%s/%s", root, rel);
    struct stat st;
    bool ok = stat(p.buf, &st) == 0 && S_ISREG(st.st_mode);
    strbuf_release(&p);
    return ok;
}

/* The names in patches/series, comments and blank lines skipped. */
static int read_series(const struct ctx *c, struct str_list *out)
{
    struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
    strbuf_addf(&path, "%s/patches/series", c->root);
    int ret = 0;
    if (read_small_file(path.buf, RECIPE_FILE_MAX, &text) < 0)
        ret = field_error(c, "patches", "cannot read '%s': %s", path.buf, strerror(errno));
    for (char *line = text.buf; ret == 0 && *line;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        while (n && isspace((unsigned char)line[n - 1]))
            n--;
        if (n && line[0] != '#') {
            char *name = xstrndup(line, n);
            str_list_add(out, name);
            free(name);
        }
        line += (nl ? (size_t)(nl - line) + 1 : strlen(line));
    }
    strbuf_release(&path);
    strbuf_release(&text);
    return ret;
}

static const char *backend_flag(const char *backend)
{
    if (!strcmp(backend, "vulkan"))
        return "-DGGML_VULKAN=ON";
    if (!strcmp(backend, "rocm"))
        return "-DGGML_HIP=ON";
    return NULL;
}

/* Build arguments the Containerfiles take from halobox itself. */
static bool build_arg_reserved(const char *name)
{
    static const char *const reserved[] = {"BASE_IMAGE",     "BUILD_IMAGE",    "DEBIAN_MIRROR",
                                           "DEBIAN_SUITE",   "PACKAGES",       "DPKG_EXCLUDE",
                                           "BUILD_PACKAGES", "CMAKE_FLAGS",    "PATCHES",
                                           "HALOBOX_RECIPE", "HALOBOX_BACKEND"};
    for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
        if (!strcmp(name, reserved[i]))
            return true;
    return false;
}

static int parse_base(const struct ctx *c, const cJSON *root, struct recipe *r)
{
    const cJSON *base = member(root, "base");
    if (!base)
        return field_error(c, "base", "missing");
    if (!cJSON_IsObject(base))
        return field_error(c, "base", "expected an object, not %s", json_type_name(base));
    static const char *const keys[] = {"image", "local", "build"};
    if (check_keys(c, base, "base.", keys, ARRAY_SIZE(keys)) < 0 ||
        get_string(c, base, "image", "base.image", true, &r->base_image) < 0 ||
        get_string(c, base, "local", "base.local", false, &r->base_local) < 0 ||
        get_string(c, base, "build", "base.build", false, &r->base_build) < 0)
        return -1;
    if (!image_ref_ok(r->base_image))
        return field_error(c, "base.image", "'%s' is not an image reference", r->base_image);
    if (r->base_local && !image_ref_ok(r->base_local))
        return field_error(c, "base.local", "'%s' is not an image reference", r->base_local);
    if (r->base_build && !image_ref_ok(r->base_build))
        return field_error(c, "base.build", "'%s' is not an image reference", r->base_build);
    return 0;
}

static int parse_engine(const struct ctx *c, const cJSON *root, struct recipe *r)
{
    const cJSON *engine = member(root, "engine");
    if (!engine)
        return field_error(c, "engine", "missing");
    if (!cJSON_IsObject(engine))
        return field_error(c, "engine", "expected an object, not %s", json_type_name(engine));
    static const char *const keys[] = {"source", "version", "pin"};
    char *source = NULL;
    if (check_keys(c, engine, "engine.", keys, ARRAY_SIZE(keys)) < 0 ||
        get_string(c, engine, "source", "engine.source", true, &source) < 0)
        return -1;
    bool distro = !strcmp(source, "distro");
    r->upstream = !strcmp(source, "upstream");
    if (!distro && !r->upstream) {
        field_error(c, "engine.source", "'%s' is not distro or upstream", source);
        free(source);
        return -1;
    }
    free(source);
    if (get_string(c, engine, "version", "engine.version", true, &r->engine_version) < 0)
        return -1;
    if (!tag_ok(r->engine_version))
        return field_error(c, "engine.version",
                           "'%s' cannot be an image tag (letters, digits, '_', '.', '-')",
                           r->engine_version);
    if (!r->upstream) {
        if (member(engine, "pin"))
            return field_error(c, "engine.pin", "only for engine.source upstream");
        return 0;
    }
    if (get_string(c, engine, "pin", "engine.pin", true, &r->engine_pin_path) < 0)
        return -1;
    if (!rel_path_ok(r->engine_pin_path))
        return field_error(c, "engine.pin", "'%s' is not a relative path", r->engine_pin_path);
    struct strbuf path = STRBUF_INIT;
    strbuf_addf(&path, "%s/%s", c->root, r->engine_pin_path);
    struct hb_error pin_err = HB_ERROR_INIT;
    int ret = 0;
    if (engine_pin_load(path.buf, &r->pin, &pin_err) < 0)
        ret = field_error(c, "engine.pin", "%s", pin_err.msg);
    else if (strcmp(r->pin.version, r->engine_version))
        ret = field_error(c, "engine.version", "'%s' differs from VERSION=%s in %s",
                          r->engine_version, r->pin.version, r->engine_pin_path);
    hb_error_release(&pin_err);
    strbuf_release(&path);
    return ret;
}

static int parse_distro(const struct ctx *c, const cJSON *root, struct recipe *r)
{
    const cJSON *d = member(root, "distro");
    if (r->upstream) {
        if (d)
            return field_error(c, "distro", "only for engine.source distro");
        return 0;
    }
    if (!d)
        return field_error(c, "distro", "missing (engine.source is distro)");
    if (!cJSON_IsObject(d))
        return field_error(c, "distro", "expected an object, not %s", json_type_name(d));
    static const char *const keys[] = {"suite", "snapshot", "mirror"};
    if (check_keys(c, d, "distro.", keys, ARRAY_SIZE(keys)) < 0 ||
        get_string(c, d, "suite", "distro.suite", true, &r->distro_suite) < 0 ||
        get_string(c, d, "snapshot", "distro.snapshot", true, &r->distro_snapshot) < 0 ||
        get_string(c, d, "mirror", "distro.mirror", true, &r->distro_mirror) < 0)
        return -1;
    if (!file_name_ok(r->distro_suite))
        return field_error(c, "distro.suite", "'%s' is not a suite name", r->distro_suite);
    if (!snapshot_ok(r->distro_snapshot))
        return field_error(c, "distro.snapshot", "'%s' is not a time like 20261030T120000Z",
                           r->distro_snapshot);
    if (!url_ok(r->distro_mirror))
        return field_error(c, "distro.mirror", "'%s' is not an http(s) URL", r->distro_mirror);
    if (!strstr(r->distro_mirror, r->distro_snapshot))
        return field_error(c, "distro.mirror", "'%s' does not name the snapshot %s",
                           r->distro_mirror, r->distro_snapshot);
    return 0;
}

static int parse_patches(const struct ctx *c, const cJSON *root, struct recipe *r)
{
    if (get_string_array(c, root, "patches", "patches", true, file_name_ok, "a file name",
                         &r->patches) < 0)
        return -1;
    if (!r->patches.n)
        return 0;
    if (!r->upstream)
        return field_error(c, "patches", "only recipes built from upstream source take patches");
    struct str_list series = {0};
    int ret = read_series(c, &series);
    for (size_t i = 0; ret == 0 && i < r->patches.n; i++) {
        struct strbuf rel = STRBUF_INIT, f = STRBUF_INIT;
        strbuf_addf(&rel, "patches/%s", r->patches.v[i]);
        strbuf_addf(&f, "patches[%zu]", i);
        if (!file_exists(c->root, rel.buf))
            ret = field_error(c, f.buf, "'%s' does not exist", rel.buf);
        else if (!str_list_has(&series, r->patches.v[i]))
            ret = field_error(c, f.buf, "'%s' is not listed in patches/series", r->patches.v[i]);
        strbuf_release(&rel);
        strbuf_release(&f);
    }
    str_list_release(&series);
    return ret;
}

static int parse_build(const struct ctx *c, const cJSON *root, struct recipe *r)
{
    item_check pkg = r->upstream ? package_ok : pinned_package_ok;
    const char *what = r->upstream ? "a package name" : "a pinned package (name=version)";
    if (get_string_array(c, root, "packages", "packages", true, pkg, what, &r->packages) < 0)
        return -1;
    if (!r->packages.n)
        return field_error(c, "packages", "must not be empty");
    if (r->upstream) {
        if (get_string_array(c, root, "build_packages", "build_packages", true, package_ok,
                             "a package name", &r->build_packages) < 0)
            return -1;
        if (!r->build_packages.n)
            return field_error(c, "build_packages", "must not be empty");
        if (get_string_array(c, root, "cmake_flags", "cmake_flags", true, cmake_flag_ok,
                             "a flag like -DNAME=VALUE without spaces", &r->cmake_flags) < 0)
            return -1;
        const char *flag = backend_flag(r->backend);
        if (flag && !str_list_has(&r->cmake_flags, flag))
            return field_error(c, "cmake_flags", "the %s backend needs %s", r->backend, flag);
        if (!str_list_has(&r->cmake_flags, "-DGGML_RPC=ON"))
            return field_error(c, "cmake_flags",
                               "-DGGML_RPC=ON is missing (every image has ggml-rpc-server)");
        if (!r->base_build)
            return field_error(c, "base.build", "missing (engine.source is upstream)");
    } else {
        if (member(root, "build_packages"))
            return field_error(c, "build_packages", "only for engine.source upstream");
        const cJSON *flags = member(root, "cmake_flags");
        if (flags && (!cJSON_IsArray(flags) || cJSON_GetArraySize(flags) > 0))
            return field_error(c, "cmake_flags", "only for engine.source upstream");
        if (r->base_build)
            return field_error(c, "base.build", "only for engine.source upstream");
    }
    if (get_string_array(c, root, "dpkg_exclude", "dpkg_exclude", false, abs_glob_ok,
                         "an absolute path or glob without spaces", &r->dpkg_exclude) < 0)
        return -1;
    if (get_vars(c, root, "build_args", false, &r->build_args) < 0)
        return -1;
    for (size_t i = 0; i < r->build_args.n; i++)
        if (build_arg_reserved(r->build_args.v[i].name)) {
            struct strbuf f = STRBUF_INIT;
            strbuf_addf(&f, "build_args.%s", r->build_args.v[i].name);
            int ret = field_error(c, f.buf, "set by halobox itself from the recipe");
            strbuf_release(&f);
            return ret;
        }
    return 0;
}

/* suits.min_kernel: null, one version for every host, or an object of
 * per-target versions ({"gfx1151": "6.18.4"}). */
static int parse_min_kernel(const struct ctx *c, const cJSON *s, struct recipe_suits *su)
{
    const cJSON *mk = member(s, "min_kernel");
    if (!mk)
        return field_error(c, "suits.min_kernel", "missing (null for any kernel)");
    if (cJSON_IsNull(mk))
        return 0;
    uint64_t v;
    if (!cJSON_IsObject(mk)) {
        if (get_string(c, s, "min_kernel", "suits.min_kernel", true, &su->min_kernel) < 0)
            return -1;
        if (!kernel_version_parse(su->min_kernel, &v))
            return field_error(c, "suits.min_kernel", "'%s' is not a kernel version like 6.18.4",
                               su->min_kernel);
        return 0;
    }
    if (!mk->child)
        return field_error(c, "suits.min_kernel", "an empty object: use null for any kernel");
    for (const cJSON *it = mk->child; it; it = it->next) {
        struct strbuf f = STRBUF_INIT;
        strbuf_addf(&f, "suits.min_kernel.%s", it->string);
        int ret = 0;
        if (!gfx_ok(it->string))
            ret = field_error(c, f.buf, "not a gfx target like gfx1151");
        else if (su->gfx.n && !str_list_has(&su->gfx, it->string))
            ret = field_error(c, f.buf, "not one of suits.gfx");
        else if (!cJSON_IsString(it) || !it->valuestring)
            ret = field_error(c, f.buf, "expected a string, not %s", json_type_name(it));
        else if (!kernel_version_parse(it->valuestring, &v))
            ret =
                field_error(c, f.buf, "'%s' is not a kernel version like 6.18.4", it->valuestring);
        if (ret == 0 && vars_has(&su->min_kernel_gfx, it->string))
            ret = field_error(c, f.buf, "appears twice");
        strbuf_release(&f);
        if (ret < 0)
            return ret;
        vars_add(&su->min_kernel_gfx, it->string, it->valuestring);
    }
    return 0;
}

static int parse_suits(const struct ctx *c, const cJSON *root, struct recipe *r)
{
    const cJSON *s = member(root, "suits");
    if (!s)
        return field_error(c, "suits", "missing");
    if (!cJSON_IsObject(s))
        return field_error(c, "suits", "expected an object, not %s", json_type_name(s));
    static const char *const keys[] = {"vendors",        "gfx",       "gfx_exclude",
                                       "vulkan_drivers", "needs_kfd", "min_kernel"};
    struct recipe_suits *su = &r->suits;
    if (check_keys(c, s, "suits.", keys, ARRAY_SIZE(keys)) < 0 ||
        get_string_array(c, s, "vendors", "suits.vendors", true, vendor_ok,
                         "a vendor (amd, nvidia, intel)", &su->vendors) < 0 ||
        get_string_array(c, s, "gfx", "suits.gfx", true, gfx_ok, "a gfx target like gfx1151",
                         &su->gfx) < 0 ||
        get_string_array(c, s, "gfx_exclude", "suits.gfx_exclude", true, gfx_ok,
                         "a gfx target like gfx1151", &su->gfx_exclude) < 0 ||
        get_string_array(c, s, "vulkan_drivers", "suits.vulkan_drivers", true, vulkan_driver_ok,
                         "a Vulkan driver (radv, amdvlk, amdgpu-pro, nvidia, intel, llvmpipe, "
                         "other)",
                         &su->vulkan_drivers) < 0)
        return -1;
    for (size_t i = 0; i < su->gfx_exclude.n; i++)
        if (str_list_has(&su->gfx, su->gfx_exclude.v[i]))
            return field_error(c, "suits.gfx_exclude", "'%s' is also in suits.gfx",
                               su->gfx_exclude.v[i]);
    if ((su->gfx.n || su->gfx_exclude.n) && !str_list_has(&su->vendors, "amd"))
        return field_error(c, "suits.gfx", "gfx targets are AMD's: suits.vendors needs amd");
    const cJSON *kfd = member(s, "needs_kfd");
    if (!kfd)
        return field_error(c, "suits.needs_kfd", "missing");
    if (!cJSON_IsBool(kfd))
        return field_error(c, "suits.needs_kfd", "expected a boolean, not %s", json_type_name(kfd));
    su->needs_kfd = cJSON_IsTrue(kfd);
    return parse_min_kernel(c, s, su);
}

int recipe_from_json(struct recipe *r, const cJSON *json, const char *origin, const char *root,
                     struct hb_error *err)
{
    memset(r, 0, sizeof(*r));
    struct ctx c = {.origin = origin, .root = root, .err = err};
    r->root = xstrdup(root);
    r->path = xstrdup(origin);
    static const char *const keys[] = {
        "schema",     "name",    "description", "backend",        "base",         "containerfile",
        "engine",     "distro",  "packages",    "build_packages", "dpkg_exclude", "cmake_flags",
        "build_args", "patches", "env",         "devices",        "suits",        "priority",
    };
    int ret = -1;
    char *schema = NULL;
    if (!cJSON_IsObject(json)) {
        hb_error_set(err, EXIT_INPUT, "%s: expected a JSON object, not %s", origin,
                     json_type_name(json));
        goto out;
    }
    if (check_keys(&c, json, "", keys, ARRAY_SIZE(keys)) < 0 ||
        get_string(&c, json, "schema", "schema", true, &schema) < 0)
        goto out;
    if (strcmp(schema, RECIPE_SCHEMA)) {
        field_error(&c, "schema", "'%s' is not %s", schema, RECIPE_SCHEMA);
        goto out;
    }
    if (get_string(&c, json, "name", "name", true, &r->name) < 0)
        goto out;
    if (!name_ok(r->name)) {
        field_error(&c, "name", "'%s' is not a name (lower case, digits, '-')", r->name);
        goto out;
    }
    /* The file is the name: `halobox build NAME` finds recipes/NAME.json. */
    const char *base = strrchr(origin, '/');
    base = base ? base + 1 : origin;
    size_t blen = strlen(base);
    if (blen > 5 && !strcmp(base + blen - 5, ".json") &&
        (blen - 5 != strlen(r->name) || strncmp(base, r->name, blen - 5))) {
        field_error(&c, "name", "'%s' differs from the file name", r->name);
        goto out;
    }
    if (get_string(&c, json, "description", "description", true, &r->description) < 0 ||
        get_string(&c, json, "backend", "backend", true, &r->backend) < 0)
        goto out;
    if (strcmp(r->backend, "vulkan") && strcmp(r->backend, "rocm") && strcmp(r->backend, "cpu")) {
        field_error(&c, "backend", "'%s' is not vulkan, rocm or cpu", r->backend);
        goto out;
    }
    if (parse_base(&c, json, r) < 0 ||
        get_string(&c, json, "containerfile", "containerfile", true, &r->containerfile) < 0)
        goto out;
    if (!rel_path_ok(r->containerfile)) {
        field_error(&c, "containerfile", "'%s' is not a relative path", r->containerfile);
        goto out;
    }
    if (!file_exists(root, r->containerfile)) {
        field_error(&c, "containerfile", "'%s' does not exist", r->containerfile);
        goto out;
    }
    if (parse_engine(&c, json, r) < 0 || parse_distro(&c, json, r) < 0 ||
        parse_build(&c, json, r) < 0 || parse_patches(&c, json, r) < 0 ||
        get_vars(&c, json, "env", true, &r->env) < 0 ||
        get_string_array(&c, json, "devices", "devices", true, device_ok, "a /dev/ path",
                         &r->devices) < 0 ||
        parse_suits(&c, json, r) < 0)
        goto out;
    const cJSON *prio = member(json, "priority");
    if (!prio) {
        field_error(&c, "priority", "missing");
        goto out;
    }
    if (!cJSON_IsNumber(prio) || prio->valuedouble != (double)(int)prio->valuedouble ||
        prio->valuedouble < 0 || prio->valuedouble > 1000) {
        field_error(&c, "priority", "expected a whole number from 0 to 1000");
        goto out;
    }
    r->priority = (int)prio->valuedouble;
    ret = 0;
out:
    free(schema);
    return ret;
}
