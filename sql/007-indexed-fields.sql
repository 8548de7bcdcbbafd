-- cinto schema, version 7: declared indexed fields (issue 9 item 2).
--
-- A collection whose data declares "indexed_fields": ["title", "author.id"]
-- gets, for each of those fields, one row per record in `indexed_values`
-- (the field's value as the C filters see it: its type rank of spec 02
-- §2.4, a string's first 512 bytes, a number or boolean as a double) and,
-- when the value is an array, one more row per element (kind 1), so that
-- contains_/contains_any_ find them. A missing field has a row of rank 6,
-- so a sort can join every record. The rows are written in the
-- transaction of every record write; the list planner narrows filters and
-- reads sorts through indexed_values_by_value, and C still checks every
-- filter on the rows read.
CREATE TABLE IF NOT EXISTS `indexed_values` (
    ix_parent VARBINARY(768) NOT NULL,
    ix_id VARBINARY(255) NOT NULL,
    ix_field VARBINARY(255) NOT NULL,
    ix_kind TINYINT NOT NULL,          -- 0: the field's value, 1: an element of it
    ix_pos INT NOT NULL,               -- the element's position (0 for kind 0)
    ix_rank TINYINT NOT NULL,          -- 0 null, 1 string, 2 number, 3 boolean, 4 array,
                                       -- 5 object, 6 missing
    ix_str VARBINARY(512) NULL,        -- strings: the first 512 bytes
    ix_num DOUBLE NULL,                -- numbers; booleans as 0/1
    ix_lm BIGINT NOT NULL DEFAULT 0,   -- the record's last_modified
    PRIMARY KEY (ix_parent, ix_id, ix_field, ix_kind, ix_pos),
    -- ix_lm last: the records with one value come in the list's own order,
    -- so an equality filter reads its page's rows first and stops.
    KEY indexed_values_by_value (ix_parent, ix_field, ix_kind, ix_rank, ix_str, ix_num, ix_lm)
) ENGINE=InnoDB ROW_FORMAT=DYNAMIC;

-- One row per (collection, declared field): 0 building (the rows of records
-- whose id is above cursor_id are not written yet), 1 ready (queries use
-- it), 2 dropping (the declaration no longer names it: its rows are being
-- deleted). Building and dropping advance by slices within later requests
-- to the collection and with `cinto.fcgi reindex`.
CREATE TABLE IF NOT EXISTS `indexed_fields` (
    parent_id VARBINARY(768) NOT NULL,
    field VARBINARY(255) NOT NULL,
    state TINYINT NOT NULL,
    cursor_id VARBINARY(255) NOT NULL DEFAULT '',
    PRIMARY KEY (parent_id, field),
    KEY indexed_fields_by_state (state, parent_id)
) ENGINE=InnoDB ROW_FORMAT=DYNAMIC;

INSERT IGNORE INTO `cinto_schema_version` (version) VALUES (7);
