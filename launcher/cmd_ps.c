/* halobox ps, stop and logs: the containers halobox started, found by
 * their label (halobox.model), never anyone else's. */
#include "util/common.h"

#include <cjson/cJSON.h>
#include <getopt.h>

#include "cmd.h"
#include "podman.h"

static int need_podman(char **podman, struct hb_error *err)
{
    *podman = podman_find();
    if (*podman)
        return 0;
    const char *env = getenv("HALOBOX_PODMAN");
    if (env && *env)
        return hb_error_set(err, EXIT_RUNTIME,
                            "podman not found: HALOBOX_PODMAN is '%s', which is not a program",
                            env);
    return hb_error_set(err, EXIT_RUNTIME, "podman not found in PATH: install podman");
}

/* Options: only --help and the flags given in `flags` ("json", "all",
 * "follow"). Returns -1 to go on, else the exit code. */
static int parse(const char *command, int argc, char **argv, bool *json, bool *all, bool *follow)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"all", no_argument, NULL, 'a'},
        {"follow", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":afh", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            if (!json)
                return usage_error(command, "unknown option '%s'", argv[optind - 1]);
            *json = true;
            break;
        case 'a':
            if (!all)
                return usage_error(command, "unknown option '%s'", argv[optind - 1]);
            *all = true;
            break;
        case 'f':
            if (!follow)
                return usage_error(command, "unknown option '%s'", argv[optind - 1]);
            *follow = true;
            break;
        default:
            return getopt_rest(c, command, command_find(command)->usage, argv);
        }
    }
    return -1;
}

static void url_of(struct strbuf *sb, const struct hb_container *c)
{
    if (c->port && c->host && (!c->intent || !strcmp(c->intent, "serve")))
        engine_base_url(sb, c->host, c->port);
    /* An RPC worker: the address a main node gives to --rpc. */
    else if (c->port && c->host && !strcmp(c->intent, "rpc-worker"))
        strbuf_addf(sb, strchr(c->host, ':') ? "rpc [%s]:%u" : "rpc %s:%u", c->host, c->port);
}

static void add_str(cJSON *o, const char *key, const char *value)
{
    cJSON_AddItemToObject(o, key, value ? cJSON_CreateString(value) : cJSON_CreateNull());
}

static void names_of(struct strbuf *sb, const struct hb_container *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        strbuf_addf(sb, "%s%s", i ? ", " : "", v[i].name ? v[i].name : "?");
}

int cmd_ps(int argc, char **argv)
{
    bool json = false;
    int done = parse("ps", argc, argv, &json, NULL, NULL);
    if (done >= 0)
        return done;
    if (optind < argc)
        return usage_error("ps", "unexpected argument '%s'", argv[optind]);
    struct hb_error err = HB_ERROR_INIT;
    char *podman = NULL;
    struct hb_container *v = NULL;
    size_t n = 0;
    int rc = EXIT_OK;
    if (need_podman(&podman, &err) < 0 || podman_list(podman, &v, &n, &err) < 0) {
        rc = report_error(&err);
        goto out;
    }
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++) {
            const struct hb_container *c = &v[i];
            cJSON *o = cJSON_CreateObject();
            add_str(o, "name", c->name);
            add_str(o, "id", c->id);
            add_str(o, "model", c->model);
            add_str(o, "recipe", c->recipe);
            add_str(o, "backend", c->backend);
            add_str(o, "intent", c->intent);
            add_str(o, "image", c->image);
            add_str(o, "state", c->state);
            add_str(o, "status", c->status);
            add_str(o, "host", c->host);
            cJSON_AddItemToObject(o, "port",
                                  c->port ? cJSON_CreateNumber(c->port) : cJSON_CreateNull());
            struct strbuf url = STRBUF_INIT;
            /* A worker has no URL: host and port say where it is. */
            if (!c->intent || strcmp(c->intent, "rpc-worker"))
                url_of(&url, c);
            add_str(o, "url", url.len ? url.buf : NULL);
            strbuf_release(&url);
            cJSON_AddItemToObject(o, "created",
                                  c->created ? cJSON_CreateNumber((double)c->created)
                                             : cJSON_CreateNull());
            cJSON_AddItemToArray(arr, o);
        }
        if (write_json_stdout(arr, &err) < 0)
            rc = report_error(&err);
        cJSON_Delete(arr);
        goto out;
    }
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "%-28s %-20s %-14s %-9s %s\n", "NAME", "MODEL", "RECIPE", "STATE", "URL");
    for (size_t i = 0; i < n; i++) {
        const struct hb_container *c = &v[i];
        struct strbuf url = STRBUF_INIT;
        url_of(&url, c);
        strbuf_addf(&sb, "%-28s %-20s %-14s %-9s %s\n", c->name ? c->name : "?",
                    c->model ? c->model : "?", c->recipe ? c->recipe : "?",
                    c->state ? c->state : "?", url.len ? url.buf : "-");
        strbuf_release(&url);
    }
    if (write_stdout(&sb, &err) < 0)
        rc = report_error(&err);
    strbuf_release(&sb);
out:
    podman_list_release(v, n);
    free(podman);
    hb_error_release(&err);
    return rc;
}

int cmd_stop(int argc, char **argv)
{
    bool all = false;
    int done = parse("stop", argc, argv, NULL, &all, NULL);
    if (done >= 0)
        return done;
    if (!all && optind >= argc)
        return usage_error("stop", "name a container (see 'halobox ps'), or give --all");
    if (all && optind < argc)
        return usage_error("stop", "--all stops every halobox container: name none");
    struct hb_error err = HB_ERROR_INIT;
    char *podman = NULL;
    struct hb_container *v = NULL;
    size_t n = 0;
    int rc = EXIT_OK;
    if (need_podman(&podman, &err) < 0 || podman_list(podman, &v, &n, &err) < 0) {
        rc = report_error(&err);
        goto out;
    }
    /* Every name is checked before anything is stopped. */
    for (int i = optind; i < argc; i++) {
        if (!podman_list_find(v, n, argv[i])) {
            struct strbuf names = STRBUF_INIT;
            names_of(&names, v, n);
            hb_error_set(&err, EXIT_INPUT, "no halobox container '%s' (%s%s)", argv[i],
                         n ? "there are: " : "there are none", names.buf);
            strbuf_release(&names);
            rc = report_error(&err);
            goto out;
        }
    }
    size_t count = all ? n : (size_t)(argc - optind);
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < count; i++) {
        const struct hb_container *c = all ? &v[i] : podman_list_find(v, n, argv[optind + (int)i]);
        if (podman_remove(podman, c->id ? c->id : c->name, 10, &err) < 0) {
            rc = report_error(&err);
            continue;
        }
        strbuf_addf(&sb, "stopped %s\n", c->name ? c->name : c->id);
    }
    if (write_stdout(&sb, &err) < 0)
        rc = report_error(&err);
    strbuf_release(&sb);
out:
    podman_list_release(v, n);
    free(podman);
    hb_error_release(&err);
    return rc;
}

int cmd_logs(int argc, char **argv)
{
    bool follow = false;
    int done = parse("logs", argc, argv, NULL, NULL, &follow);
    if (done >= 0)
        return done;
    if (optind != argc - 1)
        return optind >= argc ? usage_error("logs", "name a container (see 'halobox ps')")
                              : usage_error("logs", "unexpected argument '%s'", argv[optind + 1]);
    const char *what = argv[optind];
    struct hb_error err = HB_ERROR_INIT;
    char *podman = NULL;
    struct hb_container *v = NULL;
    size_t n = 0;
    int rc = EXIT_OK;
    if (need_podman(&podman, &err) < 0 || podman_list(podman, &v, &n, &err) < 0) {
        rc = report_error(&err);
        goto out;
    }
    const struct hb_container *c = podman_list_find(v, n, what);
    if (!c) {
        struct strbuf names = STRBUF_INIT;
        names_of(&names, v, n);
        hb_error_set(&err, EXIT_INPUT, "no halobox container '%s' (%s%s)", what,
                     n ? "there are: " : "there are none", names.buf);
        strbuf_release(&names);
        rc = report_error(&err);
        goto out;
    }
    /* podman writes the engine's stdout and stderr to ours. */
    char *args[] = {podman, "logs", follow ? "--follow" : NULL, NULL, NULL};
    args[follow ? 3 : 2] = c->id ? c->id : c->name;
    pid_t pid;
    if (podman_spawn(args, -1, -1, -1, &pid, &err) < 0) {
        rc = report_error(&err);
        goto out;
    }
    int status = podman_wait(pid, NULL, &err);
    if (status < 0)
        rc = report_error(&err);
    else if (status != 0 && status != 130)
        rc = EXIT_RUNTIME;
out:
    podman_list_release(v, n);
    free(podman);
    hb_error_release(&err);
    return rc;
}
