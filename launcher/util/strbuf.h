/* A growable, always NUL-terminated byte buffer: the one way halobox builds
 * text (STYLE.md rule 9). */
#ifndef HALOBOX_STRBUF_H
#define HALOBOX_STRBUF_H

#include "common.h"

#include <stdarg.h>

struct strbuf {
    char *buf; /* never NULL after strbuf_init */
    size_t len;
    size_t alloc;
};

#define STRBUF_INIT                                                                                \
    {                                                                                              \
        .buf = strbuf_empty, .len = 0, .alloc = 0                                                  \
    }
extern char strbuf_empty[];

void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
/* Hands the buffer to the caller (who frees it) and resets sb. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
void strbuf_reset(struct strbuf *sb);
/* Removes trailing white space (sysfs values end in a newline). */
void strbuf_rtrim(struct strbuf *sb);

#define cleanup_strbuf __attribute__((cleanup(strbuf_release)))

#endif
