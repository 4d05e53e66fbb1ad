/* Fix commands for the host's distro family: Fedora and its relatives change
 * kernel arguments with grubby (rpm-ostree kargs on image-based Fedora),
 * Debian and Ubuntu edit /etc/default/grub and run update-grub; elsewhere
 * the fix names the parameter itself. */
#ifndef HALOBOX_DOCTOR_FIX_H
#define HALOBOX_DOCTOR_FIX_H

#include "facts.h"

/* DISTRO_FEDORA_ATOMIC: an OSTree-booted Fedora (Silverblue, Kinoite,
 * Bazzite, Bluefin, ...), changed with rpm-ostree. */
enum distro_family { DISTRO_FEDORA, DISTRO_FEDORA_ATOMIC, DISTRO_DEBIAN, DISTRO_OTHER };

enum distro_family distro_family_of(const struct facts_os *os);

/* A command that removes the kernel arguments `remove` (whole "key=value"
 * tokens or bare keys; NULL-terminated, may be NULL) and adds `add` (same). */
char *fix_kernel_args(enum distro_family d, const char *const *remove, const char *const *add);

/* "sudo dnf install X" / "sudo rpm-ostree install X" / "sudo apt install Y"
 * / "install X". */
char *fix_install(enum distro_family d, const char *fedora_pkgs, const char *debian_pkgs,
                  const char *generic);

/* NVIDIA's container toolkit installed, then the CDI spec written to
 * /etc/cdi/nvidia.yaml with nvidia-ctk. */
char *fix_nvidia_cdi(enum distro_family d);
/* crun installed and made podman's runtime for this user. */
char *fix_rootless_runc(enum distro_family d);

#endif
