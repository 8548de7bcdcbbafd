/* GET /__api__ (UTIL-4): an OpenAPI 2.0 document built at each request
 * from the routes this worker serves (the core's and those of the enabled
 * plugins, without the methods settings disable), so it cannot drift from
 * them; and GET /contribute.json (UTIL-5). Tags and operation ids follow
 * upstream's generator (kinto.core.openapi): "Buckets", "get_buckets",
 * "create_bucket", "update_bucket"...; HEAD and OPTIONS are not listed,
 * as there. */
#include "api/handlers.h"
#include "api/resource.h"
#include "api/router.h"
#include "util/buf.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Upstream's names for the utility services (their views set them). */
static const struct utility {
    const char *pattern, *tag, *op;
} utilities[] = {
    {"/", "Utilities", "server_info"},
    {"/batch", "Batch", "batch"},
    {"/__heartbeat__", "Utilities", "__heartbeat__"},
    {"/__lbheartbeat__", "Utilities", "__lbheartbeat__"},
    {"/__version__", "Utilities", "__version__"},
    {"/__api__", "Utilities", "get_openapi_spec"},
    {"/contribute.json", "Utilities", "contribute"},
    {"/__user_data__/{principal}", "User-datas", "delete_user-data"},
};

static const struct utility *utility(const char *pattern)
{
    for (size_t i = 0; i < sizeof utilities / sizeof utilities[0]; i++)
        if (strcmp(utilities[i].pattern, pattern) == 0)
            return &utilities[i];
    return NULL;
}

/* The kind name a row serves, NULL for other endpoints. */
static const char *kind_name(const cinto_route_def *d)
{
    if (d->kind_info)
        return d->kind_info->name;
    return d->kind >= 0 && d->kind < CINTO_KIND_COUNT ? cinto_kinds[d->kind].name : NULL;
}

/* Upstream's placeholder names: the object's own id is {id}, its
 * ancestors' {bucket_id}, {collection_id}, {group_id}. */
static const char *param_name(const char *ph, size_t len, int last)
{
    static const struct {
        const char *ph, *name;
    } names[] = {{"bid", "bucket_id"},
                 {"cid", "collection_id"},
                 {"gid", "group_id"},
                 {"rid", "record_id"},
                 {"aid", "account_id"}};
    if (last)
        return "id";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (len == 3 && strncmp(ph, names[i].ph, 3) == 0)
            return names[i].name;
    return NULL;
}

/* Writes the OpenAPI path of a row and adds its path parameters. */
static void openapi_path(const cinto_route_def *d, cinto_buf *out, json_object *params)
{
    const char *p = d->pattern;
    int object_route = kind_name(d) && !d->plural;
    while (*p) {
        const char *open = strchr(p, '{');
        if (!open) {
            cinto_buf_puts(out, p);
            break;
        }
        const char *close = strchr(open, '}');
        if (!close)
            break;
        cinto_buf_printf(out, "%.*s", (int)(open - p), p);
        size_t len = (size_t)(close - open - 1);
        const char *name = param_name(open + 1, len, object_route && close[1] == '\0');
        /* Other placeholders ({principal}, {ts}) keep their own name. */
        char own[64];
        snprintf(own, sizeof own, "%.*s", (int)len, open + 1);
        if (!name)
            name = own;
        cinto_buf_printf(out, "{%s}", name);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "in", json_object_new_string("path"));
        json_object_object_add(o, "required", json_object_new_boolean(1));
        json_object_object_add(o, "type", json_object_new_string("string"));
        json_object_array_add(params, o);
        p = close + 1;
    }
}

/* "Buckets", or for plugin endpoints "Utilities" / the path's last word. */
static void tag_of(const cinto_route_def *d, char *out, size_t len)
{
    const struct utility *u = utility(d->pattern);
    const char *k = kind_name(d);
    if (u)
        snprintf(out, len, "%s", u->tag);
    else if (k)
        snprintf(out, len, "%c%ss", toupper((unsigned char)k[0]), k + 1);
    else if (strncmp(d->pattern, "/__", 3) == 0)
        snprintf(out, len, "Utilities");
    else {
        /* The last segment; a pattern ending in '/' ("/admin/") has its
         * word before that slash (reading past it overran the string). */
        size_t n = strlen(d->pattern);
        while (n > 1 && d->pattern[n - 1] == '/')
            n--;
        size_t start = n;
        while (start > 0 && d->pattern[start - 1] != '/')
            start--;
        if (start >= n)
            snprintf(out, len, "Utilities");
        else
            snprintf(out, len, "%c%.*s", toupper((unsigned char)d->pattern[start]),
                     (int)(n - start - 1), d->pattern + start + 1);
    }
}

static void op_id(const cinto_route_def *d, const char *method, char *out, size_t len)
{
    const struct utility *u = utility(d->pattern);
    const char *k = kind_name(d);
    char m[16];
    size_t i = 0;
    for (; method[i] && i < sizeof m - 1; i++)
        m[i] = (char)tolower((unsigned char)method[i]);
    m[i] = '\0';
    if (u) {
        snprintf(out, len, "%s", u->op);
    } else if (k) {
        const char *verb = strcmp(m, "post") == 0 ? "create" : strcmp(m, "put") == 0 ? "update" : m;
        /* Lists are plural except what they create. */
        int plural = d->plural && strcmp(verb, "create") != 0;
        snprintf(out, len, "%s_%s%s", verb, k, plural ? "s" : "");
    } else {
        /* Plugin endpoints: "<method>_<last literal segment>". */
        const char *last = d->pattern;
        for (const char *p = d->pattern; *p; p++)
            if (*p == '/' && p[1] && p[1] != '{')
                last = p + 1;
        size_t n = (size_t)snprintf(out, len, "%s_", m);
        for (; *last && *last != '/' && n + 1 < len; last++)
            if (isalnum((unsigned char)*last) || *last == '_')
                out[n++] = *last;
        out[n] = '\0';
    }
}

/* Upstream asks for no credentials on the utility endpoints. */
static int public_route(const cinto_route_def *d)
{
    return utility(d->pattern) || strncmp(d->pattern, "/__", 3) == 0;
}

static json_object *operation(cinto_ctx *c, const cinto_route_def *d, const char *method,
                              json_object *params)
{
    char tag[64], op[96];
    tag_of(d, tag, sizeof tag);
    op_id(d, method, op, sizeof op);
    json_object *o = json_object_new_object();
    json_object *tags = json_object_new_array();
    json_object_array_add(tags, json_object_new_string(tag));
    json_object_object_add(o, "tags", tags);
    json_object_object_add(o, "operationId", json_object_new_string(op));
    json_object_object_add(o, "produces", json_object_new_array());
    json_object_array_add(json_object_object_get(o, "produces"),
                          json_object_new_string("application/json"));
    if (json_object_array_length(params))
        json_object_object_add(o, "parameters", json_object_get(params));
    json_object *responses = json_object_new_object();
    json_object *ok = json_object_new_object();
    json_object_object_add(ok, "description", json_object_new_string("Success."));
    json_object_object_add(responses, strcmp(method, "POST") == 0 && kind_name(d) ? "201" : "200",
                           ok);
    json_object *err = json_object_new_object();
    json_object_object_add(err, "description",
                           json_object_new_string("A Kinto error object (code, errno, error)."));
    json_object_object_add(responses, "default", err);
    json_object_object_add(o, "responses", responses);
    json_object *security = json_object_new_array();
    if (!public_route(d) && c->cfg->basicauth) {
        json_object *s = json_object_new_object();
        json_object_object_add(s, "basicauth", json_object_new_array());
        json_object_array_add(security, s);
    }
    json_object_object_add(o, "security", security);
    return o;
}

static void add_tag(json_object *tags, const char *name)
{
    for (size_t i = 0; i < json_object_array_length(tags); i++)
        if (strcmp(json_object_get_string(
                       json_object_object_get(json_object_array_get_idx(tags, i), "name")),
                   name) == 0)
            return;
    json_object *t = json_object_new_object();
    json_object_object_add(t, "name", json_object_new_string(name));
    json_object_array_add(tags, t);
}

void cinto_handle_openapi(cinto_ctx *c)
{
    static const enum cinto_method listed[] = {CINTO_GET, CINTO_POST, CINTO_PUT, CINTO_PATCH,
                                               CINTO_DELETE};
    const cinto_app *app = c->app;
    json_object *doc = json_object_new_object(), *paths = json_object_new_object();
    json_object *tags = json_object_new_array();
    json_object_object_add(doc, "swagger", json_object_new_string("2.0"));
    json_object *info = json_object_new_object();
    json_object_object_add(info, "title", json_object_new_string(c->cfg->project_name));
    json_object_object_add(info, "version", json_object_new_string(CINTO_HTTP_API_VERSION));
    json_object_object_add(doc, "info", info);
    json_object_object_add(doc, "basePath", json_object_new_string("/v1"));
    const char *host = c->cfg->http_host ? c->cfg->http_host : c->req->host;
    json_object_object_add(doc, "host", json_object_new_string(host ? host : "localhost"));
    json_object *schemes = json_object_new_array();
    json_object_array_add(
        schemes, json_object_new_string(c->cfg->http_scheme ? c->cfg->http_scheme : "http"));
    json_object_object_add(doc, "schemes", schemes);
    json_object *sec = json_object_new_object();
    if (c->cfg->basicauth) {
        json_object *b = json_object_new_object();
        json_object_object_add(b, "type", json_object_new_string("basic"));
        json_object_object_add(sec, "basicauth", b);
    }
    json_object_object_add(doc, "securityDefinitions", sec);
    for (size_t i = 0; i < app->nroutes; i++) {
        const cinto_route_def *d = app->routes[i];
        unsigned methods = cinto_route_methods(d) & ~app->route_disabled[i];
        if (c->cfg->readonly)
            methods &= CINTO_M(CINTO_GET);
        cinto_buf path = CINTO_BUF_INIT;
        json_object *params = json_object_new_array();
        openapi_path(d, &path, params);
        json_object *item = NULL;
        for (size_t k = 0; k < sizeof listed / sizeof listed[0]; k++) {
            if (!(methods & CINTO_M(listed[k])))
                continue;
            const char *m = cinto_method_name(listed[k]);
            char lower[16];
            size_t n = 0;
            for (; m[n] && n < sizeof lower - 1; n++)
                lower[n] = (char)tolower((unsigned char)m[n]);
            lower[n] = '\0';
            if (!item)
                item = json_object_new_object();
            json_object *op = operation(c, d, m, params);
            add_tag(tags, json_object_get_string(
                              json_object_array_get_idx(json_object_object_get(op, "tags"), 0)));
            json_object_object_add(item, lower, op);
        }
        if (item && path.data)
            json_object_object_add(paths, cinto_buf_str(&path), item);
        else
            json_object_put(item);
        json_object_put(params);
        cinto_buf_free(&path);
    }
    json_object_object_add(doc, "tags", tags);
    json_object_object_add(doc, "paths", paths);
    cinto_response_json(c->resp, 200, doc);
    json_object_put(doc);
}

/* Upstream's shape (name, description, repository, participate, bugs,
 * keywords), about this implementation. Its links are the settings a
 * deployment already uses for help: kinto.project_docs and
 * kinto.error_info_link (where error answers send users). */
void cinto_handle_contribute(cinto_ctx *c)
{
    const cinto_config *cfg = c->cfg;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(cfg->project_name));
    json_object_object_add(o, "description",
                           json_object_new_string("A JSON storage service with synchronisation "
                                                  "and sharing abilities (the Kinto HTTP API), "
                                                  "written in C for shared web hosting."));
    json_object *repo = json_object_new_object();
    json_object_object_add(repo, "url", json_object_new_string(cfg->project_docs));
    json_object_object_add(repo, "license", json_object_new_string("Apache License (2.0)"));
    json_object_object_add(o, "repository", repo);
    json_object *part = json_object_new_object();
    json_object_object_add(part, "home", json_object_new_string(cfg->project_docs));
    json_object_object_add(part, "docs", json_object_new_string(cfg->project_docs));
    json_object_object_add(o, "participate", part);
    json_object *bugs = json_object_new_object();
    json_object_object_add(bugs, "list", json_object_new_string(cfg->error_info_link));
    json_object_object_add(o, "bugs", bugs);
    json_object *kw = json_object_new_array();
    static const char *const words[] = {"JSON", "C",   "FastCGI", "MariaDB",
                                        "REST", "API", "Database"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        json_object_array_add(kw, json_object_new_string(words[i]));
    json_object_object_add(o, "keywords", kw);
    cinto_response_json(c->resp, 200, o);
    json_object_put(o);
}
