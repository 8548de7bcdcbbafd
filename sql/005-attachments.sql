-- cinto schema, version 5: the attachment plugin's links between stored files and records
-- (kinto_attachment, spec 07 §7.6 item 5).
--
-- One row per file the plugin stored for a record: its path relative to
-- kinto.attachment.base_path (what `location` is built from) and the URIs of its bucket,
-- collection and record, so that deleting any of them finds the files to remove, and
-- `cinto.fcgi gc-attachments` knows which files under base_path are still used. The row is
-- written in the transaction of the record write; the file is in place before it commits.
CREATE TABLE IF NOT EXISTS `attachments` (
    location VARBINARY(1536) NOT NULL PRIMARY KEY,
    bucket_uri VARBINARY(300) NOT NULL,
    collection_uri VARBINARY(600) NOT NULL,
    record_uri VARBINARY(1100) NOT NULL,
    created BIGINT NOT NULL,
    KEY attachments_by_record (record_uri),
    KEY attachments_by_collection (collection_uri),
    KEY attachments_by_bucket (bucket_uri)
) ENGINE=InnoDB ROW_FORMAT=DYNAMIC;

INSERT IGNORE INTO `cinto_schema_version` (version) VALUES (5);
