/* The accounts plugin's verified-credentials cache (see account_cache.h):
 * the storage keeps the entries that outlive the process, this file
 * derives their keys, decides whether one is valid, and keeps the bounded
 * in-memory copy of a FastCGI worker. */
#include "plugins/account_cache.h"
#include "util/codec.h"
#include "util/log.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MEMORY_SIZE 64

typedef struct memory_entry {
    char mac[65];
    long long expires;
} memory_entry;

static memory_entry memory[MEMORY_SIZE];
static unsigned memory_next;

static void hmac_part(crypto_auth_hmacsha256_state *st, const char *s)
{
    /* Length first (8 bytes, big-endian): no two (user, password, hash)
     * triples make the same message, whatever bytes they contain. */
    uint64_t n = strlen(s);
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)(n >> (56 - 8 * i));
    crypto_auth_hmacsha256_update(st, len, sizeof len);
    crypto_auth_hmacsha256_update(st, (const unsigned char *)s, n);
}

/* The key of an entry: lowercase hex HMAC-SHA256(userid_hmac_secret,
 * "cinto account cache" user password hash). */
static void entry_mac(const char *secret, const char *user, const char *pass, const char *hash,
                      char out[65])
{
    static const char label[] = "cinto account cache";
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    if (sodium_init() < 0)
        abort();
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, sizeof label - 1);
    hmac_part(&st, user);
    hmac_part(&st, pass);
    hmac_part(&st, hash);
    crypto_auth_hmacsha256_final(&st, mac);
    cinto_hex(mac, sizeof mac, out);
    sodium_memzero(&st, sizeof st);
    sodium_memzero(mac, sizeof mac);
}

static long long now_s(const cinto_ctx *c)
{
    return c->now_ms / 1000;
}

/* kinto.account_cache_ttl_seconds, at most ten years (now + TTL must not
 * overflow); 0 or less: no cache. */
static long long ttl_of(const cinto_ctx *c)
{
    long long ttl = c->cfg->account_cache_ttl;
    return ttl > 315360000 ? 315360000 : ttl;
}

/* Without a secret the HMAC is a plain hash and stored entries could be
 * brute-forced at hash speed: the database part stays off. */
static int persistent(const cinto_ctx *c)
{
    if (*c->cfg->userid_hmac_secret)
        return 1;
    cinto_log_once("account cache: no secret", 3600,
                   "kinto.userid_hmac_secret is empty: account logins are cached in memory only, "
                   "so under plain CGI every authenticated request pays a full bcrypt check "
                   "(set kinto.userid_hmac_secret to a long random string)");
    return 0;
}

/* A live entry: not expired, and not further away than the TTL allows now
 * (the setting may have been lowered since it was written). */
static int live(long long expires, long long now, long long ttl)
{
    return expires > now && expires - now <= ttl;
}

static int memory_hit(const char *mac, long long now, long long ttl)
{
    for (int i = 0; i < MEMORY_SIZE; i++) {
        memory_entry *e = &memory[i];
        if (e->mac[0] && live(e->expires, now, ttl) && sodium_memcmp(e->mac, mac, 64) == 0) {
            e->expires = now + ttl; /* refreshed on each hit, as upstream */
            return 1;
        }
    }
    return 0;
}

static void memory_store(const char *mac, long long expires)
{
    memory_entry *e = &memory[memory_next++ % MEMORY_SIZE];
    memcpy(e->mac, mac, 65);
    e->expires = expires;
}

int cinto_account_cache_read(cinto_ctx *c, const char *user, cinto_object *account, int *found,
                             cinto_cred_entry *entry)
{
    return c->st->ops->account_get(c->st, "", "account", user, now_s(c), account, found, entry);
}

int cinto_account_cache_hit(cinto_ctx *c, const char *user, const char *pass, const char *hash,
                            const cinto_cred_entry *entry)
{
    long long ttl = ttl_of(c), now = now_s(c);
    if (ttl <= 0)
        return 0;
    char mac[65];
    entry_mac(c->cfg->userid_hmac_secret, user, pass, hash, mac);
    int ok = memory_hit(mac, now, ttl);
    if (!ok && persistent(c) && entry->mac[0] && live(entry->expires, now, ttl) &&
        sodium_memcmp(entry->mac, mac, 64) == 0) {
        ok = 1;
        memory_store(mac, now + ttl);
        /* Refreshed while in use, but written at most once per half TTL
         * rather than on every request. */
        if (entry->expires - now < ttl / 2 && !c->cfg->readonly &&
            c->st->ops->account_cache_touch(c->st, user, mac, now + ttl) != CINTO_ST_OK)
            cinto_log_once("account cache: touch", 600,
                           "account cache: cannot refresh an entry: %s", c->st->last_error);
    }
    sodium_memzero(mac, sizeof mac);
    return ok;
}

void cinto_account_cache_remember(cinto_ctx *c, const char *user, const char *pass,
                                  const char *hash)
{
    long long ttl = ttl_of(c), now = now_s(c);
    if (ttl <= 0)
        return;
    char mac[65];
    entry_mac(c->cfg->userid_hmac_secret, user, pass, hash, mac);
    memory_store(mac, now + ttl);
    /* A failed write only costs the next request a bcrypt check. A
     * read-only instance (kinto.readonly, e.g. on a replica with
     * read_only=1) writes nothing: it keeps the entry in memory and still
     * reads the entries its write site stored (same secret). */
    if (!c->cfg->readonly && persistent(c) &&
        c->st->ops->account_cache_put(c->st, user, mac, now, now + ttl) != CINTO_ST_OK)
        cinto_log_once("account cache: put", 600, "account cache: cannot store an entry: %s",
                       c->st->last_error);
    sodium_memzero(mac, sizeof mac);
}

int cinto_account_cache_forget(cinto_ctx *c, const char *user)
{
    return c->st->ops->account_cache_forget(c->st, user);
}

int cinto_account_cache_flush(cinto_storage *st)
{
    sodium_memzero(memory, sizeof memory);
    return st->ops->account_cache_flush(st);
}
