/* The attachment plugin (kinto_attachment, spec 07, ATT-1..8): files
 * attached to records, stored under kinto.attachment.base_path and served
 * by the web server itself under kinto.attachment.base_url.
 *
 * POST …/records/{rid}/attachment streams its multipart body (the route
 * is CINTO_ROUTE_STREAM_BODY): the file part goes to a temporary file in
 * its destination folder while its SHA-256 and size are computed, so the
 * worker never holds the file in memory. Then, in this order:
 *   1. the temporary file is renamed into place (a name created
 *      exclusively first, "-1", "-2"... on collision);
 *   2. the record is written as any PATCH (existing record) or PUT
 *      (creation), by the core's own handlers, with {"attachment": meta};
 *      the write event links the file to the record (table attachments)
 *      in the same transaction and drops the previous link;
 *   3. the transaction commits; only then is the previous file removed.
 * A crash before 3 leaves a file no row names (gc-attachments sweeps it);
 * never a record pointing at a missing file. Deletions of records,
 * collections and buckets find their files through the links in the
 * write event and remove them after the commit, through the storage's
 * transaction events (plugin.h on_tx). */
#include "api/errors.h"
#include "api/handlers.h"
#include "api/plugin.h"
#include "api/resource_internal.h"
#include "api/router.h"
#include "http/multipart.h"
#include "http/parse.h"
#include "plugins/attachments.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"
#include "util/random.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CAP_VERSION "6.4.0"
#define TMP_PREFIX ".cinto-upload-"
#define HEARTBEAT_FOLDER "heartbeat-test"
#define READ_CHUNK 65536

/* ---- settings (spec 07 §7.5), read once per worker ------------------------ */

static cinto_settings *settings;
static char base_path[PATH_MAX];
static char *base_url; /* "" or ending in '/' */
static char *cap_url;  /* advertised; NULL when neither base_url is set */
static const char *mimetypes;
static cinto_att_exts exts;
static int readonly;
static const char *failpoint; /* test builds only: see configure() */

static const char *const override_names[] = {
    "randomize", "keep_old_files", "filename_pattern", "max_size_bytes", "max_size", "folder",
    NULL};

/* The value of a setting for the resource (collection beats bucket beats
 * global), NULL when unset everywhere. */
static const char *rsetting(const char *bid, const char *cid, const char *name)
{
    char key[1024];
    const char *v = NULL;
    if (bid && cid) {
        snprintf(key, sizeof key, "attachment.resources.%s.%s.%s", bid, cid, name);
        v = cinto_settings_get(settings, key);
    }
    if (!v && bid) {
        snprintf(key, sizeof key, "attachment.resources.%s.%s", bid, name);
        v = cinto_settings_get(settings, key);
    }
    if (!v) {
        snprintf(key, sizeof key, "attachment.%s", name);
        v = cinto_settings_get(settings, key);
    }
    return v;
}

static int bool_value(const char *v, int dflt)
{
    if (!v)
        return dflt;
    if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "1"))
        return 1;
    if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") || !strcmp(v, "0"))
        return 0;
    return dflt;
}

/* What applies to one collection's uploads. */
typedef struct rules {
    int randomize, keep_old_files;
    const char *filename_pattern; /* NULL: none */
    unsigned long long max_size;  /* 0: no limit */
    char folder[CINTO_ATT_PATH_MAX];
} rules;

/* max_size_bytes, or its alias max_size, at the most specific level. */
static unsigned long long max_size_of(const char *bid, const char *cid)
{
    const char *levels[3][2] = {{bid, cid}, {bid, NULL}, {NULL, NULL}};
    for (int i = 0; i < 3; i++) {
        if ((i == 0 && !cid) || (i < 2 && !bid))
            continue;
        for (int k = 0; k < 2; k++) {
            char key[1024];
            const char *name = k ? "max_size" : "max_size_bytes";
            if (levels[i][1])
                snprintf(key, sizeof key, "attachment.resources.%s.%s.%s", bid, cid, name);
            else if (levels[i][0])
                snprintf(key, sizeof key, "attachment.resources.%s.%s", bid, name);
            else
                snprintf(key, sizeof key, "attachment.%s", name);
            const char *v = cinto_settings_get(settings, key);
            if (v && *v)
                return strtoull(v, NULL, 10);
        }
    }
    return 0;
}

/* The rules of a collection; -1 when the folder pattern gives no usable
 * folder (checked at startup for the global one). */
static int rules_of(const char *bid, const char *cid, const char *rid, rules *out)
{
    out->randomize = bool_value(rsetting(bid, cid, "randomize"), 1);
    out->keep_old_files = bool_value(rsetting(bid, cid, "keep_old_files"), 0);
    out->filename_pattern = rsetting(bid, cid, "filename_pattern");
    if (out->filename_pattern && !*out->filename_pattern)
        out->filename_pattern = NULL;
    out->max_size = max_size_of(bid, cid);
    const char *pattern = rsetting(bid, cid, "folder");
    const char *names[] = {"bucket_id", "collection_id", "id"};
    const char *values[] = {bid ? bid : "", cid ? cid : "", rid ? rid : ""};
    char raw[CINTO_ATT_PATH_MAX];
    if (cinto_att_format(pattern ? pattern : "", names, values, 3, raw, sizeof raw) < 0)
        return -1;
    return cinto_att_clean_folder(raw, out->folder, sizeof out->folder);
}

/* keep_old_files of the collection a link names ("/buckets/b/collections/c"). */
static int keep_files_of(const char *collection_uri)
{
    char copy[700];
    snprintf(copy, sizeof copy, "%s", collection_uri);
    char *bid = NULL, *cid = NULL;
    if (strncmp(copy, "/buckets/", 9) == 0) {
        bid = copy + 9;
        char *slash = strchr(bid, '/');
        if (slash) {
            *slash = '\0';
            if (strncmp(slash + 1, "collections/", 12) == 0)
                cid = slash + 13;
        }
    }
    return bool_value(rsetting(bid, cid, "keep_old_files"), 0);
}

static void trim_url(const char *v, char **out)
{
    size_t n = strlen(v);
    *out = malloc(n + 2);
    if (!*out)
        return;
    memcpy(*out, v, n + 1);
    if (n && v[n - 1] != '/')
        strcpy(*out + n, "/");
}

/* Checks the per-resource keys as upstream does at startup: only the
 * names that may be overridden, with readable values. */
static int check_overrides(cinto_settings *s, char *err, size_t errlen)
{
    static const char prefix[] = "attachment.resources.";
    for (size_t i = 0; i < cinto_settings_count(s); i++) {
        const char *key = cinto_settings_key_at(s, i);
        if (strncmp(key, prefix, sizeof prefix - 1) != 0)
            continue;
        const char *rest = key + sizeof prefix - 1, *name = strrchr(rest, '.');
        size_t dots = 0;
        for (const char *p = rest; *p; p++)
            dots += *p == '.';
        if (!name || dots < 1 || dots > 2) {
            snprintf(err, errlen,
                     "kinto.%.200s: write kinto.attachment.resources.BUCKET.NAME or "
                     "kinto.attachment.resources.BUCKET.COLLECTION.NAME",
                     key);
            return -1;
        }
        name++;
        int known = 0;
        for (size_t k = 0; override_names[k]; k++)
            known |= strcmp(override_names[k], name) == 0;
        if (!known) {
            snprintf(err, errlen,
                     "kinto.%.200s: '%.40s' cannot be set per bucket or collection (only "
                     "randomize, keep_old_files, filename_pattern, max_size_bytes and folder)",
                     key, name);
            return -1;
        }
    }
    return 0;
}

/* A pattern that names only known placeholders. */
static int check_pattern(const char *key, const char *pattern, const char *const *names, size_t n,
                         char *err, size_t errlen)
{
    char out[CINTO_ATT_PATH_MAX];
    const char *values[4] = {"x", "x", "x", "x"};
    if (!pattern || cinto_att_format(pattern, names, values, n, out, sizeof out) == 0)
        return 0;
    snprintf(err, errlen, "kinto.%.200s = \"%.100s\": only the placeholders %s%s%s%s%s are known",
             key, pattern, names[0], n > 1 ? ", " : "", n > 1 ? names[1] : "", n > 2 ? ", " : "",
             n > 2 ? names[2] : "");
    return -1;
}

/* base_path: a relative one is taken from the ini's folder (where the
 * customer put the ini), as kinto.log_file. */
static int resolve_base_path(cinto_settings *s, const char *v, char *err, size_t errlen)
{
    const char *ini = cinto_settings_path(s);
    if (v[0] != '/' && ini && strrchr(ini, '/'))
        snprintf(base_path, sizeof base_path, "%.*s/%s", (int)(strrchr(ini, '/') - ini), ini, v);
    else
        snprintf(base_path, sizeof base_path, "%s", v);
    size_t n = strlen(base_path);
    while (n > 1 && base_path[n - 1] == '/')
        base_path[--n] = '\0';
    if (n + 2 * CINTO_ATT_PATH_MAX >= sizeof base_path) {
        snprintf(err, errlen, "kinto.attachment.base_path is too long");
        return -1;
    }
    return 0;
}

static int configure(cinto_app *app, cinto_settings *s, char *err, size_t errlen)
{
    settings = s;
    free(base_url);
    free(cap_url);
    base_url = cap_url = NULL;
    cinto_att_exts_free(&exts);
    readonly = cinto_settings_bool(s, "readonly", 0);
    const char *bp = cinto_settings_get(s, "attachment.base_path");
    if (!bp || !*bp) {
        snprintf(err, errlen,
                 "kinto.attachment.base_path is not set: the attachment plugin (kinto_attachment "
                 "in kinto.includes) needs the folder where it stores files, one the web server "
                 "serves under kinto.attachment.base_url");
        return -1;
    }
    if (resolve_base_path(s, bp, err, errlen) < 0)
        return -1;
    const char *bu = cinto_settings_get(s, "attachment.base_url");
    const char *extra = cinto_settings_get(s, "attachment.extra.base_url");
    trim_url(bu ? bu : "", &base_url);
    if (extra || bu)
        trim_url(extra ? extra : bu, &cap_url);
    mimetypes = cinto_settings_get(s, "attachment.mimetypes");
    if (!base_url || ((extra || bu) && !cap_url) ||
        cinto_att_exts_parse(cinto_settings_get(s, "attachment.extensions"), &exts) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    static const char *const folder_names[] = {"bucket_id", "collection_id", "id"};
    static const char *const file_names[] = {"filename", "datetime", "rid"};
    if (check_overrides(s, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < cinto_settings_count(s); i++) {
        const char *key = cinto_settings_key_at(s, i);
        size_t kl = strlen(key);
        const char *v = cinto_settings_get(s, key);
        if (strncmp(key, "attachment.", 11) != 0 || !v)
            continue;
        if (kl >= 7 && strcmp(key + kl - 7, ".folder") == 0 &&
            check_pattern(key, v, folder_names, 3, err, errlen) < 0)
            return -1;
        if (kl >= 17 && strcmp(key + kl - 17, ".filename_pattern") == 0 &&
            check_pattern(key, v, file_names, 3, err, errlen) < 0)
            return -1;
    }
    /* Crash tests only (tests/http/attachments.test.js): CINTO_FAILPOINT
     * makes the worker abort at one step of an upload, and only when
     * kinto.attachment.test_failpoints = true, a setting no shipped ini
     * has. */
    failpoint = NULL;
    if (cinto_settings_bool(s, "attachment.test_failpoints", 0)) {
        failpoint = getenv("CINTO_FAILPOINT");
        if (failpoint)
            cinto_log("attachments: test failpoint '%s' armed", failpoint);
    }
    return 0;
}

/* name, or the brief's other name of the first step (after-rename). */
static void hit_failpoint(const char *name)
{
    int alias = failpoint && strcmp(name, "attachment-after-file") == 0 &&
                strcmp(failpoint, "attachment-after-rename") == 0;
    if (failpoint && (alias || strcmp(failpoint, name) == 0)) {
        cinto_log("attachments: failpoint '%s' reached: aborting", name);
        abort();
    }
}

static void capability(cinto_ctx *c, json_object *caps)
{
    (void)c;
    json_object *o = cinto_capability("Add file attachments to records",
                                      "https://github.com/Kinto/kinto-attachment/");
    json_object_object_add(o, "version", json_object_new_string(CAP_VERSION));
    json_object_object_add(o, "base_url", cap_url ? json_object_new_string(cap_url) : NULL);
    json_object_object_add(caps, "attachments", o);
}

/* ---- files ------------------------------------------------------------- */

/* base_path/rel as an absolute path. */
static void full_path(const char *rel, char *out, size_t outlen)
{
    /* base_path leaves room for 2 * CINTO_ATT_PATH_MAX (configure). */
    if ((size_t)snprintf(out, outlen, "%s%s%s", base_path, *rel ? "/" : "", rel) >= outlen)
        out[0] = '\0';
}

/* mkdir -p of base_path/rel (folders 0755: the web server reads them). */
static int make_folders(const char *rel)
{
    char path[PATH_MAX];
    full_path(rel, path, sizeof path);
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = saved;
        if (!saved)
            break;
    }
    return 0;
}

/* Removes a stored file (rel to base_path); a missing one is fine. */
static void remove_file(const char *rel)
{
    char path[PATH_MAX];
    full_path(rel, path, sizeof path);
    if (unlink(path) < 0 && errno != ENOENT)
        cinto_log("attachments: cannot remove %s: %s", path, strerror(errno));
}

/* ---- removals that follow the transaction (on_tx) --------------------------- */

typedef struct pending {
    char *rel;
    int level;     /* the transaction level it belongs to */
    int on_commit; /* 1: remove once committed; 0: remove if rolled back */
    int upload;    /* the previous file of an upload (failpoint) */
} pending;

static pending *pend;
static size_t npend, cappend;
static int tx_level;

static int queue_removal(const char *rel, int on_commit, int upload)
{
    if (npend == cappend) {
        size_t cap = cappend ? cappend * 2 : 16;
        pending *p = realloc(pend, cap * sizeof *p);
        if (!p)
            return -1;
        pend = p;
        cappend = cap;
    }
    char *copy = strdup(rel);
    if (!copy)
        return -1;
    pend[npend++] = (pending){copy, tx_level > 0 ? tx_level : 1, on_commit, upload};
    return 0;
}

/* Runs or drops the entries at level or deeper. */
static void settle(int level, int committed)
{
    size_t k = 0;
    for (size_t i = 0; i < npend; i++) {
        pending *p = &pend[i];
        if (p->level < level) {
            pend[k++] = *p;
            continue;
        }
        if (committed && level > 1) {
            p->level = level - 1; /* a savepoint folded into its parent */
            pend[k++] = *p;
            continue;
        }
        if (p->on_commit == committed)
            remove_file(p->rel);
        free(p->rel);
    }
    npend = k;
}

static void on_tx(cinto_app *app, cinto_tx_event event, int level)
{
    (void)app;
    if (event == CINTO_TX_BEGIN) {
        tx_level = level;
        return;
    }
    if (event == CINTO_TX_COMMIT && level == 1) {
        for (size_t i = 0; i < npend; i++)
            if (pend[i].upload) {
                hit_failpoint("attachment-after-commit");
                break;
            }
    }
    settle(level, event == CINTO_TX_COMMIT);
    tx_level = level - 1;
}

/* ---- the write event: links, cleanup, protection (§7.4, §7.7) ------------ */

/* The upload or attachment deletion this worker is writing now. */
typedef struct own_write {
    const char *record_uri, *bucket_uri, *collection_uri;
    const char *location; /* new file (relative), NULL for a deletion */
    int keep_old_files;
    int linked; /* the write event came: the rollback hook owns the new file */
} own_write;

static own_write *current;

/* Drops the links of a record, collection or bucket and queues its files
 * for removal after the commit (unless kept). */
static int unlink_files(cinto_ctx *c, int by, const char *uri, int force_keep, int upload)
{
    cinto_strv rows = {0};
    int rc = c->st->ops->attachment_unlink(c->st, by, uri, &rows);
    for (size_t i = 0; rc == CINTO_ST_OK && i + 1 < rows.count; i += 2) {
        int keep = force_keep >= 0 ? force_keep : keep_files_of(rows.items[i + 1]);
        if (!keep && queue_removal(rows.items[i], 1, upload) < 0)
            rc = CINTO_ST_NOMEM;
    }
    cinto_strv_clear(&rows);
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        return -1;
    }
    return 0;
}

/* Our own record write: the new link replaces the old ones. */
static int own_record_write(cinto_ctx *c)
{
    own_write *w = current;
    if (unlink_files(c, CINTO_ATT_BY_RECORD, w->record_uri, w->keep_old_files, 1) < 0)
        return -1;
    if (!w->location)
        return 0;
    int rc = c->st->ops->attachment_link(c->st, w->location, w->bucket_uri, w->collection_uri,
                                         w->record_uri, c->now_ms);
    if (rc == CINTO_ST_OK && queue_removal(w->location, 0, 0) < 0)
        rc = CINTO_ST_NOMEM;
    if (rc != CINTO_ST_OK) {
        cinto_error_storage(c, rc);
        return -1;
    }
    w->linked = 1;
    /* The file is in place, the record and link written, nothing committed. */
    hit_failpoint("attachment-after-file");
    return 0;
}

static int on_write(cinto_ctx *c, const cinto_write_event *ev)
{
    int is_record = strcmp(ev->resource, "record") == 0;
    if (is_record && current && ev->action != CINTO_ACTION_DELETE &&
        strcmp(ev->uri, current->record_uri) == 0)
        return own_record_write(c);
    if (is_record && ev->action == CINTO_ACTION_UPDATE) {
        json_object *before = cinto_json_get(ev->old, "attachment");
        json_object *after = cinto_json_get(ev->new, "attachment");
        if (before && after && !cinto_json_equal(before, after)) {
            cinto_error(c, 400, CINTO_ERRNO_UNDEFINED, "Attachment metadata cannot be modified.",
                        NULL);
            return -1;
        }
        return 0;
    }
    if (ev->action != CINTO_ACTION_DELETE || ev->purged)
        return 0;
    /* A cascade's children go with their collection or bucket, whose own
     * event comes after them and takes every link below it at once. */
    if (is_record && !ev->cascade)
        return unlink_files(c, CINTO_ATT_BY_RECORD, ev->uri, -1, 0);
    if (strcmp(ev->resource, "collection") == 0 && !ev->cascade)
        return unlink_files(c, CINTO_ATT_BY_COLLECTION, ev->uri, -1, 0);
    if (strcmp(ev->resource, "bucket") == 0)
        return unlink_files(c, CINTO_ATT_BY_BUCKET, ev->uri, -1, 0);
    return 0;
}

/* ---- authorization (§7.2 item 1) --------------------------------------- */

static const cinto_route_def record_route = {"/buckets/{bid}/collections/{cid}/records/{rid}",
                                             CINTO_OBJECT_METHODS,
                                             cinto_handle_resource,
                                             CINTO_KIND_RECORD,
                                             0,
                                             CINTO_NEEDS_STORAGE,
                                             NULL};

/* write on the record if it exists, else record:create on the collection;
 * then 404 for a missing collection or bucket; an If-Match or
 * If-None-Match that cannot hold is answered before the body is read.
 * 0 with *exists set, or -1 after answering. */
static int authorize(cinto_ctx *c, int *exists)
{
    const cinto_route_def *saved = c->route.def;
    c->route.def = &record_route;
    cinto_rctx r;
    int rc = -1;
    if (cinto_res_setup(&r, c) < 0) {
        cinto_error_internal(c, "out of memory");
        goto done;
    }
    if (cinto_res_fetch_chain(&r, NULL) < 0 || cinto_res_load_acl(&r, NULL) < 0)
        goto done;
    *exists = cinto_obj_exists(&r, CINTO_KIND_RECORD);
    int ok = *exists ? cinto_perm_allowed(&r, CINTO_KIND_RECORD, "write")
                     : cinto_perm_create_allowed(&r);
    if (!ok) {
        cinto_error_denied(c);
        goto done;
    }
    if (!cinto_obj_exists(&r, CINTO_KIND_BUCKET)) {
        cinto_error_not_found(c, CINTO_ERRNO_MISSING_RESOURCE, r.ids[CINTO_KIND_BUCKET], "bucket");
        goto done;
    }
    if (!cinto_obj_exists(&r, CINTO_KIND_COLLECTION)) {
        cinto_error_not_found(c, CINTO_ERRNO_MISSING_RESOURCE, r.ids[CINTO_KIND_COLLECTION],
                              "collection");
        goto done;
    }
    /* The ids become folder names: checked before any file exists. */
    if (cinto_res_check_path_id(&r) < 0)
        goto done;
    cinto_precond p;
    if (cinto_res_parse_preconditions(&r, &p) < 0)
        goto done;
    if (*exists && cinto_res_check_412(&r, &p, &r.objs[CINTO_KIND_RECORD], 0) < 0)
        goto done;
    if (!*exists && p.has_match) {
        cinto_res_precondition_failed(&r, NULL, 0);
        goto done;
    }
    rc = 0;
done:
    cinto_res_teardown(&r);
    c->route.def = saved;
    return rc;
}

/* ---- the record write, by the core's PATCH/PUT (§7.2 item 3b) ------------ */

/* Runs the record handler for method with body as the request's body;
 * the answer is the record's (status, ETag...). */
static void write_record(cinto_ctx *c, enum cinto_method method, json_object *body)
{
    cinto_request *req = c->req;
    const cinto_route_def *saved_def = c->route.def;
    enum cinto_method saved_method = req->method;
    const char *saved_ct = req->content_type;
    char *saved_body = req->body;
    size_t saved_len = req->body_len;
    size_t len;
    const char *text = cinto_json_dump_len(body, &len);
    char *copy = text ? strndup(text, len) : NULL;
    if (!copy) {
        cinto_error_internal(c, "out of memory");
        return;
    }
    req->body = copy;
    req->body_len = len;
    req->content_type = "application/json";
    req->method = method;
    c->route.def = &record_route;
    cinto_handle_resource(c);
    c->route.def = saved_def;
    req->method = saved_method;
    req->content_type = saved_ct;
    req->body = saved_body;
    req->body_len = saved_len;
    free(copy);
}

/* "/v1/buckets/…/records/r" as an absolute URL. */
static void record_url(cinto_ctx *c, const char *record_uri, cinto_buf *out)
{
    cinto_base_url(c, out);
    cinto_buf_printf(out, "/v1%s", record_uri);
}

/* ---- the multipart body (§7.2 item 2) ---------------------------------- */

enum part_kind { PART_NONE, PART_FILE, PART_DATA, PART_PERMS, PART_SKIP };

/* Errors found while reading, kept by upstream's precedence (lower
 * first): the answer is the first of them once the body is read. */
enum upload_error {
    UE_NONE,
    UE_FILENAME,   /* 107 body: Filename is required. */
    UE_SIZE,       /* 107 body: File size ... */
    UE_EXTENSION,  /* 107 body: File extension is not allowed. */
    UE_TWO_FILES,  /* 107 body: only one attachment */
    UE_FIELD_FILE, /* 109 'data' field should be passed as form data */
    UE_OTHER,      /* 109 'x' not in ('data', 'permissions') */
};

typedef struct upload {
    cinto_ctx *c;
    const rules *rules;
    enum part_kind part;
    int nfiles;
    int fd;
    char tmp[PATH_MAX]; /* absolute, "" when none */
    crypto_hash_sha256_state sha;
    unsigned long long size;
    char filename[CINTO_ATT_NAME_MAX * 4];
    char client_type[256];
    cinto_buf data, perms;
    int have_data, have_perms;
    int io_error; /* errno of a failed write, 0 */
    enum upload_error err;
    char err_field[128];
} upload;

static void upload_error(upload *u, enum upload_error e, const char *field)
{
    if (u->err == UE_NONE || e < u->err) {
        u->err = e;
        snprintf(u->err_field, sizeof u->err_field, "%s", field ? field : "");
    }
}

static void drop_tmp(upload *u)
{
    if (u->fd >= 0)
        close(u->fd);
    u->fd = -1;
    if (u->tmp[0])
        unlink(u->tmp);
    u->tmp[0] = '\0';
}

/* A temporary file in the destination folder (same file system: the
 * rename into place is atomic). */
static int open_tmp(upload *u)
{
    if (make_folders(u->rules->folder) < 0) {
        u->io_error = errno;
        return -1;
    }
    char dir[PATH_MAX], rnd[9];
    full_path(u->rules->folder, dir, sizeof dir);
    for (int attempt = 0; attempt < 8; attempt++) {
        cinto_random_id(rnd);
        if ((size_t)snprintf(u->tmp, sizeof u->tmp, "%s/" TMP_PREFIX "%s", dir, rnd) >=
            sizeof u->tmp) {
            errno = ENAMETOOLONG;
            break;
        }
        u->fd = open(u->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (u->fd >= 0 || errno != EEXIST)
            break;
    }
    if (u->fd < 0) {
        u->io_error = errno;
        u->tmp[0] = '\0';
        return -1;
    }
    return 0;
}

/* The client's file name as valid UTF-8 (it is stored in JSON): an
 * invalid byte becomes '?'. */
static void utf8_copy(const char *in, char *out, size_t outlen)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t k = 0;
    while (*p && k + 5 < outlen) {
        int n = *p < 0x80             ? 0
                : (*p & 0xE0) == 0xC0 ? 1
                : (*p & 0xF0) == 0xE0 ? 2
                : (*p & 0xF8) == 0xF0 ? 3
                                      : -1;
        int ok = n >= 0 && !(n == 1 && *p < 0xC2);
        for (int i = 1; ok && i <= n; i++)
            ok = (p[i] & 0xC0) == 0x80;
        if (!ok) {
            out[k++] = '?';
            p++;
            continue;
        }
        for (int i = 0; i <= n; i++)
            out[k++] = (char)*p++;
    }
    out[k] = '\0';
}

static int part_begin(void *ctx, const cinto_multipart_part *part)
{
    upload *u = ctx;
    int has_name = part->filename && *part->filename;
    u->part = PART_SKIP;
    if (strcmp(part->name, "attachment") == 0) {
        if (!has_name) {
            upload_error(u, UE_FILENAME, NULL);
            return 0;
        }
        if (++u->nfiles > 1) {
            upload_error(u, UE_TWO_FILES, NULL);
            return 0;
        }
        utf8_copy(part->filename, u->filename, sizeof u->filename);
        snprintf(u->client_type, sizeof u->client_type, "%s",
                 part->content_type ? part->content_type : "");
        char ext[64];
        cinto_att_extension(cinto_att_basename(part->filename), ext, sizeof ext);
        if (!cinto_att_exts_allows(&exts, ext)) {
            upload_error(u, UE_EXTENSION, NULL);
            return 0;
        }
        crypto_hash_sha256_init(&u->sha);
        u->size = 0;
        u->part = PART_FILE;
        return open_tmp(u) < 0 ? 1 : 0;
    }
    int is_data = strcmp(part->name, "data") == 0,
        is_perms = strcmp(part->name, "permissions") == 0;
    if ((is_data || is_perms) && part->filename) {
        upload_error(u, UE_FIELD_FILE, part->name);
    } else if (is_data || is_perms) {
        u->part = is_data ? PART_DATA : PART_PERMS;
        cinto_buf_reset(is_data ? &u->data : &u->perms);
        *(is_data ? &u->have_data : &u->have_perms) = 1;
    } else {
        upload_error(u, UE_OTHER, part->name);
    }
    return 0;
}

static int part_data(void *ctx, const char *buf, size_t n)
{
    upload *u = ctx;
    switch (u->part) {
    case PART_FILE:
        u->size += n;
        /* Over the limit: the file goes, the rest of the part is only
         * counted, for the size the answer names. */
        if (u->rules->max_size && u->size > u->rules->max_size) {
            upload_error(u, UE_SIZE, NULL);
            drop_tmp(u);
            return 0;
        }
        if (u->fd < 0)
            return 0;
        crypto_hash_sha256_update(&u->sha, (const unsigned char *)buf, n);
        while (n > 0) {
            ssize_t w = write(u->fd, buf, n);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                u->io_error = w < 0 ? errno : ENOSPC;
                return 1;
            }
            buf += w;
            n -= (size_t)w;
        }
        return 0;
    case PART_DATA:
        return cinto_buf_append(&u->data, buf, n) < 0;
    case PART_PERMS:
        return cinto_buf_append(&u->perms, buf, n) < 0;
    default:
        return 0;
    }
}

static int part_end(void *ctx)
{
    upload *u = ctx;
    if (u->part == PART_FILE && u->fd >= 0) {
        /* The data is on disk before a record can point at it. */
        if (fdatasync(u->fd) < 0 && errno != EINVAL)
            u->io_error = errno;
        if (close(u->fd) < 0 && !u->io_error)
            u->io_error = errno;
        u->fd = -1;
    }
    u->part = PART_NONE;
    return u->io_error != 0;
}

/* Reads the body through the parser. 0, or -1 after answering. */
static int read_body(upload *u, const char *boundary)
{
    cinto_ctx *c = u->c;
    cinto_multipart_limits limits = {
        .max_part_header_bytes = 8192,
        .max_part_headers = 16,
        .max_parts = 8,
        .max_field_bytes = 1024 * 1024,
        .max_file_bytes = 0, /* counted by part_data, for the size in the answer */
    };
    cinto_multipart_callbacks cb = {u, part_begin, part_data, part_end};
    cinto_multipart *mp = cinto_multipart_new(boundary, &limits, &cb);
    char *buf = malloc(READ_CHUNK);
    int st = mp && buf ? CINTO_MP_OK : CINTO_MP_NOMEM;
    long got = 0;
    while (st == CINTO_MP_OK && (got = cinto_request_body_read(c->req, buf, READ_CHUNK)) > 0)
        st = cinto_multipart_feed(mp, buf, (size_t)got);
    if (st == CINTO_MP_OK && got == 0)
        st = cinto_multipart_finish(mp);
    cinto_multipart_free(mp);
    free(buf);
    if (u->io_error) {
        cinto_log("attachments: cannot write under %s: %s", base_path, strerror(u->io_error));
        cinto_error(c, 503, CINTO_ERRNO_BACKEND,
                    "The file could not be stored (disk full or folder not writable); please "
                    "retry later.",
                    NULL);
        return -1;
    }
    if (got < 0) {
        cinto_error_invalid(c, "body", NULL, "Request body is shorter than its Content-Length");
        return -1;
    }
    if (st == CINTO_MP_NOMEM) {
        cinto_error_internal(c, "out of memory");
        return -1;
    }
    if (st != CINTO_MP_OK) {
        cinto_error(c, 400, CINTO_ERRNO_INVALID_PARAMETERS, cinto_multipart_message(st), NULL);
        return -1;
    }
    return 0;
}

/* The answer to the first error found, by upstream's precedence. */
static void answer_upload_error(upload *u)
{
    cinto_ctx *c = u->c;
    char msg[512];
    switch (u->err) {
    case UE_FILENAME:
        cinto_error_invalid(c, "body", NULL, "Filename is required.");
        break;
    case UE_SIZE:
        snprintf(msg, sizeof msg, "File size (%llu bytes) exceeds the limit (%llu bytes).", u->size,
                 u->rules->max_size);
        cinto_error_invalid(c, "body", NULL, msg);
        break;
    case UE_EXTENSION:
        cinto_error_invalid(c, "body", NULL, "File extension is not allowed.");
        break;
    case UE_TWO_FILES:
        cinto_error_invalid(c, "body", NULL, "Only one 'attachment' file may be sent.");
        break;
    case UE_FIELD_FILE:
        snprintf(msg, sizeof msg, "body: '%s' field should be passed as form data, not files",
                 u->err_field);
        cinto_error(c, 400, 109, msg, NULL);
        break;
    case UE_OTHER:
        snprintf(msg, sizeof msg, "body: '%.100s' not in ('data', 'permissions')", u->err_field);
        cinto_error(c, 400, 109, msg, NULL);
        break;
    case UE_NONE:
        break;
    }
}

/* The data and permissions fields as JSON; -1 after answering. */
static int parse_fields(upload *u, json_object **data, json_object **perms)
{
    const char *names[2] = {"data", "permissions"};
    cinto_buf *bufs[2] = {&u->data, &u->perms};
    int have[2] = {u->have_data, u->have_perms};
    json_object **outs[2] = {data, perms};
    for (int i = 0; i < 2; i++) {
        *outs[i] = NULL;
        if (!have[i])
            continue;
        char err[256];
        int is_null = 0;
        const char *text = bufs[i]->data ? bufs[i]->data : "";
        *outs[i] = cinto_json_parse(text, bufs[i]->len, &is_null, err, sizeof err);
        if (!*outs[i] && !is_null) {
            char msg[512];
            snprintf(msg, sizeof msg, "body: %s is not valid JSON (%s)", names[i], err);
            cinto_error(u->c, 400, 109, msg, NULL);
            return -1;
        }
    }
    return 0;
}

/* The stored name (§7.6): sanitized, random, patterned; "" on failure. */
static void stored_name(const upload *u, const char *rid, char *out, size_t outlen)
{
    const char *base = cinto_att_basename(u->filename);
    char ext[64], safe[CINTO_ATT_NAME_MAX], safe_ext[64], uuid[37];
    cinto_att_extension(base, ext, sizeof ext);
    cinto_att_secure_filename(base, safe, sizeof safe);
    cinto_att_extension(safe, safe_ext, sizeof safe_ext);
    char name[CINTO_ATT_NAME_MAX + 64];
    /* A name that sanitizes to nothing, or loses its extension on the
     * way, gets a random one with the (allowed) extension. */
    if (u->rules->randomize || !*safe || strcmp(ext, safe_ext) != 0) {
        cinto_uuid4(uuid);
        snprintf(name, sizeof name, "%s%s%s", uuid, *ext ? "." : "", ext);
    } else {
        snprintf(name, sizeof name, "%s", safe);
    }
    if (!u->rules->filename_pattern) {
        snprintf(out, outlen, "%s", name);
        return;
    }
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y%m%d%H%M%S", &tm);
    const char *names[] = {"filename", "datetime", "rid"};
    const char *values[] = {name, when, rid};
    if (cinto_att_format(u->rules->filename_pattern, names, values, 3, out, outlen) < 0) {
        out[0] = '\0';
        return;
    }
    /* The pattern comes from the operator; still, one path component. */
    for (char *p = out; *p; p++)
        if (*p == '/' || *p == '\\')
            *p = '_';
}

/* Creates base_path/folder/name exclusively, "-1", "-2"... before the
 * extension when taken, and renames the temporary file over it. rel gets
 * the stored relative path. 0, or -1 with errno. */
static int place_file(upload *u, const char *name, char *rel, size_t rellen)
{
    const char *dot = name;
    while (*dot == '.')
        dot++;
    dot = strrchr(dot, '.');
    size_t stem = dot ? (size_t)(dot - name) : strlen(name);
    const char *folder = u->rules->folder;
    for (int n = 0; n < 10000; n++) {
        char candidate[CINTO_ATT_NAME_MAX * 2], path[PATH_MAX];
        if (n == 0)
            snprintf(candidate, sizeof candidate, "%s", name);
        else
            snprintf(candidate, sizeof candidate, "%.*s-%d%s", (int)stem, name, n, dot ? dot : "");
        if ((size_t)snprintf(rel, rellen, "%s%s%s", folder, *folder ? "/" : "", candidate) >=
            rellen) {
            errno = ENAMETOOLONG;
            return -1;
        }
        full_path(rel, path, sizeof path);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            return -1;
        close(fd);
        if (rename(u->tmp, path) < 0) {
            int e = errno;
            unlink(path);
            errno = e;
            return -1;
        }
        u->tmp[0] = '\0';
        return 0;
    }
    errno = EEXIST;
    return -1;
}

/* The metadata object (§7.2 item 3a). */
static json_object *metadata(const upload *u, const char *rel)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state sha = u->sha;
    crypto_hash_sha256_final(&sha, digest);
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    char mime[256];
    cinto_att_mimetype(mimetypes, cinto_att_basename(u->filename), u->client_type, mime,
                       sizeof mime);
    cinto_buf loc = CINTO_BUF_INIT;
    cinto_buf_printf(&loc, "%s%s", base_url, rel);
    json_object *m = json_object_new_object();
    json_object_object_add(m, "filename", json_object_new_string(u->filename));
    json_object_object_add(m, "location", json_object_new_string(cinto_buf_str(&loc)));
    json_object_object_add(m, "hash", json_object_new_string(hex));
    json_object_object_add(m, "mimetype", json_object_new_string(mime));
    json_object_object_add(m, "size", json_object_new_int64((int64_t)u->size));
    cinto_buf_free(&loc);
    return m;
}

static int is_multipart(const char *ct)
{
    char mt[128];
    return ct && cinto_media_type(ct, mt, sizeof mt) == 0 && strcmp(mt, "multipart/form-data") == 0;
}

/* The URIs of the route's bucket, collection and record. */
typedef struct uris {
    char bucket[300], collection[600], record[1100];
} uris;

static void route_uris(const cinto_ctx *c, uris *u)
{
    snprintf(u->bucket, sizeof u->bucket, "/buckets/%s", c->route.bid);
    snprintf(u->collection, sizeof u->collection, "%s/collections/%s", u->bucket, c->route.cid);
    snprintf(u->record, sizeof u->record, "%s/records/%s", u->collection, c->route.rid);
}

/* Everything after the body is read: the file in place, the record
 * written, the answer. */
static void store_upload(upload *u, int exists, json_object *data, json_object *perms)
{
    cinto_ctx *c = u->c;
    uris ids;
    route_uris(c, &ids);
    char name[CINTO_ATT_NAME_MAX * 2], rel[CINTO_ATT_PATH_MAX];
    stored_name(u, c->route.rid, name, sizeof name);
    if (!*name || place_file(u, name, rel, sizeof rel) < 0) {
        cinto_log("attachments: cannot store %s under %s: %s", name, base_path, strerror(errno));
        cinto_error(c, 503, CINTO_ERRNO_BACKEND,
                    "The file could not be stored (disk full or folder not writable); please "
                    "retry later.",
                    NULL);
        return;
    }
    json_object *meta = metadata(u, rel);
    json_object *body = json_object_new_object();
    json_object *d = data && json_object_is_type(data, json_type_object) ? json_object_get(data)
                     : data                                              ? json_object_get(data)
                                                                         : json_object_new_object();
    if (json_object_is_type(d, json_type_object))
        json_object_object_add(d, "attachment", json_object_get(meta));
    json_object_object_add(body, "data", d);
    if (perms)
        json_object_object_add(body, "permissions", json_object_get(perms));
    own_write w = {ids.record, ids.bucket, ids.collection, rel, u->rules->keep_old_files, 0};
    current = &w;
    write_record(c, exists ? CINTO_PATCH : CINTO_PUT, body);
    current = NULL;
    json_object_put(body);
    int status = c->resp->status;
    if (status >= 400 || c->resp->failed) {
        /* Before the write event the file is ours; after it, the rollback
         * of the transaction removes it (on_tx). */
        if (!w.linked)
            remove_file(rel);
        json_object_put(meta);
        return;
    }
    const char *old_etag = cinto_response_get(c->resp, "ETag");
    char *etag = old_etag ? strdup(old_etag) : NULL;
    cinto_response_json(c->resp, status == 201 ? 201 : 200, meta);
    if (etag)
        cinto_response_set(c->resp, "ETag", "%s", etag);
    free(etag);
    cinto_buf url = CINTO_BUF_INIT;
    record_url(c, ids.record, &url);
    cinto_response_set(c->resp, "Location", "%s", cinto_buf_str(&url));
    cinto_buf_free(&url);
    json_object_put(meta);
}

static void post_attachment(cinto_ctx *c)
{
    int exists = 0;
    if (authorize(c, &exists) < 0)
        return;
    const char *ct = c->req->content_type;
    char boundary[256];
    if (!is_multipart(ct)) {
        cinto_error(c, 400, CINTO_ERRNO_INVALID_PARAMETERS,
                    "Content-Type should be multipart/form-data", NULL);
        return;
    }
    if (cinto_multipart_boundary(ct, boundary, sizeof boundary) != CINTO_MP_OK) {
        cinto_error(c, 400, CINTO_ERRNO_INVALID_PARAMETERS,
                    cinto_multipart_message(CINTO_MP_BAD_CONTENT_TYPE), NULL);
        return;
    }
    rules rl;
    if (rules_of(c->route.bid, c->route.cid, c->route.rid, &rl) < 0) {
        cinto_error_internal(c, "kinto.attachment.folder gives no usable folder");
        return;
    }
    upload u = {.c = c, .rules = &rl, .fd = -1, .data = CINTO_BUF_INIT, .perms = CINTO_BUF_INIT};
    json_object *data = NULL, *perms = NULL;
    if (read_body(&u, boundary) < 0)
        goto done;
    if (u.nfiles == 0 && u.err != UE_FILENAME) {
        cinto_error(c, 400, 109, "Attachment missing.", NULL);
        goto done;
    }
    if (u.err != UE_NONE && u.err < UE_FIELD_FILE) {
        answer_upload_error(&u);
        goto done;
    }
    if (u.err == UE_FIELD_FILE) {
        answer_upload_error(&u);
        goto done;
    }
    if (parse_fields(&u, &data, &perms) < 0)
        goto done;
    if (u.err != UE_NONE) {
        answer_upload_error(&u);
        goto done;
    }
    store_upload(&u, exists, data, perms);
done:
    drop_tmp(&u);
    cinto_buf_free(&u.data);
    cinto_buf_free(&u.perms);
    json_object_put(data);
    json_object_put(perms);
}

/* DELETE …/attachment (§7.3): 404 for a missing record, else the
 * attachment becomes null by a PATCH; the file goes after the commit. */
static void delete_attachment(cinto_ctx *c)
{
    int exists = 0;
    if (authorize(c, &exists) < 0)
        return;
    if (!exists) {
        cinto_error_not_found(c, CINTO_ERRNO_INVALID_RESOURCE_ID, c->route.rid, "record");
        return;
    }
    rules rl;
    if (rules_of(c->route.bid, c->route.cid, c->route.rid, &rl) < 0) {
        cinto_error_internal(c, "kinto.attachment.folder gives no usable folder");
        return;
    }
    uris ids;
    route_uris(c, &ids);
    json_object *body = json_object_new_object(), *data = json_object_new_object();
    json_object_object_add(data, "attachment", NULL);
    json_object_object_add(body, "data", data);
    own_write w = {ids.record, ids.bucket, ids.collection, NULL, rl.keep_old_files, 0};
    current = &w;
    write_record(c, CINTO_PATCH, body);
    current = NULL;
    json_object_put(body);
    if (c->resp->status >= 400 || c->resp->failed)
        return;
    cinto_response_reset(c->resp);
    c->resp->status = 204;
}

static void handle_attachment(cinto_ctx *c)
{
    if (c->req->method == CINTO_POST)
        post_attachment(c);
    else
        delete_attachment(c);
}

/* ---- heartbeat (§7.8) ----------------------------------------------------- */

static int heartbeat(cinto_ctx *c, json_object *checks)
{
    int ok = 1;
    if (!readonly) {
        char rel[128], path[PATH_MAX];
        snprintf(rel, sizeof rel, HEARTBEAT_FOLDER "/heartbeat.%s", cinto_att_exts_sample(&exts));
        full_path(rel, path, sizeof path);
        int fd = make_folders(HEARTBEAT_FOLDER) == 0
                     ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
                     : -1;
        static const char content[] = "{\"test\": \"write\"}";
        ok = fd >= 0 && write(fd, content, sizeof content - 1) == (ssize_t)(sizeof content - 1);
        if (fd >= 0 && close(fd) < 0)
            ok = 0;
        if (fd >= 0 && unlink(path) < 0)
            ok = 0;
        if (!ok)
            cinto_log_once("attachments:heartbeat", 300,
                           "attachments heartbeat: cannot write and remove a file under %s: %s",
                           base_path, strerror(errno));
    }
    json_object_object_add(checks, "attachments", json_object_new_boolean(ok));
    return ok;
}

/* ---- cinto.fcgi gc-attachments [--grace-seconds N] ------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct gc_state {
    char **linked;
    size_t nlinked;
    time_t cutoff;
    unsigned long kept, removed, young, failed;
} gc_state;

/* Walks base_path/rel: files no link names and older than the grace
 * period go; the heartbeat's folder and symlinks are left alone. */
static void gc_walk(gc_state *g, const char *rel, int depth)
{
    char path[PATH_MAX];
    full_path(rel, path, sizeof path);
    DIR *d = opendir(path);
    if (!d) {
        if (depth == 0)
            fprintf(stderr, "cinto: gc-attachments: cannot read %s: %s\n", path, strerror(errno));
        g->failed++;
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char child[CINTO_ATT_PATH_MAX * 2], cpath[PATH_MAX];
        snprintf(child, sizeof child, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        full_path(child, cpath, sizeof cpath);
        struct stat sb;
        if (lstat(cpath, &sb) < 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            if (depth < 32)
                gc_walk(g, child, depth + 1);
            continue;
        }
        /* The web server's files of the folder (.htaccess) are not ours. */
        if (!S_ISREG(sb.st_mode) || (depth == 0 && e->d_name[0] == '.' &&
                                     strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0))
            continue;
        const char *key = child;
        if (g->nlinked && bsearch(&key, g->linked, g->nlinked, sizeof *g->linked, cmp_str)) {
            g->kept++;
            continue;
        }
        if (sb.st_mtime > g->cutoff) {
            g->young++;
            continue;
        }
        if (unlink(cpath) == 0) {
            printf("removed %s\n", child);
            g->removed++;
        } else {
            fprintf(stderr, "cinto: gc-attachments: cannot remove %s: %s\n", cpath,
                    strerror(errno));
            g->failed++;
        }
    }
    closedir(d);
}

static int run_gc(cinto_app *app, int argc, char **argv)
{
    long long grace = 3600;
    for (int i = 0; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--grace-seconds") == 0 && i + 1 < argc) {
            grace = strtoll(argv[++i], &end, 10);
            if (!*argv[i] || *end || grace < 0) {
                fprintf(stderr, "cinto: gc-attachments: --grace-seconds wants a number >= 0\n");
                return 2;
            }
        } else {
            fprintf(stderr, "usage: cinto.fcgi gc-attachments [--grace-seconds N]\n");
            return 2;
        }
    }
    if (!app->storage) {
        fprintf(stderr, "cinto: gc-attachments: kinto.storage_url is not set\n");
        return 1;
    }
    cinto_strv linked = {0};
    int rc = app->storage->ops->attachment_locations(app->storage, &linked);
    if (rc != CINTO_ST_OK) {
        fprintf(stderr, "cinto: gc-attachments: cannot read the links: %s\n",
                app->storage->last_error);
        cinto_strv_clear(&linked);
        return 1;
    }
    if (linked.count)
        qsort(linked.items, linked.count, sizeof *linked.items, cmp_str);
    gc_state g = {linked.items, linked.count, time(NULL) - (time_t)grace, 0, 0, 0, 0};
    gc_walk(&g, "", 0);
    printf("gc-attachments: %lu file(s) removed, %lu linked kept, %lu unlinked but younger than "
           "%lld s kept%s\n",
           g.removed, g.kept, g.young, grace,
           g.failed ? " (some could not be read or removed)" : "");
    cinto_strv_clear(&linked);
    return g.failed ? 1 : 0;
}

/* ---- plugin row ----------------------------------------------------------- */

static const char *const plugin_settings[] = {
    "attachment.base_path",        "attachment.base_url",       "attachment.extra.base_url",
    "attachment.folder",           "attachment.keep_old_files", "attachment.randomize",
    "attachment.filename_pattern", "attachment.extensions",     "attachment.mimetypes",
    "attachment.max_size_bytes",   "attachment.resources.*",    NULL};

static const cinto_route_def routes[] = {
    {"/buckets/{bid}/collections/{cid}/records/{rid}/attachment", "POST, DELETE, OPTIONS",
     handle_attachment, -1, 0, CINTO_NEEDS_STORAGE | CINTO_ROUTE_STREAM_BODY, NULL},
};

const cinto_plugin cinto_plugin_attachments = {
    .name = "kinto_attachment",
    .settings = plugin_settings,
    .configure = configure,
    .capability = capability,
    .routes = routes,
    .nroutes = sizeof routes / sizeof routes[0],
    .kind = -1,
    .on_write = on_write,
    .heartbeat = heartbeat,
    .on_tx = on_tx,
    .command = "gc-attachments",
    .command_usage = "gc-attachments [--grace-seconds N]",
    .run_command = run_gc,
};
