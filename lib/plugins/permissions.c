/* GET /permissions (spec 04 §4.10, PERM-10): every object on which the
 * requester holds a permission, through ACLs (their user id, groups and
 * system principals) or through settings grants, one entry per object
 * with the permissions held and those they imply on the same object.
 *
 * Each page is one statement (storage op permission_entries): the ACL rows
 * of the principals and the objects of the settings grants are grouped by
 * URI in SQL; filters on the URI-derived string fields, the default `-uri`
 * order, the `_token` position and the page size are applied there too, so
 * a page of a list with tens of thousands of shared records reads one page.
 * Any other filter or sort reads every entry in that one statement and is
 * evaluated in C by lib/query, as the other lists do: entries stream from
 * MariaDB one at a time and only the page is kept (the first matches in
 * SQL's order, or the best limit + 1 in a bounded heap), so a worker's
 * memory is the page and one entry however many objects the caller may
 * reach, and the read is bounded by kinto.storage_list_time_limit_seconds. */
#include "plugins/permissions.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/resource_internal.h"
#include "api/resource.h"
#include "api/router.h"
#include "query/query.h"
#include "util/clock.h"
#include "util/codec.h"
#include "util/json.h"

#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Upstream's schema fields plus the three every resource knows. */
static const char *const strict_fields[] = {
    "uri",           "resource_name", "permissions",   "id",      "bucket_id", "group_id",
    "collection_id", "record_id",     "last_modified", "deleted", NULL};

/* Settings grants (spec 04 §4.6) that upstream lists: the setting, the kind
 * of object it applies to (every live one), and the permission. A create
 * setting is held on the parent (collection:create on each bucket). */
static const struct grant_setting {
    const char *key, *kind, *perm;
} grant_settings[] = {
    {"bucket_write", "bucket", "write"},
    {"bucket_read", "bucket", "read"},
    {"collection_create", "bucket", "collection:create"},
    {"group_create", "bucket", "group:create"},
    {"collection_write", "collection", "write"},
    {"collection_read", "collection", "read"},
    {"record_create", "collection", "record:create"},
    {"group_write", "group", "write"},
    {"group_read", "group", "read"},
    {"bucket_create", "root", "bucket:create"},
    {"account_create", "root", "account:create"},
};

/* What a held permission gives on the same object (upstream's inheritance
 * tree read downwards, same object only: a bucket write gives the bucket's
 * read but no collection's). */
static const struct implied {
    const char *kind, *perm;
    const char *gives[5];
} implied[] = {
    {"bucket", "write", {"read", "read:attributes", "collection:create", "group:create"}},
    {"bucket", "read", {"read:attributes"}},
    {"bucket", "collection:create", {"read:attributes"}},
    {"bucket", "group:create", {"read:attributes"}},
    {"collection", "write", {"read", "read:attributes", "record:create"}},
    {"collection", "read", {"read:attributes"}},
    {"collection", "record:create", {"read:attributes"}},
    {"group", "write", {"read"}},
    {"record", "write", {"read"}},
    {"account", "write", {"read"}},
};

static int enabled_by(cinto_settings *s)
{
    if (cinto_settings_bool(s, "experimental_permissions_endpoint", 0))
        return 1;
    /* Upstream also serves it whenever the admin plugin is included. */
    char **inc = NULL;
    int on = 0;
    cinto_settings_list(s, "includes", &inc);
    for (size_t i = 0; inc && inc[i] && !on; i++)
        on = strcmp(inc[i], CINTO_ADMIN_PLUGIN_NAME) == 0;
    cinto_strv_free(inc);
    return on;
}

static void capability(cinto_ctx *c, json_object *caps)
{
    (void)c;
    json_object_object_add(
        caps, "permissions_endpoint",
        cinto_capability("The permissions endpoint can be used to list all user objects "
                         "permissions.",
                         "https://kinto.readthedocs.io/en/latest/configuration/"
                         "settings.html#activating-the-permissions-endpoint"));
}

/* ---- who may list, and what settings grant -------------------------------- */

static int holds_any(const cinto_ctx *c, char **principals)
{
    for (size_t i = 0; principals && principals[i]; i++)
        if (cinto_has_principal(c, principals[i]))
            return 1;
    return 0;
}

/* permissions_read_principals, system.Everyone when unset (upstream's
 * default): anonymous callers then list what system.Everyone holds. */
static int may_list(cinto_ctx *c)
{
    if (!cinto_settings_get(c->cfg->raw, "permissions_read_principals"))
        return 1;
    return holds_any(c, cinto_app_grant(c->app, "permissions_read"));
}

/* account:create exists only where accounts do (a plugin owns the kind). */
static int accounts_on(const cinto_app *app)
{
    for (size_t i = 0; i < app->nplugins; i++)
        if (app->plugins[i]->kind == CINTO_KIND_ACCOUNT)
            return 1;
    return 0;
}

static size_t user_grants(cinto_ctx *c, cinto_perm_grant *out)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof grant_settings / sizeof grant_settings[0]; i++) {
        const struct grant_setting *g = &grant_settings[i];
        if (strcmp(g->key, "account_create") == 0 && !accounts_on(c->app))
            continue;
        if (holds_any(c, cinto_app_grant(c->app, g->key)))
            out[n++] = (cinto_perm_grant){g->kind, g->perm};
    }
    return n;
}

/* ---- the list parameters --------------------------------------------------- */

typedef struct perm_list {
    cinto_list_spec spec;
    cinto_perm_query q;
    cinto_perm_grant grants[sizeof grant_settings / sizeof grant_settings[0]];
    cinto_perm_filter *pushed;
    const char **values; /* borrowed from spec's filter values */
    long long limit;     /* page size */
    int in_c;            /* something only C evaluates: SQL returns every entry */
    int filter_in_c;     /* a filter only C evaluates */
    int sort_in_c;       /* the order (or the token's position) only C gives */
} perm_list;

static void perm_list_free(perm_list *pl)
{
    free(pl->pushed);
    free(pl->values);
    cinto_list_spec_free(&pl->spec);
}

static int column_of(const char *field, enum cinto_perm_column *col)
{
    static const char *const names[] = {
        [CINTO_PC_URI] = "uri",
        [CINTO_PC_RESOURCE_NAME] = "resource_name",
        [CINTO_PC_ID] = "id",
        [CINTO_PC_BUCKET_ID] = "bucket_id",
        [CINTO_PC_COLLECTION_ID] = "collection_id",
        [CINTO_PC_GROUP_ID] = "group_id",
        [CINTO_PC_RECORD_ID] = "record_id",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(field, names[i]) == 0) {
            *col = (enum cinto_perm_column)i;
            return 1;
        }
    return 0;
}

/* Entries have no last_modified (upstream drops every filter and sort key
 * on it); the order ends with -uri, unique, unless uri is sorted already. */
static int drop_timestamps(cinto_list_spec *s)
{
    size_t k = 0;
    for (size_t i = 0; i < s->nfilters; i++) {
        if (strcmp(s->filters[i].field, "last_modified") == 0) {
            free(s->filters[i].field);
            json_object_put(s->filters[i].value);
            continue;
        }
        s->filters[k++] = s->filters[i];
    }
    s->nfilters = k;
    int has_uri = 0;
    k = 0;
    for (size_t i = 0; i < s->nsort; i++) {
        if (strcmp(s->sort[i].field, "last_modified") == 0) {
            free(s->sort[i].field);
            continue;
        }
        has_uri |= strcmp(s->sort[i].field, "uri") == 0;
        s->sort[k++] = s->sort[i];
    }
    s->nsort = k;
    if (has_uri)
        return 0;
    /* nsort shrank by at least the appended -last_modified: room for one. */
    char *f = strdup("uri");
    if (!f)
        return -1;
    s->sort[s->nsort++] = (cinto_sort_key){f, 1};
    return 0;
}

/* A filter SQL evaluates exactly as lib/query would: a set test on a
 * string field derived from the URI, with string values only (JSON
 * equality never matches a number against those strings). */
static int pushable(const cinto_filter *f, enum cinto_perm_column *col)
{
    if (f->op != CINTO_F_EQ && f->op != CINTO_F_NOT && f->op != CINTO_F_IN &&
        f->op != CINTO_F_EXCLUDE)
        return 0;
    if (!column_of(f->field, col))
        return 0;
    if (f->op == CINTO_F_EQ || f->op == CINTO_F_NOT)
        return json_object_is_type(f->value, json_type_string);
    size_t n = json_object_array_length(f->value);
    for (size_t i = 0; i < n; i++)
        if (!json_object_is_type(json_object_array_get_idx(f->value, i), json_type_string))
            return 0;
    return 1;
}

/* The order SQL can give: the URI alone, or a string column then the
 * URI (kinto.js and Kinto Admin send _sort=id); the page position from
 * the token when its values are strings, as entries' fields are. */
static int sort_down(perm_list *pl)
{
    cinto_list_spec *s = &pl->spec;
    enum cinto_perm_column key = CINTO_PC_URI;
    int uri_last = strcmp(s->sort[s->nsort - 1].field, "uri") == 0;
    if (!uri_last || s->nsort > 2 || (s->nsort == 2 && !column_of(s->sort[0].field, &key)) ||
        (s->nsort == 2 && key == CINTO_PC_URI)) {
        pl->in_c = pl->sort_in_c = 1;
        return 0;
    }
    pl->q.key = key;
    pl->q.order = s->sort[0].descending ? -1 : 1;
    pl->q.uri_order = s->sort[s->nsort - 1].descending ? -1 : 1;
    if (!s->token_last)
        return 0;
    json_object *u = cinto_json_get(s->token_last, "uri"), *k = NULL;
    int has_key =
        key != CINTO_PC_URI && json_object_object_get_ex(s->token_last, s->sort[0].field, &k);
    if (!json_object_is_type(u, json_type_string) ||
        (has_key && !json_object_is_type(k, json_type_string))) {
        pl->in_c = pl->sort_in_c = 1;
        return 0;
    }
    pl->q.after = json_object_get_string(u);
    pl->q.after_key = has_key ? json_object_get_string(k) : NULL;
    return 0;
}

/* Pushes what SQL can evaluate exactly; when everything can, SQL also
 * orders, positions and cuts the page. */
static int push_down(perm_list *pl)
{
    cinto_list_spec *s = &pl->spec;
    size_t nvalues = 0;
    for (size_t i = 0; i < s->nfilters; i++)
        nvalues += json_object_is_type(s->filters[i].value, json_type_array)
                       ? json_object_array_length(s->filters[i].value)
                       : 1;
    pl->pushed = calloc(s->nfilters + 1, sizeof *pl->pushed);
    pl->values = calloc(nvalues + 1, sizeof *pl->values);
    if (!pl->pushed || !pl->values)
        return -1;
    size_t nv = 0;
    for (size_t i = 0; i < s->nfilters; i++) {
        const cinto_filter *f = &s->filters[i];
        enum cinto_perm_column col;
        if (!pushable(f, &col)) {
            pl->in_c = pl->filter_in_c = 1;
            continue;
        }
        cinto_perm_filter *pf = &pl->pushed[pl->q.nfilters++];
        pf->column = col;
        pf->negate = f->op == CINTO_F_NOT || f->op == CINTO_F_EXCLUDE;
        pf->values = pl->values + nv;
        if (json_object_is_type(f->value, json_type_string)) {
            pl->values[nv++] = json_object_get_string(f->value);
        } else {
            for (size_t k = 0; k < json_object_array_length(f->value); k++)
                pl->values[nv++] = json_object_get_string(json_object_array_get_idx(f->value, k));
        }
        pf->nvalues = (size_t)(pl->values + nv - pf->values);
    }
    pl->q.filters = pl->pushed;
    return sort_down(pl);
}

/* Page size as for every list (spec 02 §2.8). */
static long long page_size(const cinto_config *cfg, long long asked)
{
    long long L = asked > 0 ? asked : cfg->paginate_by;
    if (L && cfg->paginate_by && L > cfg->paginate_by)
        L = cfg->paginate_by;
    if (!L || L > cfg->storage_max_fetch_size)
        L = cfg->storage_max_fetch_size;
    return L;
}

static int parse_params(cinto_ctx *c, perm_list *pl)
{
    cinto_query_error qe;
    memset(&qe, 0, sizeof qe);
    if (cinto_list_spec_parse(&c->query, c->now_ms, strict_fields, &pl->spec, &qe) < 0) {
        cinto_error_invalid(c, "querystring", qe.has_name ? qe.name : NULL, qe.description);
        return -1;
    }
    if (drop_timestamps(&pl->spec) < 0 || push_down(pl) < 0) {
        cinto_error_internal(c, "out of memory");
        return -1;
    }
    pl->limit = page_size(c->cfg, pl->spec.limit);
    pl->q.principals = (const char *const *)c->principals.items;
    pl->q.nprincipals = c->principals.count;
    pl->q.grants = pl->grants;
    pl->q.ngrants = user_grants(c, pl->grants);
    return 0;
}

/* ---- entries ------------------------------------------------------------- */

static int has_perm(json_object *arr, const char *perm)
{
    for (size_t i = 0; i < json_object_array_length(arr); i++)
        if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), perm) == 0)
            return 1;
    return 0;
}

static void add_perm(json_object *arr, const char *perm)
{
    if (!has_perm(arr, perm))
        json_object_array_add(arr, json_object_new_string(perm));
}

static int by_name(const void *a, const void *b)
{
    return strcmp(json_object_get_string(*(json_object *const *)a),
                  json_object_get_string(*(json_object *const *)b));
}

/* The held permissions ("write,read") and those they imply, sorted. */
static json_object *expand(const char *kind, const char *held)
{
    json_object *arr = json_object_new_array();
    const char *p = held;
    while (*p) {
        size_t n = strcspn(p, ",");
        char perm[64];
        if (n && n < sizeof perm) {
            memcpy(perm, p, n);
            perm[n] = '\0';
            add_perm(arr, perm);
            for (size_t i = 0; i < sizeof implied / sizeof implied[0]; i++)
                if (strcmp(implied[i].kind, kind) == 0 && strcmp(implied[i].perm, perm) == 0)
                    for (size_t k = 0; k < 5 && implied[i].gives[k]; k++)
                        add_perm(arr, implied[i].gives[k]);
        }
        p += n + (p[n] == ',');
    }
    json_object_array_sort(arr, by_name);
    return arr;
}

static void add_str(json_object *o, const char *key, const char *s, size_t n)
{
    json_object_object_add(o, key, json_object_new_string_len(s, (int)n));
}

/* {uri, resource_name, permissions, id, <kind>_id, bucket_id, collection_id}
 * from a URI the storage classified as an object (spec 04 §4.10 item 2). */
static json_object *entry(const char *uri, const char *held)
{
    const char *seg[6];
    size_t len[6], n = 0;
    for (const char *p = uri; *p == '/' && n < 6; n++) {
        seg[n] = p + 1;
        len[n] = strcspn(p + 1, "/");
        p = seg[n] + len[n];
    }
    const char *kind = "root";
    if (n == 2)
        kind = seg[0][0] == 'a' ? "account" : "bucket";
    else if (n == 4)
        kind = seg[2][0] == 'g' ? "group" : "collection";
    else if (n == 6)
        kind = "record";
    json_object *o = json_object_new_object();
    json_object_object_add(o, "uri", json_object_new_string(uri));
    json_object_object_add(o, "resource_name", json_object_new_string(kind));
    json_object_object_add(o, "permissions", expand(kind, held));
    if (n < 2)
        return o;
    add_str(o, "id", seg[n - 1], len[n - 1]);
    char key[32];
    snprintf(key, sizeof key, "%s_id", kind);
    add_str(o, key, seg[n - 1], len[n - 1]);
    if (seg[0][0] == 'b')
        add_str(o, "bucket_id", seg[1], len[1]);
    if (n == 6)
        add_str(o, "collection_id", seg[3], len[3]);
    return o;
}

/* A read in progress: what scan_entry keeps between streamed entries. */
typedef struct perm_scan {
    cinto_ctx *c;
    const perm_list *pl;
    json_object **items; /* the page so far: in SQL's order, or a heap (topk) */
    size_t count, cap, want;
    int filter;     /* filters only C evaluates */
    int topk;       /* an order only C gives: keep the best `want` in a heap */
    int count_only; /* HEAD: count the matches, keep none */
    long long total;
    long long started; /* ms, monotonic */
    unsigned nseen;
    int too_long, nomem;
} perm_scan;

/* Heap order: the entry that comes last in the list's order is at the
 * root, so that it is the one a better entry replaces. */
static int heap_later(const perm_scan *s, size_t a, size_t b)
{
    return cinto_sort_compare(&s->pl->spec, s->items[a], s->items[b]) > 0;
}

static void heap_swap(perm_scan *s, size_t a, size_t b)
{
    json_object *t = s->items[a];
    s->items[a] = s->items[b];
    s->items[b] = t;
}

static void heap_up(perm_scan *s, size_t i)
{
    while (i > 0 && heap_later(s, i, (i - 1) / 2)) {
        heap_swap(s, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(perm_scan *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, top = i;
        if (l < s->count && heap_later(s, l, top))
            top = l;
        if (r < s->count && heap_later(s, r, top))
            top = r;
        if (top == i)
            return;
        heap_swap(s, i, top);
        i = top;
    }
}

/* Room for one more kept entry, the array growing up to `want` only. */
static int make_room(perm_scan *s)
{
    if (s->count < s->cap)
        return 0;
    size_t ncap = s->cap ? s->cap * 2 : 64;
    if (ncap > s->want)
        ncap = s->want;
    json_object **p = realloc(s->items, ncap * sizeof *p);
    if (!p)
        return -1;
    s->items = p;
    s->cap = ncap;
    return 0;
}

/* Keeps o if it is among the `want` first entries after the _token
 * position seen so far (a max-heap on the list's order: each entry costs
 * O(log want) whatever order MariaDB sends them in). */
static int keep_best(perm_scan *s, json_object *o)
{
    const cinto_list_spec *spec = &s->pl->spec;
    if (spec->token_last && !cinto_after_token(spec, o)) {
        json_object_put(o);
        return 0;
    }
    if (s->count == s->want) {
        if (cinto_sort_compare(spec, o, s->items[0]) >= 0) {
            json_object_put(o);
            return 0;
        }
        json_object_put(s->items[0]);
        s->items[0] = o;
        heap_down(s, 0);
        return 0;
    }
    if (make_room(s) < 0) {
        json_object_put(o);
        return -1;
    }
    s->items[s->count++] = o;
    heap_up(s, s->count - 1);
    return 0;
}

/* Past kinto.storage_list_time_limit_seconds in C (MariaDB may have sent
 * the whole result before its own limit): checked every 1024 entries. */
static int scan_too_long(perm_scan *s)
{
    unsigned ms = s->c->cfg->list_time_limit_ms;
    if (!ms || ++s->nseen % 1024)
        return 0;
    return cinto_monotonic_ms() - s->started > (long long)ms;
}

/* One streamed entry: built, filtered, then kept, counted or dropped at
 * once, so nothing but the page outlives it. Returns 1 to stop the read
 * (the page is complete, or the time is up), -1 when memory ran out. */
static int scan_entry(void *ctx, const char *uri, const char *perms)
{
    perm_scan *s = ctx;
    if (scan_too_long(s)) {
        s->too_long = 1;
        return 1;
    }
    json_object *o = entry(uri, perms);
    if (!o) {
        s->nomem = 1;
        return -1;
    }
    if (s->filter && !cinto_filter_match(&s->pl->spec, o)) {
        json_object_put(o);
        return 0;
    }
    if (s->count_only) {
        s->total++;
        json_object_put(o);
        return 0;
    }
    if (s->topk) {
        int rc = keep_best(s, o);
        s->nomem = rc < 0;
        return rc;
    }
    if (make_room(s) < 0) {
        json_object_put(o);
        s->nomem = 1;
        return -1;
    }
    s->items[s->count++] = o;
    return s->count >= s->want;
}

static const cinto_list_spec *sort_spec;

static int sort_cmp(const void *a, const void *b)
{
    return cinto_sort_compare(sort_spec, *(json_object *const *)a, *(json_object *const *)b);
}

/* The page (up to limit + 1 entries, the extra one telling that another
 * page exists) or, for HEAD, only the count. Entries stream through
 * scan_entry: SQL orders, positions and cuts the page when it can (then C
 * only filters, and stops at the page's end); otherwise every entry
 * passes once and the page is the best limit + 1 of them. */
static int read_entries(cinto_ctx *c, perm_list *pl, int count_only, json_object ***items,
                        size_t *count, long long *total)
{
    perm_scan s = {.c = c, .pl = pl, .count_only = count_only, .filter = pl->filter_in_c};
    cinto_perm_query q = pl->q;
    *items = NULL;
    *count = 0;
    if (count_only && !pl->filter_in_c) {
        /* A count ignores the order and the page position. */
        q.order = 0;
        q.after = NULL;
        return c->st->ops->permission_entries(c->st, &q, NULL, total);
    }
    s.want = count_only ? 0 : (size_t)pl->limit + 1;
    s.topk = pl->sort_in_c && !count_only;
    if (count_only || pl->sort_in_c) {
        q.order = 0;
        q.after = NULL;
    }
    if (!pl->in_c)
        q.limit = pl->limit + 1;
    q.on_entry = scan_entry;
    q.entry_ctx = &s;
    s.started = cinto_monotonic_ms();
    int rc = c->st->ops->permission_entries(c->st, &q, NULL, NULL);
    if (rc == CINTO_ST_OK && s.too_long) {
        cinto_perm_time_message(c->st->message, sizeof c->st->message, c->cfg->list_time_limit_ms);
        rc = CINTO_ST_UNAVAILABLE;
    }
    if (rc == CINTO_ST_OK && s.topk) {
        /* The heap's entries in the list's order (a total one: it ends
         * with the unique URI). */
        sort_spec = &pl->spec;
        qsort(s.items, s.count, sizeof *s.items, sort_cmp);
    }
    if (rc != CINTO_ST_OK) {
        for (size_t i = 0; i < s.count; i++)
            json_object_put(s.items[i]);
        free(s.items);
        return rc;
    }
    *items = s.items;
    *count = s.count;
    *total = count_only ? s.total : (long long)s.count;
    return rc;
}

/* Next-Page: this URL with _limit and _token replaced (spec 02 §2.9). */
static void set_next_page(cinto_ctx *c, perm_list *pl, json_object *last)
{
    char *nonce = NULL;
    char *token = cinto_token_make(&pl->spec, last, pl->limit, &nonce);
    if (!token) {
        c->resp->failed = 1;
        return;
    }
    cinto_buf url = CINTO_BUF_INIT;
    cinto_base_url(c, &url);
    cinto_buf_puts(&url, c->req->path);
    char sep = '?';
    for (size_t i = 0; i < c->query.count; i++) {
        const cinto_query_param *p = &c->query.items[i];
        if (strcmp(p->name, "_limit") == 0 || strcmp(p->name, "_token") == 0)
            continue;
        cinto_buf_putc(&url, sep);
        sep = '&';
        cinto_url_encode(p->name, p->name_len, &url);
        cinto_buf_putc(&url, '=');
        cinto_url_encode(p->value, p->value_len, &url);
    }
    cinto_buf_printf(&url, "%c_limit=%lld&_token=", sep, pl->limit);
    cinto_url_encode(token, strlen(token), &url);
    cinto_response_set(c->resp, "Next-Page", "%s", cinto_buf_str(&url));
    cinto_buf_free(&url);
    free(token);
    free(nonce);
}

/* The list has no timestamp: ETag "0" (upstream's), never modified. */
static int preconditions(cinto_ctx *c)
{
    const char *names[2] = {"If-Match", "If-None-Match"};
    const char *values[2] = {c->req->if_match, c->req->if_none_match};
    int star[2] = {0, 0};
    long long ts[2] = {0, 0};
    for (int i = 0; i < 2; i++)
        if (values[i] && cinto_parse_precondition(values[i], &star[i], &ts[i]) < 0) {
            cinto_error_invalid(c, "header", names[i],
                                "The value should be integer between double quotes.");
            return -1;
        }
    if (values[1] && !star[1] && ts[1] == 0) {
        c->resp->status = 304;
        return -1;
    }
    if ((values[1] && star[1]) || (values[0] && !star[0] && ts[0] != 0)) {
        cinto_error(c, 412, CINTO_ERRNO_MODIFIED_MEANWHILE, "Resource was modified meanwhile",
                    NULL);
        return -1;
    }
    return 0;
}

static void list_headers(cinto_ctx *c)
{
    char date[32];
    cinto_http_date(0, date);
    cinto_response_set(c->resp, "ETag", "\"0\"");
    cinto_response_set(c->resp, "Last-Modified", "%s", date);
    long long ttl = -1;
    int ok = 0;
    if (!c->userid)
        ttl = cinto_settings_int(c->cfg->raw, "permissions_cache_expires_seconds", -1, &ok);
    if (!ok || ttl < 0) {
        cinto_response_set(c->resp, "Cache-Control", "no-cache, no-store");
        return;
    }
    cinto_http_date(time(NULL) + ttl, date);
    cinto_response_set(c->resp, "Cache-Control", "max-age=%lld", ttl);
    cinto_response_set(c->resp, "Expires", "%s", date);
}

static void answer(cinto_ctx *c, perm_list *pl, json_object **items, size_t count, long long total)
{
    if (c->req->method == CINTO_HEAD) {
        c->resp->status = 200;
        cinto_response_set(c->resp, "Content-Type", "application/json");
        cinto_response_set(c->resp, "Total-Objects", "%lld", total);
        cinto_response_set(c->resp, "Total-Records", "%lld", total);
        return;
    }
    json_object *list = json_object_new_array();
    size_t shown = count > (size_t)pl->limit ? (size_t)pl->limit : count;
    for (size_t i = 0; i < shown; i++) {
        json_object *o = json_object_get(items[i]);
        if (pl->spec.fields)
            cinto_res_project(o, pl->spec.fields);
        json_object_array_add(list, o);
    }
    if (count > shown && shown)
        set_next_page(c, pl, items[shown - 1]);
    json_object *env = json_object_new_object();
    json_object_object_add(env, "data", list);
    cinto_response_json(c->resp, 200, env);
    json_object_put(env);
}

static void handle_permissions(cinto_ctx *c)
{
    perm_list pl;
    json_object **items = NULL;
    size_t count = 0;
    long long total = 0;
    memset(&pl, 0, sizeof pl);
    if (!cinto_accept_json(c->req->accept)) {
        cinto_error_invalid_status(c, 406, "header", "Accept",
                                   "Accept header should be one of ['application/json']");
        return;
    }
    int rc = cinto_load_principals(c);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        return;
    }
    if (!may_list(c)) {
        cinto_error_denied(c);
        return;
    }
    list_headers(c);
    if (preconditions(c) < 0 || parse_params(c, &pl) < 0)
        goto done;
    rc = read_entries(c, &pl, c->req->method == CINTO_HEAD, &items, &count, &total);
    if (rc == CINTO_ST_NOMEM) {
        cinto_error_internal(c, "out of memory");
        goto done;
    }
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        goto done;
    }
    answer(c, &pl, items, count, total);
done:
    for (size_t i = 0; i < count; i++)
        json_object_put(items[i]);
    free(items);
    perm_list_free(&pl);
}

static const cinto_route_def routes[] = {
    {"/permissions", "HEAD, GET, OPTIONS", handle_permissions, -1, 1, CINTO_NEEDS_STORAGE, NULL},
};

static const char *const settings[] = {"experimental_permissions_endpoint",
                                       "permissions_read_principals",
                                       "permissions_cache_expires_seconds", NULL};

const cinto_plugin cinto_plugin_permissions = {
    /* Not an upstream include name: the endpoint is switched on by its
     * setting or by the admin plugin (enabled_by). */
    .name = "kinto.experimental_permissions_endpoint",
    .settings = settings,
    .enabled_by = enabled_by,
    .capability = capability,
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .kind = -1,
};
