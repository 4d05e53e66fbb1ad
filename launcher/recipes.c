/* Recipes: where they are, the engine pin, loading a recipe file (its
 * validation is recipe_parse.c), and the digest the image labels carry.
 * Selection by host facts is recipe_select.c, the podman build argv
 * recipe_build.c. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recipes.h"
#include "util/fs.h"
#include "util/sha256.h"

#ifndef HALOBOX_DATADIR
#define HALOBOX_DATADIR "/usr/local/share/halobox"
#endif

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

void recipes_names(const struct recipe_set *set, struct strbuf *out)
{
    for (size_t i = 0; i < set->n; i++)
        strbuf_addf(out, "%s%s", i ? ", " : "", set->v[i].name);
}

char *recipe_image_tag(const struct recipe *r)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "%s/%s:%s", RECIPE_IMAGE_REPO, r->name, r->engine_version);
    return strbuf_detach(&sb);
}
