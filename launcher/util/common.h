/* Included first by every halobox source file: the system headers the whole
 * program relies on, the few helpers everything uses, then the list of banned
 * functions (which must come after the system headers that declare them). */
#ifndef HALOBOX_COMMON_H
#define HALOBOX_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define GIB           (1024ULL * 1024ULL * 1024ULL)
#define MIB           (1024ULL * 1024ULL)

/* Release with cleanup attributes (STYLE.md rule 2). */
#define cleanup_free __attribute__((cleanup(cleanup_freep)))
static inline void cleanup_freep(void *p)
{
    free(*(void **)p);
}

/* Allocation failure is not a recoverable error for a command-line tool:
 * these print one line and abort rather than return NULL. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xstrdup that passes NULL through: facts strings are NULL when unknown. */
char *xstrdup_or_null(const char *s);

/* v rounded to the nearest 1/scale (halves away from zero), as round(v *
 * scale) / scale, without libm; v itself when v * scale is out of range. */
double round_scaled(double v, double scale);

/* Grows *array (of *alloc elements of elem_size) to hold at least need. */
void *xgrow(void *array, size_t need, size_t *alloc, size_t elem_size);

bool str_starts_with(const char *s, const char *prefix);
bool str_eq(const char *a, const char *b); /* NULL-safe */

#include "banned.h"

#endif
