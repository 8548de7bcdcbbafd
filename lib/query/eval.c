/* Evaluating a parsed list query on objects as served: field lookup,
 * filters (spec 02 §2.4), sort order (§2.6) and pagination tokens (§2.9).
 * The caller reads candidates in any order from storage; everything that
 * decides membership and order is here, so it can be tested alone. */
#include "query/query.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/codec.h"
#include "util/json.h"
#include "util/random.h"

#include "query/casefold_table.h"

/* ---- Field lookup (§2.4 item 4) ------------------------------------------ */

/* Looks up each dot-separated key in turn: keys containing dots cannot be
 * addressed, as with upstream's PostgreSQL backend. */
json_object *cinto_field_get(json_object *obj, const char *field, int *present)
{
    char small[128], *path = small;
    json_object *cur = obj, *v = NULL;
    int found = 0;
    size_t n = strlen(field);
    if (present)
        *present = 0;
    if (!strchr(field, '.')) {
        found =
            json_object_is_type(obj, json_type_object) && json_object_object_get_ex(obj, field, &v);
        if (present)
            *present = found;
        return found ? v : NULL;
    }
    if (n >= sizeof small && !(path = malloc(n + 1)))
        return NULL;
    memcpy(path, field, n + 1);
    for (char *key = path;;) {
        char *dot = strchr(key, '.');
        if (dot)
            *dot = '\0';
        if (!json_object_is_type(cur, json_type_object) ||
            !json_object_object_get_ex(cur, key, &v)) {
            v = NULL;
            break;
        }
        if (!dot) {
            found = 1;
            break;
        }
        cur = v;
        key = dot + 1;
    }
    if (path != small)
        free(path);
    if (present)
        *present = found;
    return found ? v : NULL;
}

/* ---- like_ (§2.4 item 2, errata 12, D4) ---------------------------------- */

/* Unicode simple case folding: runs from the generated table. */
static uint32_t fold(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    size_t lo = 0, hi = sizeof fold_runs / sizeof fold_runs[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < fold_runs[mid].first)
            hi = mid;
        else if (c > fold_runs[mid].last)
            lo = mid + 1;
        else
            return (c - fold_runs[mid].first) % fold_runs[mid].step
                       ? c
                       : (uint32_t)((int64_t)c + fold_runs[mid].delta);
    }
    return c;
}

/* Next code point of s[0..n) (n > 0) and its length. Stored strings are
 * valid UTF-8; a stray byte stands for itself, outside Unicode, so that it
 * only ever matches the same byte. */
static uint32_t next_cp(const unsigned char *s, size_t n, size_t *len)
{
    unsigned char c = s[0];
    int k = c < 0x80 ? 0 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : -1;
    if (k <= 0 || (size_t)k >= n) {
        *len = 1;
        return k == 0 ? c : 0x110000u + c;
    }
    uint32_t cp = c & (0x3f >> k);
    for (int i = 1; i <= k; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *len = 1;
            return 0x110000u + c;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    *len = (size_t)k + 1;
    return cp;
}

/* Glob match where '*' is any sequence and everything else is literal,
 * compared after case folding. floating reads the pattern as "*p*" (it has
 * no '*' then) without copying it. On a mismatch only the last '*' needs to
 * absorb one more character, which keeps this O(len(p) * len(s)) even for
 * hostile patterns (a regex engine could backtrack exponentially). */
static int glob_match(const unsigned char *p, size_t pn, const unsigned char *s, size_t sn,
                      int floating)
{
    size_t pi = 0, si = 0, star_p = floating ? 0 : SIZE_MAX, star_s = 0, pl, sl;
    while (si < sn) {
        if (floating && pi == pn)
            return 1;
        if (pi < pn && p[pi] == '*') {
            star_p = ++pi;
            star_s = si;
            continue;
        }
        if (pi < pn && fold(next_cp(p + pi, pn - pi, &pl)) == fold(next_cp(s + si, sn - si, &sl))) {
            pi += pl;
            si += sl;
            continue;
        }
        if (star_p == SIZE_MAX)
            return 0;
        next_cp(s + star_s, sn - star_s, &sl);
        star_s += sl;
        si = star_s;
        pi = star_p;
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

/* like_ matches strings only (D4); a pattern without '*' matches anywhere
 * in the string. */
static int like_match(json_object *pattern, json_object *x)
{
    if (!json_object_is_type(x, json_type_string) ||
        !json_object_is_type(pattern, json_type_string))
        return 0;
    const unsigned char *p = (const unsigned char *)json_object_get_string(pattern);
    const unsigned char *s = (const unsigned char *)json_object_get_string(x);
    size_t pn = (size_t)json_object_get_string_len(pattern);
    size_t sn = (size_t)json_object_get_string_len(x);
    return glob_match(p, pn, s, sn, !memchr(p, '*', pn));
}

/* ---- Filters ------------------------------------------------------------- */

int cinto_query_truthy(json_object *v)
{
    switch (v ? json_object_get_type(v) : json_type_null) {
    case json_type_null:
        return 0;
    case json_type_boolean:
        return json_object_get_boolean(v);
    case json_type_int:
        return json_object_get_int64(v) != 0 || json_object_get_uint64(v) != 0;
    case json_type_double:
        return json_object_get_double(v) != 0.0;
    case json_type_string:
        return json_object_get_string_len(v) > 0;
    case json_type_array:
        return json_object_array_length(v) > 0;
    case json_type_object:
        return json_object_object_length(v) > 0;
    }
    return 1;
}

static int in_list(json_object *list, json_object *x)
{
    for (size_t i = 0; i < json_object_array_length(list); i++)
        if (cinto_json_equal(json_object_array_get_idx(list, i), x))
            return 1;
    return 0;
}

/* contains_ (all) and contains_any_ (any): only arrays ever match. */
static int contains(json_object *arr, json_object *wanted, int any)
{
    if (!json_object_is_type(arr, json_type_array))
        return 0;
    size_t n = json_object_array_length(wanted);
    for (size_t i = 0; i < n; i++) {
        int found = in_list(arr, json_object_array_get_idx(wanted, i));
        if (any && found)
            return 1;
        if (!any && !found)
            return 0;
    }
    return !any;
}

/* One filter; the right-hand column of the §2.4 table says what a missing
 * field does for each operator. */
static int filter_one(const cinto_filter *f, json_object *obj)
{
    int present;
    json_object *x = cinto_field_get(obj, f->field, &present);
    switch (f->op) {
    case CINTO_F_EQ:
        return present && cinto_json_equal(x, f->value);
    case CINTO_F_NOT:
        return !present || !cinto_json_equal(x, f->value);
    case CINTO_F_LT:
        return present && cinto_json_compare(x, f->value) < 0;
    case CINTO_F_MAX:
        return present && cinto_json_compare(x, f->value) <= 0;
    case CINTO_F_GT:
        return !present || cinto_json_compare(x, f->value) > 0;
    case CINTO_F_MIN:
        return !present || cinto_json_compare(x, f->value) >= 0;
    case CINTO_F_IN:
        return present && in_list(f->value, x);
    case CINTO_F_EXCLUDE:
        return !present || !in_list(f->value, x);
    case CINTO_F_LIKE:
        return present && like_match(f->value, x);
    case CINTO_F_HAS:
        return cinto_query_truthy(f->value) ? present : !present;
    case CINTO_F_CONTAINS:
        return present && contains(x, f->value, 0);
    case CINTO_F_CONTAINS_ANY:
        return present && contains(x, f->value, 1);
    }
    return 0;
}

int cinto_filter_match(const cinto_list_spec *s, json_object *obj)
{
    for (size_t i = 0; i < s->nfilters; i++)
        if (!filter_one(&s->filters[i], obj))
            return 0;
    return 1;
}

/* ---- Sort order (§2.6) --------------------------------------------------- */

/* Ascending order of one key: §2.4 order, then a missing field last. */
static int key_cmp(json_object *a, int pa, json_object *b, int pb)
{
    if (!pa || !pb)
        return pa == pb ? 0 : pa ? -1 : 1;
    int c = cinto_json_compare(a, b);
    return c < 0 ? -1 : c > 0;
}

int cinto_sort_compare(const cinto_list_spec *s, json_object *a, json_object *b)
{
    for (size_t i = 0; i < s->nsort; i++) {
        int pa, pb;
        json_object *va = cinto_field_get(a, s->sort[i].field, &pa);
        json_object *vb = cinto_field_get(b, s->sort[i].field, &pb);
        int c = key_cmp(va, pa, vb, pb);
        if (c)
            return s->sort[i].descending ? -c : c;
    }
    return 0;
}

/* The OR-of-rules of §2.9 item 4 is exactly "greater in the lexicographic
 * sort order", with token keys looked up flat and absent keys missing. */
int cinto_after_token(const cinto_list_spec *s, json_object *obj)
{
    if (!s->token_last)
        return 1;
    for (size_t i = 0; i < s->nsort; i++) {
        int po, pt;
        json_object *vt = NULL;
        json_object *vo = cinto_field_get(obj, s->sort[i].field, &po);
        pt = json_object_object_get_ex(s->token_last, s->sort[i].field, &vt);
        int c = key_cmp(vo, po, vt, pt);
        if (c)
            return (s->sort[i].descending ? -c : c) > 0;
    }
    return 0;
}

/* ---- Pagination token (§2.9 item 3) -------------------------------------- */

/* json_object_object_add that owns val whatever happens. */
static int put_member(json_object *obj, const char *key, json_object *val)
{
    if (!val || json_object_object_add(obj, key, val) < 0) {
        json_object_put(val);
        return -1;
    }
    return 0;
}

char *cinto_token_make(const cinto_list_spec *s, json_object *last, long long offset,
                       char **nonce_out)
{
    char uuid[37], nonce[64];
    cinto_buf out = CINTO_BUF_INIT;
    json_object *root = json_object_new_object(), *lo = json_object_new_object();
    char *token = NULL;
    if (nonce_out)
        *nonce_out = NULL;
    if (!root || !lo)
        goto done;
    for (size_t i = 0; i < s->nsort; i++) {
        int present;
        json_object *v = cinto_field_get(last, s->sort[i].field, &present);
        json_object *copy = cinto_json_copy(v);
        if (present && ((v && !copy) || json_object_object_add(lo, s->sort[i].field, copy) < 0)) {
            json_object_put(copy);
            goto done;
        }
    }
    if (s->issue_nonce) {
        snprintf(nonce, sizeof nonce, "%s", s->issue_nonce);
    } else {
        cinto_uuid4(uuid);
        snprintf(nonce, sizeof nonce, "pagination-token-%s", uuid);
    }
    json_object *members[3] = {lo, json_object_new_int64(offset), json_object_new_string(nonce)};
    static const char *const keys[3] = {"last_object", "offset", "nonce"};
    lo = NULL;
    int bad = 0;
    for (int i = 0; i < 3; i++)
        bad |= put_member(root, keys[i], members[i]) < 0;
    if (!bad && s->page_etag >= 0)
        bad |= put_member(root, "etag", json_object_new_int64(s->page_etag)) < 0;
    if (bad)
        goto done;
    size_t len;
    const char *text = cinto_json_dump_len(root, &len);
    if (!text || cinto_b64_encode(text, len, &out) < 0)
        goto done;
    if (nonce_out && !(*nonce_out = strdup(nonce)))
        goto done;
    token = cinto_buf_steal(&out);
    if (!token && nonce_out) {
        free(*nonce_out);
        *nonce_out = NULL;
    }
done:
    json_object_put(lo);
    json_object_put(root);
    cinto_buf_free(&out);
    return token;
}
