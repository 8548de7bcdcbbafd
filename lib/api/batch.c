/* POST /batch (spec 06 §6.1-6.3): subrequests run one after the other
 * through the whole pipeline, inside one transaction. A subrequest that
 * answers 4xx is undone alone (its savepoint); one whose failure dooms the
 * transaction (a storage error: 409, 503, 500) undoes the whole batch,
 * which then answers with that error. */
#include "api/errors.h"
#include "api/handlers.h"
#include "api/router.h"
#include "util/codec.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const methods[] = {"GET",  "HEAD", "DELETE", "TRACE",
                                      "POST", "PUT",  "PATCH",  NULL};

static int invalid(cinto_ctx *c, const char *name, const char *desc)
{
    cinto_error_invalid(c, "body", name, desc);
    return -1;
}

/* Checks one request (or the defaults) object: only method, path,
 * headers, body. */
static int check_shape(cinto_ctx *c, json_object *o, int is_default)
{
    if (!o || !json_object_is_type(o, json_type_object))
        return invalid(c, is_default ? "defaults" : "requests", "is not an object");
    json_object_object_foreach(o, k, v)
    {
        if (strcmp(k, "method") == 0) {
            int ok = 0;
            for (int i = 0; methods[i] && v && json_object_is_type(v, json_type_string); i++)
                ok |= strcmp(json_object_get_string(v), methods[i]) == 0;
            if (!ok)
                return invalid(c, "method",
                               "is not one of GET, HEAD, DELETE, TRACE, POST, "
                               "PUT, PATCH");
        } else if (strcmp(k, "path") == 0) {
            if (!v || !json_object_is_type(v, json_type_string) ||
                json_object_get_string(v)[0] != '/')
                return invalid(c, "path", "path must be a string starting with /");
        } else if (strcmp(k, "headers") == 0) {
            if (!v || !json_object_is_type(v, json_type_object))
                return invalid(c, "headers", "headers must be an object");
            json_object_object_foreach(v, hk, hv)
            {
                (void)hk;
                if (!hv || !json_object_is_type(hv, json_type_string))
                    return invalid(c, "headers", "header values must be strings");
            }
        } else if (strcmp(k, "body") == 0) {
            if (!v || (!json_object_is_type(v, json_type_object) &&
                       !json_object_is_type(v, json_type_array)))
                return invalid(c, "body", "body must be an object");
        } else {
            char d[512];
            snprintf(d, sizeof d, "Unrecognized keys in mapping: '%.400s'", k);
            return invalid(c, "", d);
        }
    }
    return 0;
}

/* Defaults are merged into each request without overwriting it. */
static void merge_defaults(json_object *req, json_object *defaults)
{
    if (!json_object_is_type(defaults, json_type_object))
        return;
    json_object_object_foreach(defaults, k, v)
    {
        json_object *mine = cinto_json_get(req, k);
        if (!mine) {
            json_object_object_add(req, k, cinto_json_copy(v));
        } else if (json_object_is_type(mine, json_type_object) && v &&
                   json_object_is_type(v, json_type_object)) {
            merge_defaults(mine, v);
        }
    }
}

static const char *header_of(json_object *headers, const char *name)
{
    if (!headers)
        return NULL;
    json_object_object_foreach(headers, k, v)
    {
        if (strcasecmp(k, name) == 0)
            return json_object_get_string(v);
    }
    return NULL;
}

/* The route is /batch, however written: with or without /v1, trailing
 * slashes (which would be redirected to it) or a query string. */
static int is_batch_path(const char *path)
{
    const char *p = strncmp(path, "/v1/", 4) == 0 ? path + 3 : path;
    size_t n = strcspn(p, "?");
    while (n > 1 && p[n - 1] == '/')
        n--;
    return n == 6 && strncmp(p, "/batch", 6) == 0;
}

/* A subrequest's context: the batch's app, settings, storage and clock. */
static void sub_ctx_init(cinto_ctx *sc, cinto_ctx *c, cinto_request *sub, cinto_response *resp)
{
    memset(sc, 0, sizeof *sc);
    sc->app = c->app;
    sc->cfg = c->cfg;
    sc->st = c->st;
    sc->req = sub;
    sc->resp = resp;
    sc->now_ms = c->now_ms;
}

/* Runs one subrequest through the pipeline and describes its answer;
 * *doomed says whether it failed in a way that undoes the whole batch. */
static json_object *run_one(cinto_ctx *c, json_object *sr, int *status, int *doomed)
{
    const char *method = cinto_json_get_string(sr, "method");
    const char *path = cinto_json_get_string(sr, "path");
    json_object *headers = cinto_json_get(sr, "headers");
    json_object *body = cinto_json_get(sr, "body");
    cinto_request sub = *c->req;
    cinto_buf p = CINTO_BUF_INIT;
    if (strncmp(path, "/v1", 3) != 0)
        cinto_buf_puts(&p, "/v1");
    /* Paths arrive percent-decoded from web servers; do the same here. */
    if (cinto_url_decode(path, strcspn(path, "?"), 0, &p) < 0)
        cinto_buf_append(&p, path, strcspn(path, "?"));
    const char *q = strchr(path, '?');
    sub.query_string = q ? q + 1 : "";
    sub.method_name = method ? method : "GET";
    sub.method = CINTO_METHOD_OTHER;
    for (int m = CINTO_GET; m < CINTO_METHOD_OTHER; m++)
        if (strcmp(sub.method_name, cinto_method_name((enum cinto_method)m)) == 0)
            sub.method = (enum cinto_method)m;
    /* The batch's headers, overridden by the subrequest's. */
    const char *h;
    if ((h = header_of(headers, "Authorization")))
        sub.authorization = h;
    if ((h = header_of(headers, "Accept")))
        sub.accept = h;
    if ((h = header_of(headers, "If-Match")))
        sub.if_match = h;
    if ((h = header_of(headers, "If-None-Match")))
        sub.if_none_match = h;
    if ((h = header_of(headers, "Response-Behavior")))
        sub.response_behavior = h;
    const char *ct = header_of(headers, "Content-Type");
    sub.content_type =
        ct && (strstr(ct, "merge-patch") || strstr(ct, "json-patch")) ? ct : "application/json";
    size_t blen = 0;
    const char *btext = body ? cinto_json_dump_len(body, &blen) : "";
    sub.body = strndup(btext, blen);
    sub.body_len = blen;
    sub.body_off = 0;
    sub.body_state = CINTO_BODY_OK;
    sub.origin = NULL;
    cinto_response resp;
    cinto_response_init(&resp);
    cinto_ctx sc;
    sub_ctx_init(&sc, c, &sub, &resp);
    int cors_ok, star;
    /* A decoded %00 would cut the path short: such a path is not found. */
    sub.path_ctrl = p.len && memchr(p.data, '\0', p.len) != NULL;
    sub.path = cinto_buf_steal(&p);
    /* The path answered is the one asked (or redirected to): a handler may
     * rewrite sub.path (the default bucket names the real bucket), upstream
     * still answers "/v1/buckets/default/...". */
    char *asked = sub.path ? strdup(sub.path) : NULL;
    cinto_route_and_handle(&sc, &cors_ok, &star);
    /* A redirect (version prefix, trailing slash) is followed once. */
    const char *loc = resp.status == 307 ? cinto_response_get(&resp, "Location") : NULL;
    if (loc) {
        const char *v1 = strstr(loc, "/v1");
        char *again = v1 ? strndup(v1, strcspn(v1, "?")) : NULL;
        if (again) {
            free(sub.path);
            sub.path = again;
            free(asked);
            asked = strdup(again);
            cinto_ctx_clear(&sc);
            sub_ctx_init(&sc, c, &sub, &resp);
            cinto_response_reset(&resp);
            cinto_route_and_handle(&sc, &cors_ok, &star);
        }
    }
    *status = resp.failed ? 500 : resp.status;
    *doomed = sc.tx_doomed || resp.failed;
    json_object *out = json_object_new_object();
    json_object_object_add(out, "status", json_object_new_int(*status));
    json_object_object_add(out, "path", json_object_new_string(asked ? asked : sub.path));
    json_object *hdrs = json_object_new_object();
    for (size_t i = 0; i < resp.nheaders; i++)
        json_object_object_add(hdrs, resp.headers[i].name,
                               json_object_new_string(resp.headers[i].value));
    json_object_object_add(out, "headers", hdrs);
    json_object *rbody = NULL;
    if (resp.body.len && sub.method != CINTO_HEAD) {
        char err[128];
        rbody = cinto_json_parse(resp.body.data, resp.body.len, NULL, err, sizeof err);
        if (!rbody)
            rbody = json_object_new_string_len(resp.body.data, (int)resp.body.len);
    }
    json_object_object_add(out, "body", rbody ? rbody : json_object_new_string(""));
    cinto_ctx_clear(&sc);
    cinto_response_free(&resp);
    free(sub.path);
    free(asked);
    free(sub.body);
    return out;
}

static const char *const batch_types[] = {"application/json", NULL};

void cinto_handle_batch(cinto_ctx *c)
{
    char err[512];
    json_object *root = NULL, *responses = NULL;
    int in_tx = 0;
    if (c->req->content_type) {
        char mt[128];
        if (cinto_media_type(c->req->content_type, mt, sizeof mt) < 0 ||
            strcmp(mt, batch_types[0]) != 0) {
            cinto_error_invalid_status(c, 415, "header", "Content-Type",
                                       "Content-Type header should be one of ['application/json']");
            return;
        }
    }
    if (!cinto_accept_json(c->req->accept)) {
        cinto_error_invalid_status(c, 406, "header", "Accept",
                                   "Accept header should be one of ['application/json']");
        return;
    }
    root = cinto_json_parse(c->req->body_len ? c->req->body : "{}",
                            c->req->body_len ? c->req->body_len : 2, NULL, err, sizeof err);
    if (!root || !json_object_is_type(root, json_type_object)) {
        const char *why = root || !err[0] ? "Invalid JSON: the body must be a JSON object" : err;
        /* Upstream reports a bare value as it does bad JSON (the body then
         * counts as missing); an array only as not being an object. */
        if (root && json_object_is_type(root, json_type_array))
            invalid(c, "", why);
        else
            cinto_error_body_unusable(c, why);
        goto done;
    }
    json_object *requests = cinto_json_get(root, "requests");
    json_object *defaults = cinto_json_get(root, "defaults");
    json_object_object_foreach(root, k, v)
    {
        (void)v;
        if (strcmp(k, "requests") && strcmp(k, "defaults")) {
            snprintf(err, sizeof err, "Unrecognized keys in mapping: '%.400s'", k);
            invalid(c, "", err);
            goto done;
        }
    }
    if (!requests || !json_object_is_type(requests, json_type_array)) {
        invalid(c, "requests", "Required");
        goto done;
    }
    if (defaults && check_shape(c, defaults, 1) < 0)
        goto done;
    size_t n = json_object_array_length(requests);
    if (c->cfg->batch_max_requests > 0 && n > (size_t)c->cfg->batch_max_requests) {
        snprintf(err, sizeof err, "Number of requests is limited to %lld",
                 c->cfg->batch_max_requests);
        invalid(c, "requests", err);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *sr = json_object_array_get_idx(requests, i);
        if (check_shape(c, sr, 0) < 0)
            goto done;
        if (defaults)
            merge_defaults(sr, defaults);
        const char *path = cinto_json_get_string(sr, "path");
        if (!path) {
            char name[64];
            snprintf(name, sizeof name, "requests.%zu.path", i);
            invalid(c, name, "Required");
            goto done;
        }
        if (is_batch_path(path)) {
            invalid(c, "requests", "Recursive call on /batch endpoint is forbidden.");
            goto done;
        }
    }
    responses = json_object_new_array();
    if (n && c->st) {
        int rc = c->st->ops->begin(c->st);
        if (rc != CINTO_ST_OK) {
            cinto_error_storage(c, rc);
            goto done;
        }
        in_tx = 1;
    }
    for (size_t i = 0; i < n; i++) {
        int status = 0, doomed = 0;
        json_object *one = run_one(c, json_object_array_get_idx(requests, i), &status, &doomed);
        if (doomed) {
            /* The whole batch is undone and answers with that error. */
            c->st->ops->rollback(c->st);
            in_tx = 0;
            json_object *b = cinto_json_get(one, "body");
            cinto_response_reset(c->resp);
            if (b && json_object_is_type(b, json_type_object)) {
                cinto_response_json(c->resp, status, b);
            } else {
                cinto_error(c, status, CINTO_ERRNO_UNDEFINED, NULL, NULL);
            }
            json_object_put(one);
            goto done;
        }
        json_object_array_add(responses, one);
    }
    if (in_tx) {
        int rc = c->st->ops->commit(c->st);
        in_tx = 0;
        if (rc != CINTO_ST_OK) {
            cinto_error_storage(c, rc);
            goto done;
        }
    }
    json_object *env = json_object_new_object();
    json_object_object_add(env, "responses", responses);
    responses = NULL;
    cinto_response_json(c->resp, 200, env);
    json_object_put(env);
done:
    if (in_tx)
        c->st->ops->rollback(c->st);
    json_object_put(responses);
    json_object_put(root);
}
