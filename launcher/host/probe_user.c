/* Who runs halobox: the uid, and the groups that decide device access
 * (render and video for /dev/dri and /dev/kfd). */
#include "util/common.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "host/probe.h"

void probe_user(struct facts *f)
{
    uid_t uid = getuid();
    f->user.uid = OPT_U64(uid);
    struct passwd *pw = getpwuid(uid);
    if (pw && pw->pw_name)
        f->user.name = xstrdup(pw->pw_name);
    int n = getgroups(0, NULL);
    if (n < 0)
        return;
    gid_t *gids = xcalloc((size_t)n + 1, sizeof(gid_t));
    n = getgroups(n, gids);
    if (n < 0) {
        free(gids);
        return;
    }
    /* The primary group is not always in the supplementary list. */
    gid_t primary = getgid();
    bool has_primary = false;
    for (int i = 0; i < n; i++)
        has_primary = has_primary || gids[i] == primary;
    if (!has_primary)
        gids[n++] = primary;
    f->user.groups_known = true;
    for (int i = 0; i < n; i++) {
        struct group *gr = getgrgid(gids[i]);
        char num[32];
        snprintf(num, sizeof(num), "%u", (unsigned)gids[i]);
        facts_add_group(&f->user, gr && gr->gr_name ? gr->gr_name : num);
    }
    free(gids);
}

void probe_env(struct facts *f)
{
    for (size_t i = 0; i < facts_env_count; i++) {
        const char *v = getenv(facts_env_names[i]);
        f->env_values[i] = v ? xstrdup(v) : NULL;
    }
}
