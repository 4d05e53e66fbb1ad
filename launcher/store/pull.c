#include "util/common.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/gguf.h"
#include "store/model_summary.h"
#include "store/pull.h"
#include "util/curl_dl.h"
#include "util/strbuf.h"

char *pull_resolve_url(const char *url, struct hb_error *err)
{
    if (str_starts_with(url, "http://") || str_starts_with(url, "https://"))
        return xstrdup(url);
    if (!str_starts_with(url, "hf://")) {
        hb_error_set(err, EXIT_USAGE,
                     "'%s' is not a URL halobox can pull (http://, https:// or hf://ORG/REPO/FILE)",
                     url);
        return NULL;
    }
    const char *p = url + strlen("hf://");
    /* ORG/REPO/PATH: two slashes at least, no empty part. */
    const char *s1 = strchr(p, '/');
    const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
    if (!s1 || !s2 || s1 == p || s2 == s1 + 1 || !s2[1] || strstr(p, "//") || strstr(p, "/../") ||
        strchr(p, '?') || strchr(p, '#')) {
        hb_error_set(err, EXIT_USAGE, "'%s': expected hf://ORG/REPO/FILE.gguf", url);
        return NULL;
    }
    const char *endpoint = getenv("HF_ENDPOINT");
    if (!endpoint || !*endpoint)
        endpoint = "https://huggingface.co";
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, endpoint);
    while (sb.len && sb.buf[sb.len - 1] == '/')
        sb.buf[--sb.len] = '\0';
    strbuf_addch(&sb, '/');
    strbuf_add(&sb, p, (size_t)(s2 - p));
    strbuf_addstr(&sb, "/resolve/main/");
    strbuf_addstr(&sb, s2 + 1);
    return strbuf_detach(&sb);
}

/* The last path component of a URL, without query or fragment. */
static char *url_file_name(const char *url)
{
    size_t end = strcspn(url, "?#");
    const char *start = url;
    for (size_t i = 0; i < end; i++)
        if (url[i] == '/')
            start = url + i + 1;
    size_t n = (size_t)(url + end - start);
    return n ? xstrndup(start, n) : xstrdup("model.gguf");
}

struct transfer {
    int fd;
    const char *path;
    struct sha256 *hash;
    uint64_t offset; /* bytes already in the file before this request */
    uint64_t received;
    long status;
    const struct curl_api *cu;
    CURL *curl;
    bool body_started;
    char linked_etag[SHA256_HEX_LEN + 1];
    bool progress;
    uint64_t total; /* expected file size, 0 when unknown */
    double started;
    double last_draw;
    int write_errno;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* X-Linked-Etag (Hugging Face's sha256 of an LFS file), quoted or not. */
static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct transfer *t = ctx;
    size_t len = size * n;
    static const char key[] = "x-linked-etag:";
    if (len > sizeof(key) - 1 && !strncasecmp(data, key, sizeof(key) - 1)) {
        const char *v = data + sizeof(key) - 1;
        const char *end = data + len;
        while (v < end && (*v == ' ' || *v == '"'))
            v++;
        size_t k = 0;
        while (v + k < end && isxdigit((unsigned char)v[k]))
            k++;
        if (k == SHA256_HEX_LEN) {
            for (size_t i = 0; i < k; i++)
                t->linked_etag[i] = (char)tolower((unsigned char)v[i]);
            t->linked_etag[k] = '\0';
        }
    }
    return len;
}

static void draw_progress(struct transfer *t, bool final)
{
    double now = now_seconds();
    if (!final && now - t->last_draw < 0.2)
        return;
    t->last_draw = now;
    uint64_t have = t->offset + t->received;
    double rate = (double)t->received / (now - t->started > 0.001 ? now - t->started : 0.001);
    if (t->total) {
        double frac = (double)have / (double)t->total;
        int width = 30, filled = (int)(frac * width);
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[width] = '\0';
        double eta = rate > 0 ? (double)(t->total - (have < t->total ? have : t->total)) / rate : 0;
        fprintf(stderr, "\r  [%s] %5.1f%% %.2f/%.2f GB %6.1f MB/s ETA %d:%02d ", bar, frac * 100,
                (double)have / 1e9, (double)t->total / 1e9, rate / 1e6, (int)eta / 60,
                (int)eta % 60);
    } else {
        fprintf(stderr, "\r  %.2f GB %6.1f MB/s ", (double)have / 1e9, rate / 1e6);
    }
    if (final)
        fputc('\n', stderr);
}

static size_t on_data(char *data, size_t size, size_t n, void *ctx)
{
    struct transfer *t = ctx;
    size_t len = size * n;
    if (!t->body_started) {
        t->body_started = true;
        long status = 0;
        t->cu->easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status == 200 && t->offset) {
            /* The server ignored the Range and sends the whole file: what
             * we had goes, and the hash starts again. */
            if (ftruncate(t->fd, 0) < 0 || lseek(t->fd, 0, SEEK_SET) < 0) {
                t->write_errno = errno;
                return 0;
            }
            char discard[SHA256_HEX_LEN + 1];
            sha256_finish(t->hash, discard);
            t->hash = sha256_new();
            t->offset = 0;
            t->total = 0;
        }
    }
    for (size_t done = 0; done < len;) {
        ssize_t w = write(t->fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            t->write_errno = w < 0 ? errno : ENOSPC;
            return 0; /* curl stops with CURLE_WRITE_ERROR */
        }
        done += (size_t)w;
    }
    sha256_update(t->hash, data, len);
    t->received += len;
    if (t->progress)
        draw_progress(t, false);
    return len;
}

/* The size of the whole file: what we had plus what this response carries
 * (recomputed when a server that ignores the Range resets the offset). */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dlnow, (void)ultotal, (void)ulnow;
    struct transfer *t = ctx;
    if (dltotal > 0 && !t->total)
        t->total = t->offset + (uint64_t)dltotal;
    return 0;
}

static int hash_existing(int fd, uint64_t len, struct sha256 *h, const char *path,
                         struct hb_error *err)
{
    enum { CHUNK = 4 * 1024 * 1024 };
    char *buf = xmalloc(CHUNK);
    uint64_t done = 0;
    int r = 0;
    while (done < len) {
        size_t want = len - done < CHUNK ? (size_t)(len - done) : CHUNK;
        ssize_t n = pread(fd, buf, want, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r = hb_error_set(err, EXIT_RUNTIME, "cannot read '%s': %s", path,
                             n < 0 ? strerror(errno) : "unexpected end of file");
            break;
        }
        sha256_update(h, buf, (size_t)n);
        done += (uint64_t)n;
    }
    free(buf);
    return r;
}

static int do_transfer(const char *url, struct transfer *t, struct hb_error *err)
{
    const struct curl_api *cu = curl_api_get(err);
    if (!cu)
        return -1;
    t->cu = cu;
    CURL *curl = cu->easy_init();
    if (!curl)
        return hb_error_set(err, EXIT_RUNTIME, "cannot start a download (libcurl)");
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = NULL;
    const char *token = getenv("HF_TOKEN");
    if (token && *token && strstr(url, "huggingface.co/")) {
        struct strbuf h = STRBUF_INIT;
        strbuf_addf(&h, "Authorization: Bearer %s", token);
        headers = cu->slist_append(headers, h.buf);
        strbuf_release(&h);
    }
    char range[48];
    t->curl = curl;
    cu->easy_setopt(curl, CURLOPT_URL, url);
    cu->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    cu->easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
    cu->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    cu->easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    cu->easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    cu->easy_setopt(curl, CURLOPT_USERAGENT, "halobox/0.1");
    cu->easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    cu->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    /* A stalled connection (no byte for a minute) is an error, resumable. */
    cu->easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    const char *stall = getenv("HALOBOX_PULL_STALL_SECONDS");
    cu->easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, stall && atol(stall) > 0 ? atol(stall) : 60L);
    cu->easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    cu->easy_setopt(curl, CURLOPT_HEADERDATA, t);
    cu->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    cu->easy_setopt(curl, CURLOPT_WRITEDATA, t);
    cu->easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    cu->easy_setopt(curl, CURLOPT_XFERINFODATA, t);
    cu->easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    if (headers)
        cu->easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (t->offset) {
        snprintf(range, sizeof(range), "%llu-", (unsigned long long)t->offset);
        cu->easy_setopt(curl, CURLOPT_RANGE, range);
    }
    t->started = now_seconds();
    CURLcode rc = cu->easy_perform(curl);
    cu->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &t->status);
    int r = 0;
    if (rc == CURLE_WRITE_ERROR && t->write_errno)
        r = hb_error_set(err, EXIT_RUNTIME, "cannot write '%s': %s", t->path,
                         strerror(t->write_errno));
    else if (rc != CURLE_OK)
        r = hb_error_set(err, EXIT_RUNTIME, "download of %s failed: %s%s", url,
                         errbuf[0] ? errbuf : cu->easy_strerror(rc),
                         t->offset + t->received ? " (run the same pull again to resume)" : "");
    cu->slist_free_all(headers);
    cu->easy_cleanup(curl);
    t->curl = NULL;
    return r;
}

/* tmp/pull-<first 16 hex of sha256(url)>.partial: the same URL always maps
 * to the same partial file, which is what lets a later pull resume it. */
static char *partial_path(const struct store *s, const char *url)
{
    struct sha256 *h = sha256_new();
    sha256_update(h, url, strlen(url));
    char hex[SHA256_HEX_LEN + 1];
    sha256_finish(h, hex);
    struct strbuf p = STRBUF_INIT;
    strbuf_addf(&p, "%s/tmp/pull-%.16s.partial", s->root, hex);
    return strbuf_detach(&p);
}

int pull_model(struct store *s, const char *url_in, const struct pull_options *o,
               struct hb_error *err)
{
    char *url = pull_resolve_url(url_in, err);
    if (!url)
        return -1;
    char *file_name = url_file_name(url);
    char *name = o->name ? xstrdup(o->name) : store_default_name(file_name);
    char *partial = partial_path(s, url);
    struct gguf_model m;
    memset(&m, 0, sizeof(m));
    int r = 0, fd = -1;
    if (!store_name_valid(name)) {
        r = hb_error_set(err, EXIT_USAGE, "'%s' is not a valid model name (use --name)", name);
        goto out;
    }
    /* One process at a time per URL: a second one waits on the partial
     * file's lock. When it gets the lock the first may have renamed that
     * file into the store: then it opens the path afresh rather than write
     * into what is now a published blob. */
    for (;;) {
        fd = open(partial, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            r = hb_error_set(err, EXIT_RUNTIME, "cannot create '%s': %s", partial, strerror(errno));
            goto out;
        }
        while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
            ;
        struct stat by_fd, by_path;
        if (fstat(fd, &by_fd) == 0 && stat(partial, &by_path) == 0 &&
            by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino)
            break;
        close(fd);
    }
    struct store_ref ref;
    struct hb_error ignore = HB_ERROR_INIT;
    if (store_ref_load(s, name, &ref, &ignore) == 0) {
        bool same = ref.source && !strcmp(ref.source, url_in) &&
                    (!o->sha256 || !strcasecmp(o->sha256, ref.files[0].sha256));
        store_ref_release(&ref);
        if (same) {
            /* Already pulled (perhaps by the process we waited for): drop
             * the empty partial file this call created. */
            struct stat st;
            if (fstat(fd, &st) == 0 && st.st_size == 0)
                unlink(partial);
            hb_error_release(&ignore);
            goto out;
        }
    }
    hb_error_release(&ignore);

    struct stat st;
    if (fstat(fd, &st) < 0) {
        r = hb_error_set(err, EXIT_RUNTIME, "cannot stat '%s': %s", partial, strerror(errno));
        goto out;
    }
    struct transfer t = {.fd = fd, .path = partial, .progress = o->progress};
    t.offset = (uint64_t)st.st_size;
    t.hash = sha256_new();
    if (t.offset && (r = hash_existing(fd, t.offset, t.hash, partial, err)) < 0) {
        char hex[SHA256_HEX_LEN + 1];
        sha256_finish(t.hash, hex);
        goto out;
    }
    if (lseek(fd, 0, SEEK_END) < 0) {
        r = hb_error_set(err, EXIT_RUNTIME, "cannot seek '%s': %s", partial, strerror(errno));
        char hex[SHA256_HEX_LEN + 1];
        sha256_finish(t.hash, hex);
        goto out;
    }
    if (o->progress && t.offset)
        fprintf(stderr, "resuming %s at %.2f GB\n", file_name, (double)t.offset / 1e9);
    r = do_transfer(url, &t, err);
    if (r < 0 && t.offset && t.received == 0 && t.status == 416) {
        /* The partial is not a prefix the server can continue (it changed,
         * or it was complete): start again from nothing. */
        hb_error_release(err);
        sha256_finish(t.hash, (char[SHA256_HEX_LEN + 1]){0});
        if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
            r = hb_error_set(err, EXIT_RUNTIME, "cannot truncate '%s': %s", partial,
                             strerror(errno));
            goto out;
        }
        t = (struct transfer){.fd = fd, .path = partial, .progress = o->progress};
        t.hash = sha256_new();
        r = do_transfer(url, &t, err);
    }
    if (o->progress && r == 0)
        draw_progress(&t, true);
    char got[SHA256_HEX_LEN + 1];
    sha256_finish(t.hash, got);
    if (r < 0)
        goto out;
    uint64_t size = t.offset + t.received;
    if (t.total && size != t.total) {
        r = hb_error_set(err, EXIT_RUNTIME,
                         "download of %s ended at %llu of %llu bytes (pull again to resume)", url,
                         (unsigned long long)size, (unsigned long long)t.total);
        goto out;
    }
    const char *want = o->sha256 ? o->sha256 : t.linked_etag[0] ? t.linked_etag : NULL;
    if (want && strcasecmp(want, got)) {
        unlink(partial);
        r = hb_error_set(err, EXIT_INPUT, "%s: sha256 is %s, expected %s%s: removed the download",
                         url, got, want, o->sha256 ? "" : " (the server's X-Linked-Etag)");
        goto out;
    }
    if (fdatasync(fd) < 0) {
        r = hb_error_set(err, EXIT_RUNTIME, "cannot write '%s': %s", partial, strerror(errno));
        goto out;
    }
    if (gguf_open_file(&m, partial, err) < 0) {
        unlink(partial);
        hb_error_prefix(err, "%s is not a GGUF model (removed the download)", url);
        r = -1;
        goto out;
    }
    r = store_publish_staged(s, name, partial, file_name, got, url_in, model_summary_json(&m),
                             o->replace, err);
out:
    gguf_close(&m);
    if (fd >= 0)
        close(fd);
    free(partial);
    free(name);
    free(file_name);
    free(url);
    return r;
}
