#include "util/common.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>

#include "bench/tune.h"
#include "util/json.h"
#include "util/strbuf.h"

const char *tune_workload_name(enum workload w)
{
    return w == WORKLOAD_PREFILL ? "long-prefill" : "chat";
}

void tune_default_tests(enum workload w, struct tune_tests *t)
{
    if (w == WORKLOAD_PREFILL)
        *t = (struct tune_tests){.p = 512, .n = 0, .depth = 8192, .reps = 3};
    else
        *t = (struct tune_tests){.p = 256, .n = 128, .depth = 0, .reps = 3};
}

void tune_config_release(struct tune_config *c)
{
    free(c->recipe);
    c->recipe = NULL;
}

void tune_decision_release(struct tune_decision *d)
{
    for (size_t i = 0; i < d->n; i++)
        tune_config_release(&d->v[i].c);
    free(d->v);
    free(d->reason);
    memset(d, 0, sizeof(*d));
}

void tune_config_describe(const struct tune_config *c, struct strbuf *out)
{
    strbuf_addf(out, "-ub %u -fa %s", c->ubatch, c->flash_attn ? "on" : "off");
    if (c->kv != KV_F16)
        strbuf_addf(out, " --cache-type-k %s --cache-type-v %s", kv_type_name(c->kv),
                    kv_type_name(c->kv));
}

static bool config_eq(const struct tune_config *a, const struct tune_config *b)
{
    return str_eq(a->recipe, b->recipe) && a->ubatch == b->ubatch &&
           a->flash_attn == b->flash_attn && a->kv == b->kv;
}

static struct tune_candidate *find_or_add(struct tune_decision *d, const struct tune_config *c)
{
    for (size_t i = 0; i < d->n; i++)
        if (config_eq(&d->v[i].c, c))
            return &d->v[i];
    d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
    struct tune_candidate *k = &d->v[d->n++];
    memset(k, 0, sizeof(*k));
    k->c = *c;
    k->c.recipe = xstrdup_or_null(c->recipe);
    k->pp_sd = k->tg_sd = k->sd = -1;
    k->samples = SIZE_MAX;
    return k;
}

/* The configuration a result was measured with; false when the result does
 * not say (an imported log without ubatch, flash attention "auto"). Sets
 * *mixed when K and V types differ. */
static bool result_config(const struct bench_record *rec, struct tune_config *c, bool *mixed)
{
    const struct bench_result *r = &rec->r;
    *mixed = false;
    if (!rec->image.recipe || !r->n_ubatch.known || r->n_ubatch.v > UINT32_MAX)
        return false;
    if (r->flash_attn != BENCH_FA_ON && r->flash_attn != BENCH_FA_OFF)
        return false;
    enum kv_type k = KV_F16, v = KV_F16;
    if ((r->type_k && kv_type_from_name(r->type_k, &k) < 0) ||
        (r->type_v && kv_type_from_name(r->type_v, &v) < 0))
        return false;
    *mixed = k != v;
    c->recipe = rec->image.recipe;
    c->ubatch = (unsigned)r->n_ubatch.v;
    c->flash_attn = r->flash_attn == BENCH_FA_ON;
    /* The V type decides what needs flash attention. */
    c->kv = v;
    return true;
}

static bool u64_is(opt_u64 v, unsigned want)
{
    return v.known ? v.v == want : want == 0;
}

static void score(enum workload w, const struct tune_tests *t, struct tune_candidate *k)
{
    if (w == WORKLOAD_PREFILL) {
        k->scored = k->have_pp && k->pp > 0;
        k->score = k->pp;
        k->sd = k->pp_sd;
        return;
    }
    k->scored = k->have_pp && k->have_tg && k->pp > 0 && k->tg > 0;
    if (!k->scored)
        return;
    double p = t->p, n = t->n;
    double turn = p / k->pp + n / k->tg; /* seconds */
    k->score = n / turn;
    if (k->pp_sd >= 0 && k->tg_sd >= 0) {
        /* d(turn) = p/pp^2 d(pp) + n/tg^2 d(tg); score = n/turn. */
        double a = p / (k->pp * k->pp) * k->pp_sd, b = n / (k->tg * k->tg) * k->tg_sd;
        k->sd = k->score * sqrt(a * a + b * b) / turn;
    }
}

static void set_reason(struct tune_decision *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_reason(struct tune_decision *d, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    free(d->reason);
    d->reason = strbuf_detach(&sb);
}

void tune_decide(enum workload w, const struct tune_tests *t, const struct tune_config *def,
                 const struct bench_record *recs, size_t n_recs, struct tune_decision *d)
{
    memset(d, 0, sizeof(*d));
    d->workload = w;
    d->tests = *t;
    d->def = d->best = d->winner = -1;
    d->threshold = -1;
    /* The default first: it wins ties. */
    find_or_add(d, def);
    bool def_seen = false;
    for (size_t i = 0; i < n_recs; i++) {
        const struct bench_result *r = &recs[i].r;
        struct tune_config c;
        bool mixed;
        /* A K type that is not the V type is left out: the plan has one
         * --kv-type, and merging it by its V type would mix it up with
         * another configuration. */
        if (!result_config(&recs[i], &c, &mixed) || mixed)
            continue;
        bool pp = r->kind == BENCH_PP && u64_is(r->n_prompt, t->p) && u64_is(r->n_depth, t->depth);
        bool tg = w == WORKLOAD_CHAT && r->kind == BENCH_TG && u64_is(r->n_gen, t->n) &&
                  u64_is(r->n_depth, 0);
        if (!pp && !tg)
            continue;
        struct tune_candidate *k = find_or_add(d, &c);
        def_seen = def_seen || k == &d->v[0];
        double sd = r->stddev_ts.known && r->n_samples >= 2 ? r->stddev_ts.v : -1;
        if (pp) {
            k->have_pp = true;
            k->pp = r->avg_ts.v;
            k->pp_sd = sd;
        } else {
            k->have_tg = true;
            k->tg = r->avg_ts.v;
            k->tg_sd = sd;
        }
        if (r->n_samples < k->samples)
            k->samples = r->n_samples;
        if (c.kv != KV_F16 && !c.flash_attn)
            k->excluded = "a quantised V cache needs flash attention";
    }
    for (size_t i = 0; i < d->n; i++) {
        struct tune_candidate *k = &d->v[i];
        if (k->samples == SIZE_MAX)
            k->samples = 0;
        score(w, t, k);
        if (!k->scored || k->excluded)
            continue;
        if (d->best < 0 || k->score > d->v[d->best].score)
            d->best = (int)i;
    }
    const struct tune_candidate *dk = &d->v[0];
    if (def_seen && dk->scored)
        d->def = 0;
    if (d->best < 0) {
        set_reason(d, "no configuration was measured: the default is kept");
        return;
    }
    if (d->def < 0) {
        set_reason(d, "the default (%s, ub %u, fa on, kv f16) was not measured: it is kept",
                   def->recipe ? def->recipe : "?", def->ubatch);
        return;
    }
    const struct tune_candidate *bk = &d->v[d->best];
    d->margin = (bk->score - dk->score) / dk->score;
    if (d->best == d->def) {
        set_reason(d, "the default was the fastest");
        return;
    }
    if (bk->sd < 0 || dk->sd < 0) {
        set_reason(d,
                   "the noise is unknown (fewer than 2 samples per test): the default is kept "
                   "although the best was %+.1f %%",
                   d->margin * 100);
        return;
    }
    d->threshold = TUNE_NOISE_K * sqrt(bk->sd * bk->sd + dk->sd * dk->sd);
    double diff = bk->score - dk->score;
    if (diff > d->threshold && d->margin >= TUNE_MIN_MARGIN) {
        d->winner = d->best;
        set_reason(d, "%+.1f %% over the default (%.2f t/s), more than the noise allows (%.2f t/s)",
                   d->margin * 100, diff, d->threshold);
    } else if (diff <= d->threshold) {
        set_reason(d,
                   "the default won: the fastest was %+.1f %% (%.2f t/s), within the noise "
                   "(%.2f t/s)",
                   d->margin * 100, diff, d->threshold);
    } else {
        set_reason(d, "the default won: the fastest was %+.1f %%, under the %.0f %% minimum",
                   d->margin * 100, TUNE_MIN_MARGIN * 100);
    }
}

/* ---- JSON ------------------------------------------------------------------- */

cJSON *tune_config_to_json(const struct tune_config *c)
{
    cJSON *o = cJSON_CreateObject();
    json_add_str(o, "recipe", c->recipe);
    cJSON_AddNumberToObject(o, "ubatch", c->ubatch);
    cJSON_AddStringToObject(o, "flash_attn", c->flash_attn ? "on" : "off");
    cJSON_AddStringToObject(o, "kv_type", kv_type_name(c->kv));
    return o;
}

int tune_config_from_json(const cJSON *o, const char *origin, struct tune_config *c,
                          struct hb_error *err)
{
    memset(c, 0, sizeof(*c));
    struct json_reader r = {.origin = origin, .path = "settings", .err = err};
    opt_u64 ub = {0};
    char *fa = NULL, *kv = NULL;
    int rc = 0;
    if (!cJSON_IsObject(o))
        rc = hb_error_set(err, EXIT_INPUT, "%s: settings: expected an object", origin);
    if (rc == 0)
        rc = json_get_str(&r, o, "recipe", &c->recipe);
    if (rc == 0)
        rc = json_get_u64(&r, o, "ubatch", &ub);
    if (rc == 0)
        rc = json_get_str(&r, o, "flash_attn", &fa);
    if (rc == 0)
        rc = json_get_str(&r, o, "kv_type", &kv);
    if (rc == 0 && (!c->recipe || !*c->recipe))
        rc = hb_error_set(err, EXIT_INPUT, "%s: settings.recipe: missing", origin);
    /* The bound of bench tune --ubatch. */
    if (rc == 0 && (!ub.known || !ub.v || ub.v > (1u << 24)))
        rc = hb_error_set(err, EXIT_INPUT, "%s: settings.ubatch: expected 1 to 16777216", origin);
    if (rc == 0 && !str_eq(fa, "on") && !str_eq(fa, "off"))
        rc = hb_error_set(err, EXIT_INPUT, "%s: settings.flash_attn: expected on or off", origin);
    if (rc == 0 && (!kv || kv_type_from_name(kv, &c->kv) < 0))
        rc = hb_error_set(err, EXIT_INPUT, "%s: settings.kv_type: expected f16, q8_0 or q4_0",
                          origin);
    if (rc == 0 && c->kv != KV_F16 && str_eq(fa, "off"))
        rc = hb_error_set(err, EXIT_INPUT,
                          "%s: settings: a quantised KV cache needs flash attention", origin);
    if (rc == 0) {
        c->ubatch = (unsigned)ub.v;
        c->flash_attn = str_eq(fa, "on");
    } else {
        tune_config_release(c);
    }
    free(fa);
    free(kv);
    return rc;
}

static void add_num_or_null(cJSON *o, const char *key, bool known, double v)
{
    if (known)
        cJSON_AddNumberToObject(o, key, round_scaled(v, 1000));
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *candidate_to_json(const struct tune_decision *d, size_t i)
{
    const struct tune_candidate *k = &d->v[i];
    cJSON *o = tune_config_to_json(&k->c);
    cJSON_AddBoolToObject(o, "default", (int)i == 0);
    add_num_or_null(o, "pp_ts", k->have_pp, k->pp);
    add_num_or_null(o, "pp_stddev", k->have_pp && k->pp_sd >= 0, k->pp_sd);
    if (d->workload == WORKLOAD_CHAT) {
        add_num_or_null(o, "tg_ts", k->have_tg, k->tg);
        add_num_or_null(o, "tg_stddev", k->have_tg && k->tg_sd >= 0, k->tg_sd);
    }
    cJSON_AddNumberToObject(o, "samples", (double)k->samples);
    add_num_or_null(o, "score", k->scored, k->score);
    add_num_or_null(o, "score_stddev", k->scored && k->sd >= 0, k->sd);
    json_add_str(o, "excluded", k->excluded);
    return o;
}

cJSON *tune_decision_to_json(const struct tune_decision *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "workload", tune_workload_name(d->workload));
    cJSON *t = cJSON_AddObjectToObject(o, "tests");
    cJSON_AddNumberToObject(t, "n_prompt", d->tests.p);
    cJSON_AddNumberToObject(t, "n_gen", d->tests.n);
    cJSON_AddNumberToObject(t, "n_depth", d->tests.depth);
    cJSON_AddNumberToObject(t, "repetitions", d->tests.reps);
    cJSON_AddStringToObject(o, "score",
                            d->workload == WORKLOAD_PREFILL
                                ? "pp t/s at the depth"
                                : "n_gen / (n_prompt / pp + n_gen / tg): generated t/s of a turn");
    cJSON *arr = cJSON_AddArrayToObject(o, "candidates");
    for (size_t i = 0; i < d->n; i++)
        cJSON_AddItemToArray(arr, candidate_to_json(d, i));
    cJSON *dec = cJSON_AddObjectToObject(o, "decision");
    cJSON_AddBoolToObject(dec, "default_won", d->winner < 0);
    cJSON_AddItemToObject(dec, "settings",
                          tune_config_to_json(&d->v[d->winner >= 0 ? d->winner : 0].c));
    if (d->best >= 0)
        cJSON_AddItemToObject(dec, "fastest", tune_config_to_json(&d->v[d->best].c));
    else
        cJSON_AddNullToObject(dec, "fastest");
    add_num_or_null(dec, "default_score", d->def >= 0, d->def >= 0 ? d->v[d->def].score : 0);
    add_num_or_null(dec, "fastest_score", d->best >= 0, d->best >= 0 ? d->v[d->best].score : 0);
    add_num_or_null(dec, "margin", d->def >= 0 && d->best >= 0, d->margin);
    add_num_or_null(dec, "noise_threshold", d->threshold >= 0, d->threshold);
    json_add_str(dec, "reason", d->reason);
    return o;
}
