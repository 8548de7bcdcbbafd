/* The generic object/list semantics shared by buckets, groups,
 * collections and records (Kinto's "resource"), and the kind table that
 * tells them apart. */
#ifndef CINTO_API_RESOURCE_H
#define CINTO_API_RESOURCE_H

#include "api/app.h"

enum cinto_kind {
    CINTO_KIND_BUCKET,
    CINTO_KIND_GROUP,
    CINTO_KIND_COLLECTION,
    CINTO_KIND_RECORD,
    CINTO_KIND_ACCOUNT, /* plugin: all accounts live in one list below the root */
    CINTO_KIND_COUNT
};

struct cinto_rctx;

typedef struct cinto_kind_info {
    const char *name;   /* resource_name: "bucket" */
    const char *plural; /* URL segment: "buckets" */
    const char *const *perms;
    const char *create_perm; /* on the parent: "collection:create"... */
    int parent_kind;         /* -1 for buckets (root) */
    /* Checks and normalizes kind-specific fields (spec 03 §3.8); on
     * failure it answers 400 itself and returns -1. */
    int (*validate)(struct cinto_rctx *r, json_object *data);
    /* Side effects of a write or delete inside the transaction. */
    int (*after_write)(struct cinto_rctx *r, json_object *data);
    int (*on_delete)(struct cinto_rctx *r, const char *uri);
    /* The only fields its lists filter and sort on, NULL-terminated; NULL:
     * any field. */
    const char *const *strict_fields;
    /* Fields holding ids: a number in a filter on them means its digits
     * ("collection_id=1" matches "1"), NULL-terminated; NULL: none. */
    const char *const *string_fields;
} cinto_kind_info;

extern const cinto_kind_info cinto_kinds[CINTO_KIND_COUNT];

/* What one resource request is about. */
typedef struct cinto_rctx {
    cinto_ctx *c;
    /* The kind served: a row of cinto_kinds, or one a plugin defines (then
     * kind is CINTO_KIND_COUNT and only its lists are served). */
    const cinto_kind_info *ki;
    enum cinto_kind kind;
    int plural;
    const char *id;    /* object id from the path, NULL for lists */
    char *parent;      /* list parent: "", "/buckets/b", ".../collections/c" */
    char *uri;         /* object URI when id is set */
    char *list_prefix; /* parent + "/" + plural + "/" */
    char *uris[CINTO_KIND_COUNT];
    const char *ids[CINTO_KIND_COUNT];
    cinto_object objs[CINTO_KIND_COUNT];
    int found[CINTO_KIND_COUNT];
    cinto_ace_list acl;
    int in_tx;
    long long hwm; /* list mark when the list is locked */
} cinto_rctx;

int cinto_valid_id(const char *id);
/* Account ids also allow '+', '.' and '@' after the first character. */
int cinto_valid_kind_id(enum cinto_kind kind, const char *id);
int cinto_obj_exists(const cinto_rctx *r, enum cinto_kind k);

/* acl.c */
int cinto_perm_allowed(cinto_rctx *r, enum cinto_kind k, const char *perm);
int cinto_perm_root_allowed(cinto_rctx *r, const char *perm);
int cinto_perm_create_allowed(cinto_rctx *r);
int cinto_perm_list_allowed(cinto_rctx *r, const char *perm);
/* Own ACL of uri as {"perm": [principals]} (new object). */
json_object *cinto_acl_of(const cinto_rctx *r, const char *uri);
int cinto_acl_has(const cinto_rctx *r, const char *uri, const char *perm);

#endif
