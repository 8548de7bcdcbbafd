/* Table prefix, table list and error classification of the MariaDB
 * backend: pure functions (no server), see sqltext.h. */
#include "storage/sqltext.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int cinto_table_prefix_check(const char *prefix, char *err, size_t errlen)
{
    size_t n = strlen(prefix);
    int ok = n <= CINTO_TABLE_PREFIX_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = (prefix[i] >= 'a' && prefix[i] <= 'z') || (prefix[i] >= '0' && prefix[i] <= '9') ||
             prefix[i] == '_';
    if (ok)
        return 0;
    snprintf(err, errlen,
             "kinto.storage_table_prefix must be at most %d characters among lower-case letters "
             "a-z, digits 0-9 and '_' (for example cinto_); got %zu characters%s",
             CINTO_TABLE_PREFIX_MAX, n,
             n <= CINTO_TABLE_PREFIX_MAX ? " with another character" : "");
    return -1;
}

static int is_word(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Length of the string literal or comment starting at p (0 when none
 * starts there), so that the scanners copy or skip them whole: a backquote
 * or a FROM inside one is text, not a name. */
static size_t skip_opaque(const char *p)
{
    const char *s = p;
    if (p[0] == '-' && p[1] == '-') {
        while (*s && *s != '\n')
            s++;
        return (size_t)(s - p);
    }
    if (p[0] == '/' && p[1] == '*') {
        const char *end = strstr(p + 2, "*/");
        return end ? (size_t)(end + 2 - p) : strlen(p);
    }
    if (*p == '\'' || *p == '"') {
        char q = *p;
        for (s = p + 1; *s; s++) {
            if (*s == '\\' && s[1])
                s++;
            else if (*s == q && s[1] == q)
                s++;
            else if (*s == q)
                return (size_t)(s + 1 - p);
        }
        return strlen(p);
    }
    return 0;
}

static int word_is(const char *w, size_t n, const char *kw)
{
    return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

static const char *skip_space(const char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

/* After TABLE: an optional IF [NOT] EXISTS. */
static const char *skip_if_exists(const char *p)
{
    const char *q = skip_space(p);
    if (strncasecmp(q, "IF", 2) != 0 || is_word(q[2]))
        return p;
    q = skip_space(q + 2);
    if (strncasecmp(q, "NOT", 3) == 0 && !is_word(q[3]))
        q = skip_space(q + 3);
    if (strncasecmp(q, "EXISTS", 6) == 0 && !is_word(q[6]))
        return q + 6;
    return p;
}

/* The last two words (or backquoted names) before the current one. */
typedef struct words {
    const char *w1, *w2;
    size_t n1, n2;
} words;

static void push_word(words *ws, const char *w, size_t n)
{
    ws->w2 = ws->w1;
    ws->n2 = ws->n1;
    ws->w1 = w;
    ws->n1 = n;
}

/* 1 when the word w (of length n), after the words ws, introduces a table
 * name: FROM, INTO, JOIN, TABLE, REFERENCES, UPDATE (but not the UPDATE of
 * "FOR UPDATE" or "ON DUPLICATE KEY UPDATE"), and the ON of
 * "INDEX name ON". */
static int introduces_table(const char *w, size_t n, const words *ws)
{
    if (word_is(w, n, "FROM") || word_is(w, n, "INTO") || word_is(w, n, "JOIN") ||
        word_is(w, n, "TABLE") || word_is(w, n, "REFERENCES"))
        return 1;
    if (word_is(w, n, "ON"))
        return ws->w2 && word_is(ws->w2, ws->n2, "INDEX");
    return word_is(w, n, "UPDATE") &&
           !(ws->w1 && (word_is(ws->w1, ws->n1, "FOR") || word_is(ws->w1, ws->n1, "KEY")));
}

int cinto_sql_prefix(const char *sql, const char *prefix, cinto_buf *out, char *err, size_t errlen)
{
    const char *p = sql;
    words ws = {0};
    int oom = 0;
    while (*p) {
        size_t skip = skip_opaque(p);
        if (skip) {
            oom |= cinto_buf_append(out, p, skip);
            p += skip;
        } else if (*p == '`') {
            const char *end = strchr(p + 1, '`');
            if (!end) {
                snprintf(err, errlen, "unterminated backquote in SQL: %.60s", p);
                return -1;
            }
            oom |= cinto_buf_putc(out, '`');
            oom |= cinto_buf_puts(out, prefix);
            oom |= cinto_buf_append(out, p + 1, (size_t)(end + 1 - (p + 1)));
            push_word(&ws, p, (size_t)(end + 1 - p));
            p = end + 1;
        } else if (is_word(*p)) {
            const char *w = p;
            while (is_word(*p))
                p++;
            size_t n = (size_t)(p - w);
            oom |= cinto_buf_append(out, w, n);
            if (introduces_table(w, n, &ws)) {
                const char *after = word_is(w, n, "TABLE") ? skip_if_exists(p) : p;
                oom |= cinto_buf_append(out, p, (size_t)(after - p));
                p = after;
                const char *next = skip_space(p);
                if (*next != '`' && *next != '(') {
                    snprintf(err, errlen,
                             "table name not in backquotes after %.*s (the table prefix would "
                             "not apply): %.60s",
                             (int)n, w, next);
                    return -1;
                }
            }
            push_word(&ws, w, n);
        } else {
            oom |= cinto_buf_putc(out, *p++);
        }
    }
    if (oom || !out->data) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int cinto_sql_tables(const char *sql, cinto_strv *out)
{
    const char *p = sql;
    while (*p) {
        size_t skip = skip_opaque(p);
        if (skip) {
            p += skip;
            continue;
        }
        if (!is_word(*p)) {
            p++;
            continue;
        }
        const char *w = p;
        while (is_word(*p))
            p++;
        if (!word_is(w, (size_t)(p - w), "CREATE"))
            continue;
        const char *q = skip_space(p);
        if (strncasecmp(q, "TABLE", 5) != 0 || is_word(q[5]))
            continue;
        q = skip_space(skip_if_exists(q + 5));
        const char *end = *q == '`' ? strchr(q + 1, '`') : NULL;
        if (!end)
            continue;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(end - q - 1), q + 1);
        int dup = 0;
        for (size_t i = 0; i < out->count && !dup; i++)
            dup = strcmp(out->items[i], name) == 0;
        if (!dup && cinto_strv_push(out, name) < 0)
            return -1;
        p = end + 1;
    }
    return 0;
}

/* ---- error classification ------------------------------------------------ */

const char cinto_msg_unreachable[] =
    "cinto cannot connect to its database server. Check the host, port or unix_socket of "
    "kinto.storage_url in cinto.ini, and that MariaDB is running; the details are in the log "
    "(kinto.log_file).";
const char cinto_msg_tables_missing[] =
    "cinto's database tables are missing or incomplete. Run `cinto.fcgi migrate`, or import "
    "cinto-schema.sql (in the upload folder; with kinto.storage_table_prefix set: the output of "
    "`cinto.fcgi schema`) in phpMyAdmin.";
const char cinto_msg_no_create[] =
    "cinto's database tables do not exist yet and its database user may not create tables. "
    "Import cinto-schema.sql (in the upload folder; with kinto.storage_table_prefix set: the "
    "output of `cinto.fcgi schema`) in phpMyAdmin, or run `cinto.fcgi migrate` as a user that "
    "may; or grant this user "
    "all privileges on its database.";
const char cinto_msg_galera[] =
    "cinto's database tables are missing or outdated, and on a Galera cluster cinto does not "
    "create them by itself. Run `cinto.fcgi migrate`, or import sql/schema.sql in phpMyAdmin "
    "(with kinto.storage_table_prefix set: the output of `cinto.fcgi schema`).";
const char cinto_msg_migrating[] =
    "cinto is creating or upgrading its database tables; retry in a few seconds.";
const char cinto_msg_newer_fmt[] =
    "The database tables were created by a newer version of cinto (schema version %d; this "
    "cinto.fcgi knows up to version %d). Upload the newer cinto.fcgi again, or point "
    "kinto.storage_url at another database.";

#define GONE NULL /* the generic 503 text: the server is away for a moment */

static const char msg_access[] =
    "The database server refused cinto's user name or password. Check the user and password "
    "in kinto.storage_url (cinto.ini; percent-encode special characters such as @ as %40); "
    "the details are in the log (kinto.log_file).";
static const char msg_bad_db[] =
    "The database named in kinto.storage_url does not exist. Create it (e.g. in your hosting "
    "control panel) or correct the name in cinto.ini.";
static const char msg_db_denied[] =
    "cinto's database user may not use the database named in kinto.storage_url, or lacks a "
    "privilege on its tables. Grant the user all privileges on that database (e.g. in your "
    "hosting control panel).";
static const char msg_connections[] =
    "The database server has reached its connection limit; retry later. If it lasts, lower the "
    "number of FastCGI workers or ask your host to raise max_connections / "
    "max_user_connections.";
static const char msg_full[] =
    "The database is full (a table is full or the database server's disk or quota has no free "
    "space left): writes fail until space is freed. Retry later.";
static const char msg_corrupt[] =
    "A database table or index of cinto is damaged. Run `cinto.fcgi check`, which names the "
    "repair to apply (usually ALTER TABLE ... FORCE).";
static const char msg_readonly[] =
    "The database is read-only for now (maintenance, a replica or a full disk): writes are "
    "refused; retry later.";
static const char msg_lock_wait[] =
    "A write waited too long for a lock held by another request (the database is busy or a "
    "request hangs); retry later.";
const char cinto_msg_conflict[] =
    "Concurrent writes to the same data kept conflicting in the database (a deadlock, or a "
    "Galera certification conflict between cluster nodes) and this request was cancelled after "
    "kinto.storage_max_retries attempts or kinto.storage_retry_budget_seconds; nothing of it was "
    "kept. Retry.";
static const char msg_non_primary[] =
    "The database server cinto uses is a Galera cluster node that is not part of the cluster's "
    "primary component (it lost contact with the other nodes, or is still joining them): it "
    "refuses every query until it rejoins. Retry later, or use a site whose node is in the "
    "cluster.";
static const char msg_timeout[] =
    "The database took too long to answer (statement time limit); retry later.";
static const char msg_resources[] = "The database server is out of memory or threads; retry later.";
static const char msg_open_files[] =
    "The database server cannot open one of cinto's tables now: it has too many files open "
    "(open_files_limit) or is short of memory. Retry later; if it lasts, ask your host to raise "
    "open_files_limit or lower table_open_cache.";
static const char msg_version[] =
    "cinto's database tables do not match this version of cinto. Run `cinto.fcgi migrate`, "
    "or import sql/schema.sql again (with kinto.storage_table_prefix set: the output of "
    "`cinto.fcgi schema`).";
static const char msg_other[] =
    "The database server answered an unexpected error; retry later. The error code and text "
    "are in the log (kinto.log_file).";

enum { UNAV = CINTO_ST_UNAVAILABLE, CONFL = CINTO_ST_CONFLICT, BUG = CINTO_ST_FAIL };

static const struct {
    unsigned code;
    cinto_db_condition c;
} conditions[] = {
    /* The server went away or cannot be reached: reconnect and retry. */
    {2002, {UNAV, 1, "cannot connect", GONE}}, /* CR_CONNECTION_ERROR (socket) */
    {2003, {UNAV, 1, "cannot connect", GONE}}, /* CR_CONN_HOST_ERROR (TCP) */
    {2005, {UNAV, 1, "unknown host", cinto_msg_unreachable}},
    {2006, {UNAV, 1, "server gone", GONE}},                     /* CR_SERVER_GONE_ERROR */
    {2013, {UNAV, 1, "connection lost or read timeout", GONE}}, /* CR_SERVER_LOST */
    {2055, {UNAV, 1, "connection lost", GONE}},                 /* CR_SERVER_LOST_EXTENDED */
    {2012, {UNAV, 1, "handshake failed", GONE}},                /* CR_SERVER_HANDSHAKE_ERR */
    {2026, {UNAV, 1, "TLS connection failed", cinto_msg_unreachable}},
    {5013, {UNAV, 1, "network read error", GONE}},
    {5014, {UNAV, 1, "network write error", GONE}},
    {1053, {UNAV, 1, "server shutting down", GONE}}, /* ER_SERVER_SHUTDOWN */
    {1927, {UNAV, 1, "connection killed", GONE}},    /* ER_CONNECTION_KILLED */
    {1152, {UNAV, 1, "connection aborted", GONE}},   /* ER_ABORTING_CONNECTION */
    {1158, {UNAV, 1, "network error", GONE}},        /* ER_NET_READ_ERROR */
    {1159, {UNAV, 1, "network timeout", GONE}},      /* ER_NET_READ_INTERRUPTED */
    {1160, {UNAV, 1, "network error", GONE}},        /* ER_NET_ERROR_ON_WRITE */
    {1161, {UNAV, 1, "network timeout", GONE}},      /* ER_NET_WRITE_INTERRUPTED */
    {1317, {UNAV, 1, "query interrupted", GONE}},    /* ER_QUERY_INTERRUPTED */
    /* Who may connect. */
    {1045, {UNAV, 1, "access denied", msg_access}},    /* ER_ACCESS_DENIED_ERROR */
    {1698, {UNAV, 1, "access denied", msg_access}},    /* ER_ACCESS_DENIED_NO_PASSWORD_ERROR */
    {1130, {UNAV, 1, "host not allowed", msg_access}}, /* ER_HOST_NOT_PRIVILEGED */
    {1129, {UNAV, 1, "host blocked", msg_access}},     /* ER_HOST_IS_BLOCKED */
    {1049, {UNAV, 1, "unknown database", msg_bad_db}}, /* ER_BAD_DB_ERROR */
    {1044, {UNAV, 0, "database access denied", msg_db_denied}}, /* ER_DBACCESS_DENIED_ERROR */
    {1142, {UNAV, 0, "table access denied", msg_db_denied}},    /* ER_TABLEACCESS_DENIED_ERROR */
    {1143, {UNAV, 0, "column access denied", msg_db_denied}},
    {1227, {UNAV, 0, "privilege missing", msg_db_denied}},
    /* Limits. */
    {1040, {UNAV, 1, "too many connections", msg_connections}}, /* ER_CON_COUNT_ERROR */
    {1203, {UNAV, 1, "too many connections for this user", msg_connections}},
    {1226, {UNAV, 1, "user resource limit reached", msg_connections}}, /* ER_USER_LIMIT_REACHED */
    {1037, {UNAV, 0, "server out of memory", msg_resources}},
    {1041, {UNAV, 0, "server out of resources", msg_resources}},
    {1135, {UNAV, 1, "server cannot create a thread", msg_resources}},
    {1206, {UNAV, 0, "lock table full", msg_resources}},
    /* Space. */
    {1114, {UNAV, 0, "table full", msg_full}},  /* ER_RECORD_FILE_FULL */
    {1021, {UNAV, 0, "disk full", msg_full}},   /* ER_DISK_FULL */
    {1026, {UNAV, 0, "write error", msg_full}}, /* ER_ERROR_ON_WRITE */
    {1878, {UNAV, 0, "temporary file write failed", msg_full}},
    {1180, {UNAV, 0, "commit failed", msg_other}}, /* ER_ERROR_DURING_COMMIT */
    /* Damage. */
    {1712, {UNAV, 0, "index corrupt", msg_corrupt}},      /* ER_INDEX_CORRUPT */
    {1877, {UNAV, 0, "table corrupt", msg_corrupt}},      /* ER_TABLE_CORRUPT */
    {1034, {UNAV, 0, "index file corrupt", msg_corrupt}}, /* ER_NOT_KEYFILE */
    {1033, {UNAV, 0, "table file corrupt", msg_corrupt}}, /* ER_NOT_FORM_FILE */
    {1194, {UNAV, 0, "table crashed", msg_corrupt}},      /* ER_CRASHED_ON_USAGE */
    {1195, {UNAV, 0, "table crashed", msg_corrupt}},      /* ER_CRASHED_ON_REPAIR */
    {1812, {UNAV, 0, "tablespace missing", msg_corrupt}}, /* ER_TABLESPACE_MISSING */
    {1932, {UNAV, 0, "table missing in engine", msg_corrupt}},
    {1016, {UNAV, 0, "cannot open table file", msg_corrupt}}, /* ER_CANT_OPEN_FILE */
    {1030, {UNAV, 0, "storage engine error", msg_other}},     /* ER_GET_ERRNO */
    {1296, {UNAV, 0, "storage engine error", msg_other}},     /* ER_GET_ERRMSG */
    /* Read-only. */
    {1290, {UNAV, 0, "server read-only", msg_readonly}}, /* ER_OPTION_PREVENTS_STATEMENT */
    {1836, {UNAV, 0, "server read-only", msg_readonly}}, /* ER_READ_ONLY_MODE */
    {1792, {UNAV, 0, "read-only transaction", msg_readonly}},
    {1036, {UNAV, 0, "table read-only", msg_readonly}},  /* ER_OPEN_AS_READONLY */
    {1223, {UNAV, 0, "global read lock", msg_readonly}}, /* ER_CANT_UPDATE_WITH_READLOCK */
    /* Waiting. Upstream Kinto answers 503 for every storage error but an
     * integrity one. A lock wait timeout (also a wsrep_sync_wait that
     * timed out) already waited seconds: answered. A deadlock (first
     * writers of a new list) or a Galera certification conflict (two
     * nodes wrote the same rows; also at COMMIT) is a conflict: the
     * whole request runs again (api/app.c), 503 only after the last try. */
    {1205, {UNAV, 0, "lock wait timeout", msg_lock_wait}}, /* ER_LOCK_WAIT_TIMEOUT */
    {1213, {UNAV, 0, "deadlock or certification conflict", cinto_msg_conflict}},
    /* A batch's savepoint gone: the server rolled the whole transaction
     * back under it (a deadlock victim, or Galera aborting it for another
     * node's write), so it is that conflict seen one statement later. */
    {1305, {UNAV, 0, "savepoint lost with its aborted transaction", cinto_msg_conflict}},
    /* Galera: the node left the primary component (or has not joined
     * yet); a fresh connection after it rejoins works, so close this one
     * (the server rolls back whatever it held). */
    {1047, {UNAV, 1, "Galera node not in the primary component", msg_non_primary}},
    {1243, {UNAV, 1, "prepared statement lost", GONE}},  /* ER_UNKNOWN_STMT_HANDLER */
    {1969, {UNAV, 0, "statement timeout", msg_timeout}}, /* ER_STATEMENT_TIMEOUT */
    /* Tables. */
    {1146, {UNAV, 0, "table missing", cinto_msg_tables_missing}}, /* ER_NO_SUCH_TABLE */
    {1054, {UNAV, 0, "column missing", msg_version}},             /* ER_BAD_FIELD_ERROR */
    /* Integrity: the one storage error upstream answers 409 errno 122. */
    {1062, {CONFL, 0, "duplicate key", NULL}}, /* ER_DUP_ENTRY */
    {1022, {CONFL, 0, "duplicate key", NULL}}, /* ER_DUP_KEY */
    {1586, {CONFL, 0, "duplicate key", NULL}}, /* ER_DUP_ENTRY_WITH_KEY_NAME */
    /* Our own mistakes in using the client: a bug, answered 500. */
    {1064, {BUG, 0, "SQL syntax error", NULL}},          /* ER_PARSE_ERROR */
    {1210, {BUG, 0, "wrong statement arguments", NULL}}, /* ER_WRONG_ARGUMENTS */
    {2014, {BUG, 1, "commands out of sync", NULL}},      /* CR_COMMANDS_OUT_OF_SYNC */
    {2030, {BUG, 0, "statement not prepared", NULL}},
    {2031, {BUG, 0, "parameters not bound", NULL}},
    {2034, {BUG, 0, "invalid parameter number", NULL}},
    {2036, {BUG, 0, "unsupported parameter type", NULL}},
    {2008, {CINTO_ST_NOMEM, 0, "client out of memory", NULL}},
};

/* 1016 "Can't open file" and 1030/1296 "Got error N from storage engine"
 * carry the operating system's or the engine's error number in their
 * text; these numbers are conditions of the server, not damage. */
static const struct {
    int err;
    cinto_db_condition c;
} embedded[] = {
    {24, {UNAV, 0, "cannot open table file: too many open files", msg_open_files}}, /* EMFILE */
    {23, {UNAV, 0, "cannot open table file: too many open files", msg_open_files}}, /* ENFILE */
    {12, {UNAV, 0, "cannot open table file: out of memory", msg_open_files}},       /* ENOMEM */
    {28, {UNAV, 0, "disk full", msg_full}},                                         /* ENOSPC */
    {30, {UNAV, 0, "read-only file system", msg_readonly}},                         /* EROFS */
    {135, {UNAV, 0, "table full", msg_full}},                /* HA_ERR_RECORD_FILE_FULL */
    {136, {UNAV, 0, "index full", msg_full}},                /* HA_ERR_INDEX_FILE_FULL */
    {128, {UNAV, 0, "engine out of memory", msg_resources}}, /* HA_ERR_OUT_OF_MEM */
    {165, {UNAV, 0, "table read-only", msg_readonly}},       /* HA_ERR_TABLE_READONLY */
};

static const cinto_db_condition other_server = {UNAV, 0, "database error", msg_other};
static const cinto_db_condition other_client = {UNAV, 1, "client error", msg_other};
static const cinto_db_condition no_code = {UNAV, 1, "no error code", msg_other};

int cinto_db_is_conflict(unsigned code)
{
    /* ER_LOCK_DEADLOCK; ER_UNKNOWN_STMT_HANDLER, seen on Galera nodes
     * after a write set of another node aborted this connection's
     * transaction: its prepared statements are gone, so the connection is
     * dropped and the request runs again on a new one; ER_SP_DOES_NOT_EXIST,
     * a savepoint (batch subrequest) whose transaction the server already
     * rolled back for such a conflict. */
    return code == 1213 || code == 1243 || code == 1305;
}

const cinto_db_condition *cinto_db_classify(unsigned code)
{
    for (size_t i = 0; i < sizeof conditions / sizeof conditions[0]; i++)
        if (conditions[i].code == code)
            return &conditions[i].c;
    if (code == 0)
        return &no_code;
    return code >= 2000 ? &other_client : &other_server;
}

/* The number after "errno: " (1016) or "Got error " (1030, 1296) in
 * MariaDB's English text (lc_messages' default); -1 when none. */
static int embedded_errno(unsigned code, const char *msg)
{
    const char *key = code == 1016 ? "errno: " : "error ";
    const char *p = msg ? strstr(msg, key) : NULL;
    if (!p)
        return -1;
    p += strlen(key);
    if (!isdigit((unsigned char)*p))
        return -1;
    int n = 0;
    for (; isdigit((unsigned char)*p) && n < 100000; p++)
        n = n * 10 + (*p - '0');
    return n;
}

const cinto_db_condition *cinto_db_classify_text(unsigned code, const char *msg)
{
    if (code == 1016 || code == 1030 || code == 1296) {
        int n = embedded_errno(code, msg);
        for (size_t i = 0; n >= 0 && i < sizeof embedded / sizeof embedded[0]; i++)
            if (embedded[i].err == n)
                return &embedded[i].c;
    }
    return cinto_db_classify(code);
}

/* ---- the schema to import ------------------------------------------------ */

extern const char *const cinto_migrations[];

int cinto_storage_schema_sql(const char *prefix, cinto_buf *out, char *err, size_t errlen)
{
    if (cinto_table_prefix_check(prefix, err, errlen) < 0)
        return -1;
    int n = 0;
    while (cinto_migrations[n])
        n++;
    cinto_buf_printf(out,
                     "-- cinto database tables, schema version %d, table prefix '%s'.\n"
                     "-- Import this in phpMyAdmin (Import tab, or paste it in the SQL tab) or "
                     "with `mariadb DATABASE < file`.\n\n",
                     n, prefix);
    for (int i = 0; i < n; i++)
        if (cinto_sql_prefix(cinto_migrations[i], prefix, out, err, errlen) < 0)
            return -1;
    return 0;
}
