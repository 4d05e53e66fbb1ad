#include "common.h"

#include <errno.h>
#include <math.h>

#include "json.h"
#include "strbuf.h"
#include "text.h"

void json_add_to_strbuf(const cJSON *obj, bool pretty, struct strbuf *out)
{
    char *text = pretty ? cJSON_Print(obj) : cJSON_PrintUnformatted(obj);
    strbuf_addstr(out, text);
    strbuf_addch(out, '\n');
    free(text);
}

void json_add_str(cJSON *obj, const char *key, const char *value)
{
    if (value)
        cJSON_AddStringToObject(obj, key, value);
    else
        cJSON_AddNullToObject(obj, key);
}

void json_add_u64(cJSON *obj, const char *key, opt_u64 value)
{
    /* Doubles hold integers exactly up to 2^53 (8 PiB): enough for bytes. */
    if (value.known)
        cJSON_AddNumberToObject(obj, key, (double)value.v);
    else
        cJSON_AddNullToObject(obj, key);
}

void json_add_hex(cJSON *obj, const char *key, opt_u64 value)
{
    if (!value.known) {
        cJSON_AddNullToObject(obj, key);
        return;
    }
    char buf[32];
    snprintf(buf, sizeof(buf), "0x%04llx", (unsigned long long)value.v);
    cJSON_AddStringToObject(obj, key, buf);
}

void json_add_tri(cJSON *obj, const char *key, tri value)
{
    if (value == TRI_UNKNOWN)
        cJSON_AddNullToObject(obj, key);
    else
        cJSON_AddBoolToObject(obj, key, value == TRI_YES);
}

int json_type_error(const struct json_reader *r, const char *key, const char *expected)
{
    return hb_error_set(r->err, EXIT_INPUT, "%s: %s%s%s: expected %s", r->origin,
                        r->path ? r->path : "", r->path && *r->path ? "." : "", key, expected);
}

int json_get_str(const struct json_reader *r, const cJSON *obj, const char *key, char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v) || !v->valuestring)
        return json_type_error(r, key, "a string or null");
    if (!utf8_valid(v->valuestring, strlen(v->valuestring)))
        return json_type_error(r, key, "UTF-8 text");
    free(*out);
    *out = xstrdup(v->valuestring);
    return 0;
}

int json_get_f64_nonneg(const struct json_reader *r, const cJSON *obj, const char *key,
                        opt_f64 *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0)
        return json_type_error(r, key, "a number");
    *out = (opt_f64){.known = true, .v = v->valuedouble};
    return 0;
}

int json_get_i64(const struct json_reader *r, const cJSON *obj, const char *key, opt_i64 *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return 0;
    double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    /* The range check first: the cast of a larger double is undefined. */
    if (!isfinite(d) || d > 9007199254740992.0 || d < -9007199254740992.0 ||
        d != (double)(int64_t)d)
        return json_type_error(r, key, "a whole number");
    *out = (opt_i64){.known = true, .v = (int64_t)d};
    return 0;
}

int json_get_u64(const struct json_reader *r, const cJSON *obj, const char *key, opt_u64 *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d) || d < 0 || d > 9007199254740992.0 || d != floor(d))
            return json_type_error(r, key, "a whole number from 0 to 2^53");
        *out = OPT_U64((uint64_t)d);
        return 0;
    }
    /* Decimal strings are accepted too: some captures quote numbers. */
    if (cJSON_IsString(v) && v->valuestring && *v->valuestring) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v->valuestring, &end, 10);
        if (!errno && *end == '\0' && v->valuestring[0] != '-') {
            *out = OPT_U64(n);
            return 0;
        }
    }
    return json_type_error(r, key, "a whole number or null");
}

bool parse_hex_u64(const char *s, uint64_t *out)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    if (!*s || strlen(s) > 16)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F')
            d = *s - 'A' + 10;
        else
            return false;
        v = v * 16 + (uint64_t)d;
    }
    *out = v;
    return true;
}

int json_get_hex(const struct json_reader *r, const cJSON *obj, const char *key, opt_u64 *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return 0;
    uint64_t n;
    if (cJSON_IsString(v) && v->valuestring && parse_hex_u64(v->valuestring, &n)) {
        *out = OPT_U64(n);
        return 0;
    }
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 0xffffffff &&
        v->valuedouble == floor(v->valuedouble)) {
        *out = OPT_U64((uint64_t)v->valuedouble);
        return 0;
    }
    return json_type_error(r, key, "a hex string such as \"0x1002\" or null");
}

int json_get_tri(const struct json_reader *r, const cJSON *obj, const char *key, tri *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsBool(v))
        return json_type_error(r, key, "true, false or null");
    *out = tri_from_bool(cJSON_IsTrue(v));
    return 0;
}

static const cJSON *get_typed(const struct json_reader *r, const cJSON *obj, const char *key,
                              bool *bad, bool want_array)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *bad = false;
    if (!v || cJSON_IsNull(v))
        return NULL;
    if (want_array ? !cJSON_IsArray(v) : !cJSON_IsObject(v)) {
        json_type_error(r, key, want_array ? "an array or null" : "an object or null");
        *bad = true;
        return NULL;
    }
    return v;
}

const cJSON *json_get_object(const struct json_reader *r, const cJSON *obj, const char *key,
                             bool *bad)
{
    return get_typed(r, obj, key, bad, false);
}

const cJSON *json_get_array(const struct json_reader *r, const cJSON *obj, const char *key,
                            bool *bad)
{
    return get_typed(r, obj, key, bad, true);
}
