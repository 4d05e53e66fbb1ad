/* The model store: content-addressed blobs and named references, mounted
 * read-only into every engine container.
 *
 *   STORE/blobs/sha256/HEX          the model files, named by their sha256
 *   STORE/refs/NAME.json            a name: its files (in shard order), their
 *                                   sha256 and sizes, where it came from and
 *                                   a summary of its GGUF metadata
 *   STORE/models/NAME/FILE.gguf     relative symlinks to the blobs, under the
 *                                   file names llama.cpp expects (split
 *                                   models find their next shard by name)
 *   STORE/tmp/                      downloads and copies in progress
 *   STORE/.lock                     held while a reference or blob changes
 *
 * Writers hash and stage outside the lock and take it only to publish, so
 * two halobox processes adding or pulling the same model stay correct. */
#ifndef HALOBOX_STORE_H
#define HALOBOX_STORE_H

#include "util/common.h"
#include "util/error.h"
#include "util/sha256.h"

struct cJSON;

struct store {
    char *root;
    int lock_fd; /* -1 when not locked */
};

struct store_file {
    char *name; /* the file name inside models/NAME/ */
    char sha256[SHA256_HEX_LEN + 1];
    uint64_t size;
};

struct store_ref {
    char *name;
    struct store_file *files;
    size_t n_files;
    uint64_t total_size;
    char *source;          /* the path or URL it came from */
    char *added;           /* RFC 3339 UTC */
    struct cJSON *summary; /* GGUF summary (model_summary_json), may be NULL */
};

/* The store root: `dir` if given, else $HALOBOX_STORE, else
 * $XDG_DATA_HOME/halobox, else ~/.local/share/halobox. Creates the layout
 * (and the README that explains it) when missing. */
int store_open(struct store *s, const char *dir, struct hb_error *err);
void store_close(struct store *s);

/* An exclusive lock on the store (flock), waited for. */
int store_lock(struct store *s, struct hb_error *err);
void store_unlock(struct store *s);

/* A name a reference may have: letters, digits, '.', '_', '-', at most 128
 * bytes, not starting with '.' or '-'. */
bool store_name_valid(const char *name);
/* The default name for a file: its base name without ".gguf" and without
 * a "-00001-of-00003" shard suffix. Caller frees. */
char *store_default_name(const char *path);

/* Paths inside the store. Caller frees. */
char *store_blob_path(const struct store *s, const char *sha256);
char *store_ref_path(const struct store *s, const char *name);
char *store_model_dir(const struct store *s, const char *name);

/* Adds files (one model: one file, or all shards in order) under `name`.
 * Each file is cloned (reflink), hard-linked, or copied into tmp/, hashed
 * there, checked against expected_sha256 when given (first file only),
 * then published as a blob; the reference is written last. `summary` is
 * stored as given (taken over). A name already in use is replaced only
 * with `replace`. */
int store_add(struct store *s, const char *name, const char *const *paths, size_t n_paths,
              const char *source, const char *expected_sha256, struct cJSON *summary, bool replace,
              struct hb_error *err);

/* Publishes a file already staged under tmp/ (a finished download) whose
 * sha256 is known: renamed into blobs/, reference written. */
int store_publish_staged(struct store *s, const char *name, const char *staged_path,
                         const char *file_name, const char *sha256, const char *source,
                         struct cJSON *summary, bool replace, struct hb_error *err);

int store_ref_load(const struct store *s, const char *name, struct store_ref *ref,
                   struct hb_error *err);
void store_ref_release(struct store_ref *ref);

/* All references, sorted by name. Unreadable ones are skipped, with a
 * warning on stderr naming the file. */
int store_list(const struct store *s, struct store_ref **refs, size_t *n, struct hb_error *err);
void store_refs_release(struct store_ref *refs, size_t n);

/* Removes a reference, its models/ folder, and every blob no reference
 * uses any more. */
int store_remove(struct store *s, const char *name, struct hb_error *err);

/* Names of references close to `name` (edit distance), for "did you mean";
 * at most `max`, NULL-terminated; caller frees with free_strv. */
char **store_suggest(const struct store *s, const char *name, size_t max);

#endif
