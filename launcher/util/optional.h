/* Values that may be unknown: numbers with a `known` bit and tri-state
 * booleans. Unknown is explicit, never 0 (STYLE.md rule 4). */
#ifndef HALOBOX_OPTIONAL_H
#define HALOBOX_OPTIONAL_H

#include "common.h"

typedef struct {
    bool known;
    uint64_t v;
} opt_u64;

#define OPT_U64(x) ((opt_u64){.known = true, .v = (x)})

typedef struct {
    bool known;
    int64_t v;
} opt_i64;

typedef struct {
    bool known;
    double v;
} opt_f64;

typedef enum { TRI_UNKNOWN = 0, TRI_NO, TRI_YES } tri;

static inline tri tri_from_bool(bool b)
{
    return b ? TRI_YES : TRI_NO;
}

#endif
