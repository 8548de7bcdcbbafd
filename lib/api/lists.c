/* GET/HEAD, POST and DELETE on lists (spec 02, 03 §3.3, 04 §4.7).
 * Timestamp filters and a sort on last_modified alone are pushed down to
 * SQL; the list planner (lib/query/plan.h) narrows the other filters in
 * SQL, and C re-checks every filter on the rows read, never ignoring one.
 * Rows are read in chunks; a sort SQL does not give keeps only the best
 * _limit + 1 objects, so no list is ever held whole in a worker. */
#include "api/errors.h"
#include "api/handlers.h"
#include "api/plugin.h"
#include "api/resource_internal.h"
#include "query/plan.h"
#include "query/query.h"
#include "util/clock.h"
#include "util/codec.h"
#include "util/json.h"
#include "util/log.h"
#include "util/random.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FUTURE_LIMIT_MS (24LL * 3600 * 1000)

typedef struct list_params {
    cinto_list_spec spec;
    cinto_list_query q;
    long long limit;      /* effective page size L */
    cinto_list_plan plan; /* what SQL narrows (lib/query/plan.h) */
    char *sort_path;      /* JSON path of a sort SQL gives coarsely */
    char *sort_after;     /* the token's first sort value as SQL binds it */
    int sql_order;        /* rows come in cinto_plan_sql_order_cmp order */
    int in_c;             /* filters or sort that only C can evaluate */
    int sort_in_c;        /* the order (or the token) needs C: the whole list is read */
    cinto_strv indexed;   /* ready declared fields of the list (plugin.h list_indexes) */
} list_params;

static void params_free(list_params *lp)
{
    cinto_strv_clear(&lp->indexed);
    cinto_list_plan_free(&lp->plan);
    free(lp->sort_path);
    free(lp->sort_after);
    cinto_list_spec_free(&lp->spec);
}

/* The NULL-terminated items of v (NULL when empty). */
static const char *const *strv_items(const cinto_strv *v)
{
    return v->count ? (const char *const *)v->items : NULL;
}

/* Timestamp bounds go to SQL (they are ANDed with everything else, so
 * pushing them down never changes the result); the rest is evaluated on
 * the objects in C by lib/query. */
static void push_down_timestamps(list_params *lp)
{
    cinto_list_query *q = &lp->q;
    for (size_t i = 0; i < lp->spec.nfilters; i++) {
        const cinto_filter *f = &lp->spec.filters[i];
        long long v;
        if (strcmp(f->field, "last_modified") != 0 || !cinto_json_is_int64(f->value, &v) || v < 0) {
            lp->in_c = 1;
            continue;
        }
        switch (f->op) {
        case CINTO_F_EQ:
            q->eq_modified = v;
            break;
        case CINTO_F_NOT:
            q->ne_modified = v;
            break;
        case CINTO_F_GT:
            if (q->gt_modified < 0 || v > q->gt_modified)
                q->gt_modified = v;
            break;
        case CINTO_F_MIN:
            if (q->min_modified < 0 || v > q->min_modified)
                q->min_modified = v;
            break;
        case CINTO_F_LT:
            if (q->lt_modified < 0 || v < q->lt_modified)
                q->lt_modified = v;
            break;
        case CINTO_F_MAX:
            if (q->max_modified < 0 || v < q->max_modified)
                q->max_modified = v;
            break;
        default:
            lp->in_c = 1;
            break;
        }
    }
    /* Sorting on last_modified alone (and a token on it) stays in SQL. */
    if (lp->spec.nsort != 1 || strcmp(lp->spec.sort[0].field, "last_modified") != 0) {
        lp->in_c = lp->sort_in_c = 1;
        return;
    }
    q->ascending = !lp->spec.sort[0].descending;
    long long t;
    if (lp->spec.token_last) {
        if (!cinto_json_is_int64(cinto_json_get(lp->spec.token_last, "last_modified"), &t)) {
            lp->in_c = lp->sort_in_c = 1;
            return;
        }
        if (q->ascending && (q->gt_modified < 0 || t > q->gt_modified))
            q->gt_modified = t;
        if (!q->ascending && (q->lt_modified < 0 || t < q->lt_modified))
            q->lt_modified = t;
    }
}

/* Where a _token leaves off in the SQL order of the first sort key (the
 * token's keys are flat field names, spec 02 §2.9). */
static int token_position(list_params *lp, const char *field)
{
    json_object *v = NULL;
    lp->q.sort_after_rank = -1;
    if (!lp->spec.token_last)
        return 0;
    if (!json_object_object_get_ex(lp->spec.token_last, field, &v)) {
        lp->q.sort_after_rank = lp->q.sort_by_id ? -1 : 6;
        return 0;
    }
    enum json_type t = v ? json_object_get_type(v) : json_type_null;
    static const int ranks[] = {
        [json_type_null] = 0,  [json_type_boolean] = 3, [json_type_double] = 2,
        [json_type_int] = 2,   [json_type_object] = 5,  [json_type_array] = 4,
        [json_type_string] = 1};
    if (lp->q.sort_by_id && t != json_type_string)
        return 0;
    lp->q.sort_after_rank = ranks[t];
    if (t == json_type_string)
        lp->sort_after = strdup(json_object_get_string(v));
    else if (t == json_type_int || t == json_type_double)
        lp->sort_after = strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    else
        return 0;
    lp->q.sort_after_text = lp->sort_after;
    return lp->sort_after ? 0 : -1;
}

/* A sort whose first key is id or a data field is read in a coarse SQL
 * order (lib/query/plan.h), so the page stops early; C orders the ties.
 * Shared-record lists are a join in SQL and sort alike; only the empty
 * set (an id list) keeps the last_modified scan. */
static int push_down_sort(list_params *lp)
{
    const char *field = lp->spec.nsort ? lp->spec.sort[0].field : NULL;
    if (!lp->sort_in_c || lp->q.ids || !field || strcmp(field, "last_modified") == 0 ||
        strcmp(field, "deleted") == 0)
        return 0;
    if (strcmp(field, "id") == 0) {
        lp->q.sort_by_id = 1;
    } else if (!lp->q.include_deleted && cinto_plan_indexed(strv_items(&lp->indexed), field)) {
        /* A declared field: its index gives the order (tombstones, which
         * have no rows there, keep the JSON order). */
        lp->q.sort_indexed = cinto_plan_indexed(strv_items(&lp->indexed), field);
    } else {
        if (!(lp->sort_path = cinto_plan_json_path(field)))
            return 0; /* not addressable in SQL: the bounded C scan */
        lp->q.sort_path = lp->sort_path;
    }
    lp->q.sort_desc = lp->spec.sort[0].descending;
    lp->sql_order = 1;
    return token_position(lp, field);
}

/* A number compared with an id field is read as its digits. */
static json_object *as_string(json_object *v)
{
    if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
        return json_object_new_string(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    return json_object_get(v);
}

static void stringify_id_filters(const cinto_kind_info *ki, cinto_list_spec *spec)
{
    for (size_t i = 0; ki->string_fields && i < spec->nfilters; i++) {
        cinto_filter *f = &spec->filters[i];
        int listed = 0;
        for (size_t k = 0; ki->string_fields[k] && !listed; k++)
            listed = strcmp(ki->string_fields[k], f->field) == 0;
        if (!listed || !f->value)
            continue;
        json_object *v;
        if (json_object_is_type(f->value, json_type_array)) {
            v = json_object_new_array();
            for (size_t k = 0; k < json_object_array_length(f->value); k++)
                json_object_array_add(v, as_string(json_object_array_get_idx(f->value, k)));
        } else {
            v = as_string(f->value);
        }
        json_object_put(f->value);
        f->value = v;
    }
}

/* Reads the query string into a list read (spec 02 §2.2-2.9). */
static int parse_list_params(cinto_rctx *r, list_params *lp, int for_delete)
{
    const cinto_config *cfg = r->c->cfg;
    cinto_query_error qe;
    memset(&qe, 0, sizeof qe);
    if (cinto_list_spec_parse(&r->c->query, r->c->now_ms, r->ki->strict_fields, &lp->spec, &qe) <
        0) {
        cinto_error_invalid(r->c, "querystring", qe.has_name ? qe.name : NULL, qe.description);
        return -1;
    }
    stringify_id_filters(r->ki, &lp->spec);
    cinto_list_query *q = &lp->q;
    q->gt_modified = q->lt_modified = q->min_modified = q->max_modified = -1;
    q->eq_modified = q->ne_modified = -1;
    q->include_deleted = lp->spec.has_lm_filter;
    push_down_timestamps(lp);
    /* Declared indexed fields: the one hook of the planner's choice. */
    if (cinto_plugins_list_indexes(r->c, r->parent, r->ki->name, &lp->indexed) < 0)
        return -1;
    if (cinto_list_plan_make(&lp->spec, strv_items(&lp->indexed), &lp->plan) < 0) {
        cinto_error_internal(r->c, "out of memory");
        return -1;
    }
    if (cfg->storage_list_pushdown) {
        q->conds = lp->plan.conds;
        q->nconds = lp->plan.nconds;
        if (push_down_sort(lp) < 0) {
            cinto_error_internal(r->c, "out of memory");
            return -1;
        }
    }
    /* Compact JSON, as upstream's rapidjson writes it. */
    if (lp->spec.uses_to)
        cinto_response_set(
            r->c->resp, "Alert",
            "{\"code\":\"soft-eol\",\"message\":\"_to is now deprecated, you should "
            "use _before instead\",\"url\":\"https://kinto.readthedocs.io/en/2.4.0/api/"
            "resource.html#list-of-available-url-parameters\"}");
    if (for_delete) {
        free(lp->spec.fields);
        lp->spec.fields = NULL;
    }
    /* Effective page size (spec 02 §2.8). */
    long long L = lp->spec.limit > 0 ? lp->spec.limit : cfg->paginate_by;
    if (L && cfg->paginate_by && L > cfg->paginate_by)
        L = cfg->paginate_by;
    if (!L || L > cfg->storage_max_fetch_size)
        L = cfg->storage_max_fetch_size;
    lp->limit = L;
    return 0;
}

/* One page of the list in sort order: up to lp->limit + 1 objects as JSON
 * (the extra one says a next page exists). */
typedef struct page {
    json_object **items;
    size_t count;
    long long total; /* matching live objects, for HEAD */
} page;

static void page_free(page *pg)
{
    for (size_t i = 0; i < pg->count; i++)
        json_object_put(pg->items[i]);
    free(pg->items);
    memset(pg, 0, sizeof *pg);
}

/* Rows per statement when C filters or sorts. Rows stream one at a time
 * (a worker holds the page and one row, never a chunk), so the size only
 * bounds how many unneeded rows a stopped read still drains off the wire
 * and what one statement's time limit covers. */
#define SCAN_CHUNK 10000

/* Keeps o in the page (or only counts it); returns 1 once the page is full. */
static int page_take(page *pg, size_t *cap, json_object *o, int count_only, size_t want)
{
    if (count_only) {
        pg->total++;
        json_object_put(o);
        return 0;
    }
    if (pg->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        json_object **p = realloc(pg->items, ncap * sizeof *p);
        if (!p) {
            json_object_put(o);
            return -1;
        }
        pg->items = p;
        *cap = ncap;
    }
    pg->items[pg->count++] = o;
    return pg->count >= want;
}

/* Keeps o among the `want` first objects in the query's sort order (and
 * after the token): a sorted array with binary insertion, so a sort that
 * SQL cannot order holds at most _limit + 1 objects whatever the list's
 * size. Returns -1 when memory ran out. */
static int page_keep_best(const list_params *lp, page *pg, size_t *cap, json_object *o, size_t want)
{
    if (lp->spec.token_last && !cinto_after_token(&lp->spec, o)) {
        json_object_put(o);
        return 0;
    }
    size_t lo = 0, hi = pg->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cinto_sort_compare(&lp->spec, pg->items[mid], o) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= want) {
        json_object_put(o);
        return 0;
    }
    if (pg->count == want) {
        json_object_put(pg->items[--pg->count]);
    } else if (pg->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        if (ncap > want)
            ncap = want;
        json_object **p = realloc(pg->items, ncap * sizeof *p);
        if (!p) {
            json_object_put(o);
            return -1;
        }
        pg->items = p;
        *cap = ncap;
    }
    memmove(pg->items + lo + 1, pg->items + lo, (pg->count - lo) * sizeof *pg->items);
    pg->items[lo] = o;
    pg->count++;
    return 0;
}

/* A read in progress: what scan_row needs between streamed rows. */
typedef struct scan_state {
    const list_params *lp;
    page *pg;
    size_t cap, want;
    int count_only, topk, sql_order;
    int index_order; /* a declared field's index gives the order (its string precision) */
    const cinto_sort_key *first;
    int full;       /* 1: the page is complete, -1: no memory */
    size_t nread;   /* rows of the current statement */
    long long last; /* last_modified of the last row read */
    /* The read's time bound (ms, 0: none) and its setting (NULL: the
     * list bound), for the 503 that names it. */
    unsigned limit_ms;
    const char *limit_setting;
    /* The first matching row of a pushed sort, and whether a later one of
     * the current statement differs from it in SQL's order. */
    json_object *tie_ref;
    int tie_mixed;
} scan_state;

/* One streamed row: parsed, filtered in C, kept, counted or dropped at
 * once, so nothing but the page outlives it. Returns 1 to stop the read. */
static int scan_row(void *ctx, cinto_object *row)
{
    scan_state *s = ctx;
    s->nread++;
    s->last = row->last_modified;
    int deleted = row->deleted;
    json_object *o = cinto_res_object_json(row);
    cinto_object_clear(row);
    if (!cinto_filter_match(&s->lp->spec, o) || (s->count_only && deleted)) {
        json_object_put(o);
        return 0;
    }
    if (s->sql_order && !s->index_order && !s->tie_mixed) {
        if (!s->tie_ref)
            s->tie_ref = json_object_get(o);
        else if (cinto_plan_sql_order_cmp(s->first->field, o, s->tie_ref) != 0)
            s->tie_mixed = 1;
    }
    if (s->sql_order && s->pg->count == s->want) {
        /* Every later row is past the last kept one in SQL's order,
         * hence in C's: the page is complete. */
        int c = s->index_order
                    ? cinto_plan_index_order_cmp(s->first->field, o, s->pg->items[s->want - 1])
                    : cinto_plan_sql_order_cmp(s->first->field, o, s->pg->items[s->want - 1]);
        if ((s->first->descending ? -c : c) > 0) {
            json_object_put(o);
            s->full = 1;
            return 1;
        }
    }
    s->full = s->topk ? page_keep_best(s->lp, s->pg, &s->cap, o, s->want)
                      : page_take(s->pg, &s->cap, o, s->count_only, s->want);
    return s->full;
}

/* A read of several statements is bounded by
 * kinto.storage_list_time_limit_seconds as a whole: the next statement
 * gets what remains (in tens of ms, so that its text repeats), and a read
 * past it ends as one statement would, 503 naming the fix. */
static int scan_too_long(cinto_rctx *r, const scan_state *s, long long started, cinto_list_query *q)
{
    unsigned ms = s->limit_ms;
    long long left = ms ? (long long)ms - (cinto_monotonic_ms() - started) : 0;
    if (!ms)
        return 0;
    if (left >= 10) {
        q->time_left_ms = (unsigned)(left / 10 * 10);
        return 0;
    }
    cinto_list_time_message(r->c->st->message, sizeof r->c->st->message, s->limit_setting, ms);
    cinto_error_storage(r->c, CINTO_ST_UNAVAILABLE);
    return 1;
}

/* A sort on a record field that no ready index of the list orders: every
 * row is read and compared before the first can be sent, so such a read
 * gets kinto.storage_unindexed_sort_time_limit_seconds when it is the
 * shorter bound (the issue's 1M-record sort took 3.4 s to answer, and the
 * two-key one 8 s to fail); ids and timestamps are columns with indexes. */
static void scan_bound(cinto_rctx *r, scan_state *s, cinto_list_query *q)
{
    const cinto_config *cfg = r->c->cfg;
    s->limit_ms = cfg->list_time_limit_ms;
    s->limit_setting = NULL;
    if (!s->topk || !s->first || q->sort_indexed || strcmp(s->first->field, "id") == 0 ||
        strcmp(s->first->field, "last_modified") == 0)
        return;
    unsigned ms = cfg->unindexed_sort_time_limit_ms;
    if (!ms || (s->limit_ms && s->limit_ms <= ms))
        return;
    s->limit_ms = ms;
    s->limit_setting = CINTO_UNINDEXED_SORT_SETTING;
    q->time_left_ms = ms;
    q->time_setting = s->limit_setting;
    q->time_limit_ms = ms;
}

/* The statements of a read and their rows (see scan_filtered). Returns 0
 * when the page is complete, -1 after answering an error, and 1 when a
 * pushed sort on an undeclared field should rather be one pass in
 * last_modified order: its first statement's rows all tied in SQL's coarse
 * order (arrays, objects, booleans, or one value over many records), or a
 * second statement did not complete the page either. Each further
 * statement would sort the whole list again for a few more rows (a sort
 * on an object field of 50,000 records took 4.6 s in four statements);
 * one unsorted pass costs about one of those sorts. */
static int scan_statements(cinto_rctx *r, scan_state *s, cinto_list_query *q, long long started)
{
    int give_up = s->sql_order && q->sort_path && !s->count_only;
    for (int nth = 1; !s->full; nth++) {
        cinto_object_list unused = {0};
        s->nread = 0;
        s->tie_mixed = 0;
        int rc = r->c->st->ops->list(r->c->st, q, &unused);
        if (rc != CINTO_ST_OK) {
            if (s->full < 0)
                cinto_error_internal(r->c, "out of memory");
            else
                cinto_error_storage(r->c, rc);
            return -1;
        }
        if (s->full || s->nread < (size_t)q->limit)
            break;
        if (scan_too_long(r, s, started, q))
            return -1;
        if (give_up && (nth == 2 || (nth == 1 && !s->tie_mixed)))
            return 1;
        q->sort_offset += (long long)s->nread;
        if (s->sql_order) {
            /* Each statement of a pushed sort sorts the whole list again
             * (many ties on its first key need more rows): few, fast
             * growing ones. Rows stream, so a larger statement costs no
             * memory, only the unread rows a stop drains. */
            q->limit = q->limit > LLONG_MAX / 32 ? q->limit : q->limit * 16;
            continue;
        }
        q->limit = q->limit * 4 > SCAN_CHUNK ? SCAN_CHUNK : q->limit * 4;
        /* timestamps are unique within a list: the next statement starts
         * after the last row seen */
        if (q->ascending)
            q->gt_modified = s->last;
        else
            q->lt_modified = s->last;
    }
    return 0;
}

/* From here on the rows come in last_modified order (every one is read,
 * C keeps the best): the query without its pushed order. */
static void scan_unordered(scan_state *s, cinto_list_query *q)
{
    s->sql_order = 0;
    q->sort_path = NULL;
    q->sort_by_id = 0;
    q->sort_indexed = NULL;
    q->sort_offset = 0;
}

/* A filtered list in SQL's order (last_modified, or the coarse order of a
 * pushed sort), read in statements of at most SCAN_CHUNK rows whose rows
 * stream through scan_row until the page is full: a worker's memory is
 * the page and one row however long the list (reading the whole list
 * made every worker's heap grow with the largest collection). */
static int scan_filtered(cinto_rctx *r, list_params *lp, cinto_list_query q, int count_only,
                         page *pg)
{
    scan_state s = {.lp = lp, .pg = pg, .count_only = count_only};
    s.want = count_only ? SIZE_MAX : (size_t)lp->limit + 1;
    /* An order SQL does not give: every candidate is seen, the best kept. */
    s.topk = lp->sort_in_c && !count_only;
    s.sql_order = s.topk && lp->sql_order;
    s.first = lp->spec.nsort ? &lp->spec.sort[0] : NULL;
    scan_bound(r, &s, &q);
    long long started = cinto_monotonic_ms();
    /* The first statement asks for the page plus one row to see past it
     * and later ones for four
     * times more: when SQL narrows the filters MariaDB stops after the
     * few rows needed, and a pushed sort (each statement sorts again)
     * takes few statements. A count or a C-only order sees every row. */
    int whole = count_only || (s.topk && !s.sql_order);
    q.limit = whole ? SCAN_CHUNK : (long long)s.want + 1;
    /* A pushed sort's first statement asks for the whole page plus one,
     * however large (rows stream): cut at SCAN_CHUNK, a 10,000-record
     * page needed a second statement, which sorted the list again and
     * drained 16 times more rows than it used. */
    if (!s.sql_order) {
        scan_unordered(&s, &q);
        if (q.limit > SCAN_CHUNK)
            q.limit = SCAN_CHUNK;
    }
    s.index_order = q.sort_indexed != NULL;
    q.on_row = scan_row;
    q.row_ctx = &s;
    int rc = scan_statements(r, &s, &q, started);
    if (rc == 1) {
        /* Start again without the coarse order: what the page holds may
         * be passed again, so it is emptied. */
        page_free(pg);
        s.cap = 0;
        s.full = 0;
        scan_unordered(&s, &q);
        q.limit = SCAN_CHUNK;
        rc = scan_statements(r, &s, &q, started);
    }
    if (s.tie_ref)
        json_object_put(s.tie_ref);
    return rc < 0 ? -1 : 0;
}

/* kinto.log_level = debug: one line per list read saying what MariaDB
 * answers and what C re-checks (lib/query/plan.h), and how the order is
 * made: "sql" (SQL's order is the answer's), "sql+c" (SQL's coarse
 * order, C orders ties and stops early), "c-topk" (every candidate read,
 * the best _limit + 1 kept). */
static void log_plan(cinto_rctx *r, const list_params *lp, int count_only, int complement)
{
    const char *how = complement       ? "count total-minus-index"
                      : count_only     ? (lp->in_c ? "count c-scan" : "count sql")
                      : !lp->sort_in_c ? "sql"
                      : lp->sql_order  ? "sql+c"
                                       : "c-topk";
    char *text = cinto_list_plan_describe(&lp->spec, &lp->plan, how);
    int m = r->c->req->method;
    cinto_log("plan: %s %s: %s, _limit=%lld",
              m == CINTO_DELETE ? "DELETE"
              : m == CINTO_HEAD ? "HEAD"
                                : "GET",
              r->list_prefix, text ? text : "(no memory)", lp->limit);
    free(text);
}

/* A page SQL filters, sorts and cuts: the rows stream into the page. */
static int page_row(void *ctx, cinto_object *row)
{
    scan_state *s = ctx;
    json_object *o = cinto_res_object_json(row);
    cinto_object_clear(row);
    s->full = page_take(s->pg, &s->cap, o, 0, SIZE_MAX);
    return s->full;
}

/* The list's live objects from its count row (sql/006), not a COUNT over
 * its rows; a read-only server only counts. */
static int read_list_count(cinto_rctx *r, long long *total)
{
    const cinto_config *cfg = r->c->cfg;
    return r->c->st->ops->list_count(r->c->st, r->parent, r->ki->name,
                                     cfg->readonly ? -1 : r->c->now_ms, total);
}

/* The count of a not_/exclude_ whose opposite plan counts exactly: the
 * list's live objects less the opposite's (frees opposite). */
static int count_complement(cinto_rctx *r, const cinto_list_query *q, cinto_list_plan *opposite,
                            page *pg)
{
    cinto_list_query oq = *q;
    long long all = 0, matched = 0;
    oq.conds = opposite->conds;
    oq.nconds = opposite->nconds;
    int rc = read_list_count(r, &all);
    if (rc == CINTO_ST_OK)
        rc = r->c->st->ops->count(r->c->st, &oq, &matched);
    cinto_list_plan_free(opposite);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(r->c, rc);
        return -1;
    }
    pg->total = all - matched;
    return 0;
}

static int read_page(cinto_rctx *r, list_params *lp, int count_only, page *pg)
{
    memset(pg, 0, sizeof pg[0]);
    cinto_list_query q = lp->q;
    q.parent = r->parent;
    q.resource = r->ki->name;
    /* HEAD ?not_n=5 on a declared n: the list's count less the index's
     * exact count of n=5 (plan.h cinto_plan_complement). */
    cinto_list_plan opposite = {0};
    int complement = count_only && r->c->cfg->storage_list_pushdown && !q.ids && !q.shared_prefix &&
                     !q.include_deleted &&
                     cinto_plan_complement(&lp->spec, strv_items(&lp->indexed), &opposite) > 0;
    if (r->c->cfg->log_debug)
        log_plan(r, lp, count_only, complement);
    if (complement)
        return count_complement(r, &q, &opposite, pg);
    if (count_only && !lp->spec.nfilters && !q.ids && !q.shared_prefix) {
        int rc = read_list_count(r, &pg->total);
        if (rc != CINTO_ST_OK) {
            cinto_error_storage(r->c, rc);
            return -1;
        }
        return 0;
    }
    /* One filter on a declared field that its index answers exactly:
     * the storage counts index rows. */
    int exact = lp->spec.nfilters == 1 && lp->q.nconds == 1 && lp->q.conds[0].exact;
    if (count_only && (!lp->in_c || exact)) {
        q.include_deleted = 0;
        int rc = r->c->st->ops->count(r->c->st, &q, &pg->total);
        if (rc != CINTO_ST_OK) {
            cinto_error_storage(r->c, rc);
            return -1;
        }
        return 0;
    }
    if (lp->in_c)
        return scan_filtered(r, lp, q, count_only, pg);
    scan_state s = {.lp = lp, .pg = pg};
    q.limit = lp->limit + 1;
    q.on_row = page_row;
    q.row_ctx = &s;
    cinto_object_list unused = {0};
    int rc = r->c->st->ops->list(r->c->st, &q, &unused);
    if (rc != CINTO_ST_OK) {
        if (s.full < 0)
            cinto_error_internal(r->c, "out of memory");
        else
            cinto_error_storage(r->c, rc);
        return -1;
    }
    return 0;
}

/* Whole-list permission, else the objects shared with the requester, else
 * an empty list for those who may create (spec 04 §4.7). Returns 1 when
 * allowed (lp->q then says how the list is restricted), 0 when denied.
 * The shared objects are never collected here: one statement checks that
 * one exists, and the list reads join the requester's ACL rows in SQL. */
static int list_access(cinto_rctx *r, list_params *lp, const char *perm)
{
    if (cinto_perm_list_allowed(r, perm))
        return 1;
    static const char *const write_perms[] = {"write", NULL};
    /* Any permission on an object lets its reader see it in the list. */
    const char *const *perms = strcmp(perm, "write") == 0 ? write_perms : r->ki->perms;
    size_t nperms = 0;
    while (perms[nperms])
        nperms++;
    const char *const *who = (const char *const *)r->c->principals.items;
    size_t nwho = r->c->principals.count;
    int any = 0;
    int rc =
        r->c->st->ops->acl_shared_any(r->c->st, r->list_prefix, perms, nperms, who, nwho, &any);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(r->c, rc);
        return -1;
    }
    if (any) {
        lp->q.shared_prefix = r->list_prefix;
        lp->q.shared_perms = perms;
        lp->q.nshared_perms = nperms;
        lp->q.shared_principals = who;
        lp->q.nshared_principals = nwho;
        return 1;
    }
    if (cinto_perm_create_allowed(r)) {
        static const char *const no_ids[1] = {NULL};
        /* A non-NULL empty set restricts to nothing. */
        lp->q.ids = no_ids;
        lp->q.nids = 0;
        return 1;
    }
    return 0;
}

/* Lists under a missing parent answer 404 once authorized (spec 01 §1.14). */
static int parent_exists(cinto_rctx *r)
{
    int pk = r->ki->parent_kind;
    if (pk >= 0 && !cinto_obj_exists(r, (enum cinto_kind)pk)) {
        cinto_error_not_found(r->c, CINTO_ERRNO_MISSING_RESOURCE, r->ids[pk], cinto_kinds[pk].name);
        return -1;
    }
    return 0;
}

/* What list reads and bulk deletes check after loading, in upstream's
 * order: access (perm "read" or "write"), the parent, then headers and
 * query string. Returns -1 after answering. */
static int list_checks(cinto_rctx *r, list_params *lp, cinto_precond *p, const char *perm)
{
    int ok = list_access(r, lp, perm);
    if (ok < 0)
        return -1;
    if (!ok) {
        cinto_error_denied(r->c);
        return -1;
    }
    if (parent_exists(r) < 0 || cinto_res_parse_preconditions(r, p) < 0 ||
        parse_list_params(r, lp, strcmp(perm, "write") == 0) < 0)
        return -1;
    return 0;
}

/* Next-Page: the same URL with _limit and _token replaced (spec 02 §2.9). */
void cinto_res_next_page(cinto_ctx *c, const cinto_list_spec *spec, long long limit,
                         json_object *last)
{
    cinto_buf url = CINTO_BUF_INIT;
    char *nonce = NULL;
    char *token = cinto_token_make(spec, last, limit, &nonce);
    if (!token) {
        c->resp->failed = 1;
        return;
    }
    cinto_base_url(c, &url);
    cinto_buf_puts(&url, c->req->path);
    char sep = '?';
    int has_limit = 0, has_token = 0;
    /* Original parameters in their order; _limit and _token replaced where
     * they stood, appended when absent. */
    for (size_t i = 0; i < c->query.count; i++) {
        const cinto_query_param *p = &c->query.items[i];
        int is_limit = strcmp(p->name, "_limit") == 0, is_token = strcmp(p->name, "_token") == 0;
        if ((is_limit && has_limit) || (is_token && has_token))
            continue;
        cinto_buf_putc(&url, sep);
        sep = '&';
        cinto_url_encode(p->name, p->name_len, &url);
        cinto_buf_putc(&url, '=');
        if (is_limit) {
            cinto_buf_printf(&url, "%lld", limit);
            has_limit = 1;
        } else if (is_token) {
            cinto_url_encode(token, strlen(token), &url);
            has_token = 1;
        } else {
            cinto_url_encode(p->value, p->value_len, &url);
        }
    }
    if (!has_limit) {
        cinto_buf_printf(&url, "%c_limit=%lld", sep, limit);
        sep = '&';
    }
    if (!has_token) {
        cinto_buf_printf(&url, "%c_token=", sep);
        cinto_url_encode(token, strlen(token), &url);
    }
    cinto_response_set(c->resp, "Next-Page", "%s", cinto_buf_str(&url));
    cinto_buf_free(&url);
    free(token);
    free(nonce);
}

static void set_next_page(cinto_rctx *r, list_params *lp, json_object *last)
{
    cinto_res_next_page(r->c, &lp->spec, lp->limit, last);
}

/* {"data": [...]} written object by object, each freed once written (the
 * same bytes as cinto_response_json of the envelope): a page's objects and
 * its JSON text are never both whole in a worker's memory. */
static void respond_page(cinto_response *resp, page *pg, size_t shown, const char *fields)
{
    resp->status = 200;
    cinto_response_set(resp, "Content-Type", "application/json");
    cinto_buf_reset(&resp->body);
    int bad = cinto_buf_puts(&resp->body, "{\"data\":[") < 0;
    for (size_t i = 0; i < shown && !bad; i++) {
        size_t len = 0;
        if (fields)
            cinto_res_project(pg->items[i], fields);
        const char *text = cinto_json_dump_len(pg->items[i], &len);
        bad = !text || (i && cinto_buf_putc(&resp->body, ',') < 0) ||
              cinto_buf_append(&resp->body, text, len) < 0;
        json_object_put(pg->items[i]);
        pg->items[i] = NULL;
    }
    if (bad || cinto_buf_puts(&resp->body, "]}") < 0)
        resp->failed = 1;
}

void cinto_res_list_get(cinto_rctx *r)
{
    list_params lp;
    cinto_precond p;
    page pg = {0};
    memset(&lp, 0, sizeof lp);
    if (cinto_res_fetch_chain(r, NULL) < 0 || cinto_res_check_accept(r) < 0 ||
        cinto_res_load_acl(r, NULL) < 0)
        goto done;
    if (r->kind == CINTO_KIND_ACCOUNT && !r->c->userid) {
        /* Upstream's wording for anonymous account listings (errata 3). */
        json_object *e = json_object_new_object();
        json_object_object_add(e, "code", json_object_new_int(401));
        json_object_object_add(e, "errno", json_object_new_int(CINTO_ERRNO_UNDEFINED));
        json_object_object_add(e, "error", json_object_new_string("Cannot read accounts."));
        cinto_response_json(r->c->resp, 401, e);
        json_object_put(e);
        goto done;
    }
    if (list_checks(r, &lp, &p, "read") < 0)
        goto done;
    /* The ETag is read before the data (spec 09 §9.4). */
    long long ts;
    if (cinto_res_list_ts(r, &ts) < 0)
        goto done;
    if (p.has_none && !p.none_star && p.none_ts == ts) {
        cinto_response_reset(r->c->resp);
        r->c->resp->status = 304;
        cinto_res_set_etag(r, ts);
        goto done;
    }
    if ((p.has_none && p.none_star) || (p.has_match && !p.match_star && p.match_ts != ts)) {
        cinto_res_precondition_failed(r, NULL, ts);
        goto done;
    }
    int head = r->c->req->method == CINTO_HEAD;
    if (read_page(r, &lp, head, &pg) < 0)
        goto done;
    /* Continuation pages report the first page's ETag (deviation D11): a
     * client that keeps the last page's ETag then polls from before any
     * write made while it was paging, and misses none of them. */
    long long etag = lp.spec.token_etag >= 0 && lp.spec.token_etag < ts ? lp.spec.token_etag : ts;
    lp.spec.page_etag = etag;
    if (head) {
        r->c->resp->status = 200;
        cinto_response_set(r->c->resp, "Content-Type", "application/json");
        cinto_response_set(r->c->resp, "Total-Objects", "%lld", pg.total);
        cinto_response_set(r->c->resp, "Total-Records", "%lld", pg.total);
    } else {
        size_t shown = pg.count > (size_t)lp.limit ? (size_t)lp.limit : pg.count;
        if (pg.count > (size_t)lp.limit && shown)
            set_next_page(r, &lp, pg.items[shown - 1]);
        respond_page(r->c->resp, &pg, shown, lp.spec.fields);
    }
    cinto_res_set_etag(r, etag);
    cinto_res_cache_headers(r);
done:
    page_free(&pg);
    params_free(&lp);
}

static const char *const json_types[] = {"application/json", NULL};

/* The id a POST names in data.id, checked before anything else reads the
 * store (spec 01 §1.9 item 5 step 2). Returns 1 with *id set, 0 without
 * one, -1 after a 400. */
static int posted_id(cinto_rctx *r, const char **id, json_object **root)
{
    *id = NULL;
    *root = NULL;
    char err[256];
    if (!r->c->req->body_len)
        return 0;
    *root = cinto_json_parse(r->c->req->body, r->c->req->body_len, NULL, err, sizeof err);
    json_object *v = cinto_json_get(cinto_json_get(*root, "data"), "id");
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_string) ||
        !cinto_valid_kind_id(r->kind, json_object_get_string(v))) {
        cinto_error_invalid(r->c, "path", NULL, "Invalid object id");
        return -1;
    }
    *id = json_object_get_string(v);
    return 1;
}

void cinto_res_list_post(cinto_rctx *r)
{
    cinto_precond p;
    cinto_body b = {0};
    json_object *pre = NULL, *data = NULL, *acl = NULL;
    char *uri = NULL;
    const char *id;
    char generated[40];
    if (posted_id(r, &id, &pre) < 0)
        goto done;
    if (id && !(uri = malloc(strlen(r->list_prefix) + strlen(id) + 1)))
        goto oom;
    if (uri)
        strcat(strcpy(uri, r->list_prefix), id);
    if (cinto_res_begin_write(r) < 0 || cinto_res_fetch_chain(r, id) < 0)
        goto done;
    if (r->kind == CINTO_KIND_RECORD && !cinto_obj_exists(r, CINTO_KIND_COLLECTION)) {
        cinto_error_not_found(r->c, CINTO_ERRNO_MISSING_RESOURCE, r->ids[CINTO_KIND_COLLECTION],
                              "collection");
        goto done;
    }
    if (cinto_res_check_content_type(r, json_types) < 0 || cinto_res_check_accept(r) < 0 ||
        cinto_res_load_acl(r, uri) < 0)
        goto done;
    int exists = id && cinto_obj_exists(r, r->kind);
    if (exists) {
        /* Reading an existing object through POST needs read on it. */
        char *saved = r->uris[r->kind];
        r->uris[r->kind] = uri;
        int ok = cinto_perm_allowed(r, r->kind, "read");
        r->uris[r->kind] = saved;
        if (!ok) {
            cinto_error_denied(r->c);
            goto done;
        }
    } else if (!cinto_perm_create_allowed(r)) {
        cinto_error_denied(r->c);
        goto done;
    }
    if (parent_exists(r) < 0 || cinto_res_parse_body(r, 0, pre, &b) < 0 ||
        cinto_res_parse_preconditions(r, &p) < 0)
        goto done;
    cinto_object *o = &r->objs[r->kind];
    if (cinto_res_check_412(r, &p, exists ? o : NULL, r->hwm) < 0)
        goto done;
    if (exists) {
        /* An existing id answers 200 with the object, unchanged. */
        r->uri = uri;
        uri = NULL;
        json_object *cur = cinto_res_object_json(o);
        json_object *cur_acl = cinto_acl_of(r, r->uri);
        json_object *env = cinto_res_envelope(r, cur, cur_acl);
        cinto_response_json(r->c->resp, 200, env);
        json_object_put(env);
        json_object_put(cur_acl);
        cinto_res_set_etag(r, o->last_modified);
        goto done;
    }
    if (!id && r->kind == CINTO_KIND_ACCOUNT) {
        cinto_error_invalid(r->c, "body", "data.id", "data.id in body: Required");
        goto done;
    }
    int generated_id = !id;
    if (!id) {
        if (r->kind == CINTO_KIND_RECORD)
            cinto_uuid4(generated);
        else
            cinto_random_id(generated);
        id = generated;
        if (!(uri = malloc(strlen(r->list_prefix) + strlen(id) + 1)))
            goto oom;
        strcat(strcpy(uri, r->list_prefix), id);
    }
    r->uri = uri;
    uri = NULL;
    r->id = id;
    data = b.data ? cinto_json_copy(b.data) : json_object_new_object();
    /* A generated id is not part of what gets validated (upstream
     * behaviour, spec 05 §5.5): it is added afterwards. */
    if (!generated_id)
        json_object_object_add(data, "id", json_object_new_string(id));
    if (r->ki->validate(r, data) < 0 || cinto_res_validate_schemas(r, data, 0) < 0)
        goto done;
    json_object_object_add(data, "id", json_object_new_string(id));
    long long ts;
    if (cinto_res_timestamp(r, cinto_res_client_lm(cinto_json_get(data, "last_modified")), -1,
                            &ts) < 0)
        goto done;
    acl = json_object_new_object();
    if (b.perms) {
        json_object_object_foreach(b.perms, k, v)
        {
            if (v && json_object_array_length(v))
                json_object_object_add(acl, k, cinto_json_copy(v));
        }
    }
    cinto_res_add_editor(r, acl);
    json_object *none = cinto_acl_of(r, r->uri);
    int wrc = cinto_res_store(r, id, r->uri, data, ts, r->found[r->kind]);
    if (wrc == 0)
        wrc = cinto_res_write_acl(r, r->uri, none, acl);
    if (wrc == 0)
        wrc = cinto_res_notify(r, CINTO_ACTION_CREATE, id, r->uri, NULL, NULL, data, acl, ts);
    json_object_put(none);
    if (wrc < 0 || cinto_res_commit(r) < 0)
        goto done;
    json_object *env = cinto_res_envelope(r, data, acl);
    data = NULL;
    cinto_response_json(r->c->resp, 201, env);
    json_object_put(env);
    cinto_res_set_etag(r, ts);
    goto done;
oom:
    cinto_error_internal(r->c, "out of memory");
done:
    /* r->id may point into b or pre: the response is built, drop them. */
    json_object_put(data);
    json_object_put(acl);
    json_object_put(pre);
    free(uri);
    cinto_res_body_free(&b);
}

/* A DELETE's token works once (spec 02 §2.9 item 6): the nonce of the
 * next page's token is made here and remembered for
 * kinto.pagination_token_validity_seconds, in the deletion's transaction;
 * set_next_page then puts it in the token. */
static int issue_token(cinto_rctx *r, list_params *lp, char *nonce, size_t len)
{
    char uuid[37];
    cinto_uuid4(uuid);
    snprintf(nonce, len, "pagination-token-%s", uuid);
    long long validity =
        cinto_settings_int(r->c->cfg->raw, "pagination_token_validity_seconds", 600, NULL);
    int rc = r->c->st->ops->token_remember(r->c->st, nonce, r->c->now_ms,
                                           r->c->now_ms + validity * 1000);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(r->c, rc);
        return -1;
    }
    lp->spec.issue_nonce = nonce;
    return 0;
}

/* The DELETE of a next page takes its token's nonce back: a second use, a
 * GET token (never remembered) or an expired one is refused. */
static int take_token(cinto_rctx *r, const char *nonce)
{
    int taken = 0;
    int rc = r->c->st->ops->token_take(r->c->st, nonce, r->c->now_ms, &taken);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(r->c, rc);
        return -1;
    }
    if (!taken) {
        cinto_error_invalid(r->c, "querystring", NULL, "_token was already used or has expired.");
        return -1;
    }
    return 0;
}

void cinto_res_list_delete(cinto_rctx *r)
{
    list_params lp;
    cinto_precond p;
    page pg = {0};
    json_object *list = NULL;
    cinto_buf uri = CINTO_BUF_INIT;
    memset(&lp, 0, sizeof lp);
    if (cinto_res_begin_write(r) < 0 || cinto_res_fetch_chain(r, NULL) < 0 ||
        cinto_res_check_accept(r) < 0 || cinto_res_load_acl(r, NULL) < 0)
        goto done;
    if (list_checks(r, &lp, &p, "write") < 0)
        goto done;
    if ((p.has_none && p.none_star) || (p.has_match && !p.match_star && p.match_ts != r->hwm)) {
        cinto_res_precondition_failed(r, NULL, r->hwm);
        goto done;
    }
    if (lp.spec.token_nonce && take_token(r, lp.spec.token_nonce) < 0)
        goto done;
    /* Tombstones are never candidates. */
    lp.q.include_deleted = 0;
    if (read_page(r, &lp, 0, &pg) < 0)
        goto done;
    size_t n = pg.count > (size_t)lp.limit ? (size_t)lp.limit : pg.count;
    list = json_object_new_array();
    long long last = r->hwm;
    for (size_t i = 0; i < n; i++) {
        long long ts;
        const char *id = cinto_json_get_string(pg.items[i], "id");
        if (cinto_json_get(pg.items[i], "deleted"))
            continue;
        cinto_buf_reset(&uri);
        cinto_buf_printf(&uri, "%s%s", r->list_prefix, id);
        if (cinto_res_timestamp(r, -1, -1, &ts) < 0 ||
            cinto_res_delete_one(r, id, cinto_buf_str(&uri), ts, NULL, pg.items[i]) < 0)
            goto done;
        json_object *t = json_object_new_object();
        json_object_object_add(t, "id", json_object_new_string(id));
        json_object_object_add(t, "last_modified", json_object_new_int64(ts));
        json_object_object_add(t, "deleted", json_object_new_boolean(1));
        json_object_array_add(list, t);
        last = ts;
    }
    /* The next page's token is remembered in this transaction. */
    char nonce[64];
    if (pg.count > (size_t)lp.limit && n) {
        if (issue_token(r, &lp, nonce, sizeof nonce) < 0)
            goto done;
        set_next_page(r, &lp, pg.items[n - 1]);
        if (r->c->resp->failed)
            goto done; /* out of memory: undone, answered 500 */
    }
    if (cinto_res_commit(r) < 0)
        goto done;
    json_object *env = json_object_new_object();
    json_object_object_add(env, "data", list);
    list = NULL;
    cinto_response_json(r->c->resp, 200, env);
    json_object_put(env);
    cinto_res_set_etag(r, last);
done:
    json_object_put(list);
    cinto_buf_free(&uri);
    page_free(&pg);
    params_free(&lp);
}
