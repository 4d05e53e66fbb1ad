/* The container side: podman (path and version, without the slow `podman
 * info`), rootless or not, SELinux mode, whether halobox itself runs
 * inside a container or toolbox, the CDI devices (probe_cdi.c) and the OCI
 * runtime (probe_runtime.c). */
#include "util/common.h"

#include <ctype.h>
#include <unistd.h>

#include "host/probe.h"
#include "host/sysroot.h"
#include "util/run.h"

/* "podman version 5.4.2\n" -> "5.4.2" */
static char *podman_version_from(const char *text)
{
    const char *p = strstr(text, "version ");
    if (!p)
        return NULL;
    p += strlen("version ");
    size_t n = 0;
    while (p[n] && !isspace((unsigned char)p[n]))
        n++;
    return n ? xstrndup(p, n) : NULL;
}

static void probe_podman(struct facts_containers *c)
{
    char *path = find_in_path("podman");
    c->podman_found = tri_from_bool(path != NULL);
    if (!path)
        return;
    c->podman_path = path;
    const char *argv[] = {path, "--version", NULL};
    struct strbuf out = STRBUF_INIT;
    struct hb_error err = HB_ERROR_INIT;
    if (run_capture_cached(argv, path, 5000, &out, &err) == 0)
        c->podman_version = podman_version_from(out.buf);
    hb_error_release(&err);
    strbuf_release(&out);
}

static void probe_selinux(struct facts_containers *c)
{
    struct strbuf sb = STRBUF_INIT;
    if (sysroot_read_value("/sys/fs/selinux/enforce", &sb))
        c->selinux = xstrdup(!strcmp(sb.buf, "1") ? "enforcing" : "permissive");
    else if (sysroot_exists("/sys/fs"))
        c->selinux = xstrdup("disabled");
    strbuf_release(&sb);
}

/* Marker files that container engines leave in their containers. */
static void probe_inside(struct facts_containers *c)
{
    static const struct {
        const char *path;
        const char *kind;
    } markers[] = {
        {"/run/.toolboxenv", "toolbox"},
        {"/run/.containerenv", "podman"},
        {"/.dockerenv", "docker"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(markers); i++) {
        if (sysroot_exists(markers[i].path)) {
            c->inside_container = TRI_YES;
            c->container_kind = xstrdup(markers[i].kind);
            return;
        }
    }
    /* systemd-nspawn, LXC and others set $container for PID 1 and its
     * children. */
    const char *env = getenv("container");
    if (env && *env) {
        c->inside_container = TRI_YES;
        c->container_kind = xstrdup(env);
        return;
    }
    c->inside_container = TRI_NO;
}

void probe_containers(struct facts *f)
{
    probe_podman(&f->containers);
    f->containers.rootless = tri_from_bool(getuid() != 0);
    probe_selinux(&f->containers);
    probe_inside(&f->containers);
    probe_cdi(&f->containers);
    probe_oci_runtime(&f->containers, getuid());
}
