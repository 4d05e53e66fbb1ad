/* What `build` and `images pull` share: running podman with its progress
 * on stderr, and the one stdout line per image that a caller reads. */
#ifndef HALOBOX_CMD_IMAGES_COMMON_H
#define HALOBOX_CMD_IMAGES_COMMON_H

#include "recipes.h"
#include "util/error.h"
#include "util/strbuf.h"

/* Runs argv (no shell) with its stdout sent to our stderr (progress, not a
 * result) and stdin from /dev/null; returns its exit status, or -1. */
int image_run_progress(char *const argv[], struct hb_error *err);

/* Prints "WHAT TAG SIZE" on stdout ("built localhost/halobox/cpu:b11669
 * 126.0 MB (126012345 bytes)"). */
int image_print_result(const char *podman, const char *tag, const char *what, struct hb_error *err);

struct cJSON;
/* A label's value from podman's Labels object; NULL when absent or not a
 * string. */
const char *image_label(const struct cJSON *labels, const char *name);

/* Whether the image `tag` exists and was built from recipe r as it is now
 * (its halobox.recipe.sha256 label is r's digest). */
bool image_is_current(const char *podman, const char *tag, const struct recipe *r);

/* When it is (and not forced): says so on stderr, prints the
 * "up-to-date TAG SIZE" line and returns 1 (-1 when that line cannot be
 * written); else 0. `again` is what --force would do ("builds", "pulls"). */
int image_up_to_date(const char *podman, const char *tag, const struct recipe *r, bool force,
                     const char *again, struct hb_error *err);

/* The recipes, with their digests, found as run finds them (their folder
 * in dir), and every one of the n names checked to be among them before
 * anything starts. */
int images_load_recipes(char *const names[], int n, struct recipe_set *set, struct strbuf *dir,
                        struct hb_error *err);

#endif
