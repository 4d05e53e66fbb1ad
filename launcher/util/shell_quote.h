/* Shell quoting for display only: `--dry-run` prints the exact podman
 * command so a person can read or paste it. halobox itself never runs a
 * command through a shell. */
#ifndef HALOBOX_SHELL_QUOTE_H
#define HALOBOX_SHELL_QUOTE_H

#include "strbuf.h"

/* Appends s as one POSIX shell word (single-quoted when it needs it). */
void shell_quote(struct strbuf *sb, const char *s);
/* Appends the words separated by spaces. */
void shell_quote_argv(struct strbuf *sb, char *const *argv, size_t n);

#endif
