/* halobox build RECIPE...|--all: builds engine images with podman from the
 * recipes, never through a shell. The build's output streams to stderr; the
 * last line on stdout gives each image's tag and size. */
#include "util/common.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_images_common.h"
#include "podman.h"
#include "util/shell_quote.h"
#include "recipes.h"
#include "util/run.h"

extern char **environ;

struct build_opts {
    bool all;
    bool dry_run;
    bool force;
    const char *base;
    const char *mirror;
};

static char *podman_path(void)
{
    const char *env = getenv("HALOBOX_PODMAN");
    if (env && *env)
        return xstrdup(env);
    return find_in_path("podman");
}

/* The base the build starts FROM: --base; for recipes with a local
 * stand-in (the Debian base `make base` bootstraps), HALOBOX_BASE_IMAGE,
 * then the stand-in when it exists here; else the recipe's image, which
 * podman pulls. */
static const char *resolve_base(const struct recipe *r, const struct build_opts *o,
                                const char *podman, const char **why)
{
    if (o->base) {
        *why = "--base";
        return o->base;
    }
    if (r->base_local) {
        const char *env = getenv("HALOBOX_BASE_IMAGE");
        if (env && *env) {
            *why = "HALOBOX_BASE_IMAGE";
            return env;
        }
        if (podman && podman_image_exists(podman, r->base_local)) {
            *why = "made by 'make base'";
            return r->base_local;
        }
    }
    *why = "the recipe's base";
    return r->base_image;
}

static void created_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        long long v = strtoll(sde, &end, 10);
        if (!*end && v >= 0)
            t = (time_t)v;
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int build_one(const struct recipe *r, const struct build_opts *o, const char *podman,
                     struct hb_error *err)
{
    const char *why = NULL;
    const char *base = resolve_base(r, o, podman, &why);
    const char *mirror = o->mirror;
    if (!mirror) {
        const char *env = getenv("HALOBOX_MIRROR");
        mirror = env && *env ? env : NULL;
    }
    char created[32];
    created_now(created, sizeof(created));
    const char *source = getenv("HALOBOX_IMAGE_SOURCE");
    const char *revision = getenv("HALOBOX_IMAGE_REVISION");
    struct recipe_build_options bo = {
        .podman = podman ? podman : "podman",
        .base = base,
        .mirror = r->upstream ? NULL : mirror,
        .created = created,
        .source = source && *source ? source : NULL,
        .revision = revision && *revision ? revision : NULL,
    };
    struct str_list argv = {0};
    recipe_build_argv(r, &bo, &argv);
    char *tag = recipe_image_tag(r);
    int ret = 0;

    if (o->dry_run) {
        struct strbuf line = STRBUF_INIT;
        for (size_t i = 0; i < argv.n; i++) {
            if (i)
                strbuf_addch(&line, ' ');
            shell_quote(&line, argv.v[i]);
        }
        strbuf_addch(&line, '\n');
        ret = write_stdout(&line, err);
        strbuf_release(&line);
        goto out;
    }
    int done = image_up_to_date(podman, tag, r, o->force, "builds", err);
    if (done != 0) {
        ret = done < 0 ? -1 : 0;
        goto out;
    }
    fprintf(stderr, "halobox: building %s from recipe %s, base %s (%s)\n", tag, r->name, base, why);
    int status = image_run_progress(argv.v, err);
    if (status < 0) {
        ret = -1;
        goto out;
    }
    if (status != 0) {
        ret = hb_error_set(err, EXIT_RUNTIME, "podman build of recipe '%s' failed with status %d",
                           r->name, status);
        goto out;
    }
    ret = image_print_result(podman, tag, "built", err);
out:
    free(tag);
    str_list_release(&argv);
    return ret;
}

int cmd_build(int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},
        {"dry-run", no_argument, NULL, 'n'},
        {"force", no_argument, NULL, 'f'},
        {"base", required_argument, NULL, 'b'},
        {"mirror", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct build_opts o = {0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":anfb:m:h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            o.all = true;
            break;
        case 'n':
            o.dry_run = true;
            break;
        case 'f':
            o.force = true;
            break;
        case 'b':
            if (!*optarg)
                return usage_error("build", "--base needs an image");
            o.base = optarg;
            break;
        case 'm':
            if (!*optarg)
                return usage_error("build", "--mirror needs a URL");
            o.mirror = optarg;
            break;
        default:
            return getopt_rest(c, "build", command_find("build")->usage, argv);
        }
    }
    if (!o.all && optind >= argc)
        return usage_error("build", "name a recipe, or give --all");
    if (o.all && optind < argc)
        return usage_error("build", "--all builds every recipe: name none");

    struct hb_error err = HB_ERROR_INIT;
    struct strbuf dir = STRBUF_INIT;
    struct recipe_set set = {0};
    char *podman = NULL;
    int rc = EXIT_OK;
    if (images_load_recipes(argv + optind, argc - optind, &set, &dir, &err) < 0) {
        rc = report_error(&err);
        goto out;
    }
    podman = podman_path();
    if (!podman && !o.dry_run) {
        hb_error_set(&err, EXIT_RUNTIME,
                     "podman not found in PATH: install podman to build "
                     "images (or see --dry-run)");
        rc = report_error(&err);
        goto out;
    }
    size_t n = o.all ? set.n : (size_t)(argc - optind);
    for (size_t i = 0; i < n; i++) {
        const struct recipe *r = o.all ? &set.v[i] : recipes_find(&set, argv[optind + (int)i]);
        if (build_one(r, &o, podman, &err) < 0) {
            rc = report_error(&err);
            goto out;
        }
    }
out:
    free(podman);
    recipes_release(&set);
    strbuf_release(&dir);
    hb_error_release(&err);
    return rc;
}
