/* The request pipeline shared by every endpoint: configuration, version
 * prefix and trailing-slash redirects, CORS, method checks, dispatch, and
 * the headers every answer carries (spec 08). Handlers never see the
 * transport. */
#include "util/log.h"
#include "api/app.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/router.h"
#include "plugins/default_bucket.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "util/codec.h"
#include "util/json.h"

#define DEFAULT_MAX_BODY (8LL * 1024 * 1024)

cinto_app *cinto_app_new(const char *binary_dir)
{
    cinto_app *app = calloc(1, sizeof *app);
    if (!app)
        return NULL;
    app->binary_dir = strdup(binary_dir ? binary_dir : ".");
    if (!app->binary_dir) {
        free(app);
        return NULL;
    }
    return app;
}

void cinto_app_free(cinto_app *app)
{
    if (!app)
        return;
    if (app->storage)
        app->storage->ops->close(app->storage);
    for (size_t i = 0; i < app->ngrants; i++) {
        free(app->grants[i].key);
        cinto_strv_free(app->grants[i].principals);
    }
    free(app->grants);
    cinto_strv_free(app->cfg.cors_origins);
    cinto_settings_free(app->cfg.raw);
    free(app->binary_dir);
    free(app);
}

static const char *str_setting(cinto_settings *s, const char *key, const char *dflt)
{
    const char *v = cinto_settings_get(s, key);
    return v ? v : dflt;
}

/* kinto.{plural|object}_{resource}_{method}_enabled = false removes one
 * method of one endpoint (spec 01 §1.3 item 4); read once into a mask per
 * endpoint. HEAD follows GET. */
static void load_disabled_methods(cinto_config *c, cinto_settings *s)
{
    static const struct {
        const char *type, *resource;
    } names[CINTO_EP_COUNT] = {
        [CINTO_EP_BUCKETS] = {"plural", "bucket"},
        [CINTO_EP_BUCKET] = {"object", "bucket"},
        [CINTO_EP_GROUPS] = {"plural", "group"},
        [CINTO_EP_GROUP] = {"object", "group"},
        [CINTO_EP_COLLECTIONS] = {"plural", "collection"},
        [CINTO_EP_COLLECTION] = {"object", "collection"},
        [CINTO_EP_RECORDS] = {"plural", "record"},
        [CINTO_EP_RECORD] = {"object", "record"},
    };
    for (int ep = 0; ep < CINTO_EP_COUNT; ep++) {
        c->disabled_methods[ep] = 0;
        if (!names[ep].type)
            continue;
        for (int m = CINTO_GET; m < CINTO_METHOD_OTHER; m++) {
            const char *name = m == CINTO_HEAD ? "get" : cinto_method_name((enum cinto_method)m);
            char method[16], key[128];
            size_t i = 0;
            for (; name[i] && i < sizeof method - 1; i++)
                method[i] = (char)tolower((unsigned char)name[i]);
            method[i] = '\0';
            snprintf(key, sizeof key, "%s_%s_%s_enabled", names[ep].type, names[ep].resource,
                     method);
            if (!cinto_settings_bool(s, key, 1))
                c->disabled_methods[ep] |= CINTO_M(m);
        }
    }
}

/* Reads the settings the request path needs into typed fields, once. */
static int load_config(cinto_app *app, cinto_settings *s, char *err, size_t errlen)
{
    cinto_config *c = &app->cfg;
    c->raw = s;
    /* First, so that every later configuration problem reaches the file. */
    if (cinto_log_set_file(cinto_settings_get(s, "log_file")) < 0)
        cinto_log("kinto.log_file: cannot append to %s (check that its folder exists and is "
                  "writable by the account that runs cinto.fcgi)",
                  cinto_log_file());
    c->max_body = cinto_settings_int(s, "max_request_body_bytes", DEFAULT_MAX_BODY, NULL);
    if (c->max_body < 0)
        c->max_body = DEFAULT_MAX_BODY;
    c->readonly = cinto_settings_bool(s, "readonly", 0);
    c->explicit_permissions = cinto_settings_bool(s, "explicit_permissions", 1);
    c->batch_max_requests = cinto_settings_int(s, "batch_max_requests", 25, NULL);
    c->worker_max_requests = cinto_settings_int(s, "worker_max_requests", 0, NULL);
    if (c->worker_max_requests < 0)
        c->worker_max_requests = 0;
    c->paginate_by = cinto_settings_int(s, "paginate_by", 0, NULL);
    if (c->paginate_by < 0)
        c->paginate_by = 0;
    c->storage_max_fetch_size = cinto_settings_int(s, "storage_max_fetch_size", 10000, NULL);
    if (c->storage_max_fetch_size <= 0)
        c->storage_max_fetch_size = 10000;
    c->retry_after = cinto_settings_int(s, "retry_after_seconds", 3, NULL);
    c->backoff = cinto_settings_get(s, "backoff");
    c->backoff_percentage = cinto_settings_int(s, "backoff_percentage", 100, NULL);
    cinto_settings_list(s, "cors_origins", &c->cors_origins);
    if (c->cors_origins && !c->cors_origins[0] && !cinto_settings_get(s, "cors_origins")) {
        cinto_strv_free(c->cors_origins);
        c->cors_origins = calloc(2, sizeof(char *));
        if (c->cors_origins)
            c->cors_origins[0] = strdup("*");
    }
    c->cors_max_age = cinto_settings_int(s, "cors_max_age_seconds", 3600, NULL);
    c->project_name = str_setting(s, "project_name", "kinto");
    c->project_version = str_setting(s, "project_version", CINTO_VERSION);
    c->project_docs = str_setting(s, "project_docs", "https://kinto.readthedocs.io/");
    c->http_host = cinto_settings_get(s, "http_host");
    c->http_scheme = cinto_settings_get(s, "http_scheme");
    c->error_info_link =
        str_setting(s, "error_info_link", "https://github.com/Kinto/kinto/issues/");
    c->eos = cinto_settings_get(s, "eos");
    c->eos_message = cinto_settings_get(s, "eos_message");
    c->eos_url = cinto_settings_get(s, "eos_url");
    c->userid_hmac_secret = str_setting(s, "userid_hmac_secret", "");
    c->trailing_slash_redirect = cinto_settings_bool(s, "trailing_slash_redirect_enabled", 1);
    c->trailing_slash_ttl =
        cinto_settings_int(s, "trailing_slash_redirect_ttl_seconds", 3600, NULL);
    c->version_prefix_redirect = cinto_settings_bool(s, "version_prefix_redirect_enabled", 1);
    c->version_prefix_ttl = cinto_settings_int(s, "version_prefix_redirect_ttl_seconds", -1, NULL);
    c->version_json_path = str_setting(s, "version_json_path", "version.json");
    c->schema_validation = cinto_settings_bool(s, "experimental_collection_schema_validation", 0);
    load_disabled_methods(c, s);

    /* Authentication policies (spec 04 §4.11): only the Basic-Auth based
     * ones exist here; others are logged and ignored. */
    char **policies = NULL;
    cinto_settings_list(s, "multiauth.policies", &policies);
    c->basicauth_realm = "Realm";
    char **includes = NULL;
    cinto_settings_list(s, "includes", &includes);
    for (size_t i = 0; includes && includes[i]; i++) {
        if (strcmp(includes[i], "kinto.plugins.accounts") == 0)
            c->accounts = 1;
        else if (strcmp(includes[i], "kinto.plugins.default_bucket") == 0)
            c->default_bucket = 1;
        else
            cinto_log("plugin '%s' is not available in this build; ignored", includes[i]);
    }
    cinto_strv_free(includes);
    c->account_cache_ttl = cinto_settings_int(s, "account_cache_ttl_seconds", 30, NULL);
    c->default_bucket_hmac_secret = str_setting(s, "default_bucket_hmac_secret", "");

    for (size_t i = 0; policies && policies[i]; i++) {
        char key[256];
        snprintf(key, sizeof key, "multiauth.policy.%s.use", policies[i]);
        const char *use = cinto_settings_get(s, key);
        int is_basic = strcmp(policies[i], "basicauth") == 0 ||
                       (use && strstr(use, "BasicAuthAuthenticationPolicy"));
        int is_account = use && strstr(use, "kinto.plugins.accounts");
        if ((is_basic || is_account) && c->npolicies == 4)
            continue;
        if (is_basic) {
            c->basicauth = 1;
            c->policies[c->npolicies++] = CINTO_POLICY_BASICAUTH;
            snprintf(key, sizeof key, "multiauth.policy.%s.realm", policies[i]);
            c->basicauth_realm = str_setting(s, key, "Realm");
        } else if (is_account) {
            if (!c->accounts) {
                snprintf(err, errlen,
                         "the accounts policy needs kinto.includes = kinto.plugins.accounts");
                cinto_strv_free(policies);
                return -1;
            }
            c->policies[c->npolicies++] = CINTO_POLICY_ACCOUNT;
        } else {
            cinto_log("authentication policy '%s' is not supported; ignored", policies[i]);
        }
    }
    cinto_strv_free(policies);

    const char *url = cinto_settings_get(s, "storage_url");
    if (url) {
        cinto_storage_options so;
        if (cinto_storage_options_load(s, &so, err, errlen) < 0)
            return -1;
        app->storage = cinto_mariadb_open(url, &so, err, errlen);
        if (!app->storage)
            return -1;
    }
    return 0;
}

int cinto_app_configure(cinto_app *app, const char *ini, char *err, size_t errlen)
{
    char path[4096];
    if (!ini) {
        snprintf(path, sizeof path, "%s/cinto.ini", app->binary_dir);
        if (access(path, R_OK) == 0)
            ini = path;
    }
    cinto_settings *s = cinto_settings_load(ini, err, errlen);
    if (!s)
        return -1;
    if (load_config(app, s, err, errlen) < 0)
        return -1;
    app->configured = 1;
    return 0;
}

int cinto_app_migrate(cinto_app *app, char *err, size_t errlen)
{
    if (!app->storage) {
        snprintf(err, errlen, "kinto.storage_url is not set");
        return -1;
    }
    return cinto_mariadb_migrate(app->storage, err, errlen) == CINTO_ST_OK ? 0 : -1;
}

char **cinto_app_grant(cinto_app *app, const char *key)
{
    for (size_t i = 0; i < app->ngrants; i++)
        if (strcmp(app->grants[i].key, key) == 0)
            return app->grants[i].principals;
    struct principal_setting *g = realloc(app->grants, (app->ngrants + 1) * sizeof *g);
    if (!g)
        return NULL;
    app->grants = g;
    char full[256];
    snprintf(full, sizeof full, "%s_principals", key);
    char **list = NULL;
    if (cinto_settings_get(app->cfg.raw, full))
        cinto_settings_list(app->cfg.raw, full, &list);
    else if (strcmp(key, "bucket_create") == 0) {
        /* Kinto's default: any authenticated user may create buckets. */
        list = calloc(2, sizeof *list);
        if (list)
            list[0] = strdup("system.Authenticated");
    }
    char *k = strdup(key);
    if (!k) {
        cinto_strv_free(list);
        return NULL;
    }
    app->grants[app->ngrants].key = k;
    app->grants[app->ngrants].principals = list;
    app->ngrants++;
    return list;
}

/* ---- per-request helpers --------------------------------------------------- */

static long long now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void cinto_base_url(cinto_ctx *c, cinto_buf *out)
{
    const char *scheme =
        c->cfg->http_scheme ? c->cfg->http_scheme : (c->req->https ? "https" : "http");
    const char *host =
        c->cfg->http_host ? c->cfg->http_host : (c->req->host ? c->req->host : "localhost");
    cinto_buf_printf(out, "%s://%s%s", scheme, host, c->req->mount);
}

static int origin_allowed(const cinto_config *cfg, const char *origin, int *star)
{
    *star = 0;
    for (size_t i = 0; cfg->cors_origins && cfg->cors_origins[i]; i++) {
        if (strcmp(cfg->cors_origins[i], "*") == 0) {
            *star = 1;
            return 1;
        }
        if (fnmatch(cfg->cors_origins[i], origin, 0) == 0)
            return 1;
    }
    return 0;
}

static void cache_headers(cinto_response *r, long long ttl)
{
    if (ttl < 0)
        return;
    char date[32];
    cinto_http_date(time(NULL) + ttl, date);
    if (ttl == 0) {
        cinto_response_set(r, "Cache-Control", "max-age=0, must-revalidate, no-cache, no-store");
        cinto_response_set(r, "Pragma", "no-cache");
    } else {
        cinto_response_set(r, "Cache-Control", "max-age=%lld", ttl);
    }
    cinto_response_set(r, "Expires", "%s", date);
}

static void redirect(cinto_ctx *c, const char *path, long long ttl)
{
    cinto_buf loc = CINTO_BUF_INIT;
    cinto_base_url(c, &loc);
    cinto_buf_puts(&loc, path);
    if (*c->req->query_string) {
        cinto_buf_putc(&loc, '?');
        cinto_buf_puts(&loc, c->req->query_string);
    }
    cinto_response_reset(c->resp);
    c->resp->status = 307;
    cinto_response_set(c->resp, "Location", "%s", cinto_buf_str(&loc));
    cache_headers(c->resp, ttl);
    cinto_buf_free(&loc);
}

static int has_control_chars(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

/* "2030-01-01" against today's UTC date; 1 when the date has come. */
static int eos_reached(const char *eos)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char today[16];
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    return strncmp(eos, today, 10) <= 0;
}

static void add_alert(cinto_ctx *c, const char *code)
{
    json_object *a = json_object_new_object();
    json_object_object_add(a, "code", json_object_new_string(code));
    json_object_object_add(
        a, "message", c->cfg->eos_message ? json_object_new_string(c->cfg->eos_message) : NULL);
    json_object_object_add(
        a, "url", json_object_new_string(c->cfg->eos_url ? c->cfg->eos_url : c->cfg->project_docs));
    cinto_response_set(c->resp, "Alert", "%s", cinto_json_dump(a));
    json_object_put(a);
}

static const char *const exposed_headers =
    "Alert, Backoff, Cache-Control, Content-Length, Content-Type, ETag, Expires, "
    "Last-Modified, Location, Next-Page, Pragma, Retry-After, Total-Objects, Total-Records";

/* Headers every answer carries (spec 08 §8.5-8.9). */
static void global_headers(cinto_ctx *c, int cors_ok, int star)
{
    cinto_response *r = c->resp;
    cinto_response_set(r, "X-Content-Type-Options", "nosniff");
    if (!cinto_response_get(r, "Content-Security-Policy"))
        cinto_response_set(r, "Content-Security-Policy",
                           "default-src 'none'; frame-ancestors 'none'; base-uri 'none';");
    if (r->status == 503 || r->status == 409 || r->status == 429)
        cinto_response_set(r, "Retry-After", "%lld", c->cfg->retry_after);
    if (c->cfg->backoff) {
        long long pct = c->cfg->backoff_percentage;
        if (pct >= 100 || (pct > 0 && (rand() % 100) < pct))
            cinto_response_set(r, "Backoff", "%s", c->cfg->backoff);
    }
    if (c->cfg->eos && !cinto_response_get(r, "Alert"))
        add_alert(c, eos_reached(c->cfg->eos) ? "hard-eol" : "soft-eol");
    if (c->req->origin && cors_ok) {
        cinto_response_set(r, "Access-Control-Allow-Origin", "%s", star ? "*" : c->req->origin);
        if (c->req->method != CINTO_OPTIONS)
            cinto_response_set(r, "Access-Control-Expose-Headers", "%s", exposed_headers);
    }
}

static void preflight(cinto_ctx *c, unsigned methods)
{
    const char *m = c->req->acr_method;
    if (!c->req->origin) {
        cinto_error_invalid(c, "header", "Origin", "this header is mandatory");
        return;
    }
    if (!m) {
        cinto_error_invalid(c, "header", "Access-Control-Request-Method",
                            "this header is mandatory");
        return;
    }
    int ok = 0;
    for (int i = CINTO_GET; i < CINTO_METHOD_OTHER; i++)
        if ((methods & CINTO_M(i)) && strcmp(cinto_method_name((enum cinto_method)i), m) == 0)
            ok = 1;
    if (!ok) {
        cinto_error_invalid(c, "header", "Access-Control-Request-Method", "Method not allowed");
        return;
    }
    char allow[128];
    cinto_route_allow(methods | CINTO_M(CINTO_OPTIONS), allow, sizeof allow);
    c->resp->status = 200;
    cinto_response_set(c->resp, "Access-Control-Allow-Methods", "%s, OPTIONS", allow);
    if (c->req->acr_headers)
        cinto_response_set(c->resp, "Access-Control-Allow-Headers", "%s, %s", c->req->acr_headers,
                           exposed_headers);
    else
        cinto_response_set(c->resp, "Access-Control-Allow-Headers", "%s", exposed_headers);
    cinto_response_set(c->resp, "Access-Control-Max-Age", "%lld", c->cfg->cors_max_age);
    cinto_response_set(c->resp, "Content-Type", "application/json");
}

static void dispatch(cinto_ctx *c)
{
    switch (c->route.ep) {
    case CINTO_EP_ROOT:
        cinto_handle_hello(c);
        break;
    case CINTO_EP_HEARTBEAT:
        cinto_handle_heartbeat(c);
        break;
    case CINTO_EP_LBHEARTBEAT:
        cinto_handle_lbheartbeat(c);
        break;
    case CINTO_EP_VERSION:
        cinto_handle_version(c);
        break;
    case CINTO_EP_BATCH:
        cinto_handle_batch(c);
        break;
    default:
        cinto_handle_resource(c);
        break;
    }
}

/* Everything between reading the request and sending the answer. */
void cinto_route_and_handle(cinto_ctx *c, int *cors_ok, int *star)
{
    cinto_request *req = c->req;
    const char *path = req->path;
    *cors_ok = 1;
    if (c->cfg->eos && eos_reached(c->cfg->eos)) {
        cinto_error(c, 410, CINTO_ERRNO_SERVICE_DEPRECATED,
                    "The service you are trying to connect no longer exists at this location.",
                    NULL);
        return;
    }
    if (req->origin)
        *cors_ok = origin_allowed(c->cfg, req->origin, star);
    if (has_control_chars(path)) {
        cinto_error(c, 404, CINTO_ERRNO_MISSING_RESOURCE,
                    "The resource you are looking for could not be found.", NULL);
        return;
    }
    /* Version prefix (spec 08 §8.10). */
    if (!(path[0] == '/' && path[1] == 'v' && isdigit((unsigned char)path[2]))) {
        if (req->method == CINTO_OPTIONS) {
            c->resp->status = 200;
            return;
        }
        if (!c->cfg->version_prefix_redirect) {
            cinto_error(c, 404, CINTO_ERRNO_MISSING_RESOURCE,
                        "The resource you are looking for could not be found.", NULL);
            return;
        }
        cinto_buf p = CINTO_BUF_INIT;
        cinto_buf_printf(&p, "/v1%s", strcmp(path, "/") == 0 ? "/" : path);
        redirect(c, cinto_buf_str(&p), c->cfg->version_prefix_ttl);
        cinto_buf_free(&p);
        return;
    }
    size_t vlen = 2;
    while (isdigit((unsigned char)path[vlen]))
        vlen++;
    if (path[vlen] != '/' && path[vlen] != '\0') {
        cinto_error(c, 404, CINTO_ERRNO_MISSING_RESOURCE,
                    "The resource you are looking for could not be found.", NULL);
        return;
    }
    if (vlen != 3 || path[2] != '1') {
        cinto_error(c, 404, CINTO_ERRNO_VERSION_NOT_AVAILABLE,
                    "The requested API version is not available on this server.", NULL);
        return;
    }
    const char *sub = path + 3;
    if (!*sub) {
        redirect(c, "/v1/", c->cfg->trailing_slash_ttl);
        return;
    }
    size_t sl = strlen(sub);
    if (sl > 1 && sub[sl - 1] == '/') {
        if (!c->cfg->trailing_slash_redirect) {
            cinto_error(c, 404, CINTO_ERRNO_MISSING_RESOURCE,
                        "The resource you are looking for could not be found.", NULL);
            return;
        }
        cinto_buf p = CINTO_BUF_INIT;
        cinto_buf_append(&p, path, strlen(path));
        while (p.len > 4 && p.data[p.len - 1] == '/')
            p.data[--p.len] = '\0';
        redirect(c, cinto_buf_str(&p), c->cfg->trailing_slash_ttl);
        cinto_buf_free(&p);
        return;
    }
    if (cinto_route_match(sub, &c->route) < 0 ||
        ((c->route.ep == CINTO_EP_ACCOUNTS || c->route.ep == CINTO_EP_ACCOUNT) &&
         !c->cfg->accounts)) {
        cinto_error(c, 404, CINTO_ERRNO_MISSING_RESOURCE,
                    "The resource you are looking for could not be found.", NULL);
        return;
    }
    unsigned methods = cinto_route_methods(c->route.ep);
    if (req->method == CINTO_OPTIONS) {
        preflight(c, methods);
        return;
    }
    if (req->origin && !*cors_ok) {
        char msg[512];
        snprintf(msg, sizeof msg, "%.400s not allowed", req->origin);
        cinto_error_invalid(c, "header", "Origin", msg);
        return;
    }
    if (req->method == CINTO_METHOD_OTHER || !(methods & CINTO_M(req->method)) ||
        (c->cfg->readonly && req->method != CINTO_GET && req->method != CINTO_HEAD)) {
        char allow[128];
        cinto_route_allow(c->cfg->readonly ? methods & (CINTO_M(CINTO_GET) | CINTO_M(CINTO_HEAD))
                                           : methods,
                          allow, sizeof allow);
        cinto_error(c, 405, CINTO_ERRNO_METHOD_NOT_ALLOWED, "Method not allowed on this endpoint.",
                    NULL);
        cinto_response_set(c->resp, "Allow", "%s", allow);
        return;
    }
    unsigned disabled = c->cfg->disabled_methods[c->route.ep];
    if (disabled & CINTO_M(req->method)) {
        char allow[128];
        cinto_route_allow(methods & ~disabled, allow, sizeof allow);
        cinto_error(c, 405, CINTO_ERRNO_METHOD_NOT_ALLOWED, "Method not allowed on this endpoint.",
                    NULL);
        cinto_response_set(c->resp, "Allow", "%s", allow);
        return;
    }
    switch (req->body_state) {
    case CINTO_BODY_TOO_LARGE:
        cinto_error(c, 413, CINTO_ERRNO_REQUEST_TOO_LARGE, "Request body too large", NULL);
        return;
    case CINTO_BODY_TRUNCATED:
        cinto_error_invalid(c, "body", NULL, "Request body is shorter than its Content-Length");
        return;
    case CINTO_BODY_BAD_LENGTH:
        cinto_error_invalid(c, "header", "Content-Length", "Invalid Content-Length");
        return;
    case CINTO_BODY_OK:
        break;
    }
    char qerr[512];
    if (cinto_query_parse(req->query_string, &c->query, qerr, sizeof qerr) < 0) {
        cinto_error_invalid(c, "querystring", NULL, qerr);
        return;
    }
    int arc = cinto_authenticate(c);
    if (arc < 0) {
        cinto_error_storage(c, arc);
        return;
    }
    if (c->cfg->default_bucket && c->route.bid && strcmp(c->route.bid, "default") == 0) {
        /* The personal bucket: created on first use, then the request runs
         * as if sent to the real bucket, all in one transaction. */
        int started = 0;
        if (cinto_default_bucket_prepare(c, &started) < 0)
            return;
        dispatch(c);
        cinto_default_bucket_finish(c, started);
        return;
    }
    dispatch(c);
}

void cinto_ctx_clear(cinto_ctx *c)
{
    cinto_route_free(&c->route);
    cinto_query_free(&c->query);
    free(c->userid);
    c->userid = NULL;
    cinto_strv_clear(&c->principals);
    c->principals_loaded = 0;
}

int cinto_app_handle(cinto_app *app, cinto_transport *t)
{
    if (!app->configured && !app->config_error[0]) {
        /* KINTO_INI from the process environment, else from the web
         * server's request variables (SetEnv in an .htaccess), else the
         * file beside the binary. */
        const char *ini = getenv("KINTO_INI");
        if (!ini || !*ini)
            ini = t->param(t->ctx, "KINTO_INI");
        if (ini && !*ini)
            ini = NULL;
        char err[512];
        if (cinto_app_configure(app, ini, err, sizeof err) < 0) {
            snprintf(app->config_error, sizeof app->config_error, "%s", err);
            cinto_log("configuration error: %s", err);
        }
    }
    cinto_request req;
    cinto_response resp;
    cinto_ctx c;
    memset(&c, 0, sizeof c);
    cinto_response_init(&resp);
    size_t max_body = app->configured ? (size_t)app->cfg.max_body : (size_t)DEFAULT_MAX_BODY;
    if (cinto_request_read(&req, t, max_body) < 0) {
        cinto_request_free(&req);
        return -1;
    }
    c.app = app;
    c.cfg = &app->cfg;
    c.st = app->storage;
    c.req = &req;
    c.resp = &resp;
    c.now_ms = now_ms();
    int cors_ok = 1, star = 0;
    if (!app->configured) {
        c.cfg = NULL;
        cinto_error(&c, 500, CINTO_ERRNO_UNDEFINED, "The server is not configured correctly.",
                    NULL);
    } else {
        cinto_route_and_handle(&c, &cors_ok, &star);
        if (resp.failed)
            cinto_error_internal(&c, "out of memory");
        global_headers(&c, cors_ok, star);
    }
    int rc = cinto_response_send(&resp, t, req.method == CINTO_HEAD);
    cinto_ctx_clear(&c);
    cinto_response_free(&resp);
    cinto_request_free(&req);
    return rc;
}
