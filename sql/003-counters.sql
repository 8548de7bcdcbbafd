-- Counters of stored objects and tombstones per resource name, for the counters plugin
-- (GET /__counters__): kept up to date by its write-event hook, so the endpoint never scans
-- the objects table. Several rows per resource name (shard: the worker's), summed when read,
-- so that writers of different workers do not queue on one row until they commit.
CREATE TABLE IF NOT EXISTS `counters` (
    resource_name VARBINARY(32) NOT NULL,
    shard SMALLINT NOT NULL,
    objects BIGINT NOT NULL DEFAULT 0,
    tombstones BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (resource_name, shard)
) ENGINE=InnoDB ROW_FORMAT=DYNAMIC;

-- Seeded once from what is stored when the table is created (shard -1 holds the seed).
INSERT IGNORE INTO `counters` (resource_name, shard, objects, tombstones)
SELECT resource_name, -1, SUM(deleted = 0), SUM(deleted = 1) FROM `objects` GROUP BY resource_name;

INSERT IGNORE INTO `cinto_schema_version` (version) VALUES (3);
