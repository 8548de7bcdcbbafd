/* The request pipeline shared by every endpoint: configuration, version
 * prefix and trailing-slash redirects, CORS, method checks, dispatch, and
 * the headers every answer carries (spec 08). Handlers never see the
 * transport. */
#include "util/log.h"
#include "api/app.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/plugin.h"
#include "api/resource.h"
#include "api/router.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/codec.h"
#include "util/json.h"

#define DEFAULT_MAX_BODY (8LL * 1024 * 1024)
#define DEFAULT_MAX_RETRIES 100
#define MAX_RETRIES_CAP 1000
#define DEFAULT_RETRY_BUDGET_S 20
#define RETRY_BUDGET_CAP_S 120

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

/* Drops everything derived from the settings (storage connection, cached
 * grants, compiled schemas, typed values), so that a new configuration
 * starts clean. The log file is kept: errors about the next configuration
 * still reach it. */
static void unconfigure(cinto_app *app)
{
    if (app->storage)
        app->storage->ops->close(app->storage);
    app->storage = NULL;
    for (size_t i = 0; i < app->ngrants; i++) {
        free(app->grants[i].key);
        cinto_strv_free(app->grants[i].principals);
    }
    free(app->grants);
    app->grants = NULL;
    app->ngrants = 0;
    free(app->routes);
    free(app->route_disabled);
    free(app->plugins);
    app->routes = NULL;
    app->route_disabled = NULL;
    app->plugins = NULL;
    app->nroutes = 0;
    app->nplugins = 0;
    cinto_strv_free(app->cfg.cors_origins);
    cinto_settings_free(app->cfg.raw);
    memset(&app->cfg, 0, sizeof app->cfg);
    cinto_validation_cache_clear();
    app->configured = 0;
}

void cinto_app_free(cinto_app *app)
{
    if (!app)
        return;
    unconfigure(app);
    free(app->home);
    free(app->binary_dir);
    free(app);
}

static const char *str_setting(cinto_settings *s, const char *key, const char *dflt)
{
    const char *v = cinto_settings_get(s, key);
    return v ? v : dflt;
}

/* kinto.{plural|object}_{resource}_{method}_enabled = false removes one
 * method of one resource endpoint (spec 01 §1.3 item 4); read once into a
 * mask per route. HEAD follows GET. */
static unsigned disabled_methods(cinto_settings *s, const cinto_route_def *def)
{
    if (def->kind < 0)
        return 0;
    unsigned mask = 0;
    for (int m = CINTO_GET; m < CINTO_METHOD_OTHER; m++) {
        const char *name = m == CINTO_HEAD ? "get" : cinto_method_name((enum cinto_method)m);
        char method[16], key[128];
        size_t i = 0;
        for (; name[i] && i < sizeof method - 1; i++)
            method[i] = (char)tolower((unsigned char)name[i]);
        method[i] = '\0';
        snprintf(key, sizeof key, "%s_%s_%s_enabled", def->plural ? "plural" : "object",
                 cinto_kinds[def->kind].name, method);
        if (!cinto_settings_bool(s, key, 1))
            mask |= CINTO_M(m);
    }
    return mask;
}

/* The routes this worker serves (the core's, then those of the enabled
 * plugins), with their disabled methods. */
static int load_routes(cinto_app *app, cinto_settings *s)
{
    size_t n = cinto_core_nroutes;
    for (size_t i = 0; i < app->nplugins; i++)
        n += app->plugins[i]->nroutes;
    app->routes = calloc(n, sizeof *app->routes);
    app->route_disabled = calloc(n, sizeof *app->route_disabled);
    if (!app->routes || !app->route_disabled)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < cinto_core_nroutes; i++)
        app->routes[k++] = &cinto_core_routes[i];
    for (size_t i = 0; i < app->nplugins; i++)
        for (size_t j = 0; j < app->plugins[i]->nroutes; j++)
            app->routes[k++] = &app->plugins[i]->routes[j];
    for (size_t i = 0; i < n; i++)
        app->route_disabled[i] = disabled_methods(s, app->routes[i]);
    app->nroutes = n;
    return 0;
}

/* An unset or empty value ("kinto.paginate_by =" in a template) means
 * the default. */
static int blank(const char *v)
{
    if (!v)
        return 1;
    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
        v++;
    return *v == '\0';
}

/* Typed setting readers: a value that is set but unreadable is a
 * configuration error (upstream Kinto refuses to start), not silently the
 * default. Quoting the value is safe: none of these keys holds a secret. */
static int int_setting(cinto_settings *s, const char *key, long long dflt, long long *out,
                       char *err, size_t errlen)
{
    int ok;
    const char *v = cinto_settings_get(s, key);
    *out = cinto_settings_int(s, key, dflt, &ok);
    if (!blank(v) && !ok) {
        snprintf(err, errlen, "kinto.%s = \"%.40s\" is not a whole number", key, v);
        return -1;
    }
    return 0;
}

static int bool_setting(cinto_settings *s, const char *key, int dflt, int *out, char *err,
                        size_t errlen)
{
    const char *v = cinto_settings_get(s, key);
    *out = cinto_settings_bool(s, key, dflt);
    if (!blank(v) && cinto_settings_bool(s, key, 0) != cinto_settings_bool(s, key, 1)) {
        snprintf(err, errlen, "kinto.%s = \"%.40s\" is not true or false", key, v);
        return -1;
    }
    return 0;
}

/* The log file: a relative name is taken from the ini's folder (where the
 * customer put the ini), not from whatever folder the server started the
 * worker in. */
static int set_log_file(cinto_settings *s, char *pub, size_t publen, char *err, size_t errlen)
{
    const char *name = cinto_settings_get(s, "log_file");
    const char *ini = cinto_settings_path(s);
    char path[4096];
    if (name && *name && name[0] != '/' && ini && strrchr(ini, '/'))
        snprintf(path, sizeof path, "%.*s/%s", (int)(strrchr(ini, '/') - ini), ini, name);
    else
        snprintf(path, sizeof path, "%s", name ? name : "");
    if (cinto_log_set_file(path) == 0)
        return 0;
    int e = errno;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    snprintf(err, errlen,
             "kinto.log_file: cannot append to %.500s (%s): create its folder and make it writable "
             "by the account that runs cinto.fcgi, or remove the setting",
             path, strerror(e));
    snprintf(pub, publen,
             "kinto.log_file: cannot write to the log file %.200s (%s). Create its folder and make "
             "it writable by the account that runs cinto.fcgi, or remove kinto.log_file.",
             base, strerror(e));
    return -1;
}

/* The public words for a kinto.storage_url that cannot be used; the
 * storage layer's own text (which may quote the URL) goes to the log only. */
static void storage_url_problem(const char *url, char *pub, size_t publen)
{
    int mariadb = strncmp(url, "mysql://", 8) == 0 || strncmp(url, "mariadb://", 10) == 0;
    snprintf(pub, publen,
             "kinto.storage_url %s: write it as mysql://USER:PASSWORD@HOST/DATABASE, or "
             "mysql://USER:PASSWORD@localhost/DATABASE?unix_socket=/path/to/mysqld.sock, with "
             "the database name and user from your hosting control panel.",
             mariadb ? "is incomplete (no database name?)"
                     : "is not a MariaDB URL (cinto stores its data in MariaDB or MySQL only)");
}

/* Reads the settings the request path needs into typed fields, once per
 * configuration. On failure err gets the text for the log, pub the text
 * for HTTP answers and app->config_reason the kind of problem. */
static int load_config(cinto_app *app, cinto_settings *s, char *pub, size_t publen, char *err,
                       size_t errlen)
{
    cinto_config *c = &app->cfg;
    c->raw = s;
    pub[0] = err[0] = '\0';
    /* First, so that every later configuration problem reaches the file. */
    if (set_log_file(s, pub, publen, err, errlen) < 0) {
        app->config_reason = "log-file";
        app->config_retry = 1; /* the folder may be created without touching the ini */
        return -1;
    }
    app->config_reason = "config-value";
    if (int_setting(s, "max_request_body_bytes", DEFAULT_MAX_BODY, &c->max_body, err, errlen) < 0 ||
        bool_setting(s, "readonly", 0, &c->readonly, err, errlen) < 0 ||
        bool_setting(s, "explicit_permissions", 1, &c->explicit_permissions, err, errlen) < 0 ||
        int_setting(s, "batch_max_requests", 25, &c->batch_max_requests, err, errlen) < 0 ||
        int_setting(s, "paginate_by", 0, &c->paginate_by, err, errlen) < 0 ||
        int_setting(s, "storage_max_fetch_size", 10000, &c->storage_max_fetch_size, err, errlen) <
            0 ||
        bool_setting(s, "storage_list_pushdown", 1, &c->storage_list_pushdown, err, errlen) < 0 ||
        int_setting(s, "storage_max_retries", DEFAULT_MAX_RETRIES, &c->storage_max_retries, err,
                    errlen) < 0 ||
        int_setting(s, "storage_retry_budget_seconds", DEFAULT_RETRY_BUDGET_S,
                    &c->storage_retry_budget_s, err, errlen) < 0 ||
        int_setting(s, "retry_after_seconds", 3, &c->retry_after, err, errlen) < 0 ||
        int_setting(s, "backoff_percentage", 100, &c->backoff_percentage, err, errlen) < 0 ||
        int_setting(s, "cors_max_age_seconds", 3600, &c->cors_max_age, err, errlen) < 0 ||
        int_setting(s, "account_cache_ttl_seconds", 30, &c->account_cache_ttl, err, errlen) < 0 ||
        bool_setting(s, "trailing_slash_redirect_enabled", 1, &c->trailing_slash_redirect, err,
                     errlen) < 0 ||
        int_setting(s, "trailing_slash_redirect_ttl_seconds", 3600, &c->trailing_slash_ttl, err,
                    errlen) < 0 ||
        bool_setting(s, "version_prefix_redirect_enabled", 1, &c->version_prefix_redirect, err,
                     errlen) < 0 ||
        int_setting(s, "version_prefix_redirect_ttl_seconds", -1, &c->version_prefix_ttl, err,
                    errlen) < 0 ||
        bool_setting(s, "experimental_collection_schema_validation", 0, &c->schema_validation, err,
                     errlen) < 0) {
        snprintf(pub, publen, "%s", err);
        return -1;
    }
    if (c->max_body < 0)
        c->max_body = DEFAULT_MAX_BODY;
    if (int_setting(s, "worker_max_requests", 0, &c->worker_max_requests, err, errlen) < 0) {
        snprintf(pub, publen, "%s", err);
        return -1;
    }
    if (c->worker_max_requests < 0)
        c->worker_max_requests = 0;
    if (c->storage_max_retries < 0 || c->storage_max_retries > MAX_RETRIES_CAP) {
        snprintf(err, errlen, "kinto.storage_max_retries must be a whole number from 0 to %d",
                 MAX_RETRIES_CAP);
        snprintf(pub, publen, "%s", err);
        return -1;
    }
    if (c->storage_retry_budget_s < 0 || c->storage_retry_budget_s > RETRY_BUDGET_CAP_S) {
        snprintf(err, errlen,
                 "kinto.storage_retry_budget_seconds must be a whole number of seconds from 0 "
                 "to %d (0: kinto.storage_max_retries alone bounds the replays)",
                 RETRY_BUDGET_CAP_S);
        snprintf(pub, publen, "%s", err);
        return -1;
    }
    if (c->paginate_by < 0)
        c->paginate_by = 0;
    if (c->storage_max_fetch_size <= 0)
        c->storage_max_fetch_size = 10000;
    /* Python logging's level names; only DEBUG adds lines (list plans). */
    const char *level = cinto_settings_get(s, "log_level");
    c->log_debug = level && strcasecmp(level, "debug") == 0;
    c->backoff = cinto_settings_get(s, "backoff");
    cinto_settings_list(s, "cors_origins", &c->cors_origins);
    if (c->cors_origins && !c->cors_origins[0] && !cinto_settings_get(s, "cors_origins")) {
        cinto_strv_free(c->cors_origins);
        c->cors_origins = calloc(2, sizeof(char *));
        if (c->cors_origins)
            c->cors_origins[0] = strdup("*");
    }
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
    c->version_json_path = str_setting(s, "version_json_path", "version.json");
    if (cinto_plugins_configure(app, s, err, errlen) < 0) {
        snprintf(pub, publen, "%s", err);
        return -1;
    }
    if (load_routes(app, s) < 0) {
        snprintf(err, errlen, "out of memory");
        snprintf(pub, publen, "%s", err);
        return -1;
    }

    /* Authentication policies (spec 04 §4.11): only the Basic-Auth based
     * ones exist here; others are logged and ignored. */
    char **policies = NULL;
    cinto_settings_list(s, "multiauth.policies", &policies);
    c->basicauth_realm = "Realm";

    for (size_t i = 0; policies && policies[i]; i++) {
        char key[256];
        snprintf(key, sizeof key, "multiauth.policy.%s.use", policies[i]);
        const char *use = cinto_settings_get(s, key);
        int is_basic = strcmp(policies[i], "basicauth") == 0 ||
                       (use && strstr(use, "BasicAuthAuthenticationPolicy"));
        int known = 0;
        const cinto_plugin *plugin = is_basic ? NULL : cinto_plugins_policy(app, use, &known);
        if ((is_basic || known) && c->npolicies == 4)
            continue;
        if (is_basic) {
            c->basicauth = 1;
            c->policies[c->npolicies++] = CINTO_POLICY_BASICAUTH;
            snprintf(key, sizeof key, "multiauth.policy.%s.realm", policies[i]);
            c->basicauth_realm = str_setting(s, key, "Realm");
        } else if (known) {
            if (!plugin) {
                snprintf(err, errlen,
                         "the %.100s policy needs its plugin in kinto.includes (%.200s)",
                         policies[i], use);
                snprintf(pub, publen, "%s", err);
                cinto_strv_free(policies);
                return -1;
            }
            c->policy_plugins[c->npolicies] = plugin;
            c->policies[c->npolicies++] = CINTO_POLICY_PLUGIN;
        } else {
            cinto_log("authentication policy '%s' is not supported; ignored", policies[i]);
        }
    }
    cinto_strv_free(policies);

    const char *url = cinto_settings_get(s, "storage_url");
    if (!url || !*url) {
        snprintf(err, errlen,
                 "kinto.storage_url is not set: add kinto.storage_url = "
                 "mysql://USER:PASSWORD@HOST/DATABASE under [app:main]");
        snprintf(pub, publen, "%s.", err);
        return -1;
    }
    cinto_storage_options so;
    if (cinto_storage_options_load(s, &so, err, errlen) < 0) {
        snprintf(pub, publen, "%s", err);
        return -1;
    }
    c->list_time_limit_ms = so.list_time_limit_ms;
    c->unindexed_sort_time_limit_ms = so.unindexed_sort_time_limit_ms;
    app->storage = cinto_mariadb_open(url, &so, err, errlen);
    if (!app->storage) {
        storage_url_problem(url, pub, publen);
        return -1;
    }
    app->storage->tx_hook = cinto_plugins_tx_hook;
    app->storage->tx_hook_arg = app;
    return 0;
}

/* The home folder of the account running this worker, read once from
 * /etc/passwd itself: suexec passes no HOME and a static binary has no
 * getpwuid. */
static const char *app_home(cinto_app *app)
{
    if (!app->home_read) {
        app->home = cinto_passwd_home("/etc/passwd", getuid());
        app->home_read = 1;
    }
    return app->home;
}

/* Where the error is, for HTTP answers: the kind of place and the file's
 * own name, not its full path (which names the hosting account). */
static void public_where(const cinto_ini_location *loc, char *out, size_t outlen)
{
    const char *base = strrchr(loc->path, '/') ? strrchr(loc->path, '/') + 1 : loc->path;
    if (loc->source == CINTO_INI_ENV || loc->source == CINTO_INI_REQUEST)
        snprintf(out, outlen, "%s, %.100s", cinto_ini_source_text(loc->source), base);
    else
        snprintf(out, outlen, "%s", cinto_ini_source_text(loc->source));
}

/* Reads the settings from loc and everything derived from them. On
 * failure: app->config_error / config_reason for the HTTP answers, err
 * for the log (full paths; secrets masked). */
static int configure_from(cinto_app *app, const cinto_ini_location *loc, char *err, size_t errlen)
{
    char why[768] = "", pub[768] = "", where[256];
    enum cinto_settings_error kind;
    unconfigure(app);
    app->config_retry = 0;
    app->config_error[0] = '\0';
    public_where(loc, where, sizeof where);
    cinto_settings *s = cinto_settings_load_ex(loc->source == CINTO_INI_NONE ? NULL : loc->path,
                                               &kind, why, sizeof why);
    if (s && loc->source == CINTO_INI_NONE && !cinto_settings_get(s, "storage_url")) {
        /* Settings may all come from KINTO_* variables; without a storage
         * URL there, the customer simply has not uploaded the file yet. */
        kind = CINTO_SETTINGS_NOT_FOUND;
        cinto_settings_free(s);
        s = NULL;
    }
    if (!s) {
        switch (kind) {
        case CINTO_SETTINGS_NOT_FOUND:
            app->config_reason = "config-not-found";
            if (loc->source == CINTO_INI_NONE) {
                snprintf(err, errlen,
                         "no configuration file found: no KINTO_INI, no %s/cinto.ini, none in "
                         "the folder above it, none in the home folder (%s)",
                         app->binary_dir, app->home ? app->home : "unknown");
                snprintf(app->config_error, sizeof app->config_error,
                         "No configuration file found: upload cinto.ini beside cinto.fcgi, or in "
                         "the folder above it, or in your home folder (or name it with SetEnv "
                         "KINTO_INI in .htaccess).");
            } else {
                snprintf(err, errlen, "configuration file %s (KINTO_INI) does not exist: %s",
                         loc->path, why);
                snprintf(app->config_error, sizeof app->config_error,
                         "No configuration file found: %s does not exist. Fix the path in "
                         "KINTO_INI, or remove that setting and upload cinto.ini beside "
                         "cinto.fcgi.",
                         where);
            }
            break;
        case CINTO_SETTINGS_UNREADABLE:
            app->config_reason = "config-unreadable";
            snprintf(err, errlen, "cannot read the configuration file %s: %s", loc->path, why);
            snprintf(app->config_error, sizeof app->config_error,
                     "The configuration file cannot be read (%s: %s). Make it readable by the "
                     "account that runs cinto.fcgi (chmod 600 cinto.ini when the host runs "
                     "scripts under your own account, else chmod 644) and its folder enterable.",
                     where, why);
            break;
        case CINTO_SETTINGS_SYNTAX:
            app->config_reason = "config-syntax";
            snprintf(err, errlen, "syntax error in the configuration file %s: %s", loc->path, why);
            snprintf(app->config_error, sizeof app->config_error,
                     "Syntax error in the configuration file (%s): %s. Fix it and upload it "
                     "again: settings are written as \"key = value\" lines under [app:main].",
                     where, why);
            break;
        default:
            app->config_reason = "config-error";
            snprintf(err, errlen, "cannot load the configuration file %s: %s", loc->path, why);
            snprintf(app->config_error, sizeof app->config_error,
                     "The configuration could not be loaded (%s).", why);
            break;
        }
        return -1;
    }
    if (load_config(app, s, pub, sizeof pub, why, sizeof why) < 0) {
        cinto_settings_redact(s, why);
        cinto_settings_redact(s, pub);
        snprintf(err, errlen, "configuration %s: %s", loc->path[0] ? loc->path : "(environment)",
                 why);
        if (strcmp(app->config_reason, "log-file") == 0)
            snprintf(app->config_error, sizeof app->config_error, "%s", pub);
        else
            snprintf(app->config_error, sizeof app->config_error,
                     "Bad setting in the configuration file (%s): %s", where, pub);
        unconfigure(app);
        return -1;
    }
    app->configured = 1;
    app->config_reason = NULL;
    return 0;
}

int cinto_app_configure(cinto_app *app, const char *ini, char *err, size_t errlen)
{
    if (cinto_ini_locate(ini, NULL, app->binary_dir, NULL, &app->ini) == CINTO_INI_NONE)
        cinto_ini_locate(ini, NULL, app->binary_dir, app_home(app), &app->ini);
    cinto_ini_stamp_of(app->ini.path, &app->ini_stamp);
    app->ini_checked = 1;
    return configure_from(app, &app->ini, err, errlen);
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
    /* Upstream's short plain-text page (Pyramid's, for a client that asks
     * for neither HTML nor JSON), naming the target as the path it was
     * given. */
    cinto_buf_reset(&loc);
    cinto_buf_printf(&loc,
                     "307 Temporary Redirect\n\nThe resource has been moved to %s%s%s%s; you "
                     "should be redirected automatically.\n\n",
                     c->req->mount, path, *c->req->query_string ? "?" : "", c->req->query_string);
    cinto_response_set(c->resp, "Content-Type", "text/plain; charset=UTF-8");
    cinto_buf_append(&c->resp->body, loc.data, loc.len);
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

/* JSON text with every non-ASCII character written as \\uXXXX (UTF-16
 * pairs beyond the BMP), as upstream's rapidjson does by default: a header
 * value stays ASCII. The input is valid UTF-8 (json-c's output). */
static void json_ascii(const char *s, cinto_buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x80) {
            cinto_buf_putc(out, (char)*p++);
            continue;
        }
        int n = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : 1;
        unsigned cp = *p++ & (0x3f >> n);
        for (int i = 0; i < n && (*p & 0xc0) == 0x80; i++)
            cp = (cp << 6) | (*p++ & 0x3f);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            cinto_buf_printf(out, "\\u%04X\\u%04X", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
        } else {
            cinto_buf_printf(out, "\\u%04X", cp);
        }
    }
}

static void add_alert(cinto_ctx *c, const char *code)
{
    json_object *a = json_object_new_object();
    json_object_object_add(a, "code", json_object_new_string(code));
    json_object_object_add(
        a, "message", c->cfg->eos_message ? json_object_new_string(c->cfg->eos_message) : NULL);
    json_object_object_add(
        a, "url", json_object_new_string(c->cfg->eos_url ? c->cfg->eos_url : c->cfg->project_docs));
    cinto_buf text = CINTO_BUF_INIT;
    json_ascii(cinto_json_dump(a), &text);
    cinto_response_set(c->resp, "Alert", "%s", cinto_buf_str(&text));
    cinto_buf_free(&text);
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

static void preflight(cinto_ctx *c, unsigned methods, unsigned excluded)
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
        if ((methods & ~excluded & CINTO_M(i)) &&
            strcmp(cinto_method_name((enum cinto_method)i), m) == 0)
            ok = 1;
    if (!ok) {
        cinto_error_invalid(c, "header", "Access-Control-Request-Method", "Method not allowed");
        return;
    }
    char allow[128];
    cinto_route_allow(c->route.def, excluded, allow, sizeof allow);
    c->resp->status = 200;
    cinto_response_set(c->resp, "Access-Control-Allow-Methods", "%s", allow);
    if (c->req->acr_headers)
        cinto_response_set(c->resp, "Access-Control-Allow-Headers", "%s, %s", c->req->acr_headers,
                           exposed_headers);
    else
        cinto_response_set(c->resp, "Access-Control-Allow-Headers", "%s", exposed_headers);
    cinto_response_set(c->resp, "Access-Control-Max-Age", "%lld", c->cfg->cors_max_age);
    cinto_response_set(c->resp, "Content-Type", "application/json");
}

/* Runs the route's handler once what the route needs is there. */
static void dispatch(cinto_ctx *c)
{
    if ((c->route.def->needs & CINTO_NEEDS_STORAGE) && !c->st) {
        cinto_error(c, 503, CINTO_ERRNO_BACKEND,
                    "Service temporary unavailable due to overloading or maintenance, please "
                    "retry later.",
                    NULL);
        cinto_log("kinto.storage_url is not set");
        return;
    }
    c->route.def->handler(c);
}

static void not_allowed(cinto_ctx *c, unsigned excluded)
{
    char allow[128];
    cinto_route_allow(c->route.def, excluded, allow, sizeof allow);
    cinto_error(c, 405, CINTO_ERRNO_METHOD_NOT_ALLOWED, "Method not allowed on this endpoint.",
                NULL);
    cinto_response_set(c->resp, "Allow", "%s", allow);
}

/* Ends the transaction opened around the handler: undone when a failure
 * doomed it, committed otherwise (a 4xx answer keeps what was done before
 * the handler, such as the default bucket's implicit creations). */
static void end_transaction(cinto_ctx *c)
{
    c->tx_open = 0;
    if (c->tx_doomed || c->resp->failed) {
        c->st->ops->rollback(c->st);
        return;
    }
    int rc = c->st->ops->commit(c->st);
    if (rc != CINTO_ST_OK)
        cinto_error_storage(c, rc);
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
    if (has_control_chars(path) || req->path_ctrl) {
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
    cinto_route probe;
    /* Unless a route claims the path with its slash ("/admin/"). */
    if (sl > 1 && sub[sl - 1] == '/' &&
        cinto_route_match(c->app->routes, c->app->nroutes, sub, &probe) < 0) {
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
    int ri = cinto_route_match(c->app->routes, c->app->nroutes, sub, &c->route);
    if (ri < 0) {
        cinto_error(c, 404, CINTO_ERRNO_MISSING_RESOURCE,
                    "The resource you are looking for could not be found.", NULL);
        return;
    }
    c->route.disabled = c->app->route_disabled[ri];
    /* Read-only mode and disabled methods take methods off the route, as
     * upstream does not register them. */
    unsigned methods = cinto_route_methods(c->route.def);
    unsigned excluded = c->route.disabled;
    if (c->cfg->readonly)
        excluded |= ~(CINTO_M(CINTO_GET) | CINTO_M(CINTO_HEAD) | CINTO_M(CINTO_OPTIONS));
    if (req->method == CINTO_OPTIONS) {
        preflight(c, methods, excluded);
        return;
    }
    if (req->origin && !*cors_ok) {
        char msg[512];
        snprintf(msg, sizeof msg, "%.400s not allowed", req->origin);
        cinto_error_invalid(c, "header", "Origin", msg);
        return;
    }
    if (req->method == CINTO_METHOD_OTHER || !(methods & ~excluded & CINTO_M(req->method))) {
        not_allowed(c, excluded);
        return;
    }
    /* Only now, with the route known, is the body read into memory, or
     * left in the transport for a handler that streams it (uploads). */
    if (req->body_pending) {
        if (c->route.def->needs & CINTO_ROUTE_STREAM_BODY)
            cinto_request_defer_body(req);
        else if (cinto_request_read_body(req, (size_t)c->cfg->max_body) < 0) {
            cinto_error_internal(c, "out of memory");
            return;
        }
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
    if (cinto_plugins_before(c) < 0)
        return;
    dispatch(c);
    if (c->tx_open)
        end_transaction(c);
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

/* Before each request: finds the ini again and compares its stamp with
 * the one the current settings (or error) came from, so that an uploaded,
 * edited, renamed or chmodded file takes effect at the next request and no
 * error sticks. A few stat calls; the file is read only when it changed. */
static void refresh_config(cinto_app *app, cinto_transport *t)
{
    cinto_ini_location loc;
    cinto_ini_stamp st;
    const char *env = getenv("KINTO_INI"), *var = t->param(t->ctx, "KINTO_INI");
    /* The home folder only when nothing nearer exists: /etc/passwd of a
     * shared host can be long, and plain CGI would read it per request. */
    if (cinto_ini_locate(env, var, app->binary_dir, NULL, &loc) == CINTO_INI_NONE)
        cinto_ini_locate(env, var, app->binary_dir, app_home(app), &loc);
    cinto_ini_stamp_of(loc.path, &st);
    time_t now = time(NULL);
    int same = app->ini_checked && loc.source == app->ini.source &&
               strcmp(loc.path, app->ini.path) == 0 && cinto_ini_stamp_equal(&st, &app->ini_stamp);
    if (same && !(app->config_retry && !app->configured && now != app->config_tried))
        return;
    int was_configured = app->configured, had_error = app->ini_checked && !app->configured;
    app->ini = loc;
    app->ini_stamp = st;
    app->ini_checked = 1;
    app->config_tried = now;
    char err[1024];
    if (configure_from(app, &app->ini, err, sizeof err) < 0) {
        /* One line per distinct problem: the key is a hash of the whole
         * detailed text (distinct errors share long prefixes). */
        unsigned long h = 5381;
        for (const char *p = err; *p; p++)
            h = h * 33 + (unsigned char)*p;
        char key[64];
        snprintf(key, sizeof key, "config:%.20s:%lx", app->config_reason, h);
        cinto_log_once(key, 300, "configuration error: %s (answering 503: %s)", err,
                       app->config_error);
    } else if (was_configured || had_error) {
        cinto_log_once_reset();
        cinto_log("configuration reloaded from %s",
                  app->ini.path[0] ? app->ini.path : "the environment");
    }
}

/* The answer to every request while the configuration is unusable: 503
 * (the customer can fix it; clients should retry later), errno 201 as for
 * any unavailable backend, the message naming the problem and the fix, and
 * details.reason for the self-check page. Never cached. */
static void config_error_answer(cinto_ctx *c, const cinto_app *app)
{
    json_object *d = json_object_new_object();
    json_object_object_add(
        d, "reason",
        json_object_new_string(app->config_reason ? app->config_reason : "config-error"));
    cinto_error(c, 503, CINTO_ERRNO_BACKEND, app->config_error, d);
    cinto_response_set(c->resp, "Retry-After", "%d", 30);
    cinto_response_set(c->resp, "Cache-Control", "no-cache, no-store");
    cinto_response_set(c->resp, "X-Content-Type-Options", "nosniff");
}

/* ---- replaying a request after a transaction conflict ----------------------- */

/* Per worker, for the log: requests replayed, replays, requests that
 * still conflicted after the last one. */
static struct {
    unsigned long requests, replays, gave_up;
} replay_stats;

/* A small generator of our own for the back-off jitter: rand() is shared
 * with other uses and, unseeded, gives every worker the same sequence,
 * which would make conflicting workers wait alike and conflict again. */
static unsigned jitter_next(void)
{
    static unsigned long long state;
    if (!state)
        state = ((unsigned long long)getpid() << 32) ^ (unsigned long long)now_ms() ^ 0x9e3779b9;
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (unsigned)(state >> 16);
}

#define BACKOFF_BASE_MS 4u
#define BACKOFF_CAP_MS 500u

/* The wait before replay number n (1, 2, ...): drawn uniformly between
 * 1 ms and a ceiling that doubles from 4 ms up to 500 ms ("full jitter").
 * Under sustained conflicts on one list (Galera: writers of one list on
 * several nodes) waits drawn over the whole range spread the replaying
 * writers out far better than waits between half and all of the ceiling,
 * and the higher cap lets a long request (a batch) find a gap between the
 * other nodes' commits instead of meeting them again at once. */
static unsigned replay_wait_ms(int n)
{
    unsigned ceiling = BACKOFF_CAP_MS;
    if (n < 9 && (BACKOFF_BASE_MS << (n - 1)) < BACKOFF_CAP_MS)
        ceiling = BACKOFF_BASE_MS << (n - 1);
    return 1 + jitter_next() % ceiling;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Whether the attempt that just ended failed on a transaction conflict
 * that running the request again may cure: the storage flagged one, the
 * answer is its error (503; 409 for a duplicate key that another Galera
 * node's write may have caused), nothing was sent yet (answers are
 * buffered; a streaming route cannot be replayed), and both budgets
 * allow one more: fewer than kinto.storage_max_retries replays so far,
 * and time left of kinto.storage_retry_budget_seconds since the first
 * attempt began (started_ms); the wait before it (*wait_ms) is cut to
 * that time left, so that the last replay still runs within the budget.
 * After the last one that answer stands. */
static int should_replay(const cinto_ctx *c, int replays, long long started_ms, unsigned *wait_ms)
{
    int status = c->resp->status;
    if (!c->st || !c->st->conflict || (status != 503 && status != 409) || c->resp->failed)
        return 0;
    if (c->no_replay || (c->route.def && (c->route.def->needs & CINTO_ROUTE_STREAM_BODY)))
        return 0;
    long long budget_ms = c->cfg->storage_retry_budget_s * 1000;
    long long left_ms = budget_ms - (cinto_monotonic_ms() - started_ms);
    if (replays >= c->cfg->storage_max_retries || (budget_ms > 0 && left_ms <= 0)) {
        replay_stats.gave_up++;
        return 0;
    }
    if (budget_ms > 0 && left_ms < *wait_ms)
        *wait_ms = (unsigned)left_ms;
    return 1;
}

/* Puts the request back as it arrived: transaction rolled back (savepoints
 * included), per-request state dropped, answer emptied, the client's path
 * and body restored. Compiled schemas cached during the attempt may come
 * from writes that were undone: dropped too. Caches of this worker that
 * the attempt filled otherwise hold only what stays true whatever the
 * transaction did (verified passwords; history trim counters, which only
 * make the next count come sooner). */
static void prepare_replay(cinto_ctx *c)
{
    cinto_app *app = c->app;
    const cinto_config *cfg = c->cfg;
    cinto_storage *st = c->st;
    cinto_request *req = c->req;
    cinto_response *resp = c->resp;
    st->ops->rollback_all(st);
    cinto_ctx_clear(c);
    memset(c, 0, sizeof *c);
    c->app = app;
    c->cfg = cfg;
    c->st = st;
    c->req = req;
    c->resp = resp;
    c->now_ms = now_ms();
    cinto_response_reset(resp);
    cinto_request_restore(req);
    cinto_validation_cache_clear();
}

/* Runs the request, again after a transaction conflict, while
 * kinto.storage_max_retries and kinto.storage_retry_budget_seconds allow,
 * with back-off (README "Several web servers, Galera, replicas"). */
static void run_request(cinto_ctx *c, int *cors_ok, int *star)
{
    int replays = 0;
    long long started_ms = cinto_monotonic_ms();
    for (;;) {
        if (c->st) {
            c->st->conflict = 0;
            c->st->attempt = replays;
        }
        cinto_route_and_handle(c, cors_ok, star);
        unsigned wait_ms = replay_wait_ms(replays + 1);
        if (!should_replay(c, replays, started_ms, &wait_ms))
            break;
        replays++;
        replay_stats.replays++;
        if (replays == 1)
            replay_stats.requests++;
        prepare_replay(c);
        sleep_ms(wait_ms);
    }
    if (c->st && (replays || c->st->conflict))
        cinto_log_once(
            "replay", 60,
            "transaction conflicts (deadlock or Galera certification) in this worker "
            "so far: %lu requests run again, %lu replays in all, %lu still conflicting "
            "after kinto.storage_max_retries = %lld or kinto.storage_retry_budget_seconds "
            "= %lld (answered 503, or 409 for a duplicate key)",
            replay_stats.requests, replay_stats.replays, replay_stats.gave_up,
            c->cfg->storage_max_retries, c->cfg->storage_retry_budget_s);
}

int cinto_app_handle(cinto_app *app, cinto_transport *t)
{
    refresh_config(app, t);
    cinto_request req;
    cinto_response resp;
    cinto_ctx c;
    memset(&c, 0, sizeof c);
    cinto_response_init(&resp);
    /* The body is read once routed (cinto_route_and_handle): a route may
     * stream it instead. */
    if (cinto_request_read_vars(&req, t) < 0) {
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
        config_error_answer(&c, app);
    } else {
        run_request(&c, &cors_ok, &star);
        if (resp.failed)
            cinto_error_internal(&c, "out of memory");
        global_headers(&c, cors_ok, star);
    }
    /* What the handler did not read (a streamed body it stopped reading,
     * a body never read because the answer came first) is read and
     * dropped so the FastCGI connection stays in step; but a body never
     * read that announces more than the limit is left to the web server,
     * as it would have been refused with 413. */
    size_t max_body = app->configured ? (size_t)app->cfg.max_body : (size_t)DEFAULT_MAX_BODY;
    if (req.body_pending && req.content_length > (long long)max_body)
        req.body_state = CINTO_BODY_TOO_LARGE;
    cinto_request_body_drain(&req);
    int rc = cinto_response_send(&resp, t, req.method == CINTO_HEAD);
    cinto_ctx_clear(&c);
    cinto_response_free(&resp);
    cinto_request_free(&req);
    return rc;
}
