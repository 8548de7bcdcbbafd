/* Python's repr() of JSON values, for error messages worded like Python
 * jsonschema's (Kinto's clients see those texts). */
#include "schema/internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes one UTF-8 sequence at s (n bytes available); returns its length
 * and the code point, or 1 and the byte for invalid input. */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned *cp)
{
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (len == 0 || len > n) {
        *cp = c;
        return 1;
    }
    unsigned v = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = c;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return len;
}

/* The code points Python's str.isprintable() rejects that can plausibly
 * show up: controls, separators other than the space, format characters. */
static int py_unprintable(unsigned cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
           (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || cp == 0xFEFF ||
           (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0xFFF9 && cp <= 0xFFFB);
}

int cinto_repr_str(cinto_buf *b, const char *s, size_t len)
{
    /* Python quotes with ' unless the text has ' and no ". */
    char q = '\'';
    if (memchr(s, '\'', len) && !memchr(s, '"', len))
        q = '"';
    if (cinto_buf_putc(b, q) < 0)
        return -1;
    size_t i = 0;
    while (i < len) {
        unsigned cp;
        size_t n = utf8_next((const unsigned char *)s + i, len - i, &cp);
        int rc;
        if (cp == '\\' || cp == (unsigned)q)
            rc = cinto_buf_printf(b, "\\%c", (char)cp);
        else if (cp == '\n')
            rc = cinto_buf_puts(b, "\\n");
        else if (cp == '\r')
            rc = cinto_buf_puts(b, "\\r");
        else if (cp == '\t')
            rc = cinto_buf_puts(b, "\\t");
        else if (py_unprintable(cp))
            rc = cp < 0x100 ? cinto_buf_printf(b, "\\x%02x", cp)
                            : cinto_buf_printf(b, "\\u%04x", cp);
        else
            rc = cinto_buf_append(b, s + i, n);
        if (rc < 0)
            return -1;
        i += n;
    }
    return cinto_buf_putc(b, q);
}

/* Python's repr() of a float: the shortest digits that read back the same
 * value, in positional notation for exponents -4..15, else scientific with
 * a signed two-digit exponent. */
static int repr_double(cinto_buf *b, double d)
{
    if (isnan(d))
        return cinto_buf_puts(b, "nan");
    if (isinf(d))
        return cinto_buf_puts(b, d < 0 ? "-inf" : "inf");
    char tmp[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    /* tmp = [-]D[.DDD]e[+-]XX */
    char digits[32];
    size_t nd = 0;
    const char *p = tmp;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    while (*p && *p != 'e') {
        if (*p >= '0' && *p <= '9' && nd < sizeof digits - 1)
            digits[nd++] = *p;
        p++;
    }
    digits[nd] = '\0';
    int e = *p == 'e' ? atoi(p + 1) : 0;
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = '\0';
    if (neg && cinto_buf_putc(b, '-') < 0)
        return -1;
    if (e >= -4 && e < 16) {
        if (e < 0) {
            if (cinto_buf_puts(b, "0.") < 0)
                return -1;
            for (int k = -1; k > e; k--)
                if (cinto_buf_putc(b, '0') < 0)
                    return -1;
            return cinto_buf_puts(b, digits);
        }
        for (int k = 0; k <= e; k++)
            if (cinto_buf_putc(b, k < (int)nd ? digits[k] : '0') < 0)
                return -1;
        if (cinto_buf_putc(b, '.') < 0)
            return -1;
        if ((int)nd <= e + 1)
            return cinto_buf_putc(b, '0');
        return cinto_buf_puts(b, digits + e + 1);
    }
    if (cinto_buf_putc(b, digits[0]) < 0)
        return -1;
    if (nd > 1 && cinto_buf_printf(b, ".%s", digits + 1) < 0)
        return -1;
    return cinto_buf_printf(b, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
}

/* Writes the repr; once more than limit bytes are out it stops where it
 * is (cinto_repr then cuts and marks the cut), so what remains is always a
 * prefix of the full text. */
static int repr_rec(cinto_buf *b, json_object *v, size_t limit)
{
    if (b->len > limit)
        return 0;
    if (!v)
        return cinto_buf_puts(b, "None");
    switch (json_object_get_type(v)) {
    case json_type_null:
        return cinto_buf_puts(b, "None");
    case json_type_boolean:
        return cinto_buf_puts(b, json_object_get_boolean(v) ? "True" : "False");
    case json_type_int: {
        /* Printed by hand: serializing would write into v, which may belong
         * to a compiled schema shared between validations. */
        int64_t i = json_object_get_int64(v);
        if (i == INT64_MAX)
            return cinto_buf_printf(b, "%" PRIu64, json_object_get_uint64(v));
        return cinto_buf_printf(b, "%" PRId64, i);
    }
    case json_type_double: {
        /* An integral literal kept as a double (a bignum) prints as an int. */
        const char *text = json_object_get_userdata(v);
        if (text && !strpbrk(text, ".eE"))
            return cinto_buf_puts(b, text);
        return repr_double(b, json_object_get_double(v));
    }
    case json_type_string:
        return cinto_repr_str(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
    case json_type_array: {
        size_t n = json_object_array_length(v);
        if (cinto_buf_putc(b, '[') < 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            if ((i && cinto_buf_puts(b, ", ") < 0) ||
                repr_rec(b, json_object_array_get_idx(v, i), limit) < 0)
                return -1;
            if (b->len > limit)
                return 0;
        }
        return cinto_buf_putc(b, ']');
    }
    case json_type_object: {
        int first = 1;
        if (cinto_buf_putc(b, '{') < 0)
            return -1;
        json_object_object_foreach(v, key, val)
        {
            if ((!first && cinto_buf_puts(b, ", ") < 0) ||
                cinto_repr_str(b, key, strlen(key)) < 0 || cinto_buf_puts(b, ": ") < 0 ||
                repr_rec(b, val, limit) < 0)
                return -1;
            if (b->len > limit)
                return 0;
            first = 0;
        }
        return cinto_buf_putc(b, '}');
    }
    }
    return 0;
}

int cinto_repr(cinto_buf *b, json_object *v, size_t max)
{
    size_t limit = b->len + max;
    if (repr_rec(b, v, limit) < 0)
        return -1;
    if (b->len > limit) {
        /* Cut at a character boundary and say so. */
        size_t cut = limit;
        while (cut > 0 && ((unsigned char)b->data[cut] & 0xC0) == 0x80)
            cut--;
        b->len = cut;
        b->data[cut] = '\0';
        return cinto_buf_puts(b, "...");
    }
    return 0;
}
