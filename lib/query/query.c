/* Reading a list query string into a cinto_list_spec (spec 02 §2.2-2.9).
 *
 * The rules follow what upstream Kinto actually answers (errata 1, 2, 12):
 * the typed parameters (_limit, _since, _to, _before and a bare
 * last_modified) are first read the way colander's Integer node reads them,
 * which decides the wording of their errors; every other filter value is
 * read with §2.3 and then checked like upstream's _extract_filters does. */
#include "query/query.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/codec.h"
#include "util/json.h"

#define DAY_MS (24LL * 3600 * 1000)
/* Upper bound of colander's Range validator upstream (2^63, inclusive). */
#define MAX_BIG "9223372036854775808"

/* -1 with the error filled: every failure path of the parser ends here. */
static int fail(cinto_query_error *err, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(cinto_query_error *err, const char *name, const char *fmt, ...)
{
    va_list ap;
    err->has_name = name != NULL;
    snprintf(err->name, sizeof err->name, "%s", name ? name : "");
    va_start(ap, fmt);
    vsnprintf(err->description, sizeof err->description, fmt, ap);
    va_end(ap);
    return -1;
}

static int oom(cinto_query_error *err)
{
    return fail(err, NULL, "Out of memory");
}

static int name_is(const cinto_query_param *p, const char *name)
{
    return p->name_len == strlen(name) && memcmp(p->name, name, p->name_len) == 0;
}

/* ---- Last occurrence wins (§2.2 item 3) ---------------------------------- */

typedef struct name_ref {
    const cinto_query_param *p;
    size_t idx;
} name_ref;

static int name_ref_cmp(const void *a, const void *b)
{
    const name_ref *x = a, *y = b;
    size_t n = x->p->name_len < y->p->name_len ? x->p->name_len : y->p->name_len;
    int c = memcmp(x->p->name, y->p->name, n);
    if (c)
        return c;
    if (x->p->name_len != y->p->name_len)
        return x->p->name_len < y->p->name_len ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* keep[i] = 1 for the last occurrence of each name. Sorting keeps this
 * O(n log n): a query string may carry thousands of parameters. */
static unsigned char *last_occurrences(const cinto_query *q)
{
    unsigned char *keep = calloc(q->count ? q->count : 1, 1);
    name_ref *refs = malloc((q->count ? q->count : 1) * sizeof *refs);
    if (!keep || !refs) {
        free(keep);
        free(refs);
        return NULL;
    }
    for (size_t i = 0; i < q->count; i++)
        refs[i] = (name_ref){&q->items[i], i};
    qsort(refs, q->count, sizeof *refs, name_ref_cmp);
    for (size_t i = 0; i < q->count; i++) {
        const cinto_query_param *a = refs[i].p;
        const cinto_query_param *b = i + 1 < q->count ? refs[i + 1].p : NULL;
        if (!b || a->name_len != b->name_len || memcmp(a->name, b->name, a->name_len) != 0)
            keep[refs[i].idx] = 1;
    }
    free(refs);
    return keep;
}

static const cinto_query_param *find_last(const cinto_query *q, const char *name)
{
    for (size_t i = q->count; i-- > 0;)
        if (name_is(&q->items[i], name))
            return &q->items[i];
    return NULL;
}

/* ---- §2.3 rule 1: JSON, else the raw string ------------------------------ */

enum { NV_OK = 0, NV_OOM = -1, NV_NUL = -2 };

/* Integers beyond 64 bits are refused by our JSON parser; as filter values
 * they are still numbers (upstream Python keeps them), so they become the
 * nearest double rather than a string. */
static int is_integer_literal(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '-')
        s++;
    if (!isdigit((unsigned char)*s))
        return 0;
    while (isdigit((unsigned char)*s))
        s++;
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

/* s[0..len) must be NUL-terminated at len. *out gets a new reference;
 * NULL stands for JSON null (*is_null tells it apart). Integers beyond 64
 * bits become doubles for filters; with keep_big they stay strings, whose
 * exact digits colander_int() reads. */
static int native_value(const char *s, size_t len, json_object **out, int *is_null, int keep_big)
{
    char jerr[160];
    int null = 0;
    *out = cinto_json_parse(s, len, &null, jerr, sizeof jerr);
    if (is_null)
        *is_null = null;
    if (*out || null)
        return NV_OK;
    if (strstr(jerr, "\\u0000"))
        return NV_NUL;
    if (!keep_big && strstr(jerr, "out of range") && is_integer_literal(s))
        *out = json_object_new_double(strtod(s, NULL));
    else
        *out = json_object_new_string_len(s, (int)len);
    return *out ? NV_OK : NV_OOM;
}

/* Same on a piece of a longer value (in_ lists). */
static int native_piece(const char *s, size_t len, json_object **out)
{
    char *copy = strndup(s, len);
    if (!copy)
        return NV_OOM;
    int rc = native_value(copy, len, out, NULL, 0);
    free(copy);
    return rc;
}

/* ---- colander's Integer node (errata 1 and 2) ---------------------------- */

/* Python's repr() of a decoded JSON value, for '"[1, 2]" is not a number'. */
static void py_repr(json_object *v, cinto_buf *b);

static void py_repr_string(const char *s, size_t n, cinto_buf *b)
{
    char q = memchr(s, '\'', n) && !memchr(s, '"', n) ? '"' : '\'';
    cinto_buf_putc(b, q);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' || c == (unsigned char)q)
            cinto_buf_printf(b, "\\%c", c);
        else if (c == '\n')
            cinto_buf_puts(b, "\\n");
        else if (c == '\r')
            cinto_buf_puts(b, "\\r");
        else if (c == '\t')
            cinto_buf_puts(b, "\\t");
        else if (c < 0x20 || c == 0x7f)
            cinto_buf_printf(b, "\\x%02x", c);
        else
            cinto_buf_putc(b, (char)c);
    }
    cinto_buf_putc(b, q);
}

/* Shortest text that reads back as d, with Python's ".0" on integers. */
static void py_repr_double(double d, cinto_buf *b)
{
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    cinto_buf_puts(b, tmp);
    if (!strpbrk(tmp, ".eEn"))
        cinto_buf_puts(b, ".0");
}

static void py_repr(json_object *v, cinto_buf *b)
{
    switch (v ? json_object_get_type(v) : json_type_null) {
    case json_type_null:
        cinto_buf_puts(b, "None");
        break;
    case json_type_boolean:
        cinto_buf_puts(b, json_object_get_boolean(v) ? "True" : "False");
        break;
    case json_type_int:
        cinto_buf_puts(b, cinto_json_dump(v));
        break;
    case json_type_double:
        py_repr_double(json_object_get_double(v), b);
        break;
    case json_type_string:
        py_repr_string(json_object_get_string(v), (size_t)json_object_get_string_len(v), b);
        break;
    case json_type_array:
        cinto_buf_putc(b, '[');
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            if (i)
                cinto_buf_puts(b, ", ");
            py_repr(json_object_array_get_idx(v, i), b);
        }
        cinto_buf_putc(b, ']');
        break;
    case json_type_object: {
        int first = 1;
        cinto_buf_putc(b, '{');
        json_object_object_foreach(v, k, val)
        {
            if (!first)
                cinto_buf_puts(b, ", ");
            first = 0;
            py_repr_string(k, strlen(k), b);
            cinto_buf_puts(b, ": ");
            py_repr(val, b);
        }
        cinto_buf_putc(b, '}');
        break;
    }
    }
}

/* Python's int(str): surrounding whitespace, a sign, ASCII digits with
 * single underscores between them. digits gets them without leading zeros
 * (malloc'd). Returns 0, or -1 when s is not an integer. */
static int py_int_str(const char *s, size_t n, int *neg, char **digits)
{
    size_t i = 0, end = n;
    while (i < end && (isspace((unsigned char)s[i]) || (s[i] >= 0x1c && s[i] <= 0x1f)))
        i++;
    while (end > i &&
           (isspace((unsigned char)s[end - 1]) || (s[end - 1] >= 0x1c && s[end - 1] <= 0x1f)))
        end--;
    *neg = 0;
    if (i < end && (s[i] == '+' || s[i] == '-'))
        *neg = s[i++] == '-';
    if (i >= end || !isdigit((unsigned char)s[i]))
        return -1;
    char *d = malloc(end - i + 2);
    if (!d)
        return -1;
    size_t k = 0;
    for (; i < end; i++) {
        if (s[i] == '_' && i + 1 < end && isdigit((unsigned char)s[i + 1]) &&
            isdigit((unsigned char)s[i - 1]))
            continue;
        if (!isdigit((unsigned char)s[i])) {
            free(d);
            return -1;
        }
        if (k || s[i] != '0')
            d[k++] = s[i];
    }
    if (!k)
        d[k++] = '0';
    d[k] = '\0';
    *digits = d;
    return 0;
}

/* Compares decimal digit strings without leading zeros. */
static int digits_cmp(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return la < lb ? -1 : 1;
    return strcmp(a, b);
}

enum { CI_VALUE = 0, CI_NULL = 1, CI_FALSY = 2, CI_ERROR = -1 };

/* Range check of colander's positive_big_integer on a digit string. */
static int range_digits(int neg, const char *digits, long long *out, char *desc, size_t dlen)
{
    if (neg && strcmp(digits, "0") != 0) {
        snprintf(desc, dlen, "-%s is less than minimum value 0", digits);
        return CI_ERROR;
    }
    if (digits_cmp(digits, MAX_BIG) > 0) {
        snprintf(desc, dlen, "%s is greater than maximum value " MAX_BIG, digits);
        return CI_ERROR;
    }
    *out = digits_cmp(digits, "9223372036854775807") >= 0 ? INT64_MAX : strtoll(digits, NULL, 10);
    return CI_VALUE;
}

static int colander_number(json_object *v, long long *out, char *desc, size_t dlen)
{
    if (json_object_is_type(v, json_type_boolean)) {
        *out = json_object_get_boolean(v);
        return CI_VALUE;
    }
    if (json_object_is_type(v, json_type_int)) {
        long long x;
        if (cinto_json_is_int64(v, &x)) {
            if (x < 0) {
                snprintf(desc, dlen, "%lld is less than minimum value 0", x);
                return CI_ERROR;
            }
            *out = x;
            return CI_VALUE;
        }
        char digits[32];
        snprintf(digits, sizeof digits, "%llu", (unsigned long long)json_object_get_uint64(v));
        return range_digits(0, digits, out, desc, dlen);
    }
    /* A double: int() truncates toward zero. */
    double t = trunc(json_object_get_double(v));
    if (t < 0) {
        snprintf(desc, dlen, "%.0f is less than minimum value 0", t);
        return CI_ERROR;
    }
    if (t > 9223372036854775808.0) {
        snprintf(desc, dlen, "%.0f is greater than maximum value " MAX_BIG, t);
        return CI_ERROR;
    }
    *out = t >= 9223372036854775807.0 ? INT64_MAX : (long long)t;
    return CI_VALUE;
}

/* Reads raw the way a QueryField(colander.Integer(), validator=Range(0,
 * 2^63)) does upstream: JSON-decode, then int(). Returns CI_VALUE with *out
 * (2^63 is clamped to INT64_MAX), CI_NULL for JSON null, CI_FALSY for the
 * other values colander drops ("" [] {}), CI_ERROR with desc. */
static int colander_int(const cinto_query_param *p, long long *out, char *desc, size_t dlen)
{
    json_object *v = NULL;
    int is_null = 0, rc = CI_ERROR;
    if (memchr(p->value, '\0', p->value_len)) {
        snprintf(desc, dlen, "Invalid character 0x00");
        return CI_ERROR;
    }
    int nv = native_value(p->value, p->value_len, &v, &is_null, 1);
    if (nv != NV_OK) {
        snprintf(desc, dlen, nv == NV_NUL ? "Invalid character 0x00" : "Out of memory");
        return CI_ERROR;
    }
    if (is_null)
        return CI_NULL;
    json_type t = json_object_get_type(v);
    if ((t == json_type_string && json_object_get_string_len(v) == 0) ||
        (t == json_type_array && json_object_array_length(v) == 0) ||
        (t == json_type_object && json_object_object_length(v) == 0)) {
        rc = CI_FALSY;
    } else if (t == json_type_string) {
        int neg;
        char *digits = NULL;
        const char *s = json_object_get_string(v);
        size_t n = (size_t)json_object_get_string_len(v);
        if (py_int_str(s, n, &neg, &digits) == 0)
            rc = range_digits(neg, digits, out, desc, dlen);
        else
            snprintf(desc, dlen, "\"%s\" is not a number", s);
        free(digits);
    } else if (t == json_type_array || t == json_type_object) {
        cinto_buf b = CINTO_BUF_INIT;
        py_repr(v, &b);
        snprintf(desc, dlen, "\"%s\" is not a number", cinto_buf_str(&b));
        cinto_buf_free(&b);
    } else {
        rc = colander_number(v, out, desc, dlen);
    }
    json_object_put(v);
    return rc;
}

/* ---- Filters ------------------------------------------------------------- */

typedef struct typed_param {
    int rc; /* colander_int result, or -2 when the parameter is absent */
    long long v;
} typed_param;

static const char *const typed_names[] = {"_limit", "_since", "_to", "_before", "last_modified"};
enum { T_LIMIT, T_SINCE, T_TO, T_BEFORE, T_LM, T_COUNT };

static int add_filter(cinto_list_spec *s, enum cinto_filter_op op, const char *field,
                      json_object *value)
{
    cinto_filter *f = realloc(s->filters, (s->nfilters + 1) * sizeof *f);
    char *name = strdup(field);
    if (!f || !name) {
        if (f)
            s->filters = f;
        free(name);
        json_object_put(value);
        return -1;
    }
    s->filters = f;
    f[s->nfilters++] = (cinto_filter){op, name, value};
    if (strcmp(field, "last_modified") == 0)
        s->has_lm_filter = 1;
    return 0;
}

static json_object *new_timestamp(long long v)
{
    return json_object_new_int64(v);
}

static const struct {
    const char *prefix;
    enum cinto_filter_op op;
} prefixes[] = {
    {"lt", CINTO_F_LT},
    {"min", CINTO_F_MIN},
    {"max", CINTO_F_MAX},
    {"not", CINTO_F_NOT},
    {"eq", CINTO_F_EQ},
    {"gt", CINTO_F_GT},
    {"in", CINTO_F_IN},
    {"exclude", CINTO_F_EXCLUDE},
    {"like", CINTO_F_LIKE},
    {"has", CINTO_F_HAS},
    {"contains_any", CINTO_F_CONTAINS_ANY},
    {"contains", CINTO_F_CONTAINS},
};

/* [A-Za-z0-9_.], spelled out: isalnum() would follow the locale. */
static int field_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.';
}

static int field_chars_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!field_char(*s))
            return 0;
    return 1;
}

/* §2.4: ^(lt|...|contains_any|contains)_([A-Za-z0-9_.]+)$, tried in this
 * order (so contains_any wins over contains), else equality on the name. */
static enum cinto_filter_op split_name(const char *name, const char **field)
{
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i].prefix);
        if (strncmp(name, prefixes[i].prefix, n) == 0 && name[n] == '_' &&
            field_chars_ok(name + n + 1)) {
            *field = name + n + 1;
            return prefixes[i].op;
        }
    }
    *field = name;
    return CINTO_F_EQ;
}

/* Strict resources know a fixed list of root fields ("a.b" -> "a"). */
static int field_known(const char *const *strict, const char *field, size_t len)
{
    if (!strict)
        return 1;
    const char *dot = memchr(field, '.', len);
    size_t n = dot ? (size_t)(dot - field) : len;
    for (; *strict; strict++)
        if (strlen(*strict) == n && memcmp(*strict, field, n) == 0)
            return 1;
    return 0;
}

/* §2.3 rules 1-3 for one filter parameter. */
static int filter_value(const cinto_query_param *p, enum cinto_filter_op op, json_object **out)
{
    *out = NULL;
    if (op != CINTO_F_IN && op != CINTO_F_EXCLUDE) {
        int rc = native_value(p->value, p->value_len, out, NULL, 0);
        if (rc != NV_OK || (op != CINTO_F_CONTAINS && op != CINTO_F_CONTAINS_ANY) ||
            json_object_is_type(*out, json_type_array))
            return rc;
        json_object *arr = json_object_new_array();
        if (!arr || json_object_array_add(arr, *out) < 0) {
            json_object_put(arr);
            json_object_put(*out);
            *out = NULL;
            return NV_OOM;
        }
        *out = arr;
        return NV_OK;
    }
    json_object *arr = json_object_new_array();
    if (!arr)
        return NV_OOM;
    const char *s = p->value, *end = p->value + p->value_len;
    for (;;) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *stop = comma ? comma : end;
        json_object *v;
        int rc = native_piece(s, (size_t)(stop - s), &v);
        if (rc != NV_OK || json_object_array_add(arr, v) < 0) {
            if (rc == NV_OK)
                json_object_put(v);
            json_object_put(arr);
            return rc != NV_OK ? rc : NV_OOM;
        }
        if (!comma)
            break;
        s = comma + 1;
    }
    *out = arr;
    return NV_OK;
}

static int all_of_type(json_object *arr, json_type t)
{
    for (size_t i = 0; i < json_object_array_length(arr); i++)
        if (!json_object_is_type(json_object_array_get_idx(arr, i), t))
            return 0;
    return 1;
}

/* upstream is_valid_timestamp() on a §2.3 value: an integer, or a string
 * of digits optionally in double quotes; 0 <= v < now + 24 h. */
static int valid_timestamp(json_object *v, long long now_ms, long long *out)
{
    long long x;
    switch (v ? json_object_get_type(v) : json_type_null) {
    case json_type_string: {
        const char *s = json_object_get_string(v);
        size_t n = (size_t)json_object_get_string_len(v);
        if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
            s++;
            n -= 2;
        }
        if (!n || n > 19)
            return 0;
        for (size_t i = 0; i < n; i++)
            if (!isdigit((unsigned char)s[i]))
                return 0;
        x = strtoll(s, NULL, 10);
        break;
    }
    case json_type_int:
        if (!cinto_json_is_int64(v, &x))
            return 0;
        break;
    case json_type_double: {
        double d = trunc(json_object_get_double(v));
        if (!(d > -1.0 && d < 9.2e18))
            return 0;
        x = (long long)d;
        break;
    }
    case json_type_boolean:
        x = json_object_get_boolean(v);
        break;
    default:
        return 0;
    }
    if (x < 0 || x >= now_ms + DAY_MS)
        return 0;
    *out = x;
    return 1;
}

/* Filters on the real columns (§2.3 items 4-5, §2.4 item 5). Returns 0 with
 * *value possibly replaced, or -1 with err. */
static int column_rules(const char *param, const char *field, enum cinto_filter_op op,
                        json_object **value, long long now_ms, cinto_query_error *err)
{
    int is_id = strcmp(field, "id") == 0, is_lm = strcmp(field, "last_modified") == 0;
    if ((op == CINTO_F_IN || op == CINTO_F_EXCLUDE) &&
        ((is_id && !all_of_type(*value, json_type_string)) ||
         (is_lm && !all_of_type(*value, json_type_int))))
        return fail(err, param, "Invalid value for %s", param);
    if (is_lm) {
        long long ts;
        if (!valid_timestamp(*value, now_ms, &ts))
            return fail(err, param, "Invalid value for %s", param);
        /* like_ and has_ keep their value: a string pattern, a truthiness. */
        if (op != CINTO_F_LIKE && op != CINTO_F_HAS) {
            json_object *n = new_timestamp(ts);
            if (!n)
                return oom(err);
            json_object_put(*value);
            *value = n;
        }
    }
    if ((is_id || is_lm) && (op == CINTO_F_CONTAINS || op == CINTO_F_CONTAINS_ANY))
        return fail(err, param, "Field '%s' is not an array", field);
    /* Ids are strings: a number means its decimal text. */
    if (is_id && json_object_is_type(*value, json_type_int)) {
        json_object *s = json_object_new_string(cinto_json_dump(*value));
        if (!s)
            return oom(err);
        json_object_put(*value);
        *value = s;
    }
    return 0;
}

static int parse_filter(const cinto_query_param *p, const typed_param *typed, long long now_ms,
                        const char *const *strict, cinto_list_spec *out, cinto_query_error *err)
{
    const char *field;
    enum cinto_filter_op op = split_name(p->name, &field);
    json_object *value = NULL;
    if (!field_known(strict, field, strlen(field)))
        return fail(err, p->name, "Unknown filter field '%s'", p->name);
    if (memchr(p->value, '\0', p->value_len))
        return fail(err, p->name, "Invalid character 0x00");
    if (field == p->name && strcmp(field, "last_modified") == 0) {
        /* The bare form went through colander already (pass A). */
        if (typed[T_LM].rc != CI_VALUE || typed[T_LM].v >= now_ms + DAY_MS)
            return fail(err, p->name, "Invalid value for %s", p->name);
        value = new_timestamp(typed[T_LM].v);
        if (!value || add_filter(out, CINTO_F_EQ, field, value) < 0)
            return oom(err);
        return 0;
    }
    int rc = filter_value(p, op, &value);
    if (rc == NV_NUL)
        return fail(err, p->name, "Invalid character 0x00");
    if (rc != NV_OK)
        return oom(err);
    if (op == CINTO_F_LIKE && !json_object_is_type(value, json_type_string)) {
        json_object_put(value);
        return fail(err, p->name, "Invalid value for %s", p->name);
    }
    if (column_rules(p->name, field, op, &value, now_ms, err) < 0) {
        json_object_put(value);
        return -1;
    }
    return add_filter(out, op, field, value) < 0 ? oom(err) : 0;
}

/* _since / _before / _to (§2.5): null means absent. */
static int parse_bound(const char *name, const typed_param *t, long long now_ms,
                       cinto_list_spec *out, cinto_query_error *err)
{
    if (t->rc == CI_NULL)
        return 0;
    if (t->rc != CI_VALUE || t->v >= now_ms + DAY_MS)
        return fail(err, name, "Invalid value for %s", name);
    json_object *v = new_timestamp(t->v);
    enum cinto_filter_op op = strcmp(name, "_since") == 0 ? CINTO_F_GT : CINTO_F_LT;
    if (!v || add_filter(out, op, "last_modified", v) < 0)
        return oom(err);
    return 0;
}

/* ---- _sort (§2.6) -------------------------------------------------------- */

static int add_sort(cinto_list_spec *s, const char *field, size_t n, int desc)
{
    cinto_sort_key *k = realloc(s->sort, (s->nsort + 1) * sizeof *k);
    if (!k)
        return -1;
    s->sort = k;
    char *f = strndup(field, n);
    if (!f)
        return -1;
    k[s->nsort++] = (cinto_sort_key){f, desc};
    return 0;
}

static int py_space(char c)
{
    return isspace((unsigned char)c) || (c >= 0x1c && c <= 0x1f);
}

static int parse_sort(const cinto_query_param *p, const char *const *strict, cinto_list_spec *out,
                      cinto_query_error *err)
{
    const char *s = p ? p->value : "", *end = p ? p->value + p->value_len : s;
    int has_lm = 0;
    while (p) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *a = s, *b = comma ? comma : end;
        while (a < b && py_space(*a))
            a++;
        while (b > a && py_space(b[-1]))
            b--;
        int desc = a < b && *a == '-';
        if (a < b && (*a == '-' || *a == '+'))
            a++;
        int ok = a < b;
        for (const char *c = a; c < b; c++)
            if (!field_char(*c))
                ok = 0;
        /* Keys that do not match are silently ignored. */
        if (ok) {
            size_t n = (size_t)(b - a);
            if (!field_known(strict, a, n))
                return fail(err, NULL, "Unknown sort field '%.*s'", (int)n, a);
            if (add_sort(out, a, n, desc) < 0)
                return oom(err);
            has_lm |= n == 13 && memcmp(a, "last_modified", 13) == 0;
        }
        if (!comma)
            break;
        s = comma + 1;
    }
    if (!has_lm && add_sort(out, "last_modified", 13, 1) < 0)
        return oom(err);
    return 0;
}

/* ---- _fields (§2.7) ------------------------------------------------------ */

/* Strict resources: every root field must be known. The names are listed
 * once each, in the order given. */
static int check_fields(const char *v, const char *const *strict, cinto_query_error *err)
{
    cinto_buf bad = CINTO_BUF_INIT;
    const char *s = v;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        const char *dot = memchr(s, '.', n);
        size_t root = dot ? (size_t)(dot - s) : n;
        if (!field_known(strict, s, root)) {
            int seen = 0;
            for (const char *t = bad.data; t && *t && !seen;) {
                const char *c = strchr(t, ',');
                size_t tn = c ? (size_t)(c - t) : strlen(t);
                seen = tn == root && memcmp(t, s, root) == 0;
                t = c ? c + 1 : t + tn;
            }
            if (!seen && ((bad.len && cinto_buf_putc(&bad, ',') < 0) ||
                          cinto_buf_append(&bad, s, root) < 0)) {
                cinto_buf_free(&bad);
                return oom(err);
            }
        }
        if (!comma)
            break;
        s = comma + 1;
    }
    int rc = 0;
    if (bad.data)
        rc = fail(err, "Invalid _fields parameter", "Fields %s do not exist", bad.data);
    cinto_buf_free(&bad);
    return rc;
}

/* ---- _token (§2.9 item 5) ------------------------------------------------ */

static int parse_token(const cinto_query_param *p, cinto_list_spec *out, cinto_query_error *err)
{
    cinto_buf raw = CINTO_BUF_INIT;
    json_object *root = NULL, *last, *offset, *nonce;
    char jerr[160];
    int rc = -1;
    if (cinto_b64_decode(p->value, p->value_len, &raw) < 0 || !raw.data ||
        !cinto_utf8_valid(raw.data, raw.len))
        goto bad;
    root = cinto_json_parse(raw.data, raw.len, NULL, jerr, sizeof jerr);
    if (!json_object_is_type(root, json_type_object) ||
        !json_object_object_get_ex(root, "last_object", &last) ||
        !json_object_is_type(last, json_type_object) ||
        !json_object_object_get_ex(root, "offset", &offset) ||
        !json_object_object_get_ex(root, "nonce", &nonce))
        goto bad;
    /* A nonce that is not a string can never be found again: it still
     * names the token, so DELETE answers "already used". */
    out->token_nonce =
        strdup(json_object_is_type(nonce, json_type_string) ? json_object_get_string(nonce)
                                                            : cinto_json_dump(nonce));
    if (!out->token_nonce) {
        oom(err);
        goto done;
    }
    out->token_last = json_object_get(last);
    json_object *etag;
    int64_t e;
    if (json_object_object_get_ex(root, "etag", &etag) &&
        json_object_is_type(etag, json_type_int) && (e = json_object_get_int64(etag)) >= 0)
        out->token_etag = e;
    rc = 0;
    goto done;
bad:
    fail(err, NULL, "_token has invalid content");
done:
    json_object_put(root);
    cinto_buf_free(&raw);
    return rc;
}

/* ---- Entry point --------------------------------------------------------- */

/* Pass A: the parameters upstream declares in its querystring schema, in
 * declaration order, since colander reports those before anything else. */
static int read_typed(const cinto_query *q, typed_param typed[T_COUNT], cinto_query_error *err)
{
    for (int i = 0; i < T_COUNT; i++) {
        const cinto_query_param *p = find_last(q, typed_names[i]);
        typed[i].rc = -2;
        if (!p)
            continue;
        char desc[sizeof err->description];
        typed[i].rc = colander_int(p, &typed[i].v, desc, sizeof desc);
        if (typed[i].rc == CI_ERROR)
            return fail(err, typed_names[i], "%s", desc);
    }
    return 0;
}

/* Pass B: every kept parameter in order; remembers _sort/_fields/_token. */
static int read_params(const cinto_query *q, const unsigned char *keep, const typed_param *typed,
                       long long now_ms, const char *const *strict, cinto_list_spec *out,
                       const cinto_query_param **special, cinto_query_error *err)
{
    for (size_t i = 0; i < q->count; i++) {
        const cinto_query_param *p = &q->items[i];
        if (!keep[i])
            continue;
        if (memchr(p->name, '\0', p->name_len)) {
            /* Upstream ignores such "_..." names: they are none it knows. */
            if (p->name[0] == '_')
                continue;
            return fail(err, p->name, "Invalid character 0x00");
        }
        if (p->name[0] != '_') {
            if (parse_filter(p, typed, now_ms, strict, out, err) < 0)
                return -1;
            continue;
        }
        if (name_is(p, "_to"))
            out->uses_to = 1;
        if (name_is(p, "_since") || name_is(p, "_to") || name_is(p, "_before")) {
            int t = name_is(p, "_since") ? T_SINCE : name_is(p, "_to") ? T_TO : T_BEFORE;
            if (parse_bound(p->name, &typed[t], now_ms, out, err) < 0)
                return -1;
        } else if (name_is(p, "_sort")) {
            special[0] = p;
        } else if (name_is(p, "_fields")) {
            special[1] = p;
        } else if (name_is(p, "_token")) {
            special[2] = p;
        }
    }
    return 0;
}

int cinto_list_spec_parse(const cinto_query *q, long long now_ms, const char *const *strict_fields,
                          cinto_list_spec *out, cinto_query_error *err)
{
    typed_param typed[T_COUNT];
    const cinto_query_param *special[3] = {NULL, NULL, NULL}; /* _sort, _fields, _token */
    memset(out, 0, sizeof *out);
    out->token_etag = out->page_etag = -1;
    memset(err, 0, sizeof *err);
    unsigned char *keep = last_occurrences(q);
    if (!keep)
        return oom(err);
    if (read_typed(q, typed, err) < 0 ||
        read_params(q, keep, typed, now_ms, strict_fields, out, special, err) < 0)
        goto err;
    if (typed[T_LIMIT].rc == CI_VALUE)
        out->limit = typed[T_LIMIT].v;
    if (parse_sort(special[0], strict_fields, out, err) < 0)
        goto err;
    if (special[1]) {
        if (memchr(special[1]->value, '\0', special[1]->value_len)) {
            fail(err, "_fields", "Invalid character 0x00");
            goto err;
        }
        if (strict_fields && check_fields(special[1]->value, strict_fields, err) < 0)
            goto err;
        if (!(out->fields = strdup(special[1]->value))) {
            oom(err);
            goto err;
        }
    }
    if (special[2] && special[2]->value_len && parse_token(special[2], out, err) < 0)
        goto err;
    free(keep);
    return 0;
err:
    free(keep);
    cinto_list_spec_free(out);
    return -1;
}

void cinto_list_spec_free(cinto_list_spec *s)
{
    for (size_t i = 0; i < s->nfilters; i++) {
        free(s->filters[i].field);
        json_object_put(s->filters[i].value);
    }
    free(s->filters);
    for (size_t i = 0; i < s->nsort; i++)
        free(s->sort[i].field);
    free(s->sort);
    free(s->fields);
    json_object_put(s->token_last);
    free(s->token_nonce);
    memset(s, 0, sizeof *s);
}
