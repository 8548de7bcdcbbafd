/* The list planner: which filters MariaDB narrows (see plan.h). Each rule
 * below only pushes a test that holds for every object C accepts, so a
 * row SQL drops is one C would have dropped too. */
#include "query/plan.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/json.h"

char *cinto_plan_json_path(const char *field)
{
    cinto_buf b = CINTO_BUF_INIT;
    const char *seg = field;
    /* id and last_modified are columns, not in data: a path below them
     * is missing for C, and data must not be asked. */
    if (strncmp(field, "id.", 3) == 0 || strncmp(field, "last_modified.", 14) == 0)
        return NULL;
    cinto_buf_puts(&b, "$");
    for (;;) {
        size_t n = strcspn(seg, ".");
        if (n == 0)
            goto bad;
        for (size_t i = 0; i < n; i++) {
            char c = seg[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_'))
                goto bad;
        }
        cinto_buf_printf(&b, ".\"%.*s\"", (int)n, seg);
        if (!seg[n])
            break;
        seg += n + 1;
    }
    return cinto_buf_steal(&b);
bad:
    cinto_buf_free(&b);
    return NULL;
}

/* Type rank as the storage's ORDER BY computes it: the cross-type order of
 * the C sort, with 6 for a missing field. */
static int sql_rank(json_object *v, int present)
{
    return present ? cinto_json_type_rank(v) : 6;
}

static int order_cmp(const char *field, json_object *a, json_object *b, size_t maxlen)
{
    int pa, pb;
    json_object *va = cinto_field_get(a, field, &pa), *vb = cinto_field_get(b, field, &pb);
    int ra = sql_rank(va, pa), rb = sql_rank(vb, pb);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra == 1) {
        size_t la = (size_t)json_object_get_string_len(va),
               lb = (size_t)json_object_get_string_len(vb);
        la = la > maxlen ? maxlen : la;
        lb = lb > maxlen ? maxlen : lb;
        int c = memcmp(json_object_get_string(va), json_object_get_string(vb), la < lb ? la : lb);
        return c ? (c < 0 ? -1 : 1) : (la < lb ? -1 : la > lb);
    }
    if (ra == 2) {
        double x = json_object_get_double(va), y = json_object_get_double(vb);
        return x < y ? -1 : x > y;
    }
    return 0;
}

int cinto_plan_sql_order_cmp(const char *field, json_object *a, json_object *b)
{
    return order_cmp(field, a, b, SIZE_MAX);
}

int cinto_plan_index_order_cmp(const char *field, json_object *a, json_object *b)
{
    return order_cmp(field, a, b, CINTO_INDEX_STR_MAX);
}

const char *cinto_plan_indexed(const char *const *indexed, const char *field)
{
    for (size_t i = 0; indexed && indexed[i]; i++)
        if (strcmp(indexed[i], field) == 0)
            return indexed[i];
    return NULL;
}

static int is_number(json_object *v)
{
    return v && (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double));
}

static char *number_text(json_object *v)
{
    return strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
}

/* The equality term of one scalar value; -1 when SQL cannot narrow it
 * (arrays and objects: deep equality stays in C). */
static int eq_term(json_object *v, cinto_sql_term *t)
{
    t->text = NULL;
    if (!v || json_object_is_type(v, json_type_null)) {
        t->kind = CINTO_SQL_NULL_EQ;
        return 0;
    }
    if (json_object_is_type(v, json_type_string)) {
        t->kind = CINTO_SQL_TEXT_EQ;
        t->text = strdup(json_object_get_string(v));
    } else if (json_object_is_type(v, json_type_boolean)) {
        /* The JSON test ignores the value; an index compares it (0/1). */
        t->kind = CINTO_SQL_BOOL;
        t->text = strdup(json_object_get_boolean(v) ? "1" : "0");
    } else if (is_number(v)) {
        t->kind = CINTO_SQL_NUM_EQ;
        t->text = number_text(v);
    } else {
        return -1;
    }
    return t->text ? 0 : -2;
}

/* like_ patterns: '*' is any sequence, no '*' means a substring, every
 * other character literal ('%', '_' and the escape '!' escaped). Only
 * ASCII patterns go to SQL: the collation's case rules match C's simple
 * case folding for ASCII letters, not for every script. */
static char *like_pattern(json_object *v)
{
    if (!v || !json_object_is_type(v, json_type_string))
        return NULL;
    const char *p = json_object_get_string(v);
    for (const unsigned char *u = (const unsigned char *)p; *u; u++)
        if (*u >= 0x80)
            return NULL;
    int floating = !strchr(p, '*');
    cinto_buf b = CINTO_BUF_INIT;
    if (floating)
        cinto_buf_putc(&b, '%');
    for (; *p; p++) {
        if (*p == '*') {
            cinto_buf_putc(&b, '%');
            continue;
        }
        if (*p == '%' || *p == '_' || *p == '!')
            cinto_buf_putc(&b, '!');
        cinto_buf_putc(&b, *p);
    }
    if (floating)
        cinto_buf_putc(&b, '%');
    return cinto_buf_steal(&b);
}

/* The spellings of one ASCII pattern character that C's simple case
 * folding (lib/query/eval.c) takes as equal: both cases of a letter, and
 * the two non-ASCII characters that fold to ASCII ones (U+017F long s to
 * 's', U+212A Kelvin sign to 'k'; lib/query/casefold_table.h has no
 * other). Returns how many (1 to 3). */
static size_t fold_spellings(char c, const char *out[3], char buf[2][2])
{
    size_t n = 0;
    char lo = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    buf[0][0] = lo;
    buf[0][1] = 0;
    out[n++] = buf[0];
    if (lo >= 'a' && lo <= 'z') {
        buf[1][0] = (char)(lo - 32);
        buf[1][1] = 0;
        out[n++] = buf[1];
    }
    if (lo == 's')
        out[n++] = "\xc5\xbf";
    else if (lo == 'k')
        out[n++] = "\xe2\x84\xaa";
    return n;
}

/* The byte-wise LIKE patterns of an ASCII like_ pattern's literal prefix
 * (the characters before its first '*'; none when it has no '*', which
 * makes it a substring): every case spelling of as many leading
 * characters as keep their number within CINTO_PLAN_LIKE_PREFIXES. A
 * string C matches starts with one of them (in its first bytes, which the
 * index keeps even of a cut string). Returns 0, or -1 on no memory. */
static int like_prefixes(const char *p, cinto_sql_term *t)
{
    const char *star = strchr(p, '*');
    size_t take = 0, count = 1;
    const char *sp[3];
    char buf[2][2];
    if (!star)
        return 0;
    while (p + take < star && take < CINTO_PLAN_LIKE_PREFIX_CHARS) {
        size_t k = fold_spellings(p[take], sp, buf);
        if (count * k > CINTO_PLAN_LIKE_PREFIXES)
            break;
        count *= k;
        take++;
    }
    if (!take)
        return 0;
    if (!(t->prefixes = calloc(count, sizeof *t->prefixes)))
        return -1;
    for (size_t v = 0; v < count; v++, t->nprefixes++) {
        /* v in mixed radix: one digit per character, its spelling */
        cinto_buf b = CINTO_BUF_INIT;
        size_t rest = v;
        for (size_t i = 0; i < take; i++) {
            size_t k = fold_spellings(p[i], sp, buf);
            const char *s = sp[rest % k];
            rest /= k;
            if (*s == '%' || *s == '_' || *s == '!')
                cinto_buf_putc(&b, '!');
            cinto_buf_puts(&b, s);
        }
        cinto_buf_putc(&b, '%');
        if (!(t->prefixes[v] = cinto_buf_steal(&b)))
            return -1;
    }
    return 0;
}

static void cond_free(cinto_sql_cond *c)
{
    for (size_t i = 0; i < c->nterms; i++) {
        free(c->terms[i].text);
        for (size_t k = 0; k < c->terms[i].nprefixes; k++)
            free(c->terms[i].prefixes[k]);
        free(c->terms[i].prefixes);
    }
    free(c->terms);
    free(c->path);
    memset(c, 0, sizeof *c);
}

/* contains_ (all) and contains_any_ on a declared field: the rows of the
 * array's elements. any: one term per wanted value (an object or array
 * among them: C alone); all: the first scalar wanted value only, a superset
 * that C narrows to all. Returns 1, 0 (C alone) or -1 (no memory). */
static int plan_contains(const cinto_filter *f, cinto_sql_cond *c)
{
    json_object *v = f->value;
    int any = f->op == CINTO_F_CONTAINS_ANY;
    if (!json_object_is_type(v, json_type_array))
        return 0;
    size_t n = json_object_array_length(v);
    if (n == 0 || n > CINTO_PLAN_MAX_IN || !(c->terms = calloc(n, sizeof *c->terms)))
        return n == 0 || n > CINTO_PLAN_MAX_IN ? 0 : -1;
    c->elements = 1;
    for (size_t i = 0; i < n; i++) {
        int rc = eq_term(json_object_array_get_idx(v, i), &c->terms[c->nterms]);
        if (rc == -2)
            return -1;
        if (rc < 0 && any)
            return 0;
        if (rc == 0 && (c->nterms++, !any))
            break;
    }
    return c->nterms > 0;
}

/* Whether an equality term on a declared field's index is exact. */
static int exact_term(const cinto_sql_term *t)
{
    switch (t->kind) {
    case CINTO_SQL_TEXT_EQ:
        return strlen(t->text) < CINTO_INDEX_STR_MAX;
    case CINTO_SQL_NUM_EQ:
    case CINTO_SQL_NUM_LE:
    case CINTO_SQL_NUM_GE:
        /* doubles tell every integer below 2^53 apart */
        return fabs(strtod(t->text, NULL)) < 9007199254740992.0;
    case CINTO_SQL_BOOL:
    case CINTO_SQL_NULL_EQ:
    case CINTO_SQL_PRESENT:
    case CINTO_SQL_ABSENT:
        return 1;
    default:
        return 0;
    }
}

/* cinto_sql_cond.exact of a condition on a declared field. */
static int cond_exact(const cinto_filter *f, const cinto_sql_cond *c)
{
    switch (f->op) {
    case CINTO_F_EQ:
    case CINTO_F_IN:
    case CINTO_F_CONTAINS_ANY:
    case CINTO_F_MAX: /* the NUM_LE/NUM_GE bounds are inclusive */
    case CINTO_F_MIN:
    case CINTO_F_HAS:
        break;
    case CINTO_F_CONTAINS:
        if (json_object_array_length(f->value) != 1)
            return 0;
        break;
    default:
        return 0;
    }
    for (size_t i = 0; i < c->nterms; i++)
        if (!exact_term(&c->terms[i]))
            return 0;
    return c->nterms > 0;
}

/* Fills c for filter f. Returns 1 when pushed, 0 when C alone must
 * evaluate it, -1 when memory ran out. */
static int plan_filter(const cinto_filter *f, const char *const *indexed, cinto_sql_cond *c)
{
    json_object *v = f->value;
    int is_id = strcmp(f->field, "id") == 0;
    memset(c, 0, sizeof *c);
    /* A declared field's rows hold its value as C reads it (rank 6 when
     * missing, whatever the path crosses). */
    const char *ix = is_id ? NULL : cinto_plan_indexed(indexed, f->field);
    if (strcmp(f->field, "deleted") == 0)
        return 0; /* tombstones carry it outside data */
    if (!is_id && !(c->path = cinto_plan_json_path(f->field)))
        return 0;
    c->indexed = ix;
    if (ix && (f->op == CINTO_F_CONTAINS || f->op == CINTO_F_CONTAINS_ANY)) {
        int rc = plan_contains(f, c);
        if (rc <= 0)
            cond_free(c);
        return rc;
    }
    size_t n = f->op == CINTO_F_IN ? json_object_array_length(v) : 1;
    if (f->op == CINTO_F_IN && (n == 0 || n > CINTO_PLAN_MAX_IN))
        goto c_only;
    if (!(c->terms = calloc(n, sizeof *c->terms)))
        goto nomem;
    cinto_sql_term *t = c->terms;
    switch (f->op) {
    case CINTO_F_EQ:
    case CINTO_F_IN:
        for (size_t i = 0; i < n; i++, c->nterms++) {
            json_object *x = f->op == CINTO_F_IN ? json_object_array_get_idx(v, i) : v;
            int rc = eq_term(x, &t[i]);
            if (rc == -2)
                goto nomem;
            if (rc < 0 || (is_id && t[i].kind != CINTO_SQL_TEXT_EQ))
                goto c_only;
            if (is_id)
                t[i].kind = CINTO_SQL_ID_EQ;
        }
        return 1;
    case CINTO_F_LT:
    case CINTO_F_MAX:
    case CINTO_F_GT:
    case CINTO_F_MIN:
        if (ix && v && json_object_is_type(v, json_type_string)) {
            /* A declared field's index orders strings by their bytes. */
            int le = f->op == CINTO_F_LT || f->op == CINTO_F_MAX;
            t->kind = le ? CINTO_SQL_STR_LE : CINTO_SQL_STR_GE;
            if (!(t->text = strdup(json_object_get_string(v))))
                goto nomem;
            c->nterms = 1;
            return 1;
        }
        if (is_id || !is_number(v))
            goto c_only;
        t->kind = f->op == CINTO_F_LT || f->op == CINTO_F_MAX ? CINTO_SQL_NUM_LE : CINTO_SQL_NUM_GE;
        if (!(t->text = number_text(v)))
            goto nomem;
        c->nterms = 1;
        return 1;
    case CINTO_F_LIKE:
        if (is_id || !(t->text = like_pattern(v)))
            goto c_only;
        t->kind = CINTO_SQL_LIKE;
        c->nterms = 1;
        /* A declared field: its index rows are scanned instead of every
         * record's JSON, and only a literal prefix's ranges of them. */
        if (ix && like_prefixes(json_object_get_string(v), t) < 0)
            goto nomem;
        return 1;
    case CINTO_F_HAS:
        /* A dotted path through an array is missing for C; only a
         * top-level absence is certain to mean the same in SQL. */
        if (is_id || (!ix && !cinto_query_truthy(v) && strchr(f->field, '.')))
            goto c_only;
        t->kind = cinto_query_truthy(v) ? CINTO_SQL_PRESENT : CINTO_SQL_ABSENT;
        c->nterms = 1;
        return 1;
    default:
        /* not_/exclude_ match missing fields and contains_ needs deep
         * equality of array elements: C alone. */
        goto c_only;
    }
c_only:
    cond_free(c);
    return 0;
nomem:
    cond_free(c);
    return -1;
}

/* A like_ on a declared field reads its index rows only as the list's one
 * condition in last_modified order (the storage scans the field's string
 * rows and sorts the few matches, or finds them frequent and reads the
 * list in order); with other conditions or another order its rows cannot
 * be counted against theirs without reading them all, so it keeps the
 * JSON test of each record read, as on an undeclared field. */
static void like_alone(const cinto_list_spec *s, cinto_list_plan *p)
{
    int in_order = !s->nsort || strcmp(s->sort[0].field, "last_modified") == 0;
    for (size_t i = 0, k = 0; i < p->nfilters; i++) {
        if (p->decisions[i] != CINTO_PLAN_INDEX_AND_C && p->decisions[i] != CINTO_PLAN_SQL_AND_C)
            continue;
        cinto_sql_cond *c = &p->conds[k++];
        if (s->filters[i].op != CINTO_F_LIKE || !c->indexed || (in_order && p->nconds == 1))
            continue;
        c->indexed = NULL;
        for (size_t t = 0; t < c->nterms; t++) {
            for (size_t j = 0; j < c->terms[t].nprefixes; j++)
                free(c->terms[t].prefixes[j]);
            free(c->terms[t].prefixes);
            c->terms[t].prefixes = NULL;
            c->terms[t].nprefixes = 0;
        }
        p->decisions[i] = CINTO_PLAN_SQL_AND_C;
    }
}

int cinto_list_plan_make(const cinto_list_spec *s, const char *const *indexed, cinto_list_plan *out)
{
    memset(out, 0, sizeof *out);
    out->nfilters = s->nfilters;
    if (s->nfilters == 0)
        return 0;
    out->conds = calloc(s->nfilters, sizeof *out->conds);
    out->decisions = calloc(s->nfilters, sizeof *out->decisions);
    if (!out->conds || !out->decisions)
        goto nomem;
    for (size_t i = 0; i < s->nfilters; i++) {
        if (strcmp(s->filters[i].field, "last_modified") == 0) {
            out->decisions[i] = CINTO_PLAN_TIMESTAMP;
            continue;
        }
        cinto_sql_cond *c = &out->conds[out->nconds];
        int rc = plan_filter(&s->filters[i], indexed, c);
        if (rc < 0)
            goto nomem;
        if (rc && c->indexed)
            c->exact = cond_exact(&s->filters[i], c);
        out->decisions[i] = !rc                               ? CINTO_PLAN_C_ONLY
                            : out->conds[out->nconds].indexed ? CINTO_PLAN_INDEX_AND_C
                                                              : CINTO_PLAN_SQL_AND_C;
        out->nconds += (size_t)rc;
    }
    like_alone(s, out);
    return 0;
nomem:
    cinto_list_plan_free(out);
    return -1;
}

int cinto_plan_complement(const cinto_list_spec *s, const char *const *indexed,
                          cinto_list_plan *out)
{
    memset(out, 0, sizeof *out);
    if (s->nfilters != 1 || !cinto_plan_indexed(indexed, s->filters[0].field) ||
        (s->filters[0].op != CINTO_F_NOT && s->filters[0].op != CINTO_F_EXCLUDE))
        return 0;
    cinto_filter f = s->filters[0];
    f.op = f.op == CINTO_F_NOT ? CINTO_F_EQ : CINTO_F_IN;
    cinto_list_spec opposite = *s;
    opposite.filters = &f;
    if (cinto_list_plan_make(&opposite, indexed, out) < 0)
        return -1;
    if (out->nconds == 1 && out->conds[0].indexed && out->conds[0].exact && !out->conds[0].elements)
        return 1;
    cinto_list_plan_free(out);
    return 0;
}

void cinto_list_plan_free(cinto_list_plan *p)
{
    for (size_t i = 0; i < p->nconds; i++)
        cond_free(&p->conds[i]);
    free(p->conds);
    free(p->decisions);
    memset(p, 0, sizeof *p);
}

char *cinto_list_plan_describe(const cinto_list_spec *s, const cinto_list_plan *p,
                               const char *sort_how)
{
    static const char *const names[] = {[CINTO_PLAN_SQL_AND_C] = "sql+c",
                                        [CINTO_PLAN_C_ONLY] = "c",
                                        [CINTO_PLAN_TIMESTAMP] = "sql",
                                        [CINTO_PLAN_INDEX_AND_C] = "index+c"};
    /* a like_'s index rows are scanned (or its prefix's ranges), unless a
     * sample finds the pattern frequent (then the list's order, sql+c) */
    static const char like_scan[] = "index-scan+c";
    static const char *const prefixes[] = {[CINTO_F_EQ] = "",
                                           [CINTO_F_NOT] = "not_",
                                           [CINTO_F_LT] = "lt_",
                                           [CINTO_F_MAX] = "max_",
                                           [CINTO_F_GT] = "gt_",
                                           [CINTO_F_MIN] = "min_",
                                           [CINTO_F_IN] = "in_",
                                           [CINTO_F_EXCLUDE] = "exclude_",
                                           [CINTO_F_LIKE] = "like_",
                                           [CINTO_F_HAS] = "has_",
                                           [CINTO_F_CONTAINS] = "contains_",
                                           [CINTO_F_CONTAINS_ANY] = "contains_any_"};
    cinto_buf b = CINTO_BUF_INIT;
    for (size_t i = 0; i < p->nfilters; i++) {
        /* A decision added later without a word here still prints. */
        size_t d = (size_t)p->decisions[i];
        const char *word = d < sizeof names / sizeof *names && names[d] ? names[d] : "other";
        if (d == CINTO_PLAN_INDEX_AND_C && s->filters[i].op == CINTO_F_LIKE)
            word = like_scan;
        cinto_buf_printf(&b, "%s%s%s %s", i ? ", " : "", prefixes[s->filters[i].op],
                         s->filters[i].field, word);
    }
    cinto_buf_printf(&b, "%s_sort=", p->nfilters ? ", " : "");
    for (size_t i = 0; i < s->nsort; i++)
        cinto_buf_printf(&b, "%s%s%s", i ? "," : "", s->sort[i].descending ? "-" : "",
                         s->sort[i].field);
    cinto_buf_printf(&b, " %s", sort_how);
    return cinto_buf_steal(&b);
}
