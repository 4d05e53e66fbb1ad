/* halobox models pull: a model from the network into the store. */
#include "util/common.h"

#include <unistd.h>

#include "cmd_models.h"
#include "store/pull.h"

static const char usage_pull[] =
    "usage: halobox models pull URL [--name NAME] [--sha256 HEX] [--replace] [--quiet]\n"
    "                               [--store DIR]\n"
    "\n"
    "Download a GGUF model into the store. URL is http://, https:// or\n"
    "hf://ORG/REPO/FILE.gguf (Hugging Face; HF_ENDPOINT and HF_TOKEN are honoured).\n"
    "The download goes to a .partial file in the store's tmp/ folder; an\n"
    "interrupted pull resumes where it stopped when run again. The sha256 is\n"
    "checked against --sha256, else against the server's X-Linked-Etag when it\n"
    "sends one; a mismatch removes the download and leaves the store unchanged.\n";

int cmd_models_pull(int argc, char **argv)
{
    struct models_options o;
    int done = models_parse("pull", usage_pull,
                            MO_STORE | MO_NAME | MO_SHA256 | MO_REPLACE | MO_QUIET, argc, argv, &o);
    if (done >= 0)
        return done;
    if (o.n_args != 1)
        return usage_error("models pull", "give one URL");
    struct hb_error err = HB_ERROR_INIT;
    struct store s = {.root = NULL, .lock_fd = -1};
    int rc = EXIT_OK;
    struct pull_options po = {
        .name = o.name,
        .sha256 = o.sha256,
        .replace = o.replace,
        .progress = !o.quiet && isatty(STDERR_FILENO),
    };
    if (store_open(&s, o.store, &err) < 0 || pull_model(&s, o.args[0], &po, &err) < 0)
        rc = report_error(&err);
    else if (!o.quiet)
        printf("pulled %s\n", o.args[0]);
    store_close(&s);
    hb_error_release(&err);
    return fflush(stdout) == 0 ? rc : EXIT_RUNTIME;
}
