/* The list planner (issue 9, first step): for each filter of a parsed list
 * query it decides what MariaDB can answer. SQL only ever narrows: every
 * pushed condition is true for every object that C's filter accepts (a
 * superset), and C re-checks every filter on the rows SQL returns, so C
 * stays the reference semantics whatever MariaDB's JSON functions do at
 * the edges. Pure: nothing here talks to the database. */
#ifndef CINTO_QUERY_PLAN_H
#define CINTO_QUERY_PLAN_H

#include <stddef.h>

#include "query/query.h"

/* One SQL test of a value at a JSON path; lib/storage owns the SQL text
 * of each kind, the planner only chooses the kind and the bound values. */
enum cinto_sql_term_kind {
    CINTO_SQL_ID_EQ,   /* id column = text */
    CINTO_SQL_TEXT_EQ, /* JSON_VALUE(path) = text (strings) */
    CINTO_SQL_BOOL,    /* a boolean at path (either: JSON_VALUE's text of one varies) */
    CINTO_SQL_NUM_EQ,  /* numeric value = text as a DOUBLE */
    CINTO_SQL_NULL_EQ, /* JSON null at path */
    CINTO_SQL_NUM_LE,  /* null, string, or number <= text (lt_/max_ on numbers) */
    CINTO_SQL_NUM_GE,  /* missing, boolean, array, object, or number >= text (gt_/min_) */
    CINTO_SQL_LIKE,    /* string LIKE text (already escaped with '!'), case-insensitive;
                        * on a declared field the index's string (a cut one always
                        * passes), within the ranges of prefixes when it has some */
    CINTO_SQL_PRESENT, /* path present (has_ truthy) */
    CINTO_SQL_ABSENT,  /* path absent (has_ falsy, top-level fields only) */
    /* Declared fields only (their index keeps strings comparable): */
    CINTO_SQL_STR_LE, /* null, or string <= text (lt_/max_ on strings) */
    CINTO_SQL_STR_GE, /* missing, number, boolean, array, object, or string >= text */
};

typedef struct cinto_sql_term {
    enum cinto_sql_term_kind kind;
    char *text; /* bound value, or NULL */
    /* CINTO_SQL_LIKE on a declared field whose pattern starts with
     * literal characters: byte-wise LIKE patterns ("Ab%", '!' escapes),
     * one per spelling of that literal prefix that C's case folding
     * accepts, so the index reads their B-tree ranges only. */
    char **prefixes;
    size_t nprefixes;
} cinto_sql_term;

/* Terms ORed (an in_ list), on one field. */
typedef struct cinto_sql_cond {
    char *path; /* JSON path `$."a"."b"` bound as a parameter; NULL for the id column */
    /* A ready declared field (sql/007): the terms test its rows in
     * indexed_values instead of the JSON; elements: the rows of its array
     * elements (contains_), not of the value itself. */
    const char *indexed;
    int elements;
    /* indexed only: the terms accept exactly the records C's filter does
     * (no string cut, no number beyond 2^53, no strict bound), so a count
     * of the index rows is the answer. */
    int exact;
    cinto_sql_term *terms;
    size_t nterms;
} cinto_sql_cond;

/* Conditions ANDed; filters[i] says what became of spec filter i. */
enum cinto_plan_decision {
    CINTO_PLAN_SQL_AND_C,   /* narrowed in SQL, re-checked in C */
    CINTO_PLAN_C_ONLY,      /* SQL cannot narrow it exactly: C alone */
    CINTO_PLAN_TIMESTAMP,   /* last_modified bounds: the caller's own pushdown */
    CINTO_PLAN_INDEX_AND_C, /* narrowed through a declared field's index, re-checked in C */
};

/* Bytes of a string a declared field's index keeps (sql/007). */
#define CINTO_INDEX_STR_MAX 512

#define CINTO_PLAN_MAX_IN 32 /* longer in_ lists stay in C */

/* A like_ prefix read through the index: at most this many spellings
 * (ranges), and at most this many of the pattern's leading characters. */
#define CINTO_PLAN_LIKE_PREFIXES 32
#define CINTO_PLAN_LIKE_PREFIX_CHARS 64

typedef struct cinto_list_plan {
    cinto_sql_cond *conds;
    size_t nconds;
    enum cinto_plan_decision *decisions; /* one per spec filter */
    size_t nfilters;
} cinto_list_plan;

/* The order MariaDB reads rows in for a pushed sort (lib/storage: the
 * field's type rank of spec 02 §2.4, then a string's bytes or a number as
 * a double, other types tied): coarser than cinto_sort_compare on that one
 * key, never contrary to it. A page is complete once the next row's SQL
 * key is past the last kept object's. Ascending; <0, 0, >0. */
int cinto_plan_sql_order_cmp(const char *field, json_object *a, json_object *b);

/* cinto_plan_sql_order_cmp for a sort read from a declared field's index:
 * strings compare by their first CINTO_INDEX_STR_MAX bytes only, as the
 * index orders them. */
int cinto_plan_index_order_cmp(const char *field, json_object *a, json_object *b);

/* Plans s's filters; indexed (NULL-terminated, may be NULL) names the
 * ready declared fields of the list, whose filters (contains_ and
 * contains_any_ too) are narrowed through their index. Returns 0, or -1
 * when memory ran out (plan empty). */
int cinto_list_plan_make(const cinto_list_spec *s, const char *const *indexed,
                         cinto_list_plan *out);
/* A count of s on a list with declared fields indexed: when s is one
 * not_ or exclude_ on a declared field, plans its opposite (equality or
 * in_) into out and returns 1 if that plan's one condition counts its
 * records exactly through the index: every live record has one value row
 * there (rank "missing" when absent), so s's count is the list's minus
 * that one (spec 02 §2.4: not_ and exclude_ match a missing field).
 * Returns 0 otherwise (out empty), -1 on no memory. */
int cinto_plan_complement(const cinto_list_spec *s, const char *const *indexed,
                          cinto_list_plan *out);
/* The entry of indexed naming field, or NULL. */
const char *cinto_plan_indexed(const char *const *indexed, const char *field);
void cinto_list_plan_free(cinto_list_plan *p);
/* "n sql+c, like_title sql+c, not_n c, _sort=title,-last_modified how" for
 * the debug log: per filter (operator and field, never the value) what
 * MariaDB narrows and what C checks (sql+c, c, or sql alone for
 * last_modified bounds), then the sort keys and sort_how, the caller's
 * word for how the order is made. malloc'd, NULL on no memory. */
char *cinto_list_plan_describe(const cinto_list_spec *s, const cinto_list_plan *p,
                               const char *sort_how);
/* The JSON path of a dotted field (`$."a"."b"`), or NULL when a segment is
 * empty or holds a character other than [A-Za-z0-9_]. malloc'd. */
char *cinto_plan_json_path(const char *field);

#endif
