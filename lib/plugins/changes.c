/* The changes plugin (spec 06 §6.6-6.7, CHG-1..5), Remote Settings'
 * kinto-changes: on by kinto_changes, kinto_remote_settings or
 * kinto_remote_settings.changes in kinto.includes.
 *
 * - GET /buckets/monitor/collections/changes/records: a virtual list, one
 *   entry per monitored collection (its records list timestamp), public,
 *   with the list features of spec 02 on its five fields;
 * - GET /buckets/{bid}/collections/{cid}/changeset: a collection's
 *   metadata, records timestamp and changes in one answer.
 *
 * The monitored collections come from one read of the list marks
 * (storage list_marks: one statement per 7 configured URIs), never one
 * query per collection. Nothing is written: the entries exist only in
 * answers. */
#include "api/errors.h"
#include "api/handlers.h"
#include "api/plugin.h"
#include "api/resource_internal.h"
#include "api/router.h"
#include "query/query.h"
#include "util/buf.h"
#include "util/codec.h"
#include "util/json.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MONITOR_BUCKET "monitor"
#define CHANGES_COLLECTION "changes"
#define JANUARY_1ST_2100 4102444800000LL

/* Settings, read once: one app per worker process. */
static char **resources; /* changes.resources */
static char **excluded;  /* changes.excluded_collections */
static long long since_max_age_days = 21;
static long long redirect_ttl = 86400; /* changes.since_max_age_redirect_ttl_seconds */
static const char *http_host;          /* kinto.http_host: entry ids and "host" */
static const char *redirect_host;      /* changes.http_host, else http_host */
static const char *http_scheme;

/* ---- MD5 (RFC 1321), for the entry ids upstream derives from it ------------ */

static const uint32_t md5_k[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
static const uint8_t md5_r[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                  5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                                  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

static void md5_block(uint32_t h[4], const uint8_t *p)
{
    uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
               (uint32_t)p[4 * i + 3] << 24;
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g;
        if (i < 16) {
            f = (b & c) | (~b & d);
            g = i;
        } else if (i < 32) {
            f = (d & b) | (~d & c);
            g = (5 * i + 1) % 16;
        } else if (i < 48) {
            f = b ^ c ^ d;
            g = (3 * i + 5) % 16;
        } else {
            f = c ^ (b | ~d);
            g = (7 * i) % 16;
        }
        uint32_t t = d;
        d = c;
        c = b;
        uint32_t x = a + f + md5_k[i] + w[g];
        b = b + (x << md5_r[i] | x >> (32 - md5_r[i]));
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
}

static void md5(const void *data, size_t len, uint8_t out[16])
{
    uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    const uint8_t *p = data;
    size_t n = len;
    for (; n >= 64; n -= 64, p += 64)
        md5_block(h, p);
    uint8_t tail[128] = {0};
    memcpy(tail, p, n);
    tail[n] = 0x80;
    size_t tl = n + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        tail[tl - 8 + i] = (uint8_t)(bits >> (8 * i));
    md5_block(h, tail);
    if (tl == 128)
        md5_block(h, tail + 64);
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 4; k++)
            out[4 * i + k] = (uint8_t)(h[i] >> (8 * k));
}

/* Upstream's entry id: md5(http_host + collection URI) written as a UUID. */
static void entry_id(const char *collection_uri, char out[37])
{
    cinto_buf s = CINTO_BUF_INIT;
    cinto_buf_puts(&s, http_host ? http_host : "");
    cinto_buf_puts(&s, collection_uri);
    uint8_t d[16];
    char hex[33];
    md5(s.data ? s.data : "", s.data ? s.len : 0, d);
    cinto_buf_free(&s);
    cinto_hex(d, 16, hex);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

/* ---- monitored collections ------------------------------------------------ */

/* A bucket URI covers its collections, a collection URI itself. */
static int covered(char **uris, const char *parent)
{
    for (size_t i = 0; uris && uris[i]; i++) {
        size_t n = strlen(uris[i]);
        int is_collection = strstr(uris[i], "/collections/") != NULL;
        if (strncmp(parent, uris[i], n) != 0)
            continue;
        if (is_collection ? parent[n] == '\0' : parent[n] == '/')
            return 1;
    }
    return 0;
}

/* "/buckets/b/collections/c" -> b and c (copies in buf). */
static int split_collection_uri(const char *uri, char *buf, size_t buflen, const char **bid,
                                const char **cid)
{
    if (strncmp(uri, "/buckets/", 9) != 0 || strlen(uri) >= buflen)
        return -1;
    strcpy(buf, uri + 9);
    char *sep = strstr(buf, "/collections/");
    if (!sep || strchr(sep + 13, '/') || strchr(buf, '/') != sep)
        return -1;
    *sep = '\0';
    *bid = buf;
    *cid = sep + 13;
    return 0;
}

/* The entries of monitor/changes as JSON objects, read in one statement
 * per 7 configured URIs. */
static int monitored_entries(cinto_ctx *c, json_object **out)
{
    *out = json_object_new_array();
    size_t n = 0;
    while (resources && resources[n])
        n++;
    const char **uris = calloc(n ? n : 1, sizeof *uris);
    char **owned = calloc(n ? n : 1, sizeof *owned);
    cinto_object_list marks = {0};
    int rc = uris && owned ? CINTO_ST_OK : CINTO_ST_NOMEM;
    for (size_t i = 0; i < n && rc == CINTO_ST_OK; i++) {
        if (strstr(resources[i], "/collections/")) {
            uris[i] = resources[i];
            continue;
        }
        /* A bucket: the lists below it ("/buckets/b/" prefix). */
        owned[i] = malloc(strlen(resources[i]) + 2);
        if (!owned[i]) {
            rc = CINTO_ST_NOMEM;
            break;
        }
        strcat(strcpy(owned[i], resources[i]), "/");
        uris[i] = owned[i];
    }
    if (rc == CINTO_ST_OK && n)
        rc = c->st->ops->list_marks(c->st, "record", uris, n, &marks);
    for (size_t i = 0; i < marks.count && rc == CINTO_ST_OK; i++) {
        const char *parent = marks.items[i].id;
        char buf[1024], id[37];
        const char *bid, *cid;
        if (!covered(resources, parent) || covered(excluded, parent) ||
            split_collection_uri(parent, buf, sizeof buf, &bid, &cid) < 0)
            continue;
        entry_id(parent, id);
        json_object *e = json_object_new_object();
        json_object_object_add(e, "id", json_object_new_string(id));
        json_object_object_add(e, "last_modified",
                               json_object_new_int64(marks.items[i].last_modified));
        json_object_object_add(e, "bucket", json_object_new_string(bid));
        json_object_object_add(e, "collection", json_object_new_string(cid));
        json_object_object_add(e, "host", json_object_new_string(http_host ? http_host : ""));
        json_object_array_add(*out, e);
    }
    for (size_t i = 0; owned && i < n; i++)
        free(owned[i]);
    free(owned);
    free(uris);
    cinto_object_list_free(&marks);
    return rc;
}

/* ---- query handling shared by both endpoints ---------------------------------- */

static const char *param(cinto_ctx *c, const char *name)
{
    const char *v = NULL;
    for (size_t i = 0; i < c->query.count; i++)
        if (strcmp(c->query.items[i].name, name) == 0)
            v = c->query.items[i].value; /* the last one wins */
    return v;
}

/* Python's int() of the value with double quotes stripped from both ends:
 * optional blanks and sign around digits. */
static int parse_int(const char *s, long long *out)
{
    if (!s)
        return -1;
    while (*s == '"')
        s++;
    while (isspace((unsigned char)*s))
        s++;
    const char *start = s;
    if (*s == '+' || *s == '-')
        s++;
    if (!isdigit((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(start, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    while (*end == '"')
        end++;
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

/* Pyramid's cache_expires(ttl). */
static void cache_expires(cinto_ctx *c, long long ttl)
{
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

static long long setting_int(cinto_ctx *c, const char *key, int *ok)
{
    long long v = cinto_settings_int(c->cfg->raw, key, -1, ok);
    return *ok ? v : -1;
}

/* Spec 06 §6.7 item 6: with _expected "0" or "9999…" (cache busts), the
 * minimum; with another _expected the maximum; without it the plain
 * <bid>.<cid>.record_cache_expires_seconds; else the bucket's, then the
 * global record setting. */
static void changes_cache_headers(cinto_ctx *c, const char *bid, const char *cid)
{
    char key[1024];
    int ok_plain = 0, ok = 0;
    snprintf(key, sizeof key, "%s.%s.record_cache_expires_seconds", bid, cid);
    long long plain = setting_int(c, key, &ok_plain), ttl = plain;
    const char *expected = param(c, "_expected");
    if (expected && *expected) {
        int bust = strcmp(expected, "0") == 0 || strncmp(expected, "9999", 4) == 0;
        snprintf(key, sizeof key, "%s.%s.record_cache_%s_expires_seconds", bid, cid,
                 bust ? "minimum" : "maximum");
        long long v = setting_int(c, key, &ok);
        if (ok)
            ttl = v;
        else
            ok = ok_plain;
    } else {
        ok = ok_plain;
    }
    if (!ok) {
        snprintf(key, sizeof key, "%s.record_cache_expires_seconds", bid);
        ttl = setting_int(c, key, &ok);
        if (!ok)
            ttl = setting_int(c, "record_cache_expires_seconds", &ok);
    }
    if (ok && ttl >= 0)
        cache_expires(c, ttl);
}

/* _expected > 0 and older than _since: the client went back in time;
 * 204 so that CDNs cache the answer (spec 06 §6.6 item 4). */
static int stale_expected(cinto_ctx *c)
{
    long long since, expected = 0;
    const char *e = param(c, "_expected");
    if (parse_int(param(c, "_since"), &since) < 0 || (e && parse_int(e, &expected) < 0))
        return 0;
    if (!(expected > 0 && expected < since))
        return 0;
    cinto_response_reset(c->resp);
    c->resp->status = 204;
    if (redirect_ttl >= 0)
        cache_expires(c, redirect_ttl);
    return 1;
}

/* Redirects to the same URL with the query rebuilt: skip drops one
 * parameter, unquote removes the double quotes of another. */
static void redirect(cinto_ctx *c, const char *skip, const char *unquote, long long ttl)
{
    cinto_buf loc = CINTO_BUF_INIT;
    if (redirect_host && *redirect_host)
        cinto_buf_printf(&loc, "%s://%s", http_scheme && *http_scheme ? http_scheme : "https",
                         redirect_host);
    else
        cinto_base_url(c, &loc);
    cinto_buf_puts(&loc, c->req->path); /* "/v1/buckets/…" */
    char sep = '?';
    for (size_t i = 0; i < c->query.count; i++) {
        const cinto_query_param *p = &c->query.items[i];
        if (skip && strcmp(p->name, skip) == 0)
            continue;
        cinto_buf_putc(&loc, sep);
        sep = '&';
        cinto_url_encode(p->name, p->name_len, &loc);
        cinto_buf_putc(&loc, '=');
        if (unquote && strcmp(p->name, unquote) == 0) {
            for (size_t k = 0; k < p->value_len; k++)
                if (p->value[k] != '"')
                    cinto_url_encode(p->value + k, 1, &loc);
        } else {
            cinto_url_encode(p->value, p->value_len, &loc);
        }
    }
    cinto_response_reset(c->resp);
    c->resp->status = 307;
    cinto_response_set(c->resp, "Location", "%s", cinto_buf_str(&loc));
    if (ttl >= 0)
        cache_expires(c, ttl);
    cinto_buf_free(&loc);
}

/* _since older than since_max_age_days: 307 without it, so that caches
 * see fewer distinct URLs (spec 06 §6.6 item 4). */
static int old_since(cinto_ctx *c)
{
    long long since;
    if (since_max_age_days < 0 || parse_int(param(c, "_since"), &since) < 0)
        return 0;
    if ((double)since >= (double)c->now_ms - (double)since_max_age_days * 86400000.0)
        return 0;
    redirect(c, "_since", NULL, redirect_ttl);
    return 1;
}

/* ---- GET /buckets/monitor/collections/changes/records ----------------------- */

static const char *const entry_fields[] = {"id",         "last_modified", "deleted", "bucket",
                                           "collection", "host",          NULL};

static const cinto_list_spec *sort_spec;

static int sort_cmp(const void *a, const void *b)
{
    return cinto_sort_compare(sort_spec, *(json_object *const *)a, *(json_object *const *)b);
}

/* The page size of spec 02 §2.8. */
static long long page_size(cinto_ctx *c, long long asked)
{
    const cinto_config *cfg = c->cfg;
    long long L = asked > 0 ? asked : cfg->paginate_by;
    if (L && cfg->paginate_by && L > cfg->paginate_by)
        L = cfg->paginate_by;
    if (!L || L > cfg->storage_max_fetch_size)
        L = cfg->storage_max_fetch_size;
    return L;
}

/* If-None-Match / If-Match against the list's ETag: 0 to go on, 1 for the
 * empty 200 that replaces a 304 (CDNs do not cache 304s), -1 answered. */
static int list_preconditions(cinto_ctx *c, long long etag)
{
    cinto_rctx r = {.c = c};
    cinto_precond p;
    if (cinto_res_parse_preconditions(&r, &p) < 0)
        return -1;
    if (p.has_none && !p.none_star && p.none_ts == etag)
        return 1;
    if ((p.has_none && p.none_star) || (p.has_match && !p.match_star && p.match_ts != etag)) {
        cinto_res_precondition_failed(&r, NULL, etag);
        return -1;
    }
    return 0;
}

static void set_etag(cinto_ctx *c, long long ts)
{
    char date[32];
    cinto_http_date(ts / 1000, date);
    cinto_response_set(c->resp, "ETag", "\"%lld\"", ts);
    cinto_response_set(c->resp, "Last-Modified", "%s", date);
}

static void handle_changes_list(cinto_ctx *c)
{
    json_object *all = NULL;
    cinto_list_spec spec;
    cinto_query_error qe;
    memset(&spec, 0, sizeof spec);
    memset(&qe, 0, sizeof qe);
    if (stale_expected(c) || old_since(c))
        return;
    if (!cinto_accept_json(c->req->accept)) {
        cinto_error_invalid_status(c, 406, "header", "Accept",
                                   "Accept header should be one of ['application/json']");
        return;
    }
    int rc = monitored_entries(c, &all);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        goto done;
    }
    long long etag = 0;
    size_t n = json_object_array_length(all);
    for (size_t i = 0; i < n; i++) {
        long long lm = json_object_get_int64(
            cinto_json_get(json_object_array_get_idx(all, i), "last_modified"));
        if (lm > etag)
            etag = lm;
    }
    if (!n)
        etag = c->now_ms;
    int pre = list_preconditions(c, etag);
    if (pre < 0)
        goto done;
    if (cinto_list_spec_parse(&c->query, c->now_ms, entry_fields, &spec, &qe) < 0) {
        cinto_error_invalid(c, "querystring", qe.has_name ? qe.name : NULL, qe.description);
        goto done;
    }
    long long limit = page_size(c, spec.limit);
    /* Matching entries in sort order, from the token on. */
    json_object **items = calloc(n ? n : 1, sizeof *items);
    size_t count = 0;
    if (!items) {
        cinto_error_internal(c, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n && pre == 0; i++) {
        json_object *e = json_object_array_get_idx(all, i);
        if (cinto_filter_match(&spec, e))
            items[count++] = e;
    }
    sort_spec = &spec;
    qsort(items, count, sizeof *items, sort_cmp);
    size_t start = 0;
    while (spec.token_last && start < count && !cinto_after_token(&spec, items[start]))
        start++;
    if (c->req->method == CINTO_HEAD) {
        cinto_response_reset(c->resp);
        c->resp->status = 200;
        cinto_response_set(c->resp, "Content-Type", "application/json");
        cinto_response_set(c->resp, "Total-Objects", "%zu", count);
        cinto_response_set(c->resp, "Total-Records", "%zu", count);
    } else {
        json_object *list = json_object_new_array();
        size_t shown = 0;
        for (size_t i = start; i < count && shown < (size_t)limit; i++, shown++) {
            json_object *o = json_object_get(items[i]);
            if (spec.fields) {
                json_object *copy = NULL;
                json_object_deep_copy(o, &copy, NULL);
                json_object_put(o);
                o = copy;
                cinto_res_project(o, spec.fields);
            }
            json_object_array_add(list, o);
        }
        if (start + shown < count && shown)
            cinto_res_next_page(c, &spec, limit, items[start + shown - 1]);
        json_object *env = json_object_new_object();
        json_object_object_add(env, "data", list);
        cinto_response_json(c->resp, 200, env);
        json_object_put(env);
    }
    free(items);
    set_etag(c, etag);
    changes_cache_headers(c, MONITOR_BUCKET, CHANGES_COLLECTION);
done:
    cinto_list_spec_free(&spec);
    json_object_put(all);
}

/* ---- GET /buckets/{bid}/collections/{cid}/changeset --------------------------- */

typedef struct changeset_query {
    const char *expected;
    int has_since;
    long long since;
    long long limit; /* bounded page size */
    const char *bucket, *collection;
} changeset_query;

/* Validates the query string as upstream's schema (spec 06 §6.7 item 1);
 * -1 after a 400. */
static int changeset_params(cinto_ctx *c, changeset_query *q)
{
    memset(q, 0, sizeof *q);
    char msg[256];
    const char *since = param(c, "_since"), *limit = param(c, "_limit");
    q->expected = param(c, "_expected");
    q->bucket = param(c, "bucket");
    q->collection = param(c, "collection");
    if (since) {
        size_t len = strlen(since);
        const char *digits = since;
        size_t dl = len;
        if (len >= 2 && since[0] == '"' && since[len - 1] == '"') {
            digits++;
            dl -= 2;
        }
        if (dl == 0 || strspn(digits, "0123456789") < dl) {
            cinto_error_invalid(c, "querystring", "_since",
                                "The value should be integer, optionally between double quotes.");
            return -1;
        }
        errno = 0;
        q->since = strtoll(digits, NULL, 10);
        if (errno || q->since > JANUARY_1ST_2100) {
            snprintf(msg, sizeof msg, "%.40s is greater than maximum value %lld", digits,
                     JANUARY_1ST_2100);
            cinto_error_invalid(c, "querystring", "_since", msg);
            return -1;
        }
        q->has_since = 1;
    }
    long long asked = 0;
    if (limit) {
        char *end;
        errno = 0;
        asked = strtoll(limit, &end, 10);
        if (!*limit || *end || errno) {
            snprintf(msg, sizeof msg, "\"%.60s\" is not a number", limit);
            cinto_error_invalid(c, "querystring", "_limit", msg);
            return -1;
        }
        if (asked < 0) {
            snprintf(msg, sizeof msg, "%lld is less than minimum value 0", asked);
            cinto_error_invalid(c, "querystring", "_limit", msg);
            return -1;
        }
    }
    if (!q->expected) {
        cinto_error_invalid(c, "querystring", "_expected", "Required");
        return -1;
    }
    /* upstream: min(|_limit|, min(paginate_by or max, max)), max when absent. */
    long long max = c->cfg->storage_max_fetch_size;
    long long bound = c->cfg->paginate_by && c->cfg->paginate_by < max ? c->cfg->paginate_by : max;
    q->limit = limit && asked < bound ? asked : bound;
    return 0;
}

/* A bare collection request on the collection URI: the checks the core
 * runs on GET of that collection (existence, read permission). */
typedef struct coll_req {
    cinto_rctx r;
} coll_req;

static int coll_open(coll_req *q, cinto_ctx *c)
{
    cinto_rctx *r = &q->r;
    memset(q, 0, sizeof *q);
    r->c = c;
    r->kind = CINTO_KIND_COLLECTION;
    r->ki = &cinto_kinds[CINTO_KIND_COLLECTION];
    r->ids[CINTO_KIND_BUCKET] = c->route.bid;
    r->ids[CINTO_KIND_COLLECTION] = c->route.cid;
    r->id = c->route.cid;
    cinto_buf b = CINTO_BUF_INIT, col = CINTO_BUF_INIT, prefix = CINTO_BUF_INIT;
    cinto_buf_printf(&b, "/buckets/%s", c->route.bid);
    cinto_buf_printf(&col, "/buckets/%s/collections/%s", c->route.bid, c->route.cid);
    cinto_buf_printf(&prefix, "/buckets/%s/collections/", c->route.bid);
    r->uris[CINTO_KIND_BUCKET] = cinto_buf_steal(&b);
    r->uris[CINTO_KIND_COLLECTION] = cinto_buf_steal(&col);
    r->list_prefix = cinto_buf_steal(&prefix);
    r->parent = r->uris[CINTO_KIND_BUCKET] ? strdup(r->uris[CINTO_KIND_BUCKET]) : NULL;
    r->uri = r->uris[CINTO_KIND_COLLECTION] ? strdup(r->uris[CINTO_KIND_COLLECTION]) : NULL;
    return r->uris[CINTO_KIND_BUCKET] && r->uris[CINTO_KIND_COLLECTION] && r->list_prefix &&
                   r->parent && r->uri
               ? 0
               : -1;
}

static void coll_close(coll_req *q)
{
    cinto_rctx *r = &q->r;
    for (int k = 0; k < CINTO_KIND_COUNT; k++) {
        free(r->uris[k]);
        cinto_object_clear(&r->objs[k]);
    }
    cinto_ace_list_free(&r->acl);
    free(r->parent);
    free(r->uri);
    free(r->list_prefix);
}

/* The records list timestamp of a collection. In readonly mode it is only
 * read, never created: a list never initialized is CINTO_ST_NOTFOUND (a
 * 404, spec 08 §8.13 item 4). */
static int records_mark(cinto_ctx *c, const char *uri, long long *ts)
{
    if (!c->cfg->readonly)
        return c->st->ops->list_timestamp(c->st, uri, "record", c->now_ms, ts);
    cinto_object_list marks = {0};
    int rc = c->st->ops->list_marks(c->st, "record", &uri, 1, &marks);
    if (rc == CINTO_ST_OK && !marks.count)
        rc = CINTO_ST_NOTFOUND;
    if (rc == CINTO_ST_OK)
        *ts = marks.items[0].last_modified;
    cinto_object_list_free(&marks);
    return rc;
}

/* A change streamed from MariaDB straight into the answer's array. */
static int add_change(void *ctx, cinto_object *row)
{
    json_object *o = cinto_res_object_json(row);
    cinto_object_clear(row);
    if (!o || json_object_array_add(ctx, o) != 0) {
        json_object_put(o);
        return -1;
    }
    return 0;
}

/* Reads metadata, records timestamp and changes of a stored collection;
 * -1 after answering. */
static int collection_changeset(cinto_ctx *c, const changeset_query *q, json_object *out,
                                long long *last_modified)
{
    coll_req cr;
    cinto_rctx *r = &cr.r;
    cinto_object_list rows = {0};
    json_object *changes = json_object_new_array();
    int ret = -1;
    if (!changes || coll_open(&cr, c) < 0) {
        cinto_error_internal(c, "out of memory");
        goto done;
    }
    if (cinto_res_fetch_chain(r, NULL) < 0 || cinto_res_load_acl(r, NULL) < 0)
        goto done;
    if (!cinto_perm_allowed(r, CINTO_KIND_COLLECTION, "read:attributes")) {
        cinto_error_denied(c);
        goto done;
    }
    if (!cinto_obj_exists(r, CINTO_KIND_BUCKET) || !cinto_obj_exists(r, CINTO_KIND_COLLECTION)) {
        cinto_error(c, 404, CINTO_ERRNO_MISSING_RESOURCE,
                    "The resource you are looking for could not be found.", NULL);
        goto done;
    }
    /* One snapshot: the mark before and after the read must agree. */
    long long before, after;
    int rc = records_mark(c, r->uri, &before);
    cinto_list_query lq = {.parent = r->uri,
                           .resource = "record",
                           .include_deleted = q->has_since,
                           .gt_modified = q->has_since ? q->since : -1,
                           .lt_modified = -1,
                           .min_modified = -1,
                           .max_modified = -1,
                           .eq_modified = -1,
                           .ne_modified = -1,
                           .limit = q->limit,
                           .on_row = add_change,
                           .row_ctx = changes};
    if (rc == CINTO_ST_OK)
        rc = c->st->ops->list(c->st, &lq, &rows);
    if (rc == CINTO_ST_OK)
        rc = records_mark(c, r->uri, &after);
    if (rc == CINTO_ST_NOTFOUND) {
        cinto_error(c, 404, CINTO_ERRNO_MISSING_RESOURCE,
                    "The resource you are looking for could not be found.", NULL);
        goto done;
    }
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        goto done;
    }
    if (before != after) {
        cinto_error(c, 409, CINTO_ERRNO_CONSTRAINT_VIOLATED, "Inconsistent data. Retry.", NULL);
        goto done;
    }
    json_object *meta = cinto_res_object_json(&r->objs[CINTO_KIND_COLLECTION]);
    json_object_object_add(meta, "bucket", json_object_new_string(c->route.bid));
    json_object_object_add(out, "metadata", meta);
    json_object_object_add(out, "timestamp", json_object_new_int64(after));
    json_object_object_add(out, "changes", json_object_get(changes));
    *last_modified = r->objs[CINTO_KIND_COLLECTION].last_modified;
    ret = 0;
done:
    json_object_put(changes);
    cinto_object_list_free(&rows);
    coll_close(&cr);
    return ret;
}

static int by_last_modified_desc(const void *a, const void *b)
{
    long long x = json_object_get_int64(cinto_json_get(*(json_object *const *)a, "last_modified"));
    long long y = json_object_get_int64(cinto_json_get(*(json_object *const *)b, "last_modified"));
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The monitor/changes changeset (spec 06 §6.7 item 5); -1 after answering
 * (errors and redirects). */
static int monitor_changeset(cinto_ctx *c, const changeset_query *q, json_object *out,
                             long long *last_modified)
{
    if (strchr(q->expected, '"')) {
        redirect(c, NULL, "_expected", -1);
        return -1;
    }
    if (stale_expected(c) || old_since(c))
        return -1;
    json_object *all = NULL;
    int rc = monitored_entries(c, &all);
    if (rc != CINTO_ST_OK) {
        json_object_put(all);
        cinto_error_storage(c, rc);
        return -1;
    }
    size_t n = json_object_array_length(all), count = 0;
    long long ts = n ? 0 : c->now_ms;
    json_object **items = calloc(n ? n : 1, sizeof *items);
    for (size_t i = 0; items && i < n; i++) {
        json_object *e = json_object_array_get_idx(all, i);
        long long lm = json_object_get_int64(cinto_json_get(e, "last_modified"));
        if (lm > ts)
            ts = lm;
        const char *b = cinto_json_get_string(e, "bucket");
        const char *col = cinto_json_get_string(e, "collection");
        if ((q->has_since && lm <= q->since) || (q->bucket && strcmp(b, q->bucket) != 0) ||
            (q->collection && strcmp(col, q->collection) != 0))
            continue;
        items[count++] = e;
    }
    if (!items) {
        json_object_put(all);
        cinto_error_internal(c, "out of memory");
        return -1;
    }
    qsort(items, count, sizeof *items, by_last_modified_desc);
    json_object *changes = json_object_new_array();
    for (size_t i = 0; i < count && i < (size_t)q->limit; i++)
        json_object_array_add(changes, json_object_get(items[i]));
    json_object *meta = json_object_new_object();
    json_object_object_add(meta, "bucket", json_object_new_string(MONITOR_BUCKET));
    json_object_object_add(out, "metadata", meta);
    json_object_object_add(out, "timestamp", json_object_new_int64(ts));
    json_object_object_add(out, "changes", changes);
    *last_modified = ts;
    free(items);
    json_object_put(all);
    return 0;
}

static void handle_changeset(cinto_ctx *c)
{
    changeset_query q;
    if (!cinto_accept_json(c->req->accept)) {
        cinto_error_invalid_status(c, 406, "header", "Accept",
                                   "Accept header should be one of ['application/json']");
        return;
    }
    if (changeset_params(c, &q) < 0)
        return;
    int monitor =
        strcmp(c->route.bid, MONITOR_BUCKET) == 0 && strcmp(c->route.cid, CHANGES_COLLECTION) == 0;
    json_object *out = json_object_new_object();
    long long last_modified = 0;
    int rc = monitor ? monitor_changeset(c, &q, out, &last_modified)
                     : collection_changeset(c, &q, out, &last_modified);
    if (rc == 0) {
        cinto_response_json(c->resp, 200, out);
        changes_cache_headers(c, c->route.bid, c->route.cid);
        char date[32];
        cinto_http_date(last_modified / 1000, date);
        cinto_response_set(c->resp, "Last-Modified", "%s", date);
    }
    json_object_put(out);
}

/* ---- plugin row -------------------------------------------------------------- */

static int configure(cinto_app *app, cinto_settings *s, char *err, size_t errlen)
{
    (void)app;
    cinto_strv_free(resources);
    cinto_strv_free(excluded);
    resources = excluded = NULL;
    cinto_settings_list(s, "changes.resources", &resources);
    cinto_settings_list(s, "changes.excluded_collections", &excluded);
    for (char **l = resources; l && *l; l++)
        if (strncmp(*l, "/buckets/", 9) != 0 || strlen(*l) > 700) {
            snprintf(err, errlen,
                     "kinto.changes.resources: '%.100s' is not a bucket or collection URI "
                     "(/buckets/<bid> or /buckets/<bid>/collections/<cid>)",
                     *l);
            return -1;
        }
    since_max_age_days = cinto_settings_int(s, "changes.since_max_age_days", 21, NULL);
    redirect_ttl = cinto_settings_int(s, "changes.since_max_age_redirect_ttl_seconds", 86400, NULL);
    http_host = cinto_settings_get(s, "http_host");
    redirect_host = cinto_settings_get(s, "changes.http_host");
    if (!redirect_host)
        redirect_host = http_host;
    http_scheme = cinto_settings_get(s, "http_scheme");
    return 0;
}

static void capability(cinto_ctx *c, json_object *caps)
{
    (void)c;
    json_object *o = cinto_capability("Track modifications of records in Kinto and store the "
                                      "collection timestamps into a specific bucket and "
                                      "collection.",
                                      "http://kinto.readthedocs.io/en/latest/tutorials/"
                                      "synchronisation.html#polling-for-remote-changes");
    json_object_object_add(o, "version", json_object_new_string(CINTO_VERSION));
    json_object *list = json_object_new_array();
    for (char **l = resources; l && *l; l++)
        json_object_array_add(list, json_object_new_string(*l));
    json_object_object_add(o, "collections", list);
    json_object_object_add(caps, "changes", o);
}

/* The package that carries it today, and its module. */
static const char *const aliases[] = {"kinto_remote_settings", "kinto_remote_settings.changes",
                                      NULL};

static const cinto_route_def routes[] = {
    {"/buckets/" MONITOR_BUCKET "/collections/" CHANGES_COLLECTION "/records", "HEAD, GET, OPTIONS",
     handle_changes_list, -1, 0, CINTO_NEEDS_STORAGE, NULL},
    {"/buckets/{bid}/collections/{cid}/changeset", CINTO_READ_METHODS, handle_changeset, -1, 0,
     CINTO_NEEDS_STORAGE, NULL},
};

static const char *const settings[] = {"changes.resources",
                                       "changes.excluded_collections",
                                       "changes.since_max_age_days",
                                       "changes.since_max_age_redirect_ttl_seconds",
                                       "changes.http_host",
                                       "http_host",
                                       "http_scheme",
                                       "record_cache_expires_seconds",
                                       NULL};

const cinto_plugin cinto_plugin_changes = {
    .name = "kinto_changes",
    .settings = settings,
    .aliases = aliases,
    .configure = configure,
    .capability = capability,
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .kind = -1,
};
