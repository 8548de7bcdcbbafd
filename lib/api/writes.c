/* What every write shares: body validation (spec 03 §3.1), timestamps
 * (spec 01 §1.6-1.7), storing, ACL changes (spec 03 §3.7), deletion. */
#include "util/log.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/plugin.h"
#include "api/resource_internal.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUTURE_LIMIT_MS (24LL * 3600 * 1000)

void cinto_res_body_free(cinto_body *b)
{
    json_object_put(b->root);
    memset(b, 0, sizeof *b);
}

static int invalid_body(cinto_rctx *r, const char *name, const char *desc)
{
    cinto_error_invalid(r->c, "body", name, desc);
    return -1;
}

static int check_permissions(cinto_rctx *r, json_object *perms)
{
    const char *const *allowed = r->ki->perms;
    if (!json_object_is_type(perms, json_type_object))
        return invalid_body(r, "permissions", "permissions is not a JSON object");
    json_object_object_foreach(perms, key, val)
    {
        int ok = 0;
        for (int i = 0; allowed[i]; i++)
            ok |= strcmp(allowed[i], key) == 0;
        if (!ok) {
            cinto_buf d = CINTO_BUF_INIT;
            cinto_buf_printf(&d, "\"%.200s\" is not one of ", key);
            for (int i = 0; allowed[i]; i++)
                cinto_buf_printf(&d, "%s%s", i ? ", " : "", allowed[i]);
            invalid_body(r, "permissions", cinto_buf_str(&d));
            cinto_buf_free(&d);
            return -1;
        }
        if (!val)
            continue;
        if (!json_object_is_type(val, json_type_array))
            return invalid_body(r, "permissions", "permission values must be arrays of strings");
        for (size_t i = 0; i < json_object_array_length(val); i++) {
            json_object *p = json_object_array_get_idx(val, i);
            if (!p || !json_object_is_type(p, json_type_string))
                return invalid_body(r, "permissions", "principals must be strings");
        }
    }
    return 0;
}

int cinto_res_parse_body(cinto_rctx *r, int json_patch, json_object *parsed, cinto_body *b)
{
    memset(b, 0, sizeof *b);
    cinto_request *req = r->c->req;
    char err[512];
    int is_null = 0;
    const char *text = req->body_len ? req->body : (json_patch ? "[]" : "{}");
    size_t len = req->body_len ? req->body_len : 2;
    /* A body already parsed (POST reads data.id early) is not parsed again. */
    b->root =
        parsed ? json_object_get(parsed) : cinto_json_parse(text, len, &is_null, err, sizeof err);
    if (!b->root) {
        if (is_null)
            snprintf(err, sizeof err, "Invalid JSON: the body must be a JSON %s",
                     json_patch ? "array" : "object");
        cinto_error_body_unusable(r->c, err);
        return -1;
    }
    if (!json_object_is_type(b->root, json_type_object) &&
        !json_object_is_type(b->root, json_type_array)) {
        snprintf(err, sizeof err, "Invalid JSON: the body must be a JSON %s",
                 json_patch ? "array" : "object");
        cinto_error_body_unusable(r->c, err);
        return -1;
    }
    if (json_patch) {
        if (!json_object_is_type(b->root, json_type_array))
            return invalid_body(r, "", "Invalid JSON: a JSON Patch body must be an array");
        return 0;
    }
    if (!json_object_is_type(b->root, json_type_object))
        return invalid_body(r, "", "Invalid JSON: the body must be a JSON object");
    json_object_object_foreach(b->root, key, val)
    {
        if (strcmp(key, "data") == 0) {
            if (!val || !json_object_is_type(val, json_type_object))
                return invalid_body(r, "data", "data is not a JSON object");
            b->data = val;
        } else if (strcmp(key, "permissions") == 0) {
            if (!val)
                return invalid_body(r, "permissions", "permissions is not a JSON object");
            if (check_permissions(r, val) < 0)
                return -1;
            b->perms = val;
        } else {
            char d[512];
            snprintf(d, sizeof d, "Unrecognized keys in mapping: '%.400s'", key);
            return invalid_body(r, "", d);
        }
    }
    return 0;
}

long long cinto_res_client_lm(json_object *v)
{
    long long lm;
    if (cinto_json_is_int64(v, &lm) && lm >= 0)
        return lm;
    return -1;
}

int cinto_res_timestamp(cinto_rctx *r, long long client_lm, long long current_lm, long long *ts)
{
    if (client_lm >= 0 && (current_lm < 0 || client_lm > current_lm)) {
        if (client_lm > r->c->now_ms + FUTURE_LIMIT_MS) {
            cinto_error_invalid(r->c, "body", "data.last_modified",
                                "last_modified is more than 24 hours in the future");
            return -1;
        }
        *ts = client_lm == r->hwm ? r->hwm + 1 : client_lm;
    } else {
        *ts = r->c->now_ms > r->hwm ? r->c->now_ms : r->hwm + 1;
    }
    return 0;
}

static int st_check(cinto_rctx *r, int rc)
{
    if (rc == CINTO_ST_OK)
        return 0;
    cinto_error_storage(r->c, rc);
    return -1;
}

/* Stores data (id and last_modified are columns, not data) and moves the
 * list's mark up to ts. */
int cinto_res_store(cinto_rctx *r, const char *id, const char *uri, json_object *data, long long ts,
                    int row_exists)
{
    cinto_storage *st = r->c->st;
    json_object_object_del(data, "id");
    json_object_object_del(data, "last_modified");
    size_t len;
    const char *text = cinto_json_dump_len(data, &len);
    /* The row read under the list lock is this object's (or a tombstone
     * of its id): the list's live count follows from it. */
    int state = !row_exists                ? CINTO_ROW_NONE
                : r->objs[r->kind].deleted ? CINTO_ROW_TOMBSTONE
                                           : CINTO_ROW_LIVE;
    int rc = st->ops->put(st, r->parent, r->ki->name, id, ts, text, len, state);
    if (rc == CINTO_ST_OK && ts > r->hwm) {
        rc = st->ops->raise_timestamp(st, r->parent, r->ki->name, ts);
        r->hwm = ts;
    }
    if (st_check(r, rc) < 0)
        return -1;
    json_object_object_add(data, "id", json_object_new_string(id));
    json_object_object_add(data, "last_modified", json_object_new_int64(ts));
    return r->ki->after_write(r, data);
}

static int same_principals(json_object *a, json_object *b)
{
    size_t na = a ? json_object_array_length(a) : 0, nb = b ? json_object_array_length(b) : 0;
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++) {
        const char *p = json_object_get_string(json_object_array_get_idx(a, i));
        int found = 0;
        for (size_t j = 0; j < nb && !found; j++)
            found = strcmp(p, json_object_get_string(json_object_array_get_idx(b, j))) == 0;
        if (!found)
            return 0;
    }
    return 1;
}

/* Writes the ACEs that changed between old_acl and new_acl. */
int cinto_res_write_acl(cinto_rctx *r, const char *uri, json_object *old_acl, json_object *new_acl)
{
    const char *const *perms = r->ki->perms;
    for (int i = 0; perms[i]; i++) {
        json_object *o = cinto_json_get(old_acl, perms[i]);
        json_object *n = cinto_json_get(new_acl, perms[i]);
        if (same_principals(o, n))
            continue;
        size_t count = n ? json_object_array_length(n) : 0;
        const char **list = calloc(count + 1, sizeof *list);
        if (!list)
            return st_check(r, CINTO_ST_NOMEM);
        for (size_t k = 0; k < count; k++)
            list[k] = json_object_get_string(json_object_array_get_idx(n, k));
        int rc = r->c->st->ops->acl_set(r->c->st, uri, perms[i], list, count,
                                        o && json_object_array_length(o) > 0);
        free(list);
        if (st_check(r, rc) < 0)
            return -1;
    }
    return 0;
}

/* Removes duplicates and empty ACEs so the ACL reads as Kinto shows it. */
static void normalize_acl(json_object *acl)
{
    json_object *empty[16];
    size_t nempty = 0;
    json_object_object_foreach(acl, key, list)
    {
        (void)key;
        if (!list || json_object_array_length(list) == 0) {
            if (nempty < 16)
                empty[nempty++] = json_object_new_string(key);
            continue;
        }
        for (size_t i = 0; i < json_object_array_length(list); i++) {
            const char *p = json_object_get_string(json_object_array_get_idx(list, i));
            for (size_t j = i + 1; j < json_object_array_length(list);) {
                if (strcmp(p, json_object_get_string(json_object_array_get_idx(list, j))) == 0)
                    json_object_array_del_idx(list, j, 1);
                else
                    j++;
            }
        }
    }
    for (size_t i = 0; i < nempty; i++) {
        json_object_object_del(acl, json_object_get_string(empty[i]));
        json_object_put(empty[i]);
    }
}

/* The creator/editor joins the write ACE (spec 04 §4.9). */
json_object *cinto_res_add_editor(cinto_rctx *r, json_object *acl)
{
    char account[320];
    if (r->kind == CINTO_KIND_ACCOUNT) {
        /* An account is written by its owner, whoever created it. */
        snprintf(account, sizeof account, "account:%.300s", r->id ? r->id : "");
    }
    if (r->kind == CINTO_KIND_ACCOUNT || r->c->cfg->explicit_permissions) {
        const char *who = r->kind == CINTO_KIND_ACCOUNT ? account
                          : r->c->userid                ? r->c->userid
                                                        : "system.Everyone";
        if (!r->c->userid && r->kind != CINTO_KIND_ACCOUNT)
            cinto_log("anonymous write made %s world-writable", r->uri ? r->uri : r->list_prefix);
        json_object *w = cinto_json_get(acl, "write");
        if (!w || !json_object_is_type(w, json_type_array)) {
            w = json_object_new_array();
            json_object_object_add(acl, "write", w);
        }
        int present = 0;
        for (size_t i = 0; i < json_object_array_length(w) && !present; i++)
            present = strcmp(json_object_get_string(json_object_array_get_idx(w, i)), who) == 0;
        if (!present)
            json_object_array_add(w, json_object_new_string(who));
    }
    normalize_acl(acl);
    return acl;
}

int cinto_res_notify(cinto_rctx *r, int action, const char *id, const char *uri,
                     const cinto_object *old_obj, json_object *old_json, json_object *new_data,
                     json_object *acl, long long ts)
{
    if (!cinto_write_listened(r->c->app))
        return 0;
    json_object *old = old_obj ? cinto_res_object_json(old_obj) : json_object_get(old_json);
    json_object *tomb = NULL;
    if (!new_data) {
        tomb = json_object_new_object();
        json_object_object_add(tomb, "id", json_object_new_string(id));
        json_object_object_add(tomb, "last_modified", json_object_new_int64(ts));
        json_object_object_add(tomb, "deleted", json_object_new_boolean(1));
    }
    cinto_write_event ev = {
        .action = (cinto_action)action,
        .resource = r->ki->name,
        .uri = uri,
        .id = id,
        .old = old,
        .new = new_data ? new_data : tomb,
        .permissions = acl,
        .user = r->c->userid,
        .timestamp = ts,
        .acl_read = &r->acl,
        /* The row read before the write was a tombstone of this id. */
        .revived = action == CINTO_ACTION_CREATE && r->kind < CINTO_KIND_COUNT &&
                   r->found[r->kind] &&
                   r->objs[r->kind].deleted &&strcmp(r->objs[r->kind].id, id) == 0,
    };
    int rc = cinto_report_write(r->c, &ev);
    json_object_put(old);
    json_object_put(tomb);
    return rc;
}

int cinto_res_delete_one(cinto_rctx *r, const char *id, const char *uri, long long ts,
                         const cinto_object *old_obj, json_object *old_json)
{
    if (r->ki->on_delete(r, uri) < 0)
        return -1;
    cinto_storage *st = r->c->st;
    int rc = st->ops->tombstone(st, r->parent, r->ki->name, id, ts);
    if (rc == CINTO_ST_NOTFOUND) {
        cinto_error_not_found(r->c, CINTO_ERRNO_INVALID_RESOURCE_ID, id, r->ki->name);
        return -1;
    }
    if (rc == CINTO_ST_OK && ts > r->hwm) {
        rc = st->ops->raise_timestamp(st, r->parent, r->ki->name, ts);
        r->hwm = ts;
    }
    if (st_check(r, rc) < 0)
        return -1;
    return cinto_res_notify(r, CINTO_ACTION_DELETE, id, uri, old_obj, old_json, NULL, NULL, ts);
}

/* ---- _fields projection (spec 02 §2.7) ----------------------------------- */

static void keep_path(json_object *src, json_object *dst, const char *path)
{
    const char *dot = strchr(path, '.');
    char key[256];
    size_t n = dot ? (size_t)(dot - path) : strlen(path);
    if (n >= sizeof key)
        return;
    memcpy(key, path, n);
    key[n] = '\0';
    json_object *v;
    if (!json_object_object_get_ex(src, key, &v))
        return;
    if (!dot || !v || !json_object_is_type(v, json_type_object)) {
        json_object_object_add(dst, key, json_object_get(v));
        return;
    }
    json_object *sub;
    if (!json_object_object_get_ex(dst, key, &sub) || !json_object_is_type(sub, json_type_object)) {
        sub = json_object_new_object();
        json_object_object_add(dst, key, sub);
    }
    keep_path(v, sub, dot + 1);
}

void cinto_res_project(json_object *data, const char *fields)
{
    json_object *out = json_object_new_object();
    const char *always[] = {"id", "last_modified", "deleted"};
    for (size_t i = 0; i < 3; i++) {
        json_object *v;
        if (json_object_object_get_ex(data, always[i], &v))
            json_object_object_add(out, always[i], json_object_get(v));
    }
    char *copy = strdup(fields), *save = NULL;
    for (char *f = copy ? strtok_r(copy, ",", &save) : NULL; f; f = strtok_r(NULL, ",", &save)) {
        while (*f == ' ')
            f++;
        if (*f)
            keep_path(data, out, f);
    }
    free(copy);
    /* Replace data's members by the projection, in place. */
    json_object *keys = json_object_new_array();
    json_object_object_foreach(data, k, v)
    {
        (void)v;
        json_object_array_add(keys, json_object_new_string(k));
    }
    for (size_t i = 0; i < json_object_array_length(keys); i++)
        json_object_object_del(data, json_object_get_string(json_object_array_get_idx(keys, i)));
    json_object_put(keys);
    json_object_object_foreach(out, k2, v2) json_object_object_add(data, k2, json_object_get(v2));
    json_object_put(out);
}

int cinto_res_check_fields(cinto_rctx *r, const char **fields_out)
{
    const cinto_query_param *p = cinto_query_last(&r->c->query, "_fields");
    *fields_out = p ? p->value : NULL;
    return 0;
}
