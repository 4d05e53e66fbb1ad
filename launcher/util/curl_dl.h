/* libcurl, loaded when a command first needs it (a download, a health
 * check) rather than at every start: linking it pulls in some thirty
 * libraries, which cost `halobox doctor` more time than its work does.
 * One table of the symbols halobox uses (STYLE.md rule 5). */
#ifndef HALOBOX_CURL_DL_H
#define HALOBOX_CURL_DL_H

/* Calls go through the table, so curl's type-checking macros (which wrap
 * the real names) must stay out of the way. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "error.h"

struct curl_api {
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
};

/* The loaded table (libcurl.so.4, whichever TLS flavour the system has), or
 * NULL with the reason in err ("libcurl is not installed ..."). */
const struct curl_api *curl_api_get(struct hb_error *err);

#endif
