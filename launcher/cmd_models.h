/* `halobox models` and its verbs: one file per verb, sharing the option
 * parser and the way a model is named (a store name or a file path). */
#ifndef HALOBOX_CMD_MODELS_H
#define HALOBOX_CMD_MODELS_H

#include "cmd.h"
#include "store/gguf.h"
#include "store/store.h"

enum models_opt {
    MO_JSON = 1 << 0,
    MO_STORE = 1 << 1,
    MO_NAME = 1 << 2,
    MO_SHA256 = 1 << 3,
    MO_REPLACE = 1 << 4,
    MO_CTX = 1 << 5,
    MO_KV_TYPE = 1 << 6,
    MO_FACTS = 1 << 7,
    MO_OUTPUT = 1 << 8,
    MO_SYNTH = 1 << 9, /* --preset, --arch, --type, --seed and the shape flags */
    MO_QUIET = 1 << 10,
};

struct models_options {
    bool json, replace, quiet;
    const char *store;
    const char *name;
    const char *sha256;
    const char *facts;
    const char *output;
    const char *kv_type;
    uint64_t ctx; /* 0: not given */
    /* synth */
    const char *preset, *arch, *type;
    uint64_t seed;
    bool seed_given;
    struct models_shape_flag {
        const char *flag;
        uint64_t value;
    } shape[16];
    size_t n_shape;
    /* the positional arguments left */
    char **args;
    int n_args;
};

/* Returns -1 to go on, else the exit code (help printed, or usage error). */
int models_parse(const char *verb, const char *usage, unsigned allowed, int argc, char **argv,
                 struct models_options *o);

/* Opens a model by store name or file path: a name in the store first,
 * else an existing file. Errors suggest close names. */
int models_open(const struct models_options *o, const char *what, struct gguf_model *m,
                struct store_ref *ref_out, struct hb_error *err);

int cmd_models_ls(int argc, char **argv);
int cmd_models_add(int argc, char **argv);
int cmd_models_rm(int argc, char **argv);
int cmd_models_inspect(int argc, char **argv);
int cmd_models_pull(int argc, char **argv);
int cmd_models_synth(int argc, char **argv);
int cmd_models_fit(int argc, char **argv);

#endif
