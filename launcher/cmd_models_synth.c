/* halobox models synth: synthetic random-weight models in the shapes of
 * real ones, which llama.cpp loads and serves: what tests and benchmarks
 * run on when no model can be downloaded. */
#include "util/common.h"

#include <unistd.h>

#include "cmd_models.h"
#include "store/model_summary.h"
#include "store/synth.h"

static const char usage_synth[] =
    "usage: halobox models synth [--preset NAME] [--arch llama|qwen3moe] [--type T]\n"
    "                            [--seed N] [SHAPE FLAGS] (-o FILE | --name NAME)\n"
    "\n"
    "Write a model with random weights and a minimal real tokenizer. The same\n"
    "shape and seed always give the same bytes.\n"
    "\n"
    "  --preset NAME   tiny, tiny-moe, llama-3.1-8b, qwen3-30b-a3b (the real\n"
    "                  models' tensor shapes and types)\n"
    "  --arch A        llama (dense) or qwen3moe (mixture of experts); without a\n"
    "                  preset, starts from tiny or tiny-moe\n"
    "  --type T        f32, f16, q8_0, q4_k or q4_k_m (the weight matrices; norms\n"
    "                  and the router stay f32)\n"
    "  --seed N        the random seed (default 0)\n"
    "  -o, --output F  the file to write\n"
    "  --name NAME     write it into the store under NAME instead\n"
    "  --store DIR     the store (with --name)\n"
    "\n"
    "Shape flags: --layers --embd --ff --heads --kv-heads --head-dim --experts\n"
    "--experts-used --expert-ff --vocab --context\n";

static int apply_shape_flags(const struct models_options *o, struct synth_shape *s)
{
    for (size_t i = 0; i < o->n_shape; i++) {
        const char *f = o->shape[i].flag;
        uint64_t v = o->shape[i].value;
        if (v > UINT32_MAX)
            return usage_error("models synth", "--%s %llu is too large", f, (unsigned long long)v);
        uint32_t x = (uint32_t)v;
        if (!strcmp(f, "layers"))
            s->n_layers = x;
        else if (!strcmp(f, "embd"))
            s->n_embd = x;
        else if (!strcmp(f, "ff"))
            s->n_ff = x;
        else if (!strcmp(f, "heads"))
            s->n_head = x;
        else if (!strcmp(f, "kv-heads"))
            s->n_head_kv = x;
        else if (!strcmp(f, "head-dim"))
            s->head_dim = x;
        else if (!strcmp(f, "experts"))
            s->n_expert = x;
        else if (!strcmp(f, "experts-used"))
            s->n_expert_used = x;
        else if (!strcmp(f, "expert-ff"))
            s->n_ff_exp = x;
        else if (!strcmp(f, "vocab"))
            s->n_vocab = x;
        else if (!strcmp(f, "context"))
            s->n_ctx = x;
    }
    return -1;
}

static void show_progress(void *ctx, uint64_t done, uint64_t total)
{
    (void)ctx;
    fprintf(stderr, "\r  writing %5.1f%% of %.2f GB ",
            total ? 100.0 * (double)done / (double)total : 100.0, (double)total / 1e9);
    if (done == total)
        fputc('\n', stderr);
}

int cmd_models_synth(int argc, char **argv)
{
    struct models_options o;
    int done = models_parse("synth", usage_synth,
                            MO_SYNTH | MO_OUTPUT | MO_NAME | MO_STORE | MO_REPLACE | MO_QUIET, argc,
                            argv, &o);
    if (done >= 0)
        return done;
    if (o.n_args)
        return usage_error("models synth", "unexpected argument '%s'", o.args[0]);
    if (!o.output == !o.name)
        return usage_error("models synth", "give either -o FILE or --name NAME");

    struct synth_shape shape;
    enum synth_arch arch = SYNTH_ARCH_LLAMA;
    if (o.arch && synth_arch_from_name(o.arch, &arch) < 0)
        return usage_error("models synth", "--arch takes llama or qwen3moe, not '%s'", o.arch);
    const char *base = o.preset ? o.preset : arch == SYNTH_ARCH_QWEN3MOE ? "tiny-moe" : "tiny";
    if (synth_preset(base, &shape) < 0) {
        struct strbuf names = STRBUF_INIT;
        for (size_t i = 0; synth_preset_at(i); i++)
            strbuf_addf(&names, "%s%s", i ? ", " : "", synth_preset_at(i));
        int rc = usage_error("models synth", "no preset '%s' (there are: %s)", base, names.buf);
        strbuf_release(&names);
        return rc;
    }
    if (o.arch)
        shape.arch = arch;
    if (o.type && synth_type_from_name(o.type, &shape.type) < 0)
        return usage_error("models synth", "--type takes f32, f16, q8_0, q4_k or q4_k_m, not '%s'",
                           o.type);
    if ((done = apply_shape_flags(&o, &shape)) >= 0)
        return done;

    struct hb_error err = HB_ERROR_INIT;
    int rc = EXIT_OK;
    if (synth_validate(&shape, &err) < 0) {
        rc = report_error(&err);
        hb_error_release(&err);
        return rc == EXIT_INPUT ? EXIT_USAGE : rc;
    }
    bool progress = !o.quiet && isatty(STDERR_FILENO);
    struct store s = {.root = NULL, .lock_fd = -1};
    struct strbuf path = STRBUF_INIT;
    if (o.output) {
        strbuf_addstr(&path, o.output);
    } else {
        if (store_open(&s, o.store, &err) < 0) {
            rc = report_error(&err);
            goto out;
        }
        strbuf_addf(&path, "%s/tmp/synth-%ld-%s.gguf", s.root, (long)getpid(), o.name);
    }
    if (synth_write_progress(&shape, path.buf, o.seed, progress ? show_progress : NULL, NULL,
                             &err) < 0) {
        rc = report_error(&err);
        goto out;
    }
    if (o.name) {
        struct gguf_model m;
        const char *paths[] = {path.buf};
        int r = gguf_open(&m, path.buf, &err);
        if (r == 0)
            r = store_add(&s, o.name, paths, 1, "synthetic", NULL, model_summary_json(&m),
                          o.replace, &err);
        gguf_close(&m);
        unlink(path.buf);
        if (r < 0) {
            rc = report_error(&err);
            goto out;
        }
    }
    if (!o.quiet) {
        struct synth_plan plan;
        if (synth_plan_make(&shape, &plan, &err) == 0) {
            char params[16];
            format_params(params, sizeof(params), plan.n_params);
            printf("wrote %s: %s %s %s, %.2f GB, seed %llu\n", o.output ? o.output : o.name,
                   synth_arch_name(shape.arch), params, synth_type_name(shape.type),
                   (double)plan.file_bytes / 1e9, (unsigned long long)o.seed);
            synth_plan_release(&plan);
        }
    }
    if (fflush(stdout) != 0)
        rc = EXIT_RUNTIME;
out:
    strbuf_release(&path);
    store_close(&s);
    hb_error_release(&err);
    return rc;
}
