/* The results store's structs: release, copy, append; status names. */
#include "util/common.h"

#include "bench/results.h"

static const char *const status_names[] = {"pending", "running", "complete", "incomplete",
                                           "failed"};

const char *bench_status_name(enum bench_status s)
{
    return (size_t)s < ARRAY_SIZE(status_names) ? status_names[s] : "incomplete";
}

int bench_status_parse(const char *s, enum bench_status *out)
{
    for (size_t i = 0; i < ARRAY_SIZE(status_names); i++)
        if (!strcmp(s, status_names[i])) {
            *out = (enum bench_status)i;
            return 0;
        }
    return -1;
}

void bench_model_release(struct bench_model *m)
{
    free(m->name);
    free(m->filename);
    free(m->sha256);
    free(m->architecture);
    free(m->type);
    memset(m, 0, sizeof(*m));
}

void bench_model_copy(struct bench_model *dst, const struct bench_model *src)
{
    *dst = *src;
    dst->name = xstrdup_or_null(src->name);
    dst->filename = xstrdup_or_null(src->filename);
    dst->sha256 = xstrdup_or_null(src->sha256);
    dst->architecture = xstrdup_or_null(src->architecture);
    dst->type = xstrdup_or_null(src->type);
}

void bench_image_release(struct bench_image *i)
{
    free(i->recipe);
    free(i->recipe_sha256);
    free(i->digest);
    free(i->engine_version);
    free(i->engine_commit);
    memset(i, 0, sizeof(*i));
}

static void image_copy(struct bench_image *dst, const struct bench_image *src)
{
    dst->recipe = xstrdup_or_null(src->recipe);
    dst->recipe_sha256 = xstrdup_or_null(src->recipe_sha256);
    dst->digest = xstrdup_or_null(src->digest);
    dst->engine_version = xstrdup_or_null(src->engine_version);
    dst->engine_commit = xstrdup_or_null(src->engine_commit);
}

void bench_host_release(struct bench_host *h)
{
    free(h->kernel);
    for (size_t i = 0; i < h->n_params; i++) {
        free(h->params[i].key);
        free(h->params[i].value);
    }
    free(h->params);
    free(h->gpu_family);
    free(h->gpu_name);
    free(h->vulkan_driver);
    free(h->mesa_version);
    free(h->rocm_version);
    free(h->podman_version);
    memset(h, 0, sizeof(*h));
}

void bench_host_copy(struct bench_host *dst, const struct bench_host *src)
{
    *dst = *src;
    dst->kernel = xstrdup_or_null(src->kernel);
    dst->params = src->n_params ? xcalloc(src->n_params, sizeof(*dst->params)) : NULL;
    for (size_t i = 0; i < src->n_params; i++) {
        dst->params[i].key = xstrdup(src->params[i].key);
        dst->params[i].value = xstrdup(src->params[i].value);
    }
    dst->gpu_family = xstrdup_or_null(src->gpu_family);
    dst->gpu_name = xstrdup_or_null(src->gpu_name);
    dst->vulkan_driver = xstrdup_or_null(src->vulkan_driver);
    dst->mesa_version = xstrdup_or_null(src->mesa_version);
    dst->rocm_version = xstrdup_or_null(src->rocm_version);
    dst->podman_version = xstrdup_or_null(src->podman_version);
}

void bench_record_release(struct bench_record *rec)
{
    bench_result_release(&rec->r);
    bench_model_release(&rec->model);
    bench_image_release(&rec->image);
    bench_host_release(&rec->host);
}

void bench_record_copy(struct bench_record *dst, const struct bench_record *src)
{
    bench_result_copy(&dst->r, &src->r);
    bench_model_copy(&dst->model, &src->model);
    image_copy(&dst->image, &src->image);
    bench_host_copy(&dst->host, &src->host);
}

void bench_run_release(struct bench_run *run)
{
    free(run->id);
    free(run->path);
    free(run->created);
    free(run->source);
    free(run->source_file);
    free(run->label);
    bench_model_release(&run->model);
    bench_host_release(&run->host);
    for (size_t i = 0; i < run->n_recipes; i++) {
        free(run->recipes[i].recipe);
        free(run->recipes[i].error);
    }
    free(run->recipes);
    for (size_t i = 0; i < run->n_records; i++)
        bench_record_release(&run->records[i]);
    free(run->records);
    memset(run, 0, sizeof(*run));
}

struct bench_recipe_state *bench_run_add_recipe(struct bench_run *run, const char *recipe)
{
    /* Few recipes per run: grown one at a time. */
    run->recipes = xrealloc(run->recipes, (run->n_recipes + 1) * sizeof(*run->recipes));
    struct bench_recipe_state *rs = &run->recipes[run->n_recipes++];
    memset(rs, 0, sizeof(*rs));
    rs->recipe = xstrdup(recipe);
    return rs;
}

struct bench_record *bench_run_add_record(struct bench_run *run)
{
    run->records =
        xgrow(run->records, run->n_records + 1, &run->alloc_records, sizeof(*run->records));
    struct bench_record *rec = &run->records[run->n_records++];
    memset(rec, 0, sizeof(*rec));
    return rec;
}
