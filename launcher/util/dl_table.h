/* Optional libraries loaded with dlopen on first use (STYLE.md rule 5): one
 * table of function pointers per library, filled from the first soname that
 * loads and has every symbol. */
#ifndef HALOBOX_DL_TABLE_H
#define HALOBOX_DL_TABLE_H

#include "common.h"
#include "error.h"

struct dl_symbol {
    const char *name;
    size_t offset; /* of its pointer in the table */
};

struct dl_library {
    const char *name;    /* "libcurl", for the error */
    const char *install; /* the packages to install, for the error */
    const char *const *sonames;
    size_t n_sonames;
    const struct dl_symbol *symbols;
    size_t n_symbols;
    void *table;
    bool loaded;
};

/* Loads the library once (later calls return at once): tries its sonames in
 * order and fills its table from the first that has every symbol. Returns -1
 * with "NAME is needed for this and could not be loaded (dlerror, or SONAME
 * lacks SYMBOL): install PACKAGES" (EXIT_RUNTIME). */
int dl_library_load(struct dl_library *lib, struct hb_error *err);

#endif
