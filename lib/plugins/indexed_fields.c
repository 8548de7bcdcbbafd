/* Declared indexed fields (issue 9 item 2). A collection's data may name
 * the record fields its clients filter and sort on:
 *
 *     "indexed_fields": ["title", "n", "author.id"]
 *
 * For each of them this module keeps, in the transaction of every record
 * write, the record's value as the C filters read it in indexed_values
 * (sql/007-indexed-fields.sql), and tells the list planner which fields
 * are ready. A new declaration is built in slices of SLICE records (one
 * per later record write or list read of the collection, serialized on the
 * list's revision row, and `cinto.fcgi reindex`), and a field no longer
 * declared has its rows deleted in slices too; until a field is ready the
 * planner does not use it.
 *
 * Always on: it is not a Kinto plugin and kinto.includes does not name it;
 * the API core reaches it only through the plugin table's hooks. */
#include "plugins/indexed_fields.h"

#include "api/errors.h"
#include "api/plugin.h"
#include "query/plan.h"
#include "query/query.h"
#include "util/json.h"
#include "util/log.h"

#include <assert.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 20
#define MAX_SEGMENTS 8
#define MAX_FIELD_LEN 255
/* Records (or value rows, when dropping) per slice. */
#define SLICE 500
/* Rows per INSERT: far below MariaDB's 65,535 placeholders. */
#define ROWS_PER_INSERT 500

/* ---- the declaration ------------------------------------------------------ */

/* Why field cannot be declared, or NULL. Segments as filters name them
 * (spec 02 §2.4: [A-Za-z0-9_]), and id/last_modified are columns that are
 * indexed already: declaring them is refused rather than silently ignored. */
static const char *field_problem(const char *field)
{
    size_t segments = 1;
    if (!*field)
        return "an empty field name";
    if (strlen(field) > MAX_FIELD_LEN)
        return "a field name longer than 255 characters";
    for (const char *p = field; *p; p++)
        segments += *p == '.';
    if (segments > MAX_SEGMENTS)
        return "a field path of more than 8 dotted segments";
    if (strcmp(field, "id") == 0 || strcmp(field, "last_modified") == 0 ||
        strncmp(field, "id.", 3) == 0 || strncmp(field, "last_modified.", 14) == 0)
        return "id or last_modified (always indexed)";
    char *path = cinto_plan_json_path(field);
    free(path);
    return path ? NULL : "a field name that is not dot-separated segments of [A-Za-z0-9_]";
}

/* Reads data.indexed_fields into names (NULL-terminated, borrowed from
 * data); 0, 1 when absent or null, or -1 with why set. */
static int declared(json_object *data, const char *names[MAX_FIELDS + 1], char *why, size_t n)
{
    json_object *v = NULL;
    names[0] = NULL;
    if (!json_object_object_get_ex(data, "indexed_fields", &v) || !v)
        return 1;
    if (!json_object_is_type(v, json_type_array)) {
        snprintf(why, n, "must be an array of field names");
        return -1;
    }
    size_t len = json_object_array_length(v);
    if (len > MAX_FIELDS) {
        snprintf(why, n, "at most %d fields may be declared", MAX_FIELDS);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        json_object *f = json_object_array_get_idx(v, i);
        if (!json_object_is_type(f, json_type_string)) {
            snprintf(why, n, "item %zu is not a string", i);
            return -1;
        }
        const char *name = json_object_get_string(f), *bad = field_problem(name);
        if (bad) {
            snprintf(why, n, "item %zu (%.80s) is %s", i, name, bad);
            return -1;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(names[k], name) == 0) {
                snprintf(why, n, "%.80s is declared twice", name);
                return -1;
            }
        names[i] = name;
        names[i + 1] = NULL;
    }
    return 0;
}

static int listed(const char *const *names, const char *field)
{
    for (size_t i = 0; names[i]; i++)
        if (strcmp(names[i], field) == 0)
            return 1;
    return 0;
}

/* ---- the rows of one record ----------------------------------------------- */

typedef struct row_set {
    cinto_index_row *rows;
    char (*nums)[32];
    size_t count, cap;
} row_set;

static void rows_clear(row_set *s)
{
    free(s->rows);
    free(s->nums);
    memset(s, 0, sizeof *s);
}

/* Appends the row of v (present or not) as the index stores it: the type
 * rank C compares by, a string's bytes, a number or boolean as a double. */
static int push_row(row_set *s, const char *id, long long lm, const char *field, int kind, int pos,
                    json_object *v, int present)
{
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        cinto_index_row *r = realloc(s->rows, cap * sizeof *r);
        if (r)
            s->rows = r;
        char(*nums)[32] = realloc(s->nums, cap * sizeof *nums);
        if (nums)
            s->nums = nums;
        if (!r || !nums)
            return -1;
        s->cap = cap;
    }
    cinto_index_row *r = &s->rows[s->count];
    memset(r, 0, sizeof *r);
    r->id = id;
    r->last_modified = lm;
    r->field = field;
    r->kind = kind;
    r->pos = pos;
    r->rank = present ? cinto_json_type_rank(v) : 6;
    if (r->rank == 1) {
        r->str = json_object_get_string(v);
        r->str_len = (size_t)json_object_get_string_len(v);
    } else if (r->rank == 2 || r->rank == 3) {
        double d = r->rank == 2 ? json_object_get_double(v) : json_object_get_boolean(v);
        snprintf(s->nums[s->count], sizeof s->nums[0], "%.17g", d);
        r->num = s->nums[s->count];
    }
    s->count++;
    return 0;
}

/* The rows of field in data: its value, and one per element of an array. */
static int field_rows(row_set *s, const char *id, long long lm, json_object *data,
                      const char *field)
{
    int present;
    json_object *v = cinto_field_get(data, field, &present);
    if (push_row(s, id, lm, field, 0, 0, v, present) < 0)
        return -1;
    if (present && json_object_is_type(v, json_type_array))
        for (size_t i = 0; i < json_object_array_length(v); i++)
            if (push_row(s, id, lm, field, 1, (int)i, json_object_array_get_idx(v, i), 1) < 0)
                return -1;
    return 0;
}

/* num pointers point into s->nums, which realloc may move: fixed up once
 * the set is complete. */
static void rows_fix(row_set *s)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->rows[i].num)
            s->rows[i].num = s->nums[i];
}

static int store_rows(cinto_storage *st, const char *parent, row_set *s)
{
    rows_fix(s);
    for (size_t i = 0; i < s->count; i += ROWS_PER_INSERT) {
        size_t n = s->count - i < ROWS_PER_INSERT ? s->count - i : ROWS_PER_INSERT;
        int rc = st->ops->index_add(st, parent, s->rows + i, n);
        if (rc != CINTO_ST_OK)
            return rc;
    }
    return CINTO_ST_OK;
}

/* Replaces the rows of one record for the fields in states that are
 * building or ready. data NULL: the record is gone. */
static int index_record(cinto_storage *st, const char *parent, const char *id, long long lm,
                        json_object *data, const cinto_index_field *states, size_t n)
{
    row_set s = {0};
    /* Even on a create: rows left by a write outside the API must not
     * turn it into a duplicate key. */
    int rc = st->ops->index_forget(st, parent, id, NULL);
    for (size_t i = 0; i < n && data && rc == CINTO_ST_OK; i++) {
        if (states[i].state == CINTO_INDEX_DROPPING)
            continue;
        if (field_rows(&s, id, lm, data, states[i].field) < 0)
            rc = CINTO_ST_NOMEM;
    }
    if (rc == CINTO_ST_OK)
        rc = store_rows(st, parent, &s);
    rows_clear(&s);
    return rc;
}

/* ---- slices ------------------------------------------------------------------ */

/* One step of the first field of parent that is building or dropping; the
 * caller holds the list's lock. *pending says whether work remains. */
static int slice(cinto_storage *st, const char *parent, cinto_index_field *states, size_t n,
                 int *pending)
{
    cinto_index_field *f = NULL;
    *pending = 0;
    for (size_t i = 0; i < n && !f; i++)
        if (states[i].state != CINTO_INDEX_READY)
            f = &states[i];
    if (!f)
        return CINTO_ST_OK;
    if (f->state == CINTO_INDEX_DROPPING) {
        long long removed = 0;
        int rc = st->ops->index_drop(st, parent, 0, f->field, SLICE, &removed);
        if (rc == CINTO_ST_OK && removed < SLICE) {
            rc = st->ops->index_set_state(st, parent, f->field, CINTO_INDEX_GONE, NULL);
            f->state = CINTO_INDEX_GONE;
        }
        *pending = 1;
        return rc;
    }
    /* Building: the records after the cursor, by id. */
    cinto_list_query q;
    cinto_object_list recs = {0};
    memset(&q, 0, sizeof q);
    q.parent = parent;
    q.resource = "record";
    q.gt_modified = q.lt_modified = q.min_modified = q.max_modified = -1;
    q.eq_modified = q.ne_modified = -1;
    q.sort_by_id = 1;
    q.sort_after_rank = f->cursor[0] ? 1 : -1;
    q.sort_after_text = f->cursor[0] ? f->cursor : NULL;
    q.limit = SLICE + 1; /* the cursor's own record comes back first */
    int rc = st->ops->list(st, &q, &recs);
    size_t done = 0;
    const char *last = NULL;
    json_object **parsed = calloc(recs.count ? recs.count : 1, sizeof *parsed);
    row_set s = {0};
    if (rc == CINTO_ST_OK && !parsed)
        rc = CINTO_ST_NOMEM;
    /* The slice's rows are replaced together: one DELETE of the id range,
     * multi-row INSERTs. */
    for (size_t i = 0; i < recs.count && rc == CINTO_ST_OK && done < SLICE; i++) {
        cinto_object *o = &recs.items[i];
        if (f->cursor[0] && strcmp(o->id, f->cursor) == 0)
            continue;
        char err[128];
        parsed[i] = cinto_json_parse(o->data, o->data_len, NULL, err, sizeof err);
        if (!parsed[i])
            rc = CINTO_ST_FAIL;
        else if (field_rows(&s, o->id, o->last_modified, parsed[i], f->field) < 0)
            rc = CINTO_ST_NOMEM;
        last = o->id;
        done++;
    }
    if (rc == CINTO_ST_OK && last)
        rc = st->ops->index_forget_range(st, parent, f->cursor, last, f->field);
    if (rc == CINTO_ST_OK)
        rc = store_rows(st, parent, &s);
    rows_clear(&s);
    for (size_t i = 0; parsed && i < recs.count; i++)
        json_object_put(parsed[i]);
    free(parsed);
    if (rc == CINTO_ST_OK) {
        int more = done == SLICE;
        rc = st->ops->index_set_state(st, parent, f->field,
                                      more ? CINTO_INDEX_BUILDING : CINTO_INDEX_READY,
                                      more ? last : "");
        if (more)
            snprintf(f->cursor, sizeof f->cursor, "%s", last);
        else
            f->state = CINTO_INDEX_READY;
        *pending = 1;
    }
    cinto_object_list_free(&recs);
    return rc;
}

static int pending_work(const cinto_index_field *states, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (states[i].state != CINTO_INDEX_READY)
            return 1;
    return 0;
}

/* ---- write events ------------------------------------------------------------- */

/* The record list of a record URI: "/buckets/b/collections/c/records/r"
 * gives "/buckets/b/collections/c". */
static char *record_parent(const char *uri)
{
    const char *cut = strstr(uri, "/records/");
    return cut ? strndup(uri, (size_t)(cut - uri)) : NULL;
}

/* A collection write: refuses a bad declaration (400, the write undone)
 * and starts building new fields, dropping removed ones. */
static int collection_written(cinto_ctx *c, const cinto_write_event *ev)
{
    cinto_storage *st = c->st;
    const char *names[MAX_FIELDS + 1], *old_names[MAX_FIELDS + 1];
    char why[200];
    int rc = declared(ev->new, names, why, sizeof why);
    if (rc < 0) {
        cinto_error_invalid(c, "body", "data.indexed_fields", why);
        return -1;
    }
    /* Neither before nor after: nothing to look at (the usual case). */
    if (rc == 1 && (!ev->old || declared(ev->old, old_names, why, sizeof why) == 1))
        return 0;
    cinto_index_field states[MAX_FIELDS * 2];
    size_t n = 0;
    rc = st->ops->index_states(st, ev->uri, states, sizeof states / sizeof states[0], &n);
    for (size_t i = 0; i < n && rc == CINTO_ST_OK; i++)
        if (!listed(names, states[i].field) && states[i].state != CINTO_INDEX_DROPPING)
            rc = st->ops->index_set_state(st, ev->uri, states[i].field, CINTO_INDEX_DROPPING, NULL);
    for (size_t k = 0; names[k] && rc == CINTO_ST_OK; k++) {
        int known = 0;
        for (size_t i = 0; i < n; i++)
            known |=
                strcmp(states[i].field, names[k]) == 0 && states[i].state != CINTO_INDEX_DROPPING;
        if (!known)
            rc = st->ops->index_set_state(st, ev->uri, names[k], CINTO_INDEX_BUILDING, "");
    }
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        return -1;
    }
    return 0;
}

/* A record write: its rows follow it; a slice of pending work rides along
 * (the list is locked by the write). */
static int record_written(cinto_ctx *c, const cinto_write_event *ev)
{
    cinto_storage *st = c->st;
    char *parent = record_parent(ev->uri);
    cinto_index_field states[MAX_FIELDS * 2];
    size_t n = 0;
    int pending;
    if (!parent) {
        cinto_error_internal(c, "out of memory");
        return -1;
    }
    int rc = st->ops->index_states(st, parent, states, sizeof states / sizeof states[0], &n);
    if (rc == CINTO_ST_OK && n) {
        json_object *data = ev->action == CINTO_ACTION_DELETE ? NULL : ev->new;
        /* The record's new last_modified (a client may have forced it). */
        json_object *lm = NULL;
        long long ts = data && json_object_object_get_ex(data, "last_modified", &lm) &&
                               json_object_is_type(lm, json_type_int)
                           ? json_object_get_int64(lm)
                           : ev->timestamp;
        rc = index_record(st, parent, ev->id, ts, data, states, n);
    }
    if (rc == CINTO_ST_OK && pending_work(states, n))
        rc = slice(st, parent, states, n, &pending);
    free(parent);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        return -1;
    }
    return 0;
}

static int on_write(cinto_ctx *c, const cinto_write_event *ev)
{
    int rc = CINTO_ST_OK;
    if (strcmp(ev->resource, "record") == 0) {
        /* A cascade's records go with their collection's rows below. */
        return ev->cascade ? 0 : record_written(c, ev);
    }
    if (strcmp(ev->resource, "collection") == 0) {
        if (ev->action != CINTO_ACTION_DELETE)
            return collection_written(c, ev);
        if (!ev->purged)
            rc = c->st->ops->index_drop(c->st, ev->uri, 0, NULL, 0, NULL);
    } else if (strcmp(ev->resource, "bucket") == 0 && ev->action == CINTO_ACTION_DELETE &&
               !ev->purged) {
        rc = c->st->ops->index_drop(c->st, ev->uri, 1, NULL, 0, NULL);
    }
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        return -1;
    }
    return 0;
}

/* ---- list reads ------------------------------------------------------------------ */

/* Runs one slice in its own transaction on the locked list (a read has
 * none; inside a batch it nests). A failure is logged, not answered: the
 * read goes on without the index. */
static void read_slice(cinto_ctx *c, const char *parent, cinto_index_field *states, size_t *n)
{
    cinto_storage *st = c->st;
    long long hwm;
    int pending;
    int rc = st->ops->begin(st);
    if (rc != CINTO_ST_OK)
        return;
    rc = st->ops->lock_list(st, parent, "record", c->now_ms, &hwm);
    /* Re-read under the lock: another worker may have moved on. */
    if (rc == CINTO_ST_OK)
        rc = st->ops->index_states(st, parent, states, MAX_FIELDS * 2, n);
    if (rc == CINTO_ST_OK)
        rc = slice(st, parent, states, *n, &pending);
    if (rc == CINTO_ST_OK)
        rc = st->ops->commit(st);
    if (rc != CINTO_ST_OK) {
        cinto_log("indexed fields of %s: a build slice failed (%s)", parent, st->last_error);
        st->ops->rollback(st);
    }
}

static int list_indexes(cinto_ctx *c, const char *parent, const char *resource, cinto_strv *ready)
{
    cinto_storage *st = c->st;
    cinto_index_field states[MAX_FIELDS * 2];
    size_t n = 0;
    if (strcmp(resource, "record") != 0)
        return 0;
    int rc = st->ops->index_states(st, parent, states, sizeof states / sizeof states[0], &n);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        return -1;
    }
    if (pending_work(states, n) && !c->cfg->readonly)
        read_slice(c, parent, states, &n);
    for (size_t i = 0; i < n; i++)
        if (states[i].state == CINTO_INDEX_READY && cinto_strv_push(ready, states[i].field) < 0) {
            cinto_error_internal(c, "out of memory");
            return -1;
        }
    return 0;
}

static int always(cinto_settings *s)
{
    (void)s;
    return 1;
}

/* `cinto.fcgi reindex [PREFIX]`: builds the declared indexed fields of
 * every collection (or of those whose URI starts with PREFIX) now, instead
 * of slice by slice within later requests. */
static int run_reindex(cinto_app *app, int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "usage: cinto.fcgi reindex [PREFIX]\n");
        return 2;
    }
    if (!app->storage) {
        fprintf(stderr, "cinto: reindex: kinto.storage_url is not set\n");
        return 1;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return cinto_indexed_fields_reindex(app->storage, argc ? argv[0] : NULL, now_ms, stdout) < 0;
}

const cinto_plugin cinto_plugin_indexed_fields = {
    .name = "cinto.indexed_fields",
    .enabled_by = always,
    .kind = -1,
    .on_write = on_write,
    .list_indexes = list_indexes,
    .command = "reindex",
    .command_usage = "reindex [PREFIX]",
    .run_command = run_reindex,
};

/* ---- cinto.fcgi reindex ------------------------------------------------------------ */

int cinto_indexed_fields_reindex(cinto_storage *st, const char *prefix, long long now_ms, FILE *out)
{
    cinto_strv parents = {0};
    int rc = st->ops->begin(st);
    if (rc == CINTO_ST_OK)
        rc = st->ops->index_restart(st, prefix ? prefix : "", &parents);
    if (rc == CINTO_ST_OK)
        rc = st->ops->commit(st);
    else
        st->ops->rollback(st);
    for (size_t p = 0; p < parents.count && rc == CINTO_ST_OK; p++) {
        const char *parent = parents.items[p];
        long long slices = 0, hwm;
        for (int pending = 1; pending && rc == CINTO_ST_OK; slices++) {
            cinto_index_field states[MAX_FIELDS * 2];
            size_t n = 0;
            rc = st->ops->begin(st);
            if (rc == CINTO_ST_OK)
                rc = st->ops->lock_list(st, parent, "record", now_ms, &hwm);
            if (rc == CINTO_ST_OK)
                rc = st->ops->index_states(st, parent, states, MAX_FIELDS * 2, &n);
            if (rc == CINTO_ST_OK)
                rc = slice(st, parent, states, n, &pending);
            if (rc == CINTO_ST_OK)
                rc = st->ops->commit(st);
            else
                st->ops->rollback(st);
        }
        if (rc == CINTO_ST_OK)
            fprintf(out, "%s: indexed (%lld slices)\n", parent, slices);
    }
    if (rc != CINTO_ST_OK)
        fprintf(out, "reindex failed: %s\n", st->last_error);
    cinto_strv_clear(&parents);
    return rc == CINTO_ST_OK ? 0 : -1;
}
