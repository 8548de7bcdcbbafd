-- cinto schema, version 4: single-use pagination tokens of bulk deletions
-- (spec 02 §2.9 item 6).
--
-- A DELETE on a list that stops after one page hands out a Next-Page token
-- whose nonce is remembered here until expires (milliseconds since the
-- epoch: when it was issued plus kinto.pagination_token_validity_seconds).
-- The DELETE of the next page removes the row, so each token works once;
-- GET tokens are never stored and never expire. Each new token removes a
-- few expired rows, found through the expiry index (never a scan).
CREATE TABLE IF NOT EXISTS `pagination_tokens` (
    nonce VARBINARY(64) NOT NULL PRIMARY KEY,
    expires BIGINT NOT NULL,
    KEY pagination_tokens_by_expiry (expires)
) ENGINE=InnoDB ROW_FORMAT=DYNAMIC;

INSERT IGNORE INTO `cinto_schema_version` (version) VALUES (4);
