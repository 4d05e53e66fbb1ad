/* Recipes: loading with strict validation, the digest the image labels
 * carry, selection by host facts, and the podman build argv. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor.h"
#include "gpu_ids.h"
#include "recipes.h"
#include "util/fs.h"
#include "util/sha256.h"

#ifndef HALOBOX_DATADIR
#define HALOBOX_DATADIR "/usr/local/share/halobox"
#endif

/* A recipe or a file it names is a few KiB; patches stay far below this. */
#define RECIPE_FILE_MAX (4 * 1024 * 1024)

/* ---- small containers ---------------------------------------------------- */

void str_list_add(struct str_list *l, const char *s)
{
    l->v = xgrow(l->v, l->n + 2, &l->alloc, sizeof(char *));
    l->v[l->n++] = xstrdup(s);
    l->v[l->n] = NULL;
}

void str_list_addf(struct str_list *l, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    l->v = xgrow(l->v, l->n + 2, &l->alloc, sizeof(char *));
    l->v[l->n++] = strbuf_detach(&sb);
    l->v[l->n] = NULL;
}

bool str_list_has(const struct str_list *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s))
            return true;
    return false;
}

void str_list_release(struct str_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static void vars_release(struct recipe_vars *vars)
{
    for (size_t i = 0; i < vars->n; i++) {
        free(vars->v[i].name);
        free(vars->v[i].value);
    }
    free(vars->v);
    memset(vars, 0, sizeof(*vars));
}

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

void engine_pin_release(struct engine_pin *pin)
{
    free(pin->repository);
    free(pin->tag);
    free(pin->commit);
    free(pin->version);
    free(pin->build_number);
    memset(pin, 0, sizeof(*pin));
}

void recipe_release(struct recipe *r)
{
    free(r->path);
    free(r->root);
    free(r->name);
    free(r->description);
    free(r->backend);
    free(r->base_image);
    free(r->base_local);
    free(r->base_build);
    free(r->containerfile);
    free(r->engine_version);
    free(r->engine_pin_path);
    engine_pin_release(&r->pin);
    free(r->distro_suite);
    free(r->distro_snapshot);
    free(r->distro_mirror);
    str_list_release(&r->packages);
    str_list_release(&r->build_packages);
    str_list_release(&r->dpkg_exclude);
    str_list_release(&r->cmake_flags);
    str_list_release(&r->patches);
    str_list_release(&r->devices);
    vars_release(&r->build_args);
    vars_release(&r->env);
    str_list_release(&r->suits.vendors);
    str_list_release(&r->suits.gfx);
    str_list_release(&r->suits.gfx_exclude);
    str_list_release(&r->suits.vulkan_drivers);
    free(r->suits.min_kernel);
    vars_release(&r->suits.min_kernel_gfx);
    memset(r, 0, sizeof(*r));
}

void recipes_release(struct recipe_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        recipe_release(&set->v[i]);
    free(set->v);
    free(set->dir);
    memset(set, 0, sizeof(*set));
}

/* ---- where the recipes are ----------------------------------------------- */

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A checkout holds recipes/ beside containers/: a stray recipes folder
 * elsewhere is not taken for one. */
static bool checkout_recipes(const char *top, struct strbuf *dir)
{
    struct strbuf probe = STRBUF_INIT;
    strbuf_addf(&probe, "%s/containers", top);
    bool ok = is_dir(probe.buf);
    strbuf_reset(&probe);
    strbuf_addf(&probe, "%s/recipes", top);
    ok = ok && is_dir(probe.buf);
    if (ok) {
        char *real = realpath(probe.buf, NULL);
        strbuf_reset(dir);
        strbuf_addstr(dir, real ? real : probe.buf);
        free(real);
    }
    strbuf_release(&probe);
    return ok;
}

int recipes_dir_find(struct strbuf *dir, struct hb_error *err)
{
    strbuf_reset(dir);
    const char *env = getenv("HALOBOX_RECIPES_DIR");
    if (env && *env) {
        if (!is_dir(env))
            return hb_error_set(err, EXIT_INPUT, "HALOBOX_RECIPES_DIR: '%s' is not a folder", env);
        strbuf_addstr(dir, env);
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        /* build/halobox -> ../recipes; build/asan/halobox -> ../../recipes */
        struct strbuf top = STRBUF_INIT;
        char *slash = strrchr(exe, '/');
        for (int up = 1; slash && up <= 2; up++) {
            *slash = '\0';
            slash = strrchr(exe, '/');
            if (!slash)
                break;
            strbuf_reset(&top);
            strbuf_add(&top, exe, (size_t)(slash - exe));
            if (top.len && checkout_recipes(top.buf, dir)) {
                strbuf_release(&top);
                return 0;
            }
        }
        strbuf_release(&top);
    }
    strbuf_addstr(dir, HALOBOX_DATADIR "/recipes");
    if (!is_dir(dir->buf))
        return hb_error_set(err, EXIT_INPUT,
                            "no recipes folder: '%s' is missing (install halobox, or set "
                            "HALOBOX_RECIPES_DIR)",
                            dir->buf);
    return 0;
}

/* ---- the engine pin ------------------------------------------------------ */

int engine_pin_load(const char *path, struct engine_pin *pin, struct hb_error *err)
{
    struct strbuf text = STRBUF_INIT;
    memset(pin, 0, sizeof(*pin));
    if (read_small_file(path, RECIPE_FILE_MAX, &text) < 0) {
        int e = errno;
        strbuf_release(&text);
        return hb_error_set(err, EXIT_INPUT, "%s: %s", path, strerror(e));
    }
    struct {
        const char *key;
        char **dst;
    } keys[] = {
        {"REPOSITORY", &pin->repository},
        {"TAG", &pin->tag},
        {"COMMIT", &pin->commit},
        {"VERSION", &pin->version},
        {"BUILD_NUMBER", &pin->build_number},
    };
    int ret = 0;
    unsigned lineno = 0;
    for (char *line = text.buf; *line && ret == 0;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        if (*line && *line != '#') {
            char *eq = strchr(line, '=');
            size_t i = 0;
            for (; eq && i < ARRAY_SIZE(keys); i++)
                if ((size_t)(eq - line) == strlen(keys[i].key) &&
                    !strncmp(line, keys[i].key, (size_t)(eq - line)))
                    break;
            if (!eq || i == ARRAY_SIZE(keys))
                ret = hb_error_set(err, EXIT_INPUT,
                                   "%s: line %u: expected one of REPOSITORY, "
                                   "TAG, COMMIT, VERSION, BUILD_NUMBER as KEY=value",
                                   path, lineno);
            else {
                free(*keys[i].dst);
                *keys[i].dst = xstrdup(eq + 1);
            }
        }
        line = nl ? nl + 1 : line + strlen(line);
    }
    strbuf_release(&text);
    for (size_t i = 0; ret == 0 && i < ARRAY_SIZE(keys); i++)
        if (!*keys[i].dst || !**keys[i].dst)
            ret = hb_error_set(err, EXIT_INPUT, "%s: %s is missing", path, keys[i].key);
    if (ret == 0) {
        size_t n = strlen(pin->commit);
        bool hex = n == 40;
        for (size_t i = 0; hex && i < n; i++)
            hex = isdigit((unsigned char)pin->commit[i]) ||
                  (pin->commit[i] >= 'a' && pin->commit[i] <= 'f');
        if (!hex)
            ret = hb_error_set(err, EXIT_INPUT, "%s: COMMIT: expected 40 lower-case hex digits",
                               path);
    }
    if (ret < 0)
        engine_pin_release(pin);
    return ret;
}

/* ---- validation ---------------------------------------------------------- */

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

/* ---- the digest ---------------------------------------------------------- */

/* What read_small_file would say of the file, without reading it. */
static int check_readable(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0 || access(path, R_OK) < 0)
        return -1;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return -1;
    }
    if (st.st_size > RECIPE_FILE_MAX) {
        errno = EFBIG;
        return -1;
    }
    return 0;
}

/* One input of the image: hashed, framed by its path and length, when `h`
 * is given; only checked to be readable when it is not (at load, where the
 * digest is not needed but a missing patch must already be an error). */
static int digest_file(struct sha256 *h, const char *root, const char *rel, bool required,
                       const char *origin, struct hb_error *err)
{
    struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
    strbuf_addf(&path, "%s/%s", root, rel);
    int ret = 0;
    int got = h ? read_small_file(path.buf, RECIPE_FILE_MAX, &text) : check_readable(path.buf);
    if (got < 0) {
        if (required || errno != ENOENT)
            ret = hb_error_set(err, EXIT_INPUT, "%s: cannot read '%s': %s", origin, path.buf,
                               strerror(errno));
    } else if (h) {
        struct strbuf head = STRBUF_INIT;
        strbuf_addf(&head, "%s\n%zu\n", rel, text.len);
        sha256_update(h, head.buf, head.len);
        sha256_update(h, text.buf, text.len);
        strbuf_release(&head);
    }
    strbuf_release(&path);
    strbuf_release(&text);
    return ret;
}

/* Everything the image is built from: the recipe, its Containerfile, the
 * self-test, and for source builds the pin, engine/build, the series and
 * the recipe's patches. */
static int for_each_input(struct sha256 *h, const struct recipe *r, struct hb_error *err)
{
    int ret = digest_file(h, r->root, r->containerfile, true, r->path, err);
    if (ret == 0)
        ret = digest_file(h, r->root, "containers/halobox-selftest", false, r->path, err);
    if (ret == 0 && r->upstream) {
        ret = digest_file(h, r->root, r->engine_pin_path, true, r->path, err);
        if (ret == 0)
            ret = digest_file(h, r->root, "engine/build", true, r->path, err);
        if (ret == 0 && r->patches.n)
            ret = digest_file(h, r->root, "patches/series", true, r->path, err);
        for (size_t i = 0; ret == 0 && i < r->patches.n; i++) {
            struct strbuf rel = STRBUF_INIT;
            strbuf_addf(&rel, "patches/%s", r->patches.v[i]);
            ret = digest_file(h, r->root, rel.buf, true, r->path, err);
            strbuf_release(&rel);
        }
    }
    return ret;
}

/* The digest is computed on first use, not at load: hashing means loading
 * libcrypto and reading every input, which run and serve never need. */
int recipe_digest(struct recipe *r, struct hb_error *err)
{
    if (r->sha256[0])
        return 0;
    struct strbuf text = STRBUF_INIT;
    if (read_small_file(r->path, RECIPE_FILE_MAX, &text) < 0) {
        int e = errno;
        strbuf_release(&text);
        return hb_error_set(err, EXIT_INPUT, "%s: %s", r->path, strerror(e));
    }
    struct sha256 *h = sha256_new();
    struct strbuf head = STRBUF_INIT;
    strbuf_addf(&head, "recipe\n%zu\n", text.len);
    sha256_update(h, head.buf, head.len);
    sha256_update(h, text.buf, text.len);
    strbuf_release(&head);
    strbuf_release(&text);
    int ret = for_each_input(h, r, err);
    char hex[65];
    sha256_finish(h, hex);
    if (ret == 0)
        memcpy(r->sha256, hex, sizeof(hex));
    return ret;
}

int recipes_digest_all(struct recipe_set *set, struct hb_error *err)
{
    for (size_t i = 0; i < set->n; i++)
        if (recipe_digest(&set->v[i], err) < 0)
            return -1;
    return 0;
}

/* The root is the folder that holds the recipes folder. */
static char *root_of(const char *path)
{
    char *copy = xstrdup(path);
    char *slash = strrchr(copy, '/');
    struct strbuf root = STRBUF_INIT;
    if (!slash)
        strbuf_addstr(&root, "..");
    else {
        *slash = '\0';
        strbuf_addf(&root, "%s/..", *copy ? copy : "/");
    }
    free(copy);
    char *real = realpath(root.buf, NULL);
    if (!real)
        return strbuf_detach(&root);
    strbuf_release(&root);
    return real;
}

int recipe_load(struct recipe *r, const char *path, struct hb_error *err)
{
    memset(r, 0, sizeof(*r));
    struct strbuf text = STRBUF_INIT;
    if (read_small_file(path, RECIPE_FILE_MAX, &text) < 0) {
        int e = errno;
        strbuf_release(&text);
        return hb_error_set(err, EXIT_INPUT, "%s: %s", path,
                            e == EFBIG ? "too large for a recipe" : strerror(e));
    }
    const char *end = NULL;
    /* len + 1: cJSON wants the terminating NUL inside the length to check that
     * nothing follows the document. */
    cJSON *json = cJSON_ParseWithLengthOpts(text.buf, text.len + 1, &end, true);
    int ret;
    if (!json) {
        size_t at = end && end >= text.buf ? (size_t)(end - text.buf) : 0;
        ret = hb_error_set(err, EXIT_INPUT, "%s: not valid JSON (near byte %zu)", path, at);
        r->path = xstrdup(path);
    } else {
        char *root = root_of(path);
        ret = recipe_from_json(r, json, path, root, err);
        free(root);
        cJSON_Delete(json);
    }
    if (ret == 0)
        ret = for_each_input(NULL, r, err);
    strbuf_release(&text);
    if (ret < 0)
        recipe_release(r);
    return ret;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int recipes_load_dir(struct recipe_set *set, const char *dir, struct hb_error *err)
{
    memset(set, 0, sizeof(*set));
    DIR *d = opendir(dir);
    if (!d)
        return hb_error_set(err, EXIT_INPUT, "%s: %s", dir, strerror(errno));
    struct str_list names = {0};
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n > 5 && !strcmp(de->d_name + n - 5, ".json") && de->d_name[0] != '.')
            str_list_add(&names, de->d_name);
    }
    closedir(d);
    if (names.n)
        qsort(names.v, names.n, sizeof(char *), cmp_str);
    set->dir = xstrdup(dir);
    int ret = 0;
    set->v = xcalloc(names.n ? names.n : 1, sizeof(*set->v));
    for (size_t i = 0; ret == 0 && i < names.n; i++) {
        struct strbuf path = STRBUF_INIT;
        strbuf_addf(&path, "%s/%s", dir, names.v[i]);
        ret = recipe_load(&set->v[set->n], path.buf, err);
        if (ret == 0)
            set->n++;
        strbuf_release(&path);
    }
    str_list_release(&names);
    if (ret == 0 && set->n == 0)
        ret = hb_error_set(err, EXIT_INPUT, "%s: no recipes (*.json) in this folder", dir);
    if (ret < 0)
        recipes_release(set);
    return ret;
}

const struct recipe *recipes_find(const struct recipe_set *set, const char *name)
{
    for (size_t i = 0; i < set->n; i++)
        if (!strcmp(set->v[i].name, name))
            return &set->v[i];
    return NULL;
}

char *recipe_image_tag(const struct recipe *r)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "%s/%s:%s", RECIPE_IMAGE_REPO, r->name, r->engine_version);
    return strbuf_detach(&sb);
}

/* ---- selection ----------------------------------------------------------- */

static const char *gpu_vendor(const struct facts_gpu *g)
{
    if (g->vendor_id.known) {
        if (g->vendor_id.v == PCI_VENDOR_AMD)
            return "amd";
        if (g->vendor_id.v == PCI_VENDOR_NVIDIA)
            return "nvidia";
        if (g->vendor_id.v == PCI_VENDOR_INTEL)
            return "intel";
        return "other";
    }
    if (gpu_family_is_apu(g->family) || str_eq(g->family, "amd-dgpu"))
        return "amd";
    if (str_eq(g->family, "nvidia") || str_eq(g->family, "intel"))
        return g->family;
    return NULL;
}

static void join(struct strbuf *sb, const struct str_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        strbuf_addf(sb, "%s%s", i ? ", " : "", l->v[i]);
}

/* Whether the host's kernel is `need` or newer; an unknown kernel is not.
 * `gfx` names the target the floor is for, when it is for one. */
static bool kernel_at_least(const struct facts *f, const char *need, const char *gfx,
                            struct strbuf *why)
{
    uint64_t have, floor = 0;
    kernel_version_parse(need, &floor);
    if (kernel_version_parse(f->kernel.release, &have) && have >= floor)
        return true;
    strbuf_addf(why, "needs kernel %s or newer%s%s, this one is %s", need, gfx ? " on " : "",
                gfx ? gfx : "", f->kernel.release ? f->kernel.release : "unknown");
    return false;
}

/* Whether one GPU meets the vendor, gfx and Vulkan needs; says why not. */
static bool gpu_suits(const struct recipe_suits *s, const struct facts *f,
                      const struct facts_gpu *g, struct strbuf *why)
{
    const char *vendor = gpu_vendor(g);
    const char *label = g->gfx ? g->gfx : g->family ? g->family : "GPU";
    if (!vendor || !str_list_has(&s->vendors, vendor)) {
        strbuf_addf(why, "the %s GPU's vendor is %s, not ", label, vendor ? vendor : "unknown");
        join(why, &s->vendors);
        return false;
    }
    if (g->gfx && str_list_has(&s->gfx_exclude, g->gfx)) {
        strbuf_addf(why, "has no code for %s", g->gfx);
        return false;
    }
    if (s->gfx.n && !(g->gfx && str_list_has(&s->gfx, g->gfx))) {
        strbuf_addf(why, "built for ");
        join(why, &s->gfx);
        strbuf_addf(why, ", not %s", g->gfx ? g->gfx : "this GPU (gfx target unknown)");
        return false;
    }
    for (size_t i = 0; g->gfx && i < s->min_kernel_gfx.n; i++)
        if (!strcmp(s->min_kernel_gfx.v[i].name, g->gfx) &&
            !kernel_at_least(f, s->min_kernel_gfx.v[i].value, g->gfx, why))
            return false;
    if (!s->vulkan_drivers.n)
        return true;
    /* RADV ships in the image: an AMD GPU needs only amdgpu in the kernel. */
    if (str_list_has(&s->vulkan_drivers, "radv") && !strcmp(vendor, "amd") &&
        (!g->driver || !strcmp(g->driver, "amdgpu")))
        return true;
    const char *seen = NULL;
    for (size_t i = 0; i < f->vulkan.n_devices; i++) {
        const struct facts_vulkan_device *d = &f->vulkan.devices[i];
        if (str_eq(d->type, "cpu") || str_eq(d->driver, "llvmpipe"))
            continue;
        if (g->vendor_id.known && d->vendor_id.known && d->vendor_id.v != g->vendor_id.v)
            continue;
        if (d->driver && str_list_has(&s->vulkan_drivers, d->driver))
            return true;
        seen = d->driver ? d->driver : "unknown";
    }
    if (seen)
        strbuf_addf(why, "the %s GPU's Vulkan driver is %s, not ", label, seen);
    else if (!strcmp(vendor, "amd"))
        strbuf_addf(why, "the %s GPU is driven by %s, not amdgpu, and has no Vulkan driver in ",
                    label, g->driver);
    else
        strbuf_addf(why, "the %s GPU has no Vulkan driver in ", label);
    join(why, &s->vulkan_drivers);
    return false;
}

bool recipe_suits(const struct recipe *r, const struct facts *f, struct strbuf *why)
{
    const struct recipe_suits *s = &r->suits;
    strbuf_addf(why, "%s: ", r->name);
    if (s->needs_kfd) {
        if (f->rocm.kfd_present != TRI_YES) {
            strbuf_addf(why, "needs /dev/kfd, which is %s",
                        f->rocm.kfd_present == TRI_NO ? "missing" : "unknown");
            return false;
        }
        if (f->rocm.kfd_access == TRI_NO) {
            strbuf_addstr(why, "needs /dev/kfd, which this user cannot open (render group)");
            return false;
        }
    }
    if (s->min_kernel && !kernel_at_least(f, s->min_kernel, NULL, why))
        return false;
    if (!s->vendors.n) {
        strbuf_addstr(why, "suits any host");
        return true;
    }
    if (!f->n_gpus) {
        strbuf_addstr(why, f->gpus_known ? "needs a GPU, and there is none"
                                         : "needs a GPU, and the GPUs are unknown");
        return false;
    }
    struct strbuf first_no = STRBUF_INIT;
    for (size_t i = 0; i < f->n_gpus; i++) {
        struct strbuf no = STRBUF_INIT;
        const struct facts_gpu *g = &f->gpus[i];
        if (gpu_suits(s, f, g, &no)) {
            const char *vendor = gpu_vendor(g);
            strbuf_addf(why, "suits the %s GPU%s%s", vendor, g->gfx ? " " : "",
                        g->gfx ? g->gfx : "");
            if (g->pci_slot)
                strbuf_addf(why, " at %s", g->pci_slot);
            strbuf_release(&no);
            strbuf_release(&first_no);
            return true;
        }
        if (!first_no.len)
            strbuf_addstr(&first_no, no.buf);
        strbuf_release(&no);
    }
    strbuf_addstr(why, first_no.buf);
    strbuf_release(&first_no);
    return false;
}

const struct recipe *recipes_select(const struct recipe_set *set, const struct facts *f,
                                    const char *backend, struct recipe_choice *choice)
{
    memset(choice, 0, sizeof(*choice));
    const struct recipe *best = NULL;
    for (size_t i = 0; i < set->n; i++) {
        const struct recipe *r = &set->v[i];
        if (backend && strcmp(r->backend, backend))
            continue;
        struct strbuf why = STRBUF_INIT;
        bool ok = recipe_suits(r, f, &why);
        strbuf_addf(&why, " (priority %d)", r->priority);
        str_list_add(&choice->reasons, why.buf);
        strbuf_release(&why);
        if (ok && (!best || r->priority > best->priority ||
                   (r->priority == best->priority && strcmp(r->name, best->name) < 0)))
            best = r;
    }
    if (best)
        str_list_addf(&choice->reasons, "chose %s: the highest priority that suits this host",
                      best->name);
    else
        str_list_addf(&choice->reasons, "no %s%srecipe suits this host", backend ? backend : "",
                      backend ? " " : "");
    choice->recipe = best;
    return best;
}

void recipe_choice_release(struct recipe_choice *c)
{
    str_list_release(&c->reasons);
    c->recipe = NULL;
}

const struct recipe *recipes_select_for(const struct recipe_set *set, const struct facts *f,
                                        bool long_prefill, struct recipe_choice *choice)
{
    if (!long_prefill)
        return recipes_select(set, f, NULL, choice);
    const struct recipe *r = recipes_select(set, f, "rocm", choice);
    if (r) {
        str_list_add(&choice->reasons, "long prefill: ROCm's matrix kernels win on long prompts");
        return r;
    }
    struct recipe_choice any;
    r = recipes_select(set, f, NULL, &any);
    for (size_t i = 0; i < any.reasons.n; i++)
        str_list_add(&choice->reasons, any.reasons.v[i]);
    recipe_choice_release(&any);
    choice->recipe = r;
    return r;
}

/* ---- podman build -------------------------------------------------------- */

static void add_words(struct strbuf *sb, const struct str_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        strbuf_addf(sb, "%s%s", i ? " " : "", l->v[i]);
}

static void build_arg(struct str_list *argv, const char *name, const char *value)
{
    str_list_add(argv, "--build-arg");
    str_list_addf(argv, "%s=%s", name, value);
}

static void label(struct str_list *argv, const char *name, const char *value)
{
    str_list_add(argv, "--label");
    str_list_addf(argv, "%s=%s", name, value);
}

void recipe_build_argv(const struct recipe *r, const struct recipe_build_options *o,
                       struct str_list *argv)
{
    char *tag = recipe_image_tag(r);
    struct strbuf sb = STRBUF_INIT;
    str_list_add(argv, o->podman ? o->podman : "podman");
    str_list_add(argv, "build");
    str_list_add(argv, "--file");
    str_list_addf(argv, "%s/%s", r->root, r->containerfile);
    str_list_add(argv, "--tag");
    str_list_add(argv, tag);
    build_arg(argv, "BASE_IMAGE", o->base ? o->base : r->base_image);
    if (r->base_build)
        build_arg(argv, "BUILD_IMAGE", r->base_build);
    build_arg(argv, "HALOBOX_RECIPE", r->name);
    build_arg(argv, "HALOBOX_BACKEND", r->backend);
    if (!r->upstream) {
        build_arg(argv, "DEBIAN_MIRROR", o->mirror ? o->mirror : r->distro_mirror);
        build_arg(argv, "DEBIAN_SUITE", r->distro_suite);
    } else {
        add_words(&sb, &r->build_packages);
        build_arg(argv, "BUILD_PACKAGES", sb.buf);
        strbuf_reset(&sb);
        add_words(&sb, &r->cmake_flags);
        build_arg(argv, "CMAKE_FLAGS", sb.buf);
        strbuf_reset(&sb);
        add_words(&sb, &r->patches);
        build_arg(argv, "PATCHES", sb.buf);
        strbuf_reset(&sb);
    }
    add_words(&sb, &r->packages);
    build_arg(argv, "PACKAGES", sb.buf);
    strbuf_reset(&sb);
    if (r->dpkg_exclude.n) {
        add_words(&sb, &r->dpkg_exclude);
        build_arg(argv, "DPKG_EXCLUDE", sb.buf);
        strbuf_reset(&sb);
    }
    for (size_t i = 0; i < r->build_args.n; i++)
        build_arg(argv, r->build_args.v[i].name, r->build_args.v[i].value);

    strbuf_addf(&sb, "halobox-%s", r->name);
    label(argv, "org.opencontainers.image.title", sb.buf);
    strbuf_reset(&sb);
    label(argv, "org.opencontainers.image.description", r->description);
    label(argv, "org.opencontainers.image.version", r->engine_version);
    if (o->created)
        label(argv, "org.opencontainers.image.created", o->created);
    label(argv, "org.opencontainers.image.vendor", "halobox");
    label(argv, "org.opencontainers.image.licenses", "MIT");
    label(argv, "org.opencontainers.image.base.name", o->base ? o->base : r->base_image);
    if (o->source)
        label(argv, "org.opencontainers.image.source", o->source);
    if (o->revision)
        label(argv, "org.opencontainers.image.revision", o->revision);
    label(argv, "halobox.recipe", r->name);
    label(argv, "halobox.recipe.sha256", r->sha256);
    label(argv, "halobox.backend", r->backend);
    label(argv, "halobox.engine.version", r->engine_version);
    label(argv, "halobox.engine.source", r->upstream ? "upstream" : "distro");
    if (r->upstream) {
        label(argv, "halobox.engine.commit", r->pin.commit);
        label(argv, "halobox.engine.repository", r->pin.repository);
    } else {
        label(argv, "halobox.distro.snapshot", r->distro_snapshot);
        label(argv, "halobox.distro.mirror", o->mirror ? o->mirror : r->distro_mirror);
    }
    str_list_add(argv, r->root);
    strbuf_release(&sb);
    free(tag);
}
