#include "util/common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/gguf.h"
#include "store/gguf_internal.h"
#include "util/text.h"
#include "util/strbuf.h"

/* The rules below are ggml's (ggml/src/gguf.cpp, gguf_init_from_reader), so
 * that a file this reader accepts is one llama.cpp can load, plus the checks
 * ggml leaves to its callers (llama_model_loader: tensor data inside the
 * file; split files). Every count, length and offset is checked against the
 * bytes left in the file before anything is allocated or read. */

/* Smallest encodings, for checking counts against the bytes left: a key-value
 * pair is a length, a non-empty key, a type and a one-byte value; a tensor
 * info is a length (empty name), n_dims, type and offset. */
#define MIN_KV_BYTES          (8 + 1 + 4 + 1)
#define MIN_TENSOR_INFO_BYTES (8 + 4 + 4 + 8)
/* ggml refuses nested arrays outright; the GGUF spec allows them and
 * gguf-py writes them, so they are read, but not without bound. */
#define MAX_ARRAY_DEPTH 8
#define READ_BUFFER     (256 * 1024)

struct rd {
    const char *name;
    int fd;
    const uint8_t *mem;
    uint64_t size;
    uint64_t pos;
    uint8_t *buf; /* fd only: bytes [buf_off, buf_off + buf_len) of the file */
    uint64_t buf_off;
    size_t buf_len;
    struct hb_error *err;
};

/* ---- messages ---- */

/* Names from a file may hold anything: control characters are escaped and
 * long names cut, so a message stays one readable line. */
static void add_quoted(struct strbuf *sb, const char *s, uint64_t len)
{
    strbuf_addch(sb, '\'');
    uint64_t n = len > 80 ? 80 : len;
    /* bytes of broken UTF-8 are shown as escapes, valid text as itself */
    bool raw_ok = utf8_valid(s, len);
    for (uint64_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '\\' || c == '\'' || (c >= 0x80 && !raw_ok))
            strbuf_addf(sb, "\\x%02x", c);
        else
            strbuf_addch(sb, (char)c);
    }
    if (n < len)
        strbuf_addstr(sb, "...");
    strbuf_addch(sb, '\'');
}

static char *quoted(const char *s, uint64_t len)
{
    struct strbuf sb = STRBUF_INIT;
    add_quoted(&sb, s, len);
    return strbuf_detach(&sb);
}

static int fail_at(struct rd *r, uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(struct rd *r, uint64_t at, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    strbuf_addf(&sb, "%s: at byte %llu: ", r->name, (unsigned long long)at);
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    hb_error_set(r->err, EXIT_INPUT, "%s", sb.buf);
    strbuf_release(&sb);
    return -1;
}

/* ---- reading ---- */

static uint64_t rd_left(const struct rd *r)
{
    return r->pos <= r->size ? r->size - r->pos : 0;
}

static int truncated(struct rd *r, const char *what, uint64_t need)
{
    return fail_at(r, r->pos, "the file ends inside %s (%llu bytes needed, %llu left)", what,
                   (unsigned long long)need, (unsigned long long)rd_left(r));
}

/* The slow path of rd_peek: refills the buffer from pos. */
static const uint8_t *rd_fill(struct rd *r, size_t n, const char *what)
{
    if (n > rd_left(r)) {
        truncated(r, what, n);
        return NULL;
    }
    if (r->mem)
        return r->mem + r->pos;
    uint64_t want = rd_left(r) < READ_BUFFER ? rd_left(r) : READ_BUFFER;
    size_t got = 0;
    while (got < want) {
        ssize_t k = pread(r->fd, r->buf + got, want - got, (off_t)(r->pos + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            fail_at(r, r->pos + got, "read error: %s", strerror(errno));
            return NULL;
        }
        if (k == 0)
            break;
        got += (size_t)k;
    }
    r->buf_off = r->pos;
    r->buf_len = got;
    if (got < n) {
        /* the file shrank while being read */
        truncated(r, what, n);
        return NULL;
    }
    return r->buf;
}

/* Makes n bytes at pos readable (n <= READ_BUFFER) and returns them. Inline
 * because a vocabulary is 150k calls: the buffered case must be cheap (the
 * buffer only ever holds bytes inside the file). */
static inline const uint8_t *rd_peek(struct rd *r, size_t n, const char *what)
{
    if (!r->mem && r->pos >= r->buf_off && r->pos + n <= r->buf_off + r->buf_len)
        return r->buf + (r->pos - r->buf_off);
    return rd_fill(r, n, what);
}

static inline uint64_t le(const uint8_t *p, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v = 0;
    memcpy(&v, p, n);
    return v;
#else
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
#endif
}

static inline int rd_uint(struct rd *r, size_t n, uint64_t *out, const char *what)
{
    const uint8_t *p = rd_peek(r, n, what);
    if (!p)
        return -1;
    *out = le(p, n);
    r->pos += n;
    return 0;
}

static inline int rd_u32(struct rd *r, uint32_t *out, const char *what)
{
    uint64_t v;
    if (rd_uint(r, 4, &v, what) < 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static inline int rd_u64(struct rd *r, uint64_t *out, const char *what)
{
    return rd_uint(r, 8, out, what);
}

static inline int rd_skip(struct rd *r, uint64_t n, const char *what)
{
    if (n > rd_left(r))
        return truncated(r, what, n);
    r->pos += n;
    return 0;
}

/* Copies n bytes (any length, already checked against the file) to dst. */
static int rd_copy(struct rd *r, void *dst, uint64_t n, const char *what)
{
    uint8_t *d = dst;
    while (n) {
        size_t k = n < READ_BUFFER ? (size_t)n : READ_BUFFER;
        const uint8_t *p = rd_peek(r, k, what);
        if (!p)
            return -1;
        memcpy(d, p, k);
        r->pos += k;
        d += k;
        n -= k;
    }
    return 0;
}

/* A string's length, checked against ggml's limit and the bytes left. */
static inline int rd_strlen(struct rd *r, uint64_t *len, const char *what)
{
    uint64_t at = r->pos;
    if (rd_u64(r, len, what) < 0)
        return -1;
    if (*len > GGUF_MAX_STRING_LENGTH)
        return fail_at(r, at, "%s is %llu bytes long, more than the 1 GiB llama.cpp accepts", what,
                       (unsigned long long)*len);
    if (*len > rd_left(r))
        return fail_at(r, at, "%s is %llu bytes long, past the end of the file (%llu bytes left)",
                       what, (unsigned long long)*len, (unsigned long long)rd_left(r));
    return 0;
}

static int rd_string(struct rd *r, char **out, uint64_t *out_len, const char *what)
{
    uint64_t len;
    if (rd_strlen(r, &len, what) < 0)
        return -1;
    char *s = xmalloc((size_t)len + 1);
    if (rd_copy(r, s, len, what) < 0) {
        free(s);
        return -1;
    }
    s[len] = '\0';
    *out = s;
    *out_len = len;
    return 0;
}

/* ---- checks ---- */

/* A name (key or tensor name) that C code and terminals can use: UTF-8, no
 * NUL inside (ggml keeps names as C strings, so "a\0b" would become "a"). */
static int check_name(struct rd *r, uint64_t at, const char *what, const char *s, uint64_t len)
{
    if (memchr(s, '\0', (size_t)len)) {
        char *q = quoted(s, len);
        fail_at(r, at, "%s %s contains a NUL byte", what, q);
        free(q);
        return -1;
    }
    if (!utf8_valid(s, len)) {
        char *q = quoted(s, len);
        fail_at(r, at, "%s %s is not valid UTF-8", what, q);
        free(q);
        return -1;
    }
    return 0;
}

/* Open addressing, so that duplicate checks stay linear on files made to
 * hold millions of names. */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static void nameset_put(struct gguf_nameset *set, const char *s)
{
    size_t i = (size_t)hash_str(s) & (set->cap - 1);
    while (set->slot[i])
        i = (i + 1) & (set->cap - 1);
    set->slot[i] = s;
    set->n++;
}

bool gguf_nameset_add(struct gguf_nameset *set, const char *s)
{
    if (set->cap) {
        size_t i = (size_t)hash_str(s) & (set->cap - 1);
        for (; set->slot[i]; i = (i + 1) & (set->cap - 1))
            if (strcmp(set->slot[i], s) == 0)
                return false;
    }
    if ((set->n + 1) * 2 > set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        struct gguf_nameset bigger = {xcalloc(cap, sizeof(char *)), cap, 0};
        for (size_t i = 0; i < set->cap; i++)
            if (set->slot[i])
                nameset_put(&bigger, set->slot[i]);
        free(set->slot);
        *set = bigger;
    }
    nameset_put(set, s);
    return true;
}

void gguf_nameset_release(struct gguf_nameset *set)
{
    free(set->slot);
    memset(set, 0, sizeof(*set));
}

/* ---- metadata ---- */

static int skip_array(struct rd *r, uint32_t elem, uint64_t count, uint64_t count_at, int depth);

static int check_array_header(struct rd *r, uint32_t elem, uint64_t count, uint64_t type_at,
                              uint64_t count_at)
{
    if (elem >= GGUF_TYPE_COUNT)
        return fail_at(r, type_at, "unknown array element type %u", elem);
    if (count > GGUF_MAX_ARRAY_ELEMENTS)
        return fail_at(r, count_at, "array of %llu elements: more than the 2^30 llama.cpp accepts",
                       (unsigned long long)count);
    /* the least each element can take: its size, a string's length, a
     * nested array's type and count */
    uint64_t min = elem == GGUF_TYPE_STRING  ? 8
                   : elem == GGUF_TYPE_ARRAY ? 12
                                             : gguf_type_size(elem);
    if (count > rd_left(r) / min)
        return fail_at(r, count_at,
                       "array of %llu %s elements needs at least %llu bytes, past the end of "
                       "the file (%llu bytes left)",
                       (unsigned long long)count, gguf_type_name(elem),
                       (unsigned long long)count * min, (unsigned long long)rd_left(r));
    return 0;
}

static int skip_array(struct rd *r, uint32_t elem, uint64_t count, uint64_t count_at, int depth)
{
    if (elem == GGUF_TYPE_STRING) {
        for (uint64_t i = 0; i < count; i++) {
            uint64_t len;
            if (rd_strlen(r, &len, "a string in an array") < 0 ||
                rd_skip(r, len, "a string in an array") < 0)
                return -1;
        }
        return 0;
    }
    if (elem == GGUF_TYPE_ARRAY) {
        if (depth >= MAX_ARRAY_DEPTH)
            return fail_at(r, count_at, "arrays nested more than %d deep", MAX_ARRAY_DEPTH);
        for (uint64_t i = 0; i < count; i++) {
            uint32_t sub;
            uint64_t n, type_at = r->pos, n_at = r->pos + 4;
            if (rd_u32(r, &sub, "a nested array's type") < 0 ||
                rd_u64(r, &n, "a nested array's count") < 0 ||
                check_array_header(r, sub, n, type_at, n_at) < 0 ||
                skip_array(r, sub, n, n_at, depth + 1) < 0)
                return -1;
        }
        return 0;
    }
    return rd_skip(r, count * gguf_type_size(elem), "an array");
}

static int read_scalar(struct rd *r, struct gguf_kv *kv)
{
    uint64_t v;
    size_t size = gguf_type_size(kv->type);
    if (kv->type == GGUF_TYPE_STRING)
        return rd_string(r, &kv->str, &kv->str_len, "a string value");
    if (rd_uint(r, size, &v, "a value") < 0)
        return -1;
    switch (kv->type) {
    case GGUF_TYPE_UINT8:
    case GGUF_TYPE_UINT16:
    case GGUF_TYPE_UINT32:
    case GGUF_TYPE_UINT64:
        kv->v.u64 = v;
        break;
    case GGUF_TYPE_INT8:
        kv->v.i64 = (int8_t)v;
        break;
    case GGUF_TYPE_INT16:
        kv->v.i64 = (int16_t)v;
        break;
    case GGUF_TYPE_INT32:
        kv->v.i64 = (int32_t)v;
        break;
    case GGUF_TYPE_INT64:
        kv->v.i64 = (int64_t)v;
        break;
    case GGUF_TYPE_FLOAT32: {
        uint32_t bits = (uint32_t)v;
        memcpy(&kv->v.f32, &bits, 4);
        break;
    }
    case GGUF_TYPE_FLOAT64:
        memcpy(&kv->v.f64, &v, 8);
        break;
    case GGUF_TYPE_BOOL:
        /* ggml reads a bool as an int8 and takes any non-zero as true */
        kv->v.b = v != 0;
        break;
    default:
        break;
    }
    return 0;
}

void gguf_kv_release(struct gguf_kv *kv)
{
    free(kv->key);
    free(kv->str);
}

static int read_kv(struct rd *r, struct gguf_kv *kv, struct gguf_nameset *keys)
{
    uint64_t len;
    kv->offset = r->pos;
    if (rd_string(r, &kv->key, &len, "a key") < 0)
        return -1;
    if (len == 0)
        return fail_at(r, kv->offset, "empty key");
    if (check_name(r, kv->offset, "key", kv->key, len) < 0)
        return -1;
    if (!gguf_nameset_add(keys, kv->key)) {
        char *q = quoted(kv->key, len);
        fail_at(r, kv->offset, "duplicate key %s", q);
        free(q);
        return -1;
    }
    uint32_t type;
    uint64_t type_at = r->pos;
    if (rd_u32(r, &type, "a value type") < 0)
        return -1;
    if (type >= GGUF_TYPE_COUNT) {
        char *q = quoted(kv->key, len);
        fail_at(r, type_at, "unknown value type %u for key %s", type, q);
        free(q);
        return -1;
    }
    kv->type = type;
    if (type != GGUF_TYPE_ARRAY) {
        kv->value_offset = r->pos;
        if (read_scalar(r, kv) < 0)
            return -1;
        kv->value_bytes = r->pos - kv->value_offset;
        /* scalar strings end up in listings and JSON; the strings of arrays
         * (vocabularies) are left alone, as llama.cpp leaves them */
        if (type == GGUF_TYPE_STRING && !utf8_valid(kv->str, kv->str_len)) {
            char *q = quoted(kv->key, len);
            fail_at(r, kv->value_offset, "the value of key %s is not valid UTF-8", q);
            free(q);
            return -1;
        }
        return 0;
    }
    uint32_t elem;
    uint64_t count, elem_at = r->pos, count_at = r->pos + 4;
    if (rd_u32(r, &elem, "an array's element type") < 0 ||
        rd_u64(r, &count, "an array's element count") < 0 ||
        check_array_header(r, elem, count, elem_at, count_at) < 0)
        return -1;
    kv->arr_type = elem;
    kv->arr_count = count;
    kv->value_offset = r->pos;
    if (skip_array(r, elem, count, count_at, 1) < 0)
        return -1;
    kv->value_bytes = r->pos - kv->value_offset;
    return 0;
}

/* ---- tensor infos ---- */

/* "tensor 'NAME' ..." at byte `at`; the name is quoted only when it fails. */
static int fail_tensor(struct rd *r, uint64_t at, const struct gguf_tensor *t, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_tensor(struct rd *r, uint64_t at, const struct gguf_tensor *t, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    strbuf_addstr(&sb, "tensor ");
    add_quoted(&sb, t->name, strlen(t->name));
    strbuf_addch(&sb, ' ');
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    fail_at(r, at, "%s", sb.buf);
    strbuf_release(&sb);
    return -1;
}

static int read_tensor_info(struct rd *r, struct gguf_tensor *t, struct gguf_nameset *names)
{
    uint64_t len;
    t->info_offset = r->pos;
    if (rd_string(r, &t->name, &len, "a tensor name") < 0)
        return -1;
    if (len >= GGUF_MAX_NAME || !gguf_nameset_add(names, t->name)) {
        char *q = quoted(t->name, len);
        if (len >= GGUF_MAX_NAME)
            fail_at(r, t->info_offset, "tensor name %s is %llu bytes long: ggml allows at most %d",
                    q, (unsigned long long)len, GGUF_MAX_NAME - 1);
        else
            fail_at(r, t->info_offset, "duplicate tensor name %s", q);
        free(q);
        return -1;
    }
    if (check_name(r, t->info_offset, "tensor name", t->name, len) < 0)
        return -1;
    uint64_t at = r->pos;
    if (rd_u32(r, &t->n_dims, "a tensor's dimension count") < 0)
        return -1;
    if (t->n_dims > GGUF_MAX_DIMS)
        return fail_tensor(r, at, t, "has %u dimensions: ggml allows at most %d", t->n_dims,
                           GGUF_MAX_DIMS);
    for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++) {
        t->ne[d] = 1;
        if (d >= t->n_dims)
            continue;
        at = r->pos;
        if (rd_u64(r, &t->ne[d], "a tensor's shape") < 0)
            return -1;
        /* ggml holds ne[] as int64_t and its element count must fit one */
        if (t->ne[d] > INT64_MAX)
            return fail_tensor(r, at, t, "dimension %u is %llu: negative as ggml reads it", d,
                               (unsigned long long)t->ne[d]);
    }
    uint64_t n = 1;
    for (uint32_t d = 0; d < GGUF_MAX_DIMS && n; d++) {
        if (t->ne[d] == 0)
            n = 0;
        else if (__builtin_mul_overflow(n, t->ne[d], &n) || n >= INT64_MAX)
            return fail_tensor(r, t->info_offset + 8 + len + 4, t,
                               "shape [%llu, %llu, %llu, %llu] has more elements than ggml can "
                               "count",
                               (unsigned long long)t->ne[0], (unsigned long long)t->ne[1],
                               (unsigned long long)t->ne[2], (unsigned long long)t->ne[3]);
    }
    t->n_elements = n;
    at = r->pos;
    if (rd_u32(r, &t->type, "a tensor's type") < 0)
        return -1;
    const struct gguf_type_info *ti = gguf_tensor_type(t->type);
    if (!ti)
        return fail_tensor(r, at, t, "has unknown type %u", t->type);
    if (t->ne[0] % ti->block_size)
        return fail_tensor(r, at, t,
                           "of type %s has rows of %llu elements, not a multiple of its block "
                           "size %u",
                           ti->name, (unsigned long long)t->ne[0], ti->block_size);
    /* the element count is below 2^63 but bytes per element can exceed 1 */
    if (__builtin_mul_overflow(n / ti->block_size, (uint64_t)ti->type_size, &t->n_bytes))
        return fail_tensor(r, at, t, "is too large to address");
    return rd_u64(r, &t->offset, "a tensor's data offset");
}

/* ---- one file ---- */

void gguf_shard_meta_release(struct gguf_shard_meta *sm)
{
    for (size_t i = 0; i < sm->n_kv; i++)
        gguf_kv_release(&sm->kv[i]);
    free(sm->kv);
    sm->kv = NULL;
    sm->n_kv = 0;
}

const struct gguf_kv *gguf_kv_lookup(const struct gguf_kv *kv, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0)
            return &kv[i];
    return NULL;
}

static uint64_t pad_to(uint64_t x, uint64_t align)
{
    return (x + align - 1) / align * align;
}

static int check_offset(struct rd *r, const struct gguf_shard *sh, const struct gguf_tensor *t,
                        const struct gguf_tensor *prev, uint64_t expect)
{
    uint64_t space = sh->size - sh->data_offset;
    bool past_end = t->n_bytes > space || t->offset > space - t->n_bytes;
    if (t->offset % sh->alignment == 0 && t->offset == expect && !past_end)
        return 0;
    size_t len = strlen(t->name);
    uint64_t at = t->info_offset + 8 + len + 4 + 8ULL * t->n_dims + 4; /* the offset field */
    unsigned long long off = t->offset;
    char *q = quoted(t->name, len);
    char *p = prev ? quoted(prev->name, strlen(prev->name)) : xstrdup("''");
    if (t->offset % sh->alignment)
        fail_at(r, at, "tensor %s data offset %llu is not a multiple of the alignment %u", q, off,
                sh->alignment);
    else if (prev && t->offset < prev->offset)
        fail_at(r, at,
                "tensor %s data offset %llu comes before that of the previous tensor %s (%llu): "
                "tensor data must follow declaration order",
                q, off, p, (unsigned long long)prev->offset);
    else if (t->offset < expect)
        fail_at(r, at,
                "tensor %s data offset %llu overlaps the previous tensor %s, which ends at %llu", q,
                off, p, (unsigned long long)expect);
    else if (t->offset > expect)
        fail_at(r, at,
                "tensor %s data offset %llu leaves a gap (expected %llu): llama.cpp requires "
                "tensor data packed in declaration order",
                q, off, (unsigned long long)expect);
    else
        fail_at(
            r, at,
            "tensor %s data (%llu bytes at byte %llu) goes past the end of the file (%llu bytes)",
            q, (unsigned long long)t->n_bytes, (unsigned long long)(sh->data_offset + off),
            (unsigned long long)sh->size);
    free(q);
    free(p);
    return -1;
}

/* Reads one file's header into sh, sm (its metadata) and m->tensors. */
int gguf_read_shard(struct gguf_model *m, size_t *tensors_alloc, struct gguf_nameset *names,
                    struct gguf_shard *sh, unsigned shard_no, struct gguf_shard_meta *sm,
                    struct hb_error *err)
{
    struct rd r = {.name = sh->path,
                   .fd = sh->fd,
                   .mem = sh->mem,
                   .size = sh->size,
                   .err = err,
                   .buf = sh->mem ? NULL : xmalloc(READ_BUFFER)};
    struct gguf_nameset keys = {0};
    size_t kv_alloc = 0;
    int ret = -1;

    if (r.size < 4) {
        fail_at(&r, 0, "not a GGUF file: only %llu bytes long", (unsigned long long)r.size);
        goto out;
    }
    const uint8_t *magic = rd_peek(&r, 4, "the magic");
    if (!magic)
        goto out;
    if (memcmp(magic, GGUF_MAGIC, 4) != 0) {
        char *q = quoted((const char *)magic, 4);
        fail_at(&r, 0, "not a GGUF file: it starts with %s, not 'GGUF'", q);
        free(q);
        goto out;
    }
    r.pos = 4;
    if (rd_u32(&r, &sh->version, "the version") < 0)
        goto out;
    if (sh->version == 1) {
        fail_at(&r, 4,
                "GGUF version 1 is no longer supported by llama.cpp: convert the model "
                "again");
        goto out;
    }
    if (sh->version != 0 && (sh->version & 0xffff) == 0) {
        fail_at(&r, 4,
                "GGUF version 0x%08x: a big-endian file? only little-endian files can "
                "be read here",
                sh->version);
        goto out;
    }
    if (sh->version < 2 || sh->version > GGUF_VERSION) {
        fail_at(&r, 4, "unsupported GGUF version %u (versions 2 and 3 are supported)", sh->version);
        goto out;
    }
    if (rd_u64(&r, &sh->n_tensors, "the tensor count") < 0 ||
        rd_u64(&r, &sh->n_kv, "the key-value count") < 0)
        goto out;
    uint64_t left = rd_left(&r);
    if (sh->n_tensors > left / MIN_TENSOR_INFO_BYTES) {
        fail_at(&r, 8,
                "tensor count %llu needs at least %llu bytes of tensor infos, past the end of "
                "the file (%llu bytes left)",
                (unsigned long long)sh->n_tensors,
                (unsigned long long)sh->n_tensors * MIN_TENSOR_INFO_BYTES,
                (unsigned long long)left);
        goto out;
    }
    left -= sh->n_tensors * MIN_TENSOR_INFO_BYTES;
    if (sh->n_kv > left / MIN_KV_BYTES) {
        fail_at(&r, 16,
                "key-value count %llu needs at least %llu bytes, past the end of the file "
                "(%llu bytes left after the tensor infos)",
                (unsigned long long)sh->n_kv, (unsigned long long)sh->n_kv * MIN_KV_BYTES,
                (unsigned long long)left);
        goto out;
    }

    /* Grown as entries are read, never sized from the counts: a count is
     * only a claim until the bytes are there. */
    for (uint64_t i = 0; i < sh->n_kv; i++) {
        sm->kv = xgrow(sm->kv, sm->n_kv + 1, &kv_alloc, sizeof(*sm->kv));
        struct gguf_kv *kv = &sm->kv[sm->n_kv++];
        memset(kv, 0, sizeof(*kv));
        kv->shard = shard_no;
        if (read_kv(&r, kv, &keys) < 0)
            goto out;
    }

    sh->alignment = GGUF_DEFAULT_ALIGNMENT;
    const struct gguf_kv *al = gguf_kv_lookup(sm->kv, sm->n_kv, "general.alignment");
    if (al) {
        if (al->type != GGUF_TYPE_UINT32) {
            fail_at(&r, al->offset, "general.alignment must be of type u32, not %s",
                    gguf_type_name(al->type));
            goto out;
        }
        if (al->v.u64 == 0 || (al->v.u64 & (al->v.u64 - 1)) != 0) {
            fail_at(&r, al->value_offset, "general.alignment %llu is not a power of two",
                    (unsigned long long)al->v.u64);
            goto out;
        }
        sh->alignment = (uint32_t)al->v.u64;
    }

    size_t first = m->n_tensors;
    for (uint64_t i = 0; i < sh->n_tensors; i++) {
        m->tensors = xgrow(m->tensors, m->n_tensors + 1, tensors_alloc, sizeof(*m->tensors));
        struct gguf_tensor *t = &m->tensors[m->n_tensors++];
        memset(t, 0, sizeof(*t));
        t->shard = shard_no;
        if (read_tensor_info(&r, t, names) < 0)
            goto out;
    }

    /* ggml pads the header to the alignment only when there is tensor data */
    sh->data_offset = sh->n_tensors ? pad_to(r.pos, sh->alignment) : r.pos;
    if (sh->data_offset > sh->size) {
        fail_at(&r, r.pos, "the file ends before its tensor data, which would start at byte %llu",
                (unsigned long long)sh->data_offset);
        goto out;
    }
    /* ggml requires each tensor's data exactly where the previous one ends,
     * padded to the alignment: in declaration order, no gaps, no overlap */
    uint64_t expect = 0;
    for (size_t i = first; i < m->n_tensors; i++) {
        struct gguf_tensor *t = &m->tensors[i];
        if (check_offset(&r, sh, t, i > first ? t - 1 : NULL, expect) < 0)
            goto out;
        t->file_offset = sh->data_offset + t->offset;
        /* cannot overflow: the data ends inside the file */
        expect = pad_to(t->offset + t->n_bytes, sh->alignment);
    }
    ret = 0;
out:
    gguf_nameset_release(&keys);
    free(r.buf);
    return ret;
}

bool gguf_kv_get_u64(const struct gguf_kv *kv, uint64_t *out)
{
    if (!kv)
        return false;
    switch (kv->type) {
    case GGUF_TYPE_UINT8:
    case GGUF_TYPE_UINT16:
    case GGUF_TYPE_UINT32:
    case GGUF_TYPE_UINT64:
        *out = kv->v.u64;
        return true;
    case GGUF_TYPE_INT8:
    case GGUF_TYPE_INT16:
    case GGUF_TYPE_INT32:
    case GGUF_TYPE_INT64:
        if (kv->v.i64 < 0)
            return false;
        *out = (uint64_t)kv->v.i64;
        return true;
    case GGUF_TYPE_BOOL:
        *out = kv->v.b;
        return true;
    default:
        return false;
    }
}

bool gguf_kv_get_f64(const struct gguf_kv *kv, double *out)
{
    if (!kv)
        return false;
    switch (kv->type) {
    case GGUF_TYPE_FLOAT32:
        *out = kv->v.f32;
        return true;
    case GGUF_TYPE_FLOAT64:
        *out = kv->v.f64;
        return true;
    case GGUF_TYPE_INT8:
    case GGUF_TYPE_INT16:
    case GGUF_TYPE_INT32:
    case GGUF_TYPE_INT64:
        *out = (double)kv->v.i64;
        return true;
    case GGUF_TYPE_UINT8:
    case GGUF_TYPE_UINT16:
    case GGUF_TYPE_UINT32:
    case GGUF_TYPE_UINT64:
        *out = (double)kv->v.u64;
        return true;
    default:
        return false;
    }
}

static int pread_all(const struct gguf_shard *sh, void *dst, uint64_t off, uint64_t n,
                     struct hb_error *err)
{
    if (off > sh->size || n > sh->size - off)
        return hb_error_set(err, EXIT_INPUT, "%s: at byte %llu: read past the end of the file",
                            sh->path, (unsigned long long)off);
    if (sh->mem) {
        memcpy(dst, sh->mem + off, (size_t)n);
        return 0;
    }
    uint8_t *d = dst;
    while (n) {
        ssize_t k = pread(sh->fd, d, n > (1 << 30) ? (1 << 30) : (size_t)n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return hb_error_set(err, EXIT_INPUT, "%s: at byte %llu: %s", sh->path,
                                (unsigned long long)off,
                                k < 0 ? strerror(errno) : "the file shrank while being read");
        d += k;
        off += (uint64_t)k;
        n -= (uint64_t)k;
    }
    return 0;
}

int gguf_array_read(const struct gguf_model *m, const struct gguf_kv *kv, uint64_t first,
                    uint64_t count, void *out, struct hb_error *err)
{
    size_t size = gguf_type_size(kv->arr_type);
    if (kv->type != GGUF_TYPE_ARRAY || size == 0)
        return hb_error_set(err, EXIT_RUNTIME, "%s: key '%s' is not an array of numbers", m->path,
                            kv->key);
    if (first > kv->arr_count || count > kv->arr_count - first)
        return hb_error_set(err, EXIT_RUNTIME,
                            "%s: key '%s': elements %llu..%llu asked of an array of %llu", m->path,
                            kv->key, (unsigned long long)first, (unsigned long long)(first + count),
                            (unsigned long long)kv->arr_count);
    if (pread_all(&m->shards[kv->shard], out, kv->value_offset + first * size, count * size, err) <
        0)
        return -1;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    uint8_t *p = out;
    for (uint64_t i = 0; i < count; i++, p += size)
        for (size_t a = 0, b = size - 1; a < b; a++, b--) {
            uint8_t t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
#endif
    return 0;
}

int gguf_array_strings(const struct gguf_model *m, const struct gguf_kv *kv, gguf_string_fn fn,
                       void *ctx, struct hb_error *err)
{
    if (kv->type != GGUF_TYPE_ARRAY || kv->arr_type != GGUF_TYPE_STRING)
        return hb_error_set(err, EXIT_RUNTIME, "%s: key '%s' is not an array of strings", m->path,
                            kv->key);
    const struct gguf_shard *sh = &m->shards[kv->shard];
    /* the bounds were checked when the file was opened; they are checked
     * again in case the file changed since */
    struct rd r = {.name = sh->path,
                   .fd = sh->fd,
                   .mem = sh->mem,
                   .size = kv->value_offset + kv->value_bytes,
                   .pos = kv->value_offset,
                   .err = err,
                   .buf = sh->mem ? NULL : xmalloc(READ_BUFFER)};
    struct strbuf s = STRBUF_INIT;
    int ret = 0;
    for (uint64_t i = 0; i < kv->arr_count && ret == 0; i++) {
        uint64_t len;
        if (rd_strlen(&r, &len, "a string in an array") < 0) {
            ret = -1;
            break;
        }
        strbuf_reset(&s);
        strbuf_grow(&s, (size_t)len);
        if (rd_copy(&r, s.buf, len, "a string in an array") < 0) {
            ret = -1;
            break;
        }
        s.len = (size_t)len;
        s.buf[len] = '\0';
        ret = fn(ctx, i, s.buf, len, err);
    }
    strbuf_release(&s);
    free(r.buf);
    return ret;
}
