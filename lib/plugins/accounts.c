/* Accounts (spec 04 §4.12). Passwords are stored as bcrypt hashes made by
 * libcrypt (libxcrypt), which also verifies $2a$/$2y$ hashes migrated from
 * upstream. A bcrypt check costs a quarter of a second on purpose, so
 * successful checks are remembered for account_cache_ttl_seconds by
 * account_cache.c, keyed by (among others) the stored hash: any change of
 * the account (another worker or process included) changes or removes the
 * hash and the entry stops matching at once. */
#include "plugins/accounts.h"
#include "api/errors.h"
#include "api/handlers.h"
#include "api/resource_internal.h"
#include "api/router.h"
#include "auth/basic.h"
#include "plugins/account_cache.h"
#include "util/json.h"

#include <crypt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BCRYPT_COST 12
/* bcrypt reads at most 72 bytes of a password: longer ones are refused
 * (see cinto_accounts_validate). */
#define BCRYPT_MAX_BYTES 72

static const char *stored_password(json_object *data)
{
    return cinto_json_get_string(data, "password");
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
    cinto_object o;
    cinto_cred_entry entry;
    int found = 0;
    memset(&o, 0, sizeof o);
    int rc = cinto_account_cache_read(c, user, &o, &found, &entry);
    if (rc != CINTO_ST_OK)
        return rc;
    int ok = 0;
    if (found && !o.deleted) {
        json_tokener *tok = json_tokener_new_ex(CINTO_JSON_MAX_DEPTH + 8);
        json_object *data = tok ? json_tokener_parse_ex(tok, o.data, (int)o.data_len + 1) : NULL;
        json_tokener_free(tok);
        const char *hash = stored_password(data);
        if (hash) {
            ok = cinto_account_cache_hit(c, user, pass, hash, &entry);
            if (!ok && bcrypt_matches(pass, hash)) {
                ok = 1;
                cinto_account_cache_remember(c, user, pass, hash);
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
    /* bcrypt ignores what follows the 72nd byte, so a longer password
     * would let in every password that shares its first 72 bytes: refused,
     * as bcrypt 5 (upstream's hashing library) refuses it, but as a 400. */
    if (json_object_get_string_len(pw) > BCRYPT_MAX_BYTES) {
        cinto_error_invalid(c, "body", "data.password",
                            "data.password in body: Longer than maximum length 72 bytes "
                            "(bcrypt uses only the first 72 bytes of a password; choose a "
                            "shorter one)");
        return -1;
    }
    char *hash = bcrypt_hash(json_object_get_string(pw));
    if (!hash) {
        cinto_error_internal(c, "bcrypt hashing failed");
        return -1;
    }
    json_object_object_add(data, "password", json_object_new_string(hash));
    free(hash);
    /* A new password: entries made with the old one go, in this
     * transaction (they could not match the new hash anyway). */
    const char *id = cinto_json_get_string(data, "id");
    int rc = id ? cinto_account_cache_forget(c, id) : CINTO_ST_OK;
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        return -1;
    }
    return 0;
}

int cinto_accounts_on_delete(cinto_rctx *r, const char *uri)
{
    cinto_storage *st = r->c->st;
    const char *slash = strrchr(uri, '/');
    int rc = cinto_account_cache_forget(r->c, slash ? slash + 1 : uri);
    if (rc == CINTO_ST_OK)
        rc = st->ops->acl_clear(st, uri);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(r->c, rc);
        return -1;
    }
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

/* An anonymous creator or an administrator writes an account as the
 * account itself, and sees its permissions (as upstream, ACCT-1). */
static int sees_permissions(cinto_rctx *r, json_object *writers)
{
    if (!r->id || (r->c->userid && !cinto_accounts_is_admin(r->c)))
        return 0;
    char self[320];
    snprintf(self, sizeof self, "account:%.300s", r->id);
    for (size_t i = 0; writers && i < json_object_array_length(writers); i++)
        if (strcmp(json_object_get_string(json_object_array_get_idx(writers, i)), self) == 0)
            return 1;
    return 0;
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
    .remove = cinto_accounts_on_delete,
    .sees_permissions = sees_permissions,
};
