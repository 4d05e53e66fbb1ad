/* libarchive, loaded when a command first needs it (bench export and
 * import) rather than at every start, like libcurl (curl_dl.h). One table of
 * the symbols halobox uses (STYLE.md rule 5), declared here with the types
 * of libarchive 3.x on Linux so that building needs no libarchive headers;
 * where <archive.h> is installed, archive_dl.c checks every declaration
 * against it at compile time. */
#ifndef HALOBOX_ARCHIVE_DL_H
#define HALOBOX_ARCHIVE_DL_H

#include "common.h"

#include <sys/types.h>
#include <time.h>

#include "error.h"

struct archive;
struct archive_entry;

/* Return codes (archive.h). */
#define HB_ARCHIVE_EOF  1
#define HB_ARCHIVE_OK   0
#define HB_ARCHIVE_WARN (-20)
/* archive_filter_code() of gzip. */
#define HB_ARCHIVE_FILTER_GZIP 1
/* File types (archive_entry.h: the S_IF* values). */
#define HB_AE_IFMT  0170000
#define HB_AE_IFREG 0100000
#define HB_AE_IFDIR 0040000

struct archive_api {
    /* reading */
    struct archive *(*read_new)(void);
    int (*read_support_filter_gzip)(struct archive *);
    int (*read_support_format_tar)(struct archive *);
    int (*read_open_memory)(struct archive *, const void *, size_t);
    int (*read_next_header)(struct archive *, struct archive_entry **);
    ssize_t (*read_data)(struct archive *, void *, size_t);
    int (*read_free)(struct archive *);
    int (*filter_code)(struct archive *, int);
    /* writing */
    struct archive *(*write_new)(void);
    int (*write_add_filter_gzip)(struct archive *);
    int (*write_set_format_pax_restricted)(struct archive *);
    int (*write_set_options)(struct archive *, const char *);
    int (*write_open_fd)(struct archive *, int);
    int (*write_header)(struct archive *, struct archive_entry *);
    ssize_t (*write_data)(struct archive *, const void *, size_t);
    int (*write_close)(struct archive *);
    int (*write_free)(struct archive *);
    const char *(*error_string)(struct archive *);
    /* entries */
    struct archive_entry *(*entry_new)(void);
    void (*entry_free)(struct archive_entry *);
    const char *(*entry_pathname)(struct archive_entry *);
    mode_t (*entry_filetype)(struct archive_entry *);
    int64_t (*entry_size)(struct archive_entry *);
    int (*entry_size_is_set)(struct archive_entry *);
    const char *(*entry_hardlink)(struct archive_entry *);
    const char *(*entry_symlink)(struct archive_entry *);
    void (*entry_set_pathname)(struct archive_entry *, const char *);
    void (*entry_set_size)(struct archive_entry *, int64_t);
    void (*entry_set_filetype)(struct archive_entry *, unsigned int);
    void (*entry_set_perm)(struct archive_entry *, mode_t);
    void (*entry_set_mtime)(struct archive_entry *, time_t, long);
};

/* The loaded table (libarchive.so.13), or NULL with the reason in err
 * ("libarchive is needed for this ... install libarchive13"). */
const struct archive_api *archive_api_get(struct hb_error *err);

#endif
