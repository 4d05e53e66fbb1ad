/* Peak memory bandwidth of known platforms, and the bytes of weights a
 * generated token reads: the two halves of the bandwidth limit on token
 * generation. */
#include "util/common.h"

#include <ctype.h>

#include "bench/compare.h"

/* Peak = transfers per second x bus width in bytes. Each figure is the
 * vendor's memory specification multiplied out; a machine fitted with
 * slower memory than the platform's fastest needs --bandwidth. */
static const struct bench_platform platforms[] = {
    {"strix-halo", NULL, 256.0, "LPDDR5X-8000, 256-bit: 8000 MT/s x 32 bytes",
     "AMD Ryzen AI Max+ 395 specifications: LPDDR5x-8000, 256-bit memory interface"},
    {"strix-point", NULL, 120.0, "LPDDR5X-7500, 128-bit: 7500 MT/s x 16 bytes",
     "AMD Ryzen AI 9 HX 370 specifications: LPDDR5x-7500 (DDR5-5600 systems: 89.6 GB/s)"},
    {"phoenix", NULL, 120.0, "LPDDR5X-7500, 128-bit: 7500 MT/s x 16 bytes",
     "AMD Ryzen 7 7840U specifications: LPDDR5x-7500 (DDR5-5600 systems: 89.6 GB/s)"},
    /* Discrete boards by name: one PCI id covers boards with different
     * memory (0x744c: RX 7900 XTX, XT and GRE). */
    {NULL, "Radeon RX 7900 XTX", 960.0, "GDDR6 20 Gbps, 384-bit: 20 Gbps x 48 bytes",
     "AMD Radeon RX 7900 XTX specifications"},
    {NULL, "Radeon RX 7900 XT", 800.0, "GDDR6 20 Gbps, 320-bit: 20 Gbps x 40 bytes",
     "AMD Radeon RX 7900 XT specifications"},
    {NULL, "Radeon AI PRO R9700", 640.0, "GDDR6 20 Gbps, 256-bit: 20 Gbps x 32 bytes",
     "AMD Radeon AI PRO R9700 specifications"},
    {NULL, "GeForce RTX 4090", 1008.0, "GDDR6X 21 Gbps, 384-bit: 21 Gbps x 48 bytes",
     "NVIDIA GeForce RTX 4090 specifications"},
};

const struct bench_platform *bench_platform_at(size_t i)
{
    return i < ARRAY_SIZE(platforms) ? &platforms[i] : NULL;
}

/* name appears in s as whole words ("RX 7900 XT" is not in "RX 7900 XTX"). */
static bool has_name(const char *s, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = s; s && (p = strstr(p, name)); p++) {
        bool start = p == s || !isalnum((unsigned char)p[-1]);
        bool end = !isalnum((unsigned char)p[n]);
        if (start && end)
            return true;
    }
    return false;
}

const struct bench_platform *bench_platform_find(const struct bench_host *h, const char *gpu_info)
{
    for (size_t i = 0; h && h->gpu_family && i < ARRAY_SIZE(platforms); i++)
        if (platforms[i].family && !strcmp(platforms[i].family, h->gpu_family))
            return &platforms[i];
    const char *names[] = {h ? h->gpu_name : NULL, gpu_info};
    for (size_t k = 0; k < ARRAY_SIZE(names); k++)
        for (size_t i = 0; names[k] && i < ARRAY_SIZE(platforms); i++)
            if (platforms[i].name && has_name(names[k], platforms[i].name))
                return &platforms[i];
    return NULL;
}

void bench_weight_bytes(const struct gguf_model *m, uint64_t *total, opt_u64 *active)
{
    /* The embedding table is gathered one row per token; read whole only
     * when the output layer is tied to it (no output.weight). */
    bool tied = !gguf_find_tensor(m, "output.weight");
    uint64_t all = 0, dense = 0, experts = 0;
    for (size_t i = 0; i < m->n_tensors; i++) {
        const struct gguf_tensor *t = &m->tensors[i];
        all += t->n_bytes;
        if (strstr(t->name, "_exps"))
            experts += t->n_bytes;
        else if (tied || strcmp(t->name, "token_embd.weight"))
            dense += t->n_bytes;
    }
    *total = all;
    *active = (opt_u64){0};
    if (!experts) {
        *active = OPT_U64(dense);
        return;
    }
    const struct gguf_summary *s = &m->s;
    if (!s->n_expert.known || !s->n_expert_used.known || !s->n_expert.v ||
        s->n_expert_used.v > s->n_expert.v)
        return;
    *active = OPT_U64(dense + experts / s->n_expert.v * s->n_expert_used.v +
                      experts % s->n_expert.v * s->n_expert_used.v / s->n_expert.v);
}

void bench_model_from_gguf(struct bench_model *bm, const struct gguf_model *m, const char *name)
{
    uint64_t total;
    memset(bm, 0, sizeof(*bm));
    bm->name = xstrdup_or_null(name ? name : m->s.name);
    bm->architecture = xstrdup_or_null(m->s.arch);
    bm->type = xstrdup_or_null(m->s.file_type_name);
    bm->parameters = OPT_U64(m->n_params);
    bench_weight_bytes(m, &total, &bm->active_bytes);
    bm->bytes = OPT_U64(total);
    bm->experts = m->s.n_expert;
    bm->experts_used = m->s.n_expert_used;
}
