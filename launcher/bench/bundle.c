/* A bench bundle's members: the layout's paths, adding and finding. */
#include "util/common.h"

#include "bench/bundle.h"
#include "bench/results.h"

void bundle_release(struct bundle *b)
{
    for (size_t i = 0; i < b->n_members; i++) {
        free(b->members[i].path);
        free(b->members[i].run_id);
        strbuf_release(&b->members[i].data);
    }
    free(b->members);
    free(b->name);
    free(b->halobox_version);
    free(b->created);
    memset(b, 0, sizeof(*b));
}

bool bundle_name_valid(const char *name)
{
    return bench_run_id_valid(name);
}

/* "DIR/ID.EXT" with a valid run id: the id, else NULL. */
static char *layout_id(const char *path, const char *dir, const char *ext)
{
    size_t dl = strlen(dir), el = strlen(ext), pl = strlen(path);
    if (pl <= dl + el || strncmp(path, dir, dl) || strcmp(path + pl - el, ext))
        return NULL;
    char *id = xstrndup(path + dl, pl - dl - el);
    if (!bench_run_id_valid(id)) {
        free(id);
        return NULL;
    }
    return id;
}

bool bundle_member_path_parse(const char *path, enum bundle_kind *kind, char **run_id)
{
    *run_id = NULL;
    if (!strcmp(path, BUNDLE_FACTS)) {
        *kind = BUNDLE_KIND_FACTS;
        return true;
    }
    if ((*run_id = layout_id(path, "runs/", ".jsonl"))) {
        *kind = BUNDLE_KIND_RUN;
        return true;
    }
    if ((*run_id = layout_id(path, "logs/", ".log"))) {
        *kind = BUNDLE_KIND_LOG;
        return true;
    }
    return false;
}

struct bundle_member *bundle_find_member(const struct bundle *b, const char *path)
{
    for (size_t i = 0; i < b->n_members; i++)
        if (!strcmp(b->members[i].path, path))
            return &b->members[i];
    return NULL;
}

struct bundle_member *bundle_add_member(struct bundle *b, const char *path, const void *data,
                                        size_t len)
{
    enum bundle_kind kind;
    char *id;
    if (!bundle_member_path_parse(path, &kind, &id))
        return NULL;
    if (bundle_find_member(b, path)) {
        free(id);
        return NULL;
    }
    b->members = xgrow(b->members, b->n_members + 1, &b->alloc_members, sizeof(*b->members));
    size_t at = b->n_members;
    while (at > 0 && strcmp(b->members[at - 1].path, path) > 0)
        at--;
    memmove(b->members + at + 1, b->members + at, (b->n_members - at) * sizeof(*b->members));
    b->n_members++;
    struct bundle_member *m = &b->members[at];
    memset(m, 0, sizeof(*m));
    m->path = xstrdup(path);
    m->kind = kind;
    m->run_id = id;
    m->size = len;
    strbuf_init(&m->data);
    if (data) {
        strbuf_add(&m->data, data, len);
        struct sha256 *h = sha256_new();
        sha256_update(h, data, len);
        sha256_finish(h, m->sha256);
    }
    return m;
}
