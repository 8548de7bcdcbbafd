/* The accounts plugin (spec 04 §4.12): user accounts with bcrypt-hashed
 * passwords, and the authentication policy that checks them. */
#ifndef CINTO_PLUGINS_ACCOUNTS_H
#define CINTO_PLUGINS_ACCOUNTS_H

#include "api/plugin.h"
#include "api/resource.h"

/* Its row of the plugin table: routes /accounts, the account policy, the
 * account kind's checks, the "accounts" capability. */
extern const cinto_plugin cinto_plugin_accounts;

/* Checks user/password against the stored account. Returns 1 when they
 * match, 0 when they do not (or no such account), a negative storage error
 * when the account could not be read. */
int cinto_accounts_check(cinto_ctx *c, const char *user, const char *pass);
/* Kind hook: password required and hashed, id of non-admins = their own. */
int cinto_accounts_validate(cinto_rctx *r, json_object *data);
/* Kind hook: a deleted account's cache entry and ACL go with it. */
int cinto_accounts_on_delete(cinto_rctx *r, const char *uri);
/* Whether the requester is an accounts administrator
 * (kinto.account_write_principals). */
int cinto_accounts_is_admin(cinto_ctx *c);

#endif
