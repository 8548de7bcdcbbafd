/* The accounts plugin's verified-credentials cache: a bcrypt check costs a
 * quarter of a second on purpose, so a successful one is remembered for
 * kinto.account_cache_ttl_seconds (default 30, as upstream; 0 turns the
 * cache off), refreshed while it is used. Entries live in MariaDB (table
 * account_cache), so they outlive the process: under plain CGI every
 * request is a new process. A FastCGI worker also keeps the last 64 in
 * memory, which spares the expiry refresh writes.
 *
 * An entry is keyed by an HMAC (key kinto.userid_hmac_secret) of the
 * account id, the password and the stored bcrypt hash: a leaked database
 * alone cannot be brute-forced faster than bcrypt, and a new password (a
 * new hash) stops old entries from matching. With an empty
 * kinto.userid_hmac_secret only the in-memory cache is used. */
#ifndef CINTO_PLUGINS_ACCOUNT_CACHE_H
#define CINTO_PLUGINS_ACCOUNT_CACHE_H

#include "api/resource.h"

/* Reads the account (as the accounts plugin stores it: parent "",
 * resource "account") and its live cache entry in one round trip. */
int cinto_account_cache_read(cinto_ctx *c, const char *user, cinto_object *account, int *found,
                             cinto_cred_entry *entry);
/* 1 when user/pass were verified against hash recently (entry: from
 * cinto_account_cache_read); refreshes the entry's expiry while in use. */
int cinto_account_cache_hit(cinto_ctx *c, const char *user, const char *pass, const char *hash,
                            const cinto_cred_entry *entry);
/* Records that bcrypt accepted pass for user with this stored hash. */
void cinto_account_cache_remember(cinto_ctx *c, const char *user, const char *pass,
                                  const char *hash);
/* Drops user's entry in the current transaction (password changed,
 * account deleted). A negative storage error when it could not. */
int cinto_account_cache_forget(cinto_ctx *c, const char *user);
/* Empties the cache: the database table and this process's memory. For a
 * flush of the whole storage (other workers' memory entries need no flush:
 * they only match the stored hash they were made with). */
int cinto_account_cache_flush(cinto_storage *st);

#endif
