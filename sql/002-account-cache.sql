-- cinto schema, version 2: the accounts plugin's verified-credentials cache.
--
-- A bcrypt check costs about a quarter of a second on purpose. A FastCGI
-- worker remembers successful checks in memory, but under plain CGI every
-- request is a new process, so successful checks are remembered here, for
-- kinto.account_cache_ttl_seconds. One row per account: mac is the
-- lowercase hex HMAC-SHA256, keyed with kinto.userid_hmac_secret, of the
-- account id, the password and the stored bcrypt hash, so that
--   - a leaked database alone does not let anyone test passwords faster
--     than bcrypt allows (the secret is not in the database);
--   - any change of the stored hash (a new password) stops the entry from
--     matching, even before the row is deleted.
-- verified_at is when the password was last checked with bcrypt; expires
-- is in seconds since the epoch, and its index lets expired rows be
-- removed a few at a time without a scan.
CREATE TABLE IF NOT EXISTS `account_cache` (
    user_id VARBINARY(255) NOT NULL PRIMARY KEY,
    mac VARBINARY(64) NOT NULL,
    verified_at BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    KEY account_cache_by_expiry (expires)
) ENGINE=InnoDB ROW_FORMAT=DYNAMIC;

INSERT IGNORE INTO `cinto_schema_version` (version) VALUES (2);
