#include "common.h"

#include "curl_dl.h"
#include "dl_table.h"

/* Debian and Ubuntu ship the OpenSSL and GnuTLS builds under different
 * names; Fedora has one. */
static const char *const sonames[] = {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"};

static struct curl_api api;

static const struct dl_symbol symbols[] = {
    {"curl_easy_init", offsetof(struct curl_api, easy_init)},
    {"curl_easy_setopt", offsetof(struct curl_api, easy_setopt)},
    {"curl_easy_perform", offsetof(struct curl_api, easy_perform)},
    {"curl_easy_getinfo", offsetof(struct curl_api, easy_getinfo)},
    {"curl_easy_cleanup", offsetof(struct curl_api, easy_cleanup)},
    {"curl_easy_strerror", offsetof(struct curl_api, easy_strerror)},
    {"curl_slist_append", offsetof(struct curl_api, slist_append)},
    {"curl_slist_free_all", offsetof(struct curl_api, slist_free_all)},
};

static struct dl_library lib = {
    .name = "libcurl",
    .install = "libcurl4 (Debian, Ubuntu) or libcurl (Fedora)",
    .sonames = sonames,
    .n_sonames = ARRAY_SIZE(sonames),
    .symbols = symbols,
    .n_symbols = ARRAY_SIZE(symbols),
    .table = &api,
};

const struct curl_api *curl_api_get(struct hb_error *err)
{
    return dl_library_load(&lib, err) == 0 ? &api : NULL;
}
