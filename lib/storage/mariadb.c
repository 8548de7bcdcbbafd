/* The MariaDB backend of the storage interface.
 *
 * One connection per worker, opened lazily and reopened when the server
 * went away; every statement is prepared once per connection (a table
 * indexed by enum) and values are always bound, never pasted into SQL.
 * Statements whose shape varies (list reads) are assembled from fixed
 * fragments chosen by flags and kept in a small cache keyed by their text. */
#include "util/log.h"
#include "storage/storage.h"

#include <errno.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    ST_ACL_SHARED,
    ST_GROUPS_OF2,
    ST_MEMBERS_DEL,
    ST_MEMBERS_INSERT,
    ST_LIVE_BELOW,
    ST_TABLES,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_TS_SELECT] =
        "SELECT last_modified FROM revisions WHERE parent_id = ? AND resource_name = ?",
    [ST_TS_SELECT_LOCK] = "SELECT last_modified FROM revisions WHERE parent_id = ? AND "
                          "resource_name = ? FOR UPDATE",
    [ST_TS_INSERT] = "INSERT IGNORE INTO revisions (parent_id, resource_name, last_modified) "
                     "VALUES (?, ?, ?)",
    /* Creates the row or locks it exclusively: INSERT IGNORE would take a
     * shared lock first, and two writers upgrading it deadlock. */
    [ST_TS_CREATE_LOCKED] =
        "INSERT INTO revisions (parent_id, resource_name, last_modified) "
        "VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE last_modified = last_modified",
    [ST_TS_RAISE] = "UPDATE revisions SET last_modified = GREATEST(last_modified, ?) "
                    "WHERE parent_id = ? AND resource_name = ?",
    /* Single-use pagination tokens (sql/004). The purge takes a few dead
     * rows, oldest first, through the expiry index, in a total order so
     * that it replicates safely. */
    [ST_TOKEN_PUT] = "INSERT INTO `pagination_tokens` (nonce, expires) VALUES (?, ?)",
    [ST_TOKEN_PURGE] = "DELETE FROM `pagination_tokens` WHERE expires <= ? "
                       "ORDER BY expires, nonce LIMIT 16",
    [ST_TOKEN_TAKE] = "DELETE FROM `pagination_tokens` WHERE nonce = ? AND expires > ?",
    [ST_GET3] = "SELECT parent_id, resource_name, id, last_modified, deleted, data FROM objects "
                "WHERE (parent_id = ? AND resource_name = ? AND id = ?) "
                "OR (parent_id = ? AND resource_name = ? AND id = ?) "
                "OR (parent_id = ? AND resource_name = ? AND id = ?)",
    /* The three reads of a request in one statement; the first column
     * tells the row kind (o: object, a: ACL row, g: group). */
    [ST_LOAD] = "SELECT 'o', parent_id, resource_name, id, last_modified, deleted, data "
                "FROM objects WHERE (parent_id, resource_name, id) IN "
                "((?, ?, ?), (?, ?, ?), (?, ?, ?)) "
                "UNION ALL SELECT 'a', object_uri, permission, principal, 0, 0, NULL FROM acl "
                "WHERE object_uri IN (?, ?, ?, ?) "
                "UNION ALL SELECT 'g', group_uri, NULL, NULL, 0, 0, NULL FROM memberships "
                "WHERE principal IN (?, ?)",
    /* Not an upsert: with two unique keys, ON DUPLICATE KEY UPDATE would
     * rewrite whichever row holds a clashing timestamp. */
    [ST_INSERT] =
        "INSERT INTO objects (parent_id, resource_name, id, last_modified, deleted, data) "
        "VALUES (?, ?, ?, ?, 0, ?)",
    [ST_UPDATE] = "UPDATE objects SET last_modified = ?, deleted = 0, data = ? "
                  "WHERE parent_id = ? AND resource_name = ? AND id = ?",
    [ST_TOMBSTONE] = "UPDATE objects SET deleted = 1, data = '{}', last_modified = ? "
                     "WHERE parent_id = ? AND resource_name = ? AND id = ?",
    /* Descendants of U are the rows whose parent is U or starts with "U/":
     * a range on the binary key, which also keeps /buckets/ab out of
     * /buckets/a ('0' is the byte after '/'). */
    [ST_PURGE_OBJECTS] = "DELETE FROM objects WHERE parent_id = ? OR "
                         "(parent_id >= ? AND parent_id < ?)",
    /* Lists below a deleted object keep their mark but move it past
     * every value served, so a re-created list starts above them (D2). */
    [ST_PURGE_BUMP] = "UPDATE revisions SET last_modified = GREATEST(last_modified + 1, ?) "
                      "WHERE parent_id = ? OR (parent_id >= ? AND parent_id < ?)",
    [ST_PURGE_ACL] = "DELETE FROM acl WHERE object_uri >= ? AND object_uri < ?",
    [ST_PURGE_MEMBERS] = "DELETE FROM memberships WHERE group_uri >= ? AND group_uri < ?",
    [ST_ACL_GET4] = "SELECT object_uri, permission, principal FROM acl "
                    "WHERE object_uri IN (?, ?, ?, ?)",
    [ST_ACL_DEL_PERM] = "DELETE FROM acl WHERE object_uri = ? AND permission = ?",
    [ST_ACL_INSERT] = "INSERT IGNORE INTO acl (object_uri, permission, principal) VALUES (?, ?, ?)",
    [ST_ACL_CLEAR] = "DELETE FROM acl WHERE object_uri = ?",
    [ST_ACL_SHARED] = "SELECT DISTINCT object_uri FROM acl WHERE principal = ? AND "
                      "object_uri >= ? AND object_uri < ? AND permission IN (?, ?, ?, ?)",
    [ST_GROUPS_OF2] = "SELECT DISTINCT group_uri FROM memberships WHERE principal IN (?, ?)",
    [ST_MEMBERS_DEL] = "DELETE FROM memberships WHERE group_uri = ?",
    [ST_MEMBERS_INSERT] = "INSERT IGNORE INTO memberships (principal, group_uri) VALUES (?, ?)",
    [ST_LIVE_BELOW] = "SELECT parent_id, resource_name, id, last_modified, deleted, data "
                      "FROM objects WHERE deleted = 0 AND (parent_id = ? OR "
                      "(parent_id >= ? AND parent_id < ?))",
    [ST_TABLES] = "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                  "DATABASE() AND table_type = 'BASE TABLE' AND table_name <> ?",
};

#define DYN_CACHE 16

typedef struct dyn_stmt {
    char *sql;
    MYSQL_STMT *stmt;
} dyn_stmt;

typedef struct mdb {
    cinto_storage base;
    char *host, *user, *password, *database, *socket;
    unsigned port;
    MYSQL *conn;
    MYSQL_STMT *stmts[ST_COUNT];
    dyn_stmt dyn[DYN_CACHE];
    unsigned dyn_next;
    int in_tx;
    int depth; /* nested begins inside a batch: savepoints */
} mdb;

/* A fetched result: all rows as strings (NULL for SQL NULL). */
typedef struct rows {
    size_t nrows, ncols;
    char **vals;
    unsigned long *lens;
} rows;

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

/* Bound values: 's' C string, 'S' (pointer, length), 'i' long long. */
typedef struct param {
    char type;
    const char *s;
    unsigned long len;
    long long i;
} param;

/* ---- connection ---------------------------------------------------- */

static int map_errno(unsigned e)
{
    switch (e) {
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_CONN_HOST_ERROR:
    case CR_CONNECTION_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_SERVER_LOST_EXTENDED:
    case ER_SERVER_SHUTDOWN:
    case ER_CON_COUNT_ERROR:
    case ER_CONNECTION_KILLED:
    case ER_QUERY_INTERRUPTED:
        return CINTO_ST_UNAVAILABLE;
    case ER_LOCK_DEADLOCK:
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_DUP_ENTRY:
        return CINTO_ST_CONFLICT;
    default:
        return CINTO_ST_FAIL;
    }
}

static void disconnect(mdb *db)
{
    for (int i = 0; i < ST_COUNT; i++) {
        if (db->stmts[i])
            mysql_stmt_close(db->stmts[i]);
        db->stmts[i] = NULL;
    }
    for (int i = 0; i < DYN_CACHE; i++) {
        if (db->dyn[i].stmt)
            mysql_stmt_close(db->dyn[i].stmt);
        free(db->dyn[i].sql);
        db->dyn[i].stmt = NULL;
        db->dyn[i].sql = NULL;
    }
    if (db->conn)
        mysql_close(db->conn);
    db->conn = NULL;
    db->in_tx = 0;
    db->depth = 0;
}

static int fail(mdb *db, unsigned e, const char *msg)
{
    snprintf(db->base.last_error, sizeof db->base.last_error, "MariaDB error %u: %s", e,
             msg ? msg : "");
    int rc = map_errno(e);
    if (rc == CINTO_ST_UNAVAILABLE)
        disconnect(db);
    return rc;
}

static int connect_db(mdb *db)
{
    if (db->conn)
        return CINTO_ST_OK;
    MYSQL *m = mysql_init(NULL);
    if (!m)
        return CINTO_ST_NOMEM;
    unsigned timeout = 3, rw_timeout = 30;
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    /* READ COMMITTED: a writer that has locked its list row must see what
     * the writer before it committed; and no gap locks between inserts. */
    mysql_options(m, MYSQL_INIT_COMMAND, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    mysql_options(m, MYSQL_INIT_COMMAND,
                  "SET SESSION innodb_lock_wait_timeout = 10, SESSION sql_mode = "
                  "'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION'");
    if (!mysql_real_connect(m, db->host, db->user, db->password, db->database, db->port, db->socket,
                            0)) {
        snprintf(db->base.last_error, sizeof db->base.last_error, "cannot connect to MariaDB: %s",
                 mysql_error(m));
        mysql_close(m);
        return CINTO_ST_UNAVAILABLE;
    }
    db->conn = m;
    return CINTO_ST_OK;
}

static MYSQL_STMT *prepare(mdb *db, const char *sql, int *rc)
{
    MYSQL_STMT *s = mysql_stmt_init(db->conn);
    if (!s) {
        *rc = CINTO_ST_NOMEM;
        return NULL;
    }
    if (mysql_stmt_prepare(s, sql, strlen(sql))) {
        *rc = fail(db, mysql_stmt_errno(s), mysql_stmt_error(s));
        mysql_stmt_close(s);
        return NULL;
    }
    return s;
}

static MYSQL_STMT *get_stmt(mdb *db, enum stmt_id id, int *rc)
{
    if (!db->stmts[id])
        db->stmts[id] = prepare(db, stmt_sql[id], rc);
    return db->stmts[id];
}

static MYSQL_STMT *get_dyn(mdb *db, const char *sql, int *rc)
{
    for (int i = 0; i < DYN_CACHE; i++)
        if (db->dyn[i].sql && strcmp(db->dyn[i].sql, sql) == 0)
            return db->dyn[i].stmt;
    MYSQL_STMT *s = prepare(db, sql, rc);
    if (!s)
        return NULL;
    char *copy = strdup(sql);
    if (!copy) {
        mysql_stmt_close(s);
        *rc = CINTO_ST_NOMEM;
        return NULL;
    }
    dyn_stmt *slot = &db->dyn[db->dyn_next++ % DYN_CACHE];
    if (slot->stmt)
        mysql_stmt_close(slot->stmt);
    free(slot->sql);
    slot->sql = copy;
    slot->stmt = s;
    return s;
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
            rc = fail(db, mysql_stmt_errno(s), mysql_stmt_error(s));
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
    }
done:
    mysql_stmt_free_result(s);
    free(b);
    free(lens);
    free(nulls);
    if (rc != CINTO_ST_OK)
        rows_free(out);
    return rc;
}

static int run_once(mdb *db, MYSQL_STMT *s, const param *ps, size_t n, rows *out,
                    unsigned long long *affected, unsigned long long *insert_id)
{
    MYSQL_BIND b[16];
    if (n > 16)
        return CINTO_ST_FAIL;
    memset(b, 0, sizeof b);
    for (size_t i = 0; i < n; i++) {
        if (ps[i].type == 'i') {
            b[i].buffer_type = MYSQL_TYPE_LONGLONG;
            b[i].buffer = (void *)&ps[i].i;
        } else {
            b[i].buffer_type = MYSQL_TYPE_STRING;
            b[i].buffer = (void *)ps[i].s;
            b[i].buffer_length = ps[i].len;
            b[i].length = (unsigned long *)&ps[i].len;
        }
    }
    if (n && mysql_stmt_bind_param(s, b))
        return fail(db, mysql_stmt_errno(s), mysql_stmt_error(s));
    if (mysql_stmt_execute(s))
        return fail(db, mysql_stmt_errno(s), mysql_stmt_error(s));
    if (affected)
        *affected = mysql_stmt_affected_rows(s);
    if (insert_id)
        *insert_id = mysql_stmt_insert_id(s);
    if (out)
        return fetch_rows(db, s, out);
    mysql_stmt_free_result(s);
    return CINTO_ST_OK;
}

/* Runs a statement; outside a transaction a connection that died since
 * the last request is reopened and the statement tried once more, so a
 * worker recovers by itself when MariaDB comes back. */
static int run(mdb *db, enum stmt_id id, const char *dyn_sql, const param *ps, size_t n, rows *out,
               unsigned long long *affected, unsigned long long *insert_id)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int rc = connect_db(db);
        if (rc != CINTO_ST_OK)
            return rc;
        MYSQL_STMT *s = dyn_sql ? get_dyn(db, dyn_sql, &rc) : get_stmt(db, id, &rc);
        if (!s) {
            if (rc == CINTO_ST_UNAVAILABLE && !db->in_tx && attempt == 0)
                continue;
            return rc;
        }
        rc = run_once(db, s, ps, n, out, affected, insert_id);
        if (rc == CINTO_ST_UNAVAILABLE && !db->in_tx && attempt == 0)
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

/* ---- transactions ----------------------------------------------------- */

static int query_text(mdb *db, const char *sql)
{
    if (mysql_real_query(db->conn, sql, strlen(sql)))
        return fail(db, mysql_errno(db->conn), mysql_error(db->conn));
    return CINTO_ST_OK;
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
        if (rc == CINTO_ST_OK)
            db->depth++;
        return rc;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        int rc = connect_db(db);
        if (rc != CINTO_ST_OK)
            return rc;
        rc = query_text(db, "START TRANSACTION");
        if (rc == CINTO_ST_OK) {
            db->in_tx = 1;
            return rc;
        }
        if (rc != CINTO_ST_UNAVAILABLE)
            return rc;
    }
    return CINTO_ST_UNAVAILABLE;
}

static int m_commit(cinto_storage *st)
{
    mdb *db = (mdb *)st;
    if (!db->conn)
        return CINTO_ST_UNAVAILABLE;
    if (db->depth > 0) {
        db->depth--;
        return CINTO_ST_OK;
    }
    int rc = query_text(db, "COMMIT");
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
        return;
    }
    if (db->conn && db->in_tx)
        query_text(db, "ROLLBACK");
    db->in_tx = 0;
}

static int m_ping(cinto_storage *st)
{
    mdb *db = (mdb *)st;
    int rc = connect_db(db);
    if (rc != CINTO_ST_OK)
        return rc;
    if (mysql_ping(db->conn))
        return fail(db, mysql_errno(db->conn), mysql_error(db->conn));
    return CINTO_ST_OK;
}

/* ---- list timestamps -------------------------------------------------- */

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

static int m_put(cinto_storage *st, const char *parent, const char *resource, const char *id,
                 long long last_modified, const char *data, size_t data_len, int row_exists)
{
    if (row_exists) {
        param ps[] = {P_I(last_modified),
                      {'S', data, (unsigned long)data_len, 0},
                      P_S(parent),
                      P_S(resource),
                      P_S(id)};
        return run((mdb *)st, ST_UPDATE, NULL, ps, 5, NULL, NULL, NULL);
    }
    param ps[] = {P_S(parent),
                  P_S(resource),
                  P_S(id),
                  P_I(last_modified),
                  {'S', data, (unsigned long)data_len, 0}};
    return run((mdb *)st, ST_INSERT, NULL, ps, 5, NULL, NULL, NULL);
}

static int m_tombstone(cinto_storage *st, const char *parent, const char *resource, const char *id,
                       long long last_modified)
{
    param ps[] = {P_I(last_modified), P_S(parent), P_S(resource), P_S(id)};
    unsigned long long affected = 0;
    int rc = run((mdb *)st, ST_TOMBSTONE, NULL, ps, 4, NULL, &affected, NULL);
    if (rc == CINTO_ST_OK && affected == 0)
        return CINTO_ST_NOTFOUND;
    return rc;
}

/* Builds the WHERE clause of a list read from fixed fragments; only values
 * are bound. Returns the number of parameters. */
static int build_list_where(cinto_buf *sql, const cinto_list_query *q, param *ps, size_t max)
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
    return (int)n;
}

#define LIST_MAX_PARAMS 16

static int m_list(cinto_storage *st, const cinto_list_query *q, cinto_object_list *out)
{
    mdb *db = (mdb *)st;
    memset(out, 0, sizeof *out);
    if (q->ids && q->nids > LIST_MAX_PARAMS - 8) {
        /* Large id sets are read in chunks and merged in order. */
        cinto_list_query sub = *q;
        cinto_object_list all = {0};
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
        *out = all;
        return CINTO_ST_OK;
    }
    cinto_buf sql = CINTO_BUF_INIT;
    param ps[LIST_MAX_PARAMS];
    cinto_buf_puts(&sql, "SELECT id, last_modified, deleted, data FROM objects");
    int n = build_list_where(&sql, q, ps, LIST_MAX_PARAMS - 1);
    cinto_buf_puts(&sql,
                   q->ascending ? " ORDER BY last_modified ASC" : " ORDER BY last_modified DESC");
    cinto_buf_puts(&sql, " LIMIT ?");
    ps[n++] = (param)P_I(q->limit);
    int rc = CINTO_ST_NOMEM;
    if (!sql.data)
        goto done;
    rows r = {0};
    rc = run(db, 0, sql.data, ps, (size_t)n, &r, NULL, NULL);
    if (rc != CINTO_ST_OK)
        goto done;
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
    cinto_buf_free(&sql);
    return rc;
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
    param ps[LIST_MAX_PARAMS];
    cinto_buf_puts(&sql, "SELECT COUNT(*) FROM objects");
    int n = build_list_where(&sql, q, ps, LIST_MAX_PARAMS);
    if (!sql.data)
        return CINTO_ST_NOMEM;
    rows r = {0};
    int rc = run((mdb *)st, 0, sql.data, ps, (size_t)n, &r, NULL, NULL);
    cinto_buf_free(&sql);
    if (rc != CINTO_ST_OK)
        return rc;
    *count = r.nrows && cell(&r, 0, 0) ? strtoll(cell(&r, 0, 0), NULL, 10) : 0;
    rows_free(&r);
    return CINTO_ST_OK;
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
    param p3[] = {P_S(uri), P_S(lo), P_S(hi)};
    rc = run(db, ST_PURGE_OBJECTS, NULL, p3, 3, NULL, NULL, NULL);
    param p4[] = {P_I(now_ms), P_S(uri), P_S(lo), P_S(hi)};
    if (rc == CINTO_ST_OK)
        rc = run(db, ST_PURGE_BUMP, NULL, p4, 4, NULL, NULL, NULL);
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

static int m_acl_shared(cinto_storage *st, const char *uri_prefix, const char *const *perms,
                        size_t nperms, const char *const *principals, size_t nprincipals,
                        cinto_strv *uris)
{
    mdb *db = (mdb *)st;
    size_t plen = strlen(uri_prefix);
    char *hi = strdup(uri_prefix);
    if (!hi || plen == 0) {
        free(hi);
        return CINTO_ST_FAIL;
    }
    hi[plen - 1]++; /* "…/" -> "…0": the end of the prefix range */
    int rc = CINTO_ST_OK;
    for (size_t i = 0; i < nprincipals && rc == CINTO_ST_OK; i++) {
        param ps[7] = {P_S(principals[i]), P_S(uri_prefix), P_S(hi)};
        for (size_t k = 0; k < 4; k++)
            ps[3 + k] = (param)P_S(perms[k < nperms ? k : 0]);
        rows r = {0};
        rc = run(db, ST_ACL_SHARED, NULL, ps, 7, &r, NULL, NULL);
        if (rc != CINTO_ST_OK)
            break;
        for (size_t row = 0; row < r.nrows && rc == CINTO_ST_OK; row++) {
            const char *u = cell(&r, row, 0);
            /* Direct children only: nothing after the id. */
            if (strchr(u + plen, '/'))
                continue;
            int dup = 0;
            for (size_t k = 0; k < uris->count && !dup; k++)
                dup = strcmp(uris->items[k], u) == 0;
            if (!dup && cinto_strv_push(uris, u) < 0)
                rc = CINTO_ST_NOMEM;
        }
        rows_free(&r);
    }
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
        cinto_buf_puts(&sql, "INSERT IGNORE INTO acl (object_uri, permission, principal) VALUES ");
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
    for (size_t start = 0; start < n && rc == CINTO_ST_OK; start += PURGE_MAX) {
        size_t k = n - start < PURGE_MAX ? n - start : PURGE_MAX;
        param ps[PURGE_MAX + 2] = {P_S(parent), P_S(resource)};
        cinto_buf objs = CINTO_BUF_INIT, acl = CINTO_BUF_INIT;
        cinto_buf_puts(&objs, "DELETE FROM objects WHERE parent_id = ? AND resource_name = ? AND "
                              "id IN (");
        cinto_buf_puts(&acl, "DELETE FROM acl WHERE object_uri IN (");
        for (size_t i = 0; i < k; i++) {
            cinto_buf_puts(&objs, i ? ", ?" : "?");
            cinto_buf_puts(&acl, i ? ", ?" : "?");
            ps[2 + i] = (param)P_S(ids[start + i]);
        }
        cinto_buf_putc(&objs, ')');
        cinto_buf_putc(&acl, ')');
        rc = objs.data && acl.data ? run((mdb *)st, 0, objs.data, ps, k + 2, NULL, NULL, NULL)
                                   : CINTO_ST_NOMEM;
        for (size_t i = 0; i < k; i++)
            ps[i] = (param)P_S(uris[start + i]);
        if (rc == CINTO_ST_OK)
            rc = run((mdb *)st, 0, acl.data, ps, k, NULL, NULL, NULL);
        cinto_buf_free(&objs);
        cinto_buf_free(&acl);
    }
    return rc;
}

/* Tables come from the catalogue (plugins may own some), never from a
 * request; names are checked before they are quoted into DELETE. DELETE,
 * not TRUNCATE: it stays inside the transaction. */
static int m_flush(cinto_storage *st)
{
    mdb *db = (mdb *)st;
    param ps[] = {P_S("cinto_schema_version")};
    rows r = {0};
    int rc = run(db, ST_TABLES, NULL, ps, 1, &r, NULL, NULL);
    for (size_t i = 0; i < r.nrows && rc == CINTO_ST_OK; i++) {
        const char *name = cell(&r, i, 0);
        if (!name || !*name ||
            strspn(name, "abcdefghijklmnopqrstuvwxyz"
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(name))
            continue;
        char sql[128];
        snprintf(sql, sizeof sql, "DELETE FROM `%.64s`", name);
        rc = query_text(db, sql);
    }
    rows_free(&r);
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
    free(db);
}

static const cinto_storage_ops mariadb_ops = {
    .begin = m_begin,
    .commit = m_commit,
    .rollback = m_rollback,
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
    .purge_below = m_purge_below,
    .acl_get = m_acl_get,
    .acl_set = m_acl_set,
    .acl_clear = m_acl_clear,
    .acl_shared = m_acl_shared,
    .groups_of = m_groups_of,
    .set_members = m_set_members,
    .each_below = m_each_below,
    .acl_add = m_acl_add,
    .purge_objects = m_purge_objects,
    .flush = m_flush,
    .close = m_close,
};

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
cinto_storage *cinto_mariadb_open(const char *url, char *err, size_t errlen)
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
    if (!db->host || !db->database || !*db->database) {
        snprintf(err, errlen, "kinto.storage_url names no database: %s", url);
        m_close(&db->base);
        return NULL;
    }
    if (!*db->host) {
        free(db->host);
        db->host = strdup("localhost");
    }
    return &db->base;
}

/* ---- migrations ---------------------------------------------------------- */

extern const char *const cinto_migrations[];
extern const char *const cinto_migration_names[];

static int current_version(mdb *db, int *version)
{
    *version = 0;
    if (mysql_real_query(db->conn, "SELECT MAX(version) FROM cinto_schema_version", 45)) {
        if (mysql_errno(db->conn) == ER_NO_SUCH_TABLE)
            return CINTO_ST_OK;
        return fail(db, mysql_errno(db->conn), mysql_error(db->conn));
    }
    MYSQL_RES *res = mysql_store_result(db->conn);
    if (!res)
        return fail(db, mysql_errno(db->conn), mysql_error(db->conn));
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row && row[0])
        *version = atoi(row[0]);
    mysql_free_result(res);
    return CINTO_ST_OK;
}

/* Runs one migration file: statements end with ";" at the end of a line;
 * lines starting with "--" are comments. The text is ours, compiled in. */
static int run_script(mdb *db, const char *script, char *err, size_t errlen)
{
    cinto_buf stmt = CINTO_BUF_INIT;
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
                if (mysql_real_query(db->conn, stmt.data, stmt.len)) {
                    snprintf(err, errlen, "migration failed: %s", mysql_error(db->conn));
                    rc = CINTO_ST_FAIL;
                }
                cinto_buf_reset(&stmt);
            }
        }
        line = nl ? nl + 1 : line + n;
    }
    cinto_buf_free(&stmt);
    return rc;
}

int cinto_mariadb_migrate(cinto_storage *st, char *err, size_t errlen)
{
    mdb *db = (mdb *)st;
    int rc = connect_db(db);
    if (rc != CINTO_ST_OK) {
        snprintf(err, errlen, "%s", db->base.last_error);
        return rc;
    }
    int version;
    rc = current_version(db, &version);
    if (rc != CINTO_ST_OK) {
        snprintf(err, errlen, "%s", db->base.last_error);
        return rc;
    }
    /* By number, not by position: a file's number is the version it
     * records (schema.sql is 1), so branches that add migrations may leave
     * gaps, and a database newer than this binary is left alone. */
    for (int i = 0; cinto_migrations[i]; i++) {
        const char *name = cinto_migration_names[i];
        int number = strcmp(name, "schema.sql") == 0 ? 1 : atoi(name);
        if (number <= version)
            continue;
        rc = run_script(db, cinto_migrations[i], err, errlen);
        if (rc != CINTO_ST_OK)
            return rc;
        cinto_log("applied migration %s", cinto_migration_names[i]);
    }
    return CINTO_ST_OK;
}
