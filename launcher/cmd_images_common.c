#include "util/common.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_images_common.h"
#include "podman.h"
#include "util/strbuf.h"

extern char **environ;

int image_run_progress(char *const argv[], struct hb_error *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return hb_error_set(err, EXIT_RUNTIME, "cannot run '%s': %s", argv[0], strerror(rc));
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return hb_error_set(err, EXIT_RUNTIME, "waiting for '%s': %s", argv[0],
                                strerror(errno));
    if (WIFSIGNALED(status))
        return hb_error_set(err, EXIT_RUNTIME, "'%s' killed by signal %d", argv[0],
                            WTERMSIG(status));
    return WEXITSTATUS(status);
}

static void human_size(struct strbuf *sb, const char *bytes)
{
    char *end;
    unsigned long long b = strtoull(bytes, &end, 10);
    if (*end || !*bytes) {
        strbuf_addf(sb, "size unknown");
        return;
    }
    strbuf_addf(sb, "%.1f MB (%llu bytes)", (double)b / 1e6, b);
}

int image_print_result(const char *podman, const char *tag, const char *what, struct hb_error *err)
{
    char *size = podman_image_inspect(podman, tag, "{{.Size}}");
    struct strbuf line = STRBUF_INIT;
    strbuf_addf(&line, "%s %s ", what, tag);
    human_size(&line, size ? size : "");
    strbuf_addch(&line, '\n');
    int ret = write_stdout(&line, err);
    strbuf_release(&line);
    free(size);
    return ret;
}

int images_load_recipes(char *const names[], int n, struct recipe_set *set, struct strbuf *dir,
                        struct hb_error *err)
{
    if (recipes_dir_find(dir, err) < 0 || recipes_load_dir(set, dir->buf, err) < 0 ||
        recipes_digest_all(set, err) < 0)
        return -1;
    for (int i = 0; i < n; i++)
        if (!recipes_find(set, names[i])) {
            struct strbuf list = STRBUF_INIT;
            recipes_names(set, &list);
            hb_error_set(err, EXIT_INPUT, "no recipe '%s' in %s (there are: %s)", names[i],
                         dir->buf, list.buf);
            strbuf_release(&list);
            return -1;
        }
    return 0;
}

bool image_is_current(const char *podman, const char *tag, const struct recipe *r)
{
    char *have = podman_image_inspect(podman, tag, "{{index .Labels \"halobox.recipe.sha256\"}}");
    bool current = have && !strcmp(have, r->sha256);
    free(have);
    return current;
}

int image_up_to_date(const char *podman, const char *tag, const struct recipe *r, bool force,
                     const char *again, struct hb_error *err)
{
    if (force || !image_is_current(podman, tag, r))
        return 0;
    fprintf(stderr, "halobox: %s is up to date with recipe %s (--force %s it again)\n", tag,
            r->name, again);
    return image_print_result(podman, tag, "up-to-date", err) < 0 ? -1 : 1;
}

const char *image_label(const cJSON *labels, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, name);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}
