#include "util/json.h"
#include "util/codec.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long read_u4(const char *s, size_t len, size_t at)
{
    if (at + 6 > len || s[at] != '\\' || s[at + 1] != 'u')
        return -1;
    long v = 0;
    for (int k = 2; k < 6; k++) {
        int h = cinto_hex_digit(s[at + k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* \uXXXX at *i: NUL is refused (keys are C strings in json-c) and so are
 * surrogates that do not pair up (json-c would store U+FFFD instead). */
static int check_unicode_escape(const char *s, size_t len, size_t *i, char *err, size_t errlen)
{
    long v = read_u4(s, len, *i);
    if (v == 0) {
        snprintf(err, errlen, "Invalid JSON: \\u0000 is not allowed in strings");
        return -1;
    }
    if (v >= 0xD800 && v <= 0xDBFF) {
        long lo = read_u4(s, len, *i + 6);
        if (lo < 0xDC00 || lo > 0xDFFF) {
            snprintf(err, errlen, "Invalid JSON: unpaired surrogate \\u%04lX", v);
            return -1;
        }
        *i += 12;
        return 0;
    }
    if (v >= 0xDC00 && v <= 0xDFFF) {
        snprintf(err, errlen, "Invalid JSON: unpaired surrogate \\u%04lX", v);
        return -1;
    }
    *i += 6;
    return 0;
}

/* JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 * (json-c also takes "1." and "01"). */
static int number_grammar_ok(const char *s, size_t len)
{
    size_t i = 0;
    if (i < len && s[i] == '-')
        i++;
    if (i >= len || !isdigit((unsigned char)s[i]))
        return 0;
    if (s[i] == '0')
        i++;
    else
        while (i < len && isdigit((unsigned char)s[i]))
            i++;
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len || !isdigit((unsigned char)s[i]))
            return 0;
        while (i < len && isdigit((unsigned char)s[i]))
            i++;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= len || !isdigit((unsigned char)s[i]))
            return 0;
        while (i < len && isdigit((unsigned char)s[i]))
            i++;
    }
    return i >= len || !isdigit((unsigned char)s[i]);
}

/* After json-c accepted the text, walk it once more as plain characters:
 * refuse \u0000 escapes (keys would be cut short, values cannot be stored
 * faithfully everywhere) and numbers that json-c would clamp or turn into
 * an infinity. The grammar is already known to be valid, so this scanner
 * only needs to know whether it is inside a string. */
static int scan_numbers_and_nul(const char *s, size_t len, char *err, size_t errlen)
{
    size_t i = 0;
    while (i < len) {
        char c = s[i];
        if (c == '"') {
            i++;
            while (i < len && s[i] != '"') {
                if (s[i] == '\\') {
                    if (i + 1 < len && s[i + 1] == 'u') {
                        if (check_unicode_escape(s, len, &i, err, errlen) < 0)
                            return -1;
                        continue;
                    }
                    i += 2;
                    continue;
                }
                if ((unsigned char)s[i] < 0x20) {
                    snprintf(err, errlen,
                             "Invalid JSON: control character 0x%02x in a string at offset %zu",
                             (unsigned char)s[i], i);
                    return -1;
                }
                i++;
            }
            i++;
            continue;
        }
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            /* Outside strings only true, false and null are words; json-c
             * also takes NaN and Infinity, which JSON does not have. */
            size_t start = i;
            while (i < len && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
                i++;
            size_t n = i - start;
            if (!((n == 4 &&
                   (memcmp(s + start, "true", 4) == 0 || memcmp(s + start, "null", 4) == 0)) ||
                  (n == 5 && memcmp(s + start, "false", 5) == 0))) {
                snprintf(err, errlen, "Invalid JSON: unexpected word at offset %zu", start);
                return -1;
            }
            continue;
        }
        if (c == '\'') {
            /* json-c accepts single-quoted strings even when strict. */
            snprintf(err, errlen, "Invalid JSON: single-quoted string at offset %zu", i);
            return -1;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            size_t start = i;
            if (c == '-' && i + 1 < len && (s[i + 1] == 'I' || s[i + 1] == 'N')) {
                snprintf(err, errlen, "Invalid JSON: unexpected word at offset %zu", i);
                return -1;
            }
            int is_double = 0;
            if (!number_grammar_ok(s + i, len - i)) {
                snprintf(err, errlen, "Invalid JSON: malformed number at offset %zu", i);
                return -1;
            }
            while (i < len && (isdigit((unsigned char)s[i]) || s[i] == '-' || s[i] == '+' ||
                               s[i] == '.' || s[i] == 'e' || s[i] == 'E')) {
                if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
                    is_double = 1;
                i++;
            }
            char tmp[64];
            size_t n = i - start;
            int too_long = n >= sizeof tmp;
            if (!too_long) {
                memcpy(tmp, s + start, n);
                tmp[n] = '\0';
            }
            if (is_double) {
                if (too_long) {
                    /* Long mantissas are fine as long as the value is finite. */
                    char *copy = strndup(s + start, n);
                    if (!copy)
                        return -1;
                    double d = strtod(copy, NULL);
                    free(copy);
                    if (!isfinite(d))
                        goto range;
                } else if (!isfinite(strtod(tmp, NULL))) {
                    goto range;
                }
            } else {
                if (too_long)
                    goto range;
                errno = 0;
                if (tmp[0] == '-')
                    (void)strtoll(tmp, NULL, 10);
                else
                    (void)strtoull(tmp, NULL, 10);
                if (errno == ERANGE)
                    goto range;
            }
            continue;
        range:
            snprintf(err, errlen, "Invalid JSON: number %.*s%s is out of range",
                     n > 40 ? 40 : (int)n, s + start, n > 40 ? "..." : "");
            return -1;
        }
        i++;
    }
    return 0;
}

json_object *cinto_json_parse(const char *text, size_t len, int *is_null, char *err, size_t errlen)
{
    if (is_null)
        *is_null = 0;
    err[0] = '\0';
    /* json-c's own check lets surrogates and overlong forms through. */
    if (!cinto_utf8_valid(text, len)) {
        snprintf(err, errlen, "Invalid JSON: the body is not valid UTF-8");
        return NULL;
    }
    json_tokener *tok = json_tokener_new_ex(CINTO_JSON_MAX_DEPTH);
    if (!tok) {
        snprintf(err, errlen, "Invalid JSON: out of memory");
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    /* Passing the terminating NUL lets json-c finish a top-level number. */
    json_object *obj = json_tokener_parse_ex(tok, text, (int)(len + 1));
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (len > (size_t)0x7ffffffe) {
        snprintf(err, errlen, "Invalid JSON: document too large");
        json_object_put(obj);
        return NULL;
    }
    if (e != json_tokener_success) {
        snprintf(err, errlen, "Invalid JSON: %s at offset %zu", json_tokener_error_desc(e), end);
        json_object_put(obj);
        return NULL;
    }
    /* json-c stops at the end of the first value; only whitespace and the
     * terminator may follow it. */
    for (size_t i = end; i < len; i++) {
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n') {
            snprintf(err, errlen, "Invalid JSON: unexpected data at offset %zu", i);
            json_object_put(obj);
            return NULL;
        }
    }
    if (scan_numbers_and_nul(text, len, err, errlen) < 0) {
        json_object_put(obj);
        return NULL;
    }
    if (!obj && is_null)
        *is_null = 1;
    return obj;
}

const char *cinto_json_dump(json_object *obj)
{
    return json_object_to_json_string_ext(obj,
                                          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

const char *cinto_json_dump_len(json_object *obj, size_t *len)
{
    return json_object_to_json_string_length(
        obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}

json_object *cinto_json_get(json_object *obj, const char *key)
{
    json_object *v = NULL;
    if (obj && json_object_is_type(obj, json_type_object))
        json_object_object_get_ex(obj, key, &v);
    return v;
}

const char *cinto_json_get_string(json_object *obj, const char *key)
{
    json_object *v = cinto_json_get(obj, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int cinto_json_is_int64(json_object *obj, long long *out)
{
    if (!obj || !json_object_is_type(obj, json_type_int))
        return 0;
    errno = 0;
    int64_t v = json_object_get_int64(obj);
    if (v == INT64_MAX) {
        /* json-c keeps uint64 values above INT64_MAX; they do not fit. */
        uint64_t u = json_object_get_uint64(obj);
        if (u > (uint64_t)INT64_MAX)
            return 0;
    }
    if (out)
        *out = v;
    return 1;
}

int cinto_json_type_rank(json_object *o)
{
    if (!o)
        return 0; /* JSON null */
    switch (json_object_get_type(o)) {
    case json_type_null:
        return 0;
    case json_type_string:
        return 1;
    case json_type_int:
    case json_type_double:
        return 2;
    case json_type_boolean:
        return 3;
    case json_type_array:
        return 4;
    case json_type_object:
        return 5;
    }
    return 6;
}

static int compare_numbers(json_object *a, json_object *b)
{
    if (json_object_is_type(a, json_type_int) && json_object_is_type(b, json_type_int)) {
        int64_t x = json_object_get_int64(a), y = json_object_get_int64(b);
        if (x == INT64_MAX || y == INT64_MAX) {
            uint64_t ux = x < 0 ? 0 : json_object_get_uint64(a);
            uint64_t uy = y < 0 ? 0 : json_object_get_uint64(b);
            if (x < 0 || y < 0)
                return x < y ? -1 : x > y;
            return ux < uy ? -1 : ux > uy;
        }
        return x < y ? -1 : x > y;
    }
    double x = json_object_get_double(a), y = json_object_get_double(b);
    return x < y ? -1 : x > y;
}

static int compare_present(json_object *a, json_object *b)
{
    int ra = cinto_json_type_rank(a), rb = cinto_json_type_rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    switch (ra) {
    case 0:
        return 0;
    case 1: {
        /* Byte order of UTF-8 is code point order. */
        size_t la = (size_t)json_object_get_string_len(a),
               lb = (size_t)json_object_get_string_len(b);
        int c = memcmp(json_object_get_string(a), json_object_get_string(b), la < lb ? la : lb);
        if (c)
            return c < 0 ? -1 : 1;
        return la < lb ? -1 : la > lb;
    }
    case 2:
        return compare_numbers(a, b);
    case 3:
        return json_object_get_boolean(a) - json_object_get_boolean(b);
    case 4: {
        size_t na = json_object_array_length(a), nb = json_object_array_length(b);
        for (size_t i = 0; i < na && i < nb; i++) {
            int c =
                compare_present(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i));
            if (c)
                return c;
        }
        return na < nb ? -1 : na > nb;
    }
    default: {
        /* Any deterministic order will do for objects: compare their
         * serializations. */
        const char *sa = cinto_json_dump(a);
        char *copy = strdup(sa);
        const char *sb = cinto_json_dump(b);
        int c = copy ? strcmp(copy, sb) : 0;
        free(copy);
        return c < 0 ? -1 : c > 0;
    }
    }
}

int cinto_json_compare(json_object *a, json_object *b)
{
    return compare_present(a, b);
}

static int equal_numbers(json_object *a, json_object *b)
{
    return compare_numbers(a, b) == 0;
}

int cinto_json_equal(json_object *a, json_object *b)
{
    int ra = cinto_json_type_rank(a), rb = cinto_json_type_rank(b);
    if (ra != rb)
        return 0;
    switch (ra) {
    case 0:
        return 1;
    case 2:
        return equal_numbers(a, b);
    case 4: {
        size_t n = json_object_array_length(a);
        if (n != json_object_array_length(b))
            return 0;
        for (size_t i = 0; i < n; i++)
            if (!cinto_json_equal(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
                return 0;
        return 1;
    }
    case 5: {
        if (json_object_object_length(a) != json_object_object_length(b))
            return 0;
        json_object_object_foreach(a, k, va)
        {
            json_object *vb;
            if (!json_object_object_get_ex(b, k, &vb) || !cinto_json_equal(va, vb))
                return 0;
        }
        return 1;
    }
    default:
        return compare_present(a, b) == 0;
    }
}

json_object *cinto_json_copy(json_object *obj)
{
    json_object *out = NULL;
    if (!obj)
        return NULL;
    if (json_object_deep_copy(obj, &out, NULL) < 0)
        return NULL;
    return out;
}
