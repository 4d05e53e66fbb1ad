/* A bench bundle: benchmark runs, their engine logs and the host facts in
 * one gzip-compressed tar file a user can send (`halobox bench export`,
 * `halobox bench import`). The layout, every member a regular file, mode
 * 0644, in this order:
 *
 *   NAME/manifest.json      schema halobox.bundle/1: name, halobox_version,
 *                           created, members [{path, size, sha256}] sorted
 *   NAME/facts.json         the exporting host's facts (halobox.facts/1)
 *   NAME/logs/ID.log        llama-bench's stderr of run ID, when kept
 *   NAME/runs/ID.jsonl      run ID's file from the results store, as is
 *
 * The writer puts the manifest first; the reader takes members in any
 * order (tar -czf of an unpacked bundle keeps directory order), holding
 * those that come before the manifest until it arrives. A reader accepts
 * nothing else: no member outside the manifest, no other path, no link or
 * device, nothing larger than the caps below. */
#ifndef HALOBOX_BENCH_BUNDLE_H
#define HALOBOX_BENCH_BUNDLE_H

#include "util/common.h"

#include <time.h>

#include "util/error.h"
#include "util/sha256.h"
#include "util/strbuf.h"

struct cJSON;

#define BUNDLE_SCHEMA   "halobox.bundle/1"
#define BUNDLE_MANIFEST "manifest.json"
#define BUNDLE_FACTS    "facts.json"
/* The caps a reader holds a bundle to: a run file is a few kB per test and
 * a kept log at most BENCH_LOG_MAX, so these leave room for hundreds of
 * runs while a hostile file cannot exhaust memory. */
#define BUNDLE_FILE_MAX    (64u * 1024 * 1024)  /* the .tar.gz */
#define BUNDLE_MEMBER_MAX  (16u * 1024 * 1024)  /* one member, uncompressed */
#define BUNDLE_TOTAL_MAX   (256u * 1024 * 1024) /* all members, uncompressed */
#define BUNDLE_MEMBERS_MAX 4096

enum bundle_kind {
    BUNDLE_KIND_FACTS,
    BUNDLE_KIND_LOG,
    BUNDLE_KIND_RUN,
};

struct bundle_member {
    char *path; /* below NAME/: "runs/ID.jsonl" */
    enum bundle_kind kind;
    char *run_id; /* of a run or a log */
    uint64_t size;
    char sha256[SHA256_HEX_LEN + 1];
    bool seen;          /* reading: found in the archive */
    struct strbuf data; /* the content (read, or to write) */
};

struct bundle {
    char *name; /* the top directory */
    char *halobox_version;
    char *created; /* RFC 3339 UTC */
    struct bundle_member *members;
    size_t n_members;
    size_t alloc_members;
};

void bundle_release(struct bundle *b);

/* A bundle's name: the run id alphabet (letters, digits, '.', '_', '-'),
 * not starting with '.' or '-', at most 128 characters. */
bool bundle_name_valid(const char *name);

/* Checks a member's path below NAME/ against the layout: "facts.json",
 * "logs/ID.log" or "runs/ID.jsonl" with a valid run id. Fills kind and
 * run_id (allocated, NULL for facts) when valid. */
bool bundle_member_path_parse(const char *path, enum bundle_kind *kind, char **run_id);

/* Adds a member (path per the layout) with its content, its size and
 * sha256 computed; keeps members sorted by path. Returns NULL when the
 * path is not in the layout or already there. */
struct bundle_member *bundle_add_member(struct bundle *b, const char *path, const void *data,
                                        size_t len);
/* The member at path, or NULL. */
struct bundle_member *bundle_find_member(const struct bundle *b, const char *path);

/* ---- the manifest (bundle_manifest.c) --------------------------------------- */

struct cJSON *bundle_manifest_to_json(const struct bundle *b);
/* Parses and validates a manifest's text into b (name, version, created,
 * members without their data). Errors name origin and the problem; exit
 * code EXIT_INPUT. */
int bundle_manifest_parse(struct bundle *b, const char *text, size_t len, const char *origin,
                          struct hb_error *err);

/* ---- the archive (bundle_archive.c) ------------------------------------------ */

/* Reads a whole bundle from memory and verifies it: gzip-compressed tar,
 * the manifest valid, every member a regular file at a path of
 * the layout below the manifest's NAME/ (directory entries for NAME, NAME/runs
 * and NAME/logs are allowed and ignored), listed in the manifest with its
 * size and sha256, none twice, none missing, within the caps. Fills b with
 * the members' data. Errors start with origin (the file's name); exit code
 * EXIT_INPUT, or EXIT_RUNTIME when libarchive cannot be loaded. */
int bundle_read(struct bundle *b, const void *data, size_t len, const char *origin,
                struct hb_error *err);
/* Writes b as a gzip-compressed tar (pax) to fd: the manifest, then the
 * members in order, each with mtime, owner 0 and mode 0644, so the same
 * bundle gives the same bytes. */
int bundle_write(const struct bundle *b, int fd, time_t mtime, const char *origin,
                 struct hb_error *err);

#endif
