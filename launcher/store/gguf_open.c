/* Opening a model: one GGUF file, or every part of a split checked to
 * belong together, read by gguf_read.c; closing it; finding keys and
 * tensors. */
#include "util/common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/gguf.h"
#include "store/gguf_internal.h"
#include "util/strbuf.h"

void gguf_close(struct gguf_model *m)
{
    if (!m)
        return;
    for (unsigned i = 0; i < m->n_shards; i++) {
        if (m->shards[i].fd >= 0)
            close(m->shards[i].fd);
        free(m->shards[i].path);
    }
    free(m->shards);
    for (size_t i = 0; i < m->n_kv; i++)
        gguf_kv_release(&m->kv[i]);
    free(m->kv);
    for (size_t i = 0; i < m->n_tensors; i++)
        free(m->tensors[i].name);
    free(m->tensors);
    free(m->type_stats);
    gguf_summary_release(&m->s);
    free(m->path);
    memset(m, 0, sizeof(*m));
}

const struct gguf_kv *gguf_find(const struct gguf_model *m, const char *key)
{
    return gguf_kv_lookup(m->kv, m->n_kv, key);
}

const struct gguf_kv *gguf_find_arch(const struct gguf_model *m, const char *suffix)
{
    if (!m->s.arch)
        return NULL;
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "%s.%s", m->s.arch, suffix);
    const struct gguf_kv *kv = gguf_find(m, sb.buf);
    strbuf_release(&sb);
    return kv;
}

const struct gguf_tensor *gguf_find_tensor(const struct gguf_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0)
            return &m->tensors[i];
    return NULL;
}

static int open_shard_file(struct gguf_shard *sh, const char *path, struct hb_error *err)
{
    sh->path = xstrdup(path);
    sh->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (sh->fd < 0)
        return hb_error_set(err, EXIT_INPUT, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(sh->fd, &st) < 0)
        return hb_error_set(err, EXIT_INPUT, "%s: cannot stat: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return hb_error_set(err, EXIT_INPUT, "%s: not a regular file", path);
    sh->size = (uint64_t)st.st_size;
    return 0;
}

/* split.* keys are written by llama-gguf-split as u16 (no, count) and i32
 * (tensors.count); any integer type is taken. */
static int check_split(struct gguf_model *m, const struct gguf_shard_meta *sm, unsigned i,
                       unsigned count, struct hb_error *err)
{
    const struct gguf_shard *sh = &m->shards[i];
    const struct gguf_kv *kv = gguf_kv_lookup(sm->kv, sm->n_kv, "split.count");
    uint64_t v;
    if (kv && !gguf_kv_get_u64(kv, &v))
        return hb_error_set(err, EXIT_INPUT, "%s: at byte %llu: split.count is not a number",
                            sh->path, (unsigned long long)kv->value_offset);
    if (kv && v != count)
        return hb_error_set(err, EXIT_INPUT,
                            "%s: at byte %llu: split.count is %llu but the file name says %u parts",
                            sh->path, (unsigned long long)kv->value_offset, (unsigned long long)v,
                            count);
    if (!kv && i == 0)
        return hb_error_set(err, EXIT_INPUT,
                            "%s: named as part 1 of %u but it has no split.count key: not a "
                            "split model",
                            sh->path, count);
    kv = gguf_kv_lookup(sm->kv, sm->n_kv, "split.no");
    if (kv && (!gguf_kv_get_u64(kv, &v) || v != i))
        return hb_error_set(err, EXIT_INPUT,
                            "%s: at byte %llu: split.no is not %u (parts are numbered from 0 "
                            "inside the file, from 1 in its name)",
                            sh->path, (unsigned long long)kv->value_offset, i);
    return 0;
}

static int finish_model(struct gguf_model *m, struct hb_error *err)
{
    m->version = m->shards[0].version;
    m->alignment = m->shards[0].alignment;
    for (unsigned i = 0; i < m->n_shards; i++)
        m->total_bytes += m->shards[i].size;
    gguf_stats_build(m);
    return gguf_summary_build(m, err);
}

static int open_parts(struct gguf_model *m, const char *path, const char *prefix, unsigned count,
                      const void *mem, size_t mem_size, struct hb_error *err)
{
    struct gguf_nameset names = {0};
    size_t tensors_alloc = 0;
    int ret = -1;
    memset(m, 0, sizeof(*m));
    m->path = xstrdup(path);
    m->shards = xcalloc(count, sizeof(*m->shards));
    for (unsigned i = 0; i < count; i++) {
        struct gguf_shard *sh = &m->shards[m->n_shards++];
        struct gguf_shard_meta sm = {0};
        sh->fd = -1;
        if (mem) {
            sh->path = xstrdup(path);
            sh->mem = mem;
            sh->size = mem_size;
        } else if (prefix) {
            struct strbuf p = STRBUF_INIT;
            strbuf_addf(&p, "%s-%05u-of-%05u.gguf", prefix, i + 1, count);
            int r = open_shard_file(sh, p.buf, err);
            strbuf_release(&p);
            if (r < 0) {
                if (i > 0)
                    hb_error_prefix(err, "%s: part %u of %u", path, i + 1, count);
                goto out;
            }
        } else if (open_shard_file(sh, path, err) < 0) {
            goto out;
        }
        if (gguf_read_shard(m, &tensors_alloc, &names, sh, i, &sm, err) < 0 ||
            (prefix && check_split(m, &sm, i, count, err) < 0)) {
            gguf_shard_meta_release(&sm);
            goto out;
        }
        if (i == 0) {
            m->kv = sm.kv;
            m->n_kv = sm.n_kv;
        } else {
            gguf_shard_meta_release(&sm);
        }
    }
    if (prefix) {
        const struct gguf_kv *kv = gguf_find(m, "split.tensors.count");
        uint64_t v;
        if (kv && (!gguf_kv_get_u64(kv, &v) || v != m->n_tensors)) {
            hb_error_set(err, EXIT_INPUT,
                         "%s: at byte %llu: split.tensors.count does not match the %zu tensors "
                         "found in the %u parts",
                         m->shards[0].path, (unsigned long long)kv->value_offset, m->n_tensors,
                         count);
            goto out;
        }
    }
    ret = finish_model(m, err);
out:
    gguf_nameset_release(&names);
    if (ret < 0)
        gguf_close(m);
    return ret;
}

bool gguf_split_name(const char *path, char **prefix, unsigned *no, unsigned *count)
{
    /* NAME-00001-of-00005.gguf, as llama_split_path() formats it */
    static const char tail[] = "-00000-of-00000.gguf";
    size_t len = strlen(path), tl = sizeof(tail) - 1;
    if (len <= tl)
        return false;
    const char *t = path + len - tl;
    unsigned a = 0, b = 0;
    for (size_t i = 0; i < tl; i++) {
        if (tail[i] == '0') {
            if (t[i] < '0' || t[i] > '9')
                return false;
            if (i < 6)
                a = a * 10 + (unsigned)(t[i] - '0');
            else
                b = b * 10 + (unsigned)(t[i] - '0');
        } else if (t[i] != tail[i]) {
            return false;
        }
    }
    if (a == 0 || b == 0 || a > b || t[-1] == '/')
        return false;
    if (prefix)
        *prefix = xstrndup(path, len - tl);
    if (no)
        *no = a;
    if (count)
        *count = b;
    return true;
}

int gguf_open(struct gguf_model *m, const char *path, struct hb_error *err)
{
    char *prefix = NULL;
    unsigned no, count;
    if (gguf_split_name(path, &prefix, &no, &count) && count > 1) {
        int r = open_parts(m, path, prefix, count, NULL, 0, err);
        free(prefix);
        return r;
    }
    free(prefix);
    return open_parts(m, path, NULL, 1, NULL, 0, err);
}

int gguf_open_file(struct gguf_model *m, const char *path, struct hb_error *err)
{
    return open_parts(m, path, NULL, 1, NULL, 0, err);
}

int gguf_open_mem(struct gguf_model *m, const void *data, size_t size, const char *name,
                  struct hb_error *err)
{
    static const uint8_t empty[1];
    return open_parts(m, name, NULL, 1, data ? data : empty, data ? size : 0, err);
}
