/* halobox images pull RECIPE...|--all: takes the engine images the images
 * workflow builds and pushes (REPO:RECIPE-ENGINEVERSION) instead of
 * building them here, which for a source-built ROCm image means hours.
 * What arrives is checked against the recipe here (its labels name the
 * recipe, backend and engine version) before it is tagged as `halobox
 * build` would tag it, so run and serve find it; the registry's own name
 * is then dropped. An image that claims another recipe is removed again. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <getopt.h>

#include "cmd.h"
#include "cmd_images_common.h"
#include "podman.h"
#include "recipes.h"
#include "util/shell_quote.h"

/* Set by packagers (make REGISTRY=ghcr.io/OWNER/halobox); empty: none. */
#ifndef HALOBOX_REGISTRY_DEFAULT
#define HALOBOX_REGISTRY_DEFAULT ""
#endif

const char cmd_images_pull_usage[] =
    "usage: halobox images pull RECIPE...|--all [--from REPO] [--force] [--dry-run]\n"
    "\n"
    "Take the engine image of a recipe from a registry instead of building it here\n"
    "(a source-built ROCm image takes hours to build). The images workflow pushes\n"
    "each recipe's image as REPO:RECIPE-ENGINEVERSION; it is pulled with podman\n"
    "(progress on stderr), its labels checked (recipe, backend, engine version:\n"
    "an image that claims another is removed again, exit 3), then tagged\n"
    "localhost/halobox/RECIPE:ENGINEVERSION as 'halobox build' tags it, so run and\n"
    "serve find it. stdout gets one line per image: 'pulled TAG SIZE' (or\n"
    "'up-to-date TAG SIZE'). An image built from another revision of the recipe is\n"
    "kept with a note; 'halobox images' lists it as stale.\n"
    "\n"
    "  --all           every recipe's image\n"
    "  --from REPO     the repository, e.g. ghcr.io/OWNER/halobox (else\n"
    "                  HALOBOX_REGISTRY, else the one this build was made with)\n"
    "  --force         pull even when the local image has this recipe's sha256\n"
    "  --dry-run       print the podman commands, shell-quoted, and start nothing\n"
    "\n"
    "podman's own configuration applies: registries.conf (mirrors, an insecure\n"
    "local registry), policy.json (signatures), auth.json (podman login).\n"
    "Exit status: 0 pulled or up to date, 2 usage or no registry given, 3 no such\n"
    "recipe or not the recipe's image, 4 podman failed (unreachable registry, no\n"
    "such tag).\n";

struct pull_opts {
    bool all;
    bool dry_run;
    bool force;
    const char *from;
};

/* A repository without a tag or digest: "ghcr.io/owner/halobox",
 * "127.0.0.1:5000/halobox". Lower case, as image references must be. */
static bool repo_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 200 || s[0] == '/' || s[n - 1] == '/' || strstr(s, "//"))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
              strchr("._-/:", s[i])))
            return false;
    const char *last = strrchr(s, '/');
    return last && !strchr(last, ':'); /* a registry host, and no tag */
}

static const char *registry_of(const struct pull_opts *o)
{
    if (o->from)
        return o->from;
    const char *env = getenv("HALOBOX_REGISTRY");
    if (env && *env)
        return env;
    return *HALOBOX_REGISTRY_DEFAULT ? HALOBOX_REGISTRY_DEFAULT : NULL;
}

/* "PODMAN ARGS...", shell-quoted, as --dry-run shows it. */
static void print_command(struct strbuf *sb, const char *podman, const char *const args[])
{
    shell_quote(sb, podman);
    for (size_t i = 0; args[i]; i++) {
        strbuf_addch(sb, ' ');
        shell_quote(sb, args[i]);
    }
    strbuf_addch(sb, '\n');
}

/* The image's labels, read once; NULL when podman cannot say. */
static cJSON *labels_of(const char *podman, const char *image)
{
    char *text = podman_image_inspect(podman, image, "{{json .Labels}}");
    cJSON *labels = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (labels && !cJSON_IsObject(labels)) {
        cJSON_Delete(labels);
        labels = NULL;
    }
    return labels;
}

/* The labels `halobox build` sets must say this recipe, backend and engine
 * version; says which one does not. */
static bool labels_match(const cJSON *labels, const struct recipe *r, struct strbuf *why)
{
    static const char *const names[] = {"halobox.recipe", "halobox.backend",
                                        "halobox.engine.version"};
    const char *want[] = {r->name, r->backend, r->engine_version};
    bool ok = true;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        const char *have = image_label(labels, names[i]);
        if (!have || strcmp(have, want[i])) {
            strbuf_addf(why, "%s%s is '%s', not '%s'", ok ? "" : ", ", names[i],
                        have ? have : "(none)", want[i]);
            ok = false;
        }
    }
    return ok;
}

static int pull_one(const struct recipe *r, const struct pull_opts *o, const char *podman,
                    const char *repo, struct hb_error *err)
{
    struct strbuf ref = STRBUF_INIT;
    strbuf_addf(&ref, "%s:%s-%s", repo, r->name, r->engine_version);
    char *tag = recipe_image_tag(r);
    const char *pull_args[] = {"pull", ref.buf, NULL};
    const char *tag_args[] = {"tag", ref.buf, tag, NULL};
    const char *untag_args[] = {"untag", ref.buf, ref.buf, NULL};
    cJSON *labels = NULL;
    int ret = 0;

    if (o->dry_run) {
        struct strbuf sb = STRBUF_INIT;
        print_command(&sb, podman, pull_args);
        print_command(&sb, podman, tag_args);
        print_command(&sb, podman, untag_args);
        ret = write_stdout(&sb, err);
        strbuf_release(&sb);
        goto out;
    }
    int done = image_up_to_date(podman, tag, r, o->force, "pulls", err);
    if (done != 0) {
        ret = done < 0 ? -1 : 0;
        goto out;
    }
    fprintf(stderr, "halobox: pulling %s for recipe %s\n", ref.buf, r->name);
    const char *pull[] = {podman, "pull", ref.buf, NULL};
    int status = image_run_progress((char *const *)pull, err);
    if (status < 0) {
        ret = -1;
        goto out;
    }
    if (status != 0) {
        ret = hb_error_set(err, EXIT_RUNTIME,
                           "podman pull %s failed with status %d (podman's message is above; "
                           "'halobox build %s' builds the image here instead)",
                           ref.buf, status, r->name);
        goto out;
    }
    labels = labels_of(podman, ref.buf);
    struct strbuf why = STRBUF_INIT;
    if (!labels_match(labels, r, &why)) {
        const char *rmi[] = {"rmi", ref.buf, NULL};
        podman_capture(podman, rmi, 60000, NULL, NULL, NULL);
        ret = hb_error_set(err, EXIT_INPUT, "%s is not the image of recipe %s: %s; removed it",
                           ref.buf, r->name, why.buf);
        strbuf_release(&why);
        goto out;
    }
    strbuf_release(&why);
    struct strbuf perr = STRBUF_INIT;
    if (podman_capture(podman, tag_args, 60000, NULL, &perr, err) != 0) {
        strbuf_rtrim(&perr);
        ret = err->msg ? -1
                       : hb_error_set(err, EXIT_RUNTIME, "podman tag %s %s failed: %s", ref.buf,
                                      tag, perr.len ? perr.buf : "no message");
        strbuf_release(&perr);
        goto out;
    }
    strbuf_release(&perr);
    /* The image is now known by its halobox name only; a failure here
     * leaves a second name, nothing worse. */
    podman_capture(podman, untag_args, 60000, NULL, NULL, NULL);
    const char *sha = image_label(labels, "halobox.recipe.sha256");
    if (!sha || strcmp(sha, r->sha256))
        fprintf(stderr,
                "halobox: note: %s was built from another revision of recipe %s than the one "
                "here, so 'halobox images' lists it as stale; 'halobox build %s' builds this "
                "one\n",
                tag, r->name, r->name);
    ret = image_print_result(podman, tag, "pulled", err);
out:
    cJSON_Delete(labels);
    free(tag);
    strbuf_release(&ref);
    return ret;
}

int cmd_images_pull(int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},   {"dry-run", no_argument, NULL, 'n'},
        {"force", no_argument, NULL, 'f'}, {"from", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},  {0},
    };
    struct pull_opts o = {0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":anfh", opts, NULL)) != -1) {
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
        case 'F':
            o.from = optarg;
            break;
        default:
            return getopt_rest(c, "images pull", cmd_images_pull_usage, argv);
        }
    }
    if (!o.all && optind >= argc)
        return usage_error("images pull", "name a recipe, or give --all");
    if (o.all && optind < argc)
        return usage_error("images pull", "--all pulls every recipe's image: name none");
    const char *repo = registry_of(&o);
    if (!repo)
        return usage_error("images pull",
                           "no registry: give --from REPO or set HALOBOX_REGISTRY (the images "
                           "workflow pushes to ghcr.io/OWNER/halobox)");
    if (!repo_ok(repo))
        return usage_error("images pull",
                           "'%s' is not a repository like ghcr.io/owner/halobox (lower case, a "
                           "registry host, no tag)",
                           repo);

    struct hb_error err = HB_ERROR_INIT;
    struct strbuf dir = STRBUF_INIT;
    struct recipe_set set = {0};
    char *podman = NULL;
    int rc = EXIT_OK;
    if (images_load_recipes(argv + optind, argc - optind, &set, &dir, &err) < 0) {
        rc = report_error(&err);
        goto out;
    }
    podman = podman_find();
    if (!podman && !o.dry_run) {
        hb_error_set(&err, EXIT_RUNTIME, "podman not found: install podman (or see --dry-run)");
        rc = report_error(&err);
        goto out;
    }
    size_t n = o.all ? set.n : (size_t)(argc - optind);
    for (size_t i = 0; i < n; i++) {
        const struct recipe *r = o.all ? &set.v[i] : recipes_find(&set, argv[optind + (int)i]);
        if (pull_one(r, &o, podman ? podman : "podman", repo, &err) < 0) {
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
