/* Numbers from the command line. */
#ifndef HALOBOX_PARSE_H
#define HALOBOX_PARSE_H

#include "common.h"

/* A decimal whole number with nothing around it ("12", not "-1", "1e3",
 * "12k" or ""); false when it is not one or does not fit. */
bool parse_u64(const char *s, uint64_t *out);

#endif
