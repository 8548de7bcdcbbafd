/* DELETE /__user_data__/{principal} (spec 06 §6.10, UTIL-7), upstream's
 * GDPR helper, for the principals of kinto.user-data_delete_principals
 * only. Objects whose write ACE is exactly {principal} ("owned": nobody
 * else can write them) are deleted as a DELETE of each would (tombstones,
 * cascades, write events), ancestors first so that a cascade takes their
 * owned children along; then the principal leaves every other ACE and
 * every group membership. One transaction: all or nothing.
 *
 * Reads: the principal's ACL rows (one statement), the write ACEs of
 * those objects (one statement per 4), then per owned object what its
 * DELETE reads. */
#include "api/errors.h"
#include "api/handlers.h"
#include "api/resource_internal.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

/* An object URI split into its kind and ids (pointers into a copy). */
typedef struct target {
    enum cinto_kind kind;
    char *copy;
    const char *ids[CINTO_KIND_COUNT];
} target;

static int parse_target(const char *uri, target *t)
{
    memset(t, 0, sizeof *t);
    t->copy = strdup(uri);
    if (!t->copy)
        return -1;
    char *seg[7];
    size_t n = 0;
    for (char *save = NULL, *s = strtok_r(t->copy, "/", &save); s && n < 7;
         s = strtok_r(NULL, "/", &save))
        seg[n++] = s;
    if (n == 2 && strcmp(seg[0], "accounts") == 0) {
        t->kind = CINTO_KIND_ACCOUNT;
        t->ids[CINTO_KIND_ACCOUNT] = seg[1];
        return 0;
    }
    if (n < 2 || n % 2 || n > 6 || strcmp(seg[0], "buckets") != 0)
        return -1;
    t->ids[CINTO_KIND_BUCKET] = seg[1];
    t->kind = CINTO_KIND_BUCKET;
    if (n == 4 && strcmp(seg[2], "groups") == 0) {
        t->kind = CINTO_KIND_GROUP;
        t->ids[CINTO_KIND_GROUP] = seg[3];
        return 0;
    }
    if (n >= 4) {
        if (strcmp(seg[2], "collections") != 0)
            return -1;
        t->kind = CINTO_KIND_COLLECTION;
        t->ids[CINTO_KIND_COLLECTION] = seg[3];
    }
    if (n == 6) {
        if (strcmp(seg[4], "records") != 0)
            return -1;
        t->kind = CINTO_KIND_RECORD;
        t->ids[CINTO_KIND_RECORD] = seg[5];
    }
    return 0;
}

/* A request context on one object, as the resource layer builds from a
 * route. */
static int open_object(cinto_rctx *r, cinto_ctx *c, const target *t)
{
    memset(r, 0, sizeof *r);
    r->c = c;
    r->kind = t->kind;
    r->ki = &cinto_kinds[t->kind];
    for (int k = 0; k < CINTO_KIND_COUNT; k++)
        r->ids[k] = t->ids[k];
    cinto_buf u = CINTO_BUF_INIT;
    if (t->ids[CINTO_KIND_ACCOUNT]) {
        cinto_buf_printf(&u, "/accounts/%s", t->ids[CINTO_KIND_ACCOUNT]);
        r->uris[CINTO_KIND_ACCOUNT] = cinto_buf_steal(&u);
    }
    if (t->ids[CINTO_KIND_BUCKET]) {
        cinto_buf_printf(&u, "/buckets/%s", t->ids[CINTO_KIND_BUCKET]);
        r->uris[CINTO_KIND_BUCKET] = cinto_buf_steal(&u);
    }
    if (t->ids[CINTO_KIND_GROUP]) {
        cinto_buf_printf(&u, "%s/groups/%s", r->uris[CINTO_KIND_BUCKET], t->ids[CINTO_KIND_GROUP]);
        r->uris[CINTO_KIND_GROUP] = cinto_buf_steal(&u);
    }
    if (t->ids[CINTO_KIND_COLLECTION]) {
        cinto_buf_printf(&u, "%s/collections/%s", r->uris[CINTO_KIND_BUCKET],
                         t->ids[CINTO_KIND_COLLECTION]);
        r->uris[CINTO_KIND_COLLECTION] = cinto_buf_steal(&u);
    }
    if (t->ids[CINTO_KIND_RECORD]) {
        cinto_buf_printf(&u, "%s/records/%s", r->uris[CINTO_KIND_COLLECTION],
                         t->ids[CINTO_KIND_RECORD]);
        r->uris[CINTO_KIND_RECORD] = cinto_buf_steal(&u);
    }
    int pk = r->ki->parent_kind;
    r->parent = strdup(pk < 0 ? "" : (r->uris[pk] ? r->uris[pk] : ""));
    cinto_buf_printf(&u, "%s/%s/", r->parent ? r->parent : "", r->ki->plural);
    r->list_prefix = cinto_buf_steal(&u);
    r->id = t->ids[t->kind];
    r->uri = r->uris[t->kind] ? strdup(r->uris[t->kind]) : NULL;
    return r->parent && r->list_prefix && r->uri ? 0 : -1;
}

static void close_object(cinto_rctx *r)
{
    if (r->in_tx)
        r->c->st->ops->rollback(r->c->st);
    for (int k = 0; k < CINTO_KIND_COUNT; k++) {
        free(r->uris[k]);
        cinto_object_clear(&r->objs[k]);
    }
    cinto_ace_list_free(&r->acl);
    free(r->parent);
    free(r->uri);
    free(r->list_prefix);
}

/* Deletes one object as its DELETE would, in a savepoint of the caller's
 * transaction; an object already gone is skipped. -1 after answering. */
static int delete_object(cinto_ctx *c, const char *uri)
{
    target t;
    cinto_rctx r;
    int ret = -1;
    if (parse_target(uri, &t) < 0) {
        free(t.copy);
        return 0; /* not an object this server stores (history entry...) */
    }
    if (open_object(&r, c, &t) < 0) {
        cinto_error_internal(c, "out of memory");
        goto done;
    }
    if (cinto_res_begin_write(&r) < 0 || cinto_res_fetch_chain(&r, NULL) < 0)
        goto done;
    if (cinto_obj_exists(&r, r.kind)) {
        long long ts;
        if (cinto_res_timestamp(&r, -1, r.objs[r.kind].last_modified, &ts) < 0 ||
            cinto_res_delete_one(&r, r.id, r.uri, ts, &r.objs[r.kind], NULL) < 0)
            goto done;
    }
    ret = cinto_res_commit(&r);
done:
    close_object(&r);
    free(t.copy);
    return ret;
}

static int by_uri(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether an ancestor of uri is in the sorted list (its deletion takes
 * uri along). */
static int has_ancestor(char **sorted, size_t n, const char *uri)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(sorted[i]);
        if (strncmp(uri, sorted[i], len) == 0 && uri[len] == '/')
            return 1;
    }
    return 0;
}

/* The URIs the principal alone may write. */
static int owned_objects(cinto_ctx *c, const char *principal, cinto_strv *owned)
{
    cinto_ace_list mine = {0}, writers = {0};
    cinto_strv uris = {0};
    int rc = c->st->ops->acl_of_principal(c->st, principal, &mine);
    for (size_t i = 0; i < mine.count && rc == CINTO_ST_OK; i++)
        if (strcmp(mine.items[i].permission, "write") == 0 &&
            cinto_strv_push(&uris, mine.items[i].uri) < 0)
            rc = CINTO_ST_NOMEM;
    if (rc == CINTO_ST_OK && uris.count)
        rc = c->st->ops->acl_get(c->st, uris.count, (const char *const *)uris.items, &writers);
    for (size_t i = 0; i < uris.count && rc == CINTO_ST_OK; i++) {
        int others = 0;
        for (size_t k = 0; k < writers.count && !others; k++)
            others = strcmp(writers.items[k].uri, uris.items[i]) == 0 &&
                     strcmp(writers.items[k].permission, "write") == 0 &&
                     strcmp(writers.items[k].principal, principal) != 0;
        if (!others && cinto_strv_push(owned, uris.items[i]) < 0)
            rc = CINTO_ST_NOMEM;
    }
    cinto_ace_list_free(&mine);
    cinto_ace_list_free(&writers);
    cinto_strv_clear(&uris);
    if (owned->count)
        qsort(owned->items, owned->count, sizeof *owned->items, by_uri);
    return rc;
}

void cinto_handle_user_data(cinto_ctx *c)
{
    const char *path = c->req->path, *slash = strrchr(path, '/');
    const char *principal = slash ? slash + 1 : "";
    cinto_strv owned = {0};
    int began = 0;
    int rc = cinto_load_principals(c);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        return;
    }
    int allowed = 0;
    char **grant = cinto_app_grant(c->app, "user-data_delete");
    for (size_t i = 0; grant && grant[i] && !allowed; i++)
        allowed = cinto_has_principal(c, grant[i]);
    if (!allowed) {
        cinto_error_denied(c);
        return;
    }
    if (!*principal) {
        cinto_error_invalid(c, "path", "principal", "Required");
        return;
    }
    rc = c->st->ops->begin(c->st);
    began = rc == CINTO_ST_OK;
    if (rc == CINTO_ST_OK)
        rc = owned_objects(c, principal, &owned);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        goto done;
    }
    /* Ancestors first (sorted URIs); their cascades take owned children. */
    for (size_t i = 0; i < owned.count; i++) {
        if (has_ancestor(owned.items, i, owned.items[i]))
            continue;
        if (delete_object(c, owned.items[i]) < 0)
            goto done;
    }
    rc = c->st->ops->forget_principal(c->st, principal);
    if (rc == CINTO_ST_OK)
        rc = c->st->ops->commit(c->st);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        goto done;
    }
    began = 0;
    json_object *data = json_object_new_object();
    json_object_object_add(data, "principal", json_object_new_string(principal));
    json_object *env = json_object_new_object();
    json_object_object_add(env, "data", data);
    cinto_response_json(c->resp, 200, env);
    json_object_put(env);
done:
    if (began)
        c->st->ops->rollback(c->st);
    cinto_strv_clear(&owned);
}
