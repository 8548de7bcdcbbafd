/* The pure parts of the storage backend: the table prefix (its rule and
 * how it reaches every table of every statement and migration), the
 * schema to import, and what MariaDB error codes mean for the client. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/settings.h"
#include "storage/sqltext.h"
#include "storage/storage.h"
#include "util/buf.h"

extern const char *const cinto_migrations[];

Test(prefix, rule)
{
    char err[256];
    const char *good[] = {"", "a", "cinto_", "x9_", "abcdefghijklmnop"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        cr_assert_eq(cinto_table_prefix_check(good[i], err, sizeof err), 0, "%s", good[i]);
    const char *bad[] = {"A",  "cinto-", "c.t",   "abcdefghijklmnopq", "x y", "t`", "é",
                         "t'", "t;",     "Cinto_"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        cr_assert_eq(cinto_table_prefix_check(bad[i], err, sizeof err), -1, "%s", bad[i]);
        cr_assert(strstr(err, "kinto.storage_table_prefix"), "%s", err);
        cr_assert(strstr(err, "a-z") && strstr(err, "16"), "the message names the rule: %s", err);
    }
}

static char *prefixed(const char *sql, const char *prefix, int *rc)
{
    cinto_buf b = CINTO_BUF_INIT;
    char err[256];
    *rc = cinto_sql_prefix(sql, prefix, &b, err, sizeof err);
    if (*rc < 0) {
        cinto_buf_free(&b);
        return strdup(err);
    }
    return cinto_buf_steal(&b);
}

Test(prefix, applies_to_backquoted_names_only)
{
    int rc;
    char *s = prefixed("SELECT a, 'x `y`' FROM `objects` o JOIN `acl` ON 1 -- `c`\n"
                       "WHERE b = \"`q`\" /* `d` */ FOR UPDATE",
                       "p_", &rc);
    cr_assert_eq(rc, 0, "%s", s);
    cr_assert_str_eq(s, "SELECT a, 'x `y`' FROM `p_objects` o JOIN `p_acl` ON 1 -- `c`\n"
                        "WHERE b = \"`q`\" /* `d` */ FOR UPDATE");
    free(s);
    s = prefixed("INSERT INTO `revisions` (a) VALUES (1) ON DUPLICATE KEY UPDATE a = a", "", &rc);
    cr_assert_eq(rc, 0, "%s", s);
    cr_assert_str_eq(s, "INSERT INTO `revisions` (a) VALUES (1) ON DUPLICATE KEY UPDATE a = a");
    free(s);
    s = prefixed("CREATE UNIQUE INDEX i ON `t` (x); SELECT 1 FROM `a` JOIN `b` ON a.x = b.x", "q",
                 &rc);
    cr_assert_eq(rc, 0, "%s", s);
    cr_assert_str_eq(
        s, "CREATE UNIQUE INDEX i ON `qt` (x); SELECT 1 FROM `qa` JOIN `qb` ON a.x = b.x");
    free(s);
    s = prefixed("CREATE TABLE IF NOT EXISTS `t` (x INT) ENGINE=InnoDB; UPDATE `t` SET x = 1", "z",
                 &rc);
    cr_assert_eq(rc, 0, "%s", s);
    cr_assert_str_eq(
        s, "CREATE TABLE IF NOT EXISTS `zt` (x INT) ENGINE=InnoDB; UPDATE `zt` SET x = 1");
    free(s);
}

Test(prefix, refuses_unquoted_table_names)
{
    const char *bad[] = {"SELECT a FROM objects",
                         "DELETE FROM acl WHERE 1",
                         "INSERT IGNORE INTO memberships VALUES (1)",
                         "UPDATE objects SET a = 1",
                         "CREATE TABLE IF NOT EXISTS credentials (x INT)",
                         "SELECT 1 FROM `a` JOIN b ON 1",
                         "ALTER TABLE objects FORCE"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc;
        char *s = prefixed(bad[i], "p_", &rc);
        cr_assert_eq(rc, -1, "accepted: %s", bad[i]);
        cr_assert(strstr(s, "backquotes"), "%s", s);
        free(s);
    }
}

/* Every migration passes the rule (the statements of mariadb.c are
 * checked when a worker opens the storage), and the prefixed schema names
 * only prefixed tables. */
Test(prefix, every_migration_and_the_printed_schema)
{
    cinto_strv tables = {0};
    for (int i = 0; cinto_migrations[i]; i++) {
        int rc;
        char *s = prefixed(cinto_migrations[i], "pre_", &rc);
        cr_assert_eq(rc, 0, "migration %d: %s", i, s);
        free(s);
        cr_assert_eq(cinto_sql_tables(cinto_migrations[i], &tables), 0);
    }
    const char *expected[] = {"cinto_schema_version", "objects", "revisions", "acl", "memberships"};
    for (size_t k = 0; k < sizeof expected / sizeof *expected; k++) {
        int found = 0;
        for (size_t i = 0; i < tables.count; i++)
            found |= strcmp(tables.items[i], expected[k]) == 0;
        cr_assert(found, "table %s not listed", expected[k]);
    }
    cinto_buf out = CINTO_BUF_INIT;
    char err[256];
    cr_assert_eq(cinto_storage_schema_sql("pre_", &out, err, sizeof err), 0, "%s", err);
    for (size_t i = 0; i < tables.count; i++) {
        char q[160];
        snprintf(q, sizeof q, "CREATE TABLE IF NOT EXISTS `pre_%s`", tables.items[i]);
        cr_assert(strstr(out.data, q), "missing %s", q);
        snprintf(q, sizeof q, "CREATE TABLE IF NOT EXISTS `%s`", tables.items[i]);
        cr_assert(!strstr(out.data, q), "unprefixed %s", q);
    }
    cr_assert(strstr(out.data, "ROW_FORMAT=DYNAMIC"));
    cr_assert_eq(cinto_storage_schema_sql("Bad-Prefix", &out, err, sizeof err), -1);
    cinto_buf_free(&out);
    cinto_strv_clear(&tables);
}

Test(classify, storage_side_failures_are_503_with_a_message)
{
    /* table full, corrupt index, read-only, lock wait, too many
     * connections, disk full, crashed table, missing table */
    unsigned codes[] = {1114, 1712, 1290, 1205, 1040, 1021, 1194, 1146, 1877, 1836, 1203, 1213};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        const cinto_db_condition *c = cinto_db_classify(codes[i]);
        cr_assert_eq(c->rc, CINTO_ST_UNAVAILABLE, "%u", codes[i]);
        cr_assert(c->message && *c->message, "%u has a message", codes[i]);
        cr_assert(c->name && *c->name);
    }
    cr_assert(strstr(cinto_db_classify(1114)->message, "full"));
    cr_assert(strstr(cinto_db_classify(1712)->message, "cinto.fcgi check"));
    cr_assert(strstr(cinto_db_classify(1290)->message, "read-only"));
    cr_assert_eq(cinto_db_classify(1205)->reconnect, 0);
}

Test(classify, damage_stays_damage_but_a_server_short_of_files_or_space_is_not)
{
    /* A file the engine cannot find, or a tablespace gone, is damage:
     * `cinto.fcgi check` says what to repair. */
    const char *damaged[] = {
        "Can't open file: 'objects.ibd' (errno: 2 \"No such file or directory\")",
        "Can't open file: 'objects.ibd' (errno: 155 \"The table does not exist in the storage "
        "engine\")",
        "Can't open file: 'objects.ibd' (errno: 194 \"Tablespace is missing for a table\")",
        "Can't open file: 'objects.ibd'",
        NULL,
    };
    for (size_t i = 0; i < sizeof damaged / sizeof *damaged; i++) {
        const cinto_db_condition *c = cinto_db_classify_text(1016, damaged[i]);
        cr_assert_eq(c, cinto_db_classify(1016), "%s", damaged[i] ? damaged[i] : "(null)");
        cr_assert(strstr(c->message, "damaged"));
    }
    /* Out of file handles or memory: the same file opens later. */
    const char *busy[] = {
        "Can't open file: 'objects.ibd' (errno: 24 \"Too many open files\")",
        "Can't open file: 'objects.ibd' (errno: 23 \"Too many open files in system\")",
        "Can't open file: 'objects.ibd' (errno: 12 \"Cannot allocate memory\")",
    };
    for (size_t i = 0; i < sizeof busy / sizeof *busy; i++) {
        const cinto_db_condition *c = cinto_db_classify_text(1016, busy[i]);
        cr_assert_eq(c->rc, CINTO_ST_UNAVAILABLE);
        cr_assert_not(strstr(c->message, "damaged"), "%s", busy[i]);
        cr_assert(strstr(c->message, "retry later") || strstr(c->message, "Retry later"));
    }
    /* The engine's "got error N": a full disk or table is "full", a
     * read-only file system "read-only"; other numbers keep their class. */
    cr_assert(strstr(cinto_db_classify_text(1030, "Got error 28 \"No space left on device\" from "
                                                  "storage engine InnoDB")
                         ->message,
                     "full"));
    cr_assert(strstr(
        cinto_db_classify_text(1030, "Got error 135 \"No more room in record file\" from storage "
                                     "engine InnoDB")
            ->message,
        "full"));
    cr_assert(strstr(
        cinto_db_classify_text(1296, "Got error 30 'Read-only file system' from InnoDB")->message,
        "read-only"));
    cr_assert_eq(cinto_db_classify_text(1030, "Got error 168 \"Unknown (generic) error from "
                                              "engine\" from storage engine InnoDB"),
                 cinto_db_classify(1030));
    /* Other codes: their own class whatever the text says. */
    cr_assert_eq(cinto_db_classify_text(1712, "errno: 24"), cinto_db_classify(1712));
    cr_assert_eq(cinto_db_classify_text(1114, NULL), cinto_db_classify(1114));
}

Test(classify, conflicts_are_replayed_and_non_primary_nodes_reconnect)
{
    /* A deadlock or a Galera certification failure (both 1213) is the one
     * condition the pipeline runs the request again for; its last answer
     * names the setting that bounds the replays. */
    cr_assert(cinto_db_is_conflict(1213));
    cr_assert(cinto_db_is_conflict(1243));
    /* A batch's savepoint gone with its aborted transaction. */
    cr_assert(cinto_db_is_conflict(1305));
    cr_assert_eq(cinto_db_classify(1305)->message, cinto_db_classify(1213)->message);
    cr_assert_eq(cinto_db_classify(1243)->reconnect, 1);
    unsigned others[] = {1205, 1047, 1062, 1290, 2006, 1180, 0};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++)
        cr_assert_not(cinto_db_is_conflict(others[i]), "%u", others[i]);
    cr_assert_eq(cinto_db_classify(1213)->rc, CINTO_ST_UNAVAILABLE);
    cr_assert(strstr(cinto_db_classify(1213)->message, "kinto.storage_max_retries"));
    cr_assert(strstr(cinto_db_classify(1213)->message, "kinto.storage_retry_budget_seconds"));
    /* A Galera node out of the primary component: 503 naming the cause;
     * the connection is dropped so that the next request starts afresh. */
    const cinto_db_condition *np = cinto_db_classify(1047);
    cr_assert_eq(np->rc, CINTO_ST_UNAVAILABLE);
    cr_assert_eq(np->reconnect, 1);
    cr_assert(strstr(np->message, "primary component"));
}

Test(classify, connection_conditions)
{
    /* Lost connections reconnect and keep upstream's generic text. */
    unsigned gone[] = {2006, 2013, 2002, 2003, 1053, 1927};
    for (size_t i = 0; i < sizeof gone / sizeof *gone; i++) {
        const cinto_db_condition *c = cinto_db_classify(gone[i]);
        cr_assert_eq(c->rc, CINTO_ST_UNAVAILABLE);
        cr_assert_eq(c->reconnect, 1, "%u", gone[i]);
        cr_assert_null(c->message, "%u", gone[i]);
    }
    cr_assert(strstr(cinto_db_classify(1045)->message, "password"));
    cr_assert(strstr(cinto_db_classify(1049)->message, "does not exist"));
    /* No message ever names a user, host or socket: they come from code. */
    cr_assert_null(strstr(cinto_db_classify(1045)->message, "@localhost"));
}

Test(classify, integrity_is_409_bugs_are_500_unknown_is_503)
{
    cr_assert_eq(cinto_db_classify(1062)->rc, CINTO_ST_CONFLICT);
    cr_assert_eq(cinto_db_classify(1586)->rc, CINTO_ST_CONFLICT);
    cr_assert_eq(cinto_db_classify(1064)->rc, CINTO_ST_FAIL);
    cr_assert_eq(cinto_db_classify(2031)->rc, CINTO_ST_FAIL);
    cr_assert_eq(cinto_db_classify(1105)->rc, CINTO_ST_UNAVAILABLE);
    cr_assert_eq(cinto_db_classify(4025)->rc, CINTO_ST_UNAVAILABLE);
    /* "MariaDB error 0:" once: no code still names a condition. */
    const cinto_db_condition *z = cinto_db_classify(0);
    cr_assert_eq(z->rc, CINTO_ST_UNAVAILABLE);
    cr_assert_str_eq(z->name, "no error code");
}

Test(options, defaults_and_rules)
{
    cinto_storage_options o;
    char err[256];
    cr_assert_eq(cinto_storage_options_load(NULL, &o, err, sizeof err), 0);
    cr_assert_eq(o.read_timeout, 10);
    cr_assert_eq(o.write_timeout, 10);
    cr_assert_eq(o.connect_timeout, 3);
    cr_assert_eq(o.auto_migrate, 1);
    cr_assert_str_eq(o.table_prefix, "");
    cr_assert_eq(o.wsrep_sync_wait, 1);
    cr_assert_eq(o.list_time_limit_ms, 8000);
    cr_assert_eq(o.unindexed_sort_time_limit_ms, 2000);
}

/* Options from an ini holding one line under [app:main]. */
static int options_from(const char *line, cinto_storage_options *o, char *err, size_t errlen)
{
    char path[] = "/tmp/cinto-test-options-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "[app:main]\n%s\n", line);
    fclose(f);
    cinto_settings *s = cinto_settings_load(path, err, errlen);
    unlink(path);
    cr_assert_not_null(s, "%s", err);
    int rc = cinto_storage_options_load(s, o, err, errlen);
    cinto_settings_free(s);
    return rc;
}

/* MariaDB's wsrep_sync_wait is a bitmask of 4 bits: 0 (off) to 15. */
Test(options, wsrep_sync_wait)
{
    cinto_storage_options o;
    char err[256];
    cr_assert_eq(options_from("kinto.storage_wsrep_sync_wait = 0", &o, err, sizeof err), 0);
    cr_assert_eq(o.wsrep_sync_wait, 0);
    cr_assert_eq(options_from("kinto.storage_wsrep_sync_wait = 15", &o, err, sizeof err), 0);
    cr_assert_eq(o.wsrep_sync_wait, 15);
    const char *bad[] = {"16", "-1", "yes", "1.5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char line[80];
        snprintf(line, sizeof line, "kinto.storage_wsrep_sync_wait = %s", bad[i]);
        err[0] = '\0';
        cr_assert_eq(options_from(line, &o, err, sizeof err), -1, "%s", bad[i]);
        cr_assert(strstr(err, "kinto.storage_wsrep_sync_wait") && strstr(err, "15"), "%s", err);
    }
}

/* Both list bounds are decimal seconds (MariaDB's max_statement_time
 * keeps milliseconds), 0 turning them off; a bad value names its key. */
Test(options, list_time_limits)
{
    cinto_storage_options o;
    char err[256];
    cr_assert_eq(
        options_from("kinto.storage_unindexed_sort_time_limit_seconds = 0.5", &o, err, sizeof err),
        0);
    cr_assert_eq(o.unindexed_sort_time_limit_ms, 500);
    cr_assert_eq(o.list_time_limit_ms, 8000);
    cr_assert_eq(
        options_from("kinto.storage_unindexed_sort_time_limit_seconds = 0", &o, err, sizeof err),
        0);
    cr_assert_eq(o.unindexed_sort_time_limit_ms, 0);
    cr_assert_eq(
        options_from("kinto.storage_list_time_limit_seconds = 0.0004", &o, err, sizeof err), 0);
    cr_assert_eq(o.list_time_limit_ms, 1, "a positive bound never rounds to none");
    const char *keys[] = {"storage_list_time_limit_seconds",
                          "storage_unindexed_sort_time_limit_seconds"};
    const char *bad[] = {"-1", "soon", "1e9", ""};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
            char line[120];
            snprintf(line, sizeof line, "kinto.%s = %s", keys[k], bad[i]);
            err[0] = '\0';
            cr_assert_eq(options_from(line, &o, err, sizeof err), -1, "%s", line);
            cr_assert(strstr(err, keys[k]) && strstr(err, "seconds"), "%s", err);
        }
}

/* ---- Galera safety of the schema (README "Several web servers, Galera,
 * replicas") --------------------------------------------------------- */

extern const char *const cinto_migration_names[];

/* The text with comments and string literals blanked out, upper-cased:
 * what the checks below search. */
static char *sql_words(const char *sql)
{
    size_t n = strlen(sql);
    char *out = malloc(n + 1);
    cr_assert_not_null(out);
    for (size_t i = 0; i < n;) {
        if (sql[i] == '-' && sql[i + 1] == '-') {
            while (i < n && sql[i] != '\n')
                out[i++] = ' ';
        } else if (sql[i] == '\'' || sql[i] == '"') {
            char q = sql[i];
            out[i++] = ' ';
            while (i < n && sql[i] != q)
                out[i++] = ' ';
            if (i < n)
                out[i++] = ' ';
        } else {
            out[i] = (char)toupper((unsigned char)sql[i]);
            i++;
        }
    }
    out[n] = '\0';
    return out;
}

/* Galera replicates only InnoDB tables, and a table without a primary key
 * replicates badly (row events are applied by full scans, deletes may
 * differ between nodes); LOCK TABLES and GET_LOCK are not cluster-wide.
 * Every migration of sql/, those added later included, is checked. */
Test(galera, every_table_is_innodb_with_a_primary_key)
{
    int ntables = 0;
    for (int m = 0; cinto_migrations[m]; m++) {
        char *w = sql_words(cinto_migrations[m]);
        const char *name = cinto_migration_names[m];
        cr_assert_null(strstr(w, "LOCK TABLE"), "%s uses LOCK TABLES", name);
        cr_assert_null(strstr(w, "GET_LOCK"), "%s uses GET_LOCK", name);
        cr_assert_null(strstr(w, "MYISAM"), "%s names MyISAM", name);
        cr_assert_null(strstr(w, "ENGINE=MEMORY"), "%s names the MEMORY engine", name);
        cr_assert_null(strstr(w, "ENGINE=ARIA"), "%s names the Aria engine", name);
        cr_assert_null(strstr(w, "TEMPORARY"), "%s creates a temporary table", name);
        for (const char *p = strstr(w, "CREATE TABLE"); p; p = strstr(p + 1, "CREATE TABLE")) {
            /* The table's definition: its parentheses, then its options
             * up to the end of the statement. */
            const char *open = strchr(p, '(');
            cr_assert_not_null(open, "%s: CREATE TABLE without columns", name);
            int depth = 0;
            const char *q = open;
            for (; *q; q++) {
                if (*q == '(')
                    depth++;
                else if (*q == ')' && --depth == 0)
                    break;
            }
            cr_assert(*q, "%s: unbalanced parentheses", name);
            const char *end = strchr(q, ';');
            cr_assert_not_null(end, "%s: CREATE TABLE without ';'", name);
            char *cols = strndup(open, (size_t)(q - open));
            char *opts = strndup(q, (size_t)(end - q));
            char table[80];
            const char *bq = strchr(p, '`');
            snprintf(table, sizeof table, "%.*s", bq ? (int)(strcspn(bq + 1, "`")) : 20,
                     bq ? bq + 1 : p);
            cr_assert(strstr(cols, "PRIMARY KEY"), "%s: table %s has no primary key", name, table);
            char *eng = strstr(opts, "ENGINE");
            cr_assert(eng, "%s: table %s does not say ENGINE=InnoDB", name, table);
            eng += 6;
            while (*eng == ' ' || *eng == '=')
                eng++;
            cr_assert(strncmp(eng, "INNODB", 6) == 0, "%s: table %s is not InnoDB", name, table);
            free(cols);
            free(opts);
            ntables++;
        }
        free(w);
    }
    cr_assert_geq(ntables, 8, "the tables were found (%d)", ntables);
}
