/* Errors in library code: a failing call returns a negative number and fills
 * a struct hb_error that the caller may prefix with context before passing it
 * up. Only main() prints and exits (STYLE.md rule 1). */
#ifndef HALOBOX_ERROR_H
#define HALOBOX_ERROR_H

#include "common.h"

/* Exit codes, documented in the man page and README. */
enum {
    EXIT_OK = 0,
    EXIT_FINDING_ERROR = 1, /* doctor: an error-level finding */
    EXIT_USAGE = 2,         /* bad command line */
    EXIT_INPUT = 3,         /* a file the user named is unreadable or malformed */
    EXIT_RUNTIME = 4,       /* anything else that failed */
};

struct hb_error {
    char *msg; /* NULL when no error */
    int exit_code;
};

#define HB_ERROR_INIT                                                                              \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

/* Sets the error (replacing one already set) and returns -1. */
int hb_error_set(struct hb_error *err, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Puts "context: " before the message already set. */
void hb_error_prefix(struct hb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void hb_error_release(struct hb_error *err);

#define cleanup_error __attribute__((cleanup(hb_error_release)))

#endif
