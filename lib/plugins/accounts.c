/* Accounts (spec 04 §4.12). Passwords are stored as bcrypt hashes made by
 * libcrypt (libxcrypt), which also verifies $2a$/$2y$ hashes migrated from
 * upstream. A bcrypt check costs a quarter of a second on purpose, so each
 * worker remembers successful checks for account_cache_ttl_seconds, keyed
 * by the stored hash: any change of the account (another worker included)
 * changes or removes the hash and the entry stops matching at once. */
#include "plugins/accounts.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/resource_internal.h"
#include "api/router.h"
#include "auth/basic.h"
#include "util/json.h"

#include <crypt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BCRYPT_COST 12
#define CACHE_SIZE 64

typedef struct check_cache {
    char user[256];
    char secret_mac[65]; /* HMAC of user:password, never the password */
    char hash[128];
    time_t expires;
} check_cache;

static check_cache cache[CACHE_SIZE];
static unsigned cache_next;

static const char *stored_password(json_object *data)
{
    return cinto_json_get_string(data, "password");
}

static int cached(const cinto_ctx *c, const char *user, const char *mac, const char *hash)
{
    time_t now = time(NULL);
    for (int i = 0; i < CACHE_SIZE; i++) {
        check_cache *e = &cache[i];
        if (e->expires > now && strcmp(e->user, user) == 0 && strcmp(e->hash, hash) == 0 &&
            sodium_memcmp(e->secret_mac, mac, 64) == 0) {
            e->expires = now + c->cfg->account_cache_ttl; /* refreshed on each hit */
            return 1;
        }
    }
    return 0;
}

static void remember(const cinto_ctx *c, const char *user, const char *mac, const char *hash)
{
    if (c->cfg->account_cache_ttl <= 0 || strlen(user) >= sizeof cache[0].user ||
        strlen(hash) >= sizeof cache[0].hash)
        return;
    check_cache *e = &cache[cache_next++ % CACHE_SIZE];
    snprintf(e->user, sizeof e->user, "%s", user);
    memcpy(e->secret_mac, mac, 65);
    snprintf(e->hash, sizeof e->hash, "%s", hash);
    e->expires = time(NULL) + c->cfg->account_cache_ttl;
}

static int bcrypt_matches(const char *pass, const char *hash)
{
    struct crypt_data *data = calloc(1, sizeof *data);
    if (!data)
        return 0;
    const char *out = crypt_rn(pass, hash, data, sizeof *data);
    int ok = out && out[0] != '*' && strlen(out) == strlen(hash) &&
             sodium_memcmp(out, hash, strlen(hash)) == 0;
    sodium_memzero(data, sizeof *data);
    free(data);
    return ok;
}

int cinto_accounts_check(cinto_ctx *c, const char *user, const char *pass)
{
    if (!c->st || !*user)
        return 0;
    const char *parents[1] = {""}, *resources[1] = {"account"}, *ids[1] = {user};
    cinto_object o;
    int found = 0;
    memset(&o, 0, sizeof o);
    int rc = c->st->ops->get_many(c->st, 1, parents, resources, ids, &o, &found);
    if (rc != CINTO_ST_OK)
        return rc;
    int ok = 0;
    if (found && !o.deleted) {
        json_tokener *tok = json_tokener_new_ex(CINTO_JSON_MAX_DEPTH + 8);
        json_object *data = tok ? json_tokener_parse_ex(tok, o.data, (int)o.data_len + 1) : NULL;
        json_tokener_free(tok);
        const char *hash = stored_password(data);
        if (hash) {
            char mac[65];
            cinto_basicauth_userid(c->cfg->userid_hmac_secret, user, pass, mac);
            ok = cached(c, user, mac, hash);
            if (!ok && bcrypt_matches(pass, hash)) {
                ok = 1;
                remember(c, user, mac, hash);
            }
        }
        json_object_put(data);
    }
    cinto_object_clear(&o);
    return ok;
}

static char *bcrypt_hash(const char *pass)
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    if (!crypt_gensalt_rn("$2b$", BCRYPT_COST, NULL, 0, salt, sizeof salt))
        return NULL;
    struct crypt_data *data = calloc(1, sizeof *data);
    if (!data)
        return NULL;
    const char *out = crypt_rn(pass, salt, data, sizeof *data);
    char *hash = out && out[0] != '*' ? strdup(out) : NULL;
    sodium_memzero(data, sizeof *data);
    free(data);
    return hash;
}

int cinto_accounts_is_admin(cinto_ctx *c)
{
    char **admins = cinto_app_grant(c->app, "account_write");
    for (size_t i = 0; admins && admins[i]; i++)
        if (cinto_has_principal(c, admins[i]))
            return 1;
    return 0;
}

int cinto_accounts_validate(cinto_rctx *r, json_object *data)
{
    cinto_ctx *c = r->c;
    json_object *pw = cinto_json_get(data, "password");
    if (!pw || !json_object_is_type(pw, json_type_string) || !json_object_get_string_len(pw)) {
        cinto_error_invalid(c, "body", "data.password", "data.password in body: Required");
        return -1;
    }
    /* A non-admin user may only write their own account. */
    if (c->userid && !cinto_accounts_is_admin(c)) {
        const char *own = strchr(c->userid, ':');
        const char *id = cinto_json_get_string(data, "id");
        if (!own || !id || strcmp(own + 1, id) != 0) {
            cinto_error_invalid(c, "body", "data.id", "Username and account ID do not match.");
            return -1;
        }
    }
    /* The stored hash comes back unchanged on PATCH without a password;
     * anything else is a new password. */
    const char *old = NULL;
    json_object *old_data = NULL;
    if (cinto_obj_exists(r, CINTO_KIND_ACCOUNT)) {
        old_data = cinto_res_object_json(&r->objs[CINTO_KIND_ACCOUNT]);
        old = stored_password(old_data);
    }
    int same = old && strcmp(old, json_object_get_string(pw)) == 0;
    json_object_put(old_data);
    if (same)
        return 0;
    char *hash = bcrypt_hash(json_object_get_string(pw));
    if (!hash) {
        cinto_error_internal(c, "bcrypt hashing failed");
        return -1;
    }
    json_object_object_add(data, "password", json_object_new_string(hash));
    free(hash);
    return 0;
}

/* ---- plugin row -------------------------------------------------------------- */

static void capability(cinto_ctx *c, json_object *caps)
{
    json_object *acc = cinto_capability(
        "Manage user accounts.", "https://kinto.readthedocs.io/en/latest/api/1.x/accounts.html");
    json_object_object_add(acc, "validation_enabled", json_object_new_boolean(0));
    json_object_object_add(caps, "accounts", acc);
}

/* The position in multiauth.policies of the first policy that is this
 * plugin's (-1: none) and of the first basicauth one (-1: none); *name
 * gets the account policy's name. */
static void find_policies(cinto_settings *s, char **policies, int *account, int *basic,
                          const char **name)
{
    *account = *basic = -1;
    for (int i = 0; policies && policies[i]; i++) {
        char key[256];
        snprintf(key, sizeof key, "multiauth.policy.%s.use", policies[i]);
        const char *use = cinto_settings_get(s, key);
        if (*account < 0 && use && strstr(use, "kinto.plugins.accounts")) {
            *account = i;
            *name = policies[i];
        } else if (*basic < 0 && (strcmp(policies[i], "basicauth") == 0 ||
                                  (use && strstr(use, "BasicAuthAuthenticationPolicy")))) {
            *basic = i;
        }
    }
}

/* Startup checks, as upstream's includeme: without an account policy
 * every account login would silently become a basicauth user (basicauth
 * takes any credentials), and so it would with basicauth listed first;
 * a creator that is not an administrator could only create their own
 * account. */
static int configure(cinto_app *app, cinto_settings *s, char *err, size_t errlen)
{
    (void)app;
    char **policies = NULL, **creators = NULL, **admins = NULL;
    int account, basic, rc = -1;
    const char *name = NULL;
    cinto_settings_list(s, "multiauth.policies", &policies);
    find_policies(s, policies, &account, &basic, &name);
    if (account < 0) {
        snprintf(err, errlen,
                 "kinto.plugins.accounts is in kinto.includes but multiauth.policies lists no "
                 "account policy: set multiauth.policies = account basicauth (or account) and "
                 "multiauth.policy.account.use = kinto.plugins.accounts.AccountsPolicy");
        goto done;
    }
    if (basic >= 0 && basic < account) {
        snprintf(err, errlen,
                 "'basicauth' should not be mentioned before '%.64s' in 'multiauth.policies' "
                 "setting: basicauth accepts any credentials, so account logins would never be "
                 "checked; list %.64s first (multiauth.policies = %.64s basicauth)",
                 name, name, name);
        goto done;
    }
    cinto_settings_list(s, "account_create_principals", &creators);
    cinto_settings_list(s, "account_write_principals", &admins);
    for (size_t i = 0; creators && creators[i]; i++) {
        int admin = strcmp(creators[i], "system.Everyone") == 0;
        for (size_t j = 0; !admin && admins && admins[j]; j++)
            admin = strcmp(creators[i], admins[j]) == 0;
        if (!admin) {
            snprintf(err, errlen,
                     "%.128s is in kinto.account_create_principals but not in "
                     "kinto.account_write_principals, so it could only create its own account: "
                     "add it to kinto.account_write_principals (or remove it from "
                     "kinto.account_create_principals)",
                     creators[i]);
            goto done;
        }
    }
    rc = 0;
done:
    cinto_strv_free(policies);
    cinto_strv_free(creators);
    cinto_strv_free(admins);
    return rc;
}

/* The account policy: Basic credentials checked against the stored
 * account, user id "account:<id>". */
static int authenticate(cinto_ctx *c, const char *user, const char *pass, char **userid)
{
    int ok = cinto_accounts_check(c, user, pass);
    if (ok != 1)
        return ok;
    cinto_buf id = CINTO_BUF_INIT;
    if (cinto_buf_printf(&id, "account:%s", user) < 0) {
        cinto_buf_free(&id);
        return CINTO_ST_NOMEM;
    }
    *userid = cinto_buf_steal(&id);
    return 1;
}

static const cinto_route_def routes[] = {
    {"/accounts", CINTO_PLURAL_METHODS, cinto_handle_resource, CINTO_KIND_ACCOUNT, 1,
     CINTO_NEEDS_STORAGE, NULL},
    {"/accounts/{aid}", CINTO_OBJECT_METHODS, cinto_handle_resource, CINTO_KIND_ACCOUNT, 0,
     CINTO_NEEDS_STORAGE, NULL},
};

static const char *const settings[] = {"account_cache_ttl_seconds", "account_create_principals",
                                       "account_write_principals", "account_read_principals", NULL};

const cinto_plugin cinto_plugin_accounts = {
    .name = "kinto.plugins.accounts",
    .settings = settings,
    .configure = configure,
    .capability = capability,
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .policy_use = "kinto.plugins.accounts",
    .authenticate = authenticate,
    .kind = CINTO_KIND_ACCOUNT,
    .validate = cinto_accounts_validate,
};
