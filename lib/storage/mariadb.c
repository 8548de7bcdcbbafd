/* The MariaDB backend of the storage interface.
 *
 * One connection per worker, opened lazily and reopened when the server
 * went away; every statement is prepared once per connection (a table
 * indexed by enum) and values are always bound, never pasted into SQL.
 * Statements whose shape varies (list reads) are assembled from fixed
 * fragments chosen by flags and kept in a small cache keyed by their text.
 *
 * Round trips matter most under plain CGI, where every request is a new
 * process with a new connection and runs each statement once: the session
 * is set up by one statement, and a statement's first execution sends its
 * prepare and execute together (mariadb_stmt_execute_direct), so a
 * one-shot statement costs one round trip, not two; later executions (a
 * FastCGI worker's next requests) reuse the prepared statement. */
#include "util/log.h"
#include "storage/sqltext.h"
#include "storage/storage.h"
#include "storage/auth_plugins.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "query/plan.h"
#include "util/buf.h"

enum stmt_id {
    ST_TS_SELECT,
    ST_TS_SELECT_LOCK,
    ST_TS_INSERT,
    ST_TS_CREATE_LOCKED,
    ST_TS_RAISE,
    ST_TOKEN_PUT,
    ST_TOKEN_PURGE,
    ST_TOKEN_TAKE,
    ST_GET3,
    ST_LOAD,
    ST_INSERT,
    ST_UPDATE,
    ST_TOMBSTONE,
    ST_PURGE_OBJECTS,
    ST_PURGE_BUMP,
    ST_PURGE_ACL,
    ST_PURGE_MEMBERS,
    ST_ACL_GET4,
    ST_ACL_DEL_PERM,
    ST_ACL_INSERT,
    ST_ACL_CLEAR,
    ST_GROUPS_OF2,
    ST_MEMBERS_DEL,
    ST_MEMBERS_INSERT,
    ST_LIVE_BELOW,
    ST_ACCOUNT_GET,
    ST_ACCOUNT_CACHE_PUT,
    ST_ACCOUNT_CACHE_PURGE,
    ST_ACCOUNT_CACHE_TOUCH,
    ST_ACCOUNT_CACHE_FORGET,
    ST_ACCOUNT_CACHE_FLUSH,
    ST_ACL_OF_PRINCIPAL,
    ST_ACL_FORGET,
    ST_MEMBERS_FORGET,
    ST_COUNTERS_ADD,
    ST_COUNTERS_READ,
    ST_LC_ADD,
    ST_LC_SEED,
    ST_LC_READ,
    ST_LC_PURGE,
    ST_ATT_LINK,
    ST_ATT_OF_RECORD,
    ST_ATT_OF_COLLECTION,
    ST_ATT_OF_BUCKET,
    ST_ATT_DEL_RECORD,
    ST_ATT_DEL_COLLECTION,
    ST_ATT_DEL_BUCKET,
    ST_ATT_ALL,
    ST_IX_STATES,
    ST_IX_STATE_PUT,
    ST_IX_STATE_DEL,
    ST_IX_FORGET,
    ST_IX_FORGET_FIELD,
    ST_IX_FORGET_RANGE,
    ST_IX_DROP_FIELD,
    ST_IX_DROP_VALUES,
    ST_IX_DROP_STATES,
    ST_IX_DROP_VALUES_BELOW,
    ST_IX_DROP_STATES_BELOW,
    ST_IX_RESTART,
    ST_IX_PARENTS,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_TS_SELECT] =
        "SELECT last_modified FROM `revisions` WHERE parent_id = ? AND resource_name = ?",
    [ST_TS_SELECT_LOCK] = "SELECT last_modified FROM `revisions` WHERE parent_id = ? AND "
                          "resource_name = ? FOR UPDATE",
    [ST_TS_INSERT] = "INSERT IGNORE INTO `revisions` (parent_id, resource_name, last_modified) "
                     "VALUES (?, ?, ?)",
    /* Creates the row or locks it exclusively: INSERT IGNORE would take a
     * shared lock first, and two writers upgrading it deadlock. */
    [ST_TS_CREATE_LOCKED] =
        "INSERT INTO `revisions` (parent_id, resource_name, last_modified) "
        "VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE last_modified = last_modified",
    [ST_TS_RAISE] = "UPDATE `revisions` SET last_modified = GREATEST(last_modified, ?) "
                    "WHERE parent_id = ? AND resource_name = ?",
    /* Single-use pagination tokens (sql/004). The purge takes a few dead
     * rows, oldest first, through the expiry index, in a total order so
     * that it replicates safely. */
    [ST_TOKEN_PUT] = "INSERT INTO `pagination_tokens` (nonce, expires) VALUES (?, ?)",
    [ST_TOKEN_PURGE] = "DELETE FROM `pagination_tokens` WHERE expires <= ? "
                       "ORDER BY expires, nonce LIMIT 16",
    [ST_TOKEN_TAKE] = "DELETE FROM `pagination_tokens` WHERE nonce = ? AND expires > ?",
    [ST_GET3] = "SELECT parent_id, resource_name, id, last_modified, deleted, data FROM `objects` "
                "WHERE (parent_id = ? AND resource_name = ? AND id = ?) "
                "OR (parent_id = ? AND resource_name = ? AND id = ?) "
                "OR (parent_id = ? AND resource_name = ? AND id = ?)",
    /* The three reads of a request in one statement; the first column
     * tells the row kind (o: object, a: ACL row, g: group). */
    [ST_LOAD] = "SELECT 'o', parent_id, resource_name, id, last_modified, deleted, data "
                "FROM `objects` WHERE (parent_id, resource_name, id) IN "
                "((?, ?, ?), (?, ?, ?), (?, ?, ?)) "
                "UNION ALL SELECT 'a', object_uri, permission, principal, 0, 0, NULL FROM `acl` "
                "WHERE object_uri IN (?, ?, ?, ?) "
                "UNION ALL SELECT 'g', group_uri, NULL, NULL, 0, 0, NULL FROM `memberships` "
                "WHERE principal IN (?, ?)",
    /* Not an upsert: with two unique keys, ON DUPLICATE KEY UPDATE would
     * rewrite whichever row holds a clashing timestamp. */
    [ST_INSERT] =
        "INSERT INTO `objects` (parent_id, resource_name, id, last_modified, deleted, data) "
        "VALUES (?, ?, ?, ?, 0, ?)",
    [ST_UPDATE] = "UPDATE `objects` SET last_modified = ?, deleted = 0, data = ? "
                  "WHERE parent_id = ? AND resource_name = ? AND id = ?",
    [ST_TOMBSTONE] = "UPDATE `objects` SET deleted = 1, data = '{}', last_modified = ? "
                     "WHERE parent_id = ? AND resource_name = ? AND id = ? AND deleted = 0",
    /* Descendants of U are the rows whose parent is U or starts with "U/":
     * a range on the binary key, which also keeps /buckets/ab out of
     * /buckets/a ('0' is the byte after '/'). */
    [ST_PURGE_OBJECTS] = "DELETE FROM `objects` WHERE parent_id = ? OR "
                         "(parent_id >= ? AND parent_id < ?)",
    /* Lists below a deleted object keep their mark but move it past
     * every value served, so a re-created list starts above them (D2). */
    [ST_PURGE_BUMP] = "UPDATE `revisions` SET last_modified = GREATEST(last_modified + 1, ?) "
                      "WHERE parent_id = ? OR (parent_id >= ? AND parent_id < ?)",
    [ST_PURGE_ACL] = "DELETE FROM `acl` WHERE object_uri >= ? AND object_uri < ?",
    [ST_PURGE_MEMBERS] = "DELETE FROM `memberships` WHERE group_uri >= ? AND group_uri < ?",
    [ST_ACL_GET4] = "SELECT object_uri, permission, principal FROM `acl` "
                    "WHERE object_uri IN (?, ?, ?, ?)",
    [ST_ACL_DEL_PERM] = "DELETE FROM `acl` WHERE object_uri = ? AND permission = ?",
    [ST_ACL_INSERT] =
        "INSERT IGNORE INTO `acl` (object_uri, permission, principal) VALUES (?, ?, ?)",
    [ST_ACL_CLEAR] = "DELETE FROM `acl` WHERE object_uri = ?",
    [ST_GROUPS_OF2] = "SELECT DISTINCT group_uri FROM `memberships` WHERE principal IN (?, ?)",
    [ST_MEMBERS_DEL] = "DELETE FROM `memberships` WHERE group_uri = ?",
    [ST_MEMBERS_INSERT] = "INSERT IGNORE INTO `memberships` (principal, group_uri) VALUES (?, ?)",
    [ST_LIVE_BELOW] = "SELECT parent_id, resource_name, id, last_modified, deleted, data "
                      "FROM `objects` WHERE parent_id = ? OR (parent_id >= ? AND parent_id < ?)",
    /* An account and its live cache entry in one round trip (sql/002). */
    [ST_ACCOUNT_GET] =
        "SELECT o.last_modified, o.deleted, o.data, c.mac, c.verified_at, c.expires "
        "FROM `objects` o LEFT JOIN `account_cache` c ON c.user_id = o.id AND c.expires > ? "
        "WHERE o.parent_id = ? AND o.resource_name = ? AND o.id = ?",
    [ST_ACCOUNT_CACHE_PUT] =
        "INSERT INTO `account_cache` (user_id, mac, verified_at, expires) VALUES (?, ?, ?, ?) "
        "ON DUPLICATE KEY UPDATE mac = VALUES(mac), verified_at = VALUES(verified_at), "
        "expires = VALUES(expires)",
    /* A few at a time, oldest first, through the expiry index: each new
     * entry removes up to 16 dead ones, so they cannot pile up. The order
     * is total (the index holds the key) so that it replicates safely. */
    [ST_ACCOUNT_CACHE_PURGE] =
        "DELETE FROM `account_cache` WHERE expires <= ? ORDER BY expires, user_id LIMIT 16",
    [ST_ACCOUNT_CACHE_TOUCH] =
        "UPDATE `account_cache` SET expires = ? WHERE user_id = ? AND mac = ?",
    [ST_ACCOUNT_CACHE_FORGET] = "DELETE FROM `account_cache` WHERE user_id = ?",
    [ST_ACCOUNT_CACHE_FLUSH] = "DELETE FROM `account_cache`",
    [ST_ACL_OF_PRINCIPAL] =
        "SELECT object_uri, permission, principal FROM `acl` WHERE principal = ?",
    [ST_ACL_FORGET] = "DELETE FROM `acl` WHERE principal = ?",
    [ST_MEMBERS_FORGET] = "DELETE FROM `memberships` WHERE principal = ?",
    [ST_COUNTERS_ADD] = "INSERT INTO `counters` (resource_name, shard, objects, tombstones) "
                        "VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE objects = objects + "
                        "VALUES(objects), tombstones = tombstones + VALUES(tombstones)",
    [ST_COUNTERS_READ] = "SELECT resource_name, SUM(objects), SUM(tombstones) FROM `counters` "
                         "GROUP BY resource_name",
    /* Live objects per list (sql/006). Moved by writers, who hold the
     * list's revisions row; a list without a row is counted once into
     * one: INSERT ... SELECT reads the latest committed rows (a locking
     * read), not the transaction's older snapshot. */
    [ST_LC_ADD] =
        "UPDATE `list_counts` SET live = live + ? WHERE parent_id = ? AND resource_name = ?",
    [ST_LC_SEED] = "INSERT IGNORE INTO `list_counts` (parent_id, resource_name, live) "
                   "SELECT ?, ?, COUNT(*) FROM `objects` "
                   "WHERE parent_id = ? AND resource_name = ? AND deleted = 0",
    [ST_LC_READ] = "SELECT live FROM `list_counts` WHERE parent_id = ? AND resource_name = ?",
    [ST_LC_PURGE] = "DELETE FROM `list_counts` WHERE parent_id = ? OR "
                    "(parent_id >= ? AND parent_id < ?)",
    /* The attachment plugin's links (sql/005): a location taken again
     * (never in practice: names are created exclusively) goes to its
     * newest record. */
    [ST_ATT_LINK] = "INSERT INTO `attachments` (location, bucket_uri, collection_uri, record_uri, "
                    "created) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE bucket_uri = "
                    "VALUES(bucket_uri), collection_uri = VALUES(collection_uri), record_uri = "
                    "VALUES(record_uri), created = VALUES(created)",
    [ST_ATT_OF_RECORD] = "SELECT location, collection_uri FROM `attachments` WHERE record_uri = ? "
                         "FOR UPDATE",
    [ST_ATT_OF_COLLECTION] = "SELECT location, collection_uri FROM `attachments` "
                             "WHERE collection_uri = ? FOR UPDATE",
    [ST_ATT_OF_BUCKET] = "SELECT location, collection_uri FROM `attachments` WHERE bucket_uri = ? "
                         "FOR UPDATE",
    [ST_ATT_DEL_RECORD] = "DELETE FROM `attachments` WHERE record_uri = ?",
    [ST_ATT_DEL_COLLECTION] = "DELETE FROM `attachments` WHERE collection_uri = ?",
    [ST_ATT_DEL_BUCKET] = "DELETE FROM `attachments` WHERE bucket_uri = ?",
    [ST_ATT_ALL] = "SELECT location FROM `attachments`",
    [ST_IX_STATES] = "SELECT field, state, cursor_id FROM `indexed_fields` WHERE parent_id = ? "
                     "ORDER BY field LIMIT ?",
    [ST_IX_STATE_PUT] = "INSERT INTO `indexed_fields` (parent_id, field, state, cursor_id) "
                        "VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE state = VALUES(state), "
                        "cursor_id = VALUES(cursor_id)",
    [ST_IX_STATE_DEL] = "DELETE FROM `indexed_fields` WHERE parent_id = ? AND field = ?",
    [ST_IX_FORGET] = "DELETE FROM `indexed_values` WHERE ix_parent = ? AND ix_id = ?",
    [ST_IX_FORGET_FIELD] =
        "DELETE FROM `indexed_values` WHERE ix_parent = ? AND ix_id = ? AND ix_field = ?",
    [ST_IX_FORGET_RANGE] = "DELETE FROM `indexed_values` WHERE ix_parent = ? AND ix_id > ? AND "
                           "ix_id <= ? AND ix_field = ?",
    [ST_IX_DROP_FIELD] = "DELETE FROM `indexed_values` WHERE ix_parent = ? AND ix_field = ? "
                         "LIMIT ?",
    [ST_IX_DROP_VALUES] = "DELETE FROM `indexed_values` WHERE ix_parent = ?",
    [ST_IX_DROP_STATES] = "DELETE FROM `indexed_fields` WHERE parent_id = ?",
    [ST_IX_DROP_VALUES_BELOW] =
        "DELETE FROM `indexed_values` WHERE ix_parent >= ? AND ix_parent < ?",
    [ST_IX_DROP_STATES_BELOW] =
        "DELETE FROM `indexed_fields` WHERE parent_id >= ? AND parent_id < ?",
    [ST_IX_RESTART] = "UPDATE `indexed_fields` SET state = 0, cursor_id = '' WHERE state = 1 "
                      "AND LEFT(parent_id, LENGTH(?)) = ?",
    [ST_IX_PARENTS] = "SELECT DISTINCT parent_id FROM `indexed_fields` WHERE state <> 1 "
                      "AND LEFT(parent_id, LENGTH(?)) = ? ORDER BY parent_id",
};

#define DYN_CACHE 16

/* A statement handle; ready once the server has prepared it (its first
 * execution prepares it in the same round trip). sql is owned by dynamic
 * statements only. */
typedef struct stmt_slot {
    char *sql;  /* a dynamic statement's text as built (its cache key) */
    char *text; /* what the server gets: with the table prefix */
    MYSQL_STMT *stmt;
    int ready;
} stmt_slot;

typedef struct mdb {
    cinto_storage base;
    char *host, *user, *password, *database, *socket;
    char *found_socket; /* a usual socket path that answered (URL without one) */
    unsigned port;
    cinto_storage_options opt;
    int schema_ok;      /* the schema version was checked by this process */
    int ever_connected; /* this process reached the server once */
    MYSQL *conn;
    stmt_slot stmts[ST_COUNT];
    stmt_slot dyn[DYN_CACHE];
    unsigned dyn_next;
    int in_tx;
    int depth;           /* nested begins inside a batch: savepoints */
    int no_wsrep_vars;   /* the server knows no wsrep_* variable (not MariaDB) */
    int galera;          /* the connection's server is a Galera node: 1, 0, -1 unknown */
    unsigned last_errno; /* of the last failed statement */
    /* The text of the statement being run (never its bound values), for
     * the log line of a failure; NULL between statements. */
    const char *cur_sql;
} mdb;

/* A fetched result: all rows as strings (NULL for SQL NULL). With each
 * set, rows stream instead: fetch_rows hands every row to each as row 0
 * (it may take strings, leaving NULL) and drops it; each returns 0 to go
 * on, 1 to stop reading, -1 for no memory. */
typedef struct rows {
    size_t nrows, ncols;
    char **vals;
    unsigned long *lens;
    int (*each)(struct rows *r, void *ctx);
    void *each_ctx;
} rows;

static void row_drop(rows *r, size_t row)
{
    for (size_t c = 0; c < r->ncols; c++) {
        free(r->vals[row * r->ncols + c]);
        r->vals[row * r->ncols + c] = NULL;
    }
}

static void rows_free(rows *r)
{
    for (size_t i = 0; i < r->nrows * r->ncols; i++)
        free(r->vals[i]);
    free(r->vals);
    free(r->lens);
    memset(r, 0, sizeof *r);
}

static const char *cell(const rows *r, size_t row, size_t col)
{
    return r->vals[row * r->ncols + col];
}

/* Bound values: 's' C string, 'S' (pointer, length), 'i' long long, 'n'
 * SQL NULL. */
typedef struct param {
    char type;
    const char *s;
    unsigned long len;
    long long i;
} param;

/* ---- connection ---------------------------------------------------- */

static void slot_clear(stmt_slot *slot)
{
    if (slot->stmt)
        mysql_stmt_close(slot->stmt);
    free(slot->sql);
    free(slot->text);
    memset(slot, 0, sizeof *slot);
}

/* Tells the transaction listener (storage.h tx_hook). */
static void tx_event(mdb *db, int event, int level)
{
    if (db->base.tx_hook)
        db->base.tx_hook(db->base.tx_hook_arg, event, level);
}

static void disconnect(mdb *db)
{
    /* The server drops what the transaction did with the connection. */
    if (db->in_tx)
        tx_event(db, CINTO_ST_TX_ROLLBACK, 1);
    for (int i = 0; i < ST_COUNT; i++)
        slot_clear(&db->stmts[i]);
    for (int i = 0; i < DYN_CACHE; i++)
        slot_clear(&db->dyn[i]);
    if (db->conn)
        mysql_close(db->conn);
    db->conn = NULL;
    db->in_tx = 0;
    db->depth = 0;
    db->galera = -1;
}

/* The customer's message of a 503: the condition's own, or the generic
 * text when the server is just away for a moment. A worker that never
 * reached the server is more likely misconfigured than unlucky. */
static void set_message(mdb *db, const char *message)
{
    if (!message && !db->ever_connected)
        message = cinto_msg_unreachable;
    snprintf(db->base.message, sizeof db->base.message, "%s", message ? message : "");
}

/* A one-value answer of the server as text (out empty when none), with no
 * error handling of its own: asked while classifying a failure. 0 when
 * the server answered. */
static int quiet_value(mdb *db, const char *sql, char *out, size_t n)
{
    out[0] = '\0';
    if (!db->conn || mysql_real_query(db->conn, sql, strlen(sql)))
        return -1;
    MYSQL_RES *res = mysql_store_result(db->conn);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    unsigned col = res && mysql_num_fields(res) > 1 ? 1 : 0; /* SHOW: name, value */
    if (row && row[col])
        snprintf(out, n, "%s", row[col]);
    mysql_free_result(res);
    return res ? 0 : -1;
}

/* Whether the server is a Galera node (wsrep_on), asked once per
 * connection and only when a failure needs it. SHOW, which a node outside
 * the primary component still answers (it refuses SELECT). */
static int is_galera(mdb *db)
{
    char v[16];
    if (db->galera < 0 && db->conn && !db->no_wsrep_vars &&
        quiet_value(db, "SHOW VARIABLES LIKE 'wsrep_on'", v, sizeof v) == 0)
        db->galera = strcasecmp(v, "ON") == 0 || strcmp(v, "1") == 0;
    return db->galera > 0;
}

/* On a Galera node, what some failures really mean: a duplicate key may
 * come from another node's write set applied while this transaction ran
 * (the list lock is not cluster-wide), so running the request again may
 * succeed; a lock wait timeout may be a wsrep_sync_wait that could not
 * complete because the node left the primary component. */
static void galera_meaning(mdb *db, unsigned e)
{
    if ((e != ER_DUP_ENTRY && e != ER_LOCK_WAIT_TIMEOUT) || !is_galera(db))
        return;
    if (e == ER_DUP_ENTRY) {
        db->base.conflict = 1;
        return;
    }
    char status[32];
    quiet_value(db, "SHOW STATUS LIKE 'wsrep_cluster_status'", status, sizeof status);
    if (status[0] && strcmp(status, "Primary") != 0)
        set_message(db, cinto_db_classify(ER_UNKNOWN_COM_ERROR)->message);
}

/* " (statement: ...)" for the log line of a failure, on one line and
 * cut short, or "" when no statement was running (a connect, a fetch
 * after it). The text has placeholders only: no request value is in it. */
static void statement_for_log(const char *sql, char *out, size_t n)
{
    assert(n > 32);
    out[0] = '\0';
    if (!sql)
        return;
    size_t o = (size_t)snprintf(out, n, " (statement: ");
    const size_t room = n - 5; /* "...)" and the NUL */
    const char *p = sql;
    int space = 0;
    for (; *p && o < room; p++) {
        int ws = *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r';
        if (!(ws && space))
            out[o++] = ws ? ' ' : *p;
        space = ws;
    }
    snprintf(out + o, n - o, "%s)", *p ? "..." : "");
}

/* Records a MariaDB failure and says what it means: the code and text go
 * to last_error and, for storage-side conditions, to the log once per
 * condition (not once per request); the message to the answer. A statement
 * that lost its error (code 0) falls back on the connection's. */
static int fail(mdb *db, unsigned e, const char *msg)
{
    if (e == 0 && db->conn && mysql_errno(db->conn)) {
        e = mysql_errno(db->conn);
        msg = mysql_error(db->conn);
    }
    const cinto_db_condition *c = cinto_db_classify_text(e, msg);
    db->last_errno = e;
    snprintf(db->base.last_error, sizeof db->base.last_error, "MariaDB error %u (%s): %s", e,
             c->name, msg && *msg ? msg : "the client library gave no error text");
    if (cinto_db_is_conflict(e)) {
        /* The pipeline runs the request again and logs the counts. */
        db->base.conflict = 1;
        set_message(db, c->message);
    } else if (c->rc == CINTO_ST_UNAVAILABLE) {
        char key[48], stmt[256];
        snprintf(key, sizeof key, "storage:%u", e);
        statement_for_log(db->cur_sql, stmt, sizeof stmt);
        cinto_log_once(key, 60, "storage unavailable (answered 503): %s%s", db->base.last_error,
                       stmt);
        set_message(db, c->message);
    }
    db->cur_sql = NULL;
    galera_meaning(db, e);
    /* A table vanished: check the schema again on the next request. */
    if (e == ER_NO_SUCH_TABLE)
        db->schema_ok = 0;
    if (c->reconnect)
        disconnect(db);
    return c->rc;
}

/* Where the connection goes, for the log (never the password). The client
 * uses the socket only for "localhost". */
static void describe_target(const mdb *db, const char *socket, char *out, size_t n)
{
    int local = strcmp(db->host, "localhost") == 0;
    if (local && socket)
        snprintf(out, n, "user '%s' on localhost through socket '%s'", db->user ? db->user : "",
                 socket);
    else if (local)
        snprintf(out, n, "user '%s' on localhost through the client's default socket",
                 db->user ? db->user : "");
    else
        snprintf(out, n, "user '%s' on host '%s' port %u", db->user ? db->user : "", db->host,
                 db->port ? db->port : 3306);
}

static MYSQL *new_handle(const mdb *db)
{
    MYSQL *m = cinto_mysql_init();
    if (!m)
        return NULL;
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &db->opt.connect_timeout);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &db->opt.read_timeout);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &db->opt.write_timeout);
    /* The charset travels in the handshake: no statement of its own. */
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    return m;
}

/* One attempt; on failure the code and text of MariaDB's answer. */
static MYSQL *try_connect(const mdb *db, const char *socket, unsigned *code, char *text,
                          size_t textlen)
{
    MYSQL *m = new_handle(db);
    if (!m) {
        *code = CR_OUT_OF_MEMORY;
        snprintf(text, textlen, "out of memory");
        return NULL;
    }
    if (mysql_real_connect(m, db->host, db->user, db->password, db->database, db->port, socket, 0))
        return m;
    *code = mysql_errno(m);
    snprintf(text, textlen, "%s", mysql_error(m));
    mysql_close(m);
    return NULL;
}

/* Where Debian/Ubuntu, RHEL/CloudLinux/cPanel, SUSE and hand-built servers
 * put the socket. */
static const char *const usual_sockets[] = {"/run/mysqld/mysqld.sock",
                                            "/var/run/mysqld/mysqld.sock",
                                            "/var/lib/mysql/mysql.sock",
                                            "/tmp/mysql.sock",
                                            "/var/run/mysql/mysql.sock",
                                            "/run/mysql/mysql.sock",
                                            "/tmp/mysqld.sock",
                                            "/var/lib/mysqld/mysqld.sock",
                                            "/usr/local/mysql/mysql.sock",
                                            NULL};

/* "localhost" without a unix_socket, and the client's default socket is not
 * there: try the usual paths. A server that answers with another error
 * (wrong password) is the right one: that error is kept. */
static MYSQL *search_sockets(mdb *db, unsigned *code, char *text, size_t textlen)
{
    for (int i = 0; usual_sockets[i]; i++) {
        struct stat sb;
        if (stat(usual_sockets[i], &sb) != 0 || !S_ISSOCK(sb.st_mode))
            continue;
        unsigned c;
        char t[256];
        MYSQL *m = try_connect(db, usual_sockets[i], &c, t, sizeof t);
        if (m || c != CR_CONNECTION_ERROR) {
            free(db->found_socket);
            db->found_socket = strdup(usual_sockets[i]);
        }
        if (m) {
            cinto_log_once("storage:socket", 3600,
                           "MariaDB answers on %s; kinto.storage_url names no unix_socket: add "
                           "?unix_socket=%s to it to skip the search",
                           usual_sockets[i], usual_sockets[i]);
            return m;
        }
        if (c != CR_CONNECTION_ERROR) {
            *code = c;
            snprintf(text, textlen, "%s", t);
            return NULL;
        }
    }
    snprintf(text + strlen(text), textlen - strlen(text),
             " (the usual socket paths were tried too: none answered)");
    return NULL;
}

/* Logs a failed connection with everything but the password and answers
 * 503 with the fix for the customer. */
static int connect_failed(mdb *db, const char *socket, unsigned code, const char *text)
{
    const cinto_db_condition *c = cinto_db_classify(code);
    char target[320];
    describe_target(db, socket, target, sizeof target);
    snprintf(db->base.last_error, sizeof db->base.last_error,
             "cannot connect to MariaDB as %s, database '%s': error %u (%s): %s", target,
             db->database, code, c->name, text);
    char key[48];
    snprintf(key, sizeof key, "storage:connect:%u", code);
    cinto_log_once(key, 60, "%s", db->base.last_error);
    set_message(db, c->message);
    return c->rc == CINTO_ST_NOMEM ? CINTO_ST_NOMEM : CINTO_ST_UNAVAILABLE;
}

static int ensure_schema(mdb *db, int mode);
enum { SCHEMA_CHECK_ONLY, SCHEMA_AUTO, SCHEMA_FORCE };

/* Once per process (until it succeeds, or a table vanishes): a worker
 * checks the schema version before its first statement, not on every
 * request. Never inside a transaction: CREATE TABLE would commit it. */
static int check_schema(mdb *db)
{
    return ensure_schema(db, db->opt.auto_migrate ? SCHEMA_AUTO : SCHEMA_CHECK_ONLY);
}

/* The whole session setup in one statement (one round trip per new
 * connection, which under plain CGI means per request). READ COMMITTED: a
 * writer that has locked its list row must see what the writer before it
 * committed, and no gap locks between inserts. MariaDB before 11.1 knows
 * the isolation variable as tx_isolation only; MySQL 8 as
 * transaction_isolation only. */
static int setup_session(mdb *db)
{
    MYSQL *m = db->conn;
    int old_name = mariadb_connection(m) && mysql_get_server_version(m) < 110100;
    /* A lock wait ends (1205, a clear 503) before the read timeout would
     * cut the connection. */
    unsigned lock_wait = db->opt.read_timeout > 2 ? db->opt.read_timeout - 2 : 1;
    /* kinto.storage_wsrep_sync_wait, in the same statement: a Galera node
     * (wsrep_on) takes the setting, any other MariaDB keeps its own value,
     * so a plain server pays no round trip for it. */
    char sync_wait[128] = "";
    if (!db->no_wsrep_vars)
        snprintf(sync_wait, sizeof sync_wait,
                 ", SESSION wsrep_sync_wait = IF(@@wsrep_on, %u, @@SESSION.wsrep_sync_wait)",
                 db->opt.wsrep_sync_wait);
    char sql[384];
    snprintf(sql, sizeof sql,
             "SET SESSION %s = 'READ-COMMITTED', SESSION innodb_lock_wait_timeout = %u, "
             "SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION'%s",
             old_name ? "tx_isolation" : "transaction_isolation", lock_wait, sync_wait);
    if (mysql_real_query(m, sql, strlen(sql)) && mysql_errno(m) == ER_UNKNOWN_SYSTEM_VARIABLE &&
        !db->no_wsrep_vars) {
        /* MySQL, or a MariaDB built without wsrep: no Galera to wait for. */
        db->no_wsrep_vars = 1;
        return setup_session(db);
    }
    if (mysql_errno(m)) {
        unsigned e = mysql_errno(m);
        char text[256];
        snprintf(text, sizeof text, "setting up the session: %s", mysql_error(m));
        int rc = fail(db, e, text);
        disconnect(db);
        return rc == CINTO_ST_UNAVAILABLE ? rc : CINTO_ST_FAIL;
    }
    return CINTO_ST_OK;
}

static int connect_db(mdb *db)
{
    if (db->conn)
        return db->schema_ok || db->in_tx ? CINTO_ST_OK : check_schema(db);
    const char *socket = db->socket ? db->socket : db->found_socket;
    unsigned code = 0;
    char text[512] = "";
    MYSQL *m = try_connect(db, socket, &code, text, sizeof text);
    if (!m && code == CR_CONNECTION_ERROR && !db->socket && strcmp(db->host, "localhost") == 0) {
        m = search_sockets(db, &code, text, sizeof text);
        socket = db->found_socket;
    }
    if (!m)
        return connect_failed(db, socket, code, text);
    db->conn = m;
    db->ever_connected = 1;
    int rc = setup_session(db);
    if (rc != CINTO_ST_OK)
        return rc;
    return db->schema_ok ? CINTO_ST_OK : check_schema(db);
}

/* A statement handle for slot, created without a round trip (the server
 * prepares it on its first execution, run_once), with its text: sql with
 * the table prefix applied (see cinto_sql_prefix). */
static stmt_slot *slot_init(mdb *db, stmt_slot *slot, const char *sql, int *rc)
{
    if (!slot->text) {
        cinto_buf text = CINTO_BUF_INIT;
        if (cinto_sql_prefix(sql, db->opt.table_prefix, &text, db->base.last_error,
                             sizeof db->base.last_error) < 0) {
            cinto_buf_free(&text);
            *rc = CINTO_ST_FAIL;
            return NULL;
        }
        slot->text = cinto_buf_steal(&text);
        if (!slot->text) {
            *rc = CINTO_ST_NOMEM;
            return NULL;
        }
    }
    if (!slot->stmt) {
        slot->stmt = mysql_stmt_init(db->conn);
        slot->ready = 0;
        if (!slot->stmt) {
            *rc = CINTO_ST_NOMEM;
            return NULL;
        }
    }
    return slot;
}

static stmt_slot *get_stmt(mdb *db, enum stmt_id id, int *rc)
{
    return slot_init(db, &db->stmts[id], stmt_sql[id], rc);
}

static stmt_slot *get_dyn(mdb *db, const char *sql, int *rc)
{
    for (int i = 0; i < DYN_CACHE; i++)
        if (db->dyn[i].sql && strcmp(db->dyn[i].sql, sql) == 0)
            return slot_init(db, &db->dyn[i], sql, rc);
    char *copy = strdup(sql);
    if (!copy) {
        *rc = CINTO_ST_NOMEM;
        return NULL;
    }
    stmt_slot *slot = &db->dyn[db->dyn_next++ % DYN_CACHE];
    slot_clear(slot);
    slot->sql = copy;
    return slot_init(db, slot, sql, rc);
}

/* ---- statement execution -------------------------------------------- */

static int fetch_rows(mdb *db, MYSQL_STMT *s, rows *out)
{
    MYSQL_RES *meta = mysql_stmt_result_metadata(s);
    if (!meta)
        return CINTO_ST_OK; /* no result set */
    size_t ncols = mysql_num_fields(meta);
    mysql_free_result(meta);
    out->ncols = ncols;
    MYSQL_BIND *b = calloc(ncols, sizeof *b);
    unsigned long *lens = calloc(ncols, sizeof *lens);
    my_bool *nulls = calloc(ncols, sizeof *nulls);
    size_t cap = 0;
    int rc = CINTO_ST_OK;
    if (!b || !lens || !nulls) {
        rc = CINTO_ST_NOMEM;
        goto done;
    }
    for (size_t c = 0; c < ncols; c++) {
        b[c].buffer_type = MYSQL_TYPE_STRING;
        b[c].buffer = NULL;
        b[c].buffer_length = 0;
        b[c].length = &lens[c];
        b[c].is_null = &nulls[c];
    }
    if (mysql_stmt_bind_result(s, b)) {
        rc = fail(db, mysql_stmt_errno(s), mysql_stmt_error(s));
        goto done;
    }
    for (;;) {
        int f = mysql_stmt_fetch(s);
        if (f == MYSQL_NO_DATA)
            break;
        if (f == 1) {
            /* A server error while rows stream in is the connection's. */
            if (mysql_stmt_errno(s))
                rc = fail(db, mysql_stmt_errno(s), mysql_stmt_error(s));
            else
                rc = fail(db, mysql_errno(db->conn), mysql_error(db->conn));
            goto done;
        }
        if (out->nrows == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            char **v = realloc(out->vals, ncap * ncols * sizeof *v);
            if (!v) {
                rc = CINTO_ST_NOMEM;
                goto done;
            }
            out->vals = v;
            unsigned long *l = realloc(out->lens, ncap * ncols * sizeof *l);
            if (!l) {
                rc = CINTO_ST_NOMEM;
                goto done;
            }
            out->lens = l;
            cap = ncap;
        }
        size_t base = out->nrows * ncols;
        for (size_t c = 0; c < ncols; c++)
            out->vals[base + c] = NULL;
        out->nrows++;
        for (size_t c = 0; c < ncols; c++) {
            out->lens[base + c] = lens[c];
            if (nulls[c])
                continue;
            char *p = malloc(lens[c] + 1);
            if (!p) {
                rc = CINTO_ST_NOMEM;
                goto done;
            }
            MYSQL_BIND one = {0};
            one.buffer_type = MYSQL_TYPE_STRING;
            one.buffer = p;
            one.buffer_length = lens[c] + 1;
            if (lens[c] && mysql_stmt_fetch_column(s, &one, (unsigned)c, 0)) {
                free(p);
                rc = fail(db, mysql_stmt_errno(s), mysql_stmt_error(s));
                goto done;
            }
            p[lens[c]] = '\0';
            out->vals[base + c] = p;
        }
        if (out->each) {
            /* Streamed: the row is handed over and dropped, so the
             * worker holds one row of the result at a time. */
            int e = out->each(out, out->each_ctx);
            row_drop(out, 0);
            out->nrows = 0;
            if (e < 0) {
                rc = CINTO_ST_NOMEM;
                goto done;
            }
            if (e > 0)
                break;
        }
    }
done:
    /* Without mysql_stmt_store_result rows come off the wire one fetch at
     * a time; this reads and drops what a stopped stream left unread. */
    mysql_stmt_free_result(s);
    free(b);
    free(lens);
    free(nulls);
    if (rc != CINTO_ST_OK)
        rows_free(out);
    return rc;
}

/* The first execution of a slot prepares and executes in one round trip;
 * the parameters are bound beforehand (STMT_ATTR_PREBIND_PARAMS). A slot
 * whose first execution failed is dropped, so the next use starts over. */
static int execute_slot(mdb *db, stmt_slot *slot, MYSQL_BIND *b, size_t n)
{
    MYSQL_STMT *s = slot->stmt;
    db->cur_sql = slot->text;
    if (slot->ready) {
        if ((n && mysql_stmt_bind_param(s, b)) || mysql_stmt_execute(s))
            return fail(db, mysql_stmt_errno(s), mysql_stmt_error(s));
        return CINTO_ST_OK;
    }
    unsigned int count = (unsigned int)n;
    if (mysql_stmt_attr_set(s, STMT_ATTR_PREBIND_PARAMS, &count) ||
        (n && mysql_stmt_bind_param(s, b)) ||
        mariadb_stmt_execute_direct(s, slot->text, strlen(slot->text))) {
        unsigned e = mysql_stmt_errno(s);
        char msg[256];
        snprintf(msg, sizeof msg, "%s", mysql_stmt_error(s));
        mysql_stmt_close(s);
        slot->stmt = NULL; /* a dynamic slot keeps its text: reused as a fresh handle */
        return fail(db, e, msg);
    }
    slot->ready = 1;
    return CINTO_ST_OK;
}

static int run_once(mdb *db, stmt_slot *slot, const param *ps, size_t n, rows *out,
                    unsigned long long *affected, unsigned long long *insert_id)
{
    MYSQL_BIND small[16], *b = small;
    /* Statements with a variable number of values (principals, filter
     * sets) may bind more than the usual few. */
    if (n > 16 && !(b = calloc(n, sizeof *b)))
        return CINTO_ST_NOMEM;
    int rc = CINTO_ST_OK;
    if (b == small)
        memset(b, 0, sizeof small);
    for (size_t i = 0; i < n; i++) {
        if (ps[i].type == 'i') {
            b[i].buffer_type = MYSQL_TYPE_LONGLONG;
            b[i].buffer = (void *)&ps[i].i;
        } else if (ps[i].type == 'n') {
            b[i].buffer_type = MYSQL_TYPE_NULL;
        } else {
            b[i].buffer_type = MYSQL_TYPE_STRING;
            b[i].buffer = (void *)ps[i].s;
            b[i].buffer_length = ps[i].len;
            b[i].length = (unsigned long *)&ps[i].len;
        }
    }
    rc = execute_slot(db, slot, b, n);
    if (rc != CINTO_ST_OK)
        goto done;
    MYSQL_STMT *s = slot->stmt;
    if (affected)
        *affected = mysql_stmt_affected_rows(s);
    if (insert_id)
        *insert_id = mysql_stmt_insert_id(s);
    if (out)
        rc = fetch_rows(db, s, out);
    else
        mysql_stmt_free_result(s);
done:
    if (b != small)
        free(b);
    return rc;
}

/* Runs a statement; outside a transaction a connection that died since
 * the last request is reopened and the statement tried once more, so a
 * worker recovers by itself when MariaDB comes back. Only then: inside a
 * transaction the server rolled back what came before (the retry would
 * run alone, in autocommit), and other conditions (table full, lock wait)
 * would only repeat. */
static int run(mdb *db, enum stmt_id id, const char *dyn_sql, const param *ps, size_t n, rows *out,
               unsigned long long *affected, unsigned long long *insert_id)
{
    db->base.message[0] = '\0';
    int in_tx = db->in_tx; /* disconnect() clears it */
    for (int attempt = 0; attempt < 2; attempt++) {
        int rc = connect_db(db);
        if (rc != CINTO_ST_OK)
            return rc;
        stmt_slot *slot = dyn_sql ? get_dyn(db, dyn_sql, &rc) : get_stmt(db, id, &rc);
        if (slot)
            rc = run_once(db, slot, ps, n, out, affected, insert_id);
        db->cur_sql = NULL;
        if (rc == CINTO_ST_UNAVAILABLE && !db->conn && !in_tx && attempt == 0)
            continue;
        return rc;
    }
    return CINTO_ST_UNAVAILABLE;
}

#define P_S(x)                                                                                     \
    {                                                                                              \
        's', (x), (unsigned long)strlen(x), 0                                                      \
    }
#define P_I(x)                                                                                     \
    {                                                                                              \
        'i', NULL, 0, (x)                                                                          \
    }

extern const char *const cinto_migrations[];
extern const char *const cinto_migration_names[];

/* ---- transactions ----------------------------------------------------- */

static int query_text(mdb *db, const char *sql)
{
    db->cur_sql = sql;
    int rc = CINTO_ST_OK;
    if (mysql_real_query(db->conn, sql, strlen(sql)))
        rc = fail(db, mysql_errno(db->conn), mysql_error(db->conn));
    db->cur_sql = NULL;
    return rc;
}

/* Inside a transaction (a batch), begin/commit/rollback nest: each nested
 * level is a savepoint, so a subrequest that fails with a 4xx undoes only
 * its own changes. */
static int m_begin(cinto_storage *st)
{
    mdb *db = (mdb *)st;
    if (db->in_tx) {
        char sql[48];
        snprintf(sql, sizeof sql, "SAVEPOINT cinto_sub%d", db->depth + 1);
        int rc = query_text(db, sql);
        if (rc == CINTO_ST_OK) {
            db->depth++;
            tx_event(db, CINTO_ST_TX_BEGIN, db->depth + 1);
        }
        return rc;
    }
    db->base.message[0] = '\0';
    for (int attempt = 0; attempt < 2; attempt++) {
        int rc = connect_db(db);
        if (rc != CINTO_ST_OK)
            return rc;
        rc = query_text(db, "START TRANSACTION");
        if (rc == CINTO_ST_OK) {
            db->in_tx = 1;
            tx_event(db, CINTO_ST_TX_BEGIN, 1);
            return rc;
        }
        if (rc != CINTO_ST_UNAVAILABLE)
            return rc;
    }
    return CINTO_ST_UNAVAILABLE;
}

#ifdef CINTO_FAILPOINTS
/* Test builds only (configure --enable-failpoints): with
 * CINTO_FAILPOINT_COMMIT_CONFLICTS=K in the environment, the outermost
 * COMMIT of the first K attempts of every request is refused as Galera
 * refuses a transaction that lost certification (1213), after rolling it
 * back, so that tests can show a replay leaves one effect. */
static int failpoint_commit_conflict(mdb *db)
{
    const char *k = getenv("CINTO_FAILPOINT_COMMIT_CONFLICTS");
    if (!k || db->base.attempt >= atoi(k))
        return 0;
    query_text(db, "ROLLBACK");
    db->in_tx = 0;
    return fail(db, ER_LOCK_DEADLOCK,
                "Deadlock found when trying to get lock; try restarting transaction (failpoint "
                "CINTO_FAILPOINT_COMMIT_CONFLICTS)");
}
#endif

static int m_commit(cinto_storage *st)
{
    mdb *db = (mdb *)st;
    if (!db->conn)
        return CINTO_ST_UNAVAILABLE;
    if (db->depth > 0) {
        db->depth--;
        tx_event(db, CINTO_ST_TX_COMMIT, db->depth + 2);
        return CINTO_ST_OK;
    }
    int was = db->in_tx;
#ifdef CINTO_FAILPOINTS
    if (db->in_tx) {
        int frc = failpoint_commit_conflict(db);
        if (frc != CINTO_ST_OK)
            return frc;
    }
#endif
    int rc = query_text(db, "COMMIT");
    /* A failed COMMIT (or a connection lost on it, already reported by
     * disconnect) leaves nothing committed. */
    if (was && db->in_tx)
        tx_event(db, rc == CINTO_ST_OK ? CINTO_ST_TX_COMMIT : CINTO_ST_TX_ROLLBACK, 1);
    db->in_tx = 0;
    return rc;
}

static void m_rollback(cinto_storage *st)
{
    mdb *db = (mdb *)st;
    if (db->depth > 0) {
        char sql[48];
        snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT cinto_sub%d", db->depth);
        db->depth--;
        if (db->conn)
            query_text(db, sql);
        tx_event(db, CINTO_ST_TX_ROLLBACK, db->depth + 2);
        return;
    }
    if (db->conn && db->in_tx) {
        query_text(db, "ROLLBACK");
        if (db->in_tx)
            tx_event(db, CINTO_ST_TX_ROLLBACK, 1);
    }
    db->in_tx = 0;
}

/* Before a replay: the outermost ROLLBACK whatever the savepoint depth
 * (a batch's subrequest may have failed inside one). */
static void m_rollback_all(cinto_storage *st)
{
    mdb *db = (mdb *)st;
    /* The transaction hooks see every level undone, innermost first, as
     * if each had been rolled back in turn. */
    while (db->depth > 0) {
        db->depth--;
        if (db->in_tx)
            tx_event(db, CINTO_ST_TX_ROLLBACK, db->depth + 2);
    }
    if (db->conn && db->in_tx) {
        query_text(db, "ROLLBACK");
        if (db->in_tx)
            tx_event(db, CINTO_ST_TX_ROLLBACK, 1);
    }
    db->in_tx = 0;
}

/* One row of every table, objects through its time index (where a crash
 * on a full disk left corruption once): a missing table or a damaged index
 * fails here, as it would for every list. */
static const char health_sql[] =
    "(SELECT last_modified FROM `objects` FORCE INDEX (objects_by_time) "
    "ORDER BY parent_id DESC, resource_name DESC, last_modified DESC LIMIT 1) "
    "UNION ALL (SELECT last_modified FROM `revisions` LIMIT 1) "
    "UNION ALL (SELECT 0 FROM `acl` LIMIT 1) "
    "UNION ALL (SELECT 0 FROM `memberships` LIMIT 1) "
    "UNION ALL (SELECT version FROM `cinto_schema_version` LIMIT 1)";

static int m_ping(cinto_storage *st)
{
    rows r = {0};
    int rc = run((mdb *)st, 0, health_sql, NULL, 0, &r, NULL, NULL);
    rows_free(&r);
    return rc;
}

/* ---- list timestamps -------------------------------------------------- */

/* One number of a list, keyed (parent, resource): its timestamp, or its
 * live count (read_live); CINTO_ST_NOTFOUND when the list has no row. */
static int read_ts(mdb *db, enum stmt_id id, const char *parent, const char *resource,
                   long long *ts)
{
    param ps[] = {P_S(parent), P_S(resource)};
    rows r = {0};
    int rc = run(db, id, NULL, ps, 2, &r, NULL, NULL);
    if (rc != CINTO_ST_OK)
        return rc;
    rc = CINTO_ST_NOTFOUND;
    if (r.nrows && cell(&r, 0, 0)) {
        *ts = strtoll(cell(&r, 0, 0), NULL, 10);
        rc = CINTO_ST_OK;
    }
    rows_free(&r);
    return rc;
}

/* Reads a list's mark with select_id, creating the row from now_ms first
 * when the list has none (insert_id says how: a plain reader's INSERT
 * IGNORE, or a writer's locking upsert). */
static int read_or_create_ts(mdb *db, enum stmt_id select_id, enum stmt_id insert_id,
                             const char *parent, const char *resource, long long now_ms,
                             long long *ts)
{
    int rc = read_ts(db, select_id, parent, resource, ts);
    if (rc != CINTO_ST_NOTFOUND)
        return rc;
    param ps[] = {P_S(parent), P_S(resource), P_I(now_ms)};
    rc = run(db, insert_id, NULL, ps, 3, NULL, NULL, NULL);
    if (rc != CINTO_ST_OK)
        return rc;
    rc = read_ts(db, select_id, parent, resource, ts);
    return rc == CINTO_ST_NOTFOUND ? CINTO_ST_FAIL : rc;
}

/* First read of an empty list persists "now" so repeated reads agree
 * (spec 01 §1.6); a concurrent first reader or writer wins cleanly. */
static int m_list_timestamp(cinto_storage *st, const char *parent, const char *resource,
                            long long now_ms, long long *ts)
{
    if (now_ms < 0)
        return read_ts((mdb *)st, ST_TS_SELECT, parent, resource, ts);
    return read_or_create_ts((mdb *)st, ST_TS_SELECT, ST_TS_INSERT, parent, resource, now_ms, ts);
}

static int m_lock_list(cinto_storage *st, const char *parent, const char *resource,
                       long long now_ms, long long *hwm)
{
    return read_or_create_ts((mdb *)st, ST_TS_SELECT_LOCK, ST_TS_CREATE_LOCKED, parent, resource,
                             now_ms, hwm);
}

static int m_raise_timestamp(cinto_storage *st, const char *parent, const char *resource,
                             long long ts)
{
    param ps[] = {P_I(ts), P_S(parent), P_S(resource)};
    return run((mdb *)st, ST_TS_RAISE, NULL, ps, 3, NULL, NULL, NULL);
}

/* ---- single-use pagination tokens -------------------------------------- */

static int m_token_remember(cinto_storage *st, const char *nonce, long long now_ms,
                            long long expires_ms)
{
    mdb *db = (mdb *)st;
    param purge[] = {P_I(now_ms)};
    int rc = run(db, ST_TOKEN_PURGE, NULL, purge, 1, NULL, NULL, NULL);
    if (rc != CINTO_ST_OK)
        return rc;
    param ps[] = {P_S(nonce), P_I(expires_ms)};
    return run(db, ST_TOKEN_PUT, NULL, ps, 2, NULL, NULL, NULL);
}

static int m_token_take(cinto_storage *st, const char *nonce, long long now_ms, int *taken)
{
    param ps[] = {P_S(nonce), P_I(now_ms)};
    unsigned long long affected = 0;
    int rc = run((mdb *)st, ST_TOKEN_TAKE, NULL, ps, 2, NULL, &affected, NULL);
    *taken = rc == CINTO_ST_OK && affected == 1;
    return rc;
}

static int push_ace(cinto_ace_list *out, const char *uri, const char *perm, const char *who)
{
    if (out->count == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 16;
        cinto_ace *p = realloc(out->items, cap * sizeof *p);
        if (!p)
            return CINTO_ST_NOMEM;
        out->items = p;
        out->cap = cap;
    }
    cinto_ace *a = &out->items[out->count++];
    a->uri = strdup(uri);
    a->permission = strdup(perm);
    a->principal = strdup(who);
    return a->uri && a->permission && a->principal ? CINTO_ST_OK : CINTO_ST_NOMEM;
}

/* ---- objects ------------------------------------------------------------ */

static int take_object(const rows *r, size_t row, size_t first_col, cinto_object *o)
{
    /* columns: id, last_modified, deleted, data */
    const char *id = cell(r, row, first_col);
    const char *data = cell(r, row, first_col + 3);
    o->id = strdup(id ? id : "");
    o->last_modified = strtoll(cell(r, row, first_col + 1), NULL, 10);
    o->deleted = cell(r, row, first_col + 2)[0] == '1';
    o->data = strdup(data ? data : "{}");
    o->data_len = data ? r->lens[row * r->ncols + first_col + 3] : 2;
    return o->id && o->data ? CINTO_ST_OK : CINTO_ST_NOMEM;
}

static int m_get_many(cinto_storage *st, size_t n, const char *const *parents,
                      const char *const *resources, const char *const *ids, cinto_object *out,
                      int *found)
{
    mdb *db = (mdb *)st;
    for (size_t i = 0; i < n; i++)
        found[i] = 0;
    for (size_t start = 0; start < n; start += 3) {
        param ps[9];
        for (size_t k = 0; k < 3; k++) {
            size_t i = start + k < n ? start + k : start;
            ps[k * 3] = (param)P_S(parents[i]);
            ps[k * 3 + 1] = (param)P_S(resources[i]);
            ps[k * 3 + 2] = (param)P_S(ids[i]);
        }
        rows r = {0};
        int rc = run(db, ST_GET3, NULL, ps, 9, &r, NULL, NULL);
        if (rc != CINTO_ST_OK)
            return rc;
        for (size_t row = 0; row < r.nrows; row++) {
            for (size_t i = start; i < n && i < start + 3; i++) {
                if (found[i] || strcmp(cell(&r, row, 0), parents[i]) != 0 ||
                    strcmp(cell(&r, row, 1), resources[i]) != 0 ||
                    strcmp(cell(&r, row, 2), ids[i]) != 0)
                    continue;
                rc = take_object(&r, row, 2, &out[i]);
                if (rc != CINTO_ST_OK) {
                    rows_free(&r);
                    return rc;
                }
                found[i] = 1;
            }
        }
        rows_free(&r);
    }
    return CINTO_ST_OK;
}

static int m_load(cinto_storage *st, size_t nobj, const char *const *parents,
                  const char *const *resources, const char *const *ids, cinto_object *out,
                  int *found, size_t nuris, const char *const *uris, cinto_ace_list *acl,
                  size_t nprincipals, const char *const *principals, cinto_strv *groups)
{
    mdb *db = (mdb *)st;
    if (nobj > 3 || nuris > 4 || nprincipals > 2 || nobj == 0 || nuris == 0)
        return CINTO_ST_FAIL;
    param ps[15];
    for (size_t k = 0; k < 3; k++) {
        size_t i = k < nobj ? k : 0;
        ps[k * 3] = (param)P_S(parents[i]);
        ps[k * 3 + 1] = (param)P_S(resources[i]);
        ps[k * 3 + 2] = (param)P_S(ids[i]);
    }
    for (size_t k = 0; k < 4; k++)
        ps[9 + k] = (param)P_S(uris[k < nuris ? k : 0]);
    /* No principal is the empty string: a harmless filler. */
    for (size_t k = 0; k < 2; k++)
        ps[13 + k] = (param)P_S(k < nprincipals ? principals[k] : "");
    rows r = {0};
    int rc = run(db, ST_LOAD, NULL, ps, 15, &r, NULL, NULL);
    if (rc != CINTO_ST_OK)
        return rc;
    for (size_t i = 0; i < nobj; i++)
        found[i] = 0;
    for (size_t row = 0; row < r.nrows && rc == CINTO_ST_OK; row++) {
        char kind = cell(&r, row, 0)[0];
        if (kind == 'o') {
            for (size_t i = 0; i < nobj; i++) {
                if (found[i] || strcmp(cell(&r, row, 1), parents[i]) != 0 ||
                    strcmp(cell(&r, row, 2), resources[i]) != 0 ||
                    strcmp(cell(&r, row, 3), ids[i]) != 0)
                    continue;
                rc = take_object(&r, row, 3, &out[i]);
                found[i] = rc == CINTO_ST_OK;
            }
        } else if (kind == 'a') {
            rc = push_ace(acl, cell(&r, row, 1), cell(&r, row, 2), cell(&r, row, 3));
        } else {
            int dup = 0;
            for (size_t k = 0; k < groups->count && !dup; k++)
                dup = strcmp(groups->items[k], cell(&r, row, 1)) == 0;
            if (!dup && cinto_strv_push(groups, cell(&r, row, 1)) < 0)
                rc = CINTO_ST_NOMEM;
        }
    }
    rows_free(&r);
    return rc;
}

/* Moves a list's live count by delta, after the write, in its
 * transaction (the caller holds the list's revisions row). A list without
 * a count row gets one from a COUNT that already sees this write. */
static int count_add(mdb *db, const char *parent, const char *resource, long long delta)
{
    if (!delta)
        return CINTO_ST_OK;
    param ps[] = {P_I(delta), P_S(parent), P_S(resource)};
    unsigned long long affected = 0;
    int rc = run(db, ST_LC_ADD, NULL, ps, 3, NULL, &affected, NULL);
    if (rc != CINTO_ST_OK || affected)
        return rc;
    param seed[] = {P_S(parent), P_S(resource), P_S(parent), P_S(resource)};
    return run(db, ST_LC_SEED, NULL, seed, 4, NULL, NULL, NULL);
}

static int m_put(cinto_storage *st, const char *parent, const char *resource, const char *id,
                 long long last_modified, const char *data, size_t data_len, int row_exists)
{
    mdb *db = (mdb *)st;
    int rc;
    if (row_exists != CINTO_ROW_NONE) {
        param ps[] = {P_I(last_modified),
                      {'S', data, (unsigned long)data_len, 0},
                      P_S(parent),
                      P_S(resource),
                      P_S(id)};
        rc = run(db, ST_UPDATE, NULL, ps, 5, NULL, NULL, NULL);
    } else {
        param ps[] = {P_S(parent),
                      P_S(resource),
                      P_S(id),
                      P_I(last_modified),
                      {'S', data, (unsigned long)data_len, 0}};
        rc = run(db, ST_INSERT, NULL, ps, 5, NULL, NULL, NULL);
    }
    /* A new object or a revived tombstone is one more live object. */
    if (rc == CINTO_ST_OK && row_exists != CINTO_ROW_LIVE)
        rc = count_add(db, parent, resource, 1);
    return rc;
}

static int m_tombstone(cinto_storage *st, const char *parent, const char *resource, const char *id,
                       long long last_modified)
{
    param ps[] = {P_I(last_modified), P_S(parent), P_S(resource), P_S(id)};
    unsigned long long affected = 0;
    int rc = run((mdb *)st, ST_TOMBSTONE, NULL, ps, 4, NULL, &affected, NULL);
    if (rc == CINTO_ST_OK && affected == 0)
        return CINTO_ST_NOTFOUND;
    if (rc == CINTO_ST_OK)
        rc = count_add((mdb *)st, parent, resource, -1);
    return rc;
}

/* The SQL of each planner term (lib/query/plan.h), in the order its
 * parameters are bound: the JSON path npath times, then the value. Field
 * names reach SQL only as bound paths. */
static const struct {
    const char *sql;
    int npath, has_value;
} term_sql[] = {
    [CINTO_SQL_ID_EQ] = {"id = ?", 0, 1},
    [CINTO_SQL_TEXT_EQ] = {"JSON_VALUE(data, ?) = ?", 1, 1},
    [CINTO_SQL_BOOL] = {"JSON_TYPE(JSON_EXTRACT(data, ?)) = 'BOOLEAN'", 1, 0},
    [CINTO_SQL_NUM_EQ] = {"(JSON_VALUE(data, ?) + 0e0) = (? + 0e0)", 1, 1},
    [CINTO_SQL_NULL_EQ] = {"JSON_TYPE(JSON_EXTRACT(data, ?)) = 'NULL'", 1, 0},
    [CINTO_SQL_NUM_LE] = {"(JSON_TYPE(JSON_EXTRACT(data, ?)) IN ('NULL', 'STRING') OR "
                          "(JSON_VALUE(data, ?) + 0e0) <= (? + 0e0))",
                          2, 1},
    [CINTO_SQL_NUM_GE] = {"(JSON_EXTRACT(data, ?) IS NULL OR JSON_TYPE(JSON_EXTRACT(data, ?)) "
                          "IN ('BOOLEAN', 'ARRAY', 'OBJECT') OR "
                          "(JSON_VALUE(data, ?) + 0e0) >= (? + 0e0))",
                          3, 1},
    [CINTO_SQL_LIKE] = {"JSON_VALUE(data, ?) COLLATE utf8mb4_unicode_520_ci LIKE ? ESCAPE '!'", 1,
                        1},
    [CINTO_SQL_PRESENT] = {"JSON_EXTRACT(data, ?) IS NOT NULL", 1, 0},
    [CINTO_SQL_ABSENT] = {"JSON_EXTRACT(data, ?) IS NULL", 1, 0},
};

/* The same terms on a declared field's rows in indexed_values (sql/007),
 * each a superset of what C accepts, as the JSON ones: a string by its
 * first CINTO_INDEX_STR_MAX bytes, a number as a double, a boolean as 0/1.
 * A number's rows have no string, which lets the range use the index. */
static const char *const index_term_sql[] = {
    [CINTO_SQL_TEXT_EQ] = "(ix_rank = 1 AND ix_str = ?)",
    [CINTO_SQL_BOOL] = "(ix_rank = 3 AND ix_str IS NULL AND ix_num = CAST(? AS DOUBLE))",
    [CINTO_SQL_NUM_EQ] = "(ix_rank = 2 AND ix_str IS NULL AND ix_num = CAST(? AS DOUBLE))",
    [CINTO_SQL_NULL_EQ] = "ix_rank = 0",
    [CINTO_SQL_NUM_LE] =
        "(ix_rank < 2 OR (ix_rank = 2 AND ix_str IS NULL AND ix_num <= CAST(? AS DOUBLE)))",
    [CINTO_SQL_NUM_GE] =
        "(ix_rank > 2 OR (ix_rank = 2 AND ix_str IS NULL AND ix_num >= CAST(? AS DOUBLE)))",
    [CINTO_SQL_PRESENT] = "ix_rank < 6",
    [CINTO_SQL_ABSENT] = "ix_rank = 6",
    [CINTO_SQL_STR_LE] = "(ix_rank < 1 OR (ix_rank = 1 AND ix_str <= ?))",
    [CINTO_SQL_STR_GE] = "(ix_rank > 1 OR (ix_rank = 1 AND ix_str >= ?))",
};

/* A bound string cut to what the index keeps. */
static param index_str(const char *s)
{
    size_t n = strlen(s);
    return (param){'S', s, (unsigned long)(n > CINTO_INDEX_STR_MAX ? CINTO_INDEX_STR_MAX : n), 0};
}

/* like_ on a declared field's string: the kept bytes as UTF-8 under the
 * collation the JSON narrowing uses (its case rules hold C's folding for
 * ASCII patterns, the only ones the planner pushes), and any string cut
 * to CINTO_INDEX_STR_MAX bytes passes, its match may lie past the cut. */
#define INDEX_LIKE_SQL                                                                             \
    " AND (LENGTH(ix_str) >= %d"                                                                   \
    " OR CONVERT(ix_str USING utf8mb4) COLLATE utf8mb4_unicode_520_ci LIKE ? ESCAPE '!'))"

/* "(ix_rank = 1 AND (ix_str LIKE 'Ab%' OR …)": the string rows a like_
 * term reads, within the ranges of its prefix's spellings when it has
 * some (byte-wise LIKE 'Ab%', which MariaDB reads as a range of
 * indexed_values_by_value); left open for the caller to go on or close. */
static size_t put_like_rows(cinto_buf *sql, const cinto_sql_term *t, param *ps, size_t n)
{
    cinto_buf_puts(sql, "(ix_rank = 1");
    for (size_t i = 0; i < t->nprefixes; i++) {
        cinto_buf_puts(sql, i ? " OR ix_str LIKE ? ESCAPE '!'" : " AND (ix_str LIKE ? ESCAPE '!'");
        ps[n++] = (param)P_S(t->prefixes[i]);
    }
    cinto_buf_puts(sql, t->nprefixes ? ")" : "");
    return n;
}

/* One planner term on a declared field's rows, with its values bound: a
 * like_ reads the string rows (put_like_rows) and tests the pattern. */
static size_t put_index_term(cinto_buf *sql, const cinto_sql_term *t, param *ps, size_t n)
{
    if (t->kind == CINTO_SQL_LIKE) {
        n = put_like_rows(sql, t, ps, n);
        cinto_buf_printf(sql, INDEX_LIKE_SQL, CINTO_INDEX_STR_MAX);
        ps[n++] = (param)P_S(t->text);
        return n;
    }
    assert(t->kind < sizeof index_term_sql / sizeof index_term_sql[0] && index_term_sql[t->kind]);
    cinto_buf_puts(sql, index_term_sql[t->kind]);
    if (strchr(index_term_sql[t->kind], '?'))
        ps[n++] = index_str(t->text);
    return n;
}

/* Parameters one condition binds at most (its terms, and the parent,
 * field and kind of its rows or the path of its JSON). */
static size_t cond_params(const cinto_sql_cond *c)
{
    size_t n = 4;
    for (size_t k = 0; k < c->nterms; k++)
        n += 4 + c->terms[k].nprefixes;
    return n;
}

/* Parameters the planner's conditions bind at most. */
static size_t conds_params(const cinto_list_query *q)
{
    size_t n = 0;
    for (size_t i = 0; i < q->nconds; i++)
        n += cond_params(&q->conds[i]);
    return n;
}

/* The rows of indexed_values that one planner condition on a declared
 * field accepts: a range of indexed_values_by_value (unqualified column
 * names: objects has no ix_ column, so a subquery's own table is meant). */
static size_t put_index_match(cinto_buf *sql, const cinto_list_query *q, const cinto_sql_cond *c,
                              param *ps, size_t n)
{
    cinto_buf_puts(sql, "ix_parent = ? AND ix_field = ? AND ix_kind = ? AND (");
    ps[n++] = (param)P_S(q->parent);
    ps[n++] = (param)P_S(c->indexed);
    ps[n++] = (param)P_I(c->elements ? 1 : 0);
    for (size_t k = 0; k < c->nterms; k++) {
        cinto_buf_puts(sql, k ? " OR " : "");
        n = put_index_term(sql, &c->terms[k], ps, n);
    }
    cinto_buf_puts(sql, ")");
    return n;
}

static size_t build_index_where(cinto_buf *sql, const cinto_list_query *q, const cinto_sql_cond *c,
                                param *ps, size_t n)
{
    cinto_buf_puts(sql, " WHERE ");
    return put_index_match(sql, q, c, ps, n);
}

/* One planner condition on a declared field, as a test of each row read:
 * its id is among the index rows the condition accepts. probe (list
 * reads under a driver): a correlated COUNT on the primary key of
 * indexed_values, one lookup per row read, which MariaDB cannot turn into
 * a semi-join strategy that reads a common value's rows (done=true:
 * 500,000) when the page needs a few dozen lookups. */
static size_t build_index_cond(cinto_buf *sql, const cinto_list_query *q, const cinto_sql_cond *c,
                               param *ps, size_t n, int probe)
{
    if (probe) {
        cinto_buf_puts(sql, "(SELECT COUNT(*) FROM `indexed_values` AS ixc"
                            " WHERE ixc.ix_id = `objects`.id AND ");
        n = put_index_match(sql, q, c, ps, n);
        cinto_buf_puts(sql, ") > 0");
        return n;
    }
    cinto_buf_puts(sql, "id IN (SELECT ix_id FROM `indexed_values`");
    n = build_index_where(sql, q, c, ps, n);
    cinto_buf_puts(sql, ")");
    return n;
}

/* Matches under which a declared field's condition drives the read (the
 * ids it accepts first, their objects next, sorted afterwards); above it,
 * the list is read in its order and the condition tested on each row,
 * which stops early because matches are frequent. */
#define INDEX_DRIVE_MAX 1000

/* How a list read uses the declared fields' index: driver, a condition
 * whose rows are read first (and not tested again); ordered, the driver
 * is a single value whose rows the index keeps in last_modified order
 * (sql/007: ix_lm last), so they are read in the list's order and the
 * read stops at the page's limit with no sort. */
typedef struct list_read {
    const cinto_sql_cond *driver;
    /* 1: the driver is one value; 2: a few values (in_), each read in
     * order up to the limit and merged; 3: every condition is a bound of
     * one declared field (a range), whose few rows are read and sorted by
     * last_modified in the index. */
    int ordered;
} list_read;

/* Rows of a range (ordered 3) read and sorted at most. */
#define INDEX_RANGE_MAX 10000

/* A term that accepts a single value: every row has the same (rank, str,
 * num), so its rows are in last_modified order in the index. */
static int point_term(const cinto_sql_term *t)
{
    switch (t->kind) {
    case CINTO_SQL_TEXT_EQ:
    case CINTO_SQL_BOOL:
    case CINTO_SQL_NUM_EQ:
    case CINTO_SQL_NULL_EQ:
    case CINTO_SQL_ABSENT:
        return 1;
    default:
        return 0;
    }
}

/* Every term of c accepts one value, and c has at most n terms. */
static int index_points(const cinto_sql_cond *c, size_t n)
{
    if (!c->indexed || c->elements || c->nterms < 1 || c->nterms > n)
        return 0;
    for (size_t k = 0; k < c->nterms; k++)
        if (!point_term(&c->terms[k]))
            return 0;
    return 1;
}

static int index_point(const cinto_sql_cond *c)
{
    return index_points(c, 1);
}

/* Rows a merged read (ordered 2) may read at most: the limit for each of
 * its values. */
#define INDEX_MERGE_MAX 20000

/* The rows of one declared-field condition, counted through the index up
 * to INDEX_DRIVE_MAX + 1 (that many when the count fails). */
static long long index_count_upto(mdb *db, const cinto_list_query *q, const cinto_sql_cond *c)
{
    param *ps = calloc(cond_params(c) + 1, sizeof *ps);
    cinto_buf sql = CINTO_BUF_INIT;
    rows r = {0};
    long long count = INDEX_DRIVE_MAX + 1;
    if (!ps)
        return count;
    cinto_buf_puts(&sql, "SELECT COUNT(*) FROM (SELECT 1 FROM `indexed_values`");
    size_t n = build_index_where(&sql, q, c, ps, 0);
    cinto_buf_puts(&sql, " LIMIT ?) AS ixp");
    ps[n++] = (param)P_I(INDEX_DRIVE_MAX + 1);
    int rc = sql.data ? run(db, 0, sql.data, ps, n, &r, NULL, NULL) : CINTO_ST_NOMEM;
    if (rc == CINTO_ST_OK && r.nrows && cell(&r, 0, 0))
        count = strtoll(cell(&r, 0, 0), NULL, 10);
    rows_free(&r);
    cinto_buf_free(&sql);
    free(ps);
    return count;
}

/* Every condition of q bounds the value of one declared field (min_n and
 * max_n), and nothing else narrows the list: their terms hold together on
 * each record's one value row. */
static int index_range(const cinto_list_query *q)
{
    if (!q->nconds || q->ids || q->shared_prefix || q->limit > INDEX_RANGE_MAX)
        return 0;
    for (size_t i = 0; i < q->nconds; i++) {
        const cinto_sql_cond *c = &q->conds[i];
        if (!c->indexed || c->elements || c->nterms != 1 || point_term(&c->terms[0]) ||
            strcmp(c->indexed, q->conds[0].indexed) != 0)
            return 0;
        /* a like_ reads its rows alone (index_like) */
        if (c->terms[0].kind == CINTO_SQL_LIKE && q->nconds > 1)
            return 0;
    }
    return 1;
}

/* A like_ on a declared field (its one term). */
static int index_like(const cinto_sql_cond *c)
{
    return c->indexed && c->nterms == 1 && c->terms[0].kind == CINTO_SQL_LIKE;
}

/* Rows of a like_'s string rows sampled (a prefix's ranges: more, as they
 * may hold few rows, all matching), and the rows a read in the list's
 * order may expect to test at most, before a lone like_ scans its rows. */
#define LIKE_SAMPLE 1000
#define LIKE_PREFIX_SAMPLE 10000
#define LIKE_WALK_MAX 100000

/* Whether a lone like_ on a declared field (q->conds[0]) should scan its
 * string rows (in its prefix's ranges) and sort the matches by
 * last_modified, rather than read the list in order testing the pattern
 * on each record's JSON, which stops at the page's limit. The first
 * LIKE_SAMPLE (LIKE_PREFIX_SAMPLE) rows of those are tested: the scan when
 * that is all of them (it is short), or when their matches say a read in
 * order would test more than about LIKE_WALK_MAX records for q->limit
 * matches (a scan reads every row of the field once, a rare pattern read
 * in order every record). A cost choice only: both answer the same. */
static int like_scans(mdb *db, const cinto_list_query *q)
{
    const cinto_sql_term *t = &q->conds[0].terms[0];
    param *ps = calloc(cond_params(&q->conds[0]) * 2 + 4, sizeof *ps);
    cinto_buf sql = CINTO_BUF_INIT;
    rows r = {0};
    int scan = 1;
    if (!ps)
        return scan;
    cinto_buf_puts(&sql, "SELECT COUNT(*), COALESCE(SUM(");
    size_t n = put_index_term(&sql, t, ps, 0);
    cinto_buf_puts(&sql, "), 0) FROM (SELECT ix_rank, ix_str FROM `indexed_values` FORCE INDEX "
                         "(indexed_values_by_value) WHERE ix_parent = ? AND ix_field = ? "
                         "AND ix_kind = 0 AND ");
    ps[n++] = (param)P_S(q->parent);
    ps[n++] = (param)P_S(q->conds[0].indexed);
    n = put_like_rows(&sql, t, ps, n);
    cinto_buf_puts(&sql, ") LIMIT ?) AS ixs");
    long long most = t->nprefixes ? LIKE_PREFIX_SAMPLE : LIKE_SAMPLE;
    ps[n++] = (param)P_I(most + 1);
    int rc = sql.data ? run(db, 0, sql.data, ps, n, &r, NULL, NULL) : CINTO_ST_NOMEM;
    if (rc == CINTO_ST_OK && r.nrows && cell(&r, 0, 0) && cell(&r, 0, 1)) {
        long long sampled = strtoll(cell(&r, 0, 0), NULL, 10);
        long long matched = strtoll(cell(&r, 0, 1), NULL, 10);
        scan = sampled <= most || matched * LIKE_WALK_MAX < (q->limit > 0 ? q->limit : 1) * sampled;
    }
    rows_free(&r);
    cinto_buf_free(&sql);
    free(ps);
    return scan;
}

/* " WHERE …" of the value rows every condition of an index_range accepts. */
static size_t build_range_where(cinto_buf *sql, const cinto_list_query *q, param *ps, size_t n)
{
    cinto_buf_puts(sql, " WHERE ix_parent = ? AND ix_field = ? AND ix_kind = 0");
    ps[n++] = (param)P_S(q->parent);
    ps[n++] = (param)P_S(q->conds[0].indexed);
    for (size_t i = 0; i < q->nconds; i++) {
        cinto_buf_puts(sql, " AND ");
        n = put_index_term(sql, &q->conds[i].terms[0], ps, n);
    }
    return n;
}

/* The rows of an index_range, counted up to cap (cap when the count
 * fails). */
static long long index_range_count(mdb *db, const cinto_list_query *q, long long cap)
{
    param *ps = calloc(conds_params(q) + 4, sizeof *ps);
    cinto_buf sql = CINTO_BUF_INIT;
    rows r = {0};
    long long count = cap;
    if (!ps)
        return count;
    cinto_buf_puts(&sql, "SELECT COUNT(*) FROM (SELECT 1 FROM `indexed_values`");
    size_t n = build_range_where(&sql, q, ps, 0);
    cinto_buf_puts(&sql, " LIMIT ?) AS ixp");
    ps[n++] = (param)P_I(cap);
    int rc = sql.data ? run(db, 0, sql.data, ps, n, &r, NULL, NULL) : CINTO_ST_NOMEM;
    if (rc == CINTO_ST_OK && r.nrows && cell(&r, 0, 0))
        count = strtoll(cell(&r, 0, 0), NULL, 10);
    rows_free(&r);
    cinto_buf_free(&sql);
    free(ps);
    return count;
}

/* Chooses how a list read uses the index. A read in the list's own order
 * (no sort on a data field or id) with a single-value condition reads that
 * value's rows in order: never more rows than reading the whole list would
 * test, and a page of a common value comes first. Otherwise the condition
 * that accepts the fewest ids drives when that is at most INDEX_DRIVE_MAX;
 * MariaDB's own choice reads the list in order and probes the index per
 * row, whatever few rows match. Counts are read only when conditions
 * compete. */
static list_read index_driver(mdb *db, const cinto_list_query *q)
{
    list_read lr = {NULL, 0};
    const cinto_sql_cond *point = NULL, *best = NULL;
    long long point_n = LLONG_MAX, best_n = INDEX_DRIVE_MAX + 1;
    size_t nindexed = 0;
    /* Tombstones have no rows there, and C must see them. */
    if (q->include_deleted)
        return lr;
    int in_order = !q->sort_path && !q->sort_by_id && !q->sort_indexed;
    /* A lone in_ of a few values, with nothing that needs the objects to
     * narrow it (the merge's limits count index rows): each value's
     * newest rows, merged. */
    if (in_order && q->nconds == 1 && !q->ids && !q->shared_prefix &&
        index_points(&q->conds[0], CINTO_PLAN_MAX_IN) && q->conds[0].nterms > 1 &&
        q->limit <= INDEX_MERGE_MAX / (long long)q->conds[0].nterms) {
        lr.driver = &q->conds[0];
        lr.ordered = 2;
        return lr;
    }
    if (in_order && index_range(q) &&
        (index_like(&q->conds[0])
             ? like_scans(db, q)
             : index_range_count(db, q, INDEX_RANGE_MAX + 1) <= INDEX_RANGE_MAX)) {
        lr.driver = &q->conds[0];
        lr.ordered = 3;
        return lr;
    }
    /* Other like_ conditions test each record's JSON (build_conds): their
     * rows cannot be counted without reading them all. */
    for (size_t i = 0; i < q->nconds; i++)
        nindexed += q->conds[i].indexed && !index_like(&q->conds[i]);
    for (size_t i = 0; i < q->nconds; i++) {
        const cinto_sql_cond *c = &q->conds[i];
        if (!c->indexed || index_like(c))
            continue;
        int is_point = in_order && index_point(c);
        if (is_point && nindexed == 1) {
            point = c; /* nothing to compare with */
            break;
        }
        long long count = index_count_upto(db, q, c);
        if (is_point && count < point_n) {
            point = c;
            point_n = count;
        }
        if (count < best_n) {
            best = c;
            best_n = count;
        }
    }
    if (point && (!best || point_n <= best_n)) {
        lr.driver = point;
        lr.ordered = 1;
    } else {
        lr.driver = best;
    }
    return lr;
}

/* " AND ix_lm > ?"…: a list's last_modified bounds on index rows. */
static size_t put_lm_bounds(cinto_buf *sql, const cinto_list_query *q, param *ps, size_t n)
{
    struct {
        long long v;
        const char *frag;
    } bounds[] = {
        {q->gt_modified, " AND ix_lm > ?"},   {q->lt_modified, " AND ix_lm < ?"},
        {q->min_modified, " AND ix_lm >= ?"}, {q->max_modified, " AND ix_lm <= ?"},
        {q->eq_modified, " AND ix_lm = ?"},
    };
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        if (bounds[i].v < 0)
            continue;
        cinto_buf_puts(sql, bounds[i].frag);
        ps[n++] = (param)P_I(bounds[i].v);
    }
    return n;
}

/* Parameters build_merged_from binds for each value at most. */
#define MERGED_PARAMS_PER_TERM 9

/* ordered 2: for each value of c, its newest (or oldest) q->limit rows in
 * the index's order; their union (UNION: a value named twice counts once)
 * holds the list's first q->limit matches, which the outer ORDER BY ixd_lm
 * sorts (at most INDEX_MERGE_MAX rows). */
static size_t build_merged_from(cinto_buf *sql, const cinto_list_query *q, const cinto_sql_cond *c,
                                param *ps, size_t n)
{
    const char *dir = q->ascending ? "ASC" : "DESC";
    cinto_buf_puts(sql, " FROM (");
    for (size_t k = 0; k < c->nterms; k++) {
        const char *t = index_term_sql[c->terms[k].kind];
        cinto_buf_puts(sql, k ? " UNION (" : "(");
        cinto_buf_puts(sql, "SELECT ix_id AS ixd_id, ix_lm AS ixd_lm FROM `indexed_values`"
                            " WHERE ix_parent = ? AND ix_field = ? AND ix_kind = 0 AND ");
        ps[n++] = (param)P_S(q->parent);
        ps[n++] = (param)P_S(c->indexed);
        cinto_buf_puts(sql, t);
        if (strchr(t, '?'))
            ps[n++] = index_str(c->terms[k].text);
        n = put_lm_bounds(sql, q, ps, n);
        cinto_buf_printf(sql, " ORDER BY ix_rank %s, ix_str %s, ix_num %s, ix_lm %s LIMIT ?)", dir,
                         dir, dir, dir);
        ps[n++] = (param)P_I(q->limit);
    }
    cinto_buf_puts(sql, ") AS ixd STRAIGHT_JOIN `objects` ON id = ixd_id");
    return n;
}

/* The FROM clause of a list read: objects alone; or first the ids a
 * selective declared-field condition accepts (driver); or a single value's
 * rows in the list's order (ordered, within the list's last_modified
 * bounds so that a _since read stays short); and the value rows of a
 * declared sort field, read in their index's order when nothing drives
 * (STRAIGHT_JOIN: MariaDB would rather read objects and sort). */
static size_t build_list_from(cinto_buf *sql, const cinto_list_query *q, const list_read *lr,
                              param *ps, size_t n)
{
    static const char sort_on[] =
        " ON ix_parent = parent_id AND ix_id = id AND ix_field = ? AND ix_kind = 0";
    if (lr->ordered == 2)
        return build_merged_from(sql, q, lr->driver, ps, n);
    if (lr->ordered == 3) {
        /* at most INDEX_RANGE_MAX rows sorted, the page's joined; a
         * like_'s matches are few (like_scans), its rows read in the
         * narrow index rather than the primary key's whole rows */
        cinto_buf_puts(sql, " FROM (SELECT ix_id AS ixd_id, ix_lm AS ixd_lm FROM `indexed_values`");
        if (index_like(&q->conds[0]))
            cinto_buf_puts(sql, " FORCE INDEX (indexed_values_by_value)");
        n = build_range_where(sql, q, ps, n);
        n = put_lm_bounds(sql, q, ps, n);
        cinto_buf_printf(
            sql, " ORDER BY ix_lm %s LIMIT ?) AS ixd STRAIGHT_JOIN `objects` ON id = ixd_id",
            q->ascending ? "ASC" : "DESC");
        ps[n++] = (param)P_I(q->limit);
        return n;
    }
    if (lr->ordered) {
        const cinto_sql_cond *c = lr->driver;
        const char *t = index_term_sql[c->terms[0].kind];
        cinto_buf_puts(sql, " FROM `indexed_values` STRAIGHT_JOIN `objects`"
                            " ON ix_parent = parent_id AND ix_id = id AND ix_field = ?"
                            " AND ix_kind = 0 AND ");
        ps[n++] = (param)P_S(c->indexed);
        cinto_buf_puts(sql, t);
        if (strchr(t, '?'))
            ps[n++] = index_str(c->terms[0].text);
        return put_lm_bounds(sql, q, ps, n);
    }
    if (lr->driver) {
        cinto_buf_puts(sql, " FROM (SELECT DISTINCT ix_id AS ixd_id FROM `indexed_values`");
        n = build_index_where(sql, q, lr->driver, ps, n);
        cinto_buf_puts(sql, ") AS ixd STRAIGHT_JOIN `objects` ON id = ixd_id");
        if (q->sort_indexed)
            cinto_buf_printf(sql, " STRAIGHT_JOIN `indexed_values`%s", sort_on);
    } else if (q->sort_indexed) {
        cinto_buf_printf(sql, " FROM `indexed_values` STRAIGHT_JOIN `objects`%s", sort_on);
    } else {
        cinto_buf_puts(sql, " FROM `objects`");
    }
    if (q->sort_indexed)
        ps[n++] = (param)P_S(q->sort_indexed);
    return n;
}

/* The ORDER BY of a pushed sort on a data field: type rank (spec 02
 * §2.4), a string's bytes, a number as a double, then last_modified so that
 * chunks read with OFFSET are stable. Coarser than C's order on arrays,
 * objects and booleans (tied here), never contrary to it; C orders ties. */
static const char order_sql[] =
    " ORDER BY CASE JSON_TYPE(JSON_EXTRACT(data, ?)) WHEN 'NULL' THEN 0 WHEN 'STRING' THEN 1"
    " WHEN 'INTEGER' THEN 2 WHEN 'DOUBLE' THEN 2 WHEN 'BOOLEAN' THEN 3 WHEN 'ARRAY' THEN 4"
    " WHEN 'OBJECT' THEN 5 ELSE 6 END %s,"
    " CASE WHEN JSON_TYPE(JSON_EXTRACT(data, ?)) = 'STRING'"
    " THEN CAST(JSON_VALUE(data, ?) AS BINARY) END %s,"
    " CASE WHEN JSON_TYPE(JSON_EXTRACT(data, ?)) IN ('INTEGER', 'DOUBLE')"
    " THEN (JSON_VALUE(data, ?) + 0e0) END %s, last_modified DESC";
#define ORDER_SQL_PATHS 5

#define RANK_SQL                                                                                   \
    "CASE JSON_TYPE(JSON_EXTRACT(data, ?)) WHEN 'NULL' THEN 0 WHEN 'STRING' THEN 1"                \
    " WHEN 'INTEGER' THEN 2 WHEN 'DOUBLE' THEN 2 WHEN 'BOOLEAN' THEN 3 WHEN 'ARRAY' THEN 4"        \
    " WHEN 'OBJECT' THEN 5 ELSE 6 END"

/* Continues a pushed sort after a _token in SQL: a row after the token in
 * C's order is at or after it in the coarse SQL order, so this skips only
 * rows C would skip; C's cinto_after_token still decides the ties. */
static size_t build_sort_after(cinto_buf *sql, const cinto_list_query *q, param *ps, size_t n)
{
    const char *gt = q->sort_desc ? "<" : ">", *ge = q->sort_desc ? "<=" : ">=";
    if (q->sort_after_rank < 0)
        return n;
    if (q->sort_by_id) {
        if (q->sort_after_text) {
            cinto_buf_printf(sql, " AND id %s ?", ge);
            ps[n++] = (param)P_S(q->sort_after_text);
        }
        return n;
    }
    if (q->sort_indexed) {
        ps[n++] = (param)P_I(q->sort_after_rank);
        ps[n++] = (param)P_I(q->sort_after_rank);
        cinto_buf_printf(sql, " AND (ix_rank %s ? OR (ix_rank = ?", gt);
        if (q->sort_after_text && q->sort_after_rank == 1) {
            cinto_buf_printf(sql, " AND ix_str %s ?", ge);
            ps[n++] = index_str(q->sort_after_text);
        } else if (q->sort_after_text && q->sort_after_rank == 2) {
            cinto_buf_printf(sql, " AND ix_num %s CAST(? AS DOUBLE)", ge);
            ps[n++] = (param)P_S(q->sort_after_text);
        }
        cinto_buf_puts(sql, "))");
        return n;
    }
    ps[n++] = (param)P_S(q->sort_path);
    ps[n++] = (param)P_I(q->sort_after_rank);
    ps[n++] = (param)P_S(q->sort_path);
    ps[n++] = (param)P_I(q->sort_after_rank);
    cinto_buf_printf(sql, " AND (" RANK_SQL " %s ? OR (" RANK_SQL " = ?", gt);
    if (q->sort_after_text && q->sort_after_rank == 1)
        cinto_buf_printf(sql, " AND CAST(JSON_VALUE(data, ?) AS BINARY) %s CAST(? AS BINARY)", ge);
    else if (q->sort_after_text && q->sort_after_rank == 2)
        cinto_buf_printf(sql, " AND (JSON_VALUE(data, ?) + 0e0) %s (? + 0e0)", ge);
    if (q->sort_after_text && (q->sort_after_rank == 1 || q->sort_after_rank == 2)) {
        ps[n++] = (param)P_S(q->sort_path);
        ps[n++] = (param)P_S(q->sort_after_text);
    }
    cinto_buf_puts(sql, "))");
    return n;
}
#define SORT_AFTER_PARAMS 6

/* List reads and counts evaluate JSON on every candidate row: MariaDB
 * stops them after the configured time, and the answer names the setting
 * instead of a worker waiting for the read timeout. */
/* MariaDB's own bound on one statement (ms; 0: none), a decimal number
 * of seconds in the statement's text. */
static void put_statement_time(cinto_buf *sql, unsigned ms)
{
    if (ms)
        cinto_buf_printf(sql, "SET STATEMENT max_statement_time = %u.%03u FOR ", ms / 1000,
                         ms % 1000);
}

static void put_time_limit(const mdb *db, const cinto_list_query *q, cinto_buf *sql)
{
    unsigned ms = db->opt.list_time_limit_ms;
    /* What remains of a read of several statements (rare, and each such
     * statement is slow anyway: a new text, prepared anew, costs little). */
    if (q->time_left_ms && (!ms || q->time_left_ms < ms))
        ms = q->time_left_ms;
    put_statement_time(sql, ms);
}

static int list_failed(mdb *db, const cinto_list_query *q, int rc)
{
    if (rc == CINTO_ST_UNAVAILABLE && db->last_errno == 1969) {
        char msg[sizeof db->base.message];
        if (q->time_setting)
            cinto_list_time_message(msg, sizeof msg, q->time_setting, q->time_limit_ms);
        else
            cinto_list_time_message(msg, sizeof msg, NULL, db->opt.list_time_limit_ms);
        set_message(db, msg);
    }
    return rc;
}

/* Appends the planner's conditions; tombstones (read along with a
 * last_modified filter) are left to C, which sees them as served. */
static size_t build_conds(cinto_buf *sql, const cinto_list_query *q, param *ps, size_t n,
                          const list_read *lr)
{
    if (!q->nconds)
        return n;
    cinto_buf_puts(sql, " AND (deleted = 1 OR (1");
    for (size_t i = 0; i < q->nconds; i++) {
        const cinto_sql_cond *c = &q->conds[i];
        /* the driving condition's rows are the ones read (a range's:
         * every condition's) */
        if (lr && (c == lr->driver || lr->ordered == 3))
            continue;
        cinto_buf_puts(sql, " AND (");
        if (c->indexed && !index_like(c)) {
            /* Probes where a driver keeps the rows few; the list read
             * in order tests the semi-join MariaDB runs per row, cheaper
             * over thousands of rows. */
            n = build_index_cond(sql, q, c, ps, n, lr && lr->driver);
            cinto_buf_puts(sql, ")");
            continue;
        }
        for (size_t k = 0; k < c->nterms; k++) {
            const cinto_sql_term *t = &c->terms[k];
            assert(t->kind < sizeof term_sql / sizeof term_sql[0] && term_sql[t->kind].sql);
            cinto_buf_puts(sql, k ? " OR " : "");
            cinto_buf_puts(sql, term_sql[t->kind].sql);
            for (int p = 0; p < term_sql[t->kind].npath; p++)
                ps[n++] = (param)P_S(c->path);
            if (term_sql[t->kind].has_value)
                ps[n++] = (param)P_S(t->text);
        }
        cinto_buf_puts(sql, ")");
    }
    cinto_buf_puts(sql, "))");
    return n;
}

/* "…/" -> "…0": the end of the key range of the URIs below a prefix. */
static char *prefix_end(const char *prefix)
{
    size_t n = strlen(prefix);
    char *hi = n ? strdup(prefix) : NULL;
    if (hi)
        hi[n - 1]++;
    return hi;
}

/* " AND <column> IN (?, ?, …)" binding values. */
static size_t put_in_list(cinto_buf *sql, const char *column, const char *const *values, size_t n,
                          param *ps, size_t k)
{
    cinto_buf_printf(sql, " AND %s IN (", column);
    for (size_t i = 0; i < n; i++) {
        cinto_buf_puts(sql, i ? ", ?" : "?");
        ps[k++] = (param)P_S(values[i]);
    }
    cinto_buf_puts(sql, n ? ")" : "NULL)");
    return k;
}

/* The ACL rows of the requester in a list's URI range (after lead: a
 * FROM/WHERE or an AND), read by URI range or by principal, whichever
 * index MariaDB finds narrower. */
static size_t put_shared_acl(cinto_buf *sql, const char *lead, const char *prefix, const char *hi,
                             const char *const *perms, size_t nperms, const char *const *principals,
                             size_t nprincipals, param *ps, size_t k)
{
    cinto_buf_printf(sql, "%s object_uri >= ? AND object_uri < ?", lead);
    ps[k++] = (param)P_S(prefix);
    ps[k++] = (param)P_S(hi);
    k = put_in_list(sql, "principal", principals, nprincipals, ps, k);
    return put_in_list(sql, "permission", perms, nperms, ps, k);
}

/* Parameters of the shared-objects join. */
static size_t shared_params(const cinto_list_query *q)
{
    return q->shared_prefix ? 3 + q->nshared_perms + q->nshared_principals : 0;
}

/* The shared-objects restriction (spec 04 §4.7) as a semi-join on the
 * requester's ACL rows: MariaDB reads them by principal and either probes
 * the objects by key or the ACL per object, whichever costs less, and the
 * filters, order and LIMIT of the list apply as to any list. */
static size_t build_shared(cinto_buf *sql, const cinto_list_query *q, const char *hi, param *ps,
                           size_t n)
{
    if (!q->shared_prefix)
        return n;
    cinto_buf_puts(sql, " AND id IN (SELECT SUBSTRING(object_uri, ?)");
    ps[n++] = (param)P_I((long long)strlen(q->shared_prefix) + 1);
    n = put_shared_acl(sql, " FROM `acl` WHERE", q->shared_prefix, hi, q->shared_perms,
                       q->nshared_perms, q->shared_principals, q->nshared_principals, ps, n);
    cinto_buf_puts(sql, ")");
    return n;
}

/* Builds the WHERE clause of a list read from fixed fragments; only values
 * are bound. Returns the number of parameters. */
static int build_list_where(cinto_buf *sql, const cinto_list_query *q, param *ps, size_t max,
                            const list_read *lr)
{
    size_t n = 0;
    cinto_buf_puts(sql, " WHERE parent_id = ? AND resource_name = ?");
    ps[n++] = (param)P_S(q->parent);
    ps[n++] = (param)P_S(q->resource);
    if (!q->include_deleted)
        cinto_buf_puts(sql, " AND deleted = 0");
    struct {
        long long v;
        const char *frag;
    } conds[] = {
        {q->gt_modified, " AND last_modified > ?"},   {q->lt_modified, " AND last_modified < ?"},
        {q->min_modified, " AND last_modified >= ?"}, {q->max_modified, " AND last_modified <= ?"},
        {q->eq_modified, " AND last_modified = ?"},   {q->ne_modified, " AND last_modified <> ?"},
    };
    for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++) {
        if (conds[i].v < 0)
            continue;
        cinto_buf_puts(sql, conds[i].frag);
        ps[n++] = (param)P_I(conds[i].v);
    }
    if (q->ids) {
        cinto_buf_puts(sql, " AND id IN (");
        for (size_t i = 0; i < q->nids && n < max; i++) {
            cinto_buf_puts(sql, i ? ", ?" : "?");
            ps[n++] = (param)P_S(q->ids[i]);
        }
        if (q->nids == 0)
            cinto_buf_puts(sql, "NULL");
        cinto_buf_puts(sql, ")");
    }
    return (int)build_conds(sql, q, ps, n, lr);
}

#define LIST_MAX_PARAMS 16

/* A streamed list row (columns id, last_modified, deleted, data) moved
 * into an object for the caller's on_row: no copy of the JSON text. */
static int stream_object(rows *r, void *ctx)
{
    const cinto_list_query *q = ctx;
    cinto_object o = {0};
    o.id = r->vals[0] ? r->vals[0] : strdup("");
    r->vals[0] = NULL;
    o.last_modified = strtoll(cell(r, 0, 1) ? cell(r, 0, 1) : "0", NULL, 10);
    o.deleted = cell(r, 0, 2) && cell(r, 0, 2)[0] == '1';
    o.data = r->vals[3] ? r->vals[3] : strdup("{}");
    o.data_len = r->vals[3] ? r->lens[3] : 2;
    r->vals[3] = NULL;
    if (!o.id || !o.data) {
        cinto_object_clear(&o);
        return -1;
    }
    return q->on_row(q->row_ctx, &o);
}

static int m_list(cinto_storage *st, const cinto_list_query *q, cinto_object_list *out)
{
    mdb *db = (mdb *)st;
    memset(out, 0, sizeof *out);
    if (q->ids && q->nids > LIST_MAX_PARAMS - 8) {
        /* Large id sets are read in chunks and merged in order. */
        cinto_list_query sub = *q;
        cinto_object_list all = {0};
        sub.on_row = NULL; /* merged below, then streamed to the caller */
        for (size_t start = 0; start < q->nids; start += LIST_MAX_PARAMS - 8) {
            sub.ids = q->ids + start;
            sub.nids =
                q->nids - start < LIST_MAX_PARAMS - 8 ? q->nids - start : LIST_MAX_PARAMS - 8;
            cinto_object_list part;
            int rc = m_list(st, &sub, &part);
            if (rc != CINTO_ST_OK) {
                cinto_object_list_free(&all);
                return rc;
            }
            for (size_t i = 0; i < part.count; i++) {
                if (all.count == all.cap) {
                    size_t cap = all.cap ? all.cap * 2 : 16;
                    cinto_object *p = realloc(all.items, cap * sizeof *p);
                    if (!p) {
                        cinto_object_list_free(&part);
                        cinto_object_list_free(&all);
                        return CINTO_ST_NOMEM;
                    }
                    all.items = p;
                    all.cap = cap;
                }
                all.items[all.count++] = part.items[i];
            }
            free(part.items);
        }
        /* Sort by last_modified in the asked direction, then cut. */
        for (size_t i = 1; i < all.count; i++) {
            cinto_object t = all.items[i];
            size_t j = i;
            while (j > 0 && (q->ascending ? all.items[j - 1].last_modified > t.last_modified
                                          : all.items[j - 1].last_modified < t.last_modified)) {
                all.items[j] = all.items[j - 1];
                j--;
            }
            all.items[j] = t;
        }
        while (all.count > (size_t)q->limit)
            cinto_object_clear(&all.items[--all.count]);
        if (!q->on_row) {
            *out = all;
            return CINTO_ST_OK;
        }
        int rc = CINTO_ST_OK, e = 0;
        for (size_t i = 0; i < all.count; i++) {
            if (e == 0 && rc == CINTO_ST_OK && (e = q->on_row(q->row_ctx, &all.items[i])) < 0)
                rc = CINTO_ST_NOMEM;
            cinto_object_clear(&all.items[i]);
        }
        cinto_object_list_free(&all);
        return rc;
    }
    cinto_buf sql = CINTO_BUF_INIT;
    /* conds twice: one of them may also drive the read */
    /* 6: the driver's last_modified bounds; a merged read's per value */
    size_t merged = q->nconds ? q->conds[0].nterms * MERGED_PARAMS_PER_TERM : 0;
    param *ps = calloc(LIST_MAX_PARAMS + SORT_AFTER_PARAMS + ORDER_SQL_PATHS + 1 + 6 + merged +
                           2 * conds_params(q) + shared_params(q),
                       sizeof *ps);
    char *hi = q->shared_prefix ? prefix_end(q->shared_prefix) : NULL;
    int rc = CINTO_ST_NOMEM;
    if (!ps || (q->shared_prefix && !hi))
        goto done;
    put_time_limit(db, q, &sql);
    cinto_buf_puts(&sql, "SELECT id, last_modified, deleted, data");
    list_read lr = index_driver(db, q);
    int n = (int)build_list_from(&sql, q, &lr, ps, 0);
    n += build_list_where(&sql, q, ps + n, LIST_MAX_PARAMS - 1, &lr);
    n = (int)build_shared(&sql, q, hi, ps, (size_t)n);
    const char *dir = q->sort_desc ? "DESC" : "ASC";
    if (q->sort_path || q->sort_by_id || q->sort_indexed)
        n = (int)build_sort_after(&sql, q, ps, (size_t)n);
    if (q->sort_indexed) {
        /* In indexed_values_by_value's order (ix_lm, then ix_id: the
         * primary key's tail), so MariaDB reads the index and stops at the
         * limit; a different order would sort the whole list first. */
        cinto_buf_printf(&sql, " ORDER BY ix_rank %s, ix_str %s, ix_num %s, ix_lm %s, ix_id %s",
                         dir, dir, dir, dir, dir);
    } else if (q->sort_path) {
        cinto_buf_printf(&sql, order_sql, dir, dir, dir);
        for (int i = 0; i < ORDER_SQL_PATHS; i++)
            ps[n++] = (param)P_S(q->sort_path);
    } else if (q->sort_by_id) {
        cinto_buf_printf(&sql, " ORDER BY id %s", dir);
    } else if (lr.ordered == 2 || lr.ordered == 3) {
        cinto_buf_printf(&sql, " ORDER BY ixd_lm %s", q->ascending ? "ASC" : "DESC");
    } else if (lr.ordered) {
        /* The index's own order: one value, so in last_modified order. */
        dir = q->ascending ? "ASC" : "DESC";
        cinto_buf_printf(&sql, " ORDER BY ix_rank %s, ix_str %s, ix_num %s, ix_lm %s", dir, dir,
                         dir, dir);
    } else {
        cinto_buf_puts(&sql, q->ascending ? " ORDER BY last_modified ASC"
                                          : " ORDER BY last_modified DESC");
    }
    cinto_buf_puts(&sql, " LIMIT ?");
    ps[n++] = (param)P_I(q->limit);
    if (q->sort_path || q->sort_by_id || q->sort_indexed) {
        cinto_buf_puts(&sql, " OFFSET ?");
        ps[n++] = (param)P_I(q->sort_offset);
    }
    if (!sql.data)
        goto done;
    rows r = {0};
    if (q->on_row) {
        r.each = stream_object;
        r.each_ctx = (void *)q;
    }
    rc = run(db, 0, sql.data, ps, (size_t)n, &r, NULL, NULL);
    if (rc != CINTO_ST_OK || q->on_row) {
        rows_free(&r);
        list_failed(db, q, rc);
        goto done;
    }
    out->items = calloc(r.nrows ? r.nrows : 1, sizeof *out->items);
    if (!out->items) {
        rows_free(&r);
        rc = CINTO_ST_NOMEM;
        goto done;
    }
    out->cap = r.nrows;
    for (size_t i = 0; i < r.nrows; i++) {
        rc = take_object(&r, i, 0, &out->items[out->count++]);
        if (rc != CINTO_ST_OK)
            break;
    }
    rows_free(&r);
    if (rc != CINTO_ST_OK)
        cinto_object_list_free(out);
done:
    free(hi);
    free(ps);
    cinto_buf_free(&sql);
    return rc;
}

/* A count that one exact condition on a declared field answers alone. */
static int index_count_exact(const cinto_list_query *q)
{
    return q->nconds == 1 && q->conds[0].indexed && q->conds[0].exact && !q->ids &&
           !q->include_deleted && q->gt_modified < 0 && q->lt_modified < 0 && q->min_modified < 0 &&
           q->max_modified < 0 && q->eq_modified < 0 && q->ne_modified < 0;
}

static int m_count(cinto_storage *st, const cinto_list_query *q, long long *count)
{
    if (q->ids && q->nids > LIST_MAX_PARAMS - 8) {
        cinto_list_query sub = *q;
        *count = 0;
        for (size_t start = 0; start < q->nids; start += LIST_MAX_PARAMS - 8) {
            long long part = 0;
            sub.ids = q->ids + start;
            sub.nids =
                q->nids - start < LIST_MAX_PARAMS - 8 ? q->nids - start : LIST_MAX_PARAMS - 8;
            int rc = m_count(st, &sub, &part);
            if (rc != CINTO_ST_OK)
                return rc;
            *count += part;
        }
        return CINTO_ST_OK;
    }
    cinto_buf sql = CINTO_BUF_INIT;
    param *ps = calloc(LIST_MAX_PARAMS + conds_params(q) + shared_params(q), sizeof *ps);
    char *hi = q->shared_prefix ? prefix_end(q->shared_prefix) : NULL;
    if (!ps || (q->shared_prefix && !hi)) {
        free(ps);
        free(hi);
        return CINTO_ST_NOMEM;
    }
    put_time_limit((mdb *)st, q, &sql);
    int n;
    if (q->shared_prefix) {
        /* Shared objects: a plain join on the requester's ACL rows counted
         * by distinct id, which MariaDB runs at about half the cost of the
         * list reads' semi-join (no duplicate weedout table). Column names
         * of objects and acl do not clash. */
        cinto_buf_puts(&sql, "SELECT COUNT(DISTINCT id) FROM `objects` JOIN `acl` "
                             "ON id = SUBSTRING(object_uri, ?)");
        ps[0] = (param)P_I((long long)strlen(q->shared_prefix) + 1);
        n = 1 + build_list_where(&sql, q, ps + 1, LIST_MAX_PARAMS, NULL);
        n = (int)put_shared_acl(&sql, " AND", q->shared_prefix, hi, q->shared_perms,
                                q->nshared_perms, q->shared_principals, q->nshared_principals, ps,
                                (size_t)n);
    } else if (index_count_exact(q)) {
        /* The declared field's rows are the answer (live records only). */
        /* one value row per record; elements may repeat a record */
        cinto_buf_puts(&sql, q->conds[0].elements
                                 ? "SELECT COUNT(DISTINCT ix_id) FROM `indexed_values`"
                                 : "SELECT COUNT(*) FROM `indexed_values`");
        n = (int)build_index_where(&sql, q, &q->conds[0], ps, 0);
    } else {
        cinto_buf_puts(&sql, "SELECT COUNT(*) FROM `objects`");
        n = build_list_where(&sql, q, ps, LIST_MAX_PARAMS, NULL);
    }
    if (!sql.data) {
        free(ps);
        free(hi);
        return CINTO_ST_NOMEM;
    }
    rows r = {0};
    int rc = run((mdb *)st, 0, sql.data, ps, (size_t)n, &r, NULL, NULL);
    free(ps);
    free(hi);
    cinto_buf_free(&sql);
    if (rc != CINTO_ST_OK)
        return list_failed((mdb *)st, q, rc);
    *count = r.nrows && cell(&r, 0, 0) ? strtoll(cell(&r, 0, 0), NULL, 10) : 0;
    rows_free(&r);
    return CINTO_ST_OK;
}

/* The list's count row (sql/006): one number read as the timestamps are. */
static int read_live(mdb *db, const char *parent, const char *resource, long long *n)
{
    return read_ts(db, ST_LC_READ, parent, resource, n);
}

/* Counts the list once into its row, in a transaction of its own that
 * holds the list's revisions row as writers do, so no write slips
 * between the COUNT and the row. */
static int seed_live(mdb *db, const char *parent, const char *resource, long long now_ms,
                     long long *n)
{
    long long hwm;
    int rc = m_begin(&db->base);
    if (rc != CINTO_ST_OK)
        return rc;
    rc = read_or_create_ts(db, ST_TS_SELECT_LOCK, ST_TS_CREATE_LOCKED, parent, resource, now_ms,
                           &hwm);
    param seed[] = {P_S(parent), P_S(resource), P_S(parent), P_S(resource)};
    if (rc == CINTO_ST_OK)
        rc = run(db, ST_LC_SEED, NULL, seed, 4, NULL, NULL, NULL);
    if (rc == CINTO_ST_OK)
        rc = read_live(db, parent, resource, n);
    if (rc == CINTO_ST_NOTFOUND)
        rc = CINTO_ST_FAIL;
    if (rc == CINTO_ST_OK)
        rc = m_commit(&db->base);
    else
        m_rollback(&db->base);
    return rc;
}

/* The live objects of a list: one primary-key read of its count row.
 * Without a row, the list is counted once and the row kept; inside a
 * caller's transaction or read-only (now_ms < 0) it is only counted. */
static int m_list_count(cinto_storage *st, const char *parent, const char *resource,
                        long long now_ms, long long *n)
{
    mdb *db = (mdb *)st;
    int rc = read_live(db, parent, resource, n);
    if (rc != CINTO_ST_NOTFOUND)
        return rc;
    if (now_ms >= 0 && !db->in_tx)
        return seed_live(db, parent, resource, now_ms, n);
    cinto_list_query q = {.parent = parent,
                          .resource = resource,
                          .gt_modified = -1,
                          .lt_modified = -1,
                          .min_modified = -1,
                          .max_modified = -1,
                          .eq_modified = -1,
                          .ne_modified = -1,
                          .sort_after_rank = -1};
    return m_count(st, &q, n);
}

/* "U/" and "U0": the key range of everything strictly below U. */
static int below_range(const char *uri, char **lo, char **hi)
{
    size_t n = strlen(uri);
    *lo = malloc(n + 2);
    *hi = malloc(n + 2);
    if (!*lo || !*hi) {
        free(*lo);
        free(*hi);
        return CINTO_ST_NOMEM;
    }
    memcpy(*lo, uri, n);
    memcpy(*hi, uri, n);
    (*lo)[n] = '/';
    (*hi)[n] = '0';
    (*lo)[n + 1] = (*hi)[n + 1] = '\0';
    return CINTO_ST_OK;
}

static int m_purge_below(cinto_storage *st, const char *uri, long long now_ms)
{
    mdb *db = (mdb *)st;
    char *lo, *hi;
    int rc = below_range(uri, &lo, &hi);
    if (rc != CINTO_ST_OK)
        return rc;
    /* The lists' revisions rows first, then their objects and counts: the
     * order every writer of those lists locks them in, so a cascade and a
     * write below it queue instead of deadlocking. */
    param p4[] = {P_I(now_ms), P_S(uri), P_S(lo), P_S(hi)};
    rc = run(db, ST_PURGE_BUMP, NULL, p4, 4, NULL, NULL, NULL);
    param p3[] = {P_S(uri), P_S(lo), P_S(hi)};
    if (rc == CINTO_ST_OK)
        rc = run(db, ST_PURGE_OBJECTS, NULL, p3, 3, NULL, NULL, NULL);
    /* The lists below are empty now: a list made again there is counted
     * afresh (no row). */
    if (rc == CINTO_ST_OK)
        rc = run(db, ST_LC_PURGE, NULL, p3, 3, NULL, NULL, NULL);
    param p2[] = {P_S(lo), P_S(hi)};
    if (rc == CINTO_ST_OK)
        rc = run(db, ST_PURGE_ACL, NULL, p2, 2, NULL, NULL, NULL);
    if (rc == CINTO_ST_OK)
        rc = run(db, ST_PURGE_MEMBERS, NULL, p2, 2, NULL, NULL, NULL);
    free(lo);
    free(hi);
    return rc;
}

/* ---- permissions --------------------------------------------------------- */

static int m_acl_get(cinto_storage *st, size_t n, const char *const *uris, cinto_ace_list *out)
{
    mdb *db = (mdb *)st;
    memset(out, 0, sizeof *out);
    for (size_t start = 0; start < n; start += 4) {
        param ps[4];
        for (size_t k = 0; k < 4; k++)
            ps[k] = (param)P_S(uris[start + k < n ? start + k : start]);
        rows r = {0};
        int rc = run(db, ST_ACL_GET4, NULL, ps, 4, &r, NULL, NULL);
        for (size_t i = 0; i < r.nrows && rc == CINTO_ST_OK; i++)
            rc = push_ace(out, cell(&r, i, 0), cell(&r, i, 1), cell(&r, i, 2));
        rows_free(&r);
        if (rc != CINTO_ST_OK) {
            cinto_ace_list_free(out);
            return rc;
        }
    }
    return CINTO_ST_OK;
}

static int m_acl_set(cinto_storage *st, const char *uri, const char *permission,
                     const char *const *principals, size_t n, int had_entries)
{
    mdb *db = (mdb *)st;
    param pd[] = {P_S(uri), P_S(permission)};
    int rc = had_entries ? run(db, ST_ACL_DEL_PERM, NULL, pd, 2, NULL, NULL, NULL) : CINTO_ST_OK;
    for (size_t i = 0; i < n && rc == CINTO_ST_OK; i++) {
        param pi[] = {P_S(uri), P_S(permission), P_S(principals[i])};
        rc = run(db, ST_ACL_INSERT, NULL, pi, 3, NULL, NULL, NULL);
    }
    return rc;
}

static int m_acl_clear(cinto_storage *st, const char *uri)
{
    param ps[] = {P_S(uri)};
    return run((mdb *)st, ST_ACL_CLEAR, NULL, ps, 1, NULL, NULL, NULL);
}

static int m_acl_shared_any(cinto_storage *st, const char *uri_prefix, const char *const *perms,
                            size_t nperms, const char *const *principals, size_t nprincipals,
                            int *any)
{
    mdb *db = (mdb *)st;
    *any = 0;
    char *hi = prefix_end(uri_prefix);
    param *ps = calloc(nperms + nprincipals + 3, sizeof *ps);
    cinto_buf sql = CINTO_BUF_INIT;
    int rc = CINTO_ST_NOMEM;
    if (!hi || !ps)
        goto done;
    cinto_buf_puts(&sql, "SELECT 1");
    size_t k = put_shared_acl(&sql, " FROM `acl` WHERE", uri_prefix, hi, perms, nperms, principals,
                              nprincipals, ps, 0);
    /* Direct children only: nothing after the id. */
    cinto_buf_puts(&sql, " AND LOCATE('/', object_uri, ?) = 0 LIMIT 1");
    ps[k++] = (param)P_I((long long)strlen(uri_prefix) + 1);
    if (!sql.data)
        goto done;
    rows r = {0};
    rc = run(db, 0, sql.data, ps, k, &r, NULL, NULL);
    *any = rc == CINTO_ST_OK && r.nrows > 0;
    rows_free(&r);
done:
    cinto_buf_free(&sql);
    free(ps);
    free(hi);
    return rc;
}

static int m_groups_of(cinto_storage *st, size_t n, const char *const *principals, cinto_strv *out)
{
    mdb *db = (mdb *)st;
    for (size_t start = 0; start < n; start += 2) {
        param ps[2] = {P_S(principals[start]), P_S(principals[start + 1 < n ? start + 1 : start])};
        rows r = {0};
        int rc = run(db, ST_GROUPS_OF2, NULL, ps, 2, &r, NULL, NULL);
        if (rc != CINTO_ST_OK)
            return rc;
        for (size_t i = 0; i < r.nrows; i++) {
            int dup = 0;
            for (size_t k = 0; k < out->count && !dup; k++)
                dup = strcmp(out->items[k], cell(&r, i, 0)) == 0;
            if (!dup && cinto_strv_push(out, cell(&r, i, 0)) < 0) {
                rows_free(&r);
                return CINTO_ST_NOMEM;
            }
        }
        rows_free(&r);
    }
    return CINTO_ST_OK;
}

static int m_set_members(cinto_storage *st, const char *group_uri, const char *const *members,
                         size_t n)
{
    mdb *db = (mdb *)st;
    param pd[] = {P_S(group_uri)};
    int rc = run(db, ST_MEMBERS_DEL, NULL, pd, 1, NULL, NULL, NULL);
    for (size_t i = 0; i < n && rc == CINTO_ST_OK; i++) {
        param pi[] = {P_S(members[i]), P_S(group_uri)};
        rc = run(db, ST_MEMBERS_INSERT, NULL, pi, 2, NULL, NULL, NULL);
    }
    return rc;
}

static int m_each_below(cinto_storage *st, const char *uri,
                        int (*fn)(void *arg, const char *parent, const char *resource,
                                  const cinto_object *o),
                        void *arg)
{
    char *lo, *hi;
    int rc = below_range(uri, &lo, &hi);
    if (rc != CINTO_ST_OK)
        return rc;
    param ps[] = {P_S(uri), P_S(lo), P_S(hi)};
    rows r = {0};
    rc = run((mdb *)st, ST_LIVE_BELOW, NULL, ps, 3, &r, NULL, NULL);
    /* Every row is fetched before fn runs: fn may use the connection. */
    for (size_t i = 0; i < r.nrows && rc == CINTO_ST_OK; i++) {
        cinto_object o = {0};
        rc = take_object(&r, i, 2, &o);
        if (rc == CINTO_ST_OK)
            rc = fn(arg, cell(&r, i, 0), cell(&r, i, 1), &o);
        cinto_object_clear(&o);
    }
    rows_free(&r);
    free(lo);
    free(hi);
    return rc;
}

/* Up to ACL_ADD_MAX principals per statement: the statement text depends
 * only on the count, so few shapes reach the statement cache. */
#define ACL_ADD_MAX 16

static int m_acl_add(cinto_storage *st, const char *uri, const char *permission,
                     const char *const *principals, size_t n)
{
    int rc = CINTO_ST_OK;
    for (size_t start = 0; start < n && rc == CINTO_ST_OK; start += ACL_ADD_MAX) {
        size_t k = n - start < ACL_ADD_MAX ? n - start : ACL_ADD_MAX;
        param ps[3 * ACL_ADD_MAX];
        cinto_buf sql = CINTO_BUF_INIT;
        cinto_buf_puts(&sql,
                       "INSERT IGNORE INTO `acl` (object_uri, permission, principal) VALUES ");
        for (size_t i = 0; i < k; i++) {
            cinto_buf_puts(&sql, i ? ", (?, ?, ?)" : "(?, ?, ?)");
            ps[3 * i] = (param)P_S(uri);
            ps[3 * i + 1] = (param)P_S(permission);
            ps[3 * i + 2] = (param)P_S(principals[start + i]);
        }
        rc = sql.data ? run((mdb *)st, 0, sql.data, ps, 3 * k, NULL, NULL, NULL) : CINTO_ST_NOMEM;
        cinto_buf_free(&sql);
    }
    return rc;
}

/* Batches of PURGE_MAX ids per statement, as acl_add. */
#define PURGE_MAX 16

static int m_purge_objects(cinto_storage *st, const char *parent, const char *resource,
                           const char *const *ids, const char *const *uris, size_t n)
{
    int rc = CINTO_ST_OK;
    long long live = 0;
    for (size_t start = 0; start < n && rc == CINTO_ST_OK; start += PURGE_MAX) {
        size_t k = n - start < PURGE_MAX ? n - start : PURGE_MAX;
        param ps[PURGE_MAX + 3] = {P_S(parent), P_S(resource), P_I(0)};
        cinto_buf objs = CINTO_BUF_INIT, acl = CINTO_BUF_INIT;
        /* Live rows, then tombstones: the first count is what the list's
         * live count loses. */
        cinto_buf_puts(&objs, "DELETE FROM `objects` WHERE parent_id = ? AND resource_name = ? AND "
                              "deleted = ? AND id IN (");
        cinto_buf_puts(&acl, "DELETE FROM `acl` WHERE object_uri IN (");
        for (size_t i = 0; i < k; i++) {
            cinto_buf_puts(&objs, i ? ", ?" : "?");
            cinto_buf_puts(&acl, i ? ", ?" : "?");
            ps[3 + i] = (param)P_S(ids[start + i]);
        }
        cinto_buf_putc(&objs, ')');
        cinto_buf_putc(&acl, ')');
        unsigned long long affected = 0;
        rc = objs.data && acl.data ? run((mdb *)st, 0, objs.data, ps, k + 3, NULL, &affected, NULL)
                                   : CINTO_ST_NOMEM;
        live += (long long)affected;
        ps[2] = (param)P_I(1);
        if (rc == CINTO_ST_OK)
            rc = run((mdb *)st, 0, objs.data, ps, k + 3, NULL, NULL, NULL);
        for (size_t i = 0; i < k; i++)
            ps[i] = (param)P_S(uris[start + i]);
        if (rc == CINTO_ST_OK)
            rc = run((mdb *)st, 0, acl.data, ps, k, NULL, NULL, NULL);
        cinto_buf_free(&objs);
        cinto_buf_free(&acl);
    }
    if (rc == CINTO_ST_OK)
        rc = count_add((mdb *)st, parent, resource, -live);
    return rc;
}

/* Tables come from the catalogue (plugins may own some), never from a
 * request; names are checked before they are quoted into DELETE. DELETE,
 * not TRUNCATE: it stays inside the transaction. */
/* Every table of cinto's (those the migrations create: with a table
 * prefix the database may hold other applications' tables), in one
 * DELETE each, inside the caller's transaction; the schema version stays. */
static int m_flush(cinto_storage *st)
{
    mdb *db = (mdb *)st;
    cinto_strv tables = {0};
    int rc = CINTO_ST_OK;
    for (int i = 0; cinto_migrations[i] && rc == CINTO_ST_OK; i++)
        if (cinto_sql_tables(cinto_migrations[i], &tables) < 0)
            rc = CINTO_ST_NOMEM;
    for (size_t i = 0; i < tables.count && rc == CINTO_ST_OK; i++) {
        if (strcmp(tables.items[i], "cinto_schema_version") == 0)
            continue;
        char sql[128];
        cinto_buf text = CINTO_BUF_INIT;
        snprintf(sql, sizeof sql, "DELETE FROM `%.64s`", tables.items[i]);
        if (cinto_sql_prefix(sql, db->opt.table_prefix, &text, db->base.last_error,
                             sizeof db->base.last_error) < 0)
            rc = CINTO_ST_FAIL;
        else
            rc = query_text(db, cinto_buf_str(&text));
        cinto_buf_free(&text);
    }
    cinto_strv_clear(&tables);
    return rc;
}

/* ---- accounts: verified-credentials cache --------------------------------- */

/* The table comes with migration 2; a database not migrated yet still
 * authenticates (without the cache) rather than failing every request. */
static int cache_missing(mdb *db, int rc)
{
    if (rc != CINTO_ST_FAIL || db->last_errno != ER_NO_SUCH_TABLE)
        return 0;
    cinto_log_once("account_cache missing", 3600,
                   "table account_cache is missing: account logins are not cached until the "
                   "database is upgraded (run `cinto.fcgi migrate`)");
    return 1;
}

static int m_account_get(cinto_storage *st, const char *parent, const char *resource,
                         const char *id, long long now_s, cinto_object *out, int *found,
                         cinto_cred_entry *entry)
{
    mdb *db = (mdb *)st;
    memset(entry, 0, sizeof *entry);
    *found = 0;
    param ps[] = {P_I(now_s), P_S(parent), P_S(resource), P_S(id)};
    rows r = {0};
    int rc = run(db, ST_ACCOUNT_GET, NULL, ps, 4, &r, NULL, NULL);
    if (cache_missing(db, rc))
        return m_get_many(st, 1, &parent, &resource, &id, out, found);
    if (rc != CINTO_ST_OK || r.nrows == 0) {
        rows_free(&r);
        return rc;
    }
    const char *data = cell(&r, 0, 2), *mac = cell(&r, 0, 3);
    out->id = strdup(id);
    out->last_modified = strtoll(cell(&r, 0, 0), NULL, 10);
    out->deleted = cell(&r, 0, 1)[0] == '1';
    out->data = strdup(data ? data : "{}");
    out->data_len = data ? r.lens[2] : 2;
    if (mac && strlen(mac) == 64 && cell(&r, 0, 4) && cell(&r, 0, 5)) {
        memcpy(entry->mac, mac, 65);
        entry->verified_at = strtoll(cell(&r, 0, 4), NULL, 10);
        entry->expires = strtoll(cell(&r, 0, 5), NULL, 10);
    }
    rows_free(&r);
    if (!out->id || !out->data) {
        cinto_object_clear(out);
        return CINTO_ST_NOMEM;
    }
    *found = 1;
    return CINTO_ST_OK;
}

static int m_account_cache_put(cinto_storage *st, const char *user, const char *mac,
                               long long now_s, long long expires)
{
    mdb *db = (mdb *)st;
    if (db->in_tx)
        return CINTO_ST_OK;
    param ps[] = {P_S(user), P_S(mac), P_I(now_s), P_I(expires)};
    int rc = run(db, ST_ACCOUNT_CACHE_PUT, NULL, ps, 4, NULL, NULL, NULL);
    param pp[] = {P_I(now_s)};
    if (rc == CINTO_ST_OK)
        rc = run(db, ST_ACCOUNT_CACHE_PURGE, NULL, pp, 1, NULL, NULL, NULL);
    return cache_missing(db, rc) ? CINTO_ST_OK : rc;
}

static int m_account_cache_touch(cinto_storage *st, const char *user, const char *mac,
                                 long long expires)
{
    mdb *db = (mdb *)st;
    if (db->in_tx)
        return CINTO_ST_OK;
    param ps[] = {P_I(expires), P_S(user), P_S(mac)};
    int rc = run(db, ST_ACCOUNT_CACHE_TOUCH, NULL, ps, 3, NULL, NULL, NULL);
    return cache_missing(db, rc) ? CINTO_ST_OK : rc;
}

static int m_account_cache_forget(cinto_storage *st, const char *user)
{
    mdb *db = (mdb *)st;
    param ps[] = {P_S(user)};
    int rc = run(db, ST_ACCOUNT_CACHE_FORGET, NULL, ps, 1, NULL, NULL, NULL);
    return cache_missing(db, rc) ? CINTO_ST_OK : rc;
}

static int m_account_cache_flush(cinto_storage *st)
{
    mdb *db = (mdb *)st;
    int rc = run(db, ST_ACCOUNT_CACHE_FLUSH, NULL, NULL, 0, NULL, NULL, NULL);
    return cache_missing(db, rc) ? CINTO_ST_OK : rc;
}

/* Uris per statement: the resource and two bounds each stay within the
 * 16 parameters run_once binds. */
#define MARKS_MAX 7

static int push_mark(cinto_object_list *out, const char *parent, const char *ts)
{
    for (size_t i = 0; i < out->count; i++)
        if (strcmp(out->items[i].id, parent) == 0)
            return CINTO_ST_OK;
    if (out->count == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 16;
        cinto_object *p = realloc(out->items, cap * sizeof *p);
        if (!p)
            return CINTO_ST_NOMEM;
        out->items = p;
        out->cap = cap;
    }
    cinto_object *o = &out->items[out->count++];
    memset(o, 0, sizeof *o);
    o->id = strdup(parent);
    o->last_modified = strtoll(ts, NULL, 10);
    return o->id ? CINTO_ST_OK : CINTO_ST_NOMEM;
}

static int m_list_marks(cinto_storage *st, const char *resource, const char *const *uris, size_t n,
                        cinto_object_list *out)
{
    int rc = CINTO_ST_OK;
    memset(out, 0, sizeof *out);
    for (size_t start = 0; start < n && rc == CINTO_ST_OK; start += MARKS_MAX) {
        size_t k = n - start < MARKS_MAX ? n - start : MARKS_MAX;
        param ps[1 + 2 * MARKS_MAX] = {P_S(resource)};
        char *his[MARKS_MAX] = {0};
        size_t np = 1;
        cinto_buf sql = CINTO_BUF_INIT;
        cinto_buf_puts(&sql, "SELECT parent_id, last_modified FROM `revisions` WHERE "
                             "resource_name = ? AND (");
        for (size_t i = 0; i < k && rc == CINTO_ST_OK; i++) {
            const char *u = uris[start + i];
            size_t len = strlen(u);
            if (i)
                cinto_buf_puts(&sql, " OR ");
            ps[np++] = (param)P_S(u);
            if (len == 0 || u[len - 1] != '/') {
                cinto_buf_puts(&sql, "parent_id = ?");
                continue;
            }
            /* "P/" covers the range ["P/", "P0"): '0' follows '/'. */
            his[i] = strdup(u);
            if (!his[i]) {
                rc = CINTO_ST_NOMEM;
                break;
            }
            his[i][len - 1] = '0';
            ps[np++] = (param)P_S(his[i]);
            cinto_buf_puts(&sql, "(parent_id >= ? AND parent_id < ?)");
        }
        cinto_buf_putc(&sql, ')');
        rows r = {0};
        if (rc == CINTO_ST_OK)
            rc = sql.data ? run((mdb *)st, 0, sql.data, ps, np, &r, NULL, NULL) : CINTO_ST_NOMEM;
        for (size_t i = 0; i < r.nrows && rc == CINTO_ST_OK; i++)
            rc = push_mark(out, cell(&r, i, 0), cell(&r, i, 1));
        rows_free(&r);
        cinto_buf_free(&sql);
        for (size_t i = 0; i < k; i++)
            free(his[i]);
    }
    if (rc != CINTO_ST_OK)
        cinto_object_list_free(out);
    return rc;
}

static int m_acl_of_principal(cinto_storage *st, const char *principal, cinto_ace_list *out)
{
    param ps[] = {P_S(principal)};
    rows r = {0};
    memset(out, 0, sizeof *out);
    int rc = run((mdb *)st, ST_ACL_OF_PRINCIPAL, NULL, ps, 1, &r, NULL, NULL);
    for (size_t i = 0; i < r.nrows && rc == CINTO_ST_OK; i++)
        rc = push_ace(out, cell(&r, i, 0), cell(&r, i, 1), cell(&r, i, 2));
    rows_free(&r);
    if (rc != CINTO_ST_OK)
        cinto_ace_list_free(out);
    return rc;
}

static int m_forget_principal(cinto_storage *st, const char *principal)
{
    param ps[] = {P_S(principal)};
    int rc = run((mdb *)st, ST_ACL_FORGET, NULL, ps, 1, NULL, NULL, NULL);
    if (rc == CINTO_ST_OK)
        rc = run((mdb *)st, ST_MEMBERS_FORGET, NULL, ps, 1, NULL, NULL, NULL);
    return rc;
}

static int m_counters_add(cinto_storage *st, const char *resource, int shard, long long objects,
                          long long tombstones)
{
    param ps[] = {P_S(resource), P_I(shard), P_I(objects), P_I(tombstones)};
    return run((mdb *)st, ST_COUNTERS_ADD, NULL, ps, 4, NULL, NULL, NULL);
}

static int m_counters_read(cinto_storage *st, cinto_counts *out, size_t max, size_t *n)
{
    rows r = {0};
    *n = 0;
    int rc = run((mdb *)st, ST_COUNTERS_READ, NULL, NULL, 0, &r, NULL, NULL);
    for (size_t i = 0; i < r.nrows && *n < max && rc == CINTO_ST_OK; i++) {
        cinto_counts *c = &out[(*n)++];
        snprintf(c->resource, sizeof c->resource, "%s", cell(&r, i, 0) ? cell(&r, i, 0) : "");
        c->objects = cell(&r, i, 1) ? strtoll(cell(&r, i, 1), NULL, 10) : 0;
        c->tombstones = cell(&r, i, 2) ? strtoll(cell(&r, i, 2), NULL, 10) : 0;
    }
    rows_free(&r);
    return rc;
}

/* ---- attachment links (sql/005) -------------------------------------------- */

static int m_attachment_link(cinto_storage *st, const char *location, const char *bucket_uri,
                             const char *collection_uri, const char *record_uri, long long created)
{
    param ps[] = {P_S(location), P_S(bucket_uri), P_S(collection_uri), P_S(record_uri),
                  P_I(created)};
    return run((mdb *)st, ST_ATT_LINK, NULL, ps, 5, NULL, NULL, NULL);
}

/* The rows are read (and locked) first: most deletions concern records
 * without files, and then no DELETE is sent. */
static int m_attachment_unlink(cinto_storage *st, int by, const char *uri, cinto_strv *out)
{
    static const enum stmt_id sel[] = {ST_ATT_OF_RECORD, ST_ATT_OF_COLLECTION, ST_ATT_OF_BUCKET};
    static const enum stmt_id del[] = {ST_ATT_DEL_RECORD, ST_ATT_DEL_COLLECTION, ST_ATT_DEL_BUCKET};
    assert(by >= CINTO_ATT_BY_RECORD && by <= CINTO_ATT_BY_BUCKET);
    param ps[] = {P_S(uri)};
    rows r = {0};
    int rc = run((mdb *)st, sel[by], NULL, ps, 1, &r, NULL, NULL);
    for (size_t i = 0; i < r.nrows && rc == CINTO_ST_OK; i++)
        if (cinto_strv_push(out, cell(&r, i, 0) ? cell(&r, i, 0) : "") < 0 ||
            cinto_strv_push(out, cell(&r, i, 1) ? cell(&r, i, 1) : "") < 0)
            rc = CINTO_ST_NOMEM;
    if (rc == CINTO_ST_OK && r.nrows)
        rc = run((mdb *)st, del[by], NULL, ps, 1, NULL, NULL, NULL);
    rows_free(&r);
    return rc;
}

static int m_attachment_locations(cinto_storage *st, cinto_strv *out)
{
    rows r = {0};
    int rc = run((mdb *)st, ST_ATT_ALL, NULL, NULL, 0, &r, NULL, NULL);
    for (size_t i = 0; i < r.nrows && rc == CINTO_ST_OK; i++)
        if (cell(&r, i, 0) && cinto_strv_push(out, cell(&r, i, 0)) < 0)
            rc = CINTO_ST_NOMEM;
    rows_free(&r);
    return rc;
}

/* ---- declared indexed fields (sql/007) --------------------------------------- */

static int m_index_states(cinto_storage *st, const char *parent, cinto_index_field *out, size_t max,
                          size_t *n)
{
    rows r = {0};
    param ps[] = {P_S(parent), P_I((long long)max)};
    *n = 0;
    int rc = run((mdb *)st, ST_IX_STATES, NULL, ps, 2, &r, NULL, NULL);
    for (size_t i = 0; i < r.nrows && *n < max && rc == CINTO_ST_OK; i++) {
        cinto_index_field *f = &out[(*n)++];
        snprintf(f->field, sizeof f->field, "%s", cell(&r, i, 0) ? cell(&r, i, 0) : "");
        f->state = cell(&r, i, 1) ? atoi(cell(&r, i, 1)) : 0;
        snprintf(f->cursor, sizeof f->cursor, "%s", cell(&r, i, 2) ? cell(&r, i, 2) : "");
    }
    rows_free(&r);
    return rc;
}

static int m_index_set_state(cinto_storage *st, const char *parent, const char *field, int state,
                             const char *cursor)
{
    if (state == CINTO_INDEX_GONE) {
        param ps[] = {P_S(parent), P_S(field)};
        return run((mdb *)st, ST_IX_STATE_DEL, NULL, ps, 2, NULL, NULL, NULL);
    }
    param ps[] = {P_S(parent), P_S(field), P_I(state), P_S(cursor ? cursor : "")};
    return run((mdb *)st, ST_IX_STATE_PUT, NULL, ps, 4, NULL, NULL, NULL);
}

static int m_index_forget(cinto_storage *st, const char *parent, const char *id, const char *field)
{
    param ps[] = {P_S(parent), P_S(id), P_S(field ? field : "")};
    return run((mdb *)st, field ? ST_IX_FORGET_FIELD : ST_IX_FORGET, NULL, ps, field ? 3 : 2, NULL,
               NULL, NULL);
}

/* One multi-row INSERT: the statement text depends only on the number of
 * rows, values are bound. */
static int m_index_forget_range(cinto_storage *st, const char *parent, const char *after,
                                const char *upto, const char *field)
{
    param ps[] = {P_S(parent), P_S(after), P_S(upto), P_S(field)};
    return run((mdb *)st, ST_IX_FORGET_RANGE, NULL, ps, 4, NULL, NULL, NULL);
}

static int m_index_add(cinto_storage *st, const char *parent, const cinto_index_row *rows_in,
                       size_t n)
{
    enum { PER_ROW = 9 };
    if (!n)
        return CINTO_ST_OK;
    param *ps = calloc(n * PER_ROW, sizeof *ps);
    cinto_buf sql = CINTO_BUF_INIT;
    if (!ps)
        return CINTO_ST_NOMEM;
    cinto_buf_puts(&sql, "INSERT INTO `indexed_values` (ix_parent, ix_id, ix_field, ix_kind, "
                         "ix_pos, ix_rank, ix_str, ix_num, ix_lm) VALUES ");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const cinto_index_row *x = &rows_in[i];
        cinto_buf_puts(&sql, i ? ", (?, ?, ?, ?, ?, ?, ?, CAST(? AS DOUBLE), ?)"
                               : "(?, ?, ?, ?, ?, ?, ?, CAST(? AS DOUBLE), ?)");
        ps[k++] = (param)P_S(parent);
        ps[k++] = (param)P_S(x->id);
        ps[k++] = (param)P_S(x->field);
        ps[k++] = (param)P_I(x->kind);
        ps[k++] = (param)P_I(x->pos);
        ps[k++] = (param)P_I(x->rank);
        size_t len = x->str_len > CINTO_INDEX_STR_MAX ? CINTO_INDEX_STR_MAX : x->str_len;
        ps[k++] = x->str ? (param){'S', x->str, (unsigned long)len, 0} : (param){'n', NULL, 0, 0};
        ps[k++] = x->num ? (param)P_S(x->num) : (param){'n', NULL, 0, 0};
        ps[k++] = (param)P_I(x->last_modified);
    }
    int rc = sql.data ? run((mdb *)st, 0, sql.data, ps, k, NULL, NULL, NULL) : CINTO_ST_NOMEM;
    free(ps);
    cinto_buf_free(&sql);
    return rc;
}

static int m_index_drop(cinto_storage *st, const char *parent, int below, const char *field,
                        long long limit, long long *removed)
{
    mdb *db = (mdb *)st;
    unsigned long long affected = 0;
    int rc;
    if (field) {
        param ps[] = {P_S(parent), P_S(field), P_I(limit > 0 ? limit : LLONG_MAX)};
        rc = run(db, ST_IX_DROP_FIELD, NULL, ps, 3, NULL, &affected, NULL);
    } else if (below) {
        char *lo, *hi;
        rc = below_range(parent, &lo, &hi);
        if (rc != CINTO_ST_OK)
            return rc;
        param ps[] = {P_S(lo), P_S(hi)};
        rc = run(db, ST_IX_DROP_VALUES_BELOW, NULL, ps, 2, NULL, &affected, NULL);
        if (rc == CINTO_ST_OK)
            rc = run(db, ST_IX_DROP_STATES_BELOW, NULL, ps, 2, NULL, NULL, NULL);
        free(lo);
        free(hi);
    } else {
        param ps[] = {P_S(parent)};
        rc = run(db, ST_IX_DROP_VALUES, NULL, ps, 1, NULL, &affected, NULL);
        if (rc == CINTO_ST_OK)
            rc = run(db, ST_IX_DROP_STATES, NULL, ps, 1, NULL, NULL, NULL);
    }
    if (removed)
        *removed = (long long)affected;
    return rc;
}

static int m_index_restart(cinto_storage *st, const char *prefix, cinto_strv *parents)
{
    mdb *db = (mdb *)st;
    param ps[] = {P_S(prefix), P_S(prefix)};
    int rc = run(db, ST_IX_RESTART, NULL, ps, 2, NULL, NULL, NULL);
    rows r = {0};
    if (rc == CINTO_ST_OK)
        rc = run(db, ST_IX_PARENTS, NULL, ps, 2, &r, NULL, NULL);
    for (size_t i = 0; i < r.nrows && rc == CINTO_ST_OK; i++)
        if (cell(&r, i, 0) && cinto_strv_push(parents, cell(&r, i, 0)) < 0)
            rc = CINTO_ST_NOMEM;
    rows_free(&r);
    return rc;
}

/* ---- GET /permissions ------------------------------------------------------ */

/* Segment k of a URI ("/buckets/b/collections/c": 1 is "buckets", 2 "b"). */
#define PE_SEG(k) "SUBSTRING_INDEX(SUBSTRING_INDEX(uri, _binary'/', " #k " + 1), _binary'/', -1)"
#define PE_SLASHES "(LENGTH(uri) - LENGTH(REPLACE(uri, _binary'/', _binary'')))"
/* The kind of object a URI names; NULL for shapes that are not objects
 * listed by the endpoint (history entries, anything a plugin stores).
 * Ids never contain '/', so a kind is a pattern and an upper bound on the
 * slashes ('/%/%/%' needs three); LIKE is cheap on every row of a page
 * read, records (the most numerous) are tried first. */
static const char pe_kind[] =
    "(CASE WHEN uri LIKE _binary'/buckets/%/collections/%/records/%' "
    "AND uri NOT LIKE _binary'/%/%/%/%/%/%/%' THEN _binary'record' "
    "WHEN uri LIKE _binary'/buckets/%/collections/%' "
    "AND uri NOT LIKE _binary'/%/%/%/%/%' THEN _binary'collection' "
    "WHEN uri LIKE _binary'/buckets/%/groups/%' "
    "AND uri NOT LIKE _binary'/%/%/%/%/%' THEN _binary'group' "
    "WHEN uri LIKE _binary'/buckets/%' AND uri NOT LIKE _binary'/%/%/%' THEN _binary'bucket' "
    "WHEN uri LIKE _binary'/accounts/%' AND uri NOT LIKE _binary'/%/%/%' THEN _binary'account' "
    "WHEN uri = _binary'/' THEN _binary'root' END)";

/* The derived columns as expressions of a URI of a known kind (resource
 * name is pe_kind itself). */
static const char *const pe_columns[] = {
    [CINTO_PC_URI] = "uri",
    [CINTO_PC_RESOURCE_NAME] = NULL,
    [CINTO_PC_ID] = "(CASE WHEN uri <> _binary'/' THEN SUBSTRING_INDEX(uri, _binary'/', -1) END)",
    [CINTO_PC_BUCKET_ID] = "(CASE WHEN " PE_SEG(1) " = _binary'buckets' THEN " PE_SEG(2) " END)",
    [CINTO_PC_COLLECTION_ID] = "(CASE WHEN " PE_SEG(1) " = _binary'buckets' AND " PE_SEG(
        3) " = _binary'collections' THEN " PE_SEG(4) " END)",
    [CINTO_PC_GROUP_ID] = "(CASE WHEN " PE_SEG(1) " = _binary'buckets' AND " PE_SEG(
        3) " = _binary'groups' THEN " PE_SEG(4) " END)",
    [CINTO_PC_RECORD_ID] = "(CASE WHEN " PE_SLASHES " = 6 THEN " PE_SEG(6) " END)",
};

/* Permissions travel as bits (an integer column keeps the grouping in
 * memory, where a string aggregate would be a BLOB and go to disk). */
static const char *const pe_perms[] = {
    "read",         "write",         "read:attributes", "collection:create",
    "group:create", "record:create", "bucket:create",   "account:create"};
#define PE_NPERMS (sizeof pe_perms / sizeof pe_perms[0])

static long long pe_bit(const char *perm)
{
    for (size_t i = 0; i < PE_NPERMS; i++)
        if (strcmp(pe_perms[i], perm) == 0)
            return 1LL << i;
    return 0;
}

typedef struct pe_params {
    param *items;
    size_t count, cap;
} pe_params;

static int pe_push(pe_params *p, param v)
{
    if (p->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 32;
        param *n = realloc(p->items, cap * sizeof *n);
        if (!n)
            return -1;
        p->items = n;
        p->cap = cap;
    }
    p->items[p->count++] = v;
    return 0;
}

static const char *pe_key(const cinto_perm_query *q)
{
    return q->key == CINTO_PC_RESOURCE_NAME ? pe_kind : pe_columns[q->key];
}

/* The page position: strictly after the last entry served, in the order
 * of pe_order (absent key values last ascending, first descending). */
static int pe_after(cinto_buf *sql, pe_params *ps, const cinto_perm_query *q)
{
    int rc = 0;
    if (q->key == CINTO_PC_URI) {
        cinto_buf_printf(sql, " AND uri %s ?", q->order > 0 ? ">" : "<");
        return pe_push(ps, (param)P_S(q->after));
    }
    const char *k = pe_key(q), *ucmp = q->uri_order > 0 ? ">" : "<";
    if (q->after_key && q->order > 0)
        cinto_buf_printf(sql, " AND (%s > ? OR %s IS NULL OR (%s = ? AND uri %s ?))", k, k, k,
                         ucmp);
    else if (q->after_key)
        cinto_buf_printf(sql, " AND (%s < ? OR (%s = ? AND uri %s ?))", k, k, ucmp);
    else if (q->order > 0)
        cinto_buf_printf(sql, " AND %s IS NULL AND uri %s ?", k, ucmp);
    else
        cinto_buf_printf(sql, " AND (%s IS NOT NULL OR uri %s ?)", k, ucmp);
    if (q->after_key) {
        rc |= pe_push(ps, (param)P_S(q->after_key));
        rc |= pe_push(ps, (param)P_S(q->after_key));
    }
    rc |= pe_push(ps, (param)P_S(q->after));
    return rc;
}

static void pe_order(cinto_buf *sql, const cinto_perm_query *q)
{
    const char *dir = q->order > 0 ? "ASC" : "DESC";
    if (q->key == CINTO_PC_URI) {
        cinto_buf_printf(sql, " ORDER BY uri %s", dir);
        return;
    }
    const char *k = pe_key(q);
    cinto_buf_printf(sql, " ORDER BY (%s IS NULL) %s, %s %s, uri %s", k, dir, k, dir,
                     q->uri_order > 0 ? "ASC" : "DESC");
}

/* What every source row must satisfy, as a function of its URI alone: a
 * known kind, the filters, the page position. */
static int pe_where(cinto_buf *sql, pe_params *ps, const cinto_perm_query *q)
{
    int rc = 0;
    cinto_buf_puts(sql, pe_kind);
    cinto_buf_puts(sql, " IS NOT NULL");
    for (size_t i = 0; i < q->nfilters; i++) {
        const cinto_perm_filter *f = &q->filters[i];
        const char *col = f->column == CINTO_PC_RESOURCE_NAME ? pe_kind : pe_columns[f->column];
        if (!f->nvalues) {
            /* "one of no value": nothing matches; "none of them": all do. */
            cinto_buf_puts(sql, f->negate ? "" : " AND FALSE");
            continue;
        }
        if (f->negate && f->column == CINTO_PC_RESOURCE_NAME)
            cinto_buf_printf(sql, " AND (%s NOT IN (", col); /* never NULL here */
        else if (f->negate)
            cinto_buf_printf(sql, " AND (%s IS NULL OR %s NOT IN (", col, col);
        else
            cinto_buf_printf(sql, " AND %s IN (", col);
        for (size_t k = 0; k < f->nvalues; k++) {
            cinto_buf_puts(sql, k ? ", ?" : "?");
            rc |= pe_push(ps, (param)P_S(f->values[k]));
        }
        cinto_buf_puts(sql, f->negate ? "))" : ")");
    }
    if (q->order && q->after)
        rc |= pe_after(sql, ps, q);
    return rc;
}

/* The ACL rows of the principals (through the principal index), their
 * permission as a bit. */
static int pe_acl(cinto_buf *sql, pe_params *ps, const cinto_perm_query *q, int grouped)
{
    int rc = 0;
    cinto_buf_puts(sql, "SELECT uri, ");
    if (grouped)
        cinto_buf_puts(sql, "BIT_OR(");
    cinto_buf_puts(sql, "CASE permission");
    for (size_t i = 0; i < PE_NPERMS; i++)
        cinto_buf_printf(sql, " WHEN _binary'%s' THEN %lld", pe_perms[i], 1LL << i);
    cinto_buf_puts(sql, grouped ? " ELSE 0 END)" : " ELSE 0 END");
    cinto_buf_puts(sql,
                   " AS pm FROM (SELECT object_uri AS uri, permission, principal FROM `acl`) a "
                   "WHERE principal IN (");
    for (size_t i = 0; i < q->nprincipals; i++) {
        cinto_buf_puts(sql, i ? ", ?" : "?");
        rc |= pe_push(ps, (param)P_S(q->principals[i]));
    }
    cinto_buf_puts(sql, q->nprincipals ? ") AND " : "NULL) AND ");
    rc |= pe_where(sql, ps, q);
    if (grouped)
        cinto_buf_puts(sql, " GROUP BY uri");
    return rc;
}

/* One source per settings grant on objects: the live objects of its kind. */
static int pe_grant(cinto_buf *sql, pe_params *ps, const cinto_perm_query *q,
                    const cinto_perm_grant *g)
{
    int rc = 0;
    const char *kind = g->kind;
    const char *expr = strcmp(kind, "bucket") == 0 ? "CONCAT(_binary'/buckets/', id)"
                       : strcmp(kind, "collection") == 0
                           ? "CONCAT(parent_id, _binary'/collections/', id)"
                           : "CONCAT(parent_id, _binary'/groups/', id)";
    cinto_buf_printf(sql,
                     "SELECT uri, pm FROM (SELECT %s AS uri, ? AS pm FROM `objects` WHERE "
                     "resource_name = ? AND deleted = 0%s) o WHERE ",
                     expr, strcmp(kind, "bucket") == 0 ? " AND parent_id = _binary''" : "");
    rc |= pe_push(ps, (param)P_I(pe_bit(g->perm)));
    rc |= pe_push(ps, (param)P_S(kind));
    rc |= pe_where(sql, ps, q);
    return rc;
}

/* The root entry: every root-level grant (bucket:create, account:create) as
 * one row, since the endpoint lists one entry per URI (spec 04 §4.10 item 1c)
 * and the ungrouped shape below would otherwise give one "/" per grant. */
static int pe_root(cinto_buf *sql, pe_params *ps, const cinto_perm_query *q, long long bits)
{
    cinto_buf_puts(sql, "SELECT uri, pm FROM (SELECT _binary'/' AS uri, ? AS pm) r WHERE ");
    int rc = pe_push(ps, (param)P_I(bits));
    return rc | pe_where(sql, ps, q);
}

/* Two shapes. Without grants on objects (the usual case) the ACL rows are
 * grouped by URI directly and, for a page, ordered and cut in that same
 * branch; the root entry, if any, is one more row (pe_root). With grants on
 * objects every source is read first and grouped after. */
static int pe_build(cinto_buf *sql, pe_params *ps, const cinto_perm_query *q, int counting)
{
    int objects = 0, rc = 0;
    for (size_t i = 0; i < q->ngrants; i++)
        objects |= strcmp(q->grants[i].kind, "root") != 0;
    cinto_buf_puts(sql, counting ? "SELECT COUNT(*) FROM (" : "");
    cinto_buf_puts(sql,
                   objects ? "SELECT uri, BIT_OR(pm) AS pm FROM ((" : "SELECT uri, pm FROM ((");
    rc |= pe_acl(sql, ps, q, !objects);
    if (!objects && q->order && !counting) {
        pe_order(sql, q);
        if (q->limit > 0) {
            cinto_buf_puts(sql, " LIMIT ?");
            rc |= pe_push(ps, (param)P_I(q->limit));
        }
    }
    cinto_buf_puts(sql, ")");
    long long root = 0;
    for (size_t i = 0; i < q->ngrants; i++) {
        if (strcmp(q->grants[i].kind, "root") == 0) {
            root |= pe_bit(q->grants[i].perm);
            continue;
        }
        cinto_buf_puts(sql, " UNION ALL (");
        rc |= pe_grant(sql, ps, q, &q->grants[i]);
        cinto_buf_puts(sql, ")");
    }
    if (root) {
        cinto_buf_puts(sql, " UNION ALL (");
        rc |= pe_root(sql, ps, q, root);
        cinto_buf_puts(sql, ")");
    }
    cinto_buf_puts(sql, objects ? ") t GROUP BY uri" : ") t");
    if (counting) {
        cinto_buf_puts(sql, ") c");
        return rc;
    }
    if (q->order)
        pe_order(sql, q);
    if (q->limit > 0) {
        cinto_buf_puts(sql, " LIMIT ?");
        rc |= pe_push(ps, (param)P_I(q->limit));
    }
    return rc;
}

/* "read,write" from the bits of a row. */
static int pe_names(const char *bits, cinto_buf *out)
{
    long long v = bits ? strtoll(bits, NULL, 10) : 0;
    cinto_buf_reset(out);
    for (size_t i = 0; i < PE_NPERMS; i++)
        if (v & (1LL << i) && cinto_buf_printf(out, "%s%s", out->len ? "," : "", pe_perms[i]) < 0)
            return -1;
    return cinto_buf_puts(out, "") < 0 ? -1 : 0;
}

/* Every /permissions statement groups all the ACL rows of the caller's
 * principals, however small the page: MariaDB stops it after
 * kinto.storage_list_time_limit_seconds, as it stops list reads, and the
 * answer names the setting instead of a worker waiting on the read. */
static void pe_time_limit(const mdb *db, cinto_buf *sql)
{
    put_statement_time(sql, db->opt.list_time_limit_ms);
}

typedef struct pe_stream {
    const cinto_perm_query *q;
    cinto_buf names;
} pe_stream;

/* A streamed entry handed to the caller as it comes off the wire, so the
 * worker holds one row of the result at a time. */
static int pe_each(rows *r, void *ctx)
{
    pe_stream *s = ctx;
    if (!cell(r, 0, 0))
        return 0;
    if (pe_names(cell(r, 0, 1), &s->names) < 0)
        return -1;
    return s->q->on_entry(s->q->entry_ctx, cell(r, 0, 0), cinto_buf_str(&s->names));
}

static int m_permission_entries(cinto_storage *st, const cinto_perm_query *q, cinto_strv *out,
                                long long *count)
{
    mdb *db = (mdb *)st;
    cinto_buf sql = CINTO_BUF_INIT, names = CINTO_BUF_INIT;
    pe_params ps = {0};
    rows r = {0};
    pe_stream stream = {q, CINTO_BUF_INIT};
    int rc = CINTO_ST_NOMEM;
    pe_time_limit(db, &sql);
    if (pe_build(&sql, &ps, q, count != NULL) || !sql.data)
        goto done;
    if (q->on_entry && !count) {
        r.each = pe_each;
        r.each_ctx = &stream;
    }
    rc = run(db, 0, sql.data, ps.items, ps.count, &r, NULL, NULL);
    if (rc != CINTO_ST_OK) {
        /* 1969: ER_STATEMENT_TIMEOUT, max_statement_time reached (before
         * the first row or while rows streamed). */
        if (rc == CINTO_ST_UNAVAILABLE && db->last_errno == 1969) {
            char msg[500];
            cinto_perm_time_message(msg, sizeof msg, db->opt.list_time_limit_ms);
            set_message(db, msg);
        }
        goto done;
    }
    if (count) {
        *count = r.nrows && cell(&r, 0, 0) ? strtoll(cell(&r, 0, 0), NULL, 10) : 0;
        goto done;
    }
    for (size_t i = 0; i < r.nrows && rc == CINTO_ST_OK; i++)
        if (pe_names(cell(&r, i, 1), &names) < 0 || cinto_strv_push(out, cell(&r, i, 0)) < 0 ||
            cinto_strv_push(out, cinto_buf_str(&names)) < 0)
            rc = CINTO_ST_NOMEM;
done:
    rows_free(&r);
    free(ps.items);
    cinto_buf_free(&stream.names);
    cinto_buf_free(&names);
    cinto_buf_free(&sql);
    return rc;
}

static void m_close(cinto_storage *st)
{
    mdb *db = (mdb *)st;
    if (!db)
        return;
    disconnect(db);
    free(db->host);
    free(db->user);
    free(db->password);
    free(db->database);
    free(db->socket);
    free(db->found_socket);
    free(db);
}

static const cinto_storage_ops mariadb_ops = {
    .begin = m_begin,
    .commit = m_commit,
    .rollback = m_rollback,
    .rollback_all = m_rollback_all,
    .ping = m_ping,
    .list_timestamp = m_list_timestamp,
    .token_remember = m_token_remember,
    .token_take = m_token_take,
    .lock_list = m_lock_list,
    .raise_timestamp = m_raise_timestamp,
    .get_many = m_get_many,
    .load = m_load,
    .put = m_put,
    .tombstone = m_tombstone,
    .list = m_list,
    .count = m_count,
    .list_count = m_list_count,
    .purge_below = m_purge_below,
    .acl_get = m_acl_get,
    .acl_set = m_acl_set,
    .acl_clear = m_acl_clear,
    .acl_shared_any = m_acl_shared_any,
    .groups_of = m_groups_of,
    .set_members = m_set_members,
    .each_below = m_each_below,
    .acl_add = m_acl_add,
    .purge_objects = m_purge_objects,
    .flush = m_flush,
    .account_get = m_account_get,
    .account_cache_put = m_account_cache_put,
    .account_cache_touch = m_account_cache_touch,
    .account_cache_forget = m_account_cache_forget,
    .account_cache_flush = m_account_cache_flush,
    .list_marks = m_list_marks,
    .acl_of_principal = m_acl_of_principal,
    .forget_principal = m_forget_principal,
    .counters_add = m_counters_add,
    .counters_read = m_counters_read,
    .permission_entries = m_permission_entries,
    .attachment_link = m_attachment_link,
    .attachment_unlink = m_attachment_unlink,
    .attachment_locations = m_attachment_locations,
    .index_states = m_index_states,
    .index_set_state = m_index_set_state,
    .index_forget = m_index_forget,
    .index_forget_range = m_index_forget_range,
    .index_add = m_index_add,
    .index_drop = m_index_drop,
    .index_restart = m_index_restart,
    .close = m_close,
};

/* Every fixed statement goes through the table prefix once at start-up, so
 * that one written without backquotes stops the worker with a clear
 * message instead of failing (or using another table) later. */
static int check_statements(mdb *db, char *err, size_t errlen)
{
    for (int i = 0; i < ST_COUNT; i++) {
        cinto_buf text = CINTO_BUF_INIT;
        int rc = cinto_sql_prefix(stmt_sql[i], db->opt.table_prefix, &text, err, errlen);
        cinto_buf_free(&text);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- URL ------------------------------------------------------------------- */

static char *pct_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            char *end;
            long v = strtol(hex, &end, 16);
            if (*end == '\0' && end == hex + 2) {
                *o++ = (char)v;
                i += 2;
                continue;
            }
        }
        *o++ = s[i];
    }
    *o = '\0';
    return out;
}

/* mysql://user:password@host:port/db?unix_socket=/path (spec 08 §8.15). */
cinto_storage *cinto_mariadb_open(const char *url, const cinto_storage_options *opt, char *err,
                                  size_t errlen)
{
    const char *p;
    if (strncmp(url, "mysql://", 8) == 0)
        p = url + 8;
    else if (strncmp(url, "mariadb://", 10) == 0)
        p = url + 10;
    else {
        snprintf(err, errlen,
                 "kinto.storage_url must be a MariaDB URL "
                 "(mysql://user:password@host:port/database or "
                 "mysql://user:password@localhost/database?unix_socket=/path); got a URL of "
                 "another kind (cinto has no PostgreSQL or memory backend)");
        return NULL;
    }
    mdb *db = calloc(1, sizeof *db);
    if (!db) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    db->base.ops = &mariadb_ops;
    db->galera = -1;
    if (opt)
        db->opt = *opt;
    else if (cinto_storage_options_load(NULL, &db->opt, err, errlen) < 0) {
        free(db);
        return NULL;
    }
    const char *at = strrchr(p, '@');
    const char *slash = strchr(at ? at : p, '/');
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        db->user = pct_decode(p, colon ? (size_t)(colon - p) : (size_t)(at - p));
        if (colon)
            db->password = pct_decode(colon + 1, (size_t)(at - colon - 1));
        p = at + 1;
    }
    const char *hostend = slash ? slash : p + strlen(p);
    const char *q = strchr(p, '?');
    if (q && q < hostend)
        hostend = q;
    const char *pcolon = memchr(p, ':', (size_t)(hostend - p));
    db->host = pct_decode(p, pcolon ? (size_t)(pcolon - p) : (size_t)(hostend - p));
    if (pcolon)
        db->port = (unsigned)strtoul(pcolon + 1, NULL, 10);
    if (slash) {
        const char *dbend = strchr(slash, '?');
        size_t n = dbend ? (size_t)(dbend - slash - 1) : strlen(slash + 1);
        db->database = pct_decode(slash + 1, n);
    }
    q = strchr(hostend, '?');
    while (q) {
        q++;
        const char *amp = strchr(q, '&');
        size_t n = amp ? (size_t)(amp - q) : strlen(q);
        if (n > 12 && strncmp(q, "unix_socket=", 12) == 0) {
            free(db->socket);
            db->socket = pct_decode(q + 12, n - 12);
        }
        q = amp;
    }
    /* Never the URL itself in this message: it holds the password. */
    if (!db->host || !db->database || !*db->database) {
        snprintf(err, errlen,
                 "kinto.storage_url names no database: write its name after the host, as in "
                 "mysql://USER:PASSWORD@localhost/DATABASE");
        m_close(&db->base);
        return NULL;
    }
    if (check_statements(db, err, errlen) < 0) {
        m_close(&db->base);
        return NULL;
    }
    if (!*db->host) {
        free(db->host);
        db->host = strdup("localhost");
    }
    return &db->base;
}

/* ---- schema: version check, migrations, check ---------------------------- */

/* A migration's version is the number its file name starts with
 * (schema.sql is 1): numbers are reserved per feature, so the list may
 * have gaps and a version is never an index. */
static int migration_version(int i)
{
    const char *name = cinto_migration_names[i];
    return name[0] >= '0' && name[0] <= '9' ? atoi(name) : 1;
}

static int latest_version(void)
{
    int n = 0;
    while (cinto_migrations[n])
        n++;
    return n ? migration_version(n - 1) : 0;
}

/* Runs one text statement (no table in it) and returns the first column
 * of its first row as a number (*is_null when NULL or no row). */
static int query_int(mdb *db, const char *sql, long long *value, int *is_null)
{
    *value = 0;
    *is_null = 1;
    if (mysql_real_query(db->conn, sql, strlen(sql)))
        return fail(db, mysql_errno(db->conn), mysql_error(db->conn));
    MYSQL_RES *res = mysql_store_result(db->conn);
    if (!res)
        return mysql_errno(db->conn) ? fail(db, mysql_errno(db->conn), mysql_error(db->conn))
                                     : CINTO_ST_OK;
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row && row[0]) {
        *value = strtoll(row[0], NULL, 10);
        *is_null = 0;
    }
    mysql_free_result(res);
    return CINTO_ST_OK;
}

/* Migration versions are bits of a mask: numbers stay below 64. */
#define VERSION_BITS 64

/* The schema version of the database (the highest applied): 0 when the
 * version table does not exist (an empty database). *applied (when not
 * NULL) gets a bit per version applied: numbers are reserved per feature,
 * so one may land after a higher one was applied. */
static int applied_versions(mdb *db, int *version, unsigned long long *applied)
{
    *version = 0;
    if (applied)
        *applied = 0;
    cinto_buf text = CINTO_BUF_INIT;
    int rc = CINTO_ST_OK;
    if (cinto_sql_prefix("SELECT version FROM `cinto_schema_version`", db->opt.table_prefix, &text,
                         db->base.last_error, sizeof db->base.last_error) < 0) {
        rc = CINTO_ST_FAIL;
    } else if (mysql_real_query(db->conn, text.data, text.len)) {
        if (mysql_errno(db->conn) != ER_NO_SUCH_TABLE)
            rc = fail(db, mysql_errno(db->conn), mysql_error(db->conn));
    } else {
        MYSQL_RES *res = mysql_store_result(db->conn);
        if (!res)
            rc = fail(db, mysql_errno(db->conn), mysql_error(db->conn));
        for (MYSQL_ROW row; res && (row = mysql_fetch_row(res));) {
            int v = row[0] ? atoi(row[0]) : 0;
            if (v > *version)
                *version = v;
            if (applied && v > 0 && v < VERSION_BITS)
                *applied |= 1ULL << v;
        }
        mysql_free_result(res);
    }
    cinto_buf_free(&text);
    return rc;
}

static int current_version(mdb *db, int *version)
{
    return applied_versions(db, version, NULL);
}

/* Whether every migration of this binary is recorded as applied. */
static int all_applied(unsigned long long applied)
{
    for (int i = 0; cinto_migrations[i]; i++) {
        int v = migration_version(i);
        assert(v > 0 && v < VERSION_BITS);
        if (!(applied & (1ULL << v)))
            return 0;
    }
    return 1;
}

/* Galera replicates tables but not GET_LOCK: two nodes could both create
 * tables at once, so there the tables are left to `cinto.fcgi migrate`. */
static int on_galera(mdb *db)
{
    if (mysql_real_query(db->conn, "SELECT @@wsrep_on", 17)) {
        /* 1193: no such variable, a server without Galera. */
        if (mysql_errno(db->conn) != ER_UNKNOWN_SYSTEM_VARIABLE)
            fail(db, mysql_errno(db->conn), mysql_error(db->conn));
        return 0;
    }
    MYSQL_RES *res = mysql_store_result(db->conn);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    int on = row && row[0] && (strcmp(row[0], "1") == 0 || strcasecmp(row[0], "ON") == 0);
    mysql_free_result(res);
    return on;
}

/* A missing privilege while creating tables: the customer must import the
 * schema (or grant it); anything else is classified as usual. */
static int migration_failed(mdb *db, const char *name)
{
    unsigned e = mysql_errno(db->conn);
    const char *text = mysql_error(db->conn);
    if (e == ER_TABLEACCESS_DENIED_ERROR || e == ER_DBACCESS_DENIED_ERROR ||
        e == ER_SPECIFIC_ACCESS_DENIED_ERROR) {
        snprintf(db->base.last_error, sizeof db->base.last_error,
                 "cannot create the tables (migration %s): MariaDB error %u: %s", name, e, text);
        cinto_log_once("storage:migrate-denied", 60,
                       "%s; import sql/schema.sql (or the output of `cinto.fcgi schema`) or run "
                       "`cinto.fcgi migrate` as a user that may create tables",
                       db->base.last_error);
        set_message(db, cinto_msg_no_create);
        /* A GRANT reaches an open session only at its next USE: a new
         * connection sees it at once when the customer fixes this. */
        disconnect(db);
        return CINTO_ST_UNAVAILABLE;
    }
    int rc = fail(db, e, text);
    cinto_log("migration %s failed: %s", name, db->base.last_error);
    return rc == CINTO_ST_CONFLICT ? CINTO_ST_UNAVAILABLE : rc;
}

/* Runs one migration file: statements end with ";" at the end of a line;
 * lines starting with "--" are comments. The text is ours, compiled in. */
static int run_script(mdb *db, const char *name, const char *script)
{
    cinto_buf stmt = CINTO_BUF_INIT, text = CINTO_BUF_INIT;
    const char *line = script;
    int rc = CINTO_ST_OK;
    while (*line && rc == CINTO_ST_OK) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        const char *t = line;
        while (t < line + n && (*t == ' ' || *t == '\t'))
            t++;
        if (!(t + 1 < line + n && t[0] == '-' && t[1] == '-')) {
            cinto_buf_append(&stmt, line, n);
            cinto_buf_putc(&stmt, '\n');
            size_t e = n;
            while (e > 0 && (line[e - 1] == ' ' || line[e - 1] == '\t' || line[e - 1] == '\r'))
                e--;
            if (e > 0 && line[e - 1] == ';') {
                cinto_buf_reset(&text);
                if (cinto_sql_prefix(cinto_buf_str(&stmt), db->opt.table_prefix, &text,
                                     db->base.last_error, sizeof db->base.last_error) < 0)
                    rc = CINTO_ST_FAIL;
                else if (mysql_real_query(db->conn, text.data, text.len))
                    rc = migration_failed(db, name);
                cinto_buf_reset(&stmt);
            }
        }
        line = nl ? nl + 1 : line + n;
    }
    cinto_buf_free(&stmt);
    cinto_buf_free(&text);
    return rc;
}

/* The lock of one database and prefix: the first requests of several
 * workers arrive together on an empty database. */
static void lock_name(const mdb *db, char *out, size_t n)
{
    /* The prefix is [a-z0-9_] (checked), safe inside the literal. */
    snprintf(out, n, "LEFT(CONCAT('cinto_migrate:%s:', DATABASE()), 64)", db->opt.table_prefix);
}

/* from_zero: run every migration again (they are idempotent), for tables
 * lost after the version was recorded. */
static int migrate_locked(mdb *db, int from_zero)
{
    char name[128], sql[256];
    lock_name(db, name, sizeof name);
    unsigned wait = db->opt.read_timeout > 3 ? db->opt.read_timeout - 2 : 1;
    snprintf(sql, sizeof sql, "SELECT GET_LOCK(%s, %u)", name, wait);
    long long got;
    int is_null;
    int rc = query_int(db, sql, &got, &is_null);
    if (rc != CINTO_ST_OK)
        return rc;
    if (is_null || !got) {
        snprintf(db->base.last_error, sizeof db->base.last_error,
                 "another process holds the migration lock for more than %u s", wait);
        set_message(db, cinto_msg_migrating);
        return CINTO_ST_UNAVAILABLE;
    }
    /* Another worker may have finished while this one waited. */
    int version = 0;
    unsigned long long applied = 0;
    if (!from_zero)
        rc = applied_versions(db, &version, &applied);
    for (int i = 0; rc == CINTO_ST_OK && cinto_migrations[i]; i++) {
        if (applied & (1ULL << migration_version(i)))
            continue;
        rc = run_script(db, cinto_migration_names[i], cinto_migrations[i]);
        if (rc == CINTO_ST_OK)
            cinto_log("applied migration %s%s%s", cinto_migration_names[i],
                      db->opt.table_prefix[0] ? " with table prefix " : "", db->opt.table_prefix);
    }
    if (db->conn) {
        snprintf(sql, sizeof sql, "DO RELEASE_LOCK(%s)", name);
        mysql_real_query(db->conn, sql, strlen(sql));
    }
    return rc;
}

/* `migrate` repairs a dropped table too: the heartbeat query says. */
static int tables_missing(mdb *db)
{
    cinto_buf text = CINTO_BUF_INIT;
    int missing = 0;
    if (cinto_sql_prefix(health_sql, db->opt.table_prefix, &text, db->base.last_error,
                         sizeof db->base.last_error) == 0 &&
        mysql_real_query(db->conn, text.data, text.len))
        missing = mysql_errno(db->conn) == ER_NO_SUCH_TABLE;
    else
        mysql_free_result(mysql_store_result(db->conn));
    cinto_buf_free(&text);
    return missing;
}

/* Compares the database's schema version with this binary's and, when
 * the mode allows, creates or upgrades the tables. */
static int ensure_schema(mdb *db, int mode)
{
    int version, latest = latest_version();
    unsigned long long applied;
    int rc = applied_versions(db, &version, &applied);
    if (rc != CINTO_ST_OK)
        return rc;
    /* A lower number that landed after a higher one was applied is
     * missing: it runs like any upgrade. */
    int complete = version == latest && all_applied(applied);
    if (complete && mode == SCHEMA_FORCE && tables_missing(db)) {
        rc = migrate_locked(db, 1);
        if (rc == CINTO_ST_OK)
            db->schema_ok = 1;
        return rc;
    }
    if (complete) {
        db->schema_ok = 1;
        return CINTO_ST_OK;
    }
    if (version > latest) {
        snprintf(db->base.last_error, sizeof db->base.last_error,
                 "the database has schema version %d, newer than this cinto.fcgi (%d)", version,
                 latest);
        cinto_log_once("storage:newer", 60, "%s: upload the newer cinto.fcgi", db->base.last_error);
        snprintf(db->base.message, sizeof db->base.message, cinto_msg_newer_fmt, version, latest);
        return CINTO_ST_UNAVAILABLE;
    }
    const char *why =
        mode == SCHEMA_CHECK_ONLY ? "kinto.storage_auto_migrate is off or kinto.readonly is on"
        : mode == SCHEMA_AUTO && on_galera(db) ? "the server is a Galera node (wsrep_on)"
                                               : NULL;
    if (why) {
        snprintf(db->base.last_error, sizeof db->base.last_error,
                 "the tables are at schema version %d of %d and are not created or upgraded "
                 "automatically: %s",
                 version, latest, why);
        cinto_log_once("storage:not-migrated", 60, "%s; run `cinto.fcgi migrate`",
                       db->base.last_error);
        set_message(db, mode == SCHEMA_AUTO ? cinto_msg_galera : cinto_msg_tables_missing);
        return CINTO_ST_UNAVAILABLE;
    }
    if (!db->conn) /* lost while asking for wsrep_on */
        return CINTO_ST_UNAVAILABLE;
    rc = migrate_locked(db, 0);
    if (rc == CINTO_ST_OK)
        db->schema_ok = 1;
    return rc;
}

/* `migrate` on a Galera node: the DDL must reach every node, which Total
 * Order Isolation does (each statement replicated and run on all nodes at
 * the same point of the cluster's write order); with RSU it would change
 * this node only. A node outside the primary component refuses. Says
 * what it does, for the operator. */
static int galera_migrate_setup(mdb *db)
{
    char status[32], size[16], method[16];
    quiet_value(db, "SHOW STATUS LIKE 'wsrep_cluster_status'", status, sizeof status);
    quiet_value(db, "SHOW STATUS LIKE 'wsrep_cluster_size'", size, sizeof size);
    if (strcmp(status, "Primary") != 0) {
        snprintf(db->base.last_error, sizeof db->base.last_error,
                 "this Galera node is not in the primary component of its cluster (status '%s'): "
                 "run `cinto.fcgi migrate` with kinto.storage_url naming a node that is",
                 status);
        return CINTO_ST_UNAVAILABLE;
    }
    quiet_value(db, "SELECT @@SESSION.wsrep_OSU_method", method, sizeof method);
    if (strcmp(method, "TOI") != 0 &&
        mysql_real_query(db->conn, "SET SESSION wsrep_OSU_method = 'TOI'", 36)) {
        snprintf(db->base.last_error, sizeof db->base.last_error,
                 "wsrep_OSU_method is %s and cannot be set to TOI (%s): with RSU the tables "
                 "would change on this node only",
                 method, mysql_error(db->conn));
        return CINTO_ST_UNAVAILABLE;
    }
    cinto_log("migrate: the server is a Galera node (cluster of %s nodes, primary component): "
              "tables are created or upgraded with Total Order Isolation (wsrep_OSU_method = "
              "TOI%s): each statement is replicated and runs on every node at the same point of "
              "the cluster's write order, writes to the table being changed wait meanwhile; run "
              "migrate once, on one node",
              size[0] ? size : "?", strcmp(method, "TOI") ? ", set for this session" : "");
    return CINTO_ST_OK;
}

int cinto_mariadb_migrate(cinto_storage *st, char *err, size_t errlen)
{
    mdb *db = (mdb *)st;
    db->base.message[0] = '\0';
    /* The operator asked: tables are created whatever the settings say. */
    db->schema_ok = 1;
    int rc = connect_db(db);
    if (rc == CINTO_ST_OK && is_galera(db))
        rc = galera_migrate_setup(db);
    if (rc == CINTO_ST_OK)
        rc = ensure_schema(db, SCHEMA_FORCE);
    if (rc != CINTO_ST_OK)
        snprintf(err, errlen, "%s%s%s", db->base.last_error, db->base.message[0] ? "\n" : "",
                 db->base.message);
    return rc;
}

/* Prints one CHECK TABLE answer; 1 when the table needs a repair. */
static int check_table(mdb *db, const char *table, FILE *out)
{
    char sql[160];
    snprintf(sql, sizeof sql, "CHECK TABLE `%s`", table);
    cinto_buf text = CINTO_BUF_INIT;
    int bad = 0;
    if (cinto_sql_prefix(sql, db->opt.table_prefix, &text, db->base.last_error,
                         sizeof db->base.last_error) < 0 ||
        mysql_real_query(db->conn, text.data, text.len)) {
        fprintf(out, "%s%s: cannot check: %s\n", db->opt.table_prefix, table,
                db->conn ? mysql_error(db->conn) : db->base.last_error);
        cinto_buf_free(&text);
        return 1;
    }
    cinto_buf_free(&text);
    MYSQL_RES *res = mysql_store_result(db->conn);
    MYSQL_ROW row;
    while (res && (row = mysql_fetch_row(res))) {
        /* Table, Op, Msg_type, Msg_text */
        const char *type = row[2] ? row[2] : "", *msg = row[3] ? row[3] : "";
        fprintf(out, "%s%s: %s: %s\n", db->opt.table_prefix, table, type, msg);
        if (strcmp(type, "error") == 0 || (strcmp(type, "status") == 0 && strcmp(msg, "OK") != 0))
            bad = 1;
        if (strstr(msg, "doesn't exist"))
            bad = 2;
    }
    mysql_free_result(res);
    if (bad == 1)
        fprintf(out,
                "  repair: ALTER TABLE `%s%s` FORCE;\n"
                "  (rebuilds the table and its indexes from its rows: make a backup first, then "
                "run it in phpMyAdmin's SQL tab or the mariadb client, and `cinto.fcgi check` "
                "again)\n",
                db->opt.table_prefix, table);
    else if (bad == 2)
        fprintf(out, "  missing: run `cinto.fcgi migrate` or import the output of `cinto.fcgi "
                     "schema`\n");
    return bad != 0;
}

/* Sizes and free space inside the tablespaces, to watch before the disk
 * fills (MariaDB answers "table is full" then). */
static void print_sizes(mdb *db, const cinto_strv *tables, FILE *out)
{
    cinto_buf sql = CINTO_BUF_INIT;
    cinto_buf_puts(&sql, "SELECT table_name, data_length + index_length, data_free FROM "
                         "information_schema.tables WHERE table_schema = DATABASE() AND "
                         "table_name IN (''");
    /* Names and prefix are [a-z0-9_]: safe inside the literals. */
    for (size_t i = 0; i < tables->count; i++)
        cinto_buf_printf(&sql, ", '%s%s'", db->opt.table_prefix, tables->items[i]);
    cinto_buf_puts(&sql, ") ORDER BY table_name");
    MYSQL_RES *res = NULL;
    if (sql.data && !mysql_real_query(db->conn, sql.data, sql.len))
        res = mysql_store_result(db->conn);
    MYSQL_ROW row;
    while (res && (row = mysql_fetch_row(res)))
        fprintf(out, "size: %s: %s bytes (%s bytes free inside its tablespace)\n",
                row[0] ? row[0] : "", row[1] ? row[1] : "0", row[2] ? row[2] : "0");
    mysql_free_result(res);
    cinto_buf_free(&sql);
}

int cinto_mariadb_check(cinto_storage *st, FILE *out)
{
    mdb *db = (mdb *)st;
    int problems = 0;
    /* Report, never create: the operator runs migrate for that. */
    db->opt.auto_migrate = 0;
    int rc = connect_db(db);
    if (!db->conn) {
        fprintf(out, "connection: FAILED: %s\n%s\n", db->base.last_error, db->base.message);
        return 1;
    }
    int version = 0;
    current_version(db, &version);
    fprintf(out, "connection: OK (MariaDB %s)\nschema version: %d (this cinto.fcgi: %d)%s\n",
            mysql_get_server_info(db->conn), version, latest_version(),
            rc == CINTO_ST_OK ? "" : " -- run `cinto.fcgi migrate`");
    problems |= rc != CINTO_ST_OK;
    cinto_strv tables = {0};
    for (int i = 0; cinto_migrations[i]; i++)
        cinto_sql_tables(cinto_migrations[i], &tables);
    for (size_t i = 0; i < tables.count && db->conn; i++)
        problems |= check_table(db, tables.items[i], out);
    db->schema_ok = 1; /* the heartbeat query alone, no schema check */
    rc = m_ping(st);
    fprintf(out, "heartbeat query: %s%s\n",
            rc == CINTO_ST_OK ? "OK" : "FAILED: ", rc == CINTO_ST_OK ? "" : db->base.last_error);
    problems |= rc != CINTO_ST_OK;
    if (db->conn)
        print_sizes(db, &tables, out);
    cinto_strv_clear(&tables);
    fprintf(out, "%s\n", problems ? "result: PROBLEMS FOUND (see above)" : "result: OK");
    return problems ? 1 : 0;
}
