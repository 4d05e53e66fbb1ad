/* The linux-firmware version, from the package manager's own records: one
 * release (20251125) is known to break ROCm on gfx1151. dpkg and pacman are
 * read as files; rpm's database is only reachable through rpm. The dpkg and
 * rpm answers are cached until their database changes. */
#include "util/common.h"

#include <ctype.h>
#include <dirent.h>
#include <unistd.h>

#include "host/probe.h"
#include "host/sysroot.h"
#include "util/run.h"
#include "util/stat_cache.h"

/* The first run of 8 digits that looks like a date (20YYMMDD). */
static char *date_in(const char *version)
{
    for (const char *p = version; *p; p++) {
        size_t n = 0;
        while (isdigit((unsigned char)p[n]))
            n++;
        if (n == 8 && p[0] == '2' && p[1] == '0')
            return xstrndup(p, 8);
        if (n)
            p += n - 1;
    }
    return NULL;
}

static void set_firmware(struct facts_firmware *fw, const char *package, const char *version)
{
    char *date = date_in(version);
    if (!date)
        return;
    fw->linux_firmware = date;
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "%s %s", package, version);
    fw->package = strbuf_detach(&sb);
}

/* Debian ships AMD firmware as firmware-amd-graphics, Ubuntu as
 * linux-firmware (or linux-firmware-amd-graphics in newer releases). The
 * status file is most of a megabyte: it is scanned in one pass, and the
 * answer ("PACKAGE VERSION", or nothing) is remembered until dpkg rewrites
 * the file, which it does by rename on every change. */
static void scan_dpkg_status(const char *status, struct strbuf *answer)
{
    static const char *const names[] = {"linux-firmware-amd-graphics", "firmware-amd-graphics",
                                        "linux-firmware"};
    size_t best = ARRAY_SIZE(names);
    for (const char *p = status; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t line_len = eol ? (size_t)(eol - p) : strlen(p);
        if (line_len > 9 && !strncmp(p, "Package: ", 9)) {
            const char *name = p + 9;
            size_t name_len = line_len - 9;
            size_t which = ARRAY_SIZE(names);
            for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (strlen(names[i]) == name_len && !strncmp(name, names[i], name_len))
                    which = i;
            if (which < best) {
                /* This stanza's Version and Status, up to its blank line. */
                const char *end = strstr(p, "\n\n");
                const char *v = strstr(p, "\nVersion: ");
                const char *st = strstr(p, "\nStatus: ");
                bool installed =
                    st && (!end || st < end) && !strncmp(st + 9, "install ok installed", 20);
                if (v && (!end || v < end) && installed) {
                    v += strlen("\nVersion: ");
                    strbuf_reset(answer);
                    strbuf_addf(answer, "%s %.*s", names[which], (int)strcspn(v, "\n"), v);
                    best = which;
                }
            }
        }
        p = eol ? eol + 1 : NULL;
    }
}

static bool from_dpkg(struct facts_firmware *fw)
{
    struct strbuf path = STRBUF_INIT, answer = STRBUF_INIT;
    sysroot_path(&path, "/var/lib/dpkg/status");
    if (!stat_cache_get("dpkg-firmware", path.buf, "firmware", &answer)) {
        struct strbuf status = STRBUF_INIT;
        struct hb_error err = HB_ERROR_INIT;
        if (sysroot_read("/var/lib/dpkg/status", 256 * 1024 * 1024, &status, &err) == 0) {
            scan_dpkg_status(status.buf, &answer);
            stat_cache_put("dpkg-firmware", path.buf, "firmware", answer.buf, answer.len);
        }
        hb_error_release(&err);
        strbuf_release(&status);
    }
    const char *sp = strchr(answer.buf, ' ');
    if (sp) {
        char *package = xstrndup(answer.buf, (size_t)(sp - answer.buf));
        set_firmware(fw, package, sp + 1);
        free(package);
    }
    strbuf_release(&path);
    strbuf_release(&answer);
    return fw->linux_firmware != NULL;
}

/* pacman keeps one directory per installed package: NAME-VERSION-REL. */
static bool from_pacman(struct facts_firmware *fw)
{
    struct strbuf dir = STRBUF_INIT;
    sysroot_path(&dir, "/var/lib/pacman/local");
    DIR *d = opendir(dir.buf);
    strbuf_release(&dir);
    if (!d)
        return false;
    struct dirent *e;
    while (!fw->linux_firmware && (e = readdir(d))) {
        const char *name = e->d_name;
        const char *ver = NULL;
        if (str_starts_with(name, "linux-firmware-amdgpu-"))
            ver = name + strlen("linux-firmware-amdgpu-");
        else if (str_starts_with(name, "linux-firmware-") && isdigit((unsigned char)name[15]))
            ver = name + strlen("linux-firmware-");
        if (ver)
            set_firmware(fw, "linux-firmware", ver);
    }
    closedir(d);
    return fw->linux_firmware != NULL;
}

static bool from_rpm(struct facts_firmware *fw)
{
    /* Only on the live host: a fixture tree has no rpm to ask. */
    if (*sysroot_prefix())
        return false;
    static const char *const dbs[] = {
        "/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages"};
    const char *db = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(dbs) && !db; i++)
        if (access(dbs[i], R_OK) == 0)
            db = dbs[i];
    char *rpm = db ? find_in_path("rpm") : NULL;
    if (!rpm)
        return false;
    const char *argv[] = {
        rpm, "-q", "--qf", "%{NAME} %{VERSION}-%{RELEASE}\\n", "amd-gpu-firmware", "linux-firmware",
        NULL};
    struct strbuf out = STRBUF_INIT;
    struct hb_error err = HB_ERROR_INIT;
    /* rpm exits 1 when one of the two names is not installed; the output
     * for the other is still good. */
    run_capture_cached(argv, db, 3000, &out, &err);
    for (const char *line = out.buf; line && *line && !fw->linux_firmware;) {
        const char *sp = strchr(line, ' ');
        const char *eol = strchr(line, '\n');
        if (sp && (!eol || sp < eol) && !strstr(line, "not installed")) {
            char *name = xstrndup(line, (size_t)(sp - line));
            char *ver = xstrndup(sp + 1, eol ? (size_t)(eol - sp - 1) : strlen(sp + 1));
            set_firmware(fw, name, ver);
            free(name);
            free(ver);
        }
        line = eol ? eol + 1 : NULL;
    }
    hb_error_release(&err);
    strbuf_release(&out);
    free(rpm);
    return fw->linux_firmware != NULL;
}

void probe_firmware(struct facts *f)
{
    if (from_dpkg(&f->firmware) || from_pacman(&f->firmware))
        return;
    from_rpm(&f->firmware);
}
