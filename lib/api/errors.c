#include "api/errors.h"
#include "util/json.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

void cinto_error(cinto_ctx *c, int status, int errnum, const char *message, json_object *details)
{
    cinto_response *r = c->resp;
    /* Headers that belong to a success (ETag, Location...) must not leak
     * into the error; the global ones are added after the handler. */
    cinto_response_reset(r);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "code", json_object_new_int(status));
    json_object_object_add(o, "errno", json_object_new_int(errnum));
    const char *error = cinto_status_reason(status);
    if (errnum == CINTO_ERRNO_INVALID_PARAMETERS)
        error = "Invalid parameters";
    json_object_object_add(o, "error", json_object_new_string(error));
    if (message)
        json_object_object_add(o, "message", json_object_new_string(message));
    if (status == 500 && c->cfg)
        json_object_object_add(o, "info", json_object_new_string(c->cfg->error_info_link));
    if (details)
        json_object_object_add(o, "details", details);
    cinto_response_json(r, status, o);
    json_object_put(o);
}

static json_object *detail(const char *location, const char *name, const char *description)
{
    json_object *d = json_object_new_object();
    json_object_object_add(d, "location", json_object_new_string(location));
    json_object_object_add(d, "name", name ? json_object_new_string(name) : NULL);
    json_object_object_add(d, "description", json_object_new_string(description));
    return d;
}

void cinto_error_invalid_status(cinto_ctx *c, int status, const char *location, const char *name,
                                const char *description)
{
    json_object *details = json_object_new_array();
    json_object_array_add(details, detail(location, name, description));
    /* The message names the field unless the description already does
     * (spec 08 §8.3). */
    char msg[1024];
    if (!name)
        snprintf(msg, sizeof msg, "%s: %s", location, description);
    else if (!*name || strstr(description, name))
        snprintf(msg, sizeof msg, "%s", description);
    else
        snprintf(msg, sizeof msg, "%s in %s: %s", name, location, description);
    cinto_error(c, status, CINTO_ERRNO_INVALID_PARAMETERS, msg, details);
}

void cinto_error_body_unusable(cinto_ctx *c, const char *description)
{
    json_object *details = json_object_new_array();
    json_object_array_add(details, detail("body", "", description));
    json_object_array_add(details, detail("body", "", "Required"));
    cinto_error(c, 400, CINTO_ERRNO_INVALID_PARAMETERS, description, details);
}

void cinto_error_invalid(cinto_ctx *c, const char *location, const char *name,
                         const char *description)
{
    cinto_error_invalid_status(c, 400, location, name, description);
}

void cinto_error_denied(cinto_ctx *c)
{
    if (!c->userid) {
        cinto_error(c, 401, CINTO_ERRNO_MISSING_AUTH_TOKEN,
                    "Please authenticate yourself to use this endpoint.", NULL);
        /* One challenge per Basic-type policy. */
        for (int i = 0; c->cfg && i < c->cfg->npolicies; i++)
            cinto_response_add(
                c->resp, "WWW-Authenticate", "Basic realm=\"%s\"",
                c->cfg->policies[i] == CINTO_POLICY_BASICAUTH ? c->cfg->basicauth_realm : "Realm");
    } else {
        cinto_error(c, 403, CINTO_ERRNO_FORBIDDEN, "This user cannot access this resource.", NULL);
    }
}

void cinto_error_not_found(cinto_ctx *c, int errnum, const char *id, const char *resource)
{
    json_object *d = json_object_new_object();
    json_object_object_add(d, "id", json_object_new_string(id));
    json_object_object_add(d, "resource_name", json_object_new_string(resource));
    /* Upstream sends no message with these details. */
    cinto_error(c, 404, errnum, NULL, d);
}

void cinto_error_storage(cinto_ctx *c, int st_rc)
{
    /* The transaction is in an unknown state (deadlock victim, server
     * gone): nothing of it may commit. */
    c->tx_doomed = 1;
    if (st_rc == CINTO_ST_UNAVAILABLE) {
        /* The storage names the condition and its fix (it logged the
         * details once); else upstream's text. */
        const char *msg = c->st && c->st->message[0]
                              ? c->st->message
                              : "Service temporary unavailable due to overloading or maintenance, "
                                "please retry later.";
        cinto_error(c, 503, CINTO_ERRNO_BACKEND, msg, NULL);
    } else if (st_rc == CINTO_ST_CONFLICT) {
        cinto_error(c, 409, CINTO_ERRNO_CONSTRAINT_VIOLATED,
                    "Integrity constraint violated, please retry.", NULL);
    } else {
        if (c->st)
            cinto_log("storage failure: %s", c->st->last_error);
        cinto_error_internal(c, NULL);
    }
}

void cinto_error_internal(cinto_ctx *c, const char *why)
{
    c->tx_doomed = 1;
    if (why)
        cinto_log("internal error: %s", why);
    cinto_error(c, 500, CINTO_ERRNO_UNDEFINED,
                "A programmatic error occurred, developers have been informed.", NULL);
}
