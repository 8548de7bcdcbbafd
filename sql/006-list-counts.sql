-- cinto schema: live objects per list, for HEAD and Total-Records on an
-- unfiltered list (spec 02 §2.10) without a COUNT over the list.
--
-- One row per list (parent_id, resource_name): the number of its live
-- objects (tombstones are not counted). Every write that creates,
-- deletes, revives or purges an object moves the row in the write's own
-- transaction, after the list's row of `revisions` is locked, so the row
-- is exact and adds no lock order. A list without a row (one that existed
-- before this migration, or whose parent a cascade removed) gets one
-- computed by one COUNT, under that list's revisions lock, the first time
-- it is written or counted: this migration itself never scans objects.
CREATE TABLE IF NOT EXISTS `list_counts` (
    parent_id VARBINARY(768) NOT NULL,
    resource_name VARBINARY(32) NOT NULL,
    live BIGINT NOT NULL,
    PRIMARY KEY (parent_id, resource_name)
) ENGINE=InnoDB ROW_FORMAT=DYNAMIC;

INSERT IGNORE INTO `cinto_schema_version` (version) VALUES (6);
