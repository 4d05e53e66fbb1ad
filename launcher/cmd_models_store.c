/* halobox models ls | add | rm: the store's names. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <unistd.h>

#include "cmd_models.h"
#include "store/model_summary.h"
#include "util/json.h"

static const char usage_ls[] =
    "usage: halobox models ls [--json] [--store DIR]\n"
    "\n"
    "List the models in the store: name, size, architecture, parameters,\n"
    "quantisation, experts (used/total) and trained context.\n";

static const char usage_add[] =
    "usage: halobox models add PATH [--name NAME] [--sha256 HEX] [--replace] [--store DIR]\n"
    "\n"
    "Add a GGUF model to the store. For a split model give its first shard\n"
    "(NAME-00001-of-0000N.gguf): every shard is added. The file is cloned or\n"
    "hard-linked when it is on the store's file system, else copied; its sha256\n"
    "is computed from what the store holds (and checked against --sha256).\n"
    "\n"
    "  --name NAME   the name in the store (default: the file name without .gguf)\n"
    "  --sha256 HEX  refuse the file unless its sha256 is this\n"
    "  --replace     replace a different model already under NAME\n";

static const char usage_rm[] =
    "usage: halobox models rm NAME... [--store DIR]\n"
    "\n"
    "Remove models from the store. A file goes when no name uses it any more.\n";

static int get_u64(const cJSON *o, const char *key, uint64_t *v)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(x))
        return 0;
    *v = (uint64_t)x->valuedouble;
    return 1;
}

static const char *get_str(const cJSON *o, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

int cmd_models_ls(int argc, char **argv)
{
    struct models_options o;
    int done = models_parse("ls", usage_ls, MO_JSON | MO_STORE, argc, argv, &o);
    if (done >= 0)
        return done;
    if (o.n_args)
        return usage_error("models ls", "unexpected argument '%s'", o.args[0]);
    struct hb_error err = HB_ERROR_INIT;
    struct store s;
    struct store_ref *refs = NULL;
    size_t n = 0;
    int rc = EXIT_OK;
    if (store_open(&s, o.store, &err) < 0 || store_list(&s, &refs, &n, &err) < 0) {
        rc = report_error(&err);
        goto out;
    }
    if (o.json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++) {
            cJSON *m = cJSON_CreateObject();
            cJSON_AddStringToObject(m, "name", refs[i].name);
            cJSON_AddNumberToObject(m, "size_bytes", (double)refs[i].total_size);
            cJSON_AddNumberToObject(m, "files", (double)refs[i].n_files);
            cJSON_AddStringToObject(m, "sha256", refs[i].files[0].sha256);
            json_add_str(m, "source", refs[i].source);
            json_add_str(m, "added", refs[i].added);
            if (refs[i].summary)
                cJSON_AddItemToObject(m, "summary", cJSON_Duplicate(refs[i].summary, true));
            else
                cJSON_AddNullToObject(m, "summary");
            cJSON_AddItemToArray(arr, m);
        }
        if (write_json_stdout(arr, &err) < 0)
            rc = report_error(&err);
        cJSON_Delete(arr);
        goto out;
    }
    struct strbuf out = STRBUF_INIT;
    strbuf_addf(&out, "%-32s %9s  %-10s %7s  %-9s %-8s %s\n", "NAME", "SIZE", "ARCH", "PARAMS",
                "TYPE", "EXPERTS", "CONTEXT");
    for (size_t i = 0; i < n; i++) {
        const cJSON *sm = refs[i].summary;
        uint64_t params = 0, experts = 0, used = 0, ctx = 0;
        char pbuf[16] = "?", ebuf[24] = "-", cbuf[24] = "?";
        if (get_u64(sm, "parameters", &params))
            format_params(pbuf, sizeof(pbuf), params);
        if (get_u64(sm, "experts", &experts) && experts) {
            if (get_u64(sm, "experts_used", &used))
                snprintf(ebuf, sizeof(ebuf), "%llu/%llu", (unsigned long long)used,
                         (unsigned long long)experts);
            else
                snprintf(ebuf, sizeof(ebuf), "%llu", (unsigned long long)experts);
        }
        if (get_u64(sm, "context_length", &ctx))
            snprintf(cbuf, sizeof(cbuf), "%llu", (unsigned long long)ctx);
        const char *arch = get_str(sm, "architecture"), *type = get_str(sm, "file_type");
        char sbuf[24];
        double size = (double)refs[i].total_size;
        if (size >= 1e9)
            snprintf(sbuf, sizeof(sbuf), "%.2f GB", size / 1e9);
        else
            snprintf(sbuf, sizeof(sbuf), "%.1f MB", size / 1e6);
        strbuf_addf(&out, "%-32s %9s  %-10s %7s  %-9s %-8s %s\n", refs[i].name, sbuf,
                    arch ? arch : "?", pbuf, type ? type : "?", ebuf, cbuf);
    }
    if (write_stdout(&out, &err) < 0)
        rc = report_error(&err);
    strbuf_release(&out);
out:
    store_refs_release(refs, n);
    store_close(&s);
    hb_error_release(&err);
    return rc;
}

/* The files of a model starting at `path`: all shards of a split model (in
 * order, checked to exist), else just the file. */
static char **model_files(const char *path, size_t *n, struct hb_error *err)
{
    char *prefix = NULL;
    unsigned no = 0, count = 0;
    char **files;
    if (!gguf_split_name(path, &prefix, &no, &count) || count < 2) {
        free(prefix);
        files = xcalloc(2, sizeof(char *));
        files[0] = xstrdup(path);
        *n = 1;
        return files;
    }
    files = xcalloc(count + 1, sizeof(char *));
    for (unsigned i = 0; i < count; i++) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "%s-%05u-of-%05u.gguf", prefix, i + 1, count);
        if (access(sb.buf, R_OK) < 0) {
            hb_error_set(err, EXIT_INPUT, "'%s' is shard %u of %u, but '%s' is missing", path, no,
                         count, sb.buf);
            strbuf_release(&sb);
            for (unsigned j = 0; j < i; j++)
                free(files[j]);
            free(files);
            free(prefix);
            return NULL;
        }
        files[i] = strbuf_detach(&sb);
    }
    free(prefix);
    *n = count;
    return files;
}

int cmd_models_add(int argc, char **argv)
{
    struct models_options o;
    int done = models_parse("add", usage_add,
                            MO_STORE | MO_NAME | MO_SHA256 | MO_REPLACE | MO_QUIET, argc, argv, &o);
    if (done >= 0)
        return done;
    if (o.n_args != 1)
        return usage_error("models add", o.n_args ? "give one model file" : "which file?");
    struct hb_error err = HB_ERROR_INIT;
    struct gguf_model m;
    struct store s = {.root = NULL, .lock_fd = -1};
    size_t n_files = 0;
    char **files = NULL;
    char *name = NULL;
    int rc = EXIT_OK;
    /* Read the headers first: a file that is not a GGUF model never enters
     * the store. */
    if (gguf_open(&m, o.args[0], &err) < 0) {
        rc = report_error(&err);
        goto out;
    }
    files = model_files(o.args[0], &n_files, &err);
    if (!files) {
        rc = report_error(&err);
        goto out;
    }
    name = xstrdup(o.name ? o.name : "");
    if (!o.name) {
        free(name);
        name = store_default_name(files[0]);
    }
    if (store_open(&s, o.store, &err) < 0 ||
        store_add(&s, name, (const char *const *)files, n_files, o.args[0], o.sha256,
                  model_summary_json(&m), o.replace, &err) < 0) {
        rc = report_error(&err);
        goto out;
    }
    if (!o.quiet)
        printf("added %s (%zu file%s, %.2f GB)\n", name, n_files, n_files == 1 ? "" : "s",
               (double)m.total_bytes / 1e9);
    if (fflush(stdout) != 0)
        rc = EXIT_RUNTIME;
out:
    if (files)
        for (size_t i = 0; i < n_files; i++)
            free(files[i]);
    free(files);
    free(name);
    gguf_close(&m);
    store_close(&s);
    hb_error_release(&err);
    return rc;
}

int cmd_models_rm(int argc, char **argv)
{
    struct models_options o;
    int done = models_parse("rm", usage_rm, MO_STORE, argc, argv, &o);
    if (done >= 0)
        return done;
    if (!o.n_args)
        return usage_error("models rm", "which model?");
    struct hb_error err = HB_ERROR_INIT;
    struct store s;
    int rc = EXIT_OK;
    if (store_open(&s, o.store, &err) < 0) {
        rc = report_error(&err);
        hb_error_release(&err);
        return rc;
    }
    for (int i = 0; i < o.n_args; i++) {
        if (store_remove(&s, o.args[i], &err) < 0) {
            rc = report_error(&err);
            hb_error_release(&err);
        } else {
            printf("removed %s\n", o.args[i]);
        }
    }
    store_close(&s);
    return fflush(stdout) == 0 ? rc : EXIT_RUNTIME;
}
