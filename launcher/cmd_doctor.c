/* halobox doctor: the findings, each with its fix; the exit status says
 * whether anything stops an engine from running (1 with an error finding). */
#include "util/common.h"

#include <cjson/cJSON.h>

#include "cmd.h"

int cmd_doctor(int argc, char **argv)
{
    struct facts_options o;
    int done = parse_facts_options("doctor", argc, argv, &o);
    if (done >= 0)
        return done;

    struct facts f;
    facts_init(&f);
    struct hb_error err = HB_ERROR_INIT;
    int rc;
    if (facts_acquire(o.facts_path, o.fresh, &f, &err) < 0) {
        rc = report_error(&err);
        hb_error_release(&err);
        facts_release(&f);
        return rc;
    }
    struct verdict v;
    verdict_with_recommendation(&f, o.workload, &v);
    int w;
    if (o.json) {
        cJSON *root = cJSON_CreateObject();
        verdict_add_json(root, &v);
        w = write_json_stdout(root, &err);
        cJSON_Delete(root);
    } else {
        struct strbuf out = STRBUF_INIT;
        size_t errors = 0, warnings = 0;
        for (size_t i = 0; i < v.n_findings; i++) {
            errors += v.findings[i].severity == SEV_ERROR;
            warnings += v.findings[i].severity == SEV_WARN;
        }
        strbuf_addf(&out, "%zu error%s, %zu warning%s\n", errors, errors == 1 ? "" : "s", warnings,
                    warnings == 1 ? "" : "s");
        render_findings(&out, &v);
        render_recommendation(&out, &v);
        w = write_stdout(&out, &err);
        strbuf_release(&out);
    }
    rc = w < 0 ? report_error(&err) : verdict_has_error(&v) ? EXIT_FINDING_ERROR : EXIT_OK;
    verdict_release(&v);
    hb_error_release(&err);
    facts_release(&f);
    return rc;
}
