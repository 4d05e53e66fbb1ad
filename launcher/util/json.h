/* Small helpers over cJSON for documents with nullable values: writing
 * unknown as null, and reading with type checks that name the field. */
#ifndef HALOBOX_JSON_H
#define HALOBOX_JSON_H

#include <cjson/cJSON.h>

#include "common.h"
#include "error.h"
#include "optional.h"

void json_add_str(cJSON *obj, const char *key, const char *value);
void json_add_u64(cJSON *obj, const char *key, opt_u64 value);
void json_add_hex(cJSON *obj, const char *key, opt_u64 value); /* "0x1002" */
void json_add_tri(cJSON *obj, const char *key, tri value);

/* Appends obj's text and a newline to out: one line (JSON Lines) unless
 * pretty. */
struct strbuf;
void json_add_to_strbuf(const cJSON *obj, bool pretty, struct strbuf *out);

/* A reader context: the document's name and the path of the current object,
 * for errors like "report.json: gpus[0].vram_bytes: expected a number". */
struct json_reader {
    const char *origin;
    const char *path;
    struct hb_error *err;
};

/* "ORIGIN: PATH.KEY: expected EXPECTED" as an input error; returns -1. */
int json_type_error(const struct json_reader *r, const char *key, const char *expected);

/* Each returns 0 (value set, or left unknown for null or a missing key) or
 * -1 with the error filled. Strings are duplicated. */
int json_get_str(const struct json_reader *r, const cJSON *obj, const char *key, char **out);
int json_get_u64(const struct json_reader *r, const cJSON *obj, const char *key, opt_u64 *out);
int json_get_hex(const struct json_reader *r, const cJSON *obj, const char *key, opt_u64 *out);
int json_get_tri(const struct json_reader *r, const cJSON *obj, const char *key, tri *out);
/* A finite number >= 0 (rates, times, sizes as doubles). */
int json_get_f64_nonneg(const struct json_reader *r, const cJSON *obj, const char *key,
                        opt_f64 *out);
/* A whole number within +-2^53, the doubles that hold integers exactly. */
int json_get_i64(const struct json_reader *r, const cJSON *obj, const char *key, opt_i64 *out);
/* The member if it is an object (or array, for json_get_array), NULL when
 * missing or null; *bad is set on a wrong type (with the error filled). */
const cJSON *json_get_object(const struct json_reader *r, const cJSON *obj, const char *key,
                             bool *bad);
const cJSON *json_get_array(const struct json_reader *r, const cJSON *obj, const char *key,
                            bool *bad);

/* Parses "0x1002", "1002" as hex; false when it is not a hex number. */
bool parse_hex_u64(const char *s, uint64_t *out);

#endif
