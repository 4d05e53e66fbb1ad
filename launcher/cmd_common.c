#include "util/common.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <unistd.h>

#include "cmd.h"
#include "host/probe.h"
#include "recipes.h"
#include "util/fs.h"

/* A facts document is a few KiB; a user's report with everything in it
 * stays far below this. */
#define FACTS_FILE_MAX (16 * 1024 * 1024)

static int load_facts_file(const char *path, struct facts *f, struct hb_error *err)
{
    struct strbuf text = STRBUF_INIT;
    if (read_small_file(path, FACTS_FILE_MAX, &text) < 0) {
        int e = errno;
        strbuf_release(&text);
        if (e == EFBIG)
            return hb_error_set(err, EXIT_INPUT, "%s: larger than %d MiB, not a facts file", path,
                                FACTS_FILE_MAX / 1024 / 1024);
        return hb_error_set(err, EXIT_INPUT, "%s: %s", path, strerror(e));
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text.buf, text.len, &end, false);
    int ret = 0;
    if (!root) {
        size_t at = end && end >= text.buf ? (size_t)(end - text.buf) : 0;
        ret = hb_error_set(err, EXIT_INPUT, "%s: not valid JSON (near byte %zu)", path, at);
    } else {
        ret = facts_from_json(f, root, path, err);
        cJSON_Delete(root);
    }
    strbuf_release(&text);
    if (ret == 0)
        facts_derive(f);
    return ret;
}

int facts_acquire(const char *facts_path, bool fresh, struct facts *f, struct hb_error *err)
{
    if (facts_path)
        return load_facts_file(facts_path, f, err);
    probe_all(f, fresh);
    return 0;
}

int write_stdout(const struct strbuf *sb, struct hb_error *err)
{
    if (fwrite(sb->buf, 1, sb->len, stdout) != sb->len || fflush(stdout) != 0 || ferror(stdout))
        return hb_error_set(err, EXIT_RUNTIME, "cannot write to standard output: %s",
                            strerror(errno));
    return 0;
}

int write_json_stdout(const cJSON *json, struct hb_error *err)
{
    char *text = cJSON_Print(json);
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, text);
    strbuf_addch(&sb, '\n');
    free(text);
    int r = write_stdout(&sb, err);
    strbuf_release(&sb);
    return r;
}

int parse_workload(const char *s, enum workload *w)
{
    if (!strcmp(s, "chat"))
        *w = WORKLOAD_CHAT;
    else if (!strcmp(s, "prefill") || !strcmp(s, "long-prefill"))
        *w = WORKLOAD_PREFILL;
    else
        return -1;
    return 0;
}

int report_error(const struct hb_error *err)
{
    fprintf(stderr, "halobox: %s\n", err->msg ? err->msg : "unknown error");
    return err->exit_code ? err->exit_code : EXIT_RUNTIME;
}

int usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "halobox %s: ", command);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'halobox %s --help')\n", command);
    return EXIT_USAGE;
}

int getopt_rest(int c, const char *command, const char *usage, char *const argv[])
{
    if (c == 'h') {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (c == ':')
        return usage_error(command, "option '%s' needs a value", argv[optind - 1]);
    return usage_error(command, "unknown option '%s'", argv[optind - 1]);
}

const struct command *command_find(const char *name)
{
    for (size_t i = 0; i < n_commands; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

int parse_facts_options(const char *command, int argc, char **argv, struct facts_options *o)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},           {"facts", required_argument, NULL, 'f'},
        {"workload", required_argument, NULL, 'w'}, {"fresh", no_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},           {0},
    };
    memset(o, 0, sizeof(*o));
    o->workload = WORKLOAD_CHAT;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:jf:w:h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            o->json = true;
            break;
        case 'f':
            o->facts_path = optarg;
            break;
        case 'F':
            o->fresh = true;
            break;
        case 'w':
            if (parse_workload(optarg, &o->workload) < 0)
                return usage_error(command, "--workload takes chat or prefill, not '%s'", optarg);
            break;
        default:
            return getopt_rest(c, command, command_find(command)->usage, argv);
        }
    }
    if (optind < argc)
        return usage_error(command, "unexpected argument '%s'", argv[optind]);
    return -1;
}

void verdict_with_recommendation(const struct facts *f, enum workload w, struct verdict *v)
{
    doctor_evaluate(f, v);
    struct strbuf dir = STRBUF_INIT;
    struct hb_error err = HB_ERROR_INIT;
    struct recipe_set set = {0};
    bool have = recipes_dir_find(&dir, &err) == 0 && recipes_load_dir(&set, dir.buf, &err) == 0;
    verdict_recommend(v, f, w, have ? &set : NULL);
    if (!have)
        fprintf(stderr, "halobox: warning: %s: no recommendation\n", err.msg);
    recipes_release(&set);
    hb_error_release(&err);
    strbuf_release(&dir);
}
