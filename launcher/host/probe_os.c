/* The distribution, from os-release: it decides which fix commands to print
 * (grubby on Fedora, update-grub on Debian and Ubuntu). */
#include "util/common.h"

#include "host/probe.h"
#include "host/sysroot.h"
#include "util/text.h"

/* Returns the unquoted value of KEY= in an os-release text, or NULL. Values
 * may be bare, or in single or double quotes with backslash escapes. */
char *os_release_get(const char *text, const char *key)
{
    size_t key_len = strlen(key);
    for (const char *line = text; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t line_len = eol ? (size_t)(eol - line) : strlen(line);
        if (line_len > key_len && !strncmp(line, key, key_len) && line[key_len] == '=') {
            const char *v = line + key_len + 1;
            size_t n = line_len - key_len - 1;
            struct strbuf sb = STRBUF_INIT;
            char quote = 0;
            if (n && (v[0] == '"' || v[0] == '\'')) {
                quote = v[0];
                v++;
                n--;
            }
            for (size_t i = 0; i < n; i++) {
                if (quote && v[i] == quote)
                    break;
                if (quote == '"' && v[i] == '\\' && i + 1 < n)
                    i++;
                strbuf_addch(&sb, v[i]);
            }
            strbuf_rtrim(&sb);
            if (!sb.len) {
                strbuf_release(&sb);
                return NULL; /* an empty value says nothing */
            }
            return strbuf_detach(&sb);
        }
        line = eol ? eol + 1 : NULL;
    }
    return NULL;
}

void probe_os(struct facts *f)
{
    struct strbuf sb = STRBUF_INIT;
    struct hb_error err = HB_ERROR_INIT;
    if (sysroot_read("/etc/os-release", 64 * 1024, &sb, &err) < 0 &&
        sysroot_read("/usr/lib/os-release", 64 * 1024, &sb, &err) < 0)
        goto out;
    /* os-release is UTF-8 text; anything else is not os-release. */
    if (!text_is_clean(sb.buf, sb.len))
        goto out;
    f->os.id = os_release_get(sb.buf, "ID");
    f->os.id_like = os_release_get(sb.buf, "ID_LIKE");
    f->os.version_id = os_release_get(sb.buf, "VERSION_ID");
    f->os.pretty_name = os_release_get(sb.buf, "PRETTY_NAME");
    /* ostree-prepare-root leaves this marker on every OSTree-booted system;
     * it is what rpm-ostree itself checks. */
    f->os.image_based = tri_from_bool(sysroot_exists("/run/ostree-booted"));
out:
    hb_error_release(&err);
    strbuf_release(&sb);
}
