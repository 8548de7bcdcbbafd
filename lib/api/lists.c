/* GET/HEAD, POST and DELETE on lists (spec 02, 03 §3.3, 04 §4.7).
 * Filters other than the timestamp ones, and sorting on fields other than
 * last_modified, come with the list-query work of a later issue: until
 * then they are refused with a 400 that says so, never silently ignored. */
#include "api/errors.h"
#include "api/handlers.h"
#include "api/resource_internal.h"
#include "util/codec.h"
#include "util/json.h"
#include "util/random.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUTURE_LIMIT_MS (24LL * 3600 * 1000)

typedef struct list_params {
    cinto_list_query q;
    long long limit; /* effective page size L */
    int restricted;  /* only the shared ids below */
    cinto_strv shared;
    const char *fields;
    int has_token;
} list_params;

static void params_free(list_params *lp)
{
    cinto_strv_clear(&lp->shared);
}

static int qerror(cinto_rctx *r, const char *name, const char *desc)
{
    cinto_error_invalid(r->c, "querystring", name, desc);
    return -1;
}

/* A non-negative integer, possibly in double quotes (an ETag), possibly
 * with a fraction (errata 2). *absent is set for "null". */
static int parse_ts_value(cinto_rctx *r, const char *name, const char *raw, long long *out,
                          int *absent)
{
    char desc[512];
    *absent = 0;
    if (strcmp(raw, "null") == 0) {
        *absent = 1;
        return 0;
    }
    size_t n = strlen(raw);
    char buf[64];
    if (n >= 2 && raw[0] == '"' && raw[n - 1] == '"') {
        raw++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof buf) {
        snprintf(desc, sizeof desc, "Invalid value for %s", name);
        return qerror(r, name, desc);
    }
    memcpy(buf, raw, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (*end != '\0' || end == buf || !isfinite(d) || strchr(buf, '"') || buf[0] == ' ') {
        if (strchr(buf, '"') || buf[0] == '{' || buf[0] == '[')
            snprintf(desc, sizeof desc, "Invalid value for %s", name);
        else
            snprintf(desc, sizeof desc, "\"%.200s\" is not a number", buf);
        return qerror(r, name, desc);
    }
    if (d < 0) {
        snprintf(desc, sizeof desc, "%.200s is less than minimum value 0", buf);
        return qerror(r, name, desc);
    }
    if (d > (double)(r->c->now_ms + FUTURE_LIMIT_MS)) {
        snprintf(desc, sizeof desc, "Invalid value for %s", name);
        return qerror(r, name, desc);
    }
    *out = (long long)d;
    return 0;
}

static void tighten_upper(long long *cur, long long v)
{
    if (*cur < 0 || v < *cur)
        *cur = v;
}

static void tighten_lower(long long *cur, long long v)
{
    if (*cur < 0 || v > *cur)
        *cur = v;
}

static int parse_limit(cinto_rctx *r, const char *raw, long long *out)
{
    char desc[512];
    *out = 0;
    if (!*raw)
        return 0;
    char *end;
    double d = strtod(raw, &end);
    if (*end != '\0' || !isfinite(d)) {
        snprintf(desc, sizeof desc, "\"%.200s\" is not a number", raw);
        return qerror(r, "_limit", desc);
    }
    if (d < 0) {
        snprintf(desc, sizeof desc, "%.200s is less than minimum value 0", raw);
        return qerror(r, "_limit", desc);
    }
    *out = d > 9.2e18 ? (long long)9.2e18 : (long long)d;
    return 0;
}

/* _token: base64 of {"last_object": {...}, "offset": n, "nonce": "..."}
 * (spec 02 §2.9). Only last_modified positions exist while sorting is on
 * last_modified alone. */
static int parse_token(cinto_rctx *r, const char *raw, long long *lm)
{
    cinto_buf dec = CINTO_BUF_INIT;
    json_object *t = NULL;
    int rc = -1;
    if (cinto_b64_decode(raw, strlen(raw), &dec) < 0 || !dec.data)
        goto bad;
    char err[256];
    t = cinto_json_parse(dec.data, dec.len, NULL, err, sizeof err);
    json_object *last = cinto_json_get(t, "last_object");
    if (!t || !json_object_is_type(t, json_type_object) || !last ||
        !json_object_is_type(last, json_type_object) || !cinto_json_get(t, "offset") ||
        !cinto_json_get(t, "nonce"))
        goto bad;
    if (!cinto_json_is_int64(cinto_json_get(last, "last_modified"), lm) || *lm < 0)
        goto bad;
    rc = 0;
    goto done;
bad:
    cinto_error_invalid(r->c, "querystring", NULL, "_token has invalid content");
done:
    json_object_put(t);
    cinto_buf_free(&dec);
    return rc;
}

static const char *const lm_ops[] = {"", "eq_", "gt_", "lt_", "min_", "max_", "not_", NULL};

static int apply_lm_filter(cinto_rctx *r, list_params *lp, const char *name, int op)
{
    const cinto_query_param *p = cinto_query_last(&r->c->query, name);
    long long v;
    int absent;
    if (parse_ts_value(r, name, p->value, &v, &absent) < 0)
        return -1;
    if (absent)
        return 0;
    cinto_list_query *q = &lp->q;
    q->include_deleted = 1;
    switch (op) {
    case 0:
    case 1:
        q->eq_modified = v;
        break;
    case 2:
        tighten_lower(&q->gt_modified, v);
        break;
    case 3:
        tighten_upper(&q->lt_modified, v);
        break;
    case 4:
        tighten_lower(&q->min_modified, v);
        break;
    case 5:
        tighten_upper(&q->max_modified, v);
        break;
    case 6:
        q->ne_modified = v;
        break;
    }
    return 0;
}

/* Reads the query string into a list read (spec 02 §2.2-2.9). */
static int parse_list_params(cinto_rctx *r, list_params *lp, int for_delete)
{
    const cinto_config *cfg = r->c->cfg;
    cinto_list_query *q = &lp->q;
    q->gt_modified = q->lt_modified = q->min_modified = q->max_modified = -1;
    q->eq_modified = q->ne_modified = -1;
    long long explicit_limit = 0, token_lm = -1;
    for (size_t i = 0; i < r->c->query.count; i++) {
        const cinto_query_param *p = &r->c->query.items[i];
        const char *name = p->name;
        if (memchr(p->name, '\0', p->name_len) != p->name + p->name_len - 0 &&
            strlen(p->name) != p->name_len) {
            char desc[256];
            snprintf(desc, sizeof desc, "Invalid character 0x00");
            return qerror(r, "", desc);
        }
        if (strlen(p->value) != p->value_len) {
            return qerror(r, name, "Invalid character 0x00");
        }
        if (cinto_query_last(&r->c->query, name) != p)
            continue; /* the last occurrence wins */
        long long v;
        int absent;
        if (strcmp(name, "_limit") == 0) {
            if (parse_limit(r, p->value, &explicit_limit) < 0)
                return -1;
        } else if (strcmp(name, "_since") == 0) {
            if (parse_ts_value(r, name, p->value, &v, &absent) < 0)
                return -1;
            if (!absent) {
                tighten_lower(&q->gt_modified, v);
                q->include_deleted = 1;
            }
        } else if (strcmp(name, "_before") == 0 || strcmp(name, "_to") == 0) {
            if (parse_ts_value(r, name, p->value, &v, &absent) < 0)
                return -1;
            if (!absent) {
                tighten_upper(&q->lt_modified, v);
                q->include_deleted = 1;
            }
            if (strcmp(name, "_to") == 0)
                cinto_response_set(
                    r->c->resp, "Alert",
                    "{\"code\": \"soft-eol\", \"message\": \"_to is now deprecated, you should "
                    "use _before instead\", \"url\": \"https://kinto.readthedocs.io/en/2.4.0/api/"
                    "resource.html#list-of-available-url-parameters\"}");
        } else if (strcmp(name, "_sort") == 0) {
            if (strcmp(p->value, "last_modified") == 0)
                q->ascending = 1;
            else if (strcmp(p->value, "-last_modified") == 0 || !*p->value)
                q->ascending = 0;
            else
                return qerror(r, "_sort",
                              "sorting on fields other than last_modified is not supported by "
                              "this server yet");
        } else if (strcmp(name, "_token") == 0) {
            if (*p->value) {
                if (parse_token(r, p->value, &token_lm) < 0)
                    return -1;
                lp->has_token = 1;
            }
        } else if (strcmp(name, "_fields") == 0) {
            lp->fields = for_delete ? NULL : p->value;
        } else if (name[0] == '_') {
            /* Other underscore parameters are ignored (cache busters...). */
        } else {
            int op = -1;
            for (int k = 0; lm_ops[k] && op < 0; k++) {
                size_t n = strlen(lm_ops[k]);
                if (strncmp(name, lm_ops[k], n) == 0 && strcmp(name + n, "last_modified") == 0)
                    op = k;
            }
            if (op >= 0) {
                if (apply_lm_filter(r, lp, name, op) < 0)
                    return -1;
            } else if (strcmp(name, "in_last_modified") == 0 ||
                       strcmp(name, "exclude_last_modified") == 0) {
                char desc[256];
                snprintf(desc, sizeof desc, "Invalid value for %s", name);
                return qerror(r, name, desc);
            } else {
                char desc[512];
                snprintf(desc, sizeof desc,
                         "filtering on '%.200s' is not supported by this server yet", name);
                return qerror(r, name, desc);
            }
        }
    }
    if (token_lm >= 0) {
        if (q->ascending)
            tighten_lower(&q->gt_modified, token_lm);
        else
            tighten_upper(&q->lt_modified, token_lm);
    }
    /* Effective page size (spec 02 §2.8). */
    long long L = explicit_limit > 0 ? explicit_limit : cfg->paginate_by;
    if (L && cfg->paginate_by && L > cfg->paginate_by)
        L = cfg->paginate_by;
    if (!L || L > cfg->storage_max_fetch_size)
        L = cfg->storage_max_fetch_size;
    lp->limit = L;
    return 0;
}

/* Whole-list permission, else the objects shared with the requester, else
 * an empty list for those who may create (spec 04 §4.7). Returns 1 when
 * allowed (lp->restricted tells how), 0 when denied. */
static int list_access(cinto_rctx *r, list_params *lp, const char *perm)
{
    if (cinto_perm_list_allowed(r, perm))
        return 1;
    static const char *const read_perms[CINTO_KIND_COUNT][5] = {
        [CINTO_KIND_BUCKET] = {"write", "read", "collection:create", "group:create", NULL},
        [CINTO_KIND_GROUP] = {"write", "read", NULL},
        [CINTO_KIND_COLLECTION] = {"write", "read", "record:create", NULL},
        [CINTO_KIND_RECORD] = {"write", "read", NULL},
    };
    static const char *const write_perms[] = {"write", NULL};
    const char *const *perms = strcmp(perm, "write") == 0 ? write_perms : read_perms[r->kind];
    size_t nperms = 0;
    while (perms[nperms])
        nperms++;
    cinto_strv uris = {0};
    int rc = r->c->st->ops->acl_shared(r->c->st, r->list_prefix, perms, nperms,
                                       (const char *const *)r->c->principals.items,
                                       r->c->principals.count, &uris);
    if (rc != CINTO_ST_OK) {
        cinto_strv_clear(&uris);
        cinto_error_storage(r->c, rc);
        return -1;
    }
    size_t plen = strlen(r->list_prefix);
    for (size_t i = 0; i < uris.count; i++)
        if (cinto_strv_push(&lp->shared, uris.items[i] + plen) < 0) {
            cinto_strv_clear(&uris);
            cinto_error_internal(r->c, "out of memory");
            return -1;
        }
    cinto_strv_clear(&uris);
    if (lp->shared.count || cinto_perm_create_allowed(r)) {
        static const char *const no_ids[1] = {NULL};
        lp->restricted = 1;
        /* A non-NULL empty set restricts to nothing. */
        lp->q.ids = lp->shared.count ? (const char *const *)lp->shared.items : no_ids;
        lp->q.nids = lp->shared.count;
        return 1;
    }
    return 0;
}

/* Lists under a missing parent answer 404 once authorized (spec 01 §1.14). */
static int parent_exists(cinto_rctx *r)
{
    int pk = cinto_kinds[r->kind].parent_kind;
    if (pk >= 0 && !cinto_obj_exists(r, (enum cinto_kind)pk)) {
        cinto_error_not_found(r->c, CINTO_ERRNO_MISSING_RESOURCE, r->ids[pk], cinto_kinds[pk].name);
        return -1;
    }
    return 0;
}

/* Next-Page: the same URL with _limit and _token replaced (spec 02 §2.9). */
static void set_next_page(cinto_rctx *r, long long limit, long long last_lm)
{
    cinto_buf url = CINTO_BUF_INIT, tok = CINTO_BUF_INIT, b64 = CINTO_BUF_INIT;
    char uuid[37];
    cinto_uuid4(uuid);
    cinto_buf_printf(&tok,
                     "{\"last_object\":{\"last_modified\":%lld},\"offset\":%lld,"
                     "\"nonce\":\"pagination-token-%s\"}",
                     last_lm, limit, uuid);
    cinto_b64_encode(tok.data, tok.len, &b64);
    cinto_base_url(r->c, &url);
    cinto_buf_puts(&url, r->c->req->path);
    char sep = '?';
    for (size_t i = 0; i < r->c->query.count; i++) {
        const cinto_query_param *p = &r->c->query.items[i];
        if (strcmp(p->name, "_limit") == 0 || strcmp(p->name, "_token") == 0)
            continue;
        cinto_buf_putc(&url, sep);
        sep = '&';
        cinto_url_encode(p->name, p->name_len, &url);
        cinto_buf_putc(&url, '=');
        cinto_url_encode(p->value, p->value_len, &url);
    }
    cinto_buf_printf(&url, "%c_limit=%lld&_token=", sep, limit);
    cinto_url_encode(cinto_buf_str(&b64), b64.len, &url);
    cinto_response_set(r->c->resp, "Next-Page", "%s", cinto_buf_str(&url));
    cinto_buf_free(&url);
    cinto_buf_free(&tok);
    cinto_buf_free(&b64);
}

void cinto_res_list_get(cinto_rctx *r)
{
    list_params lp;
    cinto_precond p;
    cinto_object_list rows = {0};
    memset(&lp, 0, sizeof lp);
    if (cinto_res_fetch_chain(r, NULL) < 0 || cinto_res_check_accept(r) < 0 ||
        cinto_res_load_acl(r, NULL) < 0)
        goto done;
    int ok = list_access(r, &lp, "read");
    if (ok < 0)
        goto done;
    if (!ok) {
        cinto_error_denied(r->c);
        goto done;
    }
    if (parent_exists(r) < 0 || cinto_res_parse_preconditions(r, &p) < 0 ||
        parse_list_params(r, &lp, 0) < 0)
        goto done;
    /* The ETag is read before the data (spec 09 §9.4). */
    long long ts;
    int rc = r->c->st->ops->list_timestamp(r->c->st, r->parent, cinto_kinds[r->kind].name,
                                           r->c->now_ms, &ts);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(r->c, rc);
        goto done;
    }
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
    lp.q.parent = r->parent;
    lp.q.resource = cinto_kinds[r->kind].name;
    if (r->c->req->method == CINTO_HEAD) {
        cinto_list_query cq = lp.q;
        cq.include_deleted = 0;
        long long n = 0;
        rc = r->c->st->ops->count(r->c->st, &cq, &n);
        if (rc != CINTO_ST_OK) {
            cinto_error_storage(r->c, rc);
            goto done;
        }
        r->c->resp->status = 200;
        cinto_response_set(r->c->resp, "Content-Type", "application/json");
        cinto_response_set(r->c->resp, "Total-Objects", "%lld", n);
        cinto_response_set(r->c->resp, "Total-Records", "%lld", n);
        cinto_res_set_etag(r, ts);
        cinto_res_cache_headers(r);
        goto done;
    }
    lp.q.limit = lp.limit + 1;
    rc = r->c->st->ops->list(r->c->st, &lp.q, &rows);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(r->c, rc);
        goto done;
    }
    json_object *list = json_object_new_array();
    size_t shown = rows.count > (size_t)lp.limit ? (size_t)lp.limit : rows.count;
    for (size_t i = 0; i < shown; i++) {
        json_object *o = cinto_res_object_json(&rows.items[i]);
        if (lp.fields)
            cinto_res_project(o, lp.fields);
        json_object_array_add(list, o);
    }
    json_object *env = json_object_new_object();
    json_object_object_add(env, "data", list);
    cinto_response_json(r->c->resp, 200, env);
    json_object_put(env);
    if (rows.count > (size_t)lp.limit && shown)
        set_next_page(r, lp.limit, rows.items[shown - 1].last_modified);
    cinto_res_set_etag(r, ts);
    cinto_res_cache_headers(r);
done:
    cinto_object_list_free(&rows);
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
    if (!json_object_is_type(v, json_type_string) || !cinto_valid_id(json_object_get_string(v))) {
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
    if (parent_exists(r) < 0 || cinto_res_parse_body(r, 0, &b) < 0 ||
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
    json_object_object_add(data, "id", json_object_new_string(id));
    if (cinto_kinds[r->kind].validate(r, data) < 0)
        goto done;
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
    json_object *none = json_object_new_object();
    int wrc = cinto_res_store(r, id, r->uri, data, ts, r->found[r->kind]);
    if (wrc == 0)
        wrc = cinto_res_write_acl(r, r->uri, none, acl);
    json_object_put(none);
    if (wrc < 0 || cinto_res_commit(r) < 0)
        goto done;
    json_object *env = cinto_res_envelope(r, data, json_object_get(acl));
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

void cinto_res_list_delete(cinto_rctx *r)
{
    list_params lp;
    cinto_precond p;
    cinto_object_list rows = {0};
    memset(&lp, 0, sizeof lp);
    if (cinto_res_begin_write(r) < 0 || cinto_res_fetch_chain(r, NULL) < 0 ||
        cinto_res_check_accept(r) < 0 || cinto_res_load_acl(r, NULL) < 0)
        goto done;
    int ok = list_access(r, &lp, "write");
    if (ok < 0)
        goto done;
    if (!ok) {
        cinto_error_denied(r->c);
        goto done;
    }
    if (parent_exists(r) < 0 || cinto_res_parse_preconditions(r, &p) < 0 ||
        parse_list_params(r, &lp, 1) < 0)
        goto done;
    if ((p.has_none && p.none_star) || (p.has_match && !p.match_star && p.match_ts != r->hwm)) {
        cinto_res_precondition_failed(r, NULL, r->hwm);
        goto done;
    }
    lp.q.parent = r->parent;
    lp.q.resource = cinto_kinds[r->kind].name;
    lp.q.include_deleted = 0;
    lp.q.limit = lp.limit + 1;
    int rc = r->c->st->ops->list(r->c->st, &lp.q, &rows);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(r->c, rc);
        goto done;
    }
    size_t n = rows.count > (size_t)lp.limit ? (size_t)lp.limit : rows.count;
    json_object *list = json_object_new_array();
    long long last = r->hwm;
    cinto_buf uri = CINTO_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        long long ts;
        cinto_buf_reset(&uri);
        cinto_buf_printf(&uri, "%s%s", r->list_prefix, rows.items[i].id);
        if (cinto_res_timestamp(r, -1, -1, &ts) < 0 ||
            cinto_res_delete_one(r, rows.items[i].id, cinto_buf_str(&uri), ts) < 0) {
            json_object_put(list);
            cinto_buf_free(&uri);
            goto done;
        }
        json_object *t = json_object_new_object();
        json_object_object_add(t, "id", json_object_new_string(rows.items[i].id));
        json_object_object_add(t, "last_modified", json_object_new_int64(ts));
        json_object_object_add(t, "deleted", json_object_new_boolean(1));
        json_object_array_add(list, t);
        last = ts;
    }
    cinto_buf_free(&uri);
    if (cinto_res_commit(r) < 0) {
        json_object_put(list);
        goto done;
    }
    json_object *env = json_object_new_object();
    json_object_object_add(env, "data", list);
    cinto_response_json(r->c->resp, 200, env);
    json_object_put(env);
    if (rows.count > (size_t)lp.limit && n)
        set_next_page(r, lp.limit, rows.items[n - 1].last_modified);
    cinto_res_set_etag(r, last);
done:
    cinto_object_list_free(&rows);
    params_free(&lp);
}
