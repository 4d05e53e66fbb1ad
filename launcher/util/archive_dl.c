#include "common.h"

#include "archive_dl.h"
#include "dl_table.h"

/* Every distribution ships libarchive 3 as soname 13; the bare name is for
 * a hand-built one. */
static const char *const sonames[] = {"libarchive.so.13", "libarchive.so"};

#define SYM(name, field)                                                                           \
    {                                                                                              \
        "archive_" name, offsetof(struct archive_api, field)                                       \
    }
static const struct dl_symbol symbols[] = {
    SYM("read_new", read_new),
    SYM("read_support_filter_gzip", read_support_filter_gzip),
    SYM("read_support_format_tar", read_support_format_tar),
    SYM("read_open_memory", read_open_memory),
    SYM("read_next_header", read_next_header),
    SYM("read_data", read_data),
    SYM("read_free", read_free),
    SYM("filter_code", filter_code),
    SYM("write_new", write_new),
    SYM("write_add_filter_gzip", write_add_filter_gzip),
    SYM("write_set_format_pax_restricted", write_set_format_pax_restricted),
    SYM("write_set_options", write_set_options),
    SYM("write_open_fd", write_open_fd),
    SYM("write_header", write_header),
    SYM("write_data", write_data),
    SYM("write_close", write_close),
    SYM("write_free", write_free),
    SYM("error_string", error_string),
    SYM("entry_new", entry_new),
    SYM("entry_free", entry_free),
    SYM("entry_pathname", entry_pathname),
    SYM("entry_filetype", entry_filetype),
    SYM("entry_size", entry_size),
    SYM("entry_size_is_set", entry_size_is_set),
    SYM("entry_hardlink", entry_hardlink),
    SYM("entry_symlink", entry_symlink),
    SYM("entry_set_pathname", entry_set_pathname),
    SYM("entry_set_size", entry_set_size),
    SYM("entry_set_filetype", entry_set_filetype),
    SYM("entry_set_perm", entry_set_perm),
    SYM("entry_set_mtime", entry_set_mtime),
};
#undef SYM

/* Where the real headers are installed (scripts/install-deps puts
 * libarchive-dev among the build dependencies), the compiler checks that
 * each pointer above has the type of the function it is loaded from and
 * that the constants match: a wrong declaration fails the build instead of
 * corrupting a call. */
#if defined(__has_include)
#if __has_include(<archive.h>) && __has_include(<archive_entry.h>)
#include <archive.h>
#include <archive_entry.h>
#define SAME_TYPE(field, fn)                                                                       \
    _Static_assert(__builtin_types_compatible_p(__typeof__(((struct archive_api *)0)->field),      \
                                                __typeof__(&fn)),                                  \
                   #fn " is declared with another type than <archive.h> gives it")
SAME_TYPE(read_new, archive_read_new);
SAME_TYPE(read_support_filter_gzip, archive_read_support_filter_gzip);
SAME_TYPE(read_support_format_tar, archive_read_support_format_tar);
SAME_TYPE(read_open_memory, archive_read_open_memory);
SAME_TYPE(read_next_header, archive_read_next_header);
SAME_TYPE(read_data, archive_read_data);
SAME_TYPE(read_free, archive_read_free);
SAME_TYPE(filter_code, archive_filter_code);
SAME_TYPE(write_new, archive_write_new);
SAME_TYPE(write_add_filter_gzip, archive_write_add_filter_gzip);
SAME_TYPE(write_set_format_pax_restricted, archive_write_set_format_pax_restricted);
SAME_TYPE(write_set_options, archive_write_set_options);
SAME_TYPE(write_open_fd, archive_write_open_fd);
SAME_TYPE(write_header, archive_write_header);
SAME_TYPE(write_data, archive_write_data);
SAME_TYPE(write_close, archive_write_close);
SAME_TYPE(write_free, archive_write_free);
SAME_TYPE(error_string, archive_error_string);
SAME_TYPE(entry_new, archive_entry_new);
SAME_TYPE(entry_free, archive_entry_free);
SAME_TYPE(entry_pathname, archive_entry_pathname);
SAME_TYPE(entry_filetype, archive_entry_filetype);
SAME_TYPE(entry_size, archive_entry_size);
SAME_TYPE(entry_size_is_set, archive_entry_size_is_set);
SAME_TYPE(entry_hardlink, archive_entry_hardlink);
SAME_TYPE(entry_symlink, archive_entry_symlink);
SAME_TYPE(entry_set_pathname, archive_entry_set_pathname);
SAME_TYPE(entry_set_size, archive_entry_set_size);
SAME_TYPE(entry_set_filetype, archive_entry_set_filetype);
SAME_TYPE(entry_set_perm, archive_entry_set_perm);
SAME_TYPE(entry_set_mtime, archive_entry_set_mtime);
_Static_assert(HB_ARCHIVE_EOF == ARCHIVE_EOF && HB_ARCHIVE_OK == ARCHIVE_OK &&
                   HB_ARCHIVE_WARN == ARCHIVE_WARN && HB_ARCHIVE_FILTER_GZIP == ARCHIVE_FILTER_GZIP,
               "libarchive return codes differ from archive.h");
_Static_assert(HB_AE_IFMT == AE_IFMT && HB_AE_IFREG == AE_IFREG && HB_AE_IFDIR == AE_IFDIR,
               "libarchive file types differ from archive_entry.h");
#endif
#endif

static struct archive_api api;

static struct dl_library lib = {
    .name = "libarchive",
    .install = "libarchive13 (Debian, Ubuntu) or libarchive (Fedora)",
    .sonames = sonames,
    .n_sonames = ARRAY_SIZE(sonames),
    .symbols = symbols,
    .n_symbols = ARRAY_SIZE(symbols),
    .table = &api,
};

const struct archive_api *archive_api_get(struct hb_error *err)
{
    return dl_library_load(&lib, err) == 0 ? &api : NULL;
}
