#include "util/common.h"

#include "bench/tuned.h"
#include "plan.h"
#include "util/sha256.h"
#include "util/strbuf.h"

int tuned_apply(const char *model_sha256, const struct facts *f, const struct verdict *v,
                enum workload w, bool kv_given, struct plan_request *req, struct plan_tuned *t,
                struct strbuf *from, struct strbuf *note, struct hb_error *err)
{
    if (!model_sha256 || !sha256_hex_valid(model_sha256))
        return 0;
    struct strbuf dir = STRBUF_INIT;
    if (tuned_dir(&dir, err) < 0) {
        /* No home: nothing was ever stored. */
        hb_error_release(err);
        strbuf_release(&dir);
        return 0;
    }
    struct bench_host host;
    bench_host_from_facts(&host, f, v);
    char key[17];
    tuned_host_key(&host, key);
    bench_host_release(&host);
    const char *wname = tune_workload_name(w);
    struct tuned_entry e;
    int r = tuned_find(dir.buf, model_sha256, key, wname, &e, err);
    strbuf_release(&dir);
    if (r <= 0) {
        if (r < 0)
            hb_error_prefix(err, "tuned settings (--no-tune ignores them)");
        return r;
    }
    const struct tune_config *c = &e.settings;
    const struct recipe *rc = recipes_find(req->recipes, c->recipe);
    struct strbuf why = STRBUF_INIT;
    r = 0;
    if (e.default_won) {
        strbuf_addf(note, "bench tune (%s, run %s): the defaults won on this host", wname,
                    e.run_id ? e.run_id : "?");
    } else if (req->recipe && strcmp(req->recipe, c->recipe)) {
        strbuf_addf(note, "the settings tuned for %s are for recipe %s, not %s: not used", wname,
                    c->recipe, req->recipe);
    } else if (!rc) {
        strbuf_addf(note, "the settings tuned for %s are for recipe %s, which is gone: not used",
                    wname, c->recipe);
    } else if (!req->recipe && !recipe_suits(rc, f, &why)) {
        strbuf_addf(note, "the settings tuned for %s are for recipe %s, which no longer suits: %s",
                    wname, c->recipe, why.buf);
    } else if (!str_eq(rc->engine_version, e.engine_version)) {
        strbuf_addf(note,
                    "the settings tuned for %s were measured with engine %s, recipe %s is at %s: "
                    "not used (run 'halobox bench tune' again)",
                    wname, e.engine_version ? e.engine_version : "?", c->recipe,
                    rc->engine_version ? rc->engine_version : "?");
    } else if (kv_given && req->kv != c->kv) {
        strbuf_addf(note,
                    "the settings tuned for %s use a %s KV cache, --kv-type asks for %s: not "
                    "used",
                    wname, kv_type_name(c->kv), kv_type_name(req->kv));
    } else {
        t->recipe = rc->name;
        req->kv = c->kv;
        t->ubatch = c->ubatch;
        t->flash_attn = c->flash_attn;
        strbuf_addf(from, "%s with recipe %s, ", wname, c->recipe);
        tune_config_describe(c, from);
        strbuf_addf(from, ": bench tune run %s", e.run_id ? e.run_id : "?");
        if (e.margin_known)
            strbuf_addf(from, ", %+.1f %% over the defaults", e.margin * 100);
        strbuf_addstr(from, " (--no-tune ignores it)");
        t->from = from->buf;
        r = 1;
    }
    strbuf_release(&why);
    tuned_entry_release(&e);
    return r;
}
