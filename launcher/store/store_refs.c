/* References: reading, writing, listing and removing them, and collecting
 * the blobs no reference uses. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "util/fs.h"
#include "util/strbuf.h"

#define REF_SCHEMA "halobox.ref/1"

void store_ref_release(struct store_ref *ref)
{
    free(ref->name);
    for (size_t i = 0; i < ref->n_files; i++)
        free(ref->files[i].name);
    free(ref->files);
    free(ref->source);
    free(ref->added);
    cJSON_Delete(ref->summary);
    memset(ref, 0, sizeof(*ref));
}

void store_refs_release(struct store_ref *refs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        store_ref_release(&refs[i]);
    free(refs);
}

/* A file name inside models/NAME/: no folder, no "..", nothing hidden. */
static bool file_name_valid(const char *s)
{
    return *s && *s != '.' && !strchr(s, '/') && strlen(s) <= 255;
}

static int ref_from_json(struct store_ref *ref, const cJSON *root, const char *path,
                         struct hb_error *err)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "files");
    if (!cJSON_IsString(name) || !store_name_valid(name->valuestring))
        return hb_error_set(err, EXIT_INPUT, "%s: name: expected a model name", path);
    if (!cJSON_IsArray(files) || cJSON_GetArraySize(files) < 1)
        return hb_error_set(err, EXIT_INPUT, "%s: files: expected a non-empty array", path);
    ref->name = xstrdup(name->valuestring);
    ref->n_files = (size_t)cJSON_GetArraySize(files);
    ref->files = xcalloc(ref->n_files, sizeof(*ref->files));
    size_t i = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, files)
    {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(f, "name");
        const cJSON *sha = cJSON_GetObjectItemCaseSensitive(f, "sha256");
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(f, "size");
        if (!cJSON_IsString(fn) || !file_name_valid(fn->valuestring) || !cJSON_IsString(sha) ||
            !sha256_hex_valid(sha->valuestring) || !cJSON_IsNumber(size) || size->valuedouble < 0)
            return hb_error_set(err, EXIT_INPUT, "%s: files[%zu]: expected name, sha256 and size",
                                path, i);
        ref->files[i].name = xstrdup(fn->valuestring);
        snprintf(ref->files[i].sha256, sizeof(ref->files[i].sha256), "%s", sha->valuestring);
        ref->files[i].size = (uint64_t)size->valuedouble;
        ref->total_size += ref->files[i].size;
        i++;
    }
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(root, "source");
    const cJSON *added = cJSON_GetObjectItemCaseSensitive(root, "added");
    const cJSON *summary = cJSON_GetObjectItemCaseSensitive(root, "summary");
    ref->source = cJSON_IsString(src) ? xstrdup(src->valuestring) : NULL;
    ref->added = cJSON_IsString(added) ? xstrdup(added->valuestring) : NULL;
    ref->summary = cJSON_IsObject(summary) ? cJSON_Duplicate(summary, true) : NULL;
    return 0;
}

int store_ref_load(const struct store *s, const char *name, struct store_ref *ref,
                   struct hb_error *err)
{
    memset(ref, 0, sizeof(*ref));
    if (!store_name_valid(name))
        return hb_error_set(err, EXIT_INPUT, "'%s' is not a valid model name", name);
    char *path = store_ref_path(s, name);
    struct strbuf text = STRBUF_INIT;
    int r;
    if (read_small_file(path, 16 * 1024 * 1024, &text) < 0) {
        r = errno == ENOENT
                ? hb_error_set(err, EXIT_INPUT, "no model named '%s' in %s", name, s->root)
                : hb_error_set(err, EXIT_INPUT, "%s: %s", path, strerror(errno));
    } else {
        cJSON *root = cJSON_ParseWithLength(text.buf, text.len);
        r = root ? ref_from_json(ref, root, path, err)
                 : hb_error_set(err, EXIT_INPUT, "%s: not valid JSON", path);
        cJSON_Delete(root);
        if (r < 0)
            store_ref_release(ref);
    }
    strbuf_release(&text);
    free(path);
    return r;
}

static int compare_refs(const void *a, const void *b)
{
    return strcmp(((const struct store_ref *)a)->name, ((const struct store_ref *)b)->name);
}

int store_list(const struct store *s, struct store_ref **refs, size_t *n, struct hb_error *err)
{
    *refs = NULL;
    *n = 0;
    struct strbuf dir = STRBUF_INIT;
    strbuf_addf(&dir, "%s/refs", s->root);
    DIR *d = opendir(dir.buf);
    if (!d) {
        int r = hb_error_set(err, EXIT_RUNTIME, "cannot read '%s': %s", dir.buf, strerror(errno));
        strbuf_release(&dir);
        return r;
    }
    size_t alloc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") || e->d_name[0] == '.')
            continue;
        char *name = xstrndup(e->d_name, len - 5);
        struct store_ref ref;
        struct hb_error one = HB_ERROR_INIT;
        if (store_ref_load(s, name, &ref, &one) == 0) {
            *refs = xgrow(*refs, *n + 1, &alloc, sizeof(**refs));
            (*refs)[(*n)++] = ref;
        } else {
            fprintf(stderr, "halobox: warning: skipping %s\n", one.msg);
        }
        hb_error_release(&one);
        free(name);
    }
    closedir(d);
    strbuf_release(&dir);
    if (*n)
        qsort(*refs, *n, sizeof(**refs), compare_refs);
    return 0;
}

/* Deletes the blobs that no reference names. Runs under the lock. */
static void collect_garbage(struct store *s)
{
    struct store_ref *refs;
    size_t n;
    struct hb_error err = HB_ERROR_INIT;
    if (store_list(s, &refs, &n, &err) < 0) {
        hb_error_release(&err);
        return;
    }
    struct strbuf dir = STRBUF_INIT;
    strbuf_addf(&dir, "%s/blobs/sha256", s->root);
    DIR *d = opendir(dir.buf);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!sha256_hex_valid(e->d_name))
            continue;
        bool used = false;
        for (size_t i = 0; i < n && !used; i++)
            for (size_t j = 0; j < refs[i].n_files && !used; j++)
                used = !strcmp(refs[i].files[j].sha256, e->d_name);
        if (!used) {
            char *p = store_blob_path(s, e->d_name);
            unlink(p);
            free(p);
        }
    }
    if (d)
        closedir(d);
    strbuf_release(&dir);
    store_refs_release(refs, n);
}

/* Empties and removes models/NAME/ (only links and plain files live there). */
static void remove_model_dir(const struct store *s, const char *name)
{
    char *dir = store_model_dir(s, name);
    DIR *d = opendir(dir);
    struct dirent *e;
    struct strbuf p = STRBUF_INIT;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        strbuf_reset(&p);
        strbuf_addf(&p, "%s/%s", dir, e->d_name);
        unlink(p.buf);
    }
    if (d)
        closedir(d);
    rmdir(dir);
    strbuf_release(&p);
    free(dir);
}

int store_remove(struct store *s, const char *name, struct hb_error *err)
{
    struct store_ref ref;
    if (store_ref_load(s, name, &ref, err) < 0)
        return -1;
    store_ref_release(&ref);
    if (store_lock(s, err) < 0)
        return -1;
    char *path = store_ref_path(s, name);
    int r = 0;
    if (unlink(path) < 0 && errno != ENOENT)
        r = hb_error_set(err, EXIT_RUNTIME, "cannot remove '%s': %s", path, strerror(errno));
    free(path);
    if (r == 0) {
        remove_model_dir(s, name);
        collect_garbage(s);
    }
    store_unlock(s);
    return r;
}

/* Writes refs/NAME.json and models/NAME/ for a reference whose blobs are in
 * place. Runs under the lock. */
int store_ref_write(struct store *s, const struct store_ref *ref, struct hb_error *err);

int store_ref_write(struct store *s, const struct store_ref *ref, struct hb_error *err)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", REF_SCHEMA);
    cJSON_AddStringToObject(root, "name", ref->name);
    cJSON *files = cJSON_AddArrayToObject(root, "files");
    for (size_t i = 0; i < ref->n_files; i++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "name", ref->files[i].name);
        cJSON_AddStringToObject(f, "sha256", ref->files[i].sha256);
        cJSON_AddNumberToObject(f, "size", (double)ref->files[i].size);
        cJSON_AddItemToArray(files, f);
    }
    if (ref->source)
        cJSON_AddStringToObject(root, "source", ref->source);
    if (ref->added)
        cJSON_AddStringToObject(root, "added", ref->added);
    if (ref->summary)
        cJSON_AddItemToObject(root, "summary", cJSON_Duplicate(ref->summary, true));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);

    /* The links first, the reference last: a reader that sees the
     * reference finds its files. */
    remove_model_dir(s, ref->name);
    char *dir = store_model_dir(s, ref->name);
    int r = 0;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        r = hb_error_set(err, EXIT_RUNTIME, "cannot create '%s': %s", dir, strerror(errno));
    struct strbuf link = STRBUF_INIT, target = STRBUF_INIT;
    for (size_t i = 0; r == 0 && i < ref->n_files; i++) {
        strbuf_reset(&link);
        strbuf_reset(&target);
        strbuf_addf(&link, "%s/%s", dir, ref->files[i].name);
        strbuf_addf(&target, "../../blobs/sha256/%s", ref->files[i].sha256);
        if (symlink(target.buf, link.buf) < 0)
            r = hb_error_set(err, EXIT_RUNTIME, "cannot link '%s': %s", link.buf, strerror(errno));
    }
    strbuf_release(&link);
    strbuf_release(&target);
    free(dir);
    if (r == 0) {
        char *path = store_ref_path(s, ref->name);
        strbuf_init(&link);
        strbuf_addstr(&link, text);
        strbuf_addch(&link, '\n');
        if (write_file_atomic(path, link.buf, link.len, 0644) < 0)
            r = hb_error_set(err, EXIT_RUNTIME, "cannot write '%s': %s", path, strerror(errno));
        strbuf_release(&link);
        free(path);
    }
    free(text);
    return r;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t *row = xcalloc(lb + 1, sizeof(size_t));
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t d = row[lb];
    free(row);
    return d;
}

char **store_suggest(const struct store *s, const char *name, size_t max)
{
    struct store_ref *refs;
    size_t n;
    struct hb_error err = HB_ERROR_INIT;
    char **out = xcalloc(max + 1, sizeof(char *));
    if (store_list(s, &refs, &n, &err) < 0) {
        hb_error_release(&err);
        return out;
    }
    size_t found = 0;
    /* Close in spelling (a third of the name's length), or containing it. */
    size_t limit = strlen(name) / 3 + 1;
    for (size_t i = 0; i < n && found < max; i++) {
        if (edit_distance(name, refs[i].name) <= limit || strcasestr(refs[i].name, name))
            out[found++] = xstrdup(refs[i].name);
    }
    store_refs_release(refs, n);
    return out;
}
