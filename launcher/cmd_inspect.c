/* halobox inspect: the host facts as a short table, or as JSON with the
 * doctor's verdict (schema halobox.facts/1). */
#include "util/common.h"

#include <cjson/cJSON.h>

#include "cmd.h"

int cmd_inspect(int argc, char **argv)
{
    struct facts_options o;
    int done = parse_facts_options("inspect", argc, argv, &o);
    if (done >= 0)
        return done;

    struct facts f;
    facts_init(&f);
    struct hb_error err = HB_ERROR_INIT;
    int rc = EXIT_OK;
    if (facts_acquire(o.facts_path, o.fresh, &f, &err) < 0) {
        rc = report_error(&err);
        goto out;
    }
    struct verdict v;
    verdict_with_recommendation(&f, o.workload, &v);
    int w;
    if (o.json) {
        cJSON *root = facts_to_json(&f);
        verdict_add_json(root, &v);
        w = write_json_stdout(root, &err);
        cJSON_Delete(root);
    } else {
        struct strbuf out = STRBUF_INIT;
        render_facts_table(&out, &f, &v);
        strbuf_addch(&out, '\n');
        render_findings(&out, &v);
        strbuf_addch(&out, '\n');
        render_recommendation(&out, &v);
        w = write_stdout(&out, &err);
        strbuf_release(&out);
    }
    if (w < 0)
        rc = report_error(&err);
    verdict_release(&v);
out:
    hb_error_release(&err);
    facts_release(&f);
    return rc;
}
