/* The history plugin (spec 06 §6.4-6.5, HIST-1..4, HIST-6): every change
 * of a bucket, group, collection or record adds an entry to the bucket's
 * history list, in the write's transaction, from the write event. The
 * entries are objects of the list (/buckets/<bid>, history), served by
 * the core's list handlers through this plugin's kind: GET/HEAD with
 * filters on the entry fields, sort, paging, _since/_before, and DELETE
 * (bulk, with tombstones). An entry's read ACE (the readers of its bucket,
 * collection and object as of the write) decides who else sees it.
 *
 * Cost per recorded write: the history list's timestamp (lock, raise),
 * one INSERT of the entry and one multi-row INSERT of its read ACE; with
 * auto-trimming on, a count of the entries now and then (see trim()). */
#include "api/errors.h"
#include "api/handlers.h"
#include "api/plugin.h"
#include "api/resource_internal.h"
#include "api/router.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"
#include "util/random.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

/* Settings, read once: one app per worker process. */
static char **exclude_resources; /* URIs whose changes (and children's) are not recorded */
static char **exclude_user_ids;
static int explicit_permissions = 1;
static long long trim_max;             /* history.auto_trim_max_count, 0: no trimming */
static long long trim_threshold = 100; /* history.auto_trim_threshold */
static char **trim_user_ids;           /* history.auto_trim_user_ids */

/* What an object URI says: /buckets/b[/collections/c[/records/r]] or
 * /buckets/b/groups/g. Pointers into a copy owned by the caller. */
typedef struct parsed_uri {
    char *bid, *cid, *gid, *rid;
} parsed_uri;

static int parse_uri(char *copy, parsed_uri *p)
{
    memset(p, 0, sizeof *p);
    char *seg[6];
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(copy, "/", &save); t && n < 6;
         t = strtok_r(NULL, "/", &save))
        seg[n++] = t;
    if (n < 2 || n % 2 || strcmp(seg[0], "buckets") != 0)
        return -1;
    p->bid = seg[1];
    if (n >= 4 && strcmp(seg[2], "collections") == 0)
        p->cid = seg[3];
    else if (n == 4 && strcmp(seg[2], "groups") == 0)
        p->gid = seg[3];
    else if (n >= 4)
        return -1;
    if (n == 6 && p->cid && strcmp(seg[4], "records") == 0)
        p->rid = seg[5];
    else if (n == 6)
        return -1;
    return 0;
}

static int listed(char **list, const char *s)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* Excluded URIs cover themselves and everything below them. */
static int excluded(const char *uri)
{
    for (size_t i = 0; exclude_resources && exclude_resources[i]; i++) {
        size_t n = strlen(exclude_resources[i]);
        if (strncmp(uri, exclude_resources[i], n) == 0 && (uri[n] == '\0' || uri[n] == '/'))
            return 1;
    }
    return 0;
}

/* Python's datetime.isoformat() of now in UTC: microseconds when not 0. */
static void iso_date(char out[40])
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    time_t t = tv.tv_sec;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    if (tv.tv_usec)
        n += (size_t)snprintf(out + n, 40 - n, ".%06ld", (long)tv.tv_usec);
    snprintf(out + n, 40 - n, "+00:00");
}

/* Adds the principals of the read and write ACEs of uri. */
static void add_readers(const cinto_ace_list *acl, const char *uri, cinto_strv *out)
{
    for (size_t i = 0; acl && uri && i < acl->count; i++) {
        const cinto_ace *a = &acl->items[i];
        if (strcmp(a->uri, uri) != 0 ||
            (strcmp(a->permission, "read") != 0 && strcmp(a->permission, "write") != 0))
            continue;
        int dup = 0;
        for (size_t k = 0; k < out->count && !dup; k++)
            dup = strcmp(out->items[k], a->principal) == 0;
        if (!dup)
            cinto_strv_push(out, a->principal);
    }
}

static void add_json_readers(json_object *perms, cinto_strv *out)
{
    const char *keys[2] = {"read", "write"};
    for (int i = 0; i < 2; i++) {
        json_object *list = cinto_json_get(perms, keys[i]);
        for (size_t k = 0; list && k < json_object_array_length(list); k++) {
            const char *p = json_object_get_string(json_object_array_get_idx(list, k));
            int dup = 0;
            for (size_t j = 0; j < out->count && !dup; j++)
                dup = strcmp(out->items[j], p) == 0;
            if (!dup)
                cinto_strv_push(out, p);
        }
    }
}

/* The entry's read ACE (spec 06 §6.4 item 3): readers of the bucket, of
 * the collection (record and collection entries) and of the object, as of
 * the write. The ancestors' ACEs come from what the request read, or are
 * read here (the default bucket's implicit creations). */
static int entry_readers(cinto_ctx *c, const cinto_write_event *ev, const char *bucket_uri,
                         const char *collection_uri, cinto_strv *out)
{
    cinto_ace_list fetched = {0};
    const cinto_ace_list *acl = ev->acl_read;
    if (!acl) {
        const char *uris[2] = {bucket_uri, collection_uri ? collection_uri : bucket_uri};
        int rc = c->st->ops->acl_get(c->st, 2, uris, &fetched);
        if (rc != CINTO_ST_OK)
            return rc;
        acl = &fetched;
    }
    /* The object's own ACE as written; its ancestors' as read. */
    if (strcmp(ev->uri, bucket_uri) != 0)
        add_readers(acl, bucket_uri, out);
    if (collection_uri && strcmp(ev->uri, collection_uri) != 0)
        add_readers(acl, collection_uri, out);
    add_json_readers(ev->permissions, out);
    cinto_ace_list_free(&fetched);
    return CINTO_ST_OK;
}

static json_object *entry_json(const cinto_write_event *ev, const parsed_uri *p)
{
    static const char *const actions[] = {"create", "update", "delete"};
    char date[40];
    iso_date(date);
    json_object *e = json_object_new_object();
    json_object_object_add(e, "action", json_object_new_string(actions[ev->action]));
    json_object_object_add(e, "resource_name", json_object_new_string(ev->resource));
    json_object_object_add(e, "uri", json_object_new_string(ev->uri));
    json_object_object_add(e, "user_id", ev->user ? json_object_new_string(ev->user) : NULL);
    json_object_object_add(e, "date", json_object_new_string(date));
    if (!p->cid && !p->gid)
        json_object_object_add(e, "bucket_id", json_object_new_string(p->bid));
    if (p->cid)
        json_object_object_add(e, "collection_id", json_object_new_string(p->cid));
    if (p->gid)
        json_object_object_add(e, "group_id", json_object_new_string(p->gid));
    if (p->rid)
        json_object_object_add(e, "record_id", json_object_new_string(p->rid));
    json_object *target = json_object_new_object();
    json_object_object_add(target, "data", json_object_get(ev->new));
    json_object_object_add(target, "permissions",
                           ev->action == CINTO_ACTION_DELETE || !ev->permissions
                               ? json_object_new_object()
                               : json_object_get(ev->permissions));
    json_object_object_add(e, "target", target);
    return e;
}

/* Writes one entry: the history list's timestamp, the entry, its ACE. The
 * entry is never older than the change it records (written_at): the
 * record's list may run ahead of the clock, and a snapshot taken at an
 * entry's timestamp (Kinto Admin's history links) must include its change. */
static int store_entry(cinto_ctx *c, const char *bucket_uri, json_object *entry,
                       const cinto_strv *readers, long long written_at)
{
    cinto_storage *st = c->st;
    long long hwm, ts;
    char id[37];
    cinto_uuid4(id);
    int rc = st->ops->lock_list(st, bucket_uri, "history", c->now_ms, &hwm);
    if (rc != CINTO_ST_OK)
        return rc;
    ts = c->now_ms > written_at ? c->now_ms : written_at;
    if (ts <= hwm)
        ts = hwm + 1;
    size_t len;
    const char *text = cinto_json_dump_len(entry, &len);
    rc = st->ops->put(st, bucket_uri, "history", id, ts, text, len, CINTO_ROW_NONE);
    if (rc == CINTO_ST_OK)
        rc = st->ops->raise_timestamp(st, bucket_uri, "history", ts);
    if (rc == CINTO_ST_OK && readers->count) {
        cinto_buf uri = CINTO_BUF_INIT;
        cinto_buf_printf(&uri, "%s/history/%s", bucket_uri, id);
        rc = uri.data ? st->ops->acl_add(st, cinto_buf_str(&uri), "read",
                                         (const char *const *)readers->items, readers->count)
                      : CINTO_ST_NOMEM;
        cinto_buf_free(&uri);
    }
    return rc;
}

/* ---- auto-trimming (spec 06 §6.4 item 5) ---------------------------------------
 *
 * Counting a bucket's entries of one resource name on every write would
 * scan the history on every write. Each worker instead keeps, per (bucket,
 * resource name[, user]), how many of its own writes may pass before the
 * count can exceed max + threshold again, and counts only then: after a
 * trim to max entries that is threshold + 1 writes later, so one count and
 * one purge (of at least threshold entries) serve threshold writes. The
 * price is slack: writes by other workers are seen at the next count, so
 * with W workers a class may hold up to max + W * threshold entries
 * between counts. */

#define TRIM_SLOTS 64

static struct trim_slot {
    char *key; /* "<bucket uri>\n<resource>\n<user or empty>" */
    long long remaining;
} trim_slots[TRIM_SLOTS];
static unsigned trim_next;

static struct trim_slot *trim_slot(const char *key)
{
    for (int i = 0; i < TRIM_SLOTS; i++)
        if (trim_slots[i].key && strcmp(trim_slots[i].key, key) == 0)
            return &trim_slots[i];
    struct trim_slot *s = &trim_slots[trim_next++ % TRIM_SLOTS];
    free(s->key);
    s->key = strdup(key);
    s->remaining = 0; /* unknown: count at once */
    return s->key ? s : NULL;
}

/* Whether an entry belongs to the class being trimmed. */
static int same_class(json_object *e, const char *resource, const char *user)
{
    const char *r = cinto_json_get_string(e, "resource_name");
    const char *u = cinto_json_get_string(e, "user_id");
    return r && strcmp(r, resource) == 0 && (!user || (u && strcmp(u, user) == 0));
}

/* A count of one class in progress: its entries stream newest first, and
 * only the ids of those beyond max are kept. */
typedef struct trim_scan {
    const char *bucket_uri, *resource, *user;
    long long count;
    cinto_strv ids, uris;
} trim_scan;

static int trim_row(void *ctx, cinto_object *row)
{
    trim_scan *t = ctx;
    int rc = 0;
    json_object *e = row->deleted ? NULL : cinto_res_object_json(row);
    if (e && same_class(e, t->resource, t->user) && ++t->count > trim_max) {
        cinto_buf uri = CINTO_BUF_INIT;
        cinto_buf_printf(&uri, "%s/history/%s", t->bucket_uri, row->id);
        if (!uri.data || cinto_strv_push(&t->ids, row->id) < 0 ||
            cinto_strv_push(&t->uris, cinto_buf_str(&uri)) < 0)
            rc = -1;
        cinto_buf_free(&uri);
    }
    json_object_put(e);
    cinto_object_clear(row);
    return rc;
}

/* Counts the class and hard-deletes its oldest entries beyond max. The
 * bucket's history streams through trim_row: a long history is never
 * held whole in the worker. */
static int trim_class(cinto_ctx *c, const char *bucket_uri, const char *resource, const char *user,
                      long long *count)
{
    trim_scan t = {.bucket_uri = bucket_uri, .resource = resource, .user = user};
    cinto_list_query q = {.parent = bucket_uri,
                          .resource = "history",
                          .gt_modified = -1,
                          .lt_modified = -1,
                          .min_modified = -1,
                          .max_modified = -1,
                          .eq_modified = -1,
                          .ne_modified = -1,
                          .limit = LLONG_MAX / 2,
                          .on_row = trim_row,
                          .row_ctx = &t};
    cinto_object_list unused = {0};
    int rc = c->st->ops->list(c->st, &q, &unused); /* newest first */
    *count = t.count;
    if (rc == CINTO_ST_OK && *count > trim_max + trim_threshold)
        rc = c->st->ops->purge_objects(c->st, bucket_uri, "history",
                                       (const char *const *)t.ids.items,
                                       (const char *const *)t.uris.items, t.ids.count);
    cinto_strv_clear(&t.ids);
    cinto_strv_clear(&t.uris);
    return rc;
}

static int trim(cinto_ctx *c, const char *bucket_uri, const char *resource, const char *user)
{
    int by_user = trim_user_ids && trim_user_ids[0];
    if (trim_max <= 0 || (by_user && !(user && listed(trim_user_ids, user))))
        return CINTO_ST_OK;
    if (!by_user)
        user = NULL;
    cinto_buf key = CINTO_BUF_INIT;
    cinto_buf_printf(&key, "%s\n%s\n%s", bucket_uri, resource, user ? user : "");
    struct trim_slot *slot = key.data ? trim_slot(cinto_buf_str(&key)) : NULL;
    cinto_buf_free(&key);
    if (!slot)
        return CINTO_ST_NOMEM;
    if (--slot->remaining > 0)
        return CINTO_ST_OK;
    long long count;
    int rc = trim_class(c, bucket_uri, resource, user, &count);
    if (rc == CINTO_ST_OK)
        slot->remaining = count > trim_max + trim_threshold ? trim_threshold + 1
                                                            : trim_max + trim_threshold - count + 1;
    return rc;
}

/* Not recorded (item 1): history entries themselves, accounts (outside
 * buckets), children removed by a cascade, and a bucket's deletion (its
 * whole history went with it); nor what the exclusions name. */
static int recorded(const cinto_write_event *ev)
{
    if (ev->cascade || strncmp(ev->uri, "/buckets/", 9) != 0 ||
        strcmp(ev->resource, "history") == 0)
        return 0;
    if (ev->action == CINTO_ACTION_DELETE && strcmp(ev->resource, "bucket") == 0)
        return 0;
    if (ev->user && listed(exclude_user_ids, ev->user))
        return 0;
    return !excluded(ev->uri);
}

static int on_write(cinto_ctx *c, const cinto_write_event *ev)
{
    if (!recorded(ev))
        return 0;
    char *copy = strdup(ev->uri);
    parsed_uri p;
    cinto_buf bucket_uri = CINTO_BUF_INIT, collection_uri = CINTO_BUF_INIT;
    cinto_strv readers = {0};
    json_object *entry = NULL;
    int rc = CINTO_ST_NOMEM;
    if (!copy)
        goto done;
    if (parse_uri(copy, &p) < 0) {
        rc = CINTO_ST_OK; /* not an object of a bucket */
        goto done;
    }
    cinto_buf_printf(&bucket_uri, "/buckets/%s", p.bid);
    if (p.cid)
        cinto_buf_printf(&collection_uri, "/buckets/%s/collections/%s", p.bid, p.cid);
    rc = explicit_permissions
             ? entry_readers(c, ev, cinto_buf_str(&bucket_uri),
                             p.cid ? cinto_buf_str(&collection_uri) : NULL, &readers)
             : CINTO_ST_OK;
    if (rc == CINTO_ST_OK) {
        entry = entry_json(ev, &p);
        rc = store_entry(c, cinto_buf_str(&bucket_uri), entry, &readers, ev->timestamp);
    }
    if (rc == CINTO_ST_OK)
        rc = trim(c, cinto_buf_str(&bucket_uri), ev->resource, ev->user);
done:
    json_object_put(entry);
    cinto_strv_clear(&readers);
    cinto_buf_free(&bucket_uri);
    cinto_buf_free(&collection_uri);
    free(copy);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        return -1;
    }
    return 0;
}

/* ---- the history kind and its list route ------------------------------------ */

static int no_check(cinto_rctx *r, json_object *data)
{
    return 0;
}

static int delete_entry(cinto_rctx *r, const char *uri)
{
    int rc = r->c->st->ops->acl_clear(r->c->st, uri);
    if (rc != CINTO_ST_OK)
        cinto_error_storage(r->c, rc);
    return rc == CINTO_ST_OK ? 0 : -1;
}

static const char *const entry_perms[] = {"read", NULL};
static const char *const entry_fields[] = {
    "id",       "last_modified", "deleted",       "user_id",   "uri",
    "action",   "date",          "resource_name", "bucket_id", "collection_id",
    "group_id", "record_id",     "target",        NULL};

static const char *const id_fields[] = {"bucket_id", "collection_id", "group_id", "record_id",
                                        NULL};

/* Entries: nobody creates or edits them; bucket readers read them all,
 * others those their read ACE names (04 §4.7). */
static const cinto_kind_info history_kind = {
    .name = "history",
    .plural = "history",
    .perms = entry_perms,
    .create_perm = NULL,
    .parent_kind = CINTO_KIND_BUCKET,
    .validate = no_check,
    .after_write = no_check,
    .on_delete = delete_entry,
    .strict_fields = entry_fields,
    .string_fields = id_fields,
};

/* ---- collection snapshot (spec 06 §6.5 item 4) -------------------------------- */

/* Whether the requester's principals hold read or write in the ACL rows of
 * the bucket or the collection (ACLs only, not settings grants). */
static int may_snapshot(cinto_ctx *c, const cinto_ace_list *acl)
{
    for (size_t i = 0; i < acl->count; i++) {
        const cinto_ace *a = &acl->items[i];
        if ((strcmp(a->permission, "read") == 0 || strcmp(a->permission, "write") == 0) &&
            cinto_has_principal(c, a->principal))
            return 1;
    }
    return 0;
}

static int newest_first(const void *a, const void *b)
{
    long long x = 0, y = 0;
    cinto_json_is_int64(cinto_json_get(*(json_object *const *)a, "last_modified"), &x);
    cinto_json_is_int64(cinto_json_get(*(json_object *const *)b, "last_modified"), &y);
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Keeps in versions (id -> record or tombstone) the newest version of
 * each record that is not after ts. data is taken over. */
static void offer(json_object *versions, json_object *data, long long ts)
{
    long long lm, have;
    const char *id = cinto_json_get_string(data, "id");
    json_object *cur = id ? cinto_json_get(versions, id) : NULL;
    if (!id || !cinto_json_is_int64(cinto_json_get(data, "last_modified"), &lm) || lm > ts ||
        (cur && cinto_json_is_int64(cinto_json_get(cur, "last_modified"), &have) && have >= lm)) {
        json_object_put(data);
        return;
    }
    json_object_object_add(versions, id, data);
}

typedef struct snapshot_scan {
    json_object *versions;
    long long ts;
    const char *cid;
} snapshot_scan;

static int offer_record(void *ctx, cinto_object *row)
{
    snapshot_scan *s = ctx;
    offer(s->versions, cinto_res_object_json(row), s->ts);
    cinto_object_clear(row);
    return 0;
}

static int offer_entry(void *ctx, cinto_object *row)
{
    snapshot_scan *s = ctx;
    json_object *e = cinto_res_object_json(row);
    cinto_object_clear(row);
    const char *kind = cinto_json_get_string(e, "resource_name");
    const char *ecid = cinto_json_get_string(e, "collection_id");
    if (kind && ecid && strcmp(kind, "record") == 0 && strcmp(ecid, s->cid) == 0)
        offer(s->versions, json_object_get(cinto_json_get(cinto_json_get(e, "target"), "data")),
              s->ts);
    json_object_put(e);
    return 0;
}

static cinto_list_query all_of(const char *parent, const char *resource, int deleted)
{
    cinto_list_query q = {.parent = parent,
                          .resource = resource,
                          .include_deleted = deleted,
                          .gt_modified = -1,
                          .lt_modified = -1,
                          .min_modified = -1,
                          .max_modified = -1,
                          .eq_modified = -1,
                          .ne_modified = -1,
                          .limit = LLONG_MAX / 2};
    return q;
}

/* The records of a collection as they were at ts: the current version
 * when it is not newer than ts, else the newest one history kept. */
static void handle_snapshot(cinto_ctx *c)
{
    char *cid = strdup(c->route.arg); /* "<cid>@<ts>" */
    char *at = cid ? strrchr(cid, '@') : NULL;
    cinto_buf bucket_uri = CINTO_BUF_INIT, collection_uri = CINTO_BUF_INIT;
    cinto_ace_list acl = {0};
    cinto_object_list records = {0}, entries = {0};
    json_object *versions = json_object_new_object(), *list = NULL;
    int rc = CINTO_ST_OK;
    if (!at) {
        cinto_error(c, 404, CINTO_ERRNO_MISSING_RESOURCE,
                    "The resource you are looking for could not be found.", NULL);
        goto done;
    }
    *at = '\0';
    char *end;
    long long ts = strtoll(at + 1, &end, 10);
    if (!at[1] || *end || at[1] == '-' || at[1] == '+' || ts < 0) {
        cinto_error_invalid(c, "path", "timestamp", "timestamp is not a non-negative integer");
        goto done;
    }
    if (!cinto_valid_id(cid)) {
        cinto_error_invalid(c, "path", NULL, "Invalid collection id");
        goto done;
    }
    cinto_buf_printf(&bucket_uri, "/buckets/%s", c->route.bid);
    cinto_buf_printf(&collection_uri, "/buckets/%s/collections/%s", c->route.bid, cid);
    const char *uris[2] = {cinto_buf_str(&bucket_uri), cinto_buf_str(&collection_uri)};
    rc = c->st->ops->acl_get(c->st, 2, uris, &acl);
    if (rc == CINTO_ST_OK)
        rc = cinto_load_principals(c);
    if (rc != CINTO_ST_OK)
        goto done;
    if (!may_snapshot(c, &acl)) {
        cinto_error_denied(c);
        goto done;
    }
    /* Both reads stream (the bucket's history may be far longer than the
     * collection): only the versions offered are kept. */
    snapshot_scan scan = {.versions = versions, .ts = ts, .cid = cid};
    cinto_list_query rq = all_of(uris[1], "record", 1), hq = all_of(uris[0], "history", 0);
    rq.on_row = offer_record;
    hq.on_row = offer_entry;
    rq.row_ctx = hq.row_ctx = &scan;
    rc = c->st->ops->list(c->st, &rq, &records);
    if (rc == CINTO_ST_OK)
        rc = c->st->ops->list(c->st, &hq, &entries);
    if (rc != CINTO_ST_OK)
        goto done;
    list = json_object_new_array();
    json_object_object_foreach(versions, id, v)
    {
        (void)id;
        if (!cinto_json_get(v, "deleted"))
            json_object_array_add(list, json_object_get(v));
    }
    json_object_array_sort(list, newest_first);
    json_object *env = json_object_new_object();
    json_object_object_add(env, "data", list);
    list = NULL;
    cinto_response_json(c->resp, 200, env);
    json_object_put(env);
done:
    if (rc != CINTO_ST_OK)
        cinto_error_storage(c, rc);
    json_object_put(list);
    json_object_put(versions);
    cinto_object_list_free(&records);
    cinto_object_list_free(&entries);
    cinto_ace_list_free(&acl);
    cinto_buf_free(&bucket_uri);
    cinto_buf_free(&collection_uri);
    free(cid);
}

static const cinto_route_def routes[] = {
    {"/buckets/{bid}/snapshot/collections/{arg}", CINTO_READ_METHODS, handle_snapshot, -1, 0,
     CINTO_NEEDS_STORAGE, NULL},
    {"/buckets/{bid}/history", "HEAD, GET, DELETE, OPTIONS", cinto_handle_resource, -1, 1,
     CINTO_NEEDS_STORAGE, &history_kind},
};

/* ---- plugin row -------------------------------------------------------------- */

static int configure(cinto_app *app, cinto_settings *s, char *err, size_t errlen)
{
    cinto_strv_free(exclude_resources);
    cinto_strv_free(exclude_user_ids);
    exclude_resources = exclude_user_ids = NULL;
    cinto_settings_list(s, "history.exclude_resources", &exclude_resources);
    cinto_settings_list(s, "history.exclude_user_ids", &exclude_user_ids);
    explicit_permissions = cinto_settings_bool(s, "explicit_permissions", 1);
    trim_max = cinto_settings_int(s, "history.auto_trim_max_count", 0, NULL);
    trim_threshold = cinto_settings_int(s, "history.auto_trim_threshold", 100, NULL);
    if (trim_threshold < 0)
        trim_threshold = 0;
    cinto_strv_free(trim_user_ids);
    trim_user_ids = NULL;
    cinto_settings_list(s, "history.auto_trim_user_ids", &trim_user_ids);
    return 0;
}

static void capability(cinto_ctx *c, json_object *caps)
{
    json_object *h = cinto_capability("Track changes on data.",
                                      "http://kinto.readthedocs.io/en/latest/api/1.x/history.html");
    if (exclude_resources && exclude_resources[0]) {
        json_object *list = json_object_new_array();
        for (size_t i = 0; exclude_resources[i]; i++) {
            char *copy = strdup(exclude_resources[i]);
            parsed_uri p;
            if (copy && parse_uri(copy, &p) == 0) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "bucket", json_object_new_string(p.bid));
                if (p.cid)
                    json_object_object_add(o, "collection", json_object_new_string(p.cid));
                if (p.gid)
                    json_object_object_add(o, "group", json_object_new_string(p.gid));
                if (p.rid)
                    json_object_object_add(o, "record", json_object_new_string(p.rid));
                json_object_array_add(list, o);
            }
            free(copy);
        }
        json_object_object_add(h, "excluded_resources", list);
    }
    if (trim_max > 0)
        json_object_object_add(h, "auto_trim_max_count", json_object_new_int64(trim_max));
    if (trim_user_ids && trim_user_ids[0]) {
        json_object *users = json_object_new_array();
        for (size_t i = 0; trim_user_ids[i]; i++)
            json_object_array_add(users, json_object_new_string(trim_user_ids[i]));
        json_object_object_add(h, "auto_trim_user_ids", users);
    }
    json_object_object_add(caps, "history", h);
}

static const char *const settings[] = {"history.exclude_resources",   "history.exclude_user_ids",
                                       "history.auto_trim_max_count", "history.auto_trim_threshold",
                                       "history.auto_trim_user_ids",  "explicit_permissions",
                                       "history_read_principals",     NULL};

const cinto_plugin cinto_plugin_history = {
    .name = "kinto.plugins.history",
    .settings = settings,
    .configure = configure,
    .capability = capability,
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .kind = -1,
    .on_write = on_write,
};
