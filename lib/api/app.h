/* The application: what a worker sets up once (settings, storage) and the
 * per-request context every handler receives. */
#ifndef CINTO_API_APP_H
#define CINTO_API_APP_H

#include "config/locate.h"
#include "config/settings.h"
#include "http/parse.h"
#include "http/request.h"
#include "http/response.h"
#include "storage/storage.h"

#include <json-c/json.h>

#define CINTO_VERSION "0.1.0"
#define CINTO_HTTP_API_VERSION "1.23"

struct cinto_ctx;

/* What a route needs before its handler runs (cgit's def_cmd style). */
enum cinto_route_needs {
    CINTO_NEEDS_STORAGE = 1, /* answered 503 when kinto.storage_url is not set */
    /* The body is not read before the handler: req->body_deferred is set
     * and the handler reads it with cinto_request_body_read (uploads);
     * the app drains what is left after the handler.
     * Such a handler cannot be run again after a transaction conflict,
     * which then answers 503 with Retry-After at once. */
    CINTO_ROUTE_STREAM_BODY = 2,
};

/* One row of the route table (router.h). */
typedef struct cinto_route_def {
    /* "/buckets/{bid}/collections/{cid}": {bid}, {cid}, {gid}, {rid} and
     * {aid} each match one segment and bind that id; {arg} binds a segment
     * the handler parses itself ("c@1700000000000"). */
    const char *pattern;
    /* Upstream's Allow header for the route, in its order, OPTIONS
     * included: "GET, HEAD, PUT, PATCH, DELETE, OPTIONS". */
    const char *methods;
    void (*handler)(struct cinto_ctx *c);
    int kind;   /* the resource kind served (resource.h), -1 for none */
    int plural; /* the route is a list of that kind */
    unsigned needs;
    /* A kind a plugin defines (resource.h cinto_kind_info), served by the
     * core's list handlers; kind is then -1 and plural 1. */
    const struct cinto_kind_info *kind_info;
} cinto_route_def;

/* Settings read once per worker into typed values (spec 08 §8.15). */
typedef struct cinto_config {
    cinto_settings *raw;
    long long max_body;
    int readonly;
    int explicit_permissions;
    long long batch_max_requests;
    long long worker_max_requests; /* 0 = a worker serves until stopped */
    long long paginate_by;         /* 0 = unset */
    long long storage_max_fetch_size;
    int storage_list_pushdown; /* 0: filters only in C (tests compare both paths) */
    /* kinto.storage_max_retries (100): how many times at most a request
     * whose transaction hit a deadlock or a Galera certification conflict
     * is run again before answering 503. */
    long long storage_max_retries;
    /* kinto.storage_retry_budget_seconds (20; 0: no time bound): how long
     * after its first attempt began such a request may still be run
     * again; whichever of the two bounds comes first ends the replays. */
    long long storage_retry_budget_s;
    /* kinto.storage_list_time_limit_seconds in ms (0: none): also bounds
     * the whole of a list read made of several statements. */
    unsigned list_time_limit_ms;
    /* kinto.storage_unindexed_sort_time_limit_seconds in ms (0: none):
     * the bound of a read sorted on an undeclared record field. */
    unsigned unindexed_sort_time_limit_ms;
    int log_debug; /* kinto.log_level = debug: one plan line per list read */
    long long retry_after;
    const char *backoff; /* NULL = unset */
    long long backoff_percentage;
    char **cors_origins;
    long long cors_max_age;
    const char *project_name, *project_version, *project_docs;
    const char *http_host, *http_scheme;
    const char *error_info_link;
    const char *eos, *eos_message, *eos_url;
    const char *userid_hmac_secret;
    int basicauth; /* the basicauth policy is enabled */
    const char *basicauth_realm;
    /* Authentication policies in the configured order (spec 04 §4.11). */
    enum cinto_policy { CINTO_POLICY_BASICAUTH, CINTO_POLICY_PLUGIN } policies[4];
    const struct cinto_plugin *policy_plugins[4]; /* for CINTO_POLICY_PLUGIN */
    int npolicies;
    long long account_cache_ttl;
    int trailing_slash_redirect, version_prefix_redirect;
    long long trailing_slash_ttl, version_prefix_ttl;
    const char *version_json_path;
    int schema_validation; /* experimental_collection_schema_validation */
} cinto_config;

typedef struct cinto_app {
    char *binary_dir;
    int configured;
    /* When not configured: what every request answers (503, errno 201),
     * in words that show no secret, user, host or absolute path, and a
     * short machine-readable reason ("config-not-found", ...). */
    char config_error[1024];
    const char *config_reason;
    /* The ini the settings (or the error) come from, checked again on
     * every request so that an edited or newly uploaded file is read
     * without restarting the worker. */
    cinto_ini_location ini;
    cinto_ini_stamp ini_stamp;
    int ini_checked;
    int config_retry;       /* the error depends on more than the ini (log file) */
    long long config_tried; /* time of the last attempt, for config_retry */
    char *home;             /* home folder of the running account, or NULL */
    int home_read;
    cinto_config cfg;
    cinto_storage *storage;
    /* Cache of "<resource>_<perm>_principals" settings: the keys come
     * from code, never from requests, so the cache stays small. */
    struct principal_setting {
        char *key;
        char **principals;
    } * grants;
    size_t ngrants;
    /* The routes served (core rows, then those of enabled plugins) and,
     * per route, the methods that settings disable (CINTO_M bits). */
    const cinto_route_def **routes;
    unsigned *route_disabled;
    size_t nroutes;
    /* The plugins turned on (rows of the plugin table, plugin.h). */
    const struct cinto_plugin **plugins;
    size_t nplugins;
    size_t nlisteners; /* of them, those with an on_write hook */
    /* Part of the key of every cache of stored data in this worker: a
     * plugin that empties the store (flush) moves it, in every worker,
     * so nothing cached before is served again. */
    unsigned long cache_generation;
} cinto_app;

typedef struct cinto_route {
    const cinto_route_def *def; /* NULL until matched */
    unsigned disabled;          /* methods the settings disable on it */
    char *bid, *cid, *gid, *rid, *aid;
    char *arg; /* the {arg} segment */
} cinto_route;

typedef struct cinto_ctx {
    cinto_app *app;
    const cinto_config *cfg;
    cinto_storage *st;
    cinto_request *req;
    cinto_response *resp;
    cinto_route route;
    cinto_query query;
    long long now_ms;
    char *userid;          /* prefixed user id, NULL when anonymous */
    cinto_strv principals; /* effective principals (spec 04 §4.2) */
    int principals_loaded;
    int is_plural; /* the endpoint is a list */
    /* A transaction opened around the handler (by the default bucket):
     * the pipeline ends it after the handler. */
    int tx_open;
    /* Set by a failure that must undo the enclosing transaction (storage
     * errors, internal errors): the pipeline and batch roll back on it,
     * whatever the answer's status. */
    int tx_doomed;
    /* Set by a handler once the request can no longer be run again (it
     * consumed a streamed body or sent part of its answer). */
    int no_replay;
} cinto_ctx;

cinto_app *cinto_app_new(const char *binary_dir);
void cinto_app_free(cinto_app *app);
/* Loads settings and opens storage (replacing what was loaded before). ini
 * may be NULL: then cinto.ini beside the binary, in its parent folder or
 * in the account's home folder (README "Configuration"). On failure err
 * holds the detailed text for the log or a terminal (full paths, never a
 * secret) and app->config_error the text for HTTP answers. */
int cinto_app_configure(cinto_app *app, const char *ini, char *err, size_t errlen);
/* Serves one request end to end. */
int cinto_app_handle(cinto_app *app, cinto_transport *t);
/* `cinto.fcgi migrate`. */
int cinto_app_migrate(cinto_app *app, char *err, size_t errlen);

/* Settings-granted principals for a key such as "record_write" (cached). */
char **cinto_app_grant(cinto_app *app, const char *key);

#endif
