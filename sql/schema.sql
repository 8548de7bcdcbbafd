-- cinto schema, version 1.
-- Applied by `cinto.fcgi migrate`; every statement is idempotent so that a
-- half-applied migration can simply be run again. Migrations after this one
-- live in sql/NNN-name.sql and are applied in number order.
--
-- Ids are ASCII (spec 01 §1.2), stored as VARBINARY so that comparison is
-- byte-wise and case-sensitive and keys stay short enough for InnoDB.
--
-- This file imports as is in phpMyAdmin or `mariadb DB < schema.sql`.
-- ROW_FORMAT=DYNAMIC: keys up to 3072 bytes also on servers whose default
-- row format is still COMPACT (767 bytes). Table names are written in
-- backquotes and nothing else is: cinto adds kinto.storage_table_prefix to
-- every backquoted name (`cinto.fcgi schema` prints this file with it).

CREATE TABLE IF NOT EXISTS `cinto_schema_version` (
    version INT NOT NULL PRIMARY KEY
) ENGINE=InnoDB ROW_FORMAT=DYNAMIC;

-- Every stored object of every kind, live or tombstone. A list is the pair
-- (parent_id, resource_name); data holds the JSON without id/last_modified.
CREATE TABLE IF NOT EXISTS `objects` (
    parent_id VARBINARY(768) NOT NULL,
    resource_name VARBINARY(32) NOT NULL,
    id VARBINARY(255) NOT NULL,
    last_modified BIGINT NOT NULL,
    deleted TINYINT(1) NOT NULL DEFAULT 0,
    data LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    PRIMARY KEY (parent_id, resource_name, id),
    -- Unique: a client-forced timestamp equal to another object's is a
    -- conflict (spec 01 §1.7 item 4), and sync relies on unique values.
    UNIQUE KEY objects_by_time (parent_id, resource_name, last_modified)
) ENGINE=InnoDB ROW_FORMAT=DYNAMIC;

-- The high-water mark of each list (spec 09 §9.3). Writers lock this row
-- until commit, so writes to one list commit in timestamp order. Rows
-- survive the deletion of the parent (deviation D2).
CREATE TABLE IF NOT EXISTS `revisions` (
    parent_id VARBINARY(768) NOT NULL,
    resource_name VARBINARY(32) NOT NULL,
    last_modified BIGINT NOT NULL,
    PRIMARY KEY (parent_id, resource_name)
) ENGINE=InnoDB ROW_FORMAT=DYNAMIC;

-- One row per (object, permission, principal).
CREATE TABLE IF NOT EXISTS `acl` (
    object_uri VARBINARY(768) NOT NULL,
    permission VARBINARY(32) NOT NULL,
    principal VARBINARY(768) NOT NULL,
    PRIMARY KEY (object_uri, permission, principal),
    KEY acl_by_principal (principal, object_uri)
) ENGINE=InnoDB ROW_FORMAT=DYNAMIC;

-- Group membership index: principal -> group URI (spec 04 §4.2).
CREATE TABLE IF NOT EXISTS `memberships` (
    principal VARBINARY(768) NOT NULL,
    group_uri VARBINARY(768) NOT NULL,
    PRIMARY KEY (principal, group_uri),
    KEY memberships_by_group (group_uri)
) ENGINE=InnoDB ROW_FORMAT=DYNAMIC;

INSERT IGNORE INTO `cinto_schema_version` (version) VALUES (1);
