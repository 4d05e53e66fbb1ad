/* Downloads into the store: http(s) URLs and hf://ORG/REPO/FILE.gguf. */
#ifndef HALOBOX_PULL_H
#define HALOBOX_PULL_H

#include "store/store.h"

struct pull_options {
    const char *name;   /* NULL: from the URL's file name */
    const char *sha256; /* expected; NULL: the server's X-Linked-Etag, if any */
    bool replace;
    bool progress; /* a progress bar on stderr */
};

/* hf://ORG/REPO/PATH -> $HF_ENDPOINT (default https://huggingface.co)
 * /ORG/REPO/resolve/main/PATH; http(s) URLs unchanged; NULL (err set) for
 * anything else. Caller frees. */
char *pull_resolve_url(const char *url, struct hb_error *err);

/* Downloads url to tmp/ as a .partial file (resuming one left by an earlier
 * try with an HTTP Range request), checks its size and sha256, reads its
 * GGUF headers, then publishes it under the name. Two processes pulling the
 * same URL take turns on the partial file. */
int pull_model(struct store *s, const char *url, const struct pull_options *o,
               struct hb_error *err);

#endif
