/* The results store's files: where they live, the writer that appends and
 * fsyncs each line, the loader that tolerates a cut short last line, and
 * finding runs by id. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/results.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strbuf.h"

/* A run file holds a few lines per test: far below this. */
#define RUN_FILE_MAX (256 * 1024 * 1024)

int bench_dir(struct strbuf *out, struct hb_error *err)
{
    if (data_dir(out, "HALOBOX_BENCH_DIR", "bench") < 0)
        return hb_error_set(err, EXIT_RUNTIME,
                            "no directory for benchmark results: set HALOBOX_BENCH_DIR or HOME");
    return 0;
}

bool bench_run_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (!n || n > 128 || id[0] == '.' || id[0] == '-')
        return false;
    for (const char *s = id; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return false;
    return true;
}

char *bench_rfc3339(time_t t)
{
    char buf[32];
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return xstrdup(buf);
}

/* Milliseconds, so that runs made within one second still sort in the
 * order they were made (--last N). */
static char *new_run_id(void)
{
    char stamp[32];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
    uint16_t rnd = 0;
    if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
        rnd = (uint16_t)(getpid() ^ ts.tv_nsec);
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "%s.%03ldZ-%04x", stamp, ts.tv_nsec / 1000000, rnd);
    return strbuf_detach(&sb);
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* ---- writer ----------------------------------------------------------------- */

struct bench_writer {
    struct bench_run *run;
    char *dir;
    char *path;
    int fd;
    struct strbuf body; /* every line after the header, for the final rewrite */
};

/* One JSON line, appended and made durable before returning. */
static int append_line(struct bench_writer *w, cJSON *json, struct hb_error *err)
{
    struct strbuf line = STRBUF_INIT;
    json_add_to_strbuf(json, false, &line);
    cJSON_Delete(json);
    int ret = 0;
    if (write_full(w->fd, line.buf, line.len) < 0 || fsync(w->fd) < 0)
        ret = hb_error_set(err, EXIT_RUNTIME, "%s: cannot write: %s", w->path, strerror(errno));
    else
        strbuf_add(&w->body, line.buf, line.len);
    strbuf_release(&line);
    return ret;
}

static int header_text(const struct bench_run *run, struct strbuf *out)
{
    cJSON *h = bench_header_to_json(run);
    json_add_to_strbuf(h, false, out);
    cJSON_Delete(h);
    return 0;
}

int bench_writer_open(struct bench_writer **out, const char *dir, struct bench_run *run,
                      struct hb_error *err)
{
    *out = NULL;
    if (mkdir_p(dir, 0700) < 0)
        return hb_error_set(err, EXIT_RUNTIME, "%s: cannot create: %s", dir, strerror(errno));
    if (run->id && !bench_run_id_valid(run->id))
        return hb_error_set(err, EXIT_RUNTIME, "'%s' is not a valid run id", run->id);
    bool chosen = run->id != NULL;
    struct strbuf path = STRBUF_INIT;
    int fd = -1;
    for (int tries = 0; fd < 0 && tries < 16; tries++) {
        if (!chosen) {
            free(run->id);
            run->id = new_run_id();
        }
        strbuf_reset(&path);
        strbuf_addf(&path, "%s/%s.jsonl", dir, run->id);
        fd = open(path.buf, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0 && (errno != EEXIST || chosen))
            break;
    }
    if (fd < 0) {
        int e = errno;
        hb_error_set(err, EXIT_RUNTIME, "%s: cannot create: %s", path.buf, strerror(e));
        strbuf_release(&path);
        return -1;
    }
    /* Held until the writer closes: readers see the run as running. */
    flock(fd, LOCK_EX);
    if (!run->created)
        run->created = bench_rfc3339(time(NULL));
    run->status = BENCH_STATUS_RUNNING;
    for (size_t i = 0; i < run->n_recipes; i++)
        run->recipes[i].status = BENCH_STATUS_PENDING;
    free(run->path);
    run->path = xstrdup(path.buf);

    struct bench_writer *w = xcalloc(1, sizeof(*w));
    w->run = run;
    w->dir = xstrdup(dir);
    w->path = strbuf_detach(&path);
    w->fd = fd;
    strbuf_init(&w->body);
    struct strbuf head = STRBUF_INIT;
    header_text(run, &head);
    int ret = 0;
    if (write_full(fd, head.buf, head.len) < 0 || fsync(fd) < 0)
        ret = hb_error_set(err, EXIT_RUNTIME, "%s: cannot write: %s", w->path, strerror(errno));
    strbuf_release(&head);
    if (ret < 0) {
        unlink(w->path);
        bench_writer_free(w);
        return -1;
    }
    fsync_dir(dir);
    *out = w;
    return 0;
}

int bench_writer_add(struct bench_writer *w, const struct bench_record *rec, struct hb_error *err)
{
    if (append_line(w, bench_record_to_json(w->run, rec), err) < 0)
        return -1;
    bench_record_copy(bench_run_add_record(w->run), rec);
    return 0;
}

int bench_writer_recipe_done(struct bench_writer *w, const char *recipe, enum bench_status status,
                             const char *error, struct hb_error *err)
{
    struct bench_recipe_state *rs = NULL;
    for (size_t i = 0; i < w->run->n_recipes && !rs; i++)
        if (!strcmp(w->run->recipes[i].recipe, recipe))
            rs = &w->run->recipes[i];
    if (!rs)
        rs = bench_run_add_recipe(w->run, recipe);
    rs->status = status;
    free(rs->error);
    rs->error = xstrdup_or_null(error);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "recipe");
    cJSON_AddStringToObject(o, "recipe", recipe);
    cJSON_AddStringToObject(o, "status", bench_status_name(status));
    if (error)
        cJSON_AddStringToObject(o, "error", error);
    else
        cJSON_AddNullToObject(o, "error");
    return append_line(w, o, err);
}

int bench_writer_finish(struct bench_writer *w, struct hb_error *err)
{
    struct bench_run *run = w->run;
    enum bench_status status = BENCH_STATUS_COMPLETE;
    for (size_t i = 0; i < run->n_recipes; i++) {
        struct bench_recipe_state *rs = &run->recipes[i];
        if (rs->status == BENCH_STATUS_PENDING || rs->status == BENCH_STATUS_RUNNING)
            rs->status = BENCH_STATUS_INCOMPLETE;
        if (rs->status == BENCH_STATUS_FAILED)
            status = BENCH_STATUS_FAILED;
        else if (rs->status == BENCH_STATUS_INCOMPLETE && status == BENCH_STATUS_COMPLETE)
            status = BENCH_STATUS_INCOMPLETE;
    }
    run->status = status;
    struct strbuf text = STRBUF_INIT, tmp = STRBUF_INIT;
    header_text(run, &text);
    strbuf_add(&text, w->body.buf, w->body.len);
    strbuf_addf(&tmp, "%s/.%s.jsonl.tmp", w->dir, run->id);
    int ret = 0;
    int fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write_full(fd, text.buf, text.len) < 0 || fsync(fd) < 0 ||
        rename(tmp.buf, w->path) < 0) {
        ret = hb_error_set(err, EXIT_RUNTIME, "%s: cannot write: %s", w->path, strerror(errno));
        unlink(tmp.buf);
    }
    if (fd >= 0)
        close(fd);
    if (ret == 0)
        fsync_dir(w->dir);
    strbuf_release(&text);
    strbuf_release(&tmp);
    return ret;
}

void bench_log_path(const char *dir, const char *id, struct strbuf *out)
{
    strbuf_reset(out);
    strbuf_addf(out, "%s/%s.log", dir, id);
}

int bench_writer_add_log(struct bench_writer *w, const char *recipe, const char *text, size_t len,
                         struct hb_error *err)
{
    struct strbuf path = STRBUF_INIT, chunk = STRBUF_INIT;
    bench_log_path(w->dir, w->run->id, &path);
    int fd = open(path.buf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    struct stat st;
    int ret = 0;
    if (fd < 0 || fstat(fd, &st) < 0) {
        ret = hb_error_set(err, EXIT_RUNTIME, "%s: cannot write: %s", path.buf, strerror(errno));
    } else if ((uint64_t)st.st_size < BENCH_LOG_MAX) {
        static const char cut[] = "\n[halobox: the log is cut here, at its size limit]\n";
        size_t room = BENCH_LOG_MAX - (size_t)st.st_size;
        strbuf_addf(&chunk, "== recipe %s\n", recipe);
        strbuf_add(&chunk, text, len);
        if (len && text[len - 1] != '\n')
            strbuf_addch(&chunk, '\n');
        if (chunk.len > room) {
            chunk.len = room > sizeof(cut) ? room - (sizeof(cut) - 1) : 0;
            strbuf_addstr(&chunk, chunk.len ? cut : "");
        }
        if (write_full(fd, chunk.buf, chunk.len) < 0 || fsync(fd) < 0)
            ret =
                hb_error_set(err, EXIT_RUNTIME, "%s: cannot write: %s", path.buf, strerror(errno));
    }
    if (fd >= 0)
        close(fd);
    strbuf_release(&path);
    strbuf_release(&chunk);
    return ret;
}

void bench_writer_free(struct bench_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    free(w->dir);
    free(w->path);
    strbuf_release(&w->body);
    free(w);
}

/* ---- loader ----------------------------------------------------------------- */

/* True while a writer holds the run's lock. */
static bool run_is_locked(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool locked = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
    close(fd);
    return locked;
}

static char *id_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 6 && !strcmp(base + n - 6, ".jsonl"))
        n -= 6;
    return xstrndup(base, n);
}

static int apply_recipe_line(struct bench_run *run, const cJSON *o, const char *origin,
                             struct hb_error *err)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "recipe");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(o, "error");
    enum bench_status s;
    if (!cJSON_IsString(name) || !cJSON_IsString(st) || bench_status_parse(st->valuestring, &s) ||
        (error && !cJSON_IsNull(error) && !cJSON_IsString(error)))
        return hb_error_set(err, EXIT_INPUT, "%s: expected a recipe, a status and an error",
                            origin);
    struct bench_recipe_state *rs = NULL;
    for (size_t i = 0; i < run->n_recipes && !rs; i++)
        if (!strcmp(run->recipes[i].recipe, name->valuestring))
            rs = &run->recipes[i];
    if (!rs)
        rs = bench_run_add_recipe(run, name->valuestring);
    rs->status = s;
    free(rs->error);
    rs->error = cJSON_IsString(error) ? xstrdup(error->valuestring) : NULL;
    return 0;
}

static int load_line(struct bench_run *run, const char *s, size_t n, size_t line,
                     const char *origin, bool last_unterminated, struct hb_error *err)
{
    struct strbuf where = STRBUF_INIT;
    strbuf_addf(&where, "%s: line %zu", origin, line);
    cJSON *o = cJSON_ParseWithLength(s, n);
    int ret = 0;
    if (!o && last_unterminated && line > 1) {
        run->truncated = true; /* killed while writing it */
    } else if (!o) {
        ret = hb_error_set(err, EXIT_INPUT, "%s: %s", where.buf,
                           line == 1 && last_unterminated ? "the header is cut short"
                                                          : "not valid JSON");
    } else if (line == 1) {
        ret = bench_header_from_json(run, o, where.buf, err);
    } else {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
        const char *t = cJSON_IsString(type) ? type->valuestring : "";
        if (!strcmp(t, "result")) {
            struct bench_record *rec = bench_run_add_record(run);
            ret = bench_record_from_json(rec, o, where.buf, err);
        } else if (!strcmp(t, "recipe")) {
            ret = apply_recipe_line(run, o, where.buf, err);
        } else if (!cJSON_IsObject(o) || !*t) {
            ret = hb_error_set(err, EXIT_INPUT, "%s: expected an object with a type", where.buf);
        } /* other types: from a newer halobox, ignored */
    }
    cJSON_Delete(o);
    strbuf_release(&where);
    return ret;
}

static void settle_status(struct bench_run *run)
{
    if (run->status == BENCH_STATUS_RUNNING && run_is_locked(run->path))
        return;
    if (run->status == BENCH_STATUS_RUNNING || run->truncated)
        run->status = BENCH_STATUS_INCOMPLETE;
    for (size_t i = 0; i < run->n_recipes; i++)
        if (run->recipes[i].status == BENCH_STATUS_PENDING ||
            run->recipes[i].status == BENCH_STATUS_RUNNING)
            run->recipes[i].status = BENCH_STATUS_INCOMPLETE;
}

int bench_run_load(struct bench_run *run, const char *path, struct hb_error *err)
{
    memset(run, 0, sizeof(*run));
    char *id = id_from_path(path);
    struct strbuf origin = STRBUF_INIT, text = STRBUF_INIT;
    strbuf_addf(&origin, "run %s", id);
    free(id);
    int ret = 0;
    if (read_small_file(path, RUN_FILE_MAX, &text) < 0) {
        ret = hb_error_set(err, EXIT_INPUT, "%s: %s", path,
                           errno == EFBIG ? "too large for a run file" : strerror(errno));
    } else if (!text.len) {
        ret = hb_error_set(err, EXIT_INPUT, "%s: empty file", origin.buf);
    } else if (memchr(text.buf, '\0', text.len)) {
        ret = hb_error_set(err, EXIT_INPUT, "%s: binary data, not a run", origin.buf);
    }
    run->path = xstrdup(path);
    size_t line = 0;
    for (const char *p = text.buf, *stop = text.buf + text.len; ret == 0 && p < stop;) {
        const char *nl = memchr(p, '\n', (size_t)(stop - p));
        const char *eol = nl ? nl : stop;
        line++;
        if (eol > p || line == 1)
            ret = load_line(run, p, (size_t)(eol - p), line, origin.buf, !nl, err);
        p = eol + (nl ? 1 : 0);
    }
    if (ret == 0)
        settle_status(run);
    else
        bench_run_release(run);
    strbuf_release(&origin);
    strbuf_release(&text);
    return ret;
}

/* ---- finding runs --------------------------------------------------------- */

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The run files in dir (names without ".jsonl"), sorted; a missing dir has
 * none. */
static int list_ids(const char *dir, char ***out, size_t *n, struct hb_error *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        return hb_error_set(err, EXIT_RUNTIME, "%s: %s", dir, strerror(errno));
    }
    size_t alloc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len <= 6 || strcmp(e->d_name + len - 6, ".jsonl"))
            continue;
        *out = xgrow(*out, *n + 1, &alloc, sizeof(**out));
        (*out)[(*n)++] = xstrndup(e->d_name, len - 6);
    }
    closedir(d);
    if (*n)
        qsort(*out, *n, sizeof(**out), compare_names);
    return 0;
}

static void free_ids(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

int bench_run_resolve(const char *dir, const char *name, struct strbuf *path, struct hb_error *err)
{
    strbuf_reset(path);
    size_t len = strlen(name);
    if (strchr(name, '/') || (len > 6 && !strcmp(name + len - 6, ".jsonl"))) {
        if (access(name, R_OK) < 0)
            return hb_error_set(err, EXIT_INPUT, "%s: %s", name, strerror(errno));
        strbuf_addstr(path, name);
        return 0;
    }
    if (!len)
        return hb_error_set(err, EXIT_INPUT, "an empty run name");
    char **ids;
    size_t n;
    if (list_ids(dir, &ids, &n, err) < 0)
        return -1;
    size_t found = 0, match = 0;
    struct strbuf names = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(ids[i], name)) {
            found = 1;
            match = i;
            break;
        }
        if (!strncmp(ids[i], name, len)) {
            strbuf_addf(&names, "%s%s", found ? ", " : "", ids[i]);
            found++;
            match = i;
        }
    }
    int ret = 0;
    if (found == 1)
        strbuf_addf(path, "%s/%s.jsonl", dir, ids[match]);
    else if (found > 1)
        ret = hb_error_set(err, EXIT_INPUT, "run '%s' is ambiguous: %s", name, names.buf);
    else
        ret =
            hb_error_set(err, EXIT_INPUT, "no run '%s' in %s (see 'halobox bench ls')", name, dir);
    strbuf_release(&names);
    free_ids(ids, n);
    return ret;
}

int bench_runs_load(const char *dir, struct bench_runs *out, struct strbuf *warnings,
                    struct hb_error *err)
{
    memset(out, 0, sizeof(*out));
    char **ids;
    size_t n;
    if (list_ids(dir, &ids, &n, err) < 0)
        return -1;
    out->v = n ? xcalloc(n, sizeof(*out->v)) : NULL;
    struct strbuf path = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        struct hb_error e = HB_ERROR_INIT;
        strbuf_reset(&path);
        strbuf_addf(&path, "%s/%s.jsonl", dir, ids[i]);
        if (bench_run_load(&out->v[out->n], path.buf, &e) == 0)
            out->n++;
        else if (warnings)
            strbuf_addf(warnings, "%s\n", e.msg);
        hb_error_release(&e);
    }
    strbuf_release(&path);
    free_ids(ids, n);
    return 0;
}

void bench_runs_release(struct bench_runs *runs)
{
    for (size_t i = 0; i < runs->n; i++)
        bench_run_release(&runs->v[i]);
    free(runs->v);
    memset(runs, 0, sizeof(*runs));
}
