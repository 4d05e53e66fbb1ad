#include "common.h"

#include "shell_quote.h"

/* Characters that never need quoting in a POSIX shell word. */
static bool shell_safe(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-", *s))
            return false;
    return true;
}

void shell_quote(struct strbuf *sb, const char *s)
{
    if (shell_safe(s)) {
        strbuf_addstr(sb, s);
        return;
    }
    strbuf_addch(sb, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            strbuf_addstr(sb, "'\\''");
        else
            strbuf_addch(sb, *s);
    }
    strbuf_addch(sb, '\'');
}

void shell_quote_argv(struct strbuf *sb, char *const *argv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_addch(sb, ' ');
        shell_quote(sb, argv[i]);
    }
}
