/* Objects and lists of buckets, groups, collections and records: the
 * checks in upstream's order (spec 01 §1.9 item 5), one transaction per
 * write, and the list lock that makes timestamps unique and increasing in
 * commit order (spec 09 §9.3). Kind differences live in kinds.c. */
#include "util/log.h"
#include "api/plugin.h"
#include "api/resource.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/resource_internal.h"
#include "patch/patch.h"
#include "util/codec.h"
#include "util/json.h"
#include "util/random.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_ID_LEN 255
#define FUTURE_LIMIT_MS (24LL * 3600 * 1000)

/* Ids: a letter or digit, then letters, digits and the extra characters
 * (spec 01 §1.2); capped at 255 bytes rather than truncated. */
static int valid_id_with(const char *id, const char *extra)
{
    size_t n = strlen(id);
    if (n == 0 || n > MAX_ID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];
        int alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (!alnum && (i == 0 || !strchr(extra, ch)))
            return 0;
    }
    return 1;
}

int cinto_valid_id(const char *id)
{
    return valid_id_with(id, "_-");
}

int cinto_valid_kind_id(enum cinto_kind kind, const char *id)
{
    return valid_id_with(id, kind == CINTO_KIND_ACCOUNT ? "+.@_-" : "_-");
}

int cinto_obj_exists(const cinto_rctx *r, enum cinto_kind k)
{
    return r->found[k] && !r->objs[k].deleted;
}

static char *str_printf(const char *fmt, const char *a, const char *b)
{
    cinto_buf s = CINTO_BUF_INIT;
    if (cinto_buf_printf(&s, fmt, a, b) < 0) {
        cinto_buf_free(&s);
        return NULL;
    }
    return cinto_buf_steal(&s);
}

/* Fills kind, ids and URIs from the route. */
static int setup(cinto_rctx *r, cinto_ctx *c)
{
    memset(r, 0, sizeof *r);
    r->c = c;
    const cinto_route *rt = &c->route;
    assert(rt->def && (rt->def->kind >= 0 || (rt->def->kind_info && rt->def->plural)));
    r->kind = rt->def->kind_info ? CINTO_KIND_COUNT : (enum cinto_kind)rt->def->kind;
    r->ki = rt->def->kind_info ? rt->def->kind_info : &cinto_kinds[r->kind];
    r->plural = rt->def->plural;
    r->ids[CINTO_KIND_BUCKET] = rt->bid;
    r->ids[CINTO_KIND_COLLECTION] = rt->cid;
    r->ids[CINTO_KIND_GROUP] = rt->gid;
    r->ids[CINTO_KIND_RECORD] = rt->rid;
    r->ids[CINTO_KIND_ACCOUNT] = rt->aid;
    if (rt->aid && !(r->uris[CINTO_KIND_ACCOUNT] = str_printf("/accounts/%s%s", rt->aid, "")))
        return -1;
    if (rt->bid && !(r->uris[CINTO_KIND_BUCKET] = str_printf("/buckets/%s%s", rt->bid, "")))
        return -1;
    if (rt->cid && !(r->uris[CINTO_KIND_COLLECTION] =
                         str_printf("%s/collections/%s", r->uris[CINTO_KIND_BUCKET], rt->cid)))
        return -1;
    if (rt->gid && !(r->uris[CINTO_KIND_GROUP] =
                         str_printf("%s/groups/%s", r->uris[CINTO_KIND_BUCKET], rt->gid)))
        return -1;
    if (rt->rid && !(r->uris[CINTO_KIND_RECORD] =
                         str_printf("%s/records/%s", r->uris[CINTO_KIND_COLLECTION], rt->rid)))
        return -1;
    int pk = r->ki->parent_kind;
    r->parent = strdup(pk < 0 ? "" : r->uris[pk]);
    r->list_prefix = str_printf("%s/%s/", r->parent, r->ki->plural);
    if (!r->parent || !r->list_prefix)
        return -1;
    if (!r->plural) {
        r->id = r->ids[r->kind];
        r->uri = strdup(r->uris[r->kind]);
        if (!r->uri)
            return -1;
    }
    return 0;
}

static void teardown(cinto_rctx *r)
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

static int storage_error(cinto_rctx *r, int rc)
{
    cinto_error_storage(r->c, rc);
    return -1;
}

/* Starts the transaction and locks the list being written: every writer
 * of the list waits here until the previous one committed. */
int cinto_res_begin_write(cinto_rctx *r)
{
    cinto_storage *st = r->c->st;
    int rc = st->ops->begin(st);
    if (rc != CINTO_ST_OK)
        return storage_error(r, rc);
    r->in_tx = 1;
    rc = st->ops->lock_list(st, r->parent, r->ki->name, r->c->now_ms, &r->hwm);
    if (rc != CINTO_ST_OK)
        return storage_error(r, rc);
    return 0;
}

int cinto_res_list_ts(cinto_rctx *r, long long *ts)
{
    int ro = r->c->cfg->readonly;
    int rc =
        r->c->st->ops->list_timestamp(r->c->st, r->parent, r->ki->name, ro ? -1 : r->c->now_ms, ts);
    if (rc == CINTO_ST_NOTFOUND) {
        cinto_error(r->c, 503, CINTO_ERRNO_BACKEND,
                    "Resource timestamp cannot be written. Plural endpoint must be hit at least "
                    "once from a writable instance.",
                    NULL);
        return -1;
    }
    return rc == CINTO_ST_OK ? 0 : storage_error(r, rc);
}

int cinto_res_commit(cinto_rctx *r)
{
    int rc = r->c->st->ops->commit(r->c->st);
    r->in_tx = 0;
    if (rc != CINTO_ST_OK)
        return storage_error(r, rc);
    return 0;
}

/* Base principals of the request; the groups come with the first read. */
static int base_principals(cinto_ctx *c)
{
    if (c->principals.count)
        return CINTO_ST_OK;
    if (c->userid && cinto_strv_push(&c->principals, c->userid) < 0)
        return CINTO_ST_NOMEM;
    if (cinto_strv_push(&c->principals, "system.Everyone") < 0)
        return CINTO_ST_NOMEM;
    if (c->userid && cinto_strv_push(&c->principals, "system.Authenticated") < 0)
        return CINTO_ST_NOMEM;
    return CINTO_ST_OK;
}

/* Reads what the request involves: the bucket, collection or group and
 * the object itself (extra_id: the object a POST names), their ACL rows
 * and the requester's groups, in one round trip when there is anything to
 * read. The checks that use them still run in upstream's order. */
int cinto_res_fetch_chain(cinto_rctx *r, const char *extra_id)
{
    const char *parents[3], *resources[3], *ids[3], *uris[5];
    int kinds[3];
    size_t n = 0, nuris = 0;
    for (int k = 0; k < CINTO_KIND_COUNT; k++) {
        const char *id = r->ids[k];
        if (k == (int)r->kind && r->plural)
            id = extra_id;
        if (!id || (k != (int)r->kind && k == CINTO_KIND_RECORD))
            continue;
        if (k == CINTO_KIND_GROUP && r->kind != CINTO_KIND_GROUP)
            continue;
        int pk = cinto_kinds[k].parent_kind;
        parents[n] = pk < 0 ? "" : r->uris[pk];
        resources[n] = cinto_kinds[k].name;
        ids[n] = id;
        kinds[n] = k;
        n++;
    }
    for (int k = 0; k < CINTO_KIND_COUNT; k++)
        if (r->uris[k])
            uris[nuris++] = r->uris[k];
    char *extra_uri = NULL;
    if (extra_id) {
        extra_uri = malloc(strlen(r->list_prefix) + strlen(extra_id) + 1);
        if (!extra_uri)
            return storage_error(r, CINTO_ST_NOMEM);
        strcat(strcpy(extra_uri, r->list_prefix), extra_id);
        uris[nuris++] = extra_uri;
    }
    cinto_ctx *c = r->c;
    int rc = base_principals(c);
    cinto_object out[3];
    int found[3] = {0, 0, 0};
    memset(out, 0, sizeof out);
    if (rc == CINTO_ST_OK && n && nuris && nuris <= 4) {
        const char *who[2] = {c->userid, "system.Authenticated"};
        rc = c->st->ops->load(c->st, n, parents, resources, ids, out, found, nuris, uris, &r->acl,
                              c->userid ? 2 : 0, who, &c->principals);
        if (rc == CINTO_ST_OK)
            c->principals_loaded = 1;
    } else if (rc == CINTO_ST_OK) {
        if (n)
            rc = c->st->ops->get_many(c->st, n, parents, resources, ids, out, found);
        if (rc == CINTO_ST_OK)
            rc = cinto_load_principals(c);
        if (rc == CINTO_ST_OK && nuris)
            rc = c->st->ops->acl_get(c->st, nuris, uris, &r->acl);
    }
    free(extra_uri);
    for (size_t i = 0; i < n; i++) {
        r->objs[kinds[i]] = out[i];
        r->found[kinds[i]] = found[i];
    }
    if (rc != CINTO_ST_OK)
        return storage_error(r, rc);
    return 0;
}

/* The ACL and principals came with cinto_res_fetch_chain. */
int cinto_res_load_acl(cinto_rctx *r, const char *extra_uri)
{
    (void)extra_uri;
    int rc = cinto_load_principals(r->c);
    if (rc != CINTO_ST_OK)
        return storage_error(r, rc);
    return 0;
}

/* ---- request checks ------------------------------------------------------ */

int cinto_res_check_accept(cinto_rctx *r)
{
    if (!cinto_accept_json(r->c->req->accept)) {
        cinto_error_invalid_status(r->c, 406, "header", "Accept",
                                   "Accept header should be one of ['application/json']");
        return -1;
    }
    return 0;
}

/* Content-Type of a body-carrying request; types is a NULL-terminated list.
 * Returns the index of the matched type (0 when absent), -1 after a 415. */
int cinto_res_check_content_type(cinto_rctx *r, const char *const *types)
{
    const char *ct = r->c->req->content_type;
    if (!ct)
        return 0;
    char mt[128];
    if (cinto_media_type(ct, mt, sizeof mt) == 0)
        for (int i = 0; types[i]; i++)
            if (strcmp(mt, types[i]) == 0)
                return i;
    cinto_buf d = CINTO_BUF_INIT;
    cinto_buf_puts(&d, "Content-Type header should be one of [");
    for (int i = 0; types[i]; i++)
        cinto_buf_printf(&d, "%s'%s'", i ? ", " : "", types[i]);
    cinto_buf_puts(&d, "]");
    cinto_error_invalid_status(r->c, 415, "header", "Content-Type", cinto_buf_str(&d));
    cinto_buf_free(&d);
    return -1;
}

int cinto_res_parse_preconditions(cinto_rctx *r, cinto_precond *p)
{
    memset(p, 0, sizeof *p);
    const char *names[2] = {"If-Match", "If-None-Match"};
    const char *values[2] = {r->c->req->if_match, r->c->req->if_none_match};
    for (int i = 0; i < 2; i++) {
        if (!values[i])
            continue;
        int star = 0;
        long long ts = 0;
        if (cinto_parse_precondition(values[i], &star, &ts) < 0) {
            cinto_error_invalid(r->c, "header", names[i],
                                "The value should be integer between double quotes.");
            return -1;
        }
        if (i == 0) {
            p->has_match = 1;
            p->match_star = star;
            p->match_ts = ts;
        } else {
            p->has_none = 1;
            p->none_star = star;
            p->none_ts = ts;
        }
    }
    return 0;
}

int cinto_res_check_path_id(cinto_rctx *r)
{
    if (r->id && !cinto_valid_kind_id(r->kind, r->id)) {
        cinto_error_invalid(r->c, "path", NULL, "Invalid object id");
        return -1;
    }
    return 0;
}

/* ---- JSON of objects ------------------------------------------------------- */

json_object *cinto_res_object_json(const cinto_object *o)
{
    json_object *data = NULL;
    if (!o->deleted) {
        json_tokener *tok = json_tokener_new_ex(CINTO_JSON_MAX_DEPTH + 8);
        if (tok) {
            data = json_tokener_parse_ex(tok, o->data, (int)o->data_len + 1);
            json_tokener_free(tok);
        }
    }
    if (!data || !json_object_is_type(data, json_type_object)) {
        json_object_put(data);
        data = json_object_new_object();
    }
    json_object_object_add(data, "id", json_object_new_string(o->id));
    json_object_object_add(data, "last_modified", json_object_new_int64(o->last_modified));
    if (o->deleted)
        json_object_object_add(data, "deleted", json_object_new_boolean(1));
    return data;
}

void cinto_res_set_etag(cinto_rctx *r, long long ts)
{
    char date[32];
    cinto_http_date(ts / 1000, date);
    cinto_response_set(r->c->resp, "ETag", "\"%lld\"", ts);
    cinto_response_set(r->c->resp, "Last-Modified", "%s", date);
}

/* The 412 answer with the current version of the target (spec 01 §1.9). */
void cinto_res_precondition_failed(cinto_rctx *r, const cinto_object *existing, long long cur)
{
    json_object *details = NULL;
    if (existing) {
        details = json_object_new_object();
        json_object_object_add(details, "existing", cinto_res_object_json(existing));
    }
    cinto_error(r->c, 412, CINTO_ERRNO_MODIFIED_MEANWHILE, "Resource was modified meanwhile",
                details);
    cinto_res_set_etag(r, cur);
}

/* Checks a, b, c of spec 01 §1.9 item 3. Returns -1 after a 412. */
int cinto_res_check_412(cinto_rctx *r, const cinto_precond *p, const cinto_object *obj,
                        long long list_ts)
{
    int exists = obj && !obj->deleted;
    long long cur = exists ? obj->last_modified : list_ts;
    if ((p->has_none && p->none_star && exists) || (p->has_match && !exists) ||
        (p->has_match && !p->match_star && p->match_ts != cur)) {
        cinto_res_precondition_failed(r, exists ? obj : NULL, cur);
        return -1;
    }
    return 0;
}

/* Read cache headers (spec 01 §1.15). */
void cinto_res_cache_headers(cinto_rctx *r)
{
    cinto_ctx *c = r->c;
    long long ttl = -1;
    if (!c->userid) {
        const char *kind = r->ki->name;
        char key[1024];
        int ok = 0;
        if (r->kind == CINTO_KIND_RECORD) {
            const char *bid = r->ids[CINTO_KIND_BUCKET], *cid = r->ids[CINTO_KIND_COLLECTION];
            const char *forms[] = {
                "%s.%s.record_cache_expires_seconds", "%s.record_cache_expires_seconds",
                "record_cache_expires_seconds", "%s_%s_record_cache_expires_seconds",
                "%s_record_cache_expires_seconds"};
            for (size_t i = 0; i < 5 && !ok; i++) {
                snprintf(key, sizeof key, forms[i], bid, cid);
                ttl = cinto_settings_int(c->cfg->raw, key, -1, &ok);
            }
            if (!ok)
                ttl = -1;
            json_object *coll = NULL;
            if (r->found[CINTO_KIND_COLLECTION] && !r->objs[CINTO_KIND_COLLECTION].deleted)
                coll = cinto_res_object_json(&r->objs[CINTO_KIND_COLLECTION]);
            long long ce;
            if (cinto_json_is_int64(cinto_json_get(coll, "cache_expires"), &ce) && ce > ttl)
                ttl = ce;
            json_object_put(coll);
        } else {
            snprintf(key, sizeof key, "%s_cache_expires_seconds", kind);
            ttl = cinto_settings_int(c->cfg->raw, key, -1, &ok);
            if (!ok)
                ttl = -1;
        }
    }
    if (ttl < 0) {
        cinto_response_set(c->resp, "Cache-Control", "no-cache, no-store");
        return;
    }
    char date[32];
    cinto_http_date(time(NULL) + ttl, date);
    if (ttl == 0) {
        cinto_response_set(c->resp, "Cache-Control",
                           "max-age=0, must-revalidate, no-cache, no-store");
        cinto_response_set(c->resp, "Pragma", "no-cache");
    } else {
        cinto_response_set(c->resp, "Cache-Control", "max-age=%lld", ttl);
    }
    cinto_response_set(c->resp, "Expires", "%s", date);
}

/* The envelope of one object; permissions only for the object's own
 * writers (spec 04 §4.8). */
json_object *cinto_res_envelope(cinto_rctx *r, json_object *data, json_object *acl)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "data", data);
    json_object *perms = NULL;
    json_object *writers = cinto_json_get(acl, "write");
    int show = cinto_plugins_sees_permissions(r, writers);
    for (size_t i = 0; writers && i < json_object_array_length(writers) && !show; i++)
        show = cinto_has_principal(r->c,
                                   json_object_get_string(json_object_array_get_idx(writers, i)));
    if (show && acl)
        perms = json_object_get(acl);
    json_object_object_add(o, "permissions", perms ? perms : json_object_new_object());
    return o;
}

int cinto_res_setup(cinto_rctx *r, cinto_ctx *c)
{
    return setup(r, c);
}

void cinto_res_teardown(cinto_rctx *r)
{
    teardown(r);
}

/* ---- dispatch ------------------------------------------------------------ */

void cinto_handle_resource(cinto_ctx *c)
{
    cinto_rctx r;
    if (setup(&r, c) < 0) {
        cinto_error_internal(c, "out of memory");
        teardown(&r);
        return;
    }
    switch (c->req->method) {
    case CINTO_GET:
    case CINTO_HEAD:
        if (r.plural)
            cinto_res_list_get(&r);
        else
            cinto_res_object_get(&r);
        break;
    case CINTO_PUT:
        cinto_res_object_put(&r);
        break;
    case CINTO_PATCH:
        cinto_res_object_patch(&r);
        break;
    case CINTO_POST:
        cinto_res_list_post(&r);
        break;
    case CINTO_DELETE:
        if (r.plural)
            cinto_res_list_delete(&r);
        else
            cinto_res_object_delete(&r);
        break;
    default:
        cinto_error(c, 405, CINTO_ERRNO_METHOD_NOT_ALLOWED, "Method not allowed on this endpoint.",
                    NULL);
        break;
    }
    teardown(&r);
}
