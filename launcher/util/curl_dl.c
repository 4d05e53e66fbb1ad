#include "common.h"

#include <dlfcn.h>

#include "curl_dl.h"
#include "strbuf.h"

/* Debian and Ubuntu ship the OpenSSL and GnuTLS builds under different
 * names; Fedora has one. */
static const char *const sonames[] = {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"};

static struct curl_api api;
static bool loaded;

static int curl_load_symbols(void *lib, struct strbuf *missing)
{
    static const struct {
        const char *name;
        size_t offset;
    } symbols[] = {
        {"curl_easy_init", offsetof(struct curl_api, easy_init)},
        {"curl_easy_setopt", offsetof(struct curl_api, easy_setopt)},
        {"curl_easy_perform", offsetof(struct curl_api, easy_perform)},
        {"curl_easy_getinfo", offsetof(struct curl_api, easy_getinfo)},
        {"curl_easy_cleanup", offsetof(struct curl_api, easy_cleanup)},
        {"curl_easy_strerror", offsetof(struct curl_api, easy_strerror)},
        {"curl_slist_append", offsetof(struct curl_api, slist_append)},
        {"curl_slist_free_all", offsetof(struct curl_api, slist_free_all)},
    };
    for (size_t i = 0; i < ARRAY_SIZE(symbols); i++) {
        void *fn = dlsym(lib, symbols[i].name);
        if (!fn) {
            strbuf_addstr(missing, symbols[i].name);
            return -1;
        }
        /* dlsym returns object pointers; POSIX guarantees they convert to
         * function pointers. */
        memcpy((char *)&api + symbols[i].offset, &fn, sizeof(fn));
    }
    return 0;
}

const struct curl_api *curl_api_get(struct hb_error *err)
{
    if (loaded)
        return &api;
    struct strbuf why = STRBUF_INIT;
    for (size_t i = 0; i < ARRAY_SIZE(sonames); i++) {
        void *lib = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            if (!why.len)
                strbuf_addstr(&why, dlerror());
            continue;
        }
        struct strbuf missing = STRBUF_INIT;
        if (curl_load_symbols(lib, &missing) == 0) {
            strbuf_release(&missing);
            strbuf_release(&why);
            loaded = true;
            return &api;
        }
        strbuf_reset(&why);
        strbuf_addf(&why, "%s lacks %s", sonames[i], missing.buf);
        strbuf_release(&missing);
        dlclose(lib);
    }
    hb_error_set(err, EXIT_RUNTIME,
                 "libcurl is needed for this and could not be loaded (%s): install libcurl4 "
                 "(Debian, Ubuntu) or libcurl (Fedora)",
                 why.buf);
    strbuf_release(&why);
    return NULL;
}
