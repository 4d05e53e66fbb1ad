/* halobox models: the model store's verbs, and what they share. */
#include "util/common.h"

#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>

#include "util/parse.h"
#include "cmd_models.h"

static const struct {
    const char *verb;
    int (*run)(int, char **);
    const char *summary;
} verbs[] = {
    {"ls", cmd_models_ls, "list the models in the store"},
    {"add", cmd_models_add, "add a GGUF file (or all shards of a split model) to the store"},
    {"inspect", cmd_models_inspect, "show a model's metadata and tensors"},
    {"rm", cmd_models_rm, "remove a model from the store"},
    {"pull", cmd_models_pull, "download a model (http, https, hf://ORG/REPO/FILE.gguf)"},
    {"synth", cmd_models_synth, "write a synthetic random-weight model"},
    {"fit", cmd_models_fit, "check whether a model fits this host's GPU memory"},
};

static void print_verbs(FILE *out)
{
    fputs("usage: halobox models <verb> [options]\n\nverbs:\n", out);
    for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
        fprintf(out, "  %-8s %s\n", verbs[i].verb, verbs[i].summary);
    fputs("\nOptions common to the verbs: --store DIR (default $HALOBOX_STORE, else\n"
          "$XDG_DATA_HOME/halobox, else ~/.local/share/halobox).\n"
          "Run 'halobox models <verb> --help' for a verb's options.\n",
          out);
}

int cmd_models(int argc, char **argv)
{
    if (argc < 2) {
        print_verbs(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        print_verbs(stdout);
        return EXIT_OK;
    }
    for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
        if (!strcmp(verbs[i].verb, argv[1]))
            return verbs[i].run(argc - 1, argv + 1);
    fprintf(stderr, "halobox models: unknown verb '%s' (see 'halobox models --help')\n", argv[1]);
    return EXIT_USAGE;
}

/* Shape flags of `models synth`: their long names, stored as given. */
static const char *const shape_flags[] = {
    "layers",  "embd",         "ff",        "heads", "kv-heads", "head-dim",
    "experts", "experts-used", "expert-ff", "vocab", "context",
};

int models_parse(const char *verb, const char *usage, unsigned allowed, int argc, char **argv,
                 struct models_options *o)
{
    enum { OPT_SHAPE = 1000 };
    struct option opts[32];
    size_t n = 0;
    const struct {
        unsigned bit;
        struct option opt;
    } all[] = {
        {MO_JSON, {"json", no_argument, NULL, 'j'}},
        {MO_STORE, {"store", required_argument, NULL, 'S'}},
        {MO_NAME, {"name", required_argument, NULL, 'n'}},
        {MO_SHA256, {"sha256", required_argument, NULL, 's'}},
        {MO_REPLACE, {"replace", no_argument, NULL, 'r'}},
        {MO_CTX, {"ctx", required_argument, NULL, 'c'}},
        {MO_KV_TYPE, {"kv-type", required_argument, NULL, 'k'}},
        {MO_FACTS, {"facts", required_argument, NULL, 'f'}},
        {MO_OUTPUT, {"output", required_argument, NULL, 'o'}},
        {MO_QUIET, {"quiet", no_argument, NULL, 'q'}},
        {MO_SYNTH, {"preset", required_argument, NULL, 'p'}},
        {MO_SYNTH, {"arch", required_argument, NULL, 'a'}},
        {MO_SYNTH, {"type", required_argument, NULL, 't'}},
        {MO_SYNTH, {"seed", required_argument, NULL, 'e'}},
    };
    for (size_t i = 0; i < ARRAY_SIZE(all); i++)
        if (allowed & all[i].bit)
            opts[n++] = all[i].opt;
    if (allowed & MO_SYNTH)
        for (size_t i = 0; i < ARRAY_SIZE(shape_flags); i++)
            opts[n++] =
                (struct option){shape_flags[i], required_argument, NULL, OPT_SHAPE + (int)i};
    opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    opts[n] = (struct option){0};

    memset(o, 0, sizeof(*o));
    struct strbuf cmd = STRBUF_INIT;
    strbuf_addf(&cmd, "models %s", verb);
    int c, ret = -1;
    optind = 1;
    opterr = 0;
    while (ret < 0 && (c = getopt_long(argc, argv, ":jo:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            o->json = true;
            break;
        case 'S':
            o->store = optarg;
            break;
        case 'n':
            o->name = optarg;
            break;
        case 's':
            if (!sha256_hex_valid(optarg))
                ret = usage_error(cmd.buf, "--sha256 takes 64 hex digits, not '%s'", optarg);
            o->sha256 = optarg;
            break;
        case 'r':
            o->replace = true;
            break;
        case 'c':
            if (!parse_u64(optarg, &o->ctx) || !o->ctx)
                ret = usage_error(cmd.buf, "--ctx takes a positive number, not '%s'", optarg);
            break;
        case 'k':
            o->kv_type = optarg;
            break;
        case 'f':
            o->facts = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'p':
            o->preset = optarg;
            break;
        case 'a':
            o->arch = optarg;
            break;
        case 't':
            o->type = optarg;
            break;
        case 'e':
            if (!parse_u64(optarg, &o->seed))
                ret = usage_error(cmd.buf, "--seed takes a number, not '%s'", optarg);
            o->seed_given = true;
            break;
        case 'h':
        case ':':
        case '?':
            ret = getopt_rest(c, cmd.buf, usage, argv);
            break;
        default:
            if (c >= OPT_SHAPE && c < OPT_SHAPE + (int)ARRAY_SIZE(shape_flags)) {
                uint64_t v;
                if (!parse_u64(optarg, &v) || !v || o->n_shape == ARRAY_SIZE(o->shape))
                    ret = usage_error(cmd.buf, "--%s takes a positive number, not '%s'",
                                      shape_flags[c - OPT_SHAPE], optarg);
                else
                    o->shape[o->n_shape++] =
                        (struct models_shape_flag){shape_flags[c - OPT_SHAPE], v};
            }
            break;
        }
    }
    strbuf_release(&cmd);
    o->args = argv + optind;
    o->n_args = argc - optind;
    return ret;
}

int models_open(const struct models_options *o, const char *what, struct gguf_model *m,
                struct store_ref *ref_out, struct hb_error *err)
{
    memset(m, 0, sizeof(*m));
    if (ref_out)
        memset(ref_out, 0, sizeof(*ref_out));
    struct stat st;
    bool is_path = strchr(what, '/') || (stat(what, &st) == 0 && S_ISREG(st.st_mode));
    if (is_path)
        return gguf_open(m, what, err);
    struct store s;
    if (store_open(&s, o->store, err) < 0)
        return -1;
    struct store_ref ref;
    int r = store_ref_load(&s, what, &ref, err);
    if (r < 0 && store_name_valid(what)) {
        char **close = store_suggest(&s, what, 3);
        if (close[0]) {
            struct strbuf sb = STRBUF_INIT;
            for (size_t i = 0; close[i]; i++)
                strbuf_addf(&sb, "%s'%s'", i ? ", " : "", close[i]);
            hb_error_set(err, EXIT_INPUT, "no model named '%s' in the store (did you mean %s?)",
                         what, sb.buf);
            strbuf_release(&sb);
        }
        for (size_t i = 0; close[i]; i++)
            free(close[i]);
        free(close);
    }
    if (r == 0) {
        char *dir = store_model_dir(&s, ref.name);
        struct strbuf first = STRBUF_INIT;
        strbuf_addf(&first, "%s/%s", dir, ref.files[0].name);
        r = gguf_open(m, first.buf, err);
        strbuf_release(&first);
        free(dir);
        if (ref_out)
            *ref_out = ref;
        else
            store_ref_release(&ref);
    }
    store_close(&s);
    return r;
}
