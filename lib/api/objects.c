/* GET/HEAD, PUT, PATCH and DELETE on one object (spec 01, 03). */
#include "api/errors.h"
#include "api/handlers.h"
#include "api/plugin.h"
#include "api/resource_internal.h"
#include "patch/patch.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const json_types[] = {"application/json", NULL};
static const char *const patch_types[] = {"application/json", "application/merge-patch+json",
                                          "application/json-patch+json", NULL};

static const char *kind_name(const cinto_rctx *r)
{
    return r->ki->name;
}

/* Spec 01 §1.14 rule 1: record writes on a missing collection are answered
 * 404 before anything else. */
static int record_parent_check(cinto_rctx *r)
{
    if (r->kind == CINTO_KIND_RECORD && !cinto_obj_exists(r, CINTO_KIND_COLLECTION)) {
        cinto_error_not_found(r->c, CINTO_ERRNO_MISSING_RESOURCE, r->ids[CINTO_KIND_COLLECTION],
                              "collection");
        return -1;
    }
    return 0;
}

/* After authorization: the parent object must exist (rule 3). */
static int parent_exists_check(cinto_rctx *r)
{
    int pk = r->ki->parent_kind;
    if (pk >= 0 && !cinto_obj_exists(r, (enum cinto_kind)pk)) {
        cinto_error_not_found(r->c, CINTO_ERRNO_MISSING_RESOURCE, r->ids[pk], cinto_kinds[pk].name);
        return -1;
    }
    return 0;
}

static int deny(cinto_rctx *r)
{
    cinto_error_denied(r->c);
    return -1;
}

static void answer_object(cinto_rctx *r, int status, json_object *data, json_object *acl,
                          long long ts)
{
    json_object *env = cinto_res_envelope(r, data, acl);
    cinto_response_json(r->c->resp, status, env);
    json_object_put(env);
    cinto_res_set_etag(r, ts);
}

void cinto_res_object_get(cinto_rctx *r)
{
    cinto_precond p;
    const char *fields;
    if (cinto_res_fetch_chain(r, NULL) < 0 || cinto_res_check_accept(r) < 0 ||
        cinto_res_load_acl(r, NULL) < 0)
        return;
    int attrs = r->kind == CINTO_KIND_BUCKET || r->kind == CINTO_KIND_COLLECTION;
    if (!cinto_perm_allowed(r, r->kind, attrs ? "read:attributes" : "read")) {
        deny(r);
        return;
    }
    if (parent_exists_check(r) < 0)
        return;
    /* Upstream reads the list's timestamp on object endpoints too; a list
     * holding a row (live or tombstone) has one, so only a missing
     * object's read costs a query. */
    long long list_ts;
    if (r->c->cfg->readonly && !r->found[r->kind] && cinto_res_list_ts(r, &list_ts) < 0)
        return;
    if (cinto_res_parse_preconditions(r, &p) < 0 || cinto_res_check_fields(r, &fields) < 0 ||
        cinto_res_check_path_id(r) < 0)
        return;
    if (!cinto_obj_exists(r, r->kind)) {
        cinto_error_not_found(r->c, CINTO_ERRNO_INVALID_RESOURCE_ID, r->id, kind_name(r));
        return;
    }
    cinto_object *o = &r->objs[r->kind];
    if (p.has_none && !p.none_star && p.none_ts == o->last_modified) {
        r->c->resp->status = 304;
        cinto_res_set_etag(r, o->last_modified);
        return;
    }
    if (cinto_res_check_412(r, &p, o, 0) < 0)
        return;
    json_object *data = cinto_res_object_json(o);
    if (fields)
        cinto_res_project(data, fields);
    json_object *acl = cinto_acl_of(r, r->uri);
    answer_object(r, 200, data, acl, o->last_modified);
    json_object_put(acl);
    cinto_res_cache_headers(r);
}

/* New ACL for PUT (spec 03 §3.7): creation takes P's non-null entries; a
 * replacement with at least one non-null entry replaces every ACE. */
static json_object *put_acl(cinto_rctx *r, json_object *perms, int creating)
{
    int any = 0;
    json_object_object_foreach(perms, k, v)
    {
        (void)k;
        any |= v != NULL;
    }
    if (!creating && !any)
        return cinto_acl_of(r, r->uri);
    json_object *acl = json_object_new_object();
    json_object_object_foreach(perms, k2, v2)
    {
        if (v2 && json_object_array_length(v2))
            json_object_object_add(acl, k2, cinto_json_copy(v2));
    }
    return acl;
}

static int check_body_id(cinto_rctx *r, json_object *data)
{
    json_object *id = cinto_json_get(data, "id");
    if (id && (!json_object_is_type(id, json_type_string) ||
               strcmp(json_object_get_string(id), r->id) != 0)) {
        cinto_error_invalid(r->c, "body", "id", "Object id does not match existing object");
        return -1;
    }
    return 0;
}

void cinto_res_object_put(cinto_rctx *r)
{
    cinto_precond p;
    cinto_body b = {0};
    json_object *data = NULL, *acl = NULL, *old_acl = NULL;
    if (cinto_res_begin_write(r) < 0 || cinto_res_fetch_chain(r, NULL) < 0 ||
        record_parent_check(r) < 0 || cinto_res_check_content_type(r, json_types) < 0 ||
        cinto_res_check_accept(r) < 0 || cinto_res_load_acl(r, NULL) < 0)
        goto done;
    int exists = cinto_obj_exists(r, r->kind);
    int none_star = r->c->req->if_none_match && strcmp(r->c->req->if_none_match, "*") == 0;
    int ok = exists && !none_star ? cinto_perm_allowed(r, r->kind, "write")
                                  : cinto_perm_create_allowed(r);
    if (!ok) {
        deny(r);
        goto done;
    }
    if (parent_exists_check(r) < 0 || cinto_res_parse_body(r, 0, NULL, &b) < 0 ||
        cinto_res_parse_preconditions(r, &p) < 0 || cinto_res_check_path_id(r) < 0)
        goto done;
    cinto_object *o = &r->objs[r->kind];
    if (cinto_res_check_412(r, &p, exists ? o : NULL, r->hwm) < 0)
        goto done;
    if (b.data)
        data = cinto_json_copy(b.data);
    else if (exists)
        data = cinto_res_object_json(o);
    else
        data = json_object_new_object();
    if (check_body_id(r, data) < 0)
        goto done;
    /* The path names the object: validations see its id. */
    json_object_object_add(data, "id", json_object_new_string(r->id));
    if (r->ki->validate(r, data) < 0 || cinto_res_validate_schemas(r, data, 0) < 0)
        goto done;
    long long ts;
    long long client = cinto_res_client_lm(cinto_json_get(data, "last_modified"));
    if (cinto_res_timestamp(r, client, exists ? o->last_modified : -1, &ts) < 0)
        goto done;
    /* What is stored, even for a new object: the ACL rows read with it. */
    old_acl = cinto_acl_of(r, r->uri);
    acl = b.perms ? put_acl(r, b.perms, !exists)
                  : (exists ? cinto_acl_of(r, r->uri) : json_object_new_object());
    cinto_res_add_editor(r, acl);
    if (cinto_res_store(r, r->id, r->uri, data, ts, r->found[r->kind]) < 0 ||
        cinto_res_write_acl(r, r->uri, old_acl, acl) < 0 ||
        cinto_res_notify(r, exists ? CINTO_ACTION_UPDATE : CINTO_ACTION_CREATE, r->id, r->uri,
                         exists ? o : NULL, NULL, data, acl, ts) < 0 ||
        cinto_res_commit(r) < 0)
        goto done;
    answer_object(r, exists ? 200 : 201, data, acl, ts);
    data = NULL;
done:
    json_object_put(data);
    json_object_put(acl);
    json_object_put(old_acl);
    cinto_res_body_free(&b);
}

/* Keys of the request's data whose stored value changed (light), and of
 * those, the ones whose final value differs from what was sent (diff). */
static json_object *behavior_data(json_object *sent, json_object *before, json_object *after,
                                  int diff)
{
    json_object *out = json_object_new_object();
    json_object_object_foreach(sent, k, v)
    {
        json_object *old = NULL, *now = NULL;
        int had = json_object_object_get_ex(before, k, &old);
        int has = json_object_object_get_ex(after, k, &now);
        if (!has)
            continue;
        if (had && cinto_json_equal(old, now))
            continue;
        if (diff && cinto_json_equal(v, now))
            continue;
        json_object_object_add(out, k, json_object_get(now));
    }
    return out;
}

/* Applies the ACL part of a json or merge PATCH (spec 03 §3.7). */
static void patch_acl(json_object *acl, json_object *perms, int merge)
{
    if (!perms)
        return;
    json_object_object_foreach(perms, k, v)
    {
        if (!v) {
            if (merge)
                json_object_object_del(acl, k);
            continue;
        }
        json_object_object_add(acl, k, cinto_json_copy(v));
    }
}

void cinto_res_object_patch(cinto_rctx *r)
{
    cinto_precond p;
    cinto_body b = {0};
    json_object *data = NULL, *before = NULL, *acl = NULL, *old_acl = NULL, *sent = NULL;
    if (cinto_res_begin_write(r) < 0 || cinto_res_fetch_chain(r, NULL) < 0 ||
        record_parent_check(r) < 0)
        goto done;
    int flavour = cinto_res_check_content_type(r, patch_types);
    if (flavour < 0 || cinto_res_check_accept(r) < 0 || cinto_res_load_acl(r, NULL) < 0)
        goto done;
    int exists = cinto_obj_exists(r, r->kind);
    if (!(exists ? cinto_perm_allowed(r, r->kind, "write") : cinto_perm_list_allowed(r, "read"))) {
        deny(r);
        goto done;
    }
    if (parent_exists_check(r) < 0 || cinto_res_parse_body(r, flavour == 2, NULL, &b) < 0 ||
        cinto_res_parse_preconditions(r, &p) < 0)
        goto done;
    const char *behavior = r->c->req->response_behavior;
    if (behavior && strcmp(behavior, "full") && strcmp(behavior, "light") &&
        strcmp(behavior, "diff")) {
        cinto_error_invalid(r->c, "header", "Response-Behavior",
                            "Response-Behavior should be one of full, light, diff");
        goto done;
    }
    if (cinto_res_check_path_id(r) < 0)
        goto done;
    if (!exists) {
        cinto_error_not_found(r->c, CINTO_ERRNO_INVALID_RESOURCE_ID, r->id, kind_name(r));
        goto done;
    }
    cinto_object *o = &r->objs[r->kind];
    if (cinto_res_check_412(r, &p, o, r->hwm) < 0)
        goto done;
    before = cinto_res_object_json(o);
    old_acl = cinto_acl_of(r, r->uri);
    if (flavour == 2) {
        char err[512];
        json_object *new_data = NULL, *new_perms = NULL;
        if (cinto_kinto_json_patch(before, old_acl, r->ki->perms, b.root, &new_data, &new_perms,
                                   err, sizeof err) < 0) {
            if (strncmp(err, CINTO_PATCH_ERR_PREFIX, strlen(CINTO_PATCH_ERR_PREFIX)) != 0)
                cinto_error_internal(r->c, err);
            else
                cinto_error_invalid(r->c, "body", NULL, err);
            goto done;
        }
        data = new_data;
        acl = new_perms;
        sent = json_object_get(data);
    } else {
        if (!b.data && !b.perms) {
            cinto_error_invalid(r->c, "body", "data",
                                "Provide at least one of data or permissions");
            goto done;
        }
        data = cinto_json_copy(before);
        if (b.data) {
            if (flavour == 1) {
                if (cinto_merge_patch(&data, b.data) < 0) {
                    cinto_error_internal(r->c, "merge patch failed");
                    goto done;
                }
            } else {
                json_object_object_foreach(b.data, k, v)
                    json_object_object_add(data, k, cinto_json_copy(v));
            }
        }
        acl = cinto_json_copy(old_acl);
        patch_acl(acl, b.perms, flavour == 1);
        sent = b.data ? json_object_get(b.data) : json_object_new_object();
    }
    if (!data || !json_object_is_type(data, json_type_object)) {
        cinto_error_invalid(r->c, "body", "data", "the result is not a JSON object");
        goto done;
    }
    if (check_body_id(r, data) < 0 || r->ki->validate(r, data) < 0 ||
        cinto_res_validate_schemas(r, data, 1) < 0)
        goto done;
    long long ts;
    long long client = cinto_res_client_lm(cinto_json_get(data, "last_modified"));
    if (client == o->last_modified)
        client = -1;
    if (cinto_res_timestamp(r, client, o->last_modified, &ts) < 0)
        goto done;
    cinto_res_add_editor(r, acl);
    if (cinto_res_store(r, r->id, r->uri, data, ts, r->found[r->kind]) < 0 ||
        cinto_res_write_acl(r, r->uri, old_acl, acl) < 0 ||
        cinto_res_notify(r, CINTO_ACTION_UPDATE, r->id, r->uri, NULL, before, data, acl, ts) < 0 ||
        cinto_res_commit(r) < 0)
        goto done;
    json_object *out = data;
    if (behavior && strcmp(behavior, "full") != 0) {
        out = behavior_data(sent, before, data, strcmp(behavior, "diff") == 0);
        json_object_put(data);
    }
    data = NULL;
    answer_object(r, 200, out, acl, ts);
done:
    json_object_put(data);
    json_object_put(before);
    json_object_put(acl);
    json_object_put(old_acl);
    json_object_put(sent);
    cinto_res_body_free(&b);
}

/* ?last_modified=N forces the tombstone's timestamp (spec 01 §1.7). */
static long long query_lm(cinto_rctx *r)
{
    const cinto_query_param *q = cinto_query_last(&r->c->query, "last_modified");
    if (!q)
        return -1;
    char *end;
    long long v = strtoll(q->value, &end, 10);
    return *q->value && *end == '\0' && v >= 0 ? v : -1;
}

void cinto_res_object_delete(cinto_rctx *r)
{
    cinto_precond p;
    if (cinto_res_begin_write(r) < 0 || cinto_res_fetch_chain(r, NULL) < 0 ||
        record_parent_check(r) < 0 || cinto_res_check_accept(r) < 0 ||
        cinto_res_load_acl(r, NULL) < 0)
        return;
    int exists = cinto_obj_exists(r, r->kind);
    if (!(exists ? cinto_perm_allowed(r, r->kind, "write") : cinto_perm_list_allowed(r, "read"))) {
        deny(r);
        return;
    }
    if (parent_exists_check(r) < 0 || cinto_res_parse_preconditions(r, &p) < 0 ||
        cinto_res_check_path_id(r) < 0)
        return;
    if (!exists) {
        cinto_error_not_found(r->c, CINTO_ERRNO_INVALID_RESOURCE_ID, r->id, kind_name(r));
        return;
    }
    cinto_object *o = &r->objs[r->kind];
    if (cinto_res_check_412(r, &p, o, r->hwm) < 0)
        return;
    long long ts;
    if (cinto_res_timestamp(r, query_lm(r), o->last_modified, &ts) < 0 ||
        cinto_res_delete_one(r, r->id, r->uri, ts, o, NULL) < 0 || cinto_res_commit(r) < 0)
        return;
    json_object *data = json_object_new_object();
    json_object_object_add(data, "id", json_object_new_string(r->id));
    json_object_object_add(data, "last_modified", json_object_new_int64(ts));
    json_object_object_add(data, "deleted", json_object_new_boolean(1));
    json_object *env = json_object_new_object();
    json_object_object_add(env, "data", data);
    cinto_response_json(r->c->resp, 200, env);
    json_object_put(env);
    cinto_res_set_etag(r, ts);
}
