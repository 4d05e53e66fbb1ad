#include "util/common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <unistd.h>

#include "store/gguf.h"
#include "util/text.h"
#include "util/strbuf.h"

/* Large writes keep a multi-gigabyte model from costing a system call per
 * tensor row; 4 MiB is past the point where bigger stops helping on tmpfs
 * and ext4. */
#define WRITE_BUFFER (4 * 1024 * 1024)
#define COUNT_BUFFER (64 * 1024)
#define MAX_SPAN     (64 * 1024)
#define MAX_DEPTH    8

enum phase { PHASE_KV, PHASE_TENSORS, PHASE_DATA, PHASE_DONE };

struct frame {
    enum gguf_type elem;
    uint64_t left;
};

struct gguf_writer {
    char *path; /* NULL: count only */
    char *tmp;
    int fd;
    bool finished;
    bool failed;
    char *fail_msg; /* the first failure, repeated by every later call */
    uint8_t *buf;
    size_t cap;
    size_t len;
    uint64_t off; /* bytes produced, flushed or not */
    enum phase phase;
    uint64_t n_kv, kv_done;
    uint64_t n_tensors, tensors_done;
    uint32_t alignment;
    struct frame stack[MAX_DEPTH];
    int depth;
    struct gguf_nameset keys, names;
    char **owned; /* the names the sets point to */
    size_t n_owned, owned_alloc;
    uint64_t *sizes; /* data bytes of each declared tensor */
    size_t sizes_alloc;
    uint64_t data_off; /* next tensor's offset in the data section */
    uint64_t cur;      /* tensor whose data comes next */
    uint64_t cur_left;
};

static int werr(struct gguf_writer *w, struct hb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int werr(struct gguf_writer *w, struct hb_error *err, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    strbuf_addf(&sb, "%s: ", w->path ? w->path : "gguf writer");
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    hb_error_set(err, EXIT_RUNTIME, "%s", sb.buf);
    if (!w->failed)
        w->fail_msg = strbuf_detach(&sb);
    strbuf_release(&sb);
    w->failed = true;
    return -1;
}

static int failed_before(struct gguf_writer *w, struct hb_error *err)
{
    return hb_error_set(err, EXIT_RUNTIME, "%s", w->fail_msg ? w->fail_msg : "gguf writer failed");
}

static int flush(struct gguf_writer *w, struct hb_error *err)
{
    size_t done = 0;
    while (w->path && done < w->len) {
        ssize_t n = write(w->fd, w->buf + done, w->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return werr(w, err, "write failed: %s", strerror(errno));
        done += (size_t)n;
    }
    w->len = 0;
    return 0;
}

static int put(struct gguf_writer *w, const void *data, uint64_t n, struct hb_error *err)
{
    const uint8_t *p = data;
    while (n) {
        if (w->len == w->cap && flush(w, err) < 0)
            return -1;
        size_t k = w->cap - w->len < n ? w->cap - w->len : (size_t)n;
        memcpy(w->buf + w->len, p, k);
        w->len += k;
        w->off += k;
        p += k;
        n -= k;
    }
    return 0;
}

static int put_zeros(struct gguf_writer *w, uint64_t n, struct hb_error *err)
{
    static const uint8_t zeros[256];
    while (n) {
        uint64_t k = n < sizeof(zeros) ? n : sizeof(zeros);
        if (put(w, zeros, k, err) < 0)
            return -1;
        n -= k;
    }
    return 0;
}

static int put_le(struct gguf_writer *w, uint64_t v, size_t n, struct hb_error *err)
{
    uint8_t b[8];
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return put(w, b, n, err);
}

static int put_str(struct gguf_writer *w, const char *s, uint64_t len, struct hb_error *err)
{
    if (put_le(w, len, 8, err) < 0)
        return -1;
    return put(w, s, len, err);
}

static uint64_t pad_to(uint64_t x, uint64_t align)
{
    return (x + align - 1) / align * align;
}

static int start_data(struct gguf_writer *w, struct hb_error *err);

int gguf_writer_open(struct gguf_writer **out, const char *path, uint64_t n_kv, uint64_t n_tensors,
                     struct hb_error *err)
{
    struct gguf_writer *w = xcalloc(1, sizeof(*w));
    w->fd = -1;
    w->alignment = GGUF_DEFAULT_ALIGNMENT;
    w->n_kv = n_kv;
    w->n_tensors = n_tensors;
    w->cap = path ? WRITE_BUFFER : COUNT_BUFFER;
    w->buf = xmalloc(w->cap);
    *out = NULL;
    if (path) {
        struct strbuf tmp = STRBUF_INIT;
        w->path = xstrdup(path);
        strbuf_addf(&tmp, "%s.tmp-%ld", path, (long)getpid());
        w->tmp = strbuf_detach(&tmp);
        /* a leftover of an earlier process that had the same pid */
        unlink(w->tmp);
        w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (w->fd < 0) {
            hb_error_set(err, EXIT_RUNTIME, "%s: cannot create: %s", w->tmp, strerror(errno));
            free(w->tmp);
            w->tmp = NULL;
            gguf_writer_free(w);
            return -1;
        }
    }
    if (put(w, GGUF_MAGIC, 4, err) < 0 || put_le(w, GGUF_VERSION, 4, err) < 0 ||
        put_le(w, n_tensors, 8, err) < 0 || put_le(w, n_kv, 8, err) < 0) {
        gguf_writer_free(w);
        return -1;
    }
    w->phase = PHASE_KV;
    if (n_kv == 0) {
        w->phase = PHASE_TENSORS;
        if (n_tensors == 0 && start_data(w, err) < 0) {
            gguf_writer_free(w);
            return -1;
        }
    }
    *out = w;
    return 0;
}

void gguf_writer_free(struct gguf_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    if (w->tmp && !w->finished)
        unlink(w->tmp);
    for (size_t i = 0; i < w->n_owned; i++)
        free(w->owned[i]);
    free(w->owned);
    gguf_nameset_release(&w->keys);
    gguf_nameset_release(&w->names);
    free(w->sizes);
    free(w->buf);
    free(w->tmp);
    free(w->path);
    free(w->fail_msg);
    free(w);
}

uint64_t gguf_writer_offset(const struct gguf_writer *w)
{
    return w->off;
}

uint64_t gguf_writer_data_left(const struct gguf_writer *w)
{
    return w->phase == PHASE_DATA ? w->cur_left : 0;
}

static const char *own(struct gguf_writer *w, const char *s)
{
    w->owned = xgrow(w->owned, w->n_owned + 1, &w->owned_alloc, sizeof(*w->owned));
    return w->owned[w->n_owned++] = xstrdup(s);
}

/* Moves past tensors whose data is complete, adding their padding; leaves
 * the phase at DONE after the last one. */
static int advance_data(struct gguf_writer *w, struct hb_error *err)
{
    while (w->phase == PHASE_DATA && w->cur_left == 0) {
        if (w->cur < w->n_tensors) {
            uint64_t size = w->sizes[w->cur];
            if (put_zeros(w, pad_to(size, w->alignment) - size, err) < 0)
                return -1;
            w->cur++;
        }
        if (w->cur == w->n_tensors)
            w->phase = PHASE_DONE;
        else
            w->cur_left = w->sizes[w->cur];
    }
    return 0;
}

/* After the last tensor info: the header is padded so that the data
 * section starts aligned (ggml seeks there), then the data phase begins. */
static int start_data(struct gguf_writer *w, struct hb_error *err)
{
    if (w->n_tensors == 0) {
        w->phase = PHASE_DONE;
        return 0;
    }
    if (put_zeros(w, pad_to(w->off, w->alignment) - w->off, err) < 0)
        return -1;
    w->phase = PHASE_DATA;
    w->cur = 0;
    w->cur_left = w->sizes[0];
    return advance_data(w, err);
}

static int kv_done(struct gguf_writer *w, struct hb_error *err)
{
    if (++w->kv_done < w->n_kv)
        return 0;
    w->phase = PHASE_TENSORS;
    return w->n_tensors == 0 ? start_data(w, err) : 0;
}

/* Closes arrays whose elements are all written, innermost first. */
static int pop_frames(struct gguf_writer *w, struct hb_error *err)
{
    while (w->depth > 0 && w->stack[w->depth - 1].left == 0) {
        w->depth--;
        if (w->depth == 0)
            return kv_done(w, err);
    }
    return 0;
}

static int begin_kv(struct gguf_writer *w, const char *key, enum gguf_type type,
                    struct hb_error *err)
{
    if (w->failed)
        return failed_before(w, err);
    if (w->phase != PHASE_KV || w->depth > 0)
        return werr(w, err, "key '%s' written after the %llu declared keys", key,
                    (unsigned long long)w->n_kv);
    size_t len = strlen(key);
    if (len == 0)
        return werr(w, err, "empty key");
    if (!utf8_valid(key, len))
        return werr(w, err, "key is not valid UTF-8");
    if (!gguf_nameset_add(&w->keys, own(w, key))) {
        free(w->owned[--w->n_owned]);
        return werr(w, err, "duplicate key '%s'", key);
    }
    if (put_str(w, key, len, err) < 0 || put_le(w, type, 4, err) < 0)
        return -1;
    return 0;
}

static int put_scalar(struct gguf_writer *w, const struct gguf_value *v, struct hb_error *err)
{
    uint64_t bits = 0;
    switch (v->type) {
    case GGUF_TYPE_UINT8:
    case GGUF_TYPE_UINT16:
    case GGUF_TYPE_UINT32:
    case GGUF_TYPE_UINT64:
        bits = v->v.u64;
        break;
    case GGUF_TYPE_INT8:
    case GGUF_TYPE_INT16:
    case GGUF_TYPE_INT32:
    case GGUF_TYPE_INT64:
        bits = (uint64_t)v->v.i64;
        break;
    case GGUF_TYPE_FLOAT32: {
        uint32_t b;
        memcpy(&b, &v->v.f32, 4);
        bits = b;
        break;
    }
    case GGUF_TYPE_FLOAT64:
        memcpy(&bits, &v->v.f64, 8);
        break;
    case GGUF_TYPE_BOOL:
        bits = v->v.b ? 1 : 0;
        break;
    case GGUF_TYPE_STRING:
        return put_str(w, v->str, v->str_len, err);
    default:
        return werr(w, err, "value of type %u cannot be written as a scalar", v->type);
    }
    return put_le(w, bits, gguf_type_size(v->type), err);
}

int gguf_writer_kv(struct gguf_writer *w, const char *key, const struct gguf_value *v,
                   struct hb_error *err)
{
    if ((unsigned)v->type >= GGUF_TYPE_COUNT || v->type == GGUF_TYPE_ARRAY)
        return werr(w, err, "key '%s': not a scalar type (%u)", key, v->type);
    if (v->type == GGUF_TYPE_STRING && !utf8_valid(v->str, v->str_len))
        return werr(w, err, "key '%s': the value is not valid UTF-8", key);
    if (strcmp(key, "general.alignment") == 0) {
        /* ggml refuses any other type, and an alignment that is not a power
         * of two */
        if (v->type != GGUF_TYPE_UINT32)
            return werr(w, err, "general.alignment must be of type u32");
        if (v->v.u64 == 0 || v->v.u64 > UINT32_MAX || (v->v.u64 & (v->v.u64 - 1)))
            return werr(w, err, "general.alignment %llu is not a power of two",
                        (unsigned long long)v->v.u64);
        w->alignment = (uint32_t)v->v.u64;
    }
    if (begin_kv(w, key, v->type, err) < 0 || put_scalar(w, v, err) < 0)
        return -1;
    return kv_done(w, err);
}

int gguf_writer_kv_u32(struct gguf_writer *w, const char *key, uint32_t v, struct hb_error *err)
{
    struct gguf_value val = {.type = GGUF_TYPE_UINT32, .v.u64 = v};
    return gguf_writer_kv(w, key, &val, err);
}

int gguf_writer_kv_str(struct gguf_writer *w, const char *key, const char *v, struct hb_error *err)
{
    struct gguf_value val = {.type = GGUF_TYPE_STRING, .str = v, .str_len = strlen(v)};
    return gguf_writer_kv(w, key, &val, err);
}

int gguf_writer_array_begin(struct gguf_writer *w, const char *key, enum gguf_type elem,
                            uint64_t count, struct hb_error *err)
{
    if ((unsigned)elem >= GGUF_TYPE_COUNT)
        return werr(w, err, "unknown array element type %u", elem);
    if (count > GGUF_MAX_ARRAY_ELEMENTS)
        return werr(w, err, "array of %llu elements: llama.cpp accepts at most 2^30",
                    (unsigned long long)count);
    if (key) {
        if (strcmp(key, "general.alignment") == 0)
            return werr(w, err, "general.alignment must be of type u32");
        if (begin_kv(w, key, GGUF_TYPE_ARRAY, err) < 0)
            return -1;
    } else {
        if (w->failed)
            return failed_before(w, err);
        if (w->depth == 0 || w->stack[w->depth - 1].elem != GGUF_TYPE_ARRAY ||
            w->stack[w->depth - 1].left == 0)
            return werr(w, err, "nested array where no array element is expected");
        if (w->depth == MAX_DEPTH)
            return werr(w, err, "arrays nested more than %d deep", MAX_DEPTH);
        w->stack[w->depth - 1].left--;
    }
    if (put_le(w, elem, 4, err) < 0 || put_le(w, count, 8, err) < 0)
        return -1;
    w->stack[w->depth++] = (struct frame){elem, count};
    return pop_frames(w, err);
}

static struct frame *top_frame(struct gguf_writer *w, enum gguf_type want, uint64_t n,
                               struct hb_error *err)
{
    if (w->failed) {
        failed_before(w, err);
        return NULL;
    }
    struct frame *f = w->depth ? &w->stack[w->depth - 1] : NULL;
    bool fixed = want != GGUF_TYPE_STRING;
    if (!f || (fixed ? gguf_type_size(f->elem) == 0 : f->elem != GGUF_TYPE_STRING)) {
        werr(w, err, "array elements written where none of that type are expected");
        return NULL;
    }
    if (n > f->left) {
        werr(w, err, "%llu array elements written where %llu remain", (unsigned long long)n,
             (unsigned long long)f->left);
        return NULL;
    }
    return f;
}

int gguf_writer_array_items(struct gguf_writer *w, const void *items, uint64_t count,
                            struct hb_error *err)
{
    struct frame *f = top_frame(w, GGUF_TYPE_UINT8, count, err);
    if (!f)
        return -1;
    size_t size = gguf_type_size(f->elem);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    const uint8_t *p = items;
    for (uint64_t i = 0; i < count; i++, p += size) {
        uint64_t v = 0;
        for (size_t b = 0; b < size; b++)
            v = (v << 8) | p[b];
        if (put_le(w, v, size, err) < 0)
            return -1;
    }
#else
    if (put(w, items, count * size, err) < 0)
        return -1;
#endif
    f->left -= count;
    return pop_frames(w, err);
}

int gguf_writer_array_str(struct gguf_writer *w, const char *s, size_t len, struct hb_error *err)
{
    struct frame *f = top_frame(w, GGUF_TYPE_STRING, 1, err);
    if (!f)
        return -1;
    if (len > GGUF_MAX_STRING_LENGTH)
        return werr(w, err, "string of %zu bytes: llama.cpp accepts at most 1 GiB", len);
    if (put_str(w, s, len, err) < 0)
        return -1;
    f->left--;
    return pop_frames(w, err);
}

int gguf_writer_kv_array(struct gguf_writer *w, const char *key, enum gguf_type elem,
                         const void *items, uint64_t count, struct hb_error *err)
{
    if (elem == GGUF_TYPE_ARRAY)
        return werr(w, err, "key '%s': nested arrays are written with gguf_writer_array_begin",
                    key);
    if (gguf_writer_array_begin(w, key, elem, count, err) < 0)
        return -1;
    if (count == 0)
        return 0;
    if (elem != GGUF_TYPE_STRING)
        return gguf_writer_array_items(w, items, count, err);
    const char *const *strs = items;
    for (uint64_t i = 0; i < count; i++)
        if (gguf_writer_array_str(w, strs[i], strlen(strs[i]), err) < 0)
            return -1;
    return 0;
}

int gguf_writer_tensor(struct gguf_writer *w, const char *name, uint32_t n_dims, const uint64_t *ne,
                       uint32_t type, struct hb_error *err)
{
    if (w->failed)
        return failed_before(w, err);
    if (w->phase != PHASE_TENSORS)
        return werr(w, err, "tensor '%s' declared %s", name,
                    w->phase == PHASE_KV ? "before all keys were written"
                                         : "after the declared tensors");
    size_t len = strlen(name);
    if (len >= GGUF_MAX_NAME)
        return werr(w, err, "tensor name '%s' is longer than %d bytes", name, GGUF_MAX_NAME - 1);
    if (!utf8_valid(name, len))
        return werr(w, err, "tensor name is not valid UTF-8");
    if (n_dims > GGUF_MAX_DIMS)
        return werr(w, err, "tensor '%s' has %u dimensions: ggml allows at most %d", name, n_dims,
                    GGUF_MAX_DIMS);
    const struct gguf_type_info *ti = gguf_tensor_type(type);
    if (!ti)
        return werr(w, err, "tensor '%s' has unknown type %u", name, type);
    uint64_t n = 1;
    for (uint32_t d = 0; d < n_dims; d++)
        if (ne[d] > INT64_MAX || __builtin_mul_overflow(n, ne[d], &n) || n >= INT64_MAX)
            return werr(w, err, "tensor '%s' has more elements than ggml can count", name);
    uint64_t row = n_dims ? ne[0] : 1;
    if (row % ti->block_size)
        return werr(w, err,
                    "tensor '%s' of type %s: rows of %llu elements are not a multiple "
                    "of its block size %u",
                    name, ti->name, (unsigned long long)row, ti->block_size);
    uint64_t bytes;
    if (__builtin_mul_overflow(n / ti->block_size, (uint64_t)ti->type_size, &bytes) ||
        bytes > UINT64_MAX - w->data_off - w->alignment)
        return werr(w, err, "tensor '%s' is too large", name);
    if (!gguf_nameset_add(&w->names, own(w, name))) {
        free(w->owned[--w->n_owned]);
        return werr(w, err, "duplicate tensor name '%s'", name);
    }
    if (put_str(w, name, len, err) < 0 || put_le(w, n_dims, 4, err) < 0)
        return -1;
    for (uint32_t d = 0; d < n_dims; d++)
        if (put_le(w, ne[d], 8, err) < 0)
            return -1;
    if (put_le(w, type, 4, err) < 0 || put_le(w, w->data_off, 8, err) < 0)
        return -1;
    w->sizes = xgrow(w->sizes, w->tensors_done + 1, &w->sizes_alloc, sizeof(*w->sizes));
    w->sizes[w->tensors_done] = bytes;
    w->data_off = pad_to(w->data_off + bytes, w->alignment);
    if (++w->tensors_done == w->n_tensors)
        return start_data(w, err);
    return 0;
}

static int data_expected(struct gguf_writer *w, struct hb_error *err)
{
    if (w->failed)
        return failed_before(w, err);
    if (w->phase != PHASE_DATA)
        return werr(w, err, "tensor data written %s",
                    w->phase == PHASE_DONE ? "past the end of the last tensor"
                                           : "before all tensors were declared");
    return 0;
}

int gguf_writer_data(struct gguf_writer *w, const void *data, size_t len, struct hb_error *err)
{
    const uint8_t *p = data;
    while (len) {
        if (data_expected(w, err) < 0)
            return -1;
        size_t k = w->cur_left < len ? (size_t)w->cur_left : len;
        if (put(w, p, k, err) < 0)
            return -1;
        w->cur_left -= k;
        p += k;
        len -= k;
        if (advance_data(w, err) < 0)
            return -1;
    }
    return 0;
}

int gguf_writer_data_span(struct gguf_writer *w, size_t min, void **ptr, size_t *len,
                          struct hb_error *err)
{
    if (data_expected(w, err) < 0)
        return -1;
    if (min > MAX_SPAN)
        return werr(w, err, "span of %zu bytes asked: at most %d", min, MAX_SPAN);
    if (w->cap - w->len < min && flush(w, err) < 0)
        return -1;
    size_t avail = w->cap - w->len;
    *ptr = w->buf + w->len;
    *len = w->cur_left < avail ? (size_t)w->cur_left : avail;
    return 0;
}

void gguf_writer_data_commit(struct gguf_writer *w, size_t n)
{
    w->len += n;
    w->off += n;
    w->cur_left -= n;
    if (w->cur_left == 0) {
        struct hb_error ignored = HB_ERROR_INIT;
        /* a failure here sets w->failed, reported by the next call */
        advance_data(w, &ignored);
        hb_error_release(&ignored);
    }
}

int gguf_writer_finish(struct gguf_writer *w, struct hb_error *err)
{
    if (w->failed)
        return failed_before(w, err);
    if (w->phase == PHASE_KV)
        return werr(w, err, "%llu of %llu keys written", (unsigned long long)w->kv_done,
                    (unsigned long long)w->n_kv);
    if (w->phase == PHASE_TENSORS)
        return werr(w, err, "%llu of %llu tensors declared", (unsigned long long)w->tensors_done,
                    (unsigned long long)w->n_tensors);
    if (w->phase == PHASE_DATA)
        return werr(w, err, "the data of %llu of %llu tensors written", (unsigned long long)w->cur,
                    (unsigned long long)w->n_tensors);
    if (flush(w, err) < 0)
        return -1;
    if (!w->path) {
        w->finished = true;
        return 0;
    }
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) < 0)
        return werr(w, err, "write failed: %s", strerror(errno));
    if (rename(w->tmp, w->path) < 0)
        return werr(w, err, "cannot rename %s into place: %s", w->tmp, strerror(errno));
    w->finished = true;
    return 0;
}
