/* Facts for unit tests, from a JSON text as `--facts FILE` reads it. */
#ifndef HALOBOX_FACTS_HELPERS_H
#define HALOBOX_FACTS_HELPERS_H

#include "facts.h"

/* Parses a facts document (it must be valid: a test fails otherwise) and
 * derives, as --facts does. */
void facts_from(struct facts *f, const char *json);

#endif
