/* halobox bench import-log: llama-bench output from another machine (JSON,
 * JSON Lines or its markdown table) kept as a run. What the log cannot tell
 * (kernel, memory, Mesa, ROCm, the image) stays null. */
#include "util/common.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "bench/compare.h"
#include "cmd_bench.h"
#include "gpu_ids.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/text.h"

/* Logs hold a table of a few dozen lines; JSON a few KiB per test. */
#define LOG_FILE_MAX (64 * 1024 * 1024)

static const char usage_import[] =
    "usage: halobox bench import-log FILE [--label NAME] [--gpu-family FAMILY]\n"
    "                                [--model NAME|FILE]\n"
    "\n"
    "Keep llama-bench output from another machine as a run: -o json, -o jsonl, or\n"
    "the markdown table (-o md, the default), also inside a log that holds the\n"
    "engine's device lines. Older engine builds' fields are accepted (flash_attn\n"
    "as a bool, use_mmap instead of load_mode, no n_depth). The host facts a log\n"
    "cannot tell stay null; the GPU's name, its Vulkan driver and gfx target come\n"
    "from the log's device lines where it has them.\n"
    "\n"
    "  --label NAME         the configuration's name in tables (default: the file's\n"
    "                       name without its extension)\n"
    "  --gpu-family FAMILY  the GPU family (strix-halo, ...) when the log does not\n"
    "                       show a gfx target: it picks the peak bandwidth\n"
    "  --model NAME|FILE    the model that ran (store name or GGUF file): its\n"
    "                       sha256, architecture, type and active weights are kept\n"
    "\n"
    "Prints the new run's id. A log that cannot be read or parsed is an error\n"
    "(exit status 3) and nothing is kept.\n";

static char *base_name(const char *path, bool strip_ext)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *dot = strip_ext ? strrchr(b, '.') : NULL;
    return xstrndup(b, dot && dot > b ? (size_t)(dot - b) : strlen(b));
}

static int model_info(const char *what, struct bench_model *bm, struct hb_error *err)
{
    struct gguf_model m;
    char *sha = NULL;
    if (bench_open_model(what, &m, &sha, err) < 0)
        return -1;
    char *name = base_name(what, strchr(what, '/') != NULL);
    bench_model_from_gguf(bm, &m, name);
    free(name);
    bm->filename = base_name(m.path, false);
    if (!sha) {
        char hex[SHA256_HEX_LEN + 1];
        int fd = open(m.path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && sha256_fd(fd, m.path, hex, err) == 0)
            sha = xstrdup(hex);
        if (fd >= 0)
            close(fd);
    }
    bm->sha256 = sha;
    gguf_close(&m);
    return bm->sha256 ? 0 : hb_error_set(err, EXIT_INPUT, "%s: cannot hash the model", what);
}

static void run_from_results(struct bench_run *run, const struct bench_results *res,
                             const struct bench_options *o)
{
    const struct bench_result *first = &res->v[0];
    struct bench_host *h = &run->host;
    const char *family = o->gpu_family ? o->gpu_family : gpu_family_for_gfx(first->gfx);
    h->gpu_family = xstrdup_or_null(family);
    h->gpu_name = xstrdup_or_null(first->gpu_info);
    h->vulkan_driver = xstrdup_or_null(first->vulkan_driver);
    if (!run->model.sha256) {
        run->model.bytes = first->model_size;
        run->model.parameters = first->model_n_params;
    }
}

static int keep_run(struct bench_run *run, const struct bench_results *res, struct hb_error *err)
{
    struct strbuf dir = STRBUF_INIT;
    struct bench_writer *w = NULL;
    int ret = bench_dir(&dir, err);
    if (ret == 0)
        ret = bench_writer_open(&w, dir.buf, run, err);
    for (size_t i = 0; ret == 0 && i < res->n; i++) {
        struct bench_record rec = {0};
        bench_result_copy(&rec.r, &res->v[i]);
        bench_model_copy(&rec.model, &run->model);
        if (!rec.model.filename)
            rec.model.filename = xstrdup_or_null(res->v[i].model_filename);
        bench_host_copy(&rec.host, &run->host);
        rec.image.engine_commit = xstrdup_or_null(res->v[i].build_commit);
        if (res->v[i].build_number.known) {
            struct strbuf v = STRBUF_INIT;
            strbuf_addf(&v, "b%llu", (unsigned long long)res->v[i].build_number.v);
            rec.image.engine_version = strbuf_detach(&v);
        }
        ret = bench_writer_add(w, &rec, err);
        bench_record_release(&rec);
    }
    if (ret == 0)
        ret = bench_writer_finish(w, err);
    else if (w)
        unlink(run->path); /* nothing half-imported */
    bench_writer_free(w);
    strbuf_release(&dir);
    return ret;
}

int cmd_bench_import_log(int argc, char **argv)
{
    struct bench_options o;
    int rc = bench_parse("import-log", usage_import, BO_LABEL | BO_GPU_FAMILY | BO_MODEL, argc,
                         argv, &o);
    if (rc >= 0)
        return rc;
    if (o.n_args != 1)
        return usage_error("bench import-log", o.n_args ? "one log at a time" : "which log?");
    const char *file = o.args[0];
    if (o.label && !text_is_clean(o.label, strlen(o.label)))
        return usage_error("bench import-log", "--label takes printable text");
    struct hb_error err = HB_ERROR_INIT;
    struct strbuf text = STRBUF_INIT;
    struct bench_results res = {0};
    struct bench_run run = {0};
    if (read_small_file(file, LOG_FILE_MAX, &text) < 0) {
        hb_error_set(&err, EXIT_INPUT, "%s: %s", file,
                     errno == EFBIG ? "too large for a llama-bench log" : strerror(errno));
    } else if (!utf8_valid(text.buf, text.len)) {
        hb_error_set(&err, EXIT_INPUT, "%s: not UTF-8 text, not a llama-bench log", file);
    } else if (llama_bench_parse(text.buf, text.len, file, &res, NULL, &err) == 0 &&
               (!o.model || model_info(o.model, &run.model, &err) == 0)) {
        run.source = xstrdup("import-log");
        run.source_file = base_name(file, false);
        run.label = o.label ? xstrdup(o.label) : base_name(file, true);
        run_from_results(&run, &res, &o);
        if (keep_run(&run, &res, &err) == 0)
            printf("imported %zu results from %s as run %s\n", res.n, file, run.id);
    }
    strbuf_release(&text);
    bench_results_release(&res);
    bench_run_release(&run);
    if (err.msg) {
        rc = report_error(&err);
        hb_error_release(&err);
        return rc;
    }
    return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_RUNTIME;
}
