/* Checks on text that comes from outside (host files, saved reports) before
 * it is kept as a value or written into JSON. */
#ifndef HALOBOX_TEXT_H
#define HALOBOX_TEXT_H

#include "common.h"

/* Well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF). */
bool utf8_valid(const char *s, size_t len);
/* UTF-8 with no control characters other than tab, newline and carriage
 * return: what a kernel command line, a sysfs value or os-release holds. */
bool text_is_clean(const char *s, size_t len);

#endif
