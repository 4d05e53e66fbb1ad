/* Recipes (recipes/NAME.json, schema halobox.recipe/1, documented in
 * recipes/README.md): what an engine image is built from and which hosts it
 * suits. Loading validates strictly: an unknown key, a wrong type, a missing
 * field, a file that is not there or a bad name is one error naming the file
 * and the field (exit code EXIT_INPUT). Selection is pure: facts in, the
 * highest-priority suitable recipe and the reasons out. */
#ifndef HALOBOX_RECIPES_H
#define HALOBOX_RECIPES_H

#include "facts.h"
#include "util/common.h"
#include "util/error.h"
#include "util/strbuf.h"

struct cJSON;

/* A recipe or a file it names is a few KiB; patches stay far below this. */
#define RECIPE_FILE_MAX (4 * 1024 * 1024)

#define RECIPE_SCHEMA "halobox.recipe/1"
/* Images are tagged IMAGE_REPO/NAME:ENGINE_VERSION. */
#define RECIPE_IMAGE_REPO "localhost/halobox"

struct str_list {
    char **v;
    size_t n;
    size_t alloc;
};

void str_list_add(struct str_list *l, const char *s);
void str_list_addf(struct str_list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool str_list_has(const struct str_list *l, const char *s);
void str_list_release(struct str_list *l);

struct recipe_var {
    char *name;
    char *value;
};

struct recipe_vars {
    struct recipe_var *v;
    size_t n;
};

/* engine/llama.cpp.pin: the upstream commit source builds use. */
struct engine_pin {
    char *repository;
    char *tag;
    char *commit; /* 40 hex digits */
    char *version;
    char *build_number;
};

struct recipe_suits {
    struct str_list vendors;        /* amd, nvidia, intel; empty: any host, GPU or not */
    struct str_list gfx;            /* empty: any target */
    struct str_list gfx_exclude;    /* never these targets */
    struct str_list vulkan_drivers; /* empty: no Vulkan requirement */
    bool needs_kfd;
    char *min_kernel; /* "6.18.4" for every host; NULL: any */
    /* Per gfx target (name: "gfx1151", value: "6.18.4"): a kernel floor
     * that holds only for GPUs of that target, since a fix in one GPU's
     * kernel driver says nothing about the others the image runs on. */
    struct recipe_vars min_kernel_gfx;
};

struct recipe {
    char *path; /* the file it came from */
    char *root; /* the folder the recipe's paths are relative to */
    char *name;
    char *description;
    char *backend; /* vulkan, rocm, cpu */
    char *base_image;
    char *base_local; /* the local stand-in made by `make base`, or NULL */
    char *base_build; /* the build stage's image (upstream), or NULL */
    char *containerfile;
    bool upstream; /* engine.source: upstream (true) or distro */
    char *engine_version;
    char *engine_pin_path; /* upstream */
    struct engine_pin pin; /* upstream */
    char *distro_suite;    /* distro */
    char *distro_snapshot;
    char *distro_mirror;
    struct str_list packages;
    struct str_list build_packages;
    struct str_list dpkg_exclude;
    struct str_list cmake_flags;
    struct str_list patches;
    struct str_list devices;
    struct recipe_vars build_args;
    struct recipe_vars env;
    struct recipe_suits suits;
    int priority;
    /* sha256 over the recipe and every file it builds from
     * (recipes/README.md): the image label halobox.recipe.sha256. Empty
     * until recipe_digest() computes it. */
    char sha256[65];
};

struct recipe_set {
    char *dir;
    struct recipe *v;
    size_t n;
};

/* The recipes folder: $HALOBOX_RECIPES_DIR; else recipes/ in the checkout
 * the running binary was built in (../recipes or ../../recipes from it);
 * else HALOBOX_DATADIR/recipes (the installed copy). */
int recipes_dir_find(struct strbuf *dir, struct hb_error *err);

/* Reads engine/llama.cpp.pin style KEY=value files. */
int engine_pin_load(const char *path, struct engine_pin *pin, struct hb_error *err);
void engine_pin_release(struct engine_pin *pin);

/* Validates a parsed recipe; `origin` names it in errors, `root` is where
 * its containerfile, pin and patches are looked for. Does not digest. */
int recipe_from_json(struct recipe *r, const struct cJSON *json, const char *origin,
                     const char *root, struct hb_error *err);
/* Reads, validates and digests one recipe file (root: the folder above the
 * file's folder). */
int recipe_load(struct recipe *r, const char *path, struct hb_error *err);

/* Fills r->sha256 (once). Returns 0, or -1 with err set when an input can
 * no longer be read. */
int recipe_digest(struct recipe *r, struct hb_error *err);
int recipes_digest_all(struct recipe_set *set, struct hb_error *err);
void recipe_release(struct recipe *r);

/* Every *.json in dir, sorted by name; the first bad one is the error. */
int recipes_load_dir(struct recipe_set *set, const char *dir, struct hb_error *err);
void recipes_release(struct recipe_set *set);
const struct recipe *recipes_find(const struct recipe_set *set, const char *name);

/* localhost/halobox/NAME:ENGINE_VERSION (caller frees). */
char *recipe_image_tag(const struct recipe *r);
/* "cpu, rocm-debian, ...": the names, for an error that lists them. */
void recipes_names(const struct recipe_set *set, struct strbuf *out);

/* Whether the host the facts describe meets the recipe's needs. Appends one
 * line to why (no trailing newline) saying why, or why not. */
bool recipe_suits(const struct recipe *r, const struct facts *f, struct strbuf *why);

struct recipe_choice {
    const struct recipe *recipe; /* NULL when none suits */
    struct str_list reasons;     /* one per recipe considered, then the verdict */
};

/* The highest-priority recipe that suits the host, among those of `backend`
 * (NULL: any). Ties go to the name that sorts first. */
const struct recipe *recipes_select(const struct recipe_set *set, const struct facts *f,
                                    const char *backend, struct recipe_choice *choice);
void recipe_choice_release(struct recipe_choice *c);

/* The choice run, serve and the doctor's recommendation share: for long
 * prefill, a ROCm recipe that suits the host first (its matrix kernels win
 * on long prompts); otherwise, and when none suits, the highest priority. */
const struct recipe *recipes_select_for(const struct recipe_set *set, const struct facts *f,
                                        bool long_prefill, struct recipe_choice *choice);

/* How `halobox build` runs podman. */
struct recipe_build_options {
    const char *podman;  /* argv[0] */
    const char *base;    /* the resolved base image */
    const char *mirror;  /* distro: overrides the recipe's mirror, or NULL */
    const char *created; /* RFC 3339 time for org.opencontainers.image.created */
    const char *source;  /* org.opencontainers.image.source, or NULL */
    const char *revision;
};

/* The podman build argv (NULL-terminated in argv->v) for the recipe, whose
 * digest recipe_digest() has computed. */
void recipe_build_argv(const struct recipe *r, const struct recipe_build_options *o,
                       struct str_list *argv);

#endif
