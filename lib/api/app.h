/* The application: what a worker sets up once (settings, storage) and the
 * per-request context every handler receives. */
#ifndef CINTO_API_APP_H
#define CINTO_API_APP_H

#include "config/settings.h"
#include "http/parse.h"
#include "http/request.h"
#include "http/response.h"
#include "storage/storage.h"

#include <json-c/json.h>

#define CINTO_VERSION "0.1.0"
#define CINTO_HTTP_API_VERSION "1.23"

enum cinto_endpoint {
    CINTO_EP_NONE,
    CINTO_EP_ROOT,
    CINTO_EP_BATCH,
    CINTO_EP_BUCKETS,
    CINTO_EP_BUCKET,
    CINTO_EP_GROUPS,
    CINTO_EP_GROUP,
    CINTO_EP_COLLECTIONS,
    CINTO_EP_COLLECTION,
    CINTO_EP_RECORDS,
    CINTO_EP_RECORD,
    CINTO_EP_HEARTBEAT,
    CINTO_EP_LBHEARTBEAT,
    CINTO_EP_VERSION,
    CINTO_EP_ACCOUNTS,
    CINTO_EP_ACCOUNT,
    CINTO_EP_COUNT
};

/* Settings read once per worker into typed values (spec 08 §8.15). */
typedef struct cinto_config {
    cinto_settings *raw;
    long long max_body;
    int readonly;
    int explicit_permissions;
    long long batch_max_requests;
    long long worker_max_requests; /* 0 = a worker serves until stopped */
    long long paginate_by; /* 0 = unset */
    long long storage_max_fetch_size;
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
    enum cinto_policy { CINTO_POLICY_BASICAUTH, CINTO_POLICY_ACCOUNT } policies[4];
    int npolicies;
    int accounts;       /* kinto.plugins.accounts is included */
    int default_bucket; /* kinto.plugins.default_bucket is included */
    const char *default_bucket_hmac_secret;
    long long account_cache_ttl;
    int trailing_slash_redirect, version_prefix_redirect;
    long long trailing_slash_ttl, version_prefix_ttl;
    const char *version_json_path;
    int schema_validation;                     /* experimental_collection_schema_validation */
    unsigned disabled_methods[CINTO_EP_COUNT]; /* bits CINTO_M(method) */
} cinto_config;

typedef struct cinto_app {
    char *binary_dir;
    int configured;
    char config_error[512];
    cinto_config cfg;
    cinto_storage *storage;
    /* Cache of "<resource>_<perm>_principals" settings: the keys come
     * from code, never from requests, so the cache stays small. */
    struct principal_setting {
        char *key;
        char **principals;
    } * grants;
    size_t ngrants;
} cinto_app;

typedef struct cinto_route {
    enum cinto_endpoint ep;
    char *bid, *cid, *gid, *rid, *aid;
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
} cinto_ctx;

cinto_app *cinto_app_new(const char *binary_dir);
void cinto_app_free(cinto_app *app);
/* Loads settings and opens storage; a failure is kept and answered as a
 * 500/503 on every request rather than killing the worker. ini may be
 * NULL (then the default lookup applies). */
int cinto_app_configure(cinto_app *app, const char *ini, char *err, size_t errlen);
/* Serves one request end to end. */
int cinto_app_handle(cinto_app *app, cinto_transport *t);
/* `cinto.fcgi migrate`. */
int cinto_app_migrate(cinto_app *app, char *err, size_t errlen);

/* Settings-granted principals for a key such as "record_write" (cached). */
char **cinto_app_grant(cinto_app *app, const char *key);

#endif
