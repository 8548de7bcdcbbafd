/* The schema evaluator.
 *
 * A compiled node is evaluated keyword by keyword in schema order and
 * stops at the first failure, like Python jsonschema's validate(), whose
 * first error Kinto reports. Subschemas whose failure is not itself the
 * error (anyOf branches, not, if, contains) run "quietly": they build no
 * messages. Evaluation keeps three stacks, bounded by
 * CINTO_SCHEMA_MAX_DEPTH: the instance path (for the error location), the
 * dynamic scope (resources entered, for $dynamicRef and $recursiveRef) and
 * the depth itself, so a reference loop ends with -1 instead of
 * overflowing the C stack.
 *
 * unevaluatedProperties/unevaluatedItems need to know what the other
 * keywords looked at: a node that has one gives its in-place applicators a
 * bit set over the instance's members or items ("annotations"), which
 * successful subschemas fill in and failed ones leave out. Without such a
 * keyword above, no set is passed and nothing is tracked. */
#include "schema/internal.h"
#include "util/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Budget for one value quoted in a message (messages hold 511 bytes). */
#define REPR_MAX 160

struct ann {
    unsigned char *bits;
    size_t n;
};

struct path_el {
    const char *key; /* NULL: an array index */
    size_t idx;
};

typedef struct vctx {
    const cinto_schema *s;
    cinto_schema_error *err;
    int have_err;
    int quiet;
    int depth;
    int nscope, npath;
    /* The keyword being evaluated and the path depth when it started: a
     * false subschema's error is named from them (see fail_false). */
    const char *cur_kw;
    int op_npath;
    pcre2_match_data *md;
    const struct cinto_sres *scope[CINTO_SCHEMA_MAX_DEPTH + 2];
    struct path_el path[CINTO_SCHEMA_MAX_DEPTH + 2];
} vctx;

static int v_node(vctx *v, const struct cinto_snode *n, json_object *inst, struct ann *ann);

/* ------------------------------------------------------------- errors */

static int reporting(const vctx *v)
{
    return v->err && !v->quiet && !v->have_err;
}

/* Copies s into dst without cutting a UTF-8 sequence in two. */
static void copy_trunc(char *dst, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static void fill_path(vctx *v)
{
    cinto_buf b = CINTO_BUF_INIT;
    for (int i = 0; i < v->npath; i++) {
        if (i)
            cinto_buf_putc(&b, '.');
        if (v->path[i].key)
            cinto_buf_puts(&b, v->path[i].key);
        else
            cinto_buf_printf(&b, "%zu", v->path[i].idx);
    }
    copy_trunc(v->err->path, sizeof v->err->path, cinto_buf_str(&b));
    cinto_buf_free(&b);
}

/* details[].name as Kinto computes it (spec 05 §5.6 rule 2). */
static void fill_field(vctx *v, const char *kw, json_object *kwval)
{
    cinto_schema_error *e = v->err;
    if (v->npath > 0) {
        const struct path_el *p = &v->path[v->npath - 1];
        if (p->key)
            copy_trunc(e->field, sizeof e->field, p->key);
        else
            snprintf(e->field, sizeof e->field, "%zu", p->idx);
        return;
    }
    if (kwval && json_object_is_type(kwval, json_type_array) &&
        json_object_array_length(kwval) > 0) {
        json_object *last = json_object_array_get_idx(kwval, json_object_array_length(kwval) - 1);
        if (last && json_object_is_type(last, json_type_string)) {
            copy_trunc(e->field, sizeof e->field, json_object_get_string(last));
        } else {
            cinto_buf b = CINTO_BUF_INIT;
            cinto_repr(&b, last, 100);
            copy_trunc(e->field, sizeof e->field, cinto_buf_str(&b));
            cinto_buf_free(&b);
        }
        return;
    }
    if (kwval && json_object_is_type(kwval, json_type_string) &&
        json_object_get_string_len(kwval) > 0) {
        /* Upstream indexes the string: its last character. */
        const char *s = json_object_get_string(kwval);
        size_t n = (size_t)json_object_get_string_len(kwval), i = n - 1;
        while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
            i--;
        copy_trunc(e->field, sizeof e->field, s + i);
        return;
    }
    copy_trunc(e->field, sizeof e->field, kw ? kw : "");
}

/* Records the first error (msg is consumed); always returns 1. */
static int report(vctx *v, const char *kw, json_object *kwval, cinto_buf *msg)
{
    if (reporting(v)) {
        v->have_err = 1;
        copy_trunc(v->err->message, sizeof v->err->message, cinto_buf_str(msg));
        copy_trunc(v->err->keyword, sizeof v->err->keyword, kw ? kw : "");
        fill_path(v);
        fill_field(v, kw, kwval);
    }
    cinto_buf_free(msg);
    return 1;
}

/* Validation cannot finish: always reported, returns -1. */
static int internal(vctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int internal(vctx *v, const char *fmt, ...)
{
    if (v->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->err->message, sizeof v->err->message, fmt, ap);
        va_end(ap);
        v->err->keyword[0] = '\0';
        v->err->field[0] = '\0';
        fill_path(v);
    }
    v->have_err = 1;
    return -1;
}

static int oom(vctx *v, cinto_buf *b)
{
    if (b)
        cinto_buf_free(b);
    return internal(v, "out of memory");
}

/* "False schema does not allow 1". Python jsonschema (4.2x) yields this
 * error without the path step of the keyword that reached the false
 * schema, so Kinto names it after the parent location, or, at the root,
 * after that keyword ("properties" for {"properties": {"a": false}}).
 * field follows upstream; path stays the true location. */
static int fail_false(vctx *v, json_object *inst)
{
    if (!reporting(v))
        return 1;
    cinto_buf m = CINTO_BUF_INIT;
    if (cinto_buf_puts(&m, "False schema does not allow ") < 0 ||
        cinto_repr(&m, inst, REPR_MAX) < 0)
        return oom(v, &m);
    report(v, NULL, NULL, &m);
    int upstream_npath = v->npath > v->op_npath ? v->op_npath : v->npath;
    cinto_schema_error *e = v->err;
    if (upstream_npath > 0) {
        const struct path_el *p = &v->path[upstream_npath - 1];
        if (p->key)
            copy_trunc(e->field, sizeof e->field, p->key);
        else
            snprintf(e->field, sizeof e->field, "%zu", p->idx);
    } else {
        copy_trunc(e->field, sizeof e->field, v->cur_kw ? v->cur_kw : "");
    }
    return 1;
}

/* "<repr(inst)><text>" */
static int fail_inst(vctx *v, const struct cinto_sop *op, json_object *inst, const char *text)
{
    if (!reporting(v))
        return 1;
    cinto_buf m = CINTO_BUF_INIT;
    if (cinto_repr(&m, inst, REPR_MAX) < 0 || cinto_buf_puts(&m, text) < 0)
        return oom(v, &m);
    return report(v, op->name, op->value, &m);
}

/* "<repr(inst)><text><repr(val)>" */
static int fail_inst_val(vctx *v, const struct cinto_sop *op, json_object *inst, const char *text,
                         json_object *val)
{
    if (!reporting(v))
        return 1;
    cinto_buf m = CINTO_BUF_INIT;
    if (cinto_repr(&m, inst, REPR_MAX) < 0 || cinto_buf_puts(&m, text) < 0 ||
        cinto_repr(&m, val, REPR_MAX) < 0)
        return oom(v, &m);
    return report(v, op->name, op->value, &m);
}

/* ------------------------------------------------------- path & scope */

static void push_key(vctx *v, const char *key)
{
    v->path[v->npath].key = key;
    v->path[v->npath].idx = 0;
    v->npath++;
}

static void push_idx(vctx *v, size_t idx)
{
    v->path[v->npath].key = NULL;
    v->path[v->npath].idx = idx;
    v->npath++;
}

static void pop_path(vctx *v)
{
    v->npath--;
}

/* Evaluates a child instance (member key or item idx). */
static int v_child_key(vctx *v, const struct cinto_snode *n, json_object *inst, const char *key)
{
    push_key(v, key);
    int r = v_node(v, n, inst, NULL);
    pop_path(v);
    return r;
}

static int v_child_idx(vctx *v, const struct cinto_snode *n, json_object *inst, size_t idx)
{
    push_idx(v, idx);
    int r = v_node(v, n, inst, NULL);
    pop_path(v);
    return r;
}

static int v_quiet(vctx *v, const struct cinto_snode *n, json_object *inst, struct ann *ann)
{
    v->quiet++;
    int r = v_node(v, n, inst, ann);
    v->quiet--;
    return r;
}

/* --------------------------------------------------------- annotations */

static int ann_init(struct ann *a, size_t n)
{
    a->n = n;
    a->bits = calloc(n / 8 + 1, 1);
    return a->bits ? 0 : -1;
}

static void ann_set(struct ann *a, size_t i)
{
    if (a && i < a->n)
        a->bits[i / 8] |= (unsigned char)(1u << (i % 8));
}

static int ann_get(const struct ann *a, size_t i)
{
    return i < a->n && (a->bits[i / 8] >> (i % 8)) & 1;
}

static void ann_merge(struct ann *dst, const struct ann *src)
{
    if (!dst)
        return;
    for (size_t i = 0; i < dst->n / 8 + 1 && i < src->n / 8 + 1; i++)
        dst->bits[i] |= src->bits[i];
}

static void ann_free(struct ann *a)
{
    free(a->bits);
    a->bits = NULL;
}

/* ---------------------------------------------------------- instances */

static int is_number(json_object *i)
{
    return i && (json_object_is_type(i, json_type_int) || json_object_is_type(i, json_type_double));
}

static int is_type(json_object *i, json_type t)
{
    return i && json_object_is_type(i, t);
}

/* Whether a number counts as "integer": from draft 6 on any number with a
 * zero fractional part (1.0), in draft 4 only integer literals. */
static int is_integer(json_object *i, int draft)
{
    if (json_object_is_type(i, json_type_int))
        return 1;
    const char *text = json_object_get_userdata(i);
    if (draft == SD_4)
        return text && !strpbrk(text, ".eE");
    cinto_num n;
    if (cinto_num_from_json(i, &n) < 0)
        return 0;
    int r = cinto_num_is_integer(&n);
    cinto_num_release(&n);
    return r;
}

static unsigned type_bits(json_object *i, int draft)
{
    if (!i)
        return ST_NULL;
    switch (json_object_get_type(i)) {
    case json_type_null:
        return ST_NULL;
    case json_type_boolean:
        return ST_BOOLEAN;
    case json_type_object:
        return ST_OBJECT;
    case json_type_array:
        return ST_ARRAY;
    case json_type_string:
        return ST_STRING;
    case json_type_int:
    case json_type_double:
        return ST_NUMBER | (is_integer(i, draft) ? ST_INTEGER : 0);
    }
    return 0;
}

static size_t utf8_length(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

static int num_equal(json_object *a, json_object *b)
{
    if (json_object_is_type(a, json_type_int) && json_object_is_type(b, json_type_int)) {
        int64_t x = json_object_get_int64(a), y = json_object_get_int64(b);
        if (x != INT64_MAX && y != INT64_MAX)
            return x == y;
        return x == y && json_object_get_uint64(a) == json_object_get_uint64(b);
    }
    cinto_num x, y;
    if (cinto_num_from_json(a, &x) < 0)
        return 0;
    int eq = 0;
    if (cinto_num_from_json(b, &y) == 0) {
        eq = cinto_num_cmp(&x, &y) == 0;
        cinto_num_release(&y);
    }
    cinto_num_release(&x);
    return eq;
}

/* JSON equality as JSON Schema defines it: 1 == 1.0, false != 0, object
 * member order ignored. */
static int jeq(json_object *a, json_object *b)
{
    if (!a || !b || json_object_is_type(a, json_type_null) ||
        json_object_is_type(b, json_type_null))
        return (!a || json_object_is_type(a, json_type_null)) &&
               (!b || json_object_is_type(b, json_type_null));
    if (is_number(a) && is_number(b))
        return num_equal(a, b);
    if (json_object_get_type(a) != json_object_get_type(b))
        return 0;
    switch (json_object_get_type(a)) {
    case json_type_boolean:
        return json_object_get_boolean(a) == json_object_get_boolean(b);
    case json_type_string:
        return json_object_get_string_len(a) == json_object_get_string_len(b) &&
               memcmp(json_object_get_string(a), json_object_get_string(b),
                      (size_t)json_object_get_string_len(a)) == 0;
    case json_type_array: {
        size_t n = json_object_array_length(a);
        if (n != json_object_array_length(b))
            return 0;
        for (size_t i = 0; i < n; i++)
            if (!jeq(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
                return 0;
        return 1;
    }
    case json_type_object: {
        if (json_object_object_length(a) != json_object_object_length(b))
            return 0;
        json_object_object_foreach(a, k, va)
        {
            json_object *vb;
            if (!json_object_object_get_ex(b, k, &vb) || !jeq(va, vb))
                return 0;
        }
        return 1;
    }
    default:
        return 0;
    }
}

static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

/* A hash consistent with jeq, for uniqueItems on long arrays. */
static uint64_t jhash(json_object *a)
{
    if (!a || json_object_is_type(a, json_type_null))
        return 1;
    switch (json_object_get_type(a)) {
    case json_type_boolean:
        return 2 + (uint64_t)json_object_get_boolean(a);
    case json_type_int:
    case json_type_double: {
        cinto_num n;
        if (cinto_num_from_json(a, &n) < 0)
            return 4;
        uint64_t h = cinto_num_hash(&n);
        cinto_num_release(&n);
        return h;
    }
    case json_type_string: {
        const unsigned char *s = (const unsigned char *)json_object_get_string(a);
        uint64_t h = 1469598103934665603ULL;
        for (int i = 0; i < json_object_get_string_len(a); i++)
            h = (h ^ s[i]) * 1099511628211ULL;
        return h;
    }
    case json_type_array: {
        uint64_t h = 5;
        for (size_t i = 0; i < json_object_array_length(a); i++)
            h = mix(h, jhash(json_object_array_get_idx(a, i)));
        return h;
    }
    case json_type_object: {
        uint64_t h = 6;
        json_object_object_foreach(a, k, val)
        {
            uint64_t hk = 1469598103934665603ULL;
            for (const char *p = k; *p; p++)
                hk = (hk ^ (unsigned char)*p) * 1099511628211ULL;
            h += mix(hk, jhash(val)); /* order-independent */
        }
        return h;
    }
    default:
        return 0;
    }
}

struct hashed {
    uint64_t h;
    json_object *v;
};

static int cmp_hashed(const void *a, const void *b)
{
    uint64_t x = ((const struct hashed *)a)->h, y = ((const struct hashed *)b)->h;
    return x < y ? -1 : x > y;
}

/* 1 when all items differ, 0 when two are equal, -1 out of memory. */
static int all_unique(json_object *arr)
{
    size_t n = json_object_array_length(arr);
    if (n <= 16) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (jeq(json_object_array_get_idx(arr, i), json_object_array_get_idx(arr, j)))
                    return 0;
        return 1;
    }
    struct hashed *h = malloc(n * sizeof *h);
    if (!h)
        return -1;
    for (size_t i = 0; i < n; i++) {
        h[i].v = json_object_array_get_idx(arr, i);
        h[i].h = jhash(h[i].v);
    }
    qsort(h, n, sizeof *h, cmp_hashed);
    int unique = 1;
    for (size_t i = 0; i < n && unique; i++)
        for (size_t j = i + 1; j < n && h[j].h == h[i].h && unique; j++)
            if (jeq(h[i].v, h[j].v))
                unique = 0;
    free(h);
    return unique;
}

/* 1 match, 0 no match, -1 (reported) when PCRE2 gave up. */
static int re_match(vctx *v, pcre2_code *re, const char *src, const char *s, size_t len)
{
    if (!v->md && !(v->md = pcre2_match_data_create(1, NULL)))
        return oom(v, NULL);
    int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, v->md, v->s->mctx);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    PCRE2_UCHAR why[120];
    if (pcre2_get_error_message(rc, why, sizeof why) < 0)
        snprintf((char *)why, sizeof why, "error %d", rc);
    return internal(v, "Regular expression '%.100s' could not be evaluated: %s", src, (char *)why);
}

/* ----------------------------------------------------------- keywords */

static int k_type(vctx *v, const struct cinto_snode *n, const struct cinto_sop *op,
                  json_object *inst)
{
    if (type_bits(inst, n->draft) & op->u.types)
        return 0;
    if (!reporting(v))
        return 1;
    cinto_buf m = CINTO_BUF_INIT;
    int rc = cinto_repr(&m, inst, REPR_MAX) | cinto_buf_puts(&m, " is not of type ");
    int first = 1;
    /* Listed as written, like Python's ", ".join(map(repr, types)). */
    json_object *val = op->value;
    size_t cnt = json_object_is_type(val, json_type_array) ? json_object_array_length(val) : 1;
    for (size_t i = 0; i < cnt; i++) {
        json_object *t =
            json_object_is_type(val, json_type_array) ? json_object_array_get_idx(val, i) : val;
        rc |= (first ? 0 : cinto_buf_puts(&m, ", ")) | cinto_repr(&m, t, REPR_MAX);
        first = 0;
    }
    return rc < 0 ? oom(v, &m) : report(v, op->name, op->value, &m);
}

static int k_number(vctx *v, const struct cinto_sop *op, json_object *inst)
{
    if (!is_number(inst))
        return 0;
    cinto_num x;
    if (cinto_num_from_json(inst, &x) < 0)
        return internal(v, "number could not be read");
    const cinto_num *lim = &op->u.limit.num;
    int c = op->kw == KW_MULTIPLE_OF ? 0 : cinto_num_cmp(&x, lim), bad = 0;
    const char *text = NULL;
    switch (op->kw) {
    case KW_MULTIPLE_OF: {
        int m = cinto_num_is_multiple(&x, lim);
        cinto_num_release(&x);
        if (m < 0)
            return internal(v, "number too long for an exact multipleOf check");
        return m ? 0 : fail_inst_val(v, op, inst, " is not a multiple of ", op->value);
    }
    case KW_MAXIMUM:
        bad = op->u.limit.exclusive ? c >= 0 : c > 0;
        text = op->u.limit.exclusive ? " is greater than or equal to the maximum of "
                                     : " is greater than the maximum of ";
        break;
    case KW_EXCLUSIVE_MAXIMUM:
        bad = c >= 0;
        text = " is greater than or equal to the maximum of ";
        break;
    case KW_MINIMUM:
        bad = op->u.limit.exclusive ? c <= 0 : c < 0;
        text = op->u.limit.exclusive ? " is less than or equal to the minimum of "
                                     : " is less than the minimum of ";
        break;
    default:
        bad = c <= 0;
        text = " is less than or equal to the minimum of ";
        break;
    }
    cinto_num_release(&x);
    return bad ? fail_inst_val(v, op, inst, text, op->value) : 0;
}

/* min/max Length, Items, Properties, worded as Python jsonschema 4.2x
 * words them (with "should be non-empty" / "is expected to be empty" for
 * the limits 1 and 0). */
static int k_counts(vctx *v, const struct cinto_sop *op, json_object *inst)
{
    uint64_t have, lim = op->u.count;
    const char *text;
    int is_max;
    switch (op->kw) {
    case KW_MAX_LENGTH:
    case KW_MIN_LENGTH:
        if (!is_type(inst, json_type_string))
            return 0;
        have = utf8_length(json_object_get_string(inst), (size_t)json_object_get_string_len(inst));
        is_max = op->kw == KW_MAX_LENGTH;
        text = is_max ? " is too long" : " is too short";
        break;
    case KW_MAX_ITEMS:
    case KW_MIN_ITEMS:
        if (!is_type(inst, json_type_array))
            return 0;
        have = json_object_array_length(inst);
        is_max = op->kw == KW_MAX_ITEMS;
        text = is_max ? " is too long" : " is too short";
        break;
    default:
        if (!is_type(inst, json_type_object))
            return 0;
        have = (uint64_t)json_object_object_length(inst);
        is_max = op->kw == KW_MAX_PROPERTIES;
        text = is_max ? " has too many properties" : " does not have enough properties";
        break;
    }
    if (is_max ? have <= lim : have >= lim)
        return 0;
    if (is_max && lim == 0)
        text = " is expected to be empty";
    else if (!is_max && lim == 1)
        text = " should be non-empty";
    return fail_inst(v, op, inst, text);
}

static int k_enum(vctx *v, const struct cinto_sop *op, json_object *inst)
{
    size_t n = json_object_array_length(op->value);
    for (size_t i = 0; i < n; i++)
        if (jeq(inst, json_object_array_get_idx(op->value, i)))
            return 0;
    return fail_inst_val(v, op, inst, " is not one of ", op->value);
}

static int k_const(vctx *v, const struct cinto_sop *op, json_object *inst)
{
    if (jeq(inst, op->value))
        return 0;
    if (!reporting(v))
        return 1;
    cinto_buf m = CINTO_BUF_INIT;
    if (cinto_repr(&m, op->value, REPR_MAX) < 0 || cinto_buf_puts(&m, " was expected") < 0)
        return oom(v, &m);
    return report(v, op->name, op->value, &m);
}

static int k_pattern(vctx *v, const struct cinto_sop *op, json_object *inst)
{
    if (!is_type(inst, json_type_string))
        return 0;
    int m = re_match(v, op->u.re, json_object_get_string(op->value), json_object_get_string(inst),
                     (size_t)json_object_get_string_len(inst));
    if (m < 0)
        return -1;
    return m ? 0 : fail_inst_val(v, op, inst, " does not match ", op->value);
}

static int k_unique(vctx *v, const struct cinto_sop *op, json_object *inst)
{
    if (!is_type(inst, json_type_array))
        return 0;
    int u = all_unique(inst);
    if (u < 0)
        return oom(v, NULL);
    return u ? 0 : fail_inst(v, op, inst, " has non-unique elements");
}

/* "'name' <text>" */
static int fail_name(vctx *v, const struct cinto_sop *op, const char *name, const char *text,
                     const char *other)
{
    if (!reporting(v))
        return 1;
    cinto_buf m = CINTO_BUF_INIT;
    int rc = cinto_repr_str(&m, name, strlen(name)) | cinto_buf_puts(&m, text);
    if (other)
        rc |= cinto_repr_str(&m, other, strlen(other));
    return rc < 0 ? oom(v, &m) : report(v, op->name, op->value, &m);
}

static int k_required(vctx *v, const struct cinto_sop *op, json_object *inst)
{
    if (!is_type(inst, json_type_object))
        return 0;
    for (size_t i = 0; i < op->u.strs.n; i++)
        if (!json_object_object_get_ex(inst, op->u.strs.v[i], NULL))
            return fail_name(v, op, op->u.strs.v[i], " is a required property", NULL);
    return 0;
}

/* dependentRequired, dependentSchemas, dependencies. */
static int k_deps(vctx *v, const struct cinto_sop *op, json_object *inst, struct ann *ann)
{
    if (!is_type(inst, json_type_object))
        return 0;
    for (size_t i = 0; i < op->u.deps.n; i++) {
        const struct cinto_dep *d = &op->u.deps.v[i];
        if (!json_object_object_get_ex(inst, d->name, NULL))
            continue;
        if (d->schema) {
            int r = v_node(v, d->schema, inst, ann);
            if (r)
                return r;
            continue;
        }
        for (size_t k = 0; k < d->nrequired; k++)
            if (!json_object_object_get_ex(inst, d->required[k], NULL))
                return fail_name(v, op, d->required[k], " is a dependency of ", d->name);
    }
    return 0;
}

static int cmp_name_key(const void *key, const void *el)
{
    return strcmp(key, ((const struct cinto_named_node *)el)->name);
}

static int in_properties(const struct cinto_sop *props, const char *key)
{
    return props && bsearch(key, props->u.props.sorted, props->u.props.n,
                            sizeof *props->u.props.sorted, cmp_name_key) != NULL;
}

static int k_properties(vctx *v, const struct cinto_sop *op, json_object *inst, struct ann *ann)
{
    if (!is_type(inst, json_type_object))
        return 0;
    /* In schema order, as Python reports the first failure that way. */
    for (size_t i = 0; i < op->u.props.n; i++) {
        json_object *child;
        if (!json_object_object_get_ex(inst, op->u.props.v[i].name, &child))
            continue;
        int r = v_child_key(v, op->u.props.v[i].node, child, op->u.props.v[i].name);
        if (r)
            return r;
    }
    if (ann) {
        size_t idx = 0;
        json_object_object_foreach(inst, key, val)
        {
            (void)val;
            if (in_properties(op, key))
                ann_set(ann, idx);
            idx++;
        }
    }
    return 0;
}

static int k_pattern_properties(vctx *v, const struct cinto_sop *op, json_object *inst,
                                struct ann *ann)
{
    if (!is_type(inst, json_type_object))
        return 0;
    for (size_t p = 0; p < op->u.pats.n; p++) {
        const struct cinto_pattern_node *pn = &op->u.pats.v[p];
        size_t idx = 0;
        json_object_object_foreach(inst, key, val)
        {
            int m = re_match(v, pn->re, pn->source, key, strlen(key));
            if (m < 0)
                return -1;
            if (m) {
                ann_set(ann, idx);
                int r = v_child_key(v, pn->node, val, key);
                if (r)
                    return r;
            }
            idx++;
        }
    }
    return 0;
}

/* Whether a member is "additional": named by no properties entry and
 * matched by no patternProperties regex. 1, 0 or -1. */
static int is_additional(vctx *v, const struct cinto_snode *n, const char *key)
{
    if (in_properties(n->properties, key))
        return 0;
    const struct cinto_sop *pp = n->pattern_properties;
    for (size_t p = 0; pp && p < pp->u.pats.n; p++) {
        int m = re_match(v, pp->u.pats.v[p].re, pp->u.pats.v[p].source, key, strlen(key));
        if (m != 0)
            return m < 0 ? -1 : 0;
    }
    return 1;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "Additional properties are not allowed ('a', 'b' were unexpected)", or
 * the patternProperties variant, with names sorted as Python does. */
static int fail_extras(vctx *v, const struct cinto_snode *n, const struct cinto_sop *op,
                       const char **names, size_t count, const char *what)
{
    cinto_buf m = CINTO_BUF_INIT;
    int rc = 0;
    qsort(names, count, sizeof *names, cmp_str_ptr);
    int with_patterns = op->kw == KW_ADDITIONAL_PROPERTIES && n->pattern_properties;
    if (!with_patterns)
        rc |= cinto_buf_printf(&m, "%s are not allowed (", what);
    for (size_t i = 0; i < count && m.len < 400; i++)
        rc |= (i ? cinto_buf_puts(&m, ", ") : 0) | cinto_repr_str(&m, names[i], strlen(names[i]));
    if (with_patterns) {
        const struct cinto_sop *pp = n->pattern_properties;
        const char **pats = malloc((pp->u.pats.n + 1) * sizeof *pats);
        if (!pats)
            return oom(v, &m);
        for (size_t i = 0; i < pp->u.pats.n; i++)
            pats[i] = pp->u.pats.v[i].source;
        qsort(pats, pp->u.pats.n, sizeof *pats, cmp_str_ptr);
        rc |= cinto_buf_puts(&m, count == 1 ? " does not match any of the regexes: "
                                            : " do not match any of the regexes: ");
        for (size_t i = 0; i < pp->u.pats.n && m.len < 450; i++)
            rc |= (i ? cinto_buf_puts(&m, ", ") : 0) | cinto_repr_str(&m, pats[i], strlen(pats[i]));
        free(pats);
    } else {
        rc |= cinto_buf_puts(&m, count == 1 ? " was unexpected)" : " were unexpected)");
    }
    return rc < 0 ? oom(v, &m) : report(v, op->name, op->value, &m);
}

static int k_additional_properties(vctx *v, const struct cinto_snode *n, const struct cinto_sop *op,
                                   json_object *inst, struct ann *ann)
{
    if (!is_type(inst, json_type_object))
        return 0;
    const struct cinto_snode *sub = op->u.sub;
    int deny = sub->kind == SN_FALSE;
    const char **extras = NULL;
    size_t nextra = 0, idx = 0;
    int r = 0;
    json_object_object_foreach(inst, key, val)
    {
        int a = is_additional(v, n, key);
        if (a < 0) {
            r = -1;
            break;
        }
        if (a) {
            ann_set(ann, idx);
            if (deny) {
                if (!reporting(v)) {
                    r = 1;
                    break;
                }
                if (!extras &&
                    !(extras = malloc((size_t)json_object_object_length(inst) * sizeof *extras))) {
                    r = oom(v, NULL);
                    break;
                }
                extras[nextra++] = key;
            } else if (sub->kind != SN_TRUE && (r = v_child_key(v, sub, val, key)) != 0) {
                break;
            }
        }
        idx++;
    }
    if (r == 0 && nextra)
        r = fail_extras(v, n, op, extras, nextra, "Additional properties");
    free(extras);
    return r;
}

static int k_property_names(vctx *v, const struct cinto_sop *op, json_object *inst)
{
    if (!is_type(inst, json_type_object) || op->u.sub->kind == SN_TRUE)
        return 0;
    json_object_object_foreach(inst, key, val)
    {
        (void)val;
        json_object *name = json_object_new_string(key);
        if (!name)
            return oom(v, NULL);
        int r = v_node(v, op->u.sub, name, NULL);
        json_object_put(name);
        if (r)
            return r;
    }
    return 0;
}

/* Items from index start on against one schema (items, additionalItems). */
static int items_from(vctx *v, const struct cinto_snode *n, const struct cinto_sop *op,
                      json_object *inst, size_t start, struct ann *ann)
{
    size_t len = json_object_array_length(inst);
    const struct cinto_snode *sub = op->u.sub;
    if (start >= len)
        return 0;
    if (sub->kind == SN_FALSE && op->kw == KW_ADDITIONAL_ITEMS) {
        if (!reporting(v))
            return 1;
        cinto_buf m = CINTO_BUF_INIT;
        int rc = cinto_buf_puts(&m, "Additional items are not allowed (");
        for (size_t i = start; i < len && m.len < 400; i++)
            rc |= (i > start ? cinto_buf_puts(&m, ", ") : 0) |
                  cinto_repr(&m, json_object_array_get_idx(inst, i), REPR_MAX);
        rc |= cinto_buf_puts(&m, len - start == 1 ? " was unexpected)" : " were unexpected)");
        return rc < 0 ? oom(v, &m) : report(v, op->name, op->value, &m);
    }
    if (sub->kind == SN_FALSE && n->draft == SD_2020) {
        /* "Expected at most 1 item but found 2 extra: [3, 4]" */
        if (!reporting(v))
            return 1;
        size_t extra = len - start;
        cinto_buf m = CINTO_BUF_INIT;
        int rc = cinto_buf_printf(&m, "Expected at most %zu %s but found %zu extra: ", start,
                                  start == 1 ? "item" : "items", extra);
        if (extra == 1) {
            rc |= cinto_repr(&m, json_object_array_get_idx(inst, start), REPR_MAX);
        } else {
            rc |= cinto_buf_putc(&m, '[');
            for (size_t i = start; i < len && m.len < 400; i++)
                rc |= (i > start ? cinto_buf_puts(&m, ", ") : 0) |
                      cinto_repr(&m, json_object_array_get_idx(inst, i), REPR_MAX);
            rc |= cinto_buf_putc(&m, ']');
        }
        return rc < 0 ? oom(v, &m) : report(v, op->name, op->value, &m);
    }
    for (size_t i = start; i < len; i++) {
        int r = v_child_idx(v, sub, json_object_array_get_idx(inst, i), i);
        if (r)
            return r;
        ann_set(ann, i);
    }
    return 0;
}

static int k_items(vctx *v, const struct cinto_snode *n, const struct cinto_sop *op,
                   json_object *inst, struct ann *ann)
{
    if (!is_type(inst, json_type_array))
        return 0;
    switch (op->kw) {
    case KW_ITEMS:
        return items_from(v, n, op, inst, n->draft == SD_2020 ? n->prefix : 0, ann);
    case KW_ADDITIONAL_ITEMS:
        return n->items_array ? items_from(v, n, op, inst, n->prefix, ann) : 0;
    default: { /* prefixItems, array-form items */
        size_t len = json_object_array_length(inst);
        for (size_t i = 0; i < op->u.list.n && i < len; i++) {
            int r = v_child_idx(v, op->u.list.v[i], json_object_array_get_idx(inst, i), i);
            if (r)
                return r;
            ann_set(ann, i);
        }
        return 0;
    }
    }
}

static int k_contains(vctx *v, const struct cinto_snode *n, const struct cinto_sop *op,
                      json_object *inst, struct ann *ann)
{
    if (!is_type(inst, json_type_array))
        return 0;
    uint64_t min = op->u.contains.min, max = op->u.contains.max, matches = 0;
    size_t len = json_object_array_length(inst);
    int mark = ann && n->draft == SD_2020;
    for (size_t i = 0; i < len; i++) {
        int r = v_quiet(v, op->u.contains.sub, json_object_array_get_idx(inst, i), NULL);
        if (r < 0)
            return -1;
        if (r)
            continue;
        matches++;
        if (mark)
            ann_set(ann, i);
        if (matches > max) {
            if (!reporting(v))
                return 1;
            cinto_buf m = CINTO_BUF_INIT;
            if (cinto_buf_printf(&m,
                                 "Too many items match the given schema (expected at most %llu)",
                                 (unsigned long long)max) < 0)
                return oom(v, &m);
            return report(v, "maxContains", cinto_json_get(n->json, "maxContains"), &m);
        }
        if (!mark && matches >= min && max == UINT64_MAX)
            break;
    }
    if (matches >= min)
        return 0;
    if (!reporting(v))
        return 1;
    if (matches == 0 && n->draft <= SD_7) {
        cinto_buf m = CINTO_BUF_INIT;
        if (cinto_buf_puts(&m, "None of ") < 0 || cinto_repr(&m, inst, REPR_MAX) < 0 ||
            cinto_buf_puts(&m, " are valid under the given schema") < 0)
            return oom(v, &m);
        return report(v, op->name, op->value, &m);
    }
    if (matches == 0)
        return fail_inst(v, op, inst, " does not contain items matching the given schema");
    cinto_buf m = CINTO_BUF_INIT;
    if (cinto_buf_printf(&m,
                         "Too few items match the given schema (expected at least %llu but only "
                         "%llu matched)",
                         (unsigned long long)min, (unsigned long long)matches) < 0)
        return oom(v, &m);
    return report(v, "minContains", cinto_json_get(n->json, "minContains"), &m);
}

static int k_all_of(vctx *v, const struct cinto_sop *op, json_object *inst, struct ann *ann)
{
    for (size_t i = 0; i < op->u.list.n; i++) {
        int r = v_node(v, op->u.list.v[i], inst, ann);
        if (r)
            return r;
    }
    return 0;
}

/* Runs one branch quietly; on success its annotations join ann. */
static int branch(vctx *v, const struct cinto_snode *sub, json_object *inst, struct ann *ann)
{
    if (!ann)
        return v_quiet(v, sub, inst, NULL);
    struct ann t;
    if (ann_init(&t, ann->n) < 0)
        return oom(v, NULL);
    int r = v_quiet(v, sub, inst, &t);
    if (r == 0)
        ann_merge(ann, &t);
    ann_free(&t);
    return r;
}

static int k_any_of(vctx *v, const struct cinto_sop *op, json_object *inst, struct ann *ann)
{
    int ok = 0;
    for (size_t i = 0; i < op->u.list.n; i++) {
        int r = branch(v, op->u.list.v[i], inst, ann);
        if (r < 0)
            return -1;
        if (r == 0) {
            ok = 1;
            if (!ann) /* every passing branch counts only for annotations */
                break;
        }
    }
    return ok ? 0 : fail_inst(v, op, inst, " is not valid under any of the given schemas");
}

/* "<inst> is valid under each of <schemas>", the later matches first
 * and the first match last, as Python lists them. */
static int fail_one_of(vctx *v, const struct cinto_sop *op, json_object *inst, const size_t *valid,
                       size_t nvalid)
{
    cinto_buf m = CINTO_BUF_INIT;
    int rc = cinto_repr(&m, inst, REPR_MAX) | cinto_buf_puts(&m, " is valid under each of ");
    for (size_t k = 1; k <= nvalid && m.len < 450; k++) {
        size_t i = valid[k % nvalid];
        rc |= (k > 1 ? cinto_buf_puts(&m, ", ") : 0) |
              cinto_repr(&m, op->u.list.v[i]->json, REPR_MAX);
    }
    return rc < 0 ? oom(v, &m) : report(v, op->name, op->value, &m);
}

static int k_one_of(vctx *v, const struct cinto_sop *op, json_object *inst, struct ann *ann)
{
    size_t n = op->u.list.n, nvalid = 0;
    size_t *valid = malloc((n + 1) * sizeof *valid);
    struct ann keep = {NULL, 0};
    int r = 0;
    if (!valid)
        return oom(v, NULL);
    for (size_t i = 0; i < n; i++) {
        struct ann t = {NULL, 0};
        if (ann && ann_init(&t, ann->n) < 0) {
            r = oom(v, NULL);
            goto done;
        }
        int b = v_quiet(v, op->u.list.v[i], inst, ann ? &t : NULL);
        if (b < 0) {
            ann_free(&t);
            r = -1;
            goto done;
        }
        if (b == 0 && nvalid == 0)
            keep = t;
        else
            ann_free(&t);
        if (b == 0)
            valid[nvalid++] = i;
        /* Two matches decide; the message wants them all. */
        if (nvalid > 1 && !reporting(v))
            break;
    }
    if (nvalid == 1)
        ann_merge(ann, &keep);
    else if (nvalid == 0)
        r = fail_inst(v, op, inst, " is not valid under any of the given schemas");
    else
        r = reporting(v) ? fail_one_of(v, op, inst, valid, nvalid) : 1;
done:
    free(valid);
    ann_free(&keep);
    return r;
}

static int k_not(vctx *v, const struct cinto_sop *op, json_object *inst)
{
    int r = v_quiet(v, op->u.sub, inst, NULL);
    if (r < 0)
        return -1;
    if (r == 1)
        return 0;
    if (!reporting(v))
        return 1;
    cinto_buf m = CINTO_BUF_INIT;
    if (cinto_repr(&m, inst, REPR_MAX) < 0 ||
        cinto_buf_puts(&m, " should not be valid under ") < 0 ||
        cinto_repr(&m, op->value, REPR_MAX) < 0)
        return oom(v, &m);
    return report(v, op->name, op->value, &m);
}

static int k_if(vctx *v, const struct cinto_sop *op, json_object *inst, struct ann *ann)
{
    int r = branch(v, op->u.cond.cond, inst, ann);
    if (r < 0)
        return -1;
    const struct cinto_snode *next = r == 0 ? op->u.cond.then_ : op->u.cond.else_;
    return next ? v_node(v, next, inst, ann) : 0;
}

static int k_ref(vctx *v, const struct cinto_sop *op, json_object *inst, struct ann *ann)
{
    const struct cinto_snode *target = op->u.ref.target;
    if (op->u.ref.dynamic) {
        /* The outermost resource in the dynamic scope that declares the
         * anchor (or, for $recursiveRef, "$recursiveAnchor": true). */
        for (int i = 0; i < v->nscope; i++) {
            const struct cinto_sres *r = v->scope[i];
            const struct cinto_snode *found = NULL;
            if (op->kw == KW_RECURSIVE_REF) {
                if (r->recursive_anchor)
                    found = r->root;
            } else {
                for (size_t a = 0; a < r->ndyn && !found; a++)
                    if (strcmp(r->dyn[a].name, op->u.ref.anchor) == 0)
                        found = r->dyn[a].node;
            }
            if (found) {
                target = found;
                break;
            }
        }
    }
    return v_node(v, target, inst, ann);
}

/* "Unevaluated ... (<list> was/were <how>)" with names or item reprs. */
static int fail_unevaluated(vctx *v, const struct cinto_sop *op, const char *what,
                            const char **names, json_object **items, size_t bad, const char *how)
{
    cinto_buf m = CINTO_BUF_INIT;
    int rc = cinto_buf_printf(&m, "Unevaluated %s (", what);
    for (size_t i = 0; i < bad && m.len < 400; i++)
        rc |= (i ? cinto_buf_puts(&m, ", ") : 0) |
              (names ? cinto_repr_str(&m, names[i], strlen(names[i]))
                     : cinto_repr(&m, items[i], REPR_MAX));
    rc |= cinto_buf_printf(&m, " %s %s)", bad == 1 ? "was" : "were", how);
    return rc < 0 ? oom(v, &m) : report(v, op->name, op->value, &m);
}

/* unevaluatedProperties over the members ann leaves out. */
static int uneval_props(vctx *v, const struct cinto_sop *op, json_object *inst, struct ann *ann)
{
    const char **names = malloc(((size_t)json_object_object_length(inst) + 1) * sizeof *names);
    size_t bad = 0, idx = 0;
    int r = 0;
    if (!names)
        return oom(v, NULL);
    json_object_object_foreach(inst, key, val)
    {
        if (!ann_get(ann, idx)) {
            push_key(v, key);
            r = v_quiet(v, op->u.sub, val, NULL);
            pop_path(v);
            if (r < 0)
                break;
            if (r)
                names[bad++] = key;
            else
                ann_set(ann, idx);
            r = 0;
        }
        idx++;
    }
    if (r == 0 && bad) {
        if (!reporting(v))
            r = 1;
        else if (op->u.sub->kind == SN_FALSE) /* sorted, as Python does */
            r = fail_extras(v, NULL, op, names, bad, "Unevaluated properties");
        else
            r = fail_unevaluated(v, op, "properties are not valid under the given schema", names,
                                 NULL, bad, "unevaluated and invalid");
    }
    free(names);
    return r;
}

/* unevaluatedItems over the items ann leaves out. */
static int uneval_items(vctx *v, const struct cinto_sop *op, json_object *inst, struct ann *ann)
{
    size_t n = json_object_array_length(inst), bad = 0;
    json_object **items = malloc((n + 1) * sizeof *items);
    int r = 0;
    if (!items)
        return oom(v, NULL);
    for (size_t idx = 0; idx < n; idx++) {
        if (ann_get(ann, idx))
            continue;
        json_object *item = json_object_array_get_idx(inst, idx);
        push_idx(v, idx);
        r = v_quiet(v, op->u.sub, item, NULL);
        pop_path(v);
        if (r < 0)
            break;
        if (r)
            items[bad++] = item;
        else
            ann_set(ann, idx);
        r = 0;
    }
    if (r == 0 && bad)
        r = reporting(v)
                ? fail_unevaluated(v, op, "items are not allowed", NULL, items, bad, "unexpected")
                : 1;
    free(items);
    return r;
}

static int k_unevaluated(vctx *v, const struct cinto_sop *op, json_object *inst, struct ann *ann)
{
    if (!ann)
        return 0;
    if (op->kw == KW_UNEVALUATED_PROPERTIES)
        return is_type(inst, json_type_object) ? uneval_props(v, op, inst, ann) : 0;
    return is_type(inst, json_type_array) ? uneval_items(v, op, inst, ann) : 0;
}

static int v_op(vctx *v, const struct cinto_snode *n, const struct cinto_sop *op, json_object *inst,
                struct ann *ann)
{
    switch (op->kw) {
    case KW_REF:
    case KW_DYNAMIC_REF:
    case KW_RECURSIVE_REF:
        return k_ref(v, op, inst, ann);
    case KW_TYPE:
        return k_type(v, n, op, inst);
    case KW_ENUM:
        return k_enum(v, op, inst);
    case KW_CONST:
        return k_const(v, op, inst);
    case KW_MULTIPLE_OF:
    case KW_MAXIMUM:
    case KW_EXCLUSIVE_MAXIMUM:
    case KW_MINIMUM:
    case KW_EXCLUSIVE_MINIMUM:
        return k_number(v, op, inst);
    case KW_MAX_LENGTH:
    case KW_MIN_LENGTH:
    case KW_MAX_ITEMS:
    case KW_MIN_ITEMS:
    case KW_MAX_PROPERTIES:
    case KW_MIN_PROPERTIES:
        return k_counts(v, op, inst);
    case KW_PATTERN:
        return k_pattern(v, op, inst);
    case KW_UNIQUE_ITEMS:
        return k_unique(v, op, inst);
    case KW_REQUIRED:
        return k_required(v, op, inst);
    case KW_DEPENDENT_REQUIRED:
    case KW_DEPENDENT_SCHEMAS:
    case KW_DEPENDENCIES:
        return k_deps(v, op, inst, ann);
    case KW_PROPERTIES:
        return k_properties(v, op, inst, ann);
    case KW_PATTERN_PROPERTIES:
        return k_pattern_properties(v, op, inst, ann);
    case KW_ADDITIONAL_PROPERTIES:
        return k_additional_properties(v, n, op, inst, ann);
    case KW_PROPERTY_NAMES:
        return k_property_names(v, op, inst);
    case KW_ITEMS:
    case KW_ITEMS_ARRAY:
    case KW_PREFIX_ITEMS:
    case KW_ADDITIONAL_ITEMS:
        return k_items(v, n, op, inst, ann);
    case KW_CONTAINS:
        return k_contains(v, n, op, inst, ann);
    case KW_ALL_OF:
        return k_all_of(v, op, inst, ann);
    case KW_ANY_OF:
        return k_any_of(v, op, inst, ann);
    case KW_ONE_OF:
        return k_one_of(v, op, inst, ann);
    case KW_NOT:
        return k_not(v, op, inst);
    case KW_IF:
        return k_if(v, op, inst, ann);
    case KW_UNEVALUATED_PROPERTIES:
    case KW_UNEVALUATED_ITEMS:
        return k_unevaluated(v, op, inst, ann);
    }
    return 0;
}

static int v_ops(vctx *v, const struct cinto_snode *n, json_object *inst, struct ann *parent)
{
    struct ann local = {NULL, 0}, *ann = parent;
    if (n->has_uneval && (is_type(inst, json_type_object) || is_type(inst, json_type_array))) {
        size_t cnt = is_type(inst, json_type_object) ? (size_t)json_object_object_length(inst)
                                                     : json_object_array_length(inst);
        if (ann_init(&local, cnt) < 0)
            return oom(v, NULL);
        ann = &local;
    }
    int r = 0;
    const char *saved_kw = v->cur_kw;
    int saved_npath = v->op_npath;
    for (size_t i = 0; i < n->nops && r == 0; i++) {
        v->cur_kw = n->ops[i].name;
        v->op_npath = v->npath;
        r = v_op(v, n, &n->ops[i], inst, ann);
    }
    v->cur_kw = saved_kw;
    v->op_npath = saved_npath;
    if (r == 0 && ann == &local && parent)
        ann_merge(parent, &local);
    ann_free(&local);
    return r;
}

static int v_node(vctx *v, const struct cinto_snode *n, json_object *inst, struct ann *ann)
{
    if (n->kind == SN_TRUE)
        return 0;
    if (n->kind == SN_FALSE)
        return fail_false(v, inst);
    if (v->depth >= CINTO_SCHEMA_MAX_DEPTH)
        return internal(v,
                        "Schema evaluation exceeded the maximum depth of %d (a reference "
                        "loop, or an instance nested too deeply)",
                        CINTO_SCHEMA_MAX_DEPTH);
    v->depth++;
    int pushed = v->nscope == 0 || v->scope[v->nscope - 1] != n->res;
    if (pushed)
        v->scope[v->nscope++] = n->res;
    int r = v_ops(v, n, inst, ann);
    if (pushed)
        v->nscope--;
    v->depth--;
    return r;
}

int cinto_schema_validate(const cinto_schema *s, json_object *instance, cinto_schema_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    vctx *v = calloc(1, sizeof *v);
    if (!v) {
        if (err)
            snprintf(err->message, sizeof err->message, "out of memory");
        return -1;
    }
    v->s = s;
    v->err = err;
    int r = v_node(v, s->root, instance, NULL);
    if (r == 1 && err && !v->have_err)
        snprintf(err->message, sizeof err->message, "instance is not valid");
    pcre2_match_data_free(v->md);
    free(v);
    return r;
}
