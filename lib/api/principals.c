/* Authentication (spec 04 §4.11) and effective principals (§4.2). */
#include "api/handlers.h"
#include "api/plugin.h"
#include "auth/basic.h"

#include <stdlib.h>
#include <string.h>

/* Identifies the user from the Authorization header. Failed or unusable
 * credentials leave the request anonymous: never an error by themselves. */
int cinto_authenticate(cinto_ctx *c)
{
    const char *h = c->req->authorization;
    if (!h || !c->cfg->npolicies)
        return 0;
    char *user = NULL, *pass = NULL;
    if (cinto_basic_parse(h, &user, &pass) < 0)
        return 0;
    int rc = 0;
    /* The first policy that identifies the user wins (spec 04 §4.11). */
    for (int i = 0; i < c->cfg->npolicies && !c->userid && *user && rc == 0; i++) {
        cinto_buf id = CINTO_BUF_INIT;
        if (c->cfg->policies[i] == CINTO_POLICY_BASICAUTH) {
            char hex[65];
            cinto_basicauth_userid(c->cfg->userid_hmac_secret, user, pass, hex);
            cinto_buf_printf(&id, "basicauth:%s", hex);
        } else {
            const cinto_plugin *p = c->cfg->policy_plugins[i];
            char *userid = NULL;
            int ok = p->authenticate(c, user, pass, &userid);
            if (ok < 0)
                rc = ok; /* storage trouble: answered as such */
            else if (ok && userid)
                cinto_buf_puts(&id, userid);
            free(userid);
        }
        if (id.len)
            c->userid = cinto_buf_steal(&id);
        cinto_buf_free(&id);
    }
    free(user);
    free(pass);
    return rc;
}

/* User id, system.Everyone, system.Authenticated, then the groups of the
 * user and of system.Authenticated (one storage round trip). */
int cinto_load_principals(cinto_ctx *c)
{
    if (c->principals_loaded)
        return CINTO_ST_OK;
    if (!c->principals.count) {
        if (c->userid && cinto_strv_push(&c->principals, c->userid) < 0)
            return CINTO_ST_NOMEM;
        if (cinto_strv_push(&c->principals, "system.Everyone") < 0)
            return CINTO_ST_NOMEM;
        if (c->userid && cinto_strv_push(&c->principals, "system.Authenticated") < 0)
            return CINTO_ST_NOMEM;
    }
    if (c->userid) {
        if (!c->st)
            return CINTO_ST_UNAVAILABLE;
        const char *who[2] = {c->userid, "system.Authenticated"};
        int rc = c->st->ops->groups_of(c->st, 2, who, &c->principals);
        if (rc != CINTO_ST_OK)
            return rc;
    }
    c->principals_loaded = 1;
    return CINTO_ST_OK;
}

int cinto_has_principal(const cinto_ctx *c, const char *principal)
{
    for (size_t i = 0; i < c->principals.count; i++)
        if (strcmp(c->principals.items[i], principal) == 0)
            return 1;
    return 0;
}
