#include "common.h"

#include <stdarg.h>

#include "error.h"
#include "strbuf.h"

int hb_error_set(struct hb_error *err, int exit_code, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    free(err->msg);
    err->msg = strbuf_detach(&sb);
    err->exit_code = exit_code;
    return -1;
}

void hb_error_prefix(struct hb_error *err, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    strbuf_addstr(&sb, ": ");
    strbuf_addstr(&sb, err->msg ? err->msg : "unknown error");
    free(err->msg);
    err->msg = strbuf_detach(&sb);
}

void hb_error_release(struct hb_error *err)
{
    free(err->msg);
    err->msg = NULL;
    err->exit_code = 0;
}
