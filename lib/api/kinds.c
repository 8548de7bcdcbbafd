/* What distinguishes buckets, groups, collections and records (spec 03
 * §3.8, cascades of spec 01 §1.13). */
#include "api/errors.h"
#include "api/handlers.h"
#include "api/plugin.h"
#include "api/resource_internal.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const bucket_perms[] = {"read", "write", "collection:create", "group:create",
                                           NULL};
static const char *const collection_perms[] = {"read", "write", "record:create", NULL};
static const char *const rw_perms[] = {"read", "write", NULL};

static int st_fail(cinto_rctx *r, int rc)
{
    if (rc != CINTO_ST_OK)
        cinto_error_storage(r->c, rc);
    return rc == CINTO_ST_OK ? 0 : -1;
}

/* The schema fields are checked against the meta-schema in validation.c. */
static int validate_bucket(cinto_rctx *r, json_object *data)
{
    return 0;
}

static int validate_collection(cinto_rctx *r, json_object *data)
{
    json_object *ce = cinto_json_get(data, "cache_expires");
    if (!ce)
        return 0;
    if (json_object_is_type(ce, json_type_string)) {
        /* Upstream coerces numeric strings ("60") to integers. */
        const char *s = json_object_get_string(ce);
        char *end;
        long long v = strtoll(s, &end, 10);
        if (*s && *end == '\0') {
            json_object_object_add(data, "cache_expires", json_object_new_int64(v));
            return 0;
        }
    } else if (cinto_json_is_int64(ce, NULL)) {
        return 0;
    }
    cinto_error_invalid(r->c, "body", "data.cache_expires", "cache_expires is not an integer");
    return -1;
}

static int validate_group(cinto_rctx *r, json_object *data)
{
    json_object *members = cinto_json_get(data, "members");
    if (!members) {
        json_object_object_add(data, "members", json_object_new_array());
        return 0;
    }
    if (!json_object_is_type(members, json_type_array)) {
        cinto_error_invalid(r->c, "body", "data.members", "members is not an array");
        return -1;
    }
    size_t n = json_object_array_length(members);
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(members, i);
        char name[64], desc[1024];
        snprintf(name, sizeof name, "data.members.%zu", i);
        if (!m || !json_object_is_type(m, json_type_string) || json_object_get_string_len(m) == 0) {
            cinto_error_invalid(r->c, "body", name, "member is not a non-empty string");
            return -1;
        }
        const char *s = json_object_get_string(m);
        if (strcmp(s, "system.Everyone") == 0 || strncmp(s, "/buckets/", 9) == 0) {
            snprintf(desc, sizeof desc, "'%.900s' is not a valid user ID.", s);
            cinto_error_invalid(r->c, "body", name, desc);
            return -1;
        }
    }
    return 0;
}

/* Kinds owned by a plugin (accounts) are checked by its validate hook,
 * cinto_plugins_validate. */
static int validate_nothing(cinto_rctx *r, json_object *data)
{
    return 0;
}

/* The membership index follows the group's members in the same
 * transaction (spec 04 §4.2 item 4). */
static int group_after_write(cinto_rctx *r, json_object *data)
{
    json_object *members = cinto_json_get(data, "members");
    size_t n = members ? json_object_array_length(members) : 0;
    const char **list = calloc(n + 1, sizeof *list);
    if (!list)
        return st_fail(r, CINTO_ST_NOMEM);
    for (size_t i = 0; i < n; i++)
        list[i] = json_object_get_string(json_object_array_get_idx(members, i));
    int rc = r->c->st->ops->set_members(r->c->st, r->uri, list, n);
    free(list);
    return st_fail(r, rc);
}

static int no_after_write(cinto_rctx *r, json_object *data)
{
    return 0;
}

typedef struct cascade {
    cinto_rctx *r;
    int vetoed;
} cascade;

/* One child a cascade deletes, as a write event; a tombstone it purges
 * is reported as such (purged), for listeners that count them. */
static int report_child(void *arg, const char *parent, const char *resource, const cinto_object *o)
{
    cascade *cs = arg;
    const char *plural = NULL;
    for (int k = 0; k < CINTO_KIND_COUNT && !plural; k++)
        if (strcmp(cinto_kinds[k].name, resource) == 0)
            plural = cinto_kinds[k].plural;
    cinto_buf uri = CINTO_BUF_INIT;
    cinto_buf_printf(&uri, "%s/%s/%s", parent, plural ? plural : resource, o->id);
    json_object *old = cinto_res_object_json(o);
    json_object *tomb = o->deleted ? json_object_get(old) : json_object_new_object();
    if (!o->deleted) {
        json_object_object_add(tomb, "id", json_object_new_string(o->id));
        json_object_object_add(tomb, "last_modified", json_object_new_int64(cs->r->c->now_ms));
        json_object_object_add(tomb, "deleted", json_object_new_boolean(1));
    }
    cinto_write_event ev = {
        .action = CINTO_ACTION_DELETE,
        .resource = resource,
        .uri = cinto_buf_str(&uri),
        .id = o->id,
        .old = old,
        .new = tomb,
        .user = cs->r->c->userid,
        .timestamp = cs->r->c->now_ms,
        .cascade = 1,
        .purged = o->deleted,
    };
    int built = uri.data != NULL;
    int rc = built ? cinto_report_write(cs->r->c, &ev) : -1;
    cs->vetoed = built && rc < 0;
    json_object_put(old);
    json_object_put(tomb);
    cinto_buf_free(&uri);
    if (!built)
        return CINTO_ST_NOMEM;
    return rc < 0 ? CINTO_ST_FAIL : CINTO_ST_OK;
}

/* Buckets and collections take everything below them along, for good;
 * listeners hear of each child first (read in one query, only when a
 * plugin listens). */
static int delete_tree(cinto_rctx *r, const char *uri)
{
    if (cinto_write_listened(r->c->app)) {
        cascade cs = {r, 0};
        int rc = r->c->st->ops->each_below(r->c->st, uri, report_child, &cs);
        if (cs.vetoed)
            return -1;
        if (rc != CINTO_ST_OK)
            return st_fail(r, rc);
    }
    int rc = r->c->st->ops->purge_below(r->c->st, uri, r->c->now_ms);
    if (rc == CINTO_ST_OK)
        rc = r->c->st->ops->acl_clear(r->c->st, uri);
    return st_fail(r, rc);
}

static int delete_group(cinto_rctx *r, const char *uri)
{
    int rc = r->c->st->ops->set_members(r->c->st, uri, NULL, 0);
    if (rc == CINTO_ST_OK)
        rc = r->c->st->ops->acl_clear(r->c->st, uri);
    return st_fail(r, rc);
}

static int delete_leaf(cinto_rctx *r, const char *uri)
{
    return st_fail(r, r->c->st->ops->acl_clear(r->c->st, uri));
}

const cinto_kind_info cinto_kinds[CINTO_KIND_COUNT] = {
    [CINTO_KIND_BUCKET] = {"bucket", "buckets", bucket_perms, "bucket:create", -1, validate_bucket,
                           no_after_write, delete_tree},
    [CINTO_KIND_GROUP] = {"group", "groups", rw_perms, "group:create", CINTO_KIND_BUCKET,
                          validate_group, group_after_write, delete_group},
    [CINTO_KIND_COLLECTION] = {"collection", "collections", collection_perms, "collection:create",
                               CINTO_KIND_BUCKET, validate_collection, no_after_write, delete_tree},
    [CINTO_KIND_RECORD] = {"record", "records", rw_perms, "record:create", CINTO_KIND_COLLECTION,
                           validate_nothing, no_after_write, delete_leaf},
    [CINTO_KIND_ACCOUNT] = {"account", "accounts", rw_perms, "account:create", -1,
                            cinto_plugins_validate, no_after_write, cinto_plugins_remove},
};
