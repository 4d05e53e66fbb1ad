#include "common.h"

#include <dlfcn.h>

#include "dl_table.h"
#include "strbuf.h"

static int load_symbols(void *handle, const struct dl_library *lib, const char **missing)
{
    for (size_t i = 0; i < lib->n_symbols; i++) {
        void *fn = dlsym(handle, lib->symbols[i].name);
        if (!fn) {
            *missing = lib->symbols[i].name;
            return -1;
        }
        /* dlsym returns object pointers; POSIX guarantees they convert to
         * function pointers. */
        memcpy((char *)lib->table + lib->symbols[i].offset, &fn, sizeof(fn));
    }
    return 0;
}

int dl_library_load(struct dl_library *lib, struct hb_error *err)
{
    if (lib->loaded)
        return 0;
    struct strbuf why = STRBUF_INIT;
    for (size_t i = 0; i < lib->n_sonames && !lib->loaded; i++) {
        void *handle = dlopen(lib->sonames[i], RTLD_NOW | RTLD_LOCAL);
        if (!handle) {
            if (!why.len)
                strbuf_addstr(&why, dlerror());
            continue;
        }
        const char *missing = NULL;
        if (load_symbols(handle, lib, &missing) == 0) {
            lib->loaded = true; /* and kept loaded */
        } else {
            strbuf_reset(&why);
            strbuf_addf(&why, "%s lacks %s", lib->sonames[i], missing);
            dlclose(handle);
        }
    }
    if (!lib->loaded)
        hb_error_set(err, EXIT_RUNTIME,
                     "%s is needed for this and could not be loaded (%s): install %s", lib->name,
                     why.buf, lib->install);
    strbuf_release(&why);
    return lib->loaded ? 0 : -1;
}
