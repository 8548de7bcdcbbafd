/* Storage behind an interface: the resource layer speaks only these
 * operations; lib/storage/mariadb.c is the one backend. Every call returns
 * CINTO_ST_OK (0), or a negative cinto_st_error the caller maps to an HTTP
 * answer (unavailable -> 503, conflict -> 409). */
#ifndef CINTO_STORAGE_STORAGE_H
#define CINTO_STORAGE_STORAGE_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>

#include "util/buf.h"

enum cinto_st_error {
    CINTO_ST_OK = 0,
    CINTO_ST_NOTFOUND = 1,     /* not an error: nothing there */
    CINTO_ST_FAIL = -1,        /* unexpected: 500 */
    CINTO_ST_UNAVAILABLE = -2, /* any storage-side failure: 503 errno 201 (storage.message) */
    CINTO_ST_CONFLICT = -3,    /* duplicate key race: 409 */
    CINTO_ST_NOMEM = -4,
};

typedef struct cinto_object {
    char *id;
    long long last_modified;
    int deleted;
    char *data; /* JSON text of the object without id/last_modified */
    size_t data_len;
} cinto_object;

/* What a put replaces: nothing, a live object, or a tombstone. */
enum cinto_row_state {
    CINTO_ROW_NONE = 0,
    CINTO_ROW_LIVE = 1,
    CINTO_ROW_TOMBSTONE = 2,
};

typedef struct cinto_object_list {
    cinto_object *items;
    size_t count, cap;
} cinto_object_list;

/* One ACL row. */
typedef struct cinto_ace {
    char *uri;
    char *permission;
    char *principal;
} cinto_ace;

typedef struct cinto_ace_list {
    cinto_ace *items;
    size_t count, cap;
} cinto_ace_list;

typedef struct cinto_strv {
    char **items;
    size_t count, cap;
} cinto_strv;

/* A list read: which rows of (parent, resource) and in what order, as far
 * as SQL evaluates it (timestamp bounds and order, a set of ids); the other
 * filters and sorts are applied to the rows in C by lib/query. */
typedef struct cinto_list_query {
    const char *parent;
    const char *resource;
    int include_deleted;
    long long gt_modified, lt_modified;   /* -1 when unset */
    long long min_modified, max_modified; /* -1 when unset */
    long long eq_modified, ne_modified;   /* -1 when unset */
    int ascending;                        /* order by last_modified */
    long long limit;                      /* rows to return; 0 = none (count only) */
    const char *const *ids;               /* restrict to these ids when non-NULL */
    size_t nids;
    /* Restricts to the objects shared with the requester (spec 04 §4.7),
     * joined in SQL: those whose URI (shared_prefix, the list's "…/records/"
     * prefix, then the id) has an ACL row with one of shared_perms for one
     * of shared_principals. NULL: no restriction. */
    const char *shared_prefix;
    const char *const *shared_perms;
    size_t nshared_perms;
    const char *const *shared_principals;
    size_t nshared_principals;
    /* Narrowing conditions of the list planner (lib/query/plan.h), ANDed,
     * applied to live rows only; the caller re-checks every filter in C. */
    const struct cinto_sql_cond *conds;
    size_t nconds;
    /* A sort MariaDB gives (cinto_plan_sql_order_cmp): the JSON path of a
     * data field, or sort_by_id; then rows sort_offset on, in chunks. */
    const char *sort_path;
    int sort_by_id, sort_desc;
    long long sort_offset;
    /* A _token's position in that order: rows before it are not read.
     * sort_after_rank is the type rank (0..6) or -1 for none; the text is
     * the string or number (NULL for other ranks). */
    int sort_after_rank;
    const char *sort_after_text;
    /* When set, list() streams: each row goes to on_row as MariaDB sends it
     * (nothing of the result is buffered, out stays empty) and on_row owns
     * the object's strings (cinto_object_clear them). on_row returns 0 for
     * the next row, 1 to stop reading (the rest of the result is dropped),
     * or -1 to fail the read with CINTO_ST_NOMEM. Only for results bounded
     * by limit: stopping early still reads the unsent rows off the wire. */
    int (*on_row)(void *ctx, cinto_object *o);
    void *row_ctx;
    /* When nonzero and below kinto.storage_list_time_limit_seconds, the
     * statement's time limit (ms): what remains of a read's budget. */
    unsigned time_left_ms;
    /* When set, the read is bounded by this setting (its full value in
     * ms in time_limit_ms) instead of the list bound: the 503 of a
     * statement stopped by MariaDB names it. */
    const char *time_setting;
    unsigned time_limit_ms;
    /* The sort's first key is a ready declared field (sql/007): sort_path
     * is unused and the order is read from indexed_values by this field
     * name, strings by their first CINTO_INDEX_STR_MAX bytes. */
    const char *sort_indexed;
} cinto_list_query;

/* Declared indexed fields (sql/007-indexed-fields.sql); strings are kept
 * to CINTO_INDEX_STR_MAX bytes (lib/query/plan.h). */
enum cinto_index_state {
    CINTO_INDEX_BUILDING = 0,
    CINTO_INDEX_READY = 1,
    CINTO_INDEX_DROPPING = 2,
    CINTO_INDEX_GONE = -1, /* for index_set_state: remove the state row */
};
typedef struct cinto_index_field {
    char field[256];
    int state;
    char cursor[256]; /* building: records with an id above it are not indexed yet */
} cinto_index_field;
/* One row of indexed_values for one record: the value of a field (kind 0)
 * or an element of it (kind 1, pos), its type rank, a string (str, len;
 * NULL otherwise) and a number as text ("%.17g"; NULL otherwise). */
typedef struct cinto_index_row {
    const char *id; /* the record's */
    const char *field;
    int kind, pos, rank;
    const char *str;
    size_t str_len;
    const char *num;
    long long last_modified; /* the record's: equal values read in list order */
} cinto_index_row;

/* An entry of the accounts plugin's verified-credentials cache; mac is ""
 * when there is no live entry. */
typedef struct cinto_cred_entry {
    char mac[65];
    long long verified_at, expires;
} cinto_cred_entry;

/* Objects and tombstones of one resource name (the counters plugin). */
typedef struct cinto_counts {
    char resource[33];
    long long objects, tombstones;
} cinto_counts;

/* The read behind GET /permissions (spec 04 §4.10): every object URI on
 * which the principals hold a permission, through ACL rows or through
 * settings grants, with those permissions, in one statement. Entries are
 * derived from the URI: resource_name, id, bucket_id, collection_id,
 * group_id, record_id; URIs of other shapes are never returned. */
enum cinto_perm_column {
    CINTO_PC_URI,
    CINTO_PC_RESOURCE_NAME,
    CINTO_PC_ID,
    CINTO_PC_BUCKET_ID,
    CINTO_PC_COLLECTION_ID,
    CINTO_PC_GROUP_ID,
    CINTO_PC_RECORD_ID,
};
/* A string set filter on a derived column: the column is one of values,
 * or (negate) it is absent or none of them. */
typedef struct cinto_perm_filter {
    enum cinto_perm_column column;
    int negate;
    const char *const *values;
    size_t nvalues;
} cinto_perm_filter;
/* A settings grant: perm held on every live object of kind ("bucket",
 * "collection", "group"), or on the root URI "/" (kind "root"). */
typedef struct cinto_perm_grant {
    const char *kind;
    const char *perm;
} cinto_perm_grant;
typedef struct cinto_perm_query {
    const char *const *principals;
    size_t nprincipals;
    const cinto_perm_grant *grants;
    size_t ngrants;
    const cinto_perm_filter *filters; /* ANDed */
    size_t nfilters;
    /* Order: by key (1 ascending, -1 descending; 0: any order), then, when
     * key is not the URI, by URI in uri_order; an absent key value comes
     * after the others ascending and before them descending (spec 02 §2.6). */
    int order;
    enum cinto_perm_column key;
    int uri_order;
    /* With order: only entries strictly after the last one served, given
     * by its URI and (another key) its key value, NULL when absent. */
    const char *after;
    const char *after_key;
    long long limit; /* entries to return; 0: all */
    /* When set, entries stream: each goes to on_entry as MariaDB sends it
     * (nothing of the result is buffered, out stays empty), its URI and
     * permissions valid during the call only. on_entry returns 0 for the
     * next entry, 1 to stop reading (the rest of the result is drained off
     * the wire unread), or -1 to fail the read with CINTO_ST_NOMEM. */
    int (*on_entry)(void *ctx, const char *uri, const char *perms);
    void *entry_ctx;
} cinto_perm_query;

/* The 503 message of a /permissions read stopped by
 * kinto.storage_list_time_limit_seconds (limit_ms), naming the fixes. */
void cinto_perm_time_message(char *out, size_t n, unsigned limit_ms);

typedef struct cinto_storage cinto_storage;

typedef struct cinto_storage_ops {
    /* Opens the connection if needed and starts a transaction. */
    int (*begin)(cinto_storage *st);
    int (*commit)(cinto_storage *st);
    void (*rollback)(cinto_storage *st);
    /* Ends whatever transaction is open, savepoints included (before a
     * request is run again after a conflict): nothing of it commits. */
    void (*rollback_all)(cinto_storage *st);
    /* The check of /__heartbeat__: reads one row of every table, through
     * the time index of objects, so missing tables and a corrupt index
     * show (never writes unless tables must be created). */
    int (*ping)(cinto_storage *st);

    /* The list timestamp (spec 01 §1.6): created from now_ms and persisted
     * the first time it is read; with now_ms < 0 (readonly mode) only read:
     * CINTO_ST_NOTFOUND when the list never had one. */
    int (*list_timestamp)(cinto_storage *st, const char *parent, const char *resource,
                          long long now_ms, long long *ts);
    /* Locks the list until commit (writers of one list wait here for each
     * other) and returns its current mark. */
    int (*lock_list)(cinto_storage *st, const char *parent, const char *resource, long long now_ms,
                     long long *hwm);
    /* Raises the mark to ts (never lowers it): every write moves it to the
     * timestamp it used. */
    int (*raise_timestamp)(cinto_storage *st, const char *parent, const char *resource,
                           long long ts);

    /* Single-use tokens (sql/004-pagination-tokens.sql): remembers nonce
     * until expires_ms, removing a few expired ones; takes it back,
     * *taken = 1 when it was there and not expired (0: used or expired). */
    int (*token_remember)(cinto_storage *st, const char *nonce, long long now_ms,
                          long long expires_ms);
    int (*token_take)(cinto_storage *st, const char *nonce, long long now_ms, int *taken);

    /* Fetches up to n objects in one round trip (e.g. bucket, collection,
     * record of one request). found[i] is set to 1 when keys i exists
     * (tombstones included: check out[i].deleted). */
    int (*get_many)(cinto_storage *st, size_t n, const char *const *parents,
                    const char *const *resources, const char *const *ids, cinto_object *out,
                    int *found);
    /* Everything a request needs to decide, in one round trip: up to 3
     * objects (as get_many), the ACL rows of up to 4 URIs (as acl_get) and
     * the groups of up to 2 principals (as groups_of; appended to groups). */
    int (*load)(cinto_storage *st, size_t nobj, const char *const *parents,
                const char *const *resources, const char *const *ids, cinto_object *out, int *found,
                size_t nuris, const char *const *uris, cinto_ace_list *acl, size_t nprincipals,
                const char *const *principals, cinto_strv *groups);
    /* Writes a live object; row_exists (a cinto_row_state) says whether a
     * row is there already and whether it is a tombstone, as the caller
     * read it under the list lock: the list's live count follows it. */
    int (*put)(cinto_storage *st, const char *parent, const char *resource, const char *id,
               long long last_modified, const char *data, size_t data_len, int row_exists);
    int (*tombstone)(cinto_storage *st, const char *parent, const char *resource, const char *id,
                     long long last_modified);
    int (*list)(cinto_storage *st, const cinto_list_query *q, cinto_object_list *out);
    int (*count)(cinto_storage *st, const cinto_list_query *q, long long *n);
    /* The live objects of the list (parent, resource) from its count row
     * (sql/006-list-counts.sql), which every put, tombstone and purge
     * keeps; a list without one is counted once (COUNT under the list's
     * lock, kept; only counted when now_ms < 0 or inside a transaction). */
    int (*list_count)(cinto_storage *st, const char *parent, const char *resource, long long now_ms,
                      long long *n);
    /* Removes for good every object whose parent is uri or below it, and
     * their ACLs and memberships (cascades, spec 01 §1.13). */
    int (*purge_below)(cinto_storage *st, const char *uri, long long now_ms);

    /* ACL rows of these object URIs. */
    int (*acl_get)(cinto_storage *st, size_t n, const char *const *uris, cinto_ace_list *out);
    /* Replaces one ACE (principals may be empty: removes it); had_entries = 0
     * says the ACE is known to be empty, which saves the delete. */
    int (*acl_set)(cinto_storage *st, const char *uri, const char *permission,
                   const char *const *principals, size_t n, int had_entries);
    /* Removes every ACE of the object. */
    int (*acl_clear)(cinto_storage *st, const char *uri);
    /* Whether one of principals holds one of perms on an object directly
     * in the list whose URIs start with uri_prefix ("/buckets/b/
     * collections/"): *any = 1 or 0, from one indexed statement. */
    int (*acl_shared_any)(cinto_storage *st, const char *uri_prefix, const char *const *perms,
                          size_t nperms, const char *const *principals, size_t nprincipals,
                          int *any);

    /* Groups whose members include one of these principals. */
    int (*groups_of)(cinto_storage *st, size_t n, const char *const *principals, cinto_strv *out);
    /* Replaces the members of a group in the membership index. */
    int (*set_members)(cinto_storage *st, const char *group_uri, const char *const *members,
                       size_t n);

    /* Calls fn for every object whose parent is uri or below it, live or
     * tombstone (o->deleted), read in one query (the children a cascade is
     * about to purge); stops at the first non-zero return of fn and
     * returns it. */
    int (*each_below)(cinto_storage *st, const char *uri,
                      int (*fn)(void *arg, const char *parent, const char *resource,
                                const cinto_object *o),
                      void *arg);
    /* Adds principals to one ACE of a new object in one multi-row INSERT
     * (history entries: their read ACE). */
    int (*acl_add)(cinto_storage *st, const char *uri, const char *permission,
                   const char *const *principals, size_t n);
    /* Removes for good (no tombstones) these objects of one list, and the
     * ACL rows of their URIs (history trimming). */
    int (*purge_objects)(cinto_storage *st, const char *parent, const char *resource,
                         const char *const *ids, const char *const *uris, size_t n);
    /* Empties every table of the database but the schema version (the
     * flush endpoint), inside the caller's transaction. */
    int (*flush)(cinto_storage *st);
    /* The accounts plugin's verified-credentials cache (table account_cache,
     * sql/002-account-cache.sql; see lib/plugins/account_cache.c). */
    /* Reads one object as get_many does and, in the same round trip, the
     * cache entry of its id if that entry expires after now_s. */
    int (*account_get)(cinto_storage *st, const char *parent, const char *resource, const char *id,
                       long long now_s, cinto_object *out, int *found, cinto_cred_entry *entry);
    /* Records a successful password check of user (the entry becomes mac,
     * verified_at = now_s, expires) and removes a few expired entries of
     * anyone, found by index (never a scan). Inside a transaction it does
     * nothing: a cache row must not stay locked until a batch ends. */
    int (*account_cache_put)(cinto_storage *st, const char *user, const char *mac, long long now_s,
                             long long expires);
    /* Moves the expiry of user's entry, if it still holds mac (a hit);
     * nothing inside a transaction, as above. */
    int (*account_cache_touch)(cinto_storage *st, const char *user, const char *mac,
                               long long expires);
    /* Removes user's entry (new password, account deleted), in the current
     * transaction if there is one. */
    int (*account_cache_forget)(cinto_storage *st, const char *user);
    /* Removes every entry (for a flush of the whole storage). */
    int (*account_cache_flush)(cinto_storage *st);

    /* The marks of the lists of resource whose parent is one of uris, or
     * below one that ends in '/' (a prefix), read in one statement per 7
     * uris (the changes plugin: record lists of monitored collections).
     * Each item of out has the parent URI as id and the mark as
     * last_modified; a parent appears once. */
    int (*list_marks)(cinto_storage *st, const char *resource, const char *const *uris, size_t n,
                      cinto_object_list *out);

    /* Every ACL row naming principal, in one statement (user data
     * deletion: what a principal can reach). */
    int (*acl_of_principal)(cinto_storage *st, const char *principal, cinto_ace_list *out);
    /* Removes principal from every ACE and every group membership. */
    int (*forget_principal)(cinto_storage *st, const char *principal);

    /* Adds to the counters of a resource name (one upsert of the row of
     * shard, so writers of different shards never wait for each other). */
    int (*counters_add)(cinto_storage *st, const char *resource, int shard, long long objects,
                        long long tombstones);
    /* The counters summed per resource name (one statement); *n entries
     * of out, at most max. */
    int (*counters_read)(cinto_storage *st, cinto_counts *out, size_t max, size_t *n);

    /* GET /permissions: pairs (uri, comma-separated permissions) appended
     * to out (or streamed to q->on_entry), or, when count is non-NULL,
     * only the number of entries. Bounded by
     * kinto.storage_list_time_limit_seconds as list reads are. */
    int (*permission_entries)(cinto_storage *st, const cinto_perm_query *q, cinto_strv *out,
                              long long *count);

    /* The attachment plugin's links of stored files (table attachments,
     * sql/005-attachments.sql). Adds (or re-points) one, in the current
     * transaction. */
    int (*attachment_link)(cinto_storage *st, const char *location, const char *bucket_uri,
                           const char *collection_uri, const char *record_uri, long long created);
    /* Removes the links of the files of one record, collection or bucket
     * (by: CINTO_ATT_BY_*), appending to out, for each, its location then
     * its collection URI. */
    int (*attachment_unlink)(cinto_storage *st, int by, const char *uri, cinto_strv *out);
    /* Every linked location (gc-attachments). */
    int (*attachment_locations)(cinto_storage *st, cinto_strv *out);
    /* Declared indexed fields (sql/007). The state rows of a list parent
     * (at most max, by field name). */
    int (*index_states)(cinto_storage *st, const char *parent, cinto_index_field *out, size_t max,
                        size_t *n);
    /* Creates or replaces a state row; CINTO_INDEX_GONE removes it. */
    int (*index_set_state)(cinto_storage *st, const char *parent, const char *field, int state,
                           const char *cursor);
    /* Removes the rows of one record (field NULL: of every field). */
    int (*index_forget)(cinto_storage *st, const char *parent, const char *id, const char *field);
    /* Removes the rows of field of the records whose id is above after
     * and at most upto (a build slice's records). */
    int (*index_forget_range)(cinto_storage *st, const char *parent, const char *after,
                              const char *upto, const char *field);
    /* Adds rows (of any records of parent), one multi-row INSERT. */
    int (*index_add)(cinto_storage *st, const char *parent, const cinto_index_row *rows, size_t n);
    /* Removes up to limit (0: all) value rows of field under parent; field
     * NULL: every value and state row of parent, or (below) of every parent
     * strictly below it. *removed says how many value rows went. */
    int (*index_drop)(cinto_storage *st, const char *parent, int below, const char *field,
                      long long limit, long long *removed);
    /* `cinto.fcgi reindex`: marks every declared field of the parents that
     * start with prefix as building from the start, and lists those parents. */
    int (*index_restart)(cinto_storage *st, const char *prefix, cinto_strv *parents);

    void (*close)(cinto_storage *st);
} cinto_storage_ops;

enum cinto_att_by { CINTO_ATT_BY_RECORD, CINTO_ATT_BY_COLLECTION, CINTO_ATT_BY_BUCKET };

/* Transaction events reported through cinto_storage.tx_hook. */
enum cinto_st_tx_event {
    CINTO_ST_TX_BEGIN,
    CINTO_ST_TX_COMMIT,   /* level 1: committed for good; deeper: folded into the level above */
    CINTO_ST_TX_ROLLBACK, /* also a connection lost inside a transaction */
};

struct cinto_storage {
    const cinto_storage_ops *ops;
    /* Called after each begin, commit and rollback with the level it
     * concerns (1: the transaction, 2...: savepoints), so that work that
     * must follow the outcome (file removals) happens only once the data
     * is committed; NULL: nobody listens. */
    void (*tx_hook)(void *arg, int event, int level);
    void *tx_hook_arg;
    /* The last failure for the log: MariaDB's code and text (never a
     * password). */
    char last_error[512];
    /* With CINTO_ST_UNAVAILABLE: what the customer reads in the 503 (names
     * the condition and the fix, never user, host or socket); "" for the
     * generic text. */
    char message[512];
    /* Set by a failure that running the whole request again may cure: a
     * deadlock, or a Galera certification conflict (both MariaDB error
     * 1213, also at COMMIT). The pipeline clears it before each attempt
     * and replays the request when it is set (api/app.c). */
    int conflict;
    /* Which attempt of the request this is (0 the first): read by the
     * test-build failpoints only. */
    int attempt;
};

/* The 503 message of a list read stopped by the time bound of setting
 * (kinto.storage_list_time_limit_seconds when NULL) of limit_ms, naming
 * the fixes. */
#define CINTO_LIST_TIME_SETTING "storage_list_time_limit_seconds"
#define CINTO_UNINDEXED_SORT_SETTING "storage_unindexed_sort_time_limit_seconds"
void cinto_list_time_message(char *out, size_t n, const char *setting, unsigned limit_ms);

/* Storage settings besides the URL (all read by cinto_storage_options_load). */
typedef struct cinto_storage_options {
    char table_prefix[17];    /* kinto.storage_table_prefix, [a-z0-9_]{0,16} */
    unsigned connect_timeout; /* kinto.storage_connect_timeout_seconds (3) */
    unsigned read_timeout;    /* kinto.storage_read_timeout_seconds (10) */
    unsigned write_timeout;   /* kinto.storage_write_timeout_seconds (10) */
    int auto_migrate;         /* kinto.storage_auto_migrate (true), off when readonly */
    /* kinto.storage_list_time_limit_seconds (8; 0 = none): MariaDB's
     * max_statement_time for list reads and counts, in milliseconds. */
    unsigned list_time_limit_ms;
    /* kinto.storage_unindexed_sort_time_limit_seconds (2; 0 = only the
     * list bound): the bound of a list read sorted on a record field that
     * is not declared in the collection's indexed_fields, which must read
     * every row of the list before the first can be sent. */
    unsigned unindexed_sort_time_limit_ms;
    /* kinto.storage_wsrep_sync_wait (1; 0..15): on a Galera node, the
     * session's wsrep_sync_wait (reads wait until the node has applied
     * what the cluster committed before them). Not sent to other servers. */
    unsigned wsrep_sync_wait;
} cinto_storage_options;

struct cinto_settings;
/* Fills opt from the settings (defaults for what is unset); -1 with a
 * message naming the rule when a value is invalid. */
int cinto_storage_options_load(const struct cinto_settings *s, cinto_storage_options *opt,
                               char *err, size_t errlen);

/* Parses a mysql:// URL (spec 08 §8.15) and prepares a backend; the
 * connection opens lazily on first use, and the first connection of a
 * process checks the schema version (creating or upgrading the tables when
 * allowed). opt may be NULL (defaults). NULL with a message (never the
 * password) when the URL is not a usable MariaDB one. */
cinto_storage *cinto_mariadb_open(const char *url, const cinto_storage_options *opt, char *err,
                                  size_t errlen);
/* `cinto.fcgi migrate`: applies sql/ migrations (embedded in the binary). */
int cinto_mariadb_migrate(cinto_storage *st, char *err, size_t errlen);
/* `cinto.fcgi check`: CHECK TABLE on every table, the heartbeat query and
 * the sizes; prints a report and the repair to apply. 0 when all is well. */
int cinto_mariadb_check(cinto_storage *st, FILE *out);
/* `cinto.fcgi schema`: every migration, with the table prefix applied, as
 * one SQL text to import (phpMyAdmin). 0, or -1 with err. */
int cinto_storage_schema_sql(const char *prefix, cinto_buf *out, char *err, size_t errlen);

void cinto_object_clear(cinto_object *o);
void cinto_object_list_free(cinto_object_list *l);
void cinto_ace_list_free(cinto_ace_list *l);
int cinto_strv_push(cinto_strv *v, const char *s);
void cinto_strv_clear(cinto_strv *v);

#endif
