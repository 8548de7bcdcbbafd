/* The list filter and sort language of spec 02 §2.2–2.7 and §2.9 as a pure
 * module: query string parameters become typed filters and sort keys, which
 * are then evaluated in C against objects as served. Nothing here touches
 * the database, so every rule can be unit tested in isolation. */
#ifndef CINTO_QUERY_QUERY_H
#define CINTO_QUERY_QUERY_H

#include <json-c/json.h>
#include <stddef.h>

#include "http/parse.h"

enum cinto_filter_op {
    CINTO_F_EQ,
    CINTO_F_NOT,
    CINTO_F_LT,
    CINTO_F_MAX,
    CINTO_F_GT,
    CINTO_F_MIN,
    CINTO_F_IN,
    CINTO_F_EXCLUDE,
    CINTO_F_LIKE,
    CINTO_F_HAS,
    CINTO_F_CONTAINS,
    CINTO_F_CONTAINS_ANY
};
typedef struct cinto_filter {
    enum cinto_filter_op op;
    char *field;        /* "title", "a.b.c", "id", "last_modified" */
    json_object *value; /* parsed per §2.3 (array for in/exclude/contains*) */
} cinto_filter;
typedef struct cinto_sort_key {
    char *field;
    int descending;
} cinto_sort_key;
typedef struct cinto_list_spec {
    cinto_filter *filters;
    size_t nfilters;
    cinto_sort_key *sort;
    size_t nsort;            /* always has a last_modified key: -last_modified is
                                appended when no key names it (spec §2.6) */
    int has_lm_filter;       /* any filter on last_modified incl. _since/_before/_to: include
                                tombstones (§2.5) */
    int uses_to;             /* _to was used: the caller adds the Alert header */
    long long limit;         /* _limit parsed (0 = none given) */
    char *fields;            /* _fields raw value or NULL */
    json_object *token_last; /* decoded _token last_object, or NULL */
    char *token_nonce;       /* for single-use DELETE tokens */
    /* When set, the nonce cinto_token_make puts in the next token (a
     * DELETE's, remembered by the caller beforehand); else a new one. */
    const char *issue_nonce;
    /* Deviation D11 (spec 09 §9.8): the ETag of the first page, carried by
     * the token so that continuation pages report it (-1 when absent).
     * Set page_etag before cinto_token_make to put it in the next token. */
    long long token_etag;
    long long page_etag;
} cinto_list_spec;
/* Validation error: fill location "querystring", name (param name or NULL) and description
 * exactly as spec 02 / errata say (e.g. `"abc" is not a number`, `-1 is less than minimum
 * value 0`, `Invalid value for _since`, `Unknown filter field '...'` (only when strict),
 * `_token has invalid content` with name NULL, `Invalid character 0x00`). */
typedef struct cinto_query_error {
    char name[256];
    int has_name;
    char description[512];
} cinto_query_error;
/* Parses every parameter of q (last occurrence of a repeated name wins; names starting with '_'
 * other than _limit/_sort/_token/_fields/_since/_before/_to are ignored). now_ms is for the
 * "< now + 24h" check on timestamps. strict_fields: NULL (any field allowed) or a NULL-terminated
 * list of allowed root fields (for strict resources such as /permissions later).
 * Returns 0, or -1 with err filled (also when memory ran out: description "Out of
 * memory", no name). On -1, out is empty and cinto_list_spec_free(out) is harmless. */
int cinto_list_spec_parse(const cinto_query *q, long long now_ms, const char *const *strict_fields,
                          cinto_list_spec *out, cinto_query_error *err);
void cinto_list_spec_free(cinto_list_spec *s);
/* obj is the full object as served: data fields plus "id", "last_modified" and, for
 * tombstones, "deleted": true. Returns 1 when every filter matches. */
int cinto_filter_match(const cinto_list_spec *s, json_object *obj);
/* Sort order of two objects per s->sort (§2.6 ordering, missing fields last in ascending). */
int cinto_sort_compare(const cinto_list_spec *s, json_object *a, json_object *b);
/* 1 when obj comes strictly after the token position in sort order (§2.9 item 4). */
int cinto_after_token(const cinto_list_spec *s, json_object *obj);
/* Token for the page after `last` (upstream format: base64 JSON with last_object keys = sort
 * field names, offset, nonce "pagination-token-<uuid4>"); nonce_out gets the nonce (caller
 * frees). Returns malloc'd token string. */
char *cinto_token_make(const cinto_list_spec *s, json_object *last, long long offset,
                       char **nonce_out);
/* Field lookup with dotted paths (§2.4 item 4): NULL when missing; sets *present. */
json_object *cinto_field_get(json_object *obj, const char *field, int *present);
/* Python truthiness of a has_ value (spec 02 §2.4 item 3), shared by the
 * C filter and the SQL planner so both read has_ alike. */
int cinto_query_truthy(json_object *v);

#endif
