/* The storage settings besides kinto.storage_url, read once per worker. */
#include "config/settings.h"
#include "storage/sqltext.h"
#include "storage/storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Timeouts stay below the web servers' own (mod_fcgid's I/O timeout is
 * 40 s, lighttpd's and nginx's 60 s), so a hung database gives cinto's 503
 * and not the server's HTML error page. */
#define DEFAULT_CONNECT_TIMEOUT 3
#define DEFAULT_RW_TIMEOUT 10
#define MAX_TIMEOUT 3600

static int timeout_setting(const cinto_settings *s, const char *key, unsigned dflt, unsigned *out,
                           char *err, size_t errlen)
{
    int ok = 1;
    long long v = s ? cinto_settings_int(s, key, dflt, &ok) : dflt;
    if (!ok && cinto_settings_get(s, key))
        v = -1;
    if (v < 1 || v > MAX_TIMEOUT) {
        snprintf(err, errlen, "kinto.%s must be a whole number of seconds from 1 to %d", key,
                 MAX_TIMEOUT);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

/* Seconds with up to three decimals (MariaDB's max_statement_time is a
 * decimal number of seconds); 0 turns the bound off. Below the read
 * timeout by default, so the server stops the statement before the client
 * gives up on the connection. */
#define DEFAULT_LIST_TIME_LIMIT_MS 8000
/* A sort on an undeclared field reads and orders every row of the list
 * before its first record can be sent: past a few seconds such a read is
 * a worker held for nothing (and a cheap way to hold them all), so it
 * gets a shorter bound than filters, which stop at the page's end. */
#define DEFAULT_UNINDEXED_SORT_TIME_LIMIT_MS 2000

static int list_time_setting(const cinto_settings *s, const char *key, unsigned dflt, unsigned *out,
                             char *err, size_t errlen)
{
    const char *v = s ? cinto_settings_get(s, key) : NULL;
    *out = dflt;
    if (!v)
        return 0;
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end || !(d >= 0 && d <= MAX_TIMEOUT)) {
        snprintf(err, errlen, "kinto.%s must be a number of seconds from 0 (no limit) to %d", key,
                 MAX_TIMEOUT);
        return -1;
    }
    *out = (unsigned)(d * 1000 + 0.5);
    if (d > 0 && *out == 0)
        *out = 1;
    return 0;
}

/* kinto.storage_wsrep_sync_wait: MariaDB's wsrep_sync_wait bitmask (0 to
 * 15: 1 reads, 2 updates and deletes, 4 inserts and replaces, 8 SHOW);
 * by default 1, so a read on one node sees every write the cluster
 * acknowledged before it, through any node. */
#define DEFAULT_WSREP_SYNC_WAIT 1

static int sync_wait_setting(const cinto_settings *s, unsigned *out, char *err, size_t errlen)
{
    int ok = 1;
    const char *v = s ? cinto_settings_get(s, "storage_wsrep_sync_wait") : NULL;
    long long n = v ? cinto_settings_int(s, "storage_wsrep_sync_wait", DEFAULT_WSREP_SYNC_WAIT, &ok)
                    : DEFAULT_WSREP_SYNC_WAIT;
    if (!ok || n < 0 || n > 15) {
        snprintf(err, errlen,
                 "kinto.storage_wsrep_sync_wait must be a whole number from 0 (reads do not wait "
                 "for the Galera cluster) to 15 (MariaDB's wsrep_sync_wait bitmask); 1 is the "
                 "default");
        return -1;
    }
    *out = (unsigned)n;
    return 0;
}

/* s may be NULL: the defaults. */
int cinto_storage_options_load(const cinto_settings *s, cinto_storage_options *opt, char *err,
                               size_t errlen)
{
    memset(opt, 0, sizeof *opt);
    const char *prefix = s ? cinto_settings_get(s, "storage_table_prefix") : NULL;
    if (prefix) {
        if (cinto_table_prefix_check(prefix, err, errlen) < 0)
            return -1;
        snprintf(opt->table_prefix, sizeof opt->table_prefix, "%s", prefix);
    }
    if (timeout_setting(s, "storage_connect_timeout_seconds", DEFAULT_CONNECT_TIMEOUT,
                        &opt->connect_timeout, err, errlen) < 0 ||
        timeout_setting(s, "storage_read_timeout_seconds", DEFAULT_RW_TIMEOUT, &opt->read_timeout,
                        err, errlen) < 0 ||
        timeout_setting(s, "storage_write_timeout_seconds", DEFAULT_RW_TIMEOUT, &opt->write_timeout,
                        err, errlen) < 0 ||
        list_time_setting(s, "storage_list_time_limit_seconds", DEFAULT_LIST_TIME_LIMIT_MS,
                          &opt->list_time_limit_ms, err, errlen) < 0 ||
        list_time_setting(s, "storage_unindexed_sort_time_limit_seconds",
                          DEFAULT_UNINDEXED_SORT_TIME_LIMIT_MS, &opt->unindexed_sort_time_limit_ms,
                          err, errlen) < 0 ||
        sync_wait_setting(s, &opt->wsrep_sync_wait, err, errlen) < 0)
        return -1;
    /* A read-only instance must not write, not even tables. */
    opt->auto_migrate = !s || (cinto_settings_bool(s, "storage_auto_migrate", 1) &&
                               !cinto_settings_bool(s, "readonly", 0));
    return 0;
}
