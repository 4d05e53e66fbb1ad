/* The podman build argv for a recipe: build arguments, labels and tag. */
#include "util/common.h"

#include "recipes.h"

static void add_words(struct strbuf *sb, const struct str_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        strbuf_addf(sb, "%s%s", i ? " " : "", l->v[i]);
}

static void build_arg(struct str_list *argv, const char *name, const char *value)
{
    str_list_add(argv, "--build-arg");
    str_list_addf(argv, "%s=%s", name, value);
}

static void label(struct str_list *argv, const char *name, const char *value)
{
    str_list_add(argv, "--label");
    str_list_addf(argv, "%s=%s", name, value);
}

void recipe_build_argv(const struct recipe *r, const struct recipe_build_options *o,
                       struct str_list *argv)
{
    char *tag = recipe_image_tag(r);
    struct strbuf sb = STRBUF_INIT;
    str_list_add(argv, o->podman ? o->podman : "podman");
    str_list_add(argv, "build");
    str_list_add(argv, "--file");
    str_list_addf(argv, "%s/%s", r->root, r->containerfile);
    str_list_add(argv, "--tag");
    str_list_add(argv, tag);
    build_arg(argv, "BASE_IMAGE", o->base ? o->base : r->base_image);
    if (r->base_build)
        build_arg(argv, "BUILD_IMAGE", r->base_build);
    build_arg(argv, "HALOBOX_RECIPE", r->name);
    build_arg(argv, "HALOBOX_BACKEND", r->backend);
    if (!r->upstream) {
        build_arg(argv, "DEBIAN_MIRROR", o->mirror ? o->mirror : r->distro_mirror);
        build_arg(argv, "DEBIAN_SUITE", r->distro_suite);
    } else {
        add_words(&sb, &r->build_packages);
        build_arg(argv, "BUILD_PACKAGES", sb.buf);
        strbuf_reset(&sb);
        add_words(&sb, &r->cmake_flags);
        build_arg(argv, "CMAKE_FLAGS", sb.buf);
        strbuf_reset(&sb);
        add_words(&sb, &r->patches);
        build_arg(argv, "PATCHES", sb.buf);
        strbuf_reset(&sb);
    }
    add_words(&sb, &r->packages);
    build_arg(argv, "PACKAGES", sb.buf);
    strbuf_reset(&sb);
    if (r->dpkg_exclude.n) {
        add_words(&sb, &r->dpkg_exclude);
        build_arg(argv, "DPKG_EXCLUDE", sb.buf);
        strbuf_reset(&sb);
    }
    for (size_t i = 0; i < r->build_args.n; i++)
        build_arg(argv, r->build_args.v[i].name, r->build_args.v[i].value);

    strbuf_addf(&sb, "halobox-%s", r->name);
    label(argv, "org.opencontainers.image.title", sb.buf);
    strbuf_reset(&sb);
    label(argv, "org.opencontainers.image.description", r->description);
    label(argv, "org.opencontainers.image.version", r->engine_version);
    if (o->created)
        label(argv, "org.opencontainers.image.created", o->created);
    label(argv, "org.opencontainers.image.vendor", "halobox");
    label(argv, "org.opencontainers.image.licenses", "MIT");
    label(argv, "org.opencontainers.image.base.name", o->base ? o->base : r->base_image);
    if (o->source)
        label(argv, "org.opencontainers.image.source", o->source);
    if (o->revision)
        label(argv, "org.opencontainers.image.revision", o->revision);
    label(argv, "halobox.recipe", r->name);
    label(argv, "halobox.recipe.sha256", r->sha256);
    label(argv, "halobox.backend", r->backend);
    label(argv, "halobox.engine.version", r->engine_version);
    label(argv, "halobox.engine.source", r->upstream ? "upstream" : "distro");
    if (r->upstream) {
        label(argv, "halobox.engine.commit", r->pin.commit);
        label(argv, "halobox.engine.repository", r->pin.repository);
    } else {
        label(argv, "halobox.distro.snapshot", r->distro_snapshot);
        label(argv, "halobox.distro.mirror", o->mirror ? o->mirror : r->distro_mirror);
    }
    str_list_add(argv, r->root);
    strbuf_release(&sb);
    free(tag);
}
