#include "util/common.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "podman.h"
#include "util/shell_quote.h"
#include "util/curl_dl.h"
#include "util/run.h"

extern char **environ;

char *podman_find(void)
{
    const char *env = getenv("HALOBOX_PODMAN");
    if (env && *env) {
        if (!strchr(env, '/'))
            return find_in_path(env);
        struct stat st;
        if (stat(env, &st) == 0 && S_ISREG(st.st_mode) && access(env, X_OK) == 0)
            return xstrdup(env);
        return NULL;
    }
    return find_in_path("podman");
}

/* ---- podman run ----------------------------------------------------------- */

static bool is_ipv6(const char *host)
{
    return strchr(host, ':') != NULL;
}

/* "127.0.0.1:8080:8080", "[::1]:8080:8080" */
static void publish_spec(struct strbuf *sb, const struct plan *p)
{
    if (is_ipv6(p->host))
        strbuf_addf(sb, "[%s]:%u:%u", p->host, p->port, p->port);
    else
        strbuf_addf(sb, "%s:%u:%u", p->host, p->port, p->port);
}

void podman_run_argv(const struct plan *p, const char *podman, struct str_list *argv)
{
    str_list_add(argv, podman);
    str_list_add(argv, "run");
    str_list_addf(argv, "--name=%s", p->name);
    if (p->rm)
        str_list_add(argv, "--rm");
    if (p->detach)
        str_list_add(argv, "--detach");
    if (p->interactive) {
        str_list_add(argv, "--interactive");
        str_list_add(argv, "--tty");
    }
    /* Engine images are built here (halobox build), never pulled. */
    str_list_add(argv, "--pull=never");
    for (size_t i = 0; i < p->cap_drop.n; i++)
        str_list_addf(argv, "--cap-drop=%s", p->cap_drop.v[i]);
    for (size_t i = 0; i < p->security.n; i++)
        str_list_addf(argv, "--security-opt=%s", p->security.v[i]);
    for (size_t i = 0; i < p->devices.n; i++)
        str_list_addf(argv, "--device=%s", p->devices.v[i]);
    for (size_t i = 0; i < p->groups.n; i++)
        str_list_addf(argv, "--group-add=%s", p->groups.v[i]);
    if (p->store_root)
        str_list_addf(argv, "--volume=%s:%s:ro", p->store_root, PLAN_STORE_MOUNT);
    if (p->cache_dir)
        str_list_addf(argv, "--volume=%s:%s", p->cache_dir, PLAN_CACHE_MOUNT);
    for (size_t i = 0; i < p->env.n; i++)
        str_list_addf(argv, "--env=%s", p->env.v[i]);
    for (size_t i = 0; i < p->labels.n; i++)
        str_list_addf(argv, "--label=%s", p->labels.v[i]);
    if (p->port) {
        struct strbuf pub = STRBUF_INIT;
        publish_spec(&pub, p);
        str_list_addf(argv, "--publish=%s", pub.buf);
        strbuf_release(&pub);
    }
    str_list_add(argv, p->image);
    for (size_t i = 0; i < p->engine.n; i++)
        str_list_add(argv, p->engine.v[i]);
}

/* ---- Quadlet ------------------------------------------------------------- */

/* One word of a systemd unit setting: specifiers (%) always doubled, and
 * in Exec= lines (exec) $ doubled too, since systemd expands variables
 * there; quoted with C escapes when it holds blanks, quotes or
 * backslashes. */
static void unit_word(struct strbuf *sb, const char *s, bool exec)
{
    bool quote = !*s;
    for (const char *c = s; *c; c++)
        if (strchr(" \t\n\"'\\;", *c))
            quote = true;
    if (quote)
        strbuf_addch(sb, '"');
    for (; *s; s++) {
        switch (*s) {
        case '%':
            strbuf_addstr(sb, "%%");
            break;
        case '$':
            strbuf_addstr(sb, exec ? "$$" : "$");
            break;
        case '"':
        case '\\':
            strbuf_addch(sb, '\\');
            strbuf_addch(sb, *s);
            break;
        case '\n':
            strbuf_addstr(sb, "\\n");
            break;
        case '\t':
            strbuf_addstr(sb, "\\t");
            break;
        default:
            strbuf_addch(sb, *s);
        }
    }
    if (quote)
        strbuf_addch(sb, '"');
}

static void unit_setting(struct strbuf *sb, const char *key, const char *value)
{
    strbuf_addf(sb, "%s=", key);
    unit_word(sb, value, false);
    strbuf_addch(sb, '\n');
}

void podman_quadlet(const struct plan *p, struct strbuf *out)
{
    struct strbuf url = STRBUF_INIT;
    engine_base_url(&url, p->host, p->port);
    strbuf_addf(out,
                "# %s.container: '%s' served by llama-server (recipe %s), from\n"
                "# 'halobox serve %s --generate quadlet'. Install it as\n"
                "#   ~/.config/containers/systemd/%s.container   (rootless), or\n"
                "#   /etc/containers/systemd/%s.container        (root),\n"
                "# then: systemctl [--user] daemon-reload; systemctl [--user] start %s\n"
                "[Unit]\n"
                "Description=halobox: %s on %s (llama-server, recipe %s)\n"
                "Wants=network-online.target\n"
                "After=network-online.target\n"
                "\n"
                "[Container]\n",
                p->name, p->model, p->recipe, p->model, p->name, p->name, p->name, p->model,
                url.buf, p->recipe);
    unit_setting(out, "ContainerName", p->name);
    unit_setting(out, "Image", p->image);
    for (size_t i = 0; i < p->devices.n; i++)
        unit_setting(out, "AddDevice", p->devices.v[i]);
    for (size_t i = 0; i < p->cap_drop.n; i++)
        unit_setting(out, "DropCapability", p->cap_drop.v[i]);
    for (size_t i = 0; i < p->security.n; i++) {
        if (!strcmp(p->security.v[i], "no-new-privileges"))
            strbuf_addstr(out, "NoNewPrivileges=true\n");
        else if (!strcmp(p->security.v[i], "label=disable"))
            strbuf_addstr(out, "SecurityLabelDisable=true\n");
        else {
            strbuf_addstr(out, "PodmanArgs=");
            struct strbuf arg = STRBUF_INIT;
            strbuf_addf(&arg, "--security-opt=%s", p->security.v[i]);
            unit_word(out, arg.buf, false);
            strbuf_release(&arg);
            strbuf_addch(out, '\n');
        }
    }
    /* Keys that every Quadlet version reads; these two go to podman as
     * they are. */
    strbuf_addstr(out, "PodmanArgs=--pull=never");
    for (size_t i = 0; i < p->groups.n; i++) {
        strbuf_addstr(out, " ");
        struct strbuf arg = STRBUF_INIT;
        strbuf_addf(&arg, "--group-add=%s", p->groups.v[i]);
        unit_word(out, arg.buf, false);
        strbuf_release(&arg);
    }
    strbuf_addch(out, '\n');
    struct strbuf vol = STRBUF_INIT;
    strbuf_addf(&vol, "%s:%s:ro", p->store_root, PLAN_STORE_MOUNT);
    unit_setting(out, "Volume", vol.buf);
    strbuf_release(&vol);
    for (size_t i = 0; i < p->env.n; i++)
        unit_setting(out, "Environment", p->env.v[i]);
    for (size_t i = 0; i < p->labels.n; i++)
        unit_setting(out, "Label", p->labels.v[i]);
    if (p->port) {
        struct strbuf pub = STRBUF_INIT;
        publish_spec(&pub, p);
        unit_setting(out, "PublishPort", pub.buf);
        strbuf_release(&pub);
    }
    strbuf_addstr(out, "Exec=");
    /* The image's command is replaced: the first word is the engine. */
    for (size_t i = 0; i < p->engine.n; i++) {
        if (i)
            strbuf_addch(out, ' ');
        unit_word(out, p->engine.v[i], true);
    }
    strbuf_addstr(out, "\n"
                       "\n"
                       "[Service]\n"
                       "Restart=on-failure\n"
                       "# Loading a large model takes minutes.\n"
                       "TimeoutStartSec=900\n"
                       "\n"
                       "[Install]\n"
                       "WantedBy=default.target\n");
    strbuf_release(&url);
}

/* ---- Kubernetes ---------------------------------------------------------- */

/* A YAML double-quoted scalar: JSON's escapes are YAML's. */
static void yaml_str(struct strbuf *sb, const char *s)
{
    cJSON *str = cJSON_CreateString(s);
    char *text = cJSON_PrintUnformatted(str);
    strbuf_addstr(sb, text);
    free(text);
    cJSON_Delete(str);
}

void podman_kube(const struct plan *p, struct strbuf *out)
{
    strbuf_addf(out,
                "# %s: '%s' served by llama-server (recipe %s), from\n"
                "# 'halobox serve %s --generate kube'.\n"
                "# Start it with 'podman kube play FILE', stop it with 'podman kube down FILE'.\n"
                "apiVersion: v1\n"
                "kind: Pod\n"
                "metadata:\n"
                "  name: ",
                p->name, p->model, p->recipe, p->model);
    yaml_str(out, p->name);
    strbuf_addstr(out, "\n  labels:\n");
    for (size_t i = 0; i < p->labels.n; i++) {
        const char *eq = strchr(p->labels.v[i], '=');
        strbuf_addstr(out, "    ");
        strbuf_add(out, p->labels.v[i], (size_t)(eq - p->labels.v[i]));
        strbuf_addstr(out, ": ");
        yaml_str(out, eq + 1);
        strbuf_addch(out, '\n');
    }
    /* What --group-add keep-groups does for crun, as an annotation. */
    if (str_list_has(&p->groups, "keep-groups"))
        strbuf_addstr(out, "  annotations:\n"
                           "    run.oci.keep_original_groups: \"1\"\n");
    strbuf_addstr(out, "spec:\n"
                       "  restartPolicy: OnFailure\n"
                       "  containers:\n"
                       "  - name: engine\n"
                       "    image: ");
    yaml_str(out, p->image);
    strbuf_addstr(out, "\n    imagePullPolicy: Never\n    command:\n");
    for (size_t i = 0; i < p->engine.n; i++) {
        strbuf_addstr(out, "    - ");
        yaml_str(out, p->engine.v[i]);
        strbuf_addch(out, '\n');
    }
    if (p->env.n) {
        strbuf_addstr(out, "    env:\n");
        for (size_t i = 0; i < p->env.n; i++) {
            const char *eq = strchr(p->env.v[i], '=');
            struct strbuf key = STRBUF_INIT;
            strbuf_add(&key, p->env.v[i], (size_t)(eq - p->env.v[i]));
            strbuf_addstr(out, "    - name: ");
            yaml_str(out, key.buf);
            strbuf_addstr(out, "\n      value: ");
            yaml_str(out, eq + 1);
            strbuf_addch(out, '\n');
            strbuf_release(&key);
        }
    }
    if (p->port) {
        strbuf_addf(out,
                    "    ports:\n"
                    "    - containerPort: %u\n"
                    "      hostPort: %u\n"
                    "      hostIP: ",
                    p->port, p->port);
        yaml_str(out, p->host);
        strbuf_addch(out, '\n');
    }
    /* CDI devices (nvidia.com/gpu=all) are no host path: podman 5.4 and
     * later read their fully qualified names as resource limits. */
    bool cdi = false;
    for (size_t i = 0; i < p->devices.n; i++) {
        if (!plan_device_is_cdi(p->devices.v[i]))
            continue;
        if (!cdi)
            strbuf_addstr(out, "    resources:\n      limits:\n");
        cdi = true;
        strbuf_addstr(out, "        ");
        yaml_str(out, p->devices.v[i]);
        strbuf_addstr(out, ": 1\n");
    }
    strbuf_addstr(out, "    securityContext:\n");
    if (str_list_has(&p->security, "no-new-privileges"))
        strbuf_addstr(out, "      allowPrivilegeEscalation: false\n");
    if (str_list_has(&p->cap_drop, "all"))
        strbuf_addstr(out, "      capabilities:\n"
                           "        drop:\n"
                           "        - ALL\n");
    /* podman's equivalent of label=disable. */
    if (str_list_has(&p->security, "label=disable"))
        strbuf_addstr(out, "      seLinuxOptions:\n"
                           "        type: spc_t\n");
    strbuf_addstr(out, "    volumeMounts:\n"
                       "    - name: models\n"
                       "      mountPath: ");
    yaml_str(out, PLAN_STORE_MOUNT);
    strbuf_addstr(out, "\n      readOnly: true\n");
    /* Devices: podman kube play turns a CharDevice hostPath into a device;
     * /dev/dri is a folder, so its render nodes are listed one by one. */
    for (size_t i = 0; i < p->device_nodes.n; i++) {
        strbuf_addf(out, "    - name: device-%zu\n      mountPath: ", i);
        yaml_str(out, p->device_nodes.v[i]);
        strbuf_addch(out, '\n');
    }
    strbuf_addstr(out, "  volumes:\n"
                       "  - name: models\n"
                       "    hostPath:\n"
                       "      path: ");
    yaml_str(out, p->store_root);
    strbuf_addstr(out, "\n      type: Directory\n");
    for (size_t i = 0; i < p->device_nodes.n; i++) {
        strbuf_addf(out, "  - name: device-%zu\n    hostPath:\n      path: ", i);
        yaml_str(out, p->device_nodes.v[i]);
        strbuf_addstr(out, "\n      type: CharDevice\n");
    }
}

/* ---- child processes ----------------------------------------------------- */

int podman_spawn(char *const argv[], int in_fd, int out_fd, int err_fd, pid_t *pid,
                 struct hb_error *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (in_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
    if (err_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
    /* The child starts with the default dispositions and no blocked
     * signals, whatever the launcher does with them meanwhile. */
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGHUP);
    sigaddset(&dfl, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawnp(pid, argv[0], &fa, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return hb_error_set(err, EXIT_RUNTIME, "cannot run '%s': %s", argv[0], strerror(rc));
    return 0;
}

int podman_wait(pid_t pid, volatile int *stop, struct hb_error *err)
{
    int status;
    for (;;) {
        if (waitpid(pid, &status, 0) >= 0)
            break;
        if (errno != EINTR)
            return hb_error_set(err, EXIT_RUNTIME, "waiting for podman: %s", strerror(errno));
        if (stop && *stop)
            return hb_error_set(err, EXIT_RUNTIME, "interrupted");
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Output kept from one podman call; more than this is not something
 * halobox reads (ps of a few hundred containers is far below it). */
#define CAPTURE_MAX (16 * 1024 * 1024)

int podman_capture(const char *podman, const char *const args[], int timeout_ms, struct strbuf *out,
                   struct strbuf *errout, struct hb_error *err)
{
    struct str_list argv = {0};
    str_list_add(&argv, podman);
    for (size_t i = 0; args[i]; i++)
        str_list_add(&argv, args[i]);
    bool merged = out && out == errout;
    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    if (pipe2(po, O_CLOEXEC) < 0 || (!merged && pipe2(pe, O_CLOEXEC) < 0)) {
        int e = errno;
        if (po[0] >= 0) {
            close(po[0]);
            close(po[1]);
        }
        str_list_release(&argv);
        return hb_error_set(err, EXIT_RUNTIME, "pipe: %s", strerror(e));
    }
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t pid;
    int rc = podman_spawn(argv.v, devnull, po[1], merged ? po[1] : pe[1], &pid, err);
    if (devnull >= 0)
        close(devnull);
    close(po[1]);
    if (!merged)
        close(pe[1]);
    str_list_release(&argv);
    if (rc < 0) {
        close(po[0]);
        if (!merged)
            close(pe[0]);
        return -1;
    }
    if (out)
        strbuf_reset(out);
    if (errout && !merged)
        strbuf_reset(errout);
    struct pollfd fds[2] = {{.fd = po[0], .events = POLLIN},
                            {.fd = merged ? -1 : pe[0], .events = POLLIN}};
    struct strbuf *sinks[2] = {out, merged ? NULL : errout};
    int open_fds = merged ? 1 : 2;
    long long deadline = now_ms() + timeout_ms;
    bool timed_out = false;
    while (open_fds > 0) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        int n = poll(fds, 2, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            timed_out = n == 0;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[8192];
            ssize_t got = read(fds[i].fd, buf, sizeof(buf));
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
                continue;
            }
            if (sinks[i] && sinks[i]->len + (size_t)got <= CAPTURE_MAX)
                strbuf_add(sinks[i], buf, (size_t)got);
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0)
            close(fds[i].fd);
    if (timed_out)
        kill(pid, SIGKILL);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (timed_out)
        return hb_error_set(err, EXIT_RUNTIME, "'%s %s' timed out after %d ms", podman, args[0],
                            timeout_ms);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

bool podman_image_exists(const char *podman, const char *image)
{
    const char *args[] = {"image", "exists", image, NULL};
    struct hb_error err = HB_ERROR_INIT;
    bool ok = podman_capture(podman, args, 30000, NULL, NULL, &err) == 0;
    hb_error_release(&err);
    return ok;
}

char *podman_image_inspect(const char *podman, const char *image, const char *format)
{
    const char *args[] = {"image", "inspect", "--format", format, image, NULL};
    struct strbuf out = STRBUF_INIT;
    struct hb_error err = HB_ERROR_INIT;
    char *ret = NULL;
    if (podman_capture(podman, args, 30000, &out, NULL, &err) == 0) {
        strbuf_rtrim(&out);
        ret = strbuf_detach(&out);
    }
    strbuf_release(&out);
    hb_error_release(&err);
    return ret;
}

/* The last line of podman's stderr, for an error message. */
static const char *last_line(struct strbuf *sb)
{
    strbuf_rtrim(sb);
    const char *nl = strrchr(sb->buf, '\n');
    return nl ? nl + 1 : sb->buf;
}

int podman_remove(const char *podman, const char *name, int stop_timeout, struct hb_error *err)
{
    char t[16];
    snprintf(t, sizeof(t), "%d", stop_timeout);
    const char *args[] = {"rm", "--force", "--ignore", "--time", t, name, NULL};
    struct strbuf errout = STRBUF_INIT;
    int rc = podman_capture(podman, args, (stop_timeout + 30) * 1000, NULL, &errout, err);
    if (rc > 0)
        rc = hb_error_set(err, EXIT_RUNTIME, "cannot remove container '%s': %s", name,
                          last_line(&errout));
    strbuf_release(&errout);
    return rc < 0 ? -1 : 0;
}

void podman_logs_tail(const char *podman, const char *name, int lines, struct strbuf *out)
{
    char n[16];
    snprintf(n, sizeof(n), "%d", lines);
    const char *args[] = {"logs", "--tail", n, name, NULL};
    struct hb_error err = HB_ERROR_INIT;
    if (podman_capture(podman, args, 10000, out, out, &err) != 0)
        strbuf_reset(out);
    strbuf_rtrim(out);
    hb_error_release(&err);
}

int podman_state(const char *podman, const char *name, struct container_state *st,
                 struct hb_error *err)
{
    memset(st, 0, sizeof(*st));
    const char *args[] = {"inspect",
                          "--type",
                          "container",
                          "--format",
                          "{{.State.Status}} {{.State.ExitCode}} {{.State.Pid}}",
                          name,
                          NULL};
    struct strbuf out = STRBUF_INIT, errout = STRBUF_INIT;
    int rc = podman_capture(podman, args, 30000, &out, &errout, err);
    if (rc > 0)
        rc = hb_error_set(err, EXIT_RUNTIME, "no container '%s': %s", name, last_line(&errout));
    if (rc == 0) {
        char status[32] = "";
        int code = 0;
        long pid = 0;
        if (sscanf(out.buf, "%31s %d %ld", status, &code, &pid) != 3)
            rc = hb_error_set(err, EXIT_RUNTIME, "cannot read the state of container '%s'", name);
        else {
            memcpy(st->status, status, sizeof(st->status));
            st->exit_code = code;
            st->pid = pid;
        }
    }
    strbuf_release(&out);
    strbuf_release(&errout);
    return rc < 0 ? -1 : 0;
}

/* ---- ps ------------------------------------------------------------------ */

static char *label(const cJSON *labels, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, key);
    return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

static char *str_member(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

int podman_list(const char *podman, struct hb_container **out, size_t *n, struct hb_error *err)
{
    *out = NULL;
    *n = 0;
    const char *args[] = {"ps",       "--all", "--filter", "label=" PLAN_LABEL_MODEL,
                          "--format", "json",  NULL};
    struct strbuf text = STRBUF_INIT, errout = STRBUF_INIT;
    int rc = podman_capture(podman, args, 30000, &text, &errout, err);
    if (rc > 0)
        rc = hb_error_set(err, EXIT_RUNTIME, "podman ps failed: %s", last_line(&errout));
    cJSON *root = NULL;
    if (rc == 0) {
        root = cJSON_ParseWithLength(text.buf, text.len);
        if (!cJSON_IsArray(root) && !(text.len == 0 || !strcmp(text.buf, "null\n")))
            rc = hb_error_set(err, EXIT_RUNTIME, "podman ps printed something that is not JSON");
    }
    size_t count = cJSON_IsArray(root) ? (size_t)cJSON_GetArraySize(root) : 0;
    struct hb_container *v = rc == 0 && count ? xcalloc(count, sizeof(*v)) : NULL;
    size_t k = 0;
    const cJSON *item;
    if (rc == 0)
        cJSON_ArrayForEach(item, root)
        {
            const cJSON *labels = cJSON_GetObjectItemCaseSensitive(item, "Labels");
            const cJSON *names = cJSON_GetObjectItemCaseSensitive(item, "Names");
            struct hb_container *c = &v[k++];
            c->id = str_member(item, "Id");
            c->name = cJSON_IsArray(names) && cJSON_IsString(cJSON_GetArrayItem(names, 0))
                          ? xstrdup(cJSON_GetArrayItem(names, 0)->valuestring)
                          : NULL;
            c->model = label(labels, PLAN_LABEL_MODEL);
            c->recipe = label(labels, "halobox.recipe");
            c->backend = label(labels, "halobox.backend");
            c->intent = label(labels, "halobox.intent");
            c->host = label(labels, "halobox.host");
            char *port = label(labels, "halobox.port");
            c->port = port ? (unsigned)strtoul(port, NULL, 10) : 0;
            free(port);
            c->state = str_member(item, "State");
            c->status = str_member(item, "Status");
            c->image = str_member(item, "Image");
            const cJSON *created = cJSON_GetObjectItemCaseSensitive(item, "Created");
            c->created = cJSON_IsNumber(created) ? (long long)created->valuedouble : 0;
        }
    cJSON_Delete(root);
    strbuf_release(&text);
    strbuf_release(&errout);
    if (rc != 0) {
        podman_list_release(v, k);
        return -1;
    }
    *out = v;
    *n = k;
    return 0;
}

void podman_list_release(struct hb_container *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct hb_container *c = &v[i];
        free(c->id);
        free(c->name);
        free(c->model);
        free(c->recipe);
        free(c->backend);
        free(c->intent);
        free(c->host);
        free(c->state);
        free(c->status);
        free(c->image);
    }
    free(v);
}

const struct hb_container *podman_list_find(const struct hb_container *v, size_t n,
                                            const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (str_eq(v[i].name, what))
            return &v[i];
    size_t len = strlen(what);
    const struct hb_container *found = NULL;
    if (len >= 4)
        for (size_t i = 0; i < n; i++)
            if (v[i].id && !strncmp(v[i].id, what, len)) {
                if (found)
                    return NULL; /* ambiguous */
                found = &v[i];
            }
    return found;
}

/* ---- the engine's HTTP side ---------------------------------------------- */

static const char *loopback_for(const char *host)
{
    if (!host || !*host || !strcmp(host, "0.0.0.0"))
        return "127.0.0.1";
    if (!strcmp(host, "::"))
        return "::1";
    return host;
}

static void add_host(struct strbuf *sb, const char *host)
{
    host = loopback_for(host);
    if (is_ipv6(host))
        strbuf_addf(sb, "[%s]", host);
    else
        strbuf_addstr(sb, host);
}

void engine_base_url(struct strbuf *sb, const char *host, unsigned port)
{
    strbuf_addstr(sb, "http://");
    add_host(sb, host);
    strbuf_addf(sb, ":%u/v1", port);
}

static size_t keep_body(char *data, size_t size, size_t n, void *user)
{
    struct strbuf *sb = user;
    size_t len = size * n;
    if (sb && sb->len < 1024)
        strbuf_add(sb, data, len < 1024 - sb->len ? len : 1024 - sb->len);
    return len;
}

int engine_health(const char *host, unsigned port, int timeout_ms, struct strbuf *body)
{
    struct hb_error err = HB_ERROR_INIT;
    const struct curl_api *cu = curl_api_get(&err);
    hb_error_release(&err);
    if (!cu)
        return -1;
    CURL *c = cu->easy_init();
    if (!c)
        return -1;
    struct strbuf url = STRBUF_INIT;
    strbuf_addstr(&url, "http://");
    add_host(&url, host);
    strbuf_addf(&url, ":%u/health", port);
    if (body)
        strbuf_reset(body);
    cu->easy_setopt(c, CURLOPT_URL, url.buf);
    /* A proxy from the environment must never see loopback traffic. */
    cu->easy_setopt(c, CURLOPT_NOPROXY, "*");
    cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    cu->easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
    cu->easy_setopt(c, CURLOPT_WRITEDATA, body);
    CURLcode res = cu->easy_perform(c);
    long code = 0;
    int ret;
    if (res == CURLE_OK) {
        cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        ret = (int)code;
    } else if (res == CURLE_COULDNT_CONNECT || res == CURLE_OPERATION_TIMEDOUT ||
               res == CURLE_GOT_NOTHING || res == CURLE_RECV_ERROR || res == CURLE_SEND_ERROR) {
        /* Not listening yet, or the port forwarder answering before the
         * engine does. */
        ret = 0;
    } else {
        ret = -1;
    }
    cu->easy_cleanup(c);
    strbuf_release(&url);
    return ret;
}
