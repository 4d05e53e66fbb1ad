/* A bench bundle's manifest: what the exporter writes and the strict check
 * of what an importer reads (it is outside data). */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <math.h>

#include "bench/bundle.h"

cJSON *bundle_manifest_to_json(const struct bundle *b)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "schema", BUNDLE_SCHEMA);
    cJSON_AddStringToObject(o, "name", b->name);
    cJSON_AddStringToObject(o, "halobox_version", b->halobox_version);
    cJSON_AddStringToObject(o, "created", b->created);
    cJSON *arr = cJSON_AddArrayToObject(o, "members");
    for (size_t i = 0; i < b->n_members; i++) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "path", b->members[i].path);
        cJSON_AddNumberToObject(m, "size", (double)b->members[i].size);
        cJSON_AddStringToObject(m, "sha256", b->members[i].sha256);
        cJSON_AddItemToArray(arr, m);
    }
    return o;
}

/* A string field of at most max bytes, or NULL. */
static const char *short_string(const cJSON *o, const char *key, size_t max)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) > max)
        return NULL;
    return v->valuestring;
}

static bool lower_hex64(const char *s)
{
    if (!s || strlen(s) != SHA256_HEX_LEN)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

static int parse_member(struct bundle *b, const cJSON *it, size_t i, const char *origin,
                        struct hb_error *err)
{
    if (!cJSON_IsObject(it))
        return hb_error_set(err, EXIT_INPUT, "%s: manifest members[%zu] is not an object", origin,
                            i);
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(it, "path");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(it, "size");
    const char *sha = short_string(it, "sha256", SHA256_HEX_LEN);
    if (!cJSON_IsString(path))
        return hb_error_set(err, EXIT_INPUT, "%s: manifest members[%zu] has no path", origin, i);
    enum bundle_kind kind;
    char *id;
    if (!bundle_member_path_parse(path->valuestring, &kind, &id))
        return hb_error_set(err, EXIT_INPUT,
                            "%s: manifest member '%s' is not facts.json, runs/ID.jsonl or "
                            "logs/ID.log",
                            origin, path->valuestring);
    free(id);
    double v = cJSON_IsNumber(size) ? size->valuedouble : -1;
    if (!(v >= 0 && v <= BUNDLE_MEMBER_MAX && floor(v) == v))
        return hb_error_set(err, EXIT_INPUT,
                            "%s: manifest member '%s': size must be a whole number of bytes up "
                            "to %u",
                            origin, path->valuestring, BUNDLE_MEMBER_MAX);
    if (!lower_hex64(sha))
        return hb_error_set(err, EXIT_INPUT,
                            "%s: manifest member '%s': sha256 must be 64 lower-case hex digits",
                            origin, path->valuestring);
    if (bundle_find_member(b, path->valuestring))
        return hb_error_set(err, EXIT_INPUT, "%s: manifest lists '%s' twice", origin,
                            path->valuestring);
    struct bundle_member *m = bundle_add_member(b, path->valuestring, NULL, 0);
    m->size = (uint64_t)v;
    memcpy(m->sha256, sha, SHA256_HEX_LEN + 1);
    return 0;
}

/* Facts once, at least one run, and every log beside its run. */
static int check_members(const struct bundle *b, const char *origin, struct hb_error *err)
{
    size_t facts = 0, runs = 0;
    struct strbuf want = STRBUF_INIT;
    for (size_t i = 0; i < b->n_members; i++) {
        const struct bundle_member *m = &b->members[i];
        if (m->kind == BUNDLE_KIND_FACTS)
            facts++;
        else if (m->kind == BUNDLE_KIND_RUN)
            runs++;
        else {
            strbuf_reset(&want);
            strbuf_addf(&want, "runs/%s.jsonl", m->run_id);
            if (!bundle_find_member(b, want.buf)) {
                hb_error_set(err, EXIT_INPUT, "%s: manifest lists '%s' without its run '%s'",
                             origin, m->path, want.buf);
                strbuf_release(&want);
                return -1;
            }
        }
    }
    strbuf_release(&want);
    if (!facts)
        return hb_error_set(err, EXIT_INPUT, "%s: manifest lists no facts.json", origin);
    if (!runs)
        return hb_error_set(err, EXIT_INPUT, "%s: manifest lists no run", origin);
    return 0;
}

int bundle_manifest_parse(struct bundle *b, const char *text, size_t len, const char *origin,
                          struct hb_error *err)
{
    memset(b, 0, sizeof(*b));
    cJSON *o = cJSON_ParseWithLength(text, len);
    int ret = 0;
    const char *schema = o ? short_string(o, "schema", 64) : NULL;
    const char *name = o ? short_string(o, "name", 128) : NULL;
    const char *version = o ? short_string(o, "halobox_version", 64) : NULL;
    const char *created = o ? short_string(o, "created", 64) : NULL;
    const cJSON *members = o ? cJSON_GetObjectItemCaseSensitive(o, "members") : NULL;
    if (!cJSON_IsObject(o))
        ret = hb_error_set(err, EXIT_INPUT, "%s: manifest.json is not a JSON object", origin);
    else if (!schema || strcmp(schema, BUNDLE_SCHEMA))
        ret = hb_error_set(err, EXIT_INPUT, "%s: manifest.json is not of schema %s", origin,
                           BUNDLE_SCHEMA);
    else if (!name || !bundle_name_valid(name))
        ret = hb_error_set(err, EXIT_INPUT,
                           "%s: manifest name must be letters, digits, '.', '_' or '-'", origin);
    else if (!version || !created)
        ret =
            hb_error_set(err, EXIT_INPUT, "%s: manifest lacks halobox_version or created", origin);
    else if (!cJSON_IsArray(members))
        ret = hb_error_set(err, EXIT_INPUT, "%s: manifest lacks its members array", origin);
    else if (cJSON_GetArraySize(members) > BUNDLE_MEMBERS_MAX)
        ret = hb_error_set(err, EXIT_INPUT, "%s: manifest lists more than %d members", origin,
                           BUNDLE_MEMBERS_MAX);
    if (ret == 0) {
        b->name = xstrdup(name);
        b->halobox_version = xstrdup(version);
        b->created = xstrdup(created);
        const cJSON *it;
        size_t i = 0;
        cJSON_ArrayForEach(it, members)
        {
            if ((ret = parse_member(b, it, i++, origin, err)) < 0)
                break;
        }
    }
    if (ret == 0)
        ret = check_members(b, origin, err);
    if (ret < 0)
        bundle_release(b);
    cJSON_Delete(o);
    return ret;
}
