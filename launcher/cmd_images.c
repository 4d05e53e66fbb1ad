/* halobox images [--json]: the engine images podman holds (those labelled
 * halobox.recipe), with their recipe, backend, engine version, size, when
 * they were built, and whether they are stale: built from a recipe whose
 * digest has changed since. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <time.h>

#include "cmd.h"
#include "cmd_images_common.h"
#include "recipes.h"
#include "util/json.h"
#include "util/run.h"

struct image_row {
    char *recipe;
    char *tag;
    char *id;
    char *backend;
    char *engine_version;
    char *sha256;
    double size;
    double created;
    int stale; /* 1 stale, 0 current, -1 unknown (no such recipe here) */
};

static int cmp_rows(const void *a, const void *b)
{
    const struct image_row *x = a, *y = b;
    int c = strcmp(x->recipe, y->recipe);
    if (c)
        return c;
    return x->created < y->created ? 1 : x->created > y->created ? -1 : 0;
}

static void created_text(char *buf, size_t size, double created)
{
    if (created <= 0) {
        snprintf(buf, size, "unknown");
        return;
    }
    time_t t = (time_t)created;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Reads `podman images --format json` into rows. */
static int list_images(const char *podman, struct image_row **rows, size_t *n, struct hb_error *err)
{
    const char *argv[] = {podman,     "images", "--filter", "label=halobox.recipe",
                          "--format", "json",   NULL};
    struct strbuf out = STRBUF_INIT;
    if (run_capture(argv, 60000, 64 * 1024 * 1024, &out, err) < 0) {
        strbuf_release(&out);
        hb_error_prefix(err, "cannot list images");
        return -1;
    }
    cJSON *json = cJSON_ParseWithLength(out.buf, out.len);
    strbuf_release(&out);
    if (!cJSON_IsArray(json)) {
        cJSON_Delete(json);
        return hb_error_set(err, EXIT_RUNTIME, "'podman images --format json' printed no list");
    }
    *rows = xcalloc((size_t)cJSON_GetArraySize(json) + 1, sizeof(**rows));
    *n = 0;
    const cJSON *img;
    cJSON_ArrayForEach(img, json)
    {
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(img, "Labels");
        const char *recipe = image_label(labels, "halobox.recipe");
        const cJSON *names = cJSON_GetObjectItemCaseSensitive(img, "Names");
        const char *tag = NULL;
        const cJSON *name;
        cJSON_ArrayForEach(name, names)
        {
            if (!cJSON_IsString(name))
                continue;
            if (!tag || str_starts_with(name->valuestring, RECIPE_IMAGE_REPO "/"))
                tag = name->valuestring;
            if (str_starts_with(tag, RECIPE_IMAGE_REPO "/"))
                break;
        }
        /* Untagged leftovers of rebuilt images are podman's to prune. */
        if (!recipe || !tag)
            continue;
        struct image_row *row = &(*rows)[(*n)++];
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(img, "Id");
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(img, "Size");
        const cJSON *created = cJSON_GetObjectItemCaseSensitive(img, "Created");
        row->recipe = xstrdup(recipe);
        row->tag = xstrdup(tag);
        row->id = xstrdup(cJSON_IsString(id) ? id->valuestring : "");
        row->backend = xstrdup_or_null(image_label(labels, "halobox.backend"));
        row->engine_version = xstrdup_or_null(image_label(labels, "halobox.engine.version"));
        row->sha256 = xstrdup_or_null(image_label(labels, "halobox.recipe.sha256"));
        row->size = cJSON_IsNumber(size) ? size->valuedouble : -1;
        row->created = cJSON_IsNumber(created) ? created->valuedouble : 0;
    }
    cJSON_Delete(json);
    if (*n)
        qsort(*rows, *n, sizeof(**rows), cmp_rows);
    return 0;
}

static void rows_release(struct image_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].recipe);
        free(rows[i].tag);
        free(rows[i].id);
        free(rows[i].backend);
        free(rows[i].engine_version);
        free(rows[i].sha256);
    }
    free(rows);
}

static int render_json(const struct image_row *rows, size_t n, struct hb_error *err)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        const struct image_row *r = &rows[i];
        cJSON *o = cJSON_CreateObject();
        char created[32];
        created_text(created, sizeof(created), r->created);
        cJSON_AddStringToObject(o, "recipe", r->recipe);
        cJSON_AddStringToObject(o, "tag", r->tag);
        cJSON_AddStringToObject(o, "id", r->id);
        json_add_str(o, "backend", r->backend);
        json_add_str(o, "engine_version", r->engine_version);
        if (r->size >= 0)
            cJSON_AddNumberToObject(o, "size_bytes", r->size);
        else
            cJSON_AddNullToObject(o, "size_bytes");
        if (r->created > 0)
            cJSON_AddStringToObject(o, "created", created);
        else
            cJSON_AddNullToObject(o, "created");
        json_add_str(o, "recipe_sha256", r->sha256);
        if (r->stale < 0)
            cJSON_AddNullToObject(o, "stale");
        else
            cJSON_AddBoolToObject(o, "stale", r->stale == 1);
        cJSON_AddItemToArray(arr, o);
    }
    int ret = write_json_stdout(arr, err);
    cJSON_Delete(arr);
    return ret;
}

static int render_text(const struct image_row *rows, size_t n, struct hb_error *err)
{
    struct strbuf sb = STRBUF_INIT;
    if (!n)
        strbuf_addstr(&sb, "no halobox images (build one with 'halobox build RECIPE')\n");
    else
        strbuf_addf(&sb, "%-16s %-7s %-10s %9s  %-20s %-8s %s\n", "RECIPE", "BACKEND", "ENGINE",
                    "SIZE", "CREATED", "STATUS", "TAG");
    for (size_t i = 0; i < n; i++) {
        const struct image_row *r = &rows[i];
        char created[32], size[32];
        created_text(created, sizeof(created), r->created);
        if (r->size >= 0)
            snprintf(size, sizeof(size), "%.0f MB", r->size / 1e6);
        else
            snprintf(size, sizeof(size), "?");
        strbuf_addf(&sb, "%-16s %-7s %-10s %9s  %-20s %-8s %s\n", r->recipe,
                    r->backend ? r->backend : "?", r->engine_version ? r->engine_version : "?",
                    size, created,
                    r->stale < 0    ? "unknown"
                    : r->stale == 1 ? "stale"
                                    : "current",
                    r->tag);
    }
    int ret = write_stdout(&sb, err);
    strbuf_release(&sb);
    return ret;
}

int cmd_images(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    if (argc > 1 && !strcmp(argv[1], "pull"))
        return cmd_images_pull(argc - 1, argv + 1);
    bool json = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        default:
            return getopt_rest(c, "images", command_find("images")->usage, argv);
        }
    }
    if (optind < argc)
        return usage_error("images", "unexpected argument '%s'", argv[optind]);

    struct hb_error err = HB_ERROR_INIT;
    const char *env = getenv("HALOBOX_PODMAN");
    char *podman = env && *env ? xstrdup(env) : find_in_path("podman");
    if (!podman) {
        hb_error_set(&err, EXIT_RUNTIME, "podman not found in PATH: install podman");
        int rc = report_error(&err);
        hb_error_release(&err);
        return rc;
    }
    struct image_row *rows = NULL;
    size_t n = 0;
    int rc = EXIT_OK;
    if (list_images(podman, &rows, &n, &err) < 0) {
        rc = report_error(&err);
        goto out;
    }
    /* Staleness needs the recipes; without them the images are still
     * listed, their state unknown. */
    struct strbuf dir = STRBUF_INIT;
    struct recipe_set set = {0};
    bool have_recipes = recipes_dir_find(&dir, &err) == 0 &&
                        recipes_load_dir(&set, dir.buf, &err) == 0 &&
                        recipes_digest_all(&set, &err) == 0;
    if (!have_recipes) {
        fprintf(stderr, "halobox: warning: %s; staleness unknown\n", err.msg);
        hb_error_release(&err);
    }
    for (size_t i = 0; i < n; i++) {
        const struct recipe *r = have_recipes ? recipes_find(&set, rows[i].recipe) : NULL;
        rows[i].stale = !r ? -1 : (rows[i].sha256 && !strcmp(rows[i].sha256, r->sha256)) ? 0 : 1;
    }
    recipes_release(&set);
    strbuf_release(&dir);
    if ((json ? render_json(rows, n, &err) : render_text(rows, n, &err)) < 0)
        rc = report_error(&err);
out:
    rows_release(rows, n);
    free(podman);
    hb_error_release(&err);
    return rc;
}
