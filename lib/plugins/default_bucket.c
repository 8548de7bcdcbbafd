/* Default bucket (spec 04 §4.13). The request is rewritten to the user's
 * real bucket before any handler sees it, so everything downstream (ids in
 * responses, Next-Page URLs) already names the real bucket. */
#include "plugins/default_bucket.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/resource.h"
#include "util/json.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* kinto.default_bucket_hmac_secret, read once: one app per worker process. */
static const char *hmac_secret = "";

void cinto_default_bucket_id(const char *secret, const char *userid, char out[37])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)userid, strlen(userid));
    crypto_auth_hmacsha256_final(&st, mac);
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[mac[i] >> 4];
        out[o++] = hex[mac[i] & 15];
    }
    out[o] = '\0';
}

/* "/v1/buckets/default/..." -> "/v1/buckets/<id>/...". */
static int rewrite_path(cinto_request *req, const char *id)
{
    const char *at = strstr(req->path, "/buckets/default");
    if (!at)
        return 0;
    const char *rest = at + strlen("/buckets/default");
    cinto_buf p = CINTO_BUF_INIT;
    cinto_buf_append(&p, req->path, (size_t)(at - req->path));
    cinto_buf_printf(&p, "/buckets/%s%s", id, rest);
    if (!p.data)
        return -1;
    cinto_request_set_path(req, cinto_buf_steal(&p));
    return 0;
}

/* data.id naming "default" names the real bucket. */
static int rewrite_body(cinto_request *req, const char *id)
{
    if (!req->body_len || !strstr(req->body, "default"))
        return 0;
    char err[64];
    json_object *root = cinto_json_parse(req->body, req->body_len, NULL, err, sizeof err);
    const char *did = cinto_json_get_string(cinto_json_get(root, "data"), "id");
    const char *hit = did ? strstr(did, "default") : NULL;
    if (hit) {
        cinto_buf v = CINTO_BUF_INIT;
        cinto_buf_append(&v, did, (size_t)(hit - did));
        cinto_buf_printf(&v, "%s%s", id, hit + 7);
        json_object_object_add(cinto_json_get(root, "data"), "id",
                               json_object_new_string(cinto_buf_str(&v)));
        cinto_buf_free(&v);
        size_t len;
        const char *text = cinto_json_dump_len(root, &len);
        char *copy = strndup(text, len);
        if (copy)
            cinto_request_set_body(req, copy, len);
    }
    json_object_put(root);
    return 0;
}

/* ensure(): a listener refused the creation and answered. */
#define VETOED 100

/* The implicit creation as a write event. */
static int report(cinto_ctx *c, const char *resource, const char *id, const char *uri, long long ts)
{
    json_object *data = json_object_new_object();
    json_object_object_add(data, "id", json_object_new_string(id));
    json_object_object_add(data, "last_modified", json_object_new_int64(ts));
    json_object *acl = json_object_new_object();
    json_object *writers = json_object_new_array();
    json_object_array_add(writers, json_object_new_string(c->userid));
    json_object_object_add(acl, "write", writers);
    cinto_write_event ev = {
        .action = CINTO_ACTION_CREATE,
        .resource = resource,
        .uri = uri,
        .id = id,
        .new = data,
        .permissions = acl,
        .user = c->userid,
        .timestamp = ts,
    };
    int rc = cinto_report_write(c, &ev);
    json_object_put(data);
    json_object_put(acl);
    return rc;
}

/* *state: 1 live, -1 a tombstone, 0 no row. */
static int exists(cinto_storage *st, const char *parent, const char *resource, const char *id,
                  int *state)
{
    const char *parents[1] = {parent}, *resources[1] = {resource}, *ids[1] = {id};
    cinto_object o;
    int found = 0;
    memset(&o, 0, sizeof o);
    int rc = st->ops->get_many(st, 1, parents, resources, ids, &o, &found);
    *state = !found ? 0 : o.deleted ? -1 : 1;
    cinto_object_clear(&o);
    return rc;
}

/* Creates one object of the list (parent, resource) unless it exists. */
static int ensure(cinto_ctx *c, const char *parent, const char *resource, const char *id,
                  const char *uri)
{
    cinto_storage *st = c->st;
    int found = 0;
    int rc = exists(st, parent, resource, id, &found);
    if (rc != CINTO_ST_OK || found > 0)
        return rc;
    long long hwm;
    rc = st->ops->lock_list(st, parent, resource, c->now_ms, &hwm);
    /* Read again under the list's lock: a parallel first request of the
     * same user may have created it meanwhile (inserting it again would
     * answer 409). */
    if (rc == CINTO_ST_OK)
        rc = exists(st, parent, resource, id, &found);
    if (rc != CINTO_ST_OK || found > 0)
        return rc;
    found = found < 0; /* a tombstone's row is there */
    long long ts = c->now_ms > hwm ? c->now_ms : hwm + 1;
    if (rc == CINTO_ST_OK)
        rc = st->ops->put(st, parent, resource, id, ts, "{}", 2, found);
    if (rc == CINTO_ST_OK)
        rc = st->ops->raise_timestamp(st, parent, resource, ts);
    const char *who[1] = {c->userid};
    if (rc == CINTO_ST_OK)
        rc = st->ops->acl_set(st, uri, "write", who, 1, 1);
    if (rc == CINTO_ST_OK && cinto_write_listened(c->app) && report(c, resource, id, uri, ts) < 0)
        rc = VETOED;
    return rc;
}

int cinto_default_bucket_prepare(cinto_ctx *c)
{
    if (!c->userid) {
        cinto_error_denied(c);
        return -1;
    }
    if (c->cfg->readonly) {
        cinto_error(c, 405, CINTO_ERRNO_METHOD_NOT_ALLOWED, "Method not allowed on this endpoint.",
                    NULL);
        return -1;
    }
    if (!c->st) {
        cinto_error_storage(c, CINTO_ST_UNAVAILABLE);
        return -1;
    }
    char id[37];
    cinto_default_bucket_id(hmac_secret, c->userid, id);
    char *bid = strdup(id);
    if (!bid || rewrite_path(c->req, id) < 0 || rewrite_body(c->req, id) < 0) {
        free(bid);
        cinto_error_internal(c, "out of memory");
        return -1;
    }
    free(c->route.bid);
    c->route.bid = bid;
    const char *cid = c->route.cid;
    if (cid && !cinto_valid_id(cid)) {
        cinto_error_invalid(c, "path", NULL, "Invalid collection id");
        return -1;
    }
    int rc = c->st->ops->begin(c->st);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        return -1;
    }
    c->tx_open = 1;
    char buri[64];
    snprintf(buri, sizeof buri, "/buckets/%s", id);
    /* A PUT of the bucket or collection itself creates it: not done here. */
    int put = c->req->method == CINTO_PUT && !c->route.def->plural;
    int kind = c->route.def->kind;
    if (!(put && kind == CINTO_KIND_BUCKET))
        rc = ensure(c, "", "bucket", id, buri);
    if (rc == CINTO_ST_OK && cid && !(put && kind == CINTO_KIND_COLLECTION)) {
        cinto_buf curi = CINTO_BUF_INIT;
        cinto_buf_printf(&curi, "%s/collections/%s", buri, cid);
        rc = ensure(c, buri, "collection", cid, cinto_buf_str(&curi));
        cinto_buf_free(&curi);
    }
    if (rc != CINTO_ST_OK) {
        c->st->ops->rollback(c->st);
        c->tx_open = 0;
        if (rc != VETOED)
            cinto_error_storage(c, rc);
        return -1;
    }
    return 0;
}

/* ---- plugin row -------------------------------------------------------------- */

static int configure(cinto_app *app, cinto_settings *s, char *err, size_t errlen)
{
    const char *v = cinto_settings_get(s, "default_bucket_hmac_secret");
    hmac_secret = v ? v : "";
    return 0;
}

static void capability(cinto_ctx *c, json_object *caps)
{
    json_object_object_add(
        caps, "default_bucket",
        cinto_capability("The default bucket is an alias for a personal bucket where collections "
                         "are created implicitly.",
                         "https://kinto.readthedocs.io/en/latest/api/1.x/"
                         "buckets.html#personal-bucket-default"));
}

static void user_info(cinto_ctx *c, json_object *user)
{
    char bid[37];
    cinto_default_bucket_id(hmac_secret, c->userid, bid);
    json_object_object_add(user, "bucket", json_object_new_string(bid));
}

/* The personal bucket: created on first use, then the request runs as if
 * sent to the real bucket, all in one transaction. */
static int before_handler(cinto_ctx *c)
{
    if (!c->route.bid || strcmp(c->route.bid, "default") != 0)
        return 0;
    return cinto_default_bucket_prepare(c);
}

static const char *const settings[] = {"default_bucket_hmac_secret", NULL};

const cinto_plugin cinto_plugin_default_bucket = {
    .name = "kinto.plugins.default_bucket",
    .settings = settings,
    .configure = configure,
    .capability = capability,
    .user_info = user_info,
    .before_handler = before_handler,
    .kind = -1,
};
