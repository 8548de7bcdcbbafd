/* GET /v1/ (spec 08 §8.1) and the utility endpoints (spec 06 §6.9). */
#include "api/errors.h"
#include "api/handlers.h"
#include "api/plugin.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

json_object *cinto_capability(const char *description, const char *url)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "description", json_object_new_string(description));
    json_object_object_add(o, "url", json_object_new_string(url));
    return o;
}

static json_object *config_info(const cinto_config *cfg)
{
    const char *path = cinto_settings_path(cfg->raw);
    if (!path)
        return NULL;
    json_object *o = json_object_new_object();
    const char *hash = cinto_settings_hash(cfg->raw);
    const char *mtime = cinto_settings_mtime(cfg->raw);
    json_object_object_add(o, "path", json_object_new_string(path));
    json_object_object_add(o, "hash", hash ? json_object_new_string(hash) : NULL);
    json_object_object_add(o, "modified", mtime ? json_object_new_string(mtime) : NULL);
    return o;
}

void cinto_handle_hello(cinto_ctx *c)
{
    const cinto_config *cfg = c->cfg;
    json_object *user = NULL;
    if (c->userid) {
        int rc = cinto_load_principals(c);
        if (rc != CINTO_ST_OK) {
            cinto_error_storage(c, rc);
            return;
        }
        user = json_object_new_object();
        json_object_object_add(user, "id", json_object_new_string(c->userid));
        json_object *p = json_object_new_array();
        for (size_t i = 0; i < c->principals.count; i++)
            json_object_array_add(p, json_object_new_string(c->principals.items[i]));
        json_object_object_add(user, "principals", p);
        cinto_plugins_user_info(c, user);
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "project_name", json_object_new_string(cfg->project_name));
    json_object_object_add(o, "project_version", json_object_new_string(cfg->project_version));
    json_object_object_add(o, "http_api_version", json_object_new_string(CINTO_HTTP_API_VERSION));
    json_object_object_add(o, "project_docs", json_object_new_string(cfg->project_docs));
    cinto_buf url = CINTO_BUF_INIT;
    cinto_base_url(c, &url);
    cinto_buf_puts(&url, "/v1/");
    json_object_object_add(o, "url", json_object_new_string(cinto_buf_str(&url)));
    cinto_buf_free(&url);
    if (cfg->eos)
        json_object_object_add(o, "eos", json_object_new_string(cfg->eos));
    json_object *settings = json_object_new_object();
    json_object_object_add(settings, "batch_max_requests",
                           json_object_new_int64(cfg->batch_max_requests));
    json_object_object_add(settings, "readonly", json_object_new_boolean(cfg->readonly));
    json_object_object_add(settings, "explicit_permissions",
                           json_object_new_boolean(cfg->explicit_permissions));
    json_object_object_add(o, "settings", settings);
    json_object *caps = json_object_new_object();
    if (cfg->basicauth)
        json_object_object_add(
            caps, "basicauth",
            cinto_capability("Very basic authentication sessions. Not for production use.",
                             "http://kinto.readthedocs.io/en/stable/api/1.x/authentication.html"));
    cinto_plugins_capabilities(c, caps);
    if (cfg->schema_validation)
        json_object_object_add(caps, "schema",
                               cinto_capability("Validates collection records with JSON schemas.",
                                                "https://kinto.readthedocs.io/en/latest/api/1.x/"
                                                "collections.html#collection-json-schema"));
    json_object_object_add(o, "capabilities", caps);
    json_object_object_add(o, "config", config_info(cfg));
    if (user)
        json_object_object_add(o, "user", user);
    cinto_response_json(c->resp, 200, o);
    json_object_put(o);
    if (cfg->readonly) {
        long long ttl = cinto_settings_int(cfg->raw, "root_cache_expires_seconds", 86400, NULL);
        char date[32];
        cinto_http_date(time(NULL) + ttl, date);
        cinto_response_set(c->resp, "Cache-Control", "max-age=%lld", ttl);
        cinto_response_set(c->resp, "Expires", "%s", date);
    }
}

void cinto_handle_heartbeat(cinto_ctx *c)
{
    int ok = c->st && c->st->ops->ping(c->st) == CINTO_ST_OK;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "storage", json_object_new_boolean(ok));
    json_object_object_add(o, "permission", json_object_new_boolean(ok));
    json_object_object_add(o, "cache", json_object_new_boolean(1));
    if (!cinto_plugins_heartbeat(c, o))
        ok = 0;
    cinto_response_json(c->resp, ok ? 200 : 503, o);
    json_object_put(o);
}

void cinto_handle_lbheartbeat(cinto_ctx *c)
{
    json_object *o = json_object_new_object();
    cinto_response_json(c->resp, 200, o);
    json_object_put(o);
}

/* The file is read on each call: it is tiny, rarely asked for, and may be
 * replaced by a deployment while workers live. */
void cinto_handle_version(cinto_ctx *c)
{
    json_object *v = json_object_from_file(c->cfg->version_json_path);
    if (!v || !json_object_is_type(v, json_type_object)) {
        json_object_put(v);
        cinto_error(c, 404, CINTO_ERRNO_MISSING_RESOURCE,
                    "The resource you are looking for could not be found.", NULL);
        return;
    }
    cinto_response_json(c->resp, 200, v);
    json_object_put(v);
}
