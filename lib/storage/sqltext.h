/* The pure parts of the MariaDB backend, kept apart so that unit tests
 * need no server: the table prefix applied to SQL text, the table list of
 * the embedded migrations, and what a MariaDB error code means for the
 * client (409, 503 with which message, reconnect or not). */
#ifndef CINTO_STORAGE_SQLTEXT_H
#define CINTO_STORAGE_SQLTEXT_H

#include <stddef.h>

#include "storage/storage.h"
#include "util/buf.h"

/* kinto.storage_table_prefix: at most this many characters of [a-z0-9_]. */
#define CINTO_TABLE_PREFIX_MAX 16

/* 0 when prefix is a valid table prefix (empty included); else -1 and a
 * message naming the rule. */
int cinto_table_prefix_check(const char *prefix, char *err, size_t errlen);

/* The one way table names reach the server. In cinto's SQL (the files of sql/ and
 * every statement of lib/storage/), a table name is always written in
 * backquotes and nothing else is: each `name` becomes `<prefix>name`. So
 * that a new statement or table cannot forget the prefix, an unquoted name
 * after FROM, INTO, JOIN, TABLE or UPDATE is refused (-1 with err) instead
 * of reaching the wrong table. Quotes, comments and string literals are
 * copied as they are. Appends to out. */
int cinto_sql_prefix(const char *sql, const char *prefix, cinto_buf *out, char *err, size_t errlen);

/* Appends to out the names (unprefixed) of the tables that sql creates
 * (CREATE TABLE [IF NOT EXISTS] `name`), in order, without duplicates. */
int cinto_sql_tables(const char *sql, cinto_strv *out);

/* What a MariaDB server or client error code means here. */
typedef struct cinto_db_condition {
    int rc;              /* CINTO_ST_UNAVAILABLE (503), _CONFLICT (409) or _FAIL (500) */
    int reconnect;       /* the connection is unusable: close it (and retry once) */
    const char *name;    /* short name for the log ("table full") */
    const char *message; /* for the HTTP answer; NULL: the generic 503 text */
} cinto_db_condition;

const cinto_db_condition *cinto_db_classify(unsigned code);
/* As cinto_db_classify, with MariaDB's error text: "Can't open file"
 * (1016) and "Got error N from storage engine" (1030, 1296) name an
 * operating system or engine error number, and a file the server cannot
 * open for lack of file handles or memory, or a full disk, is a passing
 * condition of the server, not a damaged table. */
const cinto_db_condition *cinto_db_classify_text(unsigned code, const char *msg);
/* 1 when the code is a transaction conflict that running the whole
 * request again may cure (a deadlock victim, a Galera certification
 * failure: both 1213, ER_LOCK_DEADLOCK; prepared statements lost when
 * Galera aborted the transaction: 1243; a batch's savepoint gone with
 * its aborted transaction: 1305). */
int cinto_db_is_conflict(unsigned code);

/* Messages that do not come from one error code. */
extern const char cinto_msg_unreachable[];
extern const char cinto_msg_tables_missing[];
extern const char cinto_msg_no_create[];
extern const char cinto_msg_galera[];
extern const char cinto_msg_migrating[];
extern const char cinto_msg_newer_fmt[]; /* two %d: found, known */
extern const char cinto_msg_conflict[];

#endif
