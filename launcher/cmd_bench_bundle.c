/* halobox bench export and bench import: runs, their engine logs and the
 * host facts in one bundle (bench/bundle.h) that a user can send, and taking
 * one in: verified in full first, then moved into the results store all or
 * nothing. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/bundle.h"
#include "cmd_bench.h"
#include "recipes.h"
#include "util/fs.h"
#include "util/signals_hold.h"
#include "util/json.h"

const char cmd_bench_export_usage[] =
    "usage: halobox bench export RUN...|--last N -o FILE.tar.gz [--facts FILE]\n"
    "\n"
    "Put runs in one gzip-compressed tar bundle to send to someone: each run's file\n"
    "as the results store keeps it, llama-bench's log of the run where it was kept,\n"
    "and the host facts (halobox inspect --json), with a manifest of every member's\n"
    "size and sha256 (schema halobox.bundle/1). The bundle's top directory is the\n"
    "name of FILE without .tar.gz. 'halobox bench import FILE' takes it in.\n"
    "\n"
    "  -o, --output FILE  the bundle to write (NAME.tar.gz or NAME.tgz); replaced\n"
    "                     whole, never left half written\n"
    "  --last N           the N newest runs instead of naming them\n"
    "  --facts FILE       host facts from a file instead of this host's\n"
    "\n"
    "The facts say what this host is (kernel, GPU, drivers, memory, user groups):\n"
    "look at them before sending (tar -xOzf FILE NAME/facts.json).\n";

const char cmd_bench_import_usage[] =
    "usage: halobox bench import FILE.tar.gz\n"
    "\n"
    "Take in the runs of a bundle made by 'halobox bench export'. Everything is\n"
    "checked before anything is written: a gzip-compressed tar with a manifest,\n"
    "every member listed there with its size and sha256, regular files at the\n"
    "bundle's own paths only (no '..', absolute paths or links), within the size\n"
    "caps, every run file readable. A run whose id is already in the store is\n"
    "refused, naming it; nothing of the bundle is imported then. Each run lands as\n"
    "ID.jsonl with its log (ID.log) and the exporting host's facts (ID.facts.json).\n"
    "\n"
    "Exit status: 0 imported, 2 usage, 3 a malformed bundle or a run already\n"
    "imported, 4 any other failure.\n";

/* ---- export ------------------------------------------------------------------ */

/* The bundle's name from -o: the base name less .tar.gz or .tgz. */
static char *bundle_name_from_output(const char *out)
{
    const char *base = strrchr(out, '/');
    base = base ? base + 1 : out;
    size_t n = strlen(base);
    if (n > 7 && !strcmp(base + n - 7, ".tar.gz"))
        n -= 7;
    else if (n > 4 && !strcmp(base + n - 4, ".tgz"))
        n -= 4;
    else
        return NULL;
    char *name = xstrndup(base, n);
    if (!bundle_name_valid(name)) {
        free(name);
        return NULL;
    }
    return name;
}

/* A run's file and, beside it, its log: into the bundle as runs/ID.jsonl and
 * logs/ID.log. */
static int add_run(struct bundle *b, const char *path, struct hb_error *err)
{
    struct bench_run run;
    if (bench_run_load(&run, path, err) < 0)
        return -1;
    int ret = 0;
    struct strbuf text = STRBUF_INIT, member = STRBUF_INIT, log = STRBUF_INIT;
    if (run.status == BENCH_STATUS_RUNNING)
        ret = hb_error_set(err, EXIT_INPUT, "run %s is still running: export it when it ends",
                           run.id);
    strbuf_addf(&member, "runs/%s.jsonl", run.id);
    if (ret == 0 && bundle_find_member(b, member.buf))
        ret = hb_error_set(err, EXIT_USAGE, "run %s is named twice", run.id);
    if (ret == 0 && read_small_file(path, BUNDLE_MEMBER_MAX, &text) < 0)
        ret = hb_error_set(err, EXIT_INPUT, "%s: %s", path,
                           errno == EFBIG ? "too large for a bundle" : strerror(errno));
    if (ret == 0)
        bundle_add_member(b, member.buf, text.buf, text.len);
    /* The log sits beside the run file, named after it. */
    size_t len = strlen(path);
    strbuf_add(&log, path, len > 6 && !strcmp(path + len - 6, ".jsonl") ? len - 6 : len);
    strbuf_addstr(&log, ".log");
    if (ret == 0 && read_small_file(log.buf, BUNDLE_MEMBER_MAX, &text) == 0) {
        strbuf_reset(&member);
        strbuf_addf(&member, "logs/%s.log", run.id);
        bundle_add_member(b, member.buf, text.buf, text.len);
    } else if (ret == 0 && errno != ENOENT) {
        ret = hb_error_set(err, EXIT_INPUT, "%s: %s", log.buf,
                           errno == EFBIG ? "too large for a bundle" : strerror(errno));
    }
    strbuf_release(&text);
    strbuf_release(&member);
    strbuf_release(&log);
    bench_run_release(&run);
    return ret;
}

/* The runs named, or the newest N: the selection compare and report make. */
static int add_runs(struct bundle *b, const struct bench_options *o, struct hb_error *err)
{
    struct bench_runs runs;
    int ret = bench_load_selected(o, &runs, err);
    for (size_t i = 0; ret == 0 && i < runs.n; i++)
        ret = add_run(b, runs.v[i].path, err);
    bench_runs_release(&runs);
    return ret;
}

static int add_facts(struct bundle *b, const char *facts_path, struct hb_error *err)
{
    struct facts f;
    facts_init(&f);
    int ret = facts_acquire(facts_path, false, &f, err);
    if (ret == 0) {
        cJSON *json = facts_to_json(&f);
        struct strbuf sb = STRBUF_INIT;
        json_add_to_strbuf(json, true, &sb);
        bundle_add_member(b, BUNDLE_FACTS, sb.buf, sb.len);
        strbuf_release(&sb);
        cJSON_Delete(json);
    }
    facts_release(&f);
    return ret;
}

/* Written beside out and renamed over it: a reader never sees half a
 * bundle, and a failure leaves nothing. */
static int write_bundle(const struct bundle *b, const char *out, time_t mtime, struct hb_error *err)
{
    struct strbuf tmp = STRBUF_INIT;
    strbuf_addf(&tmp, "%s.tmp-XXXXXX", out);
    /* The bundle is in memory and small: Ctrl-C waits until the file is
     * renamed or removed, so no temporary file is left behind. */
    sigset_t saved;
    signals_hold(&saved);
    int fd = mkstemp(tmp.buf);
    if (fd < 0) {
        int e = errno;
        signals_release(&saved);
        strbuf_release(&tmp);
        return hb_error_set(err, EXIT_RUNTIME, "%s: cannot create: %s", out, strerror(e));
    }
    int ret = bundle_write(b, fd, mtime, out, err);
    if (ret == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
        ret = hb_error_set(err, EXIT_RUNTIME, "%s: cannot write: %s", out, strerror(errno));
    if (close(fd) < 0 && ret == 0)
        ret = hb_error_set(err, EXIT_RUNTIME, "%s: cannot write: %s", out, strerror(errno));
    if (ret == 0 && rename(tmp.buf, out) < 0)
        ret = hb_error_set(err, EXIT_RUNTIME, "%s: cannot write: %s", out, strerror(errno));
    if (ret < 0)
        unlink(tmp.buf);
    signals_release(&saved);
    strbuf_release(&tmp);
    return ret;
}

int cmd_bench_export(int argc, char **argv)
{
    struct bench_options o;
    int rc = bench_parse("export", cmd_bench_export_usage, BO_LAST | BO_OUTPUT | BO_FACTS, argc,
                         argv, &o);
    if (rc >= 0)
        return rc;
    if ((rc = bench_selection_usage("bench export", &o)) >= 0)
        return rc;
    if (!o.output)
        return usage_error("bench export", "where to? -o FILE.tar.gz");
    char *name = bundle_name_from_output(o.output);
    if (!name)
        return usage_error("bench export",
                           "-o takes NAME.tar.gz or NAME.tgz, NAME of letters, digits, '.', '_' "
                           "and '-', not '%s'",
                           o.output);
    struct hb_error err = HB_ERROR_INIT;
    time_t now = time(NULL);
    struct bundle b = {
        .name = name, .halobox_version = xstrdup(halobox_version), .created = bench_rfc3339(now)};
    struct strbuf out = STRBUF_INIT;
    if (add_runs(&b, &o, &err) == 0 && add_facts(&b, o.facts, &err) == 0 &&
        write_bundle(&b, o.output, now, &err) == 0) {
        size_t runs = 0, logs = 0;
        for (size_t i = 0; i < b.n_members; i++) {
            runs += b.members[i].kind == BUNDLE_KIND_RUN;
            logs += b.members[i].kind == BUNDLE_KIND_LOG;
        }
        strbuf_addf(&out, "exported %zu run%s (%zu with an engine log) and the host facts to %s\n",
                    runs, runs == 1 ? "" : "s", logs, o.output);
        write_stdout(&out, &err);
    }
    rc = err.msg ? report_error(&err) : EXIT_OK;
    hb_error_release(&err);
    strbuf_release(&out);
    bundle_release(&b);
    return rc;
}

/* ---- import ------------------------------------------------------------------- */

/* What a run of the bundle becomes in the store, in the order the files are
 * moved: the run file last, so that a run appears whole or not at all. */
static const char *const store_suffixes[] = {".log", ".facts.json", ".jsonl"};

struct import {
    const char *origin; /* the bundle's file */
    const char *dir;    /* the results store */
    struct strbuf tmp;  /* DIR/.import-XXXXXX */
    struct bundle b;
    const struct bundle_member *facts;
};

static const struct bundle_member *run_member(const struct import *im, enum bundle_kind kind,
                                              const char *id)
{
    for (size_t k = 0; k < im->b.n_members; k++)
        if (im->b.members[k].kind == kind && !strcmp(im->b.members[k].run_id, id))
            return &im->b.members[k];
    return NULL;
}

/* A run's file of the given suffix in dir. */
static void store_path(struct strbuf *sb, const char *dir, const char *id, const char *suffix)
{
    strbuf_reset(sb);
    strbuf_addf(sb, "%s/%s%s", dir, id, suffix);
}

/* Runs already in the store: refused, all named, before anything is
 * written. */
static int check_duplicates(const struct import *im, struct hb_error *err)
{
    struct strbuf dups = STRBUF_INIT, path = STRBUF_INIT;
    size_t n = 0;
    for (size_t i = 0; i < im->b.n_members; i++) {
        const struct bundle_member *m = &im->b.members[i];
        if (m->kind != BUNDLE_KIND_RUN)
            continue;
        for (size_t s = 0; s < ARRAY_SIZE(store_suffixes); s++) {
            store_path(&path, im->dir, m->run_id, store_suffixes[s]);
            if (access(path.buf, F_OK) == 0 || errno != ENOENT) {
                strbuf_addf(&dups, "%s%s", n++ ? ", " : "", m->run_id);
                break;
            }
        }
    }
    int ret = 0;
    if (n)
        ret = hb_error_set(err, EXIT_INPUT, "%s: run%s %s already in %s: nothing imported",
                           im->origin, n == 1 ? "" : "s", dups.buf, im->dir);
    strbuf_release(&dups);
    strbuf_release(&path);
    return ret;
}

static int write_new_file(const char *path, const struct strbuf *data, struct hb_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 || write_full(fd, data->buf, data->len) < 0 || fsync(fd) < 0) {
        hb_error_set(err, EXIT_RUNTIME, "%s: cannot write: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return close(fd) < 0
               ? hb_error_set(err, EXIT_RUNTIME, "%s: cannot write: %s", path, strerror(errno))
               : 0;
}

/* Every run's files into the temporary directory, then each run file read
 * back as the store reads it: a bundle whose sums match but whose run does
 * not load is refused too. */
static int stage(struct import *im, struct hb_error *err)
{
    struct strbuf path = STRBUF_INIT;
    int ret = 0;
    for (size_t i = 0; ret == 0 && i < im->b.n_members; i++) {
        const struct bundle_member *m = &im->b.members[i];
        if (m->kind != BUNDLE_KIND_RUN)
            continue;
        const struct bundle_member *log = run_member(im, BUNDLE_KIND_LOG, m->run_id);
        store_path(&path, im->tmp.buf, m->run_id, ".jsonl");
        ret = write_new_file(path.buf, &m->data, err);
        struct bench_run run;
        if (ret == 0 && bench_run_load(&run, path.buf, err) < 0) {
            hb_error_prefix(err, "%s", im->origin);
            err->exit_code = EXIT_INPUT;
            ret = -1;
        } else if (ret == 0) {
            if (strcmp(run.id, m->run_id))
                ret = hb_error_set(err, EXIT_INPUT, "%s: member '%s' holds run '%s'", im->origin,
                                   m->path, run.id);
            bench_run_release(&run);
        }
        store_path(&path, im->tmp.buf, m->run_id, ".facts.json");
        if (ret == 0)
            ret = write_new_file(path.buf, &im->facts->data, err);
        store_path(&path, im->tmp.buf, m->run_id, ".log");
        if (ret == 0 && log)
            ret = write_new_file(path.buf, &log->data, err);
    }
    strbuf_release(&path);
    return ret;
}

/* rename() that never replaces: a run that appeared since the check (another
 * import) is not overwritten. link()+unlink() where the file system has no
 * RENAME_NOREPLACE. */
static int move_noreplace(const char *from, const char *to)
{
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (link(from, to) < 0)
        return -1;
    unlink(from);
    return 0;
}

/* Moves every staged file into the store; on a failure, takes back what it
 * moved, so the store is as before. */
static int commit(struct import *im, struct hb_error *err)
{
    struct strbuf from = STRBUF_INIT, to = STRBUF_INIT;
    struct str_list moved = {0};
    int ret = 0;
    for (size_t i = 0; ret == 0 && i < im->b.n_members; i++) {
        const struct bundle_member *m = &im->b.members[i];
        if (m->kind != BUNDLE_KIND_RUN)
            continue;
        for (size_t s = 0; ret == 0 && s < ARRAY_SIZE(store_suffixes); s++) {
            store_path(&from, im->tmp.buf, m->run_id, store_suffixes[s]);
            store_path(&to, im->dir, m->run_id, store_suffixes[s]);
            if (access(from.buf, F_OK) < 0)
                continue; /* no log */
            if (move_noreplace(from.buf, to.buf) == 0)
                str_list_add(&moved, to.buf);
            else if (errno == EEXIST)
                ret = hb_error_set(err, EXIT_INPUT, "%s: run %s already in %s: nothing imported",
                                   im->origin, m->run_id, im->dir);
            else
                ret = hb_error_set(err, EXIT_RUNTIME, "%s: cannot move into the store: %s", to.buf,
                                   strerror(errno));
        }
    }
    if (ret < 0)
        for (size_t i = 0; i < moved.n; i++)
            unlink(moved.v[i]);
    int dfd = open(im->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    str_list_release(&moved);
    strbuf_release(&from);
    strbuf_release(&to);
    return ret;
}

/* Whatever is left in the temporary directory (everything, after a
 * failure), and the directory. */
static void remove_staging(struct import *im)
{
    struct strbuf path = STRBUF_INIT;
    for (size_t i = 0; i < im->b.n_members; i++)
        for (size_t s = 0;
             im->b.members[i].kind == BUNDLE_KIND_RUN && s < ARRAY_SIZE(store_suffixes); s++) {
            store_path(&path, im->tmp.buf, im->b.members[i].run_id, store_suffixes[s]);
            unlink(path.buf);
        }
    rmdir(im->tmp.buf);
    strbuf_release(&path);
}

static int check_facts(const struct import *im, struct hb_error *err)
{
    cJSON *root = cJSON_ParseWithLength(im->facts->data.buf, im->facts->data.len);
    struct facts f;
    facts_init(&f);
    int ret = 0;
    if (!root)
        ret = hb_error_set(err, EXIT_INPUT, "%s: %s/facts.json is not valid JSON", im->origin,
                           im->b.name);
    else if (facts_from_json(&f, root, "facts.json", err) < 0) {
        hb_error_prefix(err, "%s: %s", im->origin, im->b.name);
        err->exit_code = EXIT_INPUT;
        ret = -1;
    }
    facts_release(&f);
    cJSON_Delete(root);
    return ret;
}

int cmd_bench_import(int argc, char **argv)
{
    struct bench_options o;
    int rc = bench_parse("import", cmd_bench_import_usage, 0, argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (o.n_args != 1)
        return usage_error("bench import", o.n_args ? "one bundle at a time" : "which bundle?");
    struct hb_error err = HB_ERROR_INIT;
    struct import im = {.origin = o.args[0], .tmp = STRBUF_INIT};
    struct strbuf data = STRBUF_INIT, dir = STRBUF_INIT, out = STRBUF_INIT;
    bool staged = false, made_dir = false, holding = false;
    sigset_t held;
    if (read_small_file(im.origin, BUNDLE_FILE_MAX, &data) < 0) {
        hb_error_set(&err, EXIT_INPUT, "%s: %s", im.origin,
                     errno == EFBIG ? "too large for a bundle" : strerror(errno));
        goto out;
    }
    if (bundle_read(&im.b, data.buf, data.len, im.origin, &err) < 0)
        goto out;
    strbuf_release(&data);
    im.facts = bundle_find_member(&im.b, BUNDLE_FACTS);
    if (check_facts(&im, &err) < 0 || bench_dir(&dir, &err) < 0)
        goto out;
    im.dir = dir.buf;
    if (check_duplicates(&im, &err) < 0)
        goto out;
    /* A store this import creates goes again when the import fails. */
    made_dir = access(im.dir, F_OK) < 0 && errno == ENOENT;
    if (mkdir_p(im.dir, 0700) < 0) {
        hb_error_set(&err, EXIT_RUNTIME, "%s: cannot create: %s", im.dir, strerror(errno));
        goto out;
    }
    strbuf_addf(&im.tmp, "%s/.import-XXXXXX", im.dir);
    /* From the staging folder to its removal the import either moves every
     * run in or takes them all back; a Ctrl-C is delivered after that. The
     * files are in memory already, so this is quick. */
    signals_hold(&held);
    holding = true;
    if (!mkdtemp(im.tmp.buf)) {
        hb_error_set(&err, EXIT_RUNTIME, "%s: cannot create: %s", im.tmp.buf, strerror(errno));
        goto out;
    }
    staged = true;
    if (stage(&im, &err) < 0 || commit(&im, &err) < 0)
        goto out;
    size_t n = 0;
    struct strbuf ids = STRBUF_INIT;
    for (size_t i = 0; i < im.b.n_members; i++)
        if (im.b.members[i].kind == BUNDLE_KIND_RUN)
            strbuf_addf(&ids, "%s%s", n++ ? ", " : "", im.b.members[i].run_id);
    strbuf_addf(&out, "imported %zu run%s from %s: %s\n", n, n == 1 ? "" : "s", im.origin, ids.buf);
    strbuf_release(&ids);
    write_stdout(&out, &err);
out:
    if (staged)
        remove_staging(&im);
    if (made_dir && err.msg)
        rmdir(im.dir);
    if (holding)
        signals_release(&held);
    rc = err.msg ? report_error(&err) : EXIT_OK;
    hb_error_release(&err);
    bundle_release(&im.b);
    strbuf_release(&im.tmp);
    strbuf_release(&data);
    strbuf_release(&dir);
    strbuf_release(&out);
    return rc;
}
