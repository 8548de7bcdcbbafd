/* Storage behind an interface: the resource layer speaks only these
 * operations; lib/storage/mariadb.c is the one backend. Every call returns
 * CINTO_ST_OK (0), or a negative cinto_st_error the caller maps to an HTTP
 * answer (unavailable -> 503, conflict -> 409). */
#ifndef CINTO_STORAGE_STORAGE_H
#define CINTO_STORAGE_STORAGE_H

#include <json-c/json.h>
#include <stddef.h>

enum cinto_st_error {
    CINTO_ST_OK = 0,
    CINTO_ST_NOTFOUND = 1,     /* not an error: nothing there */
    CINTO_ST_FAIL = -1,        /* unexpected: 500 */
    CINTO_ST_UNAVAILABLE = -2, /* server gone or unreachable: 503 */
    CINTO_ST_CONFLICT = -3,    /* deadlock, lock timeout, duplicate key race: 409 */
    CINTO_ST_NOMEM = -4,
};

typedef struct cinto_object {
    char *id;
    long long last_modified;
    int deleted;
    char *data; /* JSON text of the object without id/last_modified */
    size_t data_len;
} cinto_object;

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
} cinto_list_query;

typedef struct cinto_storage cinto_storage;

typedef struct cinto_storage_ops {
    /* Opens the connection if needed and starts a transaction. */
    int (*begin)(cinto_storage *st);
    int (*commit)(cinto_storage *st);
    void (*rollback)(cinto_storage *st);
    /* Cheap liveness check for /__heartbeat__. */
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
    /* Writes a live object; row_exists says whether a row (live or
     * tombstone) is there already, as the caller read it under the list lock. */
    int (*put)(cinto_storage *st, const char *parent, const char *resource, const char *id,
               long long last_modified, const char *data, size_t data_len, int row_exists);
    int (*tombstone)(cinto_storage *st, const char *parent, const char *resource, const char *id,
                     long long last_modified);
    int (*list)(cinto_storage *st, const cinto_list_query *q, cinto_object_list *out);
    int (*count)(cinto_storage *st, const cinto_list_query *q, long long *n);
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
    /* URIs of objects directly in the list below parent_uri ("/buckets/b/
     * collections/" prefix style) where one of principals holds one of
     * perms. */
    int (*acl_shared)(cinto_storage *st, const char *uri_prefix, const char *const *perms,
                      size_t nperms, const char *const *principals, size_t nprincipals,
                      cinto_strv *uris);

    /* Groups whose members include one of these principals. */
    int (*groups_of)(cinto_storage *st, size_t n, const char *const *principals, cinto_strv *out);
    /* Replaces the members of a group in the membership index. */
    int (*set_members)(cinto_storage *st, const char *group_uri, const char *const *members,
                       size_t n);

    /* Calls fn for every live object whose parent is uri or below it, read
     * in one query (the children a cascade is about to purge); stops at
     * the first non-zero return of fn and returns it. */
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

    void (*close)(cinto_storage *st);
} cinto_storage_ops;

struct cinto_storage {
    const cinto_storage_ops *ops;
    char last_error[256];
};

/* Parses a mysql:// URL (spec 08 §8.15) and prepares a backend; the
 * connection opens lazily on first use. NULL with a message when the URL is
 * not a MariaDB one. */
cinto_storage *cinto_mariadb_open(const char *url, char *err, size_t errlen);
/* Applies sql/ migrations (embedded in the binary). */
int cinto_mariadb_migrate(cinto_storage *st, char *err, size_t errlen);

void cinto_object_clear(cinto_object *o);
void cinto_object_list_free(cinto_object_list *l);
void cinto_ace_list_free(cinto_ace_list *l);
int cinto_strv_push(cinto_strv *v, const char *s);
void cinto_strv_clear(cinto_strv *v);

#endif
