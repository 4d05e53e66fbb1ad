#include "util/common.h"

#include "cmd.h"
#include "recipes.h"
#include "cmd_rpc_engine.h"

int rpc_engine_find(const char *recipe, const char *facts_path, struct rpc_engine *e,
                    struct hb_error *err)
{
    memset(e, 0, sizeof(*e));
    struct facts f;
    facts_init(&f);
    struct recipe_set set = {0};
    struct strbuf dir = STRBUF_INIT;
    int r = recipes_dir_find(&dir, err);
    if (r == 0)
        r = recipes_load_dir(&set, dir.buf, err);
    const struct recipe *rc = NULL;
    if (r == 0 && recipe) {
        rc = recipes_find(&set, recipe);
        if (!rc)
            r = hb_error_set(err, EXIT_USAGE, "no recipe '%s' (see 'halobox images')", recipe);
    } else if (r == 0) {
        r = facts_acquire(facts_path, false, &f, err);
        if (r == 0) {
            struct recipe_choice choice;
            rc = recipes_select(&set, &f, NULL, &choice);
            recipe_choice_release(&choice);
            if (!rc)
                r = hb_error_set(err, EXIT_RUNTIME,
                                 "no engine recipe suits this host; name one with --recipe");
        }
    }
    if (r == 0) {
        e->recipe = xstrdup(rc->name);
        e->engine_version = xstrdup(rc->engine_version);
        e->image = recipe_image_tag(rc);
        e->protocol_known = rpc_protocol_of_engine(rc->engine_version, &e->protocol);
    }
    strbuf_release(&dir);
    recipes_release(&set);
    facts_release(&f);
    return r;
}

void rpc_engine_release(struct rpc_engine *e)
{
    free(e->recipe);
    free(e->engine_version);
    free(e->image);
    memset(e, 0, sizeof(*e));
}
