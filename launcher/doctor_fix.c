#include "util/common.h"

#include "doctor_fix.h"
#include "util/strbuf.h"

static bool word_in(const char *list, const char *word)
{
    if (!list)
        return false;
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += n) {
        bool start = p == list || p[-1] == ' ';
        bool end = p[n] == '\0' || p[n] == ' ';
        if (start && end)
            return true;
    }
    return false;
}

enum distro_family distro_family_of(const struct facts_os *os)
{
    static const char *const fedora[] = {"fedora", "rhel",      "centos",
                                         "rocky",  "almalinux", "nobara"};
    static const char *const debian[] = {"debian",     "ubuntu", "linuxmint", "pop",
                                         "elementary", "zorin",  "kali",      "raspbian"};
    for (size_t i = 0; i < ARRAY_SIZE(fedora); i++)
        if (str_eq(os->id, fedora[i]) || word_in(os->id_like, fedora[i]))
            return os->image_based == TRI_YES ? DISTRO_FEDORA_ATOMIC : DISTRO_FEDORA;
    for (size_t i = 0; i < ARRAY_SIZE(debian); i++)
        if (str_eq(os->id, debian[i]) || word_in(os->id_like, debian[i]))
            return DISTRO_DEBIAN;
    return DISTRO_OTHER;
}

static size_t count(const char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

/* Characters special in a sed basic regex, escaped. */
static void add_sed_regex(struct strbuf *sb, const char *s)
{
    for (; *s; s++) {
        if (strchr(".[]*^$\\/", *s))
            strbuf_addch(sb, '\\');
        strbuf_addch(sb, *s);
    }
}

/* Characters special in a sed replacement, escaped. */
static void add_sed_replacement(struct strbuf *sb, const char *s)
{
    for (; *s; s++) {
        if (strchr("&\\/", *s))
            strbuf_addch(sb, '\\');
        strbuf_addch(sb, *s);
    }
}

static void add_joined(struct strbuf *sb, const char *const *v, const char *sep)
{
    for (size_t i = 0; v && v[i]; i++)
        strbuf_addf(sb, "%s%s", i ? sep : "", v[i]);
}

char *fix_kernel_args(enum distro_family d, const char *const *remove, const char *const *add)
{
    struct strbuf sb = STRBUF_INIT;
    size_t n_remove = count(remove), n_add = count(add);
    switch (d) {
    case DISTRO_FEDORA:
        strbuf_addstr(&sb, "sudo grubby --update-kernel=ALL");
        if (n_remove) {
            strbuf_addstr(&sb, " --remove-args='");
            add_joined(&sb, remove, " ");
            strbuf_addch(&sb, '\'');
        }
        if (n_add) {
            strbuf_addstr(&sb, " --args='");
            add_joined(&sb, add, " ");
            strbuf_addch(&sb, '\'');
        }
        strbuf_addstr(&sb, ", then reboot");
        break;
    case DISTRO_FEDORA_ATOMIC:
        /* Deletions first, so that a changed value is a delete and an
         * append; a bare key deletes the argument when it has one value,
         * and -if-present keeps the command safe to run twice. */
        strbuf_addstr(&sb, "sudo rpm-ostree kargs");
        for (size_t i = 0; i < n_remove; i++)
            strbuf_addf(&sb, " --delete-if-present=%s", remove[i]);
        for (size_t i = 0; i < n_add; i++)
            strbuf_addf(&sb, " --append-if-missing=%s", add[i]);
        strbuf_addstr(&sb, ", then reboot");
        break;
    case DISTRO_DEBIAN:
        strbuf_addstr(&sb, "sudo sed -i");
        for (size_t i = 0; i < n_remove; i++) {
            /* Drop the token, with or without a value, wherever it stands
             * in the quoted GRUB_CMDLINE_LINUX* lines. */
            const char *eq = strchr(remove[i], '=');
            strbuf_addstr(&sb, " -e 's/ *\\<");
            struct strbuf key = STRBUF_INIT;
            strbuf_add(&key, remove[i], eq ? (size_t)(eq - remove[i]) : strlen(remove[i]));
            add_sed_regex(&sb, key.buf);
            strbuf_release(&key);
            strbuf_addstr(&sb, "\\(=[^ \"]*\\)\\{0,1\\}\\([ \"]\\)/\\2/g'");
        }
        if (n_add) {
            strbuf_addstr(&sb, " -e 's/^GRUB_CMDLINE_LINUX_DEFAULT=\"/&");
            for (size_t i = 0; i < n_add; i++) {
                add_sed_replacement(&sb, add[i]);
                strbuf_addch(&sb, ' ');
            }
            strbuf_addstr(&sb, "/'");
        }
        strbuf_addstr(&sb, " /etc/default/grub && sudo update-grub, then reboot");
        break;
    case DISTRO_OTHER:
        if (n_remove) {
            strbuf_addstr(&sb, "remove ");
            add_joined(&sb, remove, " ");
            strbuf_addstr(&sb, n_add ? " and add " : "");
        } else {
            strbuf_addstr(&sb, "add ");
        }
        add_joined(&sb, add, " ");
        strbuf_addstr(&sb, n_add && !n_remove ? " to" : n_add ? " on" : " from");
        strbuf_addstr(&sb, " the kernel command line in your boot loader, then reboot");
        break;
    }
    return strbuf_detach(&sb);
}

char *fix_install(enum distro_family d, const char *fedora_pkgs, const char *debian_pkgs,
                  const char *generic)
{
    struct strbuf sb = STRBUF_INIT;
    switch (d) {
    case DISTRO_FEDORA:
        strbuf_addf(&sb, "sudo dnf install %s", fedora_pkgs);
        break;
    case DISTRO_FEDORA_ATOMIC:
        /* Layered onto the image; it takes effect after a reboot. */
        strbuf_addf(&sb, "sudo rpm-ostree install %s, then reboot", fedora_pkgs);
        break;
    case DISTRO_DEBIAN:
        strbuf_addf(&sb, "sudo apt install %s", debian_pkgs);
        break;
    case DISTRO_OTHER:
        strbuf_addf(&sb, "install %s", generic);
        break;
    }
    return strbuf_detach(&sb);
}

/* NVIDIA's container toolkit, which writes the CDI spec. Fedora and Debian
 * do not carry it in their own archives: NVIDIA's repository does. */
char *fix_nvidia_cdi(enum distro_family d)
{
    const char *install =
        d == DISTRO_FEDORA ? "add NVIDIA's nvidia-container-toolkit repository (Fedora does not "
                             "package it), sudo dnf install nvidia-container-toolkit"
        : d == DISTRO_FEDORA_ATOMIC
            ? "add NVIDIA's nvidia-container-toolkit repository (Fedora does not package it), "
              "sudo rpm-ostree install nvidia-container-toolkit, reboot"
        : d == DISTRO_DEBIAN ? "add NVIDIA's nvidia-container-toolkit apt repository, sudo apt "
                               "install nvidia-container-toolkit"
                             : "install nvidia-container-toolkit (your distribution's package, "
                               "or NVIDIA's repository)";
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "%s, then sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml",
                install);
    return strbuf_detach(&sb);
}

char *fix_rootless_runc(enum distro_family d)
{
    char *install = fix_install(d, "crun", "crun", "crun");
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb,
                "%s, then set runtime = \"crun\" under [engine] in "
                "~/.config/containers/containers.conf",
                install);
    free(install);
    return strbuf_detach(&sb);
}
